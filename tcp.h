/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tcp.h - TCP translation: each connection of the guest is paired with a
 * host socket, both for connections the guest opens and for those -t
 * forwards to it
 */

#ifndef TCP_H
#define TCP_H

#include <stddef.h>
#include <stdint.h>

#include "epoll_ref.h"

struct ctx;
struct flow_common;
struct flow_ops;
struct pkt;

extern const struct flow_ops tcp_flow_ops;

void tcp_init(struct ctx *c);
size_t tcp_guest_handler(struct ctx *c, const struct pkt *p, size_t n);
void tcp_sock_handler(struct ctx *c, union epoll_ref ref, uint32_t events);
void tcp_listen_handler(struct ctx *c, union epoll_ref ref, uint32_t events);
void tcp_timer(struct ctx *c, struct flow_common *f);
void tcp_defer_handler(struct ctx *c);
int tcp_wait_ms(const struct ctx *c);

#endif /* TCP_H */
