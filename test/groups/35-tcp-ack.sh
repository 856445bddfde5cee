#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# When the daemon acknowledges the guest's data, seen in its own capture:
# in an exchange of one-byte requests and answers, the host's next request
# usually carries the ACK for the guest's answer, so the guest gets few bare
# ACKs (a daemon that doesn't wait sends one per answer; one that waits sends
# one only where the next request takes longer than the delay, as it does for
# up to a fifth of them under the sanitizers); a lone short segment with no answer still gets its ACK within the
# delay (2 ms, checked against a bound well below the guest's 200 ms
# minimum retransmission time), and the guest never sends it twice; and
# with a bulk transfer as well, no ACK comes so late that the guest sends
# anything again.
#
# Front ends: stream vhost-user

. "${TEST_DIR}/lib/ns.sh"

X="${TOOLS}/tcpxfer"
PCAP=

# ack_setup() - Namespaces, a capture, the guest's static configuration
ack_setup() {
	PCAP="$(mktemp -d "${TMPDIR:-/tmp}/passt-ack.XXXXXX")/capture.pcap"
	ns_setup -t 5203 -p "${PCAP}" || return 1
	ns_guest_static -4
}

# ack_count() - Count frames in the capture matching a display filter
# $1:	tshark display filter
ack_count() {
	tshark -r "${PCAP}" -Y "$1" 2>/dev/null | wc -l
}

# ack_frames_ok() - Succeed if, in the request/response exchange, bare
# ACKs to the guest are under a third of the requests carrying data
# $1:	Transactions reported by tcpxfer
ack_frames_ok() {
	__data=$(ack_count "tcp.dstport == 5203 && tcp.len > 0")
	__bare=$(ack_count "tcp.dstport == 5203 && tcp.len == 0 &&
			    tcp.flags.syn == 0 && tcp.flags.fin == 0 &&
			    tcp.flags.reset == 0")
	echo "transactions $1, data to guest ${__data}, bare ACKs ${__bare}"
	[ "${__data}" -ge "$1" ] && [ "$((__bare * 3))" -lt "${__data}" ]
}

# ack_lone_ok() - Succeed if the guest's lone byte to port 5204 went once
# and its ACK came within 50 ms
ack_lone_ok() {
	__t=$(tshark -r "${PCAP}" -T fields -e frame.time_relative \
		-Y "tcp.dstport == 5204 && tcp.len == 1" 2>/dev/null)
	__a=$(tshark -r "${PCAP}" -T fields -e frame.time_relative \
		-Y "tcp.srcport == 5204 && tcp.len == 0 &&
		    tcp.ack == 2 && tcp.flags.syn == 0" 2>/dev/null | head -n 1)
	echo "byte sent at: ${__t}; first ACK at: ${__a}"
	[ "$(echo "${__t}" | wc -l)" -eq 1 ] && [ -n "${__t}" ] &&
	[ -n "${__a}" ] &&
	awk -v t="${__t}" -v a="${__a}" 'BEGIN { exit !(a >= t && a - t < 0.05) }'
}

# ack_no_resend() - Succeed if the guest resent nothing: no ACK of ours came
# so late that it retransmitted
ack_no_resend() {
	__n=$(ack_count "tcp.analysis.retransmission ||
			 tcp.analysis.fast_retransmission")
	echo "retransmissions: ${__n}"
	[ "${__n}" -eq 0 ]
}

# ack_listening() - Succeed if the guest's echo server listens
ack_listening() {
	ns_guest ss -Htln "( sport = 5203 )" | grep -q .
}

ack_setup || { t_fail setup "namespaces"; exit 0; }
trap 'ns_teardown; rm -rf "$(dirname "${PCAP}")"' EXIT

ns_guest "${X}" echo 0.0.0.0 5203 >/dev/null 2>&1 &
ECHO=$!
t_wait_for 50 ack_listening
RR=$(ns_host "${X}" rr 127.0.0.1 5203 1)
kill "${ECHO}" 2>/dev/null

ns_host "${X}" listen 127.0.0.1 5204 r >/dev/null 2>&1 &
LONE=$!
ns_host "${X}" listen 127.0.0.1 5205 r > "$(dirname "${PCAP}")/bulk" 2>&1 &
BULK=$!
sleep 0.3
ns_guest "${X}" connect "${GW4}" 5204 w:1 p:500 s >/dev/null 2>&1
ns_guest "${X}" connect "${GW4}" 5205 w:4194304 s \
	> "$(dirname "${PCAP}")/sent" 2>&1
wait "${LONE}" "${BULK}"

# The capture is written as frames pass: stop the daemon to flush it
ns_kill "${PASST_PID}"
PASST_PID=

t_check rr-exchanges [ "${RR:-0}" -gt 100 ]
t_check rr-acks-carried ack_frames_ok "${RR:-0}"
t_check lone-segment-acked ack_lone_ok
t_check no-retransmissions ack_no_resend
# ack_bulk_same() - Succeed if the host read the 4 MiB the guest wrote,
# byte for byte (same length and hash)
ack_bulk_same() {
	__w=$(awk '/^wrote / { print $2, $3 }' "$(dirname "${PCAP}")/sent")
	__r=$(awk '/^read / { print $2, $3 }' "$(dirname "${PCAP}")/bulk")
	echo "wrote: ${__w}; read: ${__r}"
	[ "${__w}" = "4194304 ${__r#* }" ] && [ "${__r%% *}" = 4194304 ]
}

t_check bulk-content ack_bulk_same
