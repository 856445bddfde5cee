// SPDX-License-Identifier: GPL-2.0-or-later
/* test/unit/ndp.c - NDP: neighbour advertisements, router advertisements
 * and their options, unsolicited advertisements, and messages that must be
 * dropped
 */

#include <netinet/in.h>

#include "checksum.h"
#include "fwd.h"
#include "l2_capture.h"
#include "ndp.h"

static struct ctx c;
static uint8_t frame[2048];

#define GUEST_LL	"fe80::2"
#define OUR_LL		"fe80::1"

/**
 * setup() - Context: guest 2001:db8:1::2/64, DNS, search list
 */
static void setup(void)
{
	union inany_addr a = test_addr("2001:db8:1::2");

	test_ctx_init(&c);
	fwd_set_addr(&c, &a, CONF_ADDR_HOST, 64);
	c.ip6.our_ll = test_addr(OUR_LL);
	c.ip6.gw = test_addr(OUR_LL);
	c.dns[0] = test_addr("198.51.100.53");
	c.dns[1] = test_addr("2001:db8:5::53");
	c.dns_count = 2;
	strcpy(c.search[0], "example.test");
	strcpy(c.search[1], "b.test");
	c.search_count = 2;
	c.mtu = 1500;
}

/**
 * ndp_send_guest() - Hand the NDP code an ICMPv6 message from the guest
 * @src:	Source address, text
 * @dst:	Destination address, text
 * @hop:	Hop limit
 * @msg:	ICMPv6 message, checksum computed here
 * @len:	Length of @msg
 * @corrupt:	Spoil the checksum
 *
 * Return: what ndp_handle() returned
 */
static bool ndp_send_guest(const char *src, const char *dst, uint8_t hop,
			   const void *msg, size_t len, bool corrupt)
{
	union inany_addr s = test_addr(src), d = test_addr(dst);
	struct pkt p;
	size_t flen;

	memset(frame, 0, sizeof(frame));
	memcpy(frame + frame_l4_off(false), msg, len);
	flen = frame_ip(&c, frame, NULL, false, &s, &d, IPPROTO_ICMPV6, hop,
			len);
	guest_frame_fix_macs(frame);
	if (corrupt)
		frame[frame_l4_off(false) + 2] ^= 1;
	if (pkt_parse(frame, flen, &p))
		abort();

	return ndp_handle(&c, &p);
}

/**
 * ns_msg() - Build a neighbour solicitation
 * @buf:	Where to write it, 32 bytes
 * @target:	Target address, text
 *
 * Return: length, with a source link-layer address option
 */
static size_t ns_msg(uint8_t *buf, const char *target)
{
	union inany_addr t = test_addr(target);

	memset(buf, 0, 32);
	buf[0] = 135;
	memcpy(buf + 8, &t.a6, 16);
	buf[24] = 1;
	buf[25] = 1;
	memcpy(buf + 26, guest_mac, 6);

	return 32;
}

/**
 * icmp6_ok() - Check a captured ICMPv6 message from us
 * @i:		Captured frame
 * @dst:	Expected destination, text
 * @type:	Expected ICMPv6 type
 * @p:		Result: parsed frame
 *
 * Return: true if source, destination, hop limit and checksum are right
 */
static bool icmp6_ok(size_t i, const char *dst, uint8_t type, struct pkt *p)
{
	union inany_addr d = test_addr(dst), s = test_addr(OUR_LL);

	return capture_parse(i, p) && p->proto == IPPROTO_ICMPV6 &&
	       inany_equals(&p->src, &s) && inany_equals(&p->dst, &d) &&
	       p->ttl == 255 && p->l4[0] == type && p->l4[1] == 0 &&
	       !memcmp(p->src_mac, our_mac, 6) &&
	       !csum_l4(false, &p->src, &p->dst, IPPROTO_ICMPV6, p->l4,
			p->l4_len);
}

/**
 * find_opt() - Find an NDP option in a message
 * @p:		Parsed frame
 * @fixed:	Length of the message before its options
 * @type:	Option type
 * @len:	Result: length of the option in bytes, header included
 *
 * Return: the option, NULL if absent
 */
static const uint8_t *find_opt(const struct pkt *p, size_t fixed,
			       uint8_t type, size_t *len)
{
	size_t o = fixed;

	while (o + 2 <= p->l4_len && p->l4[o + 1]) {
		if (p->l4[o] == type) {
			*len = (size_t)p->l4[o + 1] * 8;
			return p->l4 + o;
		}
		o += (size_t)p->l4[o + 1] * 8;
	}

	return NULL;
}

/**
 * ndp_ns_na() - A solicitation for the gateway gets an NA with our MAC
 */
static void ndp_ns_na(void)
{
	union inany_addr t = test_addr(OUR_LL);
	uint8_t ns[32];
	const uint8_t *o;
	struct pkt p;
	size_t len;

	setup();
	UNIT_CHECK(ndp_send_guest(GUEST_LL, "ff02::1:ff00:1", 255, ns,
				  ns_msg(ns, OUR_LL), false));
	UNIT_CHECK(capture_count == 1);
	UNIT_CHECK(icmp6_ok(0, GUEST_LL, 136, &p));
	UNIT_CHECK(!memcmp(p.dst_mac, guest_mac, 6));
	UNIT_CHECK(p.l4_len == 32);
	UNIT_CHECK(p.l4[4] == 0xe0);	/* router, solicited, override */
	UNIT_CHECK(!memcmp(p.l4 + 8, &t.a6, 16));
	o = find_opt(&p, 24, 2, &len);
	UNIT_CHECK(o && len == 8 && !memcmp(o + 2, our_mac, 6));

	/* Any other address too: the link is ours */
	UNIT_CHECK(ndp_send_guest(GUEST_LL, "ff02::1:ff00:99", 255, ns,
				  ns_msg(ns, "2001:db8:1::99"), false));
	UNIT_CHECK(capture_count == 2 && icmp6_ok(1, GUEST_LL, 136, &p));
}

/**
 * ndp_ns_ignored() - DAD probes and the guest's own address get nothing
 */
static void ndp_ns_ignored(void)
{
	uint8_t ns[32];

	setup();
	/* DAD, from :: without a source link-layer option */
	ns_msg(ns, "2001:db8:1::77");
	UNIT_CHECK(ndp_send_guest("::", "ff02::1:ff00:77", 255, ns, 24,
				  false));
	UNIT_CHECK(ndp_send_guest(GUEST_LL, "ff02::1:ff00:2", 255, ns,
				  ns_msg(ns, "2001:db8:1::2"), false));
	UNIT_CHECK(ndp_send_guest(GUEST_LL, "ff02::1:ff00:1", 255, ns,
				  ns_msg(ns, "ff02::1"), false));
	UNIT_CHECK(capture_count == 0);
}

/**
 * ndp_rs_ra() - A solicitation gets an RA with every option
 */
static void ndp_rs_ra(void)
{
	static const uint8_t dnssl[] = "\x07" "example" "\x04" "test" "\x00"
				       "\x01" "b" "\x04" "test" "\x00";
	uint8_t rs[16] = { 133, 0, 0, 0, 0, 0, 0, 0, 1, 1 };
	union inany_addr dns = test_addr("2001:db8:5::53");
	const uint8_t *o;
	struct pkt p;
	size_t len;

	setup();
	memcpy(rs + 10, guest_mac, 6);
	UNIT_CHECK(ndp_send_guest(GUEST_LL, "ff02::2", 255, rs, sizeof(rs),
				  false));
	UNIT_CHECK(capture_count == 1);
	UNIT_CHECK(icmp6_ok(0, GUEST_LL, 134, &p));
	UNIT_CHECK(p.l4[5] == 0x80);			/* M flag only */
	UNIT_CHECK(get_be16(p.l4 + 6) != 0);		/* default router */

	o = find_opt(&p, 16, 1, &len);
	UNIT_CHECK(o && len == 8 && !memcmp(o + 2, our_mac, 6));

	o = find_opt(&p, 16, 3, &len);
	UNIT_CHECK(o && len == 32 && o[2] == 64 && o[3] == 0xc0);
	UNIT_CHECK(o && get_be32(o + 4) == 0xffffffff);
	UNIT_CHECK(o && !memcmp(o + 16, "\x20\x01\x0d\xb8\0\x01\0\0"
				"\0\0\0\0\0\0\0\0", 16));

	o = find_opt(&p, 16, 5, &len);
	UNIT_CHECK(o && len == 8 && get_be32(o + 4) == 1500);

	/* RDNSS: only the IPv6 server */
	o = find_opt(&p, 16, 25, &len);
	UNIT_CHECK(o && len == 24 && !memcmp(o + 8, &dns.a6, 16));
	UNIT_CHECK(o && get_be32(o + 4) != 0);

	o = find_opt(&p, 16, 31, &len);
	UNIT_CHECK(o && len == 8 + 24 && get_be32(o + 4) != 0);
	UNIT_CHECK(o && !memcmp(o + 8, dnssl, sizeof(dnssl) - 1));
	UNIT_CHECK(o && !o[8 + sizeof(dnssl) - 1]);	/* zero padding */
}

/**
 * ndp_ra_variants() - Options follow the configuration: no DNS, no
 *		       search list, no MTU, a prefix that isn't a /64
 */
static void ndp_ra_variants(void)
{
	uint8_t rs[8] = { 133 };
	union inany_addr a = test_addr("2001:db8:7::1");
	const uint8_t *o;
	struct pkt p;
	size_t len;

	setup();
	c.addr_count = 0;
	fwd_set_addr(&c, &a, CONF_ADDR_USER, 56);
	c.no_dns = true;
	c.no_search = true;
	c.mtu = 0;
	c.no_dhcpv6 = true;
	UNIT_CHECK(ndp_send_guest("::", "ff02::2", 255, rs, sizeof(rs),
				  false));
	UNIT_CHECK(capture_count == 1);
	/* From an unspecified source: to all nodes, multicast MAC */
	UNIT_CHECK(icmp6_ok(0, "ff02::1", 134, &p));
	UNIT_CHECK(!memcmp(p.dst_mac, "\x33\x33\0\0\0\x01", 6));
	UNIT_CHECK(p.l4[5] == 0);
	o = find_opt(&p, 16, 3, &len);
	UNIT_CHECK(o && o[2] == 56 && o[3] == 0x80);	/* on-link, no SLAAC */
	UNIT_CHECK(o && !memcmp(o + 16, "\x20\x01\x0d\xb8\0\x07\0", 7));
	UNIT_CHECK(!find_opt(&p, 16, 5, &len));
	UNIT_CHECK(!find_opt(&p, 16, 25, &len));
	UNIT_CHECK(!find_opt(&p, 16, 31, &len));

	c.no_ra = true;
	UNIT_CHECK(ndp_send_guest("::", "ff02::2", 255, rs, sizeof(rs),
				  false));
	UNIT_CHECK(capture_count == 1);

	/* IPv6 off (-4): consumed, no reply */
	c.no_ra = false;
	c.ip6.enabled = false;
	UNIT_CHECK(ndp_send_guest("::", "ff02::2", 255, rs, sizeof(rs),
				  false));
	UNIT_CHECK(capture_count == 1);
}

/**
 * ndp_malformed() - Bad hop limit, checksum, option lengths: dropped
 */
static void ndp_malformed(void)
{
	uint8_t ns[40];
	size_t len;

	setup();
	len = ns_msg(ns, OUR_LL);
	UNIT_CHECK(ndp_send_guest(GUEST_LL, OUR_LL, 64, ns, len, false));
	UNIT_CHECK(ndp_send_guest(GUEST_LL, OUR_LL, 255, ns, len, true));

	/* Zero-length option */
	ns[25] = 0;
	UNIT_CHECK(ndp_send_guest(GUEST_LL, OUR_LL, 255, ns, len, false));
	/* Option running past the end */
	ns[25] = 2;
	UNIT_CHECK(ndp_send_guest(GUEST_LL, OUR_LL, 255, ns, len, false));
	/* Option header cut short */
	len = ns_msg(ns, OUR_LL);
	UNIT_CHECK(ndp_send_guest(GUEST_LL, OUR_LL, 255, ns, len + 1, false));
	/* Shorter than a solicitation */
	UNIT_CHECK(ndp_send_guest(GUEST_LL, OUR_LL, 255, ns, 20, false));
	/* Non-zero code */
	ns[1] = 1;
	UNIT_CHECK(ndp_send_guest(GUEST_LL, OUR_LL, 255, ns, len, false));
	UNIT_CHECK(capture_count == 0);

	/* And a good one still gets through */
	len = ns_msg(ns, OUR_LL);
	UNIT_CHECK(ndp_send_guest(GUEST_LL, OUR_LL, 255, ns, len, false));
	UNIT_CHECK(capture_count == 1);
}

/**
 * ndp_not_ndp() - Other ICMPv6 types are left to the caller; with
 *		   --no-ndp, NDP is consumed without a reply
 */
static void ndp_not_ndp(void)
{
	uint8_t echo[8] = { 128 }, ns[32];

	setup();
	UNIT_CHECK(!ndp_send_guest(GUEST_LL, OUR_LL, 64, echo, sizeof(echo),
				   false));
	c.no_ndp = true;
	UNIT_CHECK(ndp_send_guest(GUEST_LL, OUR_LL, 255, ns,
				  ns_msg(ns, OUR_LL), false));
	UNIT_CHECK(capture_count == 0);
}

/**
 * ndp_unsolicited() - Periodic RAs start once the guest is known, then
 *		       come every 200 to 600 seconds
 */
static void ndp_unsolicited(void)
{
	struct pkt p;
	int i;

	setup();
	memset(c.guest_mac, 0xff, 6);
	c.now.tv_sec = 1000;
	for (i = 0; i < 50; i++) {
		c.now.tv_sec++;
		ndp_timer(&c);
	}
	UNIT_CHECK(capture_count == 0);

	memcpy(c.guest_mac, guest_mac, 6);
	ndp_timer(&c);
	UNIT_CHECK(capture_count == 0);
	c.now.tv_nsec = 999000000;
	ndp_timer(&c);
	UNIT_CHECK(capture_count == 0);
	c.now.tv_sec++;
	ndp_timer(&c);
	UNIT_CHECK(capture_count == 1);
	UNIT_CHECK(icmp6_ok(0, "ff02::1", 134, &p));

	/* Nothing before 200 s, something by 600 s */
	c.now.tv_sec += 199;
	ndp_timer(&c);
	UNIT_CHECK(capture_count == 1);
	c.now.tv_sec += 401;
	ndp_timer(&c);
	UNIT_CHECK(capture_count == 2);

	c.no_ra = true;
	c.now.tv_sec += 1000;
	ndp_timer(&c);
	UNIT_CHECK(capture_count == 2);
}

/**
 * main() - Run the cases
 *
 * Return: EXIT_SUCCESS if every case passed
 */
int main(void)
{
	UNIT_RUN(ndp_ns_na);
	UNIT_RUN(ndp_ns_ignored);
	UNIT_RUN(ndp_rs_ra);
	UNIT_RUN(ndp_ra_variants);
	UNIT_RUN(ndp_malformed);
	UNIT_RUN(ndp_not_ndp);
	UNIT_RUN(ndp_unsolicited);
	UNIT_EXIT();
}
