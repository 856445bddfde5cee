// SPDX-License-Identifier: GPL-2.0-or-later
/* tcp_listen.c - inbound forwarding (-t): a listening socket for every
 * forwarded host port, and accepting connections on them
 *
 * A rule without an address listens on a dual-stack socket ([::] with
 * IPV6_V6ONLY off), or on one family if the rule or the configuration
 * says so. The epoll reference of each listening socket carries the index
 * of its rule, which gives the guest port.
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
#include "log.h"
#include "tcp.h"
#include "tcp_conn.h"
#include "util.h"

#define TCP_LISTEN_BACKLOG	128
/* Connections accepted per event, so one busy port can't starve others */
#define TCP_ACCEPT_BATCH	64

/**
 * tcp_listen_one() - Open a listening socket on one port of a rule
 * @c:		Execution context
 * @rule:	Rule
 * @idx:	Index of @rule in c->tcp_fwd
 * @port:	Host port
 *
 * Return: 0 on success, a positive errno on failure
 */
static int tcp_listen_one(const struct ctx *c, const struct fwd_rule *rule,
			  unsigned idx, uint16_t port)
{
	union epoll_ref ref = { .type = EPOLL_TYPE_TCP_LISTEN, .index = idx };
	bool v4_only = (rule->flags & FWD_V4_ONLY) ||
		       (c->ip4.enabled && !c->ip6.enabled);
	bool v6_only = (rule->flags & FWD_V6_ONLY) ||
		       (c->ip6.enabled && !c->ip4.enabled);
	union inany_addr addr = rule->addr;
	union sockaddr_inany sa;
	int fd, one = 1, rc;
	socklen_t sl;

	if (inany_is_unspecified(&addr) && v4_only)
		inany_from_v4(&addr, (struct in_addr){ htonl(INADDR_ANY) });

	sl = inany_to_sockaddr(&sa, &addr, port, c->ip6.ifi);
	fd = socket(sa.sa.sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    IPPROTO_TCP);
	if (fd < 0)
		return errno;
	if (fd > EPOLL_REF_FD_MAX) {
		close(fd);
		return EMFILE;
	}

	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (sa.sa.sa_family == AF_INET6) {
		/* Dual-stack only for the wildcard of a rule with no family */
		int v6only = !inany_is_unspecified(&addr) || v6_only;

		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only,
			   sizeof(v6only));
	}
	if (*rule->ifname &&
	    setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, rule->ifname,
		       (socklen_t)strlen(rule->ifname)))
		goto fail;

	if (bind(fd, &sa.sa, sl) || listen(fd, TCP_LISTEN_BACKLOG))
		goto fail;

	ref.fd = (uint32_t)fd;
	rc = epoll_ref_add(c->epollfd, EPOLLIN, ref);
	if (rc) {
		close(fd);
		return rc;
	}

	return 0;

fail:
	rc = errno;
	close(fd);
	return rc;
}

/**
 * tcp_listen_init() - Listen on every port of every -t rule
 * @c:		Execution context
 *
 * A port that can't be bound ends the daemon, except for weak rules (such
 * as "all"), where only a rule with no port bound at all does.
 */
void tcp_listen_init(struct ctx *c)
{
	unsigned i;

	for (i = 0; i < c->tcp_fwd.count; i++) {
		const struct fwd_rule *r = &c->tcp_fwd.rules[i];
		unsigned bound = 0, port;

		for (port = r->first; port <= r->last; port++) {
			int rc = tcp_listen_one(c, r, i, (uint16_t)port);

			if (!rc) {
				bound++;
				continue;
			}
			if (!(r->flags & FWD_WEAK))
				die("Can't listen on TCP port %u: %s", port,
				    strerror(rc));
			debug("Can't listen on TCP port %u: %s", port,
			      strerror(rc));
		}

		if (!bound)
			die("Can't listen on any TCP port %u-%u", r->first,
			    r->last);
	}
}

/**
 * tcp_listen_handler() - Accept connections on a forwarded port
 * @c:		Execution context
 * @ref:	Reference: socket and rule index
 * @events:	EPOLL* events
 */
void tcp_listen_handler(struct ctx *c, union epoll_ref ref, uint32_t events)
{
	const struct fwd_rule *rule;
	unsigned i;

	if (!(events & EPOLLIN) || ref.index >= c->tcp_fwd.count)
		return;
	rule = &c->tcp_fwd.rules[ref.index];

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
