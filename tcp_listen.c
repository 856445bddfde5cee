// SPDX-License-Identifier: GPL-2.0-or-later
/* tcp_listen.c - inbound forwarding (-t): a listening socket for every
 * forwarded host port (opened by fwd_listen.c), and accepting connections
 * on them
 *
 * The epoll reference of each listening socket carries the index of its
 * rule, which gives the guest port.
 */

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ctx.h"
#include "epoll_ref.h"
#include "fwd.h"
#include "fwd_listen.h"
#include "log.h"
#include "tcp.h"
#include "tcp_conn.h"
#include "util.h"

/* Connections accepted per event, so one busy port can't starve others */
#define TCP_ACCEPT_BATCH	64

/**
 * tcp_listen_init() - Listen on every port of every -t rule
 * @c:		Execution context
 */
void tcp_listen_init(struct ctx *c)
{
	fwd_listen_table(c, &c->tcp_fwd, IPPROTO_TCP, NULL);
}

/**
 * tcp_listen_handler() - Accept connections on a forwarded port
 * @c:		Execution context
 * @ref:	Reference: socket and rule index
 * @events:	EPOLL* events
 *
 * #syscalls: accept4
 */
void tcp_listen_handler(struct ctx *c, union epoll_ref ref, uint32_t events)
{
	const struct fwd_rule *rule;
	unsigned i;

	if (!(events & EPOLLIN) ||
	    FWD_LISTEN_RULE(ref.index) >= c->tcp_fwd.count)
		return;
	rule = &c->tcp_fwd.rules[FWD_LISTEN_RULE(ref.index)];

	for (i = 0; i < TCP_ACCEPT_BATCH; i++) {
		int fd = accept4((int)ref.fd, NULL, NULL,
				 SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno != EAGAIN && errno != EINTR &&
			    errno != ECONNABORTED)
				warn_ratelimit("TCP accept: %s",
					       strerror(errno));
			return;
		}

		tcp_conn_from_host(c, fd, rule);
	}
}
