// SPDX-License-Identifier: GPL-2.0-or-later
/* test/unit/conf.c - conf_try(): one command line after another in the same
 * process, each on its own, a bad option handed back as one line of text
 * instead of an exit, and nothing left open
 */

#include <dirent.h>

#include "conf.h"
#include "ctx.h"
#include "fwd.h"
#include "log.h"
#include "unit.h"

#define ARGS_MAX	16

static struct ctx c;
static char err[BUFSIZ];

/**
 * fd_count() - Descriptors this process has open
 *
 * Return: the number of entries in /proc/self/fd, less the one used to
 *	   read it
 */
static int fd_count(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	if (!d)
		abort();
	while (readdir(d))
		n++;
	closedir(d);
	return n - 3;	/* ".", ".." and the directory's own */
}

/**
 * try() - Run conf_try() on a command line
 * @args:	Arguments after the program name, NULL-terminated
 *
 * Return: what conf_try() returns
 */
static int try(const char *const *args)
{
	static char arg0[] = "passt";
	char *argv[ARGS_MAX + 2] = { arg0 };
	int argc = 1;

	while (*args && argc <= ARGS_MAX)
		argv[argc++] = (char *)*args++;

	err[0] = '\0';
	return conf_try(&c, argc, argv, err, sizeof(err));
}

/**
 * conf_bad_returns() - A bad option comes back as one line, and the next
 *			command line parses as if it were the first
 */
static void conf_bad_returns(void)
{
	static const char *const bad[] = { "--mtu", "foo", NULL };
	static const char *const good[] = {
		"-4", "-a", "192.0.2.2", "-n", "16", "-g", "192.0.2.1",
		"--mtu", "1500", NULL,
	};
	static const char *const plain[] = {
		"-4", "-a", "192.0.2.2", "-g", "192.0.2.1", NULL,
	};
	const struct guest_addr *a;

	UNIT_CHECK(try(bad) == CONF_BAD);
	UNIT_CHECK(strstr(err, "--mtu") && !strchr(err, '\n'));

	UNIT_CHECK(try(good) == 0);
	UNIT_CHECK(c.mtu == 1500);
	a = fwd_guest_addr(&c, true);
	UNIT_CHECK(a && a->prefix_len == 16);

	/* Neither the MTU nor the netmask of the last line stays */
	UNIT_CHECK(try(plain) == 0);
	UNIT_CHECK(c.mtu == MTU_DEFAULT);
	a = fwd_guest_addr(&c, true);
	UNIT_CHECK(a && a->prefix_len == 24);
	log_set_level(LOG_INFO);
}

/**
 * conf_help_version() - --help and --version come back for the caller to
 *			 print, whatever follows them
 */
static void conf_help_version(void)
{
	static const char *const help[] = { "-h", "--bogus", NULL };
	static const char *const version[] = { "--version", NULL };

	UNIT_CHECK(try(help) == CONF_HELP);
	UNIT_CHECK(try(version) == CONF_VERSION);
}

/**
 * conf_one_line() - An argument with a newline in it doesn't break the
 *		     message into two lines (found by fuzzing)
 */
static void conf_one_line(void)
{
	static const char *const nl[] = { "--hostname", "a\nb", NULL };

	UNIT_CHECK(try(nl) == CONF_BAD);
	UNIT_CHECK(err[0] && !strchr(err, '\n'));
}

/**
 * conf_no_leak() - A missing interface fails without leaving the netlink
 *		    socket open (found by fuzzing)
 */
static void conf_no_leak(void)
{
	static const char *const missing[] = { "-i", "passt-none0", NULL };
	int fds = fd_count();

	UNIT_CHECK(try(missing) == CONF_BAD);
	UNIT_CHECK(strstr(err, "passt-none0") != NULL);
	UNIT_CHECK(try(missing) == CONF_BAD);
	UNIT_CHECK(fd_count() == fds);
}

/**
 * main() - Run the cases
 *
 * Return: 0 if every case passed
 */
int main(void)
{
	log_stderr_errors_only();

	UNIT_RUN(conf_bad_returns);
	UNIT_RUN(conf_help_version);
	UNIT_RUN(conf_one_line);
	UNIT_RUN(conf_no_leak);

	UNIT_EXIT();
}
