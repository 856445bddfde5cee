/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ingress.h - frames from the guest, whichever front end carried them:
 * validation, capture, learning the guest's addresses, and dispatch to the
 * protocol handlers
 */

#ifndef INGRESS_H
#define INGRESS_H

#include <stddef.h>
#include <sys/uio.h>

struct ctx;

void ingress_frames(struct ctx *c, const struct iovec *frames, size_t n);

#endif /* INGRESS_H */
