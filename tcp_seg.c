// SPDX-License-Identifier: GPL-2.0-or-later
/* tcp_seg.c - TCP segments to the guest: building frames, reading socket
 * data into them, and sending them in batches
 *
 * Frames wait in a pool of TCP_FRAMES buffers, for every connection, until
 * the end of the main loop's pass (or until the pool is full), and then go
 * to the front end in one call. Each buffer keeps its payload at a fixed
 * offset, with the headers written just before it, so socket data is read
 * straight into place and a frame is one contiguous buffer.
 *
 * Socket data is read with MSG_PEEK: it stays in the socket's receive queue
 * until the guest acknowledges it, and SO_PEEK_OFF makes each read start
 * after what was already sent. A retransmission moves the offset back and
 * reads the same bytes again. Frames the front end could not take are
 * rolled back the same way.
 */

#include <errno.h>
#include <net/ethernet.h>
#include <netinet/ip.h>
#include <netinet/ip6.h>
#include <netinet/tcp.h>
#include <sys/random.h>
#include <sys/socket.h>

#include "checksum.h"
#include "ctx.h"
#include "flow.h"
#include "l2.h"
#include "log.h"
#include "tcp_conn.h"
#include "util.h"

/* Frames in the pool: enough for a few full windows per pass, at a memory
 * cost of 64 KiB each, touched only as far as payloads reach
 */
#define TCP_FRAMES		32
/* Offset of the payload in a buffer: room for the longest headers, and a
 * cache-line aligned payload for copying and checksumming
 */
#define TCP_PAYLOAD_OFF		128
/* Largest payload any frame can carry */
#define TCP_PAYLOAD_MAX		(L2_MAX_LEN - ETH_HLEN - 20 - 20)

#define TCP_HLEN		20
#define TCP_OPT_MSS_LEN		4
#define TCP_OPT_WS_LEN		4	/* with a leading NOP */
#define TCP_OPT_TS_LEN		12	/* with two leading NOPs */

/**
 * struct tcp_frame - One frame buffer
 * @b:		Headers end at TCP_PAYLOAD_OFF, where the payload starts
 */
struct tcp_frame {
	uint8_t b[TCP_PAYLOAD_OFF + ROUND_UP(TCP_PAYLOAD_MAX, 64)];
};

/**
 * struct tcp_frame_meta - What a queued frame carries, to roll it back
 * @flow:	Flow index
 * @seq:	Sequence number of the frame
 * @seq_len:	Sequence space used: payload, plus one for SYN or FIN
 */
struct tcp_frame_meta {
	uint32_t flow;
	uint32_t seq;
	uint32_t seq_len;
};

static struct tcp_frame tcp_frames[TCP_FRAMES] __attribute__((aligned(64)));
static struct l2_prefix tcp_prefix[TCP_FRAMES];
static struct iovec tcp_iov[TCP_FRAMES * 2];
static struct tcp_frame_meta tcp_meta[TCP_FRAMES];
static unsigned tcp_frames_used;

/* Random offset of our timestamps, so they don't tell the uptime */
static uint32_t tcp_ts_offset;

/**
 * tcp_seg_init() - Set up the frame pool
 */
void tcp_seg_init(void)
{
	tcp_frames_used = 0;
	if (getrandom(&tcp_ts_offset, sizeof(tcp_ts_offset), 0) < 0)
		tcp_ts_offset = 0;
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
 * tcp_hdr_len() - Length of the headers in front of a segment's payload
 * @conn:	Connection
 * @opt_len:	TCP options length
 *
 * Return: Ethernet, IP and TCP header length
 */
static size_t tcp_hdr_len(const struct tcp_conn *conn, size_t opt_len)
{
	bool v4 = !!inany_v4(&conn->f.side[FLOW_SIDE_GUEST].eaddr);

	return ETH_HLEN + (v4 ? sizeof(struct iphdr) : sizeof(struct ip6_hdr)) +
	       TCP_HLEN + opt_len;
}

/**
 * tcp_write_hdrs() - Write Ethernet, IP and TCP headers in front of a
 *		      payload, and the checksums
 * @c:		Execution context
 * @fs:		Guest side of the flow: we send from @oaddr to @eaddr
 * @payload:	Start of the payload; headers go before it
 * @hdr_len:	Header length from tcp_hdr_len()
 * @plen:	Payload length
 * @tcp:	TCP header and options to copy, TCP_HLEN + options, checksum
 *		field zero
 *
 * Return: start of the frame
 */
static uint8_t *tcp_write_hdrs(const struct ctx *c, const struct flowside *fs,
			       uint8_t *payload, size_t hdr_len, size_t plen,
			       const uint8_t *tcp)
{
	uint8_t *frame = payload - hdr_len, *l3 = frame + ETH_HLEN;
	const struct in_addr *src4 = inany_v4(&fs->oaddr);
	size_t ip_len = hdr_len - ETH_HLEN;
	size_t tcp_len = ip_len - (src4 ? sizeof(struct iphdr) :
					  sizeof(struct ip6_hdr));
	uint8_t *th;
	uint32_t sum;

	if (src4) {
		l2_eth_header(c, frame, ETHERTYPE_IP);
		l3[0] = 0x45;
		l3[1] = 0;
		put_be16(l3 + 2, (uint16_t)(ip_len + plen));
		put_be32(l3 + 4, 0x4000);		/* ID 0, DF */
		l3[8] = 64;
		l3[9] = IPPROTO_TCP;
		memset(l3 + 10, 0, 2);
		memcpy(l3 + 12, src4, 4);
		memcpy(l3 + 16, inany_v4(&fs->eaddr), 4);
		sum = csum_partial(l3, sizeof(struct iphdr), 0);
		memcpy(l3 + 10, &(uint16_t){ csum_fold(sum) }, 2);
		th = l3 + sizeof(struct iphdr);
	} else {
		l2_eth_header(c, frame, ETHERTYPE_IPV6);
		put_be32(l3, 0x60000000);
		put_be16(l3 + 4, (uint16_t)(tcp_len + plen));
		l3[6] = IPPROTO_TCP;
		l3[7] = 64;
		memcpy(l3 + 8, &fs->oaddr.a6, 16);
		memcpy(l3 + 24, &fs->eaddr.a6, 16);
		th = l3 + sizeof(struct ip6_hdr);
	}

	memcpy(th, tcp, tcp_len);
	sum = csum_pseudo(!!src4, &fs->oaddr, &fs->eaddr, IPPROTO_TCP,
			  tcp_len + plen);
	sum = csum_partial(th, tcp_len, sum);
	sum = csum_partial(payload, plen, sum);
	memcpy(th + 16, &(uint16_t){ csum_fold(sum) }, 2);

	return frame;
}

/**
 * tcp_opts() - Write our TCP options
 * @c:		Execution context
 * @conn:	Connection
 * @syn:	SYN segment: MSS, window scale and timestamps if offered
 * @opt:	Destination, at least 20 bytes
 *
 * Return: options length, a multiple of four
 */
static size_t tcp_opts(const struct ctx *c, const struct tcp_conn *conn,
		       bool syn, uint8_t *opt)
{
	bool v4 = !!inany_v4(&conn->f.side[FLOW_SIDE_GUEST].eaddr);
	int mtu = c->mtu ? c->mtu : MTU_DEFAULT;
	size_t len = 0;

	if (syn) {
		int mss = mtu - (v4 ? 40 : 60);

		opt[len++] = 2;
		opt[len++] = TCP_OPT_MSS_LEN;
		put_be16(opt + len, (uint16_t)MIN(mss, 65535));
		len += 2;
		if (conn->ws_to_tap || (conn->flags & TCP_F_INBOUND)) {
			opt[len++] = 1;
			opt[len++] = 3;
			opt[len++] = 3;
			opt[len++] = conn->ws_to_tap;
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
 * tcp_tcphdr() - Write a TCP header with our options for a connection
 * @c:		Execution context
 * @conn:	Connection
 * @flags:	TCP_SYN, TCP_ACK, ...
 * @seq:	Sequence number
 * @th:		Destination, at least TCP_HLEN + 20 bytes
 *
 * Return: header length, options included
 */
static size_t tcp_tcphdr(const struct ctx *c, struct tcp_conn *conn,
			 uint8_t flags, uint32_t seq, uint8_t *th)
{
	const struct flowside *fs = &conn->f.side[FLOW_SIDE_GUEST];
	size_t len = TCP_HLEN + tcp_opts(c, conn, flags & TCP_SYN,
					 th + TCP_HLEN);
	uint16_t wnd = (flags & TCP_RST) ? 0 : tcp_wnd_to_tap(conn);

	put_be16(th, fs->oport);
	put_be16(th + 2, fs->eport);
	put_be32(th + 4, seq);
	put_be32(th + 8, (flags & TCP_ACK) ? conn->seq_from_tap : 0);
	th[12] = (uint8_t)((len / 4) << 4);
	th[13] = flags;
	put_be16(th + 14, wnd);
	memset(th + 16, 0, 4);

	if (flags & TCP_ACK) {
		conn->seq_ack_to_tap = conn->seq_from_tap;
		conn->flags &= (uint16_t)~(TCP_F_ACK_DUE | TCP_F_ACK_DELAYED);
	}

	return len;
}

/**
 * tcp_queue() - Add a built frame to the pool
 * @frame:	Start of the frame, inside tcp_frames[tcp_frames_used]
 * @len:	Frame length
 * @flow:	Flow index, FLOW_IDX_NONE for replies without a flow
 * @seq:	Sequence number
 * @seq_len:	Sequence space the frame uses
 */
static void tcp_queue(uint8_t *frame, size_t len, uint32_t flow, uint32_t seq,
		      uint32_t seq_len)
{
	size_t i = tcp_frames_used++;

	tcp_iov[i * 2].iov_base = &tcp_prefix[i];
	tcp_iov[i * 2].iov_len = 0;
	tcp_iov[i * 2 + 1].iov_base = frame;
	tcp_iov[i * 2 + 1].iov_len = len;
	tcp_meta[i] = (struct tcp_frame_meta){ flow, seq, seq_len };
}

/**
 * tcp_seg_flush() - Send the queued frames to the front end
 * @c:		Execution context
 *
 * Frames the front end doesn't take are dropped; their connections go back
 * to the first dropped sequence number, to send the data again once the
 * front end takes frames, and owe the guest an ACK.
 */
void tcp_seg_flush(struct ctx *c)
{
	size_t sent, i;

	if (!tcp_frames_used)
		return;

	sent = l2_send_frames(c, tcp_iov, 2, tcp_frames_used);

	for (i = sent; i < tcp_frames_used; i++) {
		const struct tcp_frame_meta *m = &tcp_meta[i];
		struct flow_common *f = flow_at(m->flow, FLOW_TYPE_TCP);
		struct tcp_conn *conn;

		if (!f)
			continue;

		conn = tcp_conn_of(f);
		tcp_l2_wait(conn, true);
		if (m->seq_len && conn->state == CONN_ESTABLISHED &&
		    SEQ_LT(m->seq, conn->seq_to_tap))
			tcp_rewind(conn, m->seq);
	}

	if (sent < tcp_frames_used)
		debug_ratelimit("Front end took %zu of %u TCP frames", sent,
				tcp_frames_used);

	tcp_frames_used = 0;
}

/**
 * tcp_seg_ctl() - Queue a segment without payload
 * @c:		Execution context
 * @conn:	Connection
 * @flags:	TCP flags
 * @seq:	Sequence number
 *
 * Return: true if queued
 */
bool tcp_seg_ctl(struct ctx *c, struct tcp_conn *conn, uint8_t flags,
		 uint32_t seq)
{
	uint8_t th[TCP_HLEN + 20], *payload, *frame;
	size_t tcp_len, hdr_len;

	if (tcp_frames_used == TCP_FRAMES)
		tcp_seg_flush(c);

	tcp_len = tcp_tcphdr(c, conn, flags, seq, th);
	hdr_len = tcp_hdr_len(conn, tcp_len - TCP_HLEN);
	payload = tcp_frames[tcp_frames_used].b + TCP_PAYLOAD_OFF;
	frame = tcp_write_hdrs(c, &conn->f.side[FLOW_SIDE_GUEST], payload,
			       hdr_len, 0, th);
	tcp_queue(frame, hdr_len, flow_idx(&conn->f), seq,
		  !!(flags & (TCP_SYN | TCP_FIN)));

	return true;
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
	uint8_t th[TCP_HLEN], *payload, *frame;
	size_t hdr_len;
	bool v4 = !!inany_v4(&guest->eaddr);

	if (tcp_frames_used == TCP_FRAMES)
		tcp_seg_flush(c);

	put_be16(th, guest->oport);
	put_be16(th + 2, guest->eport);
	put_be32(th + 4, seq);
	put_be32(th + 8, with_ack ? ack : 0);
	th[12] = (TCP_HLEN / 4) << 4;
	th[13] = (uint8_t)(TCP_RST | (with_ack ? TCP_ACK : 0));
	memset(th + 14, 0, 6);

	hdr_len = ETH_HLEN + (v4 ? sizeof(struct iphdr) :
				   sizeof(struct ip6_hdr)) + TCP_HLEN;
	payload = tcp_frames[tcp_frames_used].b + TCP_PAYLOAD_OFF;
	frame = tcp_write_hdrs(c, guest, payload, hdr_len, 0, th);
	tcp_queue(frame, hdr_len, FLOW_IDX_NONE, seq, 0);
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
	if ((conn->fin & TCP_TAP_FIN_SENT) &&
	    conn->seq_to_tap != conn->seq_max_to_tap - 1)
		return;

	tcp_seg_ctl(c, conn, TCP_FIN | TCP_ACK, conn->seq_to_tap);
	conn->fin |= TCP_TAP_FIN_SENT;
	conn->seq_to_tap++;
	if (SEQ_GT(conn->seq_to_tap, conn->seq_max_to_tap))
		conn->seq_max_to_tap = conn->seq_to_tap;
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
 */
int tcp_seg_data(struct ctx *c, struct tcp_conn *conn, uint32_t limit)
{
	const struct flowside *fs = &conn->f.side[FLOW_SIDE_GUEST];
	uint32_t in_flight, wnd = tcp_guest_wnd(conn), left;
	struct iovec iov[TCP_FRAMES];
	uint8_t th[TCP_HLEN + 20];
	size_t mss, tcp_len, hdr_len;

	/* Nothing after our FIN, and nothing new until the socket says so */
	if (((conn->fin & TCP_TAP_FIN_SENT) &&
	     SEQ_GE(conn->seq_to_tap, conn->seq_max_to_tap)) ||
	    (conn->flags & TCP_F_DRAINED))
		return 0;

	in_flight = conn->seq_to_tap - conn->seq_ack_from_tap;
	left = wnd > in_flight ? MIN(wnd - in_flight, limit) : 0;
	if (!left) {
		conn->flags |= TCP_F_STALLED;
		return 0;
	}
	conn->flags &= (uint16_t)~TCP_F_STALLED;

	tcp_len = TCP_HLEN + tcp_opts(c, conn, false, th + TCP_HLEN);
	hdr_len = tcp_hdr_len(conn, tcp_len - TCP_HLEN);
	mss = conn->mss - (tcp_len - TCP_HLEN);
	mss = MIN(mss, TCP_PAYLOAD_MAX - (hdr_len - ETH_HLEN - 40));

	while (left) {
		unsigned first, slots, i;
		struct msghdr mh = { .msg_iov = iov };
		size_t want = 0, got;
		ssize_t n;

		if (tcp_frames_used == TCP_FRAMES)
			tcp_seg_flush(c);
		/* Nothing the front end would refuse, to be read again */
		if (l2_refusing(c)) {
			tcp_l2_wait(conn, false);
			return 0;
		}
		first = tcp_frames_used;

		slots = MIN(TCP_FRAMES - first, DIV_ROUND_UP(left, mss));
		for (i = 0; i < slots; i++) {
			size_t len = MIN(mss, left - want);

			iov[i].iov_base = tcp_frames[first + i].b +
					  TCP_PAYLOAD_OFF;
			iov[i].iov_len = len;
			want += len;
		}
		mh.msg_iovlen = slots;

		n = recvmsg(conn->sock, &mh, MSG_PEEK | MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EAGAIN)
				conn->flags |= TCP_F_DRAINED;
			if (errno == EAGAIN || errno == EINTR)
				return 0;
			return errno;
		}

		if (!n) {
			/* End of the peer's data: everything before it sent */
			if (conn->fin & TCP_SOCK_FIN_RCVD)
				tcp_seg_fin(c, conn);
			return 0;
		}

		/* The header is prepared once, then copied per segment with
		 * its own sequence number
		 */
		tcp_tcphdr(c, conn, TCP_ACK, conn->seq_to_tap, th);
		for (got = (size_t)n, i = 0; got; i++) {
			bool last = got <= iov[i].iov_len;
			size_t len = last ? got : iov[i].iov_len;
			uint8_t *frame;

			put_be32(th + 4, conn->seq_to_tap);
			th[13] = last ? TCP_ACK | TCP_PSH : TCP_ACK;
			frame = tcp_write_hdrs(c, fs, iov[i].iov_base, hdr_len,
					       len, th);
			tcp_queue(frame, hdr_len + len, flow_idx(&conn->f),
				  conn->seq_to_tap, (uint32_t)len);
			conn->seq_to_tap += (uint32_t)len;
			got -= len;
		}

		if (SEQ_GT(conn->seq_to_tap, conn->seq_max_to_tap))
			conn->seq_max_to_tap = conn->seq_to_tap;
		left -= (uint32_t)n;

		/* A short read drained the socket: unless the peer is done,
		 * wait for more, and don't look again until it says so
		 */
		if ((size_t)n < want && !(conn->fin & TCP_SOCK_FIN_RCVD)) {
			conn->flags |= TCP_F_DRAINED;
			return 0;
		}
	}

	return 0;
}
