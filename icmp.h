/* SPDX-License-Identifier: GPL-2.0-or-later */
/* icmp.h - ICMP and ICMPv6 echo from the guest through host ping sockets */

#ifndef ICMP_H
#define ICMP_H

#include <stdbool.h>
#include <stdint.h>

#include "epoll_ref.h"

struct ctx;
struct flow_common;
struct flow_ops;
struct pkt;

extern const struct flow_ops icmp_flow_ops;

bool icmp_guest_handler(struct ctx *c, const struct pkt *p);
void icmp_sock_handler(struct ctx *c, union epoll_ref ref, uint32_t events);
void icmp_flow_timer(struct ctx *c, struct flow_common *f);

#endif /* ICMP_H */
