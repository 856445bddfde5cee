// SPDX-License-Identifier: GPL-2.0-or-later
/* test/fuzz/conf.c - libFuzzer target: the command line, through
 * conf_try(), host defaults included, in a network namespace with only a
 * loopback interface, so that every run sees the same host
 *
 * Input: the arguments, separated by NUL bytes (argv[0] is added). A bad
 * command line must come back as one line of text, never exit; every
 * input must leave no descriptor open.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "ctx.h"
#include "fuzz.h"
#include "log.h"
#include "util.h"

#define ARGS_MAX	64

/* Descriptors open when the input started: it must leave as many */
static int fd_baseline;

/**
 * LLVMFuzzerInitialize() - Isolate, quieten the logs
 * @argc:	Unused
 * @argv:	Unused
 *
 * Return: 0
 */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;

	fuzz_isolate();
	fuzz_init();
	return 0;
}

/**
 * LLVMFuzzerTestOneInput() - Parse one command line
 * @data:	Input
 * @size:	Its length
 *
 * Return: 0
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char buf[65536 + 1], *argv[ARGS_MAX + 2];
	static char arg0[] = "passt";
	static struct ctx c;
	char err[BUFSIZ];
	int argc = 1, rc;
	size_t i;

	fd_baseline = fuzz_fd_count();
	size = MIN(size, sizeof(buf) - 1);
	memcpy(buf, data, size);
	buf[size] = '\0';

	argv[0] = arg0;
	for (i = 0; i < size && argc <= ARGS_MAX; i++) {
		argv[argc++] = buf + i;
		i += strlen(buf + i);
	}
	argv[argc] = NULL;

	err[0] = '\0';
	rc = conf_try(&c, argc, argv, err, sizeof(err));
	if (rc == CONF_BAD && (!err[0] || strchr(err, '\n'))) {
		fprintf(stderr, "fuzz: not one line of error: '%s'\n", err);
		abort();
	}

	/* conf_try() set the levels the command line asked for */
	fuzz_init();
	fuzz_fd_check(fd_baseline);
	return 0;
}
