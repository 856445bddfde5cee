/* SPDX-License-Identifier: GPL-2.0-or-later */
/* frame.h - building the frames we send to the guest: Ethernet, IPv4 or
 * IPv6, and TCP, UDP, ICMP or ICMPv6 headers with their checksums
 *
 * A protocol writes its payload where frame_l4_off() or frame_udp_off()
 * say, then one call fills in every header in front of it.
 */

#ifndef FRAME_H
#define FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "inany.h"

struct ctx;

#define FRAME_ETH_HLEN		14
#define FRAME_IP4_HLEN		20
#define FRAME_IP6_HLEN		40
#define FRAME_UDP_HLEN		8
#define FRAME_TCP_HLEN		20
/* Where each transport header keeps its checksum */
#define FRAME_UDP_CSUM_OFF	6
#define FRAME_TCP_CSUM_OFF	16
/* Shortest Ethernet frame without its FCS: shorter ones are zero padded */
#define FRAME_MIN_LEN		60

/**
 * frame_l4_off() - Offset of the transport header in a frame we build
 * @v4:		IPv4 (otherwise IPv6)
 *
 * Return: offset from the start of the Ethernet header
 */
static inline size_t frame_l4_off(bool v4)
{
	return FRAME_ETH_HLEN + (v4 ? FRAME_IP4_HLEN : FRAME_IP6_HLEN);
}

/**
 * frame_udp_off() - Offset of the UDP payload in a frame we build
 * @v4:		IPv4 (otherwise IPv6)
 *
 * Return: offset from the start of the Ethernet header
 */
static inline size_t frame_udp_off(bool v4)
{
	return frame_l4_off(v4) + FRAME_UDP_HLEN;
}

/**
 * struct frame_tcp_hdr - Fields of a TCP header we send, host order
 * @sport:	Source port
 * @dport:	Destination port
 * @seq:	Sequence number
 * @ack:	Acknowledgement number, 0 without TCP_ACK
 * @wnd:	Window field, as sent
 * @flags:	TCP flags
 * @opt_len:	Length of the options after the header, a multiple of 4
 */
struct frame_tcp_hdr {
	uint16_t sport;
	uint16_t dport;
	uint32_t seq;
	uint32_t ack;
	uint16_t wnd;
	uint8_t flags;
	uint8_t opt_len;
};

size_t frame_eth(const struct ctx *c, uint8_t *buf, const uint8_t *dst_mac,
		 uint16_t ethertype);
size_t frame_l3(const struct ctx *c, uint8_t *buf, const uint8_t *dst_mac,
		bool v4, const union inany_addr *src,
		const union inany_addr *dst, uint8_t proto, uint8_t ttl,
		size_t l4_len);
size_t frame_ip(const struct ctx *c, uint8_t *buf, const uint8_t *dst_mac,
		bool v4, const union inany_addr *src,
		const union inany_addr *dst, uint8_t proto, uint8_t ttl,
		size_t l4_len);
size_t frame_udp_hdr(const struct ctx *c, uint8_t *buf,
		     const uint8_t *dst_mac, bool v4,
		     const union inany_addr *src, uint16_t sport,
		     const union inany_addr *dst, uint16_t dport,
		     const struct iovec *payload, size_t cnt, bool csum);
size_t frame_udp(const struct ctx *c, uint8_t *buf, const uint8_t *dst_mac,
		 bool v4, const union inany_addr *src, uint16_t sport,
		 const union inany_addr *dst, uint16_t dport, size_t len);

void frame_tcp(uint8_t *buf, bool v4, const union inany_addr *src,
	       const union inany_addr *dst, const struct frame_tcp_hdr *th,
	       const struct iovec *payload, size_t cnt, bool csum);

#endif /* FRAME_H */
