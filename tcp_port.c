// SPDX-License-Identifier: GPL-2.0-or-later
/* tcp_port.c - source ports of the host connections the guest opens:
 * connect() searches a small window of the ephemeral range, just past the
 * last port taken towards the same destination
 *
 * Why: we close first whenever the guest does, so our sockets end in
 * TIME_WAIT, one per port, for a minute. Left to itself, the kernel's
 * search for a free port (RFC 6056, algorithm 4) tries the ports of one
 * parity first, and once the TIME_WAIT sockets towards one destination fill
 * them, every connect() walks all of them again before it tries the other
 * parity: with 10,000 connections closed in the last minute, each connect()
 * costs thousands of lookups, and the daemon spends its time in the kernel.
 *
 * With a per-socket range (IP_LOCAL_PORT_RANGE, Linux 6.3) the kernel only
 * searches the window, from a random point in it, both parities at once.
 * Windows move forward: the next one starts after the port just taken, so
 * the ports tried first are the ones this destination used longest ago,
 * whose TIME_WAIT sockets are gone. A full window moves the search on; a
 * few full windows in a row give the choice back to the kernel, over the
 * whole range. Destinations are hashed, with a random key, to one of
 * TCP_PORT_CURSORS positions in the range, each starting at a random port,
 * so that the ports used towards one peer tell nothing about those used
 * towards another, as with the kernel's own choice.
 *
 * On a kernel without the option, connect() chooses as usual. The range
 * is read once at start (the kernel's default if it can't be): should it
 * change later, the kernel clamps our windows to the new one.
 */

#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>

#include "fwd_spec.h"
#include "inany.h"
#include "log.h"
#include "siphash.h"
#include "tcp_port.h"
#include "util.h"

#ifndef IP_LOCAL_PORT_RANGE
#define IP_LOCAL_PORT_RANGE	51
#endif

/* Ports searched by one connect() */
#define TCP_PORT_WINDOW		64
/* Full windows in a row before the kernel searches the whole range */
#define TCP_PORT_TRIES		4
/* Positions kept, one per hash bucket of destinations */
#define TCP_PORT_CURSORS	256

/* The host's ephemeral range, read once; both zero if windows are off */
static uint16_t tcp_port_lo, tcp_port_hi;
static uint16_t tcp_port_cursor[TCP_PORT_CURSORS];
static struct siphash_key tcp_port_key;

/**
 * tcp_port_init() - Read the ephemeral range, pick random starting points
 *
 * Called before the sandbox, while /proc can still be read.
 */
void tcp_port_init(void)
{
	struct fwd_port_range eph;
	unsigned i, span;

	fwd_spec_ephemeral(&eph);
	span = (unsigned)eph.last - eph.first + 1;
	if (span < 2 * TCP_PORT_WINDOW ||
	    getrandom(&tcp_port_key, sizeof(tcp_port_key), 0) !=
	    (ssize_t)sizeof(tcp_port_key) ||
	    getrandom(tcp_port_cursor, sizeof(tcp_port_cursor), 0) !=
	    (ssize_t)sizeof(tcp_port_cursor)) {
		debug("TCP: connect() picks source ports alone");
		return;
	}

	tcp_port_lo = eph.first;
	tcp_port_hi = eph.last;
	for (i = 0; i < TCP_PORT_CURSORS; i++)
		tcp_port_cursor[i] = (uint16_t)(eph.first +
						tcp_port_cursor[i] % span);
}

/**
 * tcp_port_bucket() - Cursor for a destination
 * @sa:		Destination address and port
 *
 * Return: index in tcp_port_cursor
 */
static unsigned tcp_port_bucket(const union sockaddr_inany *sa)
{
	uint8_t key[sizeof(union inany_addr) + sizeof(uint16_t)];
	union inany_addr addr;
	uint16_t port;

	if (!inany_from_sockaddr(&addr, &port, sa))
		return 0;
	memcpy(key, &addr, sizeof(addr));
	memcpy(key + sizeof(addr), &port, sizeof(port));
	return (unsigned)(siphash_2_4(&tcp_port_key, key, sizeof(key)) %
			  TCP_PORT_CURSORS);
}

/**
 * tcp_port_window_set() - Set the window a socket's connect() searches
 * @s:		Socket, not connected
 * @first:	First port of the window, 0 for the host's whole range
 *
 * Return: 0 on success, -1 with errno set on failure
 */
static int tcp_port_window_set(int s, uint16_t first)
{
	uint32_t range = 0;

	if (first) {
		uint16_t last = (uint16_t)MIN((unsigned)first +
					      TCP_PORT_WINDOW - 1,
					      (unsigned)tcp_port_hi);

		range = (uint32_t)last << 16 | first;
	}

	return setsockopt(s, IPPROTO_IP, IP_LOCAL_PORT_RANGE, &range,
			  sizeof(range));
}

/**
 * tcp_port_next() - The port after one, in the ephemeral range
 * @port:	Port in the range
 * @step:	Ports to move on by
 *
 * Return: the port @step further, wrapping at the end of the range
 */
static uint16_t tcp_port_next(uint16_t port, unsigned step)
{
	unsigned span = (unsigned)tcp_port_hi - tcp_port_lo + 1;
	unsigned off = ((unsigned)port - tcp_port_lo + step) % span;

	/* The window must not wrap: one starting too late starts over */
	if (off + TCP_PORT_WINDOW > span)
		off = 0;
	return (uint16_t)(tcp_port_lo + off);
}

/**
 * tcp_port_bind() - Bind a socket to a source address, leaving the port to
 *		     connect()
 * @s:		Socket
 * @sa:		Address, port 0
 * @sl:		Length of @sa
 *
 * Without IP_BIND_ADDRESS_NO_PORT, bind() would pick the port at once, and
 * only one that no other socket holds in any state, whatever its peer: with
 * many TIME_WAIT sockets that search is long, and it leaves fewer ports
 * than connect(), which only needs the whole address pair to be unique.
 *
 * Return: what bind() returns, errno set as it sets it
 */
int tcp_port_bind(int s, const union sockaddr_inany *sa, socklen_t sl)
{
	int one = 1;

	/* Best effort: without it, bind() picks the port as before */
	(void)setsockopt(s, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one,
			 sizeof(one));
	return bind(s, &sa->sa, sl);
}

/**
 * tcp_port_connect() - Non-blocking connect() from a port near the last
 *			one used towards the same destination
 * @s:		Socket, not bound to a port
 * @sa:		Destination
 * @sl:		Length of @sa
 *
 * Return: what connect() returns, errno set as it sets it
 */
int tcp_port_connect(int s, const union sockaddr_inany *sa, socklen_t sl)
{
	static bool unsupported;
	uint16_t *cursor;
	unsigned tries;

	if (!tcp_port_lo || unsupported)
		return connect(s, &sa->sa, sl);

	cursor = &tcp_port_cursor[tcp_port_bucket(sa)];
	for (tries = 0; tries < TCP_PORT_TRIES; tries++) {
		union sockaddr_inany local = { 0 };
		socklen_t ll = sizeof(local);
		union inany_addr addr;
		uint16_t port;
		int rc, err;

		if (tcp_port_window_set(s, *cursor)) {
			/* Kernels before 6.3 don't have it, for good */
			unsupported = errno == ENOPROTOOPT;
			return connect(s, &sa->sa, sl);
		}

		rc = connect(s, &sa->sa, sl);
		err = errno;
		if (rc && err == EADDRNOTAVAIL) {
			*cursor = tcp_port_next(*cursor, TCP_PORT_WINDOW);
			continue;
		}
		if ((!rc || err == EINPROGRESS) &&
		    !getsockname(s, &local.sa, &ll) &&
		    inany_from_sockaddr(&addr, &port, &local) &&
		    port >= tcp_port_lo && port <= tcp_port_hi)
			*cursor = tcp_port_next(port, 1);
		errno = err;
		return rc;
	}

	/* Crowded near the cursor: let the kernel search everywhere */
	if (tcp_port_window_set(s, 0))
		return -1;
	return connect(s, &sa->sa, sl);
}
