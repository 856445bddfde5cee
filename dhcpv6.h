/* SPDX-License-Identifier: GPL-2.0-or-later */
/* dhcpv6.h - DHCPv6 server for the guest's IPv6 address (RFC 8415) */

#ifndef DHCPV6_H
#define DHCPV6_H

#include <stdbool.h>
#include <stdint.h>

struct ctx;
struct pkt;

void dhcpv6_init(struct ctx *c);
bool dhcpv6_handle(struct ctx *c, const struct pkt *p);

#endif /* DHCPV6_H */
