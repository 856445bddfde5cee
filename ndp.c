// SPDX-License-Identifier: GPL-2.0-or-later
/* ndp.c - NDP responder and router advertisements
 *
 * Placeholder until the protocol is implemented.
 */

#include "ctx.h"
#include "pkt.h"
#include "ndp.h"

/**
 * ndp_handle() - Answer an NDP message from the guest
 * @c:		Execution context
 * @p:		Parsed ICMPv6 packet
 *
 * Return: true if the packet was NDP and is consumed
 */
bool ndp_handle(struct ctx *c, const struct pkt *p)
{
	(void)c;
	(void)p;
	return false;
}

/**
 * ndp_timer() - Send unsolicited router advertisements when due
 * @c:		Execution context
 */
void ndp_timer(struct ctx *c)
{
	(void)c;
}
