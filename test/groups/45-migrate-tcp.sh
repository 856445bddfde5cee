#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Live migration over vhost-user, between two daemons on one host, driven by
# vubridge as QEMU 10 drives it (test/lib/migpair.sh): the guest's TAP
# moves from the source's bridge to the target's.
#
# - The guest's observed IPv4, IPv6 and link-local addresses and its MAC
#   address move: the target forwards to the guest at once.
# - TCP connections, IPv4 and IPv6, opened by the guest and forwarded to it
#   with -t, each carrying a paced stream both ways across the switch, with
#   bytes in flight and unacknowledged then: every byte arrives, in order
#   (SHA-256 at both ends), and the streams go on for seconds after.
# - Half-closed connections, both ways; a connection whose peer vanished
#   during the switch (the guest gets a RST, the rest carries on).
# - 500 idle connections: the time the switch takes is printed, and every
#   connection works afterwards.
# - Without repair helpers: addresses move, connections don't, one warning.
#   A helper that stops answering: the migration completes without them,
#   and a cancelled migration leaves the source serving them.
# - --migrate-version 2 on the source, into our target.
# - A migration cancelled after the save: the source resumes its
#   connections, and its listening sockets.
# - Broken streams with connections, loaded with vubridge --load: every
#   truncation, queues too long, counts beyond the data, unknown TCP
#   states; each is refused and the target's state stays as it was.
# - Streams saved by upstream passt with a live connection (test/data),
#   loaded into our target, whose restored connection works end to end
#   (both of its ends recreated in repair mode by test/tools/repair-peer).
#
# Front ends: vhost-user

. "${TEST_DIR}/lib/ns.sh"
. "${TEST_DIR}/lib/migrate.sh"
. "${TEST_DIR}/lib/migpair.sh"

F_OBS6=2001:0db8:0001:0000:0000:0000:0000:0050
F_GUEST_LL=fe80:0000:0000:0000:0200:5eff:fe00:5301
CTL="${TOOLS}/migrate-ctl"
OPTS="-t 5000 -t 5001 -t 5002"

mp_setup

# ms_in_flight() - Succeed if a decoded stream has queued bytes in some
# connection's socket
# $1:	Decoded stream
ms_in_flight() {
	printf '%s\n' "$1" | awk '/^sock / && ($6 + $10) > 0 { n++ }
				   END { exit !n }'
}

# ms_unacked() - Succeed if a decoded stream has bytes the guest hasn't
# acknowledged in some connection
# $1:	Decoded stream
ms_unacked() {
	printf '%s\n' "$1" | awk '/^flow / && $NF > 0 { n++ } END { exit !n }'
}

# ms_mute_guest() - Make every packet the guest routes fail, both families,
# while what it receives is still delivered: its ACKs stop, so what the
# daemon sends it meanwhile stays unacknowledged, and its kernel sends again
# what it lost once unmuted
ms_mute_guest() {
	ns_guest ip -4 rule add prio 1 blackhole &&
	ns_guest ip -6 rule add prio 1 blackhole
}

# ms_unmute_guest() - Undo ms_mute_guest()
ms_unmute_guest() {
	ns_guest ip -4 rule del prio 1 blackhole
	ns_guest ip -6 rule del prio 1 blackhole
}

# ms_observed() - Succeed once a daemon's snapshot has an address observed
# $1:	Test interface socket
# $2:	Address and prefix length, as the decoder prints them
ms_observed() {
	"${CTL}" "$1" save "${STATE}/snap" &&
		mig_decode "${STATE}/snap" | grep -q " $2 .*OBSERVED"
}

# 1. Addresses and MAC address, no connections

mp_start "${OPTS}" "--migrate-ctl ${STATE}/a.ctl" \
	"--migrate-ctl ${STATE}/b.ctl" ||
	{ t_fail setup "daemons did not start"; exit 1; }
ns_guest busybox ping -c 1 -W 2 "${GW4}" >/dev/null 2>&1
ns_guest busybox ping6 -c 1 -W 2 "${GW6}" >/dev/null 2>&1
t_check source-observes-ipv4 t_wait_for 30 ms_observed "${STATE}/a.ctl" \
	"${OBS4}/32"
t_check source-observes-ipv6 t_wait_for 30 ms_observed "${STATE}/a.ctl" \
	"${F_OBS6}/128"
t_check source-observes-link-local t_wait_for 50 ms_observed \
	"${STATE}/a.ctl" "${F_GUEST_LL}/128"

ms_bg "${NS_GUEST}" g4 listen "${OBS4}" 5000 -b 1000
g4=${BG_PID}
ms_bg "${NS_GUEST}" g6 listen "${OBS6}" 5001 -b 1000
g6=${BG_PID}
ms_listening g4 && ms_listening g6

ms_do switch-addresses mp_switch
t_check target-snapshot "${CTL}" "${STATE}/b.ctl" save "${STATE}/b-snap"
snap=$(mig_decode "${STATE}/b-snap")
t_check target-has-ipv4 ms_has "${snap}" " ${OBS4}/32 .*OBSERVED$"
t_check target-has-ipv6 ms_has "${snap}" " ${F_OBS6}/128 .*OBSERVED$"
t_check target-has-link-local ms_has "${snap}" \
	" ${F_GUEST_LL}/128 .*OBSERVED$"
t_check target-has-mac ms_has "${snap}" "^mac ${GUEST_MAC}$"

# Inbound at once, the guest having said nothing to the target
ms_bg "${NS_NET}" n4 connect "${HOST_ADDR4}" 5000 -b 1000 -T 10
n4=${BG_PID}
ms_bg "${NS_NET}" n6 connect "${HOST_ADDR6}" 5001 -b 1000 -T 10
n6=${BG_PID}
ms_wait "${g4}" "${g6}" "${n4}" "${n6}"
ms_check target-forwards-ipv4-at-once g4 n4 1000
ms_check target-forwards-ipv6-at-once g6 n6 1000
t_check source-closed-listeners mp_log_has a "Closed 3 listening sockets"
t_check target-took-ports mp_log_has b "Listening again on 3 sockets"
mp_stop

# 2. Connections both ways, both families, streaming across the switch

BYTES=6000000
RATE=1000000

# ms_streams() - Start the streams of a test: two connections from the
# guest to the remote host over IPv4, two over IPv6, one forwarded to the
# guest over each, BYTES each way at RATE; names them with a prefix
# $1:	Prefix for the output names
# $@:	More tcpstream options for every end, after the prefix
ms_streams() {
	__p="$1"
	shift
	ms_bg "${NS_NET}" "$__p-s4" listen "${R4}" 6000 -n 2 -b "${BYTES}" \
		-r "${RATE}" "$@"
	MS_PIDS="${BG_PID}"
	ms_bg "${NS_NET}" "$__p-s6" listen "${R6}" 6001 -n 2 -b "${BYTES}" \
		-r "${RATE}" "$@"
	MS_PIDS="${MS_PIDS} ${BG_PID}"
	ms_bg "${NS_GUEST}" "$__p-g4" listen "${OBS4}" 5000 -b "${BYTES}" \
		-r "${RATE}" "$@"
	MS_PIDS="${MS_PIDS} ${BG_PID}"
	ms_bg "${NS_GUEST}" "$__p-g6" listen "${OBS6}" 5001 -b "${BYTES}" \
		-r "${RATE}" "$@"
	MS_PIDS="${MS_PIDS} ${BG_PID}"
	for __o in s4 s6 g4 g6; do
		ms_listening "$__p-$__o" || return 1
	done
	ms_bg "${NS_GUEST}" "$__p-c4" connect "${R4}" 6000 -n 2 \
		-b "${BYTES}" -r "${RATE}" "$@"
	MS_PIDS="${MS_PIDS} ${BG_PID}"
	ms_bg "${NS_GUEST}" "$__p-c6" connect "${R6}" 6001 -n 2 \
		-b "${BYTES}" -r "${RATE}" "$@"
	MS_PIDS="${MS_PIDS} ${BG_PID}"
	# The guest's own connections taught the daemon its addresses
	t_wait_for 50 grep -q ready "${STATE}/$__p-c4.out" &&
	t_wait_for 50 grep -q ready "${STATE}/$__p-c6.out" || return 1
	ms_bg "${NS_NET}" "$__p-n4" connect "${HOST_ADDR4}" 5000 \
		-b "${BYTES}" -r "${RATE}" "$@"
	MS_PIDS="${MS_PIDS} ${BG_PID}"
	ms_bg "${NS_NET}" "$__p-n6" connect "${HOST_ADDR6}" 5001 \
		-b "${BYTES}" -r "${RATE}" "$@"
	MS_PIDS="${MS_PIDS} ${BG_PID}"
}

# ms_streams_check() - Wait for the streams of ms_streams() and check them
# $1:	Prefix of the output names, and of the test names
ms_streams_check() {
	# shellcheck disable=SC2086 # a list of PIDs
	ms_wait ${MS_PIDS}
	ms_check "$1-out-ipv4" "$1-c4" "$1-s4" "${BYTES}"
	ms_check "$1-out-ipv6" "$1-c6" "$1-s6" "${BYTES}"
	ms_check "$1-in-ipv4" "$1-n4" "$1-g4" "${BYTES}"
	ms_check "$1-in-ipv6" "$1-n6" "$1-g6" "${BYTES}"
}

mp_start "${OPTS}" || { t_fail setup "daemons did not start"; exit 1; }
ms_streams live || t_fail live-setup "streams did not start"
sleep 2
# Bytes in flight and unacknowledged by the guest at the switch, for sure
ms_mute_guest || t_fail live-setup "could not mute the guest"
sleep 0.2
ms_do live-switch mp_switch
ms_unmute_guest
cp "${STATE}/state" "${STATE}/live.state"
ms_streams_check live
flows=$(mig_decode "${STATE}/live.state")
t_expect_eq live-carried "$(echo "${flows}" | grep -c '^sock .* state 1 ')" 6
t_check live-in-flight ms_in_flight "${flows}"
t_check live-unacked-by-guest ms_unacked "${flows}"
t_check live-restored mp_log_has b "Migration: 6 TCP flows restored"
t_check live-source-released test "$(mp_log_count a ': migrated [')" -eq 6
t_check live-target-alive ns_running "${MP_B_PID}"
mp_stop

# 3. Half-closed connections, and one whose peer vanished during the switch

mp_start "${OPTS}" || { t_fail setup "daemons did not start"; exit 1; }
# The guest closes its side early and goes on reading
ms_bg "${NS_NET}" hg-s listen "${R4}" 6002 -b "${BYTES}" -r "${RATE}"
hg_s=${BG_PID}
# The peer closes its side early, the guest goes on writing
ms_bg "${NS_NET}" hp-s listen "${R6}" 6003 -b 100000
hp_s=${BG_PID}
# The peer goes away during the switch
ms_bg "${NS_NET}" gone-s listen "${R4}" 6004
gone_s=${BG_PID}
ms_listening hg-s && ms_listening hp-s && ms_listening gone-s
ms_bg "${NS_GUEST}" hg-c connect "${R4}" 6002 -b 100000
hg_c=${BG_PID}
ms_bg "${NS_GUEST}" hp-c connect "${R6}" 6003 -b "${BYTES}" -r "${RATE}"
hp_c=${BG_PID}
ms_bg "${NS_GUEST}" gone-c connect "${R4}" 6004 -b "${BYTES}" -r "${RATE}" \
	-T 20
gone_c=${BG_PID}
sleep 2
ms_do half-switch-save mp_save
kill "${gone_s}"
ms_do half-switch-load mp_load
half=$(mig_decode "${STATE}/state")
t_check half-carried-fin-wait2 ms_has "${half}" "^sock .* state 5 "
t_check half-carried-close-wait ms_has "${half}" "^sock .* state 8 "
ms_wait "${hg_c}" "${hg_s}" "${hp_c}" "${hp_s}" "${gone_c}"
ms_check half-closed-by-guest hg-c hg-s 100000
ms_check half-closed-by-peer hp-c hp-s 100000
t_check peer-gone-guest-reset grep -q "failed after" \
	"${STATE}/gone-c.out"
t_check peer-gone-target-alive ns_running "${MP_B_PID}"
mp_stop

# 4. 500 idle connections: the time the switch takes, then each one works

mp_start "${OPTS}" "--migrate-no-linger" ||
	{ t_fail setup "daemons did not start"; exit 1; }
rm -f "${STATE}/go"
ms_bg "${NS_NET}" many-s listen "${R4}" 6010 -n 500 -b 10000 -g "${STATE}/go"
many_s=${BG_PID}
ms_listening many-s
ms_bg "${NS_GUEST}" many-c connect "${R4}" 6010 -n 500 -b 10000 \
	-g "${STATE}/go"
many_c=${BG_PID}
t_wait_for 100 grep -q "ready 500" "${STATE}/many-c.out"
start=$(date +%s%N)
ms_do many-switch mp_switch
t_wait_for 100 mp_log_at_least b 'restored [' 500
end=$(date +%s%N)
t_expect_eq many-restored "$(mp_log_count b 'restored [')" 500
echo "# 500 idle connections: switch $(((end - start) / 1000000)) ms from" \
     "the save request to the last one restored, bridges included; in the" \
     "daemons: save $(ms_log_ms a 'Migration: saving' 'state saved') ms," \
     "load and restore $(ms_log_ms b 'Migration: loading' 'restored [') ms"
: >"${STATE}/go"
ms_wait "${many_c}" "${many_s}"
ms_check many-work-after many-c many-s 10000
mp_stop

# 5. Without repair helpers: the addresses move, the connections don't

mp_start "${OPTS}" "" "--migrate-ctl ${STATE}/b.ctl" nohelper ||
	{ t_fail setup "daemons did not start"; exit 1; }
ms_bg "${NS_NET}" nh-s listen "${R4}" 6000 -n 2
nh_s=${BG_PID}
ms_listening nh-s
ms_bg "${NS_GUEST}" nh-c connect "${R4}" 6000 -n 2 -b 100000000 -r 100000 \
	-T 20
nh_c=${BG_PID}
t_wait_for 50 grep -q ready "${STATE}/nh-c.out"
ms_do nohelper-switch mp_switch
t_check nohelper-no-flows ms_has "$(mig_decode "${STATE}/state")" \
	"^flows 0$"
t_expect_eq nohelper-one-warning "$(grep -c 'WARNING: Migration' \
	"${STATE}/a.log")" 1
t_check nohelper-warning-says mp_log_has a \
	"no repair helper, 2 TCP connections not carried"
"${CTL}" "${STATE}/b.ctl" save "${STATE}/nh-snap"
t_check nohelper-addresses-carried ms_has "$(mig_decode \
	"${STATE}/nh-snap")" " ${OBS4}/32 .*OBSERVED$"
ms_wait "${nh_c}"
t_check nohelper-guest-learns grep -q "failed after" "${STATE}/nh-c.out"
kill "${nh_s}" 2>/dev/null
mp_stop

# 6. A repair helper that stops answering: the source carries on
# (a cancelled migration), the target resets what it can't restore

mp_start "${OPTS}" || { t_fail setup "daemons did not start"; exit 1; }
ms_bg "${NS_NET}" hs-s listen "${R4}" 6000 -b 3000000 -r "${RATE}"
hs_s=${BG_PID}
ms_listening hs-s
ms_bg "${NS_GUEST}" hs-c connect "${R4}" 6000 -b 3000000 -r "${RATE}"
hs_c=${BG_PID}
sleep 1
kill -STOP "${MP_RA_PID}"
ms_do stuck-helper-save mp_save
t_check stuck-helper-warns mp_log_has a "TCP connections not carried"
kill -USR2 "${MP_VA_PID}"
t_check stuck-helper-resumed t_wait_for 50 grep -q "rings started again" \
	"${STATE}/va.log"
kill -9 "${MP_RA_PID}"
ms_wait "${hs_c}" "${hs_s}"
ms_check stuck-helper-source-carries-on hs-c hs-s 3000000
t_check stuck-helper-source-alive ns_running "${MP_A_PID}"
mp_stop

mp_start "${OPTS}" || { t_fail setup "daemons did not start"; exit 1; }
ms_bg "${NS_NET}" ht-s listen "${R4}" 6000
ht_s=${BG_PID}
ms_listening ht-s
ms_bg "${NS_GUEST}" ht-c connect "${R4}" 6000 -b 100000000 -r 100000 -T 20
ht_c=${BG_PID}
t_wait_for 50 grep -q ready "${STATE}/ht-c.out"
kill -STOP "${MP_RB_PID}"
ms_do stuck-target-helper-switch mp_switch
t_check stuck-target-helper-reset t_wait_for 50 mp_log_has b \
	"not restored"
ms_wait "${ht_c}"
t_check stuck-target-helper-guest-reset grep -q "failed after" \
	"${STATE}/ht-c.out"
t_check stuck-target-helper-alive ns_running "${MP_B_PID}"
kill -9 "${MP_RB_PID}"
kill "${ht_s}" 2>/dev/null
mp_stop

# 7. Version 2 from the source, for a rolling upgrade, into our target

mp_start "${OPTS}" "--migrate-version 2" ||
	{ t_fail setup "daemons did not start"; exit 1; }
ms_streams v2 || t_fail v2-setup "streams did not start"
sleep 2
ms_do v2-switch mp_switch
t_check v2-stream-version ms_has "$(mig_decode "${STATE}/state")" \
	"^version 2$"
ms_streams_check v2
mp_stop

# 8. Cancelled after the save: the source resumes its connections, and
# takes its ports again

mp_start "${OPTS}" || { t_fail setup "daemons did not start"; exit 1; }
ms_streams cancel || t_fail cancel-setup "streams did not start"
sleep 2
ms_do cancel-save mp_save
sleep 0.5
kill -USR2 "${MP_VA_PID}"
t_check cancel-resumed t_wait_for 50 grep -q "rings started again" \
	"${STATE}/va.log"
t_check cancel-logged mp_log_has a "Migration: cancelled"
ms_streams_check cancel
ms_bg "${NS_GUEST}" cl-g listen "${OBS4}" 5002 -b 1000
cl_g=${BG_PID}
ms_listening cl-g
ms_bg "${NS_NET}" cl-n connect "${HOST_ADDR4}" 5002 -b 1000 -T 10
cl_n=${BG_PID}
ms_wait "${cl_g}" "${cl_n}"
ms_check cancel-ports-again cl-n cl-g 1000
t_check cancel-target-untouched test ! -s "${STATE}/vb.log"
mp_stop

# 9. Broken streams with connections, through the front end: refused, the
# target unchanged. A stream of one connection with small queues, made from
# the saved stream of test 2.

# ms_byte() - A byte of a file, in decimal
# $1:	File
# $2:	Offset
ms_byte() {
	od -An -tu1 -j "$2" -N 1 "$1" | tr -d ' '
}

# ms_be32() - Four bytes, big-endian, as printf(1) escapes
# $1:	Value
ms_be32() {
	printf '\\%03o\\%03o\\%03o\\%03o' $(($1 >> 24 & 255)) \
		$(($1 >> 16 & 255)) $(($1 >> 8 & 255)) $(($1 & 255))
}

# ms_part() - Bytes of a file
# $1:	File
# $2:	Offset
# $3:	Length
ms_part() {
	dd if="$1" bs=1 skip="$2" count="$3" 2>/dev/null
}

# ms_one() - A stream of the first connection of a saved one, its send
# queue SNDQ bytes (NOTSENT of them not sent) and its receive queue 16
# bytes, with a connection count and a TCP state of our choice
# $1:	Saved stream
# $2:	Connection count written
# $3:	TCP state written
# $4:	SNDQ
# $5:	NOTSENT
# $6:	Send queue bytes written, SNDQ if not given
ms_one() {
	__n=$(ms_byte "$1" 16)
	__off=$((17 + 18 * __n + 6))
	__cnt=$(($(ms_byte "$1" $((__off + 3))) + 256 * $(ms_byte "$1" \
		$((__off + 2)))))
	__ext=$((__off + 4 + __cnt * 112))
	head -c "${__off}" "$1"
	printf "$(ms_be32 "$2")"
	ms_part "$1" $((__off + 4)) 112
	ms_part "$1" "${__ext}" 8
	printf "$(ms_be32 "$4")$(ms_be32 "$5")$(ms_be32 16)"
	ms_part "$1" $((__ext + 20)) 30
	printf "\\$(printf '%03o' "$3")"
	ms_part "$1" $((__ext + 51)) 1
	head -c "${6:-$4}" /dev/zero
	printf 'received queue16'
}

# ms_load() - Load a stream into the test's target through the front end
# $1:	Stream
ms_load() {
	ip netns exec "${NS_GUEST}" "${TOOLS}/vubridge" --load "$1" \
		"${STATE}/c.sock" >/dev/null 2>&1
}

# ms_refused() - Record a test: a stream is refused
# $1:	Test name
# $2:	Stream
ms_refused() {
	if ms_load "$2"; then
		t_fail "$1" "accepted"
	else
		t_ok "$1"
	fi
}

mp_daemon c ${OPTS} --migrate-ctl "${STATE}/c.ctl" ||
	{ t_fail setup "daemon did not start"; exit 1; }
ip netns exec "${NS_HOST}" "${BASE_DIR}/passt-repair" \
	"${STATE}/c.sock.repair" >/dev/null 2>&1 &
c_helper=$!
t_wait_for 50 mp_log_has c "Repair helper connected"
"${CTL}" "${STATE}/c.ctl" save "${STATE}/c-before"

one="${STATE}/one.state"
ms_one "${STATE}/live.state" 1 1 10 4 >"${one}"
t_check one-well-formed mig_decode "${one}"
len=$(wc -c <"${one}")
accepted=0
i=0
while [ "${i}" -lt "${len}" ]; do
	head -c "${i}" "${one}" >"${STATE}/cut.state"
	ms_load "${STATE}/cut.state" && accepted=$((accepted + 1))
	i=$((i + 1))
done
t_expect_eq every-truncation-refused "${accepted}" 0
ms_one "${STATE}/live.state" 2 1 10 4 >"${STATE}/count.state"
ms_refused count-beyond-data "${STATE}/count.state"
ms_one "${STATE}/live.state" 1 1 10 11 >"${STATE}/notsent.state"
ms_refused notsent-beyond-queue "${STATE}/notsent.state"
for st in 2 3 6 7 10 12 255; do
	ms_one "${STATE}/live.state" 1 "${st}" 10 4 >"${STATE}/st.state"
	ms_refused "unknown-state-${st}" "${STATE}/st.state"
done
# A queue just beyond the limit: refused before its bytes are read
ms_one "${STATE}/live.state" 1 1 67108865 0 0 >"${STATE}/long.state"
ms_refused queue-too-long "${STATE}/long.state"
"${CTL}" "${STATE}/c.ctl" save "${STATE}/c-after"
t_check refused-target-unchanged cmp "${STATE}/c-before" "${STATE}/c-after"
t_check refused-target-no-flow test "$(mp_log_count c 'restored [')" -eq 0
t_check one-accepted ms_load "${one}"
ns_kill "${c_helper}"
ns_kill "${MP_C_PID}"

# 10. A stream upstream passt saved with four live connections (test/data):
# our target takes it, its addresses, and restores the connections in
# repair mode. Their peers are gone since (the stream was made once, by
# make interop): the first segment each restored socket sends draws a RST
# from the remote host, and each connection is reset, alone, the guest
# told; the daemon carries on.

UPSTREAM="${BASE_DIR}/test/data/upstream-v2-tcp.bin"
up=$(mig_decode "${UPSTREAM}")
t_check upstream-decoded ms_has "${up}" "^flows 4$"
mp_daemon d ${OPTS} --migrate-ctl "${STATE}/d.ctl" ||
	{ t_fail setup "daemon did not start"; exit 1; }
ip netns exec "${NS_HOST}" "${BASE_DIR}/passt-repair" \
	"${STATE}/d.sock.repair" >/dev/null 2>&1 &
d_helper=$!
t_wait_for 50 mp_log_has d "Repair helper connected"
t_check upstream-accepted ip netns exec "${NS_GUEST}" "${TOOLS}/vubridge" \
	--load "${UPSTREAM}" "${STATE}/d.sock"
t_check upstream-flows-in-repair mp_log_has d \
	"Repair helper: TCP_REPAIR 1 on 4 sockets"
t_check upstream-restored t_wait_for 30 mp_log_at_least d 'restored [' 4
t_check upstream-peers-gone t_wait_for 30 mp_log_at_least d \
	'Connection reset by peer [' 4
"${CTL}" "${STATE}/d.ctl" save "${STATE}/d-snap"
t_check upstream-addresses ms_has "$(mig_decode "${STATE}/d-snap")" \
	" ${OBS4}/32 .*OBSERVED$"
t_check upstream-target-alive ns_running "${MP_D_PID}"
ns_kill "${d_helper}"
ns_kill "${MP_D_PID}"
