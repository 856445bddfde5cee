// SPDX-License-Identifier: GPL-2.0-or-later
/* flow.c - the flow table: allocation, deferred freeing, the hash table that
 * finds a flow from the addresses and ports of one of its sides, and the
 * walk that runs each protocol's timer over its flows
 *
 * Allocation is O(1): freed entries go on a free list and are reused first;
 * otherwise the next never-used entry is taken. Each kind of flow has a
 * budget, so that none can take the entries (and the descriptors) that
 * the others need, see flow_budget_init(). The table's pages are only
 * touched as far as the most flows ever open at once reach, which keeps the
 * resident size small.
 *
 * Each entry goes through the states of enum flow_state (flow.h), each
 * change checked. Closing goes through the flow table: flow_close() takes
 * the flow out of the hash table and has its protocol release what it owns
 * (struct flow_ops), at once, but the entry is only reused after the current
 * batch of events. An event still queued for the old flow then finds a
 * closing entry (flow_at() returns NULL), never a new flow that happens to
 * reuse its index.
 *
 * The hash table uses open addressing with linear probing and deletion by
 * backward shift, so it needs no tombstones. Buckets hold an index and a
 * side (2 * index + side), plus one, so that zero is an empty bucket and the
 * table needs no initialisation. Keys are hashed with SipHash-2-4 under a
 * random key, so that a guest can't choose ports that collide.
 */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "flow.h"
#include "log.h"
#include "siphash.h"
#include "util.h"

/* Buckets: a power of two, at least four per flow so that a full table of
 * flows hashed on both sides keeps probe sequences short
 */
#define FLOW_HASH_BITS		18
#define FLOW_HASH_SIZE		(1U << FLOW_HASH_BITS)

/**
 * union flow_entry - Storage of one entry, whatever its protocol
 * @f:		Common header
 * @bytes:	Room for the protocol's state
 */
union flow_entry {
	struct flow_common f;
	uint8_t bytes[FLOW_ENTRY_SIZE];
};

static union flow_entry flowtab[FLOW_MAX] __attribute__((aligned(64)));
static uint32_t flow_hashtab[FLOW_HASH_SIZE];

static struct siphash_key flow_hash_secret;
/* Entries at and above this index were never used */
static uint32_t flow_first_unused;
/* Heads of the free and closing lists, FLOW_IDX_NONE if empty */
static uint32_t flow_free_head = FLOW_IDX_NONE;
static uint32_t flow_closing_head = FLOW_IDX_NONE;
/* Entries in use, closing ones included */
static unsigned flow_used;

/* Each protocol's hooks, from flow_init() */
static const struct flow_ops *const *flow_type_ops;

/* Budgets, see flow_budget_init(): entries in use by each kind of flow, the
 * kind each entry was taken for, the flows all kinds may hold together, and
 * the share of those kept for each kind
 */
static unsigned flow_used_by[FLOW_TYPE_MAX];
static uint8_t flow_taken_for[FLOW_MAX];
static unsigned flow_capacity = FLOW_MAX;
static unsigned flow_reserve[FLOW_TYPE_MAX];

static const char *const flow_type_name[FLOW_TYPE_MAX] = {
	[FLOW_TYPE_NONE] = "free",
	[FLOW_TYPE_TCP] = "TCP",
	[FLOW_TYPE_PING] = "ping",
	[FLOW_TYPE_UDP] = "UDP",
};

/**
 * flow_init() - Empty the table, take the protocols' hooks, read a new hash
 *		 key
 * @ops:	Hooks per flow type, NULL for a type that owns no descriptor
 *		(tests); or NULL altogether
 *
 * A missing random source leaves a key from the clock and the address of
 * the table, with a warning: weaker, but the daemon still works.
 */
void flow_init(const struct flow_ops *const ops[FLOW_TYPE_MAX])
{
	flow_type_ops = ops;
	memset(flowtab, 0, sizeof(flowtab[0]) * flow_first_unused);
	memset(flow_hashtab, 0, sizeof(flow_hashtab));
	flow_first_unused = 0;
	flow_free_head = flow_closing_head = FLOW_IDX_NONE;
	flow_used = 0;
	memset(flow_used_by, 0, sizeof(flow_used_by));
	memset(flow_reserve, 0, sizeof(flow_reserve));
	flow_capacity = FLOW_MAX;

	if (getrandom(&flow_hash_secret, sizeof(flow_hash_secret), 0) !=
	    (ssize_t)sizeof(flow_hash_secret)) {
		struct timespec ts;

		warn("No random source for the flow hash key: %s",
		     strerror(errno));
		clock_gettime(CLOCK_MONOTONIC, &ts);
		flow_hash_secret.k[0] = (uint64_t)ts.tv_nsec ^
					(uint64_t)(uintptr_t)flowtab;
		flow_hash_secret.k[1] = (uint64_t)ts.tv_sec;
	}
}

/**
 * flow_idx() - Index of a flow in the table
 * @f:		Flow
 *
 * Return: index, what epoll references carry
 */
uint32_t flow_idx(const struct flow_common *f)
{
	return (uint32_t)((const union flow_entry *)(const void *)f - flowtab);
}

/**
 * flow_at() - Flow at an index, if it is a live flow of a given type
 * @idx:	Index, from an epoll reference
 * @type:	Expected type
 *
 * Return: the flow, NULL if @idx is out of range, free, closing or of
 *	   another type
 */
struct flow_common *flow_at(uint32_t idx, enum flow_type type)
{
	struct flow_common *f;

	if (idx >= flow_first_unused)
		return NULL;

	f = &flowtab[idx].f;
	if (f->state != FLOW_STATE_ACTIVE || f->type != type)
		return NULL;

	return f;
}

/**
 * flow_count() - Number of entries in use
 *
 * Return: live and closing flows
 */
unsigned flow_count(void)
{
	return flow_used;
}

/**
 * flow_count_log() - Log the entries in use, in all and by kind, for tests
 *		      and for whoever asks (SIGUSR1)
 */
void flow_count_log(void)
{
	debug("Flows: %u in use (TCP %u, UDP %u, ping %u) of %u", flow_used,
	      flow_used_by[FLOW_TYPE_TCP], flow_used_by[FLOW_TYPE_UDP],
	      flow_used_by[FLOW_TYPE_PING], flow_capacity);
}

/**
 * flow_budget_max() - The most flows of one kind, with no others
 * @type:	Kind of flow
 *
 * Return: the capacity less the reserves of the other kinds
 */
static unsigned flow_budget_max(enum flow_type type)
{
	unsigned t, others = 0;

	for (t = FLOW_TYPE_NONE + 1; t < FLOW_TYPE_MAX; t++) {
		if (t != type)
			others += flow_reserve[t];
	}

	return flow_capacity - MIN(others, flow_capacity);
}

/**
 * flow_budget_init() - Share the flows the descriptors allow between the
 *			kinds of flow
 * @fds_free:	Descriptors left for flows: one each
 *
 * A guest must not starve one protocol with another, say by opening
 * thousands of UDP flows that hold every descriptor for the UDP timeout,
 * so that TCP connections are all refused meanwhile. Each kind keeps a
 * reserve that the others can't take: a quarter of the capacity for TCP,
 * an eighth for UDP, a thirty-second for ping. Beyond its reserve, a kind
 * takes from what is free. So TCP alone can have 27 flows in 32 of the
 * capacity, and whatever UDP and ping do, a quarter is left for it.
 */
void flow_budget_init(long fds_free)
{
	flow_capacity = (unsigned)MAX(0, MIN(fds_free, (long)FLOW_MAX));
	flow_reserve[FLOW_TYPE_TCP] = flow_capacity / 4;
	flow_reserve[FLOW_TYPE_UDP] = flow_capacity / 8;
	flow_reserve[FLOW_TYPE_PING] = flow_capacity / 32;

	info("Flows: %u at once; TCP up to %u, UDP up to %u, ping up to %u",
	     flow_capacity, flow_budget_max(FLOW_TYPE_TCP),
	     flow_budget_max(FLOW_TYPE_UDP), flow_budget_max(FLOW_TYPE_PING));
}

/**
 * flow_budget_kept() - Entries kept for kinds of flow other than one
 * @type:	The kind that asks
 *
 * Return: what the other kinds' reserves hold that they don't use
 */
static unsigned flow_budget_kept(enum flow_type type)
{
	unsigned t, kept = 0;

	for (t = FLOW_TYPE_NONE + 1; t < FLOW_TYPE_MAX; t++) {
		if (t != type && flow_used_by[t] < flow_reserve[t])
			kept += flow_reserve[t] - flow_used_by[t];
	}

	return kept;
}

/**
 * flow_alloc() - Take a free entry for a new flow of some kind: FREE to NEW
 * @type:	Kind of flow, for its budget, and the type flow_activate()
 *		gives it
 *
 * The caller activates the flow once it owns a descriptor, or gives the
 * entry back with flow_alloc_cancel(). A refusal is logged, rate-limited.
 *
 * Return: zeroed entry, NULL if the table is full or the kind has used
 *	   its share of it
 */
struct flow_common *flow_alloc(enum flow_type type)
{
	const char *name = type < FLOW_TYPE_MAX ? flow_type_name[type] : "?";
	uint32_t idx;

	if (type == FLOW_TYPE_NONE || type >= FLOW_TYPE_MAX)
		return NULL;

	if (flow_used >= flow_capacity) {
		warn_ratelimit("Flow table full: refusing a new %s flow", name);
		return NULL;
	}
	if (flow_used + 1 + flow_budget_kept(type) > flow_capacity) {
		warn_ratelimit("Flow table full for %s: %u %s flows, the rest"
			       " is kept for other kinds; refusing another",
			       name, flow_used_by[type], name);
		return NULL;
	}

	/* Below the capacity, never above FLOW_MAX, an entry is free */
	if (flow_free_head != FLOW_IDX_NONE) {
		idx = flow_free_head;
		flow_free_head = flowtab[idx].f.next;
	} else if (flow_first_unused < FLOW_MAX) {
		idx = flow_first_unused++;
	} else {
		return NULL;
	}

	ASSERT(flowtab[idx].f.state == FLOW_STATE_FREE);
	memset(&flowtab[idx], 0, sizeof(flowtab[idx]));
	flowtab[idx].f.state = FLOW_STATE_NEW;
	flowtab[idx].f.next = FLOW_IDX_NONE;
	flow_used++;
	flow_taken_for[idx] = (uint8_t)type;
	flow_used_by[type]++;

	return &flowtab[idx].f;
}

/**
 * flow_release() - Put an entry back on the free list
 * @f:		Entry, out of the hash table
 */
static void flow_release(struct flow_common *f)
{
	f->state = FLOW_STATE_FREE;
	f->type = FLOW_TYPE_NONE;
	f->flags = 0;
	f->next = flow_free_head;
	flow_free_head = flow_idx(f);
	flow_used--;
	flow_used_by[flow_taken_for[flow_idx(f)]]--;
}

/**
 * flow_hash() - Hash of one side's addresses and ports
 * @type:	Flow type
 * @side:	Which side
 * @fs:		Addresses and ports
 *
 * Return: 64-bit hash
 */
static uint64_t flow_hash(enum flow_type type, enum flow_side side,
			  const struct flowside *fs)
{
	struct {
		union inany_addr eaddr;
		union inany_addr oaddr;
		uint16_t eport;
		uint16_t oport;
		uint8_t type;
		uint8_t side;
	} __attribute__((packed)) key = {
		.eaddr = fs->eaddr, .oaddr = fs->oaddr,
		.eport = fs->eport, .oport = fs->oport,
		.type = (uint8_t)type, .side = (uint8_t)side,
	};

	return siphash_2_4(&flow_hash_secret, &key, sizeof(key));
}

/**
 * flowside_equals() - Do two sides have the same addresses and ports?
 * @a:		First side
 * @b:		Second side
 *
 * Return: true if equal
 */
static bool flowside_equals(const struct flowside *a,
			    const struct flowside *b)
{
	return a->eport == b->eport && a->oport == b->oport &&
	       inany_equals(&a->eaddr, &b->eaddr) &&
	       inany_equals(&a->oaddr, &b->oaddr);
}

/**
 * flow_hash_probe() - Find the bucket of a key, or the empty one ending its
 *		       probe sequence
 * @type:	Flow type
 * @side:	Which side
 * @fs:		Addresses and ports
 *
 * Return: bucket number
 */
static uint32_t flow_hash_probe(enum flow_type type, enum flow_side side,
				const struct flowside *fs)
{
	uint32_t b = (uint32_t)flow_hash(type, side, fs) & (FLOW_HASH_SIZE - 1);

	while (flow_hashtab[b]) {
		uint32_t sidx = flow_hashtab[b] - 1;
		const struct flow_common *f = &flowtab[sidx / 2].f;

		if (f->type == type && sidx % 2 == (uint32_t)side &&
		    flowside_equals(&f->side[side], fs))
			return b;

		b = (b + 1) & (FLOW_HASH_SIZE - 1);
	}

	return b;
}

/**
 * flow_hash_insert() - Make a flow findable from one of its sides
 * @f:		Flow, with its type and that side set
 * @side:	Which side
 *
 * Return: 0 on success, EEXIST if another flow has the same side
 */
int flow_hash_insert(struct flow_common *f, enum flow_side side)
{
	uint32_t b;

	ASSERT(f->state == FLOW_STATE_ACTIVE);
	b = flow_hash_probe((enum flow_type)f->type, side, &f->side[side]);

	if (flow_hashtab[b])
		return EEXIST;

	flow_hashtab[b] = flow_idx(f) * 2 + (uint32_t)side + 1;
	f->flags |= side == FLOW_SIDE_GUEST ? FLOW_F_HASHED_GUEST :
					      FLOW_F_HASHED_HOST;

	return 0;
}

/**
 * flow_hash_remove() - Take one side of a flow out of the hash table
 * @f:		Flow
 * @side:	Which side, hashed
 *
 * Later entries of the probe sequence move back into the hole when their
 * home bucket is not between the hole and their own bucket, so every key
 * stays reachable from its home bucket without gaps.
 */
static void flow_hash_remove(struct flow_common *f, enum flow_side side)
{
	uint32_t hole = flow_hash_probe((enum flow_type)f->type, side,
					&f->side[side]);
	uint32_t b = hole;

	if (!flow_hashtab[hole])
		return;

	for (;;) {
		const struct flow_common *g;
		uint32_t sidx, home;

		b = (b + 1) & (FLOW_HASH_SIZE - 1);
		if (!flow_hashtab[b])
			break;

		sidx = flow_hashtab[b] - 1;
		g = &flowtab[sidx / 2].f;
		home = (uint32_t)flow_hash((enum flow_type)g->type,
					   (enum flow_side)(sidx % 2),
					   &g->side[sidx % 2]) &
		       (FLOW_HASH_SIZE - 1);

		/* Distances from home, modulo the table size: the entry may
		 * move only if the hole is no farther from its home than it
		 */
		if (((b - home) & (FLOW_HASH_SIZE - 1)) >=
		    ((b - hole) & (FLOW_HASH_SIZE - 1))) {
			flow_hashtab[hole] = flow_hashtab[b];
			hole = b;
		}
	}

	flow_hashtab[hole] = 0;
}

/**
 * flow_lookup() - Find a live flow from one side's addresses and ports
 * @type:	Flow type
 * @side:	Which side @fs describes
 * @fs:		Addresses and ports
 *
 * Return: the flow, NULL if none
 */
struct flow_common *flow_lookup(enum flow_type type, enum flow_side side,
				const struct flowside *fs)
{
	uint32_t b = flow_hash_probe(type, side, fs);
	struct flow_common *f;

	if (!flow_hashtab[b])
		return NULL;

	f = &flowtab[(flow_hashtab[b] - 1) / 2].f;
	ASSERT(f->state == FLOW_STATE_ACTIVE);
	return f;
}

/**
 * flow_alloc_cancel() - Give back an entry that never became a flow: NEW to
 *			 FREE
 * @f:		Entry from flow_alloc(), never activated
 *
 * It owns nothing and its index was never handed to epoll, so it can be
 * reused at once.
 */
void flow_alloc_cancel(struct flow_common *f)
{
	ASSERT(f->state == FLOW_STATE_NEW);
	ASSERT(!(f->flags & (FLOW_F_HASHED_GUEST | FLOW_F_HASHED_HOST)));
	flow_release(f);
}

/**
 * flow_activate() - The flow owns its descriptors now: NEW to ACTIVE, with
 *		     the type it was taken for
 * @f:		Entry from flow_alloc(): from here on, flow_close() releases
 *		it
 */
void flow_activate(struct flow_common *f)
{
	ASSERT(f->state == FLOW_STATE_NEW);
	f->type = flow_taken_for[flow_idx(f)];
	f->state = FLOW_STATE_ACTIVE;
}

/**
 * flow_close() - Close a flow: ACTIVE to CLOSING
 * @c:		Execution context
 * @f:		Active flow
 *
 * The flow can no longer be found, its protocol releases its descriptors,
 * and its entry is reused only after the current batch of events, see
 * flow_defer_handler().
 */
void flow_close(const struct ctx *c, struct flow_common *f)
{
	const struct flow_ops *ops;

	ASSERT(f->state == FLOW_STATE_ACTIVE);

	if (f->flags & FLOW_F_HASHED_GUEST)
		flow_hash_remove(f, FLOW_SIDE_GUEST);
	if (f->flags & FLOW_F_HASHED_HOST)
		flow_hash_remove(f, FLOW_SIDE_HOST);
	f->flags &= (uint8_t)~(FLOW_F_HASHED_GUEST | FLOW_F_HASHED_HOST);

	ops = flow_type_ops ? flow_type_ops[f->type] : NULL;
	if (ops && ops->release)
		ops->release(c, f);

	f->state = FLOW_STATE_CLOSING;
	f->next = flow_closing_head;
	flow_closing_head = flow_idx(f);
}

/**
 * flow_defer_handler() - Free the flows closed during this batch of events:
 *			  CLOSING to FREE
 */
void flow_defer_handler(void)
{
	while (flow_closing_head != FLOW_IDX_NONE) {
		struct flow_common *f = &flowtab[flow_closing_head].f;

		ASSERT(f->state == FLOW_STATE_CLOSING);
		flow_closing_head = f->next;
		flow_release(f);
	}
}

/**
 * flow_list_add() - Add a flow to a list
 * @l:		List
 * @idx:	Flow index
 *
 * Return: true if added, false if the list is full (and now marked lost)
 */
bool flow_list_add(struct flow_list *l, uint32_t idx)
{
	if (l->n == FLOW_LIST_MAX) {
		l->lost = true;
		return false;
	}

	l->idx[l->n++] = idx;
	return true;
}

/**
 * flow_list_push_front() - Put flows at the head of a list, in order
 * @l:		List
 * @idx:	Flow indices, none of them in the list already
 * @n:		Number of indices
 *
 * Entries pushed off the tail are lost, and the list says so.
 */
void flow_list_push_front(struct flow_list *l, const uint32_t *idx,
			  unsigned n)
{
	unsigned keep;

	if (n > FLOW_LIST_MAX) {
		n = FLOW_LIST_MAX;
		l->lost = true;
	}
	keep = MIN(l->n, FLOW_LIST_MAX - n);
	if (keep < l->n)
		l->lost = true;

	memmove(l->idx + n, l->idx, keep * sizeof(l->idx[0]));
	memcpy(l->idx, idx, n * sizeof(idx[0]));
	l->n = keep + n;
}

/**
 * flow_list_take() - Empty a list into an array, for the caller to walk
 *		      while the list fills again
 * @l:		List
 * @idx:	Destination for the indices
 * @lost:	Set if the list had overflowed, cleared otherwise; NULL if
 *		the caller handles overflows as they happen
 *
 * Return: number of indices copied
 */
unsigned flow_list_take(struct flow_list *l, uint32_t idx[FLOW_LIST_MAX],
			bool *lost)
{
	unsigned n = l->n;

	memcpy(idx, l->idx, n * sizeof(idx[0]));
	if (lost)
		*lost = l->lost;
	l->n = 0;
	l->lost = false;

	return n;
}

/**
 * flow_timer() - Run each protocol's timer over its live flows
 * @c:		Execution context
 * @timers:	Function per flow type, NULL for types with none
 */
void flow_timer(struct ctx *c, const flow_timer_fn timers[FLOW_TYPE_MAX])
{
	uint32_t idx;

	for (idx = 0; idx < flow_first_unused; idx++) {
		struct flow_common *f = &flowtab[idx].f;

		if (f->state != FLOW_STATE_ACTIVE ||
		    f->type >= FLOW_TYPE_MAX || !timers[f->type])
			continue;

		timers[f->type](c, f);
	}
}

/**
 * flow_log() - Log a message about a flow, with its index, type and both
 *		sides
 * @f:		Flow
 * @pri:	Syslog priority
 * @fmt:	Format string, then arguments
 */
void flow_log(const struct flow_common *f, int pri, const char *fmt, ...)
{
	char ge[INANY_ADDRSTRLEN], go[INANY_ADDRSTRLEN];
	char he[INANY_ADDRSTRLEN], ho[INANY_ADDRSTRLEN];
	const struct flowside *g = &f->side[FLOW_SIDE_GUEST];
	const struct flowside *h = &f->side[FLOW_SIDE_HOST];
	char msg[BUFSIZ];
	va_list ap;

	if (!log_enabled(pri))
		return;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);

	logmsg(pri, "Flow %u (%s): %s [guest %s:%u -> %s:%u, host %s:%u -> %s:%u]",
	       flow_idx(f),
	       f->type < FLOW_TYPE_MAX ? flow_type_name[f->type] : "?", msg,
	       inany_ntop(&g->eaddr, ge, sizeof(ge)), g->eport,
	       inany_ntop(&g->oaddr, go, sizeof(go)), g->oport,
	       inany_ntop(&h->oaddr, ho, sizeof(ho)), h->oport,
	       inany_ntop(&h->eaddr, he, sizeof(he)), h->eport);
}
