/* SPDX-License-Identifier: GPL-2.0-or-later */
/* dhcp.h - DHCP server for the guest's IPv4 address (RFC 2131, RFC 2132) */

#ifndef DHCP_H
#define DHCP_H

#include <stdbool.h>
#include <stdint.h>

struct ctx;
struct pkt;

bool dhcp_handle(struct ctx *c, const struct pkt *p);

#endif /* DHCP_H */
