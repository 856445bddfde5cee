/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fuzz.h - what the libFuzzer targets share: reading the fuzzer's input as
 * fields, a private network namespace, a front end that checks every frame
 * the daemon sends, and the guest's side of a link to build frames with
 */

#ifndef FUZZ_H
#define FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ctx.h"
#include "inany.h"

/* The guest and our side of the link, as the daemon's defaults would set
 * them up: documentation addresses, gateways mapped to the host's loopback
 */
#define FUZZ_GUEST4		"192.0.2.2"
#define FUZZ_GW4		"192.0.2.1"
#define FUZZ_GUEST6		"2001:db8:1::2"
#define FUZZ_GW6		"2001:db8:1::1"
#define FUZZ_GUEST_LL		"fe80::2"
#define FUZZ_OUR_LL		"fe80::1"

/* Configuration changes fuzz_ctx_vary() makes, in a byte of input */
#define FUZZ_CFG_NO_NAMES	(1U << 0)	/* no host name, no FQDN */
#define FUZZ_CFG_NO_SEARCH	(1U << 1)	/* no search list */
#define FUZZ_CFG_NO_DNS		(1U << 2)	/* no DNS servers */
#define FUZZ_CFG_NO_MTU		(1U << 3)	/* MTU 0: none given */
#define FUZZ_CFG_LONG_NAMES	(1U << 4)	/* the longest names allowed */

struct pkt;

/**
 * struct fuzz_in - The fuzzer's input, read field by field
 * @p:		Next byte
 * @left:	Bytes left
 *
 * A field past the end reads as zeroes: every input means something.
 */
struct fuzz_in {
	const uint8_t *p;
	size_t left;
};

uint8_t fuzz_u8(struct fuzz_in *in);
uint16_t fuzz_u16(struct fuzz_in *in);
size_t fuzz_bytes(struct fuzz_in *in, void *dst, size_t len);

/**
 * typedef fuzz_frame_fn - A target's look at each frame the daemon sends
 * @c:		Execution context
 * @frame:	Ethernet frame, already checked
 * @len:	Length of @frame
 */
typedef void (*fuzz_frame_fn)(struct ctx *c, const uint8_t *frame,
			      size_t len);

extern bool fuzz_l2_refuse;
extern size_t fuzz_l2_chunk;
extern unsigned fuzz_l2_offloads;
extern fuzz_frame_fn fuzz_l2_hook;
extern unsigned long fuzz_l2_frames;

/* libFuzzer's entry points, defined by each target */
int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Events fuzz_dispatch() takes from epoll in one pass */
#define FUZZ_DISPATCH_EVENTS	32

/* How long fuzz_leave() waits, at most, for the daemon to let go */
#define FUZZ_LEAVE_WAIT_MS	1000

void fuzz_isolate(void);
void fuzz_init(void);
int fuzz_fd_count(void);
void fuzz_fd_check(int baseline);
union inany_addr fuzz_addr(const char *s);
void fuzz_l2_idle(void);
void fuzz_ctx_init(struct ctx *c);
void fuzz_ctx_vary(struct ctx *c, uint8_t cfg);
void fuzz_frame_check(const uint8_t *frame, size_t len);
bool fuzz_leave(struct ctx *c, void (*step)(struct ctx *c), unsigned quick);
void fuzz_pass_end(struct ctx *c);
int fuzz_dispatch(struct ctx *c);
void fuzz_timers(struct ctx *c);
void fuzz_flows_init(struct ctx *c);
void fuzz_flows_settle(struct ctx *c);
size_t fuzz_guest_frame(const struct ctx *c, uint8_t *buf,
			const union inany_addr *src,
			const union inany_addr *dst, uint8_t proto,
			uint8_t ttl, size_t l4_len);
void fuzz_guest_udp(const struct ctx *c, uint8_t *buf,
		    const union inany_addr *src, uint16_t sport,
		    const union inany_addr *dst, uint16_t dport,
		    struct fuzz_in *in, struct pkt *p);

#endif /* FUZZ_H */
