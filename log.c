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
#include <unistd.h>

#include "log.h"
#include "util.h"

bool log_trace;

static int log_level = LOG_INFO;
static bool log_stderr = true;
static bool log_syslog;
static int log_file_fd = -1;
static uint64_t log_file_cap;
static uint64_t log_file_written;
static struct timespec log_start;

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
 * @size_cap:	Size at which the file is truncated again, 0 for none
 *
 * Return: 0 on success, a positive errno on failure
 */
int log_open_file(const char *path, uint64_t size_cap)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	if (fd < 0)
		return errno;

	log_file_fd = fd;
	log_file_cap = size_cap;
	log_file_written = 0;

	return 0;
}

/**
 * log_to_syslog() - Send messages to syslog when there is no log file
 */
void log_to_syslog(void)
{
	if (log_file_fd >= 0)
		return;
	openlog("passt", LOG_PID | LOG_NDELAY, LOG_DAEMON);
	log_syslog = true;
}

/**
 * log_stderr_off() - Stop copying messages to stderr (after daemonising)
 */
void log_stderr_off(void)
{
	log_stderr = false;
}

/**
 * log_file_write() - Append one line to the log file, truncating it first if
 *		      it would grow past its cap
 * @line:	Text, with its newline
 * @len:	Length of @line
 */
static void log_file_write(const char *line, size_t len)
{
	if (log_file_cap && log_file_written + len > log_file_cap) {
		/* Start over rather than grow without bound */
		if (!ftruncate(log_file_fd, 0) &&
		    lseek(log_file_fd, 0, SEEK_SET) == 0)
			log_file_written = 0;
	}

	if (!write_all(log_file_fd, line, len))
		log_file_written += len;
}

/**
 * vlogmsg() - Format and emit one message
 * @pri:	Syslog priority
 * @fmt:	Format string
 * @ap:		Arguments
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
	if ((size_t)n >= sizeof(line))
		n = sizeof(line) - 1;

	if (log_file_fd >= 0)
		log_file_write(line, (size_t)n);
	else if (log_syslog)
		syslog(pri, "%s", msg);

	if (log_stderr)
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
