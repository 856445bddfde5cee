/* SPDX-License-Identifier: GPL-2.0-or-later */
/* l2_capture.h - a fake front end for unit tests: frames the code under
 * test sends are copied here instead of reaching a guest, and helpers
 * build frames as the guest would send them
 */

#ifndef L2_CAPTURE_H
#define L2_CAPTURE_H

#include <net/ethernet.h>
#include <stdint.h>
#include <string.h>

#include "checksum.h"
#include "ctx.h"
#include "frame.h"
#include "l2.h"
#include "pkt.h"
#include "unit.h"

#define CAPTURE_FRAMES		64
#define CAPTURE_LEN		L2_MAX_LEN

/* Frames delivered, copied out of the rooms, and what each left to the
 * guest; partial checksums are finished, as a guest forwarding them would
 */
static uint8_t capture_buf[CAPTURE_FRAMES][CAPTURE_LEN];
static size_t capture_len[CAPTURE_FRAMES];
static struct l2_offload capture_off[CAPTURE_FRAMES];
static size_t capture_n;
/* What the fake guest takes, L2_OFF_* bits */
static unsigned capture_offloads;

/* Rooms lent: one buffer each, or buffers of capture_chunk bytes (at least
 * L2_HDR_ROOM) to exercise frames spread over several buffers
 */
static uint8_t capture_room_buf[CAPTURE_FRAMES][CAPTURE_LEN];
static struct l2_room capture_rooms[CAPTURE_FRAMES];
static bool capture_room_out[CAPTURE_FRAMES];
static size_t capture_chunk;
/* Refuse to lend (a full front end), and deliver at most this many frames
 * per flush (SIZE_MAX: all)
 */
static bool capture_refuse;
static size_t capture_deliver_max = SIZE_MAX;
/* Context the tests use, flushed before frames are looked at */
static struct ctx *capture_ctx;

static const uint8_t guest_mac[ETH_ALEN] = { 0x02, 0, 0, 0, 0, 0x01 };
static const uint8_t our_mac[ETH_ALEN] = { 0x9a, 0x55, 0x9a, 0x55, 0x9a, 0x55 };

/**
 * capture_lend() - Fake lend: rooms from a static pool
 * @c:		Execution context, unused
 * @rooms:	Room pointers, filled in
 * @n:		Rooms wanted
 * @size:	Bytes each
 *
 * Return: rooms lent
 */
static inline size_t capture_lend(struct ctx *c, struct l2_room **rooms,
				  size_t n, size_t size)
{
	size_t i, got = 0;

	(void)c;
	if (capture_refuse)
		return 0;

	for (i = 0; i < CAPTURE_FRAMES && got < n; i++) {
		struct l2_room *r = &capture_rooms[i];
		size_t off = 0;

		if (capture_room_out[i])
			continue;
		r->iovcnt = 0;
		while (off < size) {
			size_t len = capture_chunk ? capture_chunk : size;

			len = MIN(len, size - off);
			if (r->iovcnt == L2_ROOM_IOV_MAX)
				abort();
			r->iov[r->iovcnt].iov_base = capture_room_buf[i] + off;
			r->iov[r->iovcnt++].iov_len = len;
			off += len;
		}
		r->size = size;
		capture_room_out[i] = true;
		rooms[got++] = r;
	}

	return got;
}

/**
 * capture_room_back() - Mark a room as returned
 * @room:	Room from capture_lend()
 */
static inline void capture_room_back(const struct l2_room *room)
{
	size_t i = (size_t)(room - capture_rooms);

	if (i >= CAPTURE_FRAMES || !capture_room_out[i])
		abort();
	capture_room_out[i] = false;
}

/**
 * capture_give_back() - Fake give_back
 * @c:		Execution context, unused
 * @room:	Room
 */
static inline void capture_give_back(struct ctx *c, struct l2_room *room)
{
	(void)c;
	capture_room_back(room);
}

/**
 * capture_csum_finish() - Finish a partial checksum, as virtio-net says a
 *			   driver does: sum from the start given to the end,
 *			   the field included, and store the result in it
 * @frame:	Frame
 * @len:	Its length
 * @off:	Where the checksum starts and sits; abort() if outside
 */
static inline void capture_csum_finish(uint8_t *frame, size_t len,
				       const struct l2_offload *off)
{
	size_t at = (size_t)off->csum_start + off->csum_offset;
	uint16_t sum;

	if (off->csum_start >= len || at + 2 > len)
		abort();
	sum = csum_fold(csum_partial(frame + off->csum_start,
				     len - off->csum_start, 0));
	memcpy(frame + at, &sum, 2);
}

/**
 * capture_deliver() - Fake deliver: keep a copy of each frame
 * @c:		Execution context, unused
 * @rooms:	Committed rooms
 * @n:		Number of rooms
 *
 * Return: frames delivered, at most capture_deliver_max
 */
static inline size_t capture_deliver(struct ctx *c,
				     struct l2_room *const *rooms, size_t n)
{
	size_t f, sent = MIN(n, capture_deliver_max);

	(void)c;
	for (f = 0; f < n; f++) {
		const struct l2_room *r = rooms[f];
		size_t b, len = 0;

		capture_room_back(r);
		if (f >= sent)
			continue;
		if (capture_n >= CAPTURE_FRAMES)
			abort();
		for (b = 0; b < r->iovcnt && len < r->len; b++) {
			size_t take = MIN(r->iov[b].iov_len, r->len - len);

			memcpy(capture_buf[capture_n] + len,
			       r->iov[b].iov_base, take);
			len += take;
		}
		capture_off[capture_n] = r->off;
		if (r->off.needs_csum)
			capture_csum_finish(capture_buf[capture_n], len,
					    &r->off);
		capture_len[capture_n++] = len;
	}

	return sent;
}

/**
 * capture_offloads_get() - Fake offloads
 * @c:		Execution context, unused
 *
 * Return: capture_offloads
 */
static inline unsigned capture_offloads_get(const struct ctx *c)
{
	(void)c;
	return capture_offloads;
}

/**
 * capture_refusing() - Fake refusing
 * @c:		Execution context, unused
 *
 * Return: capture_refuse
 */
static inline bool capture_refusing(const struct ctx *c)
{
	(void)c;
	return capture_refuse;
}

static const struct l2_ops capture_ops = {
	.lend = capture_lend,
	.give_back = capture_give_back,
	.deliver = capture_deliver,
	.refusing = capture_refusing,
	.offloads = capture_offloads_get,
};

/**
 * capture_frames() - Number of frames delivered, after flushing what the
 *		      code under test committed
 *
 * Return: frames captured
 */
static inline size_t capture_frames(void)
{
	if (capture_ctx)
		l2_flush(capture_ctx);
	return capture_n;
}

/* Tests read the count as if it were a variable: every read flushes */
#define capture_count	capture_frames()

/**
 * capture_reset() - Forget captured frames, and lend normally again
 */
static inline void capture_reset(void)
{
	if (capture_ctx)
		l2_flush(capture_ctx);
	capture_n = 0;
	capture_chunk = 0;
	capture_refuse = false;
	capture_deliver_max = SIZE_MAX;
	capture_offloads = 0;
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
	/* Frames an earlier case left queued don't count for this one */
	capture_reset();
	memset(c, 0, sizeof(*c));
	capture_ctx = c;
	c->l2 = &capture_ops;
	memcpy(c->our_mac, our_mac, ETH_ALEN);
	memcpy(c->guest_mac, guest_mac, ETH_ALEN);
	c->mtu = MTU_DEFAULT;
	c->ip4.enabled = c->ip6.enabled = true;
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
