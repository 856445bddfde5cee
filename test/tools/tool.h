/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test/tools/tool.h - what the test tools share: failing with one line on
 * stderr, socket addresses from the text of an address and a port,
 * big-endian fields, and Internet checksums
 *
 * A tool that exits with another status than 1 on a failure defines
 * TOOL_FAIL_STATUS before including this.
 */

#ifndef TOOL_H
#define TOOL_H

#include <errno.h>
#include <netdb.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#ifndef TOOL_FAIL_STATUS
#define TOOL_FAIL_STATUS	1
#endif

/**
 * fail() - Print what failed, with the error if errno is set, and exit
 *	    with TOOL_FAIL_STATUS
 * @what:	What failed
 */
static inline void __attribute__((noreturn)) fail(const char *what)
{
	fprintf(stderr, "%s: %s", program_invocation_short_name, what);
	if (errno)
		fprintf(stderr, ": %s", strerror(errno));
	fprintf(stderr, "\n");
	exit(TOOL_FAIL_STATUS);
}

/**
 * sockaddr_parse() - Socket address from text, failing on a bad one
 * @addr:	IPv4 or IPv6 address, an IPv6 one with an optional %scope
 * @port:	Port, in decimal
 * @ss:		Result
 *
 * Return: length of the socket address
 */
static inline socklen_t sockaddr_parse(const char *addr, const char *port,
				       struct sockaddr_storage *ss)
{
	struct addrinfo hints = { .ai_flags = AI_NUMERICHOST |
					      AI_NUMERICSERV };
	struct addrinfo *ai;
	socklen_t len;

	if (getaddrinfo(addr, port, &hints, &ai)) {
		fprintf(stderr, "%s: bad address %s port %s\n",
			program_invocation_short_name, addr, port);
		exit(TOOL_FAIL_STATUS);
	}
	memset(ss, 0, sizeof(*ss));
	memcpy(ss, ai->ai_addr, ai->ai_addrlen);
	len = ai->ai_addrlen;
	freeaddrinfo(ai);
	return len;
}

/**
 * put16() - Write a big-endian 16-bit value
 * @p:		Destination
 * @v:		Value
 */
static inline void put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/**
 * get16() - Read a big-endian 16-bit value
 * @p:		Source
 *
 * Return: the value
 */
static inline unsigned get16(const uint8_t *p)
{
	return (unsigned)(p[0] << 8 | p[1]);
}

/**
 * csum_add() - Add bytes to a one's complement sum
 * @p:		Bytes
 * @len:	Length
 * @sum:	Running sum
 *
 * Return: new running sum
 */
static inline uint32_t csum_add(const uint8_t *p, size_t len, uint32_t sum)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)(p[len - 1] << 8);
	return sum;
}

/**
 * csum_done() - Fold a sum into a checksum
 * @sum:	Running sum
 *
 * Return: checksum, host order
 */
static inline uint16_t csum_done(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

#endif /* TOOL_H */
