// SPDX-License-Identifier: GPL-2.0-or-later
/* test/unit/flow.c - the flow table: allocation up to capacity and back,
 * deferred reuse, hash lookups of both sides through insertions and
 * removals, and the timer walk
 */

#include <errno.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "flow.h"
#include "log.h"
#include "unit.h"
#include "util.h"

/**
 * flow_test_side() - Fill a side with addresses and ports derived from a
 *		      number, so that every number gives a distinct side
 * @fs:		Side to fill
 * @n:		Number
 * @v4:		IPv4 addresses (else IPv6)
 */
static void flow_test_side(struct flowside *fs, uint32_t n, bool v4)
{
	memset(fs, 0, sizeof(*fs));
	if (v4) {
		inany_from_v4(&fs->eaddr, (struct in_addr){ htonl(0xc0000202) });
		inany_from_v4(&fs->oaddr,
			      (struct in_addr){ htonl(0xc6336400 | (n >> 16)) });
	} else {
		fs->eaddr.a6.s6_addr[0] = 0x20;
		fs->eaddr.a6.s6_addr[15] = (uint8_t)(n >> 16);
		fs->oaddr.a6.s6_addr[0] = 0x20;
		fs->oaddr.a6.s6_addr[15] = 1;
	}
	fs->eport = (uint16_t)n;
	fs->oport = 80;
}

/**
 * flow_fill() - Allocate every entry as a TCP flow with both sides hashed
 *
 * Return: number allocated
 */
static unsigned flow_fill(void)
{
	struct flow_common *f;
	unsigned n = 0;

	while ((f = flow_alloc(FLOW_TYPE_TCP))) {
		flow_activate(f);
		flow_test_side(&f->side[FLOW_SIDE_GUEST], flow_idx(f), true);
		flow_test_side(&f->side[FLOW_SIDE_HOST], flow_idx(f), false);
		if (flow_hash_insert(f, FLOW_SIDE_GUEST) ||
		    flow_hash_insert(f, FLOW_SIDE_HOST))
			return 0;
		n++;
	}

	return n;
}

/**
 * flow_alloc_full() - The table holds FLOW_MAX flows, then refuses, and a
 *		       closed flow's entry is reused only after the deferred
 *		       pass
 */
static void flow_alloc_full(void)
{
	struct flow_common *f;

	flow_init(NULL);
	UNIT_CHECK(flow_fill() == FLOW_MAX);
	UNIT_CHECK(flow_count() == FLOW_MAX);
	UNIT_CHECK(!flow_alloc(FLOW_TYPE_TCP));

	f = flow_at(1234, FLOW_TYPE_TCP);
	UNIT_CHECK(f && flow_idx(f) == 1234);
	flow_close(NULL, f);
	UNIT_CHECK(!flow_at(1234, FLOW_TYPE_TCP));
	UNIT_CHECK(!flow_alloc(FLOW_TYPE_TCP));
	flow_defer_handler();
	UNIT_CHECK(flow_count() == FLOW_MAX - 1);

	f = flow_alloc(FLOW_TYPE_TCP);
	UNIT_CHECK(f && flow_idx(f) == 1234);
	UNIT_CHECK(f && f->type == FLOW_TYPE_NONE && !f->flags &&
		   f->state == FLOW_STATE_NEW);
	UNIT_CHECK(!flow_alloc(FLOW_TYPE_TCP));
	flow_alloc_cancel(f);
	UNIT_CHECK(flow_count() == FLOW_MAX - 1);
}

/**
 * flow_hash_both_sides() - Every side of a full table is found, a side of
 *			    another type or the wrong side is not, and after
 *			    closing every third flow the others are all still
 *			    found (removal keeps probe sequences intact)
 */
static void flow_hash_both_sides(void)
{
	struct flowside fs;
	unsigned i, found = 0, gone = 0;

	flow_init(NULL);
	UNIT_CHECK(flow_fill() == FLOW_MAX);

	for (i = 0; i < FLOW_MAX; i++) {
		struct flow_common *g, *h;

		flow_test_side(&fs, i, true);
		g = flow_lookup(FLOW_TYPE_TCP, FLOW_SIDE_GUEST, &fs);
		flow_test_side(&fs, i, false);
		h = flow_lookup(FLOW_TYPE_TCP, FLOW_SIDE_HOST, &fs);
		if (g && h && flow_idx(g) == i && g == h)
			found++;
	}
	UNIT_CHECK(found == FLOW_MAX);

	flow_test_side(&fs, 7, true);
	UNIT_CHECK(!flow_lookup(FLOW_TYPE_UDP, FLOW_SIDE_GUEST, &fs));
	UNIT_CHECK(!flow_lookup(FLOW_TYPE_TCP, FLOW_SIDE_HOST, &fs));
	UNIT_CHECK(flow_hash_insert(flow_at(7, FLOW_TYPE_TCP),
				    FLOW_SIDE_GUEST) == EEXIST);

	for (i = 0; i < FLOW_MAX; i += 3)
		flow_close(NULL, flow_at(i, FLOW_TYPE_TCP));
	flow_defer_handler();

	found = 0;
	for (i = 0; i < FLOW_MAX; i++) {
		struct flow_common *g;

		flow_test_side(&fs, i, true);
		g = flow_lookup(FLOW_TYPE_TCP, FLOW_SIDE_GUEST, &fs);
		if (i % 3 == 0)
			gone += !g;
		else
			found += g && flow_idx(g) == i;
	}
	UNIT_CHECK(gone == DIV_ROUND_UP(FLOW_MAX, 3));
	UNIT_CHECK(found == FLOW_MAX - gone);
}

static unsigned flow_timer_calls;

/**
 * flow_test_timer() - Count timer calls, checking the flow's type
 * @c:		Execution context, unused
 * @f:		Flow
 */
static void flow_test_timer(struct ctx *c, struct flow_common *f)
{
	(void)c;
	if (f->type == FLOW_TYPE_PING)
		flow_timer_calls++;
}

/**
 * flow_timer_walk() - The timer walk visits live flows of types with a
 *		       timer, and neither free nor closing entries
 */
static void flow_timer_walk(void)
{
	const flow_timer_fn timers[FLOW_TYPE_MAX] = {
		[FLOW_TYPE_PING] = flow_test_timer,
	};
	struct flow_common *f[4];
	unsigned i;

	flow_init(NULL);
	for (i = 0; i < ARRAY_SIZE(f); i++) {
		enum flow_type t = i % 2 ? FLOW_TYPE_PING : FLOW_TYPE_UDP;

		f[i] = flow_alloc(t);
		if (i)
			flow_activate(f[i]);
	}
	flow_close(NULL, f[3]);
	flow_alloc_cancel(f[0]);

	flow_timer_calls = 0;
	flow_timer(NULL, timers);
	UNIT_CHECK(flow_timer_calls == 1);
}

static unsigned flow_test_released;

/**
 * flow_test_release() - Release hook for the life cycle test
 * @c:		Execution context, unused
 * @f:		Flow
 */
static void flow_test_release(const struct ctx *c, struct flow_common *f)
{
	(void)c;
	if (f->state == FLOW_STATE_ACTIVE)
		flow_test_released++;
}

/**
 * flow_test_aborts() - Does a call abort, in a child process?
 * @fn:		Function to call on a flow
 * @f:		Flow
 *
 * Return: true if the child died of SIGABRT
 */
static bool flow_test_aborts(void (*fn)(struct flow_common *),
			     struct flow_common *f)
{
	pid_t pid = fork();
	int status;

	if (!pid) {
		log_set_level(LOG_EMERG);
		fn(f);
		_exit(0);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return false;
	return WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT;
}

/**
 * flow_test_close() - flow_close() without a context
 * @f:		Flow
 */
static void flow_test_close(struct flow_common *f)
{
	flow_close(NULL, f);
}

/**
 * flow_test_activate() - flow_activate(), for flow_test_aborts()
 * @f:		Flow
 */
static void flow_test_activate(struct flow_common *f)
{
	flow_activate(f);
}

/**
 * flow_life_cycle() - Each state change goes through its one function,
 *		       closing calls the type's release hook once, and a
 *		       change from the wrong state aborts
 */
static void flow_life_cycle(void)
{
	static const struct flow_ops ops = { .release = flow_test_release };
	static const struct flow_ops *const table[FLOW_TYPE_MAX] = {
		[FLOW_TYPE_TCP] = &ops,
	};
	struct flow_common *f;

	flow_init(table);
	f = flow_alloc(FLOW_TYPE_TCP);
	UNIT_CHECK(f && f->state == FLOW_STATE_NEW);
	if (!f)
		return;

	/* A NEW flow owns nothing to release */
	UNIT_CHECK(flow_test_aborts(flow_test_close, f));
	UNIT_CHECK(!flow_at(flow_idx(f), FLOW_TYPE_TCP));

	flow_activate(f);
	UNIT_CHECK(f->state == FLOW_STATE_ACTIVE);
	UNIT_CHECK(flow_at(flow_idx(f), FLOW_TYPE_TCP) == f);
	UNIT_CHECK(flow_test_aborts(flow_test_activate, f));
	UNIT_CHECK(flow_test_aborts(flow_alloc_cancel, f));

	flow_test_released = 0;
	flow_close(NULL, f);
	UNIT_CHECK(flow_test_released == 1);
	UNIT_CHECK(f->state == FLOW_STATE_CLOSING);
	UNIT_CHECK(!flow_at(flow_idx(f), FLOW_TYPE_TCP));

	/* Closing twice is a bug, not a no-op */
	UNIT_CHECK(flow_test_aborts(flow_test_close, f));

	flow_defer_handler();
	UNIT_CHECK(f->state == FLOW_STATE_FREE && flow_count() == 0);
}

/**
 * flow_take() - Allocate flows of one kind until refused, or up to a number
 * @type:	Kind
 * @max:	Most to allocate
 * @f:		Filled with the flows, at least @max entries
 *
 * Return: number allocated
 */
static unsigned flow_take(enum flow_type type, unsigned max,
			  struct flow_common **f)
{
	unsigned n = 0;

	while (n < max && (f[n] = flow_alloc(type)))
		flow_activate(f[n++]);

	return n;
}

/**
 * flow_budget_shares() - With 128 flows to share, UDP alone gets all but
 *			  the TCP and ping reserves, TCP still gets its
 *			  reserve, a kind that gave back entries can take
 *			  them again, and no kind can take another's reserve
 */
static void flow_budget_shares(void)
{
	static struct flow_common *udp[128], *tcp[128], *ping[128];
	unsigned n_udp, n_tcp, i;

	flow_init(NULL);
	flow_budget_init(128);

	/* Reserves: TCP 32, UDP 16, ping 4 */
	n_udp = flow_take(FLOW_TYPE_UDP, 128, udp);
	UNIT_CHECK(n_udp == 128 - 32 - 4);
	n_tcp = flow_take(FLOW_TYPE_TCP, 128, tcp);
	UNIT_CHECK(n_tcp == 32);
	UNIT_CHECK(flow_take(FLOW_TYPE_PING, 128, ping) == 4);
	UNIT_CHECK(flow_count() == 128);

	/* UDP gives back 40, still holding more than its reserve: TCP takes
	 * them all, beyond its own
	 */
	for (i = 0; i < 40; i++)
		flow_close(NULL, udp[--n_udp]);
	flow_defer_handler();
	UNIT_CHECK(flow_take(FLOW_TYPE_TCP, 128, tcp + n_tcp) == 40);
	UNIT_CHECK(flow_count() == 128);

	/* Everything back: TCP alone holds all but the others' reserves */
	flow_init(NULL);
	flow_budget_init(128);
	UNIT_CHECK(flow_take(FLOW_TYPE_TCP, 128, tcp) == 128 - 16 - 4);
	UNIT_CHECK(!flow_alloc(FLOW_TYPE_TCP));
	UNIT_CHECK(flow_take(FLOW_TYPE_UDP, 128, udp) == 16);
	UNIT_CHECK(!flow_alloc(FLOW_TYPE_NONE));

	/* No descriptors left for flows: none at all */
	flow_init(NULL);
	flow_budget_init(-5);
	UNIT_CHECK(!flow_alloc(FLOW_TYPE_TCP));
	flow_init(NULL);
}

/**
 * flow_list_overflow() - A list keeps its entries in order, says when one
 *			  didn't fit, and starts empty again once taken
 */
static void flow_list_overflow(void)
{
	static struct flow_list l;
	uint32_t idx[FLOW_LIST_MAX];
	unsigned i, n;
	bool lost;

	for (i = 0; i < FLOW_LIST_MAX; i++)
		UNIT_CHECK(flow_list_add(&l, i * 3));
	UNIT_CHECK(!flow_list_add(&l, 7));

	n = flow_list_take(&l, idx, &lost);
	UNIT_CHECK(n == FLOW_LIST_MAX && lost);
	UNIT_CHECK(idx[0] == 0 && idx[FLOW_LIST_MAX - 1] ==
		   (FLOW_LIST_MAX - 1) * 3);

	UNIT_CHECK(flow_list_add(&l, 5));
	n = flow_list_take(&l, idx, &lost);
	UNIT_CHECK(n == 1 && idx[0] == 5 && !lost);
	UNIT_CHECK(flow_list_take(&l, idx, &lost) == 0 && !lost);
}

/**
 * flow_list_front() - Entries pushed to the front come first, in their
 *		       order; those pushed off the tail make the list lost
 */
static void flow_list_front(void)
{
	static const uint32_t first[] = { 40, 41, 42 };
	static uint32_t many[FLOW_LIST_MAX];
	static struct flow_list l;
	uint32_t idx[FLOW_LIST_MAX];
	unsigned i, n;
	bool lost;

	UNIT_CHECK(flow_list_add(&l, 1) && flow_list_add(&l, 2));
	flow_list_push_front(&l, first, 3);
	n = flow_list_take(&l, idx, &lost);
	UNIT_CHECK(n == 5 && !lost);
	UNIT_CHECK(idx[0] == 40 && idx[1] == 41 && idx[2] == 42 &&
		   idx[3] == 1 && idx[4] == 2);

	for (i = 0; i < FLOW_LIST_MAX; i++)
		many[i] = i + 100;
	UNIT_CHECK(flow_list_add(&l, 1) && flow_list_add(&l, 2));
	flow_list_push_front(&l, many, FLOW_LIST_MAX - 1);
	n = flow_list_take(&l, idx, &lost);
	UNIT_CHECK(n == FLOW_LIST_MAX && lost);
	UNIT_CHECK(idx[0] == 100 && idx[FLOW_LIST_MAX - 2] ==
		   FLOW_LIST_MAX - 2 + 100 && idx[FLOW_LIST_MAX - 1] == 1);
}

/**
 * main() - Run the cases
 *
 * Return: 0 if all passed
 */
int main(void)
{
	UNIT_RUN(flow_alloc_full);
	UNIT_RUN(flow_budget_shares);
	UNIT_RUN(flow_hash_both_sides);
	UNIT_RUN(flow_timer_walk);
	UNIT_RUN(flow_life_cycle);
	UNIT_RUN(flow_list_overflow);
	UNIT_RUN(flow_list_front);
	UNIT_EXIT();
}
