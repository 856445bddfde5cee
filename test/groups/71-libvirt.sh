#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Started the way libvirt starts it: the daemon gets libvirt's options
# (--one-off --socket --pid, the guest's address and prefix length, the
# template interface, port forwards, a log file, and --vhost-user for an
# interface of type vhostuser) and no -f, so it must go
# to the background, with its pid file and socket in place by the time the
# command returns. Then a guest is attached on that socket, gets its lease
# and its IPv6 address, pings the gateway, fetches a file from the host and
# serves one through -t; and when QEMU exits the daemon must exit too.
#
# Front ends: stream vhost-user

. "${TEST_DIR}/lib/ns.sh"
. "${TEST_DIR}/lib/guest.sh"

# As libvirt names them: <domain>-<net alias>.socket and ...-passt.pid
VM=guest$$

if ! __out=$(guest_build 2>&1); then
	t_fail guest-image "$(echo "${__out}" | tail -n 3 | tr '\n' ' ')"
	exit 0
fi
ns_create || { t_fail netns "can't set up namespaces"; exit 0; }
trap 'guest_cleanup; ns_teardown' EXIT

guest_host_httpd_start || { t_fail http-server "can't start httpd"; exit 0; }

PASST_SOCK="${STATE}/${VM}-net0.socket"
PID_FILE="${STATE}/${VM}-net0-passt.pid"
LOG_FILE="${STATE}/${VM}-net0.log"

# A daemon that doesn't go to the background is stopped, and fails
timeout 10 ip netns exec "${NS_HOST}" "${PASST}" $(ns_frontend_opts) \
	--one-off --socket "${PASST_SOCK}" --pid "${PID_FILE}" \
	--address 192.0.2.100 --netmask 24 --interface up0 \
	--tcp-ports 10022:22 --log-file "${LOG_FILE}" > "${PASST_LOG}" 2>&1
t_expect_eq start-status "$?" 0

t_check socket-on-return test -S "${PASST_SOCK}"
t_check pid-file-on-return test -s "${PID_FILE}"

# The pid file must name the daemon serving our socket; from here on the
# teardown ends that process if it's still running
PASST_PID=$(cat "${PID_FILE}" 2>/dev/null)
if tr '\0' ' ' 2>/dev/null < "/proc/${PASST_PID:-0}/cmdline" | \
   grep -q -- "--socket ${PASST_SOCK} "; then
	t_ok pid-file-names-daemon
else
	t_fail pid-file-names-daemon "pid file says '${PASST_PID}'"
	PASST_PID=
fi

# libvirt_daemon_gone() - Succeed if the daemon has exited: its process is
# gone, or a zombie not yet reaped by whoever adopted it
libvirt_daemon_gone() {
	[ -n "${PASST_PID}" ] || return 1
	! grep -q '^State:[[:space:]]*[^Z]' "/proc/${PASST_PID}/status"
}

if ! guest_start "${PASST_SOCK}"; then
	t_fail attach "$(guest_console | tail -n 3 | tr '\n' ' ')"
elif ! guest_connected "${PASST_SOCK}"; then
	t_fail attach "QEMU is not connected to the daemon"
else
	t_ok attach
	# In the background the daemon has a PID namespace of its own,
	# where QEMU's PID doesn't exist
	t_check client-logged t_wait_for 50 grep -q \
		"Client connected (pid unknown)" "${LOG_FILE}"
	# The guest gets the address and prefix length libvirt gave
	__out=$(guest_run 30 dhcp4)
	t_expect_eq dhcp-address \
		"$(echo "${__out}" | grep -E '^(ip|mask)=' | tr '\n' ' ')" \
		"ip=192.0.2.100 mask=24 "
	# And everything else a guest does, as when started by hand
	guest_check_slaac
	guest_check_ping ping-gateway4 ping "${GW4}"
	guest_check_ping ping-gateway6 ping6 "${GW6}"
	guest_check_http_from_host
	guest_check_http_to_guest 10022 22
fi
guest_stop

# --one-off: the daemon leaves with its only client
t_check exits-with-qemu t_wait_for 50 libvirt_daemon_gone
t_check log-file grep -q "socket bound at ${PASST_SOCK}\$" "${LOG_FILE}"
