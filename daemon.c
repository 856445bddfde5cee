// SPDX-License-Identifier: GPL-2.0-or-later
/* daemon.c - files opened at start-up (log, PID, capture), and going to the
 * background
 *
 * The order matters, and main() keeps it: options are checked (conf.c),
 * then the files here are opened, then every socket is created, then the
 * daemon isolates itself (isolation.c), and only then does it go to the
 * background. The PID file is written last, by the parent once the child
 * confirms it runs, so that a PID file means "listening and ready": that is
 * what libvirt waits for.
 *
 * Whatever needs a path is opened here, before the host's filesystem goes
 * out of reach: /dev/null for the background, and syslog's socket.
 */

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ctx.h"
#include "daemon.h"
#include "log.h"
#include "pcap.h"
#include "util.h"

/* PID file to remove on exit, set once it is created */
static struct path_at daemon_pid_path = PATH_AT_NONE;

/* /dev/null, for the standard streams in the background */
static int daemon_null_fd = -1;

/* Write end of the pipe a waiting parent reads, -1 in the foreground */
static int daemon_ready_fd = -1;

/* Our PID in the foreground, for the PID file, read before the system call
 * filter (isolation.c) leaves getpid() out
 */
static pid_t daemon_own_pid;

/**
 * daemon_pid_remove() - Remove the PID file at exit, if we may
 *
 * After dropping privileges the directory may not be ours: then the file
 * stays, as it would after a crash, and whoever started us removes it.
 */
static void daemon_pid_remove(void)
{
	int rc = path_at_unlink(&daemon_pid_path);

	if (rc)
		debug("Can't remove the PID file: %s", strerror(rc));
}

/**
 * daemon_files_open() - Open the log, PID and capture files, and what the
 *			 background needs: /dev/null, and syslog without a
 *			 log file
 * @c:		Execution context, c->pid_fd set
 *
 * Done before privileges are dropped, so the files may be anywhere root can
 * write. A failure ends start-up with an error naming the file.
 */
void daemon_files_open(struct ctx *c)
{
	int rc;

	if (c->log_file[0]) {
		rc = log_open_file(c->log_file, c->log_size);
		if (rc)
			die("--log-file: can't open %s: %s", c->log_file,
			    strerror(rc));
		if (!c->foreground)
			log_stderr_errors_only();
	}

	if (c->pid_file[0]) {
		/* Its directory stays open: no path may lead there at exit */
		rc = path_at_open(&daemon_pid_path, c->pid_file);
		if (rc)
			die("--pid: can't open %s: %s", c->pid_file,
			    strerror(rc));
		c->pid_fd = open(c->pid_file,
				 O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
				 0644);
		if (c->pid_fd < 0)
			die("--pid: can't open %s: %s", c->pid_file,
			    strerror(errno));
		/* From now on, any exit but the parent's success removes it */
		atexit(daemon_pid_remove);
	}

	if (c->pcap_file[0]) {
		rc = pcap_open(c->pcap_file);
		if (rc)
			die("--pcap: can't open %s: %s", c->pcap_file,
			    strerror(rc));
		info("Capturing frames to %s", c->pcap_file);
	}

	if (c->foreground)
		return;

	daemon_null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (daemon_null_fd < 0)
		die("Can't open /dev/null: %s", strerror(errno));
	if (!c->log_file[0])
		log_syslog_open();
}

/**
 * daemon_pid_write() - Write a PID to the PID file and close it
 * @c:		Execution context
 * @pid:	PID to write
 *
 * Return: 0 on success, a positive errno on failure
 *
 * #syscalls: write close
 */
static int daemon_pid_write(struct ctx *c, pid_t pid)
{
	char buf[32];
	int n, rc = 0;

	if (c->pid_fd < 0)
		return 0;

	n = snprintf(buf, sizeof(buf), "%d\n", (int)pid);
	if (write(c->pid_fd, buf, (size_t)n) != n)
		rc = errno ? errno : EIO;
	close(c->pid_fd);
	c->pid_fd = -1;

	return rc;
}

/**
 * daemon_parent() - Wait for the child to confirm it runs, write its PID
 * @c:		Execution context
 * @child:	PID of the child
 * @ready_fd:	Read end of the pipe the child confirms on
 *
 * Exits: 0 once the PID file is written, 1 if the child failed
 */
__attribute__((noreturn))
static void daemon_parent(struct ctx *c, pid_t child, int ready_fd)
{
	int status, rc;
	char ok;

	if (read(ready_fd, &ok, 1) != 1) {
		/* The child exited before confirming: report why */
		if (waitpid(child, &status, 0) == child) {
			if (WIFEXITED(status))
				die("Daemon failed to start (exit status %d)",
				    WEXITSTATUS(status));
			if (WIFSIGNALED(status))
				die("Daemon failed to start (killed by signal"
				    " %d)", WTERMSIG(status));
		}
		die("Daemon failed to start");
	}

	rc = daemon_pid_write(c, child);
	if (rc) {
		kill(child, SIGTERM);
		die("--pid: can't write %s: %s", c->pid_file, strerror(rc));
	}

	/* Leave without exit handlers: they belong to the child now */
	_exit(EXIT_SUCCESS);
}

/**
 * daemon_start() - Go to the background, unless -f keeps us in the
 *		    foreground
 * @c:		Execution context
 *
 * In the background the parent exits 0 only after the child has detached
 * (new session, standard descriptors on /dev/null, logging to the log file
 * or syslog), confirmed with daemon_ready() that it serves, and the PID
 * file holds the child's PID.
 */
void daemon_start(struct ctx *c)
{
	int ready[2], fd;
	pid_t pid;

	if (c->foreground) {
		daemon_own_pid = getpid();
		return;
	}

	if (pipe2(ready, O_CLOEXEC))
		die("Can't create a pipe: %s", strerror(errno));

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		die("Can't fork: %s", strerror(errno));
	if (pid > 0) {
		close(ready[1]);
		daemon_parent(c, pid, ready[0]);
	}

	close(ready[0]);
	daemon_ready_fd = ready[1];
	if (c->pid_fd >= 0) {
		close(c->pid_fd);
		c->pid_fd = -1;
	}

	if (setsid() < 0)
		die("Can't start a new session: %s", strerror(errno));

	/* A descriptor passed with --fd may be one of these: keep it */
	for (fd = STDIN_FILENO; fd <= STDERR_FILENO; fd++) {
		if (fd != c->fd_tap && dup2(daemon_null_fd, fd) < 0)
			die("Can't redirect descriptor %d: %s", fd,
			    strerror(errno));
	}
	close(daemon_null_fd);
	daemon_null_fd = -1;

	log_stderr_off();
	log_to_syslog();
}

/**
 * daemon_ready() - Say that the daemon serves, isolated: write our PID to
 *		    the PID file in the foreground, or confirm to the waiting
 *		    parent in the background, which then writes it
 * @c:		Execution context
 *
 * #syscalls: write close
 */
void daemon_ready(struct ctx *c)
{
	if (c->foreground) {
		int rc = daemon_pid_write(c, daemon_own_pid);

		if (rc)
			die("--pid: can't write %s: %s", c->pid_file,
			    strerror(rc));
		return;
	}

	if (write(daemon_ready_fd, "", 1) != 1)
		die("Can't confirm start-up: %s", strerror(errno));
	close(daemon_ready_fd);
	daemon_ready_fd = -1;
}
