#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# test/lib/faults.sh - fault and load cases against a running daemon, for
# the faults group (each case once) and the soak (each in a loop): a case
# notes the daemon's descriptors, flows and resident memory, does its
# damage, waits for them to come back, prints a "figures" line, and
# records whether anything leaked and whether the daemon still serves
#
# Source it after ns.sh and xfer.sh. Flows are counted by the daemon
# itself: it logs its count on SIGUSR1.

SC="${TOOLS}/streamclient"
UT="${TOOLS}/udptool"
CHURN=10000
# Ports: the host's echo server (the guest reaches it through the
# gateway), the guest's echo server (forwarded with -t), and servers of
# the single cases
HOST_ECHO=5203
GUEST_ECHO=6001
WARM_PORT=6002
WARM_OUT_PORT=5310
VANISH_PORT=5300
RESET_PORT=5301
UDP_ECHO=7007
# Resident memory a case may add: pages touched for the first time (hash
# buckets, the guest's buffers) are not a leak, and stay well under this;
# the frame buffer a flood may touch is allowed on top, FRAME_BUF_KIB
RSS_SLACK_KIB=1024
# The stream front end's frame buffer (TAP_BUF_SIZE in tap.c): a flood may
# touch all of it for the first time, see faults_flood()
FRAME_BUF_KIB=8192
# Descriptor limit of the daemon for the budget cases
LOW_NOFILE=160
# ARP request for the gateway, and its reply, as 10-frontend has them
F_ARP=ffffffffffff02000000009908060001080006040001020000000099c000026400000000\
0000c0000201
ARP_REPLY_RE="^020000000099[0-9a-f]{12}08060001080006040002[0-9a-f]{12}c000020\
1020000000099c0000264"
# IPv4 with a wrong header checksum: parsed, and dropped
F_IP4_CSUM=ffffffffffff02000000009908004500001c000100004001e44ec0000264c000020\
10800000000000000
HOLD_PIDS=

# f_cpu() - CPU time the daemon used, user and system, in clock ticks
f_cpu() {
	awk '{ print $14 + $15 }' "/proc/${PASST_PID}/stat"
}

# f_rss() - The daemon's resident memory, KiB
f_rss() {
	awk '/^VmRSS:/ { print $2 }' "/proc/${PASST_PID}/status"
}

# f_count_lines() - Lines of the daemon's log with its flow count
f_count_lines() {
	grep -c "Flows: [0-9]* in use" "${PASST_LOG}"
}

# f_count_more() - Succeed if the log has more flow count lines than given
# $1:	Lines before
f_count_more() {
	[ "$(f_count_lines)" -gt "$1" ]
}

# f_count() - Ask the daemon for its flow count, print the line's figures:
# "TOTAL TCP UDP PING"
f_count() {
	__lines=$(f_count_lines)
	kill -USR1 "${PASST_PID}"
	t_wait_for 30 f_count_more "${__lines}" || { echo "? ? ? ?"; return; }
	grep "Flows: [0-9]* in use" "${PASST_LOG}" | tail -n 1 |
		sed 's/.*Flows: \([0-9]*\) in use (TCP \([0-9]*\),'\
' UDP \([0-9]*\), ping \([0-9]*\)).*/\1 \2 \3 \4/'
}

# f_flows() - Flows in use, all kinds
f_flows() {
	f_count | cut -d' ' -f1
}

# f_flows_of() - Flows in use of one kind
# $1:	tcp, udp or ping
f_flows_of() {
	case "$1" in
	tcp)	f_count | cut -d' ' -f2 ;;
	udp)	f_count | cut -d' ' -f3 ;;
	ping)	f_count | cut -d' ' -f4 ;;
	esac
}

# f_figures() - Descriptors, flows and resident memory, on one line
f_figures() {
	echo "$(ns_passt_fds) $(f_flows) $(f_rss)"
}

# f_settled() - Succeed once descriptors and flows are back to some values
# $1:	Descriptors
# $2:	Flows
f_settled() {
	[ "$(ns_passt_fds)" -eq "$1" ] && [ "$(f_flows)" = "$2" ]
}

# f_begin() - Note the figures before a case, in F_BEFORE, its CPU time,
# and where its log begins
f_begin() {
	F_BEFORE=$(f_figures)
	F_CPU0=$(f_cpu)
	F_LOG_MARK=$(wc -l < "${PASST_LOG}")
}

# f_end() - Wait for descriptors and flows to come back, print the figures,
# and record that nothing leaked and that the daemon still serves
# $1:	Case name
# $2:	More figures for the line, may be empty
# $3:	Memory, KiB, the case may touch for the first time, beyond the slack
f_end() {
	__first_touch=${3:-0}
	set -- "$1" "${2:-}" ${F_BEFORE}
	t_wait_for 300 f_settled "$3" "$4"
	__after=$(f_figures)
	set -- "$@" ${__after}
	echo "figures $1: fds $3 -> $6, flows $4 -> $7, rss-kib $5 -> $8," \
	     "cpu-ticks $(($(f_cpu) - F_CPU0))${2:+, $2}"
	t_expect_eq "$1-fds" "$6" "$3"
	t_expect_eq "$1-flows" "$7" "$4"
	t_check "$1-rss" test "$8" -le \
		$(($5 + RSS_SLACK_KIB + __first_touch))
	t_check "$1-serves" f_serves
}

# f_serves() - Succeed if the daemon is alive and carries a connection
# from the guest to the host's echo server
f_serves() {
	ns_passt_alive || { echo "daemon exited"; return 1; }
	xfer_in "${NS_GUEST}" "${XFER}" many "${GW4}" "${HOST_ECHO}" 4 1000
}

# f_log_since() - Lines with a fixed string logged since the case began
# $1:	String
f_log_since() {
	tail -n "+$((F_LOG_MARK + 1))" "${PASST_LOG}" | grep -cF -- "$1"
}

# f_log_bounded() - Record that a line was logged since the case began, and
# at most some times
# $1:	Test name
# $2:	Fixed string
# $3:	Most lines
f_log_bounded() {
	__n=$(f_log_since "$2")
	if [ "${__n}" -ge 1 ] && [ "${__n}" -le "$3" ]; then
		t_ok "$1"
	else
		t_fail "$1" "'$2' logged ${__n} times, expected 1 to $3"
	fi
}

# f_hold() - Open connections from the guest and keep them, in the
# background; waits until the connects are done
# $1:	Output file
# $2:	Port on the gateway
# $3:	Most connections
f_hold() {
	: > "$1"
	ip netns exec "${NS_GUEST}" "${XFER}" hold "${GW4}" "$2" "$3" \
		> "$1" 2>&1 &
	HOLD_PIDS="${HOLD_PIDS} $!"
	t_wait_for 300 grep -q '^held' "$1"
}

# f_release() - End every holder
f_release() {
	for __p in ${HOLD_PIDS}; do
		kill "${__p}" 2>/dev/null
		wait "${__p}" 2>/dev/null
	done
	HOLD_PIDS=
}

# f_held() - Connections a holder opened
# $1:	Its output file
f_held() {
	sed -n 's/^held //p' "$1"
}

# f_servers() - The echo servers: on the host's loopback, in the guest
f_servers() {
	ip netns exec "${NS_HOST}" "${XFER}" echo 127.0.0.1 "${HOST_ECHO}" \
		>/dev/null 2>&1 &
	ip netns exec "${NS_GUEST}" "${XFER}" echo 0.0.0.0 "${GUEST_ECHO}" \
		>/dev/null 2>&1 &
	sleep 0.3
}

# f_churn() - Connections in a row, each carrying a byte both ways; prints
# the rate
# $1:	Namespace of the client
# $2:	Address
# $3:	Port
# $4:	Connections
f_churn() {
	timeout 300 ip netns exec "$1" "${XFER}" churn "$2" "$3" "$4" |
		awk '/^churn/ { print $4 }'
}

# f_reset_round() - A guest client sends to a host server that resets the
# connection after 100 ms: prints "reset" if the client saw it
f_reset_round() {
	xfer_server "${NS_HOST}" "${STATE}/reset-srv" listen 127.0.0.1 \
		"${RESET_PORT}" p:100 x
	xfer_in "${NS_GUEST}" "${XFER}" connect "${GW4}" "${RESET_PORT}" \
		w:100000000 > "${STATE}/reset-cli" 2>&1
	wait "${SRV_PID}"
	grep -q "Connection reset by peer" "${STATE}/reset-cli" && echo reset
}

# faults_setup() - Namespaces, the daemon, the guest's addresses, the echo
# servers
# $@:	Extra options for the daemon
faults_setup() {
	ns_setup -t "${GUEST_ECHO}" -t "${WARM_PORT}" "$@" || return 1
	trap 'f_release; ns_teardown' EXIT
	ns_guest ip addr add "${HOST_ADDR4}/24" dev tap0 &&
	ns_guest ip route add default via "${GW4}" || return 1
	# Batch after batch of connections (the soak): the guest reuses its
	# own TIME_WAIT ports, as the daemon gives it timestamps, so that its
	# kernel's search for a free port doesn't slow it down
	ns_guest sysctl -qw net.ipv4.tcp_tw_reuse=1
	f_servers
}

# faults_warm_up() - Touch the daemon's memory with each kind of load once,
# a little: all its memory is static, and pages touched for the first time
# grow its resident size. The read buffer fills only if the daemon finds
# the socket full: the flood starts while it is stopped.
faults_warm_up() {
	ns_guest_disconnect
	kill -STOP "${PASST_PID}"
	"${SC}" "${PASST_SOCK}" "flood:1000:${F_IP4_CSUM}" >/dev/null &
	__flood=$!
	sleep 0.5
	kill -CONT "${PASST_PID}"
	wait "${__flood}"
	ns_bridge_start
	xfer_bulk warm-up-out "${NS_HOST}" 127.0.0.1 "${NS_GUEST}" "${GW4}" \
		"${WARM_OUT_PORT}" 104857600 send
	xfer_bulk warm-up-in "${NS_GUEST}" 0.0.0.0 "${NS_HOST}" 127.0.0.1 \
		"${WARM_PORT}" 104857600 send
	f_churn "${NS_GUEST}" "${GW4}" "${HOST_ECHO}" 500 >/dev/null
	f_churn "${NS_HOST}" 127.0.0.1 "${GUEST_ECHO}" 500 >/dev/null
	f_reset_round >/dev/null
}

# faults_churn() - 10,000 connections opened and closed each way
faults_churn() {
	f_begin
	__g2h=$(f_churn "${NS_GUEST}" "${GW4}" "${HOST_ECHO}" "${CHURN}")
	t_check churn-guest-to-host test -n "${__g2h}"
	__h2g=$(f_churn "${NS_HOST}" 127.0.0.1 "${GUEST_ECHO}" "${CHURN}")
	t_check churn-host-to-guest test -n "${__h2g}"
	f_end churn "${CHURN} each way, per second: guest to host\
 ${__g2h:-failed}, host to guest ${__h2g:-failed}"
}

# faults_vanish() - The front end killed in the middle of a transfer from
# the guest, and a new one: the guest's kernel keeps the connection, the
# daemon keeps the flow, and the transfer goes on through the new one
faults_vanish() {
	f_begin
	xfer_server "${NS_HOST}" "${STATE}/vanish-srv" listen 127.0.0.1 \
		"${VANISH_PORT}" r
	ip netns exec "${NS_GUEST}" timeout 60 "${XFER}" connect "${GW4}" \
		"${VANISH_PORT}" w:20000000:3:65536:10 s \
		>"${STATE}/vanish-cli" 2>&1 &
	__cli=$!
	sleep 1
	ns_guest_disconnect
	sleep 1
	ns_bridge_start
	wait "${__cli}"
	wait "${SRV_PID}"
	xfer_same "${STATE}/vanish-srv" "${STATE}/vanish-cli"
	xfer_report vanish-transfer-completes $? "${STATE}/vanish-srv" \
		"${STATE}/vanish-cli"
	f_log_bounded vanish-logged "Client closed the connection, waiting" 1
	f_end vanish
}

# faults_reset() - A host server that resets each connection in the middle
# of the data the guest sends: the guest sees each reset, the daemon logs
# one line for each
faults_reset() {
	f_begin
	__resets=0
	for __i in $(seq 20); do
		[ "$(f_reset_round)" = reset ] && __resets=$((__resets + 1))
	done
	__logged=$(f_log_since "Connection reset by peer")
	t_expect_eq reset-guest-sees-each "${__resets}" 20
	t_check reset-logged-once-each test "${__logged}" -ge 1 -a \
		"${__logged}" -le 20
	f_end reset "20 connections reset, ${__logged} log lines"
}

# faults_flood() - A flood of invalid frames, as fast as the test can send
# them, from a client of its own, which must get at least a thousand out;
# the same client is answered right after, and the drops are logged at
# most once a second. The front end reads into its frame buffer (8 MiB)
# for as long as the client keeps the socket fed, so how deep its pages
# are first touched depends on how the two get scheduled: the resident
# memory may grow by up to that buffer, on top of the slack. A leak of
# even a byte per frame grows by more, over the many millions of frames
# of a flood.
faults_flood() {
	f_begin
	ns_guest_disconnect
	__out=$("${SC}" "${PASST_SOCK}" "flood:3000:${F_IP4_CSUM}" \
		"frame:${F_ARP}" "match:1:5000:${ARP_REPLY_RE}")
	__rc=$?
	__rate=$(echo "${__out}" | awk '/^flood/ { print $4 }')
	__frames=$(echo "${__out}" | awk '/^flood/ { print $2 }')
	# Millions go in 3 s here: a thousand says the flood itself ran
	t_check flood-frames-sent test "${__frames:-0}" -ge 1000
	t_check flood-answered-after test "${__rc}" -eq 0
	t_check flood-log-rate-limited test \
		"$(f_log_since "frame from guest: ")" -le 5
	ns_bridge_start
	f_end flood "${__rate:-?} invalid frames per second for 3 s" \
		"${FRAME_BUF_KIB}"
}

# faults_nofile() - Out of descriptors, with a connection waiting: the
# daemon's limit is lowered to what it holds, guest connections take what
# is left until refused; the waiting host connection is then refused at
# once (a RST), with one line, and the daemon doesn't spin meanwhile. Once
# descriptors are free again, connections are served. Lowering the limit
# of a process of another user takes CAP_SYS_RESOURCE: the daemon must run
# as root (--runas 0).
faults_nofile() {
	f_begin
	__nofile=$(awk '/^Max open files/ { print $4 ":" $5 }' \
		"/proc/${PASST_PID}/limits")
	if ! prlimit --pid "${PASST_PID}" \
	     --nofile=$(($(ns_passt_fds) + 8)):"${__nofile#*:}"; then
		t_fail nofile-limit "can't lower the daemon's limit"
		return
	fi
	f_hold "${STATE}/hold-fds" "${HOST_ECHO}" 100
	__held=$(f_held "${STATE}/hold-fds")
	t_check nofile-guest-refused grep -q "Connection refused" \
		"${STATE}/hold-fds"
	__cpu0=$(f_cpu)
	ip netns exec "${NS_HOST}" timeout 10 "${XFER}" connect 127.0.0.1 \
		"${GUEST_ECHO}" R > "${STATE}/nofile-wait" 2>&1 &
	__waiter=$!
	sleep 3
	__cpu=$(($(f_cpu) - __cpu0))
	# Generous: 3 s of spinning is 300 ticks, not spinning close to none
	t_check nofile-no-spin test "${__cpu}" -lt 30
	wait "${__waiter}"
	t_check nofile-waiting-refused grep -q "^reset 0" \
		"${STATE}/nofile-wait"
	f_log_bounded nofile-logged \
		"out of descriptors, refusing a connection" 4
	f_release
	prlimit --pid "${PASST_PID}" --nofile="${__nofile}"
	t_check nofile-served-after ip netns exec "${NS_HOST}" timeout 30 \
		"${XFER}" many 127.0.0.1 "${GUEST_ECHO}" 4 1000
	f_end nofile "limit reached after ${__held:-?} guest connections,\
 ${__cpu} ticks in 3 s with a connection waiting"
}

# faults_budget_daemon() - Restart the daemon with a low descriptor limit
# for faults_budget(), and start a UDP echo server on the host; sets
# F_UDP_SHARE and F_TCP_SHARE from what the daemon says at start
# $@:	Extra options for the daemon
faults_budget_daemon() {
	printf '#!/bin/sh\nexec prlimit --nofile=%s:%s "%s" "$@"\n' \
		"${LOW_NOFILE}" "${LOW_NOFILE}" "${PASST}" \
		> "${STATE}/passt-low"
	chmod 755 "${STATE}/passt-low"
	PASST="${STATE}/passt-low" ns_passt_restart -t "${GUEST_ECHO}" \
		--udp-timeout 15 "$@" || return 1
	F_UDP_SHARE=$(sed -n 's/.*Flows: .* UDP up to \([0-9]*\),.*/\1/p' \
		"${PASST_LOG}")
	F_TCP_SHARE=$(sed -n 's/.*Flows: .* TCP up to \([0-9]*\),.*/\1/p' \
		"${PASST_LOG}")
	ip netns exec "${NS_HOST}" "${UT}" echo "${UDP_ECHO}" \
		> "${STATE}/udp-echo" 2>&1 &
	t_wait_for 30 grep -q ready "${STATE}/udp-echo"
}

# faults_budget() - With a low descriptor limit, UDP flows from the guest
# fill the UDP share and no more, while TCP connections both ways still
# work; then TCP takes what is left, and the table is full for both
faults_budget() {
	f_begin
	ip netns exec "${NS_GUEST}" "${UT}" flows "${GW4}" "${UDP_ECHO}" \
		$((LOW_NOFILE * 2)) 100 >/dev/null 2>&1 &
	__flooder=$!
	# Until the UDP share is full, or (without budgets) every descriptor
	t_wait_for 100 eval '[ "$(f_flows_of udp)" = "${F_UDP_SHARE}" ] ||
		[ "$(ns_passt_fds)" -ge $((LOW_NOFILE - 2)) ]'
	kill "${__flooder}" 2>/dev/null
	wait "${__flooder}" 2>/dev/null
	t_expect_eq budget-udp-holds-share "$(f_flows_of udp)" \
		"${F_UDP_SHARE}"
	t_check budget-tcp-out-works ip netns exec "${NS_GUEST}" timeout 10 \
		"${XFER}" many "${GW4}" "${HOST_ECHO}" 16 1000
	t_check budget-tcp-in-works ip netns exec "${NS_HOST}" timeout 10 \
		"${XFER}" many 127.0.0.1 "${GUEST_ECHO}" 16 1000
	t_expect_eq budget-udp-still-held "$(f_flows_of udp)" \
		"${F_UDP_SHARE}"
	f_log_bounded budget-udp-logged "Flow table full for UDP" 25

	# The rest to TCP: holders until refused, then the table is full
	f_hold "${STATE}/hold-table" "${HOST_ECHO}" "${LOW_NOFILE}"
	__table=$(f_flows)
	t_check table-full-tcp-refused grep -q "Connection refused" \
		"${STATE}/hold-table"
	t_check table-full-inbound-reset sh -c "ip netns exec ${NS_HOST} \
		timeout 30 ${XFER} connect 127.0.0.1 ${GUEST_ECHO} R | \
		grep -q '^reset 0$'"
	f_log_bounded table-full-logged "Flow table full" 50
	f_release
	f_end budget "UDP share ${F_UDP_SHARE}, TCP share ${F_TCP_SHARE};\
 table full at ${__table} flows, $(f_held "${STATE}/hold-table") TCP held"
}
