// SPDX-License-Identifier: GPL-2.0-or-later
/* l2.c - frames to the guest through the attached front end: rooms lent by
 * the front end, committed frames queued until a flush, the capture file,
 * and telling the protocols when a front end that refused frames takes
 * them again
 *
 * Transitional, on the vhost-user branch only: l2_send_frames() still takes
 * finished frames from the protocols, and copies them into lent rooms for a
 * front end that only lends (vhost-user). The protocol conversion replaces
 * this file.
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

/* Committed rooms, in order, waiting for l2_flush() */
static struct l2_room *l2_queue[L2_QUEUE_MAX];
static size_t l2_queued;

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
 * l2_lend() - Borrow rooms for frames from the front end
 * @c:		Execution context
 * @rooms:	Rooms lent, filled in
 * @n:		Rooms wanted
 * @size:	Bytes each room must hold at least, at most L2_MAX_LEN
 *
 * Return: number of rooms lent, 0 if the front end takes no frames
 */
size_t l2_lend(struct ctx *c, struct l2_room **rooms, size_t n, size_t size)
{
	size_t got;

	if (!c->l2 || !c->l2->lend || !n || size > L2_MAX_LEN)
		return 0;

	got = c->l2->lend(c, rooms, n, size);
	if (!got && l2_queued) {
		/* Its rooms may all wait in our queue */
		l2_flush(c);
		got = c->l2 ? c->l2->lend(c, rooms, n, size) : 0;
	}

	return got;
}

/**
 * l2_give_back() - Return a room lent and not committed
 * @c:		Execution context
 * @room:	Room
 */
void l2_give_back(struct ctx *c, struct l2_room *room)
{
	if (c->l2 && c->l2->give_back)
		c->l2->give_back(c, room);
}

/**
 * l2_commit() - Queue the frame written into a room for the next flush
 * @c:		Execution context
 * @room:	Room, lent by l2_lend()
 * @len:	Length of the frame, 1 to @room->size
 * @tag:	What to tell the protocol if the frame is dropped, NULL if
 *		nothing
 */
void l2_commit(struct ctx *c, struct l2_room *room, size_t len,
	       const struct l2_tag *tag)
{
	if (!len || len > room->size) {
		debug_ratelimit("Frame of %zu bytes in a %zu-byte room",
				len, room->size);
		l2_give_back(c, room);
		return;
	}

	if (l2_queued == L2_QUEUE_MAX)
		l2_flush(c);

	room->len = len;
	room->tag = tag ? *tag : (struct l2_tag){ 0 };
	l2_queue[l2_queued++] = room;
}

/**
 * l2_refused() - Tell the protocols of frames that were not delivered
 * @c:		Execution context
 * @rooms:	Rooms of those frames, already taken back by the front end
 * @n:		Number of rooms
 */
static void l2_refused(struct ctx *c, struct l2_room *const *rooms, size_t n)
{
	struct l2_tag tags[L2_QUEUE_MAX];
	size_t i;

	/* Copied first: the rooms are the front end's again */
	for (i = 0; i < n; i++)
		tags[i] = rooms[i]->tag;
	for (i = 0; i < n; i++) {
		if (tags[i].refused)
			tags[i].refused(c, &tags[i]);
	}
}

/**
 * l2_flush() - Deliver the committed frames, capture them, tell the guest
 * @c:		Execution context
 */
void l2_flush(struct ctx *c)
{
	struct l2_room *rooms[L2_QUEUE_MAX];
	size_t n = l2_queued, sent, i;

	if (!n)
		return;
	l2_queued = 0;
	for (i = 0; i < n; i++)
		rooms[i] = l2_queue[i];

	if (!c->l2) {
		l2_refused(c, rooms, n);
		return;
	}

	/* Captured before delivery: after it, the rooms are the guest's */
	for (i = 0; i < n; i++) {
		struct iovec iov[L2_ROOM_IOV_MAX];
		size_t cnt = l2_room_iov(rooms[i], 0, rooms[i]->len, iov,
					 L2_ROOM_IOV_MAX);

		pcap_frame_iov(iov, cnt);
	}

	sent = c->l2->deliver(c, rooms, n);
	if (c->l2->notify)
		c->l2->notify(c);
	if (sent < n)
		l2_refused(c, rooms + sent, n - sent);
}

/**
 * l2_detach() - The front end goes away: drop the frames queued for it
 * @c:		Execution context
 */
void l2_detach(struct ctx *c)
{
	struct l2_room *rooms[L2_QUEUE_MAX];
	size_t n = l2_queued, i;

	for (i = 0; i < n; i++)
		rooms[i] = l2_queue[i];
	l2_queued = 0;
	for (i = 0; i < n && c->l2 && c->l2->give_back; i++)
		c->l2->give_back(c, rooms[i]);
	c->l2 = NULL;
}

/**
 * l2_room_write() - Copy bytes into a room
 * @room:	Room
 * @off:	Offset in the room
 * @buf:	Bytes
 * @len:	Number of bytes, fitting in the room from @off
 */
void l2_room_write(struct l2_room *room, size_t off, const void *buf,
		   size_t len)
{
	const uint8_t *src = buf;
	size_t i;

	for (i = 0; i < room->iovcnt && len; i++) {
		size_t n;

		if (off >= room->iov[i].iov_len) {
			off -= room->iov[i].iov_len;
			continue;
		}
		n = MIN(len, room->iov[i].iov_len - off);
		memcpy((uint8_t *)room->iov[i].iov_base + off, src, n);
		src += n;
		len -= n;
		off = 0;
	}
}

/**
 * l2_room_iov() - Buffers holding part of a room
 * @room:	Room
 * @off:	Offset of the part
 * @len:	Length of the part
 * @iov:	Buffers, filled in
 * @iov_max:	Room in @iov
 *
 * Return: number of buffers used
 */
size_t l2_room_iov(const struct l2_room *room, size_t off, size_t len,
		   struct iovec *iov, size_t iov_max)
{
	size_t i, cnt = 0;

	for (i = 0; i < room->iovcnt && len && cnt < iov_max; i++) {
		size_t n;

		if (off >= room->iov[i].iov_len) {
			off -= room->iov[i].iov_len;
			continue;
		}
		n = MIN(len, room->iov[i].iov_len - off);
		iov[cnt].iov_base = (uint8_t *)room->iov[i].iov_base + off;
		iov[cnt++].iov_len = n;
		len -= n;
		off = 0;
	}

	return cnt;
}

/**
 * l2_send_copied() - Transitional: copy finished frames into lent rooms
 * @c:			Execution context
 * @iov:		Buffers, see l2_send_frames()
 * @bufs_per_frame:	Buffers per frame, the prefix included
 * @frames:		Number of frames
 *
 * Return: number of frames delivered, in order from the first
 */
static size_t l2_send_copied(struct ctx *c, const struct iovec *iov,
			     size_t bufs_per_frame, size_t frames)
{
	struct l2_room *rooms[L2_QUEUE_MAX];
	size_t i, sent;

	l2_flush(c);
	if (frames > L2_QUEUE_MAX)
		frames = L2_QUEUE_MAX;
	for (i = 0; i < frames && c->l2; i++) {
		const struct iovec *f = iov + i * bufs_per_frame;
		size_t j, len = 0, off = 0;

		for (j = 1; j < bufs_per_frame; j++)
			len += f[j].iov_len;
		if (!len || len > L2_MAX_LEN ||
		    !c->l2->lend(c, &rooms[i], 1, len))
			break;
		for (j = 1; j < bufs_per_frame; j++) {
			l2_room_write(rooms[i], off, f[j].iov_base,
				      f[j].iov_len);
			off += f[j].iov_len;
		}
		rooms[i]->len = len;
		rooms[i]->tag = (struct l2_tag){ 0 };

		pcap_frame_iov(f + 1, bufs_per_frame - 1);
	}

	if (!i || !c->l2)
		return 0;
	sent = c->l2->deliver(c, rooms, i);
	if (c->l2->notify)
		c->l2->notify(c);
	return sent;
}

/**
 * l2_send_frames() - Transitional: send a batch of finished frames
 * @c:			Execution context
 * @iov:		Buffers: per frame, a struct l2_prefix, then the frame
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
	if (!c->l2->send_frames)
		return l2_send_copied(c, iov, bufs_per_frame, frames);

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
