// SPDX-License-Identifier: GPL-2.0-or-later
/* passt.c - start-up order and the main loop: one thread, one epoll
 * instance, a switch on the type each watched descriptor carries
 *
 * This is the top layer: it may include every other header, and nothing
 * includes it.
 */

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "conf.h"
#include "conf_host.h"
#include "ctx.h"
#include "daemon.h"
#include "dhcpv6.h"
#include "epoll_ref.h"
#include "flow.h"
#include "icmp.h"
#include "isolation.h"
#include "l2.h"
#include "log.h"
#include "migrate.h"
#include "migrate_ctl.h"
#include "ndp.h"
#include "repair.h"
#include "tap.h"
#include "tcp.h"
#include "tcp_migrate.h"
#include "tcp_restore.h"
#include "udp.h"
#include "util.h"
#include "vhost_user.h"
#include "vu_l2.h"

#define EPOLL_EVENTS_MAX	64

/* Descriptors kept beyond one per flow, at most: the front end's, the
 * migration interface's, and those a refused flow holds for a moment
 */
#define PASST_FDS_SPARE		32

static volatile sig_atomic_t passt_quit;
static volatile sig_atomic_t passt_count_asked;

/**
 * passt_signal() - Ask the main loop to end, on SIGTERM or SIGINT
 * @sig:	Signal number, unused
 *
 * #syscalls: rt_sigreturn
 */
static void passt_signal(int sig)
{
	(void)sig;
	passt_quit = 1;
}

/**
 * passt_count_signal() - Ask the main loop to log the flow count, on
 *			  SIGUSR1
 * @sig:	Signal number, unused
 */
static void passt_count_signal(int sig)
{
	(void)sig;
	passt_count_asked = 1;
}

/**
 * passt_fds_for_flows() - Descriptors the limit leaves for flows
 * @fd:		Any open descriptor
 *
 * Descriptors are numbered from the lowest free one up, so the lowest free
 * one now tells how many are open (a few closed ones in between make the
 * count short by as many, which the spare covers).
 *
 * Return: the soft limit, less what is open and a spare
 */
static long passt_fds_for_flows(int fd)
{
	struct rlimit rl;
	long limit, open;
	int probe;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		return 0;
	limit = rl.rlim_cur > (rlim_t)INT32_MAX ? INT32_MAX :
						  (long)rl.rlim_cur;

	probe = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	if (probe < 0)
		return 0;
	open = probe;
	close(probe);

	return limit - open - MIN(PASST_FDS_SPARE, limit / 8);
}

/**
 * passt_timer_init() - Start the periodic protocol timer
 * @c:		Execution context
 */
static void passt_timer_init(struct ctx *c)
{
	struct itimerspec it = {
		.it_interval.tv_nsec = TIMER_INTERVAL_MS * 1000000L,
		.it_value.tv_nsec = TIMER_INTERVAL_MS * 1000000L,
	};
	union epoll_ref ref = { .type = EPOLL_TYPE_TIMER };
	int fd;

	fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (fd < 0 || timerfd_settime(fd, 0, &it, NULL))
		die("Can't start timer: %s", strerror(errno));

	ref.fd = (uint32_t)fd;
	if (epoll_ref_add(c->epollfd, EPOLLIN, ref))
		die("Can't watch timer: %s", strerror(errno));
}

/**
 * passt_timer() - Run the protocols' periodic work
 * @c:		Execution context
 * @fd:		Timer descriptor, to be read
 *
 * #syscalls: read
 */
static void passt_timer(struct ctx *c, int fd)
{
	static const flow_timer_fn flow_timers[FLOW_TYPE_MAX] = {
		[FLOW_TYPE_TCP] = tcp_timer,
		[FLOW_TYPE_PING] = icmp_flow_timer,
		[FLOW_TYPE_UDP] = udp_flow_timer,
	};
	uint64_t expirations;

	(void)!read(fd, &expirations, sizeof(expirations));
	flow_timer(c, flow_timers);
	migrate_timer(c);
	ndp_timer(c);
}

/**
 * passt_wait_ms() - How long the main loop may wait for events
 * @c:		Execution context, with the current time
 *
 * Return: milliseconds until delayed ACKs are due or restored flows try
 *	   again, whichever comes first, -1 if neither waits
 */
static int passt_wait_ms(const struct ctx *c)
{
	int ack = tcp_wait_ms(c), restore = tcp_restore_wait_ms(c);

	if (ack < 0 || (restore >= 0 && restore < ack))
		return restore;
	return ack;
}

/**
 * passt_nofile_raise() - Raise the soft limit on descriptors to the hard
 *			  one: every flow and listening port holds a socket
 */
static void passt_nofile_raise(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) || rl.rlim_cur == rl.rlim_max)
		return;

	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl))
		warn("Can't raise the descriptor limit: %s", strerror(errno));
}

/**
 * passt_dispatch() - Hand one event to the module owning its descriptor
 * @c:		Execution context
 * @ref:	Reference stored with the descriptor
 * @events:	EPOLL* events
 */
static void passt_dispatch(struct ctx *c, union epoll_ref ref,
			   uint32_t events)
{
	switch (ref.type) {
	case EPOLL_TYPE_TAP_LISTEN:
		tap_listen_handler(c, events);
		break;
	case EPOLL_TYPE_TAP:
		tap_handler(c, events);
		break;
	case EPOLL_TYPE_TIMER:
		passt_timer(c, ref.fd);
		break;
	case EPOLL_TYPE_TCP:
		tcp_sock_handler(c, ref, events);
		break;
	case EPOLL_TYPE_TCP_LISTEN:
		tcp_listen_handler(c, ref, events);
		break;
	case EPOLL_TYPE_PING:
		icmp_sock_handler(c, ref, events);
		break;
	case EPOLL_TYPE_UDP:
		udp_sock_handler(c, ref, events);
		break;
	case EPOLL_TYPE_UDP_LISTEN:
		udp_listen_handler(c, ref, events);
		break;
	case EPOLL_TYPE_MIGRATE_CTL:
		migrate_ctl_handler(c, events);
		break;
	case EPOLL_TYPE_REPAIR_LISTEN:
		repair_listen_handler(events);
		break;
	case EPOLL_TYPE_REPAIR:
		repair_handler(events);
		break;
	case EPOLL_TYPE_VHOST_LISTEN:
		vu_listen_handler(c, events);
		break;
	case EPOLL_TYPE_VHOST_CMD:
		vu_cmd_handler(c, ref, events);
		break;
	case EPOLL_TYPE_VHOST_KICK:
		vu_l2_kick(c, ref);
		break;
	default:
		debug("Event for unexpected type %u, fd %u", ref.type, ref.fd);
		break;
	}
}

/**
 * main() - Start up, then run the main loop until a signal or a handler
 *	    (through @quit in the context) ends it, and clean up
 * @argc:	Argument count
 * @argv:	Options
 *
 * Return: 0 on a clean exit; errors exit with 1 from die()
 *
 * #syscalls: epoll_wait|epoll_pwait clock_gettime exit_group
 */
int main(int argc, char **argv)
{
	/* How the flow table closes each type of flow */
	static const struct flow_ops *const flow_ops[FLOW_TYPE_MAX] = {
		[FLOW_TYPE_TCP] = &tcp_flow_ops,
		[FLOW_TYPE_PING] = &icmp_flow_ops,
		[FLOW_TYPE_UDP] = &udp_flow_ops,
	};
	struct epoll_event events[EPOLL_EVENTS_MAX];
	struct sigaction sa = { .sa_handler = passt_signal };
	static struct ctx c;
	int rc;

	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = passt_count_signal;
	sigaction(SIGUSR1, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	conf(&c, argc, argv);
	isolation_fds_close(&c);
	daemon_files_open(&c);
	conf_summary(&c);
	dhcpv6_init(&c);

	passt_nofile_raise();
	c.epollfd = epoll_create1(EPOLL_CLOEXEC);
	if (c.epollfd < 0)
		die("Can't create epoll instance: %s", strerror(errno));
	/* Kept to refuse connections cleanly once out of descriptors */
	rc = fd_spare_init(c.epollfd);
	if (rc)
		die("Can't hold a spare descriptor: %s", strerror(rc));

	clock_gettime(CLOCK_MONOTONIC, &c.now);
	flow_init(flow_ops);
	tcp_init(&c);
	if (c.vhost_user)
		vu_init(&c);
	else
		tap_init(&c);
	migrate_ctl_init(&c);
	repair_init(&c);
	udp_init(&c);
	passt_timer_init(&c);
	flow_budget_init(passt_fds_for_flows(c.epollfd));

	/* Every socket and file that may need root is open by now */
	isolation_user(&c);
	isolation_prefork(&c);
	daemon_start(&c);
	isolation_postfork(&c);
	daemon_ready(&c);

	while (!passt_quit && !c.quit) {
		int n, i;

		if (passt_count_asked) {
			passt_count_asked = 0;
			flow_count_log();
		}

		/* Wake up for delayed ACKs, or restored flows, if any wait */
		n = epoll_wait(c.epollfd, events, EPOLL_EVENTS_MAX,
			       passt_wait_ms(&c));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			die("epoll_wait: %s", strerror(errno));
		}

		clock_gettime(CLOCK_MONOTONIC, &c.now);
		/* Nothing more is handled once a handler ended the loop */
		for (i = 0; i < n && !c.quit; i++) {
			union epoll_ref ref = { .u64 = events[i].data.u64 };

			passt_dispatch(&c, ref, events[i].events);
		}
		tcp_restore_poll(&c);
		tcp_defer_handler(&c);
		l2_flush(&c);
		flow_defer_handler();
	}

	migrate_ctl_cleanup(&c);
	if (c.vhost_user)
		vu_cleanup(&c);
	else
		tap_cleanup(&c);
	return EXIT_SUCCESS;
}
