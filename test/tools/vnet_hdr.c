// SPDX-License-Identifier: GPL-2.0-or-later
/* test/tools/vnet_hdr.c - the virtio-net header where a TAP device and a
 * guest's virtio-net driver read it differently
 *
 * A virtio-net driver takes VIRTIO_NET_HDR_F_DATA_VALID as "checksums
 * verified" and never looks at them; a TAP device ignores that flag, and
 * the kernel behind it verifies every checksum. What a TAP does take
 * without verifying is a partial checksum, VIRTIO_NET_HDR_F_NEEDS_CSUM,
 * which local delivery accepts as it stands. So a bridge that stands in
 * for a guest marks TCP and UDP frames that way.
 */

#include <endian.h>
#include <linux/if_ether.h>

#include "vnet_hdr.h"

#define IP_TCP		6
#define IP_UDP		17

/**
 * vnet_hdr_partial() - Mark a TCP or UDP frame as carrying a partial
 *			checksum, with its start and offset
 * @h:		virtio-net header of the frame, updated
 * @frame:	Ethernet frame, at least its headers
 * @len:	Bytes of @frame available
 *
 * hdr_len covers the transport header: the TAP device keeps that much in
 * the buffer the checksum fields are looked up in.
 *
 * Return: true if marked, false if the frame is not TCP or UDP over IPv4
 *	   (unfragmented) or IPv6 (without extension headers), or its
 *	   headers are not all in @len
 */
bool vnet_hdr_partial(struct virtio_net_hdr *h, const uint8_t *frame,
		      size_t len)
{
	size_t l3 = ETH_HLEN, l4, l4_len;
	uint16_t csum_offset;
	uint8_t proto;

	if (len < ETH_HLEN)
		return false;

	switch (frame[12] << 8 | frame[13]) {
	case ETH_P_IP:
		if (len < l3 + 20 || (frame[l3] >> 4) != 4)
			return false;
		l4 = l3 + (size_t)(frame[l3] & 0xf) * 4;
		if (l4 < l3 + 20)
			return false;
		/* Fragments: no transport header, or only in the first */
		if ((frame[l3 + 6] & 0x3f) || frame[l3 + 7])
			return false;
		proto = frame[l3 + 9];
		break;
	case ETH_P_IPV6:
		if (len < l3 + 40 || (frame[l3] >> 4) != 6)
			return false;
		l4 = l3 + 40;
		proto = frame[l3 + 6];
		break;
	default:
		return false;
	}

	if (proto == IP_TCP) {
		if (len < l4 + 20)
			return false;
		l4_len = (size_t)(frame[l4 + 12] >> 4) * 4;
		csum_offset = 16;
		if (l4_len < 20)
			return false;
	} else if (proto == IP_UDP) {
		l4_len = 8;
		csum_offset = 6;
	} else {
		return false;
	}
	if (len < l4 + l4_len)
		return false;

	h->flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	h->csum_start = htole16((uint16_t)l4);
	h->csum_offset = htole16(csum_offset);
	h->hdr_len = htole16((uint16_t)(l4 + l4_len));
	return true;
}
