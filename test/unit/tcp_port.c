// SPDX-License-Identifier: GPL-2.0-or-later
/* test/unit/tcp_port.c - source ports of outbound connections: each comes
 * from the window just past the previous one towards the same peer, and
 * connections still work where the kernel can't take a window
 */

#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fwd_spec.h"
#include "tcp_port.h"
#include "unit.h"

#ifndef IP_LOCAL_PORT_RANGE
#define IP_LOCAL_PORT_RANGE	51
#endif

#define CONNS		16
/* As TCP_PORT_WINDOW in tcp_port.c */
#define WINDOW		64

/**
 * windows_supported() - Does the kernel take a per-socket port range?
 *
 * Return: true if IP_LOCAL_PORT_RANGE is known
 */
static bool windows_supported(void)
{
	int s = socket(AF_INET, SOCK_STREAM, 0);
	uint32_t range = 0;
	bool ok;

	ok = !setsockopt(s, IPPROTO_IP, IP_LOCAL_PORT_RANGE, &range,
			 sizeof(range));
	close(s);
	return ok;
}

/**
 * local_port() - The port a socket is bound to
 * @s:		Socket
 *
 * Return: port, host order, 0 on failure
 */
static uint16_t local_port(int s)
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);

	if (getsockname(s, (struct sockaddr *)&sa, &sl))
		return 0;
	return ntohs(sa.sin_port);
}

/**
 * tcp_port_in_windows() - Connections in a row to one listener each get a
 *			   port of the window after the previous one's, of
 *			   either parity (the kernel alone takes ports of
 *			   the parity of the range's start first, so that
 *			   some odd ones show the windows at work: all 16
 *			   even by chance is one in 32768)
 */
static void tcp_port_in_windows(void)
{
	union sockaddr_inany sa = { .sa4 = { .sin_family = AF_INET } };
	socklen_t sl = sizeof(sa.sa4);
	struct fwd_port_range eph;
	int l, s[CONNS], i, near = 0, odd = 0;
	bool windows = windows_supported();
	uint16_t prev = 0;

	sa.sa4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	l = socket(AF_INET, SOCK_STREAM, 0);
	UNIT_CHECK(l >= 0 && !bind(l, &sa.sa, sl) && !listen(l, CONNS) &&
		   !getsockname(l, &sa.sa, &sl));

	fwd_spec_ephemeral(&eph);
	tcp_port_init();
	for (i = 0; i < CONNS; i++) {
		uint16_t port;

		s[i] = socket(AF_INET, SOCK_STREAM, 0);
		UNIT_CHECK(!tcp_port_connect(s[i], &sa, sl));
		port = local_port(s[i]);
		UNIT_CHECK(port >= eph.first && port <= eph.last);

		/* Next to the previous port, unless the cursor wrapped */
		if (prev && port > prev && port <= prev + WINDOW)
			near++;
		odd += port % 2;
		prev = port;
	}
	if (windows)
		UNIT_CHECK(near >= CONNS - 2 && odd);

	for (i = 0; i < CONNS; i++)
		close(s[i]);
	close(l);
}

/**
 * main() - Run the cases
 *
 * Return: 0 if all passed
 */
int main(void)
{
	UNIT_RUN(tcp_port_in_windows);
	UNIT_EXIT();
}
