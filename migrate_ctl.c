// SPDX-License-Identifier: GPL-2.0-or-later
/* migrate_ctl.c - test interface for migration (--migrate-ctl PATH)
 *
 * Until a front end hands over migration descriptors (vhost-user), this is
 * how tests drive migrate_source() and migrate_target() in a running daemon.
 * A client connects to a UNIX SOCK_SEQPACKET socket and sends one message:
 * the word "save" or "load", with one descriptor attached (SCM_RIGHTS). The
 * daemon writes its migration stream to the descriptor, or reads one from
 * it, synchronously, closes it, and replies with the result as a decimal
 * number and a newline: 0, or a positive errno. One request per connection.
 * A save is a snapshot: the daemon goes on serving its guest, connections
 * included, as after a cancelled migration.
 *
 * Anyone who can connect can read and replace the guest's addresses: this is
 * for tests only, and the socket is created with mode 0600.
 */

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctx.h"
#include "epoll_ref.h"
#include "log.h"
#include "migrate.h"
#include "migrate_ctl.h"
#include "util.h"

/* Longest command we accept, "save" or "load" */
#define MIGRATE_CTL_CMD_MAX	8

/* How long a client may take to send its request, or to take the reply */
#define MIGRATE_CTL_TIMEOUT_S	2

static int migrate_ctl_fd = -1;
/* Socket file, ours to remove at exit */
static struct path_at migrate_ctl_sock = PATH_AT_NONE;

/**
 * migrate_ctl_init() - Listen on the test interface's socket, if configured
 * @c:		Execution context
 */
void migrate_ctl_init(struct ctx *c)
{
	union epoll_ref ref = { .type = EPOLL_TYPE_MIGRATE_CTL };
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	const char *path = c->migrate_ctl_path;
	int fd, rc;

	if (!*path)
		return;

	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die("Can't create migration control socket: %s",
		    strerror(errno));

	/* conf() checked that the path fits */
	memcpy(addr.sun_path, path, sizeof(addr.sun_path));
	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)))
		die("Can't bind migration control socket %s: %s", path,
		    strerror(errno));
	if (chmod(path, 0600) || listen(fd, 1))
		die("Can't set up migration control socket %s: %s", path,
		    strerror(errno));

	/* Ours to remove at exit, also once we run as --runas, in a sticky
	 * directory such as /tmp
	 */
	if (!geteuid() && lchown(path, c->runas_uid, c->runas_gid))
		warn("Can't hand %s over to user %u: %s", path,
		     (unsigned)c->runas_uid, strerror(errno));

	rc = path_at_open(&migrate_ctl_sock, path);
	if (rc)
		warn("%s won't be removed at exit: %s", path, strerror(rc));

	ref.fd = (uint32_t)fd;
	rc = epoll_ref_add(c->epollfd, EPOLLIN, ref);
	if (rc)
		die("Can't watch migration control socket: %s", strerror(rc));

	migrate_ctl_fd = fd;
	info("Migration test interface listening on %s", path);
}

/**
 * migrate_ctl_recv() - Receive a request: a command and one descriptor
 * @conn:	Connected client
 * @save:	Set if the command is "save", cleared if it is "load"
 * @fd:		Descriptor received, -1 if none, set on any return
 *
 * Return: 0 on success, a positive errno on failure
 *
 * #syscalls: recvmsg
 */
static int migrate_ctl_recv(int conn, bool *save, int *fd)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	char cmd[MIGRATE_CTL_CMD_MAX];
	struct iovec iov = { .iov_base = cmd, .iov_len = sizeof(cmd) };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = u.buf, .msg_controllen = sizeof(u.buf),
	};
	struct cmsghdr *cmsg;
	ssize_t n;

	*fd = -1;

	do
		n = recvmsg(conn, &mh, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno;

	cmsg = CMSG_FIRSTHDR(&mh);
	if (cmsg && cmsg->cmsg_level == SOL_SOCKET &&
	    cmsg->cmsg_type == SCM_RIGHTS &&
	    cmsg->cmsg_len == CMSG_LEN(sizeof(int)))
		memcpy(fd, CMSG_DATA(cmsg), sizeof(int));

	/* More descriptors than one, or a longer command: not ours */
	if (mh.msg_flags & (MSG_CTRUNC | MSG_TRUNC))
		return EINVAL;
	if (*fd < 0)
		return EBADF;

	if (n == 4 && !memcmp(cmd, "save", 4))
		*save = true;
	else if (n == 4 && !memcmp(cmd, "load", 4))
		*save = false;
	else
		return EINVAL;

	return 0;
}

/**
 * migrate_ctl_handler() - Serve one request on the test interface
 * @c:		Execution context
 * @events:	EPOLL* events, unused: the listening socket only reads
 *
 * #syscalls: accept4 setsockopt sendto close
 */
void migrate_ctl_handler(struct ctx *c, uint32_t events)
{
	const struct timeval tv = { .tv_sec = MIGRATE_CTL_TIMEOUT_S };
	bool save = false;
	char reply[16];
	int conn, fd, rc;

	(void)events;

	conn = fd_accept(migrate_ctl_fd, SOCK_CLOEXEC);
	if (conn < 0) {
		debug("Migration control: accept: %s", strerror(errno));
		return;
	}

	if (setsockopt(conn, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) ||
	    setsockopt(conn, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv))) {
		debug("Migration control: timeouts: %s", strerror(errno));
		close(conn);
		return;
	}

	rc = migrate_ctl_recv(conn, &save, &fd);
	if (!rc && save) {
		/* A snapshot: the daemon goes on serving the guest */
		rc = migrate_source(c, fd);
		if (!rc)
			migrate_source_cancel(c);
	} else if (!rc) {
		rc = migrate_target(c, fd);
	}
	if (fd >= 0)
		close(fd);

	debug("Migration control: request done: %s", strerror(rc));
	snprintf(reply, sizeof(reply), "%d\n", rc);
	if (send(conn, reply, strlen(reply), MSG_NOSIGNAL) < 0)
		debug("Migration control: reply: %s", strerror(errno));
	close(conn);
}

/**
 * migrate_ctl_cleanup() - Close the test interface and remove its socket
 * @c:		Execution context
 *
 * #syscalls: close
 */
void migrate_ctl_cleanup(const struct ctx *c)
{
	if (migrate_ctl_fd < 0)
		return;

	close(migrate_ctl_fd);
	migrate_ctl_fd = -1;
	if (path_at_unlink(&migrate_ctl_sock))
		debug("Can't remove %s", c->migrate_ctl_path);
}
