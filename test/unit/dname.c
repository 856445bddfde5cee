// SPDX-License-Identifier: GPL-2.0-or-later
/* test/unit/dname.c - domain names: the check of their text form, and wire
 * format: labels, final dots, invalid names, compression of repeated
 * suffixes, running out of room
 */

#include "ctx.h"
#include "dname.h"
#include "unit.h"

static struct ctx c;

/**
 * dname_single() - One name, with and without a trailing dot
 */
static void dname_single(void)
{
	static const uint8_t want[] = "\x03" "www" "\x07" "example" "\x04"
				      "test";
	uint8_t out[64];

	UNIT_CHECK(dname_encode("www.example.test", out, sizeof(out)) ==
		   (int)sizeof(want));
	UNIT_CHECK(!memcmp(out, want, sizeof(want)));
	UNIT_CHECK(dname_encode("www.example.test.", out, sizeof(out)) ==
		   (int)sizeof(want));
	UNIT_CHECK(!memcmp(out, want, sizeof(want)));
	/* Exactly enough room, then one byte short */
	UNIT_CHECK(dname_encode("www.example.test", out, sizeof(want)) ==
		   (int)sizeof(want));
	UNIT_CHECK(dname_encode("www.example.test", out,
				sizeof(want) - 1) == -1);
}

/**
 * dname_invalid() - Empty names and labels, and overlong labels, fail
 */
static void dname_invalid(void)
{
	char label64[80];
	uint8_t out[300];

	memset(label64, 'a', 64);
	strcpy(label64 + 64, ".test");
	UNIT_CHECK(dname_encode("", out, sizeof(out)) == -1);
	UNIT_CHECK(dname_encode(".", out, sizeof(out)) == -1);
	UNIT_CHECK(dname_encode("a..test", out, sizeof(out)) == -1);
	UNIT_CHECK(dname_encode(".test", out, sizeof(out)) == -1);
	/* An empty label before the final dot, or two final dots */
	UNIT_CHECK(dname_encode("a..", out, sizeof(out)) == -1);
	UNIT_CHECK(dname_encode("a.test..", out, sizeof(out)) == -1);
	UNIT_CHECK(dname_encode("a..b.", out, sizeof(out)) == -1);
	UNIT_CHECK(dname_encode("..", out, sizeof(out)) == -1);
	UNIT_CHECK(dname_encode("a b.test", out, sizeof(out)) == -1);
	UNIT_CHECK(dname_encode(label64, out, sizeof(out)) == -1);
	/* 63 bytes is the longest label */
	strcpy(label64 + 63, ".test");
	UNIT_CHECK(dname_encode(label64, out, sizeof(out)) == 70);
}

/**
 * dname_check_text() - One final dot is the root label and is valid; any
 *			other empty label, a bad character, a label over 63
 *			characters or a name over 253 are refused, each with
 *			its own reason
 */
static void dname_check_text(void)
{
	char name[300];
	size_t i;

	UNIT_CHECK(!dname_check("example.test"));
	UNIT_CHECK(!dname_check("example.test."));
	UNIT_CHECK(!dname_check("host.example."));
	UNIT_CHECK(!dname_check("a"));
	UNIT_CHECK(!dname_check("a."));
	UNIT_CHECK(!dname_check("_sip._udp.example-1.test"));

	UNIT_CHECK(!strcmp(dname_check(""), "must have 1 to 253 characters"));
	UNIT_CHECK(!strcmp(dname_check("."), "has an empty label"));
	UNIT_CHECK(!strcmp(dname_check(".."), "has an empty label"));
	UNIT_CHECK(!strcmp(dname_check("a.."), "has an empty label"));
	UNIT_CHECK(!strcmp(dname_check("a..b"), "has an empty label"));
	UNIT_CHECK(!strcmp(dname_check("a..b."), "has an empty label"));
	UNIT_CHECK(!strcmp(dname_check(".a"), "has an empty label"));
	UNIT_CHECK(!strcmp(dname_check("bad!name"),
			   "has an invalid character"));

	memset(name, 'a', 64);
	name[64] = '\0';
	UNIT_CHECK(!strcmp(dname_check(name),
			   "has a label longer than 63 characters"));
	name[63] = '\0';
	UNIT_CHECK(!dname_check(name));

	/* 253 characters, then with a final dot, then 254 */
	memset(name, 'a', 253);
	for (i = 63; i < 253; i += 64)
		name[i] = '.';
	name[253] = '\0';
	UNIT_CHECK(!dname_check(name));
	strcpy(name + 253, ".");
	UNIT_CHECK(!dname_check(name));
	strcpy(name + 253, "a");
	UNIT_CHECK(!strcmp(dname_check(name),
			   "must have 1 to 253 characters"));
}

/**
 * dname_search_compress() - Repeated suffixes become pointers, only when
 *			     asked, and invalid names are skipped
 */
static void dname_search_compress(void)
{
	static const uint8_t plain[] = "\x07" "example" "\x04" "test" "\x00"
				       "\x01" "a" "\x07" "example" "\x04"
				       "test" "\x00"
				       "\x07" "EXAMPLE" "\x04" "test";
	static const uint8_t packed[] = "\x07" "example" "\x04" "test" "\x00"
					"\x01" "a" "\xc0\x00"
					"\xc0\x00";
	uint8_t out[256];

	memset(&c, 0, sizeof(c));
	strcpy(c.search[0], "example.test");
	strcpy(c.search[1], "a..broken");
	strcpy(c.search[2], "a.example.test.");
	strcpy(c.search[3], "EXAMPLE.test");
	c.search_count = 4;

	UNIT_CHECK(dname_encode_search(&c, false, out, sizeof(out)) ==
		   sizeof(plain));
	UNIT_CHECK(!memcmp(out, plain, sizeof(plain)));
	UNIT_CHECK(dname_encode_search(&c, true, out, sizeof(out)) ==
		   sizeof(packed) - 1);
	UNIT_CHECK(!memcmp(out, packed, sizeof(packed) - 1));
}

/**
 * dname_search_room() - Names that don't fit are left out whole
 */
static void dname_search_room(void)
{
	uint8_t out[32];

	memset(&c, 0, sizeof(c));
	strcpy(c.search[0], "example.test");	/* 14 bytes */
	strcpy(c.search[1], "another.example.org");	/* 21 bytes */
	strcpy(c.search[2], "b.test");		/* 8 bytes */
	c.search_count = 3;

	UNIT_CHECK(dname_encode_search(&c, false, out, sizeof(out)) == 22);
	UNIT_CHECK(!memcmp(out + 14, "\x01" "b" "\x04" "test", 8));
	UNIT_CHECK(dname_encode_search(&c, false, out, 10) == 8);
	UNIT_CHECK(dname_encode_search(&c, false, out, 7) == 0);
}

/**
 * main() - Run the cases
 *
 * Return: EXIT_SUCCESS if every case passed
 */
int main(void)
{
	UNIT_RUN(dname_single);
	UNIT_RUN(dname_invalid);
	UNIT_RUN(dname_check_text);
	UNIT_RUN(dname_search_compress);
	UNIT_RUN(dname_search_room);
	UNIT_EXIT();
}
