/* SPDX-License-Identifier: GPL-2.0-or-later */
/* migrate.h - the migration stream: the state a VM's back-end hands over
 * when the VM moves to another host, in a versioned format (doc/migration.md)
 */

#ifndef MIGRATE_H
#define MIGRATE_H

#include <stdbool.h>
#include <stdint.h>

struct ctx;

/* Start of every stream, big-endian */
#define MIGRATE_MAGIC		0xB1BB1D1B0BB1D1B0ULL

/* Newest version: what a source writes unless told otherwise */
#define MIGRATE_VERSION		3
/* Oldest version we read and write */
#define MIGRATE_VERSION_OLDEST	2

/* Address flags as the stream carries them (version 3). These bits never
 * change meaning, whatever happens to the CONF_ADDR_* bits in fwd.h.
 */
#define MIGRATE_ADDR_USER	(1U << 0)
#define MIGRATE_ADDR_HOST	(1U << 1)
#define MIGRATE_ADDR_LINKLOCAL	(1U << 2)
#define MIGRATE_ADDR_OBSERVED	(1U << 3)

bool migrate_version_supported(unsigned version);
uint8_t migrate_flags_encode(uint8_t conf_flags);
uint8_t migrate_flags_decode(uint8_t migr_flags);
int migrate_source(struct ctx *c, int fd);
void migrate_source_commit(struct ctx *c);
void migrate_source_cancel(struct ctx *c);
void migrate_source_done(struct ctx *c);
void migrate_source_exit(struct ctx *c);
void migrate_timer(struct ctx *c);
void migrate_frontend_new(struct ctx *c);
int migrate_target(struct ctx *c, int fd);

#endif /* MIGRATE_H */
