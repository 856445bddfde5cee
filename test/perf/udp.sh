#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# test/perf/udp.sh - UDP rows for test/perf/run, which sources this file
# and calls perf_udp with its helpers (ns_passt_start, perf_pid_cpu,
# perf_want, perf_guest_setup, perf_addrs, CPU_GUEST, CPU_DAEMON, SECS,
# OURS, PEER) in place
#
# iperf3 -u, guest to host (the guest sends to the gateway, which reaches
# the host's loopback) and host to guest (-R), IPv4, MTU 65520, each
# datagram filling one frame: through our daemon and upstream passt over
# both front ends, Debian's passt, and a veth pair. Each direction runs
# first with -b 0 (as fast as the sender can), giving the rate the receiver
# got and the loss there; then paced, from that rate down by 15% at a time,
# until under 1% is lost. The rate found there is what the path carries
# without loss to speak of, and the daemon's CPU seconds per GB are taken
# over that run. Receivers ask for 4 MiB socket buffers (-w), as far as
# net.core.rmem_max allows.
# iperf3's control connection is TCP.

UDP_MTU=65520
UDP_LEN=$((UDP_MTU - 28))
UDP_PORT=5211
# Paced runs, at most, looking for a rate with under 1% loss
UDP_STEPS=${PERF_UDP_STEPS:-8}

# perf_udp_row() - Add a line to the UDP table
# $@:	Fields
perf_udp_row() {
	printf '%-14s %-6s %-4s %-6s %8s %7s %9s %7s %9s\n' "$@" | \
		tee -a "${UDP_TABLE}"
}

# perf_udp_iperf() - One iperf3 -u run; prints the receiver's Gbit/s, its
# loss in percent and the bytes it got, or "- - 0"
# $1:	Namespace of the server
# $2:	Server bind address
# $3:	Namespace of the client
# $4:	Address the client sends to
# $5:	Rate for -b, 0 for unlimited
# $6:	-R for the server to send, or nothing
perf_udp_iperf() {
	ip netns exec "$1" taskset -c "${CPU_GUEST}" iperf3 -s -1 -B "$2" \
		-p "${UDP_PORT}" >/dev/null 2>&1 &
	__srv=$!
	sleep 0.3
	# shellcheck disable=SC2086
	ip netns exec "$3" taskset -c "${CPU_GUEST}" timeout $((SECS + 15)) \
		iperf3 -u -c "$4" -p "${UDP_PORT}" -l "${UDP_LEN}" -b "$5" \
		-w 4M -t "${SECS}" -f m $6 2>&1 | awk '
		/receiver/ {
			for (i = 1; i <= NF; i++) {
				if ($i == "Mbits/sec")
					rate = $(i - 1)
				if ($i ~ /^\([0-9.e+-]*%\)$/) {
					loss = $i
					gsub(/[()%]/, "", loss)
				}
				if ($i == "GBytes")
					bytes = $(i - 1) * 1024 * 1024 * 1024
				if ($i == "MBytes")
					bytes = $(i - 1) * 1024 * 1024
			}
		}
		END {
			if (rate == "")
				print "- - 0"
			else
				printf "%.2f %s %.0f\n", rate / 1000, loss,
					bytes
		}'
	kill "${__srv}" 2>/dev/null
	wait "${__srv}" 2>/dev/null
}

# perf_udp_dir() - Measure one direction and add its row
# $1:	Name in the table
# $2:	Direction name
# $3:	PID of the daemon, 0 for none
# $4:	Namespace of the server
# $5:	Server bind address
# $6:	Namespace of the client
# $7:	Address the client sends to
# $8:	-R or nothing
perf_udp_dir() {
	# shellcheck disable=SC2046
	set -- "$@" $(perf_udp_iperf "$4" "$5" "$6" "$7" 0 "$8")
	__max="$9" __max_loss="${10}"
	__ok="-" __ok_loss="-" __cpu="-"
	__mbit=$(echo "${__max}" | awk '{ printf "%d", $1 * 1000 }')
	__step=0
	while [ "${__max}" != "-" ] && [ "${__mbit}" -gt 0 ] &&
	      [ ${__step} -lt "${UDP_STEPS}" ]; do
		__t0=$(perf_pid_cpu "$3")
		# shellcheck disable=SC2046
		set -- "$1" "$2" "$3" "$4" "$5" "$6" "$7" "$8" \
			$(perf_udp_iperf "$4" "$5" "$6" "$7" "${__mbit}M" "$8")
		__t1=$(perf_pid_cpu "$3")
		if [ "$9" != "-" ] &&
		   awk "BEGIN { exit !(${10} < 1 && $9 > 0) }"; then
			__ok="$9" __ok_loss="${10}"
			[ "$3" != 0 ] && __cpu=$(echo "${__t0} ${__t1} ${11}" |
				awk '{ if ($3) printf "%.2f",
					($2 - $1) / 100 / ($3 / 1e9) }')
			break
		fi
		__mbit=$((__mbit * 17 / 20))
		__step=$((__step + 1))
	done
	perf_udp_row "$1" "$2" v4 "${UDP_MTU}" "${__max}" "${__max_loss}" \
		"${__ok}" "${__ok_loss}" "${__cpu}"
}

# perf_udp_daemon() - Both directions through a daemon
# $1:	Name in the table
# $2:	Front end: stream or vhost-user
# $3:	Daemon binary
# $@:	Extra options, after the binary
perf_udp_daemon() {
	__name="$1" FRONTEND="$2" PASST="$3"
	shift 3
	perf_want "${__name}" && [ -x "${PASST}" ] || return 0
	ns_setup -m "${UDP_MTU}" "$@" || return 1
	taskset -pc "${CPU_DAEMON}" "${PASST_PID}" >/dev/null
	taskset -pc "${CPU_GUEST}" "${BRIDGE_PID}" >/dev/null
	perf_guest_setup "${UDP_MTU}"
	perf_udp_dir "${__name}" "g->h" "${PASST_PID}" "${NS_HOST}" 127.0.0.1 \
		"${NS_GUEST}" "${GW4}" ""
	perf_udp_dir "${__name}" "h->g" "${PASST_PID}" "${NS_HOST}" 127.0.0.1 \
		"${NS_GUEST}" "${GW4}" -R
	trap - EXIT
	ns_teardown
	FRONTEND=stream
}

# perf_udp_veth() - The kernel's limit: a veth pair between two namespaces
perf_udp_veth() {
	perf_want veth || return 0
	__a="pfu$$-a" __b="pfu$$-b"
	ip netns add "${__a}" && ip netns add "${__b}" || return 1
	ip -n "${__a}" link add v0 type veth peer name v1 netns "${__b}"
	perf_addrs "${__a}" v0 "${__b}" v1 "${UDP_MTU}"
	perf_udp_dir veth "a->b" 0 "${__b}" 192.0.2.11 "${__a}" 192.0.2.11 ""
	perf_udp_dir veth "b->a" 0 "${__b}" 192.0.2.11 "${__a}" 192.0.2.11 -R
	ip netns del "${__a}"
	ip netns del "${__b}"
}

# perf_udp() - The whole UDP table, into a file
# $1:	File for the table
perf_udp() {
	UDP_TABLE="$1"
	: > "${UDP_TABLE}"
	perf_udp_row setup dir fam mtu "Gbit/s" "loss%" "<1%Gbit/s" "loss%" \
		"cpu-s/GB"
	perf_udp_daemon ours stream "${OURS}"
	perf_udp_daemon ours-vu vhost-user "${OURS}"
	BRIDGE_OPTS="-r offloads"
	perf_udp_daemon ours-vu-nooff vhost-user "${OURS}"
	BRIDGE_OPTS=
	perf_udp_daemon passt-vu vhost-user "${PEER}" --runas 0
	perf_udp_daemon passt stream "${PEER}" --runas 0
	perf_udp_daemon debian-passt stream /usr/bin/passt --runas 0
	perf_udp_veth
}
