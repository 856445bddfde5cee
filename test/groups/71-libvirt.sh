#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Started the way libvirt starts it: the daemon gets libvirt's options
# (--one-off --socket --pid, the guest's address and prefix length, the
# template interface, port forwards, a log file) and no -f, so it must go
# to the background, with its pid file and socket in place by the time the
# command returns. Then a guest is attached on that socket, and when QEMU
# exits the daemon must exit too.
#
# Then libvirt 9.0's command line, which also gives the daemon the guest's
# own MAC address as --mac-addr: TCP must work both ways, with the guest
# in a namespace behind tapbridge and with the QEMU guest.

. "${TEST_DIR}/lib/ns.sh"
. "${TEST_DIR}/lib/guest.sh"
. "${TEST_DIR}/lib/xfer.sh"

# As libvirt names them: <domain>-<net alias>.socket and ...-passt.pid
VM=guest$$

if ! __out=$(guest_build 2>&1); then
	t_fail guest-image "$(echo "${__out}" | tail -n 3 | tr '\n' ' ')"
	exit 0
fi
ns_create || { t_fail netns "can't set up namespaces"; exit 0; }
trap 'guest_cleanup; ns_teardown' EXIT

PASST_SOCK="${STATE}/${VM}-net0.socket"
PID_FILE="${STATE}/${VM}-net0-passt.pid"
LOG_FILE="${STATE}/${VM}-net0.log"

# A daemon that doesn't go to the background is stopped, and fails
timeout 10 ip netns exec "${NS_HOST}" "${PASST}" --one-off \
	--socket "${PASST_SOCK}" --pid "${PID_FILE}" \
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
	t_check client-logged t_wait_for 50 grep -q \
		"Client connected (pid ${GUEST_PID})" "${LOG_FILE}"
	# The guest gets the address and prefix length libvirt gave
	__out=$(guest_run 30 dhcp4)
	t_expect_eq dhcp-address \
		"$(echo "${__out}" | grep -E '^(ip|mask)=' | tr '\n' ' ')" \
		"ip=192.0.2.100 mask=24 "
fi
guest_stop

# --one-off: the daemon leaves with its only client
t_check exits-with-qemu t_wait_for 50 libvirt_daemon_gone
t_check log-file grep -q "socket bound at ${PASST_SOCK}\$" "${LOG_FILE}"

# libvirt 9.0: exactly its options, the guest's MAC address among them
L9_ADDR=192.0.2.100
L9_FWD=10080
L9_HOST_PORT=8080
L9_BYTES=1048576
# A transfer that stalls (frames the guest drops) fails in seconds
XFER_TIMEOUT=20

# libvirt9_start() - Start the daemon as libvirt 9.0 does, and wait for it
# to go to the background with its socket in place
# $1:	Socket path
libvirt9_start() {
	timeout 10 ip netns exec "${NS_HOST}" "${PASST}" --one-off \
		--socket "$1" --mac-addr "${GUEST_MAC}" --interface up0 \
		--address "${L9_ADDR}" --netmask 24 --tcp-ports "${L9_FWD}" \
		> "${STATE}/libvirt9.log" 2>&1 && test -S "$1"
}

# In the namespace harness: tap0 has the MAC address QEMU would give the
# guest, and the address libvirt gave
PASST_SOCK="${STATE}/${VM}-net1.socket"
PASST_PID=
if ! libvirt9_start "${PASST_SOCK}"; then
	t_fail libvirt9-ns-start "$(tail -n 3 "${STATE}/libvirt9.log")"
elif ! ns_guest ip link set tap0 address "${GUEST_MAC}" ||
     ! ns_guest_static -4 "${L9_ADDR}" || ! ns_bridge_start; then
	t_fail libvirt9-ns-start "can't set up the guest namespace"
else
	t_ok libvirt9-ns-start
	# Connections from the guest, to the host's loopback through the
	# gateway address, and from the host, through --tcp-ports
	xfer_bulk libvirt9-ns-guest-sends "${NS_HOST}" 127.0.0.1 \
		"${NS_GUEST}" "${GW4}" "${L9_HOST_PORT}" "${L9_BYTES}" send
	xfer_bulk libvirt9-ns-guest-receives "${NS_HOST}" 127.0.0.1 \
		"${NS_GUEST}" "${GW4}" "${L9_HOST_PORT}" "${L9_BYTES}" recv
	xfer_bulk libvirt9-ns-host-sends "${NS_GUEST}" "${L9_ADDR}" \
		"${NS_HOST}" 127.0.0.1 "${L9_FWD}" "${L9_BYTES}" send
	xfer_bulk libvirt9-ns-host-receives "${NS_GUEST}" "${L9_ADDR}" \
		"${NS_HOST}" 127.0.0.1 "${L9_FWD}" "${L9_BYTES}" recv
	ns_guest_disconnect
	# --one-off: gone with its client, socket removed
	t_check libvirt9-ns-exits t_wait_for 50 test ! -e "${PASST_SOCK}"
fi

# With the QEMU guest, whose virtio-net device has that MAC address: a web
# server in NS_HOST's loopback for the guest, and one in the guest for the
# host, each serving 1 MiB of noise, checked by its MD5 sum
mkdir -p "${STATE}/www" &&
head -c "${L9_BYTES}" /dev/urandom > "${STATE}/www/data" &&
guest_host_httpd "${L9_HOST_PORT}" "${STATE}/www" ||
	{ t_fail libvirt9-qemu-httpd "can't start httpd"; exit 0; }

PASST_SOCK="${STATE}/${VM}-net2.socket"
if ! libvirt9_start "${PASST_SOCK}"; then
	t_fail libvirt9-qemu-start "$(tail -n 3 "${STATE}/libvirt9.log")"
elif ! guest_start "${PASST_SOCK}"; then
	t_fail libvirt9-qemu-start "$(guest_console | tail -n 3 | tr '\n' ' ')"
else
	t_ok libvirt9-qemu-start
	t_expect_eq libvirt9-qemu-dhcp \
		"$(guest_run 30 dhcp4 | grep '^ip=')" "ip=${L9_ADDR}"
	t_expect_eq libvirt9-qemu-guest-fetches \
		"$(guest_fetch_md5 "http://${GW4}:${L9_HOST_PORT}/data")" \
		"$(md5sum < "${STATE}/www/data")"
	__sum=$(guest_httpd "${L9_FWD}" &&
		guest_run 10 "head -c ${L9_BYTES} /dev/urandom > /www/data &&" \
			     "md5sum < /www/data")
	__url="http://127.0.0.1:${L9_FWD}/data"
	t_expect_eq libvirt9-qemu-host-fetches \
		"$(guest_host_fetch "${__url}" | md5sum)" \
		"${__sum:-no file in the guest}"
fi
guest_stop
t_check libvirt9-qemu-exits t_wait_for 50 test ! -e "${PASST_SOCK}"
