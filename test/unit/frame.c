// SPDX-License-Identifier: GPL-2.0-or-later
/* test/unit/frame.c - the frames we build for the guest take their IP
 * version from the caller, not from the addresses: an IPv4 and an IPv6
 * address together, or an IPv4-mapped one in an IPv6 header, give the
 * header asked for, never a crash or a header of the other family
 */

#include <errno.h>
#include <netinet/in.h>

#include "checksum.h"
#include "frame.h"
#include "l2_capture.h"
#include "util.h"

static struct ctx c;
static uint8_t frame[256];

/**
 * frame_v4_mixed() - An IPv4 header from an IPv4 source and an IPv6
 *		      destination: the destination's last four bytes, valid
 *		      checksums, and no multicast MAC for an IPv6 multicast
 *		      destination
 */
static void frame_v4_mixed(void)
{
	static const uint8_t src4[4] = { 192, 0, 2, 1 };
	static const uint8_t dst4[4] = { 0, 0, 0, 1 };
	union inany_addr s = test_addr("192.0.2.1");
	union inany_addr d = test_addr("ff02::1");
	const uint8_t *ip = frame + FRAME_ETH_HLEN;
	struct pkt p;
	size_t len;

	test_ctx_init(&c);
	memset(frame, 0, sizeof(frame));
	memcpy(frame + frame_udp_off(true), "mixed", 5);
	len = frame_udp(&c, frame, NULL, true, &s, 5000, &d, 6000, 5);

	UNIT_CHECK(len == FRAME_MIN_LEN);
	UNIT_CHECK(!memcmp(frame, guest_mac, ETH_ALEN));
	UNIT_CHECK(get_be16(frame + 12) == 0x0800);
	UNIT_CHECK(ip[0] == 0x45 && ip[9] == IPPROTO_UDP);
	UNIT_CHECK(get_be16(ip + 2) == FRAME_IP4_HLEN + FRAME_UDP_HLEN + 5);
	UNIT_CHECK(!memcmp(ip + 12, src4, 4) && !memcmp(ip + 16, dst4, 4));

	UNIT_CHECK(!pkt_parse(frame, len, &p) && p.v4);
	UNIT_CHECK(p.l4 == frame + frame_l4_off(true));
	UNIT_CHECK(!csum_l4(true, &p.src, &p.dst, IPPROTO_UDP, p.l4,
			    p.l4_len));
	UNIT_CHECK(!memcmp(p.l4 + FRAME_UDP_HLEN, "mixed", 5));
}

/**
 * frame_v6_mapped() - An IPv6 header from an IPv4-mapped source: all
 *		       sixteen bytes of both addresses, the IPv6 pseudo-header
 *		       in the checksum, and pkt_parse() refusing the result
 *		       as it would from the guest
 */
static void frame_v6_mapped(void)
{
	union inany_addr s = test_addr("::ffff:192.0.2.1");
	union inany_addr d = test_addr("2001:db8:1::64");
	const uint8_t *ip = frame + FRAME_ETH_HLEN;
	const uint8_t *l4 = frame + frame_l4_off(false);
	struct pkt p;
	size_t len;

	test_ctx_init(&c);
	memset(frame, 0, sizeof(frame));
	frame[frame_l4_off(false)] = 128;	/* echo request */
	len = frame_ip(&c, frame, NULL, false, &s, &d, IPPROTO_ICMPV6, 64, 8);

	UNIT_CHECK(len == frame_l4_off(false) + 8);
	UNIT_CHECK(get_be16(frame + 12) == 0x86dd);
	UNIT_CHECK((ip[0] >> 4) == 6 && ip[6] == IPPROTO_ICMPV6);
	UNIT_CHECK(get_be16(ip + 4) == 8);
	UNIT_CHECK(!memcmp(ip + 8, &s.a6, 16) && !memcmp(ip + 24, &d.a6, 16));
	UNIT_CHECK(!csum_l4(false, &s, &d, IPPROTO_ICMPV6, l4, 8));
	UNIT_CHECK(pkt_parse(frame, len, &p) == EINVAL);
}

/**
 * main() - Run the cases
 *
 * Return: EXIT_SUCCESS if every case passed
 */
int main(void)
{
	UNIT_RUN(frame_v4_mixed);
	UNIT_RUN(frame_v6_mapped);
	UNIT_EXIT();
}
