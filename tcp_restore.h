/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tcp_restore.h - TCP connections across a migration, the target side:
 * reading the flows stage and restoring each connection, see tcp_restore.c
 */

#ifndef TCP_RESTORE_H
#define TCP_RESTORE_H

#include <stdint.h>

struct ctx;

int tcp_restore_load(int fd, int stage, uint32_t *count);
void tcp_restore_apply(struct ctx *c, int stage, uint32_t count);
int tcp_restore_wait_ms(const struct ctx *c);
void tcp_restore_poll(struct ctx *c);

#endif /* TCP_RESTORE_H */
