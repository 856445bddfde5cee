/* SPDX-License-Identifier: GPL-2.0-or-later */
/* repair.h - the daemon's side of the repair helper protocol: the socket
 * passt-repair connects to, and switching TCP sockets in and out of repair
 * mode through it
 */

#ifndef REPAIR_H
#define REPAIR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ctx;

/* Commands, as the TCP_REPAIR socket option takes them (linux/tcp.h) */
#define REPAIR_ON		1	/* TCP_REPAIR_ON */
#define REPAIR_OFF		0	/* TCP_REPAIR_OFF */
#define REPAIR_OFF_NO_WP	(-1)	/* TCP_REPAIR_OFF_NO_WP: no window probe */

/* Most descriptors one message carries: the kernel's SCM_MAX_FD */
#define REPAIR_FDS_MAX		253

/* How long the helper may take to answer one message */
#define REPAIR_ECHO_TIMEOUT_MS	1000

void repair_init(struct ctx *c);
void repair_listen_handler(uint32_t events);
void repair_handler(uint32_t events);
bool repair_ready(void);
int repair_wait(int timeout_ms);
int repair_set(const int *fds, size_t n, int8_t cmd);

#endif /* REPAIR_H */
