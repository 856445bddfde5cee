/* SPDX-License-Identifier: GPL-2.0-or-later */
/* arp.h - ARP: answers the guest's requests for addresses it may reach */

#ifndef ARP_H
#define ARP_H

#include <stdbool.h>
#include <stdint.h>

struct ctx;
struct pkt;

void arp_handle(struct ctx *c, const struct pkt *p);

#endif /* ARP_H */
