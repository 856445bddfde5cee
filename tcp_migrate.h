/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tcp_migrate.h - TCP connections across a migration: saved with their
 * sockets' kernel state on the source, restored on the target
 */

#ifndef TCP_MIGRATE_H
#define TCP_MIGRATE_H

#include <stdint.h>

struct ctx;

/* How long a source waits for a repair helper to connect */
#define TCP_MIGRATE_HELPER_WAIT_MS	100

int tcp_migrate_save(struct ctx *c, int fd);
void tcp_migrate_saved(struct ctx *c);
void tcp_migrate_release(struct ctx *c);
void tcp_migrate_cancel(struct ctx *c);
int tcp_migrate_load(int fd, int stage, uint32_t *count);
void tcp_migrate_restore(struct ctx *c, int stage, uint32_t count);
void tcp_migrate_timer(struct ctx *c);

#endif /* TCP_MIGRATE_H */
