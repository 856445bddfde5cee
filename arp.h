/* SPDX-License-Identifier: GPL-2.0-or-later */
/* arp.h - ARP: answers the guest's requests for addresses it may reach, and
 * asks for the guest's own when a front end connects
 */

#ifndef ARP_H
#define ARP_H

#include <stdbool.h>
#include <stdint.h>

struct ctx;
struct pkt;

void arp_handle(struct ctx *c, const struct pkt *p);
void arp_probe_guest(struct ctx *c);

#endif /* ARP_H */
