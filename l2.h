/* SPDX-License-Identifier: GPL-2.0-or-later */
/* l2.h - sending Ethernet frames to the guest through whichever front end
 * is attached, without the protocols knowing which one it is
 *
 * A front end fills in a struct l2_ops and sets c->l2 to it. Protocols call
 * l2_send_frames() or l2_send_single(), which also write frames to the
 * capture file. A front end that refused frames (its guest reads slowly)
 * calls l2_writable() once it takes them again, and the protocols that
 * registered with l2_on_writable() send what was waiting.
 */

#ifndef L2_H
#define L2_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

struct ctx;

/* Bytes a front end may place in front of each frame: the stream front end
 * writes its 4-byte length there
 */
#define L2_PREFIX_MAX		16

/**
 * struct l2_prefix - Per-frame room for the front end's header
 * @b:		Bytes, written by the front end
 */
struct l2_prefix {
	uint8_t b[L2_PREFIX_MAX];
};

/**
 * struct l2_ops - What a front end provides
 * @send_frames:	Send frames to the guest. @iov holds @frames runs of
 *			@bufs_per_frame buffers; the first buffer of each run
 *			points to a struct l2_prefix that the front end may
 *			fill and resize, the rest are the Ethernet frame.
 *			Returns how many whole frames were sent, in order
 *			from the first: the rest were not sent at all, and
 *			the front end calls l2_writable() once it takes
 *			frames again.
 * @refusing:		Optional: true from a refusal until the front end
 *			calls l2_writable()
 */
struct l2_ops {
	size_t (*send_frames)(struct ctx *c, struct iovec *iov,
			      size_t bufs_per_frame, size_t frames);
	bool (*refusing)(const struct ctx *c);
};

/**
 * typedef l2_writable_fn - A protocol's handler for a front end that takes
 *			    frames again, after it refused some
 * @c:		Execution context
 */
typedef void (*l2_writable_fn)(struct ctx *c);

size_t l2_send_frames(struct ctx *c, struct iovec *iov, size_t bufs_per_frame,
		      size_t frames);
bool l2_refusing(const struct ctx *c);
size_t l2_send_single(struct ctx *c, const void *frame, size_t len);
void l2_eth_header(const struct ctx *c, void *eth, uint16_t ethertype);
void l2_on_writable(l2_writable_fn fn);
void l2_writable(struct ctx *c);

#endif /* L2_H */
