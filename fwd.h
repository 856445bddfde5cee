/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fwd.h - the guest's addresses, inbound port forwarding rules, and the
 * translation of addresses between the guest and the host
 */

#ifndef FWD_H
#define FWD_H

#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>

#include "flow.h"
#include "inany.h"

struct ctx;

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

/**
 * for_each_addr() - Walk the guest addresses having any of some flags
 * @a:		Cursor, struct guest_addr *
 * @c:		Execution context
 * @fl:		CONF_ADDR_* filter: entries with any of these bits
 */
#define for_each_addr(a, c, fl)						\
	for ((a) = (c)->addrs; (a) < (c)->addrs + (c)->addr_count; (a)++) \
		if ((a)->flags & (fl))

int fwd_set_addr(struct ctx *c, const union inany_addr *addr, uint8_t flags,
		 uint8_t prefix_len);
const struct guest_addr *fwd_guest_addr(const struct ctx *c, bool v4);
bool fwd_addr_is_guest(const struct ctx *c, const union inany_addr *addr);
bool fwd_prefix_len_valid(const union inany_addr *addr, unsigned prefix_len);
bool fwd_addr_observable(const union inany_addr *addr);
int fwd_merge_observed(struct ctx *c, const union inany_addr *addr,
		       uint8_t prefix_len);
void fwd_observe_addr(struct ctx *c, const union inany_addr *addr);
const union inany_addr *fwd_guest_dst(const struct ctx *c, bool v4,
				      bool linklocal);

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

int fwd_nat_outbound(const struct ctx *c, uint8_t proto,
		     const struct flowside *guest, struct flowside *host);
int fwd_nat_inbound_src(const struct ctx *c, const union inany_addr *src,
			union inany_addr *out);
int fwd_nat_inbound(const struct ctx *c, uint8_t proto,
		    const struct fwd_rule *rule, const struct flowside *host,
		    struct flowside *guest);

#endif /* FWD_H */
