/* SPDX-License-Identifier: GPL-2.0-or-later */
/* l2.h - frames to the guest through whichever front end is attached,
 * without the protocols knowing which one it is
 *
 * A front end lends the protocols room for frames: the stream front end
 * from its own frame buffers, vhost-user from the guest's receive buffers.
 * A protocol borrows rooms with l2_lend(), writes its headers at the start
 * of each room and reads socket data straight in after them (asking
 * l2_room_fit() first, if it may end the frame anywhere), then commits
 * each frame with its length (l2_commit()) or gives the room back unused
 * (l2_give_back()). Committed frames go to the guest, in order, at
 * l2_flush(): at the end of every pass of the main loop, or earlier when
 * the front end runs out of room. The flush also copies them to the
 * capture file.
 *
 * A front end that can't deliver some committed frames (a stream socket
 * that is full) drops them, and l2_flush() hands each one's tag back to
 * the protocol that committed it, so that it can send the data again. A
 * front end that lends no room (the guest posted no receive buffers, the
 * socket is full) says so with l2_refusing() until it calls l2_writable(),
 * which wakes the protocols registered with l2_on_writable().
 *
 * Each front end fills in a struct l2_ops and sets c->l2 to it while a
 * client is attached.
 */

#ifndef L2_H
#define L2_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

struct ctx;

/* The first buffer of every room holds at least this much: all the headers
 * we write (Ethernet, IPv6, TCP with options) fit in it, contiguously
 */
#define L2_HDR_ROOM		128

/* Buffers one room may span: a 64 KiB frame in guest buffers of 1 KiB */
#define L2_ROOM_IOV_MAX		66

/* Rooms committed and not yet flushed, at most */
#define L2_QUEUE_MAX		1024

/* What a front end's guest may be left to do, see l2_offloads() */
#define L2_OFF_CSUM		(1U << 0)	/* finish partial transport
						 * checksums, when it must */
#define L2_OFF_TSO4		(1U << 1)	/* take TCP segments larger than
						 * its MSS, IPv4 */
#define L2_OFF_TSO6		(1U << 2)	/* the same, IPv6 */

/* Large segments a committed frame may be (struct l2_offload) */
enum l2_gso {
	L2_GSO_NONE = 0,
	L2_GSO_TCPV4,		/* a TCP segment of many, IPv4 (L2_OFF_TSO4) */
	L2_GSO_TCPV6,		/* the same, IPv6 (L2_OFF_TSO6) */
};

/**
 * struct l2_offload - What a committed frame leaves to the guest
 * @gso:	enum l2_gso
 * @gso_size:	Segment size, with @gso
 * @hdr_len:	Length of the headers in front of the payload, with @gso
 * @needs_csum:	The transport checksum is partial, the pseudo-header's
 *		alone, for the guest to finish if it forwards the frame
 *		(L2_OFF_CSUM; every large segment is)
 * @csum_start:	Offset in the frame the checksum covers from, with
 *		@needs_csum
 * @csum_offset: Offset of the checksum field from @csum_start
 */
struct l2_offload {
	uint8_t gso;
	uint16_t gso_size;
	uint16_t hdr_len;
	bool needs_csum;
	uint16_t csum_start;
	uint16_t csum_offset;
};

struct l2_tag;

/**
 * typedef l2_refused_fn - A protocol's handler for a committed frame that
 *			   the front end did not deliver
 * @c:		Execution context
 * @tag:	The tag the frame was committed with
 */
typedef void (*l2_refused_fn)(struct ctx *c, const struct l2_tag *tag);

/**
 * struct l2_tag - What the protocol that committed a frame needs to hear
 *		   of it if the front end doesn't deliver it
 * @refused:	Handler, NULL if nothing needs doing (the frame is lost)
 * @flow:	Flow index
 * @seq:	Protocol's own position of the frame (TCP: sequence number)
 * @seq_len:	Protocol's own extent of the frame (TCP: sequence space)
 */
struct l2_tag {
	l2_refused_fn refused;
	uint32_t flow;
	uint32_t seq;
	uint32_t seq_len;
};

/**
 * struct l2_room - Room for one frame, lent by the front end
 * @iov:	Buffers, in order: the frame starts at @iov[0], whose
 *		length is at least L2_HDR_ROOM (or the whole room, if the
 *		room is smaller)
 * @iovcnt:	Buffers in @iov
 * @size:	Bytes in all of @iov
 * @len:	Length of the frame, set by l2_commit()
 * @tag:	Set by l2_commit()
 * @off:	Set by l2_commit()
 *
 * A front end keeps its own state for a room in a structure of its own
 * that starts with this one. Rooms stay valid, and their buffers the
 * protocol's to write, from l2_lend() until l2_flush() or l2_give_back().
 */
struct l2_room {
	struct iovec iov[L2_ROOM_IOV_MAX];
	size_t iovcnt;
	size_t size;
	size_t len;
	struct l2_tag tag;
	struct l2_offload off;
};

/**
 * struct l2_ops - What a front end provides
 * @lend:	Lend up to @n rooms of at least @size bytes each (@size is
 *		at most L2_MAX_LEN), pointers stored in @rooms; return how
 *		many. With rooms of its own lent or committed, a front end
 *		may lend fewer than asked, or none: l2_lend() then flushes
 *		and asks again. With none, zero means that it refuses
 *		frames, and calls l2_writable() once it takes them again.
 * @give_back:	Take back a room lent and not committed
 * @deliver:	Send @n committed rooms to the guest, in order, each
 *		holding a frame of @rooms[i]->len bytes (1 to @size), and
 *		take back the rooms; return how many frames were delivered,
 *		from the first: the rest are dropped, and the front end
 *		calls l2_writable() once it takes frames again
 * @notify:	Optional: after delivered frames are captured, make them
 *		visible to the guest and tell it
 * @refusing:	Optional: true from a refusal until l2_writable()
 * @offloads:	Optional: L2_OFF_* bits the guest takes; without it, none
 * @fit:	Optional: for a frame of @len bytes in @room, a shorter length
 *		that leaves out a buffer the frame would barely use, or @len
 *		(see l2_room_fit())
 */
struct l2_ops {
	size_t (*lend)(struct ctx *c, struct l2_room **rooms, size_t n,
		       size_t size);
	void (*give_back)(struct ctx *c, struct l2_room *room);
	size_t (*deliver)(struct ctx *c, struct l2_room *const *rooms,
			  size_t n);
	void (*notify)(struct ctx *c);
	bool (*refusing)(const struct ctx *c);
	unsigned (*offloads)(const struct ctx *c);
	size_t (*fit)(const struct l2_room *room, size_t len);
};

/**
 * typedef l2_writable_fn - A protocol's handler for a front end that takes
 *			    frames again, after it refused some
 * @c:		Execution context
 */
typedef void (*l2_writable_fn)(struct ctx *c);

size_t l2_lend(struct ctx *c, struct l2_room **rooms, size_t n, size_t size);
void l2_give_back(struct ctx *c, struct l2_room *room);
void l2_commit(struct ctx *c, struct l2_room *room, size_t len,
	       const struct l2_tag *tag, const struct l2_offload *off);
unsigned l2_offloads(const struct ctx *c);
size_t l2_room_fit(const struct ctx *c, const struct l2_room *room,
		   size_t len, size_t min);
void l2_flush(struct ctx *c);
bool l2_refusing(const struct ctx *c);
size_t l2_send_single(struct ctx *c, const void *frame, size_t len);
void l2_room_write(struct l2_room *room, size_t off, const void *buf,
		   size_t len);
size_t l2_room_iov(const struct l2_room *room, size_t off, size_t len,
		   struct iovec *iov, size_t iov_max);
void l2_eth_header(const struct ctx *c, void *eth, uint16_t ethertype);
void l2_on_writable(l2_writable_fn fn);
void l2_writable(struct ctx *c);
void l2_detach(struct ctx *c);

#endif /* L2_H */
