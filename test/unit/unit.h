/* SPDX-License-Identifier: GPL-2.0-or-later */
/* unit.h - minimal unit test support: each test program runs its cases and
 * prints one line per case in the format test/run reads
 */

#ifndef UNIT_H
#define UNIT_H

#include <stdio.h>
#include <stdlib.h>

#include "inany.h"

static int unit_failed_cases;
static int unit_case_failed;
static const char *unit_case_name;

/* Check a condition inside a case; a failure names the line and goes on */
#define UNIT_CHECK(cond)						\
	do {								\
		if (!(cond)) {						\
			if (!unit_case_failed)				\
				printf("FAIL unit/%s: %s:%d: %s\n",	\
				       unit_case_name, __FILE__,	\
				       __LINE__, #cond);		\
			unit_case_failed = 1;				\
		}							\
	} while (0)

/* Run one case: a function taking no arguments and returning nothing */
#define UNIT_RUN(fn)							\
	do {								\
		unit_case_name = #fn;					\
		unit_case_failed = 0;					\
		fn();							\
		if (unit_case_failed)					\
			unit_failed_cases++;				\
		else							\
			printf("ok unit/%s\n", #fn);			\
		fflush(stdout);						\
	} while (0)

/**
 * test_addr() - Parse an address for a test, aborting on a typo
 * @s:		Text form
 *
 * Return: the address
 */
static inline union inany_addr test_addr(const char *s)
{
	union inany_addr a;

	if (!inany_pton(s, &a))
		abort();
	return a;
}

#define UNIT_EXIT()	return unit_failed_cases ? EXIT_FAILURE : EXIT_SUCCESS

#endif /* UNIT_H */
