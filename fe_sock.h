/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fe_sock.h - the UNIX domain socket a front end listens on, whichever
 * front end it is (the stream socket or vhost-user), and its clients
 */

#ifndef FE_SOCK_H
#define FE_SOCK_H

#include <stddef.h>

struct ctx;

int fe_sock_listen(struct ctx *c);
int fe_sock_accept(int listen_fd, char *who, size_t len);

#endif /* FE_SOCK_H */
