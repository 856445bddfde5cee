// SPDX-License-Identifier: GPL-2.0-or-later
/* test/unit/fwd_addr.c - the guest address array: adding, merging flags,
 * filtering, capacity, prefix lengths
 */

#include <errno.h>

#include "ctx.h"
#include "fwd.h"
#include "unit.h"

static struct ctx c;

/**
 * fwd_addr_add_merge() - Adding an address twice merges its flags
 */
static void fwd_addr_add_merge(void)
{
	union inany_addr a = test_addr("192.0.2.10");

	memset(&c, 0, sizeof(c));
	UNIT_CHECK(!fwd_set_addr(&c, &a, CONF_ADDR_USER, 24));
	UNIT_CHECK(!fwd_set_addr(&c, &a, CONF_ADDR_OBSERVED, 32));
	UNIT_CHECK(c.addr_count == 1);
	UNIT_CHECK(c.addrs[0].flags == (CONF_ADDR_USER | CONF_ADDR_OBSERVED));
	/* The user's prefix length is kept */
	UNIT_CHECK(c.addrs[0].prefix_len == 24);
}

/**
 * fwd_addr_prefix_range() - Prefix lengths are checked per family
 */
static void fwd_addr_prefix_range(void)
{
	union inany_addr a4 = test_addr("192.0.2.10");
	union inany_addr a6 = test_addr("2001:db8::1");

	memset(&c, 0, sizeof(c));
	UNIT_CHECK(fwd_set_addr(&c, &a4, CONF_ADDR_USER, 33) == EINVAL);
	UNIT_CHECK(!fwd_set_addr(&c, &a4, CONF_ADDR_USER, 32));
	UNIT_CHECK(fwd_set_addr(&c, &a6, CONF_ADDR_USER, 129) == EINVAL);
	UNIT_CHECK(!fwd_set_addr(&c, &a6, CONF_ADDR_USER, 128));
	UNIT_CHECK(c.addr_count == 2);
}

/**
 * fwd_addr_full() - A full array refuses a new address, keeps merging
 */
static void fwd_addr_full(void)
{
	union inany_addr a;
	unsigned i;

	memset(&c, 0, sizeof(c));
	for (i = 0; i < MAX_GUEST_ADDRS; i++) {
		struct in_addr v4 = { htonl(0xc0000200 + i + 1) };

		inany_from_v4(&a, v4);
		UNIT_CHECK(!fwd_set_addr(&c, &a, CONF_ADDR_OBSERVED, 32));
	}
	a = test_addr("2001:db8::99");
	UNIT_CHECK(fwd_set_addr(&c, &a, CONF_ADDR_USER, 64) == ENOSPC);
	UNIT_CHECK(c.addr_count == MAX_GUEST_ADDRS);
	a = test_addr("192.0.2.1");
	UNIT_CHECK(!fwd_set_addr(&c, &a, CONF_ADDR_HOST, 24));
}

/**
 * fwd_addr_filter() - for_each_addr() walks only matching entries, and the
 *		       assigned address prefers user, then host entries
 */
static void fwd_addr_filter(void)
{
	union inany_addr o = test_addr("192.0.2.50");
	union inany_addr h = test_addr("192.0.2.20");
	union inany_addr u = test_addr("192.0.2.30"), ll = test_addr("fe80::1");
	const struct guest_addr *ga;
	struct guest_addr *it;
	unsigned n = 0;

	memset(&c, 0, sizeof(c));
	fwd_set_addr(&c, &o, CONF_ADDR_OBSERVED, 32);
	fwd_set_addr(&c, &h, CONF_ADDR_HOST, 24);
	fwd_set_addr(&c, &ll, CONF_ADDR_OBSERVED, 64);
	UNIT_CHECK(fwd_guest_addr(&c, true) == &c.addrs[1]);
	fwd_set_addr(&c, &u, CONF_ADDR_USER, 24);

	for_each_addr(it, &c, CONF_ADDR_OBSERVED)
		n++;
	UNIT_CHECK(n == 2);

	ga = fwd_guest_addr(&c, true);
	UNIT_CHECK(ga && inany_equals(&ga->addr, &u));
	/* Link-local entries are flagged, and never assigned */
	UNIT_CHECK(c.addrs[2].flags & CONF_ADDR_LINKLOCAL);
	UNIT_CHECK(!fwd_guest_addr(&c, false));
	UNIT_CHECK(fwd_addr_is_guest(&c, &h));
}

/**
 * fwd_addr_observe() - Observed sources are recorded once, and junk
 *			sources not at all
 */
static void fwd_addr_observe(void)
{
	union inany_addr a = test_addr("2001:db8::5"), z = test_addr("0.0.0.0");
	union inany_addr m = test_addr("ff02::1"), lo = test_addr("127.0.0.1");

	memset(&c, 0, sizeof(c));
	fwd_observe_addr(&c, &a);
	fwd_observe_addr(&c, &a);
	fwd_observe_addr(&c, &z);
	fwd_observe_addr(&c, &m);
	fwd_observe_addr(&c, &lo);
	UNIT_CHECK(c.addr_count == 1);
	UNIT_CHECK(c.addrs[0].flags == CONF_ADDR_OBSERVED);
	UNIT_CHECK(c.addrs[0].prefix_len == 128);
}

/**
 * main() - Run the cases
 *
 * Return: 0 if all passed
 */
int main(void)
{
	UNIT_RUN(fwd_addr_add_merge);
	UNIT_RUN(fwd_addr_prefix_range);
	UNIT_RUN(fwd_addr_full);
	UNIT_RUN(fwd_addr_filter);
	UNIT_RUN(fwd_addr_observe);
	UNIT_EXIT();
}
