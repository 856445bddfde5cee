// SPDX-License-Identifier: GPL-2.0-or-later
/* test/unit/tcp.c - the TCP state machine, driven with frames as the guest
 * sends them and loopback sockets as its peers: handshakes both ways, data
 * and ACKs, windows (held ones too), partial checksums and large segments,
 * retransmission, FIN and RST both ways, frames the front end refuses, and
 * a reset during the handshake
 *
 * Runs in a network namespace of its own. Frames to the guest go to the
 * capture front end of l2_capture.h; frames from the guest are built with
 * the daemon's own header builders.
 */

#include <errno.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "checksum.h"
#include "flow.h"
#include "fwd.h"
#include "l2_capture.h"
#include "netns.h"
#include "tcp.h"
#include "tcp_conn.h"
#include "util.h"

#define GUEST_PORT	40000
#define GUEST_MSS	1460
#define BATCH_MAX	8

static struct ctx c;
static bool v6;			/* Cases run over IPv6 */
static uint16_t peer_port;	/* Loopback port of the case's peer */
static union inany_addr guest_ip, gw_ip;

static bool guest_ts;		/* The guest sends timestamps */
static uint16_t guest_mss;	/* MSS in the guest's SYN */
static int conn_sndbuf;		/* SO_SNDBUF for our socket, 0: kernel's */
static uint8_t gframes[BATCH_MAX][4096];
static struct pkt gpkts[BATCH_MAX];
static size_t gcount;

static const struct flow_ops *const test_flow_ops[FLOW_TYPE_MAX] = {
	[FLOW_TYPE_TCP] = &tcp_flow_ops,
};

/**
 * struct seg - A segment we sent the guest, as the guest sees it
 * @flags:	TCP flags
 * @seq:	Sequence number
 * @ack:	Acknowledgement number
 * @wnd:	Window field
 * @mss:	MSS option, 0 if none
 * @ws:		Window scale option, -1 if none
 * @data:	Payload
 * @len:	Payload length
 */
struct seg {
	uint8_t flags;
	uint32_t seq;
	uint32_t ack;
	uint16_t wnd;
	uint16_t mss;
	int ws;
	const uint8_t *data;
	size_t len;
};

/**
 * end_pass() - What the main loop does after each batch of events
 */
static void end_pass(void)
{
	clock_gettime(CLOCK_MONOTONIC, &c.now);
	tcp_defer_handler(&c);
	l2_flush(&c);
	flow_defer_handler();
}

/**
 * setup() - A guest with an address of the case's family, the gateway
 *	     mapped to the host's loopback
 */
static void setup(void)
{
	int epollfd = c.epollfd;

	test_ctx_init(&c);
	c.epollfd = epollfd;
	guest_ip = test_addr(v6 ? "2001:db8:1::100" : "192.0.2.100");
	gw_ip = test_addr(v6 ? "2001:db8:1::1" : "192.0.2.1");
	fwd_set_addr(&c, &guest_ip, CONF_ADDR_OBSERVED, v6 ? 64 : 24);
	c.ip4.gw = c.ip4.map_host_loopback = test_addr("192.0.2.1");
	c.ip6.gw = c.ip6.map_host_loopback = test_addr("2001:db8:1::1");
	clock_gettime(CLOCK_MONOTONIC, &c.now);
	flow_init(test_flow_ops);
	gcount = 0;
	guest_mss = GUEST_MSS;
	conn_sndbuf = 0;
}

/**
 * peer_listen() - A listening loopback socket for the case's peer
 *
 * Return: the socket, its port in peer_port
 */
static int peer_listen(void)
{
	union inany_addr lo = test_addr(v6 ? "::1" : "127.0.0.1");
	union sockaddr_inany sa;
	socklen_t sl;
	int s;

	sl = inany_to_sockaddr(&sa, &lo, 0, 0);
	s = socket(sa.sa.sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0 || bind(s, &sa.sa, sl) || listen(s, 8) ||
	    getsockname(s, &sa.sa, &sl))
		abort();
	peer_port = ntohs(v6 ? sa.sa6.sin6_port : sa.sa4.sin_port);
	return s;
}

/**
 * guest_seg() - Queue a segment from the guest to the peer's port
 * @flags:	TCP flags
 * @seq:	Sequence number
 * @ack:	Acknowledgement number
 * @wnd:	Window field
 * @data:	Payload, may be NULL
 * @len:	Payload length
 * @opts:	Add MSS and window scale options (SYN)
 *
 * With guest_ts set, every segment carries timestamps too, after those.
 */
static void guest_seg(uint8_t flags, uint32_t seq, uint32_t ack, uint16_t wnd,
		      const void *data, size_t len, bool opts)
{
	struct frame_tcp_hdr th = {
		.sport = GUEST_PORT, .dport = peer_port, .seq = seq,
		.ack = ack, .wnd = wnd, .flags = flags,
		.opt_len = (uint8_t)((opts ? 8 : 0) + (guest_ts ? 12 : 0)),
	};
	uint8_t *buf = gframes[gcount];
	size_t l4_off = frame_l4_off(!v6), hlen = 20 + th.opt_len;
	struct iovec pl = { buf + l4_off + hlen, len };

	if (gcount == BATCH_MAX || l4_off + hlen + len > sizeof(gframes[0]))
		abort();
	memset(buf, 0, sizeof(gframes[0]));
	if (opts) {
		uint8_t *o = buf + l4_off + 20;

		o[0] = 2;			/* MSS */
		o[1] = 4;
		put_be16(o + 2, guest_mss);
		o[4] = 1;			/* NOP, window scale 7 */
		o[5] = 3;
		o[6] = 3;
		o[7] = 7;
	}
	if (guest_ts) {
		uint8_t *o = buf + l4_off + 20 + (opts ? 8 : 0);

		o[0] = 1;			/* NOP, NOP, timestamps */
		o[1] = 1;
		o[2] = 8;
		o[3] = 10;
		put_be32(o + 4, seq);
		put_be32(o + 8, 0);
	}
	if (len)
		memcpy(pl.iov_base, data, len);
	frame_l3(&c, buf, NULL, !v6, &guest_ip, &gw_ip, IPPROTO_TCP, 64,
		 hlen + len);
	frame_tcp(buf + l4_off, !v6, &guest_ip, &gw_ip, &th, &pl, 1, true);
	guest_frame_fix_macs(buf);
	if (pkt_parse(buf, l4_off + hlen + len, &gpkts[gcount]))
		abort();
	gcount++;
}

/**
 * guest_send() - Hand the queued guest segments to TCP, as one batch
 */
static void guest_send(void)
{
	size_t i = 0;

	clock_gettime(CLOCK_MONOTONIC, &c.now);
	while (i < gcount)
		i += tcp_guest_handler(&c, &gpkts[i], gcount - i);
	gcount = 0;
	end_pass();
}

/**
 * sock_events() - Wait for socket events and hand them to TCP
 * @timeout_ms:	Longest wait
 *
 * Return: number of events
 */
static int sock_events(int timeout_ms)
{
	struct epoll_event ev[8];
	int n, i;

	n = epoll_wait(c.epollfd, ev, 8, timeout_ms);
	clock_gettime(CLOCK_MONOTONIC, &c.now);
	for (i = 0; i < n; i++) {
		union epoll_ref ref = { .u64 = ev[i].data.u64 };

		if (ref.type == EPOLL_TYPE_TCP)
			tcp_sock_handler(&c, ref, ev[i].events);
	}
	end_pass();
	return n;
}

/**
 * events_until() - Hand events to TCP until a number of frames is captured
 * @frames:	Frames wanted
 *
 * Return: true if they arrived within a second
 */
static bool events_until(size_t frames)
{
	int i;

	for (i = 0; i < 20 && capture_count < frames; i++)
		sock_events(50);
	return capture_count >= frames;
}

/**
 * timers_after() - Run the TCP timers as if some time had passed
 * @ms:		Milliseconds
 */
static void timers_after(unsigned ms)
{
	static const flow_timer_fn timers[FLOW_TYPE_MAX] = {
		[FLOW_TYPE_TCP] = tcp_timer,
	};

	c.now.tv_sec += ms / 1000;
	c.now.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (c.now.tv_nsec >= 1000000000L) {
		c.now.tv_sec++;
		c.now.tv_nsec -= 1000000000L;
	}
	flow_timer(&c, timers);
	tcp_defer_handler(&c);
	l2_flush(&c);
	flow_defer_handler();
}

/**
 * cap_seg() - Parse a captured frame as a segment to the guest
 * @i:		Frame index
 * @s:		Result
 *
 * Return: true if it is a TCP segment from the gateway to the guest's port,
 *	   with a right checksum
 */
static bool cap_seg(size_t i, struct seg *s)
{
	const uint8_t *th, *o, *end;
	struct pkt p;
	size_t doff;

	if (!capture_parse(i, &p) || p.proto != IPPROTO_TCP ||
	    p.l4_len < 20 || !inany_equals(&p.dst, &guest_ip) ||
	    csum_l4(p.v4, &p.src, &p.dst, IPPROTO_TCP, p.l4, p.l4_len))
		return false;

	th = p.l4;
	doff = (size_t)(th[12] >> 4) * 4;
	if (doff < 20 || doff > p.l4_len)
		return false;

	memset(s, 0, sizeof(*s));
	s->seq = get_be32(th + 4);
	s->ack = get_be32(th + 8);
	s->flags = th[13];
	s->wnd = get_be16(th + 14);
	s->ws = -1;
	s->data = th + doff;
	s->len = p.l4_len - doff;
	for (o = th + 20, end = th + doff; o < end && *o;) {
		if (*o == 1) {
			o++;
			continue;
		}
		if (end - o < 2 || o[1] < 2)
			return false;
		if (o[0] == 2 && o[1] == 4)
			s->mss = get_be16(o + 2);
		if (o[0] == 3 && o[1] == 3)
			s->ws = o[2];
		o += o[1];
	}

	return true;
}

/**
 * count_flags() - Count captured segments with given flags set
 * @from:	First frame to look at
 * @flags:	TCP flags, all of which must be set
 *
 * Return: number of segments
 */
static size_t count_flags(size_t from, uint8_t flags)
{
	size_t i, n = 0;
	struct seg s;

	for (i = from; i < capture_count; i++)
		n += cap_seg(i, &s) && (s.flags & flags) == flags;
	return n;
}

/**
 * conn_now() - The only TCP connection
 *
 * Return: it, NULL if there is none
 */
static struct tcp_conn *conn_now(void)
{
	struct flow_common *f = flow_at(0, FLOW_TYPE_TCP);

	return f ? tcp_conn_of(f) : NULL;
}

/**
 * close_from_both() - The peer closes, then the guest sends its FIN: the
 *		       flow must be gone
 * @fd:		Peer's socket, closed here
 * @seq:	Guest's next sequence number
 * @ack:	Guest's acknowledgement, covering our FIN
 */
static void close_from_both(int fd, uint32_t seq, uint32_t ack)
{
	close(fd);
	sock_events(100);
	guest_seg(TCP_ACK | TCP_FIN, seq, ack, 512, NULL, 0, false);
	guest_send();
	UNIT_CHECK(flow_count() == 0);
}

/**
 * open_from_guest() - Guest connects to a loopback peer: SYN, our SYN,ACK,
 *		       its ACK
 * @lfd:	Peer's listening socket
 * @isn:	Our initial sequence number, set
 *
 * Return: the peer's accepted socket, -1 on failure (case failed)
 */
static int open_from_guest(int lfd, uint32_t *isn)
{
	size_t base = capture_count;
	struct seg s;
	int fd;

	guest_seg(TCP_SYN, 1000, 0, 65535, NULL, 0, true);
	guest_send();
	UNIT_CHECK(flow_count() == 1);
	if (conn_sndbuf && conn_now())
		setsockopt(conn_now()->sock, SOL_SOCKET, SO_SNDBUF,
			   &conn_sndbuf, sizeof(conn_sndbuf));
	UNIT_CHECK(events_until(base + 1));
	UNIT_CHECK(cap_seg(base, &s));
	UNIT_CHECK(s.flags == (TCP_SYN | TCP_ACK) && s.ack == 1001);
	UNIT_CHECK(s.mss == (v6 ? MTU_DEFAULT - 60 : MTU_DEFAULT - 40));
	UNIT_CHECK(s.ws == 8 && s.wnd > 0);
	*isn = s.seq;

	guest_seg(TCP_ACK, 1001, *isn + 1, 512, NULL, 0, false);
	guest_send();
	fd = accept(lfd, NULL, NULL);
	UNIT_CHECK(fd >= 0);
	UNIT_CHECK(conn_now() && conn_now()->state == CONN_ESTABLISHED);

	return fd;
}

/**
 * tcp_outbound_life() - A connection from the guest: handshake, data both
 *			 ways with their ACKs, FIN both ways, and the flow is
 *			 gone once both ends closed
 */
static void tcp_outbound_life(void)
{
	uint32_t isn, edge = 0, seq = 1006;
	static uint8_t big[1000];
	int lfd, fd, one = 1;
	char buf[16];
	size_t base;
	struct seg s;

	setup();
	lfd = peer_listen();
	fd = open_from_guest(lfd, &isn);
	if (fd < 0)
		goto out;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));

	/* Guest to peer: a short segment, its ACK delayed a little */
	base = capture_count;
	guest_seg(TCP_ACK | TCP_PSH, 1001, isn + 1, 512, "hello", 5, false);
	guest_send();
	UNIT_CHECK(recv(fd, buf, sizeof(buf), 0) == 5 &&
		   !memcmp(buf, "hello", 5));
	UNIT_CHECK(capture_count == base);
	usleep(3000);
	end_pass();
	UNIT_CHECK(capture_count == base + 1 && cap_seg(base, &s));
	UNIT_CHECK(s.flags == TCP_ACK && s.ack == 1006 && !s.len && s.wnd);
	edge = s.ack + ((uint32_t)s.wnd << 8);

	/* The socket took more: the window shrinks, its right edge stays
	 * (within the rounding of the scale), and the window is not asked of
	 * the socket again (the field would jump)
	 */
	base = capture_count;
	guest_seg(TCP_ACK | TCP_PSH, 1006, isn + 1, 512, big, sizeof(big),
		  false);
	guest_send();
	UNIT_CHECK(recv(fd, big, sizeof(big), MSG_WAITALL) == sizeof(big));
	usleep(3000);
	end_pass();
	UNIT_CHECK(capture_count == base + 1 && cap_seg(base, &s));
	UNIT_CHECK(s.ack == 1006 + sizeof(big));
	UNIT_CHECK(s.ack + ((uint32_t)s.wnd << 8) <= edge &&
		   s.ack + ((uint32_t)s.wnd << 8) + 256 > edge);
	seq = 1006 + sizeof(big);

	/* Peer to guest: data with the acknowledgement */
	base = capture_count;
	UNIT_CHECK(send(fd, "world!", 6, 0) == 6);
	UNIT_CHECK(events_until(base + 1) && cap_seg(base, &s));
	UNIT_CHECK(s.seq == isn + 1 && s.ack == seq && s.len == 6 &&
		   !memcmp(s.data, "world!", 6) && (s.flags & TCP_PSH));
	guest_seg(TCP_ACK, seq, isn + 7, 512, NULL, 0, false);
	guest_send();
	UNIT_CHECK(conn_now() && conn_now()->seq_ack_from_guest == isn + 7);

	/* Peer's FIN, after the data, then the guest's */
	base = capture_count;
	shutdown(fd, SHUT_WR);
	UNIT_CHECK(events_until(base + 1) && cap_seg(base, &s));
	UNIT_CHECK(s.flags == (TCP_FIN | TCP_ACK) && s.seq == isn + 7);
	guest_seg(TCP_ACK | TCP_FIN, seq, isn + 8, 512, NULL, 0, false);
	guest_send();
	UNIT_CHECK(recv(fd, buf, sizeof(buf), 0) == 0);
	UNIT_CHECK(flow_count() == 0);
	close(fd);
out:
	close(lfd);
}

/**
 * open_from_host() - A peer connects to a forwarded port: our SYN to the
 *		      guest, its SYN,ACK, our ACK
 * @lfd:	Listening socket standing for the forwarded port
 * @cfd:	Peer's connected socket, set
 * @isn:	Our initial sequence number, set
 *
 * Return: true if established
 */
static bool open_from_host(int lfd, int *cfd, uint32_t *isn)
{
	struct fwd_rule rule = { .first = peer_port, .last = peer_port,
				 .to = 8080 };
	size_t base = capture_count;
	union sockaddr_inany sa;
	union inany_addr lo;
	socklen_t sl;
	struct seg s;
	int afd;

	lo = test_addr(v6 ? "::1" : "127.0.0.1");
	sl = inany_to_sockaddr(&sa, &lo, peer_port, 0);
	*cfd = socket(sa.sa.sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (*cfd < 0 || connect(*cfd, &sa.sa, sl))
		abort();
	afd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (afd < 0)
		abort();

	tcp_conn_from_host(&c, afd, &rule);
	end_pass();
	if (!cap_seg(base, &s) || s.flags != TCP_SYN || s.ws != 8 ||
	    !s.mss)
		return false;
	*isn = s.seq;

	/* The SYN went to the guest's port 8080, from the gateway */
	guest_seg(TCP_SYN | TCP_ACK, 5000, *isn + 1, 65535, NULL, 0, true);
	return true;
}

/**
 * guest_port_swap() - Make the queued guest segments come from port 8080 to
 *		       the peer's source port, as replies to an inbound SYN
 * @dport:	Port the segments go to
 */
static void guest_port_swap(uint16_t dport)
{
	size_t i;

	for (i = 0; i < gcount; i++) {
		uint8_t *l4 = (uint8_t *)(uintptr_t)gpkts[i].l4;
		struct frame_tcp_hdr th = {
			.sport = 8080, .dport = dport,
			.seq = get_be32(l4 + 4), .ack = get_be32(l4 + 8),
			.wnd = get_be16(l4 + 14), .flags = l4[13],
			.opt_len = (uint8_t)((l4[12] >> 4) * 4 - 20),
		};
		size_t hlen = 20 + th.opt_len;
		struct iovec pl = { l4 + hlen, gpkts[i].l4_len - hlen };

		frame_tcp(l4, !v6, &guest_ip, &gw_ip, &th, &pl, 1, true);
		if (pkt_parse(gframes[i], gpkts[i].frame_len, &gpkts[i]))
			abort();
	}
}

/**
 * guest_dport() - The port the guest sees for the inbound connection
 *
 * Return: our port on the guest side
 */
static uint16_t guest_dport(void)
{
	return conn_now() ? conn_now()->f.side[FLOW_SIDE_GUEST].oport : 0;
}

/**
 * tcp_inbound_life() - A connection into the guest: SYN, SYN,ACK, ACK, data
 *			from the peer, then data and a RST from the guest:
 *			the peer gets the data, then the reset
 */
static void tcp_inbound_life(void)
{
	uint32_t isn = 0;
	int lfd, cfd = -1;
	uint16_t dport;
	char buf[8];
	size_t base;
	struct seg s;

	setup();
	lfd = peer_listen();
	UNIT_CHECK(open_from_host(lfd, &cfd, &isn));
	dport = guest_dport();
	guest_port_swap(dport);
	base = capture_count;
	guest_send();
	UNIT_CHECK(capture_count == base + 1 && cap_seg(base, &s));
	UNIT_CHECK(s.flags == TCP_ACK && s.ack == 5001 && s.seq == isn + 1);
	UNIT_CHECK(conn_now() && conn_now()->state == CONN_ESTABLISHED);

	base = capture_count;
	UNIT_CHECK(send(cfd, "abc", 3, 0) == 3);
	UNIT_CHECK(events_until(base + 1) && cap_seg(base, &s));
	UNIT_CHECK(s.len == 3 && !memcmp(s.data, "abc", 3));

	/* Data, then a RST, in one batch: the data goes first */
	guest_seg(TCP_ACK | TCP_PSH, 5001, isn + 4, 512, "zz", 2, false);
	guest_seg(TCP_RST, 5003, 0, 512, NULL, 0, false);
	guest_port_swap(dport);
	guest_send();
	UNIT_CHECK(flow_count() == 0);
	UNIT_CHECK(recv(cfd, buf, sizeof(buf), 0) == 2 &&
		   !memcmp(buf, "zz", 2));
	UNIT_CHECK(recv(cfd, buf, sizeof(buf), 0) < 0 && errno == ECONNRESET);

	close(cfd);
	close(lfd);
}

/**
 * tcp_handshake_reset() - The host socket fails while the guest completes
 *			   the handshake with data in the same batch: exactly
 *			   one RST, and nothing touches the connection after
 */
static void tcp_handshake_reset(void)
{
	struct linger l = { .l_onoff = 1, .l_linger = 0 };
	uint32_t isn = 0;
	int lfd, cfd = -1;
	uint16_t dport;
	size_t base;

	setup();
	lfd = peer_listen();
	UNIT_CHECK(open_from_host(lfd, &cfd, &isn));
	dport = guest_dport();
	gcount = 0;

	/* The peer resets before the guest answers: no events handled, so
	 * the guest's batch is what finds the socket failed
	 */
	setsockopt(cfd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
	close(cfd);
	usleep(10000);

	base = capture_count;
	guest_seg(TCP_SYN | TCP_ACK, 5000, isn + 1, 65535, NULL, 0, true);
	guest_seg(TCP_ACK | TCP_PSH, 5001, isn + 1, 512, "data", 4, false);
	guest_port_swap(dport);
	guest_send();

	UNIT_CHECK(count_flags(base, TCP_RST) == 1);
	UNIT_CHECK(flow_count() == 0);
	close(lfd);
}

/**
 * tcp_window_and_probe() - We send no more than the guest's window, probe a
 *			    zero window, and go on once it opens
 */
static void tcp_window_and_probe(void)
{
	static uint8_t data[3000];
	int lfd, fd;
	uint32_t isn;
	size_t base, i, got = 0;
	struct seg s;

	setup();
	lfd = peer_listen();
	fd = open_from_guest(lfd, &isn);
	if (fd < 0)
		goto out;

	/* Window 512 << 7: all 3000 bytes fit, in segments of the MSS */
	for (i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 7);
	base = capture_count;
	UNIT_CHECK(send(fd, data, sizeof(data), 0) == sizeof(data));
	UNIT_CHECK(events_until(base + 3));
	for (i = base; i < capture_count && cap_seg(i, &s); i++) {
		UNIT_CHECK(s.len <= GUEST_MSS &&
			   s.seq == isn + 1 + got &&
			   !memcmp(s.data, data + got, s.len));
		got += s.len;
	}
	UNIT_CHECK(got == sizeof(data));

	/* The guest takes it all but closes its window */
	guest_seg(TCP_ACK, 1001, isn + 1 + 3000, 0, NULL, 0, false);
	guest_send();
	base = capture_count;
	UNIT_CHECK(send(fd, data, 100, 0) == 100);
	sock_events(200);
	UNIT_CHECK(capture_count == base);
	UNIT_CHECK(conn_now() && (conn_now()->flags & TCP_F_STALLED));

	/* A probe after the retransmission timeout: old sequence number */
	timers_after(1500);
	UNIT_CHECK(capture_count == base + 1 && cap_seg(base, &s));
	UNIT_CHECK(!s.len && s.seq == isn + 3000);

	/* Open again: only what the window allows, 1 << 7 bytes */
	base = capture_count;
	guest_seg(TCP_ACK, 1001, isn + 1 + 3000, 1, NULL, 0, false);
	guest_send();
	UNIT_CHECK(capture_count == base + 1 && cap_seg(base, &s));
	UNIT_CHECK(s.len == 100 && s.seq == isn + 3001);

	close_from_both(fd, 1001, isn + 3102);
out:
	close(lfd);
}

/**
 * tcp_large_segments() - A guest that finishes checksums gets every one
 *			  partial; once it takes large segments too, data
 *			  comes in one frame, cut at the MSS by the guest
 */
static void tcp_large_segments(void)
{
	static uint8_t data[20000];
	size_t base, i, got = 0;
	int lfd, fd;
	uint32_t isn;
	struct seg s;

	setup();
	capture_offloads = L2_OFF_CSUM;
	lfd = peer_listen();
	fd = open_from_guest(lfd, &isn);
	if (fd < 0)
		goto out;
	for (i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 13);

	/* Checksums only: segments of the MSS, each checksum partial */
	base = capture_count;
	UNIT_CHECK(send(fd, data, 3000, 0) == 3000);
	UNIT_CHECK(events_until(base + 3));
	for (i = 0; i < capture_count; i++) {
		UNIT_CHECK(capture_off[i].needs_csum &&
			   capture_off[i].gso == L2_GSO_NONE);
	}
	for (i = base; i < capture_count && cap_seg(i, &s); i++) {
		UNIT_CHECK(s.len <= GUEST_MSS && s.seq == isn + 1 + got &&
			   !memcmp(s.data, data + got, s.len));
		got += s.len;
	}
	UNIT_CHECK(got == 3000);
	guest_seg(TCP_ACK, 1001, isn + 3001, 512, NULL, 0, false);
	guest_send();

	/* Large segments: all of it in one frame, as the guest's MSS cuts */
	capture_offloads |= L2_OFF_TSO4 | L2_OFF_TSO6;
	base = capture_count;
	UNIT_CHECK(send(fd, data, sizeof(data), 0) == sizeof(data));
	UNIT_CHECK(events_until(base + 1));
	UNIT_CHECK(capture_count == base + 1 && cap_seg(base, &s));
	UNIT_CHECK(s.len == sizeof(data) && s.seq == isn + 3001 &&
		   !memcmp(s.data, data, sizeof(data)));
	UNIT_CHECK(capture_off[base].gso ==
		   (v6 ? L2_GSO_TCPV6 : L2_GSO_TCPV4));
	UNIT_CHECK(capture_off[base].gso_size == GUEST_MSS);
	UNIT_CHECK(capture_off[base].hdr_len == (v6 ? 74 : 54));
	UNIT_CHECK(capture_off[base].needs_csum &&
		   capture_off[base].csum_start == (v6 ? 54 : 34) &&
		   capture_off[base].csum_offset == 16);

	close_from_both(fd, 1001, isn + 3002 + sizeof(data));
out:
	close(lfd);
}

/**
 * tcp_ack_full_segment() - With timestamps, a segment of the MSS less
 *			    their option is full-sized: its ACK goes at
 *			    once, where one a byte shorter waits for data
 */
static void tcp_ack_full_segment(void)
{
	static uint8_t data[GUEST_MSS], got[2 * GUEST_MSS];
	uint32_t full = GUEST_MSS - 12, seq = 1001, isn;
	struct tcp_conn *conn;
	int lfd, fd;

	setup();
	guest_ts = true;
	lfd = peer_listen();
	fd = open_from_guest(lfd, &isn);
	if (fd < 0)
		goto out;
	conn = conn_now();
	UNIT_CHECK(conn && (conn->flags & TCP_F_TS));
	if (!conn)
		goto out_fd;

	guest_seg(TCP_ACK, seq, isn + 1, 512, data, full - 1, false);
	guest_send();
	seq += full - 1;
	UNIT_CHECK((conn->flags & TCP_F_ACK_DELAYED) &&
		   conn->seq_ack_to_guest == 1001);
	usleep(3000);
	end_pass();
	UNIT_CHECK(conn->seq_ack_to_guest == seq);

	/* Alone, so that nothing else makes its ACK due */
	guest_seg(TCP_ACK, seq, isn + 1, 512, data, full, false);
	guest_send();
	seq += full;
	UNIT_CHECK(!(conn->flags & TCP_F_ACK_DELAYED) &&
		   conn->seq_ack_to_guest == seq);
	end_pass();
	UNIT_CHECK(recv(fd, got, 2 * full - 1, MSG_WAITALL) ==
		   (ssize_t)(2 * full - 1));

out_fd:
	close_from_both(fd, seq, isn + 2);
out:
	guest_ts = false;
	close(lfd);
}

/**
 * tcp_window_held() - A window below a full-sized segment, held there by
 *		       bytes the peer hasn't acknowledged, goes to the guest
 *		       as an update once the socket drains, with nothing from
 *		       the guest to prompt it: a guest doesn't send less than
 *		       a segment into a window it expects to grow
 */
static void tcp_window_held(void)
{
	static uint8_t data[3000], got[30000];
	uint32_t seq = 1001, isn, wnd;
	int lfd, fd, small = 2048;
	size_t base, i, n;
	struct seg s;

	setup();
	guest_mss = 60000;		/* more than our socket ever holds */
	conn_sndbuf = 32768;		/* the kernel doubles it */
	lfd = peer_listen();
	/* A peer that takes little until it reads keeps our queue full */
	setsockopt(lfd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
	fd = open_from_guest(lfd, &isn);
	if (fd < 0)
		goto out;

	for (n = 0; n < 2; n++) {
		for (i = 0; i < 5; i++) {
			guest_seg(TCP_ACK, seq, isn + 1, 512, data,
				  sizeof(data), false);
			seq += sizeof(data);
		}
		guest_send();
	}
	base = capture_count;
	usleep(3000);
	end_pass();
	UNIT_CHECK(capture_count == base + 1 && cap_seg(base, &s));
	UNIT_CHECK(s.ack == seq && !s.len);
	wnd = (uint32_t)s.wnd << 8;
	UNIT_CHECK(wnd > 0 && wnd < 60000);

	/* Held while the peer doesn't read: nothing new to tell */
	base = capture_count;
	usleep(3000);
	end_pass();
	UNIT_CHECK(capture_count == base);

	/* The peer reads it all: the grown window follows by itself */
	UNIT_CHECK(recv(fd, got, seq - 1001, MSG_WAITALL) ==
		   (ssize_t)(seq - 1001));
	for (i = 0; i < 100 && capture_count == base; i++) {
		usleep(2000);
		end_pass();
	}
	UNIT_CHECK(capture_count == base + 1 && cap_seg(base, &s));
	UNIT_CHECK(s.flags == TCP_ACK && s.ack == seq && !s.len &&
		   ((uint32_t)s.wnd << 8) > wnd);

	close_from_both(fd, seq, isn + 2);
out:
	close(lfd);
}

/**
 * tcp_retransmit() - Unacknowledged data goes again after the timeout, and
 *		      after three duplicate ACKs
 */
static void tcp_retransmit(void)
{
	int lfd, fd;
	uint32_t isn;
	size_t base;
	struct seg s;

	setup();
	lfd = peer_listen();
	fd = open_from_guest(lfd, &isn);
	if (fd < 0)
		goto out;

	base = capture_count;
	UNIT_CHECK(send(fd, "again", 5, 0) == 5);
	UNIT_CHECK(events_until(base + 1));

	/* Not acknowledged: the same bytes, from the same number */
	timers_after(1500);
	UNIT_CHECK(capture_count == base + 2 && cap_seg(base + 1, &s));
	UNIT_CHECK(s.seq == isn + 1 && s.len == 5 &&
		   !memcmp(s.data, "again", 5));

	/* Three duplicate ACKs: the first segment once more */
	base = capture_count;
	guest_seg(TCP_ACK, 1001, isn + 1, 512, NULL, 0, false);
	guest_seg(TCP_ACK, 1001, isn + 1, 512, NULL, 0, false);
	guest_seg(TCP_ACK, 1001, isn + 1, 512, NULL, 0, false);
	guest_send();
	UNIT_CHECK(capture_count == base + 1 && cap_seg(base, &s));
	UNIT_CHECK(s.seq == isn + 1 && s.len == 5);

	close_from_both(fd, 1001, isn + 7);
out:
	close(lfd);
}

/**
 * tcp_retransmit_after_ack() - An ACK and three duplicates of it in one
 *				batch: what goes again starts at that ACK,
 *				with the bytes it did not cover
 */
static void tcp_retransmit_after_ack(void)
{
	int lfd, fd;
	uint32_t isn;
	size_t base;
	struct seg s;
	int i;

	setup();
	lfd = peer_listen();
	fd = open_from_guest(lfd, &isn);
	if (fd < 0)
		goto out;

	base = capture_count;
	UNIT_CHECK(send(fd, "first", 5, 0) == 5);
	UNIT_CHECK(events_until(base + 1));
	UNIT_CHECK(send(fd, "later", 5, 0) == 5);
	UNIT_CHECK(events_until(base + 2));

	/* An ACK, then three duplicates: the acknowledged bytes leave the
	 * socket before the resend
	 */
	base = capture_count;
	for (i = 0; i < 4; i++)
		guest_seg(TCP_ACK, 1001, isn + 6, 512, NULL, 0, false);
	guest_send();
	UNIT_CHECK(capture_count == base + 1 && cap_seg(base, &s));
	UNIT_CHECK(s.seq == isn + 6 && s.len == 5 &&
		   !memcmp(s.data, "later", 5));

	close_from_both(fd, 1001, isn + 12);
out:
	close(lfd);
}

/**
 * tcp_rst_from_peer() - A peer that resets: a RST to the guest, and the
 *			 flow is gone
 */
static void tcp_rst_from_peer(void)
{
	struct linger l = { .l_onoff = 1, .l_linger = 0 };
	int lfd, fd;
	uint32_t isn;
	size_t base;

	setup();
	lfd = peer_listen();
	fd = open_from_guest(lfd, &isn);
	if (fd < 0)
		goto out;

	base = capture_count;
	setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
	close(fd);
	UNIT_CHECK(events_until(base + 1));
	UNIT_CHECK(count_flags(base, TCP_RST) == 1);
	UNIT_CHECK(flow_count() == 0);
out:
	close(lfd);
}

/**
 * tcp_front_end_refuses() - Nothing is lost to a front end that refuses:
 *			     data waits while it lends no room, and what it
 *			     doesn't deliver at a flush goes again, in order,
 *			     once it takes frames; frames spread over several
 *			     buffers carry the same bytes
 */
static void tcp_front_end_refuses(void)
{
	static uint8_t data[4000];
	size_t base, i, got = 0;
	int lfd, fd;
	uint32_t isn;
	struct seg s;

	setup();
	lfd = peer_listen();
	fd = open_from_guest(lfd, &isn);
	if (fd < 0)
		goto out;

	for (i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 13 + 1);

	/* No room at all: nothing read, the connection waits */
	capture_refuse = true;
	base = capture_count;
	UNIT_CHECK(send(fd, data, 1000, 0) == 1000);
	sock_events(200);
	UNIT_CHECK(capture_count == base);
	UNIT_CHECK(conn_now() && (conn_now()->flags & TCP_F_L2_WAIT));

	/* Room again, in small buffers; one frame delivered per flush */
	capture_refuse = false;
	capture_chunk = 300;
	capture_deliver_max = 1;
	UNIT_CHECK(send(fd, data + 1000, 3000, 0) == 3000);
	l2_writable(&c);
	end_pass();
	UNIT_CHECK(capture_count == base + 1);
	for (i = 0; i < 10 && capture_count < base + 3; i++) {
		l2_writable(&c);
		end_pass();
	}
	capture_deliver_max = SIZE_MAX;
	l2_writable(&c);
	end_pass();

	for (i = base; i < capture_count && cap_seg(i, &s); i++) {
		UNIT_CHECK(s.seq == isn + 1 + got);
		UNIT_CHECK(!memcmp(s.data, data + got, s.len));
		got += s.len;
	}
	UNIT_CHECK(got == sizeof(data));

	close_from_both(fd, 1001, isn + 4002);
out:
	close(lfd);
}

/**
 * tcp_no_flow() - Segments for no connection get a RST as RFC 9293 says,
 *		   and a RST gets nothing
 */
static void tcp_no_flow(void)
{
	size_t base;
	struct seg s;

	setup();
	peer_port = 9;
	base = capture_count;
	guest_seg(TCP_ACK, 1, 777, 512, NULL, 0, false);
	guest_send();
	UNIT_CHECK(capture_count == base + 1 && cap_seg(base, &s));
	UNIT_CHECK(s.flags == TCP_RST && s.seq == 777);

	guest_seg(TCP_PSH, 50, 0, 512, "xy", 2, false);
	guest_send();
	UNIT_CHECK(capture_count == base + 2 && cap_seg(base + 1, &s));
	UNIT_CHECK(s.flags == (TCP_RST | TCP_ACK) && s.ack == 52);

	guest_seg(TCP_RST, 1, 0, 0, NULL, 0, false);
	guest_send();
	UNIT_CHECK(capture_count == base + 2 && flow_count() == 0);
}

/**
 * main() - Run the cases, over IPv4 and then IPv6
 *
 * Return: 0 if all passed
 */
int main(void)
{
	if (!netns_setup()) {
		printf("FAIL unit/tcp: can't set up a network namespace\n");
		return EXIT_FAILURE;
	}
	c.epollfd = epoll_create1(EPOLL_CLOEXEC);
	tcp_init(&c);

	for (v6 = false; ; v6 = true) {
		const char *f = v6 ? "6" : "4";

		UNIT_RUN_AS(tcp_outbound_life, f);
		UNIT_RUN_AS(tcp_inbound_life, f);
		UNIT_RUN_AS(tcp_handshake_reset, f);
		UNIT_RUN_AS(tcp_window_and_probe, f);
		UNIT_RUN_AS(tcp_large_segments, f);
		UNIT_RUN_AS(tcp_ack_full_segment, f);
		UNIT_RUN_AS(tcp_window_held, f);
		UNIT_RUN_AS(tcp_retransmit, f);
		UNIT_RUN_AS(tcp_retransmit_after_ack, f);
		UNIT_RUN_AS(tcp_rst_from_peer, f);
		UNIT_RUN_AS(tcp_front_end_refuses, f);
		UNIT_RUN_AS(tcp_no_flow, f);
		if (v6)
			break;
	}
	UNIT_EXIT();
}
