// SPDX-License-Identifier: GPL-2.0-or-later
/* fe_sock.c - the UNIX domain socket a front end listens on, whichever
 * front end it is: the path given with -s, or the first free default path
 * (unix_sock_listen() removes a stale socket file left by a daemon that
 * died); and accepting its clients, also when out of descriptors
 */

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "ctx.h"
#include "fe_sock.h"
#include "log.h"
#include "util.h"

/* Default socket paths: /tmp/passt_1.socket to /tmp/passt_99.socket */
#define FE_SOCK_FMT		"/tmp/passt_%u.socket"
#define FE_SOCK_MAX		99

/**
 * fe_sock_listen() - Open the listening socket at the given or first free path
 * @c:		Execution context, c->sock_path filled in if it was empty
 *
 * Return: listening socket; failures are fatal
 */
int fe_sock_listen(struct ctx *c)
{
	unsigned i;
	int fd;

	if (*c->sock_path) {
		fd = unix_sock_listen(c->sock_path);
		if (fd < 0)
			die("Can't listen on %s: %s", c->sock_path,
			    strerror(errno));
		return fd;
	}

	for (i = 1; i <= FE_SOCK_MAX; i++) {
		char path[UNIX_PATH_MAX];

		snprintf(path, sizeof(path), FE_SOCK_FMT, i);
		fd = unix_sock_listen(path);
		if (fd >= 0) {
			memcpy(c->sock_path, path, sizeof(path));
			return fd;
		}
		if (errno != EADDRINUSE)
			debug("Can't use %s: %s", path, strerror(errno));
	}

	die("No free socket path from " FE_SOCK_FMT " to " FE_SOCK_FMT,
	    1U, FE_SOCK_MAX);
}

/**
 * fe_sock_accept() - Accept a client on a front end's listening socket
 * @listen_fd:	Listening socket
 * @who:	Who connected, for the log ("pid N"), filled in
 * @len:	Room in @who
 *
 * Return: connected socket, -1 if there was nobody to accept
 *
 * #syscalls: accept4 getsockopt
 */
int fe_sock_accept(int listen_fd, char *who, size_t len)
{
	struct ucred cred = { .pid = 0 };
	socklen_t cred_len = sizeof(cred);
	int fd;

	fd = fd_accept(listen_fd, SOCK_CLOEXEC);
	if (fd < 0) {
		if (errno == ECONNREFUSED)
			warn_ratelimit("Refusing client: out of descriptors");
		else if (errno != EAGAIN && errno != EINTR)
			debug_ratelimit("accept: %s", strerror(errno));
		return -1;
	}

	/* In the background, our PID namespace holds no one else: the
	 * kernel gives 0 for a client's PID, which we can't know
	 */
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &cred_len) ||
	    cred.pid <= 0)
		snprintf(who, len, "pid unknown");
	else
		snprintf(who, len, "pid %i", (int)cred.pid);

	return fd;
}
