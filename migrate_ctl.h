/* SPDX-License-Identifier: GPL-2.0-or-later */
/* migrate_ctl.h - test interface: a UNIX socket on which a test asks the
 * daemon to save its migration stream to, or load it from, a descriptor
 */

#ifndef MIGRATE_CTL_H
#define MIGRATE_CTL_H

#include <stdint.h>

struct ctx;

void migrate_ctl_init(struct ctx *c);
void migrate_ctl_handler(struct ctx *c, uint32_t events);
void migrate_ctl_cleanup(const struct ctx *c);

#endif /* MIGRATE_CTL_H */
