#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# A guest that reads its stream in fits and starts: the bridge is stopped
# (SIGSTOP) for 150 ms at a time while eight bulk transfers into the guest
# fill the daemon's socket to it, and resumed for 100 ms. Meanwhile a ninth
# connection trickles 4 kB every 25 ms, so some of its segments come while
# the socket is full and are refused with nothing else in flight: only the
# front end's wake-up resends them before the retransmission timer (1 s).
#
# Checked: every transfer arrives intact; the daemon did refuse frames and
# resumed connections when the socket drained (debug log); and no
# connection ever waited for its retransmission timer, that is, no
# "timeout" in the debug log.

. "${TEST_DIR}/lib/ns.sh"
. "${TEST_DIR}/lib/xfer.sh"

BULK_PORTS="6001 6002 6003 6004 6005 6006 6007 6008"
BULK=150000000		# per connection
TRICKLE_PORT=6009
TRICKLE=w:160000:7:4000:25

# slow_cycles() - Stop and resume the bridge, for about a second
slow_cycles() {
	for __i in 1 2 3 4; do
		kill -STOP "${BRIDGE_PID}"
		sleep 0.15
		kill -CONT "${BRIDGE_PID}"
		sleep 0.1
	done
}

# slow_check() - Record whether the server read what the client wrote
# $1:	Test name
# $2:	Server output
# $3:	Client output
slow_check() {
	xfer_same "$2" "$3"
	xfer_report "$1" $? "$2" "$3"
}

# slow_cleanup() - Resume the bridge if a failure left it stopped, so that
# it can be ended, then the usual teardown
slow_cleanup() {
	[ -n "${BRIDGE_PID}" ] && kill -CONT "${BRIDGE_PID}" 2>/dev/null
	ns_teardown
}

ns_setup -t 6001-6009 || { t_fail setup "ns_setup failed"; exit 1; }
trap slow_cleanup EXIT
ns_guest_static -4 ||
	{ t_fail setup "guest setup failed"; exit 1; }

# Bulk transfers into the guest, running before and after the cycles
pids=
for p in ${BULK_PORTS}; do
	xfer_server "${NS_GUEST}" "${STATE}/bulk-srv-${p}" listen 0.0.0.0 \
		"${p}" r
	pids="${pids} ${SRV_PID}"
	xfer_in "${NS_HOST}" "${XFER}" connect 127.0.0.1 "${p}" \
		"w:${BULK}:${p}" s > "${STATE}/bulk-cli-${p}" 2>&1 &
	pids="${pids} $!"
done
xfer_server "${NS_GUEST}" "${STATE}/trickle-srv" listen 0.0.0.0 \
	"${TRICKLE_PORT}" r
trickle_srv=${SRV_PID}
xfer_in "${NS_HOST}" "${XFER}" connect 127.0.0.1 "${TRICKLE_PORT}" \
	"${TRICKLE}" s > "${STATE}/trickle-cli" 2>&1 &
trickle_cli=$!

slow_cycles
wait ${trickle_cli} ${trickle_srv} ${pids}

for p in ${BULK_PORTS}; do
	slow_check "bulk-${p}" "${STATE}/bulk-srv-${p}" "${STATE}/bulk-cli-${p}"
done
slow_check trickle "${STATE}/trickle-srv" "${STATE}/trickle-cli"

t_check "frames-refused" grep -q "Front end took" "${PASST_LOG}"
t_check "resumed" grep -Eq "Front end takes frames again: [1-9][0-9]* TCP" \
	"${PASST_LOG}"
t_check "no-timeout" sh -c "! grep 'timeout, retry' '${PASST_LOG}'"
t_check "daemon-alive" ns_passt_alive
