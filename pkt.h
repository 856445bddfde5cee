/* SPDX-License-Identifier: GPL-2.0-or-later */
/* pkt.h - validation and parsing of the guest's frames up to the start of
 * the transport header
 *
 * After pkt_parse() succeeds, every pointer and length in struct pkt lies
 * inside the frame, the IP header is complete, and the L4 length is the one
 * the IP header gives, not the frame's (padding excluded), and @v4 agrees
 * with the form of both addresses: an IPv6 packet with an IPv4-mapped
 * address is refused. Transport handlers still check their own header
 * length against @l4_len.
 */

#ifndef PKT_H
#define PKT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "inany.h"

/**
 * struct pkt - A parsed frame from the guest
 * @frame:	Start of the Ethernet frame
 * @frame_len:	Length of the frame
 * @src_mac:	Source MAC address
 * @dst_mac:	Destination MAC address
 * @ethertype:	EtherType, host order
 * @l3:		Start of the ARP or IP header
 * @l3_len:	Bytes from @l3 to the end of the IP packet (IP length, not
 *		frame length); for ARP, to the end of the frame
 * @v4:		IPv4 (otherwise IPv6), valid for IP packets
 * @src:	IP source address
 * @dst:	IP destination address
 * @ttl:	TTL or hop limit
 * @proto:	Transport protocol (after IPv6 extension headers)
 * @l4:		Start of the transport header
 * @l4_len:	Bytes from @l4 to the end of the IP packet
 * @needs_csum: The guest left the transport checksum to be done (and
 *		  so it isn't checked): set by ingress, from the front end
 * @gso_size:	UDP only: the payload holds datagrams of this size, which
 *		the guest left to us to split; 0 if it is one datagram
 */
struct pkt {
	const uint8_t *frame;
	size_t frame_len;
	const uint8_t *src_mac;
	const uint8_t *dst_mac;
	uint16_t ethertype;
	const uint8_t *l3;
	size_t l3_len;
	bool v4;
	union inany_addr src;
	union inany_addr dst;
	uint8_t ttl;
	uint8_t proto;
	const uint8_t *l4;
	size_t l4_len;
	bool needs_csum;
	uint16_t gso_size;
};

int pkt_parse(const void *frame, size_t len, struct pkt *p);

#endif /* PKT_H */
