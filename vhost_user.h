/* SPDX-License-Identifier: GPL-2.0-or-later */
/* vhost_user.h - vhost-user front end: the control socket QEMU connects to,
 * speaking the vhost-user protocol as a virtio-net back-end
 * (doc/vhost-user.md); the protocol's numbers are in vu_dev.h
 */

#ifndef VHOST_USER_H
#define VHOST_USER_H

#include <stdint.h>

#include "epoll_ref.h"

struct ctx;

void vu_init(struct ctx *c);
void vu_listen_handler(struct ctx *c, uint32_t events);
void vu_cmd_handler(struct ctx *c, union epoll_ref ref, uint32_t events);
void vu_cleanup(struct ctx *c);

#endif /* VHOST_USER_H */
