/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ingress.h - frames from the guest, whichever front end carried them:
 * validation, capture, learning the guest's addresses, and dispatch to the
 * protocol handlers
 */

#ifndef INGRESS_H
#define INGRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

struct ctx;

/* Segmentation a frame from the guest leaves to us (virtio-net's) */
enum ingress_gso {
	INGRESS_GSO_NONE = 0,
	INGRESS_GSO_TCPV4,	/* a TCP segment of many, IPv4 */
	INGRESS_GSO_TCPV6,	/* the same, IPv6 */
	INGRESS_GSO_UDP,	/* UDP datagrams of @gso_size, in one */
};

/**
 * struct ingress_offload - What a frame from the guest leaves to us, as
 *			    its front end says: checked against the frame
 *			    before anything uses it
 * @gso:		enum ingress_gso
 * @gso_size:		Size of each segment or datagram, with @gso
 * @needs_csum:	The transport checksum is partial: not to be checked
 * @csum_start:		Offset in the frame where checksumming starts
 * @csum_offset:	Offset of the checksum from @csum_start
 */
struct ingress_offload {
	uint8_t gso;
	uint16_t gso_size;
	bool needs_csum;
	uint16_t csum_start;
	uint16_t csum_offset;
};

unsigned ingress_frames(struct ctx *c, const struct iovec *frames,
			const struct ingress_offload *off, size_t n);

#endif /* INGRESS_H */
