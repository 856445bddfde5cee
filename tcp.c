// SPDX-License-Identifier: GPL-2.0-or-later
/* tcp.c - TCP translation: the state machine pairing each guest connection
 * with a host socket, and the event handlers that drive it
 *
 * Guest to host: a SYN opens a non-blocking connect(); the guest gets its
 * SYN,ACK once the host connection is up, a RST if it fails. Data goes to
 * the socket with one sendmsg() per batch of segments; the guest is
 * acknowledged only for what the kernel took (tcp_ack.c), so nothing is
 * ever acknowledged and then lost.
 *
 * Host to guest: tcp_seg.c reads the socket with MSG_PEEK into segments
 * within the guest's window; data leaves the socket's queue only when the
 * guest acknowledges it. A timeout rewinds to the first unacknowledged
 * byte and sends everything again.
 *
 * FIN and RST map both ways: a FIN from the guest is shutdown(SHUT_WR), the
 * peer's end of data is our FIN after the last byte, a RST from the guest
 * closes the socket with a zero linger time (a RST to the peer), and a
 * socket error is a RST to the guest. A connection closes once both
 * directions have ended and the guest has acknowledged our FIN.
 *
 * A connection is gone in one way only: a function that finds it broken
 * returns a positive errno, and the event handler that called it resets
 * the connection (tcp_conn_rst()) and returns at once. Nothing touches a
 * connection after that.
 */

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
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
#include "tcp_port.h"
#include "util.h"

#define TCP_HDR_MIN		20
/* Our window scale: windows up to 16 MiB */
#define TCP_WS_TO_GUEST		8
/* Retransmissions without progress before we give up */
#define TCP_SYN_RETRIES		5
#define TCP_DATA_RETRIES	7
/* Keep-alive probes to an idle guest, and the idle time that resets */
#define TCP_KEEPALIVE_S		30
#define TCP_INACTIVE_S		7200
/* Segments of one connection handled in one call */
#define TCP_BATCH_MAX		1024

static struct siphash_key tcp_isn_key;

/* Connections resumed once the front end took frames again, for the log */
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
 * tcp_flow_release() - Close a connection's socket: the one way a TCP flow
 *			is closed, through flow_close()
 * @c:		Execution context
 * @f:		Flow of type TCP
 *
 * #syscalls: close
 */
static void tcp_flow_release(const struct ctx *c, struct flow_common *f)
{
	struct tcp_conn *conn = tcp_conn_of(f);

	epoll_ref_del(c->epollfd, conn->sock);
	close(conn->sock);
	conn->sock = -1;
}

const struct flow_ops tcp_flow_ops = {
	.release = tcp_flow_release,
};

/**
 * tcp_conn_close() - Close a connection and retire its flow
 * @c:		Execution context
 * @conn:	Connection
 * @reset:	Close with a zero linger time: the peer gets a RST
 * @why:	What happened, for the debug log
 *
 * #syscalls: setsockopt
 */
void tcp_conn_close(const struct ctx *c, struct tcp_conn *conn, bool reset,
		    const char *why)
{
	if (reset) {
		struct linger l = { .l_onoff = 1, .l_linger = 0 };

		setsockopt(conn->sock, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
	}
	flow_log(&conn->f, LOG_DEBUG, "%s", why);
	flow_close(c, &conn->f);
}

/**
 * tcp_conn_rst() - Reset a connection both ways
 * @c:		Execution context
 * @conn:	Connection
 * @why:	What happened, for the debug log
 */
void tcp_conn_rst(struct ctx *c, struct tcp_conn *conn, const char *why)
{
	uint32_t seq = conn->state == CONN_CONNECTING ? 0 : conn->seq_to_guest;

	tcp_seg_ctl(c, conn, TCP_RST | TCP_ACK, seq);
	tcp_conn_close(c, conn, true, why);
}

/**
 * tcp_send_again() - Send what the guest is still owed: our SYN or SYN,ACK
 *		      during the handshake, data from @seq_to_guest once
 *		      established
 * @c:		Execution context
 * @conn:	Connection
 *
 * Return: 0 on success, a positive errno if the socket failed
 */
static int tcp_send_again(struct ctx *c, struct tcp_conn *conn)
{
	switch (conn->state) {
	case CONN_SYN_ACK_SENT:
		tcp_seg_ctl(c, conn, TCP_SYN | TCP_ACK,
			    conn->seq_ack_from_guest);
		return 0;
	case CONN_SYN_SENT:
		tcp_seg_ctl(c, conn, TCP_SYN, conn->seq_ack_from_guest);
		return 0;
	case CONN_ESTABLISHED:
		return tcp_sock_data(c, conn, UINT32_MAX);
	default:
		return 0;
	}
}

/**
 * tcp_close_check() - Close a connection once both directions are done
 * @c:		Execution context
 * @conn:	Connection
 *
 * Return: true if closed
 */
static bool tcp_close_check(const struct ctx *c, struct tcp_conn *conn)
{
	if ((conn->fin & TCP_GUEST_FIN_ACKED) &&
	    (conn->fin & TCP_GUEST_FIN_RCVD)) {
		tcp_conn_close(c, conn, false, "closed");
		return true;
	}

	return false;
}

/**
 * tcp_established() - The handshake is complete
 * @c:		Execution context
 * @conn:	Connection
 * @ack:	Guest's acknowledgement of our SYN
 *
 * #syscalls: setsockopt
 */
static void tcp_established(const struct ctx *c, struct tcp_conn *conn,
			    uint32_t ack)
{
	int zero = 0;

	conn->state = CONN_ESTABLISHED;
	conn->seq_ack_from_guest = ack;
	conn->retries = 0;
	tcp_timer_set(c, conn, false);
	tcp_wnd_update(c, conn);

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
	int mtu = c->mtu ? c->mtu : MTU_DEFAULT;
	unsigned mss = s->mss ? s->mss : TCP_GUEST_MSS_DEFAULT;

	conn->mss = (uint16_t)MIN(mss, (unsigned)mtu -
				       (tcp_conn_v4(conn) ? 40 : 60));
	conn->mss = MAX(conn->mss, 64);

	/* Window scaling only if both sides offer it (RFC 7323, 2.2) */
	if (s->ws >= 0) {
		conn->ws_from_guest = (uint8_t)s->ws & 0xf;
		conn->ws_to_guest = TCP_WS_TO_GUEST;
	} else {
		conn->ws_from_guest = conn->ws_to_guest = 0;
	}
	/* The window of a SYN is never scaled: keep it in the unit later
	 * segments use, rounded down
	 */
	conn->wnd_from_guest = (uint16_t)(s->wnd >> conn->ws_from_guest);

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
 *
 * Return: 0 on success, a positive errno on failure
 *
 * #syscalls: getsockname
 */
static int tcp_connected(struct ctx *c, struct tcp_conn *conn)
{
	struct flowside *h = &conn->f.side[FLOW_SIDE_HOST];
	union sockaddr_inany sa = { 0 };
	socklen_t sl = sizeof(sa);

	if (!getsockname(conn->sock, &sa.sa, &sl))
		inany_from_sockaddr(&h->oaddr, &h->oport, &sa);

	conn->state = CONN_SYN_ACK_SENT;
	tcp_seg_ctl(c, conn, TCP_SYN | TCP_ACK, conn->seq_ack_from_guest);
	conn->seq_to_guest = conn->seq_max_to_guest =
		conn->seq_ack_from_guest + 1;
	tcp_timer_set(c, conn, true);
	return tcp_conn_epoll(c, conn, false);
}

/**
 * tcp_sock_bind_out() - Bind an outbound socket as -o and --outbound-if
 *			 say
 * @c:		Execution context
 * @fd:		Socket
 * @h:		Host side of the flow
 *
 * Return: 0 on success, a positive errno on failure
 *
 * #syscalls: setsockopt bind
 */
static int tcp_sock_bind_out(const struct ctx *c, int fd,
			     const struct flowside *h)
{
	bool v4 = !!inany_v4(&h->eaddr);
	const char *ifname = v4 ? c->ip4.ifname_out : c->ip6.ifname_out;
	union sockaddr_inany sa;
	socklen_t sl;

	if (*ifname &&
	    setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, ifname,
		       (socklen_t)strlen(ifname)))
		return errno;

	if (inany_is_unspecified(&h->oaddr))
		return 0;

	sl = inany_to_sockaddr(&sa, &h->oaddr, 0, 0);
	if (tcp_port_bind(fd, &sa, sl))
		return errno;

	return 0;
}

/**
 * tcp_conn_from_guest() - Open a host connection for a guest's SYN
 * @c:		Execution context
 * @p:		Parsed frame
 * @s:		Parsed segment: SYN without ACK
 *
 * #syscalls: socket close setsockopt connect
 */
static void tcp_conn_from_guest(struct ctx *c, const struct pkt *p,
				const struct tcp_seg_in *s)
{
	struct flow_common *f;
	struct tcp_conn *conn;
	int fd, rc, one = 1;
	struct flowside *h;

	f = flow_alloc(FLOW_TYPE_TCP);
	if (!f) {
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

	/* From here on the flow owns the socket: failures reset */
	conn = tcp_conn_of(f);
	conn->sock = fd;
	flow_activate(f);
	conn->state = CONN_CONNECTING;
	conn->seq_from_guest = conn->seq_ack_to_guest = s->seq + 1;
	conn->seq_ack_from_guest = tcp_isn(c, &f->side[FLOW_SIDE_GUEST]);
	conn->seq_to_guest = conn->seq_max_to_guest = conn->seq_ack_from_guest;
	conn->active_s = (uint16_t)c->now.tv_sec;
	tcp_guest_opts(c, conn, s);
	tcp_wnd_update(c, conn);

	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));

	rc = flow_hash_insert(f, FLOW_SIDE_GUEST);
	if (!rc)
		rc = tcp_conn_epoll(c, conn, true);
	if (!rc)
		rc = tcp_sock_bind_out(c, fd, h);
	if (!rc) {
		union sockaddr_inany sa;
		socklen_t sl = inany_to_sockaddr(&sa, &h->eaddr, h->eport,
						 c->ip6.ifi);

		if (!tcp_port_connect(fd, &sa, sl))
			rc = tcp_connected(c, conn);
		else if (errno != EINPROGRESS)
			rc = errno;
	}
	if (rc) {
		tcp_conn_rst(c, conn, strerror(rc));
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
 *
 * #syscalls: getpeername getsockname setsockopt close
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

	f = flow_alloc(FLOW_TYPE_TCP);
	if (!f)
		goto refuse;

	h = &f->side[FLOW_SIDE_HOST];
	g = &f->side[FLOW_SIDE_GUEST];
	if (getpeername(fd, &peer.sa, &pl) || getsockname(fd, &local.sa, &ll) ||
	    !inany_from_sockaddr(&h->eaddr, &h->eport, &peer) ||
	    !inany_from_sockaddr(&h->oaddr, &h->oport, &local) ||
	    fwd_nat_inbound(c, IPPROTO_TCP, rule, h, g))
		goto refuse;

	/* From here on the flow owns the socket */
	conn = tcp_conn_of(f);
	conn->sock = fd;
	flow_activate(f);
	f->flags |= FLOW_F_INBOUND;
	conn->state = CONN_SYN_SENT;
	conn->flags = TCP_F_INBOUND | TCP_F_TS;
	conn->ws_to_guest = TCP_WS_TO_GUEST;
	conn->mss = TCP_GUEST_MSS_DEFAULT;
	conn->seq_ack_from_guest = tcp_isn(c, g);
	conn->active_s = (uint16_t)c->now.tv_sec;
	tcp_wnd_update(c, conn);

	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));

	if (flow_hash_insert(f, FLOW_SIDE_GUEST) || tcp_conn_epoll(c, conn, true)) {
		tcp_conn_close(c, conn, true, "can't track connection");
		return;
	}

	tcp_seg_ctl(c, conn, TCP_SYN, conn->seq_ack_from_guest);
	conn->seq_to_guest = conn->seq_max_to_guest =
		conn->seq_ack_from_guest + 1;
	tcp_timer_set(c, conn, true);
	flow_log(f, LOG_DEBUG, "SYN to guest");
	return;

refuse:
	if (f)
		flow_alloc_cancel(f);
	setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
	close(fd);
}

/**
 * tcp_to_sock() - Send in-order guest data to the socket
 * @c:		Execution context
 * @conn:	Connection
 * @iov:	Payloads, in sequence from @conn->seq_from_guest
 * @cnt:	Number of buffers
 * @fin:	The guest's FIN follows the last byte
 *
 * Only what the kernel takes is acknowledged: the rest, and the FIN with
 * it, the guest sends again. The window follows what is left of the
 * socket's buffer.
 *
 * Return: 0 on success, a positive errno if the socket failed
 *
 * #syscalls: sendmsg shutdown
 */
static int tcp_to_sock(const struct ctx *c, struct tcp_conn *conn,
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
			if (errno != EAGAIN && errno != EINTR)
				return errno;
			n = 0;
		}
		conn->seq_from_guest += (uint32_t)n;
		if ((size_t)n < total)
			tcp_wnd_update(c, conn);
		else
			tcp_wnd_took(c, conn, (uint32_t)n);
	}

	/* What the socket didn't take goes again: say so at once */
	if ((size_t)n < total)
		conn->flags |= TCP_F_ACK_DUE;

	if (fin && (size_t)n == total) {
		shutdown(conn->sock, SHUT_WR);
		conn->seq_from_guest++;
		conn->fin |= TCP_GUEST_FIN_RCVD;
		flow_log(&conn->f, LOG_DEBUG, "FIN from guest");
	}

	return 0;
}

/**
 * tcp_handshake_in() - A segment for a connection still in its handshake
 * @c:		Execution context
 * @conn:	Connection, not established
 * @s:		Segment
 * @go_on:	Set if the segment completed the handshake and its data and
 *		acknowledgement are to be processed as established
 *
 * Return: 0 on success, a positive errno if the socket failed
 */
static int tcp_handshake_in(struct ctx *c, struct tcp_conn *conn,
			    const struct tcp_seg_in *s, bool *go_on)
{
	uint32_t syn_ack = conn->seq_ack_from_guest + 1;

	*go_on = false;

	switch (conn->state) {
	case CONN_SYN_ACK_SENT:
		if (s->flags & TCP_SYN)		/* our SYN,ACK was lost */
			return tcp_send_again(c, conn);
		if (!(s->flags & TCP_ACK) || s->ack != syn_ack)
			return 0;
		tcp_established(c, conn, syn_ack);
		*go_on = true;
		return 0;
	case CONN_SYN_SENT:
		if ((s->flags & (TCP_SYN | TCP_ACK)) != (TCP_SYN | TCP_ACK) ||
		    s->ack != syn_ack)
			return 0;
		tcp_guest_opts(c, conn, s);
		conn->seq_from_guest = s->seq + 1;
		tcp_established(c, conn, syn_ack);
		tcp_send_ack(c, conn);
		return tcp_sock_data(c, conn, UINT32_MAX);
	default:	/* connecting: the guest repeats its SYN, wait */
		return 0;
	}
}

/**
 * tcp_rst_acceptable() - Is a RST within the window we advertised?
 * @conn:	Connection
 * @s:		Segment
 *
 * Return: true if the RST should be believed (RFC 5961, 3.2, without the
 *	   challenge ACK)
 */
static bool tcp_rst_acceptable(const struct tcp_conn *conn,
			       const struct tcp_seg_in *s)
{
	uint32_t wnd = MAX((uint32_t)conn->wnd_to_guest << conn->ws_to_guest,
			   1U);

	if (conn->state == CONN_SYN_SENT)
		return (s->flags & TCP_ACK) &&
		       s->ack == conn->seq_ack_from_guest + 1;
	return SEQ_GE(s->seq, conn->seq_from_guest) &&
	       SEQ_LT(s->seq, conn->seq_from_guest + wnd);
}

/**
 * tcp_keepalive_in() - An old segment of one byte or none, just before what
 *			we expect: the guest's keep-alive probe. Keep the
 *			host connection alive too.
 * @conn:	Connection
 * @s:		Segment, before @conn->seq_from_guest
 *
 * #syscalls: setsockopt
 */
static void tcp_keepalive_in(struct tcp_conn *conn, const struct tcp_seg_in *s)
{
	int one = 1;

	if (s->len > 1 || s->seq != conn->seq_from_guest - 1 ||
	    (conn->flags & TCP_F_KEEPALIVE))
		return;

	setsockopt(conn->sock, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
	conn->flags |= TCP_F_KEEPALIVE;
}

/**
 * tcp_data_in() - Data and FIN of a batch, in sequence order, to the socket
 * @c:		Execution context
 * @conn:	Established connection
 * @segs:	Segments of the batch, parsed
 * @later:	Segments with data or FIN still to process
 * @n:		Number of segments
 * @held:	Number of entries set in @later; on return, those left after
 *		a hole
 *
 * Over as many passes as it takes for reordered segments in the batch to
 * fill their holes; the rest is dropped.
 *
 * Return: 0 on success, a positive errno if the socket failed
 */
static int tcp_data_in(const struct ctx *c, struct tcp_conn *conn,
		       const struct tcp_seg_in *segs, bool *later, size_t n,
		       size_t *held)
{
	static struct iovec iov[TCP_BATCH_MAX];
	uint32_t expect = conn->seq_from_guest;
	bool fin = false, progress = true;
	size_t i, cnt = 0, pass;

	for (pass = 0; *held && progress && pass < 4; pass++) {
		progress = false;
		for (i = 0; i < n && *held; i++) {
			const struct tcp_seg_in *s = &segs[i];
			uint32_t off, end = s->seq + (uint32_t)s->len;

			if (!later[i] || fin)
				continue;
			if (SEQ_GT(s->seq, expect))
				continue;	/* after a hole, for now */
			later[i] = false;
			(*held)--;
			progress = true;

			if (SEQ_LT(end, expect) || (s->len && end == expect)) {
				/* Old: a retransmission or a keep-alive */
				conn->flags |= TCP_F_ACK_DUE;
				tcp_keepalive_in(conn, s);
				continue;
			}

			off = expect - s->seq;
			if (s->len > off) {
				iov[cnt].iov_base = (void *)(s->data + off);
				iov[cnt++].iov_len = s->len - off;
				expect = end;
			}
			if (s->flags & TCP_FIN)
				fin = true;
		}
	}

	if (!cnt && !fin)
		return 0;
	return tcp_to_sock(c, conn, iov, cnt, fin);
}

/**
 * tcp_guest_conn() - Segments from the guest for one connection
 * @c:		Execution context
 * @conn:	Connection
 * @segs:	Segments, parsed
 * @n:		Number of segments, at most TCP_BATCH_MAX
 *
 * In-order data of the whole batch goes to the socket in one call.
 * Segments after a hole wait for a second pass, in case the batch fills
 * the hole; otherwise they are dropped and answered with a duplicate ACK,
 * so that the guest sends again.
 *
 * Return: 0 on success, a positive errno if the connection is to be reset
 */
static int tcp_guest_conn(struct ctx *c, struct tcp_conn *conn,
			  const struct tcp_seg_in *segs, size_t n)
{
	static bool later[TCP_BATCH_MAX];
	uint32_t drop = 0;
	bool more = false;
	size_t i, held = 0;
	int rc;

	if (!n)
		return 0;
	conn->active_s = (uint16_t)c->now.tv_sec;

	for (i = 0; i < n; i++) {
		const struct tcp_seg_in *s = &segs[i];

		later[i] = false;

		if (conn->state != CONN_ESTABLISHED) {
			bool go_on;

			rc = tcp_handshake_in(c, conn, s, &go_on);
			if (rc)
				return rc;
			if (!go_on)
				continue;
		}

		if (s->flags & TCP_SYN) {	/* challenge ACK, RFC 5961 4.2 */
			conn->flags |= TCP_F_ACK_DUE;
			continue;
		}
		if (!(s->flags & TCP_ACK))
			continue;

		if ((conn->flags & TCP_F_TS) && s->ts &&
		    SEQ_LE(s->seq, conn->seq_from_guest))
			conn->ts_recent = s->tsval;

		rc = tcp_ack_in(c, conn, s, &more, &drop);
		if (rc)
			return rc;

		if (!s->len && !(s->flags & TCP_FIN))
			continue;
		if (conn->fin & TCP_GUEST_FIN_RCVD) {
			conn->flags |= TCP_F_ACK_DUE;
			continue;
		}
		later[i] = true;
		held++;
	}

	rc = tcp_discard(conn, drop);
	if (rc)
		return rc;

	rc = tcp_data_in(c, conn, segs, later, n, &held);
	if (rc)
		return rc;

	/* Segments left after a hole: duplicate ACKs make the guest resend
	 * (three trigger its fast retransmit)
	 */
	for (i = 0; i < MIN(held, 3U); i++)
		tcp_send_ack(c, conn);

	if (conn->state != CONN_ESTABLISHED)
		return 0;

	/* Our data, if any, carries the ACK: send it first */
	if (more) {
		rc = tcp_sock_data(c, conn, UINT32_MAX);
		if (rc)
			return rc;
	}
	tcp_ack_data_in(c, conn);

	return 0;
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
 * tcp_guest_handler() - Segments from the guest
 * @c:		Execution context
 * @p:		Parsed frames, TCP
 * @n:		Number of frames, at least one
 *
 * Handles the first frame and the frames right after it that belong to the
 * same connection. Each segment is parsed once, here.
 *
 * Return: number of frames handled
 */
size_t tcp_guest_handler(struct ctx *c, const struct pkt *p, size_t n)
{
	static struct tcp_seg_in segs[TCP_BATCH_MAX];
	struct flow_common *f;
	size_t cnt, used, i, end;
	struct tcp_conn *conn;
	struct flowside fs;
	int rc;

	if (tcp_parse(p, &segs[0])) {
		debug_ratelimit("Dropping malformed TCP segment from guest");
		return 1;
	}

	/* The run of frames of this connection; malformed ones dropped */
	for (cnt = 1, used = 1; cnt < n && used < TCP_BATCH_MAX; cnt++) {
		if (!tcp_same_tuple(p, &p[cnt]))
			break;
		if (tcp_parse(&p[cnt], &segs[used]))
			debug_ratelimit("Dropping malformed TCP segment from "
					"guest");
		else
			used++;
	}

	tcp_guest_side(p, &segs[0], &fs);
	f = flow_lookup(FLOW_TYPE_TCP, FLOW_SIDE_GUEST, &fs);
	if (!f) {
		if ((segs[0].flags & (TCP_SYN | TCP_ACK | TCP_RST)) ==
		    TCP_SYN && !c->no_tcp)
			tcp_conn_from_guest(c, p, &segs[0]);
		else
			tcp_rst_reply(c, p, &segs[0]);
		return 1;
	}

	/* Runs of segments up to each RST, in order: what came before a RST
	 * reaches the socket before it is reset
	 */
	conn = tcp_conn_of(f);
	if (conn->flags & TCP_F_MIGRATED)
		return cnt;	/* the guest moved: its frames are stale */
	for (i = 0; i < used; i = end + 1) {
		for (end = i; end < used; end++) {
			if (segs[end].flags & TCP_RST)
				break;
		}

		rc = tcp_guest_conn(c, conn, segs + i, end - i);
		if (rc) {
			tcp_conn_rst(c, conn, strerror(rc));
			return cnt;
		}
		if (end < used && tcp_rst_acceptable(conn, &segs[end])) {
			tcp_conn_close(c, conn, true, "RST from guest");
			return cnt;
		}
	}

	if (!tcp_close_check(c, conn)) {
		rc = tcp_epoll_sync(c, conn);
		if (rc)
			tcp_conn_rst(c, conn, strerror(rc));
	}

	return cnt;
}

/**
 * tcp_sock_event() - Events on an established or handshaking connection's
 *		      socket
 * @c:		Execution context
 * @conn:	Connection, not connecting
 * @events:	EPOLL* events
 *
 * Return: 0 on success, a positive errno if the connection is to be reset
 */
static int tcp_sock_event(struct ctx *c, struct tcp_conn *conn,
			  uint32_t events)
{
	conn->active_s = (uint16_t)c->now.tv_sec;
	if (events & (EPOLLRDHUP | EPOLLHUP))
		conn->fin |= TCP_SOCK_FIN_RCVD;
	if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP))
		conn->flags &= (uint16_t)~TCP_F_DRAINED;

	if (conn->state != CONN_ESTABLISHED)
		return 0;

	/* Drained: a window update, and watch again if still low */
	if ((events & EPOLLOUT) && (conn->flags & TCP_F_WAIT_OUT)) {
		conn->flags &= (uint16_t)~TCP_F_WAIT_OUT;
		tcp_wnd_update(c, conn);
		tcp_send_ack(c, conn);
		if (!(conn->flags & TCP_F_WND_LOW)) {
			int rc = tcp_conn_epoll(c, conn, false);

			if (rc)
				return rc;
		}
	}

	if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP))
		return tcp_sock_data(c, conn, UINT32_MAX);

	return 0;
}

/**
 * tcp_sock_handler() - Events on a connection's host socket
 * @c:		Execution context
 * @ref:	Reference: flow index and socket
 * @events:	EPOLL* events
 *
 * #syscalls: getsockopt
 */
void tcp_sock_handler(struct ctx *c, union epoll_ref ref, uint32_t events)
{
	struct flow_common *f = flow_at(ref.index, FLOW_TYPE_TCP);
	struct tcp_conn *conn;
	int rc = 0;

	if (!f)
		return;
	conn = tcp_conn_of(f);
	if (conn->sock != (int)ref.fd || (conn->flags & TCP_F_MIGRATED))
		return;

	if (events & EPOLLERR) {
		int err = 0;
		socklen_t sl = sizeof(err);

		getsockopt(conn->sock, SOL_SOCKET, SO_ERROR, &err, &sl);
		if (err)
			rc = err;
		else if (conn->state == CONN_CONNECTING)
			rc = ECONNREFUSED;
	}

	if (!rc && conn->state == CONN_CONNECTING) {
		if (events & (EPOLLOUT | EPOLLHUP))
			rc = tcp_connected(c, conn);
	} else if (!rc) {
		rc = tcp_sock_event(c, conn, events);
		if (!rc && tcp_close_check(c, conn))
			return;
		if (!rc)
			rc = tcp_epoll_sync(c, conn);
	}

	if (rc)
		tcp_conn_rst(c, conn, strerror(rc));
}

/**
 * tcp_timer_expired() - The retransmission or handshake timer fired
 * @c:		Execution context
 * @conn:	Connection
 *
 * Return: 0 on success, a positive errno if the connection is to be reset
 */
static int tcp_timer_expired(struct ctx *c, struct tcp_conn *conn)
{
	bool in_flight = conn->seq_max_to_guest != conn->seq_ack_from_guest;
	int rc;

	/* Zero window probes go on for as long as the guest answers */
	if (conn->state == CONN_ESTABLISHED && !in_flight) {
		if (conn->flags & TCP_F_STALLED) {
			tcp_seg_ctl(c, conn, TCP_ACK, conn->seq_to_guest - 1);
			tcp_timer_set(c, conn, true);
		} else {
			tcp_timer_set(c, conn, false);
		}
		return 0;
	}

	if (++conn->retries > (conn->state == CONN_ESTABLISHED ?
			       TCP_DATA_RETRIES : TCP_SYN_RETRIES))
		return ETIMEDOUT;
	flow_log(&conn->f, LOG_DEBUG, "timeout, retry %u", conn->retries);

	if (conn->state == CONN_ESTABLISHED)
		tcp_seg_rewind(conn, conn->seq_ack_from_guest);
	rc = tcp_send_again(c, conn);
	if (rc)
		return rc;

	tcp_timer_set(c, conn, true);
	return 0;
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
	uint16_t idle = (uint16_t)((uint16_t)c->now.tv_sec - conn->active_s);
	int rc = 0;

	if (conn->flags & TCP_F_MIGRATED)
		return;		/* stopped, its socket in repair mode */
	if (idle >= TCP_INACTIVE_S) {
		tcp_conn_rst(c, conn, "inactive");
		return;
	}

	if (conn->timer_ms && SEQ_GE(now, conn->timer_ms))
		rc = tcp_timer_expired(c, conn);
	if (rc) {
		tcp_conn_rst(c, conn, strerror(rc));
		return;
	}

	if (conn->state != CONN_ESTABLISHED)
		return;

	if (idle && idle % TCP_KEEPALIVE_S == 0 &&
	    c->now.tv_nsec < TIMER_INTERVAL_MS * 1000000L)
		tcp_seg_ctl(c, conn, TCP_ACK, conn->seq_to_guest - 1);

	if (conn->flags & TCP_F_ACK_DUE)
		tcp_send_ack(c, conn);
	tcp_wnd_recheck(c, conn);
}

/**
 * tcp_l2_resume() - Send what the front end refused of a connection
 * @c:		Execution context
 * @f:		Flow of type TCP, skipped unless it waits for the front end
 */
static void tcp_l2_resume(struct ctx *c, struct flow_common *f)
{
	struct tcp_conn *conn = tcp_conn_of(f);
	int rc;

	if (!(conn->flags & TCP_F_L2_WAIT) || (conn->flags & TCP_F_MIGRATED))
		return;
	conn->flags &= (uint16_t)~TCP_F_L2_WAIT;
	tcp_l2_resumed++;

	rc = tcp_send_again(c, conn);
	if (rc) {
		tcp_conn_rst(c, conn, strerror(rc));
		return;
	}
	if (conn->state == CONN_ESTABLISHED && (conn->flags & TCP_F_ACK_DUE))
		tcp_send_ack(c, conn);
}

/**
 * tcp_l2_writable() - The front end takes frames again: resume at once the
 *		       connections it refused, rather than at their timers
 * @c:		Execution context
 *
 * The room that came back often fits one connection's frames, not all of
 * them: once the front end refuses again, those not resumed yet go first
 * next time. Resuming in the same order each time would give one
 * connection all the room, pass after pass, and leave the others none.
 */
static void tcp_l2_writable(struct ctx *c)
{
	unsigned long before = tcp_l2_resumed;
	uint32_t idx[FLOW_LIST_MAX];
	unsigned n;
	bool lost;

	/* Resuming may fill the front end and list connections again */
	n = tcp_seg_waiting_take(idx, &lost);

	if (lost) {
		/* The walk over the table, for when the list overflowed */
		static const flow_timer_fn resume[FLOW_TYPE_MAX] = {
			[FLOW_TYPE_TCP] = tcp_l2_resume,
		};

		flow_timer(c, resume);
	} else {
		unsigned i;

		for (i = 0; i < n && !l2_refusing(c); i++) {
			struct flow_common *f = flow_at(idx[i], FLOW_TYPE_TCP);

			if (f)
				tcp_l2_resume(c, f);
		}
		if (i < n)
			tcp_seg_waiting_first(idx + i, n - i);
	}

	if (tcp_l2_resumed != before)
		debug_ratelimit("Front end takes frames again: %lu TCP"
				" connections resumed so far", tcp_l2_resumed);
}

/**
 * tcp_defer_handler() - Send the ACKs due at the end of this pass
 * @c:		Execution context
 */
void tcp_defer_handler(struct ctx *c)
{
	tcp_ack_delayed_flush(c);
}

/**
 * tcp_wait_ms() - How long the main loop may wait for events
 * @c:		Execution context, with the current time
 *
 * Return: milliseconds until the delayed ACKs are due, -1 if none waits
 */
int tcp_wait_ms(const struct ctx *c)
{
	return tcp_ack_wait_ms(c);
}

/**
 * tcp_init() - Set up TCP: sequence number key, segment state, listeners
 * @c:		Execution context
 */
void tcp_init(struct ctx *c)
{
	if (getrandom(&tcp_isn_key, sizeof(tcp_isn_key), 0) !=
	    (ssize_t)sizeof(tcp_isn_key))
		die("No random source for TCP sequence numbers: %s",
		    strerror(errno));

	tcp_seg_init();
	tcp_ack_init();
	l2_on_writable(tcp_l2_writable);
	if (!c->no_tcp)
		tcp_listen_init(c);
}
