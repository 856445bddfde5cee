// SPDX-License-Identifier: GPL-2.0-or-later
/* tcp.c - TCP translation: the state machine pairing each guest connection
 * with a host socket
 *
 * Guest to host: a SYN opens a non-blocking connect(); the guest gets its
 * SYN,ACK once the host connection is up, a RST if it fails. Data goes to
 * the socket with one sendmsg() per batch of segments; the guest is
 * acknowledged only for what the kernel took, and its window is the free
 * space of the socket's send buffer, so nothing is ever acknowledged and
 * then lost.
 *
 * Host to guest: tcp_seg.c reads the socket with MSG_PEEK into segments
 * within the guest's window; data leaves the socket's queue only when the
 * guest acknowledges it. A timeout rewinds to the first unacknowledged
 * byte and sends everything again; three duplicate ACKs resend only the
 * first segment.
 *
 * FIN and RST map both ways: a FIN from the guest is shutdown(SHUT_WR), the
 * peer's end of data is our FIN after the last byte, a RST from the guest
 * closes the socket with a zero linger time (a RST to the peer), and a
 * socket error is a RST to the guest. A connection closes once both
 * directions have ended and the guest has acknowledged our FIN.
 */

#include <errno.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ctx.h"
#include "epoll_ref.h"
#include "flow.h"
#include "fwd.h"
#include "l2.h"
#include "log.h"
#include "pkt.h"
#include "siphash.h"
#include "tcp.h"
#include "tcp_conn.h"
#include "util.h"

#define TCP_HDR_MIN		20
/* Our window scale: windows up to 16 MiB */
#define TCP_WS_TO_TAP		8
/* The guest's MSS if it sends no option (RFC 9293, 3.7.1) */
#define TCP_GUEST_MSS_DEFAULT	536
/* Retransmission timeout: initial (RFC 6298, 2.1) and largest */
#define TCP_RTO_MS		1000U
#define TCP_RTO_MAX_MS		60000U
/* Retransmissions without progress before we give up */
#define TCP_SYN_RETRIES		5
#define TCP_DATA_RETRIES	7
/* Keep-alive probes to an idle guest, and the idle time that resets */
#define TCP_KEEPALIVE_S		30
#define TCP_INACTIVE_S		7200
/* Segments of one connection handled in one call */
#define TCP_BATCH_MAX		1024
/* Delayed ACKs (RFC 9293, 3.8.6.3; RFC 5681, 4.2): how long an ACK for
 * guest data may wait for our next segment to carry it
 */
#define TCP_ACK_DELAY_MS	2

/**
 * struct tcp_seg_in - A parsed segment from the guest
 * @sport:	Source port
 * @dport:	Destination port
 * @seq:	Sequence number
 * @ack:	Acknowledgement number
 * @wnd:	Window, unscaled
 * @flags:	TCP flags
 * @mss:	MSS option, 0 if absent
 * @ws:		Window scale option, -1 if absent
 * @ts:		Timestamps option present
 * @tsval:	Timestamp value, if @ts
 * @data:	Payload
 * @len:	Payload length
 */
struct tcp_seg_in {
	uint16_t sport;
	uint16_t dport;
	uint32_t seq;
	uint32_t ack;
	uint16_t wnd;
	uint8_t flags;
	uint16_t mss;
	int8_t ws;
	bool ts;
	uint32_t tsval;
	const uint8_t *data;
	size_t len;
};

static struct siphash_key tcp_isn_key;

/* Connections whose ACK waits (TCP_F_ACK_DELAYED), and when they all go
 * out; one that doesn't fit sends its ACK at once
 */
static struct flow_list tcp_ack_delayed;
static uint32_t tcp_ack_deadline_ms;
/* Connections whose frames the front end refused (TCP_F_L2_WAIT), to
 * resume once it takes frames again. If more wait than the list holds, the
 * whole table is searched instead.
 */
static struct flow_list tcp_l2_waiting;
/* Connections resumed so, for the debug log */
static unsigned long tcp_l2_resumed;

/**
 * tcp_parse() - Check and parse a segment's header and options
 * @p:		Parsed frame, protocol TCP
 * @s:		Result
 *
 * Return: 0 on success, EINVAL for a malformed header
 */
static int tcp_parse(const struct pkt *p, struct tcp_seg_in *s)
{
	const uint8_t *th = p->l4, *opt, *end;
	size_t doff;

	if (p->l4_len < TCP_HDR_MIN)
		return EINVAL;
	doff = (size_t)(th[12] >> 4) * 4;
	if (doff < TCP_HDR_MIN || doff > p->l4_len)
		return EINVAL;

	memset(s, 0, sizeof(*s));
	s->sport = get_be16(th);
	s->dport = get_be16(th + 2);
	s->seq = get_be32(th + 4);
	s->ack = get_be32(th + 8);
	s->flags = th[13];
	s->wnd = get_be16(th + 14);
	s->ws = -1;
	s->data = th + doff;
	s->len = p->l4_len - doff;

	for (opt = th + TCP_HDR_MIN, end = th + doff; opt < end;) {
		size_t len;

		if (opt[0] == 0)		/* end of options */
			break;
		if (opt[0] == 1) {		/* no-operation */
			opt++;
			continue;
		}
		if (end - opt < 2 || opt[1] < 2 || opt[1] > end - opt)
			break;
		len = opt[1];

		if (opt[0] == 2 && len == 4)
			s->mss = get_be16(opt + 2);
		else if (opt[0] == 3 && len == 3)
			s->ws = (int8_t)MIN(opt[2], 14);	/* RFC 7323, 2.3 */
		else if (opt[0] == 8 && len == 10) {
			s->ts = true;
			s->tsval = get_be32(opt + 2);
		}
		opt += len;
	}

	return 0;
}

/**
 * tcp_guest_side() - Guest side of a flow, from a guest segment
 * @p:		Parsed frame
 * @s:		Parsed segment
 * @fs:		Result
 */
static void tcp_guest_side(const struct pkt *p, const struct tcp_seg_in *s,
			   struct flowside *fs)
{
	fs->eaddr = p->src;
	fs->eport = s->sport;
	fs->oaddr = p->dst;
	fs->oport = s->dport;
}

/**
 * tcp_rst_reply() - Answer a segment that has no connection with a RST
 * @c:		Execution context
 * @p:		Parsed frame
 * @s:		Parsed segment, not a RST itself
 *
 * As RFC 9293, 3.10.7.1: with an ACK, the RST takes its number as sequence;
 * without, it acknowledges everything the segment carried.
 */
static void tcp_rst_reply(struct ctx *c, const struct pkt *p,
			  const struct tcp_seg_in *s)
{
	struct flowside fs;
	uint32_t ack;

	if (s->flags & TCP_RST)
		return;

	tcp_guest_side(p, s, &fs);
	ack = s->seq + (uint32_t)s->len + !!(s->flags & TCP_SYN) +
	      !!(s->flags & TCP_FIN);
	if (s->flags & TCP_ACK)
		tcp_seg_rst_reply(c, &fs, s->ack, 0, false);
	else
		tcp_seg_rst_reply(c, &fs, 0, ack, true);
}

/**
 * tcp_isn() - Our initial sequence number for a connection (RFC 6528)
 * @c:		Execution context
 * @fs:		Guest side of the connection
 *
 * Return: keyed hash of the addresses and ports, plus a clock ticking every
 *	   4 microseconds or so
 */
static uint32_t tcp_isn(const struct ctx *c, const struct flowside *fs)
{
	uint64_t ns = (uint64_t)c->now.tv_sec * NS_PER_SEC +
		      (uint64_t)c->now.tv_nsec;

	return (uint32_t)siphash_2_4(&tcp_isn_key, fs, sizeof(*fs)) +
	       (uint32_t)(ns >> 12);
}

/**
 * tcp_timer_set() - Start or stop a connection's retransmission timer
 * @c:		Execution context
 * @conn:	Connection
 * @on:		Start (else stop)
 */
static void tcp_timer_set(const struct ctx *c, struct tcp_conn *conn, bool on)
{
	uint32_t rto = MIN(TCP_RTO_MS << conn->retries, TCP_RTO_MAX_MS);

	conn->timer_ms = on ? (tcp_now_ms(c) + rto) | 1 : 0;
}

/**
 * tcp_epoll() - Set the events a connection's socket is watched for
 * @c:		Execution context
 * @conn:	Connection
 * @add:	First registration (else a change)
 *
 * Return: 0 on success, a positive errno on failure
 */
static int tcp_epoll(const struct ctx *c, const struct tcp_conn *conn,
		     bool add)
{
	union epoll_ref ref = {
		.type = EPOLL_TYPE_TCP, .fd = (uint32_t)conn->sock,
		.index = flow_idx(&conn->f),
	};
	uint32_t events = EPOLLRDHUP | EPOLLET;

	if (conn->state == CONN_CONNECTING || (conn->flags & TCP_F_WAIT_OUT))
		events |= EPOLLOUT;
	if (conn->state != CONN_CONNECTING)
		events |= EPOLLIN;

	if (add)
		return epoll_ref_add(c->epollfd, events, ref);
	return epoll_ref_mod(c->epollfd, events, ref);
}

/**
 * tcp_close() - Close a connection's socket and retire its flow
 * @conn:	Connection
 * @reset:	Close with a zero linger time: the peer gets a RST
 * @why:	What happened, for the debug log
 */
static void tcp_close(struct tcp_conn *conn, bool reset, const char *why)
{
	if (reset) {
		struct linger l = { .l_onoff = 1, .l_linger = 0 };

		setsockopt(conn->sock, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
	}
	close(conn->sock);
	conn->sock = -1;
	flow_log(&conn->f, LOG_DEBUG, "%s", why);
	flow_close(&conn->f);
}

/**
 * tcp_rst() - Reset a connection both ways
 * @c:		Execution context
 * @conn:	Connection
 * @why:	What happened, for the debug log
 */
void tcp_rst(struct ctx *c, struct tcp_conn *conn, const char *why)
{
	uint32_t seq = conn->state == CONN_CONNECTING ? 0 : conn->seq_to_tap;

	tcp_seg_ctl(c, conn, TCP_RST | TCP_ACK, seq);
	tcp_close(conn, true, why);
}

/**
 * tcp_rewind() - Send again from an earlier sequence number
 * @conn:	Established connection
 * @seq:	Sequence number, not before the guest's last ACK
 */
void tcp_rewind(struct tcp_conn *conn, uint32_t seq)
{
	int off = (int)(seq - conn->seq_ack_from_tap);

	conn->seq_to_tap = seq;
	conn->flags &= (uint16_t)~TCP_F_DRAINED;
	if (setsockopt(conn->sock, SOL_SOCKET, SO_PEEK_OFF, &off, sizeof(off)))
		debug_ratelimit("SO_PEEK_OFF: %s", strerror(errno));
}

/**
 * tcp_wnd_to_tap() - Window to advertise to the guest, from the free space
 *		      of the socket's send buffer
 * @conn:	Connection
 *
 * Sets TCP_F_WND_LOW when the window is so low that the socket must tell
 * us when it drains (see tcp_epoll_sync()), clears it otherwise.
 *
 * Return: window field, scaled down by our window scale
 */
uint16_t tcp_wnd_to_tap(struct tcp_conn *conn)
{
	uint32_t wnd = 65535, max = 65535U << conn->ws_to_tap;
	int sndbuf, outq;
	socklen_t sl = sizeof(sndbuf);

	conn->flags &= (uint16_t)~TCP_F_WND_LOW;
	if (conn->state == CONN_ESTABLISHED &&
	    !getsockopt(conn->sock, SOL_SOCKET, SO_SNDBUF, &sndbuf, &sl) &&
	    !ioctl(conn->sock, SIOCOUTQ, &outq)) {
		/* The kernel counts its own overhead against the buffer:
		 * promise only three quarters of it
		 */
		long avail = (long)sndbuf / 4 * 3 - outq;

		wnd = avail > 0 ? (uint32_t)avail : 0;
		/* Below this, the kernel no longer reports the socket as
		 * writable, so EPOLLOUT will come once it drains
		 */
		if (wnd < (uint32_t)sndbuf / 12)
			conn->flags |= TCP_F_WND_LOW;
	}

	wnd = MIN(wnd, max);
	conn->wnd_to_tap = (uint16_t)(wnd >> conn->ws_to_tap);

	return conn->wnd_to_tap;
}

/**
 * tcp_epoll_sync() - Watch for EPOLLOUT exactly while our window is low
 * @c:		Execution context
 * @conn:	Connection
 */
static void tcp_epoll_sync(const struct ctx *c, struct tcp_conn *conn)
{
	bool low = conn->flags & TCP_F_WND_LOW;

	if (low == !!(conn->flags & TCP_F_WAIT_OUT))
		return;

	conn->flags ^= TCP_F_WAIT_OUT;
	tcp_epoll(c, conn, false);
}

/**
 * tcp_send_ack() - Send an ACK
 * @c:		Execution context
 * @conn:	Connection
 */
static void tcp_send_ack(struct ctx *c, struct tcp_conn *conn)
{
	tcp_seg_ctl(c, conn, TCP_ACK, conn->seq_to_tap);
}

/**
 * tcp_ack_data_in() - Acknowledge what the guest sent, now or a bit later
 * @c:		Execution context
 * @conn:	Established connection
 *
 * An ACK owed for a reason (a duplicate, a hole, a FIN, data the socket
 * did not take all of) goes now, and so does one covering a full-sized
 * segment or more, so that bulk transfers keep their pace. One for less
 * waits up to TCP_ACK_DELAY_MS: in an exchange of requests and answers,
 * the host's answer usually comes first and carries it, which saves the
 * guest a frame per exchange.
 */
static void tcp_ack_data_in(struct ctx *c, struct tcp_conn *conn)
{
	uint32_t unacked = conn->seq_from_tap - conn->seq_ack_to_tap;

	if (!unacked && !(conn->flags & TCP_F_ACK_DUE))
		return;

	/* A FIN the socket took set TCP_TAP_FIN_RCVD, one it didn't set
	 * TCP_F_ACK_DUE
	 */
	if ((conn->flags & TCP_F_ACK_DUE) || unacked >= conn->mss ||
	    (conn->fin & TCP_TAP_FIN_RCVD)) {
		tcp_send_ack(c, conn);
		return;
	}

	if (conn->flags & TCP_F_ACK_DELAYED)
		return;

	if (!tcp_ack_delayed.n)
		tcp_ack_deadline_ms = tcp_now_ms(c) + TCP_ACK_DELAY_MS;
	if (flow_list_add(&tcp_ack_delayed, flow_idx(&conn->f)))
		conn->flags |= TCP_F_ACK_DELAYED;
	else
		tcp_send_ack(c, conn);
}

/**
 * tcp_ack_delayed_flush() - Send the delayed ACKs that are due
 * @c:		Execution context
 *
 * A connection that sent a segment since has no ACK waiting any more (any
 * segment clears TCP_F_ACK_DELAYED), and a closed one has no TCP flow.
 */
static void tcp_ack_delayed_flush(struct ctx *c)
{
	uint32_t idx[FLOW_LIST_MAX];
	unsigned i, n;

	if (!tcp_ack_delayed.n || SEQ_LT(tcp_now_ms(c), tcp_ack_deadline_ms))
		return;

	/* Overflows need nothing: one that didn't fit sent its ACK at once */
	n = flow_list_take(&tcp_ack_delayed, idx, NULL);
	for (i = 0; i < n; i++) {
		struct flow_common *f = flow_at(idx[i], FLOW_TYPE_TCP);
		struct tcp_conn *conn;

		if (!f)
			continue;
		conn = tcp_conn_of(f);
		if ((conn->flags & TCP_F_ACK_DELAYED) &&
		    conn->state == CONN_ESTABLISHED)
			tcp_send_ack(c, conn);
		conn->flags &= (uint16_t)~TCP_F_ACK_DELAYED;
	}
}

/**
 * tcp_wait_ms() - How long the main loop may wait for events
 * @c:		Execution context, with the current time
 *
 * Return: milliseconds until the delayed ACKs are due, -1 if none waits
 */
int tcp_wait_ms(const struct ctx *c)
{
	int32_t left;

	if (!tcp_ack_delayed.n)
		return -1;

	left = (int32_t)(tcp_ack_deadline_ms - tcp_now_ms(c));
	return left > 0 ? left : 0;
}

/**
 * tcp_discard() - Drop data the guest acknowledged from the socket's queue
 * @conn:	Connection
 * @n:		Bytes
 *
 * Return: 0 on success, a positive errno on failure
 */
static int tcp_discard(struct tcp_conn *conn, uint32_t n)
{
	while (n) {
		/* With MSG_TRUNC, TCP drops the bytes and writes nothing */
		/* cppcheck-suppress nullPointer */
		ssize_t r = recv(conn->sock, NULL, n, MSG_TRUNC | MSG_DONTWAIT);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return r < 0 ? errno : EIO;
		n -= (uint32_t)r;
	}

	return 0;
}

/**
 * tcp_sock_data() - Send socket data to the guest, reset on failure
 * @c:		Execution context
 * @conn:	Established connection
 * @limit:	Most bytes, UINT32_MAX for the whole window
 *
 * Return: false if the connection was reset
 */
static bool tcp_sock_data(struct ctx *c, struct tcp_conn *conn,
			  uint32_t limit)
{
	int rc = tcp_seg_data(c, conn, limit);

	if (rc) {
		tcp_rst(c, conn, strerror(rc));
		return false;
	}

	/* Data in flight, or a zero window to probe */
	if (!conn->timer_ms && (conn->seq_to_tap != conn->seq_ack_from_tap ||
				(conn->flags & TCP_F_STALLED)))
		tcp_timer_set(c, conn, true);

	return true;
}

/**
 * tcp_send_again() - Send what the guest is still owed: our SYN or SYN,ACK
 *		      during the handshake, data from @seq_to_tap once
 *		      established
 * @c:		Execution context
 * @conn:	Connection
 *
 * Return: false if the connection was reset
 */
static bool tcp_send_again(struct ctx *c, struct tcp_conn *conn)
{
	switch (conn->state) {
	case CONN_SYN_ACK_SENT:
		tcp_seg_ctl(c, conn, TCP_SYN | TCP_ACK, conn->seq_ack_from_tap);
		return true;
	case CONN_SYN_SENT:
		tcp_seg_ctl(c, conn, TCP_SYN, conn->seq_ack_from_tap);
		return true;
	case CONN_ESTABLISHED:
		return tcp_sock_data(c, conn, UINT32_MAX);
	default:
		return true;
	}
}

/**
 * tcp_close_check() - Close a connection once both directions are done
 * @conn:	Connection
 *
 * Return: true if closed
 */
static bool tcp_close_check(struct tcp_conn *conn)
{
	if ((conn->fin & TCP_TAP_FIN_ACKED) && (conn->fin & TCP_TAP_FIN_RCVD)) {
		tcp_close(conn, false, "closed");
		return true;
	}

	return false;
}

/**
 * tcp_fast_retransmit() - Send the first unacknowledged segment again
 * @c:		Execution context
 * @conn:	Connection
 */
static void tcp_fast_retransmit(struct ctx *c, struct tcp_conn *conn)
{
	uint32_t next = conn->seq_to_tap;

	tcp_rewind(conn, conn->seq_ack_from_tap);
	if (!tcp_sock_data(c, conn, conn->mss))
		return;
	if (SEQ_LT(conn->seq_to_tap, next))
		tcp_rewind(conn, next);
}

/**
 * tcp_ack_in() - Process the acknowledgement and window of a segment
 * @c:		Execution context
 * @conn:	Established connection
 * @s:		Segment with ACK set
 *
 * Return: true if the guest acknowledged new data or opened its window,
 *	   so that more can be sent; false otherwise, or if reset
 */
static bool tcp_ack_in(struct ctx *c, struct tcp_conn *conn,
		       const struct tcp_seg_in *s)
{
	uint32_t una = conn->seq_ack_from_tap, wnd = tcp_guest_wnd(conn);
	uint32_t acked;
	int rc;

	if (SEQ_GT(s->ack, conn->seq_max_to_tap)) {
		conn->flags |= TCP_F_ACK_DUE;	/* ACK for unsent data */
		return false;
	}
	if (SEQ_LT(s->ack, una))
		return false;			/* old, reordered */

	conn->wnd_from_tap = s->wnd;

	if (s->ack == una) {
		if (!s->len && !(s->flags & TCP_FIN) &&
		    conn->seq_to_tap != una && tcp_guest_wnd(conn) == wnd &&
		    ++conn->dup_acks == 3)
			tcp_fast_retransmit(c, conn);
		return tcp_guest_wnd(conn) > wnd;
	}

	acked = s->ack - una;
	if ((conn->fin & TCP_TAP_FIN_SENT) &&
	    s->ack == conn->seq_max_to_tap) {
		conn->fin |= TCP_TAP_FIN_ACKED;
		acked--;
	}

	rc = tcp_discard(conn, acked);
	if (rc) {
		tcp_rst(c, conn, strerror(rc));
		return false;
	}

	conn->seq_ack_from_tap = s->ack;
	if (SEQ_GT(s->ack, conn->seq_to_tap))
		conn->seq_to_tap = s->ack;
	conn->retries = 0;
	conn->dup_acks = 0;
	tcp_timer_set(c, conn, conn->seq_to_tap != s->ack);

	return true;
}

/**
 * tcp_established() - The handshake is complete
 * @c:		Execution context
 * @conn:	Connection
 * @ack:	Guest's acknowledgement of our SYN
 */
static void tcp_established(const struct ctx *c, struct tcp_conn *conn,
			    uint32_t ack)
{
	int zero = 0;

	conn->state = CONN_ESTABLISHED;
	conn->seq_ack_from_tap = ack;
	conn->retries = 0;
	tcp_timer_set(c, conn, false);

	/* Reads at an offset: from here on, MSG_PEEK continues after what
	 * was already sent
	 */
	if (setsockopt(conn->sock, SOL_SOCKET, SO_PEEK_OFF, &zero,
		       sizeof(zero)))
		debug_ratelimit("SO_PEEK_OFF: %s", strerror(errno));
	flow_log(&conn->f, LOG_DEBUG, "established");
}

/**
 * tcp_guest_opts() - Take the guest's MSS, window scale and timestamps
 * @c:		Execution context
 * @conn:	Connection
 * @s:		Guest's SYN or SYN,ACK
 */
static void tcp_guest_opts(const struct ctx *c, struct tcp_conn *conn,
			   const struct tcp_seg_in *s)
{
	bool v4 = !!inany_v4(&conn->f.side[FLOW_SIDE_GUEST].eaddr);
	int mtu = c->mtu ? c->mtu : MTU_DEFAULT;
	unsigned mss = s->mss ? s->mss : TCP_GUEST_MSS_DEFAULT;

	conn->mss = (uint16_t)MIN(mss, (unsigned)mtu - (v4 ? 40 : 60));
	conn->mss = MAX(conn->mss, 64);

	/* Window scaling only if both sides offer it (RFC 7323, 2.2) */
	if (s->ws >= 0) {
		conn->ws_from_tap = (uint8_t)s->ws & 0xf;
		conn->ws_to_tap = TCP_WS_TO_TAP;
	} else {
		conn->ws_from_tap = conn->ws_to_tap = 0;
	}
	/* The window of a SYN is never scaled: keep it in the unit later
	 * segments use, rounded down
	 */
	conn->wnd_from_tap = (uint16_t)(s->wnd >> conn->ws_from_tap);

	if (s->ts) {
		conn->flags |= TCP_F_TS;
		conn->ts_recent = s->tsval;
	} else {
		conn->flags &= (uint16_t)~TCP_F_TS;
	}
}

/**
 * tcp_connected() - The host connection is up: SYN,ACK to the guest
 * @c:		Execution context
 * @conn:	Connection
 */
static void tcp_connected(struct ctx *c, struct tcp_conn *conn)
{
	struct flowside *h = &conn->f.side[FLOW_SIDE_HOST];
	union sockaddr_inany sa = { 0 };
	socklen_t sl = sizeof(sa);

	if (!getsockname(conn->sock, &sa.sa, &sl))
		inany_from_sockaddr(&h->oaddr, &h->oport, &sa);

	conn->state = CONN_SYN_ACK_SENT;
	tcp_seg_ctl(c, conn, TCP_SYN | TCP_ACK, conn->seq_ack_from_tap);
	conn->seq_to_tap = conn->seq_max_to_tap = conn->seq_ack_from_tap + 1;
	tcp_timer_set(c, conn, true);
	tcp_epoll(c, conn, false);
}

/**
 * tcp_conn_from_tap() - Open a host connection for a guest's SYN
 * @c:		Execution context
 * @p:		Parsed frame
 * @s:		Parsed segment: SYN without ACK
 */
static void tcp_conn_from_tap(struct ctx *c, const struct pkt *p,
			      const struct tcp_seg_in *s)
{
	union sockaddr_inany sa;
	struct flow_common *f;
	struct tcp_conn *conn;
	struct flowside *h;
	int fd, rc, one = 1;
	socklen_t sl;

	f = flow_alloc();
	if (!f) {
		warn_ratelimit("Flow table full: refusing TCP connection");
		tcp_rst_reply(c, p, s);
		return;
	}

	tcp_guest_side(p, s, &f->side[FLOW_SIDE_GUEST]);
	h = &f->side[FLOW_SIDE_HOST];
	rc = fwd_nat_outbound(c, IPPROTO_TCP, &f->side[FLOW_SIDE_GUEST], h);
	if (rc) {
		debug_ratelimit("TCP connection not forwarded: %s",
				strerror(rc));
		flow_alloc_cancel(f);
		tcp_rst_reply(c, p, s);
		return;
	}

	fd = socket(inany_v4(&h->eaddr) ? AF_INET : AF_INET6,
		    SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
	if (fd < 0 || fd > EPOLL_REF_FD_MAX) {
		warn_ratelimit("Can't open TCP socket: %s",
			       fd < 0 ? strerror(errno) : "too many files");
		if (fd >= 0)
			close(fd);
		flow_alloc_cancel(f);
		tcp_rst_reply(c, p, s);
		return;
	}

	conn = tcp_conn_of(f);
	f->type = FLOW_TYPE_TCP;
	conn->sock = fd;
	conn->state = CONN_CONNECTING;
	conn->seq_from_tap = conn->seq_ack_to_tap = s->seq + 1;
	conn->seq_ack_from_tap = tcp_isn(c, &f->side[FLOW_SIDE_GUEST]);
	conn->seq_to_tap = conn->seq_max_to_tap = conn->seq_ack_from_tap;
	conn->active_s = (uint32_t)c->now.tv_sec;
	tcp_guest_opts(c, conn, s);

	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));

	if (flow_hash_insert(f, FLOW_SIDE_GUEST) || tcp_epoll(c, conn, true)) {
		tcp_rst(c, conn, "can't track connection");
		return;
	}

	if (!inany_is_unspecified(&h->oaddr) ||
	    *(inany_v4(&h->eaddr) ? c->ip4.ifname_out : c->ip6.ifname_out)) {
		const char *ifname = inany_v4(&h->eaddr) ? c->ip4.ifname_out :
							   c->ip6.ifname_out;

		if (*ifname &&
		    setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, ifname,
			       (socklen_t)strlen(ifname))) {
			tcp_rst(c, conn, strerror(errno));
			return;
		}

		sl = inany_to_sockaddr(&sa, &h->oaddr, 0, 0);
		if (bind(fd, &sa.sa, sl)) {
			tcp_rst(c, conn, strerror(errno));
			return;
		}
	}

	sl = inany_to_sockaddr(&sa, &h->eaddr, h->eport, c->ip6.ifi);
	if (!connect(fd, &sa.sa, sl)) {
		tcp_connected(c, conn);
	} else if (errno != EINPROGRESS) {
		tcp_rst(c, conn, strerror(errno));
		return;
	}

	flow_log(f, LOG_DEBUG, "connecting");
}

/**
 * tcp_conn_from_host() - Open a connection into the guest for an accepted
 *			  host connection: SYN to the guest
 * @c:		Execution context
 * @fd:		Accepted socket, non-blocking; closed on failure
 * @rule:	Forwarding rule of the listening port
 */
void tcp_conn_from_host(struct ctx *c, int fd, const struct fwd_rule *rule)
{
	struct linger l = { .l_onoff = 1, .l_linger = 0 };
	union sockaddr_inany peer = { 0 }, local = { 0 };
	socklen_t pl = sizeof(peer), ll = sizeof(local);
	struct flow_common *f = NULL;
	struct flowside *h, *g;
	struct tcp_conn *conn;
	int one = 1;

	if (fd > EPOLL_REF_FD_MAX)
		goto refuse;

	f = flow_alloc();
	if (!f) {
		warn_ratelimit("Flow table full: refusing TCP connection");
		goto refuse;
	}

	h = &f->side[FLOW_SIDE_HOST];
	g = &f->side[FLOW_SIDE_GUEST];
	if (getpeername(fd, &peer.sa, &pl) || getsockname(fd, &local.sa, &ll) ||
	    !inany_from_sockaddr(&h->eaddr, &h->eport, &peer) ||
	    !inany_from_sockaddr(&h->oaddr, &h->oport, &local) ||
	    fwd_nat_inbound(c, IPPROTO_TCP, rule, h, g))
		goto refuse;

	conn = tcp_conn_of(f);
	f->type = FLOW_TYPE_TCP;
	f->flags |= FLOW_F_INBOUND;
	conn->sock = fd;
	conn->state = CONN_SYN_SENT;
	conn->flags = TCP_F_INBOUND | TCP_F_TS;
	conn->ws_to_tap = TCP_WS_TO_TAP;
	conn->mss = TCP_GUEST_MSS_DEFAULT;
	conn->seq_ack_from_tap = tcp_isn(c, g);
	conn->active_s = (uint32_t)c->now.tv_sec;

	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));

	if (flow_hash_insert(f, FLOW_SIDE_GUEST) || tcp_epoll(c, conn, true)) {
		tcp_close(conn, true, "can't track connection");
		return;
	}

	tcp_seg_ctl(c, conn, TCP_SYN, conn->seq_ack_from_tap);
	conn->seq_to_tap = conn->seq_max_to_tap = conn->seq_ack_from_tap + 1;
	tcp_timer_set(c, conn, true);
	flow_log(f, LOG_DEBUG, "SYN to guest");
	return;

refuse:
	if (f && f->type == FLOW_TYPE_NONE)
		flow_alloc_cancel(f);
	setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
	close(fd);
}

/**
 * tcp_to_sock() - Send in-order guest data to the socket
 * @c:		Execution context
 * @conn:	Connection
 * @iov:	Payloads, in sequence from @conn->seq_from_tap
 * @cnt:	Number of buffers
 * @fin:	The guest's FIN follows the last byte
 *
 * Only what the kernel takes is acknowledged: the rest, and the FIN with
 * it, the guest sends again.
 *
 * Return: false if the connection was reset
 */
static bool tcp_to_sock(struct ctx *c, struct tcp_conn *conn,
			struct iovec *iov, size_t cnt, bool fin)
{
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = cnt };
	size_t total = 0, i;
	ssize_t n = 0;

	for (i = 0; i < cnt; i++)
		total += iov[i].iov_len;

	if (total) {
		n = sendmsg(conn->sock, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR) {
				tcp_rst(c, conn, strerror(errno));
				return false;
			}
			n = 0;
		}
		conn->seq_from_tap += (uint32_t)n;
	}

	/* What the socket didn't take goes again: say so at once */
	if ((size_t)n < total)
		conn->flags |= TCP_F_ACK_DUE;

	if (fin && (size_t)n == total) {
		shutdown(conn->sock, SHUT_WR);
		conn->seq_from_tap++;
		conn->fin |= TCP_TAP_FIN_RCVD;
		flow_log(&conn->f, LOG_DEBUG, "FIN from guest");
	}

	return true;
}

/**
 * tcp_handshake_in() - A segment for a connection still in its handshake
 * @c:		Execution context
 * @conn:	Connection, not established
 * @s:		Segment
 *
 * Return: true if the segment completed the handshake and its data and
 *	   acknowledgement should be processed as established
 */
static bool tcp_handshake_in(struct ctx *c, struct tcp_conn *conn,
			     const struct tcp_seg_in *s)
{
	uint32_t syn_ack = conn->seq_ack_from_tap + 1;

	switch (conn->state) {
	case CONN_SYN_ACK_SENT:
		if (s->flags & TCP_SYN) {	/* our SYN,ACK was lost */
			tcp_send_again(c, conn);
			return false;
		}
		if (!(s->flags & TCP_ACK) || s->ack != syn_ack)
			return false;
		tcp_established(c, conn, syn_ack);
		return true;
	case CONN_SYN_SENT:
		if ((s->flags & (TCP_SYN | TCP_ACK)) != (TCP_SYN | TCP_ACK) ||
		    s->ack != syn_ack)
			return false;
		tcp_guest_opts(c, conn, s);
		conn->seq_from_tap = s->seq + 1;
		tcp_established(c, conn, syn_ack);
		tcp_send_ack(c, conn);
		tcp_sock_data(c, conn, UINT32_MAX);
		return false;
	default:	/* connecting: the guest repeats its SYN, wait */
		return false;
	}
}

/**
 * tcp_seg_acceptable() - Is a RST within the window we advertised?
 * @conn:	Connection
 * @s:		Segment
 *
 * Return: true if the RST should be believed (RFC 5961, 3.2, without the
 *	   challenge ACK)
 */
static bool tcp_rst_acceptable(const struct tcp_conn *conn,
			       const struct tcp_seg_in *s)
{
	uint32_t wnd = MAX((uint32_t)conn->wnd_to_tap << conn->ws_to_tap, 1U);

	if (conn->state == CONN_SYN_SENT)
		return (s->flags & TCP_ACK) &&
		       s->ack == conn->seq_ack_from_tap + 1;
	return SEQ_GE(s->seq, conn->seq_from_tap) &&
	       SEQ_LT(s->seq, conn->seq_from_tap + wnd);
}

/**
 * tcp_tap_conn() - Segments from the guest for one connection
 * @c:		Execution context
 * @conn:	Connection
 * @p:		Parsed frames
 * @n:		Number of frames, at most TCP_BATCH_MAX
 *
 * In-order data of the whole batch goes to the socket in one call.
 * Segments after a hole wait for a second pass, in case the batch fills
 * the hole; otherwise they are dropped and answered with a duplicate ACK,
 * so that the guest sends again.
 */
static void tcp_tap_conn(struct ctx *c, struct tcp_conn *conn,
			 const struct pkt *p, size_t n)
{
	static struct iovec iov[TCP_BATCH_MAX];
	static bool later[TCP_BATCH_MAX];
	uint32_t expect = conn->seq_from_tap;
	bool fin = false, more = false, progress = true;
	size_t i, cnt = 0, held = 0, pass;
	struct tcp_seg_in s;

	conn->active_s = (uint32_t)c->now.tv_sec;

	for (i = 0; i < n; i++) {
		later[i] = false;
		if (tcp_parse(&p[i], &s))
			continue;

		if (s.flags & TCP_RST) {
			if (tcp_rst_acceptable(conn, &s)) {
				tcp_close(conn, true, "RST from guest");
				return;
			}
			continue;
		}

		if (conn->state != CONN_ESTABLISHED) {
			if (!tcp_handshake_in(c, conn, &s))
				continue;
			expect = conn->seq_from_tap;
		}

		if (s.flags & TCP_SYN) {	/* challenge ACK, RFC 5961 4.2 */
			conn->flags |= TCP_F_ACK_DUE;
			continue;
		}
		if (!(s.flags & TCP_ACK))
			continue;

		if ((conn->flags & TCP_F_TS) && s.ts &&
		    SEQ_LE(s.seq, expect))
			conn->ts_recent = s.tsval;

		more |= tcp_ack_in(c, conn, &s);
		if (!flow_at(flow_idx(&conn->f), FLOW_TYPE_TCP))
			return;			/* reset */

		if (!s.len && !(s.flags & TCP_FIN))
			continue;
		if (conn->fin & TCP_TAP_FIN_RCVD) {
			conn->flags |= TCP_F_ACK_DUE;
			continue;
		}
		later[i] = true;
		held++;
	}

	/* Data and FIN in sequence order, over as many passes as it takes
	 * for reordered segments in this batch to fill their holes
	 */
	for (pass = 0; held && progress && pass < 4; pass++) {
		progress = false;
		for (i = 0; i < n && held; i++) {
			uint32_t off, end;

			if (!later[i] || fin)
				continue;
			tcp_parse(&p[i], &s);
			end = s.seq + (uint32_t)s.len;

			if (SEQ_GT(s.seq, expect))
				continue;	/* after a hole, for now */
			later[i] = false;
			held--;
			progress = true;

			if (SEQ_LT(end, expect) || (s.len && end == expect)) {
				/* Old: a retransmission or a keep-alive */
				conn->flags |= TCP_F_ACK_DUE;
				if (s.len <= 1 && s.seq == expect - 1 &&
				    !(conn->flags & TCP_F_KEEPALIVE)) {
					int one = 1;

					setsockopt(conn->sock, SOL_SOCKET,
						   SO_KEEPALIVE, &one,
						   sizeof(one));
					conn->flags |= TCP_F_KEEPALIVE;
				}
				continue;
			}

			off = expect - s.seq;
			if (s.len > off) {
				iov[cnt].iov_base = (void *)(s.data + off);
				iov[cnt++].iov_len = s.len - off;
				expect = end;
			}
			if (s.flags & TCP_FIN)
				fin = true;
		}
	}

	if ((cnt || fin) && !tcp_to_sock(c, conn, iov, cnt, fin))
		return;

	/* Segments left after a hole: duplicate ACKs make the guest resend
	 * (three trigger its fast retransmit)
	 */
	for (i = 0; i < MIN(held, 3U); i++)
		tcp_send_ack(c, conn);

	/* Our data, if any, carries the ACK: send it first */
	if (more && conn->state == CONN_ESTABLISHED &&
	    !tcp_sock_data(c, conn, UINT32_MAX))
		return;

	if (conn->state == CONN_ESTABLISHED)
		tcp_ack_data_in(c, conn);

	if (!tcp_close_check(conn))
		tcp_epoll_sync(c, conn);
}

/**
 * tcp_same_tuple() - Do two frames carry the same addresses and ports?
 * @a:		Parsed frame, TCP
 * @b:		Parsed frame, TCP
 *
 * Return: true if both belong to the same connection
 */
static bool tcp_same_tuple(const struct pkt *a, const struct pkt *b)
{
	return a->proto == b->proto && a->l4_len >= 4 && b->l4_len >= 4 &&
	       !memcmp(a->l4, b->l4, 4) &&
	       inany_equals(&a->src, &b->src) &&
	       inany_equals(&a->dst, &b->dst);
}

/**
 * tcp_tap_handler() - Segments from the guest
 * @c:		Execution context
 * @p:		Parsed frames, TCP
 * @n:		Number of frames, at least one
 *
 * Handles the first frame and the frames right after it that belong to the
 * same connection.
 *
 * Return: number of frames handled
 */
size_t tcp_tap_handler(struct ctx *c, const struct pkt *p, size_t n)
{
	struct flow_common *f;
	struct tcp_seg_in s;
	struct flowside fs;
	size_t cnt;

	if (tcp_parse(p, &s)) {
		debug_ratelimit("Dropping malformed TCP segment from guest");
		return 1;
	}

	for (cnt = 1; cnt < n && cnt < TCP_BATCH_MAX; cnt++) {
		if (!tcp_same_tuple(p, &p[cnt]))
			break;
	}

	tcp_guest_side(p, &s, &fs);
	f = flow_lookup(FLOW_TYPE_TCP, FLOW_SIDE_GUEST, &fs);
	if (f) {
		tcp_tap_conn(c, tcp_conn_of(f), p, cnt);
		return cnt;
	}

	if ((s.flags & (TCP_SYN | TCP_ACK | TCP_RST)) == TCP_SYN &&
	    !c->no_tcp)
		tcp_conn_from_tap(c, p, &s);
	else
		tcp_rst_reply(c, p, &s);

	return 1;
}

/**
 * tcp_sock_handler() - Events on a connection's host socket
 * @c:		Execution context
 * @ref:	Reference: flow index and socket
 * @events:	EPOLL* events
 */
void tcp_sock_handler(struct ctx *c, union epoll_ref ref, uint32_t events)
{
	struct flow_common *f = flow_at(ref.index, FLOW_TYPE_TCP);
	struct tcp_conn *conn;
	int err = 0;
	socklen_t sl = sizeof(err);

	if (!f)
		return;
	conn = tcp_conn_of(f);
	if (conn->sock != (int)ref.fd)
		return;

	if (events & EPOLLERR) {
		getsockopt(conn->sock, SOL_SOCKET, SO_ERROR, &err, &sl);
		if (err || conn->state == CONN_CONNECTING) {
			tcp_rst(c, conn, strerror(err ? err : ECONNREFUSED));
			return;
		}
	}

	if (conn->state == CONN_CONNECTING) {
		if (events & (EPOLLOUT | EPOLLHUP))
			tcp_connected(c, conn);
		return;
	}

	conn->active_s = (uint32_t)c->now.tv_sec;
	if (events & (EPOLLRDHUP | EPOLLHUP))
		conn->fin |= TCP_SOCK_FIN_RCVD;
	if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP))
		conn->flags &= (uint16_t)~TCP_F_DRAINED;

	if (conn->state != CONN_ESTABLISHED)
		return;

	/* Drained: a window update, and watch again if still low */
	if ((events & EPOLLOUT) && (conn->flags & TCP_F_WAIT_OUT)) {
		conn->flags &= (uint16_t)~TCP_F_WAIT_OUT;
		tcp_send_ack(c, conn);
		if (!(conn->flags & TCP_F_WND_LOW))
			tcp_epoll(c, conn, false);
	}

	if ((events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP)) &&
	    !tcp_sock_data(c, conn, UINT32_MAX))
		return;

	if (!tcp_close_check(conn))
		tcp_epoll_sync(c, conn);
}

/**
 * tcp_timer_expired() - The retransmission or handshake timer fired
 * @c:		Execution context
 * @conn:	Connection
 *
 * Return: false if the connection was reset
 */
static bool tcp_timer_expired(struct ctx *c, struct tcp_conn *conn)
{
	bool in_flight = conn->seq_max_to_tap != conn->seq_ack_from_tap;

	/* Zero window probes go on for as long as the guest answers */
	if (conn->state == CONN_ESTABLISHED && !in_flight) {
		if (conn->flags & TCP_F_STALLED) {
			tcp_seg_ctl(c, conn, TCP_ACK, conn->seq_to_tap - 1);
			tcp_timer_set(c, conn, true);
		} else {
			tcp_timer_set(c, conn, false);
		}
		return true;
	}

	if (++conn->retries > (conn->state == CONN_ESTABLISHED ?
			       TCP_DATA_RETRIES : TCP_SYN_RETRIES)) {
		tcp_rst(c, conn, "timed out");
		return false;
	}
	flow_log(&conn->f, LOG_DEBUG, "timeout, retry %u", conn->retries);

	if (conn->state == CONN_ESTABLISHED)
		tcp_rewind(conn, conn->seq_ack_from_tap);
	if (!tcp_send_again(c, conn))
		return false;

	tcp_timer_set(c, conn, true);
	return true;
}

/**
 * tcp_timer() - Retransmissions, handshake and idle time-outs, keep-alives
 * @c:		Execution context
 * @f:		Flow of type TCP
 */
void tcp_timer(struct ctx *c, struct flow_common *f)
{
	struct tcp_conn *conn = tcp_conn_of(f);
	uint32_t now = tcp_now_ms(c);
	uint32_t idle = (uint32_t)c->now.tv_sec - conn->active_s;

	if (idle >= TCP_INACTIVE_S) {
		tcp_rst(c, conn, "inactive");
		return;
	}

	if (conn->timer_ms && SEQ_GE(now, conn->timer_ms) &&
	    !tcp_timer_expired(c, conn))
		return;

	if (conn->state != CONN_ESTABLISHED)
		return;

	if (idle && idle % TCP_KEEPALIVE_S == 0 &&
	    c->now.tv_nsec < TIMER_INTERVAL_MS * 1000000L)
		tcp_seg_ctl(c, conn, TCP_ACK, conn->seq_to_tap - 1);

	if (conn->flags & TCP_F_ACK_DUE)
		tcp_send_ack(c, conn);
}

/**
 * tcp_l2_wait() - The front end refuses frames of a connection: send again
 *		   once it takes frames
 * @conn:	Connection
 * @ack_due:	Frames were refused: we owe the guest an ACK
 */
void tcp_l2_wait(struct tcp_conn *conn, bool ack_due)
{
	if (ack_due)
		conn->flags |= TCP_F_ACK_DUE;
	if (conn->flags & TCP_F_L2_WAIT)
		return;

	conn->flags |= TCP_F_L2_WAIT;
	flow_list_add(&tcp_l2_waiting, flow_idx(&conn->f));
}

/**
 * tcp_l2_resume() - Send what the front end refused of a connection
 * @c:		Execution context
 * @f:		Flow of type TCP, skipped unless it waits for the front end
 */
static void tcp_l2_resume(struct ctx *c, struct flow_common *f)
{
	struct tcp_conn *conn = tcp_conn_of(f);

	if (!(conn->flags & TCP_F_L2_WAIT))
		return;
	conn->flags &= (uint16_t)~TCP_F_L2_WAIT;
	tcp_l2_resumed++;

	if (tcp_send_again(c, conn) && conn->state == CONN_ESTABLISHED &&
	    (conn->flags & TCP_F_ACK_DUE))
		tcp_send_ack(c, conn);
}

/**
 * tcp_l2_writable() - The front end takes frames again: resume at once the
 *		       connections it refused, rather than at their timers
 * @c:		Execution context
 */
static void tcp_l2_writable(struct ctx *c)
{
	unsigned long before = tcp_l2_resumed;
	uint32_t idx[FLOW_LIST_MAX];
	unsigned n;
	bool lost;

	/* Resuming may fill the front end and list connections again */
	n = flow_list_take(&tcp_l2_waiting, idx, &lost);

	if (lost) {
		/* The walk over the table, for when the list overflowed */
		static const flow_timer_fn resume[FLOW_TYPE_MAX] = {
			[FLOW_TYPE_TCP] = tcp_l2_resume,
		};

		flow_timer(c, resume);
	} else {
		unsigned i;

		for (i = 0; i < n; i++) {
			struct flow_common *f = flow_at(idx[i], FLOW_TYPE_TCP);

			if (f)
				tcp_l2_resume(c, f);
		}
	}

	if (tcp_l2_resumed != before)
		debug_ratelimit("Front end takes frames again: %lu TCP"
				" connections resumed so far", tcp_l2_resumed);
}

/**
 * tcp_defer_handler() - Send the frames queued in this pass of the loop
 * @c:		Execution context
 */
void tcp_defer_handler(struct ctx *c)
{
	tcp_ack_delayed_flush(c);
	tcp_seg_flush(c);
}

/**
 * tcp_init() - Set up TCP: sequence number key, frame pool, listeners
 * @c:		Execution context
 */
void tcp_init(struct ctx *c)
{
	if (getrandom(&tcp_isn_key, sizeof(tcp_isn_key), 0) !=
	    (ssize_t)sizeof(tcp_isn_key))
		die("No random source for TCP sequence numbers: %s",
		    strerror(errno));

	tcp_seg_init();
	l2_on_writable(tcp_l2_writable);
	if (!c->no_tcp)
		tcp_listen_init(c);
}
