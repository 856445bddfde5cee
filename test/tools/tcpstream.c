// SPDX-License-Identifier: GPL-2.0-or-later
/* test/tools/tcpstream.c - many TCP connections at once, each carrying a
 * paced stream of pseudo-random bytes in both directions, with SHA-256
 * digests of what each end sent and read: for migrations, where streams
 * must go on across the switch, every byte intact and in order
 *
 * Usage:
 *   tcpstream connect ADDR PORT [OPTIONS]	open the connections
 *   tcpstream listen ADDR PORT [OPTIONS]	accept them
 *
 * Options:
 *   -n N	connections (default 1)
 *   -b BYTES	bytes each connection sends (default 0), then it shuts
 *		down writing; it reads until the other end does the same
 *   -r RATE	bytes per second each connection sends at most (default:
 *		as fast as it can)
 *   -g FILE	don't send until FILE exists: the connections stay idle
 *   -T SECONDS	give up after this long (default 120)
 *
 * On standard output, for the tests: "listening" once a listener is
 * ready, "ready N" once N connections are up, and at the end, for each
 * connection, "sent LEN SHA256" and "read LEN SHA256", then "done N".
 * The lines of one end's "sent" match those of the other end's "read",
 * in some order. A connection reset, or the time running out, prints a
 * line saying so, and the exit status is 1; otherwise 0.
 */

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "tool.h"

#define CONNS_MAX	4096
#define CHUNK		(64 * 1024)

/**
 * struct sha256 - A SHA-256 computation in progress (FIPS 180-4)
 * @h:		Hash state
 * @block:	Bytes of the block being filled
 * @fill:	Bytes in @block
 * @len:	Bytes hashed so far
 */
struct sha256 {
	uint32_t h[8];
	uint8_t block[64];
	size_t fill;
	uint64_t len;
};

static const uint32_t sha256_k[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b,
	0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01,
	0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7,
	0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc,
	0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152,
	0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
	0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
	0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
	0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819,
	0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08,
	0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f,
	0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
	0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

/**
 * ror() - Rotate a 32-bit value right
 * @x:		Value
 * @n:		Bits, 1 to 31
 *
 * Return: rotated value
 */
static uint32_t ror(uint32_t x, unsigned n)
{
	return (x >> n) | (x << (32 - n));
}

/**
 * sha256_init() - Start a computation
 * @s:		Computation
 */
static void sha256_init(struct sha256 *s)
{
	static const uint32_t h0[8] = {
		0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
		0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
	};

	memcpy(s->h, h0, sizeof(h0));
	s->fill = 0;
	s->len = 0;
}

/**
 * sha256_block() - Hash one 64-byte block into the state
 * @s:		Computation
 * @p:		Block
 */
static void sha256_block(struct sha256 *s, const uint8_t *p)
{
	uint32_t w[64], v[8];
	unsigned i;

	for (i = 0; i < 16; i++) {
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
		       (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
	}
	for (i = 16; i < 64; i++) {
		uint32_t s0 = ror(w[i - 15], 7) ^ ror(w[i - 15], 18) ^
			      (w[i - 15] >> 3);
		uint32_t s1 = ror(w[i - 2], 17) ^ ror(w[i - 2], 19) ^
			      (w[i - 2] >> 10);

		w[i] = w[i - 16] + s0 + w[i - 7] + s1;
	}

	memcpy(v, s->h, sizeof(v));
	for (i = 0; i < 64; i++) {
		uint32_t e1 = ror(v[4], 6) ^ ror(v[4], 11) ^ ror(v[4], 25);
		uint32_t ch = (v[4] & v[5]) ^ (~v[4] & v[6]);
		uint32_t t1 = v[7] + e1 + ch + sha256_k[i] + w[i];
		uint32_t e0 = ror(v[0], 2) ^ ror(v[0], 13) ^ ror(v[0], 22);
		uint32_t maj = (v[0] & v[1]) ^ (v[0] & v[2]) ^ (v[1] & v[2]);

		memmove(v + 1, v, 7 * sizeof(v[0]));
		v[4] += t1;
		v[0] = t1 + e0 + maj;
	}
	for (i = 0; i < 8; i++)
		s->h[i] += v[i];
}

/**
 * sha256_update() - Hash more bytes
 * @s:		Computation
 * @p:		Bytes
 * @len:	Length
 */
static void sha256_update(struct sha256 *s, const uint8_t *p, size_t len)
{
	s->len += len;
	while (len) {
		size_t n = 64 - s->fill < len ? 64 - s->fill : len;

		memcpy(s->block + s->fill, p, n);
		s->fill += n;
		p += n;
		len -= n;
		if (s->fill == 64) {
			sha256_block(s, s->block);
			s->fill = 0;
		}
	}
}

/**
 * sha256_hex() - Finish a computation, as hexadecimal text
 * @s:		Computation, finished by this
 * @out:	Digest, 64 digits and a NUL
 */
static void sha256_hex(struct sha256 *s, char out[65])
{
	uint64_t bits = s->len * 8;
	uint8_t pad[72] = { 0x80 };
	size_t n = (s->fill < 56 ? 56 : 120) - s->fill;
	unsigned i;

	for (i = 0; i < 8; i++)
		pad[n + i] = (uint8_t)(bits >> (56 - 8 * i));
	sha256_update(s, pad, n + 8);
	for (i = 0; i < 8; i++)
		snprintf(out + 8 * i, 9, "%08x", s->h[i]);
}

/**
 * struct conn - One connection
 * @fd:		Socket, -1 once closed
 * @sent:	Bytes sent
 * @read:	Bytes read
 * @seed:	Generator state for what it sends, never zero
 * @tx:		Digest of what it sent
 * @rx:		Digest of what it read
 * @shut:	Writing shut down
 * @eof:	The other end shut down writing
 */
struct conn {
	int fd;
	uint64_t sent;
	uint64_t read;
	uint64_t seed;
	struct sha256 tx;
	struct sha256 rx;
	bool shut;
	bool eof;
};

static struct conn conns[CONNS_MAX];
static uint8_t buf[CHUNK];

/**
 * prng_fill() - Fill a buffer from an xorshift64 generator
 * @state:	Generator state, updated, never zero
 * @p:		Buffer
 * @len:	Length
 */
static void prng_fill(uint64_t *state, uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i += 8) {
		uint64_t x = *state;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		*state = x;
		memcpy(p + i, &x, len - i < 8 ? len - i : 8);
	}
}

/**
 * now_ms() - Monotonic time
 *
 * Return: milliseconds
 */
static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/**
 * conn_open() - Open the connections, blocking, one after the other
 * @listen_mode: Accept them, else connect
 * @addr:	Address
 * @port:	Port
 * @n:		Number of connections
 */
static void conn_open(bool listen_mode, const char *addr, const char *port,
		      unsigned n)
{
	struct sockaddr_storage ss;
	socklen_t len = sockaddr_parse(addr, port, &ss);
	int one = 1, lfd = -1;
	unsigned i;

	if (listen_mode) {
		lfd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (lfd < 0)
			fail("socket");
		setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(lfd, (struct sockaddr *)&ss, len) ||
		    listen(lfd, CONNS_MAX))
			fail("listen");
		printf("listening\n");
		fflush(stdout);
	}

	for (i = 0; i < n; i++) {
		struct conn *c = &conns[i];

		if (listen_mode) {
			c->fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		} else {
			c->fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC,
				       0);
			if (c->fd >= 0 &&
			    connect(c->fd, (struct sockaddr *)&ss, len)) {
				close(c->fd);
				c->fd = -1;
			}
		}
		if (c->fd < 0)
			fail(listen_mode ? "accept" : "connect");
		if (fcntl(c->fd, F_SETFL, O_NONBLOCK))
			fail("fcntl");
		setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		c->seed = ((uint64_t)getpid() << 20 | i) * 2654435761ULL + 1;
		sha256_init(&c->tx);
		sha256_init(&c->rx);
	}

	if (lfd >= 0)
		close(lfd);
	printf("ready %u\n", n);
	fflush(stdout);
}

/**
 * conn_send() - Send what a connection may send now
 * @c:		Connection
 * @bytes:	Bytes it sends in all
 * @allowed:	Bytes it may have sent by now
 *
 * Return: 0, or -1 if the connection failed
 */
static int conn_send(struct conn *c, uint64_t bytes, uint64_t allowed)
{
	while (c->sent < bytes && c->sent < allowed) {
		uint64_t left = (bytes < allowed ? bytes : allowed) - c->sent;
		size_t n = left < CHUNK ? (size_t)left : CHUNK;
		uint64_t seed = c->seed;
		ssize_t w;

		prng_fill(&seed, buf, n);
		w = send(c->fd, buf, n, MSG_NOSIGNAL);
		if (w < 0)
			return errno == EAGAIN || errno == EINTR ? 0 : -1;
		/* Whatever the socket took, the digest covers exactly that */
		c->seed = seed;
		sha256_update(&c->tx, buf, (size_t)w);
		c->sent += (uint64_t)w;
		if ((size_t)w < n)
			return 0;
	}

	if (c->sent == bytes && !c->shut) {
		if (shutdown(c->fd, SHUT_WR))
			return -1;
		c->shut = true;
	}
	return 0;
}

/**
 * conn_recv() - Read what a connection has
 * @c:		Connection
 *
 * Return: 0, or -1 if the connection failed
 */
static int conn_recv(struct conn *c)
{
	for (;;) {
		ssize_t n = recv(c->fd, buf, sizeof(buf), 0);

		if (n < 0)
			return errno == EAGAIN || errno == EINTR ? 0 : -1;
		if (!n) {
			c->eof = true;
			return 0;
		}
		sha256_update(&c->rx, buf, (size_t)n);
		c->read += (uint64_t)n;
	}
}

/**
 * usage() - Print how to call us, exit
 */
static void usage(void)
{
	fprintf(stderr, "Usage: tcpstream connect|listen ADDR PORT [-n N] "
		"[-b BYTES] [-r RATE] [-g FILE] [-T SECONDS]\n");
	exit(1);
}

/**
 * main() - Open the connections, stream, report
 * @argc:	Argument count
 * @argv:	Mode, address, port, options
 *
 * Return: 0 if every connection sent and read to its end
 */
int main(int argc, char **argv)
{
	static struct pollfd pfd[CONNS_MAX];
	unsigned long long bytes = 0, rate = 0, n = 1, timeout = 120;
	const char *go = NULL;
	int64_t start = 0, deadline;
	unsigned i, left, failed = 0;
	bool listen_mode, going;
	int opt;

	if (argc < 4)
		usage();
	if (!strcmp(argv[1], "listen"))
		listen_mode = true;
	else if (!strcmp(argv[1], "connect"))
		listen_mode = false;
	else
		usage();

	optind = 4;
	while ((opt = getopt(argc, argv, "n:b:r:g:T:")) != -1) {
		switch (opt) {
		case 'n':
			n = strtoull(optarg, NULL, 0);
			break;
		case 'b':
			bytes = strtoull(optarg, NULL, 0);
			break;
		case 'r':
			rate = strtoull(optarg, NULL, 0);
			break;
		case 'g':
			go = optarg;
			break;
		case 'T':
			timeout = strtoull(optarg, NULL, 0);
			break;
		default:
			usage();
		}
	}
	if (!n || n > CONNS_MAX || !timeout)
		usage();

	conn_open(listen_mode, argv[2], argv[3], (unsigned)n);
	deadline = now_ms() + (int64_t)timeout * 1000;
	going = !go;
	if (going)
		start = now_ms();

	for (left = (unsigned)n; left; ) {
		int64_t t = now_ms();
		uint64_t allowed = UINT64_MAX;
		int rc;

		if (t > deadline) {
			printf("timeout with %u connections open\n", left);
			break;
		}
		if (!going) {
			struct stat st;

			going = !stat(go, &st);
			if (going)
				start = t;
		}
		if (going && rate)
			allowed = (uint64_t)(t - start) * rate / 1000;

		for (i = 0; i < n; i++) {
			struct conn *c = &conns[i];

			pfd[i].fd = c->fd;
			pfd[i].events = c->eof ? 0 : POLLIN;
			if (going && c->sent < bytes && c->sent < allowed)
				pfd[i].events |= POLLOUT;
		}
		rc = poll(pfd, (nfds_t)n, going && !rate ? 1000 : 10);
		if (rc < 0 && errno != EINTR)
			fail("poll");

		for (i = 0; i < n; i++) {
			struct conn *c = &conns[i];

			if (c->fd < 0)
				continue;
			if (conn_recv(c) ||
			    (going && conn_send(c, bytes, allowed))) {
				printf("conn %u failed after sending %llu and "
				       "reading %llu: %s\n", i,
				       (unsigned long long)c->sent,
				       (unsigned long long)c->read,
				       strerror(errno));
				close(c->fd);
				c->fd = -1;
				left--;
				failed++;
				continue;
			}
			if (c->eof && c->shut) {
				close(c->fd);
				c->fd = -1;
				left--;
			}
		}
	}

	for (i = 0; i < n; i++) {
		char tx[65], rx[65];

		sha256_hex(&conns[i].tx, tx);
		sha256_hex(&conns[i].rx, rx);
		printf("sent %llu %s\nread %llu %s\n",
		       (unsigned long long)conns[i].sent, tx,
		       (unsigned long long)conns[i].read, rx);
	}
	if (left || failed) {
		printf("failed: %u connections did not finish\n",
		       left + failed);
		return 1;
	}
	printf("done %llu\n", n);
	return 0;
}
