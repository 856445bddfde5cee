/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test/tools/vnet_hdr.h - the virtio-net header where a TAP device and a
 * guest's virtio-net driver read it differently
 */

#ifndef VNET_HDR_H
#define VNET_HDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/virtio_net.h>

bool vnet_hdr_partial(struct virtio_net_hdr *h, const uint8_t *frame,
		      size_t len);

#endif /* VNET_HDR_H */
