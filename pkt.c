// SPDX-License-Identifier: GPL-2.0-or-later
/* pkt.c - validation and parsing of the guest's frames: Ethernet, then ARP,
 * IPv4 (no fragments, no bad header checksums) or IPv6 (extension headers
 * skipped, no IPv4-mapped addresses)
 */

#include <errno.h>
#include <stddef.h>
#include <net/ethernet.h>
#include <netinet/ip.h>
#include <netinet/ip6.h>

#include "checksum.h"
#include "log.h"
#include "pkt.h"
#include "util.h"

/**
 * pkt_parse_ip4() - Parse an IPv4 header
 * @p:		Packet, with @l3 and @l3_len covering the rest of the frame
 *
 * Return: 0 on success, EINVAL for a malformed header, ENOTSUP for fragments
 */
static int pkt_parse_ip4(struct pkt *p)
{
	const uint8_t *h = p->l3;
	size_t ihl, tot_len;

	if (p->l3_len < sizeof(struct iphdr))
		return EINVAL;
	if ((h[0] >> 4) != 4)
		return EINVAL;

	ihl = (size_t)(h[0] & 0x0f) * 4;
	tot_len = get_be16(h + 2);
	if (ihl < sizeof(struct iphdr) || tot_len < ihl ||
	    tot_len > p->l3_len)
		return EINVAL;
	if (csum_fold(csum_partial(h, ihl, 0)) != 0)
		return EINVAL;

	/* More fragments, or a non-zero offset: we don't reassemble */
	if (get_be16(h + 6) & 0x3fff)
		return ENOTSUP;

	p->v4 = true;
	p->l3_len = tot_len;
	p->ttl = h[8];
	p->proto = h[9];
	inany_from_v4(&p->src, *(const struct in_addr *)(const void *)(h + 12));
	inany_from_v4(&p->dst, *(const struct in_addr *)(const void *)(h + 16));
	p->l4 = h + ihl;
	p->l4_len = tot_len - ihl;

	return 0;
}

/**
 * pkt_parse_ip6() - Parse an IPv6 header and skip its extension headers
 * @p:		Packet, with @l3 and @l3_len covering the rest of the frame
 *
 * Return: 0 on success, EINVAL for a malformed header or an IPv4-mapped
 *	   address, ENOTSUP for fragments
 */
static int pkt_parse_ip6(struct pkt *p)
{
	const uint8_t *h = p->l3;
	size_t plen, off;
	uint8_t nh;

	if (p->l3_len < sizeof(struct ip6_hdr))
		return EINVAL;
	if ((h[0] >> 4) != 6)
		return EINVAL;

	plen = get_be16(h + 4);
	if (sizeof(struct ip6_hdr) + plen > p->l3_len)
		return EINVAL;

	p->v4 = false;
	p->l3_len = sizeof(struct ip6_hdr) + plen;
	p->ttl = h[7];
	memcpy(&p->src.a6, h + 8, sizeof(p->src.a6));
	memcpy(&p->dst.a6, h + 24, sizeof(p->dst.a6));

	/* An inany holds IPv4 as ::ffff:a.b.c.d: such an address in an IPv6
	 * header would be taken for IPv4 (RFC 4291, 2.5.5.2: the form stands
	 * for an IPv4 node, not for an address on an IPv6 link)
	 */
	if (IN6_IS_ADDR_V4MAPPED(&p->src.a6) ||
	    IN6_IS_ADDR_V4MAPPED(&p->dst.a6)) {
		debug_ratelimit("Dropping IPv6 packet from guest with an "
				"IPv4-mapped %s address",
				IN6_IS_ADDR_V4MAPPED(&p->src.a6) ?
				"source" : "destination");
		return EINVAL;
	}

	nh = h[6];
	off = sizeof(struct ip6_hdr);
	for (;;) {
		size_t ext_len;

		switch (nh) {
		case IPPROTO_HOPOPTS:
		case IPPROTO_ROUTING:
		case IPPROTO_DSTOPTS:
			if (off + 8 > p->l3_len)
				return EINVAL;
			ext_len = ((size_t)h[off + 1] + 1) * 8;
			break;
		case IPPROTO_FRAGMENT:
			return ENOTSUP;
		default:
			p->proto = nh;
			p->l4 = h + off;
			p->l4_len = p->l3_len - off;
			return 0;
		}

		if (off + ext_len > p->l3_len)
			return EINVAL;
		nh = h[off];
		off += ext_len;
	}
}

/**
 * pkt_parse() - Validate a frame and find its headers
 * @frame:	Ethernet frame
 * @len:	Length of @frame
 * @p:		Result, valid only on success
 *
 * Return: 0 on success, EINVAL for a malformed frame (an IPv6 packet with
 *	   an IPv4-mapped address included), ENOTSUP for one we don't handle
 *	   (fragments, other EtherTypes)
 */
int pkt_parse(const void *frame, size_t len, struct pkt *p)
{
	const uint8_t *f = frame;

	memset(p, 0, sizeof(*p));
	if (len < ETH_HLEN)
		return EINVAL;

	p->frame = f;
	p->frame_len = len;
	p->dst_mac = f;
	p->src_mac = f + ETH_ALEN;
	p->ethertype = get_be16(f + offsetof(struct ether_header, ether_type));
	p->l3 = f + ETH_HLEN;
	p->l3_len = len - ETH_HLEN;

	switch (p->ethertype) {
	case ETHERTYPE_ARP:
		return 0;
	case ETHERTYPE_IP:
		return pkt_parse_ip4(p);
	case ETHERTYPE_IPV6:
		return pkt_parse_ip6(p);
	default:
		return ENOTSUP;
	}
}
