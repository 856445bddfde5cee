// SPDX-License-Identifier: GPL-2.0-or-later
/* test/fuzz/dname.c - libFuzzer target: domain names in DNS wire format,
 * one at a time with dname_encode() and as the guest's search list with
 * dname_encode_search(), compressed or not
 *
 * Input: a configuration byte (compression, and the room given for the
 * output), then up to MAX_SEARCH names separated by NUL bytes.
 *
 * Each result is checked against a reference written here: a single name
 * must be encoded exactly when it is valid (labels of 1 to 63 letters,
 * digits, hyphens and underscores) and fits, and exactly as RFC 1035
 * says; a search list must decode to the valid names, in order, and
 * without compression to exactly the ones that fit; pointers may only
 * point back to labels of earlier names.
 */

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ctx.h"
#include "dname.h"
#include "fuzz.h"
#include "util.h"

#define LABEL_MAX	63
#define ROOM_MAX	2048

static struct ctx c;

/**
 * fail() - Report a wrong result
 * @what:	What is wrong
 */
__attribute__((noreturn))
static void fail(const char *what)
{
	fprintf(stderr, "fuzz: %s\n", what);
	abort();
}

/**
 * ref_encode() - Reference encoding of one name, without compression
 * @name:	Name, text form, with or without a trailing dot
 * @out:	Destination, DNAME_WIRE_MAX bytes
 *
 * Return: length of the encoding, 0 if the name is invalid
 */
static size_t ref_encode(const char *name, uint8_t *out)
{
	size_t len = strlen(name), off = 0, start = 0, i;

	if (len && name[len - 1] == '.')
		len--;
	if (!len || len + 2 > DNAME_WIRE_MAX)
		return 0;

	for (i = 0; i <= len; i++) {
		unsigned char ch = (unsigned char)name[i];

		/* RFC 1035, 2.3.1, and the underscore of service names */
		if (i < len && ch != '.' && !isalnum(ch) && ch != '-' &&
		    ch != '_')
			return 0;
		if (i < len && ch != '.')
			continue;
		if (i == start || i - start > LABEL_MAX)
			return 0;
		out[off++] = (uint8_t)(i - start);
		memcpy(out + off, name + start, i - start);
		off += i - start;
		start = i + 1;
	}
	out[off++] = 0;
	return off;
}

/**
 * decode_name() - Decode one name of a search list, following pointers
 * @buf:	Encoded list
 * @len:	Its length
 * @off:	Offset of the name, moved past it
 * @labels:	Offsets where labels of earlier names start, set for this
 *		name's labels
 * @text:	The name, dots between labels, DNAME_WIRE_MAX bytes
 */
static void decode_name(const uint8_t *buf, size_t len, size_t *off,
			bool *labels, char *text)
{
	size_t start = *off, pos = *off, t = 0;
	bool jumped = false;

	for (;;) {
		uint8_t l;

		if (pos >= len)
			fail("name runs past the list");
		l = buf[pos];

		if ((l & 0xc0) == 0xc0) {
			size_t to;

			if (pos + 2 > len)
				fail("pointer cut");
			to = (size_t)(l & 0x3f) << 8 | buf[pos + 1];
			if (to >= start || !labels[to])
				fail("pointer not back to an earlier label");
			if (!jumped)
				*off = pos + 2;
			jumped = true;
			pos = to;
			continue;
		}
		if (l & 0xc0)
			fail("reserved label type");
		if (!l) {
			if (!jumped)
				*off = pos + 1;
			break;
		}
		if (pos + 1 + l > len || t + l + 1 >= DNAME_WIRE_MAX)
			fail("label runs past the list, or name too long");
		if (!jumped)
			labels[pos] = true;
		if (t)
			text[t++] = '.';
		memcpy(text + t, buf + pos + 1, l);
		t += l;
		pos += 1 + l;
	}

	if (!t)
		fail("empty name in the list");
	text[t] = '\0';
}

/**
 * check_search() - Check an encoded search list against the names
 * @buf:	Encoded list
 * @len:	Its length
 * @room:	Room it was given
 * @compress:	Compression was asked for
 */
static void check_search(const uint8_t *buf, size_t len, size_t room,
			 bool compress)
{
	static bool labels[ROOM_MAX];
	uint8_t ref[DNAME_WIRE_MAX];
	size_t off = 0, ref_off = 0;
	unsigned i = 0;

	if (len > room)
		fail("search list longer than its room");
	memset(labels, 0, sizeof(labels));

	while (off < len) {
		char text[DNAME_WIRE_MAX];
		size_t rl = 0;

		decode_name(buf, len, &off, labels, text);

		/* The next valid name that matches: only invalid names, or
		 * names that didn't fit, may be left out
		 */
		for (; i < c.search_count; i++) {
			char want[DOMAIN_NAME_MAX + 1];
			size_t wl;

			rl = ref_encode(c.search[i], ref);
			if (!rl)
				continue;
			memcpy(want, c.search[i], sizeof(want));
			wl = strlen(want);
			if (want[wl - 1] == '.')
				want[wl - 1] = '\0';
			if (!strcasecmp(want, text))
				break;
			if (!compress && ref_off + rl <= room)
				fail("a name that fits was left out");
		}
		if (i++ == c.search_count)
			fail("a name in the list not in the search list");
		ref_off += rl;
	}

	/* Without compression, every name is written while it fits */
	if (compress)
		return;
	for (; i < c.search_count; i++) {
		size_t rl = ref_encode(c.search[i], ref);

		if (rl && ref_off + rl <= room)
			fail("a name that fits was left out at the end");
	}
}

/**
 * LLVMFuzzerInitialize() - Nothing to set up but logging
 * @argc:	Unused
 * @argv:	Unused
 *
 * Return: 0
 */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;

	fuzz_init();
	return 0;
}

/**
 * LLVMFuzzerTestOneInput() - Encode each name, then the list
 * @data:	Input
 * @size:	Its length
 *
 * Return: 0
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t out[ROOM_MAX], ref[DNAME_WIRE_MAX];
	struct fuzz_in in = { data, size };
	uint8_t cfg = fuzz_u8(&in);
	size_t room = (size_t)(cfg >> 1) * (ROOM_MAX / 128), len, i;
	bool compress = cfg & 1;

	/* Names, each cut to what a search list entry holds */
	memset(&c, 0, sizeof(c));
	while (in.left && c.search_count < MAX_SEARCH) {
		const uint8_t *nul = memchr(in.p, '\0', in.left);
		size_t n = nul ? (size_t)(nul - in.p) : in.left;
		char *name = c.search[c.search_count++];

		memcpy(name, in.p, MIN(n, (size_t)DOMAIN_NAME_MAX));
		name[MIN(n, (size_t)DOMAIN_NAME_MAX)] = '\0';
		in.p += MIN(n + 1, in.left);
		in.left -= MIN(n + 1, in.left);
	}

	for (i = 0; i < c.search_count; i++) {
		size_t rl = ref_encode(c.search[i], ref);
		int n = dname_encode(c.search[i], out, room);

		if (n < 0 && rl && rl <= room)
			fail("valid name that fits not encoded");
		if (n >= 0 && ((size_t)n != rl || memcmp(out, ref, rl)))
			fail("name encoded wrong");
	}

	len = dname_encode_search(&c, compress, out, room);
	check_search(out, len, room, compress);
	return 0;
}
