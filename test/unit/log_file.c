// SPDX-License-Identifier: GPL-2.0-or-later
/* test/unit/log_file.c - the log file: its header, and the size cap that
 * drops the oldest messages, keeping whole lines
 */

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "unit.h"

#define CAP	40960

static char path[] = "/tmp/passt-unit-log.XXXXXX";
static char file[CAP * 2];

/**
 * file_read() - Read the whole log file into @file
 *
 * Return: its length
 */
static size_t file_read(void)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		abort();
	n = read(fd, file, sizeof(file) - 1);
	close(fd);
	if (n < 0)
		abort();
	file[n] = '\0';

	return (size_t)n;
}

/**
 * log_file_capped() - Many messages keep the file within its cap, with the
 *		       header first, the newest message last, whole lines only
 */
static void log_file_capped(void)
{
	unsigned i, first_kept;
	char *line;
	size_t len;

	UNIT_CHECK(!log_open_file(path, CAP));
	for (i = 0; i < 3000; i++)
		info("message number %u, padded to make the line longer", i);

	len = file_read();
	UNIT_CHECK(len <= CAP);
	UNIT_CHECK(len > CAP / 2);
	/* The header is the first line */
	UNIT_CHECK(!strncmp(file, "passt ", 6));
	line = strchr(file, '\n');
	UNIT_CHECK(line && !strncmp(line - 11, "log started", 11));

	/* Then whole lines, consecutive, up to the newest message */
	UNIT_CHECK(file[len - 1] == '\n');
	line++;
	UNIT_CHECK(sscanf(strstr(line, "number"), "number %u", &first_kept)
		   == 1);
	UNIT_CHECK(first_kept > 0);
	for (i = first_kept; line < file + len; i++) {
		char want[64], *nl = strchr(line, '\n');

		snprintf(want, sizeof(want), "message number %u,", i);
		*nl = '\0';
		if (!strstr(line, want)) {
			UNIT_CHECK(0);
			break;
		}
		line = nl + 1;
	}
	UNIT_CHECK(i == 3000);
}

/**
 * log_file_uncapped() - Without a cap, nothing is dropped
 */
static void log_file_uncapped(void)
{
	unsigned i;

	UNIT_CHECK(!log_open_file(path, 0));
	for (i = 0; i < 1000; i++)
		info("message number %u, padded to make the line longer", i);

	UNIT_CHECK(file_read() > CAP);
	UNIT_CHECK(strstr(file, "message number 0,") != NULL);
	UNIT_CHECK(strstr(file, "message number 999,") != NULL);
}

/**
 * main() - Run the cases
 *
 * Return: 0 if all passed
 */
int main(void)
{
	int fd = mkstemp(path);

	if (fd < 0)
		return EXIT_FAILURE;
	close(fd);
	log_stderr_off();

	UNIT_RUN(log_file_capped);
	UNIT_RUN(log_file_uncapped);

	unlink(path);
	UNIT_EXIT();
}
