/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ctx.h - the execution context: configuration from the command line and
 * the host, and the state every layer shares (guest addresses, MAC
 * addresses, the epoll instance, the current time)
 *
 * State that only one module uses stays static in that module.
 */

#ifndef CTX_H
#define CTX_H

#include <limits.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/un.h>
#include <time.h>

#include "fwd_types.h"
#include "inany.h"
#include "util.h"

/* DNS servers given to the guest, per family */
#define MAX_DNS_PER_FAMILY	3
#define MAX_DNS			(2 * MAX_DNS_PER_FAMILY)
/* Search domains given to the guest */
#define MAX_SEARCH		6
#define DOMAIN_NAME_MAX		254

#define UNIX_PATH_MAX		sizeof(((struct sockaddr_un *)0)->sun_path)

struct l2_ops;

/**
 * struct fam_ctx - Configuration of one address family
 * @enabled:		Family in use (not disabled by -4/-6, has a template
 *			interface or a user address)
 * @ifi:		Template interface index, 0 if none
 * @ifname:		Template interface name
 * @gw:			Gateway given to the guest (our address on the link)
 * @our_ll:		IPv6 only: our link-local address, source of NDP and
 *			DHCPv6 messages
 * @map_host_loopback:	Guest destination that reaches the host's loopback,
 *			unspecified if none
 * @map_guest_addr:	Guest destination that reaches the host's own
 *			address, unspecified if none
 * @dns_match:		Guest DNS destination redirected to @dns_host
 * @dns_host:		Where redirected DNS queries go
 * @addr_out:		Source address for outbound sockets, unspecified if
 *			none
 * @ifname_out:		Interface outbound sockets bind to, empty if none
 */
struct fam_ctx {
	bool enabled;
	unsigned ifi;
	char ifname[IFNAMSIZ];
	union inany_addr gw;
	union inany_addr our_ll;
	union inany_addr map_host_loopback;
	union inany_addr map_guest_addr;
	union inany_addr dns_match;
	union inany_addr dns_host;
	union inany_addr addr_out;
	char ifname_out[IFNAMSIZ];
};

/**
 * struct ctx - Execution context
 * @foreground:		Don't daemonise (-f)
 * @one_off:		Exit when the first client leaves (-1)
 * @quiet:		Only warnings and errors (-q)
 * @debug:		Debug messages (-d)
 * @trace:		Per-packet debug messages too (--trace)
 * @vhost_user:		vhost-user front end (--vhost-user)
 * @sock_path:		UNIX socket path of the front end (-s)
 * @fd_tap:		Already connected socket from --fd, -1 if none
 * @pid_file:		PID file (-P), empty if none
 * @pid_fd:		PID file, opened before dropping privileges
 * @pcap_file:		Capture file (-p), empty if none
 * @log_file:		Log file (-l), empty if none
 * @log_size:		Log file size cap (--log-size)
 * @runas_uid:		User to run as (--runas)
 * @runas_gid:		Group to run as (--runas)
 * @mtu:		MTU given to the guest, 0 to give none
 * @our_mac:		Our MAC address (-M)
 * @guest_mac:		Guest's MAC address, learnt from its frames, or
 *			broadcast until the first one
 * @addrs:		Guest addresses, see fwd.h
 * @addr_count:		Entries used in @addrs
 * @ip4:		IPv4 configuration
 * @ip6:		IPv6 configuration
 * @dns:		DNS servers for the guest (both families)
 * @dns_count:		Entries used in @dns
 * @no_dns:		Give no DNS servers (-D none, --no-dhcp-dns)
 * @search:		Search domains for the guest
 * @search_count:	Entries used in @search
 * @no_search:		Give no search list (-S none, --no-dhcp-search)
 * @hostname:		Host name for the guest (-H), empty if none
 * @fqdn:		FQDN for the guest (--fqdn), empty if none
 * @no_dhcp:		--no-dhcp
 * @no_dhcpv6:		--no-dhcpv6
 * @no_ndp:		--no-ndp
 * @no_ra:		--no-ra
 * @no_icmp:		--no-icmp
 * @no_tcp:		--no-tcp
 * @no_udp:		--no-udp
 * @no_map_gw:		--no-map-gw
 * @freebind:		Listeners may bind addresses the host lacks (--freebind)
 * @tcp_fwd:		Inbound TCP rules (-t)
 * @udp_fwd:		Inbound UDP rules (-u)
 * @udp_timeout:	Seconds before an idle UDP flow is closed
 *			(--udp-timeout), 0 for UDP_TIMEOUT_DEFAULT
 * @migrate_version:	Migration format version a source writes, 0 for the
 *			newest (--migrate-version)
 * @migrate_ctl_path:	Test interface for migration, empty if none
 * @epollfd:		The epoll instance
 * @now:		Time of the current main loop pass (CLOCK_MONOTONIC)
 * @quit:		Set by a handler to end the main loop after this pass
 *			(the last client left): main() then cleans up
 * @l2:			Front end operations, set by the front end
 */
struct ctx {
	bool foreground;
	bool one_off;
	bool quiet;
	bool debug;
	bool trace;
	bool vhost_user;

	char sock_path[UNIX_PATH_MAX];
	int fd_tap;
	char pid_file[PATH_MAX];
	int pid_fd;
	char pcap_file[PATH_MAX];
	char log_file[PATH_MAX];
	uint64_t log_size;
	uid_t runas_uid;
	gid_t runas_gid;

	int mtu;
	uint8_t our_mac[ETH_ALEN_BYTES];
	uint8_t guest_mac[ETH_ALEN_BYTES];

	struct guest_addr addrs[MAX_GUEST_ADDRS];
	unsigned addr_count;

	struct fam_ctx ip4;
	struct fam_ctx ip6;

	union inany_addr dns[MAX_DNS];
	unsigned dns_count;
	bool no_dns;
	char search[MAX_SEARCH][DOMAIN_NAME_MAX + 1];
	unsigned search_count;
	bool no_search;
	char hostname[DOMAIN_NAME_MAX + 1];
	char fqdn[DOMAIN_NAME_MAX + 1];

	bool no_dhcp;
	bool no_dhcpv6;
	bool no_ndp;
	bool no_ra;
	bool no_icmp;
	bool no_tcp;
	bool no_udp;
	bool no_map_gw;
	bool freebind;

	struct fwd_table tcp_fwd;
	struct fwd_table udp_fwd;
	unsigned udp_timeout;

	unsigned migrate_version;
	char migrate_ctl_path[UNIX_PATH_MAX];

	int epollfd;
	struct timespec now;
	bool quit;
	const struct l2_ops *l2;
};

#endif /* CTX_H */
