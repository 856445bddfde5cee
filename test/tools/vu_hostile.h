/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test/tools/vu_hostile.h - bad vhost-user front ends, one case at a time:
 * what vubridge calls, and what the cases of vu_hostile.c and those of
 * vu_hostile_hdr.c share
 */

#ifndef VU_HOSTILE_H
#define VU_HOSTILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/virtio_net.h>

#include "vu_front.h"

void vu_hostile_list(void);
int vu_hostile_run(const char *name, const char *path);

/* Both rings have this many descriptors, each buffer this many bytes */
#define H_QSIZE		16
#define H_BUF		4096
/* How long the back-end may take to answer */
#define H_WAIT_MS	2000

/**
 * struct hostile - One hostile front end
 * @conn:	Connection
 * @mem:	Guest memory: the region, then the canary
 * @rx:		Receive ring
 * @tx:		Transmit ring
 */
struct hostile {
	struct vu_conn conn;
	struct vu_mem mem;
	struct vu_ring rx;
	struct vu_ring tx;
};

/* Which reactions to a case pass */
enum expect {
	REFUSE,			/* an error reply, or the connection closed */
	REFUSE_OR_BREAK,	/* or accepted, with the ring left alone */
	HARMLESS,		/* a bad chain: taken without harm */
	SURVIVE,		/* nothing to answer: the back-end survives */
	DROP,			/* a bad frame: dropped, the next one served */
};

/* Reactions to a frame, beyond those of vu_call() and enum vu_wait */
#define H_ANSWERED	2	/* answered a frame it should have dropped */
#define H_DEAF		3	/* didn't answer one it should have */

struct hcase;
typedef int (*hcase_fn)(struct hostile *h, const struct hcase *c);

/**
 * struct hcase - A hostile case
 * @name:	Name on the command line
 * @what:	What it does, for --list-hostile
 * @run:	Does it; returns 1 for an error reply, VU_REPLIED for an
 *		acknowledgement of 0 (or nothing to acknowledge, or a bad
 *		frame dropped), H_ANSWERED, H_DEAF, or a negative enum
 *		vu_wait
 * @expect:	Which reactions pass
 * @arg:	Parameter for @run
 */
struct hcase {
	const char *name;
	const char *what;
	hcase_fn run;
	enum expect expect;
	uint64_t arg;
};

/* Tells whether a frame (after the virtio-net header) is the one waited
 * for; the last argument is the caller's
 */
typedef bool (*h_match_fn)(const uint8_t *f, size_t len, void *arg);

int h_rings(struct hostile *h, bool rx_posted);
void h_send_frame(struct hostile *h, const struct virtio_net_hdr *vh,
		  const void *frame, size_t len);
void h_send_arp(struct hostile *h);
bool h_is_arp_reply(const uint8_t *f, size_t len, void *mac);
bool h_wait_frame(struct hostile *h, h_match_fn match, void *arg, int ms);

/* The bad virtio-net headers, in vu_hostile_hdr.c */
extern const struct hcase vu_hostile_hdr_cases[];
extern const size_t vu_hostile_hdr_ncases;

#endif /* VU_HOSTILE_H */
