// SPDX-License-Identifier: GPL-2.0-or-later
/* test/unit/udp.c - UDP flows against real sockets on the loopback
 * interface: the guest reaches the host's loopback through its gateway
 * address, as with the daemon's defaults
 *
 * Covers both directions and both families, batches, 64 KiB datagrams,
 * inbound forwarding, malformed datagrams, partial checksums and datagrams
 * the guest leaves to us to split, expiry, ICMP errors, a socket the
 * kernel names in a foreign family, and that no descriptor or flow is left
 * behind.
 */

#include <dirent.h>
#include <errno.h>
#include <netinet/icmp6.h>
#include <netinet/ip_icmp.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "checksum.h"
#include "epoll_ref.h"
#include "flow.h"
#include "fwd.h"
#include "l2_capture.h"
#include "udp.h"

/* Guest side of the tests */
#define GUEST4		"192.0.2.2"
#define GUEST6		"2001:db8:1::2"
#define GW4		"192.0.2.1"
#define GW6		"2001:db8:1::1"
#define GUEST_PORT	40001

static struct ctx c;
static uint8_t frame[4][L2_MAX_LEN];
static uint8_t buf[L2_MAX_LEN];
static bool getsockname_foreign;

/**
 * getsockname() - Stand-in for the C library's, for the daemon's code too:
 *		   the system call, or, with getsockname_foreign set, a
 *		   success naming a family no socket of ours has, errno
 *		   untouched
 * @fd:		Socket
 * @addr:	Address, filled
 * @len:	Room in @addr, then its length
 *
 * Return: 0 on success, -1 with errno set on failure
 */
int getsockname(int fd, __SOCKADDR_ARG addr, socklen_t *__restrict len)
{
	if (getsockname_foreign) {
		addr.__sockaddr__->sa_family = AF_UNIX;
		*len = sizeof(sa_family_t);
		return 0;
	}
	return (int)syscall(SYS_getsockname, fd, addr.__sockaddr__, len);
}


/* The protocol's own close path, as the daemon uses it */
static const struct flow_ops *const test_flow_ops[FLOW_TYPE_MAX] = {
	[FLOW_TYPE_UDP] = &udp_flow_ops,
};

/**
 * fd_count() - Descriptors this process has open
 *
 * Return: the number of entries in /proc/self/fd, less the one used to
 *	   read it
 */
static int fd_count(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = -1;

	if (!d)
		abort();
	while (readdir(d))
		n++;
	closedir(d);
	return n - 2;	/* . and .. */
}

/**
 * setup() - Context with the guest at 192.0.2.2 and 2001:db8:1::2, its
 *	     gateways mapped to the host's loopback, and an epoll instance
 */
static void setup(void)
{
	union inany_addr a4 = test_addr(GUEST4), a6 = test_addr(GUEST6);

	if (c.epollfd > 0)
		close(c.epollfd);
	test_ctx_init(&c);
	fwd_set_addr(&c, &a4, CONF_ADDR_HOST, 24);
	fwd_set_addr(&c, &a6, CONF_ADDR_HOST, 64);
	c.ip4.enabled = c.ip6.enabled = true;
	c.ip4.gw = c.ip4.map_host_loopback = test_addr(GW4);
	c.ip6.gw = c.ip6.map_host_loopback = test_addr(GW6);
	c.epollfd = epoll_create1(EPOLL_CLOEXEC);
	clock_gettime(CLOCK_MONOTONIC, &c.now);
	flow_init(test_flow_ops);
}

/**
 * pump() - Wait for events on the daemon's sockets and dispatch them
 * @ms:		How long to wait for the first event
 *
 * Return: number of events handled
 */
static int pump(int ms)
{
	struct epoll_event ev[16];
	int n, i;

	n = epoll_wait(c.epollfd, ev, 16, ms);
	clock_gettime(CLOCK_MONOTONIC, &c.now);
	for (i = 0; i < n; i++) {
		union epoll_ref ref = { .u64 = ev[i].data.u64 };

		if (ref.type == EPOLL_TYPE_UDP)
			udp_sock_handler(&c, ref, ev[i].events);
		else if (ref.type == EPOLL_TYPE_UDP_LISTEN)
			udp_listen_handler(&c, ref, ev[i].events);
	}
	flow_defer_handler();
	return n < 0 ? 0 : n;
}

/**
 * pump_until() - Dispatch events until some frames were captured
 * @frames:	Frames wanted
 */
static void pump_until(size_t frames)
{
	int i;

	for (i = 0; i < 20 && capture_count < frames; i++)
		pump(100);
}

/**
 * host_sock() - A UDP socket on the host's loopback, with a free port
 * @v4:		IPv4 (else IPv6)
 * @port:	Its port, filled
 *
 * Return: the socket
 */
static int host_sock(bool v4, uint16_t *port)
{
	union inany_addr lo = test_addr(v4 ? "127.0.0.1" : "::1");
	union sockaddr_inany sa;
	socklen_t sl;
	int s;

	s = socket(v4 ? AF_INET : AF_INET6, SOCK_DGRAM, 0);
	sl = inany_to_sockaddr(&sa, &lo, 0, 0);
	if (s < 0 || bind(s, &sa.sa, sl))
		abort();
	sl = sizeof(sa);
	getsockname(s, &sa.sa, &sl);
	inany_from_sockaddr(&lo, port, &sa);
	return s;
}

/**
 * guest_udp() - Build a datagram from the guest and parse it
 * @i:		Frame buffer to use
 * @src:	Source address, text
 * @sport:	Source port
 * @dst:	Destination address, text
 * @dport:	Destination port
 * @len:	Payload length; the payload is a pattern from @sport and @len
 * @p:		Parsed result
 */
static void guest_udp(int i, const char *src, uint16_t sport, const char *dst,
		      uint16_t dport, size_t len, struct pkt *p)
{
	union inany_addr s = test_addr(src), d = test_addr(dst);
	bool v4 = !!inany_v4(&s);
	uint8_t *data = frame[i] + frame_udp_off(v4);
	size_t j, flen;

	for (j = 0; j < len; j++)
		data[j] = (uint8_t)(j * 7 + len + sport);
	flen = frame_udp(&c, frame[i], NULL, v4, &s, sport, &d, dport, len);
	guest_frame_fix_macs(frame[i]);
	if (pkt_parse(frame[i], flen, p))
		abort();
}

/**
 * pattern_ok() - Does a payload carry the pattern guest_udp() writes?
 * @data:	Payload
 * @len:	Its length
 * @sport:	Source port the pattern was made with
 *
 * Return: true if every byte matches
 */
static bool pattern_ok(const uint8_t *data, size_t len, uint16_t sport)
{
	size_t j;

	for (j = 0; j < len; j++) {
		if (data[j] != (uint8_t)(j * 7 + len + sport))
			return false;
	}
	return true;
}

/**
 * host_recv() - Wait for a datagram on a host socket
 * @s:		Socket
 * @from_port:	Sender's port, filled
 *
 * Return: its length, -1 if none came within a second
 */
static ssize_t host_recv(int s, uint16_t *from_port)
{
	struct pollfd pfd = { .fd = s, .events = POLLIN };
	union sockaddr_inany sa;
	socklen_t sl = sizeof(sa);
	union inany_addr a;
	ssize_t n;

	if (poll(&pfd, 1, 1000) != 1)
		return -1;
	n = recvfrom(s, buf, sizeof(buf), MSG_DONTWAIT, &sa.sa, &sl);
	if (n >= 0)
		inany_from_sockaddr(&a, from_port, &sa);
	return n;
}

/**
 * captured_udp() - Check a captured frame is a valid datagram as expected
 * @i:		Captured frame
 * @src:	Source address, text
 * @sport:	Source port
 * @dst:	Destination address, text
 * @dport:	Destination port
 * @data:	Expected payload
 * @len:	Its length
 *
 * Return: true if addresses, ports, checksum and payload match
 */
static bool captured_udp(size_t i, const char *src, uint16_t sport,
			 const char *dst, uint16_t dport, const void *data,
			 size_t len)
{
	union inany_addr s = test_addr(src), d = test_addr(dst);
	struct pkt p;

	if (!capture_parse(i, &p) || p.proto != IPPROTO_UDP ||
	    !inany_equals(&p.src, &s) || !inany_equals(&p.dst, &d) ||
	    p.l4_len != FRAME_UDP_HLEN + len ||
	    get_be16(p.l4) != sport || get_be16(p.l4 + 2) != dport ||
	    get_be16(p.l4 + 4) != FRAME_UDP_HLEN + len)
		return false;

	if (csum_fold(csum_partial(p.l4, p.l4_len,
				   csum_pseudo(p.v4, &p.src, &p.dst,
					       IPPROTO_UDP, p.l4_len))))
		return false;

	return !memcmp(p.l4 + FRAME_UDP_HLEN, data, len);
}

/**
 * host_send() - Send a datagram from a host socket to a loopback port
 * @s:		Socket
 * @v4:		IPv4 (else IPv6)
 * @port:	Destination port on the loopback address
 * @data:	Payload
 * @len:	Its length
 *
 * Return: true if sent whole
 */
static bool host_send(int s, bool v4, uint16_t port, const void *data,
		      size_t len)
{
	union inany_addr lo = test_addr(v4 ? "127.0.0.1" : "::1");
	union sockaddr_inany sa;
	socklen_t sl = inany_to_sockaddr(&sa, &lo, port, 0);

	return sendto(s, data, len, 0, &sa.sa, sl) == (ssize_t)len;
}

/**
 * expire_all() - Let every flow time out, as the daemon's timer would
 *
 * Return: true if no flow is left afterwards
 */
static bool expire_all(void)
{
	static const flow_timer_fn timers[FLOW_TYPE_MAX] = {
		[FLOW_TYPE_UDP] = udp_flow_timer,
	};

	c.now.tv_sec += c.udp_timeout ? c.udp_timeout : UDP_TIMEOUT_DEFAULT;
	flow_timer(&c, timers);
	flow_defer_handler();
	return flow_count() == 0;
}

/**
 * echo_outbound() - A datagram to the gateway reaches the host's loopback
 *		     from the guest's port, and the reply comes back from the
 *		     gateway, in both families and sizes up to 64 KiB
 * @v4:		IPv4 (else IPv6)
 * @len:	Payload length
 */
static void echo_outbound(bool v4, size_t len)
{
	const char *g = v4 ? GUEST4 : GUEST6, *gw = v4 ? GW4 : GW6;
	uint16_t port, from = 0;
	int fds, srv;
	struct pkt p;
	size_t i;

	setup();
	fds = fd_count();
	srv = host_sock(v4, &port);

	guest_udp(0, g, GUEST_PORT, gw, port, len, &p);
	UNIT_CHECK(udp_guest_handler(&c, &p, 1) == 1);
	UNIT_CHECK(flow_count() == 1);

	UNIT_CHECK(host_recv(srv, &from) == (ssize_t)len);
	UNIT_CHECK(pattern_ok(buf, len, GUEST_PORT));
	UNIT_CHECK(from == GUEST_PORT);

	/* The reply: the same bytes reversed, so that it differs */
	for (i = 0; i < len / 2; i++) {
		uint8_t t = buf[i];

		buf[i] = buf[len - 1 - i];
		buf[len - 1 - i] = t;
	}
	UNIT_CHECK(host_send(srv, v4, from, buf, len));
	pump_until(1);
	UNIT_CHECK(capture_count == 1);
	UNIT_CHECK(captured_udp(0, gw, port, g, GUEST_PORT, buf, len));

	/* A second datagram finds the flow */
	capture_reset();
	guest_udp(0, g, GUEST_PORT, gw, port, 10, &p);
	UNIT_CHECK(udp_guest_handler(&c, &p, 1) == 1);
	UNIT_CHECK(flow_count() == 1);
	UNIT_CHECK(host_recv(srv, &from) == 10 && from == GUEST_PORT);

	close(srv);
	UNIT_CHECK(expire_all());
	UNIT_CHECK(fd_count() == fds);
}

/**
 * udp_echo4() - Small IPv4 datagram both ways
 */
static void udp_echo4(void)
{
	echo_outbound(true, 100);
}

/**
 * udp_echo6() - Small IPv6 datagram both ways
 */
static void udp_echo6(void)
{
	echo_outbound(false, 100);
}

/**
 * udp_echo4_64k() - Largest IPv4 datagram the default MTU allows
 */
static void udp_echo4_64k(void)
{
	echo_outbound(true, MTU_DEFAULT - 28);
}

/**
 * udp_echo6_64k() - Largest IPv6 datagram the default MTU allows
 */
static void udp_echo6_64k(void)
{
	echo_outbound(false, MTU_DEFAULT - 48);
}

/**
 * udp_batch() - Consecutive datagrams of one flow go in one call, which
 *		 stops where another flow starts
 */
static void udp_batch(void)
{
	uint16_t port, from;
	struct pkt p[4];
	int srv;

	setup();
	srv = host_sock(true, &port);
	guest_udp(0, GUEST4, GUEST_PORT, GW4, port, 11, &p[0]);
	guest_udp(1, GUEST4, GUEST_PORT, GW4, port, 22, &p[1]);
	guest_udp(2, GUEST4, GUEST_PORT, GW4, port, 33, &p[2]);
	guest_udp(3, GUEST4, GUEST_PORT + 1, GW4, port, 44, &p[3]);

	UNIT_CHECK(udp_guest_handler(&c, p, 4) == 3);
	UNIT_CHECK(flow_count() == 1);
	UNIT_CHECK(udp_guest_handler(&c, p + 3, 1) == 1);
	UNIT_CHECK(flow_count() == 2);

	UNIT_CHECK(host_recv(srv, &from) == 11 && from == GUEST_PORT);
	UNIT_CHECK(host_recv(srv, &from) == 22 && from == GUEST_PORT);
	UNIT_CHECK(host_recv(srv, &from) == 33 && from == GUEST_PORT);
	UNIT_CHECK(host_recv(srv, &from) == 44 && from == GUEST_PORT + 1);
	UNIT_CHECK(pattern_ok(buf, 44, GUEST_PORT + 1));

	close(srv);
	UNIT_CHECK(expire_all());
}

/**
 * udp_malformed() - Bad lengths, a bad checksum, a truncated header and an
 *		     IPv6 datagram without checksum are dropped, one frame
 *		     each, with no flow created and nothing sent
 */
static void udp_malformed(void)
{
	uint16_t port, from;
	struct pkt p, bad;
	int fds, srv;
	uint8_t *uh;

	setup();
	fds = fd_count();
	srv = host_sock(true, &port);

	guest_udp(0, GUEST4, GUEST_PORT, GW4, port, 20, &p);
	uh = frame[0] + frame_l4_off(true);

	/* UDP length beyond the IP payload, and shorter than its header */
	bad = p;
	put_be16(uh + 4, 29);
	UNIT_CHECK(udp_guest_handler(&c, &bad, 1) == 1);
	put_be16(uh + 4, 7);
	UNIT_CHECK(udp_guest_handler(&c, &bad, 1) == 1);
	put_be16(uh + 4, 28);

	/* A flipped payload bit */
	frame[0][frame_udp_off(true) + 3] ^= 0x10;
	UNIT_CHECK(udp_guest_handler(&c, &bad, 1) == 1);
	frame[0][frame_udp_off(true) + 3] ^= 0x10;

	/* Five bytes of UDP header */
	bad.l4_len = 5;
	UNIT_CHECK(udp_guest_handler(&c, &bad, 1) == 1);

	/* IPv6 must have a checksum */
	guest_udp(1, GUEST6, GUEST_PORT, GW6, port, 20, &bad);
	put_be16(frame[1] + frame_l4_off(false) + 6, 0);
	UNIT_CHECK(udp_guest_handler(&c, &bad, 1) == 1);

	UNIT_CHECK(flow_count() == 0);
	UNIT_CHECK(host_recv(srv, &from) == -1);

	/* IPv4 may leave it out, and the valid datagram still goes through */
	put_be16(uh + 6, 0);
	UNIT_CHECK(udp_guest_handler(&c, &p, 1) == 1);
	UNIT_CHECK(host_recv(srv, &from) == 20 && pattern_ok(buf, 20,
							     GUEST_PORT));

	close(srv);
	UNIT_CHECK(expire_all());
	UNIT_CHECK(fd_count() == fds);
}

/**
 * offloads() - Checksums and segmentation the guest leaves to us, and the
 *		partial checksums it finishes: a datagram with a partial
 *		(wrong) checksum goes, one whose checksum is simply wrong
 *		doesn't; one frame of datagrams is split at their size; the
 *		reply carries a partial checksum, right once finished
 * @v4:		IPv4 (else IPv6)
 */
static void offloads(bool v4)
{
	const char *g = v4 ? GUEST4 : GUEST6, *gw = v4 ? GW4 : GW6;
	static uint8_t sent[350];
	uint16_t port, from;
	size_t got = 0;
	struct pkt p;
	int srv;

	setup();
	capture_offloads = L2_OFF_CSUM;
	srv = host_sock(v4, &port);
	guest_udp(0, g, GUEST_PORT, gw, port, sizeof(sent), &p);
	memcpy(sent, p.l4 + FRAME_UDP_HLEN, sizeof(sent));
	frame[0][frame_l4_off(v4) + 6] ^= 0x5a;

	UNIT_CHECK(udp_guest_handler(&c, &p, 1) == 1);
	UNIT_CHECK(host_recv(srv, &from) == -1);
	p.needs_csum = true;
	UNIT_CHECK(udp_guest_handler(&c, &p, 1) == 1);
	UNIT_CHECK(host_recv(srv, &from) == sizeof(sent) &&
		   !memcmp(buf, sent, sizeof(sent)));

	/* 350 bytes of datagrams of 100: four of them, the last short */
	p.gso_size = 100;
	UNIT_CHECK(udp_guest_handler(&c, &p, 1) == 1);
	while (got < sizeof(sent)) {
		size_t want = MIN(sizeof(sent) - got, 100);

		UNIT_CHECK(host_recv(srv, &from) == (ssize_t)want &&
			   !memcmp(buf, sent + got, want));
		got += want;
	}
	UNIT_CHECK(host_recv(srv, &from) == -1);

	UNIT_CHECK(host_send(srv, v4, from, "partial", 7));
	pump_until(1);
	UNIT_CHECK(capture_count == 1 && capture_off[0].needs_csum);
	UNIT_CHECK(capture_off[0].csum_start == frame_l4_off(v4) &&
		   capture_off[0].csum_offset == 6);
	UNIT_CHECK(captured_udp(0, gw, port, g, GUEST_PORT, "partial", 7));

	close(srv);
	UNIT_CHECK(expire_all());
}

/**
 * udp_offloads4() - Offloads over IPv4
 */
static void udp_offloads4(void)
{
	offloads(true);
}

/**
 * udp_offloads6() - Offloads over IPv6
 */
static void udp_offloads6(void)
{
	offloads(false);
}

/**
 * udp_expiry() - A flow lives while it is used, and closes once idle for
 *		  the timeout
 */
static void udp_expiry(void)
{
	static const flow_timer_fn timers[FLOW_TYPE_MAX] = {
		[FLOW_TYPE_UDP] = udp_flow_timer,
	};
	uint16_t port;
	int fds, srv;
	struct pkt p;

	setup();
	c.udp_timeout = 5;
	fds = fd_count();
	srv = host_sock(true, &port);

	guest_udp(0, GUEST4, GUEST_PORT, GW4, port, 20, &p);
	udp_guest_handler(&c, &p, 1);
	UNIT_CHECK(flow_count() == 1 && fd_count() == fds + 2);

	c.now.tv_sec += 4;
	flow_timer(&c, timers);
	flow_defer_handler();
	UNIT_CHECK(flow_count() == 1);

	/* Activity restarts the clock */
	udp_guest_handler(&c, &p, 1);
	c.now.tv_sec += 4;
	flow_timer(&c, timers);
	flow_defer_handler();
	UNIT_CHECK(flow_count() == 1);

	c.now.tv_sec += 1;
	flow_timer(&c, timers);
	flow_defer_handler();
	UNIT_CHECK(flow_count() == 0 && fd_count() == fds + 1);

	close(srv);
}

/**
 * icmp_error() - A datagram to a closed port on the host comes back to the
 *		  guest as port unreachable from the destination, quoting
 *		  the datagram
 * @v4:		IPv4 (else IPv6)
 */
static void icmp_error(bool v4)
{
	const char *g = v4 ? GUEST4 : GUEST6, *gw = v4 ? GW4 : GW6;
	union inany_addr ga = test_addr(g), gwa = test_addr(gw);
	size_t ip_hlen = v4 ? 20 : 40;
	const uint8_t *q;
	uint16_t port;
	struct pkt p;
	int s, fds;

	setup();
	fds = fd_count();
	s = host_sock(v4, &port);
	close(s);

	guest_udp(0, g, GUEST_PORT, gw, port, 30, &p);
	UNIT_CHECK(udp_guest_handler(&c, &p, 1) == 1);
	pump_until(1);
	UNIT_CHECK(capture_count == 1);
	UNIT_CHECK(capture_parse(0, &p));
	UNIT_CHECK(p.proto == (v4 ? IPPROTO_ICMP : IPPROTO_ICMPV6));
	UNIT_CHECK(inany_equals(&p.src, &gwa) && inany_equals(&p.dst, &ga));
	UNIT_CHECK(p.l4_len == 8 + ip_hlen + 8 + 30);
	if (v4) {
		UNIT_CHECK(p.l4[0] == ICMP_DEST_UNREACH &&
			   p.l4[1] == ICMP_PORT_UNREACH);
		UNIT_CHECK(!csum_fold(csum_partial(p.l4, p.l4_len, 0)));
	} else {
		UNIT_CHECK(p.l4[0] == ICMP6_DST_UNREACH &&
			   p.l4[1] == ICMP6_DST_UNREACH_NOPORT);
		UNIT_CHECK(!csum_fold(csum_partial(p.l4, p.l4_len,
				csum_pseudo(false, &p.src, &p.dst,
					    IPPROTO_ICMPV6, p.l4_len))));
	}

	/* The quote: the guest's addresses, ports and payload */
	q = p.l4 + 8;
	UNIT_CHECK(!memcmp(q + (v4 ? 12 : 8),
			   v4 ? (const void *)inany_v4(&ga) : &ga.a6,
			   v4 ? 4 : 16));
	UNIT_CHECK(!memcmp(q + (v4 ? 16 : 24),
			   v4 ? (const void *)inany_v4(&gwa) : &gwa.a6,
			   v4 ? 4 : 16));
	UNIT_CHECK(get_be16(q + ip_hlen) == GUEST_PORT);
	UNIT_CHECK(get_be16(q + ip_hlen + 2) == port);
	UNIT_CHECK(pattern_ok(q + ip_hlen + 8, 30, GUEST_PORT));

	UNIT_CHECK(expire_all());
	UNIT_CHECK(fd_count() == fds);
}

/**
 * udp_icmp4() - Port unreachable over IPv4
 */
static void udp_icmp4(void)
{
	icmp_error(true);
}

/**
 * udp_icmp6() - Port unreachable over IPv6
 */
static void udp_icmp6(void)
{
	icmp_error(false);
}

/**
 * inbound() - A datagram to a forwarded port reaches the guest from the
 *	       gateway (the sender is on the host's loopback), and the
 *	       guest's reply goes back to the sender from the forwarded port
 * @v4:		IPv4 (else IPv6)
 */
static void inbound(bool v4)
{
	const char *g = v4 ? GUEST4 : GUEST6, *gw = v4 ? GW4 : GW6;
	static const char req[] = "request", rsp[] = "response";
	uint16_t fport, cport, from = 0;
	struct fwd_rule *r;
	int fds, cl, s;
	struct pkt p;

	setup();
	fds = fd_count();

	/* A free port to forward: take one, then let it go */
	s = host_sock(v4, &fport);
	close(s);
	r = &c.udp_fwd.rules[c.udp_fwd.count++];
	r->first = r->last = fport;
	r->to = 7;
	udp_init(&c);
	UNIT_CHECK(fd_count() == fds + 2);	/* both families */

	cl = host_sock(v4, &cport);
	UNIT_CHECK(host_send(cl, v4, fport, req, sizeof(req)));
	pump_until(1);
	UNIT_CHECK(capture_count == 1);
	UNIT_CHECK(captured_udp(0, gw, cport, g, 7, req, sizeof(req)));
	UNIT_CHECK(flow_count() == 1);

	memcpy(frame[0] + frame_udp_off(v4), rsp, sizeof(rsp));
	{
		union inany_addr sa = test_addr(g), da = test_addr(gw);
		size_t len = frame_udp(&c, frame[0], NULL, v4, &sa, 7, &da,
				       cport, sizeof(rsp));

		guest_frame_fix_macs(frame[0]);
		UNIT_CHECK(!pkt_parse(frame[0], len, &p));
	}
	UNIT_CHECK(udp_guest_handler(&c, &p, 1) == 1);
	UNIT_CHECK(flow_count() == 1);
	UNIT_CHECK(host_recv(cl, &from) == sizeof(rsp));
	UNIT_CHECK(from == fport && !memcmp(buf, rsp, sizeof(rsp)));

	/* The sender's next datagram goes straight to its flow */
	capture_reset();
	UNIT_CHECK(host_send(cl, v4, fport, req, 3));
	pump_until(1);
	UNIT_CHECK(captured_udp(0, gw, cport, g, 7, req, 3));
	UNIT_CHECK(flow_count() == 1);

	close(cl);
	UNIT_CHECK(expire_all());
	UNIT_CHECK(fd_count() == fds + 2);
}

/**
 * udp_inbound4() - Inbound forwarding over IPv4
 */
static void udp_inbound4(void)
{
	inbound(true);
}

/**
 * udp_inbound6() - Inbound forwarding over IPv6
 */
static void udp_inbound6(void)
{
	inbound(false);
}

/**
 * udp_table_full() - With every flow table entry taken, a new flow from
 *		      either side is refused without a socket left open, and
 *		      once entries are free again flows work
 */
static void udp_table_full(void)
{
	uint16_t port, fport, cport, from;
	struct fwd_rule *r;
	int fds, srv, cl, s;
	unsigned used = 0;
	struct pkt p;

	setup();
	srv = host_sock(true, &port);
	s = host_sock(true, &fport);
	close(s);
	r = &c.udp_fwd.rules[c.udp_fwd.count++];
	r->first = r->last = fport;
	r->to = 7;
	r->flags = FWD_V4_ONLY;
	udp_init(&c);
	cl = host_sock(true, &cport);
	fds = fd_count();

	while (flow_alloc(FLOW_TYPE_UDP))
		used++;
	UNIT_CHECK(used == FLOW_MAX);

	guest_udp(0, GUEST4, GUEST_PORT, GW4, port, 20, &p);
	UNIT_CHECK(udp_guest_handler(&c, &p, 1) == 1);
	UNIT_CHECK(host_recv(srv, &from) == -1);

	UNIT_CHECK(host_send(cl, true, fport, "x", 1));
	pump(200);
	UNIT_CHECK(capture_count == 0);

	UNIT_CHECK(flow_count() == FLOW_MAX && fd_count() == fds);

	flow_init(test_flow_ops);
	UNIT_CHECK(udp_guest_handler(&c, &p, 1) == 1);
	UNIT_CHECK(host_recv(srv, &from) == 20 && from == GUEST_PORT);
	UNIT_CHECK(expire_all());

	close(cl);
	close(srv);
}

/**
 * udp_sock_foreign() - A host socket the kernel names in a family we can't
 *			use is refused as an error, with nothing set in
 *			errno: no flow on a stale descriptor, none left open
 */
static void udp_sock_foreign(void)
{
	uint16_t port, from;
	struct pkt p;
	int fds, srv;

	setup();
	srv = host_sock(true, &port);
	fds = fd_count();

	guest_udp(0, GUEST4, GUEST_PORT, GW4, port, 20, &p);
	getsockname_foreign = true;
	errno = 0;
	UNIT_CHECK(udp_guest_handler(&c, &p, 1) == 1);
	getsockname_foreign = false;
	UNIT_CHECK(flow_count() == 0 && fd_count() == fds);
	UNIT_CHECK(host_recv(srv, &from) == -1);

	/* The next datagram opens its flow */
	UNIT_CHECK(udp_guest_handler(&c, &p, 1) == 1);
	UNIT_CHECK(host_recv(srv, &from) == 20 && from == GUEST_PORT);
	UNIT_CHECK(expire_all());
	close(srv);
}

/**
 * main() - Run the cases
 *
 * Return: EXIT_SUCCESS if every case passed
 */
int main(void)
{
	UNIT_RUN(udp_echo4);
	UNIT_RUN(udp_echo6);
	UNIT_RUN(udp_echo4_64k);
	UNIT_RUN(udp_echo6_64k);
	UNIT_RUN(udp_batch);
	UNIT_RUN(udp_malformed);
	UNIT_RUN(udp_offloads4);
	UNIT_RUN(udp_offloads6);
	UNIT_RUN(udp_expiry);
	UNIT_RUN(udp_icmp4);
	UNIT_RUN(udp_icmp6);
	UNIT_RUN(udp_inbound4);
	UNIT_RUN(udp_inbound6);
	UNIT_RUN(udp_table_full);
	UNIT_RUN(udp_sock_foreign);
	UNIT_EXIT();
}
