// SPDX-License-Identifier: GPL-2.0-or-later
/* test/tools/tapbridge.c - the test guest's link: copies Ethernet frames
 * between a TAP device and the daemon's UNIX stream socket, in the framing
 * QEMU uses (a 4-byte big-endian length before each frame)
 *
 * Usage: tapbridge [-l] [-c] IFNAME SOCKPATH [LOSS_PERMILLE
 *							[REORDER_PERMILLE]]
 *
 * -l listens on SOCKPATH and serves one connection instead of connecting:
 * two bridges, one listening, make a TAP to TAP link with no daemon between
 * them, the benchmark's reference for what the link alone can carry.
 *
 * -c hands each TCP and UDP frame written to the TAP as checksummed, the
 * way a guest's virtio-net driver takes frames marked DATA_VALID: the
 * receiving kernel skips verification (a TAP ignores DATA_VALID itself, so
 * the frames go as NEEDS_CSUM, see vnet_hdr.c), as vubridge -c does. Only
 * for benchmarks: the functional tests keep the guest's kernel checking
 * every checksum the daemon computes.
 *
 * The optional arguments impair the guest's frames on their way to the
 * daemon, as tc netem would on the guest's TAP (this kernel has no netem):
 * each frame is dropped with the first probability, or else held back and
 * sent after the next frame with the second.
 *
 * IFNAME is created, or attached to if it exists (a persistent TAP keeps
 * its addresses when the bridge is replaced). The socket is retried for a
 * few seconds until the daemon listens. The bridge exits when the daemon
 * closes the connection.
 *
 * Both directions batch: one recv() takes many frames from the socket, and
 * frames read from the TAP until it runs dry go out in one send(). A send
 * the socket cuts short keeps the rest queued, and the TAP is not read
 * again until the queue drains, so the stream keeps its framing and the
 * daemon can always make progress.
 */

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/if_tun.h>
#include <linux/virtio_net.h>
#include <net/if.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "vnet_hdr.h"

#define HDR_LEN		4
#define FRAME_MAX	65535
#define BUF_SIZE	(4UL << 20)
#define CONNECT_TRIES	100		/* 10 s at 100 ms */

static uint8_t from_sock[BUF_SIZE];
static uint8_t to_sock[BUF_SIZE];

/* Impairment, in frames per thousand, and the frame held back */
static unsigned loss_permille;
static unsigned reorder_permille;
static uint8_t held[HDR_LEN + FRAME_MAX];
static size_t held_len;

/* With -c, the TAP carries a virtio-net header before each frame */
static bool vnet_hdr;

/**
 * die_errno() - Print a message with the error and exit
 * @what:	What failed
 */
static void die_errno(const char *what)
{
	fprintf(stderr, "tapbridge: %s: %s\n", what, strerror(errno));
	exit(1);
}

/**
 * tap_open() - Create or attach to a TAP device without packet information
 * @ifname:	Device name
 *
 * Return: non-blocking TAP descriptor; failures exit
 */
static int tap_open(const char *ifname)
{
	struct ifreq ifr = { .ifr_flags = IFF_TAP | IFF_NO_PI };
	int fd;

	if (strlen(ifname) >= IFNAMSIZ) {
		fprintf(stderr, "tapbridge: interface name too long\n");
		exit(1);
	}
	memcpy(ifr.ifr_name, ifname, strlen(ifname) + 1);
	if (vnet_hdr)
		ifr.ifr_flags |= IFF_VNET_HDR;

	fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		die_errno("/dev/net/tun");
	if (ioctl(fd, TUNSETIFF, &ifr))
		die_errno("TUNSETIFF");
	if (vnet_hdr &&
	    ioctl(fd, TUNSETVNETHDRSZ,
		  &(int){ sizeof(struct virtio_net_hdr) }))
		die_errno("TUNSETVNETHDRSZ");

	return fd;
}

/**
 * sock_buffers() - Make a connected socket non-blocking, with large buffers
 * @fd:		Connected socket
 *
 * Return: @fd; failures exit
 */
static int sock_buffers(int fd)
{
	int v = INT_MAX / 2;

	if (fcntl(fd, F_SETFL, O_NONBLOCK))
		die_errno("fcntl");
	/* Large buffers: this link is in the throughput benchmarks' path */
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &v, sizeof(v));
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v));

	return fd;
}

/**
 * sock_addr() - Fill a UNIX socket address
 * @addr:	Address to fill
 * @path:	Socket path
 */
static void sock_addr(struct sockaddr_un *addr, const char *path)
{
	if (strlen(path) >= sizeof(addr->sun_path)) {
		fprintf(stderr, "tapbridge: socket path too long\n");
		exit(1);
	}
	memset(addr, 0, sizeof(*addr));
	addr->sun_family = AF_UNIX;
	memcpy(addr->sun_path, path, strlen(path) + 1);
}

/**
 * sock_open() - Connect to the daemon, retrying while it starts
 * @path:	Socket path
 *
 * Return: non-blocking connected socket; failures exit
 */
static int sock_open(const char *path)
{
	struct sockaddr_un addr;
	int fd, i;

	sock_addr(&addr, path);
	for (i = 0; ; i++) {
		const struct timespec pause = { .tv_nsec = 100000000L };

		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			die_errno("socket");
		if (!connect(fd, (struct sockaddr *)&addr, sizeof(addr)))
			break;
		if ((errno != ENOENT && errno != ECONNREFUSED) ||
		    i == CONNECT_TRIES)
			die_errno(path);
		close(fd);
		nanosleep(&pause, NULL);
	}

	return sock_buffers(fd);
}

/**
 * sock_serve() - Listen on a path and take one connection
 * @path:	Socket path, replaced if it exists
 *
 * Return: non-blocking connected socket; failures exit
 */
static int sock_serve(const char *path)
{
	struct sockaddr_un addr;
	int l, fd;

	sock_addr(&addr, path);
	l = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (l < 0)
		die_errno("socket");
	unlink(path);
	if (bind(l, (struct sockaddr *)&addr, sizeof(addr)) || listen(l, 1))
		die_errno(path);
	fprintf(stderr, "tapbridge: listening on %s\n", path);

	fd = accept4(l, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0)
		die_errno("accept");
	close(l);
	unlink(path);

	return sock_buffers(fd);
}

/**
 * get_be32() - Read a big-endian 32-bit value at any alignment
 * @p:		Bytes
 *
 * Return: the value
 */
static uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

/**
 * tap_write() - Write one frame to the TAP
 * @tap:	TAP descriptor
 * @frame:	Ethernet frame
 * @len:	Its length
 */
static void tap_write(int tap, const uint8_t *frame, size_t len)
{
	struct virtio_net_hdr vh = { .gso_type = VIRTIO_NET_HDR_GSO_NONE };
	struct iovec iov[2] = {
		{ &vh, sizeof(vh) }, { (void *)frame, len },
	};

	if (vnet_hdr)
		vnet_hdr_partial(&vh, frame, len);

	/* A TAP write takes a whole frame or none: a frame the kernel
	 * refuses is lost, as on a real link
	 */
	if (writev(tap, vnet_hdr ? iov : iov + 1, vnet_hdr ? 2 : 1) < 0 &&
	    errno != EAGAIN)
		fprintf(stderr, "tapbridge: TAP write: %s\n", strerror(errno));
}

/**
 * sock_to_tap() - Read frames from the socket and write them to the TAP
 * @sock:	Connected socket
 * @tap:	TAP descriptor
 * @start:	Start of the incomplete frame kept in from_sock, updated
 * @end:	End of the data in from_sock, updated
 *
 * The incomplete frame stays where it is until the buffer has no room left
 * for a whole frame behind it: moving it after each read would copy it
 * again.
 *
 * Return: 0 to go on, 1 when the daemon closed the connection
 */
static int sock_to_tap(int sock, int tap, size_t *start, size_t *end)
{
	size_t off = *start;
	ssize_t n;

	if (sizeof(from_sock) - *end < HDR_LEN + FRAME_MAX) {
		memmove(from_sock, from_sock + *start, *end - *start);
		*end -= *start;
		off = *start = 0;
	}

	n = recv(sock, from_sock + *end, sizeof(from_sock) - *end, 0);
	if (n < 0) {
		if (errno == EAGAIN || errno == EINTR)
			return 0;
		die_errno("recv");
	}
	if (!n)
		return 1;

	*end += (size_t)n;
	while (*end - off >= HDR_LEN) {
		uint32_t flen = get_be32(from_sock + off);

		if (!flen || flen > FRAME_MAX) {
			fprintf(stderr, "tapbridge: bad frame length %u\n",
				flen);
			exit(1);
		}
		if (*end - off - HDR_LEN < flen)
			break;

		tap_write(tap, from_sock + off + HDR_LEN, flen);
		off += HDR_LEN + flen;
	}

	if (off == *end)
		off = *end = 0;
	*start = off;
	return 0;
}

/**
 * tap_to_queue() - Read frames from the TAP until it is empty or the queue
 *		    for the socket is full, each behind its length
 * @tap:	TAP descriptor
 * @end:	End of queued data in to_sock, updated
 */
static void tap_to_queue(int tap, size_t *end)
{
	/* Room for a frame and the one held back behind it */
	while (sizeof(to_sock) - *end >= 2 * (HDR_LEN + FRAME_MAX)) {
		uint8_t *p = to_sock + *end;
		struct virtio_net_hdr vh;
		struct iovec iov[2] = {
			{ &vh, sizeof(vh) }, { p + HDR_LEN, FRAME_MAX },
		};
		ssize_t n = readv(tap, vnet_hdr ? iov : iov + 1,
				  vnet_hdr ? 2 : 1);
		unsigned dice = (unsigned)random() % 1000;

		if (vnet_hdr && n >= (ssize_t)sizeof(vh))
			n -= (ssize_t)sizeof(vh);
		else if (vnet_hdr && n > 0)
			continue;	/* shorter than its header */

		if (n <= 0) {
			if (n < 0 && errno != EAGAIN && errno != EINTR)
				die_errno("TAP read");
			break;
		}

		if (dice < loss_permille)
			continue;

		p[0] = (uint8_t)((size_t)n >> 24);
		p[1] = (uint8_t)((size_t)n >> 16);
		p[2] = (uint8_t)((size_t)n >> 8);
		p[3] = (uint8_t)n;

		if (!held_len && dice < loss_permille + reorder_permille) {
			held_len = HDR_LEN + (size_t)n;
			memcpy(held, p, held_len);
			continue;
		}
		*end += HDR_LEN + (size_t)n;

		if (held_len) {
			memcpy(to_sock + *end, held, held_len);
			*end += held_len;
			held_len = 0;
		}
	}

	/* Nothing more to overtake it: the held frame goes now */
	if (held_len) {
		memcpy(to_sock + *end, held, held_len);
		*end += held_len;
		held_len = 0;
	}
}

/**
 * queue_to_sock() - Send as much of the queue as the socket takes
 * @sock:	Connected socket
 * @start:	Start of unsent data in to_sock, updated
 * @end:	End of queued data, reset with @start once all is sent
 */
static void queue_to_sock(int sock, size_t *start, size_t *end)
{
	while (*start < *end) {
		ssize_t n = send(sock, to_sock + *start, *end - *start,
				 MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return;
			die_errno("send");
		}
		*start += (size_t)n;
	}
	*start = *end = 0;
}

/**
 * main() - Open both ends and copy frames until the other end hangs up
 * @argc:	Argument count
 * @argv:	[-l] [-c] IFNAME SOCKPATH [LOSS_PERMILLE [REORDER_PERMILLE]]
 *
 * Return: 0 when the other end closed the connection; errors exit with 1
 */
int main(int argc, char **argv)
{
	size_t in_start = 0, in_end = 0, start = 0, end = 0;
	bool serve = false;
	int tap, sock, opt;

	while ((opt = getopt(argc, argv, "lc")) != -1) {
		if (opt == 'l')
			serve = true;
		else if (opt == 'c')
			vnet_hdr = true;
		else
			optind = argc + 1;	/* usage below */
	}
	argc -= optind;
	argv += optind;
	if (argc < 2 || argc > 4) {
		fprintf(stderr, "Usage: tapbridge [-l] [-c] IFNAME SOCKPATH "
			"[LOSS_PERMILLE [REORDER_PERMILLE]]\n");
		return 1;
	}
	if (argc > 2)
		loss_permille = (unsigned)atoi(argv[2]);
	if (argc > 3)
		reorder_permille = (unsigned)atoi(argv[3]);
	srandom((unsigned)getpid());

	tap = tap_open(argv[0]);
	sock = serve ? sock_serve(argv[1]) : sock_open(argv[1]);
	fprintf(stderr, "tapbridge: %s connected to %s\n", argv[0], argv[1]);

	for (;;) {
		struct pollfd pfd[2] = {
			{ .fd = sock, .events = POLLIN },
			{ .fd = tap },
		};

		/* Backpressure: no TAP reads while frames wait to go out */
		if (end)
			pfd[0].events |= POLLOUT;
		else
			pfd[1].events = POLLIN;

		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			die_errno("poll");
		}

		if (pfd[0].revents & (POLLIN | POLLHUP | POLLERR) &&
		    sock_to_tap(sock, tap, &in_start, &in_end))
			break;

		if (pfd[1].revents & POLLIN)
			tap_to_queue(tap, &end);
		if (end)
			queue_to_sock(sock, &start, &end);
	}

	fprintf(stderr, "tapbridge: the other end closed the connection\n");
	close(sock);
	close(tap);
	return 0;
}
