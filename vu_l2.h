/* SPDX-License-Identifier: GPL-2.0-or-later */
/* vu_l2.h - the vhost-user front end's frame path: receive rooms lent from
 * the guest's receive queue, frames from its transmit queue to ingress
 */

#ifndef VU_L2_H
#define VU_L2_H

#include "epoll_ref.h"

struct ctx;
struct virtio_dev;

void vu_l2_attach(struct ctx *c, struct virtio_dev *d);
void vu_l2_detach(struct ctx *c);
void vu_l2_queue_ready(struct ctx *c, unsigned q);
void vu_l2_queue_stop(unsigned q);
void vu_l2_kick(struct ctx *c, union epoll_ref ref);

#endif /* VU_L2_H */
