/* SPDX-License-Identifier: GPL-2.0-or-later */
/* l2_capture.h - a fake front end for unit tests: frames the code under
 * test sends are copied here instead of reaching a guest, and helpers
 * build frames as the guest would send them
 */

#ifndef L2_CAPTURE_H
#define L2_CAPTURE_H

#include <net/ethernet.h>

#include "ctx.h"
#include "frame.h"
#include "l2.h"
#include "pkt.h"
#include "unit.h"

#define CAPTURE_FRAMES		8
#define CAPTURE_LEN		L2_MAX_LEN

static uint8_t capture_buf[CAPTURE_FRAMES][CAPTURE_LEN];
static size_t capture_len[CAPTURE_FRAMES];
static size_t capture_count;

static const uint8_t guest_mac[ETH_ALEN] = { 0x02, 0, 0, 0, 0, 0x01 };
static const uint8_t our_mac[ETH_ALEN] = { 0x9a, 0x55, 0x9a, 0x55, 0x9a, 0x55 };

/**
 * capture_send() - Fake send_frames: keep a copy of each frame
 * @c:			Execution context, unused
 * @iov:		Buffers, see struct l2_ops
 * @bufs_per_frame:	Buffers per frame, the prefix included
 * @frames:		Number of frames
 *
 * Return: @frames
 */
static inline size_t capture_send(struct ctx *c, struct iovec *iov,
				  size_t bufs_per_frame, size_t frames)
{
	size_t f, b;

	(void)c;
	for (f = 0; f < frames; f++) {
		size_t len = 0;
		uint8_t *dst;

		if (capture_count >= CAPTURE_FRAMES)
			abort();
		dst = capture_buf[capture_count];
		for (b = 1; b < bufs_per_frame; b++) {
			const struct iovec *v = &iov[f * bufs_per_frame + b];

			if (len + v->iov_len > CAPTURE_LEN)
				abort();
			memcpy(dst + len, v->iov_base, v->iov_len);
			len += v->iov_len;
		}
		capture_len[capture_count++] = len;
	}

	return frames;
}

static const struct l2_ops capture_ops = { .send_frames = capture_send };

/**
 * capture_reset() - Forget captured frames
 */
static inline void capture_reset(void)
{
	capture_count = 0;
}

/**
 * capture_parse() - Parse a captured frame
 * @i:		Index of the frame
 * @p:		Result
 *
 * Return: true if the frame exists and parses
 */
static inline bool capture_parse(size_t i, struct pkt *p)
{
	if (i >= capture_count)
		return false;
	return !pkt_parse(capture_buf[i], capture_len[i], p);
}

/**
 * test_ctx_init() - Set up a context attached to the fake front end
 * @c:		Execution context to reset
 */
static inline void test_ctx_init(struct ctx *c)
{
	memset(c, 0, sizeof(*c));
	c->l2 = &capture_ops;
	memcpy(c->our_mac, our_mac, ETH_ALEN);
	memcpy(c->guest_mac, guest_mac, ETH_ALEN);
	c->mtu = MTU_DEFAULT;
	c->ip4.enabled = c->ip6.enabled = true;
	capture_reset();
}

/**
 * guest_frame_fix_macs() - Turn a frame we built into one from the guest
 * @frame:	Frame written by frame_ip() or frame_udp()
 */
static inline void guest_frame_fix_macs(uint8_t *frame)
{
	if (frame[0] != 0x33)
		memcpy(frame, our_mac, ETH_ALEN);
	memcpy(frame + ETH_ALEN, guest_mac, ETH_ALEN);
}

#endif /* L2_CAPTURE_H */
