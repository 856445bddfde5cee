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

MP_A_PID=
MP_B_PID=
MP_RA_PID=
MP_RB_PID=
MP_VA_PID=
MP_VB_PID=

# mp_daemon() - Start a daemon in the host namespace, with debug messages,
# and wait for its socket
# $1:	Name: a or b, for its socket, log and repair socket in ${STATE}
# $@:	Options, after the name
# Sets MP_A_PID or MP_B_PID.
mp_daemon() {
	__n="$1"
	shift
	rm -f "${STATE}/$__n.sock"
	ip netns exec "${NS_HOST}" "${PASST}" -f -d --vhost-user \
		-s "${STATE}/$__n.sock" "$@" >"${STATE}/$__n.log" 2>&1 &
	eval "MP_$(echo "$__n" | tr a-z A-Z)_PID=$!"
	t_wait_for 50 test -S "${STATE}/$__n.sock"
}

# mp_helper() - Start a repair helper for a daemon, and wait until the
# daemon sees it
# $1:	Name of the daemon: a or b
# Sets MP_RA_PID or MP_RB_PID.
mp_helper() {
	ip netns exec "${NS_HOST}" "${BASE_DIR}/passt-repair" \
		"${STATE}/$1.sock.repair" >"${STATE}/r$1.log" 2>&1 &
	eval "MP_R$(echo "$1" | tr a-z A-Z)_PID=$!"
	t_wait_for 50 grep -q "Repair helper connected" "${STATE}/$1.log"
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
