// SPDX-License-Identifier: GPL-2.0-or-later
/* dhcp.c - DHCP server
 *
 * Placeholder until the protocol is implemented.
 */

#include "ctx.h"
#include "pkt.h"
#include "dhcp.h"

/**
 * dhcp_handle() - Answer a DHCP message from the guest
 * @c:		Execution context
 * @p:		Parsed IPv4 UDP packet
 *
 * Return: true if the packet was DHCP and is consumed
 */
bool dhcp_handle(struct ctx *c, const struct pkt *p)
{
	(void)c;
	(void)p;
	return false;
}
