// SPDX-License-Identifier: GPL-2.0-or-later
/* fwd_spec.c - the text of -t and -u port specifications, turned into
 * forwarding rules
 *
 * A specification is an optional "[ADDR][%IFNAME]/" prefix followed by
 * "none", "all", or a comma separated list of items:
 *
 *	PORT, FIRST-LAST		forward to the same port in the guest
 *	PORT:GUEST, FIRST-LAST:GF-GL	forward to other guest ports
 *	~PORT, ~FIRST-LAST		leave these ports out
 *
 * "all", or a list of exclusions only, stands for every port outside the
 * host's ephemeral range: those rules are weak, as some of the ports are
 * bound to be in use already.
 *
 * Items first fill a map from host port to guest port, so that overlaps
 * are found port by port and exclusions can cut ranges anywhere; the map
 * then becomes one rule per run of ports mapping to consecutive guest ports.
 * This sits below conf.c and knows nothing of the context: it is handed the
 * table and the ephemeral range, and hands back an error text.
 */

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fwd_spec.h"
#include "inany.h"
#include "util.h"

#define PORT_MAX	65535U

/* Guest port for each host port of the specification being parsed, 0 if
 * the port is not forwarded
 */
static uint16_t spec_map[PORT_MAX + 1];
/* Host ports excluded with '~' */
static bool spec_excluded[PORT_MAX + 1];

/**
 * struct spec_item - One comma separated item
 * @exclude:	Item started with '~'
 * @first:	First host port
 * @last:	Last host port
 * @to:		Guest port for @first
 */
struct spec_item {
	bool exclude;
	unsigned first;
	unsigned last;
	unsigned to;
};

/**
 * spec_fail() - Write an error text
 * @err:	Buffer for the text
 * @err_len:	Size of @err
 * @fmt:	Format string, then arguments
 *
 * Return: -1, for the caller to return
 */
__attribute__((format(printf, 3, 4)))
static int spec_fail(char *err, size_t err_len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, err_len, fmt, ap);
	va_end(ap);

	return -1;
}

/**
 * spec_port() - Parse a port number at a cursor
 * @p:		Cursor, moved past the digits
 * @end:	End of the item
 * @port:	Port number, set on success
 *
 * Return: 0 on success, 1 if there are no digits, 2 if the number is 0 or
 *	   above 65535
 */
static int spec_port(const char **p, const char *end, unsigned *port)
{
	unsigned long v = 0;
	const char *s = *p;

	if (s == end || *s < '0' || *s > '9')
		return 1;

	for (; s < end && *s >= '0' && *s <= '9'; s++) {
		v = v * 10 + (unsigned long)(*s - '0');
		if (v > PORT_MAX)
			v = PORT_MAX + 1;	/* saturate, keep scanning */
	}

	*p = s;
	*port = (unsigned)v;
	return (v == 0 || v > PORT_MAX) ? 2 : 0;
}

/**
 * spec_range() - Parse "PORT" or "FIRST-LAST" at a cursor
 * @p:		Cursor, moved past the range
 * @end:	End of the item
 * @first:	First port, set on success
 * @last:	Last port, set on success
 *
 * Return: 0 on success, 1 if malformed, 2 for a port out of range, 3 for a
 *	   range going backwards
 */
static int spec_range(const char **p, const char *end, unsigned *first,
		      unsigned *last)
{
	int rc = spec_port(p, end, first);

	if (rc)
		return rc;

	*last = *first;
	if (*p < end && **p == '-') {
		(*p)++;
		rc = spec_port(p, end, last);
		if (rc)
			return rc;
		if (*last < *first)
			return 3;
	}

	return 0;
}

/**
 * spec_item_parse() - Parse one "[~]FIRST[-LAST][:GFIRST[-GLAST]]" item
 * @s:		Start of the item
 * @len:	Length of the item
 * @it:		Parsed item, set on success
 * @err:	Buffer for an error text
 * @err_len:	Size of @err
 *
 * Return: 0 on success, -1 with @err filled on failure
 */
static int spec_item_parse(const char *s, size_t len, struct spec_item *it,
			   char *err, size_t err_len)
{
	static const char *const why[] = {
		NULL,
		"malformed (expected [~]PORT[-LAST][:GUEST[-GLAST]])",
		"port out of range (1 to 65535)",
		"range goes backwards",
	};
	const char *p = s, *end = s + len;
	unsigned to_first, to_last;
	int rc;

	if (!len)
		return spec_fail(err, err_len, "empty item in port list");

	it->exclude = *p == '~';
	if (it->exclude)
		p++;

	rc = spec_range(&p, end, &it->first, &it->last);
	if (rc)
		goto bad;
	it->to = it->first;

	if (p < end && *p == ':') {
		if (it->exclude) {
			return spec_fail(err, err_len,
					 "'%.*s': exclusions take no guest port",
					 (int)len, s);
		}
		p++;
		rc = spec_range(&p, end, &to_first, &to_last);
		if (rc)
			goto bad;
		if (to_last - to_first != it->last - it->first) {
			return spec_fail(err, err_len,
					 "'%.*s': host and guest ranges differ in length",
					 (int)len, s);
		}
		it->to = to_first;
	}

	rc = 1;
	if (p == end)
		return 0;
bad:
	return spec_fail(err, err_len, "'%.*s': %s", (int)len, s, why[rc]);
}

/**
 * spec_prefix_parse() - Parse the "[ADDR][%IFNAME]" before a '/'
 * @s:		Start of the prefix
 * @len:	Length of the prefix, without the '/'
 * @tmpl:	Rule whose address, interface and family flags are set
 * @err:	Buffer for an error text
 * @err_len:	Size of @err
 *
 * Return: 0 on success, -1 with @err filled on failure
 */
static int spec_prefix_parse(const char *s, size_t len, struct fwd_rule *tmpl,
			     char *err, size_t err_len)
{
	char buf[INET6_ADDRSTRLEN + IFNAMSIZ + 4];
	char *addr = buf, *ifname = NULL, *pct;
	bool bracket = false;

	if (!len)
		return spec_fail(err, err_len, "nothing before '/'");
	if (len >= sizeof(buf)) {
		return spec_fail(err, err_len, "'%.*s': prefix too long",
				 (int)len, s);
	}
	memcpy(buf, s, len);
	buf[len] = '\0';

	if (buf[0] == '[') {
		char *close = strchr(buf, ']');

		if (!close)
			return spec_fail(err, err_len, "'%s': missing ']'", buf);
		*close = '\0';
		addr = buf + 1;
		if (close[1] && close[1] != '%') {
			return spec_fail(err, err_len,
					 "'%s]%s': unexpected text after ']'",
					 buf, close + 1);
		}
		pct = close[1] ? close + 1 : NULL;
		bracket = true;
	} else {
		pct = strchr(buf, '%');
	}

	if (pct) {
		*pct = '\0';
		ifname = pct + 1;
		if (!*ifname)
			return spec_fail(err, err_len, "empty interface name");
		if (strlen(ifname) >= IFNAMSIZ) {
			return spec_fail(err, err_len,
					 "interface name '%s' too long", ifname);
		}
		snprintf(tmpl->ifname, sizeof(tmpl->ifname), "%s", ifname);
	}

	if (*addr) {
		if (!inany_pton(addr, &tmpl->addr))
			return spec_fail(err, err_len,
					 "invalid address '%s'", addr);
		if (inany_v4(&tmpl->addr)) {
			if (bracket) {
				return spec_fail(err, err_len,
						 "'[%s]': brackets are for IPv6",
						 addr);
			}
			tmpl->flags |= FWD_V4_ONLY;
		} else {
			tmpl->flags |= FWD_V6_ONLY;
		}
	} else if (bracket) {
		return spec_fail(err, err_len, "empty address in brackets");
	}

	return 0;
}

/**
 * spec_map_add() - Enter an item's ports in the map
 * @it:		Parsed item, not an exclusion
 *
 * Return: 0 on success, -1 if a port was already entered
 */
static int spec_map_add(const struct spec_item *it)
{
	unsigned p;

	for (p = it->first; p <= it->last; p++) {
		if (spec_map[p])
			return -1;
		spec_map[p] = (uint16_t)(it->to + (p - it->first));
	}

	return 0;
}

/**
 * spec_item_apply() - Parse one port item and enter it in the map
 * @item:	Start of the item
 * @len:	Length of the item
 * @include:	Set if the item forwards ports, rather than excluding them
 * @err:	Buffer for an error text
 * @err_len:	Size of @err
 *
 * Return: 0 on success, -1 with @err filled on failure
 */
static int spec_item_apply(const char *item, size_t len, bool *include,
			   char *err, size_t err_len)
{
	struct spec_item it = { 0 };

	if (spec_item_parse(item, len, &it, err, err_len))
		return -1;

	if (it.exclude) {
		unsigned port;

		for (port = it.first; port <= it.last; port++)
			spec_excluded[port] = true;
		return 0;
	}

	*include = true;
	if (spec_map_add(&it)) {
		return spec_fail(err, err_len, "'%.*s': overlaps an earlier item",
				 (int)len, item);
	}

	return 0;
}

/**
 * spec_map_all() - Enter every port outside the ephemeral range, unmapped
 * @eph:	Ephemeral range of the host
 */
static void spec_map_all(const struct fwd_port_range *eph)
{
	unsigned p;

	for (p = 1; p <= PORT_MAX; p++) {
		if (p < eph->first || p > eph->last)
			spec_map[p] = (uint16_t)p;
	}
}

/**
 * spec_rules_clash() - Could two rules want the same socket?
 * @a:		One rule
 * @b:		Another rule
 *
 * Return: true if their ports overlap in a family both cover, on an address
 *	   and interface both cover
 */
static bool spec_rules_clash(const struct fwd_rule *a,
			     const struct fwd_rule *b)
{
	const uint8_t fam = FWD_V4_ONLY | FWD_V6_ONLY;
	uint8_t fa = a->flags & fam, fb = b->flags & fam;

	if (fa && fb && fa != fb)
		return false;
	if (a->first > b->last || b->first > a->last)
		return false;
	if (!inany_is_unspecified(&a->addr) &&
	    !inany_is_unspecified(&b->addr) &&
	    !inany_equals(&a->addr, &b->addr))
		return false;
	if (a->ifname[0] && b->ifname[0] && strcmp(a->ifname, b->ifname) != 0)
		return false;

	return true;
}

/**
 * spec_map_emit() - Append the map's runs to the table as rules
 * @t:		Table to append to
 * @tmpl:	Address, interface and flags for every rule
 * @err:	Buffer for an error text
 * @err_len:	Size of @err
 *
 * Return: 0 on success, -1 with @err filled on failure; the table is only
 *	   changed on success
 */
static int spec_map_emit(struct fwd_table *t, const struct fwd_rule *tmpl,
			 char *err, size_t err_len)
{
	unsigned p, count = t->count, i;

	for (p = 1; p <= PORT_MAX; p++) {
		struct fwd_rule *r;

		if (!spec_map[p] || spec_excluded[p])
			continue;

		if (count >= FWD_RULES_MAX) {
			return spec_fail(err, err_len,
					 "too many forwarding rules (at most %u)",
					 FWD_RULES_MAX);
		}

		r = &t->rules[count];
		*r = *tmpl;
		r->first = r->last = (uint16_t)p;
		r->to = spec_map[p];
		while (p < PORT_MAX && !spec_excluded[p + 1] &&
		       spec_map[p + 1] && spec_map[p + 1] == spec_map[p] + 1)
			r->last = (uint16_t)++p;

		for (i = 0; i < t->count; i++) {
			const struct fwd_rule *old = &t->rules[i];

			if (spec_rules_clash(r, old)) {
				return spec_fail(err, err_len,
						 "port %u already forwarded",
						 MAX(r->first, old->first));
			}
		}
		count++;
	}

	if (count == t->count)
		return spec_fail(err, err_len, "no ports left to forward");

	t->count = count;
	return 0;
}

/**
 * fwd_spec_ephemeral() - Read the host's ephemeral port range
 * @eph:	Range, the kernel's default if the host's can't be read
 */
void fwd_spec_ephemeral(struct fwd_port_range *eph)
{
	FILE *f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "re");
	char line[64];

	eph->first = FWD_EPHEMERAL_FIRST;
	eph->last = FWD_EPHEMERAL_LAST;
	if (!f)
		return;

	if (fgets(line, sizeof(line), f)) {
		unsigned long first, last;
		char *end;

		first = strtoul(line, &end, 10);
		last = strtoul(end, &end, 10);
		if (first >= 1 && first <= last && last <= PORT_MAX) {
			eph->first = (uint16_t)first;
			eph->last = (uint16_t)last;
		}
	}
	fclose(f);
}

/**
 * fwd_spec_parse() - Parse one -t or -u specification into rules
 * @t:		Table the rules are appended to
 * @spec:	Specification text
 * @eph:	Host's ephemeral range, left out of "all" and exclusion lists
 * @err:	Buffer for an error text, without the option name
 * @err_len:	Size of @err
 *
 * Return: 0 on success, -1 with @err filled on failure; the table is only
 *	   changed on success
 */
int fwd_spec_parse(struct fwd_table *t, const char *spec,
		   const struct fwd_port_range *eph, char *err, size_t err_len)
{
	struct fwd_rule tmpl = { .addr.u32 = { 0 } };
	bool all = false, include = false;
	const char *slash, *p, *item;

	slash = strchr(spec, '/');
	if (slash) {
		if (strchr(slash + 1, '/'))
			return spec_fail(err, err_len, "more than one '/'");
		if (spec_prefix_parse(spec, (size_t)(slash - spec), &tmpl,
				      err, err_len))
			return -1;
		p = slash + 1;
	} else {
		p = spec;
	}

	if (!*p)
		return spec_fail(err, err_len, "empty port specification");

	if (!strcmp(p, "none")) {
		if (slash) {
			return spec_fail(err, err_len,
					 "'none' takes no address or interface");
		}
		return 0;
	}

	memset(spec_map, 0, sizeof(spec_map));
	memset(spec_excluded, 0, sizeof(spec_excluded));

	for (item = p; ; item = p + 1) {
		size_t len;

		p = strchrnul(item, ',');
		len = (size_t)(p - item);

		if (len == 3 && !strncmp(item, "all", 3)) {
			if (all)
				return spec_fail(err, err_len, "'all' twice");
			all = true;
		} else if (len == 4 && !strncmp(item, "none", 4)) {
			return spec_fail(err, err_len,
					 "'none' cannot be combined with ports");
		} else if (spec_item_apply(item, len, &include, err, err_len)) {
			return -1;
		}

		if (!*p)
			break;
	}

	if (all && include) {
		return spec_fail(err, err_len,
				 "'all' can only be combined with exclusions");
	}
	if (!include) {
		spec_map_all(eph);
		tmpl.flags |= FWD_WEAK;
	}

	return spec_map_emit(t, &tmpl, err, err_len);
}
