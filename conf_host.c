// SPDX-License-Identifier: GPL-2.0-or-later
/* conf_host.c - defaults taken from the host: template interface, its
 * addresses and gateway, DNS servers and search list, and the start-up
 * summary of the configuration; and conf_fail(), how both halves report a
 * bad command line
 *
 * Per family, the template interface is -i, else --outbound-if4/6, else
 * the interface of the default route. Unless -a gave the family an address,
 * the guest gets the template's global addresses, so that it looks like the
 * host to the outside; the gateway is the default route's next hop. What
 * the command line set is never overridden here.
 */

#include <ctype.h>
#include <errno.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf_host.h"
#include "ctx.h"
#include "fwd.h"
#include "log.h"
#include "netlink.h"

#define RESOLV_CONF		"/etc/resolv.conf"

/* Set while conf_try() runs: checks fail from deep inside the parsers, and
 * a jump back spares every one of them an error path of its own
 */
static struct conf_catch *conf_catch;

/**
 * conf_fail_catch() - Make conf_fail() jump instead of exiting, or stop
 * @to:		Where to jump, with the message, NULL to exit again
 */
void conf_fail_catch(struct conf_catch *to)
{
	conf_catch = to;
}

/**
 * conf_fail() - Report a bad command line in one line and exit with 1, or
 *		 hand the line to conf_try() if it set a catch
 * @fmt:	Format string, then arguments
 *
 * Nothing has been opened or created when this is called. It lives here,
 * below conf.c, as both halves of the configuration report with it.
 */
void conf_fail(const char *fmt, ...)
{
	char msg[BUFSIZ], *p;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);

	/* Arguments quoted in the message must not break it into lines */
	for (p = msg; *p; p++) {
		if (iscntrl((unsigned char)*p))
			*p = '?';
	}

	if (conf_catch) {
		struct conf_catch *to = conf_catch;

		conf_catch = NULL;
		memcpy(to->msg, msg, sizeof(msg));
		longjmp(to->env, 1);
	}

	fprintf(stderr, "passt: %s\n", msg);
	exit(EXIT_FAILURE);
}

/**
 * conf_fam_name() - Name of a family, for messages
 * @c:		Execution context
 * @f:		Family, &c->ip4 or &c->ip6
 *
 * Return: "IPv4" or "IPv6"
 */
static const char *conf_fam_name(const struct ctx *c, const struct fam_ctx *f)
{
	return f == &c->ip4 ? "IPv4" : "IPv6";
}

/**
 * conf_fam_of() - Family configuration an address belongs to
 * @c:		Execution context
 * @a:		Address
 *
 * Return: &c->ip4 or &c->ip6
 */
static struct fam_ctx *conf_fam_of(struct ctx *c, const union inany_addr *a)
{
	return inany_v4(a) ? &c->ip4 : &c->ip6;
}

/**
 * conf_has_addr() - Does the guest have an address of a family and origin?
 * @c:		Execution context
 * @v4:		true for IPv4, false for IPv6
 * @flags:	CONF_ADDR_* bits, any of which counts
 *
 * Return: true if such an address is in the array
 */
static bool conf_has_addr(const struct ctx *c, bool v4, uint8_t flags)
{
	const struct guest_addr *a;

	for_each_addr(a, c, flags) {
		if (!!inany_v4(&a->addr) == v4)
			return true;
	}

	return false;
}

/**
 * conf_named_ifi() - Look up the interface the options name for a family
 * @c:		Execution context
 * @f:		Family
 *
 * Exits with 1 if the interface doesn't exist.
 *
 * Return: interface index, 0 if the options name none
 */
static unsigned conf_named_ifi(const struct ctx *c, const struct fam_ctx *f)
{
	unsigned ifi;

	if (f->ifname[0]) {
		ifi = if_nametoindex(f->ifname);
		if (!ifi)
			conf_fail("--interface: no interface named '%s'",
				  f->ifname);
		return ifi;
	}

	if (f->ifname_out[0]) {
		ifi = if_nametoindex(f->ifname_out);
		if (!ifi)
			conf_fail("--outbound-if%c: no interface named '%s'",
				  f == &c->ip4 ? '4' : '6', f->ifname_out);
		return ifi;
	}

	return 0;
}

/**
 * conf_template_ifi() - Pick the template interface of a family
 * @f:		Family, @ifi set if the options name one
 * @af:		AF_INET or AF_INET6
 *
 * Return: interface index, 0 if the family has none
 */
static unsigned conf_template_ifi(const struct fam_ctx *f, sa_family_t af)
{
	union inany_addr gw;

	if (f->ifi)
		return f->ifi;

	return nl_default_route(af, 0, &gw);
}

/**
 * conf_template() - Find a family's template, copy its addresses and gateway
 * @c:		Execution context
 * @f:		Family
 * @af:		AF_INET or AF_INET6
 * @netmask:	Prefix length from -n for copied IPv4 addresses, -1 if none
 * @host_ll:	IPv6: the template's link-local address, set if it has one
 */
static void conf_template(struct ctx *c, struct fam_ctx *f, sa_family_t af,
			  int netmask, union inany_addr *host_ll)
{
	bool v4 = af == AF_INET, user = conf_has_addr(c, v4, CONF_ADDR_USER);
	struct nl_addr addrs[MAX_GUEST_ADDRS];
	unsigned ifi;
	int n, i;

	ifi = conf_template_ifi(f, af);
	if (!ifi) {
		f->enabled = user;
		return;
	}

	f->ifi = ifi;
	if (!if_indextoname(ifi, f->ifname))
		snprintf(f->ifname, sizeof(f->ifname), "if%u", ifi);

	if (inany_is_unspecified(&f->gw))
		nl_default_route(af, ifi, &f->gw);

	n = nl_addrs(af, ifi, addrs, ARRAY_SIZE(addrs));
	if (n < 0) {
		warn("Can't read the addresses of %s: %s", f->ifname,
		     strerror(-n));
		n = 0;
	}

	for (i = 0; i < n; i++) {
		uint8_t len = addrs[i].prefix_len;

		if (addrs[i].linklocal) {
			if (!v4 && inany_is_unspecified(host_ll))
				*host_ll = addrs[i].addr;
			continue;
		}
		if (user)
			continue;
		if (v4 && netmask >= 0)
			len = (uint8_t)netmask;
		fwd_set_addr(c, &addrs[i].addr, CONF_ADDR_HOST, len);
	}

	f->enabled = user || conf_has_addr(c, v4, CONF_ADDR_HOST);
}

/**
 * conf_resolv_name() - Copy one domain from resolv.conf, if it fits
 * @dst:	Destination, DOMAIN_NAME_MAX + 1 bytes
 * @name:	Domain
 *
 * Return: true if copied
 */
static bool conf_resolv_name(char *dst, const char *name)
{
	size_t len = strlen(name);

	if (!len || len > DOMAIN_NAME_MAX - 1)
		return false;
	memcpy(dst, name, len + 1);
	return true;
}

/**
 * conf_resolv_read() - Read name servers and search domains
 * @path:	resolv.conf to read
 * @r:		What it says; empty if it can't be read
 *
 * Lines that can't be used (bad addresses, overlong names) are skipped, as
 * the resolver itself would.
 */
void conf_resolv_read(const char *path, struct conf_resolv *r)
{
	FILE *f = fopen(path, "re");
	char line[1024];

	memset(r, 0, sizeof(*r));
	if (!f)
		return;

	while (fgets(line, sizeof(line), f)) {
		char *save = NULL, *key, *val;

		key = strtok_r(line, " \t\r\n", &save);
		if (!key || *key == '#' || *key == ';')
			continue;

		if (!strcmp(key, "nameserver")) {
			val = strtok_r(NULL, " \t\r\n", &save);
			if (!val || r->ns_count >= CONF_RESOLV_NS_MAX)
				continue;
			/* A scope (fe80::1%eth0) means nothing to the guest */
			val[strcspn(val, "%")] = '\0';
			if (inany_pton(val, &r->ns[r->ns_count]) &&
			    !inany_is_unspecified(&r->ns[r->ns_count]))
				r->ns_count++;
		} else if (!strcmp(key, "search") || !strcmp(key, "domain")) {
			/* The last such line wins */
			r->search_count = 0;
			while ((val = strtok_r(NULL, " \t\r\n", &save)) &&
			       r->search_count < MAX_SEARCH) {
				if (conf_resolv_name(r->search[r->search_count],
						     val))
					r->search_count++;
			}
		}
	}

	fclose(f);
}

/**
 * conf_dns_add() - Give the guest a DNS server, within the per-family limit
 * @c:		Execution context
 * @a:		Server
 */
static void conf_dns_add(struct ctx *c, const union inany_addr *a)
{
	unsigned i, same = 0;

	for (i = 0; i < c->dns_count; i++) {
		if (inany_equals(&c->dns[i], a))
			return;
		if (!!inany_v4(&c->dns[i]) == !!inany_v4(a))
			same++;
	}

	if (same < MAX_DNS_PER_FAMILY && c->dns_count < MAX_DNS)
		c->dns[c->dns_count++] = *a;
}

/**
 * conf_dns_resolv() - DNS servers for the guest from the host's resolv.conf
 * @c:		Execution context
 * @r:		Contents of resolv.conf
 *
 * A loopback server (a local caching resolver) can't be reached from the
 * guest as it is: the guest gets the address mapped to the host's loopback
 * instead, and its queries to that address go to the loopback server.
 */
static void conf_dns_resolv(struct ctx *c, const struct conf_resolv *r)
{
	unsigned i;

	for (i = 0; i < r->ns_count; i++) {
		const union inany_addr *ns = &r->ns[i];
		struct fam_ctx *f = conf_fam_of(c, ns);

		if (!f->enabled)
			continue;

		if (!inany_is_loopback(ns)) {
			conf_dns_add(c, ns);
			continue;
		}

		if (inany_is_unspecified(&f->map_host_loopback))
			continue;	/* no way for the guest to reach it */
		if (inany_is_unspecified(&f->dns_match))
			f->dns_match = f->map_host_loopback;
		if (inany_is_unspecified(&f->dns_host))
			f->dns_host = *ns;
		conf_dns_add(c, &f->map_host_loopback);
	}
}

/**
 * conf_dns_host_default() - Where redirected DNS queries go, if unset: the
 *			     first resolv.conf server of the family
 * @c:		Execution context
 * @f:		Family
 * @r:		Contents of resolv.conf
 */
static void conf_dns_host_default(struct ctx *c, struct fam_ctx *f,
				  const struct conf_resolv *r)
{
	unsigned i;

	if (inany_is_unspecified(&f->dns_match) ||
	    !inany_is_unspecified(&f->dns_host))
		return;

	for (i = 0; i < r->ns_count; i++) {
		if (conf_fam_of(c, &r->ns[i]) == f) {
			f->dns_host = r->ns[i];
			return;
		}
	}

	conf_fail("--dns-forward: no %s name server in %s to forward to, "
		  "give --dns-host", conf_fam_name(c, f), RESOLV_CONF);
}

/**
 * conf_dns() - Fill in DNS servers, redirection and search domains
 * @c:		Execution context
 *
 * -D and -S replace what resolv.conf says; --dns-forward addresses are
 * given to the guest in place of resolv.conf's servers.
 */
static void conf_dns(struct ctx *c)
{
	struct fam_ctx *fams[] = { &c->ip4, &c->ip6 };
	struct conf_resolv r;
	unsigned i;

	conf_resolv_read(RESOLV_CONF, &r);

	if (!c->no_dns && !c->dns_count) {
		for (i = 0; i < ARRAY_SIZE(fams); i++) {
			if (!inany_is_unspecified(&fams[i]->dns_match))
				conf_dns_add(c, &fams[i]->dns_match);
		}
		if (!c->dns_count)
			conf_dns_resolv(c, &r);
	}

	for (i = 0; i < ARRAY_SIZE(fams); i++)
		conf_dns_host_default(c, fams[i], &r);

	if (!c->no_search && !c->search_count) {
		memcpy(c->search, r.search, sizeof(c->search));
		c->search_count = r.search_count;
	}
}

/**
 * conf_host() - Fill in what the options left open from the host
 * @c:		Execution context, with the options applied
 * @netmask:	Prefix length from -n, -1 if none
 *
 * Exits with 1 if an interface named on the command line doesn't exist.
 */
void conf_host(struct ctx *c, int netmask)
{
	union inany_addr host_ll = { .u32 = { 0 } };
	struct fam_ctx *fams[] = { &c->ip4, &c->ip6 };
	unsigned i;
	int rc;

	/* Before the netlink socket opens: a bad name must leave nothing
	 * open, as conf_try() goes on after conf_fail()
	 */
	for (i = 0; i < ARRAY_SIZE(fams); i++) {
		if (fams[i]->enabled)
			fams[i]->ifi = conf_named_ifi(c, fams[i]);
	}

	rc = nl_open();
	if (rc)
		conf_fail("Can't query the host's interfaces: %s",
			  strerror(rc));
	if (c->ip4.enabled)
		conf_template(c, &c->ip4, AF_INET, netmask, &host_ll);
	if (c->ip6.enabled)
		conf_template(c, &c->ip6, AF_INET6, netmask, &host_ll);
	nl_close();

	if (!c->ip4.enabled && !c->ip6.enabled)
		conf_fail("No usable address family: no template interface "
			  "with addresses, and no --address");

	for (i = 0; i < ARRAY_SIZE(fams); i++) {
		struct fam_ctx *f = fams[i];

		if (!c->no_map_gw &&
		    inany_is_unspecified(&f->map_host_loopback))
			f->map_host_loopback = f->gw;
	}

	/* Our link-local address is the source of NDP and DHCPv6 */
	if (inany_is_linklocal(&c->ip6.gw)) {
		c->ip6.our_ll = c->ip6.gw;
	} else if (!inany_is_unspecified(&host_ll)) {
		c->ip6.our_ll = host_ll;
	} else {
		memset(&c->ip6.our_ll, 0, sizeof(c->ip6.our_ll));
		c->ip6.our_ll.a6.s6_addr[0] = 0xfe;
		c->ip6.our_ll.a6.s6_addr[1] = 0x80;
		c->ip6.our_ll.a6.s6_addr[15] = 1;
	}

	conf_dns(c);
}

/**
 * conf_append() - Append formatted text to a summary line
 * @buf:	Line
 * @size:	Size of @buf
 * @fmt:	Format string, then arguments
 *
 * Text that doesn't fit is cut, and the line ends in "...".
 */
__attribute__((format(printf, 3, 4)))
static void conf_append(char *buf, size_t size, const char *fmt, ...)
{
	size_t len = strlen(buf);
	va_list ap;
	int n;

	if (len + 1 >= size)
		return;

	va_start(ap, fmt);
	n = vsnprintf(buf + len, size - len, fmt, ap);
	va_end(ap);

	if (n >= 0 && (size_t)n >= size - len && size > 4)
		memcpy(buf + size - 4, "...", 4);
}

/**
 * conf_summary_fam() - Log one family's addresses and gateway
 * @c:		Execution context
 * @f:		Family
 */
static void conf_summary_fam(const struct ctx *c, const struct fam_ctx *f)
{
	bool v4 = f == &c->ip4;
	char line[1024] = "", buf[INANY_ADDRSTRLEN];
	const struct guest_addr *a;
	const char *sep = "";

	if (!f->enabled) {
		info("%s: disabled", conf_fam_name(c, f));
		return;
	}

	conf_append(line, sizeof(line), "%s: template %s, address",
		    conf_fam_name(c, f), f->ifi ? f->ifname : "none");
	for_each_addr(a, c, CONF_ADDR_USER | CONF_ADDR_HOST) {
		if (!!inany_v4(&a->addr) != v4)
			continue;
		conf_append(line, sizeof(line), "%s %s/%u (%s)", sep,
			    inany_ntop(&a->addr, buf, sizeof(buf)),
			    a->prefix_len,
			    (a->flags & CONF_ADDR_USER) ? "user" : "host");
		sep = ",";
	}
	if (!*sep)
		conf_append(line, sizeof(line), " none");

	conf_append(line, sizeof(line), ", gateway %s",
		    inany_is_unspecified(&f->gw) ? "none" :
		    inany_ntop(&f->gw, buf, sizeof(buf)));
	if (!v4)
		conf_append(line, sizeof(line), ", our link-local %s",
			    inany_ntop(&f->our_ll, buf, sizeof(buf)));
	if (!inany_is_unspecified(&f->map_host_loopback))
		conf_append(line, sizeof(line), ", host loopback as %s",
			    inany_ntop(&f->map_host_loopback, buf,
				       sizeof(buf)));
	if (!inany_is_unspecified(&f->map_guest_addr))
		conf_append(line, sizeof(line), ", host address as %s",
			    inany_ntop(&f->map_guest_addr, buf, sizeof(buf)));
	info("%s", line);

	if (!inany_is_unspecified(&f->dns_match)) {
		char host[INANY_ADDRSTRLEN];

		info("%s: DNS queries to %s go to %s", conf_fam_name(c, f),
		     inany_ntop(&f->dns_match, buf, sizeof(buf)),
		     inany_ntop(&f->dns_host, host, sizeof(host)));
	}
}

/**
 * conf_summary_fwd() - Log the forwarding rules of one protocol, in the
 *			syntax of -t and -u
 * @name:	Protocol name
 * @t:		Rules
 */
static void conf_summary_fwd(const char *name, const struct fwd_table *t)
{
	char line[1024] = "", buf[INANY_ADDRSTRLEN];
	unsigned i;

	for (i = 0; i < t->count; i++) {
		const struct fwd_rule *r = &t->rules[i];
		unsigned to_last = r->to + (unsigned)(r->last - r->first);

		conf_append(line, sizeof(line), "%s", i ? ", " : "");
		if (!inany_is_unspecified(&r->addr) || r->ifname[0])
			conf_append(line, sizeof(line), "%s%s%s/",
				    inany_is_unspecified(&r->addr) ? "" :
				    inany_ntop(&r->addr, buf, sizeof(buf)),
				    r->ifname[0] ? "%" : "", r->ifname);
		conf_append(line, sizeof(line), "%u", r->first);
		if (r->last != r->first)
			conf_append(line, sizeof(line), "-%u", r->last);
		if (r->to != r->first) {
			conf_append(line, sizeof(line), ":%u", r->to);
			if (r->last != r->first)
				conf_append(line, sizeof(line), "-%u", to_last);
		}
		if (r->flags & FWD_WEAK)
			conf_append(line, sizeof(line), " (weak)");
	}

	info("%s forwarding: %s", name, t->count ? line : "none");
}

/**
 * conf_summary() - Log the configuration at start-up
 * @c:		Execution context
 */
void conf_summary(const struct ctx *c)
{
	char line[1024] = "", buf[INANY_ADDRSTRLEN];
	const uint8_t *m = c->our_mac;
	unsigned i;

	info("MAC %02x:%02x:%02x:%02x:%02x:%02x, MTU %d%s", m[0], m[1], m[2],
	     m[3], m[4], m[5], c->mtu, c->mtu ? "" : " (not advertised)");
	conf_summary_fam(c, &c->ip4);
	conf_summary_fam(c, &c->ip6);

	for (i = 0; i < c->dns_count; i++)
		conf_append(line, sizeof(line), "%s%s", i ? ", " : "",
			    inany_ntop(&c->dns[i], buf, sizeof(buf)));
	info("DNS: %s", c->dns_count ? line : "none");

	line[0] = '\0';
	for (i = 0; i < c->search_count; i++)
		conf_append(line, sizeof(line), "%s%s", i ? ", " : "",
			    c->search[i]);
	info("DNS search: %s", c->search_count ? line : "none");

	if (c->hostname[0] || c->fqdn[0])
		info("Host name: %s, FQDN: %s",
		     c->hostname[0] ? c->hostname : "none",
		     c->fqdn[0] ? c->fqdn : "none");

	conf_summary_fwd("TCP", &c->tcp_fwd);
	conf_summary_fwd("UDP", &c->udp_fwd);
}
