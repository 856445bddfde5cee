// SPDX-License-Identifier: GPL-2.0-or-later
/* tcp_ack.c - TCP acknowledgements and windows, both ways: what the guest
 * acknowledges and lets us send, what we acknowledge and let it send, and
 * the retransmission timer they drive
 *
 * Guest to host: the guest is acknowledged for what the socket took, and
 * its window is the free space of the socket's send buffer, asked of the
 * socket where it is written or drains (tcp_wnd_update()), never per
 * segment, and shrunk by what the socket takes in between. A window held
 * below a full-sized segment by bytes the host peer hasn't acknowledged
 * yet is asked again shortly, and its growth sent as an update: the guest
 * waits for it (it doesn't send less than a segment into a window it
 * expects to grow), and a socket the kernel still deems writable gives no
 * EPOLLOUT as it drains.
 * An ACK for less than a full-sized segment waits a little for our next
 * segment to carry it.
 *
 * Host to guest: data leaves the socket's queue once the guest acknowledges
 * it; three duplicate ACKs resend the first unacknowledged segment, and the
 * retransmission timer everything from there.
 *
 * The socket's epoll events follow both windows: EPOLLOUT while ours is
 * low, EPOLLIN only while the guest's lets us send.
 */

#include <errno.h>
#include <linux/sockios.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "ctx.h"
#include "epoll_ref.h"
#include "flow.h"
#include "log.h"
#include "tcp_conn.h"
#include "util.h"

/* Retransmission timeout: initial (RFC 6298, 2.1) and largest */
#define TCP_RTO_MS		1000U
#define TCP_RTO_MAX_MS		60000U
/* Delayed ACKs (RFC 9293, 3.8.6.3; RFC 5681, 4.2): how long an ACK for
 * guest data may wait for our next segment to carry it
 */
#define TCP_ACK_DELAY_MS	2

/* How soon a held window (TCP_F_WND_HELD) is asked of the socket again */
#define TCP_WND_RECHECK_MS	1

/* Connections whose ACK waits (TCP_F_ACK_DELAYED), and when they all go
 * out; one that doesn't fit sends its ACK at once
 */
static struct flow_list tcp_ack_delayed;
static uint32_t tcp_ack_deadline_ms;

/* Connections whose window is held (TCP_F_WND_HELD), and when it is asked
 * again; one that doesn't fit waits for the flow timer
 */
static struct flow_list tcp_wnd_held;
static uint32_t tcp_wnd_deadline_ms;

/**
 * tcp_ack_init() - Forget delayed ACKs and held windows
 */
void tcp_ack_init(void)
{
	memset(&tcp_ack_delayed, 0, sizeof(tcp_ack_delayed));
	memset(&tcp_wnd_held, 0, sizeof(tcp_wnd_held));
}

/**
 * tcp_full_seg() - Payload of a full-sized segment from the guest
 * @conn:	Connection
 *
 * Return: the MSS, less what timestamps take of it when in use: NOP, NOP,
 *	   kind, length and two stamps
 */
static uint32_t tcp_full_seg(const struct tcp_conn *conn)
{
	return conn->mss - ((conn->flags & TCP_F_TS) ? 12 : 0);
}

/**
 * tcp_timer_set() - Start or stop a connection's retransmission timer
 * @c:		Execution context
 * @conn:	Connection
 * @on:		Start (else stop)
 */
void tcp_timer_set(const struct ctx *c, struct tcp_conn *conn, bool on)
{
	uint32_t rto = MIN(TCP_RTO_MS << conn->retries, TCP_RTO_MAX_MS);

	conn->timer_ms = on ? (tcp_now_ms(c) + rto) | 1 : 0;
}

/**
 * tcp_wnd_hold() - Ask a held window again soon
 * @c:		Execution context
 * @conn:	Connection, TCP_F_WND_HELD not set
 */
static void tcp_wnd_hold(const struct ctx *c, struct tcp_conn *conn)
{
	conn->flags |= TCP_F_WND_HELD;
	if (!tcp_wnd_held.n)
		tcp_wnd_deadline_ms = tcp_now_ms(c) + TCP_WND_RECHECK_MS;
	/* One that doesn't fit stays held: the flow timer asks */
	flow_list_add(&tcp_wnd_held, flow_idx(&conn->f));
}

/**
 * tcp_wnd_update() - Compute the window we advertise to the guest from the
 *		      free space of the socket's send buffer
 * @c:		Execution context
 * @conn:	Connection
 *
 * Sets TCP_F_WND_LOW when the window is so low that the socket must tell
 * us when it drains (EPOLLOUT), clears it otherwise; holds a window that
 * is higher than that but below a full-sized segment while the host peer
 * has bytes to acknowledge (TCP_F_WND_HELD). Before the connection is
 * established, the window is the largest without scaling.
 *
 * #syscalls: getsockopt ioctl
 */
void tcp_wnd_update(const struct ctx *c, struct tcp_conn *conn)
{
	uint32_t wnd = 65535, max = 65535U << conn->ws_to_guest;
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
		else if (outq > 0 && wnd < tcp_full_seg(conn) &&
			 !(conn->flags & TCP_F_WND_HELD))
			tcp_wnd_hold(c, conn);
	}

	conn->wnd_to_guest = (uint16_t)(MIN(wnd, max) >> conn->ws_to_guest);
	conn->wnd_base = conn->wnd_to_guest;
}

/**
 * tcp_wnd_recheck() - Ask a held window again, and send it if it grew
 * @c:		Execution context
 * @conn:	Connection
 *
 * A window still below a full-sized segment stays held, and is asked
 * again later; one that reached it, or the socket's whole buffer, goes to
 * the guest as a window update. The flow timer calls this too, for those
 * that didn't fit in the list.
 */
void tcp_wnd_recheck(struct ctx *c, struct tcp_conn *conn)
{
	if (!(conn->flags & TCP_F_WND_HELD))
		return;

	conn->flags &= (uint16_t)~TCP_F_WND_HELD;
	if (conn->state != CONN_ESTABLISHED || (conn->flags & TCP_F_MIGRATED))
		return;

	tcp_wnd_update(c, conn);
	if (!(conn->flags & TCP_F_WND_HELD))
		tcp_send_ack(c, conn);
}

/**
 * tcp_wnd_took() - The socket took bytes from the guest: shrink the window
 *		    by as much, so that its right edge stays where it was
 * @c:		Execution context
 * @conn:	Established connection
 * @n:		Bytes the socket took
 *
 * The socket's free space is at least that (it only grows as the peer
 * reads), so asking it again can wait until the window has shrunk to half
 * of what it last said: a request/response exchange costs no system call
 * here, most of the time.
 */
void tcp_wnd_took(const struct ctx *c, struct tcp_conn *conn, uint32_t n)
{
	uint32_t wnd = (uint32_t)conn->wnd_to_guest << conn->ws_to_guest;
	uint32_t base = (uint32_t)conn->wnd_base << conn->ws_to_guest;

	if (wnd < n || wnd - n < base / 2) {
		tcp_wnd_update(c, conn);
		return;
	}

	conn->wnd_to_guest = (uint16_t)((wnd - n) >> conn->ws_to_guest);
}

/**
 * tcp_send_ack() - Send an ACK
 * @c:		Execution context
 * @conn:	Connection
 */
void tcp_send_ack(struct ctx *c, struct tcp_conn *conn)
{
	tcp_seg_ctl(c, conn, TCP_ACK, conn->seq_to_guest);
}

/**
 * tcp_conn_epoll() - Set the events a connection's socket is watched for
 * @c:		Execution context
 * @conn:	Connection
 * @add:	First registration (else a change)
 *
 * Return: 0 on success, a positive errno on failure
 */
int tcp_conn_epoll(const struct ctx *c, const struct tcp_conn *conn, bool add)
{
	union epoll_ref ref = {
		.type = EPOLL_TYPE_TCP, .fd = (uint32_t)conn->sock,
		.index = flow_idx(&conn->f),
	};
	uint32_t events = EPOLLRDHUP | EPOLLET;

	if (conn->state == CONN_CONNECTING || (conn->flags & TCP_F_WAIT_OUT))
		events |= EPOLLOUT;
	if (conn->state != CONN_CONNECTING && !(conn->flags & TCP_F_IN_OFF))
		events |= EPOLLIN;

	if (add)
		return epoll_ref_add(c->epollfd, events, ref);
	return epoll_ref_mod(c->epollfd, events, ref);
}

/**
 * tcp_epoll_sync() - Watch for EPOLLOUT exactly while our window is low, and
 *		      for EPOLLIN only while we could send what arrives
 * @c:		Execution context
 * @conn:	Connection
 *
 * With the guest's window full, or the front end refusing frames, data the
 * peer sends can't go anywhere yet, and each segment arriving would only
 * wake us up for nothing: over loopback, that is a wake-up for the sender's
 * CPU to deliver per segment. What ends the wait (an ACK from the guest, the
 * front end's room) sends from the socket anyway, then arms EPOLLIN again,
 * which reports data already queued. EPOLLRDHUP stays armed throughout.
 *
 * Return: 0 on success, a positive errno on failure
 */
int tcp_epoll_sync(const struct ctx *c, struct tcp_conn *conn)
{
	bool low = conn->flags & TCP_F_WND_LOW;
	bool in_off = conn->flags & (TCP_F_STALLED | TCP_F_L2_WAIT);

	if (low == !!(conn->flags & TCP_F_WAIT_OUT) &&
	    in_off == !!(conn->flags & TCP_F_IN_OFF))
		return 0;

	conn->flags &= (uint16_t)~(TCP_F_WAIT_OUT | TCP_F_IN_OFF);
	if (low)
		conn->flags |= TCP_F_WAIT_OUT;
	if (in_off)
		conn->flags |= TCP_F_IN_OFF;
	return tcp_conn_epoll(c, conn, false);
}

/**
 * tcp_sock_data() - Send socket data to the guest, and time it
 * @c:		Execution context
 * @conn:	Established connection
 * @limit:	Most bytes, UINT32_MAX for the whole window
 *
 * Return: 0 on success, a positive errno if the socket failed
 */
int tcp_sock_data(struct ctx *c, struct tcp_conn *conn, uint32_t limit)
{
	int rc = tcp_seg_data(c, conn, limit);

	if (!rc)
		rc = tcp_epoll_sync(c, conn);
	if (rc)
		return rc;

	/* Data in flight, or a zero window to probe */
	if (!conn->timer_ms &&
	    (conn->seq_to_guest != conn->seq_ack_from_guest ||
	     (conn->flags & TCP_F_STALLED)))
		tcp_timer_set(c, conn, true);

	return 0;
}

/**
 * tcp_discard() - Drop data the guest acknowledged from the socket's queue
 * @conn:	Connection
 * @n:		Bytes
 *
 * Each call lets the kernel send the host peer a window update, from this
 * CPU: called once per batch of the guest's segments, not once per ACK.
 *
 * Return: 0 on success, a positive errno on failure
 *
 * #syscalls: recvfrom
 */
int tcp_discard(const struct tcp_conn *conn, uint32_t n)
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
 * tcp_fast_retransmit() - Send the first unacknowledged segment again
 * @c:		Execution context
 * @conn:	Connection
 *
 * Return: 0 on success, a positive errno if the socket failed
 */
static int tcp_fast_retransmit(struct ctx *c, struct tcp_conn *conn)
{
	uint32_t next = conn->seq_to_guest;
	int rc;

	tcp_seg_rewind(conn, conn->seq_ack_from_guest);
	rc = tcp_sock_data(c, conn, conn->mss);
	if (!rc && SEQ_LT(conn->seq_to_guest, next))
		tcp_seg_rewind(conn, next);

	return rc;
}

/**
 * tcp_ack_in() - Process the acknowledgement and window of a segment
 * @c:		Execution context
 * @conn:	Established connection
 * @s:		Segment with ACK set
 * @more:	Set if the guest acknowledged new data or opened its window,
 *		so that more can be sent
 * @drop:	Bytes acknowledged and still at the head of the socket's
 *		queue, grown here: the caller drops them with tcp_discard()
 *		at the end of the batch
 *
 * Return: 0 on success, a positive errno if the socket failed
 */
int tcp_ack_in(struct ctx *c, struct tcp_conn *conn,
	       const struct tcp_seg_in *s, bool *more, uint32_t *drop)
{
	uint32_t una = conn->seq_ack_from_guest, wnd = tcp_guest_wnd(conn);
	uint32_t acked;

	ASSERT(conn->state == CONN_ESTABLISHED);

	if (SEQ_GT(s->ack, conn->seq_max_to_guest)) {
		conn->flags |= TCP_F_ACK_DUE;	/* ACK for unsent data */
		return 0;
	}
	if (SEQ_LT(s->ack, una))
		return 0;			/* old, reordered */

	conn->wnd_from_guest = s->wnd;

	if (s->ack == una) {
		if (!s->len && !(s->flags & TCP_FIN) &&
		    conn->seq_to_guest != una && tcp_guest_wnd(conn) == wnd &&
		    ++conn->dup_acks == 3) {
			/* Sending again reads from the head of the queue */
			int rc = tcp_discard(conn, *drop);

			*drop = 0;
			if (!rc)
				rc = tcp_fast_retransmit(c, conn);
			if (rc)
				return rc;
		}
		*more |= tcp_guest_wnd(conn) > wnd;
		return 0;
	}

	acked = s->ack - una;
	if ((conn->fin & TCP_GUEST_FIN_SENT) &&
	    s->ack == conn->seq_max_to_guest) {
		conn->fin |= TCP_GUEST_FIN_ACKED;
		acked--;
	}

	*drop += acked;
	conn->seq_ack_from_guest = s->ack;
	if (SEQ_GT(s->ack, conn->seq_to_guest))
		conn->seq_to_guest = s->ack;
	conn->retries = 0;
	conn->dup_acks = 0;
	tcp_timer_set(c, conn, conn->seq_to_guest != s->ack);
	*more = true;

	return 0;
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
void tcp_ack_data_in(struct ctx *c, struct tcp_conn *conn)
{
	uint32_t unacked = conn->seq_from_guest - conn->seq_ack_to_guest;
	uint32_t full = tcp_full_seg(conn);

	if (!unacked && !(conn->flags & TCP_F_ACK_DUE))
		return;

	/* A FIN the socket took set TCP_GUEST_FIN_RCVD, one it didn't set
	 * TCP_F_ACK_DUE
	 */
	if ((conn->flags & TCP_F_ACK_DUE) || unacked >= full ||
	    (conn->fin & TCP_GUEST_FIN_RCVD)) {
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
 * tcp_ack_delayed_flush() - Send the delayed ACKs that are due, and ask
 *			     held windows again when it is time
 * @c:		Execution context
 *
 * A connection that sent a segment since has no ACK waiting any more (any
 * segment clears TCP_F_ACK_DELAYED), and a closed one has no TCP flow.
 */
void tcp_ack_delayed_flush(struct ctx *c)
{
	uint32_t idx[FLOW_LIST_MAX], now = tcp_now_ms(c);
	unsigned i, n;

	if (tcp_ack_delayed.n && SEQ_GE(now, tcp_ack_deadline_ms)) {
		/* Overflows need nothing: one that didn't fit sent its ACK
		 * at once
		 */
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

	if (tcp_wnd_held.n && SEQ_GE(now, tcp_wnd_deadline_ms)) {
		/* Those still held once asked go back on the emptied list */
		n = flow_list_take(&tcp_wnd_held, idx, NULL);
		for (i = 0; i < n; i++) {
			struct flow_common *f = flow_at(idx[i], FLOW_TYPE_TCP);

			if (f)
				tcp_wnd_recheck(c, tcp_conn_of(f));
		}
	}
}

/**
 * tcp_ack_wait_ms() - How long until delayed ACKs or held windows are due
 * @c:		Execution context, with the current time
 *
 * Return: milliseconds, -1 if nothing waits
 */
int tcp_ack_wait_ms(const struct ctx *c)
{
	uint32_t now = tcp_now_ms(c);
	int32_t left = INT32_MAX, l;

	if (tcp_ack_delayed.n) {
		l = (int32_t)(tcp_ack_deadline_ms - now);
		left = MIN(left, l);
	}
	if (tcp_wnd_held.n) {
		l = (int32_t)(tcp_wnd_deadline_ms - now);
		left = MIN(left, l);
	}

	if (left == INT32_MAX)
		return -1;
	return left > 0 ? left : 0;
}
