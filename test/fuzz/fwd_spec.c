// SPDX-License-Identifier: GPL-2.0-or-later
/* test/fuzz/fwd_spec.c - libFuzzer target: -t and -u port specifications,
 * through fwd_spec_parse(), several into one table
 *
 * Input: a byte choosing the host's ephemeral range, then specifications
 * separated by NUL bytes. A failed one must leave the table as it was, with
 * a reason; after each success every rule must be a valid range, and no
 * two rules may want the same port on the same address.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "fwd.h"
#include "fwd_spec.h"
#include "inany.h"
#include "util.h"

#define SPECS_MAX	8

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
 * overlap() - Could two rules want the same socket?
 * @a:		One rule
 * @b:		Another rule
 *
 * Return: true if a port of both ranges is bound on an address and
 *	   interface, and in a family, that both rules cover
 */
static bool overlap(const struct fwd_rule *a, const struct fwd_rule *b)
{
	uint8_t fa = a->flags & (FWD_V4_ONLY | FWD_V6_ONLY);
	uint8_t fb = b->flags & (FWD_V4_ONLY | FWD_V6_ONLY);
	bool addr_any = inany_is_unspecified(&a->addr) ||
			inany_is_unspecified(&b->addr);
	bool if_any = !a->ifname[0] || !b->ifname[0];

	return (!fa || !fb || fa == fb) &&
	       MAX(a->first, b->first) <= MIN(a->last, b->last) &&
	       (addr_any || inany_equals(&a->addr, &b->addr)) &&
	       (if_any || !strcmp(a->ifname, b->ifname));
}

/**
 * check_table() - Check every rule of a table, and every pair
 * @t:		Table
 */
static void check_table(const struct fwd_table *t)
{
	unsigned i, j;

	if (t->count > FWD_RULES_MAX)
		fail("more rules than the table holds");

	for (i = 0; i < t->count; i++) {
		const struct fwd_rule *r = &t->rules[i];

		if (!r->first || r->first > r->last || !r->to ||
		    (unsigned)r->to + (r->last - r->first) > 65535)
			fail("invalid rule");
		if (strnlen(r->ifname, sizeof(r->ifname)) == sizeof(r->ifname))
			fail("interface name not terminated");
		for (j = 0; j < i; j++) {
			if (overlap(r, &t->rules[j]))
				fail("two rules for the same port");
		}
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
 * LLVMFuzzerTestOneInput() - Parse specifications into one table
 * @data:	Input
 * @size:	Its length
 *
 * Return: 0
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct fwd_port_range ephs[] = {
		{ 32768, 60999 }, { 1024, 65535 }, { 1, 1 }, { 65535, 65535 },
	};
	static struct fwd_table t, before;
	static char spec[65536 + 1];
	struct fuzz_in in = { data, size };
	const struct fwd_port_range *eph;
	unsigned n;

	eph = &ephs[fuzz_u8(&in) % ARRAY_SIZE(ephs)];
	memset(&t, 0, sizeof(t));

	for (n = 0; n < SPECS_MAX && in.left; n++) {
		const uint8_t *nul = memchr(in.p, '\0', in.left);
		size_t len = nul ? (size_t)(nul - in.p) : in.left;
		char err[256] = "";

		memcpy(spec, in.p, len);
		spec[len] = '\0';
		in.p += MIN(len + 1, in.left);
		in.left -= MIN(len + 1, in.left);

		before = t;
		if (fwd_spec_parse(&t, spec, eph, err, sizeof(err))) {
			if (!err[0])
				fail("failed without a reason");
			if (t.count != before.count ||
			    memcmp(t.rules, before.rules,
				   sizeof(t.rules[0]) * t.count))
				fail("a failed spec changed the table");
		}
		check_table(&t);
	}

	return 0;
}
