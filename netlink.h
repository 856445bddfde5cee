/* SPDX-License-Identifier: GPL-2.0-or-later */
/* netlink.h - questions to the host's routing tables and interfaces over
 * rtnetlink: default routes and interface addresses
 */

#ifndef NETLINK_H
#define NETLINK_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "inany.h"

/**
 * struct nl_addr - One address of an interface
 * @addr:	Address, IPv4 held IPv4-mapped
 * @prefix_len:	Prefix length in the address's own family
 * @linklocal:	Link scope (IPv6 fe80::/10, IPv4 169.254.0.0/16)
 */
struct nl_addr {
	union inany_addr addr;
	uint8_t prefix_len;
	bool linklocal;
};

int nl_open(void);
void nl_close(void);
unsigned nl_default_route(sa_family_t af, unsigned ifi,
			  union inany_addr *gw);
int nl_addrs(sa_family_t af, unsigned ifi, struct nl_addr *out, int max);

#endif /* NETLINK_H */
