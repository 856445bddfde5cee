// SPDX-License-Identifier: GPL-2.0-or-later
/* log.c - logging: levels, destinations (stderr, log file, syslog) and rate
 * limiting
 *
 * Until options are parsed, messages go to stderr. Afterwards they go to the
 * log file if one was given, otherwise to syslog, and also to stderr while
 * the daemon runs in the foreground.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "util.h"

bool log_trace;

static int log_level = LOG_INFO;
static bool log_stderr = true;
static bool log_stderr_errors = true;
static bool log_syslog;
static int log_file_fd = -1;
static uint64_t log_file_cap;
static uint64_t log_file_written;
static uint64_t log_file_hdr;
static struct timespec log_start;

/* glibc builds a syslog line in a 1 KiB buffer, and allocates memory for a
 * longer one: the isolated daemon may not (no brk() or mmap()), so messages
 * are cut to fit with glibc's header (priority, time, "passt: ")
 */
#define LOG_SYSLOG_MAX		960

/**
 * log_set_level() - Set the least important priority that is logged
 * @pri:	LOG_WARNING, LOG_INFO or LOG_DEBUG
 */
void log_set_level(int pri)
{
	log_level = pri;
}

/**
 * log_enabled() - Would a message of this priority be logged?
 * @pri:	Syslog priority
 *
 * Return: true if it would, so that callers can skip costly formatting
 */
bool log_enabled(int pri)
{
	return pri <= log_level;
}

/**
 * log_open_file() - Send messages to a file, truncated on open
 * @path:	File to write
 * @size_cap:	Size the file never grows past, 0 for none
 *
 * The file starts with a line naming the program, which stays in place
 * when old messages are cut to keep within @size_cap.
 *
 * Return: 0 on success, a positive errno on failure
 */
int log_open_file(const char *path, uint64_t size_cap)
{
	char hdr[128];
	int fd, n, rc;

	/* Read access too: cutting old messages moves the file's tail */
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return errno;

	n = snprintf(hdr, sizeof(hdr), "passt %s: log started\n", VERSION);
	rc = write_all(fd, hdr, (size_t)n);
	if (rc) {
		close(fd);
		return rc;
	}

	if (log_file_fd >= 0)
		close(log_file_fd);
	log_file_fd = fd;
	log_file_cap = size_cap;
	log_file_hdr = (uint64_t)n;
	log_file_written = (uint64_t)n;

	return 0;
}

/**
 * log_syslog_open() - Connect to syslog and load the time zone, while the
 *		       host's filesystem is in reach: the isolated daemon has
 *		       no /dev/log and no /etc/localtime to open
 */
void log_syslog_open(void)
{
	tzset();
	openlog("passt", LOG_NDELAY, LOG_DAEMON);
}

/**
 * log_to_syslog() - Send messages to syslog when there is no log file
 */
void log_to_syslog(void)
{
	if (log_file_fd >= 0)
		return;
	log_syslog = true;
}

/**
 * log_stderr_errors_only() - Copy only errors to stderr: a daemon with a log
 *			      file keeps stderr quiet, but whoever starts it
 *			      still sees why start-up failed
 */
void log_stderr_errors_only(void)
{
	log_stderr = false;
}

/**
 * log_stderr_off() - Stop copying messages to stderr (after daemonising)
 */
void log_stderr_off(void)
{
	log_stderr = log_stderr_errors = false;
}

/**
 * log_file_line_after() - Find where the first whole line at or after an
 *			   offset of the log file starts
 * @off:	Offset
 *
 * Return: offset just past the first newline at or after @off, or the end
 *	   of the file if there is none
 *
 * #syscalls: pread64
 */
static uint64_t log_file_line_after(uint64_t off)
{
	char buf[BUFSIZ];

	while (off < log_file_written) {
		ssize_t n = pread(log_file_fd, buf, sizeof(buf), (off_t)off);
		const char *nl;

		if (n <= 0)
			break;
		nl = memchr(buf, '\n', (size_t)n);
		if (nl)
			return off + (uint64_t)(nl - buf) + 1;
		off += (uint64_t)n;
	}

	return log_file_written;
}

/**
 * log_file_cut() - Drop the oldest messages to make room for a new line
 * @len:	Length of the line to make room for
 *
 * A third of the file goes at least, so that this happens rarely; the
 * header line stays, and the cut ends at a line boundary.
 *
 * #syscalls: pread64 pwrite64 ftruncate
 */
static void log_file_cut(size_t len)
{
	uint64_t body = log_file_written - log_file_hdr, drop, from, to;
	char buf[BUFSIZ];

	drop = MAX(body / 3, log_file_written + len - log_file_cap);
	from = log_file_line_after(log_file_hdr + MIN(drop, body) - 1);
	to = log_file_hdr;

	while (from < log_file_written) {
		ssize_t n = pread(log_file_fd, buf, sizeof(buf), (off_t)from);

		if (n <= 0 || pwrite(log_file_fd, buf, (size_t)n,
				     (off_t)to) != n)
			break;
		from += (uint64_t)n;
		to += (uint64_t)n;
	}

	/* If moving failed part way, what was moved is still in order */
	if (ftruncate(log_file_fd, (off_t)to))
		to = log_file_written;
	log_file_written = to;
}

/**
 * log_file_write() - Append one line to the log file, first dropping the
 *		      oldest messages if it would grow past its cap
 * @line:	Text, with its newline
 * @len:	Length of @line
 *
 * #syscalls: pwrite64
 */
static void log_file_write(const char *line, size_t len)
{
	if (log_file_cap && log_file_written + len > log_file_cap)
		log_file_cut(len);
	if (log_file_cap && log_file_written + len > log_file_cap)
		return;	/* the cut failed: don't grow past the cap */

	if (pwrite(log_file_fd, line, len, (off_t)log_file_written) ==
	    (ssize_t)len)
		log_file_written += len;
}

/**
 * vlogmsg() - Format and emit one message
 * @pri:	Syslog priority
 * @fmt:	Format string
 * @ap:		Arguments
 *
 * #syscalls: clock_gettime write sendto socket connect close
 */
__attribute__((format(printf, 2, 0)))
static void vlogmsg(int pri, const char *fmt, va_list ap)
{
	static const char *prefix[] = {
		[LOG_ERR] = "ERROR: ", [LOG_WARNING] = "WARNING: ",
		[LOG_INFO] = "", [LOG_DEBUG] = "",
	};
	char msg[BUFSIZ], line[BUFSIZ + 64];
	struct timespec now;
	int64_t ms;
	int n;

	if (pri > log_level)
		return;

	vsnprintf(msg, sizeof(msg), fmt, ap);

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (!log_start.tv_sec && !log_start.tv_nsec)
		log_start = now;
	ms = timespec_diff_ms(&now, &log_start);

	n = snprintf(line, sizeof(line), "%lld.%03lld: %s%s\n",
		     (long long)(ms / 1000), (long long)(ms % 1000),
		     pri < (int)ARRAY_SIZE(prefix) && prefix[pri] ?
		     prefix[pri] : "", msg);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line)) {
		/* Cut, but still a whole line */
		n = sizeof(line) - 1;
		line[n - 1] = '\n';
	}

	if (log_file_fd >= 0)
		log_file_write(line, (size_t)n);
	else if (log_syslog)
		syslog(pri, "%.*s", LOG_SYSLOG_MAX, msg);

	if (log_stderr || (log_stderr_errors && pri <= LOG_ERR))
		(void)!write(STDERR_FILENO, line, (size_t)n);
}

/**
 * logmsg() - Log a message at a given priority
 * @pri:	Syslog priority
 * @fmt:	Format string, then arguments
 */
void logmsg(int pri, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlogmsg(pri, fmt, ap);
	va_end(ap);
}

/**
 * die() - Log an error and exit with status 1
 * @fmt:	Format string, then arguments
 *
 * #syscalls: exit_group
 */
void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlogmsg(LOG_ERR, fmt, ap);
	va_end(ap);

	exit(EXIT_FAILURE);
}

/**
 * log_ratelimit_pass() - Decide whether a rate-limited message goes out
 * @last:	Second of the last message from this call site, updated
 * @suppressed:	Messages held back since then, updated
 *
 * Return: true if the message should be logged
 *
 * #syscalls: clock_gettime
 */
bool log_ratelimit_pass(time_t *last, unsigned *suppressed)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (now.tv_sec == *last) {
		(*suppressed)++;
		return false;
	}

	if (*suppressed)
		logmsg(LOG_DEBUG, "(%u similar messages suppressed)",
		       *suppressed);
	*last = now.tv_sec;
	*suppressed = 0;

	return true;
}
