#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# QEMU guests on the stream socket: the test guest (test/guest/) boots in
# QEMU attached with -netdev stream to the daemon in NS_HOST, and each step
# is checked by what the guest prints. Then QEMU exits, and a second guest
# must be served by the same daemon.
#
# A new guest step is one guest_run and one check, e.g. for a fetch from a
# server in NS_HOST: t_expect_eq http "$(guest_run 20 wget -qO- URL)" DATA

. "${TEST_DIR}/lib/ns.sh"
. "${TEST_DIR}/lib/guest.sh"

# qemu_boot() - Boot a guest on the daemon's socket, check it came up with
# its virtio link, and that the daemon took QEMU as its client
# $1:	Prefix for test names
qemu_boot() {
	if ! guest_start "${PASST_SOCK}"; then
		t_fail "$1boot" "$(guest_console | tail -n 3 | tr '\n' ' ')"
		return 1
	fi
	t_ok "$1boot"
	t_expect_eq "$1virtio-net" \
		"$(guest_run 10 cat /sys/class/net/eth0/address)" "${GUEST_MAC}"
	t_check "$1client" guest_connected "${PASST_SOCK}"
	t_check "$1client-logged" t_wait_for 50 \
		grep -q "Client connected (pid ${GUEST_PID})" "${PASST_LOG}"
}

if ! __out=$(guest_build 2>&1); then
	t_fail guest-image "$(echo "${__out}" | tail -n 3 | tr '\n' ' ')"
	exit 0
fi
ns_create || { t_fail netns "can't set up namespaces"; exit 0; }
trap 'guest_cleanup; ns_teardown' EXIT
ns_passt_start || { t_fail daemon "$(tail -n 3 "${PASST_LOG}")"; exit 0; }

qemu_boot ""
guest_cleanup

# The daemon outlives its client, and serves the next one
t_check daemon-survives-guest ns_passt_alive
t_check client-left-logged \
	grep -q "Client closed the connection, waiting" "${PASST_LOG}"
qemu_boot second-
