/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fwd_listen.h - the host sockets that listen for inbound forwarding rules
 * (-t and -u), for the protocols to open through one helper, and for a
 * migration to close and open again
 */

#ifndef FWD_LISTEN_H
#define FWD_LISTEN_H

#include <stdbool.h>
#include <stdint.h>

struct ctx;
struct fwd_table;

/* The epoll reference of a listening socket carries its rule's index in
 * the table, its family and its port
 */
#define FWD_LISTEN_REF(rule, v6, port)					\
	((uint32_t)(rule) << 17 | (uint32_t)!!(v6) << 16 | (uint32_t)(port))
#define FWD_LISTEN_RULE(index)	((index) >> 17)
#define FWD_LISTEN_V6(index)	(((index) >> 16) & 1)
#define FWD_LISTEN_PORT(index)	((uint16_t)(index))

/**
 * typedef fwd_listen_setup_fn - A protocol's options for a listening socket
 * @s:		Socket, not bound yet
 * @v4:		IPv4 socket, else IPv6
 *
 * Return: 0 on success, a positive errno on failure
 */
typedef int (*fwd_listen_setup_fn)(int s, bool v4);

void fwd_listen_table(const struct ctx *c, const struct fwd_table *t,
		      uint8_t proto, fwd_listen_setup_fn setup);
void fwd_listen_close(const struct ctx *c);
void fwd_listen_reopen(const struct ctx *c);
bool fwd_listen_complete(void);

#endif /* FWD_LISTEN_H */
