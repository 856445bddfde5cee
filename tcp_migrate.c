// SPDX-License-Identifier: GPL-2.0-or-later
/* tcp_migrate.c - TCP connections across a migration: their records in the
 * migration format, and the source side, which saves each socket's kernel
 * state with TCP_REPAIR (the target side is tcp_restore.c)
 *
 * The flows stage (doc/migration.md) carries every established connection
 * of the guest: a count, a fixed record per flow (addresses and ports, our
 * sequence numbers and windows), then per flow an extended record (what the
 * kernel's socket knows: queue sequence numbers and lengths, MSS, window
 * scales, timestamp, TCP state) followed by the bytes of its send and
 * receive queues. The layout is passt's, byte for byte, quirks included,
 * so that either daemon can be source or target.
 *
 * Only the repair helper may switch sockets to repair mode (TCP_REPAIR
 * needs CAP_NET_ADMIN, which the daemon never holds): without one, no flow
 * moves, and the count is 0.
 *
 * Source: every established socket goes to repair mode, then its state is
 * read and written out; after a successful save the connections stop, and
 * their sockets stay in repair mode (they send nothing when closed) until
 * the front end goes away, or at once with --migrate-no-linger, when they
 * let a target on this host take their addresses and close a moment later
 * (tcp_migrate_release()). If the migration is cancelled before, they
 * leave repair mode and carry on.
 *
 * A socket in repair mode still takes in what the peer sends, and
 * acknowledges it: bytes that arrived after the save would be lost, the
 * peer never sending them again to the target. So before its state is
 * read, each socket gets a filter that drops every segment (the peer sends
 * again what the target hasn't acknowledged), and loses it only if the
 * migration is cancelled. The socket still exists meanwhile, so the peer's
 * segments don't draw a RST from this host either.
 */

#include <errno.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ctx.h"
#include "epoll_ref.h"
#include "flow.h"
#include "log.h"
#include "repair.h"
#include "tcp_conn.h"
#include "tcp_migrate.h"
#include "util.h"

/* Source: the sockets of the flows of this migration, by flow index, in
 * the order of the records
 */
static uint32_t tcp_migrate_flows[TCP_MIGRATE_FLOWS_MAX];
static int tcp_migrate_fds[TCP_MIGRATE_FLOWS_MAX];
static unsigned tcp_migrate_count;
/* Those were let go of, and close at the end of their grace time */
static bool tcp_migrate_grace;
static struct timespec tcp_migrate_grace_end;

/**
 * tcp_migrate_state_ok() - Is a kernel TCP state one we carry?
 * @state:	TCP state from TCP_INFO, or from a record
 *
 * Return: true for established and closing states
 */
bool tcp_migrate_state_ok(uint8_t state)
{
	switch (state) {
	case TCP_MIGRATE_ST_ESTABLISHED:
	case TCP_MIGRATE_ST_FIN_WAIT1:
	case TCP_MIGRATE_ST_FIN_WAIT2:
	case TCP_MIGRATE_ST_CLOSE_WAIT:
	case TCP_MIGRATE_ST_LAST_ACK:
	case TCP_MIGRATE_ST_CLOSING:
		return true;
	default:
		return false;
	}
}

/**
 * tcp_migrate_side_put() - Write a flow side as the records lay it out
 * @p:		Destination, 36 bytes
 * @fs:		Side
 *
 * Ports are copied in host byte order: the records carry them so, a quirk
 * of the format that assumes source and target of the same byte order.
 */
static void tcp_migrate_side_put(uint8_t *p, const struct flowside *fs)
{
	memcpy(p, &fs->oaddr, 16);
	memcpy(p + 16, &fs->eaddr, 16);
	memcpy(p + 32, &fs->oport, 2);
	memcpy(p + 34, &fs->eport, 2);
}

/**
 * tcp_migrate_side_get() - Read a flow side as the records lay it out
 * @p:		Source, 36 bytes
 * @fs:		Side, filled in
 */
static void tcp_migrate_side_get(const uint8_t *p, struct flowside *fs)
{
	memcpy(&fs->oaddr, p, 16);
	memcpy(&fs->eaddr, p + 16, 16);
	memcpy(&fs->oport, p + 32, 2);
	memcpy(&fs->eport, p + 34, 2);
}

/**
 * tcp_migrate_events() - Connection events of a connection, for its record
 * @conn:	Established connection
 *
 * Return: TCP_MIGRATE_EV_* bits
 */
static uint8_t tcp_migrate_events(const struct tcp_conn *conn)
{
	uint8_t ev = TCP_MIGRATE_EV_ESTABLISHED;

	if (conn->fin & TCP_SOCK_FIN_RCVD)
		ev |= TCP_MIGRATE_EV_SOCK_FIN_RCVD;
	if (conn->fin & TCP_GUEST_FIN_RCVD)
		ev |= TCP_MIGRATE_EV_GUEST_FIN_RCVD | TCP_MIGRATE_EV_SOCK_FIN_SENT;
	if (conn->fin & TCP_GUEST_FIN_SENT)
		ev |= TCP_MIGRATE_EV_GUEST_FIN_SENT;
	if (conn->fin & TCP_GUEST_FIN_ACKED)
		ev |= TCP_MIGRATE_EV_GUEST_FIN_ACKED;

	return ev;
}

/**
 * tcp_migrate_guest_isn() - The guest's initial sequence number, as the
 *			     records carry it
 * @conn:	Established connection, socket in repair mode
 *
 * The socket knows how many of the guest's bytes it took: those the peer
 * acknowledged, and those still queued.
 *
 * Return: sequence number of the guest's SYN
 *
 * #syscalls: getsockopt ioctl
 */
static uint32_t tcp_migrate_guest_isn(const struct tcp_conn *conn)
{
	/* The kernel's TCP_INFO goes on past what libc's structure has */
	struct {
		struct tcp_info base;
		uint64_t pacing_rate;
		uint64_t max_pacing_rate;
		uint64_t bytes_acked;
	} ti = { 0 };
	socklen_t sl = sizeof(ti);
	uint32_t seq = conn->seq_from_guest - 1;
	int outq = 0;

	if (conn->fin & TCP_GUEST_FIN_RCVD)
		seq--;
	if (getsockopt(conn->sock, SOL_TCP, TCP_INFO, &ti, &sl) ||
	    ioctl(conn->sock, SIOCOUTQ, &outq) || outq < 0)
		return seq;
	if ((conn->fin & TCP_GUEST_FIN_RCVD) && outq)
		outq--;

	if (sl < sizeof(ti))
		return seq;
	return seq - (uint32_t)ti.bytes_acked - (uint32_t)outq;
}

/**
 * tcp_migrate_rec_put() - Write the fixed record of a connection
 * @conn:	Established connection
 * @p:		Destination, TCP_MIGRATE_REC_LEN bytes
 *
 * #syscalls: getsockopt
 */
static void tcp_migrate_rec_put(const struct tcp_conn *conn, uint8_t *p)
{
	const struct flowside *g = &conn->f.side[FLOW_SIDE_GUEST];
	const struct flowside *h = &conn->f.side[FLOW_SIDE_HOST];
	bool inbound = conn->f.flags & FLOW_F_INBOUND;
	uint8_t flags = 0;
	int sndbuf = 0;
	socklen_t sl = sizeof(sndbuf);

	if (conn->flags & TCP_F_STALLED)
		flags |= TCP_MIGRATE_F_STALLED;
	if (conn->flags & (TCP_F_ACK_DUE | TCP_F_ACK_DELAYED))
		flags |= TCP_MIGRATE_F_ACK_TO_GUEST;
	if (conn->seq_to_guest != conn->seq_ack_from_guest)
		flags |= TCP_MIGRATE_F_ACK_FROM_GUEST;

	getsockopt(conn->sock, SOL_SOCKET, SO_SNDBUF, &sndbuf, &sl);

	memset(p, 0, TCP_MIGRATE_REC_LEN);
	p[0] = inbound ? TCP_MIGRATE_PIF_HOST : TCP_MIGRATE_PIF_GUEST;
	p[1] = inbound ? TCP_MIGRATE_PIF_GUEST : TCP_MIGRATE_PIF_HOST;
	tcp_migrate_side_put(p + 2, inbound ? h : g);
	tcp_migrate_side_put(p + 38, inbound ? g : h);
	p[74] = (uint8_t)MIN(conn->retries, 7U);
	p[75] = conn->ws_from_guest;
	p[76] = conn->ws_to_guest;
	p[77] = tcp_migrate_events(conn);
	put_be32(p + 78, conn->mss);
	/* The format carries the send buffer in units of 256 bytes */
	put_be32(p + 82, (uint32_t)MAX(sndbuf, 0) >> 8);
	p[86] = flags;
	p[87] = 0;
	put_be16(p + 88, conn->wnd_from_guest);
	put_be16(p + 90, conn->wnd_to_guest);
	put_be32(p + 92, conn->seq_to_guest);
	put_be32(p + 96, conn->seq_ack_from_guest);
	put_be32(p + 100, conn->seq_from_guest);
	put_be32(p + 104, conn->seq_ack_to_guest);
	put_be32(p + 108, tcp_migrate_guest_isn(conn));
}

/**
 * tcp_migrate_rec_get() - Read and check a fixed record
 * @p:		Record, TCP_MIGRATE_REC_LEN bytes
 * @r:		Parsed record
 *
 * Return: 0 if valid, EINVAL otherwise
 */
int tcp_migrate_rec_get(const uint8_t *p, struct tcp_migrate_rec *r)
{
	const struct flowside *g, *h;
	bool v4;

	memset(r, 0, sizeof(*r));
	if (p[0] == TCP_MIGRATE_PIF_GUEST && p[1] == TCP_MIGRATE_PIF_HOST) {
		tcp_migrate_side_get(p + 2, &r->guest);
		tcp_migrate_side_get(p + 38, &r->host);
	} else if (p[0] == TCP_MIGRATE_PIF_HOST &&
		   p[1] == TCP_MIGRATE_PIF_GUEST) {
		r->inbound = true;
		tcp_migrate_side_get(p + 2, &r->host);
		tcp_migrate_side_get(p + 38, &r->guest);
	} else {
		return EINVAL;
	}

	g = &r->guest;
	h = &r->host;
	v4 = !!inany_v4(&g->eaddr);
	if (v4 != !!inany_v4(&g->oaddr) || v4 != !!inany_v4(&h->eaddr) ||
	    v4 != !!inany_v4(&h->oaddr) ||
	    inany_is_unspecified(&g->eaddr) || inany_is_unspecified(&g->oaddr) ||
	    inany_is_unspecified(&h->eaddr) ||
	    inany_is_multicast(&g->eaddr) || inany_is_multicast(&h->eaddr) ||
	    !g->eport || !g->oport || !h->eport || !h->oport)
		return EINVAL;

	r->retries = p[74];
	r->ws_from = p[75];
	r->ws_to = p[76];
	r->events = p[77];
	r->mss = get_be32(p + 78);
	r->flags = p[86];
	r->wnd_from = get_be16(p + 88);
	r->wnd_to = get_be16(p + 90);
	r->seq_to = get_be32(p + 92);
	r->seq_ack_from = get_be32(p + 96);
	r->seq_from = get_be32(p + 100);
	r->seq_ack_to = get_be32(p + 104);

	if (r->ws_from > 14 || r->ws_to > 14 ||
	    !(r->events & TCP_MIGRATE_EV_ESTABLISHED) ||
	    r->mss < 64 || r->mss > 65535 ||
	    SEQ_GT(r->seq_ack_from, r->seq_to) ||
	    r->seq_to - r->seq_ack_from > TCP_MIGRATE_QUEUE_MAX)
		return EINVAL;

	return 0;
}

/**
 * tcp_migrate_ext_put() - Write the extended record of a socket
 * @e:		What was read of the socket
 * @p:		Destination, TCP_MIGRATE_EXT_LEN bytes
 */
static void tcp_migrate_ext_put(const struct tcp_migrate_ext *e, uint8_t *p)
{
	put_be32(p, e->seq_snd);
	put_be32(p + 4, e->seq_rcv);
	put_be32(p + 8, e->sndq);
	put_be32(p + 12, e->notsent);
	put_be32(p + 16, e->rcvq);
	put_be32(p + 20, e->mss);
	put_be32(p + 24, e->timestamp);
	put_be32(p + 28, e->wnd.snd_wl1);
	put_be32(p + 32, e->wnd.snd_wnd);
	put_be32(p + 36, e->wnd.max_window);
	put_be32(p + 40, e->wnd.rcv_wnd);
	put_be32(p + 44, e->wnd.rcv_wup);
	p[48] = e->snd_ws;
	p[49] = e->rcv_ws;
	p[50] = e->state;
	p[51] = e->options;
}

/**
 * tcp_migrate_ext_get() - Read and check an extended record
 * @p:		Record, TCP_MIGRATE_EXT_LEN bytes
 * @e:		Parsed record
 *
 * Return: 0 if valid (a skipped flow included), EINVAL otherwise
 */
int tcp_migrate_ext_get(const uint8_t *p, struct tcp_migrate_ext *e)
{
	e->seq_snd = get_be32(p);
	e->seq_rcv = get_be32(p + 4);
	e->sndq = get_be32(p + 8);
	e->notsent = get_be32(p + 12);
	e->rcvq = get_be32(p + 16);
	e->mss = get_be32(p + 20);
	e->timestamp = get_be32(p + 24);
	e->wnd.snd_wl1 = get_be32(p + 28);
	e->wnd.snd_wnd = get_be32(p + 32);
	e->wnd.max_window = get_be32(p + 36);
	e->wnd.rcv_wnd = get_be32(p + 40);
	e->wnd.rcv_wup = get_be32(p + 44);
	e->snd_ws = p[48];
	e->rcv_ws = p[49];
	e->state = p[50];
	e->options = p[51];

	if (e->state == TCP_MIGRATE_ST_SKIPPED)
		return 0;

	if (!tcp_migrate_state_ok(e->state) ||
	    e->sndq > TCP_MIGRATE_QUEUE_MAX || e->notsent > e->sndq ||
	    e->rcvq > TCP_MIGRATE_QUEUE_MAX || e->snd_ws > 14 ||
	    e->rcv_ws > 14 || e->mss > 65535)
		return EINVAL;

	return 0;
}

/**
 * tcp_migrate_queue_select() - Pick the queue that repair-mode reads,
 *				writes and TCP_QUEUE_SEQ act on
 * @s:		Socket in repair mode
 * @q:		TCP_SEND_QUEUE or TCP_RECV_QUEUE
 *
 * Return: 0 on success, a positive errno on failure
 *
 * #syscalls: setsockopt
 */
int tcp_migrate_queue_select(int s, int q)
{
	if (setsockopt(s, SOL_TCP, TCP_REPAIR_QUEUE, &q, sizeof(q)))
		return errno;
	return 0;
}

/**
 * tcp_migrate_queue_seq() - Sequence number at the end of the selected
 *			     queue
 * @s:		Socket in repair mode, queue selected
 * @seq:	Sequence number, set
 *
 * Return: 0 on success, a positive errno on failure
 *
 * #syscalls: getsockopt
 */
static int tcp_migrate_queue_seq(int s, uint32_t *seq)
{
	socklen_t sl = sizeof(*seq);

	if (getsockopt(s, SOL_TCP, TCP_QUEUE_SEQ, seq, &sl))
		return errno;
	return 0;
}

/**
 * tcp_migrate_fin_sent() - Has our end of a socket sent its FIN, not yet
 *			    acknowledged?
 * @state:	Kernel TCP state
 *
 * Return: true if the send queue ends with a FIN
 */
bool tcp_migrate_fin_sent(uint8_t state)
{
	return state == TCP_MIGRATE_ST_FIN_WAIT1 ||
	       state == TCP_MIGRATE_ST_LAST_ACK ||
	       state == TCP_MIGRATE_ST_CLOSING;
}

/**
 * tcp_migrate_fin_rcvd() - Has the peer's FIN come in?
 * @state:	Kernel TCP state
 *
 * Return: true if the receive sequence counts the peer's FIN
 */
bool tcp_migrate_fin_rcvd(uint8_t state)
{
	return state == TCP_MIGRATE_ST_CLOSE_WAIT ||
	       state == TCP_MIGRATE_ST_LAST_ACK ||
	       state == TCP_MIGRATE_ST_CLOSING;
}

/**
 * tcp_migrate_deaf() - Make a socket drop, or take again, what comes in
 * @s:		Socket
 * @deaf:	Drop every segment, or stop dropping
 *
 * The minimum TTL and hop limit (RFC 5082), at their highest, make the
 * kernel discard every segment for the socket once it found it, before
 * TCP sees it: no acknowledgement, and no RST either. Unlike a socket
 * filter, this needs no privilege. Both options, for IPv4 segments reach
 * an IPv6 socket too.
 *
 * Return: 0 on success, a positive errno on failure
 *
 * #syscalls: setsockopt getsockname
 */
static int tcp_migrate_deaf(int s, bool deaf)
{
	int v = deaf ? 255 : 0;
	union sockaddr_inany sa = { .sa.sa_family = AF_UNSPEC };
	socklen_t sl = sizeof(sa);

	if (getsockname(s, &sa.sa, &sl))
		return errno;
	if (setsockopt(s, IPPROTO_IP, IP_MINTTL, &v, sizeof(v)))
		return errno;
	if (sa.sa.sa_family == AF_INET6 &&
	    setsockopt(s, IPPROTO_IPV6, IPV6_MINHOPCOUNT, &v, sizeof(v)))
		return errno;
	return 0;
}

/**
 * tcp_migrate_sock_read() - Read a socket's state, in repair mode
 * @s:		Socket
 * @e:		State, filled in
 *
 * Queue lengths count data only, never a FIN: a restored socket gets its
 * FIN from shutdown(), which the target calls where the state says.
 *
 * Return: 0 on success, a positive errno on failure
 *
 * #syscalls: setsockopt getsockopt ioctl
 */
static int tcp_migrate_sock_read(int s, struct tcp_migrate_ext *e)
{
	struct tcp_info ti;
	socklen_t sl = sizeof(ti);
	int v, rc, off = -1;
	uint32_t seq;

	memset(e, 0, sizeof(*e));

	/* From now on, nothing comes in that the queues read here would miss */
	rc = tcp_migrate_deaf(s, true);
	if (rc)
		return rc;

	/* Reads from the start of each queue, whatever was sent before */
	if (setsockopt(s, SOL_SOCKET, SO_PEEK_OFF, &off, sizeof(off)))
		return errno;

	if (getsockopt(s, SOL_TCP, TCP_INFO, &ti, &sl))
		return errno;
	e->state = ti.tcpi_state;
	e->options = ti.tcpi_options;
	e->snd_ws = ti.tcpi_snd_wscale;
	e->rcv_ws = ti.tcpi_rcv_wscale;
	if (!tcp_migrate_state_ok(e->state))
		return ENOTCONN;

	sl = sizeof(v);
	if (getsockopt(s, SOL_TCP, TCP_MAXSEG, &v, &sl))
		return errno;
	e->mss = (uint32_t)v;

	if (e->options & TCPI_OPT_TIMESTAMPS) {
		sl = sizeof(e->timestamp);
		if (getsockopt(s, SOL_TCP, TCP_TIMESTAMP, &e->timestamp, &sl))
			return errno;
	}

	sl = sizeof(e->wnd);
	if (getsockopt(s, SOL_TCP, TCP_REPAIR_WINDOW, &e->wnd, &sl))
		return errno;
	/* A restored socket hasn't seen the peer's FIN: keep the right edge
	 * of the receive window where it is, before it
	 */
	if (tcp_migrate_fin_rcvd(e->state) && e->wnd.rcv_wup) {
		e->wnd.rcv_wup--;
		e->wnd.rcv_wnd++;
	}

	rc = tcp_migrate_queue_select(s, TCP_SEND_QUEUE);
	if (!rc)
		rc = tcp_migrate_queue_seq(s, &seq);
	if (rc)
		return rc;
	if (ioctl(s, SIOCOUTQ, &v))
		return errno;
	e->sndq = (uint32_t)v;
	if (ioctl(s, SIOCOUTQNSD, &v))
		return errno;
	e->notsent = (uint32_t)v;
	/* The first byte the peer hasn't acknowledged */
	e->seq_snd = seq - e->sndq;
	/* Our FIN, not acknowledged yet, is the last byte of the queue, and
	 * of its unsent part if that isn't empty
	 */
	if (tcp_migrate_fin_sent(e->state) && e->sndq) {
		e->sndq--;
		if (e->notsent)
			e->notsent--;
	}

	rc = tcp_migrate_queue_select(s, TCP_RECV_QUEUE);
	if (!rc)
		rc = tcp_migrate_queue_seq(s, &seq);
	if (rc)
		return rc;
	if (ioctl(s, SIOCINQ, &v))
		return errno;
	e->rcvq = (uint32_t)v;
	/* After the peer's FIN, this is one past the first byte queued: the
	 * restored socket then acknowledges the FIN, as the peer has seen,
	 * and its queue reads the same (passt writes it so too)
	 */
	e->seq_rcv = seq - e->rcvq;

	if (e->sndq > TCP_MIGRATE_QUEUE_MAX || e->rcvq > TCP_MIGRATE_QUEUE_MAX)
		return EFBIG;

	return 0;
}

/**
 * tcp_migrate_queue_copy() - Copy a socket's queue to the stream
 * @s:		Socket in repair mode
 * @q:		TCP_SEND_QUEUE or TCP_RECV_QUEUE
 * @len:	Bytes in it, as tcp_migrate_sock_read() found
 * @fd:		Stream
 *
 * A send queue can only be read whole, from its start, so the bytes go
 * through a mapping of that size, released at once.
 *
 * Return: 0 on success, a positive errno on failure
 *
 * #syscalls: mmap munmap recvfrom write
 */
static int tcp_migrate_queue_copy(int s, int q, uint32_t len, int fd)
{
	uint8_t *buf;
	ssize_t n;
	int rc;

	if (!len)
		return 0;

	rc = tcp_migrate_queue_select(s, q);
	if (rc)
		return rc;

	/* Anonymous: -1 is the descriptor it takes */
	buf = mmap(NULL, len, PROT_READ | PROT_WRITE,
		   /* cppcheck-suppress invalidFunctionArg */
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED)
		return errno;

	do
		n = recv(s, buf, len, MSG_PEEK | MSG_DONTWAIT);
	while (n < 0 && errno == EINTR);

	if (n < 0)
		rc = errno;
	else if ((uint32_t)n != len)
		rc = EIO;
	else
		rc = write_all(fd, buf, len);

	munmap(buf, len);
	return rc;
}

/**
 * tcp_migrate_collect() - Take an established connection into this
 *			   migration, for flow_timer()
 * @c:		Execution context, unused
 * @f:		Flow of type TCP
 */
static void tcp_migrate_collect(struct ctx *c, struct flow_common *f)
{
	struct tcp_conn *conn = tcp_conn_of(f);

	(void)c;

	/* Not one that is still being restored here, or carried already */
	if (conn->state != CONN_ESTABLISHED ||
	    (conn->flags & TCP_F_MIGRATED) ||
	    tcp_migrate_count == ARRAY_SIZE(tcp_migrate_flows))
		return;

	tcp_migrate_flows[tcp_migrate_count] = flow_idx(f);
	tcp_migrate_fds[tcp_migrate_count++] = conn->sock;
}

/**
 * tcp_migrate_conn() - A connection of this migration, on the source
 * @i:		Index in the migration
 *
 * Return: the connection, NULL if it closed meanwhile
 */
static struct tcp_conn *tcp_migrate_conn(unsigned i)
{
	struct flow_common *f = flow_at(tcp_migrate_flows[i], FLOW_TYPE_TCP);

	return f ? tcp_conn_of(f) : NULL;
}

/**
 * tcp_migrate_close_released() - Close the sockets let go of before
 * @c:		Execution context
 */
static void tcp_migrate_close_released(struct ctx *c)
{
	unsigned i;

	for (i = 0; i < tcp_migrate_count; i++) {
		struct tcp_conn *conn = tcp_migrate_conn(i);

		if (conn && (conn->flags & TCP_F_MIGRATED))
			tcp_conn_close(c, conn, false, "migrated");
	}
	tcp_migrate_count = 0;
	tcp_migrate_grace = false;
}

/**
 * tcp_migrate_prepare() - Put every established socket in repair mode
 * @c:		Execution context
 *
 * Return: number of connections to carry: 0 without a repair helper, or
 *	   if it fails (then in one warning line)
 */
static unsigned tcp_migrate_prepare(struct ctx *c)
{
	static const flow_timer_fn collect[FLOW_TYPE_MAX] = {
		[FLOW_TYPE_TCP] = tcp_migrate_collect,
	};
	int rc;

	if (tcp_migrate_grace)
		tcp_migrate_close_released(c);
	tcp_migrate_count = 0;
	flow_timer(c, collect);
	if (!tcp_migrate_count)
		return 0;

	rc = repair_wait(TCP_MIGRATE_HELPER_WAIT_MS);
	if (rc) {
		warn("Migration: no repair helper, %u TCP connections not "
		     "carried", tcp_migrate_count);
		tcp_migrate_count = 0;
		return 0;
	}

	rc = repair_set(tcp_migrate_fds, tcp_migrate_count, TCP_REPAIR_ON);
	if (rc) {
		warn("Migration: repair helper failed (%s), %u TCP "
		     "connections not carried", strerror(rc),
		     tcp_migrate_count);
		/* Those it switched, if any: nothing if it's gone */
		repair_set(tcp_migrate_fds, tcp_migrate_count, TCP_REPAIR_OFF);
		tcp_migrate_count = 0;
	}

	return tcp_migrate_count;
}

/**
 * tcp_migrate_save() - Write the flows stage: count, fixed records, then
 *			each socket's extended record and queues
 * @c:		Execution context
 * @fd:		Stream
 *
 * A socket whose state can't be read goes as skipped, and the others go
 * on. On failure, tcp_migrate_cancel() puts things back.
 *
 * Return: 0 on success, a positive errno if the stream can't be written
 *
 * #syscalls: ioctl write
 */
int tcp_migrate_save(struct ctx *c, int fd)
{
	uint8_t buf[TCP_MIGRATE_REC_LEN];
	unsigned i, n = tcp_migrate_prepare(c), skipped = 0;
	int rc;

	put_be32(buf, n);
	rc = write_all(fd, buf, 4);

	for (i = 0; !rc && i < n; i++) {
		const struct tcp_conn *conn = tcp_migrate_conn(i);

		ASSERT(conn);
		tcp_migrate_rec_put(conn, buf);
		rc = write_all(fd, buf, TCP_MIGRATE_REC_LEN);
	}

	for (i = 0; !rc && i < n; i++) {
		struct tcp_migrate_ext e;
		int s = tcp_migrate_fds[i], err;

		err = tcp_migrate_sock_read(s, &e);
		if (err) {
			flow_log(&tcp_migrate_conn(i)->f, LOG_WARNING,
				 "can't read socket state, not carried: %s",
				 strerror(err));
			memset(&e, 0, sizeof(e));
			skipped++;
		}
		tcp_migrate_ext_put(&e, buf);
		rc = write_all(fd, buf, TCP_MIGRATE_EXT_LEN);
		if (!rc && e.state) {
			rc = tcp_migrate_queue_copy(s, TCP_SEND_QUEUE, e.sndq,
						    fd);
		}
		if (!rc && e.state) {
			rc = tcp_migrate_queue_copy(s, TCP_RECV_QUEUE, e.rcvq,
						    fd);
		}
	}

	if (!rc)
		info("Migration: %u TCP connections saved, %u skipped",
		     n - skipped, skipped);
	return rc;
}

/**
 * tcp_migrate_saved() - The stream is out: the carried connections stop
 *			 here, their sockets stay in repair mode, silent
 * @c:		Execution context
 *
 * With --migrate-no-linger they close at once; otherwise when the front end
 * goes away (tcp_migrate_release()), or they resume if it cancels
 * (tcp_migrate_cancel()).
 */
void tcp_migrate_saved(struct ctx *c)
{
	unsigned i;

	for (i = 0; i < tcp_migrate_count; i++) {
		struct tcp_conn *conn = tcp_migrate_conn(i);

		if (!conn)
			continue;
		epoll_ref_del(c->epollfd, conn->sock);
		conn->flags |= TCP_F_MIGRATED;
	}

	if (c->migrate_no_linger)
		tcp_migrate_release(c);
}

/**
 * tcp_migrate_let_go() - Let a target on this host take a carried
 *			  connection's addresses and ports, the socket still
 *			  absorbing what comes in meanwhile
 * @c:		Execution context
 * @conn:	Connection carried away, socket deaf in repair mode
 *
 * A socket bound to a device no longer clashes with a new one of the same
 * addresses and ports, unbound: the target's connect() goes through. For
 * segments from the peer, the kernel then finds the target's socket first,
 * newer; until the target has it, ours, on the device they come in by,
 * drops them without a RST. So no segment finds no socket in between, as
 * it would if ours closed first. The device: loopback for a peer there,
 * else the template interface of the family.
 *
 * Return: true if bound, false if the socket should just close
 *
 * #syscalls: setsockopt
 */
static bool tcp_migrate_let_go(const struct ctx *c, const struct tcp_conn *conn)
{
	const union inany_addr *peer = &conn->f.side[FLOW_SIDE_HOST].eaddr;
	/* The loopback device is always the first of a namespace */
	int ifi = 1;

	if (!inany_is_loopback(peer))
		ifi = (int)(inany_v4(peer) ? c->ip4.ifi : c->ip6.ifi);

	return ifi && !setsockopt(conn->sock, SOL_SOCKET, SO_BINDTOIFINDEX,
				  &ifi, sizeof(ifi));
}

/**
 * tcp_migrate_release() - Let go of the connections a migration carried
 *			   away
 * @c:		Execution context
 *
 * Each socket lets a target on this host take its addresses at once
 * (tcp_migrate_let_go()), and closes TCP_MIGRATE_GRACE_MS later, or now if
 * it can't. Closing a socket in repair mode sends nothing: the peer only
 * ever sees the target's socket.
 */
void tcp_migrate_release(struct ctx *c)
{
	unsigned i, kept = 0;

	/* Let go of already, and closing on time */
	if (tcp_migrate_grace)
		return;

	for (i = 0; i < tcp_migrate_count; i++) {
		struct tcp_conn *conn = tcp_migrate_conn(i);

		if (!conn || !(conn->flags & TCP_F_MIGRATED))
			continue;
		if (tcp_migrate_let_go(c, conn))
			kept++;
		else
			tcp_conn_close(c, conn, false, "migrated");
	}

	if (!kept) {
		tcp_migrate_count = 0;
		return;
	}
	tcp_migrate_grace = true;
	tcp_migrate_grace_end = c->now;
	tcp_migrate_grace_end.tv_sec += TCP_MIGRATE_GRACE_MS / 1000;
}

/**
 * tcp_migrate_timer() - Close released sockets once their time is up
 * @c:		Execution context, with the current time
 *
 * Return: true while released sockets are still open
 */
bool tcp_migrate_timer(struct ctx *c)
{
	if (tcp_migrate_grace &&
	    timespec_diff_ms(&c->now, &tcp_migrate_grace_end) >= 0)
		tcp_migrate_close_released(c);
	return tcp_migrate_grace;
}

/**
 * tcp_migrate_reuse() - Let a socket share its port again, once out of
 *			 repair mode
 * @s:		Socket
 *
 * Repair mode lets a socket bind to any port; leaving it, the kernel takes
 * away SO_REUSEADDR too, and a listening socket on the same port (ours,
 * opened again after a migration) couldn't bind any more.
 *
 * #syscalls: setsockopt
 */
void tcp_migrate_reuse(int s)
{
	if (setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &(int){ 1 }, sizeof(int)))
		debug("Migration: SO_REUSEADDR: %s", strerror(errno));
}

/**
 * tcp_migrate_cancel() - The migration failed or was cancelled: the
 *			  connections leave repair mode and carry on here
 * @c:		Execution context
 *
 * Reading a socket's state took away its peek offset: it is set again to
 * what the guest was sent and hasn't acknowledged.
 */
void tcp_migrate_cancel(struct ctx *c)
{
	unsigned i, n = 0;

	/* Let go of already (--migrate-no-linger): they close as planned */
	if (tcp_migrate_grace)
		return;

	for (i = 0; i < tcp_migrate_count; i++) {
		struct tcp_conn *conn = tcp_migrate_conn(i);

		if (!conn)
			continue;
		/* Not there if its state wasn't read: that's fine */
		tcp_migrate_deaf(conn->sock, false);
		tcp_seg_rewind(conn, conn->seq_to_guest);
		tcp_migrate_fds[n++] = conn->sock;
	}
	if (n && repair_set(tcp_migrate_fds, n, TCP_REPAIR_OFF))
		warn("Migration: repair helper failed, connections may stall");

	for (i = 0; i < tcp_migrate_count; i++) {
		struct tcp_conn *conn = tcp_migrate_conn(i);

		if (!conn)
			continue;
		tcp_migrate_reuse(conn->sock);
		if (!(conn->flags & TCP_F_MIGRATED))
			continue;
		conn->flags &= (uint16_t)~TCP_F_MIGRATED;
		if (tcp_conn_epoll(c, conn, true))
			tcp_conn_rst(c, conn, "can't watch socket again");
	}
	tcp_migrate_count = 0;
}
