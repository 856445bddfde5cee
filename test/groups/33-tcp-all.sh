#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# -t all: the daemon listens on every host port outside the ephemeral
# range, one socket per port for both IPv4 and IPv6. Connections to a low
# port, to the ports just below and just above the ephemeral range and to
# the highest port reach a guest server on the same port, from the host's
# loopback in both families; a port in the range is refused. Descriptors:
# one per port, and the same again once the connections closed.
#
# With a descriptor limit too low for every port, the daemon forwards the
# ports that fit while keeping half the limit for connections, says which
# it left out in one warning, and still works.
#
# The test raises its descriptor limit so that every port of the kernel's
# default ephemeral range fits. Where it can't (no CAP_SYS_RESOURCE), it
# narrows the host's ephemeral range instead, so that "all" still fits.
#
# Front ends: stream vhost-user

. "${TEST_DIR}/lib/ns.sh"
. "${TEST_DIR}/lib/xfer.sh"

# Descriptors for every port outside the default range (37303), plus what
# the daemon keeps for connections (half the limit, at most 65536)
WANT_LIMIT=131072
LOW_LIMIT=3000

# all_ports() - Number of ports outside an ephemeral range
# $1:	First port of the range
# $2:	Last port of the range
all_ports() {
	echo $(($1 - 1 + 65535 - $2))
}

# all_listeners() - TCP listening sockets in the daemon's namespace
all_listeners() {
	ns_host ss -Htln | wc -l
}

# all_limited_daemon() - A wrapper that starts the daemon with a low
# descriptor limit, hard and soft; exec keeps the PID the harness records
all_limited_daemon() {
	cat > "${STATE}/passt-limited" <<EOF
#!/bin/sh
exec prlimit --nofile=${LOW_LIMIT}:${LOW_LIMIT} "${PASST}" "\$@"
EOF
	chmod 755 "${STATE}/passt-limited"
}

ulimit -n "${WANT_LIMIT}" 2>/dev/null
limit=$(ulimit -n)
if [ "${limit}" -ge "${WANT_LIMIT}" ]; then
	eph_first=32768 eph_last=60999
else
	# Every port outside the range must fit what the daemon may use
	eph_last=60999
	eph_first=$((limit / 2 - 64 - 32 - (65535 - eph_last)))
fi
ports=$(all_ports "${eph_first}" "${eph_last}")

ns_create || { t_fail setup "namespace setup failed"; exit 1; }
ns_host sysctl -qw \
	net.ipv4.ip_local_port_range="${eph_first} ${eph_last}" &&
ns_passt_start -t all && ns_bridge_start &&
ns_guest_static ||
	{ t_fail setup "daemon or guest setup failed"; exit 1; }

t_expect_eq "listeners" "$(all_listeners)" "${ports}"
t_check "no-warning" sh -c "! grep -q WARNING '${PASST_LOG}'"
fds_before=$(ns_passt_fds)
# A sanitizer build (test/asan) also holds the runtime's report file
fds_extra=16
[ -n "${SANITIZE:-}" ] && fds_extra=17
t_check "fds-one-per-port" test "${fds_before}" -ge "${ports}" -a \
	"${fds_before}" -le $((ports + fds_extra))

below=$((eph_first - 1)) above=$((eph_last + 1))
xfer_one "low-port-ipv4" "${NS_GUEST}" 0.0.0.0 1 \
	"${NS_HOST}" 127.0.0.1 1 "${GW4}"
xfer_one "low-port-ipv6" "${NS_GUEST}" :: 22 "${NS_HOST}" ::1 22 "${GW6}"
xfer_one "below-ephemeral-ipv4" "${NS_GUEST}" 0.0.0.0 "${below}" \
	"${NS_HOST}" 127.0.0.1 "${below}" "${GW4}"
xfer_one "below-ephemeral-ipv6" "${NS_GUEST}" :: "${below}" \
	"${NS_HOST}" ::1 "${below}" "${GW6}"
xfer_one "above-ephemeral-ipv4" "${NS_GUEST}" 0.0.0.0 "${above}" \
	"${NS_HOST}" 127.0.0.1 "${above}" "${GW4}"
xfer_one "highest-port-ipv6" "${NS_GUEST}" :: 65535 \
	"${NS_HOST}" ::1 65535 "${GW6}"
xfer_refused "ephemeral-refused-ipv4" "${NS_HOST}" 127.0.0.1 "${eph_first}"
xfer_refused "ephemeral-refused-ipv6" "${NS_HOST}" ::1 "${eph_last}"

t_check "fds-back" t_wait_for 100 ns_passt_fds_are -eq "${fds_before}"
t_check "daemon-alive" ns_passt_alive

# Too few descriptors: the ports that fit, from the lowest, and one line
all_limited_daemon
PASST="${STATE}/passt-limited"
ns_passt_restart -t all || { t_fail limited-setup "no daemon"; exit 1; }

warning=$(grep "WARNING: -t: .* ports not forwarded from port" "${PASST_LOG}")
t_expect_eq "limited-one-warning" "$(echo "${warning}" | grep -c .)" 1
cut=$(echo "${warning}" | sed -n 's/.* from port \([0-9]*\) on.*/\1/p')
t_expect_eq "limited-listeners" "$(all_listeners)" "$((cut - 1))"
t_expect_eq "limited-count" \
	"$(echo "${warning}" | sed -n 's/.*-t: \([0-9]*\) ports.*/\1/p')" \
	"$((ports - cut + 1))"
t_check "limited-half-free" ns_passt_fds_are -le $((LOW_LIMIT / 2))
xfer_one "limited-low-port" "${NS_GUEST}" 0.0.0.0 $((cut - 1)) \
	"${NS_HOST}" 127.0.0.1 $((cut - 1)) "${GW4}"
xfer_refused "limited-cut-refused" "${NS_HOST}" ::1 "${cut}"
t_check "limited-daemon-alive" ns_passt_alive
