// SPDX-License-Identifier: GPL-2.0-or-later
/* test/unit/fwd_nat.c - address translation between the guest and the
 * host, outbound and inbound, IPv4 and IPv6
 */

#include <errno.h>

#include "ctx.h"
#include "fwd.h"
#include "unit.h"

static struct ctx c;

/**
 * nat_setup() - A guest with the host's addresses 192.0.2.2 and
 *		 2001:db8:1::2, gateway 192.0.2.1 and 2001:db8:1::1 mapped to the
 *		 host's loopback, and 192.0.2.99 / 2001:db8:1::99 mapped to the
 *		 host's own address
 */
static void nat_setup(void)
{
	union inany_addr a4 = test_addr("192.0.2.2");
	union inany_addr a6 = test_addr("2001:db8:1::2");

	memset(&c, 0, sizeof(c));
	fwd_set_addr(&c, &a4, CONF_ADDR_HOST, 24);
	fwd_set_addr(&c, &a6, CONF_ADDR_HOST, 64);
	c.ip4.gw = c.ip4.map_host_loopback = test_addr("192.0.2.1");
	c.ip6.gw = c.ip6.map_host_loopback = test_addr("2001:db8:1::1");
	c.ip4.map_guest_addr = test_addr("192.0.2.99");
	c.ip6.map_guest_addr = test_addr("2001:db8:1::99");
}

/**
 * out() - Translate an outbound flow from the guest's address
 * @dst:	Destination as the guest sees it
 * @port:	Destination port
 * @proto:	Protocol
 * @host:	Result
 *
 * Return: what fwd_nat_outbound() returned
 */
static int out(const char *dst, uint16_t port, uint8_t proto,
	       struct flowside *host)
{
	struct flowside g = { .eport = 40000, .oport = port };

	g.oaddr = test_addr(dst);
	g.eaddr = test_addr(inany_v4(&g.oaddr) ? "192.0.2.2" : "2001:db8:1::2");
	return fwd_nat_outbound(&c, proto, &g, host);
}

/**
 * fwd_nat_out_loopback() - The gateway reaches the host's loopback, in both
 *			    families, and not once the mapping is removed
 */
static void fwd_nat_out_loopback(void)
{
	union inany_addr lo4 = test_addr("127.0.0.1"), lo6 = test_addr("::1");
	struct flowside h;

	nat_setup();
	UNIT_CHECK(!out("192.0.2.1", 80, IPPROTO_TCP, &h));
	UNIT_CHECK(inany_equals(&h.eaddr, &lo4) && h.eport == 80);
	UNIT_CHECK(!h.oport && inany_v4(&h.oaddr) &&
		   inany_is_unspecified(&h.oaddr));
	UNIT_CHECK(!out("2001:db8:1::1", 443, IPPROTO_TCP, &h));
	UNIT_CHECK(inany_equals(&h.eaddr, &lo6) && h.eport == 443);

	memset(&c.ip4.map_host_loopback, 0, sizeof(c.ip4.map_host_loopback));
	UNIT_CHECK(!out("192.0.2.1", 80, IPPROTO_TCP, &h));
	UNIT_CHECK(inany_equals(&h.eaddr, &c.ip4.gw));
}

/**
 * fwd_nat_out_guest_addr() - The map_guest_addr address reaches the host's
 *			      own address
 */
static void fwd_nat_out_guest_addr(void)
{
	union inany_addr a4 = test_addr("192.0.2.2");
	union inany_addr a6 = test_addr("2001:db8:1::2");
	struct flowside h;

	nat_setup();
	UNIT_CHECK(!out("192.0.2.99", 22, IPPROTO_TCP, &h));
	UNIT_CHECK(inany_equals(&h.eaddr, &a4));
	UNIT_CHECK(!out("2001:db8:1::99", 22, IPPROTO_TCP, &h));
	UNIT_CHECK(inany_equals(&h.eaddr, &a6));
}

/**
 * fwd_nat_out_other() - Other destinations pass unchanged, from the -o
 *			 address; UDP keeps its source port
 */
static void fwd_nat_out_other(void)
{
	union inany_addr d = test_addr("198.51.100.7");
	union inany_addr o = test_addr("192.0.2.2");
	struct flowside h;

	nat_setup();
	c.ip4.addr_out = o;
	UNIT_CHECK(!out("198.51.100.7", 8080, IPPROTO_TCP, &h));
	UNIT_CHECK(inany_equals(&h.eaddr, &d) && h.eport == 8080);
	UNIT_CHECK(inany_equals(&h.oaddr, &o) && !h.oport);
	UNIT_CHECK(!out("198.51.100.7", 53, IPPROTO_UDP, &h));
	UNIT_CHECK(h.oport == 40000);
}

/**
 * fwd_nat_out_dns() - DNS to dns_match goes to dns_host, other ports to the
 *		       same address don't
 */
static void fwd_nat_out_dns(void)
{
	union inany_addr dns = test_addr("198.51.100.53");
	struct flowside h;

	nat_setup();
	c.ip4.dns_match = test_addr("192.0.2.1");
	c.ip4.dns_host = dns;
	UNIT_CHECK(!out("192.0.2.1", 53, IPPROTO_UDP, &h));
	UNIT_CHECK(inany_equals(&h.eaddr, &dns));
	UNIT_CHECK(!out("192.0.2.1", 54, IPPROTO_UDP, &h));
	UNIT_CHECK(inany_is_loopback(&h.eaddr));
}

/**
 * fwd_nat_out_refused() - Unusable destinations are refused
 */
static void fwd_nat_out_refused(void)
{
	struct flowside h;

	nat_setup();
	UNIT_CHECK(out("0.0.0.0", 80, IPPROTO_TCP, &h) == EINVAL);
	UNIT_CHECK(out("224.0.0.1", 80, IPPROTO_TCP, &h) == EINVAL);
	UNIT_CHECK(out("255.255.255.255", 80, IPPROTO_UDP, &h) == EINVAL);
	UNIT_CHECK(out("127.0.0.1", 80, IPPROTO_TCP, &h) == EINVAL);
	UNIT_CHECK(out("ff02::1", 80, IPPROTO_TCP, &h) == EINVAL);
	UNIT_CHECK(out("198.51.100.7", 0, IPPROTO_TCP, &h) == EINVAL);
	c.addr_count = 0;
	UNIT_CHECK(out("192.0.2.99", 80, IPPROTO_TCP, &h) == EHOSTUNREACH);
}

/**
 * fwd_nat_out_mixed() - A guest side whose two addresses disagree on the
 *			 family is refused, either way round, not translated
 *			 in the family of one of them
 */
static void fwd_nat_out_mixed(void)
{
	struct flowside g = { .eport = 40000, .oport = 80 }, h;

	nat_setup();
	g.eaddr = test_addr("2001:db8:1::2");
	g.oaddr = test_addr("192.0.2.1");
	UNIT_CHECK(fwd_nat_outbound(&c, IPPROTO_TCP, &g, &h) == EINVAL);
	g.oaddr = test_addr("198.51.100.7");
	UNIT_CHECK(fwd_nat_outbound(&c, IPPROTO_UDP, &g, &h) == EINVAL);

	g.eaddr = test_addr("192.0.2.2");
	g.oaddr = test_addr("2001:db8:1::1");
	UNIT_CHECK(fwd_nat_outbound(&c, IPPROTO_TCP, &g, &h) == EINVAL);
	g.oaddr = test_addr("2001:db8:5::5");
	UNIT_CHECK(fwd_nat_outbound(&c, IPPROTO_ICMPV6, &g, &h) == EINVAL);
}

/**
 * in() - Translate an inbound flow through rule 8000-8009 -> 9000-9009
 * @src:	Peer address
 * @port:	Host port the peer connected to
 * @guest:	Result
 *
 * Return: what fwd_nat_inbound() returned
 */
static int in(const char *src, uint16_t port, struct flowside *guest)
{
	struct fwd_rule r = { .first = 8000, .last = 8009, .to = 9000 };
	struct flowside h = { .eport = 50000, .oport = port };

	h.eaddr = test_addr(src);
	return fwd_nat_inbound(&c, IPPROTO_TCP, &r, &h, guest);
}

/**
 * fwd_nat_in_sources() - Loopback peers appear as the mapped address, the
 *			  host's own address as map_guest_addr, others as
 *			  they are; ports follow the rule
 */
static void fwd_nat_in_sources(void)
{
	union inany_addr a4 = test_addr("192.0.2.2");
	union inany_addr a6 = test_addr("2001:db8:1::2");
	union inany_addr far = test_addr("198.51.100.7");
	struct flowside g;

	nat_setup();
	UNIT_CHECK(!in("127.0.0.1", 8003, &g));
	UNIT_CHECK(inany_equals(&g.oaddr, &c.ip4.map_host_loopback));
	UNIT_CHECK(inany_equals(&g.eaddr, &a4));
	UNIT_CHECK(g.eport == 9003 && g.oport == 50000);

	UNIT_CHECK(!in("::1", 8000, &g));
	UNIT_CHECK(inany_equals(&g.oaddr, &c.ip6.map_host_loopback));
	UNIT_CHECK(inany_equals(&g.eaddr, &a6));

	UNIT_CHECK(!in("192.0.2.2", 8000, &g));
	UNIT_CHECK(inany_equals(&g.oaddr, &c.ip4.map_guest_addr));

	UNIT_CHECK(!in("198.51.100.7", 8009, &g));
	UNIT_CHECK(inany_equals(&g.oaddr, &far) && g.eport == 9009);
}

/**
 * fwd_nat_in_mixed() - A translation that would change the family of the
 *			source (a mapping of the other family) is refused
 */
static void fwd_nat_in_mixed(void)
{
	union inany_addr lo6 = test_addr("::1"), a4 = test_addr("192.0.2.2");
	union inany_addr out;

	nat_setup();
	c.ip6.map_host_loopback = test_addr("192.0.2.1");
	c.ip4.map_guest_addr = test_addr("2001:db8:1::99");
	UNIT_CHECK(fwd_nat_inbound_src(&c, &lo6, &out) == EHOSTUNREACH);
	UNIT_CHECK(fwd_nat_inbound_src(&c, &a4, &out) == EHOSTUNREACH);
}

/**
 * fwd_nat_in_fallback() - Without mappings, loopback and the guest's own
 *			   address appear as the gateway; without a gateway
 *			   or a guest address, the flow is refused
 */
static void fwd_nat_in_fallback(void)
{
	union inany_addr obs = test_addr("192.0.2.77");
	struct flowside g;

	nat_setup();
	memset(&c.ip4.map_host_loopback, 0, sizeof(c.ip4.map_host_loopback));
	memset(&c.ip4.map_guest_addr, 0, sizeof(c.ip4.map_guest_addr));
	UNIT_CHECK(!in("127.0.0.1", 8000, &g));
	UNIT_CHECK(inany_equals(&g.oaddr, &c.ip4.gw));
	UNIT_CHECK(!in("192.0.2.2", 8000, &g));
	UNIT_CHECK(inany_equals(&g.oaddr, &c.ip4.gw));

	/* The address the guest is seen using wins */
	fwd_observe_addr(&c, &obs);
	UNIT_CHECK(!in("198.51.100.7", 8000, &g));
	UNIT_CHECK(inany_equals(&g.eaddr, &obs));

	memset(&c.ip4.gw, 0, sizeof(c.ip4.gw));
	UNIT_CHECK(in("127.0.0.1", 8000, &g) == EHOSTUNREACH);
	c.addr_count = 0;
	UNIT_CHECK(in("198.51.100.7", 8000, &g) == EHOSTUNREACH);
}

/**
 * main() - Run the cases
 *
 * Return: 0 if all passed
 */
int main(void)
{
	UNIT_RUN(fwd_nat_out_loopback);
	UNIT_RUN(fwd_nat_out_guest_addr);
	UNIT_RUN(fwd_nat_out_other);
	UNIT_RUN(fwd_nat_out_dns);
	UNIT_RUN(fwd_nat_out_refused);
	UNIT_RUN(fwd_nat_out_mixed);
	UNIT_RUN(fwd_nat_in_sources);
	UNIT_RUN(fwd_nat_in_mixed);
	UNIT_RUN(fwd_nat_in_fallback);
	UNIT_EXIT();
}
