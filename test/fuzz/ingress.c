// SPDX-License-Identifier: GPL-2.0-or-later
/* test/fuzz/ingress.c - libFuzzer target: frames from the guest through
 * ingress_frames() to the real protocol handlers (ARP, ICMP, NDP, DHCP,
 * DHCPv6, UDP, TCP), with real sockets in a network namespace of our own
 *
 * An input is a mode byte, then operations until it ends. The mode picks
 * raw frames only, or a TCP connection the harness sets up first and then
 * plays the guest for: outbound (the guest's SYN to a listener on the
 * host's loopback) or inbound (a host client connecting to a forwarded
 * port), IPv4 or IPv6. The harness follows the daemon's sequence numbers,
 * so fuzzed segments land in, near or far from the window at will, while
 * the host end writes, reads, closes or resets, time passes and the front
 * end refuses frames and takes them again. The mode also picks what the
 * front end's guest takes (partial checksums, large segments) and how its
 * receive buffers are cut; a raw frame may come with what it leaves to us
 * (a partial checksum, segmentation), as a vhost-user guest says in the
 * virtio-net header.
 *
 * After each input every flow must time out and close, and the process
 * must hold exactly the descriptors it held before: a flow or descriptor
 * left over is reported as a crash.
 */

#include <errno.h>
#include <net/ethernet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "checksum.h"
#include "ctx.h"
#include "dhcpv6.h"
#include "epoll_ref.h"
#include "flow.h"
#include "frame.h"
#include "fuzz.h"
#include "fwd_spec.h"
#include "icmp.h"
#include "ingress.h"
#include "l2.h"
#include "ndp.h"
#include "pkt.h"
#include "tcp.h"
#include "tcp_conn.h"
#include "udp.h"
#include "util.h"

/* Host side: a TCP listener and a UDP echo socket on the loopback, that
 * the guest reaches at its gateway; and ports forwarded to the guest
 */
#define PEER_PORT	5001
#define FWD_PORT	5002
#define GUEST_PORT	40000
#define GUEST_ISN	1000000U

/* Frames handed to ingress_frames() at once, at most */
#define BATCH_MAX	16
/* Host connections accepted from the listener and kept, at most */
#define PEERS_MAX	8
/* Longest payload of a segment the harness builds */
#define SEG_DATA_MAX	(L2_MAX_LEN - FRAME_ETH_HLEN - FRAME_IP6_HLEN - 60)

enum op {
	OP_SEG,		/* a segment of the connection, fields fuzzed */
	OP_ACK,		/* acknowledge everything the daemon sent */
	OP_FLUSH,	/* hand the frames collected so far to ingress */
	OP_RAW,		/* a fuzzed frame, headers fixed up as asked */
	OP_PEER_WRITE,	/* the host end writes */
	OP_PEER_READ,	/* the host end reads */
	OP_PEER_SHUT,	/* the host end sends its FIN */
	OP_PEER_RST,	/* the host end resets */
	OP_TIME,	/* time passes, timers run */
	OP_REFUSE,	/* the front end refuses frames, or takes them again */
	OP_MAX,
};

/* OP_RAW fix-ups */
#define FIX_MACS	(1U << 0)	/* from the guest's MAC, to ours */
#define FIX_IP_LEN	(1U << 1)	/* IP length from the frame length */
#define FIX_IP_CSUM	(1U << 2)	/* IPv4 header checksum */
#define FIX_L4_CSUM	(1U << 3)	/* TCP, UDP, ICMP, ICMPv6 checksum */
#define FIX_OFFLOAD	(1U << 4)	/* an offload from the input */
#define FIX_OFF_PLACE	(1U << 5)	/* ...with the checksum where the
					 * frame's protocol keeps it */

/**
 * struct sess - The connection the harness plays the guest for
 * @on:		Set up: the other fields are valid
 * @inbound:	The host end connected (else the guest did)
 * @v4:		IPv4 (else IPv6)
 * @guest:	Guest address
 * @peer:	Address the guest sees the host end at
 * @gport:	Guest port
 * @pport:	Port the guest sees the host end at, 0 until known
 * @snd_nxt:	Guest's next sequence number
 * @rcv_nxt:	End of what the daemon sent, SYN and FIN counted
 * @rcv_syn:	The daemon's SYN was seen
 * @peer_fd:	Host end socket, -1 if none
 */
struct sess {
	bool on;
	bool inbound;
	bool v4;
	union inany_addr guest;
	union inany_addr peer;
	uint16_t gport;
	uint16_t pport;
	uint32_t snd_nxt;
	uint32_t rcv_nxt;
	bool rcv_syn;
	int peer_fd;
};

static struct ctx base;		/* context every input starts from */
static struct ctx c;
static struct sess sess;
/* Descriptors open when the input started: it must leave as many */
static int fd_baseline;

static int listen_fd[2] = { -1, -1 };	/* IPv4, IPv6 */
static int echo_fd[2] = { -1, -1 };
static int peers[PEERS_MAX];
static unsigned peer_count;

static uint8_t frames[BATCH_MAX][L2_MAX_LEN];
static struct iovec batch[BATCH_MAX];
static struct ingress_offload batch_off[BATCH_MAX];
static size_t batch_len;
/* Some frame of the batch leaves something to us: pass batch_off */
static bool batch_off_any;

static uint8_t pattern[L2_MAX_LEN];

/**
 * host_sock() - A socket of the host end, bound to the loopback
 * @v4:		IPv4 (else IPv6)
 * @type:	SOCK_STREAM (listening) or SOCK_DGRAM
 * @port:	Port
 *
 * Return: the socket; aborts on failure
 */
static int host_sock(bool v4, int type, uint16_t port)
{
	union inany_addr lo = fuzz_addr(v4 ? "127.0.0.1" : "::1");
	union sockaddr_inany sa;
	socklen_t sl = inany_to_sockaddr(&sa, &lo, port, 0);
	int s, one = 1;

	s = socket(v4 ? AF_INET : AF_INET6,
		   type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s < 0)
		abort();
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(s, &sa.sa, sl) || (type == SOCK_STREAM && listen(s, 64)))
		abort();
	return s;
}

/**
 * host_reset() - Close a host end socket with a RST, leaving no TIME_WAIT
 * @fd:		Socket
 */
static void host_reset(int fd)
{
	struct linger l = { .l_onoff = 1, .l_linger = 0 };

	setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
	close(fd);
}

/**
 * peer_drop() - Reset a host end connection and forget it
 * @fd:		Socket, in peers[]
 */
static void peer_drop(int fd)
{
	unsigned i;

	for (i = 0; i < peer_count; i++) {
		if (peers[i] == fd) {
			peers[i] = peers[--peer_count];
			break;
		}
	}
	host_reset(fd);
}

/**
 * host_events() - The host end's part of a pass: accept connections, echo
 *		   datagrams
 */
static void host_events(void)
{
	static uint8_t buf[L2_MAX_LEN];
	unsigned i;

	for (i = 0; i < 2; i++) {
		union sockaddr_inany from;
		socklen_t sl = sizeof(from);
		ssize_t n;
		int fd;

		while ((fd = accept4(listen_fd[i], NULL, NULL,
				     SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
			if (peer_count == PEERS_MAX) {
				host_reset(fd);
				continue;
			}
			peers[peer_count++] = fd;
			if (sess.on && !sess.inbound && sess.peer_fd < 0)
				sess.peer_fd = fd;
		}

		while ((n = recvfrom(echo_fd[i], buf, sizeof(buf), 0,
				     &from.sa, &sl)) >= 0) {
			sendto(echo_fd[i], buf, (size_t)n, 0, &from.sa, sl);
			sl = sizeof(from);
		}
	}
}

/**
 * pump() - The main loop's part: the host end's events, then a pass of
 *	    the daemon's, a few times while events come
 */
static void pump(void)
{
	int pass;

	for (pass = 0; pass < 4; pass++) {
		host_events();
		if (!fuzz_dispatch(&c))
			break;
	}
}

/**
 * flush() - Hand the collected frames to ingress, as the front end would
 */
static void flush(void)
{
	ingress_frames(&c, batch, batch_off_any ? batch_off : NULL,
		       batch_len);
	batch_len = 0;
	batch_off_any = false;
	fuzz_pass_end(&c);
	pump();
}

/**
 * batch_next() - Room for the next frame of the batch
 *
 * Return: frame buffer, L2_MAX_LEN bytes
 */
static uint8_t *batch_next(void)
{
	if (batch_len == BATCH_MAX)
		flush();
	return frames[batch_len];
}

/**
 * batch_add() - Add the frame batch_next() returned
 * @len:	Its length
 */
static void batch_add(size_t len)
{
	batch[batch_len].iov_base = frames[batch_len];
	batch[batch_len].iov_len = len;
	batch_off[batch_len] = (struct ingress_offload){ 0 };
	batch_len++;
}

/**
 * track() - Follow the daemon's segments of the connection
 * @ctx:	Execution context, unused
 * @frame:	Frame to the guest, checked
 * @len:	Length of @frame
 */
static void track(struct ctx *ctx, const uint8_t *frame, size_t len)
{
	const uint8_t *th;
	uint32_t seq, end;
	struct pkt p;
	size_t doff;

	(void)ctx;
	if (!sess.on || pkt_parse(frame, len, &p) || p.proto != IPPROTO_TCP ||
	    p.l4_len < 20 || !inany_equals(&p.dst, &sess.guest) ||
	    !inany_equals(&p.src, &sess.peer))
		return;

	th = p.l4;
	doff = (size_t)(th[12] >> 4) * 4;
	if (get_be16(th + 2) != sess.gport || doff > p.l4_len)
		return;

	/* Inbound, the daemon's SYN tells the port of the host end */
	if (!sess.pport && (th[13] & TCP_SYN))
		sess.pport = get_be16(th);
	if (get_be16(th) != sess.pport)
		return;

	seq = get_be32(th + 4);
	end = seq + (uint32_t)(p.l4_len - doff) + !!(th[13] & TCP_SYN) +
	      !!(th[13] & TCP_FIN);
	if (th[13] & TCP_SYN) {
		sess.rcv_syn = true;
		sess.rcv_nxt = end;
	} else if (SEQ_GT(end, sess.rcv_nxt)) {
		sess.rcv_nxt = end;
	}
}

/**
 * seg_add() - Add a segment of the connection to the batch
 * @flags:	TCP flags
 * @seq:	Sequence number
 * @ack:	Acknowledgement number
 * @wnd:	Window
 * @opts:	Options, a multiple of 4 bytes
 * @opt_len:	Length of @opts
 * @data:	Payload
 * @len:	Length of @data, at most SEG_DATA_MAX
 */
static void seg_add(uint8_t flags, uint32_t seq, uint32_t ack, uint16_t wnd,
		    const uint8_t *opts, size_t opt_len, const uint8_t *data,
		    size_t len)
{
	uint8_t *f = batch_next(), *th = f + frame_l4_off(sess.v4);
	size_t hlen = 20 + opt_len;

	put_be16(th, sess.gport);
	put_be16(th + 2, sess.pport);
	put_be32(th + 4, seq);
	put_be32(th + 8, ack);
	th[12] = (uint8_t)(hlen / 4) << 4;
	th[13] = flags;
	put_be16(th + 14, wnd);
	memset(th + 16, 0, 4);
	if (opt_len)
		memcpy(th + 20, opts, opt_len);
	if (len)
		memcpy(th + hlen, data, len);

	batch_add(fuzz_guest_frame(&c, f, &sess.guest, &sess.peer,
				   IPPROTO_TCP, 64, hlen + len));
}

/**
 * seg_opts() - Take TCP options from the input
 * @in:		Input
 * @opts:	Options, 40 bytes
 *
 * Return: length of the options, a multiple of 4
 */
static size_t seg_opts(struct fuzz_in *in, uint8_t *opts)
{
	size_t len = (size_t)(fuzz_u8(in) % 11) * 4;

	fuzz_bytes(in, opts, len);
	return len;
}

/**
 * seq_pick() - A sequence or acknowledgement number near an expected one
 * @in:		Input
 * @expect:	The number an in-order peer would use
 *
 * Return: @expect moved by a small fuzzed amount, or any number at all
 */
static uint32_t seq_pick(struct fuzz_in *in, uint32_t expect)
{
	int8_t d = (int8_t)fuzz_u8(in);

	if (d == INT8_MIN)
		return (uint32_t)fuzz_u16(in) << 16 | fuzz_u16(in);
	if (d > 100)		/* far ahead, as after lost segments */
		return expect + (uint32_t)(d - 100) * 1000;
	return expect + (uint32_t)(int32_t)d;
}

/**
 * op_seg() - OP_SEG: a segment with fuzzed flags, numbers, options and
 *	      payload; one sent in order moves the guest's next number on
 * @in:		Input
 */
static void op_seg(struct fuzz_in *in)
{
	uint8_t opts[40], flags = fuzz_u8(in);
	uint32_t seq = seq_pick(in, sess.snd_nxt);
	uint32_t ack = seq_pick(in, sess.rcv_nxt);
	uint16_t wnd = fuzz_u16(in);
	size_t opt_len = seg_opts(in, opts);
	size_t len = fuzz_u16(in) % (SEG_DATA_MAX + 1);
	size_t from_input = fuzz_u8(in);

	size_t taken = fuzz_bytes(in, pattern, MIN(MIN(from_input, len),
						   in->left));

	if (sess.on) {
		seg_add(flags, seq, ack, wnd, opts, opt_len, pattern, len);
		if (seq == sess.snd_nxt && !(flags & TCP_RST))
			sess.snd_nxt += (uint32_t)len + !!(flags & TCP_SYN) +
					!!(flags & TCP_FIN);
	}
	memset(pattern, 'x', taken);
}

/**
 * raw_fix() - Fix up the headers of a fuzzed frame, as asked
 * @f:		Frame
 * @len:	Length of @f
 * @fix:	FIX_* bits
 */
static void raw_fix(uint8_t *f, size_t len, unsigned fix)
{
	uint16_t type, csum;
	uint8_t *ip = f + FRAME_ETH_HLEN;
	struct pkt p;
	size_t off;

	if (len < FRAME_ETH_HLEN)
		return;
	if (fix & FIX_MACS) {
		memcpy(f, c.our_mac, ETH_ALEN);
		memcpy(f + ETH_ALEN, c.guest_mac, ETH_ALEN);
	}

	type = get_be16(f + 12);
	if (type == ETHERTYPE_IP && len >= FRAME_ETH_HLEN + 20) {
		size_t ihl = (size_t)(ip[0] & 0xf) * 4;

		if (fix & FIX_IP_LEN)
			put_be16(ip + 2, (uint16_t)(len - FRAME_ETH_HLEN));
		if ((fix & FIX_IP_CSUM) && ihl >= 20 &&
		    FRAME_ETH_HLEN + ihl <= len) {
			memset(ip + 10, 0, 2);
			csum = csum_fold(csum_partial(ip, ihl, 0));
			memcpy(ip + 10, &csum, sizeof(csum));
		}
	} else if (type == ETHERTYPE_IPV6 && len >= FRAME_ETH_HLEN + 40 &&
		   (fix & FIX_IP_LEN)) {
		put_be16(ip + 4, (uint16_t)(len - FRAME_ETH_HLEN - 40));
	}

	if (!(fix & FIX_L4_CSUM) || pkt_parse(f, len, &p))
		return;

	switch (p.proto) {
	case IPPROTO_TCP:
		off = 16;
		break;
	case IPPROTO_UDP:
		off = 6;
		break;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		off = 2;
		break;
	default:
		return;
	}
	if (p.l4_len < off + 2)
		return;

	/* The frame is ours to change: the parse pointed into it */
	memset((uint8_t *)(uintptr_t)p.l4 + off, 0, 2);
	if (p.proto == IPPROTO_ICMP)
		csum = csum_fold(csum_partial(p.l4, p.l4_len, 0));
	else
		csum = csum_l4(p.v4, &p.src, &p.dst, p.proto, p.l4, p.l4_len);
	memcpy((uint8_t *)(uintptr_t)p.l4 + off, &csum, sizeof(csum));
}

/**
 * raw_offload() - What a raw frame leaves to us, from the input
 * @in:		Input
 * @f:		Frame
 * @len:	Length of @f
 * @fix:	FIX_* bits: with FIX_OFF_PLACE, the checksum's place is the
 *		one the frame's transport protocol has, if it parses
 * @off:	Offload, filled in
 */
static void raw_offload(struct fuzz_in *in, const uint8_t *f, size_t len,
			unsigned fix, struct ingress_offload *off)
{
	uint8_t flags = fuzz_u8(in);
	struct pkt p;

	off->gso = flags % 5;	/* one past the last: a bad type */
	off->needs_csum = flags & 0x80;
	off->gso_size = fuzz_u16(in);
	off->csum_start = fuzz_u16(in);
	off->csum_offset = fuzz_u16(in);
	batch_off_any = true;

	if (!(fix & FIX_OFF_PLACE) || pkt_parse(f, len, &p))
		return;
	off->csum_start = (uint16_t)(p.l4 - f);
	off->csum_offset = p.proto == IPPROTO_UDP ? FRAME_UDP_CSUM_OFF :
						    FRAME_TCP_CSUM_OFF;
}

/**
 * op_raw() - OP_RAW: a frame from the input, fixed up as asked
 * @in:		Input
 */
static void op_raw(struct fuzz_in *in)
{
	unsigned fix = fuzz_u8(in);
	size_t len = fuzz_u16(in);
	uint8_t *f = batch_next();

	len = MIN(len, in->left);

	fuzz_bytes(in, f, len);
	raw_fix(f, len, fix);
	batch_add(len);
	if (fix & FIX_OFFLOAD)
		raw_offload(in, f, len, fix, &batch_off[batch_len - 1]);
}

/**
 * op_peer() - OP_PEER_*: the host end of the connection acts
 * @in:		Input
 * @op:		Operation
 */
static void op_peer(struct fuzz_in *in, enum op op)
{
	static uint8_t buf[1 << 18];
	size_t n = (size_t)fuzz_u16(in) * 4;

	if (sess.peer_fd < 0)
		return;

	switch (op) {
	case OP_PEER_WRITE:
		memset(buf, 'h', MIN(n, sizeof(buf)));
		(void)!send(sess.peer_fd, buf, MIN(n, sizeof(buf)),
			    MSG_DONTWAIT | MSG_NOSIGNAL);
		break;
	case OP_PEER_READ:
		(void)!recv(sess.peer_fd, buf, MIN(n, sizeof(buf)),
			    MSG_DONTWAIT);
		break;
	case OP_PEER_SHUT:
		shutdown(sess.peer_fd, SHUT_WR);
		break;
	default:
		peer_drop(sess.peer_fd);
		sess.peer_fd = -1;
		break;
	}
	pump();
}

/**
 * op_time() - OP_TIME: up to a minute or so passes, timers run
 * @in:		Input
 */
static void op_time(struct fuzz_in *in)
{
	uint64_t ms = fuzz_u16(in);
	uint64_t ns = (uint64_t)c.now.tv_nsec + ms * 1000000ULL;

	c.now.tv_sec += (time_t)(ns / 1000000000ULL);
	c.now.tv_nsec = (long)(ns % 1000000000ULL);
	fuzz_timers(&c);
	pump();
}

/**
 * op_refuse() - OP_REFUSE: the front end refuses frames, or takes them
 *		 again and says so
 * @in:		Input
 */
static void op_refuse(struct fuzz_in *in)
{
	bool refuse = fuzz_u8(in) & 1;

	if (fuzz_l2_refuse && !refuse) {
		fuzz_l2_refuse = false;
		l2_writable(&c);
		fuzz_pass_end(&c);
	}
	fuzz_l2_refuse = refuse;
}

/**
 * sess_start() - Set up the connection the input asks for
 * @in:		Input
 * @mode:	Mode byte: bit 0 a connection, bit 1 inbound, bit 2 IPv6;
 *		bits 3 to 5 what the guest takes (L2_OFF_* shifted), bits
 *		6 and 7 the size of its receive buffers
 */
static void sess_start(struct fuzz_in *in, uint8_t mode)
{
	static const size_t chunks[] = { 0, L2_HDR_ROOM, 1024, 4000 };
	uint8_t opts[40];
	size_t opt_len;
	uint16_t wnd;
	int i;

	fuzz_l2_offloads = (mode >> 3) & (L2_OFF_CSUM | L2_OFF_TSO4 |
					  L2_OFF_TSO6);
	fuzz_l2_chunk = chunks[mode >> 6];

	memset(&sess, 0, sizeof(sess));
	sess.peer_fd = -1;
	if (!(mode & 1))
		return;

	wnd = fuzz_u16(in);
	opt_len = seg_opts(in, opts);

	sess.on = true;
	sess.inbound = mode & 2;
	sess.v4 = !(mode & 4);
	sess.guest = fuzz_addr(sess.v4 ? FUZZ_GUEST4 : FUZZ_GUEST6);
	sess.peer = fuzz_addr(sess.v4 ? FUZZ_GW4 : FUZZ_GW6);
	sess.snd_nxt = GUEST_ISN;

	if (!sess.inbound) {
		sess.gport = GUEST_PORT;
		sess.pport = PEER_PORT;
		seg_add(TCP_SYN, sess.snd_nxt++, 0, wnd, opts, opt_len,
			NULL, 0);
		flush();
	} else {
		union inany_addr lo = fuzz_addr(sess.v4 ? "127.0.0.1" : "::1");
		union sockaddr_inany sa;
		socklen_t sl = inany_to_sockaddr(&sa, &lo, FWD_PORT, 0);

		sess.gport = FWD_PORT;
		sess.peer_fd = socket(sa.sa.sa_family, SOCK_STREAM |
				      SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (sess.peer_fd < 0 || peer_count == PEERS_MAX)
			abort();
		peers[peer_count++] = sess.peer_fd;
		(void)!connect(sess.peer_fd, &sa.sa, sl);
		pump();
		if (!sess.rcv_syn)
			return;
		seg_add(TCP_SYN | TCP_ACK, sess.snd_nxt++, sess.rcv_nxt, wnd,
			opts, opt_len, NULL, 0);
		flush();
		return;
	}

	for (i = 0; i < 4 && !sess.rcv_syn; i++)
		pump();
	seg_add(TCP_ACK, sess.snd_nxt, sess.rcv_nxt, wnd, NULL, 0, NULL, 0);
	flush();
}

/**
 * settle() - End of an input: close every host end, let every flow time
 *	      out, and check that nothing is left
 */
static void settle(void)
{
	unsigned i, round;

	if (batch_len)
		flush();
	if (fuzz_l2_refuse) {
		fuzz_l2_refuse = false;
		l2_writable(&c);
	}
	sess.on = false;

	for (round = 0; round < 4; round++) {
		for (i = 0; i < peer_count; i++)
			host_reset(peers[i]);
		peer_count = 0;
		pump();

		/* Longer than any idle timeout, TCP's included */
		c.now.tv_sec += 3 * 86400;
		fuzz_timers(&c);
		pump();
		if (!flow_count() && !peer_count)
			break;
	}

	if (flow_count()) {
		fprintf(stderr, "fuzz: %u flows left after every timeout\n",
			flow_count());
		abort();
	}
	fuzz_l2_idle();
	fuzz_fd_check(fd_baseline);
}

/**
 * fwd_add() - Add a forwarding rule to the context every input starts from
 * @t:		Table
 * @spec:	Specification, as with -t or -u
 */
static void fwd_add(struct fwd_table *t, const char *spec)
{
	struct fwd_port_range eph = { 32768, 60999 };
	char err[256];

	if (fwd_spec_parse(t, spec, &eph, err, sizeof(err))) {
		fprintf(stderr, "fuzz: %s: %s\n", spec, err);
		abort();
	}
}

/**
 * LLVMFuzzerInitialize() - Namespace, context, host end sockets
 * @argc:	Unused
 * @argv:	Unused
 *
 * Return: 0
 */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char spec[32];

	(void)argc;
	(void)argv;

	fuzz_isolate();
	fuzz_init();

	fuzz_ctx_init(&base);
	snprintf(spec, sizeof(spec), "%u", FWD_PORT);
	fwd_add(&base.tcp_fwd, spec);
	fwd_add(&base.udp_fwd, spec);

	c = base;
	fuzz_flows_init(&c);
	dhcpv6_init(&c);
	base = c;

	listen_fd[0] = host_sock(true, SOCK_STREAM, PEER_PORT);
	listen_fd[1] = host_sock(false, SOCK_STREAM, PEER_PORT);
	echo_fd[0] = host_sock(true, SOCK_DGRAM, PEER_PORT);
	echo_fd[1] = host_sock(false, SOCK_DGRAM, PEER_PORT);

	fuzz_l2_hook = track;
	memset(pattern, 'x', sizeof(pattern));
	return 0;
}

/**
 * LLVMFuzzerTestOneInput() - Run one input
 * @data:	Input
 * @size:	Its length
 *
 * Return: 0
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };

	fd_baseline = fuzz_fd_count();
	c = base;
	sess_start(&in, fuzz_u8(&in));

	while (in.left) {
		enum op op = (enum op)(fuzz_u8(&in) % OP_MAX);

		switch (op) {
		case OP_SEG:
			op_seg(&in);
			break;
		case OP_ACK:
			if (sess.on)
				seg_add(TCP_ACK, sess.snd_nxt, sess.rcv_nxt,
					fuzz_u16(&in), NULL, 0, NULL, 0);
			flush();
			break;
		case OP_FLUSH:
			flush();
			break;
		case OP_RAW:
			op_raw(&in);
			break;
		case OP_TIME:
			op_time(&in);
			break;
		case OP_REFUSE:
			op_refuse(&in);
			break;
		default:
			op_peer(&in, op);
			break;
		}
	}

	settle();
	return 0;
}
