// SPDX-License-Identifier: GPL-2.0-or-later
/* l2.c - sending Ethernet frames to the guest through the attached front
 * end, copying them to the capture file, and telling the protocols when a
 * front end that refused frames takes them again
 */

#include <net/ethernet.h>

#include "ctx.h"
#include "l2.h"
#include "log.h"
#include "pcap.h"

/* Protocols that want to hear when the front end takes frames again */
#define L2_WRITABLE_MAX		4

static l2_writable_fn l2_writable_fns[L2_WRITABLE_MAX];
static unsigned l2_writable_count;

/**
 * l2_refusing() - Does the front end refuse frames until it calls
 *		   l2_writable()?
 * @c:		Execution context
 *
 * Return: true while frames would not be taken: a protocol then reads
 *	   nothing it would have to roll back, and waits for l2_writable()
 */
bool l2_refusing(const struct ctx *c)
{
	return c->l2 && c->l2->refusing && c->l2->refusing(c);
}

/**
 * l2_send_frames() - Send a batch of frames to the guest
 * @c:			Execution context
 * @iov:		Buffers, see struct l2_ops
 * @bufs_per_frame:	Buffers per frame, the prefix included
 * @frames:		Number of frames
 *
 * Return: number of frames sent; with no front end attached, all of them
 *	   count as sent and are dropped
 */
size_t l2_send_frames(struct ctx *c, struct iovec *iov, size_t bufs_per_frame,
		      size_t frames)
{
	size_t sent, i;

	if (!c->l2 || !frames)
		return frames;

	sent = c->l2->send_frames(c, iov, bufs_per_frame, frames);

	for (i = 0; i < sent; i++)
		pcap_frame_iov(iov + i * bufs_per_frame + 1,
			       bufs_per_frame - 1);

	return sent;
}

/**
 * l2_send_single() - Send one frame held in one buffer
 * @c:		Execution context
 * @frame:	Ethernet frame
 * @len:	Length of @frame
 *
 * Return: 1 if sent, 0 if not
 */
size_t l2_send_single(struct ctx *c, const void *frame, size_t len)
{
	struct l2_prefix prefix;
	struct iovec iov[2] = {
		{ .iov_base = &prefix, .iov_len = 0 },
		{ .iov_base = (void *)frame, .iov_len = len },
	};

	return l2_send_frames(c, iov, 2, 1);
}

/**
 * l2_eth_header() - Write an Ethernet header from us to the guest
 * @c:		Execution context
 * @eth:	Header to write, ETH_HLEN bytes
 * @ethertype:	EtherType, host order
 */
void l2_eth_header(const struct ctx *c, void *eth, uint16_t ethertype)
{
	struct ether_header *eh = eth;

	memcpy(eh->ether_dhost, c->guest_mac, ETH_ALEN);
	memcpy(eh->ether_shost, c->our_mac, ETH_ALEN);
	eh->ether_type = htons(ethertype);
}

/**
 * l2_on_writable() - Register a protocol's handler for l2_writable()
 * @fn:		Handler
 */
void l2_on_writable(l2_writable_fn fn)
{
	if (l2_writable_count == L2_WRITABLE_MAX)
		die("Too many handlers for a writable front end");
	l2_writable_fns[l2_writable_count++] = fn;
}

/**
 * l2_writable() - The front end takes frames again: let the protocols send
 *		   what it refused
 * @c:		Execution context
 */
void l2_writable(struct ctx *c)
{
	unsigned i;

	for (i = 0; i < l2_writable_count; i++)
		l2_writable_fns[i](c);
}
