#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Live migration with real QEMU 10 (from bookworm-backports, unpacked under
# build/ by test/guest/qemu10.sh; the other groups keep Debian's QEMU 7.2):
# the test guest boots over vhost-user on a source daemon, a second QEMU
# waits with -incoming on a target daemon in the same host namespace, and
# QMP migrates the guest while it streams data through the gateway to a
# server on the host, and takes a stream forwarded to it with -t. After
# the switch, both streams go on, every byte intact (byte counts and
# SHA-256 at both ends, with tcpstream in the guest too), the target
# forwards to the guest at once, and the source, run with --migrate-exit,
# exits.
#
# Front ends: vhost-user

. "${TEST_DIR}/lib/ns.sh"
. "${TEST_DIR}/lib/migrate.sh"
. "${TEST_DIR}/lib/migpair.sh"
. "${TEST_DIR}/lib/guest.sh"

BYTES=4000000
RATE=400000
CTL="${TOOLS}/migrate-ctl"

if ! guest_build >/dev/null || ! sh "${BASE_DIR}/test/guest/qemu10.sh"; then
	t_fail setup "no guest image or no QEMU 10 (run test/deps)"
	exit 1
fi

ns_create || { t_fail setup "ns_create failed"; exit 1; }

# The guest image, with tcpstream added in a second archive
mkdir -p "${STATE}/extra/bin"
cp "${TOOLS}/tcpstream.static" "${STATE}/extra/bin/tcpstream"
(cd "${STATE}/extra" && printf 'bin\nbin/tcpstream\n' |
	cpio -o -H newc --quiet) | gzip -1 >"${STATE}/extra.gz"
cat "${GUEST_BUILD}/initramfs.gz" "${STATE}/extra.gz" >"${STATE}/initrd.gz"
GUEST_INITRD="${STATE}/initrd.gz"
GUEST_QEMU="${BASE_DIR}/build/qemu10/qemu-system-x86_64"
# QEMU 10 takes the NIC's default interrupts
GUEST_VECTORS=

# q10_qmp() - Send one QMP command to a QEMU, print the replies
# $1:	QMP socket
# $2:	Command, JSON
q10_qmp() {
	printf '{"execute":"qmp_capabilities"}\n%s\n' "$2" |
		timeout 10 nc -q 1 -U "$1"
}

# q10_migrated() - Succeed once the source's migration completed, fail
# fast if it failed
# $1:	QMP socket
q10_migrated() {
	__st=$(q10_qmp "$1" '{"execute":"query-migrate"}' |
		sed -n 's/.*"status": *"\([a-z-]*\)".*/\1/p' | tail -n 1)
	echo "${__st}" >"${STATE}/migrate-status"
	[ "${__st}" = "completed" ]
}

# q10_guest_done() - Succeed once a tcpstream in the guest finished
# $1:	Its output file in the guest
q10_guest_done() {
	guest_run 10 "grep -q '^done\|failed' $1"
}

# q10_same() - Succeed if a stream's two ends agree, every byte
# $1:	Output of the end in the guest, as guest_run printed it
# $2:	Output file of the other end
q10_same() {
	__g=$(printf '%s\n' "$1" | tr -d '\r')
	printf '%s\n' "${__g}" | grep -q '^done' &&
	grep -q '^done' "$2" &&
	[ "$(printf '%s\n' "${__g}" | sed -n 's/^sent //p')" = \
	  "$(sed -n 's/^read //p' "$2")" ] &&
	[ "$(printf '%s\n' "${__g}" | sed -n 's/^read //p')" = \
	  "$(sed -n 's/^sent //p' "$2")" ]
}

mp_daemon a -t 5000 -t 5001 --migrate-exit ||
	{ t_fail setup "source daemon did not start"; exit 1; }
mp_daemon b -t 5000 -t 5001 --migrate-ctl "${STATE}/b.ctl" ||
	{ t_fail setup "target daemon did not start"; exit 1; }
mp_helper a && mp_helper b || { t_fail setup "no repair helpers"; exit 1; }

trap 'guest_cleanup; ns_teardown' EXIT
GUEST_QEMU_OPTS="-qmp unix:${STATE}/qmp-a.sock,server=on,wait=off"
if ! guest_start "${STATE}/a.sock" 120; then
	t_fail boot "$(guest_console | tail -n 3 | tr '\n' ' ')"
	exit 1
fi
t_ok boot
t_check dhcp guest_run 30 dhcp4

# Streams: the guest to a server on the host's loopback, reached at the
# gateway's address; a client outside to the guest, through -t
ms_bg "${NS_HOST}" out-s listen 127.0.0.1 6000 -b "${BYTES}" -r "${RATE}"
out_s=${BG_PID}
ms_listening out-s
guest_run 10 "tcpstream listen 0.0.0.0 5000 -b ${BYTES} -r ${RATE} \
	>/tmp/in.out 2>&1 &"
guest_run 10 "tcpstream listen 0.0.0.0 5001 -b 1000 >/tmp/after.out 2>&1 &"
guest_run 10 "tcpstream connect ${GW4} 6000 -b ${BYTES} -r ${RATE} \
	>/tmp/out.out 2>&1 &"
t_wait_for 100 grep -q ready "${STATE}/out-s.out"
ms_bg "${NS_NET}" in-c connect "${HOST_ADDR4}" 5000 -b "${BYTES}" \
	-r "${RATE}"
in_c=${BG_PID}
t_wait_for 100 grep -q ready "${STATE}/in-c.out"

# The target QEMU, with a console of its own, its input on descriptor 7
# until it takes over
T_RUN=$(mktemp -d "${TMPDIR:-/tmp}/passt-guest.XXXXXX")
mkfifo "${T_RUN}/con.in" "${T_RUN}/con.out"
: >"${T_RUN}/console"
# shellcheck disable=SC2046 # options are meant to split
"${GUEST_QEMU}" -accel "$(guest_accel)" -m 256 -smp 1 -nodefaults \
	-display none -no-reboot -kernel "${GUEST_BUILD}/vmlinuz" \
	-initrd "${GUEST_INITRD}" -append "console=ttyS0 quiet panic=-1" \
	-chardev "pipe,id=con,path=${T_RUN}/con" -serial chardev:con \
	$(guest_netdev "${STATE}/b.sock") \
	-qmp "unix:${STATE}/qmp-b.sock,server=on,wait=off" \
	-incoming "unix:${STATE}/mig.sock" >"${T_RUN}/qemu.log" 2>&1 &
T_PID=$!
exec 7<>"${T_RUN}/con.in"
cat "${T_RUN}/con.out" >>"${T_RUN}/console" &
T_CAT=$!
t_check target-qemu-waits t_wait_for 100 test -S "${STATE}/mig.sock"

sleep 3
q10_qmp "${STATE}/qmp-a.sock" \
	"{\"execute\":\"migrate\",\"arguments\":{\"uri\":\"unix:${STATE}/mig.sock\"}}" \
	>"${STATE}/migrate.out"
t_check migrated t_wait_for 600 q10_migrated "${STATE}/qmp-a.sock"
info=$(q10_qmp "${STATE}/qmp-a.sock" '{"execute":"query-migrate"}')
echo "# QEMU 10: total $(echo "${info}" |
	sed -n 's/.*"total-time": *\([0-9]*\).*/\1/p') ms, downtime $(echo \
	"${info}" | sed -n 's/.*"downtime": *\([0-9]*\).*/\1/p') ms"

# The target forwards to the guest at once, from the addresses it took
ms_bg "${NS_NET}" after-c connect "${HOST_ADDR4}" 5001 -b 1000 -T 20
after_c=${BG_PID}
"${CTL}" "${STATE}/b.ctl" save "${STATE}/b-snap"
snap=$(mig_decode "${STATE}/b-snap")
t_check target-has-address ms_has "${snap}" " ${HOST_ADDR4}/24 .*OBSERVED$"
t_check target-has-mac ms_has "${snap}" "^mac ${GUEST_MAC}$"

# The source QEMU goes, as a management layer ends it; the target's console
# is the guest's from now on
q10_qmp "${STATE}/qmp-a.sock" '{"execute":"quit"}' >/dev/null
wait "${GUEST_PID}" 2>/dev/null
exec 8>&-
exec 9<>"${GUEST_RUN}/con.out"
exec 9>&-
wait "${GUEST_CAT_PID}" 2>/dev/null
cp "${GUEST_RUN}/seq" "${T_RUN}/seq"
rm -rf "${GUEST_RUN}"
GUEST_RUN="${T_RUN}" GUEST_PID="${T_PID}" GUEST_CAT_PID="${T_CAT}"
exec 8>&7 7>&-

t_check source-exits t_wait_for 50 sh -c "! kill -0 ${MP_A_PID} 2>/dev/null"
wait "${MP_A_PID}"
t_expect_eq source-exit-status "$?" 0
t_check source-said-so mp_log_has a "exiting (--migrate-exit)"
t_check target-restored mp_log_has b "Migration: 2 TCP flows restored"

ms_wait "${after_c}"
t_check guest-after-done t_wait_for 200 q10_guest_done /tmp/after.out
if q10_same "$(guest_run 10 cat /tmp/after.out)" "${STATE}/after-c.out"; then
	t_ok target-forwards-at-once
else
	t_fail target-forwards-at-once "$(cat "${STATE}/after-c.out")"
fi

ms_wait "${out_s}" "${in_c}"
t_check guest-out-done t_wait_for 300 q10_guest_done /tmp/out.out
t_check guest-in-done t_wait_for 300 q10_guest_done /tmp/in.out
for s in out:out-s in:in-c; do
	g=$(guest_run 10 cat "/tmp/${s%%:*}.out")
	if q10_same "${g}" "${STATE}/${s##*:}.out"; then
		t_ok "stream-${s%%:*}-intact"
	else
		t_fail "stream-${s%%:*}-intact" "guest: $(echo "${g}" |
			tr '\n' ' '), host: $(tr '\n' ' ' \
			<"${STATE}/${s##*:}.out")"
	fi
done
t_check target-serves ns_running "${MP_B_PID}"
guest_stop
mp_stop
