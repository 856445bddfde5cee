/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ndp.h - NDP: neighbour advertisements and router advertisements (RFC 4861),
 * and solicitations for the guest's addresses when a front end connects
 */

#ifndef NDP_H
#define NDP_H

#include <stdbool.h>
#include <stdint.h>

struct ctx;
struct pkt;

bool ndp_handle(struct ctx *c, const struct pkt *p);
void ndp_timer(struct ctx *c);
void ndp_probe_guest(struct ctx *c);

#endif /* NDP_H */
