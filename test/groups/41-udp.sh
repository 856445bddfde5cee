#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# UDP through the daemon, with the guest's kernel at the other end of the
# TAP: echo both ways in both families (to the outside network, to the
# host's loopback through the gateway, and inbound through -u), 64 KiB
# datagrams, 500 flows at once, expiry, port unreachable reported to the
# guest, and malformed datagrams dropped while the daemon serves on.
# Payloads are checked byte for byte by udptool.

. "${TEST_DIR}/lib/ns.sh"

UT="${TOOLS}/udptool"
# Addresses outside, beyond the host's default route
NET4=198.51.100.7
NET6=2001:db8:7::7
ECHO_PORT=7007
FWD_PORT=5007
# A privileged port: once the daemon runs as nobody, flows can't bind it,
# and replies leave through the listening socket
PRIV_PORT=517
SINK_PORT=7009
OUR_MAC=9a:55:9a:55:9a:55
TIMEOUT=4

# udp_fds() - Number of descriptors the daemon has open
udp_fds() {
	ls "/proc/${PASST_PID}/fd" | wc -l
}

# udp_fds_at_most() - Succeed if the daemon has at most N descriptors open
# $1:	N
udp_fds_at_most() {
	[ "$(udp_fds)" -le "$1" ]
}

# udp_fds_at_least() - Succeed if the daemon has at least N descriptors open
# $1:	N
udp_fds_at_least() {
	[ "$(udp_fds)" -ge "$1" ]
}

# udp_bg() - Start a command in the background in a namespace, and wait
# until it prints "ready"
# $1:	Namespace
# $2:	Output file
# $@:	Command, after those
udp_bg() {
	__ns="$1"
	__out="$2"
	shift 2
	ip netns exec "${__ns}" "$@" >"${__out}" 2>&1 &
	t_wait_for 30 grep -q ready "${__out}"
}

ns_setup -d --udp-timeout "${TIMEOUT}" \
	-a "${HOST_ADDR4}/24" -g "${GW4}" -a "${HOST_ADDR6}/64" -g "${GW6}" \
	-u "${FWD_PORT},${PRIV_PORT}" ||
	{ t_fail setup "ns_setup failed"; exit 1; }

# The guest has the host's addresses, and routes through the gateway
ns_net ip addr add "${NET4}/32" dev lo &&
ns_net ip addr add "${NET6}/128" dev lo &&
ns_guest_static ||
	{ t_fail setup "can't configure addresses"; exit 1; }

# What the daemon holds without any flow
base=$(udp_fds)

udp_bg "${NS_NET}" "${STATE}/echo-net" "${UT}" echo "${ECHO_PORT}" &&
udp_bg "${NS_HOST}" "${STATE}/echo-host" "${UT}" echo "${ECHO_PORT}" &&
udp_bg "${NS_GUEST}" "${STATE}/echo-guest" "${UT}" echo "${FWD_PORT}" &&
udp_bg "${NS_GUEST}" "${STATE}/echo-guest-priv" "${UT}" echo "${PRIV_PORT}" ||
	{ t_fail setup "echo servers didn't start"; exit 1; }

# Outbound, to the outside network and to the host's loopback
t_check out4 ns_guest "${UT}" send "${NET4}" "${ECHO_PORT}" 1000 5
t_check out6 ns_guest "${UT}" send "${NET6}" "${ECHO_PORT}" 1000 5
t_check out4-host-loopback ns_guest "${UT}" send "${GW4}" "${ECHO_PORT}" 500
t_check out6-host-loopback ns_guest "${UT}" send "${GW6}" "${ECHO_PORT}" 500

# The largest datagrams the guest's MTU of 65520 allows
t_check out4-64k ns_guest "${UT}" send "${NET4}" "${ECHO_PORT}" 65492 3
t_check out6-64k ns_guest "${UT}" send "${NET6}" "${ECHO_PORT}" 65472 3

# Inbound through -u: replies come back from the forwarded port (the
# client's socket is connected to it, so it takes nothing else)
t_check in4 ns_net "${UT}" send "${HOST_ADDR4}" "${FWD_PORT}" 1000 5
t_check in6 ns_net "${UT}" send "${HOST_ADDR6}" "${FWD_PORT}" 1000 5
t_check in4-64k ns_net "${UT}" send "${HOST_ADDR4}" "${FWD_PORT}" 65492 2
t_check in6-64k ns_net "${UT}" send "${HOST_ADDR6}" "${FWD_PORT}" 65472 2
t_check in4-host-loopback ns_host "${UT}" send 127.0.0.1 "${FWD_PORT}" 300
t_check in6-host-loopback ns_host "${UT}" send ::1 "${FWD_PORT}" 300
t_check in4-privileged ns_net "${UT}" send "${HOST_ADDR4}" "${PRIV_PORT}" 1000 5
t_check in6-privileged ns_net "${UT}" send "${HOST_ADDR6}" "${PRIV_PORT}" 1000 5
t_check in-privileged-shared grep -q "replies through the listening socket" \
	"${PASST_LOG}"

# Port unreachable from the outside and from the host's loopback reaches
# the guest as ICMP, which its kernel reports as a refused connection
t_check unreach4 ns_guest "${UT}" unreach "${NET4}" 9
t_check unreach6 ns_guest "${UT}" unreach "${NET6}" 9
t_check unreach4-host-loopback ns_guest "${UT}" unreach "${GW4}" 9
t_check unreach6-host-loopback ns_guest "${UT}" unreach "${GW6}" 9

# Expiry: once idle for the timeout, every flow is gone with its socket
t_check flows-hold-sockets udp_fds_at_least $((base + 10))
t_check expiry t_wait_for $(((TIMEOUT + 3) * 10)) udp_fds_at_most "${base}"
t_check expiry-logged grep -q "closing: idle" "${PASST_LOG}"

# 500 flows at once, each checked, each with its own socket, all closed
# again after the timeout
t_check flows-500 ns_guest "${UT}" flows "${NET4}" "${ECHO_PORT}" 500 200
t_check flows-500-sockets udp_fds_at_least $((base + 500))
t_check flows-500-expire t_wait_for $(((TIMEOUT + 3) * 10)) \
	udp_fds_at_most "${base}"

# Malformed datagrams are dropped, the valid ones around them pass
udp_bg "${NS_NET}" "${STATE}/sink" "${UT}" sink "${SINK_PORT}" 4
for v in 4 6; do
	if [ "${v}" = 4 ]; then
		src="${HOST_ADDR4}" dst="${NET4}"
	else
		src="${HOST_ADDR6}" dst="${NET6}"
	fi
	for kind in badlen shortlen badcsum trunc good; do
		ns_guest "${UT}" raw tap0 "${OUR_MAC}" "${src}" "${dst}" \
			"${SINK_PORT}" "${kind}" >/dev/null
	done
done
t_wait_for 80 grep -q '^count' "${STATE}/sink"
t_expect_eq malformed-dropped "$(grep '^datagram' "${STATE}/sink" | \
	sort | uniq -c | tr -s ' ')" " 2 datagram 8 raw-good"
t_check malformed-daemon-serves ns_guest "${UT}" send "${NET4}" \
	"${ECHO_PORT}" 100
t_check daemon-alive ns_passt_alive

# Out of descriptors: with a limit of 40, flows beyond what fits are
# refused with a rate-limited line, the daemon serves on, and once the
# flows expire every descriptor is back and new flows work again
cat > "${STATE}/limited" <<EOS
#!/bin/sh
exec prlimit --nofile=40:40 "${PASST}" "\$@"
EOS
chmod 755 "${STATE}/limited"
PASST="${STATE}/limited" ns_passt_restart --udp-timeout "${TIMEOUT}" \
	-a "${HOST_ADDR4}/24" -g "${GW4}" -a "${HOST_ADDR6}/64" -g "${GW6}" ||
	t_fail fd-limit-restart "daemon didn't restart"
base=$(udp_fds)
t_check fd-limit-refused sh -c "! ip netns exec '${NS_GUEST}' '${UT}' \
	flows '${NET4}' '${ECHO_PORT}' 60 100"
t_check fd-limit-logged grep -q "refusing outbound flow, out of resources" \
	"${PASST_LOG}"
t_check fd-limit-log-rate-limited sh -c "[ \$(grep -c \
	'refusing outbound flow, out of resources' '${PASST_LOG}') -le 6 ]"
t_check fd-limit-daemon-alive ns_passt_alive
t_check fd-limit-expire t_wait_for $(((TIMEOUT + 3) * 10)) \
	udp_fds_at_most "${base}"
t_check fd-limit-serves-again ns_guest "${UT}" flows "${NET4}" \
	"${ECHO_PORT}" 20 100
