/* SPDX-License-Identifier: GPL-2.0-or-later */
/* daemon.h - files opened at start-up (log, PID, capture), and going to the
 * background
 */

#ifndef DAEMON_H
#define DAEMON_H

struct ctx;

void daemon_files_open(struct ctx *c);
void daemon_start(struct ctx *c);
void daemon_ready(struct ctx *c);

#endif /* DAEMON_H */
