// SPDX-License-Identifier: GPL-2.0-or-later
/* tcp_migrate.c - TCP connections across a migration: their records in the
 * migration format, and moving a socket's kernel state with TCP_REPAIR
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
 * the front end goes away, or close at once with --migrate-no-linger. If
 * the migration is cancelled, they leave repair mode and carry on.
 *
 * Target: the whole stage is read and checked first, into a staging file
 * of our own (queues included): a malformed stream changes nothing. Then
 * each flow gets a new socket in repair mode, bound and connected to the
 * recorded addresses without a handshake, its queues, options and window
 * restored, and repair mode left. A flow that fails to restore is reset,
 * alone. A connect() that fails with EADDRNOTAVAIL means the source still
 * holds the same addresses and ports (two daemons in one network
 * namespace): that flow waits, in repair mode, and tries again until the
 * source lets go.
 */

#include <errno.h>
#include <fcntl.h>
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

/* Record lengths, and the largest queue of one flow we carry */
#define TCP_MIGRATE_REC_LEN	112
#define TCP_MIGRATE_EXT_LEN	52
#define TCP_MIGRATE_QUEUE_MAX	(64U << 20)

/* Interface types of a flow side, as the records give them */
#define TCP_MIGRATE_PIF_HOST	1
#define TCP_MIGRATE_PIF_GUEST	2

/* Connection events, as the records give them */
#define TCP_MIGRATE_EV_ESTABLISHED	0x04
#define TCP_MIGRATE_EV_SOCK_FIN_RCVD	0x08
#define TCP_MIGRATE_EV_SOCK_FIN_SENT	0x10
#define TCP_MIGRATE_EV_GUEST_FIN_RCVD	0x20
#define TCP_MIGRATE_EV_GUEST_FIN_SENT	0x40
#define TCP_MIGRATE_EV_GUEST_FIN_ACKED	0x80

/* Connection flags, as the records give them */
#define TCP_MIGRATE_F_STALLED		0x01
#define TCP_MIGRATE_F_ACK_TO_GUEST	0x08
#define TCP_MIGRATE_F_ACK_FROM_GUEST	0x10

/* Kernel TCP states a connection may be migrated in (tcp_states.h) */
#define TCP_MIGRATE_ST_SKIPPED		0
#define TCP_MIGRATE_ST_ESTABLISHED	1
#define TCP_MIGRATE_ST_FIN_WAIT1	4
#define TCP_MIGRATE_ST_FIN_WAIT2	5
#define TCP_MIGRATE_ST_CLOSE_WAIT	8
#define TCP_MIGRATE_ST_LAST_ACK		9
#define TCP_MIGRATE_ST_CLOSING		11

/* Flows at most in one stream: as many as the table holds */
#define TCP_MIGRATE_FLOWS_MAX	FLOW_MAX

/* How long a restored flow waits for the source to release its addresses,
 * in timer periods
 */
#define TCP_MIGRATE_RETRY_MAX	(10000 / TIMER_INTERVAL_MS)

/**
 * struct tcp_migrate_rec - The fixed record of a flow
 * @guest:	Guest side
 * @host:	Host side
 * @inbound:	The host side initiated
 * @retries:	Retransmissions without progress
 * @ws_from:	Guest's window scale
 * @ws_to:	Our window scale
 * @events:	TCP_MIGRATE_EV_* bits
 * @flags:	TCP_MIGRATE_F_* bits
 * @mss:	Our MSS towards the guest
 * @wnd_from:	Guest's window, unscaled
 * @wnd_to:	Our window, unscaled
 * @seq_to:	Next sequence number to the guest
 * @seq_ack_from: Last acknowledgement from the guest
 * @seq_from:	Next sequence number expected from the guest
 * @seq_ack_to:	Last acknowledgement to the guest
 */
struct tcp_migrate_rec {
	struct flowside guest;
	struct flowside host;
	bool inbound;
	uint8_t retries;
	uint8_t ws_from;
	uint8_t ws_to;
	uint8_t events;
	uint8_t flags;
	uint32_t mss;
	uint16_t wnd_from;
	uint16_t wnd_to;
	uint32_t seq_to;
	uint32_t seq_ack_from;
	uint32_t seq_from;
	uint32_t seq_ack_to;
};

/**
 * struct tcp_migrate_ext - The extended record of a flow: its socket
 * @seq_snd:	Sequence number of the first unacknowledged byte sent
 * @seq_rcv:	Sequence number of the first byte in the receive queue
 * @sndq:	Send queue length, sent and not
 * @notsent:	Of which not sent yet
 * @rcvq:	Receive queue length
 * @mss:	MSS of the socket
 * @timestamp:	TCP timestamp clock, 0 without timestamps
 * @wnd:	Window state
 * @snd_ws:	Send window scale
 * @rcv_ws:	Receive window scale
 * @state:	Kernel TCP state, TCP_MIGRATE_ST_SKIPPED if not carried
 * @options:	TCPI_OPT_* bits
 */
struct tcp_migrate_ext {
	uint32_t seq_snd;
	uint32_t seq_rcv;
	uint32_t sndq;
	uint32_t notsent;
	uint32_t rcvq;
	uint32_t mss;
	uint32_t timestamp;
	struct tcp_repair_window wnd;
	uint8_t snd_ws;
	uint8_t rcv_ws;
	uint8_t state;
	uint8_t options;
};

/* Source: the sockets of the flows of this migration, by flow index, in
 * the order of the records
 */
static uint32_t tcp_migrate_flows[TCP_MIGRATE_FLOWS_MAX];
static int tcp_migrate_fds[TCP_MIGRATE_FLOWS_MAX];
static unsigned tcp_migrate_count;

/**
 * tcp_migrate_state_ok() - Is a kernel TCP state one we carry?
 * @state:	TCP state from TCP_INFO, or from a record
 *
 * Return: true for established and closing states
 */
static bool tcp_migrate_state_ok(uint8_t state)
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
static int tcp_migrate_rec_get(const uint8_t *p, struct tcp_migrate_rec *r)
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
static int tcp_migrate_ext_get(const uint8_t *p, struct tcp_migrate_ext *e)
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
static int tcp_migrate_queue_select(int s, int q)
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
static bool tcp_migrate_fin_sent(uint8_t state)
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
static bool tcp_migrate_fin_rcvd(uint8_t state)
{
	return state == TCP_MIGRATE_ST_CLOSE_WAIT ||
	       state == TCP_MIGRATE_ST_LAST_ACK ||
	       state == TCP_MIGRATE_ST_CLOSING;
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

	buf = mmap(NULL, len, PROT_READ | PROT_WRITE,
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

	if (conn->state != CONN_ESTABLISHED ||
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

	tcp_migrate_count = 0;
	flow_timer(c, collect);
	if (!tcp_migrate_count)
		return 0;

	rc = repair_wait(TCP_MIGRATE_HELPER_WAIT_MS);
	if (!rc)
		rc = repair_set(tcp_migrate_fds, tcp_migrate_count,
				TCP_REPAIR_ON);
	if (rc) {
		warn("Migration: %s, %u TCP connections not carried",
		     rc == ENOTCONN ? "no repair helper" : strerror(rc),
		     tcp_migrate_count);
		if (rc != ENOTCONN)
			repair_set(tcp_migrate_fds, tcp_migrate_count,
				   TCP_REPAIR_OFF);
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
		int s = tcp_migrate_fds[i];

		if (tcp_migrate_sock_read(s, &e)) {
			flow_log(&tcp_migrate_conn(i)->f, LOG_WARNING,
				 "can't read socket state, not carried");
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
 * tcp_migrate_release() - Close the connections a migration carried away
 * @c:		Execution context
 *
 * Closing a socket in repair mode sends nothing: the peer only ever sees
 * the target's socket.
 */
void tcp_migrate_release(struct ctx *c)
{
	unsigned i;

	for (i = 0; i < tcp_migrate_count; i++) {
		struct tcp_conn *conn = tcp_migrate_conn(i);

		if (conn && (conn->flags & TCP_F_MIGRATED))
			tcp_conn_close(c, conn, false, "migrated");
	}
	tcp_migrate_count = 0;
}

/**
 * tcp_migrate_cancel() - The migration failed or was cancelled: the
 *			  connections leave repair mode and carry on here
 * @c:		Execution context
 */
void tcp_migrate_cancel(struct ctx *c)
{
	unsigned i, n = 0;

	for (i = 0; i < tcp_migrate_count; i++) {
		if (tcp_migrate_conn(i))
			tcp_migrate_fds[n++] = tcp_migrate_fds[i];
	}
	if (n && repair_set(tcp_migrate_fds, n, TCP_REPAIR_OFF))
		warn("Migration: repair helper failed, connections may stall");

	for (i = 0; i < tcp_migrate_count; i++) {
		struct tcp_conn *conn = tcp_migrate_conn(i);

		if (!conn || !(conn->flags & TCP_F_MIGRATED))
			continue;
		conn->flags &= (uint16_t)~TCP_F_MIGRATED;
		if (tcp_conn_epoll(c, conn, true))
			tcp_conn_rst(c, conn, "can't watch socket again");
	}
	tcp_migrate_count = 0;
}

/**
 * tcp_migrate_stage_copy() - Copy bytes of the stream into the staging file
 * @fd:		Stream
 * @stage:	Staging file
 * @len:	Bytes
 * @buf:	Where the first bytes also go, NULL if not wanted
 * @buf_len:	Length of @buf, at most @len
 *
 * Return: 0 on success, EIO if the stream ends first, another positive
 *	   errno if reading or writing fails
 *
 * #syscalls: read write
 */
static int tcp_migrate_stage_copy(int fd, int stage, size_t len, uint8_t *buf,
				  size_t buf_len)
{
	static uint8_t chunk[1 << 16];

	while (len) {
		size_t n = MIN(len, sizeof(chunk));
		int rc = read_all(fd, chunk, n);

		if (!rc)
			rc = write_all(stage, chunk, n);
		if (rc)
			return rc;
		if (buf && buf_len) {
			size_t take = MIN(buf_len, n);

			memcpy(buf, chunk, take);
			buf += take;
			buf_len -= take;
		}
		len -= n;
	}

	return 0;
}

/**
 * tcp_migrate_load() - Read and check the flows stage into a staging file
 * @fd:		Stream
 * @stage:	Staging file, empty: what is read goes there, for
 *		tcp_migrate_restore()
 * @count:	Number of flows, set
 *
 * Nothing outside the staging file changes: every record is checked here,
 * before any socket is opened.
 *
 * Return: 0 on success, EINVAL for an invalid record or a count larger
 *	   than we can hold, EIO if the stream ends early, another positive
 *	   errno if reading fails
 */
int tcp_migrate_load(int fd, int stage, uint32_t *count)
{
	uint8_t buf[TCP_MIGRATE_REC_LEN];
	uint32_t i, n;
	int rc;

	rc = tcp_migrate_stage_copy(fd, stage, 4, buf, 4);
	if (rc)
		return rc;
	n = get_be32(buf);
	if (n > TCP_MIGRATE_FLOWS_MAX) {
		err("Migration: %u TCP flows, more than the %u we hold", n,
		    TCP_MIGRATE_FLOWS_MAX);
		return EINVAL;
	}

	for (i = 0; i < n; i++) {
		struct tcp_migrate_rec r;

		rc = tcp_migrate_stage_copy(fd, stage, TCP_MIGRATE_REC_LEN,
					    buf, TCP_MIGRATE_REC_LEN);
		if (rc)
			return rc;
		if (tcp_migrate_rec_get(buf, &r)) {
			err("Migration: invalid TCP flow record %u", i);
			return EINVAL;
		}
	}

	for (i = 0; i < n; i++) {
		struct tcp_migrate_ext e;

		rc = tcp_migrate_stage_copy(fd, stage, TCP_MIGRATE_EXT_LEN,
					    buf, TCP_MIGRATE_EXT_LEN);
		if (rc)
			return rc;
		if (tcp_migrate_ext_get(buf, &e)) {
			err("Migration: invalid TCP socket record %u", i);
			return EINVAL;
		}
		if (!e.state)
			continue;
		rc = tcp_migrate_stage_copy(fd, stage,
					    (size_t)e.sndq + e.rcvq, NULL, 0);
		if (rc)
			return rc;
	}

	*count = n;
	return 0;
}

/**
 * struct tcp_migrate_pending - A flow being restored on the target
 * @fd:		Its socket, in repair mode; -1 once done with
 * @rec_off:	Offset of its fixed record in the staging file
 * @ext_off:	Offset of its extended record there, its queues after it
 * @bound:	Socket bound to the recorded address and port already
 * @tries:	Timer periods it waited for the source to release them
 */
struct tcp_migrate_pending {
	int fd;
	off_t rec_off;
	off_t ext_off;
	bool bound;
	unsigned tries;
};

static struct tcp_migrate_pending tcp_migrate_pend[TCP_MIGRATE_FLOWS_MAX];
static unsigned tcp_migrate_pend_n;
/* Staging file of the restore in progress, -1 if none */
static int tcp_migrate_stage_fd = -1;

/**
 * tcp_migrate_stage_read() - Read and parse a flow's records back from the
 *			      staging file, checked once already
 * @p:		Pending flow
 * @r:		Fixed record, filled in
 * @e:		Extended record, filled in
 *
 * Return: 0 on success, a positive errno on failure
 *
 * #syscalls: pread64
 */
static int tcp_migrate_stage_read(const struct tcp_migrate_pending *p,
				  struct tcp_migrate_rec *r,
				  struct tcp_migrate_ext *e)
{
	uint8_t rec[TCP_MIGRATE_REC_LEN], ext[TCP_MIGRATE_EXT_LEN];

	if (pread(tcp_migrate_stage_fd, rec, sizeof(rec), p->rec_off) !=
	    (ssize_t)sizeof(rec) ||
	    pread(tcp_migrate_stage_fd, ext, sizeof(ext), p->ext_off) !=
	    (ssize_t)sizeof(ext))
		return EIO;

	if (tcp_migrate_rec_get(rec, r) || tcp_migrate_ext_get(ext, e))
		return EINVAL;
	return 0;
}

/**
 * tcp_migrate_queue_fill() - Write staged queue bytes into a socket
 * @s:		Socket: in repair mode with the queue selected, or not
 * @off:	Offset of the bytes in the staging file
 * @len:	Bytes
 *
 * Return: 0 on success, a positive errno on failure
 *
 * #syscalls: pread64 sendto
 */
static int tcp_migrate_queue_fill(int s, off_t off, size_t len)
{
	static uint8_t chunk[1 << 16];

	while (len) {
		size_t n = MIN(len, sizeof(chunk));
		ssize_t w;

		if (pread(tcp_migrate_stage_fd, chunk, n, off) != (ssize_t)n)
			return EIO;
		do
			w = send(s, chunk, n, MSG_NOSIGNAL);
		while (w < 0 && errno == EINTR);
		if (w <= 0)
			return w < 0 ? errno : EIO;
		off += w;
		len -= (size_t)w;
	}

	return 0;
}

/**
 * tcp_migrate_sock_connect() - Bind and connect a socket in repair mode to
 *				its recorded addresses: no handshake
 * @p:		Pending flow
 * @r:		Fixed record
 * @e:		Extended record
 *
 * Return: 0 on success, EADDRNOTAVAIL while another socket holds the
 *	   addresses and ports, another positive errno on failure
 *
 * #syscalls: bind setsockopt connect
 */
static int tcp_migrate_sock_connect(struct tcp_migrate_pending *p,
				    const struct tcp_migrate_rec *r,
				    const struct tcp_migrate_ext *e)
{
	union sockaddr_inany sa;
	uint32_t seq_snd;
	socklen_t sl;
	int rc;

	if (!p->bound) {
		sl = inany_to_sockaddr(&sa, &r->host.oaddr, r->host.oport, 0);
		if (bind(p->fd, &sa.sa, sl))
			return errno;
		p->bound = true;
	}

	if (e->timestamp &&
	    setsockopt(p->fd, SOL_TCP, TCP_TIMESTAMP, &e->timestamp,
		       sizeof(e->timestamp)))
		return errno;

	/* In FIN_WAIT2 the sequence counts our FIN, acknowledged: the FIN
	 * that shutdown() queues later takes its place again
	 */
	seq_snd = e->seq_snd - (e->state == TCP_MIGRATE_ST_FIN_WAIT2);
	rc = tcp_migrate_queue_select(p->fd, TCP_SEND_QUEUE);
	if (!rc && setsockopt(p->fd, SOL_TCP, TCP_QUEUE_SEQ, &seq_snd,
			      sizeof(seq_snd)))
		rc = errno;
	if (!rc)
		rc = tcp_migrate_queue_select(p->fd, TCP_RECV_QUEUE);
	if (!rc && setsockopt(p->fd, SOL_TCP, TCP_QUEUE_SEQ, &e->seq_rcv,
			      sizeof(e->seq_rcv)))
		rc = errno;
	if (rc)
		return rc;

	sl = inany_to_sockaddr(&sa, &r->host.eaddr, r->host.eport, 0);
	if (connect(p->fd, &sa.sa, sl))
		return errno;

	return 0;
}

/**
 * tcp_migrate_sock_fill() - Restore the queues, options and window of a
 *			     connected socket in repair mode
 * @p:		Pending flow
 * @e:		Extended record
 *
 * Return: 0 on success, a positive errno on failure
 *
 * #syscalls: setsockopt shutdown
 */
static int tcp_migrate_sock_fill(const struct tcp_migrate_pending *p,
				 const struct tcp_migrate_ext *e)
{
	off_t q = p->ext_off + TCP_MIGRATE_EXT_LEN;
	struct tcp_repair_opt opts[4];
	int rc, n = 0, s = p->fd;

	/* A buffer smaller than what it held on the source can't take it */
	if (e->rcvq > (1U << 16)) {
		int v = (int)MIN((uint64_t)e->rcvq * 2, (uint64_t)INT_MAX);

		setsockopt(s, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v));
	}
	if (e->sndq > (1U << 16)) {
		int v = (int)MIN((uint64_t)e->sndq * 2, (uint64_t)INT_MAX);

		setsockopt(s, SOL_SOCKET, SO_SNDBUF, &v, sizeof(v));
	}

	/* Receive queue first, then the part of the send queue already sent:
	 * the rest goes out normally once repair mode is off
	 */
	rc = tcp_migrate_queue_select(s, TCP_RECV_QUEUE);
	if (!rc)
		rc = tcp_migrate_queue_fill(s, q + e->sndq, e->rcvq);
	if (!rc)
		rc = tcp_migrate_queue_select(s, TCP_SEND_QUEUE);
	if (!rc)
		rc = tcp_migrate_queue_fill(s, q, e->sndq - e->notsent);
	if (rc)
		return rc;

	opts[n++] = (struct tcp_repair_opt){ TCPOPT_MAXSEG, e->mss };
	if (e->options & TCPI_OPT_WSCALE) {
		opts[n++] = (struct tcp_repair_opt){
			TCPOPT_WINDOW, e->snd_ws | ((uint32_t)e->rcv_ws << 16) };
	}
	if (e->options & TCPI_OPT_SACK)
		opts[n++] = (struct tcp_repair_opt){ TCPOPT_SACK_PERMITTED, 0 };
	if (e->options & TCPI_OPT_TIMESTAMPS)
		opts[n++] = (struct tcp_repair_opt){ TCPOPT_TIMESTAMP, 0 };
	if (setsockopt(s, SOL_TCP, TCP_REPAIR_OPTIONS, opts,
		       (socklen_t)(sizeof(opts[0]) * (size_t)n)))
		return errno;

	/* Our FIN, acknowledged already: queued silently */
	if (e->state == TCP_MIGRATE_ST_FIN_WAIT2 && shutdown(s, SHUT_WR))
		return errno;

	if (setsockopt(s, SOL_TCP, TCP_REPAIR_WINDOW, &e->wnd, sizeof(e->wnd)))
		return errno;

	return 0;
}

/**
 * tcp_migrate_sock_finish() - Send what the source hadn't sent yet, and
 *			       our FIN if it was on its way, repair mode off
 * @p:		Pending flow
 * @e:		Extended record
 *
 * Return: 0 on success, a positive errno on failure
 *
 * #syscalls: fcntl setsockopt shutdown
 */
static int tcp_migrate_sock_finish(const struct tcp_migrate_pending *p,
				   const struct tcp_migrate_ext *e)
{
	off_t q = p->ext_off + TCP_MIGRATE_EXT_LEN;
	struct timeval tv = { .tv_sec = 1 };
	int rc, flags = fcntl(p->fd, F_GETFL);

	/* Blocking, with a time limit: the socket may need the peer's
	 * acknowledgements to take all of it
	 */
	if (flags < 0 || fcntl(p->fd, F_SETFL, flags & ~O_NONBLOCK) ||
	    setsockopt(p->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)))
		return errno;

	rc = tcp_migrate_queue_fill(p->fd, q + (e->sndq - e->notsent),
				    e->notsent);
	if (!rc && tcp_migrate_fin_sent(e->state) && shutdown(p->fd, SHUT_WR))
		rc = errno;

	tv.tv_sec = 0;
	setsockopt(p->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (fcntl(p->fd, F_SETFL, flags) && !rc)
		rc = errno;

	return rc;
}

/**
 * tcp_migrate_fail() - A flow that can't be restored: its socket closes,
 *			silently, and the guest gets a RST
 * @c:		Execution context
 * @p:		Pending flow
 * @r:		Its fixed record, NULL if it couldn't be read
 * @why:	What failed
 *
 * #syscalls: close
 */
static void tcp_migrate_fail(struct ctx *c, struct tcp_migrate_pending *p,
			     const struct tcp_migrate_rec *r, const char *why)
{
	char g[INANY_ADDRSTRLEN], h[INANY_ADDRSTRLEN];

	if (p->fd >= 0)
		close(p->fd);
	p->fd = -1;
	if (!r) {
		warn("Migration: TCP flow not restored: %s", why);
		return;
	}

	warn("Migration: TCP flow guest %s:%u, host %s:%u not restored: %s",
	     inany_ntop(&r->guest.eaddr, g, sizeof(g)), r->guest.eport,
	     inany_ntop(&r->host.eaddr, h, sizeof(h)), r->host.eport, why);
	tcp_seg_rst_reply(c, &r->guest, r->seq_to, r->seq_from, true);
}

/**
 * tcp_migrate_events_in() - Our closing progress from a record's events
 * @ev:		TCP_MIGRATE_EV_* bits
 *
 * Return: TCP_*FIN* bits
 */
static uint8_t tcp_migrate_events_in(uint8_t ev)
{
	uint8_t fin = 0;

	if (ev & TCP_MIGRATE_EV_SOCK_FIN_RCVD)
		fin |= TCP_SOCK_FIN_RCVD;
	if (ev & (TCP_MIGRATE_EV_GUEST_FIN_RCVD | TCP_MIGRATE_EV_SOCK_FIN_SENT))
		fin |= TCP_GUEST_FIN_RCVD;
	if (ev & TCP_MIGRATE_EV_GUEST_FIN_SENT)
		fin |= TCP_GUEST_FIN_SENT;
	if (ev & TCP_MIGRATE_EV_GUEST_FIN_ACKED)
		fin |= TCP_GUEST_FIN_ACKED;

	return fin;
}

/**
 * tcp_migrate_conn_new() - Give a restored socket its connection, and
 *			    resume it with the guest
 * @c:		Execution context
 * @p:		Pending flow, its socket ready: taken over
 * @r:		Fixed record
 *
 * Whatever the guest hasn't acknowledged goes again at once, from the
 * restored queue: what was in flight at the switch may be lost.
 *
 * #syscalls: setsockopt
 */
static void tcp_migrate_conn_new(struct ctx *c, struct tcp_migrate_pending *p,
				 const struct tcp_migrate_rec *r)
{
	struct flow_common *f = flow_alloc();
	struct tcp_conn *conn;
	int one = 1, rc;

	if (!f) {
		tcp_migrate_fail(c, p, r, "flow table full");
		return;
	}

	f->side[FLOW_SIDE_GUEST] = r->guest;
	f->side[FLOW_SIDE_HOST] = r->host;
	conn = tcp_conn_of(f);
	conn->sock = p->fd;
	p->fd = -1;
	flow_activate(f, FLOW_TYPE_TCP);
	if (r->inbound) {
		f->flags |= FLOW_F_INBOUND;
		conn->flags |= TCP_F_INBOUND;
	}

	conn->state = CONN_ESTABLISHED;
	conn->fin = tcp_migrate_events_in(r->events);
	conn->mss = (uint16_t)r->mss;
	conn->ws_from_guest = r->ws_from & 0xf;
	conn->ws_to_guest = r->ws_to & 0xf;
	conn->wnd_from_guest = r->wnd_from;
	conn->seq_max_to_guest = r->seq_to;
	conn->seq_ack_from_guest = r->seq_ack_from;
	conn->seq_to_guest = r->seq_ack_from;
	conn->seq_from_guest = r->seq_from;
	conn->seq_ack_to_guest = r->seq_ack_to;
	conn->active_s = (uint16_t)c->now.tv_sec;
	if (r->flags & TCP_MIGRATE_F_ACK_TO_GUEST)
		conn->flags |= TCP_F_ACK_DUE;
	tcp_wnd_update(conn);

	setsockopt(conn->sock, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	rc = setsockopt(conn->sock, SOL_SOCKET, SO_PEEK_OFF,
			&(int){ 0 }, sizeof(int)) ? errno : 0;
	if (!rc)
		rc = flow_hash_insert(f, FLOW_SIDE_GUEST);
	if (!rc)
		rc = tcp_conn_epoll(c, conn, true);
	if (rc) {
		tcp_conn_rst(c, conn, strerror(rc));
		return;
	}

	flow_log(f, LOG_DEBUG, "restored");
	tcp_send_ack(c, conn);
	rc = tcp_sock_data(c, conn, UINT32_MAX);
	if (rc)
		tcp_conn_rst(c, conn, strerror(rc));
}

/**
 * tcp_migrate_resume() - Take pending flows whose socket connected out of
 *			  repair mode, and resume them
 * @c:		Execution context
 * @ready:	Indices of those flows in tcp_migrate_pend
 * @n:		Number of them
 */
static void tcp_migrate_resume(struct ctx *c, const unsigned *ready, size_t n)
{
	size_t i, cnt = 0;
	int rc;

	for (i = 0; i < n; i++)
		tcp_migrate_fds[cnt++] = tcp_migrate_pend[ready[i]].fd;
	rc = cnt ? repair_set(tcp_migrate_fds, cnt, TCP_REPAIR_OFF) : 0;

	for (i = 0; i < n; i++) {
		struct tcp_migrate_pending *p = &tcp_migrate_pend[ready[i]];
		struct tcp_migrate_rec r;
		struct tcp_migrate_ext e;
		int err = tcp_migrate_stage_read(p, &r, &e);

		if (err) {
			tcp_migrate_fail(c, p, NULL, strerror(err));
			continue;
		}
		err = rc ? rc : tcp_migrate_sock_finish(p, &e);
		if (err) {
			tcp_migrate_fail(c, p, &r, strerror(err));
			continue;
		}
		tcp_migrate_conn_new(c, p, &r);
	}
}

/**
 * tcp_migrate_advance() - Connect and fill the pending flows' sockets, and
 *			   resume those that are ready
 * @c:		Execution context
 *
 * Flows whose addresses another socket still holds stay pending, for the
 * next try.
 *
 * #syscalls: close
 */
static void tcp_migrate_advance(struct ctx *c)
{
	static unsigned ready[TCP_MIGRATE_FLOWS_MAX];
	unsigned i, n = 0, left = 0;

	for (i = 0; i < tcp_migrate_pend_n; i++) {
		struct tcp_migrate_pending *p = &tcp_migrate_pend[i];
		struct tcp_migrate_rec r;
		struct tcp_migrate_ext e;
		int rc;

		if (p->fd < 0)
			continue;

		rc = tcp_migrate_stage_read(p, &r, &e);
		if (!rc)
			rc = tcp_migrate_sock_connect(p, &r, &e);
		if (rc == EADDRNOTAVAIL &&
		    ++p->tries <= TCP_MIGRATE_RETRY_MAX) {
			left++;
			continue;
		}
		if (!rc)
			rc = tcp_migrate_sock_fill(p, &e);
		if (rc) {
			tcp_migrate_fail(c, p, &r, strerror(rc));
			continue;
		}
		ready[n++] = i;
	}

	tcp_migrate_resume(c, ready, n);

	if (!left) {
		close(tcp_migrate_stage_fd);
		tcp_migrate_stage_fd = -1;
		tcp_migrate_pend_n = 0;
	}
}

/**
 * tcp_migrate_restore() - Recreate the flows a checked stage carries
 * @c:		Execution context
 * @stage:	Staging file from tcp_migrate_load(): taken over
 * @count:	Number of flows in it
 *
 * Flows that fail are reset one by one, with a log line each; the others
 * carry on.
 *
 * #syscalls: socket setsockopt close
 */
void tcp_migrate_restore(struct ctx *c, int stage, uint32_t count)
{
	off_t ext_off = 4 + (off_t)count * TCP_MIGRATE_REC_LEN;
	unsigned i, n = 0;
	int rc;

	/* A restore still waiting from an earlier migration gives up */
	for (i = 0; i < tcp_migrate_pend_n; i++) {
		if (tcp_migrate_pend[i].fd >= 0)
			tcp_migrate_fail(c, &tcp_migrate_pend[i], NULL,
					 "superseded");
	}
	if (tcp_migrate_stage_fd >= 0)
		close(tcp_migrate_stage_fd);
	tcp_migrate_stage_fd = stage;
	tcp_migrate_pend_n = 0;

	for (i = 0; i < count; i++) {
		struct tcp_migrate_pending *p = &tcp_migrate_pend[n];
		struct tcp_migrate_rec r;
		struct tcp_migrate_ext e;
		int s;

		*p = (struct tcp_migrate_pending){
			.fd = -1, .rec_off = 4 + (off_t)i * TCP_MIGRATE_REC_LEN,
			.ext_off = ext_off,
		};
		rc = tcp_migrate_stage_read(p, &r, &e);
		if (rc) {
			tcp_migrate_fail(c, p, NULL, strerror(rc));
			break;
		}
		ext_off += TCP_MIGRATE_EXT_LEN;
		if (!e.state)
			continue;	/* skipped by the source */
		ext_off += (off_t)e.sndq + e.rcvq;

		s = socket(inany_v4(&r.host.eaddr) ? AF_INET : AF_INET6,
			   SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
			   IPPROTO_TCP);
		if (s < 0 || s > EPOLL_REF_FD_MAX) {
			if (s >= 0)
				close(s);
			tcp_migrate_fail(c, p, &r, "can't open socket");
			continue;
		}
		setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &(int){ 1 },
			   sizeof(int));
		p->fd = s;
		tcp_migrate_fds[n++] = s;
	}
	tcp_migrate_pend_n = n;

	if (!n) {
		close(tcp_migrate_stage_fd);
		tcp_migrate_stage_fd = -1;
		return;
	}

	rc = repair_set(tcp_migrate_fds, n, TCP_REPAIR_ON);
	if (rc) {
		for (i = 0; i < n; i++) {
			struct tcp_migrate_pending *p = &tcp_migrate_pend[i];
			struct tcp_migrate_rec r;
			struct tcp_migrate_ext e;

			if (tcp_migrate_stage_read(p, &r, &e))
				tcp_migrate_fail(c, p, NULL, strerror(rc));
			else
				tcp_migrate_fail(c, p, &r, strerror(rc));
		}
		tcp_migrate_pend_n = 0;
		close(tcp_migrate_stage_fd);
		tcp_migrate_stage_fd = -1;
		return;
	}

	tcp_migrate_advance(c);
	info("Migration: %u TCP flows restored or pending", n);
}

/**
 * tcp_migrate_timer() - Try the pending flows of a restore again
 * @c:		Execution context
 */
void tcp_migrate_timer(struct ctx *c)
{
	if (tcp_migrate_stage_fd >= 0)
		tcp_migrate_advance(c);
}
