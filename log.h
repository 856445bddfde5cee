/* SPDX-License-Identifier: GPL-2.0-or-later */
/* log.h - logging: levels, destinations (stderr, log file, syslog) and
 * rate limiting for messages that a guest can trigger at will
 */

#ifndef LOG_H
#define LOG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <syslog.h>
#include <time.h>

void logmsg(int pri, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void die(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));

#define err(...)	logmsg(LOG_ERR, __VA_ARGS__)
#define warn(...)	logmsg(LOG_WARNING, __VA_ARGS__)
#define info(...)	logmsg(LOG_INFO, __VA_ARGS__)
#define debug(...)	logmsg(LOG_DEBUG, __VA_ARGS__)

/* Per-packet detail: only with --trace, and cheap to skip otherwise */
extern bool log_trace;
#define trace(...)							\
	do {								\
		if (log_trace)						\
			logmsg(LOG_DEBUG, __VA_ARGS__);			\
	} while (0)

bool log_ratelimit_pass(time_t *last, unsigned *suppressed);

/* At most one message a second from each call site: what the guest can
 * trigger must not flood the log
 */
#define LOG_RATELIMITED(pri, ...)					\
	do {								\
		static time_t rl_last_;					\
		static unsigned rl_suppressed_;				\
									\
		if (log_ratelimit_pass(&rl_last_, &rl_suppressed_))	\
			logmsg(pri, __VA_ARGS__);			\
	} while (0)

/* An invariant the code relies on: if it doesn't hold, carrying on would
 * corrupt state or memory, so log where and abort, in every build
 */
#define ASSERT(expr)							\
	do {								\
		if (!(expr)) {						\
			logmsg(LOG_ERR, "ASSERTION FAILED in %s (%s:%d): %s", \
			       __func__, __FILE__, __LINE__, #expr);	\
			abort();					\
		}							\
	} while (0)

#define debug_ratelimit(...)	LOG_RATELIMITED(LOG_DEBUG, __VA_ARGS__)
#define warn_ratelimit(...)	LOG_RATELIMITED(LOG_WARNING, __VA_ARGS__)

void log_set_level(int pri);
bool log_enabled(int pri);
int log_open_file(const char *path, uint64_t size_cap);
void log_syslog_open(void);
void log_to_syslog(void);
void log_stderr_errors_only(void);
void log_stderr_off(void);

#endif /* LOG_H */
