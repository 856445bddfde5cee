/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fwd_types.h - what the context holds for fwd.c: entries of the guest
 * address array and the inbound forwarding rule tables
 *
 * Apart from fwd.h, so that ctx.h can hold them without including the
 * functions that take a context.
 */

#ifndef FWD_TYPES_H
#define FWD_TYPES_H

#include <net/if.h>
#include <stdint.h>

#include "inany.h"

/* Capacity of the guest address array */
#define MAX_GUEST_ADDRS		32

/* Where a guest address came from: any combination may be set */
#define CONF_ADDR_USER		(1U << 0)	/* given with -a */
#define CONF_ADDR_HOST		(1U << 1)	/* copied from the template */
#define CONF_ADDR_LINKLOCAL	(1U << 2)	/* link-local */
#define CONF_ADDR_OBSERVED	(1U << 3)	/* seen as a source from guest */
#define CONF_ADDR_ANY		0xffU

/**
 * struct guest_addr - One address of the guest
 * @addr:	Address, IPv4 held IPv4-mapped
 * @prefix_len:	Prefix length in the address's own family: 0 to 32 for IPv4
 *		(not counting the 96 bits of the mapping), 0 to 128 for IPv6
 * @flags:	CONF_ADDR_* bits
 */
struct guest_addr {
	union inany_addr addr;
	uint8_t prefix_len;
	uint8_t flags;
};

/* Inbound forwarding rules, from -t and -u */
#define FWD_RULES_MAX		255

#define FWD_WEAK		(1U << 0)	/* bind failures only warn */
#define FWD_V4_ONLY		(1U << 1)
#define FWD_V6_ONLY		(1U << 2)

/**
 * struct fwd_rule - Host ports forwarded to the guest
 * @addr:	Host address to listen on, unspecified for any
 * @ifname:	Host interface to bind to, empty for any
 * @first:	First host port of the range
 * @last:	Last host port of the range
 * @to:		Guest port that @first maps to; the range maps one to one
 * @flags:	FWD_* bits
 */
struct fwd_rule {
	union inany_addr addr;
	char ifname[IFNAMSIZ];
	uint16_t first;
	uint16_t last;
	uint16_t to;
	uint8_t flags;
};

/**
 * struct fwd_table - The rules of one protocol
 * @count:	Rules in use
 * @rules:	Rules, without overlaps
 */
struct fwd_table {
	unsigned count;
	struct fwd_rule rules[FWD_RULES_MAX];
};

#endif /* FWD_TYPES_H */
