/* SPDX-License-Identifier: GPL-2.0-or-later */
/* isolation.h - what the daemon gives up once it is set up: inherited
 * descriptors, root, the host's namespaces and filesystem, capabilities,
 * and every system call it doesn't make
 */

#ifndef ISOLATION_H
#define ISOLATION_H

struct ctx;

void isolation_fds_close(const struct ctx *c);
void isolation_user(const struct ctx *c);
void isolation_prefork(const struct ctx *c);
void isolation_postfork(const struct ctx *c);

#endif /* ISOLATION_H */
