// SPDX-License-Identifier: GPL-2.0-or-later
/* isolation.c - what the daemon gives up once it is set up: inherited
 * descriptors, root, the host's user, mount, IPC, UTS and PID namespaces,
 * the filesystem, every capability, and every system call it doesn't make
 *
 * main() calls the steps in this order:
 * - isolation_fds_close(), once the options are parsed and before the
 *   daemon opens anything: what is open then was inherited, and only a
 *   --fd socket is kept (a sanitizer build then has its report file
 *   opened, see isolation_sanitizer_report());
 * - isolation_user() and isolation_prefork(), once every file and socket
 *   that needs root or the filesystem is open (listening ports below 1024
 *   included): root switches to --runas, then the daemon moves into new
 *   namespaces, makes an empty read-only tmpfs its root, and drops every
 *   capability from every set;
 * - isolation_postfork(), in the process that serves (after daemon_start()
 *   forked, so that the new PID namespace applies to it): no new
 *   privileges, not dumpable, and the seccomp filter of its mode, which
 *   kills the daemon on any system call the filter doesn't list.
 *
 * The filters are built from isolation_syscalls.h, which the Makefile
 * generates from the "#syscalls" comments beside the code making each call
 * (see isolation_syscalls.sh). A step the kernel refuses is reported in one
 * warning line, and the others still apply. doc/security.md says what each
 * step stops.
 */

#include <errno.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/capability.h>

#ifdef PASST_SANITIZER
#include <sanitizer/common_interface_defs.h>
#include <sys/stat.h>
#endif

#include "ctx.h"
#include "isolation.h"
#include "isolation_syscalls.h"
#include "log.h"
#include "seccomp_filter.h"
#include "util.h"

/* Where the empty root is mounted before it becomes the root */
#define ISOLATION_ROOT_MOUNT	P_tmpdir

#ifdef PASST_SANITIZER
/* The sanitizer runtime's report file, opened right after inherited
 * descriptors are closed: among the first ones
 */
static int isolation_report_fd = -1;
#define ISOLATION_REPORT_FD_MAX	1024

/**
 * isolation_sanitizer_report() - Keep the sanitizer runtime's report file
 *				  in reach once we are isolated (builds with
 *				  SANITIZE set only: make check-asan)
 * @serving:	false once inherited descriptors are closed: have the file
 *		opened; true in the process that serves, after the fork:
 *		keep it
 *
 * With a log_path option, the runtime opens "log_path.PID" for its first
 * report, and opens it again in a process whose PID changed: past
 * pivot_root and the fork, it couldn't, and the report would be lost.
 * Asking for the path makes the runtime open its file now, while we have
 * the filesystem; its descriptor is the one open on that file. Handing the
 * same descriptor back to the runtime in the serving process tells it the
 * file is that process's own: it keeps writing there, whatever our PID.
 * Without a log_path, reports go to standard error, which stays. Both
 * steps come before the system call filter.
 */
static void isolation_sanitizer_report(bool serving)
{
	struct stat want, st;
	const char *path;
	int fd;

	if (serving) {
		if (isolation_report_fd >= 0)
			__sanitizer_set_report_fd(
				(void *)(intptr_t)isolation_report_fd);
		return;
	}

	path = __sanitizer_get_report_path();
	if (!path || !*path || stat(path, &want))
		return;

	for (fd = STDERR_FILENO + 1; fd < ISOLATION_REPORT_FD_MAX; fd++) {
		if (!fstat(fd, &st) && st.st_dev == want.st_dev &&
		    st.st_ino == want.st_ino) {
			isolation_report_fd = fd;
			return;
		}
	}
}
#else
/**
 * isolation_sanitizer_report() - Nothing to keep without a sanitizer
 * @serving:	Unused
 */
static void isolation_sanitizer_report(bool serving)
{
	(void)serving;
}
#endif /* PASST_SANITIZER */

/**
 * isolation_fds_close() - Close every descriptor inherited from whoever
 *			   started us, except standard streams and --fd
 * @c:		Execution context, options parsed
 *
 * Called before the daemon opens anything of its own, so that everything
 * open above the standard streams was inherited.
 */
void isolation_fds_close(const struct ctx *c)
{
	unsigned first = STDERR_FILENO + 1;
	int rc = 0;

	if (c->fd_tap > STDERR_FILENO) {
		if ((unsigned)c->fd_tap > first)
			rc = close_range(first, (unsigned)c->fd_tap - 1, 0);
		first = (unsigned)c->fd_tap + 1;
	}
	if (!rc)
		rc = close_range(first, ~0U, 0);

	if (rc)
		warn("Can't close inherited descriptors: %s", strerror(errno));

	isolation_sanitizer_report(false);
}

/**
 * isolation_bounding_drop() - Empty the capability bounding set, so that no
 *			       program we could start would regain anything
 *
 * Return: 0 on success (also if it was empty already), a positive errno
 */
static int isolation_bounding_drop(void)
{
	int cap, in;

	/* Past the last capability the kernel knows, reading fails */
	for (cap = 0; (in = prctl(PR_CAPBSET_READ, cap, 0, 0, 0)) >= 0;
	     cap++) {
		if (in && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0))
			return errno;
	}

	return 0;
}

/**
 * isolation_user() - Started as root, run as --runas (nobody by default)
 * @c:		Execution context
 *
 * Called once every file and socket that may need root is open. Without
 * root there is nothing to switch: conf.c refused --runas to someone else.
 * Root empties the bounding set first, which needs its capabilities: the
 * set stays empty even if the kernel later refuses a user namespace.
 */
void isolation_user(const struct ctx *c)
{
	int rc;

	if (geteuid())
		return;

	rc = isolation_bounding_drop();
	if (rc)
		warn("Can't empty the capability bounding set: %s",
		     strerror(rc));

	/* The socket is ours to remove at exit, also as the new user in a
	 * sticky directory such as /tmp
	 */
	if (c->sock_path[0] &&
	    lchown(c->sock_path, c->runas_uid, c->runas_gid))
		warn("Can't hand %s over to user %u: %s", c->sock_path,
		     (unsigned)c->runas_uid, strerror(errno));

	if (setgroups(0, NULL))
		die("Can't drop supplementary groups: %s", strerror(errno));
	if (setgid(c->runas_gid))
		die("Can't switch to group %u: %s", (unsigned)c->runas_gid,
		    strerror(errno));
	if (setuid(c->runas_uid))
		die("Can't switch to user %u: %s", (unsigned)c->runas_uid,
		    strerror(errno));

	debug("Running as user %u, group %u", (unsigned)c->runas_uid,
	      (unsigned)c->runas_gid);
}

/**
 * isolation_root() - Make an empty read-only tmpfs our root, and detach the
 *		      host's filesystem from our (new) mount namespace
 * @step:	Set to what failed, on failure
 *
 * Descriptors opened before stay usable: files and sockets don't need
 * their paths any more.
 *
 * Return: 0 on success, a positive errno on failure
 */
static int isolation_root(const char **step)
{
	/* Nothing we mount or detach may propagate to the host's namespace */
	*step = "making mounts private";
	if (mount("", "/", "", MS_UNBINDABLE | MS_REC, NULL))
		return errno;

	*step = "mounting tmpfs";
	if (mount("tmpfs", ISOLATION_ROOT_MOUNT, "tmpfs",
		  MS_RDONLY | MS_NODEV | MS_NOEXEC | MS_NOSUID,
		  "nr_inodes=2,nr_blocks=0"))
		return errno;

	/* With "." as both, the old root ends up mounted over the new one,
	 * where it can be detached without a directory to hold it
	 */
	*step = "pivot_root";
	if (chdir(ISOLATION_ROOT_MOUNT) ||
	    syscall(SYS_pivot_root, ".", "."))
		return errno;

	*step = "detaching the old root";
	if (umount2(".", MNT_DETACH) || chdir("/"))
		return errno;

	return 0;
}

/**
 * isolation_caps_drop() - Drop every capability from every set
 */
static void isolation_caps_drop(void)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = { 0 };
	int rc;

	rc = isolation_bounding_drop();
	if (rc)
		warn("Can't empty the capability bounding set: %s",
		     strerror(rc));

	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) &&
	    errno != EINVAL)
		warn("Can't clear ambient capabilities: %s", strerror(errno));

	/* Effective, permitted and inheritable: lowering needs nothing */
	if (syscall(SYS_capset, &hdr, data))
		warn("Can't drop capabilities: %s", strerror(errno));
}

/**
 * isolation_prefork() - Leave the host's namespaces and filesystem, and
 *			 drop every capability
 * @c:		Execution context
 *
 * Never a new network namespace: the daemon's sockets talk to the host's
 * network. A new PID namespace applies to our children only: it is created
 * when daemon_start() will fork, so that the serving process is its first.
 * The user namespace comes first, as it gives us the capabilities the other
 * steps need, over what we own only; then they are all dropped.
 */
void isolation_prefork(const struct ctx *c)
{
	static const struct {
		int flag;
		const char *name;
		const char *otherwise;
	} ns[] = {
		{ CLONE_NEWUSER, "user", "capabilities stay the host's" },
		{ CLONE_NEWNS, "mount", "the filesystem stays in reach" },
		{ CLONE_NEWIPC, "IPC", "IPC objects stay shared" },
		{ CLONE_NEWUTS, "UTS", "the host name stays shared" },
		{ CLONE_NEWPID, "PID", "other processes stay visible" },
	};
	bool mnt_ns = false;
	unsigned i;

	for (i = 0; i < ARRAY_SIZE(ns); i++) {
		if (ns[i].flag == CLONE_NEWPID && c->foreground)
			continue;

		if (unshare(ns[i].flag)) {
			warn("Can't create a %s namespace, %s: %s", ns[i].name,
			     ns[i].otherwise, strerror(errno));
			continue;
		}
		if (ns[i].flag == CLONE_NEWNS)
			mnt_ns = true;
	}

	/* Without a mount namespace of our own, mounts would be the host's */
	if (mnt_ns) {
		const char *step;
		int rc = isolation_root(&step);

		if (rc)
			warn("Can't leave the host's filesystem (%s): %s", step,
			     strerror(rc));
	}

	isolation_caps_drop();
}

#ifdef PASST_TEST_SECCOMP
/**
 * isolation_test_forbidden() - Make a system call outside every filter, for
 *				the tests to see the filter kill the daemon
 * @sig:	Signal number (SIGUSR2), unused
 *
 * Built only into passt.test, by make check, never into passt.
 */
static void isolation_test_forbidden(int sig)
{
	(void)sig;
	(void)syscall(SYS_getppid);
}

/**
 * isolation_test_arm() - Make the forbidden call on SIGUSR2, before the
 *			  filter leaves sigaction() out
 */
static void isolation_test_arm(void)
{
	struct sigaction sa = { .sa_handler = isolation_test_forbidden };

	sigaction(SIGUSR2, &sa, NULL);
}
#endif

/**
 * isolation_seccomp() - Install the seccomp filter of our mode
 * @c:		Execution context
 *
 * The filter (seccomp_filter.c) kills the process on a foreign
 * architecture and on any call not in the list of the mode.
 */
static void isolation_seccomp(const struct ctx *c)
{
	const char *mode = c->vhost_user ? "vhost-user" : "stream";
	const long *nr = isolation_syscalls_stream;
	size_t n = ARRAY_SIZE(isolation_syscalls_stream);
	int rc;

	if (c->vhost_user) {
		nr = isolation_syscalls_vu;
		n = ARRAY_SIZE(isolation_syscalls_vu);
	}

	rc = seccomp_filter_install(nr, n);
	if (rc == ENOSYS)
		warn("No system call filter for this architecture");
	else if (rc)
		warn("Can't install the system call filter: %s", strerror(rc));
	else
		debug("System call filter for the %s front end: %zu calls",
		      mode, n);
}

/**
 * isolation_postfork() - Last steps, in the process that serves: no new
 *			  privileges, not dumpable, the system call filter
 * @c:		Execution context
 *
 * Not dumpable: other processes of our user can't ptrace us or read our
 * memory through /proc, and no core file is written.
 */
void isolation_postfork(const struct ctx *c)
{
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0))
		warn("Can't make the process not dumpable: %s",
		     strerror(errno));

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		warn("Can't set no_new_privs: %s", strerror(errno));

#ifdef PASST_TEST_SECCOMP
	isolation_test_arm();
#endif

	isolation_sanitizer_report(true);
	isolation_seccomp(c);
}
