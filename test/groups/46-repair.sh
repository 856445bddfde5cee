#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The repair helper (passt-repair) and the daemon's side of its protocol.
#
# Our helper against repair-fake, a daemon's side written from
# doc/passt-repair.1: TCP_REPAIR on and off on real loopback sockets,
# checked with getsockopt(); requests it must refuse; waiting for a socket
# that doesn't exist yet, or for one in a directory; serving one daemon
# after another; --once; its exit codes; its seccomp filter. The daemon's
# repair socket: created with --migrate-ctl, removed at exit, one helper at
# a time, a helper noticed when it connects, leaves or dies, and found again
# by a persistent helper after a restart. repair-set, the daemon's repair.c
# as the migration code calls it, with our helper; with PEER_REPAIR set to
# upstream's helper (make interop does, from a peer build; make check never
# needs one), also with upstream's, and upstream's against repair-fake.
#
# Everything runs in the host namespace of test/lib/ns.sh, over its
# loopback interface.

. "${TEST_DIR}/lib/ns.sh"

# Either may be given from outside: test/asan gives its sanitizer builds
REPAIR="${PASST_REPAIR:-${BASE_DIR}/passt-repair}"
REPAIR_TEST="${PASST_REPAIR_TEST:-${BASE_DIR}/passt-repair.test}"
FAKE="${TOOLS}/repair-fake"
SET="${TOOLS}/repair-set"

ns_create || { t_fail setup "ns_create failed"; exit 1; }

D="${STATE}/repair"
mkdir -m 0777 "${D}"

# rp_bg() - Start a command in the host namespace in the background, output
# to a log in ${D}; sets BG_PID
# $1:	Log name
# $@:	Command and arguments, after the name
rp_bg() {
	__log="${D}/$1.log"
	shift
	ip netns exec "${NS_HOST}" "$@" >"${__log}" 2>&1 &
	BG_PID=$!
}

# rp_gone() - Succeed once a background process has exited
# $1:	PID
rp_gone() {
	! ns_running "$1"
}

# rp_status() - Wait up to 10 s for a background process, and set RP_RC to
# its exit status, or to "running" (and end it) if it didn't exit. Not in a
# command substitution: a subshell can't wait for our children.
# $1:	PID
rp_status() {
	if t_wait_for 100 rp_gone "$1"; then
		wait "$1"
		RP_RC=$?
	else
		ns_kill "$1"
		RP_RC=running
	fi
}

# rp_log_has() - Succeed if a log in ${D} has a line with a fixed string
# $1:	Log name
# $2:	String
rp_log_has() {
	grep -qF -- "$2" "${D}/$1.log"
}

# rp_pair() - Run repair-fake and a helper against each other, the fake
# first, and check both exit statuses
# $1:	Test name
# $2:	Helper exit status expected
# $3:	Helper, with its options, separated by spaces
# $@:	repair-fake mode and count, after the helper
rp_pair() {
	__name="$1"
	__want="$2"
	__helper="$3"
	shift 3
	rm -f "${D}/pair.repair"
	rp_bg "${__name}-fake" "${FAKE}" "${D}/pair.repair" "$@"
	__fake=${BG_PID}
	t_wait_for 50 test -S "${D}/pair.repair"
	# shellcheck disable=SC2086 # the helper's options are meant to split
	rp_bg "${__name}-helper" ${__helper} "${D}/pair.repair"
	__helper_pid=${BG_PID}
	rp_status "${__fake}"
	__f=${RP_RC}
	rp_status "${__helper_pid}"
	__h=${RP_RC}
	if [ "${__f}" != 0 ]; then
		t_fail "${__name}" "repair-fake: $(cat "${D}/${__name}-fake.log")"
	elif [ "${__h}" != "${__want}" ]; then
		t_fail "${__name}" "helper exit status ${__h}, expected" \
			"${__want}: $(cat "${D}/${__name}-helper.log")"
	else
		t_ok "${__name}"
	fi
}

# Command line and start-up: exit codes of doc/passt-repair.1

"${REPAIR}" >/dev/null 2>&1
t_expect_eq usage-none "$?" 2
"${REPAIR}" "${D}/a" "${D}/b" >/dev/null 2>&1
t_expect_eq usage-two-paths "$?" 2
"${REPAIR}" --bogus "${D}/a" >"${D}/bogus.out" 2>&1
t_expect_eq usage-unknown "$?" 2
t_check usage-unknown-line grep -q -- '--bogus: unknown option' \
	"${D}/bogus.out"
"${REPAIR}" --help >"${D}/help.out" 2>&1
t_expect_eq help "$?" 0
t_check help-text grep -q -- '--once' "${D}/help.out"
"${REPAIR}" --version >"${D}/version.out" 2>&1
t_expect_eq version "$?" 0
t_check version-text grep -q '^passt-repair .' "${D}/version.out"

timeout 5 "${REPAIR}" "${D}/no/such/dir.repair" >"${D}/nodir.out" 2>&1
t_expect_eq no-directory "$?" 1
t_check no-directory-line grep -q "${D}/no/such" "${D}/nodir.out"

# Without CAP_NET_ADMIN: one line, exit 1, before waiting for anything
timeout 5 setpriv --reuid=65534 --regid=65534 --clear-groups \
	--inh-caps=-all "${REPAIR}" "${D}/nocap.repair" >"${D}/nocap.out" 2>&1
t_expect_eq no-capability "$?" 1
t_check no-capability-line grep -q 'CAP_NET_ADMIN' "${D}/nocap.out"

# Our helper against the documented protocol

rp_pair on-off-600 0 "${REPAIR} --once" serve 600
rp_pair on-off-1 0 "${REPAIR} --once" serve 1
rp_pair refuses-bad-command 1 "${REPAIR} --once" bad-cmd
rp_pair refuses-no-descriptors 1 "${REPAIR} --once" no-fd
rp_pair refuses-udp-socket 1 "${REPAIR} --once" not-tcp
t_check refusal-says-why rp_log_has refuses-udp-socket-helper \
	"Setting TCP_REPAIR to 1 on descriptor 1 of 1"

# Started before the socket exists: it waits, and connects when it appears
rp_bg wait-helper "${REPAIR}" --once "${D}/late.repair"
helper=${BG_PID}
t_check waits-for-socket t_wait_for 50 rp_log_has wait-helper \
	"Waiting for ${D}/late.repair"
rp_bg wait-fake "${FAKE}" "${D}/late.repair" serve 10
rp_status "${BG_PID}"
t_expect_eq waited-fake "${RP_RC}" 0
rp_status "${helper}"
t_expect_eq once-exits "${RP_RC}" 0

# Directory mode, and one daemon after another: the same helper serves both
mkdir "${D}/dir"
rp_bg dir-helper "${REPAIR}" "${D}/dir"
helper=${BG_PID}
t_check dir-waits t_wait_for 50 rp_log_has dir-helper \
	"Waiting for a *.repair socket in ${D}/dir"
: >"${D}/dir/not-a-socket.repair"
rp_bg dir-fake1 "${FAKE}" "${D}/dir/vm1.socket.repair" serve 300
rp_status "${BG_PID}"
t_expect_eq dir-first-daemon "${RP_RC}" 0
rp_bg dir-fake2 "${FAKE}" "${D}/dir/vm2.socket.repair" serve 300
rp_status "${BG_PID}"
t_expect_eq dir-next-daemon "${RP_RC}" 0
t_check dir-keeps-serving ns_running "${helper}"
ns_kill "${helper}"

# The directory removed under it: nothing left to wait for
mkdir "${D}/gone"
rp_bg gone-helper "${REPAIR}" "${D}/gone"
helper=${BG_PID}
t_wait_for 50 rp_log_has gone-helper "Waiting for"
rmdir "${D}/gone"
rp_status "${helper}"
t_expect_eq directory-removed "${RP_RC}" 1
t_check directory-removed-line rp_log_has gone-helper "went away"

# The daemon's socket: created with --migrate-ctl, one helper at a time,
# helpers noticed as they come and go, removed at exit

# rp_daemon() - Start the daemon in the host namespace with the test
# interface; sets DAEMON_PID
# $1:	Log name
# $@:	Options, after the name
rp_daemon() {
	__log="$1"
	shift
	rm -f "${D}/d.socket" "${D}/d.ctl"
	rp_bg "${__log}" "${PASST}" -f -d -s "${D}/d.socket" \
		--migrate-ctl "${D}/d.ctl" "$@"
	DAEMON_PID=${BG_PID}
	t_wait_for 50 test -S "${D}/d.ctl"
}

rp_daemon d1
t_check daemon-socket-default test -S "${D}/d.socket.repair"
t_check daemon-socket-mode sh -c \
	"stat -c %a '${D}/d.socket.repair' | grep -qx 600"
rp_bg persistent "${REPAIR}" "${D}/d.socket.repair"
helper=${BG_PID}
t_check daemon-sees-helper t_wait_for 50 rp_log_has d1 \
	"Repair helper connected"
rp_bg extra "${REPAIR}" --once "${D}/d.socket.repair"
rp_status "${BG_PID}"
t_expect_eq extra-helper-turned-away "${RP_RC}" 0
t_check daemon-refused-extra rp_log_has d1 "Refusing repair helper"

ns_kill "${DAEMON_PID}"
t_check daemon-removes-socket test ! -e "${D}/d.socket.repair"
t_check helper-sees-daemon-leave t_wait_for 50 rp_log_has persistent \
	"closed the connection"

# Restarted: the helper that kept running finds the new daemon
rp_daemon d2
t_check restarted-daemon-sees-helper t_wait_for 50 rp_log_has d2 \
	"Repair helper connected"

# A helper that dies is noticed, and the daemon carries on
kill -9 "${helper}"
wait "${helper}" 2>/dev/null
t_check daemon-sees-helper-die t_wait_for 50 rp_log_has d2 \
	"Repair helper left"
t_check daemon-survives ns_running "${DAEMON_PID}"
ns_kill "${DAEMON_PID}"

# --repair-path none: no socket
rp_daemon d3 --repair-path none
t_check repair-path-none test ! -e "${D}/d.socket.repair"
ns_kill "${DAEMON_PID}"

# --repair-path elsewhere
rp_daemon d4 --repair-path "${D}/elsewhere.repair"
t_check repair-path-given sh -c "test -S '${D}/elsewhere.repair' &&
	test ! -e '${D}/d.socket.repair'"
ns_kill "${DAEMON_PID}"

# A -s path with no room left for .repair: refused before anything opens
long="${D}/$(printf '%0*d' $((100 - ${#D})) 0)"
timeout 5 "${PASST}" -f -s "${long}" --migrate-ctl "${D}/long.ctl" \
	>"${D}/long.out" 2>&1
t_expect_eq socket-too-long "$?" 1
t_check socket-too-long-line grep -q 'give --repair-path' "${D}/long.out"
t_check socket-too-long-nothing sh -c "test ! -e '${long}' &&
	test ! -e '${D}/long.ctl'"

# The daemon's side with a real helper: batches, commands of every kind,
# messages of every size in one connection (1, 600, 94, 300 sockets)
SEQ="1@1,0@1,1,-1,1@94,0,1@300,0@300"

rp_bg set-ours-helper "${REPAIR}" "${D}/set.repair"
helper=${BG_PID}
rp_bg set-ours "${SET}" "${D}/set.repair" 600 "${SEQ}"
rp_status "${BG_PID}"
t_expect_eq daemon-side-our-helper "${RP_RC}" 0

# ... and the next daemon, the same helper still running
rp_bg set-ours-next "${SET}" "${D}/set.repair" 300 "1,0"
rp_status "${BG_PID}"
t_expect_eq daemon-side-next-daemon "${RP_RC}" 0
ns_kill "${helper}"

# The seccomp filter: a call it doesn't list kills the helper, and the same
# build without that call serves as the other
PASST_REPAIR_FORBIDDEN=1 timeout 5 "${REPAIR_TEST}" "${D}/kill.repair" \
	>/dev/null 2>&1
t_expect_eq seccomp-kills "$?" $((128 + 31))
rp_pair seccomp-test-build-serves 0 "${REPAIR_TEST} --once" serve 300

# Upstream's helper, for make interop: against our daemon's side, and
# against the document
if [ -n "${PEER_REPAIR:-}" ]; then
	# It needs the socket to exist when it starts
	rp_bg set-peer "${SET}" "${D}/peer.repair" 600 "${SEQ}"
	set_pid=${BG_PID}
	t_wait_for 50 test -S "${D}/peer.repair"
	rp_bg set-peer-helper "${PEER_REPAIR}" "${D}/peer.repair"
	helper=${BG_PID}
	rp_status "${set_pid}"
	t_expect_eq daemon-side-upstream-helper "${RP_RC}" 0
	ns_kill "${helper}"

	# One message per command: upstream's helper handles no more
	# descriptors in a message than in the one before it
	rp_pair upstream-helper-protocol 0 "${PEER_REPAIR}" serve 200
	rp_pair upstream-helper-refuses-bad-command 1 "${PEER_REPAIR}" bad-cmd
	rp_pair upstream-helper-refuses-no-descriptors 1 "${PEER_REPAIR}" no-fd
fi
