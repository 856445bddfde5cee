#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The vhost-user front end, through test/tools/vubridge: the features and
# MTU the daemon offers; transfers through every ring layout and feature
# set a driver may choose; one front end at a time; a front end killed in
# the middle of two transfers, cleaned up (guest memory unmapped, its
# eventfds closed) and replaced, the transfers going on intact; every
# hostile front end of vubridge --hostile, each followed by a working one
# and the same cleanup, with no descriptor left over at the end, and each
# bad virtio-net header among them counted in the daemon's log; the
# device state saved and loaded through SET_DEVICE_STATE_FD, a refused
# load, and a cancelled save; and --one-off.
#
# Front ends: vhost-user

. "${TEST_DIR}/lib/ns.sh"
. "${TEST_DIR}/lib/xfer.sh"

VB="${TOOLS}/vubridge"

# Features the daemon must offer: VIRTIO_F_VERSION_1, MRG_RXBUF,
# EVENT_IDX, INDIRECT_DESC, MTU, VHOST_F_LOG_ALL, PROTOCOL_FEATURES; and
# protocol features LOG_SHMFD, RARP, REPLY_ACK, CONFIG, DEVICE_STATE
FEATURES=$(( (1 << 32) | (1 << 15) | (1 << 29) | (1 << 28) | (1 << 3) |
	     (1 << 26) | (1 << 30) ))
PROTOCOL_FEATURES=$(( (1 << 1) | (1 << 2) | (1 << 3) | (1 << 9) | (1 << 19) ))

# vu_mapped() - Number of the daemon's mappings of a vubridge memfd
# $1:	PID, default the daemon's
vu_mapped() {
	grep -c "memfd:vubridge-guest" "/proc/${1:-${PASST_PID}}/maps"
}

# vu_eventfds() - Number of eventfds the daemon holds
vu_eventfds() {
	ls -l "/proc/${PASST_PID}/fd" | grep -c eventfd
}

# vu_released() - Succeed if the daemon holds nothing of a front end: no
# guest memory mapped, no more eventfds than with none connected
vu_released() {
	[ "$(vu_mapped)" -eq 0 ] && [ "$(vu_eventfds)" -le "${EVENTFDS}" ]
}

# vu_gone() - Succeed if a process has exited
# $1:	PID
vu_gone() {
	! ns_running "$1"
}

# vu_lease() - Get a DHCP lease in the guest; print the address offered
vu_lease() {
	rm -f "${STATE}/lease"
	ns_guest env OUT="${STATE}/lease" busybox udhcpc -i tap0 -f -q -n \
		-t 3 -T 1 -s "${STATE}/udhcpc.sh" >/dev/null 2>&1
	cat "${STATE}/lease" 2>/dev/null
}

# vu_offered() - Succeed if the bridge's log says the daemon offered all of
# the features and protocol features required
vu_offered() {
	# vubridge: offered features F, protocol features P; took ...
	set -- $(grep "offered features" "${STATE}/bridge.log" | tail -n 1)
	__f="${4%,}" __p="${7%;}"
	[ -n "${__f}" ] && [ -n "${__p}" ] &&
	[ $(( __f & FEATURES )) -eq "${FEATURES}" ] &&
	[ $(( __p & PROTOCOL_FEATURES )) -eq "${PROTOCOL_FEATURES}" ]
}

# vu_bridge_has() - Succeed once the bridge's log has a line matching an
# extended regular expression, a given number of times
# $1:	Expression
# $2:	Times, default 1
vu_bridge_has() {
	[ "$(grep -Ec "$1" "${STATE}/bridge.log")" -ge "${2:-1}" ]
}

# vu_bad_headers() - Print how many bad virtio-net headers the daemon's
# log last said it dropped, 0 if it said nothing
vu_bad_headers() {
	__n=$(sed -n 's/.*vhost-user: \([0-9]*\) bad virtio-net head.*/\1/p' \
		"${PASST_LOG}" | tail -n 1)
	echo "${__n:-0}"
}

# vu_bad_headers_are() - Succeed if the daemon's count of bad virtio-net
# headers is a number, as its log last said
# $1:	Number
vu_bad_headers_are() {
	[ "$(vu_bad_headers)" -eq "$1" ]
}

# vu_ping() - Succeed if the gateway answers a ping from the guest
vu_ping() {
	ns_guest busybox ping -c 1 -W 2 "${GW4}" >/dev/null 2>&1
}

# vu_xfer_both() - 4 MB out of the guest and 4 MB into it, through the
# current bridge, checked by content
# $1:	Test name suffix
vu_xfer_both() {
	xfer_bulk "out-$1" "${NS_HOST}" 127.0.0.1 "${NS_GUEST}" "${GW4}" 6101 \
		4000000 send
	xfer_bulk "in-$1" "${NS_GUEST}" 0.0.0.0 "${NS_HOST}" 127.0.0.1 6001 \
		4000000 send
}

ns_create || { t_fail setup "namespace setup failed"; exit 1; }
# UDP flows expire after a second: those the hostile cases open are gone
# by the time the descriptors are counted
ns_passt_start -t 6001 -t 6002 --udp-timeout 1 ||
	{ t_fail setup "daemon did not start"; exit 1; }
EVENTFDS=$(vu_eventfds)
ns_bridge_start || { t_fail setup "vubridge did not connect"; exit 1; }
ns_guest ip addr add "${HOST_ADDR4}/24" dev tap0 &&
ns_guest ip route add default via "${GW4}" &&
ns_guest sysctl -qw net.ipv4.ping_group_range="0 2147483647" ||
	{ t_fail setup "guest setup failed"; exit 1; }
cat > "${STATE}/udhcpc.sh" <<'EOS'
#!/bin/sh
[ "$1" = bound ] && echo "${ip}" > "${OUT}"
exit 0
EOS
chmod 755 "${STATE}/udhcpc.sh"

# What the daemon offers, and says about its device
t_check offered-features vu_offered
t_expect_eq device-mtu \
	"$(sed -n 's/.*device MTU \([0-9-]*\)$/\1/p' "${STATE}/bridge.log")" \
	65520
t_check client-logged t_wait_for 50 \
	grep -q "Client connected (pid ${BRIDGE_PID})" "${PASST_LOG}"
t_check memory-mapped sh -c "[ $(vu_mapped) -ge 1 ]"

# Every layout and feature set a driver may choose: transmitted frames in
# one buffer, in a chain of two, in an indirect table, in descriptors of
# 4 KiB (a large segment's pages); no mergeable receive buffers (each holds
# a whole frame); no event index (flags instead) and no indirect
# descriptors; no protocol features (no REPLY_ACK, rings enabled at once);
# a small ring of small buffers (frames over many); no offloads
for v in "flat:-L flat" "chain:-L chain" "indirect:-L indirect" \
	 "pages:-L pages" "no-mrg:-r mrg" \
	 "no-event-idx:-r event-idx,indirect" "no-protocol:-r protocol" \
	 "small-ring:-q 64 -b 1536" "no-offloads:-r offloads"; do
	BRIDGE_OPTS="${v#*:}"
	if ns_guest_reconnect; then
		vu_xfer_both "${v%%:*}"
	else
		t_fail "xfer-${v%%:*}" "vubridge ${v#*:} did not connect"
	fi
done
BRIDGE_OPTS=
ns_guest_reconnect

# One front end at a time: a second one is turned away, the first goes on
timeout 3 ip netns exec "${NS_GUEST}" "${VB}" --save /dev/null \
	"${PASST_SOCK}" >/dev/null 2>&1
t_check second-refused grep -q "Refusing client" "${PASST_LOG}"
t_check first-still-served vu_ping

# A front end that goes away in the middle of two transfers, without a
# word (as a QEMU that crashes), and a new one: the daemon lets go of
# everything the first set up, and the transfers go on through the second
xfer_server "${NS_HOST}" "${STATE}/mid-out-srv" listen 127.0.0.1 6102 r
out_srv=${SRV_PID}
xfer_in "${NS_GUEST}" "${XFER}" connect "${GW4}" 6102 w:6000000:3:30000:10 \
	s > "${STATE}/mid-out-cli" 2>&1 &
out_cli=$!
xfer_server "${NS_GUEST}" "${STATE}/mid-in-srv" listen 0.0.0.0 6002 r
in_srv=${SRV_PID}
xfer_in "${NS_HOST}" "${XFER}" connect 127.0.0.1 6002 w:6000000:4:30000:10 \
	s > "${STATE}/mid-in-cli" 2>&1 &
in_cli=$!
sleep 0.7
kill -9 "${BRIDGE_PID}"
wait "${BRIDGE_PID}" 2>/dev/null
BRIDGE_PID=
t_check gone-memory-released t_wait_for 30 vu_released
t_check gone-logged t_wait_for 30 grep -q \
	"Client closed the connection, waiting for a new one" "${PASST_LOG}"
sleep 0.3
ns_bridge_start || t_fail reconnect "vubridge did not connect again"
wait "${out_cli}" "${out_srv}" "${in_cli}" "${in_srv}"
xfer_same "${STATE}/mid-out-srv" "${STATE}/mid-out-cli"
xfer_report mid-transfer-out $? "${STATE}/mid-out-srv" "${STATE}/mid-out-cli"
xfer_same "${STATE}/mid-in-srv" "${STATE}/mid-in-cli"
xfer_report mid-transfer-in $? "${STATE}/mid-in-srv" "${STATE}/mid-in-cli"

# Hostile front ends: each refused or harmless (vubridge checks the
# reaction, that the daemon keeps answering, never writes outside the
# memory it was given, and serves a proper front end's ARP request), each
# followed by a bridge that gets a DHCP lease, and all they set up
# released; each bad virtio-net header (hdr-*) dropped; at the end, no
# more descriptors than before
ns_guest_disconnect
t_wait_for 30 vu_released
fds=$(ns_passt_fds)
bad=$(vu_bad_headers)
nhdr=0
for c in $("${VB}" --list-hostile | cut -f1); do
	t_check "hostile-${c}" ip netns exec "${NS_GUEST}" timeout 30 \
		"${VB}" --hostile "${c}" "${PASST_SOCK}"
	[ "${c#hdr-}" != "${c}" ] && nhdr=$((nhdr + 1))
	if ns_bridge_start; then
		t_expect_eq "after-${c}" "$(vu_lease)" "${HOST_ADDR4}"
	else
		t_fail "after-${c}" "vubridge did not connect"
	fi
	ns_guest_disconnect
	t_check "released-${c}" t_wait_for 30 vu_released
done
# At most as many: the ping flow of first-still-served may expire meanwhile
t_check hostile-no-fd-left t_wait_for 50 ns_passt_fds_are -le "${fds}"

# Each bad header counted, and nothing else: the daemon's log says the
# count at most once a second, so one more after a second says it all
sleep 1.1
ip netns exec "${NS_GUEST}" timeout 30 "${VB}" --hostile hdr-flags-high \
	"${PASST_SOCK}" 2>/dev/null
t_wait_for 30 vu_bad_headers_are $((bad + nhdr + 1))
t_expect_eq bad-headers-counted "$(vu_bad_headers)" $((bad + nhdr + 1))
t_check hostile-daemon-alive ns_passt_alive

# Device state: a second daemon, the migration's target, with debug
# messages; a load of garbage is refused, and the target carries on
B_SOCK="${STATE}/b.socket"
ip netns exec "${NS_HOST}" "${PASST}" -f -d --vhost-user -s "${B_SOCK}" \
	> "${STATE}/b.log" 2>&1 &
B_PID=$!
t_wait_for 50 test -S "${B_SOCK}" || t_fail target "daemon did not start"
printf 'not a migration stream, not at all' > "${STATE}/bad.state"
ip netns exec "${NS_GUEST}" "${VB}" --load "${STATE}/bad.state" \
	"${B_SOCK}" > "${STATE}/bad.out" 2>&1
t_expect_eq load-garbage-fails "$?" 1
t_check load-garbage-checked grep -Eq \
	"CHECK_DEVICE_STATE [1-9]|device state not loaded" "${STATE}/bad.out"
t_check load-garbage-survived ns_running "${B_PID}"

# Saved with the rings stopped, then the save cancelled (the rings started
# again where they stopped), then saved again and loaded into the target,
# which serves the guest from then on
BRIDGE_OPTS="-S ${STATE}/a.state"
ns_bridge_start || t_fail save-bridge "vubridge did not connect"
BRIDGE_OPTS=
vu_ping
kill -USR1 "${BRIDGE_PID}"
t_check saved t_wait_for 50 vu_bridge_has \
	"saved [1-9][0-9]* bytes of device state, CHECK_DEVICE_STATE 0"
t_expect_eq saved-magic "$(od -An -tx1 -N8 "${STATE}/a.state" | tr -d ' ')" \
	b1bb1d1b0bb1d1b0
t_check save-released-tap t_wait_for 50 vu_bridge_has "released"
kill -USR2 "${BRIDGE_PID}"
t_check save-cancelled t_wait_for 50 vu_bridge_has "rings started again"
t_check served-after-cancel t_wait_for 30 vu_ping
kill -USR1 "${BRIDGE_PID}"
t_wait_for 50 vu_bridge_has "released" 2
ip netns exec "${NS_GUEST}" "${VB}" -l "${STATE}/a.state" tap0 "${B_SOCK}" \
	2> "${STATE}/bridge-b.log" &
B_BRIDGE=$!
t_check loaded t_wait_for 50 grep -q \
	"loaded [1-9][0-9]* bytes of device state, CHECK_DEVICE_STATE 0" \
	"${STATE}/bridge-b.log"
t_check target-serves t_wait_for 50 vu_ping
ns_kill "${B_BRIDGE}"
ns_guest_disconnect

# --one-off: the daemon leaves with its only front end
C_SOCK="${STATE}/c.socket"
ip netns exec "${NS_HOST}" "${PASST}" -f -q --vhost-user --one-off \
	-s "${C_SOCK}" > "${STATE}/c.log" 2>&1 &
C_PID=$!
t_wait_for 50 test -S "${C_SOCK}"
ip netns exec "${NS_GUEST}" "${VB}" --save /dev/null "${C_SOCK}" \
	>/dev/null 2>&1
t_check one-off-exits t_wait_for 50 vu_gone "${C_PID}"
