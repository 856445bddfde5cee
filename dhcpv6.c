// SPDX-License-Identifier: GPL-2.0-or-later
/* dhcpv6.c - DHCPv6 server
 *
 * Placeholder until the protocol is implemented.
 */

#include "ctx.h"
#include "pkt.h"
#include "dhcpv6.h"

/**
 * dhcpv6_init() - Prepare the server identifier
 * @c:		Execution context
 */
void dhcpv6_init(struct ctx *c)
{
	(void)c;
}

/**
 * dhcpv6_handle() - Answer a DHCPv6 message from the guest
 * @c:		Execution context
 * @p:		Parsed IPv6 UDP packet
 *
 * Return: true if the packet was DHCPv6 and is consumed
 */
bool dhcpv6_handle(struct ctx *c, const struct pkt *p)
{
	(void)c;
	(void)p;
	return false;
}
