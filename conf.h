/* SPDX-License-Identifier: GPL-2.0-or-later */
/* conf.h - command line options, and defaults taken from the host */

#ifndef CONF_H
#define CONF_H

struct ctx;

void conf(struct ctx *c, int argc, char **argv);

#endif /* CONF_H */
