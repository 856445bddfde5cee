#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# TCP at the flow table's limit, with a daemon built with a 64-entry table:
# a full table refuses new connections from either side cleanly (a RST,
# and one log line), and once the connections close every entry and every
# descriptor is back: the table fills to exactly 64 again.

. "${TEST_DIR}/lib/ns.sh"
. "${TEST_DIR}/lib/xfer.sh"

R4=198.51.100.1
FLOWS=64
HOLDERS=

# lim_build() - Build the daemon with a small flow table in a scratch copy
lim_build() {
	LIM_DIR=$(mktemp -d "${TMPDIR:-/tmp}/passt-lim.XXXXXX") || return 1
	cp "${BASE_DIR}"/*.c "${BASE_DIR}"/*.h "${BASE_DIR}/Makefile" \
		"${LIM_DIR}" &&
	make -s -C "${LIM_DIR}" CPPFLAGS="-DFLOW_MAX=${FLOWS}U" passt
}

# lim_cleanup() - Stop the holders, then the namespaces, remove the build
lim_cleanup() {
	for __p in ${HOLDERS}; do
		kill "${__p}" 2>/dev/null
	done
	ns_teardown
	[ -n "${LIM_DIR}" ] && rm -rf "${LIM_DIR}"
}

# lim_guest_conns() - Established connections in the guest to the server
lim_guest_conns() {
	ip netns exec "${NS_GUEST}" ss -Htn state established \
		"( dport = 5003 )" | wc -l
}

# lim_conns_are() - Succeed if the guest has exactly some connections
# $1:	Number
lim_conns_are() {
	[ "$(lim_guest_conns)" -eq "$1" ]
}

# lim_fill() - Open FLOWS connections from the guest that stay open
lim_fill() {
	HOLDERS=
	__i=0
	while [ ${__i} -lt ${FLOWS} ]; do
		timeout 120 ip netns exec "${NS_GUEST}" "${XFER}" connect \
			"${R4}" 5003 r >/dev/null 2>&1 &
		HOLDERS="${HOLDERS} $!"
		__i=$((__i + 1))
	done
	t_wait_for 100 lim_conns_are "${FLOWS}"
}

# lim_release() - Close the holding connections, wait until they are gone
lim_release() {
	for __p in ${HOLDERS}; do
		kill "${__p}" 2>/dev/null
	done
	for __p in ${HOLDERS}; do
		wait "${__p}" 2>/dev/null
	done
	HOLDERS=
	t_wait_for 100 lim_conns_are 0
}

# lim_run() - Record the result of a function run in this shell (t_check
# runs its command in a subshell, where HOLDERS would be lost)
# $1:	Test name
# $2:	Function
lim_run() {
	if "$2"; then
		t_ok "$1"
	else
		t_fail "$1" "$(lim_guest_conns) connections in the guest"
	fi
}

lim_build || { t_fail build "can't build a daemon with a small table"; exit 1; }
PASST="${LIM_DIR}/passt"
ns_setup -t 6001 || { t_fail setup "ns_setup failed"; exit 1; }
trap lim_cleanup EXIT
ns_net ip addr add "${R4}/24" dev net0 &&
ns_host ip route add 198.51.100.0/24 via "${GW4}" &&
ns_guest_static -4 ||
	{ t_fail setup "address setup failed"; exit 1; }

: > "${STATE}/echo"
timeout 300 ip netns exec "${NS_NET}" "${XFER}" echo "${R4}" 5003 \
	> "${STATE}/echo" 2>&1 &
ECHO_PID=$!
t_wait_for 50 grep -q listening "${STATE}/echo"
fds_before=$(ns_passt_fds)

lim_run fill lim_fill
xfer_refused full-refuses-outbound "${NS_GUEST}" "${R4}" 5003
t_check full-resets-inbound sh -c "timeout 30 ip netns exec ${NS_HOST} \
	${XFER} connect 127.0.0.1 6001 R | grep -q '^reset 0$'"
t_check full-logged grep -q "Flow table full" "${PASST_LOG}"

lim_run release lim_release
t_check fds-back t_wait_for 100 ns_passt_fds_are -eq "${fds_before}"

# Every entry came back: the table fills to the same size again
lim_run refill lim_fill
xfer_refused refill-refuses "${NS_GUEST}" "${R4}" 5003
lim_run release-again lim_release

t_expect_eq recovered \
	"$(xfer_in "${NS_GUEST}" "${XFER}" connect "${R4}" 5003 \
	   w:1000 s r | cut -d' ' -f1-2 | tr '\n' ' ')" "wrote 1000 read 1000 "

kill "${ECHO_PID}" 2>/dev/null
wait "${ECHO_PID}" 2>/dev/null
t_check fds-back-again t_wait_for 100 \
	ns_passt_fds_are -eq "${fds_before}"
t_check daemon-alive ns_passt_alive
