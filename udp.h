/* SPDX-License-Identifier: GPL-2.0-or-later */
/* udp.h - UDP between the guest and host sockets: one flow, with its own
 * connected host socket, per pair of endpoints, and the listening sockets
 * of inbound forwarding (-u)
 */

#ifndef UDP_H
#define UDP_H

#include <stddef.h>
#include <stdint.h>

#include "epoll_ref.h"

struct ctx;
struct flow_common;
struct flow_ops;
struct pkt;

extern const struct flow_ops udp_flow_ops;

/* Seconds without a datagram either way after which a flow is closed */
#define UDP_TIMEOUT_DEFAULT	180

void udp_init(struct ctx *c);
size_t udp_guest_handler(struct ctx *c, const struct pkt *p, size_t n);
void udp_sock_handler(struct ctx *c, union epoll_ref ref, uint32_t events);
void udp_listen_handler(struct ctx *c, union epoll_ref ref, uint32_t events);
void udp_flow_timer(struct ctx *c, struct flow_common *f);

#endif /* UDP_H */
