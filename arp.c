// SPDX-License-Identifier: GPL-2.0-or-later
/* arp.c - ARP responder
 *
 * Placeholder until the protocol is implemented.
 */

#include "ctx.h"
#include "pkt.h"
#include "arp.h"

/**
 * arp_handle() - Answer an ARP request from the guest
 * @c:		Execution context
 * @p:		Parsed frame, EtherType ARP
 */
void arp_handle(struct ctx *c, const struct pkt *p)
{
	(void)c;
	(void)p;
}
