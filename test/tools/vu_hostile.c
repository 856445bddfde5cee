// SPDX-License-Identifier: GPL-2.0-or-later
/* test/tools/vu_hostile.c - bad vhost-user front ends, one case at a time */

#include <stdio.h>
#include "vu_front.h"
#include "vu_hostile.h"

void vu_hostile_list(void)
{
}

int vu_hostile_run(const char *name, const char *path)
{
	(void)name; (void)path;
	return 1;
}
