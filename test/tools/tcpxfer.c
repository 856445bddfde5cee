// SPDX-License-Identifier: GPL-2.0-or-later
/* test/tools/tcpxfer.c - TCP test client and server: scripted transfers
 * with content hashes, half-close and resets, many concurrent
 * connections, and request/response and connection rates
 *
 * Usage:
 *   tcpxfer connect ADDR PORT ACTION...   connect, then run the actions
 *   tcpxfer listen ADDR PORT ACTION...    accept one connection, the same
 *   tcpxfer echo ADDR PORT                echo server for any number of
 *                                         connections, until killed
 *   tcpxfer many ADDR PORT N BYTES        N concurrent connections to an
 *                                         echo server, each sending BYTES
 *                                         of its own data and checking the
 *                                         echo; prints "ok N" if all did
 *   tcpxfer rr ADDR PORT SECONDS          1-byte request/response over one
 *                                         connection to an echo server;
 *                                         prints transactions per second
 *   tcpxfer crr ADDR PORT SECONDS         connect, request, response,
 *                                         close; prints connections per
 *                                         second
 *   tcpxfer hold ADDR PORT N              open up to N connections, one
 *                                         after the other, stopping at the
 *                                         first refused; prints "held K"
 *                                         and keeps them until killed
 *   tcpxfer churn ADDR PORT N             the same N times, one after the
 *                                         other, to an echo server; prints
 *                                         "churn N SECONDS RATE" (RATE in
 *                                         connections per second), fails
 *                                         at the first that goes wrong
 *
 * Actions, in order:
 *   w:N[:SEED[:PIECE:MS]]
 *		write N bytes of pseudo-random data (seed 1 by default),
 *		print "wrote N HASH"; with PIECE and MS, in pieces of PIECE
 *		bytes with a pause of MS milliseconds after each
 *   r		read until end of file, print "read N HASH"
 *   R		read until the connection is reset, print "reset N" (the
 *		bytes read before) or fail at end of file
 *   s		shutdown(SHUT_WR)
 *   x		close with a zero linger time: the peer gets a RST
 *   d		wait until the peer acknowledged every byte written (at
 *		most 30 s): a RST after that loses nothing in flight
 *   p:MS	pause
 *
 * HASH is 64-bit FNV-1a over the bytes, in hex. Exit status 0 if every
 * action did what it says, 1 otherwise, with a line on stderr. ADDR may be
 * IPv4 or IPv6; the listener binds it and sets SO_REUSEADDR, prints
 * "listening" once it is ready and "peer ADDR" once it accepted.
 */

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <linux/sockios.h>

#include "tool.h"

#define CHUNK		(256 * 1024)
#define FNV_OFFSET	0xcbf29ce484222325ULL
#define FNV_PRIME	0x100000001b3ULL
#define MANY_MAX	65536

static uint8_t buf[CHUNK];

/**
 * fnv() - Add bytes to a 64-bit FNV-1a hash
 * @h:		Running hash
 * @p:		Bytes
 * @len:	Length
 *
 * Return: new hash
 */
static uint64_t fnv(uint64_t h, const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		h = (h ^ p[i]) * FNV_PRIME;
	return h;
}

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
 * tcp_connect() - Connect to an address, blocking
 * @addr:	Address
 * @port:	Port
 *
 * Return: socket, -1 on failure with errno set
 */
static int tcp_connect(const char *addr, const char *port)
{
	struct sockaddr_storage ss;
	socklen_t len = sockaddr_parse(addr, port, &ss);
	int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;

	if (fd < 0)
		return -1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (struct sockaddr *)&ss, len)) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

/**
 * tcp_listen() - Listening socket on an address
 * @addr:	Address
 * @port:	Port
 *
 * Return: socket; exits on failure
 */
static int tcp_listen(const char *addr, const char *port)
{
	struct sockaddr_storage ss;
	socklen_t len = sockaddr_parse(addr, port, &ss);
	int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;

	if (fd < 0)
		fail("socket");
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, len) || listen(fd, 4096))
		fail("listen");
	return fd;
}

/**
 * pause_ms() - Sleep
 * @ms:		Milliseconds
 */
static void pause_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000,
			       .tv_nsec = (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/**
 * wait_acked() - Wait until the send queue holds nothing unacknowledged
 * @fd:		Socket
 *
 * Return: 0 once it is empty, -1 on an error or after 30 s
 */
static int wait_acked(int fd)
{
	int ms, queued;

	for (ms = 0; ms < 30000; ms++) {
		if (ioctl(fd, SIOCOUTQ, &queued))
			return -1;
		if (!queued)
			return 0;
		pause_ms(1);
	}
	errno = ETIMEDOUT;
	return -1;
}

/**
 * run_actions() - Run a script of actions on a connected socket
 * @fd:		Socket
 * @argc:	Number of actions
 * @argv:	Actions
 *
 * Return: 0 on success, 1 on failure
 */
static int run_actions(int fd, int argc, char **argv)
{
	int i;

	for (i = 0; i < argc; i++) {
		const char *a = argv[i];
		uint64_t h = FNV_OFFSET, total = 0;
		ssize_t n;

		if (a[0] == 'w' && a[1] == ':') {
			unsigned long long want, piece = CHUNK;
			uint64_t seed = 1;
			long ms = 0;
			char *end;

			want = strtoull(a + 2, &end, 0);
			if (*end == ':')
				seed = strtoull(end + 1, &end, 0);
			if (*end == ':')
				piece = strtoull(end + 1, &end, 0);
			if (*end == ':')
				ms = strtol(end + 1, NULL, 0);
			seed = seed ? seed : 1;
			piece = piece && piece < CHUNK ? piece : CHUNK;
			while (total < want) {
				size_t len = want - total < piece ?
					     want - total : piece;
				size_t off = 0;

				if (total && ms)
					pause_ms(ms);

				prng_fill(&seed, buf, len);
				h = fnv(h, buf, len);
				while (off < len) {
					n = send(fd, buf + off, len - off,
						 MSG_NOSIGNAL);
					if (n < 0 && errno == EINTR)
						continue;
					if (n < 0) {
						fail("send");
					}
					off += (size_t)n;
				}
				total += len;
			}
			printf("wrote %llu %016llx\n",
			       (unsigned long long)total,
			       (unsigned long long)h);
		} else if (a[0] == 'r' || a[0] == 'R') {
			for (;;) {
				n = recv(fd, buf, CHUNK, 0);
				if (n < 0 && errno == EINTR)
					continue;
				if (n <= 0)
					break;
				h = fnv(h, buf, (size_t)n);
				total += (uint64_t)n;
			}
			if (a[0] == 'r') {
				if (n < 0)
					fail("recv");
				printf("read %llu %016llx\n",
				       (unsigned long long)total,
				       (unsigned long long)h);
			} else {
				if (n == 0 || errno != ECONNRESET) {
					fprintf(stderr, "tcpxfer: no reset, %s\n",
						n ? strerror(errno) :
						"end of file");
					return 1;
				}
				printf("reset %llu\n",
				       (unsigned long long)total);
			}
		} else if (a[0] == 's') {
			if (shutdown(fd, SHUT_WR))
				fail("shutdown");
		} else if (a[0] == 'x') {
			struct linger l = { .l_onoff = 1, .l_linger = 0 };

			setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
			close(fd);
			fd = -1;
		} else if (a[0] == 'd') {
			if (wait_acked(fd))
				fail("waiting for acknowledgements");
		} else if (a[0] == 'p' && a[1] == ':') {
			pause_ms(strtol(a + 2, NULL, 0));
		} else {
			fprintf(stderr, "tcpxfer: bad action %s\n", a);
			return 1;
		}
		fflush(stdout);
	}

	if (fd >= 0)
		close(fd);
	return 0;
}

/**
 * echo_server() - Echo everything on every connection, until killed
 * @lfd:	Listening socket
 */
static void echo_server(int lfd)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = lfd };
	int ep = epoll_create1(EPOLL_CLOEXEC);

	if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev))
		fail("epoll");

	for (;;) {
		struct epoll_event evs[64];
		int n = epoll_wait(ep, evs, 64, -1), i;

		for (i = 0; i < n; i++) {
			int fd = evs[i].data.fd;
			ssize_t r;

			if (fd == lfd) {
				int one = 1;

				fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
				if (fd < 0)
					continue;
				setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
					   sizeof(one));
				ev.events = EPOLLIN;
				ev.data.fd = fd;
				epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
				continue;
			}

			r = recv(fd, buf, CHUNK, MSG_DONTWAIT);
			if (r > 0) {
				ssize_t off = 0;

				/* Blocking writes: the client reads back */
				while (off < r) {
					ssize_t w = send(fd, buf + off,
							 (size_t)(r - off),
							 MSG_NOSIGNAL);
					if (w <= 0)
						break;
					off += w;
				}
				if (off == r)
					continue;
			} else if (r < 0 && errno == EAGAIN) {
				continue;
			}
			close(fd);
		}
	}
}

/**
 * struct many_conn - One connection of the concurrent test
 * @fd:		Socket, -1 once done
 * @sent:	Bytes sent
 * @rcvd:	Bytes received and checked
 */
struct many_conn {
	int fd;
	size_t sent;
	size_t rcvd;
};

static struct many_conn conns[MANY_MAX];

/**
 * many_fill() - The data a connection of the concurrent test sends
 * @i:		Connection number
 * @off:	Offset in its stream
 * @p:		Buffer
 * @len:	Length
 */
static void many_fill(unsigned i, size_t off, uint8_t *p, size_t len)
{
	size_t j;

	for (j = 0; j < len; j++) {
		uint32_t x = (uint32_t)(off + j) * 2654435761U ^
			     (i + 1) * 0x9e3779b9U;

		x ^= x >> 15;
		p[j] = (uint8_t)(x ^ (x >> 8));
	}
}

/**
 * many() - Many concurrent connections to an echo server
 * @addr:	Address
 * @port:	Port
 * @n:		Number of connections
 * @bytes:	Bytes each sends and expects back
 *
 * Return: 0 if every connection got its own bytes back
 */
static int many(const char *addr, const char *port, int n, size_t bytes)
{
	struct pollfd *pfd = calloc((size_t)n, sizeof(*pfd));
	struct sockaddr_storage ss;
	socklen_t len = sockaddr_parse(addr, port, &ss);
	int i, done = 0, ok = 0;
	uint8_t tmp[4096], want[4096];

	if (!pfd || n > MANY_MAX)
		fail("too many");

	for (i = 0; i < n; i++) {
		struct many_conn *m = &conns[i];

		m->fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
			       SOCK_CLOEXEC, 0);
		if (m->fd < 0)
			fail("socket");
		if (connect(m->fd, (struct sockaddr *)&ss, len) &&
		    errno != EINPROGRESS)
			fail("connect");
		m->sent = m->rcvd = 0;
	}

	while (done < n) {
		for (i = 0; i < n; i++) {
			pfd[i].fd = conns[i].fd;
			pfd[i].events = POLLIN;
			if (conns[i].sent < bytes)
				pfd[i].events |= POLLOUT;
		}
		if (poll(pfd, (nfds_t)n, 30000) <= 0) {
			fprintf(stderr, "tcpxfer: many: stuck, %d done\n",
				done);
			return 1;
		}

		for (i = 0; i < n; i++) {
			struct many_conn *m = &conns[i];
			ssize_t r;

			if (m->fd < 0 || !pfd[i].revents)
				continue;

			if ((pfd[i].revents & POLLOUT) && m->sent < bytes) {
				size_t l = bytes - m->sent < sizeof(tmp) ?
					   bytes - m->sent : sizeof(tmp);

				many_fill((unsigned)i, m->sent, tmp, l);
				r = send(m->fd, tmp, l, MSG_NOSIGNAL);
				if (r > 0) {
					m->sent += (size_t)r;
				} else if (r < 0 && errno != EAGAIN) {
					fprintf(stderr, "tcpxfer: many %d: %s\n",
						i, strerror(errno));
					close(m->fd);
					m->fd = -1;
					done++;
					continue;
				}
			}

			r = recv(m->fd, tmp, sizeof(tmp), 0);
			if (r < 0 && errno == EAGAIN)
				continue;
			if (r > 0 && m->rcvd + (size_t)r <= bytes) {
				many_fill((unsigned)i, m->rcvd, want,
					  (size_t)r);
				if (!memcmp(tmp, want, (size_t)r)) {
					m->rcvd += (size_t)r;
					if (m->rcvd < bytes)
						continue;
					ok++;
				}
			}
			close(m->fd);
			m->fd = -1;
			done++;
		}
	}

	printf("ok %d\n", ok);
	return ok == n ? 0 : 1;
}

/**
 * now_s() - Monotonic time in seconds
 *
 * Return: seconds
 */
static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/**
 * rr() - Request/response or connect/request/response rate
 * @addr:	Address of an echo server
 * @port:	Port
 * @seconds:	Duration
 * @reconnect:	New connection for every transaction
 *
 * Return: 0 on success
 */
static int rr(const char *addr, const char *port, double seconds,
	      int reconnect)
{
	double start = now_s(), end = start + seconds;
	unsigned long count = 0;
	int fd = -1;
	char b = 'x';

	while (now_s() < end) {
		unsigned i;

		for (i = 0; i < 64; i++) {
			if (fd < 0 && (fd = tcp_connect(addr, port)) < 0)
				fail("connect");
			if (send(fd, &b, 1, MSG_NOSIGNAL) != 1 ||
			    recv(fd, &b, 1, 0) != 1)
				fail("transaction");
			count++;
			if (reconnect) {
				close(fd);
				fd = -1;
			}
		}
	}

	printf("%.0f\n", (double)count / (now_s() - start));
	return 0;
}

/**
 * hold() - Open connections and keep them open until killed
 * @addr:	Address
 * @port:	Port
 * @n:		Most connections to open
 */
static __attribute__((noreturn)) void hold(const char *addr,
					  const char *port, unsigned long n)
{
	unsigned long held;

	for (held = 0; held < n; held++) {
		if (tcp_connect(addr, port) < 0) {
			fprintf(stderr, "tcpxfer: hold: connection %lu: %s\n",
				held, strerror(errno));
			break;
		}
	}

	printf("held %lu\n", held);
	fflush(stdout);
	for (;;)
		pause();
}

/**
 * churn() - A fixed number of connect, request, response, close in a row
 * @addr:	Address of an echo server
 * @port:	Port
 * @n:		Connections
 *
 * Return: 0 if every connection carried its byte both ways
 */
static int churn(const char *addr, const char *port, unsigned long n)
{
	double start = now_s(), secs;
	unsigned long i;
	char b = 'x';

	for (i = 0; i < n; i++) {
		int fd = tcp_connect(addr, port);

		if (fd < 0) {
			fprintf(stderr, "tcpxfer: churn: connection %lu: %s\n",
				i, strerror(errno));
			return 1;
		}
		if (send(fd, &b, 1, MSG_NOSIGNAL) != 1 ||
		    recv(fd, &b, 1, 0) != 1) {
			fprintf(stderr, "tcpxfer: churn: connection %lu: "
				"no echo\n", i);
			close(fd);
			return 1;
		}
		close(fd);
	}

	secs = now_s() - start;
	printf("churn %lu %.2f %.0f\n", n, secs, (double)n / secs);
	return 0;
}

/**
 * main() - Dispatch on the command
 * @argc:	Argument count
 * @argv:	Command and arguments
 *
 * Return: 0 on success, 1 on failure
 */
int main(int argc, char **argv)
{
	int fd;

	if (argc < 4)
		goto usage;

	if (!strcmp(argv[1], "connect")) {
		fd = tcp_connect(argv[2], argv[3]);
		if (fd < 0) {
			printf("connect %s\n", strerror(errno));
			return 1;
		}
		return run_actions(fd, argc - 4, argv + 4);
	}
	if (!strcmp(argv[1], "listen") || !strcmp(argv[1], "echo")) {
		int lfd = tcp_listen(argv[2], argv[3]);
		struct sockaddr_storage peer;
		socklen_t pl = sizeof(peer);
		char host[NI_MAXHOST];

		printf("listening\n");
		fflush(stdout);
		if (argv[1][0] == 'e')
			echo_server(lfd);
		fd = accept4(lfd, (struct sockaddr *)&peer, &pl, SOCK_CLOEXEC);
		if (fd < 0)
			fail("accept");
		close(lfd);
		if (!getnameinfo((struct sockaddr *)&peer, pl, host,
				 sizeof(host), NULL, 0, NI_NUMERICHOST))
			printf("peer %s\n", host);
		return run_actions(fd, argc - 4, argv + 4);
	}
	if (!strcmp(argv[1], "many") && argc == 6)
		return many(argv[2], argv[3], atoi(argv[4]),
			    strtoul(argv[5], NULL, 0));
	if (!strcmp(argv[1], "rr") && argc == 5)
		return rr(argv[2], argv[3], atof(argv[4]), 0);
	if (!strcmp(argv[1], "crr") && argc == 5)
		return rr(argv[2], argv[3], atof(argv[4]), 1);
	if (!strcmp(argv[1], "hold") && argc == 5)
		hold(argv[2], argv[3], strtoul(argv[4], NULL, 0));
	if (!strcmp(argv[1], "churn") && argc == 5)
		return churn(argv[2], argv[3], strtoul(argv[4], NULL, 0));

usage:
	fprintf(stderr, "Usage: see the comment at the top of %s\n",
		__FILE__);
	return 1;
}
