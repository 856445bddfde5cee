/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ndp.h - NDP: neighbour advertisements and router advertisements (RFC 4861) */

#ifndef NDP_H
#define NDP_H

#include <stdbool.h>
#include <stdint.h>

struct ctx;
struct pkt;

bool ndp_handle(struct ctx *c, const struct pkt *p);
void ndp_timer(struct ctx *c);

#endif /* NDP_H */
