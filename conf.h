/* SPDX-License-Identifier: GPL-2.0-or-later */
/* conf.h - command line options, and defaults taken from the host */

#ifndef CONF_H
#define CONF_H

#include <stddef.h>

struct ctx;

/* What conf_try() returns besides 0 */
#define CONF_BAD	(-1)	/* a bad option: the reason is in @err */
#define CONF_HELP	1	/* --help: print the usage, nothing else */
#define CONF_VERSION	2	/* --version: print the version */

int conf_try(struct ctx *c, int argc, char **argv, char *err, size_t err_len);
void conf(struct ctx *c, int argc, char **argv);

#endif /* CONF_H */
