#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# TCP from the guest to a remote host, IPv4 and IPv6: bulk transfers both
# ways checked by content hash, half-close both ways, resets both ways, a
# closed port, many concurrent connections, a guest that stops reading,
# four downloads that share the link, 100 MiB both ways over a link that
# loses and reorders the guest's frames, and no descriptor left behind
# once everything closed.
#
# The remote host is NS_NET, at addresses of its own (198.51.100.1 and
# 2001:db8:2::1) that NS_HOST routes through it: the guest reaches them
# with no address translation.
#
# Front ends: stream vhost-user

. "${TEST_DIR}/lib/ns.sh"
. "${TEST_DIR}/lib/xfer.sh"

R4=198.51.100.1
R6=2001:db8:2::1
BULK=209715200		# 200 MiB

# tcp_setup() - Namespaces, the remote addresses, and the guest's static
# configuration (what the daemon would hand out)
tcp_setup() {
	ns_setup || return 1
	ns_net ip addr add "${R4}/24" dev net0 &&
	ns_net ip addr add "${R6}/64" dev net0 nodad &&
	ns_host ip route add 198.51.100.0/24 via "${GW4}" &&
	ns_host ip -6 route add 2001:db8:2::/64 via "${GW6}" &&
	ns_guest_static
}

# tcp_server() - Start a tcpxfer server in NS_NET, see xfer_server()
# $1:	Output file
# $@:	tcpxfer arguments
tcp_server() {
	xfer_server "${NS_NET}" "$@"
}

# tcp_guest() - Run tcpxfer in the guest, with a time limit
# $@:	tcpxfer arguments
tcp_guest() {
	xfer_in "${NS_GUEST}" "${XFER}" "$@"
}

# tcp_bulk() - BULK bytes one way between the guest and NS_NET
# $1:	Test name
# $2:	Remote address
# $3:	send (the guest sends) or recv (the remote host sends)
tcp_bulk() {
	xfer_bulk "$1" "${NS_NET}" "$2" "${NS_GUEST}" "$2" 5000 "${BULK}" "$3"
}

# tcp_halfclose() - One side shuts down writing, the other goes on sending
# $1:	Test name
# $2:	Remote address
# $3:	guest (the guest shuts down first) or host
tcp_halfclose() {
	__s="${STATE}/hc-srv" __c="${STATE}/hc-cli"
	if [ "$3" = guest ]; then
		tcp_server "${__s}" listen "$2" 5001 r w:3000000:7 s
		tcp_guest connect "$2" 5001 w:1000000 s r > "${__c}" 2>&1
	else
		tcp_server "${__s}" listen "$2" 5001 w:1000000 s r
		tcp_guest connect "$2" 5001 r w:3000000:7 s > "${__c}" 2>&1
	fi
	wait "${SRV_PID}"
	xfer_same "${__s}" "${__c}" && xfer_same "${__c}" "${__s}"
	xfer_report "$1" $? "${__s}" "${__c}"
}

# tcp_reset() - A RST from one side reaches the other
# $1:	Test name
# $2:	Remote address
# $3:	guest (the guest resets) or host
tcp_reset() {
	__s="${STATE}/rst-srv" __c="${STATE}/rst-cli"
	if [ "$3" = guest ]; then
		tcp_server "${__s}" listen "$2" 5002 R
		# Reset once all is acknowledged: what is still in flight
		# when a RST goes is lost, as TCP has it
		tcp_guest connect "$2" 5002 w:100000 d x > "${__c}" 2>&1
		wait "${SRV_PID}"
		t_expect_eq "$1" "$(grep "^reset" "${__s}")" "reset 100000"
	else
		tcp_server "${__s}" listen "$2" 5002 p:200 x
		tcp_guest connect "$2" 5002 R > "${__c}" 2>&1
		wait "${SRV_PID}"
		t_check "$1" grep -q "^reset" "${__c}"
	fi
}

# tcp_many() - 1000 concurrent connections to an echo server, each with its
# own data
# $1:	Test name
# $2:	Remote address
tcp_many() {
	tcp_server "${STATE}/echo" echo "$2" 5003
	__pid=${SRV_PID}
	tcp_guest many "$2" 5003 1000 20000 > "${STATE}/many" 2>&1
	kill "${__pid}"
	wait "${__pid}" 2>/dev/null
	t_expect_eq "$1" "$(cat "${STATE}/many")" "ok 1000"
}

# tcp_zero_window() - A guest that stops reading stalls its own connection
# only: another one completes meanwhile, and the stalled data arrives
# intact once the guest reads
# $1:	Test name
# $2:	Remote address
tcp_zero_window() {
	__s="${STATE}/zw-srv" __c="${STATE}/zw-cli"
	tcp_server "${__s}" listen "$2" 5004 w:50000000:3 s r
	tcp_guest connect "$2" 5004 p:3000 r > "${__c}" 2>&1 &
	__slow=$!
	__srv=${SRV_PID}
	sleep 0.5
	__t0=$(date +%s%N)
	tcp_server "${STATE}/zw2-srv" listen "$2" 5005 r
	tcp_guest connect "$2" 5005 w:20000000 s > "${STATE}/zw2-cli" 2>&1
	__t1=$(date +%s%N)
	wait "${__slow}"
	wait "${SRV_PID}" "${__srv}"
	if [ $(((__t1 - __t0) / 1000000)) -lt 2000 ] &&
	   xfer_same "${STATE}/zw2-srv" "${STATE}/zw2-cli" &&
	   xfer_same "${__c}" "${__s}"; then
		t_ok "$1"
	else
		t_fail "$1" "other took $(((__t1 - __t0) / 1000000)) ms; $(cat "${__c}" "${__s}" | tr '\n' ' ')"
	fi
}

# tcp_share() - Four downloads at once share the guest's link: the slowest
# gets at least a quarter of the fastest one's rate. As in the benchmark,
# the daemon has a CPU of its own and the rest shares the other one: the
# guest's side then hands back room a little at a time, and which
# connection gets it is up to the daemon.
# $1:	Test name
# $2:	Remote address
tcp_share() {
	__pin=
	if [ "$(nproc)" -ge 2 ]; then
		taskset -pc 1 "${PASST_PID}" >/dev/null
		taskset -pc 0 "${BRIDGE_PID}" >/dev/null
		__pin="taskset -c 0"
	fi
	# shellcheck disable=SC2086 # an empty prefix, or a command
	xfer_in "${NS_NET}" ${__pin} iperf3 -s -1 -B "$2" -p 5006 --forceflush \
		> "${STATE}/share-srv" 2>&1 &
	__srv=$!
	t_wait_for 50 grep -q listening "${STATE}/share-srv"
	# shellcheck disable=SC2086
	__rates=$(xfer_in "${NS_GUEST}" ${__pin} iperf3 -c "$2" -p 5006 -P 4 \
		-t 2 -R -f k 2>&1 | awk '/receiver/ && !/SUM/ {
			for (i = 2; i <= NF; i++)
				if ($i == "Kbits/sec") print int($(i - 1)) }' |
		sort -n)
	wait "${__srv}"
	taskset -pc "0-$(($(nproc) - 1))" "${PASST_PID}" >/dev/null
	taskset -pc "0-$(($(nproc) - 1))" "${BRIDGE_PID}" >/dev/null

	# shellcheck disable=SC2086 # one number per word
	set -- "$1" ${__rates}
	if [ $# -eq 5 ] && [ "$5" -gt 0 ] && [ $(($2 * 4)) -ge "$5" ]; then
		t_ok "$1"
	else
		__rates=$(echo "${__rates}" | tr '\n' ' ')
		t_fail "$1" "Kbit/s of each connection: ${__rates}"
	fi
}

tcp_setup || { t_fail setup "namespace setup failed"; exit 1; }
fds_before=$(ns_passt_fds)

for fam in 4 6; do
	eval "r=\${R${fam}}"
	tcp_bulk "bulk-out-ipv${fam}" "${r}" send
	tcp_bulk "bulk-in-ipv${fam}" "${r}" recv
	tcp_halfclose "halfclose-guest-first-ipv${fam}" "${r}" guest
	tcp_halfclose "halfclose-host-first-ipv${fam}" "${r}" host
	tcp_reset "rst-from-guest-ipv${fam}" "${r}" guest
	tcp_reset "rst-from-host-ipv${fam}" "${r}" host
	t_expect_eq "closed-port-ipv${fam}" \
		"$(tcp_guest connect "${r}" 5999 2>&1)" \
		"connect Connection refused"
	tcp_many "concurrent-1000-ipv${fam}" "${r}"
	tcp_zero_window "zero-window-ipv${fam}" "${r}"
	tcp_share "share-ipv${fam}" "${r}"
done

# The guest's link now loses 1% of the guest's frames and reorders 5%: 100
# MiB still arrive intact both ways
ns_guest_disconnect
ns_bridge_start 10 50 || { t_fail impaired-bridge "no bridge"; exit 1; }
BULK=104857600
for fam in 4 6; do
	eval "r=\${R${fam}}"
	tcp_bulk "lossy-out-ipv${fam}" "${r}" send
	tcp_bulk "lossy-in-ipv${fam}" "${r}" recv
done

t_check no-fd-left t_wait_for 100 ns_passt_fds_are -eq "${fds_before}"
t_check daemon-alive ns_passt_alive
