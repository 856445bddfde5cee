// SPDX-License-Identifier: GPL-2.0-or-later
/* repair.c - the daemon's side of the repair helper protocol: the UNIX
 * socket passt-repair connects to, the one helper connected at a time, and
 * switching TCP sockets in and out of repair mode through it
 *
 * TCP_REPAIR needs CAP_NET_ADMIN, which the daemon never holds: the helper,
 * a separate process that has it, sets the option on sockets we pass it.
 * Each message is one command byte (REPAIR_ON, REPAIR_OFF or
 * REPAIR_OFF_NO_WP, as the socket option takes it) with 1 to
 * REPAIR_FDS_MAX descriptors attached (SCM_RIGHTS); the helper sets the
 * option on each of them and echoes the byte. Anything else from the helper
 * (no echo in time, another byte, the connection closed) is a failure, and
 * the helper is dropped: a late answer could otherwise be taken for the
 * echo of the next message. Every message carries REPAIR_FDS_MAX
 * descriptors, padded with an unconnected socket, for upstream's helper
 * (see repair_send()); and an echo isn't taken on trust: every socket is
 * checked to be in the mode asked for. doc/passt-repair.1 describes the
 * protocol.
 *
 * The socket exists in vhost-user mode, and with the migration test
 * interface (--migrate-ctl), unless --repair-path none. While no request is
 * under way, the helper should send nothing: data or a hang-up then means
 * it went away.
 */

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ctx.h"
#include "epoll_ref.h"
#include "log.h"
#include "repair.h"
#include "util.h"

static int repair_listen_fd = -1;	/* Listening socket, -1 if none */
static int repair_helper_fd = -1;	/* Connected helper, -1 if none */
static int repair_epollfd = -1;		/* The main loop's epoll instance */
static char repair_path[UNIX_PATH_MAX];	/* Bound path */
static struct path_at repair_path_at = PATH_AT_NONE;	/* Ours to remove */
static int repair_filler_fd = -1;	/* Unconnected TCP socket, padding */

/**
 * repair_cleanup() - Close the helper's connection and the listening
 *		      socket, and remove its path: at exit, whichever way the
 *		      daemon leaves
 *
 * #syscalls: close
 */
static void repair_cleanup(void)
{
	if (repair_helper_fd >= 0) {
		close(repair_helper_fd);
		repair_helper_fd = -1;
	}

	if (repair_filler_fd >= 0) {
		close(repair_filler_fd);
		repair_filler_fd = -1;
	}

	if (repair_listen_fd < 0)
		return;

	close(repair_listen_fd);
	repair_listen_fd = -1;
	path_at_unlink(&repair_path_at);
}

/**
 * repair_init() - Listen for the repair helper, if configured
 * @c:		Execution context, with the front end's socket path chosen
 *
 * Failures are fatal: a daemon asked to carry TCP connections across a
 * migration shouldn't start without the means to.
 */
void repair_init(struct ctx *c)
{
	union epoll_ref ref = { .type = EPOLL_TYPE_REPAIR_LISTEN };
	int fd, rc;

	repair_epollfd = c->epollfd;
	if (!c->repair)
		return;

	if (c->repair_path[0]) {
		memcpy(repair_path, c->repair_path, sizeof(repair_path));
	} else if (!c->sock_path[0]) {
		info("No repair helper socket: no socket path to append "
		     REPAIR_PATH_SUFFIX " to (give --repair-path)");
		return;
	} else if (snprintf(repair_path, sizeof(repair_path), "%s%s",
			    c->sock_path, REPAIR_PATH_SUFFIX) >=
		   (int)sizeof(repair_path)) {
		/* conf() refused a -s path too long for this */
		die("Repair helper socket path too long");
	}

	repair_filler_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (repair_filler_fd < 0)
		repair_filler_fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC,
					  0);
	if (repair_filler_fd < 0)
		die("Can't create a TCP socket for the repair helper: %s",
		    strerror(errno));

	fd = unix_sock_listen(repair_path);
	if (fd < 0)
		die("Can't listen for the repair helper on %s: %s",
		    repair_path, strerror(errno));
	repair_listen_fd = fd;
	/* Removed at exit through its directory: the path leads nowhere
	 * once the daemon left the host's filesystem (isolation.c)
	 */
	rc = path_at_open(&repair_path_at, repair_path);
	if (rc)
		die("Can't open the directory of %s: %s", repair_path,
		    strerror(rc));
	if (atexit(repair_cleanup))
		warn("%s won't be removed at exit", repair_path);
	if (fd > EPOLL_REF_FD_MAX)
		die("Repair helper socket descriptor %i too large", fd);

	/* Ours to remove at exit, also once we run as --runas, in a sticky
	 * directory such as /tmp. The helper runs as root, or as our user
	 * with CAP_NET_ADMIN: nobody else needs to connect.
	 */
	if (chmod(repair_path, 0600))
		die("Can't set up repair helper socket %s: %s", repair_path,
		    strerror(errno));
	if (!geteuid() && lchown(repair_path, c->runas_uid, c->runas_gid))
		warn("Can't hand %s over to user %u: %s", repair_path,
		     (unsigned)c->runas_uid, strerror(errno));

	ref.fd = (uint32_t)fd;
	rc = epoll_ref_add(c->epollfd, EPOLLIN, ref);
	if (rc)
		die("Can't watch repair helper socket: %s", strerror(rc));

	info("Repair helper socket at %s", repair_path);
}

/**
 * repair_drop() - Close the connection to the helper
 * @why:	What happened, for the log
 *
 * #syscalls: epoll_ctl close
 */
static void repair_drop(const char *why)
{
	if (repair_helper_fd < 0)
		return;

	info("Repair helper %s: closing its connection", why);
	epoll_ref_del(repair_epollfd, repair_helper_fd);
	close(repair_helper_fd);
	repair_helper_fd = -1;
}

/**
 * repair_accept() - Take a helper's connection, or turn away an extra one
 *
 * #syscalls: accept4 getsockopt epoll_ctl close
 */
static void repair_accept(void)
{
	union epoll_ref ref = { .type = EPOLL_TYPE_REPAIR };
	struct ucred cred = { .pid = 0 };
	socklen_t cred_len = sizeof(cred);
	int fd, rc;

	fd = accept4(repair_listen_fd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0) {
		if (errno != EAGAIN && errno != EINTR)
			debug_ratelimit("Repair helper: accept: %s",
					strerror(errno));
		return;
	}

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &cred_len))
		cred.pid = 0;

	if (repair_helper_fd >= 0) {
		info("Refusing repair helper (pid %i): one is already "
		     "connected", (int)cred.pid);
		close(fd);
		return;
	}

	if (fd > EPOLL_REF_FD_MAX) {
		warn("Repair helper descriptor %i too large, refusing it", fd);
		close(fd);
		return;
	}

	ref.fd = (uint32_t)fd;
	rc = epoll_ref_add(repair_epollfd, EPOLLIN | EPOLLRDHUP, ref);
	if (rc) {
		warn("Can't watch repair helper: %s", strerror(rc));
		close(fd);
		return;
	}

	repair_helper_fd = fd;
	info("Repair helper connected (pid %i)", (int)cred.pid);
}

/**
 * repair_listen_handler() - A helper connects
 * @events:	EPOLL* events, unused: accept() tells what happened
 */
void repair_listen_handler(uint32_t events)
{
	(void)events;

	repair_accept();
}

/**
 * repair_handler() - The helper sent something, or hung up, between
 *		      requests
 * @events:	EPOLL* events
 *
 * #syscalls: recvfrom
 */
void repair_handler(uint32_t events)
{
	char b;
	ssize_t n;

	if (repair_helper_fd < 0)
		return;

	n = recv(repair_helper_fd, &b, sizeof(b), MSG_DONTWAIT);
	if (n > 0)
		repair_drop("sent data nobody asked for");
	else if (!n || (errno != EAGAIN && errno != EINTR))
		repair_drop("left");
	else if (events & (EPOLLHUP | EPOLLRDHUP | EPOLLERR))
		repair_drop("hung up");
}

/**
 * repair_ready() - Is a helper connected?
 *
 * Return: true if a helper is connected
 */
bool repair_ready(void)
{
	return repair_helper_fd >= 0;
}

/**
 * repair_ms_left() - Milliseconds left until a deadline
 * @deadline:	CLOCK_MONOTONIC time
 *
 * Return: milliseconds, 0 if the deadline passed
 *
 * #syscalls: clock_gettime
 */
static int repair_ms_left(const struct timespec *deadline)
{
	struct timespec now;
	int64_t ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = timespec_diff_ms(deadline, &now);

	return ms > 0 ? (int)ms : 0;
}

/**
 * repair_deadline() - A deadline some milliseconds from now
 * @deadline:	Set to CLOCK_MONOTONIC time
 * @ms:		Milliseconds from now
 *
 * #syscalls: clock_gettime
 */
static void repair_deadline(struct timespec *deadline, int ms)
{
	clock_gettime(CLOCK_MONOTONIC, deadline);
	deadline->tv_sec += ms / MS_PER_SEC;
	deadline->tv_nsec += (long)(ms % MS_PER_SEC) * 1000000L;
	if (deadline->tv_nsec >= NS_PER_SEC) {
		deadline->tv_sec++;
		deadline->tv_nsec -= NS_PER_SEC;
	}
}

/**
 * repair_wait() - Wait for a helper to connect, if none is
 * @timeout_ms:	Longest wait, in milliseconds
 *
 * Blocks the main loop: for the start of a migration, so that a management
 * layer may start the helper just before.
 *
 * Return: 0 once a helper is connected, ENOTCONN if there is no repair
 *	   socket, ETIMEDOUT if no helper came in time
 *
 * #syscalls: poll|ppoll
 */
int repair_wait(int timeout_ms)
{
	struct pollfd pfd = { .fd = repair_listen_fd, .events = POLLIN };
	struct timespec deadline;

	if (repair_helper_fd >= 0)
		return 0;
	if (repair_listen_fd < 0)
		return ENOTCONN;

	repair_deadline(&deadline, timeout_ms);
	do {
		int rc = poll(&pfd, 1, repair_ms_left(&deadline));

		if (rc < 0 && errno != EINTR)
			return errno;
		if (rc > 0)
			repair_accept();
		if (repair_helper_fd >= 0)
			return 0;
	} while (repair_ms_left(&deadline));

	debug("No repair helper connected within %i ms", timeout_ms);
	return ETIMEDOUT;
}

/**
 * repair_echo() - Wait for the helper to echo a command
 * @cmd:	Command sent
 *
 * Return: 0 on the right echo, ETIMEDOUT if none came in time, ECONNRESET
 *	   if the helper closed the connection (it does on a failure), EPROTO
 *	   for another byte, or another positive errno
 *
 * #syscalls: poll|ppoll recvfrom
 */
static int repair_echo(int8_t cmd)
{
	struct pollfd pfd = { .fd = repair_helper_fd, .events = POLLIN };
	struct timespec deadline;
	int8_t echo;

	repair_deadline(&deadline, REPAIR_ECHO_TIMEOUT_MS);
	for (;;) {
		int left = repair_ms_left(&deadline), rc;
		ssize_t n;

		rc = poll(&pfd, 1, left);
		if (rc < 0 && errno != EINTR)
			return errno;
		if (rc <= 0) {
			if (!left)
				return ETIMEDOUT;
			continue;
		}

		n = recv(repair_helper_fd, &echo, sizeof(echo), MSG_DONTWAIT);
		if (!n)
			return ECONNRESET;
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			return errno;
		}

		return echo == cmd ? 0 : EPROTO;
	}
}

/**
 * repair_send() - Send a command with descriptors in one message, always
 *		   REPAIR_FDS_MAX of them
 * @fds:	Descriptors, 1 to REPAIR_FDS_MAX of them
 * @n:		Number of descriptors
 * @cmd:	Command
 *
 * The rest of the message is filled with repair_filler_fd: upstream's
 * helper keeps the control buffer length of the message before, so that
 * the kernel drops the descriptors of a message that carries more than the
 * one before it, and the helper echoes anyway. Full messages keep its
 * buffer full. The filler, never connected, takes TCP_REPAIR in and out
 * without a packet sent.
 *
 * Return: 0 on success, a positive errno on failure
 *
 * #syscalls: sendmsg
 */
static int repair_send(const int *fds, size_t n, int8_t cmd)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * REPAIR_FDS_MAX)];
		struct cmsghdr align;
	} u;
	struct iovec iov = { .iov_base = &cmd, .iov_len = sizeof(cmd) };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = u.buf, .msg_controllen = sizeof(u.buf),
	};
	struct cmsghdr *cmsg = CMSG_FIRSTHDR(&mh);
	int all[REPAIR_FDS_MAX];
	ssize_t sent;
	size_t i;

	memcpy(all, fds, sizeof(int) * n);
	for (i = n; i < REPAIR_FDS_MAX; i++)
		all[i] = repair_filler_fd;

	cmsg->cmsg_level = SOL_SOCKET;
	cmsg->cmsg_type = SCM_RIGHTS;
	cmsg->cmsg_len = CMSG_LEN(sizeof(all));
	memcpy(CMSG_DATA(cmsg), all, sizeof(all));

	/* Nothing else is queued: one byte always fits, or the helper is
	 * broken
	 */
	do
		sent = sendmsg(repair_helper_fd, &mh,
			       MSG_NOSIGNAL | MSG_DONTWAIT);
	while (sent < 0 && errno == EINTR);

	if (sent < 0)
		return errno;
	return sent == sizeof(cmd) ? 0 : EIO;
}

/**
 * repair_skipped() - Count the sockets of a message the helper didn't switch
 * @fds:	Sockets of the message
 * @n:		Number of sockets
 * @cmd:	Command
 *
 * Reading TCP_REPAIR needs no capability. A socket we can't read it from
 * isn't a TCP socket, which the helper would have failed on.
 *
 * Return: number of sockets not in the mode @cmd asks for
 *
 * #syscalls: getsockopt
 */
static size_t repair_skipped(const int *fds, size_t n, int8_t cmd)
{
	size_t i, k = 0;

	for (i = 0; i < n; i++) {
		socklen_t len = sizeof(int);
		int v;

		if (!getsockopt(fds[i], SOL_TCP, TCP_REPAIR, &v, &len) &&
		    !!v != (cmd == REPAIR_ON))
			k++;
	}

	return k;
}

/**
 * repair_batch() - Switch the sockets of one message, and check they are
 * @fds:	Sockets, at most REPAIR_FDS_MAX of them
 * @n:		Number of sockets
 * @cmd:	Command
 *
 * Return: 0 on success, EPROTO if the helper echoed but left some socket
 *	   as it was, or a positive errno from repair_send() or repair_echo()
 */
static int repair_batch(const int *fds, size_t n, int8_t cmd)
{
	size_t k;
	int rc;

	rc = repair_send(fds, n, cmd);
	if (!rc)
		rc = repair_echo(cmd);
	if (rc)
		return rc;

	k = repair_skipped(fds, n, cmd);
	if (k) {
		warn("Repair helper echoed, but left %zu of %zu sockets as "
		     "they were", k, n);
		return EPROTO;
	}

	return 0;
}

/**
 * repair_why() - Describe a failure of the helper
 * @rc:		Positive errno from repair_send() or repair_echo()
 *
 * Return: text for the log
 */
static const char *repair_why(int rc)
{
	switch (rc) {
	case ECONNRESET:
		return "it closed the connection";
	case EPROTO:
		return "wrong answer";
	case ETIMEDOUT:
		return "no answer within " STRINGIFY(REPAIR_ECHO_TIMEOUT_MS)
		       " ms";
	default:
		return strerror(rc);
	}
}

/**
 * repair_set() - Switch sockets in or out of repair mode through the helper
 * @fds:	TCP sockets
 * @n:		Number of sockets, any: they go in as few messages as
 *		REPAIR_FDS_MAX allows
 * @cmd:	REPAIR_ON, REPAIR_OFF or REPAIR_OFF_NO_WP
 *
 * Blocks the main loop, up to REPAIR_ECHO_TIMEOUT_MS for each message. Our
 * descriptors stay ours: the helper closes the copies it receives. After
 * each echo, every socket of the message is checked to be in the mode asked
 * for (see repair_batch()). On a failure, messages before the failing one
 * took effect, and the failing one may have on some of its sockets: the
 * helper is dropped (another may connect, see repair_wait()), and turning
 * sockets off again is up to the caller.
 *
 * Return: 0 on success; EINVAL for a bad command or EBADF for a negative
 *	   descriptor, with nothing sent; EBADF for a closed descriptor, with
 *	   the messages before its own sent, and the helper kept; ENOTCONN
 *	   without a helper; ETIMEDOUT, ECONNRESET, EPROTO or another positive
 *	   errno if the helper failed
 */
int repair_set(const int *fds, size_t n, int8_t cmd)
{
	size_t off = 0, msgs = 0, i;

	if (cmd != REPAIR_ON && cmd != REPAIR_OFF && cmd != REPAIR_OFF_NO_WP)
		return EINVAL;
	for (i = 0; i < n; i++) {
		if (fds[i] < 0)
			return EBADF;
	}
	if (!n)
		return 0;
	if (repair_helper_fd < 0)
		return ENOTCONN;

	while (off < n) {
		size_t batch = MIN(n - off, (size_t)REPAIR_FDS_MAX);
		int rc = repair_batch(fds + off, batch, cmd);

		/* The kernel checks descriptors before queueing anything:
		 * the helper saw nothing of this message, and stays
		 */
		if (rc == EBADF)
			return rc;
		if (rc) {
			warn("Repair helper: TCP_REPAIR %i on sockets %zu to "
			     "%zu of %zu failed: %s", cmd, off + 1,
			     off + batch, n, repair_why(rc));
			repair_drop("failed");
			return rc;
		}
		off += batch;
		msgs++;
	}

	debug("Repair helper: TCP_REPAIR %i on %zu sockets in %zu messages",
	      cmd, n, msgs);
	return 0;
}
