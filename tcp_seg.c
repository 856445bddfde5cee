// SPDX-License-Identifier: GPL-2.0-or-later
/* tcp_seg.c - TCP segments to the guest: their headers, socket data read
 * straight into the room the front end lends, and what becomes of segments
 * the front end has no room for or refuses
 *
 * Socket data is read with MSG_PEEK: it stays in the socket's receive queue
 * until the guest acknowledges it, and SO_PEEK_OFF makes each read start
 * after what was already sent. A retransmission moves the offset back and
 * reads the same bytes again (tcp_seg_rewind()). Segments the front end
 * lends no room for, or doesn't deliver at its flush, are rolled back the
 * same way, and their connection waits for the front end to take frames
 * again (tcp_seg_wait()).
 *
 * Building a segment makes no system call: the window it advertises is
 * @wnd_to_guest, which tcp_wnd_update() computes where the socket is
 * written or drains.
 */

#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>

#include "ctx.h"
#include "flow.h"
#include "frame.h"
#include "l2.h"
#include "log.h"
#include "tcp_conn.h"
#include "util.h"

/* Rooms, and buffers, one socket read fills at most: the kernel takes up
 * to UIO_MAXIOV buffers per call
 */
#define TCP_ROOMS_MAX		64
#define TCP_IOV_MAX		1024

/* Our options: MSS, window scale (with a NOP), timestamps (two NOPs) */
#define TCP_OPT_MAX		20
#define TCP_OPT_MSS_LEN		4

/* TTL or hop limit of our segments */
#define TCP_TTL			64

/* Random offset of our timestamps, so they don't tell the uptime */
static uint32_t tcp_ts_offset;

/* Connections whose frames the front end refused (TCP_F_L2_WAIT), to
 * resume once it takes frames again
 */
static struct flow_list tcp_l2_waiting;

/**
 * tcp_seg_init() - Pick the timestamp offset, forget waiting connections
 */
void tcp_seg_init(void)
{
	if (getrandom(&tcp_ts_offset, sizeof(tcp_ts_offset), 0) < 0)
		tcp_ts_offset = 0;
	memset(&tcp_l2_waiting, 0, sizeof(tcp_l2_waiting));
}

/**
 * tcp_now_ms() - Current time as a 32-bit millisecond counter
 * @c:		Execution context
 *
 * Return: milliseconds, wrapping
 */
uint32_t tcp_now_ms(const struct ctx *c)
{
	return (uint32_t)((uint64_t)c->now.tv_sec * MS_PER_SEC +
			  (uint64_t)c->now.tv_nsec / 1000000);
}

/**
 * tcp_opts() - Write our TCP options
 * @c:		Execution context
 * @conn:	Connection
 * @syn:	SYN segment: MSS, and window scale if we scale
 * @opt:	Destination, TCP_OPT_MAX bytes
 *
 * Return: options length, a multiple of four
 */
static size_t tcp_opts(const struct ctx *c, const struct tcp_conn *conn,
		       bool syn, uint8_t *opt)
{
	int mtu = c->mtu ? c->mtu : MTU_DEFAULT;
	size_t len = 0;

	if (syn) {
		int mss = mtu - (tcp_conn_v4(conn) ? 40 : 60);

		opt[len++] = 2;
		opt[len++] = TCP_OPT_MSS_LEN;
		put_be16(opt + len, (uint16_t)MIN(mss, 65535));
		len += 2;
		if (conn->ws_to_guest || (conn->flags & TCP_F_INBOUND)) {
			opt[len++] = 1;
			opt[len++] = 3;
			opt[len++] = 3;
			opt[len++] = conn->ws_to_guest;
		}
	}

	if (conn->flags & TCP_F_TS) {
		opt[len++] = 1;
		opt[len++] = 1;
		opt[len++] = 8;
		opt[len++] = 10;
		put_be32(opt + len, tcp_now_ms(c) + tcp_ts_offset);
		put_be32(opt + len + 4, conn->ts_recent);
		len += 8;
	}

	return len;
}

/**
 * tcp_seg_hdr() - Header fields of a segment of a connection
 * @conn:	Connection: an ACK acknowledges all it took from the guest
 * @flags:	TCP flags
 * @seq:	Sequence number
 * @opt_len:	Length of our options
 * @th:		Fields, filled in
 */
static void tcp_seg_hdr(struct tcp_conn *conn, uint8_t flags, uint32_t seq,
			size_t opt_len, struct frame_tcp_hdr *th)
{
	const struct flowside *fs = &conn->f.side[FLOW_SIDE_GUEST];
	uint32_t wnd = conn->wnd_to_guest;

	/* The window of a SYN is never scaled (RFC 7323, 2.2) */
	if (flags & TCP_SYN)
		wnd = MIN(wnd << conn->ws_to_guest, 65535U);
	if (flags & TCP_RST)
		wnd = 0;

	th->sport = fs->oport;
	th->dport = fs->eport;
	th->seq = seq;
	th->ack = (flags & TCP_ACK) ? conn->seq_from_guest : 0;
	th->wnd = (uint16_t)wnd;
	th->flags = flags;
	th->opt_len = (uint8_t)opt_len;

	if (flags & TCP_ACK) {
		conn->seq_ack_to_guest = conn->seq_from_guest;
		conn->flags &= (uint16_t)~(TCP_F_ACK_DUE | TCP_F_ACK_DELAYED);
	}
}

/**
 * tcp_seg_frame() - Write the headers of a segment into its room, in front
 *		     of the payload already there
 * @c:		Execution context
 * @room:	Room holding the payload after the headers
 * @fs:		Guest side: the segment goes from @oaddr to @eaddr
 * @th:		TCP header fields
 * @opt:	Options, @th->opt_len bytes
 * @plen:	Payload length
 * @off:	Checksum part set: a guest that finishes checksums gets a
 *		partial one, and we don't sum the payload
 *
 * Return: length of the frame
 */
static size_t tcp_seg_frame(const struct ctx *c, struct l2_room *room,
			    const struct flowside *fs,
			    const struct frame_tcp_hdr *th, const uint8_t *opt,
			    size_t plen, struct l2_offload *off)
{
	bool v4 = !!inany_v4(&fs->eaddr);
	size_t l4_off = frame_l4_off(v4);
	size_t hlen = FRAME_TCP_HLEN + th->opt_len;
	struct iovec payload[L2_ROOM_IOV_MAX];
	uint8_t *frame = room->iov[0].iov_base;
	size_t cnt;

	ASSERT(room->iov[0].iov_len >= l4_off + hlen);

	frame_l3(c, frame, NULL, v4, &fs->oaddr, &fs->eaddr, IPPROTO_TCP,
		 TCP_TTL, hlen + plen);
	if (th->opt_len)
		memcpy(frame + l4_off + FRAME_TCP_HLEN, opt, th->opt_len);
	cnt = l2_room_iov(room, l4_off + hlen, plen, payload,
			  ARRAY_SIZE(payload));
	off->needs_csum = l2_offloads(c) & L2_OFF_CSUM;
	off->csum_start = (uint16_t)l4_off;
	off->csum_offset = FRAME_TCP_CSUM_OFF;
	frame_tcp(frame + l4_off, v4, &fs->oaddr, &fs->eaddr, th, payload,
		  cnt, !off->needs_csum);

	return l4_off + hlen + plen;
}

/**
 * tcp_seg_wait() - The front end takes no frames of a connection for now:
 *		    send again once it does
 * @conn:	Connection
 * @ack_due:	Frames were lost: we owe the guest an ACK
 */
void tcp_seg_wait(struct tcp_conn *conn, bool ack_due)
{
	if (ack_due)
		conn->flags |= TCP_F_ACK_DUE;
	if (conn->flags & TCP_F_L2_WAIT)
		return;

	conn->flags |= TCP_F_L2_WAIT;
	flow_list_add(&tcp_l2_waiting, flow_idx(&conn->f));
}

/**
 * tcp_seg_waiting_take() - Take the list of connections waiting for the
 *			    front end
 * @idx:	Flow indices, filled in: each still has TCP_F_L2_WAIT set
 *		unless it closed since
 * @lost:	Set if some didn't fit the list: look at every connection
 *
 * Return: number of indices
 */
unsigned tcp_seg_waiting_take(uint32_t idx[FLOW_LIST_MAX], bool *lost)
{
	return flow_list_take(&tcp_l2_waiting, idx, lost);
}

/**
 * tcp_seg_waiting_first() - Put connections that got no turn back at the
 *			     head of the waiting list, ahead of those that
 *			     had one and were refused again
 * @idx:	Flow indices, each with TCP_F_L2_WAIT still set
 * @n:		Number of indices
 */
void tcp_seg_waiting_first(const uint32_t *idx, unsigned n)
{
	flow_list_push_front(&tcp_l2_waiting, idx, n);
}

/**
 * tcp_seg_rewind() - Send again from an earlier sequence number
 * @conn:	Established connection
 * @seq:	Sequence number, not before the guest's last ACK
 *
 * #syscalls: setsockopt
 */
void tcp_seg_rewind(struct tcp_conn *conn, uint32_t seq)
{
	int off = (int)(seq - conn->seq_ack_from_guest);

	ASSERT(SEQ_GE(seq, conn->seq_ack_from_guest));

	conn->seq_to_guest = seq;
	conn->flags &= (uint16_t)~TCP_F_DRAINED;
	if (setsockopt(conn->sock, SOL_SOCKET, SO_PEEK_OFF, &off, sizeof(off)))
		debug_ratelimit("SO_PEEK_OFF: %s", strerror(errno));
}

/**
 * tcp_seg_refused() - A segment the front end didn't take: its connection
 *		       sends it again once the front end takes frames
 * @c:		Execution context, unused
 * @tag:	Flow, sequence number and sequence space of the segment
 */
static void tcp_seg_refused(struct ctx *c, const struct l2_tag *tag)
{
	struct flow_common *f = flow_at(tag->flow, FLOW_TYPE_TCP);
	struct tcp_conn *conn;

	(void)c;

	if (!f)
		return;		/* closed since */

	conn = tcp_conn_of(f);
	tcp_seg_wait(conn, true);
	if (tag->seq_len && conn->state == CONN_ESTABLISHED &&
	    SEQ_LT(tag->seq, conn->seq_to_guest) &&
	    SEQ_GE(tag->seq, conn->seq_ack_from_guest))
		tcp_seg_rewind(conn, tag->seq);
}

/**
 * tcp_seg_ctl() - Queue a segment without payload
 * @c:		Execution context
 * @conn:	Connection
 * @flags:	TCP flags
 * @seq:	Sequence number
 *
 * Without room from the front end, the connection waits for it, and sends
 * what it owes then.
 */
void tcp_seg_ctl(struct ctx *c, struct tcp_conn *conn, uint8_t flags,
		 uint32_t seq)
{
	const struct l2_tag tag = {
		.refused = tcp_seg_refused, .flow = flow_idx(&conn->f),
		.seq = seq, .seq_len = !!(flags & (TCP_SYN | TCP_FIN)),
	};
	bool v4 = tcp_conn_v4(conn);
	struct l2_offload off = { .gso = L2_GSO_NONE };
	uint8_t opt[TCP_OPT_MAX];
	struct frame_tcp_hdr th;
	struct l2_room *room;
	size_t opt_len, len;

	opt_len = tcp_opts(c, conn, flags & TCP_SYN, opt);
	if (!l2_lend(c, &room, 1, frame_l4_off(v4) + FRAME_TCP_HLEN + opt_len)) {
		tcp_seg_refused(c, &tag);
		return;
	}

	tcp_seg_hdr(conn, flags, seq, opt_len, &th);
	len = tcp_seg_frame(c, room, &conn->f.side[FLOW_SIDE_GUEST], &th, opt,
			    0, &off);
	l2_commit(c, room, len, &tag, &off);
}

/**
 * tcp_seg_rst_reply() - Queue a RST for a segment that has no connection
 * @c:		Execution context
 * @guest:	Guest side, from the segment: addresses and ports to answer
 * @seq:	Sequence number of the RST
 * @ack:	Acknowledgement number, if @with_ack
 * @with_ack:	Set ACK (the segment had none)
 */
void tcp_seg_rst_reply(struct ctx *c, const struct flowside *guest,
		       uint32_t seq, uint32_t ack, bool with_ack)
{
	const struct frame_tcp_hdr th = {
		.sport = guest->oport, .dport = guest->eport,
		.seq = seq, .ack = with_ack ? ack : 0,
		.flags = (uint8_t)(TCP_RST | (with_ack ? TCP_ACK : 0)),
	};
	struct l2_offload off = { .gso = L2_GSO_NONE };
	bool v4 = !!inany_v4(&guest->eaddr);
	struct l2_room *room;
	size_t len;

	/* Nobody resends a RST: without room, it is lost */
	if (!l2_lend(c, &room, 1, frame_l4_off(v4) + FRAME_TCP_HLEN))
		return;

	len = tcp_seg_frame(c, room, guest, &th, NULL, 0, &off);
	l2_commit(c, room, len, NULL, &off);
}

/**
 * tcp_seg_fin() - Queue our FIN if the socket's data is all sent
 * @c:		Execution context
 * @conn:	Connection, peer's FIN received, nothing more to read
 */
static void tcp_seg_fin(struct ctx *c, struct tcp_conn *conn)
{
	/* Once sent, the FIN sits at the end of the sequence space: send it
	 * again only if a rewind brought us back just before it
	 */
	if ((conn->fin & TCP_GUEST_FIN_SENT) &&
	    conn->seq_to_guest != conn->seq_max_to_guest - 1)
		return;

	/* Accounted for first, so that a refusal rewinds to it */
	conn->fin |= TCP_GUEST_FIN_SENT;
	conn->seq_to_guest++;
	if (SEQ_GT(conn->seq_to_guest, conn->seq_max_to_guest))
		conn->seq_max_to_guest = conn->seq_to_guest;
	tcp_seg_ctl(c, conn, TCP_FIN | TCP_ACK, conn->seq_to_guest - 1);
}

/**
 * tcp_seg_read() - Read socket data into lent rooms, one segment each
 * @c:		Execution context
 * @conn:	Established connection
 * @rooms:	Rooms, each for up to @seg bytes after @hdr_len of headers
 * @n:		Number of rooms
 * @hdr_len:	Headers in front of each payload
 * @seg:	Payload per room, at most
 * @left:	Bytes to read at most
 * @payload:	Payload asked for in each room, set (0 for those not read into)
 * @want:	Bytes asked for in all, set
 *
 * Return: bytes read, 0 at the end of the peer's data, or -1 with errno
 *	   set
 *
 * #syscalls: recvmsg
 */
static ssize_t tcp_seg_read(const struct ctx *c, const struct tcp_conn *conn,
			    struct l2_room *const *rooms, size_t n,
			    size_t hdr_len, size_t seg, size_t left,
			    size_t *payload, size_t *want)
{
	static struct iovec iov[TCP_IOV_MAX];
	struct msghdr mh = { .msg_iov = iov };
	size_t i, cnt = 0;
	ssize_t r;

	*want = 0;
	for (i = 0; i < n && *want < left; i++) {
		size_t len = MIN(seg, left - *want);

		if (cnt + rooms[i]->iovcnt > ARRAY_SIZE(iov))
			break;
		/* Sequence numbers let a segment end anywhere: where the
		 * front end's buffer does, if that's close
		 */
		len = l2_room_fit(c, rooms[i], hdr_len + len,
				  hdr_len + DIV_ROUND_UP(len, 2)) - hdr_len;
		payload[i] = len;
		cnt += l2_room_iov(rooms[i], hdr_len, len, iov + cnt,
				   ARRAY_SIZE(iov) - cnt);
		*want += len;
	}
	for (; i < n; i++)
		payload[i] = 0;
	mh.msg_iovlen = cnt;

	do
		r = recvmsg(conn->sock, &mh, MSG_PEEK | MSG_DONTWAIT);
	while (r < 0 && errno == EINTR);

	return r;
}

/**
 * tcp_seg_data() - Read socket data the guest's window allows, into frames
 * @c:		Execution context
 * @conn:	Established connection
 * @limit:	Most bytes to send, UINT32_MAX for as many as the window lets
 *
 * When the socket's data ends and its peer has closed, our FIN follows.
 *
 * Return: 0 on success, a positive errno if the socket failed
 *
 * #syscalls: recvmsg
 */
int tcp_seg_data(struct ctx *c, struct tcp_conn *conn, uint32_t limit)
{
	const struct flowside *fs = &conn->f.side[FLOW_SIDE_GUEST];
	unsigned offloads = l2_offloads(c);
	size_t opt_len, hdr_len, mss, seg;
	struct l2_offload off = { 0 };
	uint8_t opt[TCP_OPT_MAX];
	uint32_t sent = 0;

	ASSERT(conn->state == CONN_ESTABLISHED);

	opt_len = tcp_opts(c, conn, false, opt);
	hdr_len = frame_l4_off(tcp_conn_v4(conn)) + FRAME_TCP_HLEN + opt_len;
	mss = MIN((size_t)conn->mss - opt_len, L2_MAX_LEN - hdr_len);

	/* A guest that takes large segments gets frames of as many whole
	 * segments as fit: one frame, one header, where it would take dozens
	 */
	seg = mss;
	if (offloads & (tcp_conn_v4(conn) ? L2_OFF_TSO4 : L2_OFF_TSO6))
		seg = MAX(mss, (L2_MAX_LEN - hdr_len) / mss * mss);
	off.hdr_len = (uint16_t)hdr_len;

	while (sent < limit) {
		uint32_t in_flight = conn->seq_to_guest -
				     conn->seq_ack_from_guest;
		uint32_t wnd = tcp_guest_wnd(conn), seq = conn->seq_to_guest;
		size_t payload[TCP_ROOMS_MAX], n, i, want, left, got;
		struct l2_room *rooms[TCP_ROOMS_MAX];
		struct frame_tcp_hdr th;
		ssize_t r;

		/* Nothing after our FIN, and nothing new until the socket
		 * says so
		 */
		if (((conn->fin & TCP_GUEST_FIN_SENT) &&
		     SEQ_GE(conn->seq_to_guest, conn->seq_max_to_guest)) ||
		    (conn->flags & TCP_F_DRAINED))
			return 0;

		if (wnd <= in_flight) {
			conn->flags |= TCP_F_STALLED;
			return 0;
		}
		conn->flags &= (uint16_t)~TCP_F_STALLED;
		left = MIN(wnd - in_flight, limit - sent);

		/* Nothing the front end would refuse, to be read again */
		if (l2_refusing(c)) {
			tcp_seg_wait(conn, false);
			return 0;
		}
		n = l2_lend(c, rooms, MIN(TCP_ROOMS_MAX, DIV_ROUND_UP(left, seg)),
			    hdr_len + MIN(seg, left));
		if (!n) {
			tcp_seg_wait(conn, false);
			return 0;
		}
		if (conn->seq_to_guest != seq) {
			/* Lending flushed, and our frames came back refused:
			 * look at the connection again
			 */
			for (i = 0; i < n; i++)
				l2_give_back(c, rooms[i]);
			continue;
		}

		r = tcp_seg_read(c, conn, rooms, n, hdr_len, seg, left,
				 payload, &want);
		if (r <= 0) {
			int rc = r ? errno : 0;

			for (i = 0; i < n; i++)
				l2_give_back(c, rooms[i]);
			/* A peer FIN that the socket itself never saw (it
			 * came to the source of a migration) ends the data
			 * as well as an end of file would
			 */
			if (rc == EAGAIN && !(conn->fin & TCP_SOCK_FIN_RCVD)) {
				conn->flags |= TCP_F_DRAINED;
				return 0;
			}
			if (rc && rc != EAGAIN)
				return rc;

			/* End of the peer's data: everything before it sent */
			if (conn->fin & TCP_SOCK_FIN_RCVD)
				tcp_seg_fin(c, conn);
			return 0;
		}

		/* One set of header fields, each segment its own numbers */
		tcp_seg_hdr(conn, TCP_ACK, seq, opt_len, &th);
		for (got = (size_t)r, i = 0; got && i < n; i++) {
			bool last = got <= payload[i];
			size_t plen = last ? got : payload[i];
			const struct l2_tag tag = {
				.refused = tcp_seg_refused,
				.flow = flow_idx(&conn->f),
				.seq = conn->seq_to_guest,
				.seq_len = (uint32_t)plen,
			};
			size_t len;

			th.seq = conn->seq_to_guest;
			th.flags = last ? TCP_ACK | TCP_PSH : TCP_ACK;
			off.gso = L2_GSO_NONE;
			if (plen > mss)
				off.gso = tcp_conn_v4(conn) ? L2_GSO_TCPV4 :
							      L2_GSO_TCPV6;
			off.gso_size = (uint16_t)mss;
			len = tcp_seg_frame(c, rooms[i], fs, &th, opt, plen,
					    &off);
			l2_commit(c, rooms[i], len, &tag, &off);
			conn->seq_to_guest += (uint32_t)plen;
			got -= plen;
		}
		for (; i < n; i++)
			l2_give_back(c, rooms[i]);

		if (SEQ_GT(conn->seq_to_guest, conn->seq_max_to_guest))
			conn->seq_max_to_guest = conn->seq_to_guest;
		sent += (uint32_t)r;

		/* A short read drained the socket: unless the peer is done,
		 * wait for more, and don't look again until it says so
		 */
		if ((size_t)r < want && !(conn->fin & TCP_SOCK_FIN_RCVD)) {
			conn->flags |= TCP_F_DRAINED;
			return 0;
		}
	}

	return 0;
}
