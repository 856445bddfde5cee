// SPDX-License-Identifier: GPL-2.0-or-later
/* fuzz.c - what the libFuzzer targets share: reading the fuzzer's input as
 * fields, a private network namespace, a front end that checks every frame
 * the daemon sends, and the guest's side of a link to build frames with
 *
 * Linked into every target in test/fuzz/, never into the daemon.
 */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sanitizer/common_interface_defs.h>
#include <sys/epoll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "checksum.h"
#include "ctx.h"
#include "epoll_ref.h"
#include "flow.h"
#include "frame.h"
#include "fuzz.h"
#include "fwd.h"
#include "icmp.h"
#include "l2.h"
#include "log.h"
#include "ndp.h"
#include "pkt.h"
#include "tcp.h"
#include "udp.h"
#include "util.h"
#include "vhost_user.h"
#include "vu_l2.h"

/* Front end state: refuse frames while set; buffers of this many bytes
 * (0: one per room); what the guest takes (L2_OFF_*); the target's look at
 * frames
 */
bool fuzz_l2_refuse;
size_t fuzz_l2_chunk;
unsigned fuzz_l2_offloads;
fuzz_frame_fn fuzz_l2_hook;
/* Frames the daemon sent, all inputs together */
unsigned long fuzz_l2_frames;

static const uint8_t fuzz_guest_mac[ETH_ALEN] = { 0x02, 0, 0, 0, 0, 0x02 };
static const uint8_t fuzz_our_mac[ETH_ALEN] = {
	0x9a, 0x55, 0x9a, 0x55, 0x9a, 0x55
};

/**
 * fuzz_u8() - Take one byte of input
 * @in:		Input
 *
 * Return: the byte, 0 past the end
 */
uint8_t fuzz_u8(struct fuzz_in *in)
{
	if (!in->left)
		return 0;
	in->left--;
	return *in->p++;
}

/**
 * fuzz_u16() - Take a big-endian 16-bit field of input
 * @in:		Input
 *
 * Return: the value, zero bytes past the end
 */
uint16_t fuzz_u16(struct fuzz_in *in)
{
	uint16_t hi = fuzz_u8(in);

	return (uint16_t)(hi << 8 | fuzz_u8(in));
}

/**
 * fuzz_bytes() - Take up to @len bytes of input
 * @in:		Input
 * @dst:	Destination, @len bytes, zero filled past the end of input
 * @len:	Bytes wanted
 *
 * Return: bytes that came from the input
 */
size_t fuzz_bytes(struct fuzz_in *in, void *dst, size_t len)
{
	size_t n = MIN(len, in->left);

	memcpy(dst, in->p, n);
	memset((uint8_t *)dst + n, 0, len - n);
	in->p += n;
	in->left -= n;
	return n;
}

/**
 * fuzz_write_file() - Write a short text to a file, as for /proc/sys
 * @path:	File
 * @text:	Text
 *
 * Return: 0 on success, -1 on failure
 */
static int fuzz_write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, text, strlen(text));
	close(fd);
	return n == (ssize_t)strlen(text) ? 0 : -1;
}

/**
 * fuzz_isolate() - Move into a network namespace of our own, with only a
 *		    loopback interface, up, and ping sockets allowed
 *
 * Fuzzed frames make the daemon open sockets to any address: here nothing
 * can leave the process's namespace. Aborts if that can't be set up, as
 * fuzzing without it is not safe.
 */
void fuzz_isolate(void)
{
	struct ifreq ifr = { .ifr_name = "lo" };
	int s;

	if (unshare(CLONE_NEWNET) &&
	    unshare(CLONE_NEWUSER | CLONE_NEWNET)) {
		fprintf(stderr, "fuzz: can't get a network namespace: %s\n",
			strerror(errno));
		abort();
	}

	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0 || ioctl(s, SIOCGIFFLAGS, &ifr))
		abort();
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(s, SIOCSIFFLAGS, &ifr))
		abort();
	close(s);

	/* Sysctls under net/ belong to the namespace that opens them */
	if (fuzz_write_file("/proc/sys/net/ipv4/ping_group_range",
			    "0 2147483647"))
		fprintf(stderr, "fuzz: ping sockets stay off: %s\n",
			strerror(errno));
}

/**
 * fuzz_init() - Set up what every target needs before its first input:
 *		 quiet logs that still format every message, trace
 *		 included (formatting is code the guest reaches too), and
 *		 the sanitizers' symbolizer
 *
 * libFuzzer names each new function it reaches, starting a symbolizer
 * process the first time: started here, its pipes are open before a
 * target counts its descriptors.
 */
void fuzz_init(void)
{
	char buf[256];

	log_stderr_errors_only();
	log_set_level(LOG_DEBUG);
	log_trace = true;

	__sanitizer_symbolize_pc(__builtin_return_address(0), "%p %F %L",
				 buf, sizeof(buf));
}

/**
 * fuzz_fd_count() - Descriptors this process has open
 *
 * Return: entries of /proc/self/fd, less the one reading it
 */
int fuzz_fd_count(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	if (!d)
		abort();
	while (readdir(d))
		n++;
	closedir(d);
	return n - 3;	/* ".", ".." and the directory's own */
}

/**
 * fuzz_fd_check() - Check that no descriptor was left open by an input
 * @baseline:	What fuzz_fd_count() said when the input started: libFuzzer
 *		opens files of its own between inputs
 *
 * Aborts, listing every open descriptor, if the count changed.
 */
void fuzz_fd_check(int baseline)
{
	char path[64], target[PATH_MAX];
	int n = fuzz_fd_count(), fd;

	if (n == baseline)
		return;

	fprintf(stderr, "fuzz: %i descriptors open, %i before:\n", n,
		baseline);
	for (fd = 0; fd < 1024; fd++) {
		ssize_t len;

		snprintf(path, sizeof(path), "/proc/self/fd/%i", fd);
		len = readlink(path, target, sizeof(target) - 1);
		if (len < 0)
			continue;
		target[len] = '\0';
		fprintf(stderr, "  %i: %s\n", fd, target);
	}
	abort();
}

/**
 * fuzz_addr() - Parse an address the harness uses
 * @s:		Text form
 *
 * Return: the address; aborts on a typo
 */
union inany_addr fuzz_addr(const char *s)
{
	union inany_addr a;

	if (!inany_pton(s, &a))
		abort();
	return a;
}

/**
 * fuzz_frame_fail() - Report a frame the daemon should not have sent
 * @what:	What is wrong with it
 * @len:	Length of the frame
 */
__attribute__((noreturn))
static void fuzz_frame_fail(const char *what, size_t len)
{
	fprintf(stderr, "fuzz: daemon sent a bad %zu-byte frame: %s\n", len,
		what);
	abort();
}

/**
 * fuzz_frame_check() - Check a frame the daemon sends: it parses as the
 *			guest would, with its lengths and checksums right
 * @frame:	Ethernet frame
 * @len:	Length of @frame
 *
 * Aborts, for the fuzzer to report, on any fault.
 */
void fuzz_frame_check(const uint8_t *frame, size_t len)
{
	struct pkt p;
	int rc;

	if (len > L2_MAX_LEN)
		fuzz_frame_fail("too long", len);
	rc = pkt_parse(frame, len, &p);
	if (rc)
		fuzz_frame_fail(strerror(rc), len);
	if (memcmp(p.src_mac, fuzz_our_mac, ETH_ALEN))
		fuzz_frame_fail("not from our MAC address", len);

	if (p.ethertype == ETHERTYPE_ARP) {
		if (p.l3_len < 28)
			fuzz_frame_fail("ARP message truncated", len);
		return;
	}

	/* Only Ethernet's minimum length pads a frame */
	if (ETH_HLEN + p.l3_len != len &&
	    !(len == FRAME_MIN_LEN && ETH_HLEN + p.l3_len < len))
		fuzz_frame_fail("IP length doesn't match the frame", len);

	switch (p.proto) {
	case IPPROTO_UDP:
		/* RFC 768: zero is no checksum, allowed with IPv4 only */
		if (p.v4 && p.l4_len >= 8 && !p.l4[6] && !p.l4[7])
			break;
		/* fall through */
	case IPPROTO_TCP:
	case IPPROTO_ICMPV6:
		if (csum_l4(p.v4, &p.src, &p.dst, p.proto, p.l4, p.l4_len))
			fuzz_frame_fail("bad transport checksum", len);
		break;
	case IPPROTO_ICMP:
		if (csum_fold(csum_partial(p.l4, p.l4_len, 0)))
			fuzz_frame_fail("bad ICMP checksum", len);
		break;
	default:
		fuzz_frame_fail("unexpected transport protocol", len);
	}
}

/* Rooms the fuzzing front end lends: fewer than the queue holds, so that
 * lending runs out and l2_lend() flushes on the way
 */
#define FUZZ_ROOMS		64

static uint8_t fuzz_room_buf[FUZZ_ROOMS][L2_MAX_LEN];
static struct l2_room fuzz_rooms[FUZZ_ROOMS];
static bool fuzz_room_out[FUZZ_ROOMS];

/**
 * fuzz_l2_lend() - The fuzzing front end's rooms: one buffer each, or
 *		    buffers of fuzz_l2_chunk bytes, so that frames spread
 *		    over several; none while fuzz_l2_refuse is set
 * @c:		Execution context, unused
 * @rooms:	Room pointers, filled in
 * @n:		Rooms wanted
 * @size:	Bytes each
 *
 * Return: rooms lent
 */
static size_t fuzz_l2_lend(struct ctx *c, struct l2_room **rooms, size_t n,
			   size_t size)
{
	size_t chunk = MAX(fuzz_l2_chunk, (size_t)L2_HDR_ROOM);
	size_t i, got = 0;

	(void)c;
	if (fuzz_l2_refuse)
		return 0;
	if (size > L2_MAX_LEN)
		fuzz_frame_fail("room asked for is larger than any frame",
				size);

	for (i = 0; i < FUZZ_ROOMS && got < n; i++) {
		struct l2_room *r = &fuzz_rooms[i];
		size_t off = 0;

		if (fuzz_room_out[i])
			continue;
		r->iovcnt = 0;
		while (off < size && r->iovcnt < L2_ROOM_IOV_MAX) {
			size_t len = fuzz_l2_chunk ? MIN(chunk, size - off) :
						     size - off;

			/* The last buffer takes what the others can't */
			if (r->iovcnt == L2_ROOM_IOV_MAX - 1)
				len = size - off;
			r->iov[r->iovcnt].iov_base = fuzz_room_buf[i] + off;
			r->iov[r->iovcnt++].iov_len = len;
			off += len;
		}
		r->size = size;
		fuzz_room_out[i] = true;
		rooms[got++] = r;
	}

	return got;
}

/**
 * fuzz_room_back() - Take a room back, once only
 * @room:	Room from fuzz_l2_lend()
 */
static void fuzz_room_back(const struct l2_room *room)
{
	size_t i = (size_t)(room - fuzz_rooms);

	if (i >= FUZZ_ROOMS || !fuzz_room_out[i]) {
		fprintf(stderr, "fuzz: a room came back that was not lent\n");
		abort();
	}
	fuzz_room_out[i] = false;
}

/**
 * fuzz_l2_give_back() - A room lent and not committed
 * @c:		Execution context, unused
 * @room:	Room
 */
static void fuzz_l2_give_back(struct ctx *c, struct l2_room *room)
{
	(void)c;
	fuzz_room_back(room);
}

/**
 * fuzz_csum_finish() - Finish a partial transport checksum, as a guest
 *			forwarding the frame would
 * @frame:	Frame
 * @len:	Its length
 * @off:	Where the checksum starts and sits
 */
static void fuzz_csum_finish(uint8_t *frame, size_t len,
			     const struct l2_offload *off)
{
	size_t at = (size_t)off->csum_start + off->csum_offset;
	uint16_t sum;

	if (off->csum_start >= len || at + 2 > len)
		fuzz_frame_fail("partial checksum outside the frame", len);
	sum = csum_fold(csum_partial(frame + off->csum_start,
				     len - off->csum_start, 0));
	memcpy(frame + at, &sum, sizeof(sum));
}

/**
 * fuzz_l2_deliver() - Check each committed frame and show it to the
 *		       target; none delivered while fuzz_l2_refuse is set
 * @c:		Execution context
 * @rooms:	Committed rooms
 * @n:		Number of rooms
 *
 * Return: frames delivered
 */
static size_t fuzz_l2_deliver(struct ctx *c, struct l2_room *const *rooms,
			      size_t n)
{
	static uint8_t buf[L2_MAX_LEN];
	size_t f, sent = fuzz_l2_refuse ? 0 : n;

	for (f = 0; f < n; f++) {
		const struct l2_room *r = rooms[f];
		size_t b, len = 0;

		fuzz_room_back(r);
		if (f >= sent)
			continue;
		if (!r->len || r->len > r->size)
			fuzz_frame_fail("length outside its room", r->len);
		for (b = 0; b < r->iovcnt && len < r->len; b++) {
			size_t take = MIN(r->iov[b].iov_len, r->len - len);

			memcpy(buf + len, r->iov[b].iov_base, take);
			len += take;
		}
		if (r->off.needs_csum)
			fuzz_csum_finish(buf, len, &r->off);

		fuzz_frame_check(buf, len);
		fuzz_l2_frames++;
		if (fuzz_l2_hook)
			fuzz_l2_hook(c, buf, len);
	}

	return sent;
}

/**
 * fuzz_l2_refusing() - Does the fuzzing front end refuse frames?
 * @c:		Execution context, unused
 *
 * Return: fuzz_l2_refuse
 */
static bool fuzz_l2_refusing(const struct ctx *c)
{
	(void)c;
	return fuzz_l2_refuse;
}

/**
 * fuzz_l2_offloads_get() - What the fuzzing front end's guest takes
 * @c:		Execution context, unused
 *
 * Large segments come with partial checksums (struct l2_offload): like a
 * virtio guest, which takes GUEST_TSO4 and 6 only with GUEST_CSUM (virtio
 * 1.2, 5.1.3.1), and vhost-user's front end, a guest that takes no partial
 * checksum takes no large segment either.
 *
 * Return: fuzz_l2_offloads, without large segments if without checksums
 */
static unsigned fuzz_l2_offloads_get(const struct ctx *c)
{
	(void)c;
	if (!(fuzz_l2_offloads & L2_OFF_CSUM))
		return 0;
	return fuzz_l2_offloads;
}

/**
 * fuzz_l2_idle() - Check that every room lent came back, committed and
 *		    flushed or given back: none may stay out across passes
 */
void fuzz_l2_idle(void)
{
	size_t i;

	for (i = 0; i < FUZZ_ROOMS; i++) {
		if (fuzz_room_out[i]) {
			fprintf(stderr, "fuzz: room %zu never came back\n", i);
			abort();
		}
	}
}

static const struct l2_ops fuzz_l2_ops = {
	.lend = fuzz_l2_lend,
	.give_back = fuzz_l2_give_back,
	.deliver = fuzz_l2_deliver,
	.refusing = fuzz_l2_refusing,
	.offloads = fuzz_l2_offloads_get,
};

/**
 * fuzz_ctx_init() - A context as conf() would leave it for a guest at
 *		     FUZZ_GUEST4 and FUZZ_GUEST6, with DNS servers, a search
 *		     list and names, attached to the fuzzing front end
 * @c:		Execution context, cleared first
 */
void fuzz_ctx_init(struct ctx *c)
{
	union inany_addr a4 = fuzz_addr(FUZZ_GUEST4);
	union inany_addr a6 = fuzz_addr(FUZZ_GUEST6);

	memset(c, 0, sizeof(*c));
	c->l2 = &fuzz_l2_ops;
	c->fd_tap = c->pid_fd = c->epollfd = -1;
	memcpy(c->our_mac, fuzz_our_mac, ETH_ALEN);
	memcpy(c->guest_mac, fuzz_guest_mac, ETH_ALEN);
	c->mtu = MTU_DEFAULT;

	fwd_set_addr(c, &a4, CONF_ADDR_HOST, 24);
	fwd_set_addr(c, &a6, CONF_ADDR_HOST, 64);
	c->ip4.enabled = c->ip6.enabled = true;
	c->ip4.gw = c->ip4.map_host_loopback = fuzz_addr(FUZZ_GW4);
	c->ip6.gw = c->ip6.map_host_loopback = fuzz_addr(FUZZ_GW6);
	c->ip6.our_ll = fuzz_addr(FUZZ_OUR_LL);
	c->ip4.map_guest_addr = fuzz_addr("192.0.2.3");
	c->ip6.map_guest_addr = fuzz_addr("2001:db8:1::3");
	c->ip4.dns_match = fuzz_addr("192.0.2.53");
	c->ip4.dns_host = fuzz_addr("127.0.0.1");
	c->ip6.dns_match = fuzz_addr("2001:db8:1::53");
	c->ip6.dns_host = fuzz_addr("::1");

	c->dns[c->dns_count++] = c->ip4.dns_match;
	c->dns[c->dns_count++] = c->ip6.dns_match;
	c->dns[c->dns_count++] = fuzz_addr("198.51.100.53");
	snprintf(c->search[c->search_count++], sizeof(c->search[0]),
		 "example.test");
	snprintf(c->search[c->search_count++], sizeof(c->search[0]),
		 "b.example.test");
	snprintf(c->hostname, sizeof(c->hostname), "vm");
	snprintf(c->fqdn, sizeof(c->fqdn), "vm.example.test");

	/* A fixed clock: the same input does the same thing every time */
	c->now.tv_sec = 1000000;
}

/**
 * fuzz_guest_frame() - Write the Ethernet and IP headers of a frame from
 *			the guest, and its transport checksum
 * @c:		Execution context
 * @buf:	Frame, transport header and payload at frame_l4_off(), room
 *		for at least FRAME_MIN_LEN bytes
 * @src:	Source address
 * @dst:	Destination address, same family
 * @proto:	Transport protocol: TCP, UDP, ICMP and ICMPv6 get their
 *		checksum filled in
 * @ttl:	TTL or hop limit
 * @l4_len:	Length of the transport header and payload
 *
 * Return: length of the frame
 */
size_t fuzz_guest_frame(const struct ctx *c, uint8_t *buf,
			const union inany_addr *src,
			const union inany_addr *dst, uint8_t proto,
			uint8_t ttl, size_t l4_len)
{
	bool v4 = inany_v4(src);
	uint8_t *l4 = buf + frame_l4_off(v4);
	size_t len;

	if (proto == IPPROTO_TCP && l4_len >= 18) {
		uint16_t csum;

		memset(l4 + 16, 0, 2);
		csum = csum_l4(v4, src, dst, proto, l4, l4_len);
		memcpy(l4 + 16, &csum, sizeof(csum));
	}

	len = frame_ip(c, buf, c->our_mac, v4, src, dst, proto, ttl, l4_len);

	/* From the guest: to us, or to the group of a multicast address */
	if (!v4 && IN6_IS_ADDR_MULTICAST(&dst->a6)) {
		buf[0] = buf[1] = 0x33;
		memcpy(buf + 2, &dst->a6.s6_addr[12], 4);
	}
	memcpy(buf + ETH_ALEN, c->guest_mac, ETH_ALEN);

	return len;
}

/**
 * fuzz_ctx_vary() - Change the context as a configuration byte asks, for
 *		     the replies that carry configuration
 * @c:		Execution context from fuzz_ctx_init()
 * @cfg:	FUZZ_CFG_* bits; others are ignored
 */
void fuzz_ctx_vary(struct ctx *c, uint8_t cfg)
{
	unsigned i;

	if (cfg & FUZZ_CFG_NO_NAMES)
		c->hostname[0] = c->fqdn[0] = '\0';
	if (cfg & FUZZ_CFG_NO_SEARCH)
		c->search_count = 0;
	if (cfg & FUZZ_CFG_NO_DNS)
		c->dns_count = 0;
	if (cfg & FUZZ_CFG_NO_MTU)
		c->mtu = 0;
	if (!(cfg & FUZZ_CFG_LONG_NAMES))
		return;

	/* The longest names the options allow: 63-byte labels, 253 bytes */
	for (i = 0; i < MAX_SEARCH; i++) {
		char *d = c->search[i];
		size_t len;

		for (len = 0; len + 64 <= DOMAIN_NAME_MAX - 1; len += 64) {
			memset(d + len, 'a' + (int)i, 63);
			d[len + 63] = '.';
		}
		memset(d + len, 'z', DOMAIN_NAME_MAX - 1 - len);
		d[DOMAIN_NAME_MAX - 1] = '\0';
	}
	c->search_count = MAX_SEARCH;
	memcpy(c->fqdn, c->search[0], sizeof(c->fqdn));
	memset(c->hostname, 'h', 63);
	c->hostname[63] = '\0';
}

/**
 * fuzz_guest_udp() - A UDP datagram from the guest, the rest of the input
 *		      as its payload, parsed as ingress would
 * @c:		Execution context
 * @buf:	Frame buffer, L2_MAX_LEN bytes
 * @src:	Source address
 * @sport:	Source port
 * @dst:	Destination address, same family
 * @dport:	Destination port
 * @in:		Input, all taken
 * @p:		The parsed frame
 */
void fuzz_guest_udp(const struct ctx *c, uint8_t *buf,
		    const union inany_addr *src, uint16_t sport,
		    const union inany_addr *dst, uint16_t dport,
		    struct fuzz_in *in, struct pkt *p)
{
	bool v4 = inany_v4(src);
	size_t room = L2_MAX_LEN - frame_udp_off(v4);
	size_t len = fuzz_bytes(in, buf + frame_udp_off(v4),
				MIN(in->left, room));
	uint8_t *uh = buf + frame_l4_off(v4);

	put_be16(uh, sport);
	put_be16(uh + 2, dport);
	put_be16(uh + 4, (uint16_t)(FRAME_UDP_HLEN + len));
	len = fuzz_guest_frame(c, buf, src, dst, IPPROTO_UDP, 64,
			       FRAME_UDP_HLEN + len);
	if (pkt_parse(buf, len, p))
		abort();
}

/**
 * fuzz_leave() - After the front end closed its end, let the daemon run
 *		  until it lets go of the front end, and say so if that
 *		  took a wait
 * @c:		Execution context
 * @step:	One go of the daemon: a pass of the main loop, or a handler
 * @quick:	Goes to give it at once, before any wait
 *
 * Twice in CI, a target found the front end still attached right after
 * closing our end (virtq, then tap), and neither input did it again
 * alone: the hang-up had not reached the daemon yet, as if something held
 * our end open for a moment. So after @quick goes without waiting, the
 * daemon gets one more go a millisecond apart, for up to a second, and
 * the log tells how late the hang-up came.
 *
 * Return: true once no front end is attached, false if one still is
 */
bool fuzz_leave(struct ctx *c, void (*step)(struct ctx *c), unsigned quick)
{
	unsigned i;

	for (i = 0; i < quick && c->l2; i++)
		step(c);
	for (i = 0; i < FUZZ_LEAVE_WAIT_MS && c->l2; i++) {
		usleep(1000);
		step(c);
	}
	if (i && !c->l2)
		fprintf(stderr, "fuzz: the front end's hang-up came %u ms late\n",
			i);
	return !c->l2;
}

/**
 * fuzz_pass_end() - What the main loop does after each pass: deferred TCP
 *		     work, frames to the guest, flows closed
 * @c:		Execution context
 */
void fuzz_pass_end(struct ctx *c)
{
	tcp_defer_handler(c);
	l2_flush(c);
	flow_defer_handler();
}

/**
 * fuzz_dispatch() - One pass of the main loop, without waiting: hand out
 *		     the events of the daemon's descriptors, as passt.c does,
 *		     then the end of the pass
 * @c:		Execution context
 *
 * Return: number of events handled
 */
int fuzz_dispatch(struct ctx *c)
{
	struct epoll_event ev[FUZZ_DISPATCH_EVENTS];
	int n, i;

	n = epoll_wait(c->epollfd, ev, ARRAY_SIZE(ev), 0);
	for (i = 0; i < n; i++) {
		union epoll_ref ref = { .u64 = ev[i].data.u64 };
		uint32_t e = ev[i].events;

		switch (ref.type) {
		case EPOLL_TYPE_TCP:
			tcp_sock_handler(c, ref, e);
			break;
		case EPOLL_TYPE_TCP_LISTEN:
			tcp_listen_handler(c, ref, e);
			break;
		case EPOLL_TYPE_UDP:
			udp_sock_handler(c, ref, e);
			break;
		case EPOLL_TYPE_UDP_LISTEN:
			udp_listen_handler(c, ref, e);
			break;
		case EPOLL_TYPE_PING:
			icmp_sock_handler(c, ref, e);
			break;
		case EPOLL_TYPE_VHOST_LISTEN:
			vu_listen_handler(c, e);
			break;
		case EPOLL_TYPE_VHOST_CMD:
			vu_cmd_handler(c, ref, e);
			break;
		case EPOLL_TYPE_VHOST_KICK:
			vu_l2_kick(c, ref);
			break;
		default:
			fprintf(stderr, "fuzz: event for type %u\n", ref.type);
			abort();
		}
	}
	fuzz_pass_end(c);
	return n < 0 ? 0 : n;
}

/**
 * fuzz_timers() - The daemon's periodic work, at the context's time
 * @c:		Execution context
 */
void fuzz_timers(struct ctx *c)
{
	static const flow_timer_fn timers[FLOW_TYPE_MAX] = {
		[FLOW_TYPE_TCP] = tcp_timer,
		[FLOW_TYPE_PING] = icmp_flow_timer,
		[FLOW_TYPE_UDP] = udp_flow_timer,
	};

	flow_timer(c, timers);
	ndp_timer(c);
	fuzz_pass_end(c);
}

/**
 * fuzz_flows_init() - The epoll instance, the flow table and the
 *		       protocols, as main() sets them up, for a context from
 *		       fuzz_ctx_init()
 * @c:		Execution context, its epoll instance set here
 */
void fuzz_flows_init(struct ctx *c)
{
	static const struct flow_ops *const ops[FLOW_TYPE_MAX] = {
		[FLOW_TYPE_TCP] = &tcp_flow_ops,
		[FLOW_TYPE_PING] = &icmp_flow_ops,
		[FLOW_TYPE_UDP] = &udp_flow_ops,
	};

	c->epollfd = epoll_create1(EPOLL_CLOEXEC);
	if (c->epollfd < 0)
		abort();
	flow_init(ops);
	tcp_init(c);
	udp_init(c);
}

/**
 * fuzz_flows_settle() - Let every flow time out and close, and check that
 *			 none is left
 * @c:		Execution context
 */
void fuzz_flows_settle(struct ctx *c)
{
	unsigned round;

	for (round = 0; round < 4 && flow_count(); round++) {
		/* Longer than any idle timeout, TCP's included */
		c->now.tv_sec += 3 * 86400;
		fuzz_timers(c);
		while (fuzz_dispatch(c))
			;
	}

	if (flow_count()) {
		fprintf(stderr, "fuzz: %u flows left after every timeout\n",
			flow_count());
		abort();
	}
}
