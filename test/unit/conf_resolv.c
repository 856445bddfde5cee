// SPDX-License-Identifier: GPL-2.0-or-later
/* test/unit/conf_resolv.c - reading the host's resolv.conf: name servers
 * of both families, scopes, comments, search and domain lines, limits and
 * malformed lines
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf_host.h"
#include "unit.h"

static char path[] = "/tmp/passt-unit-resolv.XXXXXX";
static struct conf_resolv r;

/**
 * resolv() - Write a resolv.conf and read it back into @r
 * @text:	File contents
 */
static void resolv(const char *text)
{
	FILE *f = fopen(path, "w");

	if (!f || fputs(text, f) < 0 || fclose(f))
		abort();
	conf_resolv_read(path, &r);
}

/**
 * ns_is() - Check one name server
 * @i:		Index
 * @text:	Expected address
 *
 * Return: true if it matches
 */
static bool ns_is(unsigned i, const char *text)
{
	union inany_addr a;

	return i < r.ns_count && inany_pton(text, &a) &&
	       inany_equals(&r.ns[i], &a);
}

/**
 * resolv_servers() - Both families in file order, comments and junk skipped
 */
static void resolv_servers(void)
{
	resolv("# comment\n"
	       "; another\n"
	       "nameserver 192.0.2.53\n"
	       "nameserver\t2001:db8::53\n"
	       "nameserver fe80::1%eth0\n"
	       "nameserver not-an-address\n"
	       "nameserver 0.0.0.0\n"
	       "nameserver\n"
	       "options ndots:2\n"
	       "   nameserver 127.0.0.53   \n");
	UNIT_CHECK(r.ns_count == 4);
	UNIT_CHECK(ns_is(0, "192.0.2.53"));
	UNIT_CHECK(ns_is(1, "2001:db8::53"));
	UNIT_CHECK(ns_is(2, "fe80::1"));
	UNIT_CHECK(ns_is(3, "127.0.0.53"));
	UNIT_CHECK(r.search_count == 0);
}

/**
 * resolv_search() - The last search or domain line wins, up to MAX_SEARCH
 */
static void resolv_search(void)
{
	resolv("search a.example b.example\n"
	       "domain c.example\n");
	UNIT_CHECK(r.search_count == 1 && !strcmp(r.search[0], "c.example"));

	resolv("domain c.example\n"
	       "search a.example b.example\n");
	UNIT_CHECK(r.search_count == 2 && !strcmp(r.search[0], "a.example") &&
		   !strcmp(r.search[1], "b.example"));

	resolv("search 1.example 2.example 3.example 4.example 5.example "
	       "6.example 7.example\n");
	UNIT_CHECK(r.search_count == MAX_SEARCH);
	UNIT_CHECK(!strcmp(r.search[MAX_SEARCH - 1], "6.example"));
}

/**
 * resolv_limits() - Server list capacity, overlong names, missing file
 */
static void resolv_limits(void)
{
	char text[2048] = "", name[400];
	unsigned i;

	for (i = 0; i < CONF_RESOLV_NS_MAX + 3; i++) {
		char line[64];

		snprintf(line, sizeof(line), "nameserver 192.0.2.%u\n", i + 1);
		strcat(text, line);
	}
	resolv(text);
	UNIT_CHECK(r.ns_count == CONF_RESOLV_NS_MAX);
	UNIT_CHECK(ns_is(CONF_RESOLV_NS_MAX - 1, "192.0.2.8"));

	memset(name, 'a', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	snprintf(text, sizeof(text), "search ok.example %s\n", name);
	resolv(text);
	UNIT_CHECK(r.search_count == 1 && !strcmp(r.search[0], "ok.example"));

	conf_resolv_read("/nonexistent/resolv.conf", &r);
	UNIT_CHECK(r.ns_count == 0 && r.search_count == 0);
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

	UNIT_RUN(resolv_servers);
	UNIT_RUN(resolv_search);
	UNIT_RUN(resolv_limits);

	unlink(path);
	UNIT_EXIT();
}
