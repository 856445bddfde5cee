// SPDX-License-Identifier: GPL-2.0-or-later
/* icmp.c - ICMP and ICMPv6 echo through ping sockets
 *
 * Placeholder until the protocol is implemented.
 */

#include "ctx.h"
#include "pkt.h"
#include "icmp.h"

/**
 * icmp_tap_handler() - Relay an echo request from the guest
 * @c:		Execution context
 * @p:		Parsed ICMP or ICMPv6 packet
 *
 * Return: true if the packet was an echo request and is consumed
 */
bool icmp_tap_handler(struct ctx *c, const struct pkt *p)
{
	(void)c;
	(void)p;
	return false;
}

/**
 * icmp_sock_handler() - Relay echo replies to the guest
 * @c:		Execution context
 * @ref:	Reference of the ping socket
 * @events:	EPOLL* events
 */
void icmp_sock_handler(struct ctx *c, union epoll_ref ref, uint32_t events)
{
	(void)c;
	(void)ref;
	(void)events;
}

/**
 * icmp_timer() - Close idle echo flows
 * @c:		Execution context
 */
void icmp_timer(struct ctx *c)
{
	(void)c;
}
