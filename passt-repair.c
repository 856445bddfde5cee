// SPDX-License-Identifier: GPL-2.0-or-later
/* passt-repair.c - the repair helper, a program of its own: it switches the
 * TCP sockets a passt daemon passes it in and out of repair mode
 * (TCP_REPAIR), which needs CAP_NET_ADMIN, a capability the daemon never
 * holds
 *
 * Usage: passt-repair [--once] PATH
 *
 * PATH is the daemon's repair socket, or a directory where the helper waits
 * for a socket named *.repair to appear. The helper connects, and for each
 * message (one command byte, with 1 to 253 descriptors attached) sets
 * TCP_REPAIR to the command on every descriptor, closes its copies, and
 * echoes the byte. On any failure it closes the connection without an
 * echo, which the daemon takes as the failure. When a connection ends, the
 * helper waits for the daemon (or the next one) and connects again, until
 * it is killed; with --once it exits instead. doc/passt-repair.1 has the
 * protocol and the exit codes.
 *
 * Before serving, the helper makes itself not dumpable and installs its
 * own seccomp filter: the "#syscalls:repair" lines in this file list every
 * system call it makes from then on (isolation_syscalls.sh turns them into
 * passt-repair_syscalls.h).
 */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include <linux/capability.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include "passt-repair_syscalls.h"
#include "seccomp_filter.h"
#include "util.h"

/* Exit codes, as doc/passt-repair.1 gives them */
#define HELPER_EXIT_OK		0	/* --once: the daemon closed */
#define HELPER_EXIT_FAIL	1	/* can't start, or a request failed */
#define HELPER_EXIT_USAGE	2	/* bad command line */

/* Most descriptors one message carries: the kernel's SCM_MAX_FD */
#define HELPER_FDS_MAX		253
/* Room for them, and as many more as alignment leaves room for */
#define HELPER_CMSG_SIZE	CMSG_SPACE(sizeof(int) * HELPER_FDS_MAX)
#define HELPER_FDS_ROOM		((HELPER_CMSG_SIZE - CMSG_LEN(0)) / sizeof(int))

/* Command bytes, and the TCP_REPAIR values they stand for */
#define HELPER_CMD_ON		0x01	/* TCP_REPAIR_ON, 1 */
#define HELPER_CMD_OFF		0x00	/* TCP_REPAIR_OFF, 0 */
#define HELPER_CMD_OFF_NO_WP	0xff	/* TCP_REPAIR_OFF_NO_WP, -1 */

/* Suffix of the socket names the helper looks for in a directory */
#define HELPER_SUFFIX		".repair"

/* Retrying a socket that exists but refuses: first delay, longest delay */
#define HELPER_RETRY_MIN_MS	10
#define HELPER_RETRY_MAX_MS	1000

/* Pause after a connection that carried no request (a daemon that turns us
 * away, as it does when another helper is connected), so as not to spin
 */
#define HELPER_IDLE_PAUSE_MS	1000

#define HELPER_UNIX_PATH_MAX	sizeof(((struct sockaddr_un *)0)->sun_path)

/**
 * struct helper_target - Where the daemon's socket is, or will appear
 * @is_dir:	PATH is a directory holding *.repair sockets
 * @path:	PATH as given
 * @dir:	Directory watched: PATH itself, or the one holding it
 * @inotify_fd:	inotify instance watching @dir
 * @conn_path:	Socket of the current or last connection
 */
struct helper_target {
	bool is_dir;
	const char *path;
	char dir[PATH_MAX];
	int inotify_fd;
	char conn_path[HELPER_UNIX_PATH_MAX];
};

/**
 * helper_msg() - Print one line on standard error, with our name in front
 * @fmt:	Format string, then arguments
 *
 * Formatted here and written with one write(), so that stdio doesn't
 * allocate or make calls of its own under the filter.
 *
 * #syscalls:repair write
 */
__attribute__((format(printf, 1, 2)))
static void helper_msg(const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int n;

	n = snprintf(line, sizeof(line), "passt-repair: ");
	va_start(ap, fmt);
	n += vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	va_end(ap);

	if (n > (int)sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	(void)!write(STDERR_FILENO, line, (size_t)n);
}

/**
 * helper_usage() - Print how to call us
 * @f:		Where to print it
 */
static void helper_usage(FILE *f)
{
	fputs("Usage: passt-repair [--once] PATH\n"
	      "Switch the TCP sockets that a passt daemon passes over the\n"
	      "UNIX socket PATH in and out of repair mode, for migration.\n"
	      "If PATH is a directory, wait for a *.repair socket in it.\n"
	      "\n"
	      "      --once       exit once the first connection ends\n"
	      "  -h, --help       print this text and exit\n"
	      "      --version    print the version and exit\n",
	      f);
}

/**
 * helper_has_net_admin() - Do we hold CAP_NET_ADMIN, in the effective set?
 *
 * Return: true if we do, or if we can't tell (the kernel decides later)
 */
static bool helper_has_net_admin(void)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];

	if (syscall(SYS_capget, &hdr, data))
		return true;

	return data[CAP_TO_INDEX(CAP_NET_ADMIN)].effective &
	       CAP_TO_MASK(CAP_NET_ADMIN);
}

/**
 * helper_target_init() - Find out what PATH is, and watch its directory
 * @t:		Target, filled in
 * @path:	PATH from the command line
 *
 * Return: 0 on success, HELPER_EXIT_FAIL after a message on failure
 */
static int helper_target_init(struct helper_target *t, const char *path)
{
	const uint32_t mask = IN_CREATE | IN_MOVED_TO | IN_DELETE_SELF |
			      IN_MOVE_SELF | IN_ONLYDIR;
	const char *slash = strrchr(path, '/');
	struct stat st;
	int rc;

	t->path = path;

	rc = stat(path, &st);
	if (rc && errno != ENOENT) {
		helper_msg("%s: %s", path, strerror(errno));
		return HELPER_EXIT_FAIL;
	}

	if (!rc && S_ISDIR(st.st_mode)) {
		t->is_dir = true;
		if (snprintf(t->dir, sizeof(t->dir), "%s", path) >=
		    (int)sizeof(t->dir))
			goto too_long;
	} else {
		/* A socket, or nothing yet: watch the directory holding it */
		if (strlen(path) >= HELPER_UNIX_PATH_MAX)
			goto too_long;
		if (slash && !slash[1]) {
			helper_msg("%s: no such directory", path);
			return HELPER_EXIT_FAIL;
		}
		if (!slash)
			snprintf(t->dir, sizeof(t->dir), ".");
		else if (slash == path)
			snprintf(t->dir, sizeof(t->dir), "/");
		else
			snprintf(t->dir, sizeof(t->dir), "%.*s",
				 (int)(slash - path), path);
	}

	t->inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (t->inotify_fd < 0) {
		helper_msg("Can't start inotify: %s", strerror(errno));
		return HELPER_EXIT_FAIL;
	}
	if (inotify_add_watch(t->inotify_fd, t->dir, mask) < 0) {
		helper_msg("Can't watch directory %s: %s", t->dir,
			   strerror(errno));
		return HELPER_EXIT_FAIL;
	}

	return 0;

too_long:
	helper_msg("%s: path too long for a UNIX domain socket", path);
	return HELPER_EXIT_FAIL;
}

/**
 * helper_connect_path() - Connect to a socket path
 * @path:	Socket path, shorter than HELPER_UNIX_PATH_MAX
 * @fd:		Connected socket, set on success
 *
 * Return: 0 on success, a positive errno on failure
 *
 * #syscalls:repair socket connect close
 */
static int helper_connect_path(const char *path, int *fd)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int s;

	s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return errno;

	memcpy(addr.sun_path, path, strlen(path) + 1);
	if (connect(s, (struct sockaddr *)&addr, sizeof(addr))) {
		int rc = errno;

		close(s);
		return rc;
	}

	*fd = s;
	return 0;
}

/**
 * helper_scan() - Connect to the first *.repair socket in the directory
 *		   that answers
 * @t:		Target, in directory mode
 * @fd:		Connected socket, set on success
 *
 * The directory is opened for each scan, not held open: removing it must
 * free it, for inotify to tell us it went away.
 *
 * Return: 0 on success, ECONNREFUSED if some entry didn't answer, ENOENT if
 *	   there is none, or another positive errno
 *
 * #syscalls:repair openat getdents64 close
 */
static int helper_scan(struct helper_target *t, int *fd)
{
	const size_t suffix_len = strlen(HELPER_SUFFIX);
	char buf[4096] __attribute__((aligned(8)));
	int rc = ENOENT, dir_fd;
	ssize_t n;

	dir_fd = open(t->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir_fd < 0)
		return errno;

	while ((n = getdents64(dir_fd, buf, sizeof(buf))) > 0) {
		ssize_t off = 0;

		while (off < n) {
			const struct dirent64 *d = (struct dirent64 *)
						   (buf + off);
			size_t len = strlen(d->d_name);
			char path[HELPER_UNIX_PATH_MAX];

			off += d->d_reclen;
			if (len <= suffix_len ||
			    strcmp(d->d_name + len - suffix_len,
				   HELPER_SUFFIX) != 0 ||
			    (d->d_type != DT_SOCK && d->d_type != DT_UNKNOWN))
				continue;

			if (snprintf(path, sizeof(path), "%s/%s", t->dir,
				     d->d_name) >= (int)sizeof(path)) {
				rc = ENAMETOOLONG;
				continue;
			}

			if (!helper_connect_path(path, fd)) {
				memcpy(t->conn_path, path, sizeof(path));
				close(dir_fd);
				return 0;
			}
			rc = ECONNREFUSED;
		}
	}

	if (n < 0)
		rc = errno;
	close(dir_fd);
	return rc;
}

/**
 * helper_try() - Try once to connect to the daemon
 * @t:		Target
 * @fd:		Connected socket, set on success
 *
 * Return: 0 on success, ENOENT if there is no socket yet, ECONNREFUSED if
 *	   one exists and nobody listens, or another positive errno
 */
static int helper_try(struct helper_target *t, int *fd)
{
	int rc;

	if (t->is_dir)
		return helper_scan(t, fd);

	rc = helper_connect_path(t->path, fd);
	if (!rc)
		memcpy(t->conn_path, t->path, strlen(t->path) + 1);
	return rc;
}

/**
 * helper_watch() - Wait for a change in the directory, or a timeout
 * @t:		Target
 * @timeout_ms:	Longest wait, -1 for none
 *
 * Return: true if something was created or moved into the directory, false
 *	   on timeout; exits with HELPER_EXIT_FAIL if the directory went away
 *
 * #syscalls:repair poll|ppoll read exit_group
 */
static bool helper_watch(const struct helper_target *t, int timeout_ms)
{
	struct pollfd pfd = { .fd = t->inotify_fd, .events = POLLIN };
	char buf[4096]
		__attribute__((aligned(__alignof__(struct inotify_event))));
	bool changed = false;
	ssize_t n;

	if (poll(&pfd, 1, timeout_ms) <= 0)
		return false;

	while ((n = read(t->inotify_fd, buf, sizeof(buf))) > 0) {
		ssize_t off = 0;

		while (off < n) {
			const struct inotify_event *ev =
				(const struct inotify_event *)(buf + off);

			if (ev->mask & (IN_DELETE_SELF | IN_MOVE_SELF |
					IN_IGNORED)) {
				helper_msg("Directory %s went away", t->dir);
				exit(HELPER_EXIT_FAIL);
			}
			changed = true;
			off += (ssize_t)(sizeof(*ev) + ev->len);
		}
	}

	return changed;
}

/**
 * helper_wait_connect() - Connect to the daemon, waiting for it as long as
 *			   it takes
 * @t:		Target
 *
 * Return: connected socket
 */
static int helper_wait_connect(struct helper_target *t)
{
	int delay = -1, last = 0;

	for (;;) {
		int fd = -1, rc = helper_try(t, &fd);

		if (!rc)
			return fd;

		if (rc == ENOENT) {
			delay = -1;
		} else {
			delay = delay < 0 ? HELPER_RETRY_MIN_MS :
				MIN(delay * 2, HELPER_RETRY_MAX_MS);
		}

		/* Say what we wait for once, not at every retry: a refusal
		 * is worth a line only once retries slowed down
		 */
		if (rc != last && (rc != ECONNREFUSED ||
				   delay == HELPER_RETRY_MAX_MS)) {
			if (rc == ENOENT && t->is_dir)
				helper_msg("Waiting for a *" HELPER_SUFFIX
					   " socket in %s", t->dir);
			else if (rc == ENOENT)
				helper_msg("Waiting for %s", t->path);
			else
				helper_msg("%s: %s, retrying", t->path,
					   strerror(rc));
			last = rc;
		}

		if (helper_watch(t, delay))
			delay = -1;
	}
}

/**
 * helper_fds_close() - Close descriptors received
 * @fds:	Descriptors
 * @n:		Number of descriptors
 *
 * #syscalls:repair close
 */
static void helper_fds_close(const int *fds, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		close(fds[i]);
}

/**
 * helper_request() - Serve one message from the daemon
 * @s:		Connected socket
 * @eof:	Set if the daemon closed the connection
 *
 * Return: 0 on success or end of connection, a positive errno after a
 *	   message if the request failed: the caller closes the connection
 *	   without an echo
 *
 * #syscalls:repair recvmsg setsockopt sendto close
 */
static int helper_request(int s, bool *eof)
{
	union {
		char buf[HELPER_CMSG_SIZE];
		struct cmsghdr align;
	} u;
	uint8_t cmd;
	struct iovec iov = { .iov_base = &cmd, .iov_len = sizeof(cmd) };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = u.buf, .msg_controllen = sizeof(u.buf),
	};
	int fds[HELPER_FDS_ROOM], rc = 0, val = 0;
	struct cmsghdr *cmsg;
	size_t n = 0, i;
	bool other = false;
	ssize_t got;

	do
		got = recvmsg(s, &mh, MSG_CMSG_CLOEXEC);
	while (got < 0 && errno == EINTR);

	if (!got || (got < 0 && errno == ECONNRESET)) {
		*eof = true;
		return 0;
	}
	if (got < 0) {
		rc = errno;
		helper_msg("Receiving from the daemon: %s", strerror(rc));
		return rc;
	}

	/* Take every descriptor that came, whatever else is wrong, so that
	 * none stays open here
	 */
	for (cmsg = CMSG_FIRSTHDR(&mh); cmsg; cmsg = CMSG_NXTHDR(&mh, cmsg)) {
		size_t count;

		if (cmsg->cmsg_level != SOL_SOCKET ||
		    cmsg->cmsg_type != SCM_RIGHTS) {
			other = true;
			continue;
		}
		count = (cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		count = MIN(count, ARRAY_SIZE(fds) - n);
		memcpy(fds + n, CMSG_DATA(cmsg), count * sizeof(int));
		n += count;
	}

	if ((mh.msg_flags & MSG_CTRUNC) || n > HELPER_FDS_MAX) {
		helper_msg("More than %d descriptors in one message",
			   HELPER_FDS_MAX);
		rc = EPROTO;
	} else if (other) {
		helper_msg("Unexpected ancillary data from the daemon");
		rc = EPROTO;
	} else if (!n) {
		helper_msg("Command 0x%02x without descriptors", cmd);
		rc = EPROTO;
	} else if (cmd == HELPER_CMD_ON) {
		val = 1;
	} else if (cmd == HELPER_CMD_OFF_NO_WP) {
		val = -1;
	} else if (cmd != HELPER_CMD_OFF) {
		helper_msg("Unknown command 0x%02x", cmd);
		rc = EPROTO;
	}

	for (i = 0; !rc && i < n; i++) {
		if (setsockopt(fds[i], SOL_TCP, TCP_REPAIR, &val,
			       sizeof(val))) {
			rc = errno;
			helper_msg("Setting TCP_REPAIR to %d on descriptor %zu "
				   "of %zu: %s", val, i + 1, n, strerror(rc));
		}
	}

	helper_fds_close(fds, n);
	if (rc)
		return rc;

	do
		got = send(s, &cmd, sizeof(cmd), MSG_NOSIGNAL);
	while (got < 0 && errno == EINTR);

	/* The daemon left without waiting for the answer */
	if (got < 0 && (errno == EPIPE || errno == ECONNRESET))
		*eof = true;
	else if (got < 0)
		helper_msg("Answering the daemon: %s", strerror(errno));

	return got < 0 && !*eof ? errno : 0;
}

/**
 * helper_serve() - Serve the daemon until it closes the connection
 * @s:		Connected socket
 * @served:	Number of requests served, set
 *
 * Return: 0 once the daemon closed the connection, a positive errno if a
 *	   request failed
 */
static int helper_serve(int s, unsigned long *served)
{
	bool eof = false;

	*served = 0;
	for (;;) {
		int rc = helper_request(s, &eof);

		if (rc || eof)
			return rc;
		(*served)++;
	}
}

/**
 * helper_seccomp() - Allow from now on only the calls this file lists
 *
 * Return: 0 on success, HELPER_EXIT_FAIL after a message on failure
 *
 * #syscalls:repair exit_group
 */
static int helper_seccomp(void)
{
	int rc;

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) {
		helper_msg("Can't set no_new_privs: %s", strerror(errno));
		return HELPER_EXIT_FAIL;
	}

	rc = seccomp_filter_install(isolation_syscalls_repair,
				    sizeof(isolation_syscalls_repair) /
				    sizeof(isolation_syscalls_repair[0]));
	if (rc) {
		helper_msg("Can't install the system call filter: %s",
			   strerror(rc));
		return HELPER_EXIT_FAIL;
	}

#ifdef PASST_REPAIR_TEST_SECCOMP
	/* Test build: a call the filter doesn't list, on request */
	if (getenv("PASST_REPAIR_FORBIDDEN"))
		syscall(SYS_getppid);
#endif

	return 0;
}

/**
 * main() - Parse the command line, then serve daemons until killed, or one
 *	    with --once
 * @argc:	Argument count
 * @argv:	Arguments
 *
 * Return: HELPER_EXIT_OK, HELPER_EXIT_FAIL or HELPER_EXIT_USAGE
 *
 * #syscalls:repair poll|ppoll close exit_group
 */
int main(int argc, char **argv)
{
	static struct helper_target t;
	bool once = false, quiet = false;
	const char *path = NULL;
	unsigned long served;
	int i, rc;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--once")) {
			once = true;
		} else if (!strcmp(argv[i], "-h") ||
			   !strcmp(argv[i], "--help")) {
			helper_usage(stdout);
			return HELPER_EXIT_OK;
		} else if (!strcmp(argv[i], "--version")) {
			printf("passt-repair %s\n", VERSION);
			return HELPER_EXIT_OK;
		} else if (argv[i][0] == '-' && argv[i][1]) {
			helper_msg("%s: unknown option (see --help)",
				   argv[i]);
			return HELPER_EXIT_USAGE;
		} else if (path) {
			helper_msg("%s: only one PATH (see --help)", argv[i]);
			return HELPER_EXIT_USAGE;
		} else {
			path = argv[i];
		}
	}
	if (!path || !*path) {
		helper_usage(stderr);
		return HELPER_EXIT_USAGE;
	}

	/* Other processes of our user may not read our memory, where the
	 * descriptors we hold for a moment are
	 */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)) {
		helper_msg("Can't make the process not dumpable: %s",
			   strerror(errno));
		return HELPER_EXIT_FAIL;
	}

	if (!helper_has_net_admin()) {
		helper_msg("Needs CAP_NET_ADMIN: run as root, or give the "
			   "program the capability (setcap cap_net_admin+ep)");
		return HELPER_EXIT_FAIL;
	}

	rc = helper_target_init(&t, path);
	if (!rc)
		rc = helper_seccomp();
	if (rc)
		return rc;

	/* After a connection without requests, as when the daemon turns us
	 * away, say nothing of the next one unless it carries some
	 */
	for (;;) {
		int s = helper_wait_connect(&t);

		if (!quiet)
			helper_msg("Connected to %s", t.conn_path);

		rc = helper_serve(s, &served);
		close(s);

		if (rc)
			helper_msg("Request failed: closed the connection to "
				   "%s", t.conn_path);
		else if (served || !quiet)
			helper_msg("%s closed the connection, after %lu "
				   "requests", t.conn_path, served);

		if (once)
			return rc ? HELPER_EXIT_FAIL : HELPER_EXIT_OK;

		quiet = !rc && !served;
		if (quiet)
			poll(NULL, 0, HELPER_IDLE_PAUSE_MS);
	}
}
