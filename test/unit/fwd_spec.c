// SPDX-License-Identifier: GPL-2.0-or-later
/* test/unit/fwd_spec.c - -t and -u specifications: every accepted form, the
 * rules each one becomes, and every error
 */

#include <string.h>

#include "fwd_spec.h"
#include "inany.h"
#include "unit.h"

static struct fwd_table t;
static char err[256];

/* A small ephemeral range keeps the expected rules easy to write down */
static const struct fwd_port_range eph = { 40000, 49999 };

/**
 * parse() - Parse a specification into the shared table
 * @spec:	Specification
 *
 * Return: what fwd_spec_parse() returns
 */
static int parse(const char *spec)
{
	err[0] = '\0';
	return fwd_spec_parse(&t, spec, &eph, err, sizeof(err));
}

/**
 * rule_is() - Check one rule's ports and flags
 * @i:		Rule index
 * @first:	Expected first host port
 * @last:	Expected last host port
 * @to:		Expected guest port for @first
 * @flags:	Expected FWD_* flags
 *
 * Return: true if the rule matches
 */
static bool rule_is(unsigned i, unsigned first, unsigned last, unsigned to,
		    unsigned flags)
{
	const struct fwd_rule *r = &t.rules[i];

	return i < t.count && r->first == first && r->last == last &&
	       r->to == to && r->flags == flags;
}

/**
 * fails_with() - Parse a specification that must fail, check the text
 * @spec:	Specification
 * @text:	Text the error must contain
 *
 * Return: true if parsing failed with that text and left the table alone
 */
static bool fails_with(const char *spec, const char *text)
{
	unsigned before = t.count;

	return parse(spec) == -1 && strstr(err, text) && t.count == before;
}

/**
 * spec_single() - One port, and a list of single ports
 */
static void spec_single(void)
{
	memset(&t, 0, sizeof(t));
	UNIT_CHECK(!parse("22"));
	UNIT_CHECK(t.count == 1 && rule_is(0, 22, 22, 22, 0));
	UNIT_CHECK(inany_is_unspecified(&t.rules[0].addr));
	UNIT_CHECK(!t.rules[0].ifname[0]);

	memset(&t, 0, sizeof(t));
	UNIT_CHECK(!parse("80,443,8080"));
	UNIT_CHECK(t.count == 3 && rule_is(0, 80, 80, 80, 0) &&
		   rule_is(1, 443, 443, 443, 0) &&
		   rule_is(2, 8080, 8080, 8080, 0));
}

/**
 * spec_ranges() - Ranges, and adjacent items merging into one rule
 */
static void spec_ranges(void)
{
	memset(&t, 0, sizeof(t));
	UNIT_CHECK(!parse("1000-1999"));
	UNIT_CHECK(t.count == 1 && rule_is(0, 1000, 1999, 1000, 0));

	memset(&t, 0, sizeof(t));
	UNIT_CHECK(!parse("10-19,20-29"));
	UNIT_CHECK(t.count == 1 && rule_is(0, 10, 29, 10, 0));

	memset(&t, 0, sizeof(t));
	UNIT_CHECK(!parse("65535"));
	UNIT_CHECK(t.count == 1 && rule_is(0, 65535, 65535, 65535, 0));
}

/**
 * spec_mapped() - PORT:GUEST and FIRST-LAST:GFIRST-GLAST
 */
static void spec_mapped(void)
{
	memset(&t, 0, sizeof(t));
	UNIT_CHECK(!parse("2222:22"));
	UNIT_CHECK(t.count == 1 && rule_is(0, 2222, 2222, 22, 0));

	memset(&t, 0, sizeof(t));
	UNIT_CHECK(!parse("8000-8009:9000-9009"));
	UNIT_CHECK(t.count == 1 && rule_is(0, 8000, 8009, 9000, 0));

	/* Two ranges mapped apart stay two rules even when adjacent */
	memset(&t, 0, sizeof(t));
	UNIT_CHECK(!parse("100-101:200-201,102-103:300-301"));
	UNIT_CHECK(t.count == 2 && rule_is(0, 100, 101, 200, 0) &&
		   rule_is(1, 102, 103, 300, 0));
}

/**
 * spec_exclusions() - '~' cuts ranges, anywhere in the list
 */
static void spec_exclusions(void)
{
	memset(&t, 0, sizeof(t));
	UNIT_CHECK(!parse("1-100,~50"));
	UNIT_CHECK(t.count == 2 && rule_is(0, 1, 49, 1, 0) &&
		   rule_is(1, 51, 100, 51, 0));

	/* Before the range, and cutting a mapped range keeps the offset */
	memset(&t, 0, sizeof(t));
	UNIT_CHECK(!parse("~1005-1006,1000-1009:2000-2009"));
	UNIT_CHECK(t.count == 2 && rule_is(0, 1000, 1004, 2000, 0) &&
		   rule_is(1, 1007, 1009, 2007, 0));
}

/**
 * spec_all() - 'all' and exclusion lists: every non-ephemeral port, weak
 */
static void spec_all(void)
{
	memset(&t, 0, sizeof(t));
	UNIT_CHECK(!parse("all"));
	UNIT_CHECK(t.count == 2 &&
		   rule_is(0, 1, 39999, 1, FWD_WEAK) &&
		   rule_is(1, 50000, 65535, 50000, FWD_WEAK));

	memset(&t, 0, sizeof(t));
	UNIT_CHECK(!parse("~22"));
	UNIT_CHECK(t.count == 3 &&
		   rule_is(0, 1, 21, 1, FWD_WEAK) &&
		   rule_is(1, 23, 39999, 23, FWD_WEAK) &&
		   rule_is(2, 50000, 65535, 50000, FWD_WEAK));

	memset(&t, 0, sizeof(t));
	UNIT_CHECK(!parse("all,~1-1000,~60000-65535"));
	UNIT_CHECK(t.count == 2 &&
		   rule_is(0, 1001, 39999, 1001, FWD_WEAK) &&
		   rule_is(1, 50000, 59999, 50000, FWD_WEAK));
}

/**
 * spec_none() - 'none' adds nothing
 */
static void spec_none(void)
{
	memset(&t, 0, sizeof(t));
	UNIT_CHECK(!parse("none"));
	UNIT_CHECK(t.count == 0);
}

/**
 * spec_prefix() - Address and interface prefixes, IPv6 in brackets or not
 */
static void spec_prefix(void)
{
	union inany_addr a;

	memset(&t, 0, sizeof(t));
	UNIT_CHECK(!parse("192.0.2.1/80"));
	UNIT_CHECK(inany_pton("192.0.2.1", &a));
	UNIT_CHECK(t.count == 1 && rule_is(0, 80, 80, 80, FWD_V4_ONLY));
	UNIT_CHECK(inany_equals(&t.rules[0].addr, &a));

	memset(&t, 0, sizeof(t));
	UNIT_CHECK(!parse("[2001:db8::1]/80,443"));
	UNIT_CHECK(inany_pton("2001:db8::1", &a));
	UNIT_CHECK(t.count == 2 && rule_is(1, 443, 443, 443, FWD_V6_ONLY));
	UNIT_CHECK(inany_equals(&t.rules[1].addr, &a));

	memset(&t, 0, sizeof(t));
	UNIT_CHECK(!parse("2001:db8::2%eth0/22"));
	UNIT_CHECK(inany_pton("2001:db8::2", &a));
	UNIT_CHECK(t.count == 1 && inany_equals(&t.rules[0].addr, &a));
	UNIT_CHECK(!strcmp(t.rules[0].ifname, "eth0"));

	memset(&t, 0, sizeof(t));
	UNIT_CHECK(!parse("[2001:db8::3]%veth1/22"));
	UNIT_CHECK(t.count == 1 && !strcmp(t.rules[0].ifname, "veth1"));

	memset(&t, 0, sizeof(t));
	UNIT_CHECK(!parse("%lo/~22"));
	UNIT_CHECK(t.count == 3 && !strcmp(t.rules[0].ifname, "lo"));
	UNIT_CHECK(rule_is(0, 1, 21, 1, FWD_WEAK));
	UNIT_CHECK(inany_is_unspecified(&t.rules[0].addr));

	memset(&t, 0, sizeof(t));
	UNIT_CHECK(!parse("192.0.2.1/all"));
	UNIT_CHECK(t.count == 2 &&
		   rule_is(0, 1, 39999, 1, FWD_WEAK | FWD_V4_ONLY));
}

/**
 * spec_across() - Several specifications in one table: overlaps only where
 *		   the same socket would be wanted
 */
static void spec_across(void)
{
	memset(&t, 0, sizeof(t));
	UNIT_CHECK(!parse("192.0.2.1/80"));
	UNIT_CHECK(!parse("198.51.100.1/80"));
	UNIT_CHECK(!parse("[2001:db8::1]/80"));
	UNIT_CHECK(!parse("%eth0/81"));
	UNIT_CHECK(!parse("%eth1/81"));
	UNIT_CHECK(t.count == 5);

	UNIT_CHECK(fails_with("80", "port 80 already forwarded"));
	UNIT_CHECK(fails_with("192.0.2.1/70-90", "port 80 already forwarded"));
	UNIT_CHECK(fails_with("81", "port 81 already forwarded"));
	UNIT_CHECK(fails_with("%eth0/81", "port 81 already forwarded"));
	UNIT_CHECK(fails_with("~1", "already forwarded"));
}

/**
 * spec_errors() - Every malformed form is refused with a reason
 */
static void spec_errors(void)
{
	memset(&t, 0, sizeof(t));
	UNIT_CHECK(fails_with("", "empty port specification"));
	UNIT_CHECK(fails_with("192.0.2.1/", "empty port specification"));
	UNIT_CHECK(fails_with("/80", "nothing before '/'"));
	UNIT_CHECK(fails_with("1/2/3", "more than one '/'"));
	UNIT_CHECK(fails_with("192.0.2.300/80", "invalid address"));
	UNIT_CHECK(fails_with("[192.0.2.1]/80", "brackets are for IPv6"));
	UNIT_CHECK(fails_with("[2001:db8::1/80", "missing ']'"));
	UNIT_CHECK(fails_with("[2001:db8::1]x/80", "unexpected text"));
	UNIT_CHECK(fails_with("[]/80", "empty address in brackets"));
	UNIT_CHECK(fails_with("192.0.2.1%/80", "empty interface name"));
	UNIT_CHECK(fails_with("%averyveryverylongname/80", "too long"));
	UNIT_CHECK(fails_with("0", "port out of range"));
	UNIT_CHECK(fails_with("65536", "port out of range"));
	UNIT_CHECK(fails_with("99999999999999999999", "port out of range"));
	UNIT_CHECK(fails_with("1-0", "port out of range"));
	UNIT_CHECK(fails_with("80:0", "port out of range"));
	UNIT_CHECK(fails_with("~0", "port out of range"));
	UNIT_CHECK(fails_with("90-80", "range goes backwards"));
	UNIT_CHECK(fails_with("80:90-85", "range goes backwards"));
	UNIT_CHECK(fails_with("80-81:90", "differ in length"));
	UNIT_CHECK(fails_with("80-81:90-92", "differ in length"));
	UNIT_CHECK(fails_with("~80:90", "exclusions take no guest port"));
	UNIT_CHECK(fails_with("80,,81", "empty item"));
	UNIT_CHECK(fails_with("80,", "empty item"));
	UNIT_CHECK(fails_with(",80", "empty item"));
	UNIT_CHECK(fails_with("x", "malformed"));
	UNIT_CHECK(fails_with("80x", "malformed"));
	UNIT_CHECK(fails_with("80-", "malformed"));
	UNIT_CHECK(fails_with("-80", "malformed"));
	UNIT_CHECK(fails_with("80:", "malformed"));
	UNIT_CHECK(fails_with("~", "malformed"));
	UNIT_CHECK(fails_with(" 80", "malformed"));
	UNIT_CHECK(fails_with("+80", "malformed"));
	UNIT_CHECK(fails_with("80-90,85", "overlaps an earlier item"));
	UNIT_CHECK(fails_with("all,80", "only be combined with exclusions"));
	UNIT_CHECK(fails_with("all,all", "'all' twice"));
	UNIT_CHECK(fails_with("none,80", "'none' cannot be combined"));
	UNIT_CHECK(fails_with("192.0.2.1/none", "'none' takes no address"));
	UNIT_CHECK(fails_with("80,~80", "no ports left"));
	UNIT_CHECK(t.count == 0);
}

/**
 * spec_full() - A table never takes more than FWD_RULES_MAX rules
 */
static void spec_full(void)
{
	char spec[8];
	unsigned p;

	memset(&t, 0, sizeof(t));
	for (p = 1; p <= FWD_RULES_MAX; p++) {
		snprintf(spec, sizeof(spec), "%u", p * 2);
		UNIT_CHECK(!parse(spec));
	}
	UNIT_CHECK(t.count == FWD_RULES_MAX);
	UNIT_CHECK(fails_with("1", "too many forwarding rules"));
}

/**
 * spec_ephemeral() - The host's range reads as a sane range
 */
static void spec_ephemeral(void)
{
	struct fwd_port_range r;

	fwd_spec_ephemeral(&r);
	UNIT_CHECK(r.first >= 1 && r.first <= r.last);
}

/**
 * main() - Run the cases
 *
 * Return: 0 if all passed
 */
int main(void)
{
	UNIT_RUN(spec_single);
	UNIT_RUN(spec_ranges);
	UNIT_RUN(spec_mapped);
	UNIT_RUN(spec_exclusions);
	UNIT_RUN(spec_all);
	UNIT_RUN(spec_none);
	UNIT_RUN(spec_prefix);
	UNIT_RUN(spec_across);
	UNIT_RUN(spec_errors);
	UNIT_RUN(spec_full);
	UNIT_RUN(spec_ephemeral);
	UNIT_EXIT();
}
