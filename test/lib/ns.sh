#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# test/lib/ns.sh - network namespaces for tests: an outside network, a host
# running the daemon, and a guest whose link is a TAP device bridged to the
# daemon's socket by test/tools/tapbridge, or with FRONTEND=vhost-user by
# test/tools/vubridge (the daemon then runs with --vhost-user)
#
#   NS_NET                  NS_HOST                    NS_GUEST
#   net0 192.0.2.1/24 ---- up0 192.0.2.2/24            tap0 (persistent TAP)
#        2001:db8:1::1/64      2001:db8:1::2/64          |
#                              passt -s PASST_SOCK <---- tapbridge|vubridge
#
# Source it after common.sh, then call ns_setup. Names are unique per run,
# and ns_setup installs ns_teardown as the EXIT trap, so a failing group
# still removes its namespaces, processes and files.
#
# Without root, ns_setup records a skip for the whole group and exits it.

# The front end the harness uses: stream (QEMU's -netdev stream socket,
# the default) or vhost-user
FRONTEND="${FRONTEND:-stream}"
export FRONTEND

HOST_ADDR4=192.0.2.2
GW4=192.0.2.1
HOST_ADDR6=2001:db8:1::2
GW6=2001:db8:1::1
DNS4=198.51.100.53
DNS6=2001:db8:5::53
SEARCH=example.test

NS_NET=
NS_HOST=
NS_GUEST=
STATE=
PASST_SOCK=
PASST_PID=
PASST_LOG=
BRIDGE_PID=

# ns_net() - Run a command in the outside namespace
ns_net() {
	ip netns exec "${NS_NET}" "$@"
}

# ns_host() - Run a command in the daemon's namespace
ns_host() {
	ip netns exec "${NS_HOST}" "$@"
}

# ns_guest() - Run a command in the guest's namespace
ns_guest() {
	ip netns exec "${NS_GUEST}" "$@"
}

# ns_running() - Succeed if a process runs: exists and is not a zombie (a
# child that exited stays one until waited for, and kill -0 still works)
# $1:	PID
ns_running() {
	[ -n "$1" ] || return 1
	__st=$(sed 's/.*) \(.\).*/\1/' "/proc/$1/stat" 2>/dev/null)
	[ -n "${__st}" ] && [ "${__st}" != Z ]
}

# ns_passt_alive() - Succeed if the daemon still runs
ns_passt_alive() {
	ns_running "${PASST_PID}"
}

# ns_passt_fds() - Number of descriptors the daemon holds
ns_passt_fds() {
	ls "/proc/${PASST_PID}/fd" | wc -l
}

# ns_passt_fds_are() - Compare the number of descriptors the daemon holds
# $1:	Comparison, as test(1) takes it: -eq, -le, -ge...
# $2:	Number
ns_passt_fds_are() {
	[ "$(ns_passt_fds)" "$1" "$2" ]
}

# ns_kill() - End a process started by the harness, by its PID
# $1:	PID, may be empty
ns_kill() {
	[ -n "$1" ] || return 0
	kill "$1" 2>/dev/null || return 0
	__i=0
	while kill -0 "$1" 2>/dev/null && [ ${__i} -lt 20 ]; do
		sleep 0.1
		__i=$((__i + 1))
	done
	kill -9 "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	return 0
}

# ns_dad_done() - Succeed if no IPv6 address in a namespace is tentative
# $1:	Namespace
ns_dad_done() {
	! ip netns exec "$1" ip -6 addr show | grep -q tentative
}

# ns_bridge_name() - Print the bridge the front end uses
ns_bridge_name() {
	if [ "${FRONTEND}" = "vhost-user" ]; then
		echo vubridge
	else
		echo tapbridge
	fi
}

# ns_frontend_opts() - Print the daemon's options for the front end
ns_frontend_opts() {
	[ "${FRONTEND}" = "vhost-user" ] && echo --vhost-user
	return 0
}

# ns_bridge_start() - Start the bridge (tapbridge, or vubridge with
# FRONTEND=vhost-user) in the guest namespace, as a new client of the
# daemon, and wait until it is connected. Sets BRIDGE_PID: call it
# directly, not in a subshell.
# BRIDGE_OPTS, if set, goes before the bridge's arguments (the benchmark
# passes -c, which both bridges take)
# $@:	Optional impairment for the bridge: loss and reorder, per thousand
ns_bridge_start() {
	__bridge=$(ns_bridge_name)
	: > "${STATE}/bridge.log"
	# No inherited stdout: a caller's command substitution would wait
	ip netns exec "${NS_GUEST}" "${TOOLS}/${__bridge}" ${BRIDGE_OPTS:-} \
		tap0 "${PASST_SOCK}" "$@" >/dev/null 2>>"${STATE}/bridge.log" &
	BRIDGE_PID=$!
	export BRIDGE_PID
	if ! t_wait_for 50 grep -q connected "${STATE}/bridge.log"; then
		echo "ns_setup: ${__bridge} did not connect:" \
			"$(cat "${STATE}/bridge.log")" >&2
		return 1
	fi
}

# ns_bridge_counter_lines() - Number of counters lines in vubridge's log
ns_bridge_counter_lines() {
	grep -c "vubridge: counters " "${STATE}/bridge.log"
}

# ns_bridge_counters_above() - Succeed once vubridge's log has more
# counters lines than given
# $1:	Number before
ns_bridge_counters_above() {
	[ "$(ns_bridge_counter_lines)" -gt "$1" ]
}

# ns_bridge_counters() - Have vubridge print its counters (SIGHUP), and set
# C_NAME for each name it prints (C_tx_gso, C_kicks...): see the comment
# at the top of test/tools/vubridge.c
ns_bridge_counters() {
	__n=$(ns_bridge_counter_lines)
	kill -HUP "${BRIDGE_PID}" || return 1
	t_wait_for 50 ns_bridge_counters_above "${__n}" || return 1
	eval "$(grep "vubridge: counters " "${STATE}/bridge.log" | tail -n 1 |
		sed 's/.*counters //; s/\([a-z_]*\)=/C_\1=/g')"
}

# ns_guest_disconnect() - Stop the bridge: the daemon has no client, and
# tests may connect their own (test/tools/streamclient)
ns_guest_disconnect() {
	ns_kill "${BRIDGE_PID}"
	BRIDGE_PID=
}

# ns_guest_reconnect() - Replace the bridge: the daemon sees its client
# leave and a new one connect. tap0 is persistent, so the guest keeps its
# addresses and routes.
ns_guest_reconnect() {
	ns_guest_disconnect
	ns_bridge_start
}

# ns_guest_static() - Configure the guest's tap0 as the daemon's DHCP and
# NDP would: an address in the link's /24 with a default route through GW4,
# and unless -4, HOST_ADDR6/64 with a default route through GW6
# $@:	[-4] [ADDR4]: -4 for IPv4 only; the IPv4 address, default HOST_ADDR4
ns_guest_static() {
	__v6=1
	[ "${1:-}" = -4 ] && { __v6=0; shift; }
	ns_guest ip addr add "${1:-${HOST_ADDR4}}/24" dev tap0 &&
	ns_guest ip route add default via "${GW4}" || return 1
	[ "${__v6}" = 1 ] || return 0
	ns_guest ip addr add "${HOST_ADDR6}/64" dev tap0 nodad &&
	ns_guest ip -6 route add default via "${GW6}"
}

# ns_passt_start() - Start the daemon in the host namespace, with debug
# messages, and wait for its socket. In the foreground the daemon copies
# every message to stderr, which goes to PASST_LOG.
# $@:	Options for the daemon, after the harness's own
ns_passt_start() {
	rm -f "${PASST_SOCK}"
	ip netns exec "${NS_HOST}" "${PASST}" -f -d $(ns_frontend_opts) \
		-s "${PASST_SOCK}" "$@" >"${PASST_LOG}" 2>&1 &
	PASST_PID=$!
	export PASST_PID
	if ! t_wait_for 50 test -S "${PASST_SOCK}"; then
		echo "ns_setup: daemon did not start:" \
			"$(tail -n 5 "${PASST_LOG}")" >&2
		return 1
	fi
}

# ns_passt_restart() - Restart the daemon with other options, and connect
# a new bridge to it
# $@:	Options for the daemon, after the harness's own
ns_passt_restart() {
	ns_guest_disconnect
	ns_kill "${PASST_PID}"
	PASST_PID=
	ns_passt_start "$@" && ns_bridge_start
}

# ns_create() - Build the namespaces, and start nothing in them: for tests
# that start the daemon their own way, or attach QEMU instead of the bridge
ns_create() {
	if ! t_is_root; then
		t_skip netns "network namespaces need root"
		exit 0
	fi

	STATE=$(mktemp -d "${TMPDIR:-/tmp}/passt-ns.XXXXXX") || return 1
	# A daemon started as root runs as nobody: like in /tmp, it must be
	# able to remove its own socket from here
	chmod 1777 "${STATE}"
	__id="$$$(basename "${STATE}" | tr -dc 'a-zA-Z0-9' | tail -c 4)"
	NS_NET="pt${__id}-net"
	NS_HOST="pt${__id}-host"
	NS_GUEST="pt${__id}-guest"
	PASST_SOCK="${STATE}/passt.socket"
	PASST_LOG="${STATE}/passt.log"
	export NS_NET NS_HOST NS_GUEST STATE PASST_SOCK PASST_LOG
	export HOST_ADDR4 GW4 HOST_ADDR6 GW6 DNS4 DNS6 SEARCH
	trap ns_teardown EXIT
	trap 'exit 1' INT TERM HUP

	ip netns add "${NS_NET}" && ip netns add "${NS_HOST}" &&
	ip netns add "${NS_GUEST}" || {
		echo "ns_setup: can't create namespaces" >&2; return 1; }

	mkdir -p "/etc/netns/${NS_HOST}" && \
	printf 'nameserver %s\nnameserver %s\nsearch %s\n' \
		"${DNS4}" "${DNS6}" "${SEARCH}" \
		> "/etc/netns/${NS_HOST}/resolv.conf" || return 1

	ns_net ip link add net0 type veth peer name up0 netns "${NS_HOST}" &&
	ns_net ip link set lo up &&
	ns_net ip addr add 192.0.2.1/24 dev net0 &&
	ns_net ip addr add 2001:db8:1::1/64 dev net0 nodad &&
	ns_net ip link set net0 up &&
	ns_host ip link set lo up &&
	ns_host ip addr add "${HOST_ADDR4}/24" dev up0 &&
	ns_host ip addr add "${HOST_ADDR6}/64" dev up0 nodad &&
	ns_host ip link set up0 up &&
	ns_host ip route add default via "${GW4}" &&
	ns_host ip -6 route add default via "${GW6}" &&
	ns_host sysctl -qw net.ipv4.ping_group_range="0 2147483647" &&
	ns_guest ip link set lo up &&
	ns_guest ip tuntap add dev tap0 mode tap &&
	ns_guest ip link set tap0 mtu 65520 &&
	ns_guest ip link set tap0 up || {
		echo "ns_setup: can't configure namespaces" >&2; return 1; }

	# Link-local addresses still run DAD: wait for both ends
	if ! t_wait_for 50 ns_dad_done "${NS_NET}" ||
	   ! t_wait_for 50 ns_dad_done "${NS_HOST}"; then
		echo "ns_setup: IPv6 DAD did not finish" >&2
		return 1
	fi
}

# ns_setup() - Build the namespaces, start the daemon and the bridge; on
# failure, remove what was built, as a caller that carries on (the
# benchmark, to its next setup) would otherwise leave it running
# $@:	Extra options for the daemon
ns_setup() {
	if ! ns_create || ! ns_passt_start "$@" || ! ns_bridge_start; then
		ns_teardown
		return 1
	fi
}

# ns_teardown() - Stop processes, remove namespaces and files; installed
# as the EXIT trap by ns_setup
ns_teardown() {
	ns_kill "${BRIDGE_PID}"
	ns_kill "${PASST_PID}"
	BRIDGE_PID=
	PASST_PID=
	for __ns in "${NS_GUEST}" "${NS_HOST}" "${NS_NET}"; do
		[ -n "${__ns}" ] || continue
		# Whatever a test left running in our namespaces
		for __pid in $(ip netns pids "${__ns}" 2>/dev/null); do
			kill -9 "${__pid}" 2>/dev/null
		done
		ip netns del "${__ns}" 2>/dev/null
	done
	[ -n "${NS_HOST}" ] && rm -rf "/etc/netns/${NS_HOST}"
	[ -n "${STATE}" ] && rm -rf "${STATE}"
	NS_NET= NS_HOST= NS_GUEST= STATE=
}
