// SPDX-License-Identifier: GPL-2.0-or-later
/* l2.c - frames to the guest: room lent by the attached front end, the
 * queue of committed frames until the flush, the capture of delivered
 * frames, and telling the protocols when frames were refused or when a
 * front end that refused frames takes them again
 *
 * The queue holds pointers to the front end's rooms, which stay valid until
 * the flush, so that nothing is copied on the way.
 */

#include <net/ethernet.h>
#include <string.h>

#include "ctx.h"
#include "l2.h"
#include "log.h"
#include "pcap.h"
#include "util.h"

/* Protocols that want to hear when the front end takes frames again */
#define L2_WRITABLE_MAX		4

static l2_writable_fn l2_writable_fns[L2_WRITABLE_MAX];
static unsigned l2_writable_count;

/* Committed rooms, in order, until the next flush */
static struct l2_room *l2_queue[L2_QUEUE_MAX];
static size_t l2_queued;

/* Room for single frames from other protocols: the same lending path */
static struct l2_room *l2_single_room;

/**
 * l2_refusing() - Does the front end refuse frames until it calls
 *		   l2_writable()?
 * @c:		Execution context
 *
 * Return: true while frames would not be taken (no front end attached
 *	   counts as refusing: attaching one calls l2_writable()), so that a
 *	   protocol reads nothing it would have to roll back
 */
bool l2_refusing(const struct ctx *c)
{
	return !c->l2 || (c->l2->refusing && c->l2->refusing(c));
}

/**
 * l2_lend() - Borrow room for frames from the front end
 * @c:		Execution context
 * @rooms:	Room pointers, filled in
 * @n:		Rooms wanted
 * @size:	Bytes each room should hold, at most L2_MAX_LEN
 *
 * A front end whose own room is all lent or queued gets the queue flushed
 * first, which may hand refused frames back to their protocols.
 *
 * Return: rooms lent, fewer than @n (or none) if the front end has less
 */
size_t l2_lend(struct ctx *c, struct l2_room **rooms, size_t n, size_t size)
{
	size_t got;

	ASSERT(size <= L2_MAX_LEN);

	if (!c->l2 || !n)
		return 0;

	/* Every room lent here must fit the queue once committed */
	if (l2_queued + n > L2_QUEUE_MAX)
		l2_flush(c);
	n = MIN(n, L2_QUEUE_MAX - l2_queued);

	got = c->l2->lend(c, rooms, n, size);
	if (!got && l2_queued) {
		l2_flush(c);
		if (c->l2)
			got = c->l2->lend(c, rooms, n, size);
	}

	return got;
}

/**
 * l2_give_back() - Return a room that holds no frame
 * @c:		Execution context
 * @room:	Room from l2_lend(), not committed
 */
void l2_give_back(struct ctx *c, struct l2_room *room)
{
	if (c->l2)
		c->l2->give_back(c, room);
}

/**
 * l2_offload_allowed() - Does the guest take what a frame leaves to it?
 * @c:		Execution context
 * @off:	What the frame leaves to the guest
 *
 * Return: true if the front end offers each part, and a large segment
 *	   has its checksum left partial, as segmenting needs
 */
static bool l2_offload_allowed(const struct ctx *c,
			       const struct l2_offload *off)
{
	unsigned have = l2_offloads(c);

	if (off->needs_csum && !(have & L2_OFF_CSUM))
		return false;
	switch (off->gso) {
	case L2_GSO_NONE:
		return true;
	case L2_GSO_TCPV4:
		return (have & L2_OFF_TSO4) && off->needs_csum;
	case L2_GSO_TCPV6:
		return (have & L2_OFF_TSO6) && off->needs_csum;
	default:
		return false;
	}
}

/**
 * l2_commit() - Queue the frame written into a room, for the next flush
 * @c:		Execution context
 * @room:	Room from l2_lend()
 * @len:	Length of the frame, 1 to the room's size
 * @tag:	What to hand back if the frame isn't delivered, NULL if
 *		nothing
 * @off:	What the frame leaves to the guest, only as l2_offloads()
 *		allows; NULL for nothing
 */
void l2_commit(struct ctx *c, struct l2_room *room, size_t len,
	       const struct l2_tag *tag, const struct l2_offload *off)
{
	ASSERT(len && len <= room->size);
	ASSERT(l2_queued < L2_QUEUE_MAX);
	ASSERT(!off || l2_offload_allowed(c, off));

	room->len = len;
	if (tag)
		room->tag = *tag;
	else
		room->tag = (struct l2_tag){ .refused = NULL };
	if (off)
		room->off = *off;
	else
		room->off = (struct l2_offload){ .gso = L2_GSO_NONE };
	l2_queue[l2_queued++] = room;
}

/**
 * l2_offloads() - What the attached front end's guest may be left to do
 * @c:		Execution context
 *
 * Return: L2_OFF_* bits, 0 without a front end or with one that takes
 *	   none
 */
unsigned l2_offloads(const struct ctx *c)
{
	if (!c->l2 || !c->l2->offloads)
		return 0;
	return c->l2->offloads(c);
}

/**
 * l2_room_fit() - Shorten a frame that would take a buffer for a few bytes
 * @c:		Execution context
 * @room:	Room lent
 * @len:	Length of the frame wanted, at most the room's size
 * @min:	Shortest frame worth sending
 *
 * The guest's receive buffers come in a ring of fixed size: a frame that
 * spills a few bytes into one more buffer takes a whole buffer for them,
 * and the ring holds fewer frames. A protocol that may end a frame
 * anywhere in its data (TCP) asks before it reads, and the bytes left out
 * go in the next frame.
 *
 * Return: length to use, from @min to @len
 */
size_t l2_room_fit(const struct ctx *c, const struct l2_room *room,
		   size_t len, size_t min)
{
	size_t fit;

	if (!c->l2 || !c->l2->fit || min >= len)
		return len;

	fit = c->l2->fit(room, len);
	return fit >= min && fit <= len ? fit : len;
}

/**
 * l2_capture() - Copy a delivered frame to the capture file
 * @room:	Room holding the frame
 */
static void l2_capture(const struct l2_room *room)
{
	struct iovec iov[L2_ROOM_IOV_MAX];
	size_t n;

	n = l2_room_iov(room, 0, room->len, iov, ARRAY_SIZE(iov));
	pcap_frame_iov(iov, n);
}

/**
 * l2_refused() - Hand frames that weren't delivered back to their protocols
 * @c:		Execution context
 * @from:	First undelivered entry of the queue
 */
static void l2_refused(struct ctx *c, size_t from)
{
	size_t i;

	for (i = from; i < l2_queued; i++) {
		const struct l2_tag *tag = &l2_queue[i]->tag;

		if (tag->refused)
			tag->refused(c, tag);
	}
}

/**
 * l2_flush() - Deliver the committed frames to the guest
 * @c:		Execution context
 */
void l2_flush(struct ctx *c)
{
	size_t sent, i;

	if (!l2_queued)
		return;

	if (!c->l2) {
		l2_refused(c, 0);
		l2_queued = 0;
		return;
	}

	sent = c->l2->deliver(c, l2_queue, l2_queued);
	ASSERT(sent <= l2_queued);

	for (i = 0; i < sent; i++)
		l2_capture(l2_queue[i]);
	if (sent < l2_queued) {
		debug_ratelimit("Front end took %zu of %zu frames", sent,
				l2_queued);
		l2_refused(c, sent);
	}
	l2_queued = 0;

	if (c->l2->notify)
		c->l2->notify(c);
}

/**
 * l2_detach() - Forget the frames queued for a front end that goes away
 * @c:		Execution context, the front end still set
 *
 * Their protocols hear of them as refused, and send them again to the next
 * front end.
 */
void l2_detach(struct ctx *c)
{
	l2_refused(c, 0);
	l2_queued = 0;
}

/**
 * l2_room_write() - Copy bytes into a room
 * @room:	Room
 * @off:	Offset in the room
 * @buf:	Bytes to copy
 * @len:	Their length: @off + @len at most the room's size
 */
void l2_room_write(struct l2_room *room, size_t off, const void *buf,
		   size_t len)
{
	const uint8_t *p = buf;
	size_t i;

	ASSERT(off + len <= room->size);

	for (i = 0; i < room->iovcnt && len; i++) {
		size_t n;

		if (off >= room->iov[i].iov_len) {
			off -= room->iov[i].iov_len;
			continue;
		}
		n = MIN(len, room->iov[i].iov_len - off);
		memcpy((uint8_t *)room->iov[i].iov_base + off, p, n);
		p += n;
		len -= n;
		off = 0;
	}
}

/**
 * l2_room_iov() - Describe bytes of a room as buffers, to read or write
 *		   them with one system call
 * @room:	Room
 * @off:	Offset in the room
 * @len:	Bytes: @off + @len at most the room's size
 * @iov:	Buffers, filled in
 * @iov_max:	Room in @iov, at least the room's buffer count
 *
 * Return: number of buffers used
 */
size_t l2_room_iov(const struct l2_room *room, size_t off, size_t len,
		   struct iovec *iov, size_t iov_max)
{
	size_t i, n = 0;

	ASSERT(off + len <= room->size);

	for (i = 0; i < room->iovcnt && len; i++) {
		size_t take;

		if (off >= room->iov[i].iov_len) {
			off -= room->iov[i].iov_len;
			continue;
		}
		ASSERT(n < iov_max);
		take = MIN(len, room->iov[i].iov_len - off);
		iov[n].iov_base = (uint8_t *)room->iov[i].iov_base + off;
		iov[n++].iov_len = take;
		len -= take;
		off = 0;
	}

	return n;
}

/**
 * l2_send_single() - Queue one frame held in one buffer, copying it into
 *		      room from the front end
 * @c:		Execution context
 * @frame:	Ethernet frame
 * @len:	Length of @frame, at most L2_MAX_LEN
 *
 * Return: 1 if queued, 0 if the front end has no room (the frame is lost:
 *	   only protocols that resend on their own use this)
 */
size_t l2_send_single(struct ctx *c, const void *frame, size_t len)
{
	if (!len || len > L2_MAX_LEN ||
	    !l2_lend(c, &l2_single_room, 1, len))
		return 0;

	l2_room_write(l2_single_room, 0, frame, len);
	l2_commit(c, l2_single_room, len, NULL, NULL);

	return 1;
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
	ASSERT(l2_writable_count < L2_WRITABLE_MAX);
	l2_writable_fns[l2_writable_count++] = fn;
}

/**
 * l2_writable() - The front end takes frames again, or a new one attached:
 *		   let the protocols send what waited
 * @c:		Execution context
 */
void l2_writable(struct ctx *c)
{
	unsigned i;

	for (i = 0; i < l2_writable_count; i++)
		l2_writable_fns[i](c);
}
