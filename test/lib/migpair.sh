#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# test/lib/migpair.sh - a migration between two daemons in the host
# namespace of test/lib/ns.sh, over vhost-user, as QEMU 10 runs one on one
# host: the source daemon serves the guest through vubridge; on a switch,
# that bridge stops its rings, saves the source's state (as QEMU does with
# SET_DEVICE_STATE_FD and CHECK_DEVICE_STATE) and lets go of the guest's
# TAP; a second vubridge loads the state into the target daemon, takes the
# TAP and starts the rings; then the first one leaves, as the source QEMU
# does once the migration completed, and the source releases what it
# carried away. Each daemon has its own repair helper (passt-repair, as
# root it has CAP_NET_ADMIN).
#
# Source it after ns.sh, with FRONTEND=vhost-user, and call ns_create first.
# MP_PASST_a and MP_PASST_b, if set, are the daemons to run as source and
# target, MP_REPAIR_a and MP_REPAIR_b their helpers (make interop runs
# upstream passt's there); by default, ours.

TS="${TOOLS}/tcpstream"
MP_A_PID=
MP_B_PID=
MP_RA_PID=
MP_RB_PID=
MP_VA_PID=
MP_VB_PID=

# Addresses of the remote host beyond the host namespace, the guest's
# (observed: it configures them itself) and its MAC address
R4=198.51.100.1
R6=2001:db8:2::1
OBS4=192.0.2.50
OBS6=2001:db8:1::50
GUEST_MAC=00:00:5e:00:53:01

# mp_setup() - Create the namespaces: the remote host at R4 and R6, routed
# from the host namespace through the gateway, and the guest at OBS4 and
# OBS6 with GUEST_MAC, without router advertisements; fails the group and
# exits if that can't be done
mp_setup() {
	ns_create || { t_fail setup "ns_create failed"; exit 1; }
	ns_net ip addr add "${R4}/24" dev net0 &&
	ns_net ip addr add "${R6}/64" dev net0 nodad &&
	ns_host ip route add 198.51.100.0/24 via "${GW4}" &&
	ns_host ip -6 route add 2001:db8:2::/64 via "${GW6}" &&
	ns_guest ip link set tap0 down &&
	ns_guest sysctl -qw net.ipv6.conf.tap0.accept_ra=0 &&
	ns_guest ip link set tap0 address "${GUEST_MAC}" &&
	ns_guest ip link set tap0 up &&
	ns_guest ip addr add "${OBS4}/24" dev tap0 &&
	ns_guest ip addr add "${OBS6}/64" dev tap0 nodad &&
	ns_guest ip route add default via "${GW4}" &&
	ns_guest ip -6 route add default via "${GW6}" ||
		{ t_fail setup "can't configure the namespaces"; exit 1; }
	t_wait_for 50 ns_dad_done "${NS_GUEST}"
}

# mp_daemon() - Start a daemon in the host namespace, with debug messages,
# and wait for its socket
# $1:	Name: a or b, for its socket, log and repair socket in ${STATE}
# $@:	Options, after the name
# Sets MP_A_PID or MP_B_PID.
mp_daemon() {
	__n="$1"
	shift
	eval "__bin=\${MP_PASST_$__n:-\${PASST}}"
	rm -f "${STATE}/$__n.sock"
	ip netns exec "${NS_HOST}" "${__bin}" -f -d --vhost-user \
		-s "${STATE}/$__n.sock" "$@" >"${STATE}/$__n.log" 2>&1 &
	eval "MP_$(echo "$__n" | tr a-z A-Z)_PID=$!"
	t_wait_for 50 test -S "${STATE}/$__n.sock"
}

# mp_helper() - Start a repair helper for a daemon, and wait until the
# daemon sees it
# $1:	Name of the daemon: a or b
# Sets MP_RA_PID or MP_RB_PID.
mp_helper() {
	eval "__bin=\${MP_REPAIR_$1:-\${BASE_DIR}/passt-repair}"
	ip netns exec "${NS_HOST}" "${__bin}" "${STATE}/$1.sock.repair" \
		>"${STATE}/r$1.log" 2>&1 &
	eval "MP_R$(echo "$1" | tr a-z A-Z)_PID=$!"
	# Ours says the first, upstream passt the second
	t_wait_for 50 grep -Eq "Repair helper connected|TCP_REPAIR helper" \
		"${STATE}/$1.log"
}

# mp_start() - Start both daemons, the source first, with their helpers,
# and the source's bridge
# $1:	Options for both daemons, separated by spaces
# $2:	Extra options for the source, separated by spaces
# $3:	Extra options for the target, separated by spaces
# $4:	"nohelper" to start no repair helpers
mp_start() {
	# shellcheck disable=SC2086 # options are meant to split
	mp_daemon a $1 $2 || return 1
	# shellcheck disable=SC2086
	mp_daemon b $1 $3 || return 1
	if [ "${4:-}" != "nohelper" ]; then
		mp_helper a && mp_helper b || return 1
	fi
	mp_bridge a -S "${STATE}/state"
}

# mp_bridge() - Start vubridge in the guest namespace for a daemon, and wait
# until its rings run
# $1:	Daemon: a or b
# $@:	vubridge options, after the daemon
# Sets MP_VA_PID or MP_VB_PID.
mp_bridge() {
	__n="$1"
	shift
	: >"${STATE}/v$__n.log"
	ip netns exec "${NS_GUEST}" "${TOOLS}/vubridge" "$@" tap0 \
		"${STATE}/$__n.sock" >/dev/null 2>>"${STATE}/v$__n.log" &
	eval "MP_V$(echo "$__n" | tr a-z A-Z)_PID=$!"
	t_wait_for 100 grep -q connected "${STATE}/v$__n.log"
}

# mp_save() - Save the source's state: the first half of a switch
# Return: 0 once the bridge saved and let go of the TAP
mp_save() {
	kill -USR1 "${MP_VA_PID}" &&
	t_wait_for 100 grep -q "rings stopped" "${STATE}/va.log" &&
	grep -q "CHECK_DEVICE_STATE 0" "${STATE}/va.log"
}

# mp_load() - Load the saved state into the target, its bridge taking the
# TAP, then let the source's bridge go: the second half of a switch
# Return: 0 once the target runs the guest's rings
mp_load() {
	mp_bridge b -l "${STATE}/state" || return 1
	grep -q "loaded .* CHECK_DEVICE_STATE 0" "${STATE}/vb.log" || return 1
	ns_kill "${MP_VA_PID}"
	MP_VA_PID=
}

# mp_switch() - Move the guest from the source to the target
mp_switch() {
	mp_save && mp_load
}

# mp_log_count() - Count the lines of a daemon's log with a fixed string
# $1:	Daemon: a or b
# $2:	String
mp_log_count() {
	grep -cF -- "$2" "${STATE}/$1.log"
}

# mp_log_at_least() - Succeed if a daemon's log has at least some lines
# with a fixed string
# $1:	Daemon: a or b
# $2:	String
# $3:	Number of lines
mp_log_at_least() {
	[ "$(mp_log_count "$1" "$2")" -ge "$3" ]
}

# mp_log_has() - Succeed if a daemon's log has a line with a fixed string
# $1:	Daemon: a or b
# $2:	String
mp_log_has() {
	grep -qF -- "$2" "${STATE}/$1.log"
}

# mp_stop() - End the bridges, daemons and helpers of a migration
mp_stop() {
	for __p in "${MP_VA_PID}" "${MP_VB_PID}" "${MP_A_PID}" "${MP_B_PID}" \
		   "${MP_RA_PID}" "${MP_RB_PID}"; do
		ns_kill "${__p}"
	done
	MP_VA_PID= MP_VB_PID= MP_A_PID= MP_B_PID= MP_RA_PID= MP_RB_PID=
	rm -f "${STATE}/state" "${STATE}/va.log" "${STATE}/vb.log"
}

# Streams across a migration, with test/tools/tcpstream

# ms_bg() - Run tcpstream in a namespace in the background, output to a
# file in ${STATE}; sets BG_PID
# $1:	Namespace
# $2:	Output name
# $@:	tcpstream arguments, after the name
ms_bg() {
	__ns="$1" __out="${STATE}/$2.out"
	shift 2
	: >"${__out}"
	timeout 60 ip netns exec "${__ns}" "${TS}" "$@" >"${__out}" 2>&1 &
	BG_PID=$!
}

# ms_listening() - Wait until a tcpstream server listens
# $1:	Output name
ms_listening() {
	t_wait_for 50 grep -q listening "${STATE}/$1.out"
}

# ms_lines() - One kind of digest lines of a tcpstream output, sorted
# $1:	Output name
# $2:	sent or read
ms_lines() {
	grep "^$2 " "${STATE}/$1.out" | cut -d' ' -f2,3 | sort
}

# ms_same() - Succeed if two ends finished, and what each sent the other
# read, every byte, in order
# $1:	Output name of one end
# $2:	Output name of the other end
# $3:	Bytes each connection sends, at least, from both ends
ms_same() {
	grep -q '^done' "${STATE}/$1.out" && grep -q '^done' "${STATE}/$2.out" &&
	[ "$(ms_lines "$1" sent)" = "$(ms_lines "$2" read)" ] &&
	[ "$(ms_lines "$2" sent)" = "$(ms_lines "$1" read)" ] &&
	! ms_lines "$1" read | awk -v min="$3" '$1 < min { exit 1 }' |
		grep -q . && [ -n "$(ms_lines "$1" read)" ]
}

# ms_check() - Record a test: the two ends of some streams agree
# $1:	Test name
# $2, $3, $4:	As ms_same()
ms_check() {
	if ms_same "$2" "$3" "$4"; then
		t_ok "$1"
	else
		t_fail "$1" "$(cat "${STATE}/$2.out" "${STATE}/$3.out" |
			grep -v '^\(sent\|read\) ' | tr '\n' ' ')"
	fi
}

# ms_wait() - Wait for background processes
# $@:	PIDs
ms_wait() {
	for __p in "$@"; do
		wait "${__p}" 2>/dev/null
	done
}

# ms_do() - Run a step in this shell (it may start or end processes), and
# record whether it succeeded
# $1:	Test name
# $@:	Command and arguments, after the name
ms_do() {
	__name="$1"
	shift
	if "$@"; then
		t_ok "${__name}"
	else
		t_fail "${__name}" "$* failed"
	fi
}

# ms_log_ms() - Milliseconds between the first line of a daemon's log with
# one string and the last line with another, by the log's own clock
# $1:	Daemon: a or b
# $2:	String on the first line
# $3:	String on the last line
ms_log_ms() {
	awk -v a="$2" -v b="$3" 'index($0, a) && t0 == "" { t0 = $1 }
		index($0, b) { t1 = $1 }
		END { printf "%d", (t1 - t0) * 1000 }' "${STATE}/$1.log"
}

# ms_has() - Succeed if text has a line matching a pattern
# $1:	Text
# $2:	Basic regular expression
ms_has() {
	printf '%s\n' "$1" | grep -q -- "$2"
}
