/* SPDX-License-Identifier: GPL-2.0-or-later */
/* conf_host.h - defaults taken from the host: template interface, its
 * addresses and gateway, DNS servers and search list, and the start-up
 * summary of the configuration; and conf_fail(), which conf.c shares
 */

#ifndef CONF_HOST_H
#define CONF_HOST_H

#include <setjmp.h>
#include <stdbool.h>
#include <stdio.h>

#include "ctx.h"

/* Name servers kept from resolv.conf, before the per-family limit */
#define CONF_RESOLV_NS_MAX	8

/**
 * struct conf_resolv - What resolv.conf says
 * @ns:			Name servers, in file order
 * @ns_count:		Entries used in @ns
 * @search:		Search domains of the last "search" or "domain" line
 * @search_count:	Entries used in @search
 */
struct conf_resolv {
	union inany_addr ns[CONF_RESOLV_NS_MAX];
	unsigned ns_count;
	char search[MAX_SEARCH][DOMAIN_NAME_MAX + 1];
	unsigned search_count;
};

/**
 * struct conf_catch - Where conf_fail() goes instead of exiting, while
 *		       conf_try() runs
 * @env:	Jump back into conf_try()
 * @msg:	The message
 */
struct conf_catch {
	jmp_buf env;
	char msg[BUFSIZ];
};

void conf_fail(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));
void conf_fail_catch(struct conf_catch *to);
void conf_resolv_read(const char *path, struct conf_resolv *r);
void conf_host(struct ctx *c, int netmask);
void conf_summary(const struct ctx *c);

#endif /* CONF_HOST_H */
