// SPDX-License-Identifier: GPL-2.0-or-later
/* fe_sock.c - the UNIX domain socket a front end listens on, whichever
 * front end it is: the path given with -s, or the first free default path,
 * with a stale socket file left by a daemon that died removed first; and
 * accepting its clients
 */

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctx.h"
#include "fe_sock.h"
#include "log.h"

/* Default socket paths: /tmp/passt_1.socket to /tmp/passt_99.socket */
#define FE_SOCK_FMT		"/tmp/passt_%u.socket"
#define FE_SOCK_MAX		99

/**
 * fe_sock_probe() - Tell whether something listens at a socket path
 * @addr:	Address to probe
 *
 * Return: 0 if nothing listens (no file, or a stale one left behind),
 *	   EADDRINUSE if a server answers or the path can't be used,
 *	   otherwise a positive errno from socket()
 */
static int fe_sock_probe(const struct sockaddr_un *addr)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int rc = 0;

	if (fd < 0)
		return errno;

	/* Connected, or failed for a reason other than nobody being there */
	if (!connect(fd, (const struct sockaddr *)addr, sizeof(*addr)) ||
	    (errno != ENOENT && errno != ECONNREFUSED))
		rc = EADDRINUSE;

	close(fd);
	return rc;
}

/**
 * fe_sock_bind() - Bind and listen on a path, removing a stale socket
 * @path:	Socket path
 *
 * Return: listening socket, or -1 with errno set
 */
static int fe_sock_bind(const char *path)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int fd, rc;

	if (strlen(path) >= sizeof(addr.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(addr.sun_path, path, strlen(path) + 1);

	rc = fe_sock_probe(&addr);
	if (rc) {
		errno = rc;
		return -1;
	}
	/* Nothing answers: a socket file here is stale */
	unlink(path);

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;

	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) ||
	    listen(fd, 0)) {
		rc = errno;
		close(fd);
		errno = rc;
		return -1;
	}

	return fd;
}

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
		fd = fe_sock_bind(c->sock_path);
		if (fd < 0)
			die("Can't listen on %s: %s", c->sock_path,
			    strerror(errno));
		return fd;
	}

	for (i = 1; i <= FE_SOCK_MAX; i++) {
		char path[UNIX_PATH_MAX];

		snprintf(path, sizeof(path), FE_SOCK_FMT, i);
		fd = fe_sock_bind(path);
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

	fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0) {
		if (errno != EAGAIN && errno != EINTR)
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
