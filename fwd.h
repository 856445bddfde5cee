/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fwd.h - the guest's addresses, inbound port forwarding rules, and the
 * translation of addresses between the guest and the host
 */

#ifndef FWD_H
#define FWD_H

#include <stdbool.h>
#include <stdint.h>

#include "flow.h"
#include "fwd_types.h"
#include "inany.h"

struct ctx;

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

int fwd_nat_outbound(const struct ctx *c, uint8_t proto,
		     const struct flowside *guest, struct flowside *host);
int fwd_nat_inbound_src(const struct ctx *c, const union inany_addr *src,
			union inany_addr *out);
int fwd_nat_inbound(const struct ctx *c, uint8_t proto,
		    const struct fwd_rule *rule, const struct flowside *host,
		    struct flowside *guest);

#endif /* FWD_H */
