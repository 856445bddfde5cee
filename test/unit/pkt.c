// SPDX-License-Identifier: GPL-2.0-or-later
/* test/unit/pkt.c - frame validation and parsing: truncated and malformed
 * Ethernet, IPv4 and IPv6 headers, fragments, IPv6 extension headers,
 * IPv4-mapped addresses in IPv6 headers and Ethernet padding
 */

#include <errno.h>
#include <netinet/in.h>

#include "checksum.h"
#include "pkt.h"
#include "unit.h"
#include "util.h"

#define ETH_HDR		14
#define IP4_HDR		20
#define IP6_HDR		40

static uint8_t f[2048];

/**
 * ip4_csum() - Set the IPv4 header checksum of the test frame
 * @h:		IPv4 header inside the test frame, 20 bytes
 */
static void ip4_csum(uint8_t *h)
{
	uint16_t sum;

	memset(h + 10, 0, 2);
	sum = csum_fold(csum_partial(h, IP4_HDR, 0));
	/* Already in network order, as csum_fold() returns it */
	memcpy(h + 10, &sum, sizeof(sum));
}

/**
 * eth() - Write an Ethernet header at the start of the test frame
 * @type:	EtherType
 */
static void eth(uint16_t type)
{
	memset(f, 0, sizeof(f));
	memset(f, 0xff, 6);
	memcpy(f + 6, "\x02\x00\x00\x00\x00\x99", 6);
	put_be16(f + 12, type);
}

/**
 * ip4() - Write an Ethernet and IPv4 header with a valid checksum
 * @proto:	Transport protocol
 * @l4_len:	Bytes after the IPv4 header, for the total length
 * @frag:	Flags and fragment offset field
 *
 * Return: frame length with the transport bytes, no padding
 */
static size_t ip4(uint8_t proto, size_t l4_len, uint16_t frag)
{
	uint8_t *h = f + ETH_HDR;

	eth(0x0800);
	h[0] = 0x45;
	put_be16(h + 2, (uint16_t)(IP4_HDR + l4_len));
	put_be16(h + 6, frag);
	h[8] = 64;
	h[9] = proto;
	memcpy(h + 12, "\xc0\x00\x02\x64\xc0\x00\x02\x01", 8);
	ip4_csum(h);

	return ETH_HDR + IP4_HDR + l4_len;
}

/**
 * ip6() - Write an Ethernet and IPv6 header
 * @nh:		Next header
 * @plen:	Payload length
 *
 * Return: frame length with the payload
 */
static size_t ip6(uint8_t nh, size_t plen)
{
	uint8_t *h = f + ETH_HDR;

	eth(0x86dd);
	h[0] = 0x60;
	put_be16(h + 4, (uint16_t)plen);
	h[6] = nh;
	h[7] = 255;
	memcpy(h + 8, "\x20\x01\x0d\xb8\x00\x01\x00\x00"
		      "\x00\x00\x00\x00\x00\x00\x00\x64", 16);
	memcpy(h + 24, "\x20\x01\x0d\xb8\x00\x01\x00\x00"
		       "\x00\x00\x00\x00\x00\x00\x00\x01", 16);

	return ETH_HDR + IP6_HDR + plen;
}

/**
 * pkt_eth_truncated() - Frames shorter than an Ethernet header are invalid
 */
static void pkt_eth_truncated(void)
{
	struct pkt p;

	eth(0x0806);
	UNIT_CHECK(pkt_parse(f, 0, &p) == EINVAL);
	UNIT_CHECK(pkt_parse(f, ETH_HDR - 1, &p) == EINVAL);
	UNIT_CHECK(pkt_parse(f, ETH_HDR, &p) == 0);
	UNIT_CHECK(p.ethertype == 0x0806 && p.l3_len == 0);
	UNIT_CHECK(p.src_mac == f + 6 && p.dst_mac == f);
}

/**
 * pkt_ethertype_other() - EtherTypes we don't handle are not supported
 */
static void pkt_ethertype_other(void)
{
	struct pkt p;

	eth(0x88cc);
	UNIT_CHECK(pkt_parse(f, 60, &p) == ENOTSUP);
}

/**
 * pkt_ip4_valid() - A valid IPv4 packet: addresses, protocol, L4 bounds
 */
static void pkt_ip4_valid(void)
{
	size_t len = ip4(IPPROTO_UDP, 8, 0x4000);
	union inany_addr src, dst;
	struct pkt p;

	inany_pton("192.0.2.100", &src);
	inany_pton("192.0.2.1", &dst);
	UNIT_CHECK(pkt_parse(f, len, &p) == 0);
	UNIT_CHECK(p.v4 && p.proto == IPPROTO_UDP && p.ttl == 64);
	UNIT_CHECK(inany_equals(&p.src, &src) && inany_equals(&p.dst, &dst));
	UNIT_CHECK(p.l3 == f + ETH_HDR && p.l3_len == IP4_HDR + 8);
	UNIT_CHECK(p.l4 == f + ETH_HDR + IP4_HDR && p.l4_len == 8);
}

/**
 * pkt_ip4_truncated() - IPv4 headers cut short are invalid
 */
static void pkt_ip4_truncated(void)
{
	size_t len = ip4(IPPROTO_ICMP, 0, 0);
	struct pkt p;

	UNIT_CHECK(pkt_parse(f, len - 1, &p) == EINVAL);
	UNIT_CHECK(pkt_parse(f, ETH_HDR, &p) == EINVAL);
	UNIT_CHECK(pkt_parse(f, len, &p) == 0);
	UNIT_CHECK(p.l4_len == 0);
}

/**
 * pkt_ip4_bad_ihl() - IHL below five words, or beyond the total length
 */
static void pkt_ip4_bad_ihl(void)
{
	uint8_t *h = f + ETH_HDR;
	size_t len;
	struct pkt p;

	len = ip4(IPPROTO_ICMP, 8, 0);
	h[0] = 0x44;
	ip4_csum(h);
	UNIT_CHECK(pkt_parse(f, len, &p) == EINVAL);

	/* Options claimed past the total length */
	len = ip4(IPPROTO_ICMP, 0, 0);
	h[0] = 0x46;
	UNIT_CHECK(pkt_parse(f, len + 4, &p) == EINVAL);

	/* Wrong version */
	len = ip4(IPPROTO_ICMP, 8, 0);
	h[0] = 0x65;
	UNIT_CHECK(pkt_parse(f, len, &p) == EINVAL);
}

/**
 * pkt_ip4_bad_length() - Total length beyond the frame, or below the header
 */
static void pkt_ip4_bad_length(void)
{
	uint8_t *h = f + ETH_HDR;
	size_t len = ip4(IPPROTO_ICMP, 8, 0);
	struct pkt p;

	/* Frame one byte shorter than the total length */
	UNIT_CHECK(pkt_parse(f, len - 1, &p) == EINVAL);

	put_be16(h + 2, IP4_HDR - 1);
	ip4_csum(h);
	UNIT_CHECK(pkt_parse(f, len, &p) == EINVAL);
}

/**
 * pkt_ip4_bad_checksum() - A wrong header checksum is invalid
 */
static void pkt_ip4_bad_checksum(void)
{
	size_t len = ip4(IPPROTO_ICMP, 8, 0);
	struct pkt p;

	f[ETH_HDR + 10] ^= 0x01;
	UNIT_CHECK(pkt_parse(f, len, &p) == EINVAL);
}

/**
 * pkt_ip4_fragments() - First, middle and last fragments are not supported
 */
static void pkt_ip4_fragments(void)
{
	struct pkt p;
	size_t len;

	len = ip4(IPPROTO_UDP, 8, 0x2000);		/* MF */
	UNIT_CHECK(pkt_parse(f, len, &p) == ENOTSUP);
	len = ip4(IPPROTO_UDP, 8, 0x2010);		/* MF, offset */
	UNIT_CHECK(pkt_parse(f, len, &p) == ENOTSUP);
	len = ip4(IPPROTO_UDP, 8, 0x0010);		/* last */
	UNIT_CHECK(pkt_parse(f, len, &p) == ENOTSUP);
	len = ip4(IPPROTO_UDP, 8, 0x4000);		/* DF only */
	UNIT_CHECK(pkt_parse(f, len, &p) == 0);
}

/**
 * pkt_ip4_padding() - Ethernet padding after the IPv4 packet is trimmed
 */
static void pkt_ip4_padding(void)
{
	size_t len = ip4(IPPROTO_ICMP, 8, 0);
	struct pkt p;

	UNIT_CHECK(len < 60);
	UNIT_CHECK(pkt_parse(f, 60, &p) == 0);
	UNIT_CHECK(p.frame_len == 60);
	UNIT_CHECK(p.l3_len == IP4_HDR + 8 && p.l4_len == 8);
}

/**
 * pkt_ip6_valid() - A valid IPv6 packet: addresses, protocol, hop limit
 */
static void pkt_ip6_valid(void)
{
	size_t len = ip6(IPPROTO_ICMPV6, 8);
	union inany_addr src;
	struct pkt p;

	inany_pton("2001:db8:1::64", &src);
	UNIT_CHECK(pkt_parse(f, len, &p) == 0);
	UNIT_CHECK(!p.v4 && p.proto == IPPROTO_ICMPV6 && p.ttl == 255);
	UNIT_CHECK(inany_equals(&p.src, &src));
	UNIT_CHECK(p.l4 == f + ETH_HDR + IP6_HDR && p.l4_len == 8);
}

/**
 * pkt_ip6_truncated() - IPv6 headers and payloads cut short are invalid
 */
static void pkt_ip6_truncated(void)
{
	size_t len = ip6(IPPROTO_ICMPV6, 8);
	struct pkt p;

	UNIT_CHECK(pkt_parse(f, ETH_HDR + IP6_HDR - 1, &p) == EINVAL);
	UNIT_CHECK(pkt_parse(f, len - 1, &p) == EINVAL);

	f[ETH_HDR] = 0x40;
	UNIT_CHECK(pkt_parse(f, len, &p) == EINVAL);
}

/**
 * pkt_ip6_padding() - Bytes after the payload length are trimmed
 */
static void pkt_ip6_padding(void)
{
	size_t len = ip6(IPPROTO_UDP, 8);
	struct pkt p;

	UNIT_CHECK(pkt_parse(f, len + 10, &p) == 0);
	UNIT_CHECK(p.l3_len == IP6_HDR + 8 && p.l4_len == 8);
}

/**
 * pkt_ip6_ext_headers() - Hop-by-hop, routing and destination options are
 * walked to the transport header
 */
static void pkt_ip6_ext_headers(void)
{
	uint8_t *e = f + ETH_HDR + IP6_HDR;
	size_t len = ip6(IPPROTO_HOPOPTS, 8 + 16 + 8 + 8);
	struct pkt p;

	e[0] = IPPROTO_ROUTING;		/* hop-by-hop, 8 bytes */
	e[1] = 0;
	e[8] = IPPROTO_DSTOPTS;		/* routing, 16 bytes */
	e[9] = 1;
	e[24] = IPPROTO_UDP;		/* destination options, 8 bytes */
	e[25] = 0;

	UNIT_CHECK(pkt_parse(f, len, &p) == 0);
	UNIT_CHECK(p.proto == IPPROTO_UDP);
	UNIT_CHECK(p.l4 == e + 32 && p.l4_len == 8);

	/* The routing header claims more than the payload holds */
	e[9] = 5;
	UNIT_CHECK(pkt_parse(f, len, &p) == EINVAL);
}

/**
 * pkt_ip6_ext_truncated() - An extension header cut short is invalid
 */
static void pkt_ip6_ext_truncated(void)
{
	size_t len = ip6(IPPROTO_HOPOPTS, 4);
	struct pkt p;

	UNIT_CHECK(pkt_parse(f, len, &p) == EINVAL);
	/* Even with bytes after the payload: those are padding */
	UNIT_CHECK(pkt_parse(f, len + 8, &p) == EINVAL);
}

/**
 * pkt_ip6_fragment() - A fragment header is not supported
 */
static void pkt_ip6_fragment(void)
{
	uint8_t *e = f + ETH_HDR + IP6_HDR;
	size_t len = ip6(IPPROTO_FRAGMENT, 16);
	struct pkt p;

	e[0] = IPPROTO_UDP;
	UNIT_CHECK(pkt_parse(f, len, &p) == ENOTSUP);
}

/**
 * pkt_ip6_v4mapped() - An IPv4-mapped source or destination is invalid,
 * whatever the transport, and so are both; an IPv4-compatible one is not
 */
static void pkt_ip6_v4mapped(void)
{
	static const uint8_t mapped[16] = {
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 100
	};
	static const uint8_t nh[] = { IPPROTO_UDP, IPPROTO_TCP,
				      IPPROTO_ICMPV6 };
	uint8_t *h = f + ETH_HDR;
	struct pkt p;
	size_t i, len;

	for (i = 0; i < ARRAY_SIZE(nh); i++) {
		len = ip6(nh[i], 20);
		memcpy(h + 8, mapped, 16);
		UNIT_CHECK(pkt_parse(f, len, &p) == EINVAL);

		len = ip6(nh[i], 20);
		memcpy(h + 24, mapped, 16);
		UNIT_CHECK(pkt_parse(f, len, &p) == EINVAL);

		memcpy(h + 8, mapped, 16);
		UNIT_CHECK(pkt_parse(f, len, &p) == EINVAL);
	}

	/* ::192.0.2.100 is not mapped: an inany takes it as IPv6 */
	len = ip6(IPPROTO_UDP, 20);
	memcpy(h + 8, mapped, 16);
	memset(h + 8 + 10, 0, 2);
	UNIT_CHECK(pkt_parse(f, len, &p) == 0 && !inany_v4(&p.src));
}

/**
 * main() - Run the cases
 *
 * Return: 0 if all passed
 */
int main(void)
{
	UNIT_RUN(pkt_eth_truncated);
	UNIT_RUN(pkt_ethertype_other);
	UNIT_RUN(pkt_ip4_valid);
	UNIT_RUN(pkt_ip4_truncated);
	UNIT_RUN(pkt_ip4_bad_ihl);
	UNIT_RUN(pkt_ip4_bad_length);
	UNIT_RUN(pkt_ip4_bad_checksum);
	UNIT_RUN(pkt_ip4_fragments);
	UNIT_RUN(pkt_ip4_padding);
	UNIT_RUN(pkt_ip6_valid);
	UNIT_RUN(pkt_ip6_truncated);
	UNIT_RUN(pkt_ip6_padding);
	UNIT_RUN(pkt_ip6_ext_headers);
	UNIT_RUN(pkt_ip6_ext_truncated);
	UNIT_RUN(pkt_ip6_fragment);
	UNIT_RUN(pkt_ip6_v4mapped);
	UNIT_EXIT();
}
