/* SPDX-License-Identifier: GPL-2.0-or-later */
/* flow.h - the flow table, shared by every protocol: one entry per
 * connection or echo/datagram flow, with its guest side and its host side
 *
 * Each entry starts with a struct flow_common; a protocol keeps its own
 * state after it, in a structure whose first member is that header and
 * whose size is at most FLOW_ENTRY_SIZE. A flow's index in the table is
 * what the epoll reference of its sockets carries.
 *
 * Sides: FLOW_SIDE_GUEST holds addresses and ports as the guest sees them,
 * FLOW_SIDE_HOST those of the host socket. On each side, @eaddr/@eport is
 * the endpoint (the guest, or the peer on the host side) and @oaddr/@oport
 * is our end (the address the guest talks to, or our socket's address).
 */

#ifndef FLOW_H
#define FLOW_H

#include <stdbool.h>
#include <stdint.h>

#include "inany.h"

struct ctx;

/* Entries in the table: at least one per port a guest can use. Tests build
 * a daemon with a small table to fill it.
 */
#ifndef FLOW_MAX
#define FLOW_MAX		65536U
#endif
/* Bytes per entry, header included: protocols check theirs fit */
#define FLOW_ENTRY_SIZE		128
/* Period of the protocols' timers over their flows, flow_timer() */
#define TIMER_INTERVAL_MS	100

/* Index that refers to no flow */
#define FLOW_IDX_NONE		UINT32_MAX

enum flow_type {
	FLOW_TYPE_NONE = 0,	/* free entry */
	FLOW_TYPE_TCP,		/* TCP connection, guest to host socket */
	FLOW_TYPE_PING,		/* ICMP or ICMPv6 echo, through a ping socket */
	FLOW_TYPE_UDP,		/* UDP flow */
	FLOW_TYPE_MAX,
};

enum flow_side {
	FLOW_SIDE_GUEST = 0,
	FLOW_SIDE_HOST = 1,
};

/**
 * struct flowside - Addresses and ports of one side of a flow
 * @eaddr:	Endpoint address: the guest, or the peer the host socket
 *		talks to
 * @oaddr:	Our address: what the guest sends to, or the host socket's
 *		own address (unspecified if unbound)
 * @eport:	Endpoint port, host order
 * @oport:	Our port, host order
 */
struct flowside {
	union inany_addr eaddr;
	union inany_addr oaddr;
	uint16_t eport;
	uint16_t oport;
};

/* Flows a struct flow_list holds before it overflows */
#define FLOW_LIST_MAX		256

/**
 * struct flow_list - Some flows waiting for the same thing, by index: a
 *		      protocol keeps each flow in it at most once (with a
 *		      flag of its own), and checks each entry still is its
 *		      flow when it takes them
 * @idx:	Flow indices
 * @n:		Entries used
 * @lost:	A flow didn't fit: the list is incomplete
 */
struct flow_list {
	uint32_t idx[FLOW_LIST_MAX];
	unsigned n;
	bool lost;
};

/* struct flow_common flags */
#define FLOW_F_INBOUND		(1U << 0)	/* the host side initiated */
#define FLOW_F_HASHED_GUEST	(1U << 1)	/* guest side in the hash */
#define FLOW_F_HASHED_HOST	(1U << 2)	/* host side in the hash */

/**
 * enum flow_state - Life cycle of a table entry
 * @FLOW_STATE_FREE:	Unused: on the free list, or never used
 * @FLOW_STATE_NEW:	Allocated, being set up by its protocol: it owns no
 *			descriptor yet and is in no hash or epoll set
 * @FLOW_STATE_ACTIVE:	Typed, and owning its descriptors: findable once
 *			hashed, watched once registered with epoll
 * @FLOW_STATE_CLOSING:	Its descriptors released, no longer findable; the
 *			entry is freed after the current batch of events
 *
 * Transitions, each checked by an assertion:
 *   FREE -> NEW		flow_alloc()
 *   NEW -> FREE		flow_alloc_cancel()
 *   NEW -> ACTIVE		flow_activate()
 *   ACTIVE -> CLOSING		flow_close(), through the type's release hook
 *   CLOSING -> FREE		flow_defer_handler()
 *
 * A flow is set up and activated within one call from the main loop: no
 * entry stays NEW across events.
 */
enum flow_state {
	FLOW_STATE_FREE = 0,
	FLOW_STATE_NEW,
	FLOW_STATE_ACTIVE,
	FLOW_STATE_CLOSING,
};

/**
 * struct flow_common - Header of every flow table entry
 * @state:	enum flow_state
 * @type:	enum flow_type, FLOW_TYPE_NONE until activated
 * @flags:	FLOW_F_* bits
 * @next:	Next entry in the free or closing list, while on one
 * @side:	Guest side and host side, see enum flow_side
 */
struct flow_common {
	uint8_t state;
	uint8_t type;
	uint8_t flags;
	uint32_t next;
	struct flowside side[2];
};

/* Period of the main loop's protocol timer, which runs flow_timer() */
#define TIMER_INTERVAL_MS	100

/**
 * struct flow_ops - What the flow table needs of each protocol
 * @release:	Close and unregister every descriptor the flow owns; the
 *		one way a flow of that type is closed, from flow_close()
 */
struct flow_ops {
	void (*release)(const struct ctx *c, struct flow_common *f);
};

/**
 * typedef flow_timer_fn - A protocol's periodic work for one of its flows
 * @c:		Execution context
 * @f:		Flow
 */
typedef void (*flow_timer_fn)(struct ctx *c, struct flow_common *f);

void flow_init(const struct flow_ops *const ops[FLOW_TYPE_MAX]);
void flow_budget_init(long fds_free);
struct flow_common *flow_alloc(enum flow_type type);
void flow_alloc_cancel(struct flow_common *f);
void flow_activate(struct flow_common *f);
void flow_close(const struct ctx *c, struct flow_common *f);
void flow_defer_handler(void);
bool flow_list_add(struct flow_list *l, uint32_t idx);
void flow_list_push_front(struct flow_list *l, const uint32_t *idx,
			  unsigned n);
unsigned flow_list_take(struct flow_list *l, uint32_t idx[FLOW_LIST_MAX],
			bool *lost);
void flow_timer(struct ctx *c, const flow_timer_fn timers[FLOW_TYPE_MAX]);

uint32_t flow_idx(const struct flow_common *f);
struct flow_common *flow_at(uint32_t idx, enum flow_type type);
unsigned flow_count(void);
void flow_count_log(void);

int flow_hash_insert(struct flow_common *f, enum flow_side side);
struct flow_common *flow_lookup(enum flow_type type, enum flow_side side,
				const struct flowside *fs);

void flow_log(const struct flow_common *f, int pri, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif /* FLOW_H */
