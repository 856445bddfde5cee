// SPDX-License-Identifier: GPL-2.0-or-later
/* frame.c - building the frames we send to the guest: Ethernet, IPv4 or
 * IPv6, and TCP, UDP, ICMP or ICMPv6 headers with their checksums: one
 * builder for each header, whoever sends the frame
 *
 * Headers are written byte by byte: a frame's IP header sits two bytes past
 * a four-byte boundary, so no header structure is ever cast onto it.
 */

#include <net/ethernet.h>
#include <netinet/in.h>

#include "checksum.h"
#include "ctx.h"
#include "frame.h"
#include "l2.h"
#include "util.h"

/**
 * frame_eth() - Write the Ethernet header of a frame to the guest
 * @c:		Execution context
 * @buf:	Frame, at least FRAME_ETH_HLEN bytes
 * @dst_mac:	Destination MAC address, NULL for the guest's
 * @ethertype:	EtherType, host order
 *
 * Return: length of the header
 */
size_t frame_eth(const struct ctx *c, uint8_t *buf, const uint8_t *dst_mac,
		 uint16_t ethertype)
{
	l2_eth_header(c, buf, ethertype);
	if (dst_mac)
		memcpy(buf, dst_mac, ETH_ALEN);

	return FRAME_ETH_HLEN;
}

/**
 * frame_csum_off() - Where a transport protocol keeps its checksum
 * @proto:	Transport protocol
 *
 * Return: offset of the checksum in the transport header, 0 if we don't
 *	   fill it in
 */
static size_t frame_csum_off(uint8_t proto)
{
	switch (proto) {
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		return 2;
	default:
		return 0;
	}
}

/**
 * frame_l3() - Write the Ethernet and IP headers of a frame to the guest
 * @c:		Execution context
 * @buf:	Frame, at least frame_l4_off(@v4) bytes
 * @dst_mac:	Destination MAC address, NULL for the guest's (or, for an
 *		IPv6 multicast destination, the matching multicast MAC)
 * @v4:		IPv4, else IPv6
 * @src:	Source address, of that family
 * @dst:	Destination address, of that family
 * @proto:	Transport protocol
 * @ttl:	TTL or hop limit
 * @l4_len:	Length of the transport header and payload
 *
 * Return: offset of the transport header
 */
size_t frame_l3(const struct ctx *c, uint8_t *buf, const uint8_t *dst_mac,
		bool v4, const union inany_addr *src,
		const union inany_addr *dst, uint8_t proto, uint8_t ttl,
		size_t l4_len)
{
	uint8_t mcast_mac[ETH_ALEN] = { 0x33, 0x33 };
	uint8_t *ip = buf + FRAME_ETH_HLEN;

	if (v4) {
		uint16_t csum;

		frame_eth(c, buf, dst_mac, ETHERTYPE_IP);
		memset(ip, 0, FRAME_IP4_HLEN);
		ip[0] = 0x45;
		put_be16(ip + 2, (uint16_t)(FRAME_IP4_HLEN + l4_len));
		put_be16(ip + 6, 0x4000);	/* Don't Fragment */
		ip[8] = ttl;
		ip[9] = proto;
		memcpy(ip + 12, &src->v4mapped.a4, 4);
		memcpy(ip + 16, &dst->v4mapped.a4, 4);
		csum = csum_fold(csum_partial(ip, FRAME_IP4_HLEN, 0));
		memcpy(ip + 10, &csum, sizeof(csum));
		return FRAME_ETH_HLEN + FRAME_IP4_HLEN;
	}

	/* RFC 2464, 7: IPv6 multicast maps onto 33:33 and the low 32 bits */
	if (!dst_mac && IN6_IS_ADDR_MULTICAST(&dst->a6)) {
		memcpy(mcast_mac + 2, &dst->a6.s6_addr[12], 4);
		dst_mac = mcast_mac;
	}

	frame_eth(c, buf, dst_mac, ETHERTYPE_IPV6);
	put_be32(ip, 6U << 28);
	put_be16(ip + 4, (uint16_t)l4_len);
	ip[6] = proto;
	ip[7] = ttl;
	memcpy(ip + 8, &src->a6, 16);
	memcpy(ip + 24, &dst->a6, 16);
	return FRAME_ETH_HLEN + FRAME_IP6_HLEN;
}

/**
 * frame_ip() - Write the Ethernet and IP headers and the transport checksum
 *		of a frame held in one buffer
 * @c:		Execution context
 * @buf:	Frame, with the transport header and payload already at
 *		frame_l4_off(), and room for at least FRAME_MIN_LEN bytes
 * @dst_mac:	Destination MAC address, NULL as for frame_l3()
 * @v4:		IPv4 header, from the last four bytes of each address;
 *		otherwise IPv6
 * @src:	Source address
 * @dst:	Destination address
 * @proto:	Transport protocol: ICMP and ICMPv6 get their checksum
 *		computed, with the checksum field in @buf ignored
 * @ttl:	TTL or hop limit
 * @l4_len:	Length of the transport header and payload
 *
 * Return: length of the frame, padded to FRAME_MIN_LEN
 */
size_t frame_ip(const struct ctx *c, uint8_t *buf, const uint8_t *dst_mac,
		bool v4, const union inany_addr *src,
		const union inany_addr *dst, uint8_t proto, uint8_t ttl,
		size_t l4_len)
{
	size_t l4_off = frame_l4_off(v4), csum_off, len;
	uint8_t *l4 = buf + l4_off;

	csum_off = frame_csum_off(proto);
	if (csum_off) {
		uint16_t csum;

		memset(l4 + csum_off, 0, 2);
		if (proto == IPPROTO_ICMP)
			csum = csum_fold(csum_partial(l4, l4_len, 0));
		else
			csum = csum_l4(v4, src, dst, proto, l4, l4_len);
		memcpy(l4 + csum_off, &csum, sizeof(csum));
	}

	frame_l3(c, buf, dst_mac, v4, src, dst, proto, ttl, l4_len);

	len = l4_off + l4_len;
	if (len < FRAME_MIN_LEN) {
		memset(buf + len, 0, FRAME_MIN_LEN - len);
		len = FRAME_MIN_LEN;
	}

	return len;
}

/**
 * frame_tcp() - Write the TCP header of a segment to the guest, and its
 *		 checksum over the header and the payload
 * @buf:	Transport header, TCP_HLEN bytes plus @opt_len
 * @v4:		IPv4, else IPv6
 * @src:	Source address, of that family
 * @dst:	Destination address, of that family
 * @th:		Header fields; @th->opt_len bytes of options follow the
 *		20-byte header in @buf already
 * @payload:	Payload buffers, in order
 * @cnt:	Number of buffers
 * @csum:	The whole checksum; otherwise the pseudo-header's alone, a
 *		partial checksum for the guest to finish (L2_OFF_CSUM)
 */
void frame_tcp(uint8_t *buf, bool v4, const union inany_addr *src,
	       const union inany_addr *dst, const struct frame_tcp_hdr *th,
	       const struct iovec *payload, size_t cnt, bool csum)
{
	size_t hlen = FRAME_TCP_HLEN + th->opt_len, plen = 0, i;
	uint32_t sum;

	for (i = 0; i < cnt; i++)
		plen += payload[i].iov_len;

	put_be16(buf, th->sport);
	put_be16(buf + 2, th->dport);
	put_be32(buf + 4, th->seq);
	put_be32(buf + 8, th->ack);
	buf[12] = (uint8_t)((hlen / 4) << 4);
	buf[13] = th->flags;
	put_be16(buf + 14, th->wnd);
	memset(buf + 16, 0, 4);

	sum = csum_pseudo(v4, src, dst, IPPROTO_TCP, hlen + plen);
	if (!csum) {
		/* Folded, not inverted: the guest sums over it */
		memcpy(buf + 16, &(uint16_t){ (uint16_t)~csum_fold(sum) }, 2);
		return;
	}
	sum = csum_partial(buf, hlen, sum);
	sum = csum_iov(payload, cnt, sum);
	memcpy(buf + 16, &(uint16_t){ csum_fold(sum) }, 2);
}

/**
 * frame_udp_hdr() - Write every header of a UDP datagram to the guest, in
 *		     front of a payload held in buffers
 * @c:		Execution context
 * @buf:	Frame, at least frame_udp_off() bytes for the headers
 * @dst_mac:	Destination MAC address, NULL as for frame_l3()
 * @v4:		IPv4, as for frame_ip(); otherwise IPv6
 * @src:	Source address
 * @sport:	Source port, host order
 * @dst:	Destination address
 * @dport:	Destination port, host order
 * @payload:	Payload buffers, in order
 * @cnt:	Number of buffers
 * @csum:	The whole checksum; otherwise the pseudo-header's alone, a
 *		partial checksum for the guest to finish (L2_OFF_CSUM)
 *
 * Return: length of the frame, headers and payload
 */
size_t frame_udp_hdr(const struct ctx *c, uint8_t *buf,
		     const uint8_t *dst_mac, bool v4,
		     const union inany_addr *src, uint16_t sport,
		     const union inany_addr *dst, uint16_t dport,
		     const struct iovec *payload, size_t cnt, bool csum)
{
	uint8_t *uh = buf + frame_l4_off(v4);
	size_t len = FRAME_UDP_HLEN, i;
	uint16_t sum16;
	uint32_t sum;

	for (i = 0; i < cnt; i++)
		len += payload[i].iov_len;

	put_be16(uh, sport);
	put_be16(uh + 2, dport);
	put_be16(uh + 4, (uint16_t)len);
	memset(uh + 6, 0, 2);

	sum = csum_pseudo(v4, src, dst, IPPROTO_UDP, len);
	if (csum) {
		sum = csum_partial(uh, FRAME_UDP_HLEN, sum);
		sum16 = csum_fold(csum_iov(payload, cnt, sum));
		/* RFC 768: a computed zero is sent as all ones */
		if (!sum16)
			sum16 = 0xffff;
	} else {
		/* Folded, not inverted: the guest sums over it */
		sum16 = (uint16_t)~csum_fold(sum);
	}
	memcpy(uh + 6, &sum16, sizeof(sum16));

	return frame_l3(c, buf, dst_mac, v4, src, dst, IPPROTO_UDP, 64, len) +
	       len;
}

/**
 * frame_udp() - Write every header of a UDP datagram to the guest, held in
 *		 one buffer
 * @c:		Execution context
 * @buf:	Frame, with the payload already at frame_udp_off(), and room
 *		for at least FRAME_MIN_LEN bytes
 * @dst_mac:	Destination MAC address, NULL as for frame_l3()
 * @v4:		IPv4, as for frame_ip(); otherwise IPv6
 * @src:	Source address
 * @sport:	Source port, host order
 * @dst:	Destination address
 * @dport:	Destination port, host order
 * @len:	Length of the payload
 *
 * Return: length of the frame, padded to FRAME_MIN_LEN
 */
size_t frame_udp(const struct ctx *c, uint8_t *buf, const uint8_t *dst_mac,
		 bool v4, const union inany_addr *src, uint16_t sport,
		 const union inany_addr *dst, uint16_t dport, size_t len)
{
	const struct iovec payload = {
		.iov_base = buf + frame_udp_off(v4),
		.iov_len = len,
	};
	size_t flen;

	flen = frame_udp_hdr(c, buf, dst_mac, v4, src, sport, dst, dport,
			     &payload, 1, true);
	if (flen < FRAME_MIN_LEN) {
		memset(buf + flen, 0, FRAME_MIN_LEN - flen);
		flen = FRAME_MIN_LEN;
	}

	return flen;
}
