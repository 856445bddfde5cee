/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tcp_port.h - source ports of the host connections the guest opens, chosen
 * in small windows of the ephemeral range so that TIME_WAIT sockets cost no
 * full search
 */

#ifndef TCP_PORT_H
#define TCP_PORT_H

#include <sys/socket.h>

#include "inany.h"

void tcp_port_init(void);
int tcp_port_bind(int s, const union sockaddr_inany *sa, socklen_t sl);
int tcp_port_connect(int s, const union sockaddr_inany *sa, socklen_t sl);

#endif /* TCP_PORT_H */
