/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tap.h - QEMU stream front end: a UNIX stream socket carrying Ethernet
 * frames, each behind a 4-byte big-endian length
 */

#ifndef TAP_H
#define TAP_H

#include <stdint.h>

struct ctx;

void tap_init(struct ctx *c);
void tap_listen_handler(struct ctx *c, uint32_t events);
void tap_handler(struct ctx *c, uint32_t events);
void tap_cleanup(struct ctx *c);

#endif /* TAP_H */
