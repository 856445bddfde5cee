#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Checksum and segmentation offloads over vhost-user, through
# test/tools/vubridge. With the offloads the daemon offers taken, at MTU
# 1500: the bridge sets them on the TAP; the guest's kernel then hands the
# daemon TCP segments larger than the MTU, and UDP datagrams sent in one
# segment (UDP_SEGMENT) as one frame, and the daemon hands the guest TCP
# segments larger than the MTU; transfers both ways, in both families,
# arrive intact; the daemon's capture of those flows opens in tshark, with
# frames larger than the MTU and sequence numbers that add up to the bytes
# moved. With the offloads refused by the front end (vubridge -r
# offloads), at MTU 1500 and 65520: nothing set on the TAP, no frame over
# the MTU either way, and TCP and UDP both ways, in both families, intact;
# at 65520, TCP segments to the guest end with the last 4 KiB receive
# buffer they fill, instead of taking one more for a few bytes.
#
# Every other group's vhost-user pass runs with the offloads taken.
#
# Front ends: vhost-user

. "${TEST_DIR}/lib/ns.sh"
. "${TEST_DIR}/lib/xfer.sh"

UT="${TOOLS}/udptool"
ECHO_PORT=7007
BULK=8000000
# Offloads the daemon offers, and the bridge takes: CSUM, GUEST_CSUM,
# GUEST_TSO4, GUEST_TSO6, HOST_TSO4, HOST_TSO6, HOST_USO
OFFLOADS=$(( (1 << 0) | (1 << 1) | (1 << 7) | (1 << 8) | (1 << 11) |
	     (1 << 12) | (1 << 56) ))
# What vubridge sets on the TAP for them: TUN_F_CSUM, TUN_F_TSO4,
# TUN_F_TSO6, TUN_F_USO4, TUN_F_USO6
TAP_OFFLOADS=0x67
PCAP=

# off_took() - Print the features the bridge took, as its log says
off_took() {
	# vubridge: offered features F, protocol features P; took F, P; ...
	set -- $(grep "offered features" "${STATE}/bridge.log" | tail -n 1)
	echo "${9%,}"
}

# off_tap() - Print the offloads the bridge set on the TAP
off_tap() {
	sed -n 's/^vubridge: TAP offloads //p' "${STATE}/bridge.log" | tail -n 1
}

# off_tcp() - TCP transfers both ways in both families, by content
# $1:	Suffix of the test names
off_tcp() {
	xfer_bulk "tcp-out4-$1" "${NS_HOST}" 127.0.0.1 "${NS_GUEST}" "${GW4}" \
		6101 "${BULK}" send
	xfer_bulk "tcp-out6-$1" "${NS_HOST}" ::1 "${NS_GUEST}" "${GW6}" \
		6102 "${BULK}" send
	xfer_bulk "tcp-in4-$1" "${NS_GUEST}" 0.0.0.0 "${NS_HOST}" 127.0.0.1 \
		6001 "${BULK}" send
	xfer_bulk "tcp-in6-$1" "${NS_GUEST}" :: "${NS_HOST}" ::1 \
		6002 "${BULK}" send
}

# off_udp() - UDP echoes from the host's loopback, both families: single
# datagrams, and datagrams sent in one segment
# $1:	Suffix of the test names
# $2:	Size of single datagrams
# $3:	Size of datagrams in one segment
# $4:	Datagrams in one segment
off_udp() {
	for __fam in 4 6; do
		eval "__gw=\${GW${__fam}}"
		t_check "udp-echo${__fam}-$1" ns_guest "${UT}" send "${__gw}" \
			"${ECHO_PORT}" "$2" 20
		t_check "udp-segment${__fam}-$1" ns_guest "${UT}" segsend \
			"${__gw}" "${ECHO_PORT}" "$3" "$4"
	done
}

# off_segments() - Succeed if, by the bridge's counters, frames with a GSO
# type went one way, at least a number of them, the largest over the MTU
# $1:	tx (to the daemon) or rx (from it)
# $2:	Frames with a GSO type, at least
# $3:	Largest frame, more than
off_segments() {
	ns_bridge_counters || return 1
	eval "__gso=\${C_$1_gso} __max=\${C_$1_max}"
	echo "$1: ${__gso} frames with a GSO type, the largest ${__max} bytes"
	[ "${__gso}" -ge "$2" ] && [ "${__max}" -gt "$3" ]
}

# off_none_over() - Succeed if no frame went over the MTU either way and
# none had a GSO type, by the bridge's counters
# $1:	MTU
off_none_over() {
	ns_bridge_counters || return 1
	echo "to the daemon: ${C_tx_gso} GSO, largest ${C_tx_max};" \
	     "from it: ${C_rx_gso} GSO, largest ${C_rx_max}"
	[ "${C_tx_gso}" -eq 0 ] && [ "${C_rx_gso}" -eq 0 ] &&
	[ "${C_tx_max}" -le $(($1 + 14)) ] && [ "${C_rx_max}" -le $(($1 + 14)) ]
}

# off_rx_max_le() - Succeed if no frame from the daemon was longer than a
# length, by the bridge's counters
# $1:	Longest frame allowed
off_rx_max_le() {
	ns_bridge_counters || return 1
	echo "from the daemon: largest frame ${C_rx_max} bytes"
	[ "${C_rx_max}" -le "$1" ]
}

# off_pcap_flow() - Check one TCP flow in the capture: frames larger than
# the MTU carried it, and the sender's sequence numbers (relative, from
# its SYN) end at the bytes moved plus one, with that many bytes in
# segments not sent again
# $1:	tshark display filter for the sender's frames
# $2:	Bytes moved
off_pcap_flow() {
	__r=$(tshark -r "${PCAP}" -Y "($1) && tcp.len > 0 &&
		!tcp.analysis.retransmission &&
		!tcp.analysis.fast_retransmission" \
		-T fields -e tcp.seq -e tcp.len -e frame.len 2>/dev/null |
	      awk '{ if ($1 + $2 > end) end = $1 + $2; sum += $2
		     if ($3 > 1514) big++ }
		   END { printf "%d %d %d\n", end, sum, big }')
	set -- ${__r} "$2"
	echo "sequence ends at $1, $2 bytes in segments, $3 frames over" \
	     "the MTU; $4 bytes moved"
	[ "$1" -eq $(($4 + 1)) ] && [ "$2" -eq "$4" ] && [ "$3" -gt 0 ]
}

PCAP="$(mktemp -d "${TMPDIR:-/tmp}/passt-off.XXXXXX")/capture.pcap"
ns_setup -m 1500 -p "${PCAP}" -t 6001 -t 6002 ||
	{ t_fail setup "namespace setup failed"; exit 1; }
trap 'ns_teardown; rm -rf "$(dirname "${PCAP}")"' EXIT
ns_guest_static && ns_guest ip link set tap0 mtu 1500 ||
	{ t_fail setup "guest setup failed"; exit 1; }
ns_host "${UT}" echo "${ECHO_PORT}" > "${STATE}/echo" 2>&1 &
t_wait_for 30 grep -q ready "${STATE}/echo" ||
	{ t_fail setup "echo server did not start"; exit 1; }

# Offloads taken and set on the TAP
took=$(off_took)
t_expect_eq offloads-taken "$(( ${took:-0} & OFFLOADS ))" "$((OFFLOADS))"
t_expect_eq offloads-on-tap "$(off_tap)" "${TAP_OFFLOADS}"

# UDP first, while nothing else makes segments: each datagram comes back
# alone, and the two segments of 40 datagrams went to the daemon as such
off_udp offloads 1400 1400 40
t_check udp-segments-to-daemon off_segments tx 2 1514

# TCP both ways, then the segments both ways larger than the MTU
off_tcp offloads
t_check segments-to-daemon-over-mtu off_segments tx 1 1514
t_check segments-to-guest-over-mtu off_segments rx 1 1514

# The capture, complete once the daemon exits: the guest's flow to the
# host and the host's flow to the guest, IPv4
ns_kill "${PASST_PID}"
PASST_PID=
t_check capture-opens tshark -r "${PCAP}" -c 1
t_check capture-guest-to-host off_pcap_flow \
	"ip.src == ${HOST_ADDR4} && tcp.dstport == 6101" "${BULK}"
t_check capture-host-to-guest off_pcap_flow \
	"ip.dst == ${HOST_ADDR4} && tcp.dstport == 6001" "${BULK}"
rm -f "${PCAP}"

# Offloads refused by the front end, at both MTUs
for mtu in 1500 65520; do
	BRIDGE_OPTS="-r offloads"
	if ! ns_passt_restart -m "${mtu}" -t 6001 -t 6002; then
		t_fail "refused-${mtu}" "daemon or bridge did not start"
		exit 1
	fi
	BRIDGE_OPTS=
	ns_guest ip link set tap0 mtu "${mtu}"
	took=$(off_took)
	t_expect_eq "refused-none-taken-${mtu}" \
		"$(( ${took:-0} & OFFLOADS ))" 0
	t_expect_eq "refused-none-on-tap-${mtu}" "$(off_tap)" 0
	off_tcp "refused-${mtu}"
	if [ "${mtu}" = 1500 ]; then
		off_udp "refused-${mtu}" 1400 1400 40
	else
		off_udp "refused-${mtu}" 60000 8000 8
	fi
	t_check "refused-nothing-over-mtu-${mtu}" off_none_over "${mtu}"
	# A full segment at 65520 (65534 bytes) overruns sixteen of the
	# bridge's 4 KiB buffers, less the virtio-net header, by 10 bytes
	if [ "${mtu}" = 65520 ]; then
		t_check refused-whole-buffers-65520 off_rx_max_le \
			$((16 * 4096 - 12))
	fi
done

t_check daemon-alive ns_passt_alive
