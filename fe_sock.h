/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fe_sock.h - the UNIX domain socket a front end listens on, whichever
 * front end it is (the stream socket or vhost-user)
 */

#ifndef FE_SOCK_H
#define FE_SOCK_H

struct ctx;

int fe_sock_listen(struct ctx *c);

#endif /* FE_SOCK_H */
