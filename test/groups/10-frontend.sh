#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The QEMU stream front end: socket paths and start-up hints, clients coming
# and going, frames through tapbridge, and a client sending garbage: each
# abuse case must leave the daemon running and serving the next client.

. "${TEST_DIR}/lib/ns.sh"

SC="${TOOLS}/streamclient"

# Frames from a made-up guest, MAC 02:00:00:00:00:99, 192.0.2.100 and
# 2001:db8:1::64. IPv4 header checksums are valid unless said otherwise.
# ARP request: who has 192.0.2.1, tell 192.0.2.100
F_ARP=ffffffffffff02000000009908060001080006040001020000000099c000026400000000\
0000c0000201
# 10 bytes: not even an Ethernet header
F_ETH_TRUNC=ffffffffffff02000000
# IPv4, 12 of 20 header bytes
F_IP4_TRUNC=ffffffffffff020000000099080045000014000100004001f682
# IPv4 with IHL 4
F_IP4_IHL=ffffffffffff02000000009908004400001c000100004001f77ac0000264c0000201\
0800000000000000
# IPv4 total length 200 in a 28-byte packet
F_IP4_TOTLEN=ffffffffffff0200000000990800450000c8000100004001f5cec0000264c0000\
2010800000000000000
# IPv4 with a wrong header checksum
F_IP4_CSUM=ffffffffffff02000000009908004500001c000100004001e44ec0000264c000020\
10800000000000000
# IPv4 first fragment (MF set)
F_IP4_FRAG=ffffffffffff02000000009908004500001c000120004001d67ac0000264c000020\
10800000000000000
# IPv6, 20 of 40 header bytes
F_IP6_TRUNC=ffffffffffff02000000009986dd6000000000003a4020010db80001000000000000
# IPv6 payload length 100 with 4 bytes of payload
F_IP6_PLEN=ffffffffffff02000000009986dd6000000000643a4020010db8000100000000000\
00000006420010db800010000000000000000000180000000
# IPv6 hop-by-hop header cut after 4 of its 8 bytes
F_IP6_HBH_TRUNC=ffffffffffff02000000009986dd600000000004004020010db80001000000\
0000000000006420010db80001000000000000000000013a000000
# ICMP with 2 header bytes
F_ICMP4_TRUNC=ffffffffffff020000000099080045000016000100004001f680c0000264c000\
02010800
# ICMPv6 with 2 header bytes
F_ICMP6_TRUNC=ffffffffffff02000000009986dd6000000000023a4020010db8000100000000\
00000000006420010db80001000000000000000000018000
# UDP over IPv4 with 3 header bytes
F_UDP4_TRUNC=ffffffffffff020000000099080045000017000100004011f66fc0000264c0000\
201004400
# UDP over IPv6 with 3 header bytes
F_UDP6_TRUNC=ffffffffffff02000000009986dd600000000003114020010db80001000000000\
0000000006420010db8000100000000000000000001022202
# UDP to port 67 with 3 bytes of DHCP message
F_DHCP_TRUNC=ffffffffffff02000000009908004500001f000100004011f667c0000264c0000\
20100440043000b0000010106
# UDP to port 547 with 3 bytes of DHCPv6 message
F_DHCP6_TRUNC=ffffffffffff02000000009986dd60000000000b114020010db8000100000000\
00000000006420010db800010000000000000000000102220223000b0000010000
# TCP over IPv4 and IPv6 with 10 header bytes
F_TCP4_TRUNC=ffffffffffff02000000009908004500001e000100004006f673c0000264c0000\
20180000050000000000000
F_TCP6_TRUNC=ffffffffffff02000000009986dd60000000000a064020010db80001000000000\
0000000006420010db800010000000000000000000180000050000000000000
# IPv6 with an IPv4-mapped address (::ffff:192.0.2.100 or ::ffff:192.0.2.1),
# checksums valid for the addresses as written: a UDP datagram and a router
# solicitation from a mapped source, a TCP ACK for no connection to a
# mapped destination (which asks for a RST)
F_UDP6_MAPPED_SRC=ffffffffffff02000000009986dd60000000000c114000000000000000000\
000ffffc000026420010db80001000000000000000000019c401388000c811d70696e67
F_RS_MAPPED_SRC=33330000000202000000009986dd6000000000103aff0000000000000000000\
0ffffc0000264ff0200000000000000000000000000028500b5b1000000000101020000000099
F_TCP6_MAPPED_DST=ffffffffffff02000000009986dd600000000014064020010db8000100000\
00000000000006400000000000000000000ffffc00002019c400050000003e8000007d05010ffff\
176d0000

# ARP reply to F_ARP, as streamclient prints it: to the guest's MAC, from
# any MAC, "192.0.2.1 is at ..." for 192.0.2.100
ARP_REPLY_RE="^020000000099[0-9a-f]{12}08060001080006040002[0-9a-f]{12}c000020\
1020000000099c0000264"

# fe_arp_answered() - Succeed if the daemon answers an ARP request, sent
# after the given actions, on a new connection
# $@:	streamclient actions to run first
fe_arp_answered() {
	"${SC}" "${PASST_SOCK}" "$@" "frame:${F_ARP}" \
		"match:1:3000:${ARP_REPLY_RE}" >/dev/null
}

# fe_served() - Succeed if the daemon runs and serves a new client
fe_served() {
	ns_passt_alive || { echo "daemon exited"; return 1; }
	fe_arp_answered
}

# fe_abuse() - Send bytes as a client, then check the daemon goes on
# $1:	Test name
# $@:	streamclient actions, after the name
fe_abuse() {
	__name="$1"
	shift
	"${SC}" "${PASST_SOCK}" "$@" >/dev/null 2>&1
	t_check "${__name}" fe_served
}

# fe_exited() - Succeed if a process no longer runs
# $1:	PID
fe_exited() {
	! ns_running "$1"
}

# fe_log_has() - Succeed if the daemon's log has a line matching a pattern
# $1:	Fixed string
fe_log_has() {
	grep -qF -- "$1" "${PASST_LOG}"
}

ns_setup || { t_fail setup "ns_setup failed"; exit 1; }

# Start-up hints
qemu="-netdev stream,id=s,server=off,addr.type=unix,addr.path=${PASST_SOCK}"
t_check qemu-line fe_log_has "${qemu} -device virtio-net-pci,netdev=s"

# Frames from the guest through tapbridge: the guest's ARP request for the
# gateway teaches the daemon the guest's MAC address
mac=$(ns_guest cat /sys/class/net/tap0/address)
ns_guest ip addr add 192.0.2.100/24 dev tap0
ns_guest busybox ping -c 1 -W 1 "${GW4}" >/dev/null 2>&1
t_check guest-frames-arrive t_wait_for 30 fe_log_has "Guest MAC address: ${mac}"
# ...and the reply comes back through the bridge
t_check guest-frames-leave sh -c \
	"ip netns exec '${NS_GUEST}' ip neigh show '${GW4}' dev tap0 | \
	 grep -q lladdr"

# A client that leaves, and a new one
old_bridge="${BRIDGE_PID}"
ns_guest_reconnect
t_check reconnect-new-client t_wait_for 30 \
	fe_log_has "Client connected (pid ${BRIDGE_PID})"
t_check reconnect-was-new sh -c "[ '${old_bridge}' != '${BRIDGE_PID}' ]"
t_check reconnect-left fe_log_has \
	"Client closed the connection, waiting for a new one"

# An extra client while one is connected is turned away
t_check extra-client-refused "${SC}" "${PASST_SOCK}" closed:3000
t_check extra-client-logged t_wait_for 30 fe_log_has "Refusing client"

# From here on, streamclient is the only client
ns_guest_disconnect

t_check arp-reply fe_arp_answered
# A frame split across reads, in the middle of its source MAC, is put
# back together
t_check reassembly fe_arp_answered send:0000002affffffffffff0200 sleep:200 \
	send:${F_ARP#ffffffffffff0200} sleep:200
# Many frames in one read
t_check many-frames "${SC}" "${PASST_SOCK}" \
	"send:$(printf "0000002a${F_ARP}%.0s" $(seq 100))" \
	"match:100:3000:${ARP_REPLY_RE}"

# Broken length prefixes: the daemon drops the client
t_check zero-length-closes "${SC}" "${PASST_SOCK}" send:00000000 closed:3000
t_check zero-length-served fe_served
t_check oversized-closes "${SC}" "${PASST_SOCK}" send:0001000001 closed:3000
t_check oversized-served fe_served
fe_abuse huge-length send:ffffffff01020304
t_check protocol-error-logged fe_log_has "Bad frame length"

# A client leaving in the middle of a frame
fe_abuse disconnect-mid-frame send:0000002a${F_ARP%0000c0000201}
t_check disconnect-mid-frame-logged fe_log_has \
	"Client left in the middle of a frame"
fe_abuse disconnect-mid-prefix send:0000

# Truncated and malformed headers are dropped; the same client is answered
# right after
for f in ETH_TRUNC IP4_TRUNC IP4_IHL IP4_TOTLEN IP4_CSUM IP4_FRAG \
	 IP6_TRUNC IP6_PLEN IP6_HBH_TRUNC ICMP4_TRUNC ICMP6_TRUNC \
	 UDP4_TRUNC UDP6_TRUNC DHCP_TRUNC DHCP6_TRUNC TCP4_TRUNC \
	 TCP6_TRUNC; do
	eval "hex=\${F_${f}}"
	name=$(echo "${f}" | tr 'A-Z_' 'a-z-')
	t_check "${name}-dropped" fe_arp_answered "frame:${hex}"
done

# IPv4-mapped addresses in IPv6 headers: each dropped with a debug line,
# and the same client answered right after, by a daemon still running. A
# daemon that died is reported with its exit status and started again, so
# that each case, and the tests after them, stand on their own.
for f in UDP6_MAPPED_SRC RS_MAPPED_SRC TCP6_MAPPED_DST; do
	eval "hex=\${F_${f}}"
	name=$(echo "${f}" | tr 'A-Z_' 'a-z-')
	t_check "${name}-dropped" fe_arp_answered "frame:${hex}"
	if ns_passt_alive; then
		t_ok "${name}-alive"
	else
		wait "${PASST_PID}"
		t_fail "${name}-alive" "daemon exited with status $?"
		ns_passt_start
	fi
done
t_check mapped-logged fe_log_has "from guest with an IPv4-mapped"

# A guest making up source addresses fills the address table: the warning
# about each one it can't hold is rate-limited. 100 IPv6 packets with no
# next header, from 2001:db8:1::1:N, sent at once, take well under two
# seconds, so two lines at the most.
fe_spoofed() {
	__hdr=ffffffffffff02000000009986dd6000000000003b40
	for __i in $(seq 1 100); do
		printf '00000036%s20010db800010000000000000001%04x%s' \
			"${__hdr}" "${__i}" 20010db8000100000000000000000001
	done
}
# fe_table_full_lines_le() - Succeed if the log has at most some number of
# warnings about the full address table, print the count otherwise
# $1:	Most lines
fe_table_full_lines_le() {
	__n=$(grep -c "Guest address table full" "${PASST_LOG}")
	[ "${__n}" -le "$1" ] || { echo "${__n} lines"; return 1; }
}
t_check spoofed-sources-sent fe_arp_answered "send:$(fe_spoofed)"
t_check spoofed-sources-table-full t_wait_for 30 fe_log_has \
	"Guest address table full"
t_check spoofed-sources-rate-limited fe_table_full_lines_le 2

# Default socket path: the first free /tmp/passt_N.socket, removed on exit
# (ip netns exec, not ns_host: a function run in the background is a
# subshell, and $! would not be the daemon)
ip netns exec "${NS_HOST}" "${PASST}" -f >"${STATE}/default.log" 2>&1 &
pid=$!
t_wait_for 50 grep -q "addr.path=/tmp/passt_" "${STATE}/default.log"
path=$(sed -n 's/.*socket bound at \(\/tmp\/passt_[0-9]*\.socket\).*/\1/p' \
	"${STATE}/default.log")
t_check default-path-bound test -S "${path:-/nonexistent}"
t_check default-path-qemu-line grep -qF "addr.path=${path:-/nonexistent} " \
	"${STATE}/default.log"
kill "${pid}"
wait "${pid}"
t_check default-path-removed sh -c "[ -n '${path}' ] && [ ! -e '${path}' ]"

# An explicit path in use is fatal and leaves the other daemon alone
ns_host "${PASST}" -f -s "${PASST_SOCK}" >"${STATE}/dup.log" 2>&1
t_expect_eq path-in-use-exit "$?" 1
t_check path-in-use-other-alive fe_served
t_check path-in-use-message grep -q "${PASST_SOCK}" "${STATE}/dup.log"

# A stale socket file is replaced
ip netns exec "${NS_HOST}" "${PASST}" -f -s "${STATE}/stale.socket" \
	>"${STATE}/stale.log" 2>&1 &
pid=$!
t_wait_for 50 test -S "${STATE}/stale.socket"
kill -9 "${pid}"
wait "${pid}" 2>/dev/null
t_check stale-path-left test -S "${STATE}/stale.socket"
ip netns exec "${NS_HOST}" "${PASST}" -f -s "${STATE}/stale.socket" \
	>"${STATE}/stale.log" 2>&1 &
pid=$!
t_check stale-path-replaced t_wait_for 50 grep -q "socket bound at" \
	"${STATE}/stale.log"
ns_kill "${pid}"

# --fd: a socket already connected, no path; the daemon exits with 0 when
# it closes
fe_fd() {
	"${SC}" exec:5 "frame:${F_ARP}" "match:1:3000:${ARP_REPLY_RE}" \
		exit:3000 -- \
		ip netns exec "${NS_HOST}" "${PASST}" -f -d --fd 5 \
		>/dev/null 2>"${STATE}/fd.log"
}
t_check fd-served-and-exits fe_fd
t_check fd-no-socket-path sh -c "! grep -q 'socket bound' '${STATE}/fd.log'"

# -1: the daemon exits with 0 when its first client leaves, removing its
# socket and the --migrate-ctl one
ip netns exec "${NS_HOST}" "${PASST}" -f -1 -s "${STATE}/one.socket" \
	--migrate-ctl "${STATE}/one.ctl" >"${STATE}/one.log" 2>&1 &
pid=$!
t_wait_for 50 test -S "${STATE}/one.socket"
t_check one-off-migrate-ctl-bound test -S "${STATE}/one.ctl"
t_check one-off-served sh -c "'${SC}' '${STATE}/one.socket' \
	'frame:${F_ARP}' 'match:1:3000:${ARP_REPLY_RE}'"
t_check one-off-exits t_wait_for 50 fe_exited "${pid}"
ns_running "${pid}" && kill "${pid}"
wait "${pid}"
t_expect_eq one-off-status "$?" 0
t_check one-off-path-removed test ! -e "${STATE}/one.socket"
t_check one-off-migrate-ctl-removed test ! -e "${STATE}/one.ctl"

# The bridge again, as a new client after all of that
ns_bridge_start
t_check bridge-after-abuse t_wait_for 30 \
	fe_log_has "Client connected (pid ${BRIDGE_PID})"

# -p: a capture tshark reads, with frames both ways: the guest's ARP request
# and our reply to it
fe_capture_has() {
	tshark -r "${STATE}/capture.pcap" -Y arp \
		-T fields -e eth.src -e eth.dst -e arp.opcode 2>/dev/null | \
		grep -qx "$1"
}
ns_passt_restart -p "${STATE}/capture.pcap"
mac=$(ns_guest cat /sys/class/net/tap0/address)
ns_guest ip neigh flush dev tap0
ns_guest busybox ping -c 1 -W 1 "${GW4}" >/dev/null 2>&1
t_check pcap-from-guest t_wait_for 30 fe_capture_has \
	"$(printf '%s\tff:ff:ff:ff:ff:ff\t1' "${mac}")"
t_check pcap-to-guest t_wait_for 30 fe_capture_has \
	"$(printf '9a:55:9a:55:9a:55\t%s\t2' "${mac}")"
