// SPDX-License-Identifier: GPL-2.0-or-later
/* fwd_listen.c - the host sockets that listen for inbound forwarding rules
 * (-t and -u): one per port, bound as the rule says, and watched with a
 * reference naming the rule, the family and the port
 *
 * A rule without an address listens in every enabled family it allows.
 * TCP takes both families on one IPv6 socket with IPV6_V6ONLY off; UDP
 * keeps a socket per family, as its handler reads each family's packet
 * information. A rule with an address listens on that address only.
 *
 * A port that can't be bound ends the daemon, unless its rule is weak
 * ("all", or exclusions only): those are best effort, so a port in use is
 * left out with one warning for the lot. Weak rules also stop short of the
 * descriptor limit, keeping part of it for the connections and flows the
 * ports bring: with "all", ports would otherwise take every descriptor.
 *
 * Every socket opened is kept in a list, for a migration: a source closes
 * them all once its state is saved, so that a target on the same host can
 * take the ports, and opens them again if the migration is cancelled. In
 * vhost-user mode, a port in use at start doesn't end the daemon either: a
 * migration source on this host may hold it, and the ports are taken again
 * once the state is loaded (fwd_listen_reopen()). Reopening is best effort:
 * a port that can't be bound then is left out, with a warning.
 */

#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ctx.h"
#include "epoll_ref.h"
#include "flow.h"
#include "fwd.h"
#include "fwd_listen.h"
#include "inany.h"
#include "log.h"
#include "util.h"

/* Accept queue: the kernel caps it at net.core.somaxconn, so this asks for
 * the longest the host allows, which inbound bursts need
 */
#define FWD_LISTEN_BACKLOG	INT_MAX
/* Descriptors kept beyond one per flow: the daemon's own files and
 * sockets, and the front end's
 */
#define FWD_LISTEN_SPARE	64
/* Sockets in the list at most: two protocols, two families, every port */
#define FWD_LISTEN_MAX		(2 * 2 * 65536)

/**
 * struct fwd_listen_kind - A table opened, to open it again
 * @t:		Rules
 * @proto:	IPPROTO_TCP or IPPROTO_UDP
 * @setup:	Protocol options for each socket, NULL for none
 */
struct fwd_listen_kind {
	const struct fwd_table *t;
	uint8_t proto;
	fwd_listen_setup_fn setup;
};

/* The tables opened, and every listening socket open, in no order */
static struct fwd_listen_kind fwd_listen_kinds[2];
static unsigned fwd_listen_kinds_n;
static int fwd_listen_fds[FWD_LISTEN_MAX];
static unsigned fwd_listen_fds_n;
/* Some port of a rule that isn't weak has no socket: closed, or in use */
static bool fwd_listen_short;

/**
 * struct fwd_listen_walk - One table being opened
 * @proto:	IPPROTO_TCP or IPPROTO_UDP
 * @setup:	Protocol options for each socket, NULL for none
 * @fd_max:	Highest descriptor a weak rule's socket may have
 * @opt:	Option the rules came from, for messages
 */
struct fwd_listen_walk {
	uint8_t proto;
	fwd_listen_setup_fn setup;
	long fd_max;
	const char *opt;
};

/**
 * struct fwd_listen_sock - One of the sockets a rule opens on each port
 * @addr:	Address to bind, the family's wildcard for any
 * @v6only:	IPv6 socket that takes no IPv4 connections
 */
struct fwd_listen_sock {
	union inany_addr addr;
	bool v6only;
};

/**
 * fwd_listen_keep() - Descriptors weak rules leave free
 * @limit:	Descriptor limit
 *
 * Return: one per flow the table can hold, but at most half the limit,
 *	   plus the daemon's own
 */
static long fwd_listen_keep(long limit)
{
	return MIN((long)FLOW_MAX, limit / 2) + FWD_LISTEN_SPARE;
}

/**
 * fwd_listen_limit() - Current soft limit on descriptors
 *
 * Return: the limit, capped to what a long holds
 *
 * #syscalls: prlimit64
 */
static long fwd_listen_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		return 1024;
	return rl.rlim_cur > (rlim_t)INT32_MAX ? INT32_MAX : (long)rl.rlim_cur;
}

/**
 * fwd_listen_socks() - The sockets a rule opens on each of its ports
 * @c:		Execution context
 * @r:		Rule
 * @dual:	One IPv6 socket may take both families
 * @socks:	Filled with up to two entries
 *
 * Return: number of entries, 0 if the rule covers no enabled family
 */
static unsigned fwd_listen_socks(const struct ctx *c, const struct fwd_rule *r,
				 bool dual, struct fwd_listen_sock socks[2])
{
	bool v4 = c->ip4.enabled && !(r->flags & FWD_V6_ONLY);
	bool v6 = c->ip6.enabled && !(r->flags & FWD_V4_ONLY);
	unsigned n = 0;

	if (!inany_is_unspecified(&r->addr)) {
		socks[0].addr = r->addr;
		socks[0].v6only = true;
		return 1;
	}

	if (v4 && (!v6 || !dual)) {
		inany_from_v4(&socks[n].addr,
			      (struct in_addr){ htonl(INADDR_ANY) });
		socks[n++].v6only = false;
	}
	if (v6) {
		inany_from_v6(&socks[n].addr, &in6addr_any);
		socks[n++].v6only = !v4 || !dual;
	}

	return n;
}

/**
 * fwd_listen_opts() - Options of a new listening socket, before bind()
 * @c:		Execution context
 * @w:		Table being opened
 * @r:		Rule
 * @s:		Socket
 * @ls:		What the socket binds
 *
 * Return: 0 on success, a positive errno on failure
 */
static int fwd_listen_opts(const struct ctx *c,
			   const struct fwd_listen_walk *w,
			   const struct fwd_rule *r, int s,
			   const struct fwd_listen_sock *ls)
{
	bool v4 = !!inany_v4(&ls->addr);
	int one = 1, v6only = ls->v6only;

	if (setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    (!v4 && setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &v6only,
			       sizeof(v6only))))
		return errno;

	if (c->freebind &&
	    setsockopt(s, v4 ? IPPROTO_IP : IPPROTO_IPV6,
		       v4 ? IP_FREEBIND : IPV6_FREEBIND, &one, sizeof(one)))
		return errno;

	if (r->ifname[0] &&
	    setsockopt(s, SOL_SOCKET, SO_BINDTODEVICE, r->ifname,
		       (socklen_t)strlen(r->ifname)))
		return errno;

	return w->setup ? w->setup(s, v4) : 0;
}

/**
 * fwd_listen_one() - Open, bind and watch one listening socket
 * @c:		Execution context
 * @w:		Table being opened
 * @t:		Table
 * @idx:	Index of the rule in @t
 * @ls:		What the socket binds
 * @port:	Host port
 *
 * Return: 0 on success, a positive errno on failure: EMFILE also when a
 *	   weak rule reaches the descriptors kept for flows
 */
static int fwd_listen_one(const struct ctx *c, const struct fwd_listen_walk *w,
			  const struct fwd_table *t, unsigned idx,
			  const struct fwd_listen_sock *ls, uint16_t port)
{
	const struct fwd_rule *r = &t->rules[idx];
	bool v4 = !!inany_v4(&ls->addr), tcp = w->proto == IPPROTO_TCP;
	union epoll_ref ref = {
		.type = tcp ? EPOLL_TYPE_TCP_LISTEN : EPOLL_TYPE_UDP_LISTEN,
		.index = FWD_LISTEN_REF(idx, !v4, port),
	};
	union sockaddr_inany sa;
	socklen_t sl;
	int s, rc;

	s = socket(v4 ? AF_INET : AF_INET6,
		   (tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_NONBLOCK |
		   SOCK_CLOEXEC, w->proto);
	if (s < 0)
		return errno;
	if (s > EPOLL_REF_FD_MAX || ((r->flags & FWD_WEAK) && s > w->fd_max) ||
	    fwd_listen_fds_n >= ARRAY_SIZE(fwd_listen_fds)) {
		close(s);
		return EMFILE;
	}

	rc = fwd_listen_opts(c, w, r, s, ls);
	if (rc)
		goto fail;

	sl = inany_to_sockaddr(&sa, &ls->addr, port, c->ip6.ifi);
	if (bind(s, &sa.sa, sl) || (tcp && listen(s, FWD_LISTEN_BACKLOG))) {
		rc = errno;
		goto fail;
	}

	ref.fd = (uint32_t)s;
	rc = epoll_ref_add(c->epollfd, EPOLLIN, ref);
	if (!rc) {
		fwd_listen_fds[fwd_listen_fds_n++] = s;
		return 0;
	}

fail:
	close(s);
	return rc;
}

/**
 * fwd_listen_walk() - Listen on every port of every rule of a table
 * @c:		Execution context
 * @kind:	Table, protocol and options
 * @again:	Opening it again: nothing ends the daemon
 *
 * Failures end the daemon, except on weak rules, which warn once for the
 * ports in use and once for those the descriptor limit leaves out; except
 * in vhost-user mode for ports in use, which a migration source on this
 * host may hold; and except when opening again, where every port that
 * fails is left out.
 *
 * #syscalls: listen
 */
static void fwd_listen_walk(const struct ctx *c,
			    const struct fwd_listen_kind *kind, bool again)
{
	const struct fwd_table *t = kind->t;
	long limit = fwd_listen_limit();
	struct fwd_listen_walk w = {
		.proto = kind->proto,
		.setup = kind->setup,
		.fd_max = limit - fwd_listen_keep(limit) - 1,
		.opt = kind->proto == IPPROTO_TCP ? "-t" : "-u",
	};
	unsigned in_use = 0, in_use_first = 0, capped = 0, capped_first = 0;
	unsigned deferred = 0, deferred_first = 0;
	unsigned i;

	for (i = 0; i < t->count; i++) {
		const struct fwd_rule *r = &t->rules[i];
		bool weak = (r->flags & FWD_WEAK) || again;
		struct fwd_listen_sock socks[2];
		unsigned n, port, bound = 0;

		n = fwd_listen_socks(c, r, kind->proto == IPPROTO_TCP, socks);
		for (port = r->first; n && port <= r->last; port++) {
			bool full = false, busy = false, later = false;
			unsigned k;

			for (k = 0; k < n; k++) {
				int rc;

				if (weak && capped) {
					full = true;
					break;
				}

				rc = fwd_listen_one(c, &w, t, i, &socks[k],
						    (uint16_t)port);
				if (!rc) {
					bound++;
					continue;
				}
				/* A source on this host may hold it */
				if (!weak && c->vhost_user &&
				    rc == EADDRINUSE) {
					later = true;
					continue;
				}
				if (!weak) {
					die("%s: can't listen on port %u: %s",
					    w.opt, port, strerror(rc));
				}
				if (rc == EMFILE || rc == ENFILE) {
					full = true;
					break;
				}
				debug("%s: can't listen on port %u: %s",
				      w.opt, port, strerror(rc));
				busy = true;
			}

			if (full) {
				if (!capped++)
					capped_first = port;
			} else if (later) {
				if (!deferred++)
					deferred_first = port;
			} else if (busy && !in_use++) {
				in_use_first = port;
			}
		}

		if (!(r->flags & FWD_WEAK) &&
		    bound < n * (r->last - r->first + 1U))
			fwd_listen_short = true;
		if (weak && !again && n && !bound && !capped)
			die("%s: can't listen on any port from %u to %u",
			    w.opt, r->first, r->last);
	}

	if (deferred) {
		warn("%s: %u ports in use, not forwarded until a migration's"
		     " state is loaded (the first: %u)", w.opt, deferred,
		     deferred_first);
	}
	if (in_use) {
		warn("%s: %u ports not forwarded, in use or not available"
		     " (the first: %u)", w.opt, in_use, in_use_first);
	}
	if (capped) {
		warn("%s: %u ports not forwarded from port %u on: the"
		     " descriptor limit of %ld keeps %ld for connections;"
		     " raise the hard limit (ulimit -Hn) to forward them",
		     w.opt, capped, capped_first, limit,
		     fwd_listen_keep(limit));
	}
}

/**
 * fwd_listen_table() - Listen on every port of every rule of a table, and
 *			remember the table for fwd_listen_reopen()
 * @c:		Execution context
 * @t:		Rules of -t (TCP) or -u (UDP), as long as the daemon runs
 * @proto:	IPPROTO_TCP or IPPROTO_UDP
 * @setup:	Protocol options for each socket before bind(), may be NULL
 *
 * Failures end the daemon, but see fwd_listen_walk().
 */
void fwd_listen_table(const struct ctx *c, const struct fwd_table *t,
		      uint8_t proto, fwd_listen_setup_fn setup)
{
	struct fwd_listen_kind *kind = fwd_listen_kinds;

	/* One table per protocol: a new one replaces the old */
	while (kind < fwd_listen_kinds + fwd_listen_kinds_n &&
	       kind->proto != proto)
		kind++;
	ASSERT(kind < fwd_listen_kinds + ARRAY_SIZE(fwd_listen_kinds));
	if (kind == fwd_listen_kinds + fwd_listen_kinds_n)
		fwd_listen_kinds_n++;
	kind->t = t;
	kind->proto = proto;
	kind->setup = setup;

	fwd_listen_walk(c, kind, false);
}

/**
 * fwd_listen_close() - Close every listening socket of every table
 * @c:		Execution context
 *
 * #syscalls: close
 */
void fwd_listen_close(const struct ctx *c)
{
	unsigned i;

	for (i = 0; i < fwd_listen_fds_n; i++) {
		epoll_ref_del(c->epollfd, fwd_listen_fds[i]);
		close(fwd_listen_fds[i]);
	}
	if (fwd_listen_fds_n)
		info("Closed %u listening sockets", fwd_listen_fds_n);
	fwd_listen_fds_n = 0;
	fwd_listen_short = true;
}

/**
 * fwd_listen_complete() - Does every port of every rule that isn't weak
 *			   have its sockets?
 *
 * Return: false after fwd_listen_close(), or if a port was in use
 */
bool fwd_listen_complete(void)
{
	return !fwd_listen_short;
}

/**
 * fwd_listen_reopen() - Close every listening socket, and listen again on
 *			 every port of every table, as far as possible
 * @c:		Execution context
 *
 * A port that fails now is left out, with a warning: this never ends the
 * daemon.
 */
void fwd_listen_reopen(const struct ctx *c)
{
	unsigned i;

	fwd_listen_close(c);
	fwd_listen_short = false;
	for (i = 0; i < fwd_listen_kinds_n; i++)
		fwd_listen_walk(c, &fwd_listen_kinds[i], true);
	if (fwd_listen_fds_n)
		info("Listening again on %u sockets", fwd_listen_fds_n);
}
