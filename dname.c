// SPDX-License-Identifier: GPL-2.0-or-later
/* dname.c - domain names: the one check of their text form, for options
 * and for what we encode, and DNS wire format (RFC 1035, 3.1 and 4.1.4): a
 * sequence of length-prefixed labels ending with the empty root label, and,
 * where the carrier allows it (DHCP option 119, RFC 3397), suffixes replaced
 * by pointers to an earlier copy
 */

#include <ctype.h>
#include <strings.h>

#include "ctx.h"
#include "dname.h"
#include "util.h"

#define DNAME_LABEL_MAX		63
/* Pointers are 14 bits wide, counted from the start of the encoded list */
#define DNAME_PTR_MAX		0x3fff
#define DNAME_PTR_FLAG		0xc0

/**
 * dname_text_len() - Length of a name's text without one final dot
 * @name:	Name, text form
 *
 * Return: length
 */
static size_t dname_text_len(const char *name)
{
	size_t len = strlen(name);

	if (len && name[len - 1] == '.')
		len--;
	return len;
}

/**
 * dname_label_len() - Length of the first label of a name
 * @name:	Name, text form
 * @len:	Length of @name, final dot excluded
 *
 * Return: length of the label, 0 for an empty label
 */
static size_t dname_label_len(const char *name, size_t len)
{
	const char *dot = memchr(name, '.', len);

	return dot ? (size_t)(dot - name) : len;
}

/**
 * dname_check() - Check the text form of a domain or host name
 * @name:	Name, with or without one final dot (the root label)
 *
 * Labels have 1 to 63 letters, digits, hyphens or underscores (RFC 1035,
 * 2.3.1 and 2.3.4, with the underscore of service names), and the name has
 * at most 253 characters before its final dot, so that it fits in
 * DNAME_WIRE_MAX bytes encoded.
 *
 * Return: NULL for a valid name, otherwise what is wrong with it, to follow
 *	   the name in a message
 */
const char *dname_check(const char *name)
{
	size_t len = dname_text_len(name), label = 0, i;

	if (!*name || len + 2 > DNAME_WIRE_MAX)
		return "must have 1 to 253 characters";

	/* The end of the text closes the last label, as a dot does */
	for (i = 0; i <= len; i++) {
		unsigned char ch = i < len ? (unsigned char)name[i] : '.';

		if (ch == '.') {
			if (!label)
				return "has an empty label";
			label = 0;
			continue;
		}
		if (!isalnum(ch) && ch != '-' && ch != '_')
			return "has an invalid character";
		if (++label > DNAME_LABEL_MAX)
			return "has a label longer than 63 characters";
	}

	return NULL;
}

/**
 * dname_encode() - Write one name in wire format, without compression
 * @name:	Name, text form, with or without a final dot
 * @out:	Destination
 * @size:	Room in @out
 *
 * Return: bytes written, -1 if dname_check() refuses @name or it doesn't
 *	   fit
 */
int dname_encode(const char *name, uint8_t *out, size_t size)
{
	size_t len = dname_text_len(name), off = 0, pos = 0;

	if (dname_check(name) || len + 2 > size)
		return -1;

	while (pos < len) {
		size_t l = dname_label_len(name + pos, len - pos);

		out[off++] = (uint8_t)l;
		memcpy(out + off, name + pos, l);
		off += l;
		pos += l + 1;
	}
	out[off++] = 0;

	return (int)off;
}

/**
 * struct dname_suffix - A label written in full, for later pointers to it
 * @text:	The name's text from this label on, trailing dot excluded
 * @len:	Length of @text
 * @off:	Offset of the label in the encoded list
 */
struct dname_suffix {
	const char *text;
	size_t len;
	size_t off;
};

/**
 * dname_find_suffix() - Look for an earlier copy of a name's suffix
 * @tab:	Labels written in full so far
 * @n:		Entries in @tab
 * @text:	Suffix to look for
 * @len:	Length of @text
 *
 * Return: the matching entry, NULL if none
 */
static const struct dname_suffix *dname_find_suffix(
	const struct dname_suffix *tab, size_t n, const char *text, size_t len)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (tab[i].len == len && !strncasecmp(tab[i].text, text, len))
			return &tab[i];
	}

	return NULL;
}

/**
 * dname_encode_search() - Write the guest's search list in wire format
 * @c:		Execution context
 * @compress:	Replace repeated suffixes with pointers (RFC 1035, 4.1.4)
 * @out:	Destination
 * @size:	Room in @out
 *
 * Names that are invalid, or don't fit in what is left, are skipped.
 *
 * Return: bytes written
 */
size_t dname_encode_search(const struct ctx *c, bool compress, uint8_t *out,
			   size_t size)
{
	static struct dname_suffix tab[MAX_SEARCH * (DNAME_WIRE_MAX / 2)];
	size_t off = 0, n_tab = 0;
	unsigned i;

	for (i = 0; i < c->search_count && i < MAX_SEARCH; i++) {
		const char *name = c->search[i];
		size_t len = dname_text_len(name), pos = 0, o, n_new;
		uint8_t tmp[DNAME_WIRE_MAX];
		bool fits, ptr;

		/* Validate the whole name first, so nothing is half written */
		if (dname_encode(name, tmp, sizeof(tmp)) < 0)
			continue;

		o = off;
		n_new = n_tab;
		fits = true;
		ptr = false;
		while (pos < len) {
			const struct dname_suffix *s = NULL;
			size_t l = dname_label_len(name + pos, len - pos);

			if (compress) {
				s = dname_find_suffix(tab, n_tab, name + pos,
						      len - pos);
			}
			if (s) {
				fits = o + 2 <= size;
				if (fits) {
					out[o++] = (uint8_t)(DNAME_PTR_FLAG |
							     s->off >> 8);
					out[o++] = (uint8_t)s->off;
				}
				ptr = true;
				break;
			}

			if (o + 1 + l > size) {
				fits = false;
				break;
			}
			if (o <= DNAME_PTR_MAX && n_new < ARRAY_SIZE(tab)) {
				tab[n_new].text = name + pos;
				tab[n_new].len = len - pos;
				tab[n_new++].off = o;
			}
			out[o++] = (uint8_t)l;
			memcpy(out + o, name + pos, l);
			o += l;
			pos += l + 1;
		}

		/* The root label ends a name written without a pointer */
		if (fits && !ptr) {
			fits = o + 1 <= size;
			if (fits)
				out[o++] = 0;
		}
		if (!fits)
			continue;	/* dropped whole, @off unchanged */

		off = o;
		n_tab = n_new;
	}

	return off;
}
