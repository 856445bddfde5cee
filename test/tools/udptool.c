// SPDX-License-Identifier: GPL-2.0-or-later
/* test/tools/udptool.c - UDP endpoints for the tests, checking content
 *
 * Usage:
 *   udptool echo PORT
 *	Echo every datagram back to its sender, on PORT of every IPv4 and
 *	IPv6 address, until killed. Prints "ready" once listening.
 *   udptool send ADDR PORT SIZE [COUNT]
 *	From a socket connected to ADDR:PORT, send COUNT (default 1)
 *	datagrams of SIZE bytes, each with its own pattern, and check each
 *	comes back whole and unchanged (being connected, only from
 *	ADDR:PORT). Prints "ok".
 *   udptool segsend ADDR PORT SIZE COUNT
 *	As send, but the COUNT datagrams go in one send() with UDP_SEGMENT
 *	at SIZE: the kernel hands them to the link as one segment if the
 *	device takes UDP segmentation, and cuts them up itself otherwise.
 *	Each echo is checked against the datagram it answers, in any order.
 *	Prints "ok".
 *   udptool flows ADDR PORT N SIZE
 *	The same with N sockets at once, one datagram each, all sent before
 *	any reply is awaited; unanswered ones are sent again, twice at most.
 *	Prints "ok N".
 *   udptool unreach ADDR PORT
 *	Send to a closed port and expect the connected socket to report
 *	ECONNREFUSED, that is, an ICMP port unreachable. Prints "refused".
 *   udptool sink PORT SECONDS
 *	Count datagrams arriving on PORT (IPv4 and IPv6) for SECONDS, and
 *	print the count and each datagram's length.
 *   udptool raw IFNAME DSTMAC SRC DST DPORT KIND
 *	Send one UDP frame from IFNAME through a packet socket: KIND is
 *	good, badlen (UDP length past the packet), shortlen (UDP length
 *	under 8), badcsum, or trunc (4 bytes of UDP header). The payload is
 *	"raw-KIND".
 *
 * Exits 0 on success, 1 with a message on stderr otherwise. Every wait
 * gives up after a few seconds.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "tool.h"

#define MAX_DGRAM	65535
#define WAIT_MS		3000
#define FLOWS_MAX	4096
#define FLOWS_ROUNDS	3
#define SEGMENTS_MAX	64		/* UDP_SEGMENT's limit */

static uint8_t buf[MAX_DGRAM], expect[MAX_DGRAM];

/**
 * pattern() - Fill a buffer with the pattern of one datagram
 * @p:		Buffer
 * @len:	Length
 * @seed:	Which datagram
 */
static void pattern(uint8_t *p, size_t len, unsigned seed)
{
	uint32_t x = seed * 2654435761U + (uint32_t)len;
	size_t i;

	for (i = 0; i < len; i++) {
		x = x * 1103515245U + 12345U;
		p[i] = (uint8_t)(x >> 16);
	}
}

/**
 * connected() - A UDP socket connected to an address
 * @sa:		Address
 * @sl:		Its length
 *
 * Return: the socket
 */
static int connected(const struct sockaddr_storage *sa, socklen_t sl)
{
	int s = socket(sa->ss_family, SOCK_DGRAM, 0);

	if (s < 0 || connect(s, (const struct sockaddr *)sa, sl))
		fail("socket/connect");
	return s;
}

/**
 * wait_in() - Wait until a socket is readable
 * @s:		Socket
 *
 * Return: true if it became readable (or has an error) in time
 */
static bool wait_in(int s)
{
	struct pollfd pfd = { .fd = s, .events = POLLIN };

	return poll(&pfd, 1, WAIT_MS) == 1;
}

/**
 * bound() - A UDP socket bound to a port of every address in a family
 * @af:		AF_INET or AF_INET6
 * @port:	Port
 *
 * Return: the socket
 */
static int bound(int af, uint16_t port)
{
	struct sockaddr_storage ss = { .ss_family = (sa_family_t)af };
	int s = socket(af, SOCK_DGRAM, 0), one = 1;
	socklen_t sl;

	if (s < 0)
		fail("socket");
	if (af == AF_INET) {
		((struct sockaddr_in *)&ss)->sin_port = htons(port);
		sl = sizeof(struct sockaddr_in);
	} else {
		setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
		((struct sockaddr_in6 *)&ss)->sin6_port = htons(port);
		sl = sizeof(struct sockaddr_in6);
	}
	if (bind(s, (struct sockaddr *)&ss, sl))
		fail("bind");
	return s;
}

/**
 * echo_one() - Echo one datagram from the address it was sent to, not the
 *		one the route to the sender would pick
 * @s:		Socket with IP_PKTINFO or IPV6_RECVPKTINFO set
 */
static void echo_one(int s)
{
	union {
		struct cmsghdr hdr;
		uint8_t buf[CMSG_SPACE(sizeof(struct in6_pktinfo))];
	} ctl;
	struct sockaddr_storage from;
	struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
	struct msghdr mh = {
		.msg_name = &from, .msg_namelen = sizeof(from),
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = ctl.buf, .msg_controllen = sizeof(ctl),
	};
	struct cmsghdr *cm;
	ssize_t n;

	n = recvmsg(s, &mh, MSG_DONTWAIT);
	if (n < 0)
		return;

	/* Reply with the same control message: the kernel then sends from
	 * the address the request went to
	 */
	for (cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
		if (cm->cmsg_level == IPPROTO_IP &&
		    cm->cmsg_type == IP_PKTINFO) {
			struct in_pktinfo *pi = (void *)CMSG_DATA(cm);

			pi->ipi_spec_dst = pi->ipi_addr;
			pi->ipi_ifindex = 0;
		}
	}
	iov.iov_len = (size_t)n;
	mh.msg_flags = 0;
	sendmsg(s, &mh, 0);
}

/**
 * cmd_echo() - Echo datagrams back to their senders, forever
 * @port:	Port
 */
static void __attribute__((noreturn)) cmd_echo(uint16_t port)
{
	struct pollfd pfd[2] = {
		{ .fd = bound(AF_INET, port), .events = POLLIN },
		{ .fd = bound(AF_INET6, port), .events = POLLIN },
	};
	int one = 1;

	if (setsockopt(pfd[0].fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one)) ||
	    setsockopt(pfd[1].fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one,
		       sizeof(one)))
		fail("setsockopt");

	printf("ready\n");
	fflush(stdout);
	for (;;) {
		if (poll(pfd, 2, -1) < 0)
			fail("poll");
		if (pfd[0].revents & POLLIN)
			echo_one(pfd[0].fd);
		if (pfd[1].revents & POLLIN)
			echo_one(pfd[1].fd);
	}
}

/**
 * check_reply() - Receive a datagram and compare it with the pattern
 * @s:		Connected socket
 * @size:	Expected length
 * @seed:	Which datagram
 */
static void check_reply(int s, size_t size, unsigned seed)
{
	ssize_t n;

	if (!wait_in(s)) {
		errno = 0;
		fail("no reply");
	}
	n = recv(s, buf, sizeof(buf), MSG_DONTWAIT);
	if (n < 0)
		fail("recv");
	pattern(expect, size, seed);
	if ((size_t)n != size || memcmp(buf, expect, size)) {
		errno = 0;
		fprintf(stderr, "udptool: got %zd bytes, expected %zu\n", n,
			size);
		fail("reply differs");
	}
}

/**
 * cmd_send() - Send datagrams and check their echoes, one at a time
 * @sa:		Destination
 * @sl:		Its length
 * @size:	Datagram size
 * @count:	Number of datagrams
 *
 * Return: 0
 */
static int cmd_send(const struct sockaddr_storage *sa, socklen_t sl,
		    size_t size, unsigned count)
{
	int s = connected(sa, sl);
	unsigned i;

	for (i = 0; i < count; i++) {
		pattern(buf, size, i);
		if (send(s, buf, size, 0) != (ssize_t)size)
			fail("send");
		check_reply(s, size, i);
	}
	printf("ok\n");
	return 0;
}

/**
 * cmd_segsend() - Send datagrams in one segment, check their echoes
 * @sa:		Destination
 * @sl:		Its length
 * @size:	Datagram size
 * @count:	Number of datagrams
 *
 * Return: 0
 */
static int cmd_segsend(const struct sockaddr_storage *sa, socklen_t sl,
		       size_t size, unsigned count)
{
	static uint8_t seg[MAX_DGRAM];
	bool seen[SEGMENTS_MAX] = { false };
	int s = connected(sa, sl), gso = (int)size;
	unsigned i, k;

	errno = 0;
	if (!size || !count || count > SEGMENTS_MAX ||
	    size * count > sizeof(seg) - 28)
		fail("too many bytes for one segment");
	for (i = 0; i < count; i++)
		pattern(seg + i * size, size, i);
	if (setsockopt(s, SOL_UDP, UDP_SEGMENT, &gso, sizeof(gso)))
		fail("UDP_SEGMENT");
	if (send(s, seg, size * count, 0) != (ssize_t)(size * count))
		fail("send");

	for (k = 0; k < count; k++) {
		ssize_t n;

		if (!wait_in(s)) {
			errno = 0;
			fprintf(stderr, "udptool: %u of %u echoes\n", k, count);
			fail("no reply");
		}
		n = recv(s, buf, sizeof(buf), MSG_DONTWAIT);
		if (n < 0)
			fail("recv");
		for (i = 0; i < count; i++) {
			if (!seen[i] && (size_t)n == size &&
			    !memcmp(buf, seg + i * size, size))
				break;
		}
		if (i == count) {
			errno = 0;
			fprintf(stderr, "udptool: %zd bytes match no datagram "
				"sent, or one already echoed\n", n);
			fail("reply differs");
		}
		seen[i] = true;
	}
	printf("ok\n");
	return 0;
}

/**
 * cmd_flows() - Many sockets at once, one datagram each
 * @sa:		Destination
 * @sl:		Its length
 * @n:		Number of sockets
 * @size:	Datagram size
 *
 * Every socket sends before any reply is read. UDP may lose datagrams in
 * a burst this size (a full TAP queue), so unanswered ones are sent again,
 * up to FLOWS_ROUNDS times in all; each reply is checked as it comes.
 *
 * Return: 0
 */
static int cmd_flows(const struct sockaddr_storage *sa, socklen_t sl,
		     unsigned n, size_t size)
{
	static struct pollfd pfd[FLOWS_MAX];
	static bool done[FLOWS_MAX];
	unsigned i, round, left = n;

	if (n > FLOWS_MAX) {
		errno = 0;
		fail("too many flows");
	}
	for (i = 0; i < n; i++) {
		pfd[i].fd = connected(sa, sl);
		pfd[i].events = POLLIN;
	}

	for (round = 0; round < FLOWS_ROUNDS && left; round++) {
		for (i = 0; i < n; i++) {
			if (done[i])
				continue;
			pattern(buf, size, i);
			if (send(pfd[i].fd, buf, size, 0) != (ssize_t)size)
				fail("send");
		}
		while (left && poll(pfd, n, WAIT_MS / FLOWS_ROUNDS) > 0) {
			for (i = 0; i < n; i++) {
				if (!(pfd[i].revents & POLLIN) || done[i])
					continue;
				check_reply(pfd[i].fd, size, i);
				done[i] = true;
				pfd[i].events = 0;
				left--;
			}
		}
	}
	if (left) {
		errno = 0;
		fprintf(stderr, "udptool: %u of %u without reply\n", left, n);
		fail("no reply");
	}
	printf("ok %u\n", n);
	return 0;
}

/**
 * cmd_unreach() - Expect a closed port to be reported as refused
 * @sa:		Destination
 * @sl:		Its length
 *
 * Return: 0
 */
static int cmd_unreach(const struct sockaddr_storage *sa, socklen_t sl)
{
	int s = connected(sa, sl), i;

	for (i = 0; i < 3; i++) {
		if (send(s, "x", 1, 0) < 0 && errno == ECONNREFUSED)
			break;
		if (wait_in(s) && recv(s, buf, sizeof(buf), 0) < 0 &&
		    errno == ECONNREFUSED)
			break;
	}
	if (i == 3) {
		errno = 0;
		fail("no port unreachable");
	}
	printf("refused\n");
	return 0;
}

/**
 * cmd_sink() - Count datagrams for a while
 * @port:	Port
 * @seconds:	How long
 *
 * Return: 0
 */
static int cmd_sink(uint16_t port, int seconds)
{
	struct pollfd pfd[2] = {
		{ .fd = bound(AF_INET, port), .events = POLLIN },
		{ .fd = bound(AF_INET6, port), .events = POLLIN },
	};
	struct timespec end, now;
	unsigned count = 0;

	printf("ready\n");
	fflush(stdout);
	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += seconds;
	for (;;) {
		long ms;
		int i;

		clock_gettime(CLOCK_MONOTONIC, &now);
		ms = (end.tv_sec - now.tv_sec) * 1000 +
		     (end.tv_nsec - now.tv_nsec) / 1000000;
		if (ms <= 0)
			break;
		if (poll(pfd, 2, (int)ms) <= 0)
			continue;
		for (i = 0; i < 2; i++) {
			ssize_t n;

			if (!(pfd[i].revents & POLLIN))
				continue;
			n = recv(pfd[i].fd, buf, sizeof(buf), MSG_DONTWAIT);
			if (n >= 0) {
				printf("datagram %zd %.*s\n", n,
				       (int)(n > 16 ? 16 : n), buf);
				count++;
			}
		}
	}
	printf("count %u\n", count);
	return 0;
}

/**
 * cmd_raw() - Send one UDP frame, possibly malformed, through a packet
 *	       socket
 * @ifname:	Interface
 * @dmac:	Destination MAC address, text
 * @src:	Source IP address
 * @dst:	Destination IP address, same family
 * @dport:	Destination port
 * @kind:	good, badlen, shortlen, badcsum or trunc
 *
 * Return: 0
 */
static int cmd_raw(const char *ifname, const char *dmac, const char *src,
		   const char *dst, uint16_t dport, const char *kind)
{
	struct sockaddr_ll ll = { .sll_family = AF_PACKET };
	uint8_t f[256] = { 0 }, *ip = f + 14, *uh;
	struct in6_addr s6, d6;
	struct in_addr s4, d4;
	size_t plen, ulen, l4_len;
	char payload[32];
	struct ifreq ifr;
	uint32_t sum;
	bool v4;
	int s;

	plen = (size_t)snprintf(payload, sizeof(payload), "raw-%s", kind);
	ulen = 8 + plen;
	v4 = inet_pton(AF_INET, src, &s4) == 1;
	if ((v4 && inet_pton(AF_INET, dst, &d4) != 1) ||
	    (!v4 && (inet_pton(AF_INET6, src, &s6) != 1 ||
		     inet_pton(AF_INET6, dst, &d6) != 1)) ||
	    sscanf(dmac, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &f[0], &f[1], &f[2],
		   &f[3], &f[4], &f[5]) != 6) {
		errno = 0;
		fail("bad address");
	}

	s = socket(AF_PACKET, SOCK_RAW, 0);
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (s < 0 || ioctl(s, SIOCGIFHWADDR, &ifr))
		fail("packet socket");
	memcpy(f + 6, ifr.ifr_hwaddr.sa_data, 6);

	uh = ip + (v4 ? 20 : 40);
	put16(uh, 40000);
	put16(uh + 2, dport);
	put16(uh + 4, (unsigned)ulen);
	memcpy(uh + 8, payload, plen);

	/* Pseudo-header, then the datagram */
	if (v4)
		sum = csum_add((uint8_t *)&s4, 4, csum_add((uint8_t *)&d4, 4,
							   17 + ulen));
	else
		sum = csum_add(s6.s6_addr, 16, csum_add(d6.s6_addr, 16,
							17 + ulen));
	put16(uh + 6, csum_done(csum_add(uh, ulen, sum)));

	l4_len = ulen;
	if (!strcmp(kind, "badlen")) {
		put16(uh + 4, (unsigned)ulen + 20);
	} else if (!strcmp(kind, "shortlen")) {
		put16(uh + 4, 6);
	} else if (!strcmp(kind, "badcsum")) {
		uh[8] ^= 0x01;
	} else if (!strcmp(kind, "trunc")) {
		l4_len = 4;
	} else if (strcmp(kind, "good")) {
		errno = 0;
		fail("unknown kind");
	}

	if (v4) {
		put16(f + 12, ETHERTYPE_IP);
		ip[0] = 0x45;
		put16(ip + 2, (unsigned)(20 + l4_len));
		ip[8] = 64;
		ip[9] = IPPROTO_UDP;
		memcpy(ip + 12, &s4, 4);
		memcpy(ip + 16, &d4, 4);
		put16(ip + 10, csum_done(csum_add(ip, 20, 0)));
	} else {
		put16(f + 12, ETHERTYPE_IPV6);
		ip[0] = 0x60;
		put16(ip + 4, (unsigned)l4_len);
		ip[6] = IPPROTO_UDP;
		ip[7] = 64;
		memcpy(ip + 8, &s6, 16);
		memcpy(ip + 24, &d6, 16);
	}

	ll.sll_ifindex = (int)if_nametoindex(ifname);
	ll.sll_halen = 6;
	memcpy(ll.sll_addr, f, 6);
	if (sendto(s, f, (size_t)(uh - f) + l4_len < 60 ?
			60 : (size_t)(uh - f) + l4_len, 0,
		   (struct sockaddr *)&ll, sizeof(ll)) < 0)
		fail("sendto");
	printf("sent %s\n", kind);
	return 0;
}

/**
 * main() - Run one command
 * @argc:	Argument count
 * @argv:	Command and its arguments
 *
 * Return: 0 on success, 1 on failure
 */
int main(int argc, char **argv)
{
	struct sockaddr_storage sa;
	socklen_t sl;

	if (argc >= 3 && !strcmp(argv[1], "echo"))
		cmd_echo((uint16_t)atoi(argv[2]));
	if (argc >= 5 && !strcmp(argv[1], "send")) {
		sl = sockaddr_parse(argv[2], argv[3], &sa);
		return cmd_send(&sa, sl, (size_t)atol(argv[4]),
				argc > 5 ? (unsigned)atoi(argv[5]) : 1);
	}
	if (argc >= 6 && !strcmp(argv[1], "segsend")) {
		sl = sockaddr_parse(argv[2], argv[3], &sa);
		return cmd_segsend(&sa, sl, (size_t)atol(argv[4]),
				   (unsigned)atoi(argv[5]));
	}
	if (argc >= 6 && !strcmp(argv[1], "flows")) {
		sl = sockaddr_parse(argv[2], argv[3], &sa);
		return cmd_flows(&sa, sl, (unsigned)atoi(argv[4]),
				 (size_t)atol(argv[5]));
	}
	if (argc >= 4 && !strcmp(argv[1], "unreach")) {
		sl = sockaddr_parse(argv[2], argv[3], &sa);
		return cmd_unreach(&sa, sl);
	}
	if (argc >= 4 && !strcmp(argv[1], "sink"))
		return cmd_sink((uint16_t)atoi(argv[2]), atoi(argv[3]));
	if (argc >= 8 && !strcmp(argv[1], "raw"))
		return cmd_raw(argv[2], argv[3], argv[4], argv[5],
			       (uint16_t)atoi(argv[6]), argv[7]);

	fprintf(stderr, "Usage: see the comment at the top of %s.c\n",
		argv[0]);
	return 1;
}
