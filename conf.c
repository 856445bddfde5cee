// SPDX-License-Identifier: GPL-2.0-or-later
/* conf.c - command line options, and defaults taken from the host
 *
 * Placeholder: the full option set comes with the configuration work.
 */

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "ctx.h"
#include "log.h"

/**
 * conf() - Parse options into the context
 * @c:		Execution context
 * @argc:	Argument count
 * @argv:	Options
 */
void conf(struct ctx *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "foreground",	no_argument,		NULL, 'f' },
		{ "socket",	required_argument,	NULL, 's' },
		{ 0 },
	};
	int opt;

	c->fd_tap = -1;
	c->mtu = MTU_DEFAULT;
	memset(c->guest_mac, 0xff, sizeof(c->guest_mac));

	while ((opt = getopt_long(argc, argv, "fs:", opts, NULL)) != -1) {
		switch (opt) {
		case 'f':
			c->foreground = true;
			break;
		case 's':
			snprintf(c->sock_path, sizeof(c->sock_path), "%s",
				 optarg);
			break;
		default:
			exit(EXIT_FAILURE);
		}
	}
}
