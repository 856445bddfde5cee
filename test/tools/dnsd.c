// SPDX-License-Identifier: GPL-2.0-or-later
/* test/tools/dnsd.c - a tiny DNS responder and TCP client for the tests
 *
 * Usage:
 *   dnsd serve ADDR PORT
 *	Answer queries over UDP and TCP on ADDR:PORT until killed. The name
 *	passt.test has A 203.0.113.10 and AAAA 2001:db8:ab::10; other types
 *	of it get an empty answer, other names NXDOMAIN. Prints "ready" once
 *	listening, then one line per query: "query udp|tcp TYPE NAME from
 *	ADDR".
 *   dnsd query-tcp SERVER PORT NAME a|aaaa
 *	Ask over TCP and print each answer as "A ADDR" or "AAAA ADDR", then
 *	"rcode N".
 *
 * Exits 1 with a message on stderr on failure. Waits give up after a few
 * seconds.
 */

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tool.h"

#define NAME		"passt.test"
#define ADDR4		"203.0.113.10"
#define ADDR6		"2001:db8:ab::10"
#define TYPE_A		1
#define TYPE_AAAA	28
#define CLASS_IN	1
#define HDR_LEN		12
#define MSG_MAX		512
#define WAIT_MS		3000

/**
 * name_read() - Read the question's name, uncompressed, as text
 * @msg:	Message
 * @len:	Its length
 * @off:	Offset of the name, moved past it
 * @out:	Text form, at least 256 bytes
 *
 * Return: true if the name is well formed
 */
static bool name_read(const uint8_t *msg, size_t len, size_t *off, char *out)
{
	size_t o = 0;

	*out = '\0';
	while (*off < len) {
		size_t l = msg[(*off)++];

		if (!l)
			return true;
		if (l > 63 || *off + l > len || o + l + 2 > 255)
			return false;
		if (o)
			out[o++] = '.';
		memcpy(out + o, msg + *off, l);
		o += l;
		out[o] = '\0';
		*off += l;
	}
	return false;
}

/**
 * answer() - Build the response to a query
 * @q:		Query
 * @qlen:	Its length
 * @r:		Response, MSG_MAX bytes
 * @proto:	"udp" or "tcp", for the log line
 * @from:	Text form of the client, for the log line
 *
 * Return: length of the response, 0 to send none
 */
static size_t answer(const uint8_t *q, size_t qlen, uint8_t *r,
		     const char *proto, const char *from)
{
	char name[256];
	size_t off = HDR_LEN, rlen;
	unsigned type, rcode = 0, an = 0;

	if (qlen < HDR_LEN || (q[2] & 0x80) || get16(q + 4) != 1 ||
	    !name_read(q, qlen, &off, name) || off + 4 > qlen)
		return 0;
	type = get16(q + off);
	off += 4;

	printf("query %s %s %s from %s\n", proto,
	       type == TYPE_A ? "A" : type == TYPE_AAAA ? "AAAA" : "other",
	       name, from);
	fflush(stdout);

	memcpy(r, q, off);
	r[2] = (uint8_t)(0x84 | (q[2] & 0x79));	/* QR, AA, opcode, RD */
	r[3] = 0x80;				/* RA */
	put16(r + 6, 0);
	put16(r + 8, 0);
	put16(r + 10, 0);
	rlen = off;

	if (strcasecmp(name, NAME)) {
		rcode = 3;
	} else if (type == TYPE_A || type == TYPE_AAAA) {
		size_t dlen = type == TYPE_A ? 4 : 16;

		put16(r + rlen, 0xc000 | HDR_LEN);
		put16(r + rlen + 2, type);
		put16(r + rlen + 4, CLASS_IN);
		put16(r + rlen + 6, 0);
		put16(r + rlen + 8, 60);
		put16(r + rlen + 10, (unsigned)dlen);
		inet_pton(type == TYPE_A ? AF_INET : AF_INET6,
			  type == TYPE_A ? ADDR4 : ADDR6, r + rlen + 12);
		rlen += 12 + dlen;
		an = 1;
	}

	r[3] |= (uint8_t)rcode;
	put16(r + 6, an);
	return rlen;
}

/**
 * peer_text() - Text form of a socket address's IP address
 * @ss:		Socket address
 * @buf:	Destination, INET6_ADDRSTRLEN bytes
 *
 * Return: @buf
 */
static const char *peer_text(const struct sockaddr_storage *ss, char *buf)
{
	if (ss->ss_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)ss)->sin_addr,
			  buf, INET6_ADDRSTRLEN);
	else
		inet_ntop(AF_INET6,
			  &((const struct sockaddr_in6 *)ss)->sin6_addr,
			  buf, INET6_ADDRSTRLEN);
	return buf;
}

/**
 * read_full() - Read exactly some bytes from a stream, with a deadline
 * @s:		Socket
 * @buf:	Destination
 * @len:	Bytes wanted
 *
 * Return: true if all arrived
 */
static bool read_full(int s, uint8_t *buf, size_t len)
{
	while (len) {
		struct pollfd pfd = { .fd = s, .events = POLLIN };
		ssize_t n;

		if (poll(&pfd, 1, WAIT_MS) != 1)
			return false;
		n = recv(s, buf, len, 0);
		if (n <= 0)
			return false;
		buf += n;
		len -= (size_t)n;
	}
	return true;
}

/**
 * serve_tcp() - Answer the queries of one TCP connection, until it closes
 * @s:		Connected socket
 * @from:	Client, text
 */
static void serve_tcp(int s, const char *from)
{
	uint8_t q[MSG_MAX + 2], r[MSG_MAX + 2];

	for (;;) {
		size_t qlen, rlen;

		if (!read_full(s, q, 2))
			break;
		qlen = get16(q);
		if (qlen > MSG_MAX || !read_full(s, q + 2, qlen))
			break;
		rlen = answer(q + 2, qlen, r + 2, "tcp", from);
		if (!rlen)
			break;
		put16(r, (unsigned)rlen);
		if (send(s, r, rlen + 2, MSG_NOSIGNAL) != (ssize_t)(rlen + 2))
			break;
	}
	close(s);
}

/**
 * cmd_serve() - Answer over UDP and TCP, forever
 * @addr:	Address to listen on
 * @port:	Port
 */
static void __attribute__((noreturn)) cmd_serve(const char *addr,
						const char *port)
{
	struct sockaddr_storage ss;
	socklen_t sl = sockaddr_parse(addr, port, &ss);
	struct pollfd pfd[2];
	int one = 1;

	pfd[0].fd = socket(ss.ss_family, SOCK_DGRAM, 0);
	pfd[1].fd = socket(ss.ss_family, SOCK_STREAM, 0);
	if (pfd[0].fd < 0 || pfd[1].fd < 0)
		fail("socket");
	setsockopt(pfd[1].fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(pfd[0].fd, (struct sockaddr *)&ss, sl) ||
	    bind(pfd[1].fd, (struct sockaddr *)&ss, sl) ||
	    listen(pfd[1].fd, 16))
		fail("bind");
	pfd[0].events = pfd[1].events = POLLIN;

	printf("ready\n");
	fflush(stdout);
	for (;;) {
		struct sockaddr_storage from;
		socklen_t fl = sizeof(from);
		char text[INET6_ADDRSTRLEN];

		if (poll(pfd, 2, -1) < 0)
			fail("poll");

		if (pfd[0].revents & POLLIN) {
			uint8_t q[MSG_MAX], r[MSG_MAX];
			ssize_t n;
			size_t rlen;

			n = recvfrom(pfd[0].fd, q, sizeof(q), MSG_DONTWAIT,
				     (struct sockaddr *)&from, &fl);
			if (n > 0) {
				rlen = answer(q, (size_t)n, r, "udp",
					      peer_text(&from, text));
				if (rlen)
					sendto(pfd[0].fd, r, rlen, 0,
					       (struct sockaddr *)&from, fl);
			}
		}

		if (pfd[1].revents & POLLIN) {
			int s;

			fl = sizeof(from);
			s = accept(pfd[1].fd, (struct sockaddr *)&from, &fl);
			if (s >= 0)
				serve_tcp(s, peer_text(&from, text));
		}
	}
}

/**
 * cmd_query_tcp() - Ask one question over TCP and print the answers
 * @server:	Server address
 * @port:	Port
 * @name:	Name
 * @type:	"a" or "aaaa"
 *
 * Return: 0
 */
static int cmd_query_tcp(const char *server, const char *port,
			 const char *name, const char *type)
{
	uint8_t q[MSG_MAX + 2] = { 0 }, r[MSG_MAX + 2];
	unsigned qtype = strcasecmp(type, "aaaa") ? TYPE_A : TYPE_AAAA;
	struct sockaddr_storage ss;
	socklen_t sl = sockaddr_parse(server, port, &ss);
	size_t qlen = HDR_LEN, rlen, off;
	const char *l = name;
	unsigned an, i;
	int s;

	/* Header: ID, RD, one question */
	put16(q + 2, 0x1234);
	q[4] = 0x01;
	put16(q + 6, 1);
	while (*l) {
		const char *dot = strchr(l, '.');
		size_t ll = dot ? (size_t)(dot - l) : strlen(l);

		if (!ll || ll > 63 || qlen + ll + 6 > MSG_MAX) {
			errno = 0;
			fail("bad name");
		}
		q[2 + qlen++] = (uint8_t)ll;
		memcpy(q + 2 + qlen, l, ll);
		qlen += ll;
		l += ll + !!dot;
	}
	q[2 + qlen++] = 0;
	put16(q + 2 + qlen, qtype);
	put16(q + 2 + qlen + 2, CLASS_IN);
	qlen += 4;
	put16(q, (unsigned)qlen);

	s = socket(ss.ss_family, SOCK_STREAM, 0);
	if (s < 0 || connect(s, (struct sockaddr *)&ss, sl))
		fail("connect");
	if (send(s, q, qlen + 2, MSG_NOSIGNAL) != (ssize_t)(qlen + 2))
		fail("send");
	if (!read_full(s, r, 2) || (rlen = get16(r)) > MSG_MAX ||
	    rlen < HDR_LEN || !read_full(s, r + 2, rlen))
		fail("no response");

	an = get16(r + 2 + 6);
	off = qlen;	/* answers follow our question */
	for (i = 0; i < an && off + 12 <= rlen; i++) {
		const uint8_t *rr = r + 2 + off;
		unsigned t = get16(rr + 2), dlen = get16(rr + 10);
		char text[INET6_ADDRSTRLEN];

		if (off + 12 + dlen > rlen)
			break;
		if ((t == TYPE_A && dlen == 4) ||
		    (t == TYPE_AAAA && dlen == 16))
			printf("%s %s\n", t == TYPE_A ? "A" : "AAAA",
			       inet_ntop(t == TYPE_A ? AF_INET : AF_INET6,
					 rr + 12, text, sizeof(text)));
		off += 12 + dlen;
	}
	printf("rcode %u\n", r[2 + 3] & 0x0f);
	close(s);
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
	if (argc >= 4 && !strcmp(argv[1], "serve"))
		cmd_serve(argv[2], argv[3]);
	if (argc >= 6 && !strcmp(argv[1], "query-tcp"))
		return cmd_query_tcp(argv[2], argv[3], argv[4], argv[5]);

	fprintf(stderr, "Usage: see the comment at the top of %s.c\n",
		argv[0]);
	return 1;
}
