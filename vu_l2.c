// SPDX-License-Identifier: GPL-2.0-or-later
/* vu_l2.c - the vhost-user front end's frame path: the struct l2_ops that
 * lends the protocols the guest's receive buffers, and the transmit queue,
 * whose frames go to ingress
 *
 * Receive: each room is made of descriptor chains from the receive queue,
 * its first buffer starting after the virtio-net header. With mergeable
 * buffers a room spans as many chains as its size needs, without them one
 * chain must hold it all. A protocol may shorten a frame that would use
 * only a few bytes of the last chain, leaving it out (vu_fit()). A frame
 * committed shorter than its room leaves chains at the end of the room
 * unused, and a room given back leaves all of its chains unused: such
 * chains are kept, in the order they were taken from the ring, and lent
 * again first. Those taken last go straight back to the ring (its index is
 * rewound); when the ring stops, any others are returned to the guest as
 * used, empty, so that none is ever lost.
 *
 * Delivery writes the header (num_buffers, the chains used; if the guest
 * took VIRTIO_NET_F_GUEST_CSUM, NEEDS_CSUM where the protocol left the
 * checksum partial, which the guest finishes only if it forwards the
 * frame, DATA_VALID otherwise; a large TCP segment's type and size if it
 * took GUEST_TSO4/6) and the used entries; notify() publishes the used index
 * and signals the guest unless it asked not to hear yet. With no buffers
 * left, we ask for a kick and refuse frames until the guest posts more.
 *
 * Transmit: on a kick, chains are taken in batches, bounded per pass, and
 * their frames handed to ingress, with what their header leaves to us (a
 * partial checksum, a large segment to take whole, UDP datagrams to
 * split), each field checked against the frame and the features taken: a
 * header that doesn't fit drops its frame, counted. A frame in one buffer
 * is read in place in guest memory, a frame the guest split over several
 * buffers is copied into one of ours first. Then the chains go back as
 * used, and the guest is signalled.
 */

#include <endian.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "arp.h"
#include "ctx.h"
#include "ingress.h"
#include "l2.h"
#include "log.h"
#include "ndp.h"
#include "util.h"
#include "virtio.h"
#include "vu_l2.h"

/* Rooms lent or committed at once, at most */
#define VU_ROOMS		(L2_QUEUE_MAX + 64)

/* Descriptor chains one room may span: one buffer each, at least */
#define VU_ROOM_CHAINS		L2_ROOM_IOV_MAX

/* Segments of one descriptor chain we can take */
#define VU_CHAIN_SEGS		128

/* Transmit: chains per batch handed to ingress, chains per kick before we
 * let the main loop run again, and room for frames split over buffers
 */
#define VU_TX_BATCH		256
#define VU_TX_BUDGET		1024
#define VU_TX_BOUNCE		(4UL << 20)

/**
 * struct vu_room - A room and the receive chains it is made of
 * @room:	What the protocols see: must come first
 * @gpa:	Guest address of each buffer in @room.iov, for the log
 * @bytes:	Bytes of @room each chain holds
 * @hdr:	Where the virtio-net header goes: the first bytes of the
 *		first chain, in at most one segment per byte
 * @head:	First descriptor of each chain
 * @pos:	Entry of the available ring each chain came from
 * @nhdr:	Segments in @hdr
 * @nchains:	Chains in the room
 */
struct vu_room {
	struct l2_room room;
	uint64_t gpa[L2_ROOM_IOV_MAX];
	size_t bytes[VU_ROOM_CHAINS];
	struct virtq_seg hdr[VIRTIO_NET_HDR_LEN];
	uint16_t head[VU_ROOM_CHAINS];
	uint16_t pos[VU_ROOM_CHAINS];
	unsigned nhdr;
	unsigned nchains;
};

/**
 * struct vu_spare - A receive chain taken from the ring, not in a room
 * @head:	First descriptor
 * @pos:	Entry of the available ring it came from
 */
struct vu_spare {
	uint16_t head;
	uint16_t pos;
};

static struct virtio_dev *vu_dev;	/* Attached device, NULL if none */

static struct vu_room vu_rooms[VU_ROOMS];
static struct vu_room *vu_rooms_free[VU_ROOMS];
static unsigned vu_rooms_free_count;

/* Spare receive chains, oldest first */
static struct vu_spare vu_spare[VIRTQ_SIZE_MAX];
static unsigned vu_spare_count;

static bool vu_rx_refused;	/* Refused frames, waiting for buffers */
static bool vu_rx_probed;	/* Asked for the guest's addresses */

static struct virtq_seg vu_seg[VU_CHAIN_SEGS];

static uint8_t vu_tx_bounce[VU_TX_BOUNCE];
/* Frames dropped for a virtio-net header that doesn't fit them */
static unsigned long vu_tx_bad_hdr;

static size_t vu_lend(struct ctx *c, struct l2_room **rooms, size_t n,
		      size_t size);
static void vu_give_back(struct ctx *c, struct l2_room *room);
static size_t vu_deliver(struct ctx *c, struct l2_room *const *rooms,
			 size_t n);
static void vu_notify(struct ctx *c);
static bool vu_refusing(const struct ctx *c);
static unsigned vu_offloads(const struct ctx *c);
static size_t vu_fit(const struct l2_room *room, size_t len);

static const struct l2_ops vu_l2_ops = {
	.lend = vu_lend,
	.give_back = vu_give_back,
	.deliver = vu_deliver,
	.notify = vu_notify,
	.refusing = vu_refusing,
	.offloads = vu_offloads,
	.fit = vu_fit,
};

/**
 * vu_rxq() - The receive queue of the attached device
 *
 * Return: queue
 */
static struct virtq *vu_rxq(void)
{
	return &vu_dev->vq[VIRTIO_NET_RXQ];
}

/**
 * vu_rx_usable() - Can we fill the receive queue?
 *
 * Return: true if a device is attached, its receive queue ready and enabled
 */
static bool vu_rx_usable(void)
{
	return vu_dev && virtq_ready(vu_rxq()) && vu_rxq()->enabled;
}

/**
 * vu_spare_age() - How long ago a chain was taken from the ring
 * @s:		Spare chain
 *
 * Return: entries taken since, counting itself: 1 for the last one
 */
static unsigned vu_spare_age(const struct vu_spare *s)
{
	return (uint16_t)(vu_rxq()->last_avail - s->pos);
}

/**
 * vu_spare_rewind() - Put spare chains taken last back into the ring
 */
static void vu_spare_rewind(void)
{
	while (vu_spare_count &&
	       vu_spare_age(&vu_spare[vu_spare_count - 1]) == 1) {
		virtq_rewind(vu_rxq(), 1);
		vu_spare_count--;
	}
}

/**
 * vu_spare_add() - Keep an unused receive chain for the next room
 * @head:	First descriptor
 * @pos:	Entry of the available ring it came from
 */
static void vu_spare_add(uint16_t head, uint16_t pos)
{
	struct vu_spare s = { .head = head, .pos = pos };
	unsigned i = vu_spare_count, age = vu_spare_age(&s);

	/* Oldest first: we find our place from the newest end */
	while (i && vu_spare_age(&vu_spare[i - 1]) < age)
		i--;
	memmove(vu_spare + i + 1, vu_spare + i,
		(vu_spare_count - i) * sizeof(vu_spare[0]));
	vu_spare[i] = s;
	vu_spare_count++;
}

/**
 * vu_chain_next() - Take the next receive chain: a spare one, or a new one
 *		     from the ring
 * @head:	First descriptor, set on success
 * @pos:	Entry of the available ring it came from, set on success
 *
 * Return: 0 on success, ENOENT if there is none, EINVAL if the ring broke
 */
static int vu_chain_next(uint16_t *head, uint16_t *pos)
{
	int rc;

	if (vu_spare_count) {
		*head = vu_spare[0].head;
		*pos = vu_spare[0].pos;
		vu_spare_count--;
		memmove(vu_spare, vu_spare + 1,
			vu_spare_count * sizeof(vu_spare[0]));
		return 0;
	}

	rc = virtq_pop(vu_rxq(), head);
	if (!rc)
		*pos = (uint16_t)(vu_rxq()->last_avail - 1);
	return rc;
}

/**
 * vu_room_clear() - Empty a room of its chains, keeping nothing
 * @r:		Room
 */
static void vu_room_clear(struct vu_room *r)
{
	r->room.iovcnt = 0;
	r->room.size = 0;
	r->room.len = 0;
	r->nhdr = 0;
	r->nchains = 0;
}

/**
 * vu_room_unfill() - Keep the chains of a room for the next one
 * @r:		Room, emptied
 */
static void vu_room_unfill(struct vu_room *r)
{
	unsigned k;

	for (k = 0; k < r->nchains; k++)
		vu_spare_add(r->head[k], r->pos[k]);
	vu_spare_rewind();
	vu_room_clear(r);
}

/**
 * vu_room_drop() - Return the chains of a room to the guest, unused
 * @r:		Room, emptied
 */
static void vu_room_drop(struct vu_room *r)
{
	unsigned k;

	for (k = 0; k < r->nchains; k++)
		virtq_used_put(vu_dev, vu_rxq(), r->head[k], 0);
	vu_room_clear(r);
}

/**
 * vu_room_add_chain() - Add the buffers of a receive chain to a room
 * @r:		Room
 * @head:	First descriptor of the chain
 * @pos:	Entry of the available ring it came from
 * @seg:	Segments of the chain, all writable
 * @nseg:	Number of segments
 *
 * The first chain starts with the virtio-net header. Buffers past the most
 * a room holds are left unused.
 *
 * Return: true if the header fit in the first chain
 */
static bool vu_room_add_chain(struct vu_room *r, uint16_t head, uint16_t pos,
			      const struct virtq_seg *seg, size_t nseg)
{
	unsigned k = r->nchains++;
	size_t skip = k ? 0 : VIRTIO_NET_HDR_LEN, i;

	r->head[k] = head;
	r->pos[k] = pos;
	r->bytes[k] = 0;

	for (i = 0; i < nseg; i++) {
		struct virtq_seg s = seg[i];
		struct iovec *iov;

		if (skip) {
			size_t n = MIN(skip, s.len);

			r->hdr[r->nhdr] = s;
			r->hdr[r->nhdr++].len = n;
			s.p += n;
			s.gpa += n;
			s.len -= n;
			skip -= n;
			if (!s.len)
				continue;
		}

		if (r->room.iovcnt == L2_ROOM_IOV_MAX)
			break;
		iov = &r->room.iov[r->room.iovcnt];
		iov->iov_base = s.p;
		iov->iov_len = s.len;
		r->gpa[r->room.iovcnt++] = s.gpa;
		r->bytes[k] += s.len;
		r->room.size += s.len;
	}

	return !skip;
}

/**
 * vu_room_fill() - Make a room of receive chains
 * @r:		Room, empty
 * @size:	Bytes the room must hold at least
 * @dropped:	Set if chains went back to the guest unused
 *
 * Chains that can't be part of any room (readable buffers, too many
 * segments, too small without mergeable buffers, a first buffer too short
 * for the headers) go back to the guest as used and empty.
 *
 * Return: 0 on success, ENOENT if the ring ran dry (the chains taken are
 *	   kept), EINVAL if it broke
 */
static int vu_room_fill(struct vu_room *r, size_t size, bool *dropped)
{
	bool mrg = virtio_has(vu_dev, VIRTIO_NET_F_MRG_RXBUF);
	struct virtq *vq = vu_rxq();

	for (;;) {
		uint16_t head, pos;
		size_t nseg, i;
		int rc;

		if (r->nchains && r->room.size >= size) {
			const struct iovec *first = &r->room.iov[0];

			if (r->room.iovcnt &&
			    first->iov_len >= MIN(L2_HDR_ROOM, r->room.size))
				return 0;

			debug_ratelimit("vhost-user: receive buffer too short "
					"for headers");
			vu_room_drop(r);
			*dropped = true;
			continue;
		}

		if (r->nchains == VU_ROOM_CHAINS ||
		    r->room.iovcnt == L2_ROOM_IOV_MAX ||
		    (!mrg && r->nchains)) {
			debug_ratelimit("vhost-user: receive buffers of %zu "
					"bytes can't hold a %zu-byte frame",
					r->room.size, size);
			vu_room_drop(r);
			*dropped = true;
			continue;
		}

		rc = vu_chain_next(&head, &pos);
		if (rc) {
			if (rc == ENOENT)
				vu_room_unfill(r);
			return rc;
		}

		rc = virtq_chain(vu_dev, vq, head, vu_seg, VU_CHAIN_SEGS,
				 &nseg);
		if (rc == EINVAL)
			return rc;
		for (i = 0; !rc && i < nseg; i++) {
			if (!vu_seg[i].write)
				rc = EINVAL;
		}

		/* A header that doesn't fit can only be the first chain's */
		if (rc || !vu_room_add_chain(r, head, pos, vu_seg, nseg)) {
			debug_ratelimit("vhost-user: unusable receive chain");
			if (!rc)
				vu_room_clear(r);
			virtq_used_put(vu_dev, vq, head, 0);
			*dropped = true;
		}
	}
}

/**
 * vu_lend_rooms() - Lend rooms of receive chains
 * @rooms:	Rooms lent, set
 * @n:		Rooms wanted
 * @size:	Bytes each room must hold at least
 * @dropped:	Set if chains went back to the guest unused
 *
 * Return: number of rooms lent
 */
static size_t vu_lend_rooms(struct l2_room **rooms, size_t n, size_t size,
			    bool *dropped)
{
	size_t i;

	for (i = 0; i < n && vu_rooms_free_count; i++) {
		struct vu_room *r = vu_rooms_free[vu_rooms_free_count - 1];

		vu_room_clear(r);
		if (vu_room_fill(r, size, dropped))
			break;

		vu_rooms_free_count--;
		rooms[i] = &r->room;
	}

	return i;
}

/**
 * vu_lend() - Lend rooms in the guest's receive buffers, see struct l2_ops
 * @c:		Execution context, unused
 * @rooms:	Rooms lent, set
 * @n:		Rooms wanted
 * @size:	Bytes each room must hold at least
 *
 * Return: number of rooms lent
 */
static size_t vu_lend(struct ctx *c, struct l2_room **rooms, size_t n,
		      size_t size)
{
	bool dropped = false, none_out = vu_rooms_free_count == VU_ROOMS;
	size_t lent = 0;

	(void)c;

	if (vu_rx_usable()) {
		lent = vu_lend_rooms(rooms, n, size, &dropped);

		/* Dry: ask for a kick, then look again, as the guest may
		 * have posted buffers before it saw the request
		 */
		if (!lent && none_out && vu_rx_usable()) {
			virtq_kick_enable(vu_dev, vu_rxq(), true);
			lent = vu_lend_rooms(rooms, n, size, &dropped);
			if (lent && vu_rx_usable())
				virtq_kick_enable(vu_dev, vu_rxq(), false);
		}

		if (dropped && vu_rx_usable()) {
			virtq_used_publish(vu_dev, vu_rxq());
			virtq_signal(vu_dev, vu_rxq());
			virtio_log_signal(vu_dev);
		}
	}

	if (!lent && none_out && !vu_rx_refused) {
		vu_rx_refused = true;
		debug_ratelimit("vhost-user: no receive buffers, frames wait "
				"for the guest");
	}
	return lent;
}

/**
 * vu_fit() - Leave out the room's last chain if a frame would barely use
 *	      it, see struct l2_ops
 * @room:	Room lent
 * @len:	Length of the frame wanted
 *
 * A 64 KiB segment and its headers overrun sixteen 4 KiB buffers by a few
 * bytes: without them, the frame ends with the sixteenth, and the
 * seventeenth goes to the next room (see vu_room_deliver()).
 *
 * Return: @len, or the bytes of the chains before the one @len would end
 *	   in, if it would use at most an eighth of that one
 */
static size_t vu_fit(const struct l2_room *room, size_t len)
{
	const struct vu_room *r = (const struct vu_room *)room;
	size_t end = 0;
	unsigned k;

	for (k = 0; k < r->nchains; k++) {
		if (len <= end + r->bytes[k]) {
			if (k && len - end <= r->bytes[k] / 8)
				return end;
			break;
		}
		end += r->bytes[k];
	}

	return len;
}

/**
 * vu_room_put() - Take a room back into the pool
 * @r:		Room, emptied
 */
static void vu_room_put(struct vu_room *r)
{
	vu_rooms_free[vu_rooms_free_count++] = r;
}

/**
 * vu_give_back() - Take back a room lent and not committed
 * @c:		Execution context, unused
 * @room:	Room
 */
static void vu_give_back(struct ctx *c, struct l2_room *room)
{
	struct vu_room *r = (struct vu_room *)room;

	(void)c;

	if (vu_dev)
		vu_room_unfill(r);
	vu_room_put(r);
}

/**
 * vu_room_deliver() - Hand the guest the frame written in a room
 * @r:		Room, with a frame of 1 to @r->room.size bytes
 */
static void vu_room_deliver(struct vu_room *r)
{
	const struct l2_offload *off = &r->room.off;
	struct virtio_net_hdr_v1 hdr = { 0 };
	uint32_t written[VU_ROOM_CHAINS];
	const uint8_t *h = (const uint8_t *)&hdr;
	size_t left = r->room.len, i;
	unsigned k, used = 0;

	for (k = 0; k < r->nchains; k++) {
		size_t n;

		if (k && !left) {
			vu_spare_add(r->head[k], r->pos[k]);
			continue;
		}
		n = MIN(left, r->bytes[k]);
		left -= n;
		written[used++] = (uint32_t)n + (k ? 0 : VIRTIO_NET_HDR_LEN);
	}

	hdr.num_buffers = htole16((uint16_t)used);
	if (off->needs_csum) {
		hdr.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
		hdr.csum_start = htole16(off->csum_start);
		hdr.csum_offset = htole16(off->csum_offset);
	} else if (virtio_has(vu_dev, VIRTIO_NET_F_GUEST_CSUM)) {
		hdr.flags = VIRTIO_NET_HDR_F_DATA_VALID;
	}
	if (off->gso != L2_GSO_NONE) {
		hdr.gso_type = off->gso == L2_GSO_TCPV4 ?
			       VIRTIO_NET_HDR_GSO_TCPV4 :
			       VIRTIO_NET_HDR_GSO_TCPV6;
		hdr.gso_size = htole16(off->gso_size);
		hdr.hdr_len = htole16(off->hdr_len);
	}
	for (i = 0; i < r->nhdr; i++) {
		memcpy(r->hdr[i].p, h, r->hdr[i].len);
		virtio_log_write(vu_dev, r->hdr[i].gpa, r->hdr[i].len);
		h += r->hdr[i].len;
	}

	for (i = 0, left = r->room.len; i < r->room.iovcnt && left; i++) {
		size_t n = MIN(left, r->room.iov[i].iov_len);

		virtio_log_write(vu_dev, r->gpa[i], n);
		left -= n;
	}

	for (k = 0; k < used; k++)
		virtq_used_put(vu_dev, vu_rxq(), r->head[k], written[k]);

	/* The buffers stay described until the room is lent again: the
	 * frame is captured from them after delivery
	 */
	r->nchains = 0;
	vu_spare_rewind();
}

/**
 * vu_deliver() - Hand the guest committed frames, see struct l2_ops
 * @c:		Execution context, unused
 * @rooms:	Rooms, each with a frame
 * @n:		Number of rooms
 *
 * Return: number of frames delivered: all of them, unless the receive
 *	   queue stopped being usable, which drops the rest
 */
static size_t vu_deliver(struct ctx *c, struct l2_room *const *rooms,
			 size_t n)
{
	size_t i, sent = 0;

	(void)c;

	for (i = 0; i < n; i++) {
		struct vu_room *r = (struct vu_room *)rooms[i];

		if (vu_rx_usable() && sent == i) {
			vu_room_deliver(r);
			sent++;
		} else {
			vu_room_clear(r);
		}
		vu_room_put(r);
	}

	return sent;
}

/**
 * vu_notify() - Publish delivered frames, signal the guest, see
 *		 struct l2_ops
 * @c:		Execution context, unused
 */
static void vu_notify(struct ctx *c)
{
	(void)c;

	if (!vu_dev || !virtq_ready(vu_rxq()))
		return;

	virtq_used_publish(vu_dev, vu_rxq());
	virtq_signal(vu_dev, vu_rxq());
	virtio_log_signal(vu_dev);
}

/**
 * vu_offloads() - What the guest may be left to do, see struct l2_ops
 * @c:		Execution context, unused
 *
 * Return: L2_OFF_CSUM with VIRTIO_NET_F_GUEST_CSUM, and with that
 *	   L2_OFF_TSO4 and L2_OFF_TSO6 for GUEST_TSO4 and GUEST_TSO6
 */
static unsigned vu_offloads(const struct ctx *c)
{
	unsigned off = 0;

	(void)c;

	if (!vu_dev || !virtio_has(vu_dev, VIRTIO_NET_F_GUEST_CSUM))
		return 0;

	off |= L2_OFF_CSUM;
	if (virtio_has(vu_dev, VIRTIO_NET_F_GUEST_TSO4))
		off |= L2_OFF_TSO4;
	if (virtio_has(vu_dev, VIRTIO_NET_F_GUEST_TSO6))
		off |= L2_OFF_TSO6;

	return off;
}

/**
 * vu_refusing() - Are frames refused until the guest posts buffers?
 * @c:		Execution context, unused
 *
 * Return: true from a refusal until l2_writable()
 */
static bool vu_refusing(const struct ctx *c)
{
	(void)c;
	return vu_rx_refused;
}

/**
 * vu_rx_has_buffers() - Do we have receive chains to lend?
 *
 * Return: true if spare chains are kept, or the guest posted new ones
 */
static bool vu_rx_has_buffers(void)
{
	unsigned count = 0;

	return vu_spare_count || (!virtq_pending(vu_rxq(), &count) && count);
}

/**
 * vu_rx_check() - After a refusal, take frames again once there are
 *		   buffers
 * @c:		Execution context
 */
static void vu_rx_check(struct ctx *c)
{
	if (!vu_rx_refused || !vu_rx_usable())
		return;

	/* Still dry: make sure a kick comes, and look once more */
	if (!vu_rx_has_buffers()) {
		virtq_kick_enable(vu_dev, vu_rxq(), true);
		if (!vu_rx_has_buffers())
			return;
	}

	vu_rx_refused = false;
	virtq_kick_enable(vu_dev, vu_rxq(), false);
	l2_writable(c);
}

/**
 * vu_tx_hdr() - Check a transmitted frame's virtio-net header, and say
 *		 what it leaves to us
 * @h:		Header, copied out of guest memory
 * @len:	Length of the frame after it
 * @off:	What the frame leaves to us, filled in
 *
 * Checksums and segmentation may only be left to us as the features the
 * guest took allow; every offset must fall inside the frame. Whether they
 * fit the packet itself, ingress checks.
 *
 * Return: 0 if the header can be used, -1 if its frame is to be dropped
 */
static int vu_tx_hdr(const struct virtio_net_hdr_v1 *h, size_t len,
		     struct ingress_offload *off)
{
	uint8_t gso = h->gso_type & (uint8_t)~VIRTIO_NET_HDR_GSO_ECN;
	bool ecn = h->gso_type & VIRTIO_NET_HDR_GSO_ECN;
	unsigned feature;

	memset(off, 0, sizeof(*off));

	/* Only the checksum flag is for frames to the device */
	if (h->flags & ~VIRTIO_NET_HDR_F_NEEDS_CSUM)
		return -1;

	if (h->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) {
		off->csum_start = le16toh(h->csum_start);
		off->csum_offset = le16toh(h->csum_offset);
		if (!virtio_has(vu_dev, VIRTIO_NET_F_CSUM) ||
		    (size_t)off->csum_start + off->csum_offset + 2 > len)
			return -1;
		off->needs_csum = true;
	}

	switch (gso) {
	case VIRTIO_NET_HDR_GSO_NONE:
		return ecn ? -1 : 0;
	case VIRTIO_NET_HDR_GSO_TCPV4:
		off->gso = INGRESS_GSO_TCPV4;
		feature = VIRTIO_NET_F_HOST_TSO4;
		break;
	case VIRTIO_NET_HDR_GSO_TCPV6:
		off->gso = INGRESS_GSO_TCPV6;
		feature = VIRTIO_NET_F_HOST_TSO6;
		break;
	case VIRTIO_NET_HDR_GSO_UDP_L4:
		if (ecn)
			return -1;
		off->gso = INGRESS_GSO_UDP;
		feature = VIRTIO_NET_F_HOST_USO;
		break;
	default:
		return -1;
	}

	off->gso_size = le16toh(h->gso_size);
	if (!virtio_has(vu_dev, feature) || !off->gso_size ||
	    le16toh(h->hdr_len) > len)
		return -1;

	return 0;
}

/**
 * vu_tx_bad() - Count a frame dropped for its virtio-net header
 * @n:		Frames
 */
static void vu_tx_bad(unsigned n)
{
	if (!n)
		return;
	vu_tx_bad_hdr += n;
	debug_ratelimit("vhost-user: %lu bad virtio-net headers dropped",
			vu_tx_bad_hdr);
}

/**
 * vu_tx_frame() - Find the frame in a transmit chain, and what its header
 *		   leaves to us
 * @vq:		Transmit queue
 * @head:	First descriptor of the chain
 * @frame:	The frame, set on success
 * @off:	What it leaves to us, set on success
 * @bounce:	Bytes of vu_tx_bounce in use, updated if the frame is copied
 *
 * Return: 0 on success, -1 if the chain holds no frame we can take
 */
static int vu_tx_frame(struct virtq *vq, uint16_t head, struct iovec *frame,
		       struct ingress_offload *off, size_t *bounce)
{
	size_t nseg, i, first, off_hdr, copied, n = 0, total = 0, len;
	struct virtio_net_hdr_v1 hdr;
	uint8_t *h = (uint8_t *)&hdr;
	int rc;

	rc = virtq_chain(vu_dev, vq, head, vu_seg, VU_CHAIN_SEGS, &nseg);
	if (rc) {
		if (rc == EMSGSIZE)
			debug_ratelimit("vhost-user: frame in too many "
					"buffers");
		return -1;
	}

	for (i = 0; i < nseg; i++) {
		if (vu_seg[i].write) {
			debug_ratelimit("vhost-user: writable transmit buffer");
			return -1;
		}
		total += vu_seg[i].len;
	}
	if (total <= VIRTIO_NET_HDR_LEN ||
	    total - VIRTIO_NET_HDR_LEN > VIRTIO_NET_FRAME_MAX) {
		debug_ratelimit("vhost-user: transmit chain of %zu bytes",
				total);
		return -1;
	}
	len = total - VIRTIO_NET_HDR_LEN;

	/* The header, copied out once, wherever it ends: the frame starts
	 * @off_hdr bytes into segment @first, which exists, as the chain
	 * holds more than the header
	 */
	for (i = 0, copied = 0; i < nseg && copied < VIRTIO_NET_HDR_LEN; i++) {
		n = MIN(vu_seg[i].len, VIRTIO_NET_HDR_LEN - copied);
		memcpy(h + copied, vu_seg[i].p, n);
		copied += n;
	}
	first = i - 1;
	off_hdr = n;
	if (off_hdr == vu_seg[first].len) {
		first++;
		off_hdr = 0;
	}
	if (vu_tx_hdr(&hdr, len, off)) {
		vu_tx_bad(1);
		return -1;
	}

	if (vu_seg[first].len - off_hdr == len) {
		frame->iov_base = vu_seg[first].p + off_hdr;
		frame->iov_len = len;
		return 0;
	}

	frame->iov_base = vu_tx_bounce + *bounce;
	frame->iov_len = len;
	for (i = first; i < nseg; i++, off_hdr = 0) {
		memcpy(vu_tx_bounce + *bounce, vu_seg[i].p + off_hdr,
		       vu_seg[i].len - off_hdr);
		*bounce += vu_seg[i].len - off_hdr;
	}
	return 0;
}

/**
 * vu_tx() - Take frames from the transmit queue and hand them to ingress
 * @c:		Execution context
 *
 * A disabled queue is processed all the same, its frames dropped.
 */
static void vu_tx(struct ctx *c)
{
	static struct ingress_offload offs[VU_TX_BATCH];
	static struct iovec frames[VU_TX_BATCH];
	static uint16_t heads[VU_TX_BATCH];
	struct virtq *vq = &vu_dev->vq[VIRTIO_NET_TXQ];
	unsigned budget = VU_TX_BUDGET, count = 0;

	while (budget && virtq_ready(vq)) {
		size_t n = 0, nf = 0, bounce = 0, i;
		int rc = 0;

		while (n < VU_TX_BATCH && budget &&
		       VU_TX_BOUNCE - bounce >= VIRTIO_NET_FRAME_MAX) {
			rc = virtq_pop(vq, &heads[n]);
			if (rc)
				break;
			budget--;

			if (vq->enabled &&
			    !vu_tx_frame(vq, heads[n], &frames[nf], &offs[nf],
					 &bounce))
				nf++;
			if (vq->broken)
				break;
			n++;
		}

		/* Frames in guest memory must stay there until this returns */
		vu_tx_bad(ingress_frames(c, frames, offs, nf));

		if (!virtq_ready(vq))
			return;
		for (i = 0; i < n; i++)
			virtq_used_put(vu_dev, vq, heads[i], 0);
		virtq_used_publish(vu_dev, vq);
		virtq_signal(vu_dev, vq);
		virtio_log_signal(vu_dev);

		if (rc)
			break;
	}

	if (!virtq_ready(vq))
		return;

	/* More to do than one pass may take: kick ourselves, to come back
	 * after the main loop ran once. Drained: ask for a kick, and look
	 * again for buffers posted before the guest saw that.
	 */
	if (budget) {
		virtq_kick_enable(vu_dev, vq, true);
		if (virtq_pending(vq, &count) || !count)
			return;
	}
	virtio_eventfd_signal(vq->kick_fd);
}

/**
 * vu_l2_kick() - Handle a kick of one of the queues
 * @c:		Execution context
 * @ref:	epoll reference: queue index and kick eventfd
 *
 * #syscalls:vu read write
 */
void vu_l2_kick(struct ctx *c, union epoll_ref ref)
{
	uint64_t count;

	if (!vu_dev || ref.index >= VIRTIO_NET_QUEUES ||
	    (int)ref.fd != vu_dev->vq[ref.index].kick_fd)
		return;

	if (read(ref.fd, &count, sizeof(count)) < 0 && errno != EAGAIN)
		debug("vhost-user: can't read kick: %s", strerror(errno));

	if (ref.index == VIRTIO_NET_RXQ)
		vu_rx_check(c);
	else
		vu_tx(c);
}

/**
 * vu_l2_queue_ready() - A queue may have become usable: started, enabled
 * @c:		Execution context
 * @q:		Queue index
 *
 * The first time the receive queue is usable, we ask for the guest's
 * addresses, to learn its MAC address before it says anything.
 */
void vu_l2_queue_ready(struct ctx *c, unsigned q)
{
	if (!vu_dev || q >= VIRTIO_NET_QUEUES)
		return;

	if (q == VIRTIO_NET_TXQ) {
		vu_tx(c);
		return;
	}

	if (!vu_rx_usable())
		return;
	vu_rx_check(c);
	if (!vu_rx_probed) {
		vu_rx_probed = true;
		arp_probe_guest(c);
		ndp_probe_guest(c);
	}
}

/**
 * vu_l2_queue_stop() - A queue stops: hand back every chain we hold
 * @q:		Queue index
 *
 * Spare receive chains taken last go back to the ring, the others to the
 * guest as used and empty. Called with no rooms lent or committed.
 */
void vu_l2_queue_stop(unsigned q)
{
	struct virtq *vq;

	if (!vu_dev || q != VIRTIO_NET_RXQ)
		return;

	vq = vu_rxq();
	if (virtq_ready(vq)) {
		unsigned i;

		vu_spare_rewind();
		for (i = 0; i < vu_spare_count; i++)
			virtq_used_put(vu_dev, vq, vu_spare[i].head, 0);
		virtq_used_publish(vu_dev, vq);
		virtq_signal(vu_dev, vq);
		virtio_log_signal(vu_dev);
	}
	vu_spare_count = 0;
}

/**
 * vu_l2_attach() - Start serving a device: set the front end's operations
 * @c:		Execution context
 * @d:		Device, its queues not started yet
 */
void vu_l2_attach(struct ctx *c, struct virtio_dev *d)
{
	unsigned i;

	vu_dev = d;
	vu_spare_count = 0;
	vu_rx_probed = false;
	/* Until the receive queue runs: l2_writable() comes then */
	vu_rx_refused = true;
	for (i = 0; i < VU_ROOMS; i++)
		vu_rooms_free[i] = &vu_rooms[i];
	vu_rooms_free_count = VU_ROOMS;

	c->l2 = &vu_l2_ops;
}

/**
 * vu_l2_detach() - Stop serving the device, without touching guest memory
 * @c:		Execution context
 */
void vu_l2_detach(struct ctx *c)
{
	l2_detach(c);
	c->l2 = NULL;
	vu_spare_count = 0;
	vu_rx_refused = false;
	vu_dev = NULL;
}
