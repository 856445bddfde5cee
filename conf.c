// SPDX-License-Identifier: GPL-2.0-or-later
/* conf.c - command line options, and defaults taken from the host
 *
 * Start-up runs in three steps, so that a mistake on the command line never
 * leaves anything behind: every option is parsed and checked first (a bad
 * one prints one line naming it and exits 1), then the host is asked for
 * what the options leave open (template interface, addresses, gateway, DNS),
 * and only after that, in daemon.c, are files and sockets created.
 *
 * Option names and meanings follow the original passt, so that libvirt's and
 * QEMU's command lines work unchanged.
 */

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "conf_host.h"
#include "ctx.h"
#include "dname.h"
#include "fwd.h"
#include "fwd_spec.h"
#include "log.h"
#include "migrate.h"
#include "udp.h"

/* Smallest --log-size: a few of the longest lines fit */
#define LOG_SIZE_MIN		(5UL * BUFSIZ)
#define LOG_SIZE_DEFAULT	(1024UL * 1024)

/* User to run as when started as root, and its id if it has no entry */
#define RUNAS_DEFAULT_USER	"nobody"
#define RUNAS_DEFAULT_ID	65534

/* -t and -u options, parsed once the address families are settled */
#define PORT_SPECS_MAX		64

/* Values of options that have no short form */
enum conf_long_opt {
	OPT_TRACE = 256,
	OPT_LOG_SIZE,
	OPT_OUTBOUND_IF4,
	OPT_OUTBOUND_IF6,
	OPT_NO_DHCP_DNS,
	OPT_NO_DHCP_SEARCH,
	OPT_DNS_FORWARD,
	OPT_DNS_HOST,
	OPT_MAP_HOST_LOOPBACK,
	OPT_MAP_GUEST_ADDR,
	OPT_NO_MAP_GW,
	OPT_NO_DHCP,
	OPT_NO_NDP,
	OPT_NO_DHCPV6,
	OPT_NO_RA,
	OPT_NO_ICMP,
	OPT_NO_TCP,
	OPT_NO_UDP,
	OPT_RUNAS,
	OPT_FQDN,
	OPT_FREEBIND,
	OPT_UDP_TIMEOUT,
	OPT_VHOST_USER,
	OPT_VERSION,
	OPT_MIGRATE_VERSION,
	OPT_MIGRATE_CTL,
	OPT_MIGRATE_EXIT,
	OPT_MIGRATE_NO_LINGER,
	OPT_REPAIR_PATH,
	/* New long-only options: add a value here, a row in conf_opts[], a
	 * case in conf_parse() and a line in conf_usage() (and doc/passt.1)
	 */
};

static const struct option conf_opts[] = {
	{ "foreground",		no_argument,		NULL, 'f' },
	{ "debug",		no_argument,		NULL, 'd' },
	{ "trace",		no_argument,		NULL, OPT_TRACE },
	{ "quiet",		no_argument,		NULL, 'q' },
	{ "log-file",		required_argument,	NULL, 'l' },
	{ "log-size",		required_argument,	NULL, OPT_LOG_SIZE },
	{ "stderr",		no_argument,		NULL, 'e' },
	{ "socket",		required_argument,	NULL, 's' },
	{ "socket-path",	required_argument,	NULL, 's' },
	{ "fd",			required_argument,	NULL, 'F' },
	{ "one-off",		no_argument,		NULL, '1' },
	{ "pid",		required_argument,	NULL, 'P' },
	{ "mtu",		required_argument,	NULL, 'm' },
	{ "address",		required_argument,	NULL, 'a' },
	{ "netmask",		required_argument,	NULL, 'n' },
	{ "mac-addr",		required_argument,	NULL, 'M' },
	{ "gateway",		required_argument,	NULL, 'g' },
	{ "interface",		required_argument,	NULL, 'i' },
	{ "outbound",		required_argument,	NULL, 'o' },
	{ "outbound-if4",	required_argument,	NULL,
						OPT_OUTBOUND_IF4 },
	{ "outbound-if6",	required_argument,	NULL,
						OPT_OUTBOUND_IF6 },
	{ "dns",		required_argument,	NULL, 'D' },
	{ "search",		required_argument,	NULL, 'S' },
	{ "no-dhcp-dns",	no_argument,		NULL, OPT_NO_DHCP_DNS },
	{ "no-dhcp-search",	no_argument,		NULL,
						OPT_NO_DHCP_SEARCH },
	{ "dns-forward",	required_argument,	NULL, OPT_DNS_FORWARD },
	{ "dns-host",		required_argument,	NULL, OPT_DNS_HOST },
	{ "map-host-loopback",	required_argument,	NULL,
						OPT_MAP_HOST_LOOPBACK },
	{ "map-guest-addr",	required_argument,	NULL,
						OPT_MAP_GUEST_ADDR },
	{ "no-map-gw",		no_argument,		NULL, OPT_NO_MAP_GW },
	{ "no-dhcp",		no_argument,		NULL, OPT_NO_DHCP },
	{ "no-ndp",		no_argument,		NULL, OPT_NO_NDP },
	{ "no-dhcpv6",		no_argument,		NULL, OPT_NO_DHCPV6 },
	{ "no-ra",		no_argument,		NULL, OPT_NO_RA },
	{ "no-icmp",		no_argument,		NULL, OPT_NO_ICMP },
	{ "no-tcp",		no_argument,		NULL, OPT_NO_TCP },
	{ "no-udp",		no_argument,		NULL, OPT_NO_UDP },
	{ "ipv4-only",		no_argument,		NULL, '4' },
	{ "ipv6-only",		no_argument,		NULL, '6' },
	{ "pcap",		required_argument,	NULL, 'p' },
	{ "runas",		required_argument,	NULL, OPT_RUNAS },
	{ "hostname",		required_argument,	NULL, 'H' },
	{ "fqdn",		required_argument,	NULL, OPT_FQDN },
	{ "tcp-ports",		required_argument,	NULL, 't' },
	{ "udp-ports",		required_argument,	NULL, 'u' },
	{ "freebind",		no_argument,		NULL, OPT_FREEBIND },
	{ "udp-timeout",	required_argument,	NULL, OPT_UDP_TIMEOUT },
	{ "vhost-user",		no_argument,		NULL, OPT_VHOST_USER },
	{ "help",		no_argument,		NULL, 'h' },
	{ "version",		no_argument,		NULL, OPT_VERSION },
	{ "migrate-version",	required_argument,	NULL,
						OPT_MIGRATE_VERSION },
	{ "migrate-ctl",	required_argument,	NULL, OPT_MIGRATE_CTL },
	{ "migrate-exit",	no_argument,		NULL, OPT_MIGRATE_EXIT },
	{ "migrate-no-linger",	no_argument,		NULL,
						OPT_MIGRATE_NO_LINGER },
	{ "repair-path",	required_argument,	NULL, OPT_REPAIR_PATH },
	{ 0 },
};

/* '+': stop at the first argument that is not an option; ':': report a
 * missing argument apart from an unknown option
 */
static const char conf_optstring[] =
	"+:fdql:es:F:1P:m:a:n:M:g:i:o:D:S:46p:H:t:u:h";

/**
 * struct conf_user_addr - An address given with -a, before -n is applied
 * @addr:	Address
 * @prefix_len:	Prefix length given with it, -1 if none
 */
struct conf_user_addr {
	union inany_addr addr;
	int prefix_len;
};

/**
 * struct conf_args - What the command line said, beyond the context fields
 * @v4_only:		-4 given
 * @v6_only:		-6 given
 * @netmask:		Prefix length from -n, -1 if none
 * @user_addrs:		Addresses from -a
 * @user_addr_count:	Entries used in @user_addrs
 * @dns_none:		-D none given
 * @dns_given:		-D with an address given
 * @search_none:	-S none given
 * @no_dhcp_dns:	--no-dhcp-dns given
 * @no_dhcp_search:	--no-dhcp-search given
 * @map_hl_none:	--map-host-loopback none given
 * @map_hl_given:	--map-host-loopback with an address given
 * @map_ga_none:	--map-guest-addr none given
 * @log_size_given:	--log-size given
 * @runas_given:	--runas given
 * @repair_none:	--repair-path none given
 * @tcp_specs:		Arguments of -t
 * @tcp_spec_count:	Entries used in @tcp_specs
 * @udp_specs:		Arguments of -u
 * @udp_spec_count:	Entries used in @udp_specs
 */
struct conf_args {
	bool v4_only;
	bool v6_only;
	int netmask;
	struct conf_user_addr user_addrs[MAX_GUEST_ADDRS];
	unsigned user_addr_count;
	bool dns_none;
	bool dns_given;
	bool search_none;
	bool no_dhcp_dns;
	bool no_dhcp_search;
	bool map_hl_none;
	bool map_hl_given;
	bool map_ga_none;
	bool log_size_given;
	bool runas_given;
	bool repair_none;
	const char *tcp_specs[PORT_SPECS_MAX];
	unsigned tcp_spec_count;
	const char *udp_specs[PORT_SPECS_MAX];
	unsigned udp_spec_count;
};

/* Checks on addresses given on the command line */
#define CONF_ADDR_ALLOW_LOOPBACK	(1U << 0)
#define CONF_ADDR_ALLOW_LINKLOCAL	(1U << 1)

/**
 * conf_usage() - Print the option summary
 * @f:		Where to print it
 */
static void conf_usage(FILE *f)
{
	fputs(
"Usage: passt [OPTION]...\n"
"User-mode network back-end for virtual machines: connects a guest's\n"
"Ethernet link, over a UNIX domain socket, to the host's sockets.\n"
"\n"
"General:\n"
"  -f, --foreground           don't run in the background\n"
"  -d, --debug                log debug messages\n"
"      --trace                log per-packet detail too (implies -d)\n"
"  -q, --quiet                log only warnings and errors\n"
"  -l, --log-file PATH        log to PATH instead of syslog\n"
"      --log-size BYTES       cap the log file at BYTES (default 1 MiB)\n"
"  -e, --stderr               accepted for compatibility, no effect\n"
"  -s, --socket PATH          UNIX domain socket to listen on\n"
"                             (also --socket-path;\n"
"                             default /tmp/passt_N.socket)\n"
"  -F, --fd FD                use connected socket FD (implies -1)\n"
"  -1, --one-off              exit when the first client disconnects\n"
"  -P, --pid FILE             write the daemon's PID to FILE\n"
"  -p, --pcap FILE            capture every frame to FILE (pcap format)\n"
"      --runas UID[:GID]      run as this user and group, numbers or names\n"
"                             (default when started as root: nobody)\n"
"      --vhost-user           speak vhost-user on the -s or --fd socket\n"
"  -h, --help                 print this text and exit\n"
"      --version              print the version and exit\n"
"\n"
"Addresses (default: copied from the host's template interface):\n"
"  -m, --mtu N                guest MTU, 0 for none (default 65520)\n"
"  -a, --address ADDR[/LEN]   guest address, IPv4 or IPv6, repeatable\n"
"  -n, --netmask MASK         IPv4 netmask, dotted or prefix length\n"
"  -M, --mac-addr ADDR        our MAC address (default 9a:55:9a:55:9a:55)\n"
"  -g, --gateway ADDR         guest gateway, once per family\n"
"  -i, --interface NAME       template interface for both families\n"
"  -o, --outbound ADDR        source address of outbound sockets, per family\n"
"      --outbound-if4 NAME    bind outbound IPv4 sockets to this interface\n"
"      --outbound-if6 NAME    bind outbound IPv6 sockets to this interface\n"
"  -4, --ipv4-only            IPv4 only\n"
"  -6, --ipv6-only            IPv6 only\n"
"\n"
"DNS and names (default: from the host's /etc/resolv.conf):\n"
"  -D, --dns ADDR|none        DNS server for the guest, up to 3 per family\n"
"  -S, --search DOMAIN|none   search domain for the guest, up to 6\n"
"      --no-dhcp-dns          don't give DNS servers to the guest\n"
"      --no-dhcp-search       don't give the search list to the guest\n"
"      --dns-forward ADDR     give the guest ADDR as DNS server, forwarded\n"
"                             to the host's resolver\n"
"      --dns-host ADDR        resolver that forwarded DNS queries go to\n"
"  -H, --hostname NAME        host name for the guest (DHCP)\n"
"      --fqdn NAME            guest's FQDN (DHCP, DHCPv6)\n"
"\n"
"Address mapping:\n"
"      --map-host-loopback ADDR|none\n"
"                             guest address reaching the host's loopback\n"
"                             (default: the gateway)\n"
"      --map-guest-addr ADDR|none\n"
"                             guest address reaching the host's own address\n"
"      --no-map-gw            don't map the gateway to the host's loopback\n"
"\n"
"Protocols and services:\n"
"      --no-dhcp, --no-dhcpv6, --no-ndp, --no-ra\n"
"                             don't offer DHCP, DHCPv6, NDP, router adverts\n"
"      --no-icmp              no ICMP echo (implies --no-ndp)\n"
"      --no-tcp, --no-udp     no TCP, no UDP\n"
"      --freebind             listen on addresses the host doesn't have\n"
"      --udp-timeout SECONDS  close UDP flows idle for SECONDS (default "
	STRINGIFY(UDP_TIMEOUT_DEFAULT) ")\n"
"\n"
"Inbound forwarding (default: none):\n"
"  -t, --tcp-ports SPEC       forward host TCP ports to the guest\n"
"  -u, --udp-ports SPEC       forward host UDP ports to the guest\n"
"    SPEC: none, all, or [ADDR][%IFNAME]/ then a comma separated list of\n"
"    PORT, FIRST-LAST, PORT:GUESTPORT, FIRST-LAST:GFIRST-GLAST, and\n"
"    ~PORT or ~FIRST-LAST to leave ports out. 'all' and lists of exclusions\n"
"    only cover the ports outside the host's ephemeral range.\n"
"\n"
"Migration:\n"
"      --migrate-version N    write migration streams as version N, 2 or 3\n"
"      --migrate-exit         exit once a migration's state is saved\n"
"      --migrate-no-linger    close migrated connections at once\n"
"                             (default 3; 2 to move a guest to an older one)\n"
"      --migrate-ctl PATH     test interface, not for production: save and\n"
"                             load migration streams on request, over the\n"
"                             UNIX socket PATH (see doc/migration.md)\n"
"      --repair-path PATH|none\n"
"                             socket for passt-repair, which switches TCP\n"
"                             sockets to repair mode for migration (default:\n"
"                             the -s path with .repair appended)\n",
	f);
}

/**
 * conf_number() - Parse a decimal number option, within bounds
 * @opt:	Option name, for messages
 * @arg:	Text
 * @min:	Smallest value accepted
 * @max:	Largest value accepted
 *
 * Return: the number; exits with a message if it isn't one or out of range
 */
static unsigned long conf_number(const char *opt, const char *arg,
				 unsigned long min, unsigned long max)
{
	unsigned long v;
	char *end;

	errno = 0;
	if (!isdigit((unsigned char)*arg))
		conf_fail("%s: '%s' is not a number", opt, arg);
	v = strtoul(arg, &end, 10);
	if (*end)
		conf_fail("%s: '%s' is not a number", opt, arg);
	if (errno || v < min || v > max)
		conf_fail("%s: %s out of range (%lu to %lu)", opt, arg, min,
			  max);

	return v;
}

/**
 * conf_path() - Copy a path option, checking its length
 * @opt:	Option name, for messages
 * @arg:	Path
 * @dst:	Destination
 * @size:	Size of @dst
 */
static void conf_path(const char *opt, const char *arg, char *dst,
		      size_t size)
{
	if (!*arg)
		conf_fail("%s: empty path", opt);
	if (strlen(arg) >= size)
		conf_fail("%s: path too long (at most %zu bytes)", opt,
			  size - 1);
	if (*dst)
		conf_fail("%s: given twice", opt);
	memcpy(dst, arg, strlen(arg) + 1);
}

/**
 * conf_ifname() - Copy an interface name option, checking it
 * @opt:	Option name, for messages
 * @arg:	Interface name
 * @dst:	Destination, IFNAMSIZ bytes
 */
static void conf_ifname(const char *opt, const char *arg, char *dst)
{
	const char *p;

	if (!*arg)
		conf_fail("%s: empty interface name", opt);
	if (strlen(arg) >= IFNAMSIZ)
		conf_fail("%s: interface name '%s' too long", opt, arg);
	for (p = arg; *p; p++) {
		if (*p == '/' || isspace((unsigned char)*p))
			conf_fail("%s: invalid interface name '%s'", opt, arg);
	}
	if (*dst)
		conf_fail("%s: given twice", opt);
	memcpy(dst, arg, strlen(arg) + 1);
}

/**
 * conf_name() - Copy a domain or host name option, checking it
 * @opt:	Option name, for messages
 * @arg:	Name
 * @dst:	Destination, DOMAIN_NAME_MAX + 1 bytes
 */
static void conf_name(const char *opt, const char *arg, char *dst)
{
	const char *why = dname_check(arg);

	if (why)
		conf_fail("%s: '%s' %s", opt, arg, why);

	memcpy(dst, arg, strlen(arg) + 1);
}

/**
 * conf_addr() - Parse an address option
 * @opt:	Option name, for messages
 * @arg:	Text
 * @a:		Address, set
 * @allow:	CONF_ADDR_ALLOW_* bits: kinds of address accepted
 */
static void conf_addr(const char *opt, const char *arg, union inany_addr *a,
		      unsigned allow)
{
	if (!inany_pton(arg, a))
		conf_fail("%s: invalid address '%s'", opt, arg);
	if (inany_is_unspecified(a))
		conf_fail("%s: %s is the unspecified address", opt, arg);
	if (inany_is_multicast(a))
		conf_fail("%s: %s is a multicast or broadcast address", opt,
			  arg);
	if (!(allow & CONF_ADDR_ALLOW_LOOPBACK) && inany_is_loopback(a))
		conf_fail("%s: %s is a loopback address", opt, arg);
	if (!(allow & CONF_ADDR_ALLOW_LINKLOCAL) && inany_is_linklocal(a))
		conf_fail("%s: %s is a link-local address", opt, arg);
}

/**
 * conf_fam_addr() - Parse an option taking one address per family
 * @c:		Execution context
 * @opt:	Option name, for messages
 * @arg:	Text
 * @off:	Offset of the field in struct fam_ctx
 * @allow:	CONF_ADDR_ALLOW_* bits: kinds of address accepted
 */
static void conf_fam_addr(struct ctx *c, const char *opt, const char *arg,
			  size_t off, unsigned allow)
{
	union inany_addr a, *dst;
	struct fam_ctx *fam;

	conf_addr(opt, arg, &a, allow);
	fam = inany_v4(&a) ? &c->ip4 : &c->ip6;
	dst = (union inany_addr *)((char *)fam + off);
	if (!inany_is_unspecified(dst))
		conf_fail("%s: given twice for %s", opt,
			  inany_v4(&a) ? "IPv4" : "IPv6");
	*dst = a;
}

/**
 * conf_user_addr() - Parse -a ADDR[/PREFIX]
 * @args:	Command line state
 * @arg:	Text
 */
static void conf_user_addr(struct conf_args *args, const char *arg)
{
	char buf[INET6_ADDRSTRLEN + 8];
	struct conf_user_addr *u;
	const char *slash;
	unsigned i;

	if (args->user_addr_count >= ARRAY_SIZE(args->user_addrs))
		conf_fail("--address: more than %zu addresses",
			  ARRAY_SIZE(args->user_addrs));
	u = &args->user_addrs[args->user_addr_count];

	if (strlen(arg) >= sizeof(buf))
		conf_fail("--address: invalid address '%s'", arg);
	memcpy(buf, arg, strlen(arg) + 1);

	u->prefix_len = -1;
	slash = strchr(arg, '/');
	if (slash)
		buf[slash - arg] = '\0';

	conf_addr("--address", buf, &u->addr, 0);

	if (slash) {
		unsigned long max = inany_v4(&u->addr) ? 32 : 128;

		u->prefix_len = (int)conf_number("--address prefix length",
						 slash + 1, 1, max);
	}

	for (i = 0; i < args->user_addr_count; i++) {
		if (inany_equals(&args->user_addrs[i].addr, &u->addr))
			conf_fail("--address: %s given twice", buf);
	}
	args->user_addr_count++;
}

/**
 * conf_netmask() - Parse -n: a dotted IPv4 netmask or a prefix length
 * @arg:	Text
 *
 * Return: prefix length, 1 to 32
 */
static int conf_netmask(const char *arg)
{
	struct in_addr mask;
	uint32_t m;
	int len;

	if (!strchr(arg, '.'))
		return (int)conf_number("--netmask", arg, 1, 32);

	if (inet_pton(AF_INET, arg, &mask) != 1)
		conf_fail("--netmask: invalid netmask '%s'", arg);

	m = ntohl(mask.s_addr);
	for (len = 0; len < 32 && (m & (1U << (31 - len))); len++)
		;
	if (!len || (len < 32 && (m << len)))
		conf_fail("--netmask: %s is not a contiguous netmask", arg);

	return len;
}

/**
 * conf_mac() - Parse -M: six colon separated pairs of hex digits
 * @arg:	Text
 * @mac:	Address, set
 */
static void conf_mac(const char *arg, uint8_t *mac)
{
	const char *p = arg;
	int i;

	for (i = 0; i < ETH_ALEN_BYTES; i++) {
		if (!isxdigit((unsigned char)p[0]) ||
		    !isxdigit((unsigned char)p[1]) ||
		    p[2] != (i == ETH_ALEN_BYTES - 1 ? '\0' : ':'))
			conf_fail("--mac-addr: invalid MAC address '%s'", arg);
		mac[i] = (uint8_t)strtoul((char[]){ p[0], p[1], '\0' },
					  NULL, 16);
		p += 3;
	}

	if (mac[0] & 1)
		conf_fail("--mac-addr: %s is a multicast address", arg);
	if (!(mac[0] | mac[1] | mac[2] | mac[3] | mac[4] | mac[5]))
		conf_fail("--mac-addr: %s is all zeroes", arg);
}

/**
 * conf_user_lookup() - Find a user's ids by name or by number
 * @name:	User name, NULL to look up @uid
 * @uid:	User id, if @name is NULL
 * @uid_out:	User id found
 * @gid_out:	Primary group of the user found
 *
 * Return: true if the user has an entry
 */
static bool conf_user_lookup(const char *name, uid_t uid, uid_t *uid_out,
			     gid_t *gid_out)
{
	static char buf[BUFSIZ * 2];
	struct passwd pwd, *pw = NULL;
	int rc;

	if (name)
		rc = getpwnam_r(name, &pwd, buf, sizeof(buf), &pw);
	else
		rc = getpwuid_r(uid, &pwd, buf, sizeof(buf), &pw);
	if (rc || !pw)
		return false;

	*uid_out = pw->pw_uid;
	*gid_out = pw->pw_gid;
	return true;
}

/**
 * conf_runas() - Parse --runas UID[:GID], numbers or names
 * @c:		Execution context
 * @arg:	Text
 */
static void conf_runas(struct ctx *c, const char *arg)
{
	char user[256], *group;

	if (!*arg || strlen(arg) >= sizeof(user))
		conf_fail("--runas: invalid user '%s'", arg);
	memcpy(user, arg, strlen(arg) + 1);

	group = strchr(user, ':');
	if (group)
		*group++ = '\0';

	if (isdigit((unsigned char)*user)) {
		c->runas_uid = (uid_t)conf_number("--runas", user, 0,
						  (uid_t)-2);
		/* A user without an entry gets the group of the same id */
		if (!conf_user_lookup(NULL, c->runas_uid, &c->runas_uid,
				      &c->runas_gid))
			c->runas_gid = (gid_t)c->runas_uid;
	} else if (!conf_user_lookup(user, 0, &c->runas_uid,
				     &c->runas_gid)) {
		conf_fail("--runas: no user named '%s'", user);
	}

	if (!group)
		return;

	if (isdigit((unsigned char)*group)) {
		c->runas_gid = (gid_t)conf_number("--runas", group, 0,
						  (gid_t)-2);
	} else {
		static char buf[BUFSIZ * 2];
		struct group grp, *gr = NULL;

		if (getgrnam_r(group, &grp, buf, sizeof(buf), &gr) || !gr)
			conf_fail("--runas: no group named '%s'", group);
		c->runas_gid = gr->gr_gid;
	}
}

/**
 * conf_runas_default() - Who to run as without --runas
 * @c:		Execution context
 *
 * Root gives up its privileges for nobody's; anyone else stays as they are.
 */
static void conf_runas_default(struct ctx *c)
{
	c->runas_uid = geteuid();
	c->runas_gid = getegid();
	if (c->runas_uid)
		return;

	if (!conf_user_lookup(RUNAS_DEFAULT_USER, 0, &c->runas_uid,
			      &c->runas_gid))
		c->runas_uid = c->runas_gid = RUNAS_DEFAULT_ID;
}

/**
 * conf_dns() - Parse -D ADDR|none
 * @c:		Execution context
 * @args:	Command line state
 * @arg:	Text
 */
static void conf_dns(struct ctx *c, struct conf_args *args, const char *arg)
{
	union inany_addr a;
	unsigned i, same = 0;

	if (!strcmp(arg, "none")) {
		args->dns_none = true;
		return;
	}
	args->dns_given = true;

	conf_addr("--dns", arg, &a,
		  CONF_ADDR_ALLOW_LOOPBACK | CONF_ADDR_ALLOW_LINKLOCAL);
	for (i = 0; i < c->dns_count; i++) {
		if (inany_equals(&c->dns[i], &a))
			conf_fail("--dns: %s given twice", arg);
		if (!!inany_v4(&c->dns[i]) == !!inany_v4(&a))
			same++;
	}
	if (same >= MAX_DNS_PER_FAMILY)
		conf_fail("--dns: more than %d %s servers", MAX_DNS_PER_FAMILY,
			  inany_v4(&a) ? "IPv4" : "IPv6");

	c->dns[c->dns_count++] = a;
}

/**
 * conf_search() - Parse -S DOMAIN|none
 * @c:		Execution context
 * @args:	Command line state
 * @arg:	Text
 */
static void conf_search(struct ctx *c, struct conf_args *args,
			const char *arg)
{
	if (!strcmp(arg, "none")) {
		args->search_none = true;
		return;
	}

	if (c->search_count >= MAX_SEARCH)
		conf_fail("--search: more than %d domains", MAX_SEARCH);
	conf_name("--search", arg, c->search[c->search_count++]);
}

/**
 * conf_port_spec() - Keep a -t or -u argument until families are settled
 * @opt:	Option name, for messages
 * @specs:	Array of kept arguments
 * @count:	Entries used in @specs, updated
 * @arg:	Argument
 */
static void conf_port_spec(const char *opt, const char **specs,
			   unsigned *count, const char *arg)
{
	if (*count >= PORT_SPECS_MAX)
		conf_fail("%s: given more than %d times", opt, PORT_SPECS_MAX);
	specs[(*count)++] = arg;
}

/**
 * conf_bad_option() - Report an unknown option or a missing argument
 * @argv:	Options
 * @missing:	true if an argument is missing, false if the option is unknown
 */
__attribute__((noreturn))
static void conf_bad_option(char **argv, bool missing)
{
	const char *word = argv[optind - 1];
	char short_opt[3] = { '-', (char)optopt, '\0' };

	/* A short option inside a cluster (-fx) is only known by optopt */
	if (optopt && optopt < OPT_TRACE && strncmp(word, "--", 2) != 0)
		word = short_opt;

	if (missing)
		conf_fail("%s: missing argument", word);
	conf_fail("%s: unknown option (see --help)", word);
}

/**
 * conf_migrate_version() - Parse --migrate-version
 * @c:		Execution context
 * @arg:	Version number
 */
static void conf_migrate_version(struct ctx *c, const char *arg)
{
	unsigned long v;

	if (c->migrate_version)
		conf_fail("--migrate-version: given twice");

	v = conf_number("--migrate-version", arg, 0, UINT32_MAX);
	if (!migrate_version_supported((unsigned)v))
		conf_fail("--migrate-version: version %lu not supported "
			  "(%d to %d)", v, MIGRATE_VERSION_OLDEST,
			  MIGRATE_VERSION);

	c->migrate_version = (unsigned)v;
}

/**
 * conf_parse() - Read every option into the context and @args
 * @c:		Execution context
 * @args:	Command line state
 * @argc:	Argument count
 * @argv:	Options
 *
 * Return: 0, or CONF_HELP or CONF_VERSION as soon as one of those is seen
 */
static int conf_parse(struct ctx *c, struct conf_args *args, int argc,
		      char **argv)
{
	unsigned long n;
	int opt;

	/* 0, not 1: getopt starts over, whatever an earlier parse left */
	optind = 0;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, conf_optstring, conf_opts,
				  NULL)) != -1) {
		switch (opt) {
		case 'f':
			c->foreground = true;
			break;
		case 'd':
			c->debug = true;
			break;
		case OPT_TRACE:
			c->debug = c->trace = true;
			break;
		case 'q':
			c->quiet = true;
			break;
		case 'l':
			conf_path("--log-file", optarg, c->log_file,
				  sizeof(c->log_file));
			break;
		case OPT_LOG_SIZE:
			c->log_size = conf_number("--log-size", optarg,
						  LOG_SIZE_MIN, SIZE_MAX);
			args->log_size_given = true;
			break;
		case 'e':
			break;
		case 's':
			conf_path("--socket", optarg, c->sock_path,
				  sizeof(c->sock_path));
			break;
		case 'F':
			if (c->fd_tap >= 0)
				conf_fail("--fd: given twice");
			c->fd_tap = (int)conf_number("--fd", optarg, 0,
						     INT_MAX);
			if ((c->fd_tap > 0 && c->fd_tap <= STDERR_FILENO) ||
			    fcntl(c->fd_tap, F_GETFD) < 0)
				conf_fail("--fd: %s is not a usable descriptor",
					  optarg);
			c->one_off = true;
			break;
		case '1':
			c->one_off = true;
			break;
		case 'P':
			conf_path("--pid", optarg, c->pid_file,
				  sizeof(c->pid_file));
			break;
		case 'p':
			conf_path("--pcap", optarg, c->pcap_file,
				  sizeof(c->pcap_file));
			break;
		case 'm':
			n = conf_number("--mtu", optarg, 0, ULONG_MAX);
			if (n > MTU_DEFAULT || (n && n < MTU_MIN))
				conf_fail("--mtu: %s out of range (0, or %d to %d)",
					  optarg, MTU_MIN, MTU_DEFAULT);
			c->mtu = (int)n;
			break;
		case 'a':
			conf_user_addr(args, optarg);
			break;
		case 'n':
			if (args->netmask >= 0)
				conf_fail("--netmask: given twice");
			args->netmask = conf_netmask(optarg);
			break;
		case 'M':
			conf_mac(optarg, c->our_mac);
			break;
		case 'g':
			conf_fam_addr(c, "--gateway", optarg,
				      offsetof(struct fam_ctx, gw),
				      CONF_ADDR_ALLOW_LINKLOCAL);
			break;
		case 'i':
			conf_ifname("--interface", optarg, c->ip4.ifname);
			memcpy(c->ip6.ifname, c->ip4.ifname, IFNAMSIZ);
			break;
		case 'o':
			conf_fam_addr(c, "--outbound", optarg,
				      offsetof(struct fam_ctx, addr_out),
				      CONF_ADDR_ALLOW_LOOPBACK |
				      CONF_ADDR_ALLOW_LINKLOCAL);
			break;
		case OPT_OUTBOUND_IF4:
			conf_ifname("--outbound-if4", optarg,
				    c->ip4.ifname_out);
			break;
		case OPT_OUTBOUND_IF6:
			conf_ifname("--outbound-if6", optarg,
				    c->ip6.ifname_out);
			break;
		case 'D':
			conf_dns(c, args, optarg);
			break;
		case 'S':
			conf_search(c, args, optarg);
			break;
		case OPT_NO_DHCP_DNS:
			args->no_dhcp_dns = true;
			break;
		case OPT_NO_DHCP_SEARCH:
			args->no_dhcp_search = true;
			break;
		case OPT_DNS_FORWARD:
			conf_fam_addr(c, "--dns-forward", optarg,
				      offsetof(struct fam_ctx, dns_match), 0);
			break;
		case OPT_DNS_HOST:
			conf_fam_addr(c, "--dns-host", optarg,
				      offsetof(struct fam_ctx, dns_host),
				      CONF_ADDR_ALLOW_LOOPBACK |
				      CONF_ADDR_ALLOW_LINKLOCAL);
			break;
		case OPT_MAP_HOST_LOOPBACK:
			if (!strcmp(optarg, "none")) {
				args->map_hl_none = true;
				break;
			}
			args->map_hl_given = true;
			conf_fam_addr(c, "--map-host-loopback", optarg,
				      offsetof(struct fam_ctx,
					       map_host_loopback),
				      CONF_ADDR_ALLOW_LINKLOCAL);
			break;
		case OPT_MAP_GUEST_ADDR:
			if (!strcmp(optarg, "none")) {
				args->map_ga_none = true;
				break;
			}
			conf_fam_addr(c, "--map-guest-addr", optarg,
				      offsetof(struct fam_ctx, map_guest_addr),
				      CONF_ADDR_ALLOW_LINKLOCAL);
			break;
		case OPT_NO_MAP_GW:
			c->no_map_gw = true;
			break;
		case OPT_NO_DHCP:
			c->no_dhcp = true;
			break;
		case OPT_NO_NDP:
			c->no_ndp = true;
			break;
		case OPT_NO_DHCPV6:
			c->no_dhcpv6 = true;
			break;
		case OPT_NO_RA:
			c->no_ra = true;
			break;
		case OPT_NO_ICMP:
			c->no_icmp = c->no_ndp = true;
			break;
		case OPT_NO_TCP:
			c->no_tcp = true;
			break;
		case OPT_NO_UDP:
			c->no_udp = true;
			break;
		case '4':
			args->v4_only = true;
			break;
		case '6':
			args->v6_only = true;
			break;
		case OPT_RUNAS:
			if (args->runas_given)
				conf_fail("--runas: given twice");
			args->runas_given = true;
			conf_runas(c, optarg);
			break;
		case 'H':
			conf_name("--hostname", optarg, c->hostname);
			break;
		case OPT_FQDN:
			conf_name("--fqdn", optarg, c->fqdn);
			break;
		case 't':
			conf_port_spec("--tcp-ports", args->tcp_specs,
				       &args->tcp_spec_count, optarg);
			break;
		case 'u':
			conf_port_spec("--udp-ports", args->udp_specs,
				       &args->udp_spec_count, optarg);
			break;
		case OPT_FREEBIND:
			c->freebind = true;
			break;
		case OPT_UDP_TIMEOUT:
			c->udp_timeout = (unsigned)conf_number("--udp-timeout",
							       optarg, 1,
							       UINT_MAX);
			break;
		case OPT_VHOST_USER:
			c->vhost_user = true;
			break;
		case OPT_MIGRATE_VERSION:
			conf_migrate_version(c, optarg);
			break;
		case OPT_MIGRATE_CTL:
			conf_path("--migrate-ctl", optarg, c->migrate_ctl_path,
				  sizeof(c->migrate_ctl_path));
			break;
		case OPT_MIGRATE_EXIT:
			c->migrate_exit = true;
			break;
		case OPT_MIGRATE_NO_LINGER:
			c->migrate_no_linger = true;
			break;
		case OPT_REPAIR_PATH:
			if (args->repair_none ||
			    (c->repair_path[0] && !strcmp(optarg, "none")))
				conf_fail("--repair-path: given twice");
			if (!strcmp(optarg, "none"))
				args->repair_none = true;
			else
				conf_path("--repair-path", optarg,
					  c->repair_path,
					  sizeof(c->repair_path));
			break;
		case 'h':
			return CONF_HELP;
		case OPT_VERSION:
			return CONF_VERSION;
		case ':':
			conf_bad_option(argv, true);
		default:
			conf_bad_option(argv, false);
		}
	}

	if (optind < argc)
		conf_fail("unexpected argument '%s'", argv[optind]);

	return 0;
}

/**
 * conf_check_family() - Refuse an address of a family turned off with -4/-6
 * @c:		Execution context
 * @args:	Command line state
 */
static void conf_check_family(const struct ctx *c,
			      const struct conf_args *args)
{
	static const struct {
		const char *opt;
		size_t off;
	} fields[] = {
		{ "--gateway",		offsetof(struct fam_ctx, gw) },
		{ "--outbound",		offsetof(struct fam_ctx, addr_out) },
		{ "--dns-forward",	offsetof(struct fam_ctx, dns_match) },
		{ "--dns-host",		offsetof(struct fam_ctx, dns_host) },
		{ "--map-host-loopback",
			offsetof(struct fam_ctx, map_host_loopback) },
		{ "--map-guest-addr",
			offsetof(struct fam_ctx, map_guest_addr) },
	};
	const struct fam_ctx *off_fam;
	const char *off_name, *flag;
	unsigned i;

	if (args->v4_only) {
		off_fam = &c->ip6;
		off_name = "IPv6";
		flag = "--ipv4-only";
	} else if (args->v6_only) {
		off_fam = &c->ip4;
		off_name = "IPv4";
		flag = "--ipv6-only";
	} else {
		return;
	}

	for (i = 0; i < ARRAY_SIZE(fields); i++) {
		const union inany_addr *a = (const union inany_addr *)
			((const char *)off_fam + fields[i].off);

		if (!inany_is_unspecified(a))
			conf_fail("%s: %s address with %s", fields[i].opt,
				  off_name, flag);
	}

	for (i = 0; i < args->user_addr_count; i++) {
		if (!inany_v4(&args->user_addrs[i].addr) == !args->v4_only)
			continue;
		conf_fail("--address: %s address with %s", off_name, flag);
	}

	for (i = 0; i < c->dns_count; i++) {
		if (!inany_v4(&c->dns[i]) == !args->v4_only)
			continue;
		conf_fail("--dns: %s address with %s", off_name, flag);
	}

	if (args->v6_only && args->netmask >= 0)
		conf_fail("--netmask: IPv4 netmask with --ipv6-only");
	if (args->v4_only && c->ip6.ifname_out[0])
		conf_fail("--outbound-if6: given with --ipv4-only");
	if (args->v6_only && c->ip4.ifname_out[0])
		conf_fail("--outbound-if4: given with --ipv6-only");
}

/**
 * conf_check() - Refuse combinations of options that make no sense
 * @c:		Execution context
 * @args:	Command line state
 */
static void conf_check(const struct ctx *c, const struct conf_args *args)
{
	bool repair_wanted = c->vhost_user || c->migrate_ctl_path[0];
	unsigned i, bare4 = 0, all4 = 0;

	if (args->v4_only && args->v6_only)
		conf_fail("--ipv4-only and --ipv6-only: conflicting options");
	if (c->quiet && c->debug)
		conf_fail("--quiet and --debug: conflicting options");
	if (c->fd_tap >= 0 && c->sock_path[0])
		conf_fail("--fd and --socket: conflicting options");
	if (args->dns_none && args->dns_given)
		conf_fail("--dns: 'none' given with addresses");
	if (args->search_none && c->search_count)
		conf_fail("--search: 'none' given with domains");
	if (args->map_hl_none && args->map_hl_given)
		conf_fail("--map-host-loopback: 'none' given with an address");
	if (c->no_map_gw && args->map_hl_given)
		conf_fail("--no-map-gw and --map-host-loopback: conflicting options");
	if (args->map_ga_none &&
	    (!inany_is_unspecified(&c->ip4.map_guest_addr) ||
	     !inany_is_unspecified(&c->ip6.map_guest_addr)))
		conf_fail("--map-guest-addr: 'none' given with an address");
	if (args->log_size_given && !c->log_file[0])
		conf_fail("--log-size: only applies with --log-file");
	if ((args->repair_none || c->repair_path[0]) && !repair_wanted)
		conf_fail("--repair-path: only applies with --vhost-user or "
			  "--migrate-ctl");
	if (repair_wanted && !args->repair_none && !c->repair_path[0] &&
	    strlen(c->sock_path) + strlen(REPAIR_PATH_SUFFIX) >=
	    sizeof(c->repair_path))
		conf_fail("--socket: too long to append " REPAIR_PATH_SUFFIX
			  " for the repair socket, give --repair-path");

	conf_check_family(c, args);

	for (i = 0; i < args->user_addr_count; i++) {
		const struct conf_user_addr *u = &args->user_addrs[i];

		if (!inany_v4(&u->addr))
			continue;
		all4++;
		if (u->prefix_len < 0)
			bare4++;
	}
	if (args->netmask >= 0 && all4 && !bare4)
		conf_fail("--netmask: every IPv4 --address has a prefix length");

	for (i = 0; i < args->user_addr_count; i++) {
		const union inany_addr *a = &args->user_addrs[i].addr;

		if (inany_equals(a, &c->ip4.gw) || inany_equals(a, &c->ip6.gw))
			conf_fail("--gateway: same as a guest --address");
	}

	if (args->runas_given && geteuid() &&
	    (c->runas_uid != geteuid() || c->runas_gid != getegid()))
		conf_fail("--runas: only root can switch to another user");
}

/**
 * conf_ports() - Turn the -t and -u arguments into forwarding rules
 * @c:		Execution context
 * @args:	Command line state
 */
static void conf_ports(struct ctx *c, const struct conf_args *args)
{
	static const struct {
		const char *opt;
		size_t specs;
		size_t count;
		size_t table;
	} protos[] = {
		{ "--tcp-ports", offsetof(struct conf_args, tcp_specs),
		  offsetof(struct conf_args, tcp_spec_count),
		  offsetof(struct ctx, tcp_fwd) },
		{ "--udp-ports", offsetof(struct conf_args, udp_specs),
		  offsetof(struct conf_args, udp_spec_count),
		  offsetof(struct ctx, udp_fwd) },
	};
	struct fwd_port_range eph;
	unsigned p, i, r;

	fwd_spec_ephemeral(&eph);

	for (p = 0; p < ARRAY_SIZE(protos); p++) {
		const char *const *specs = (const char *const *)
			((const char *)args + protos[p].specs);
		unsigned count = *(const unsigned *)
			((const char *)args + protos[p].count);
		struct fwd_table *t = (struct fwd_table *)
			((char *)c + protos[p].table);

		for (i = 0; i < count; i++) {
			char err[256];

			if (fwd_spec_parse(t, specs[i], &eph, err, sizeof(err)))
				conf_fail("%s: %s", protos[p].opt, err);
		}

		for (r = 0; r < t->count; r++) {
			struct fwd_rule *rule = &t->rules[r];

			if ((args->v4_only && (rule->flags & FWD_V6_ONLY)) ||
			    (args->v6_only && (rule->flags & FWD_V4_ONLY)))
				conf_fail("%s: address family turned off by %s",
					  protos[p].opt, args->v4_only ?
					  "--ipv4-only" : "--ipv6-only");
			if (args->v4_only)
				rule->flags |= FWD_V4_ONLY;
			if (args->v6_only)
				rule->flags |= FWD_V6_ONLY;
		}
	}
}

/**
 * conf_v4_default_prefix() - Prefix length of an IPv4 address by its class
 * @a:		IPv4 address, as inany
 *
 * Return: 8, 16 or 24 for class A, B or C; 32 otherwise
 */
static uint8_t conf_v4_default_prefix(const union inany_addr *a)
{
	uint32_t v = ntohl(inany_v4(a)->s_addr);

	if (IN_CLASSA(v))
		return 8;
	if (IN_CLASSB(v))
		return 16;
	if (IN_CLASSC(v))
		return 24;
	return 32;
}

/**
 * conf_user_addrs() - Enter the -a addresses in the guest address array
 * @c:		Execution context
 * @args:	Command line state
 */
static void conf_user_addrs(struct ctx *c, const struct conf_args *args)
{
	unsigned i;

	for (i = 0; i < args->user_addr_count; i++) {
		const struct conf_user_addr *u = &args->user_addrs[i];
		int len = u->prefix_len;

		if (len < 0 && inany_v4(&u->addr))
			len = args->netmask >= 0 ? args->netmask :
			      conf_v4_default_prefix(&u->addr);
		else if (len < 0)
			len = 64;

		fwd_set_addr(c, &u->addr, CONF_ADDR_USER, (uint8_t)len);
	}
}

/**
 * conf_defaults() - Set what the options left open, before asking the host
 * @c:		Execution context
 * @args:	Command line state
 */
static void conf_defaults(struct ctx *c, const struct conf_args *args)
{
	static const uint8_t mac_default[ETH_ALEN_BYTES] = {
		0x9a, 0x55, 0x9a, 0x55, 0x9a, 0x55
	};

	if (!(c->our_mac[0] | c->our_mac[1] | c->our_mac[2] |
	      c->our_mac[3] | c->our_mac[4] | c->our_mac[5]))
		memcpy(c->our_mac, mac_default, sizeof(c->our_mac));

	if (!args->runas_given)
		conf_runas_default(c);

	if (!args->log_size_given)
		c->log_size = LOG_SIZE_DEFAULT;

	c->ip4.enabled = !args->v6_only;
	c->ip6.enabled = !args->v4_only;

	if (args->map_hl_none)
		c->no_map_gw = true;
	if (args->dns_none)
		c->no_dns = true;
	if (args->search_none)
		c->no_search = true;

	c->repair = (c->vhost_user || c->migrate_ctl_path[0]) &&
		    !args->repair_none;
}

/**
 * conf_finish() - Apply what only turns off advertising, once the host's
 *		   defaults are in
 * @c:		Execution context
 * @args:	Command line state
 *
 * --no-dhcp-dns keeps DNS redirection set up from resolv.conf, and only
 * stops telling the guest about servers; the same for the search list.
 */
static void conf_finish(struct ctx *c, const struct conf_args *args)
{
	if (args->no_dhcp_dns || c->no_dns) {
		c->no_dns = true;
		c->dns_count = 0;
	}
	if (args->no_dhcp_search || c->no_search) {
		c->no_search = true;
		c->search_count = 0;
	}

	log_trace = c->trace;
	if (c->debug)
		log_set_level(LOG_DEBUG);
	else if (c->quiet)
		log_set_level(LOG_WARNING);
}

/**
 * conf_try() - Parse options into the context, and fill in the rest from
 *		the host, reporting a bad option instead of exiting
 * @c:		Execution context, cleared first
 * @argc:	Argument count
 * @argv:	Options
 * @err:	Buffer for the reason an option is bad
 * @err_len:	Size of @err
 *
 * Keeps no state from one call to the next, and opens nothing that stays
 * open: the fuzzer calls it once per input.
 *
 * Return: 0 on success, CONF_HELP or CONF_VERSION if asked for those,
 *	   CONF_BAD with one line in @err for a bad command line
 */
int conf_try(struct ctx *c, int argc, char **argv, char *err, size_t err_len)
{
	struct conf_args args = { .netmask = -1 };
	struct conf_catch fail_to;
	int rc;

	memset(c, 0, sizeof(*c));
	c->fd_tap = -1;
	c->pid_fd = -1;
	c->mtu = MTU_DEFAULT;
	memset(c->guest_mac, 0xff, sizeof(c->guest_mac));

	if (setjmp(fail_to.env)) {
		snprintf(err, err_len, "%s", fail_to.msg);
		return CONF_BAD;
	}
	conf_fail_catch(&fail_to);

	rc = conf_parse(c, &args, argc, argv);
	if (!rc) {
		conf_check(c, &args);
		conf_ports(c, &args);

		conf_user_addrs(c, &args);
		conf_defaults(c, &args);
		conf_host(c, args.netmask);
		conf_finish(c, &args);
	}

	conf_fail_catch(NULL);
	return rc;
}

/**
 * conf() - Parse options into the context, and fill in the rest from the
 *	    host
 * @c:		Execution context
 * @argc:	Argument count
 * @argv:	Options
 *
 * Exits with status 1 and one line naming the option for any bad option,
 * before anything is opened; exits with 0 for --help and --version.
 */
void conf(struct ctx *c, int argc, char **argv)
{
	char err[BUFSIZ];

	switch (conf_try(c, argc, argv, err, sizeof(err))) {
	case 0:
		return;
	case CONF_HELP:
		conf_usage(stdout);
		exit(EXIT_SUCCESS);
	case CONF_VERSION:
		printf("passt %s\n", VERSION);
		exit(EXIT_SUCCESS);
	default:
		fprintf(stderr, "passt: %s\n", err);
		exit(EXIT_FAILURE);
	}
}
