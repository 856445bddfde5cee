#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# make interop: live migrations between upstream passt (PEER, a build of
# it, with its passt-repair beside it) and ours, both ways, with streams
# running, the helpers crossed (upstream's helper serving our daemon, ours
# serving upstream's), as test/lib/migpair.sh runs them. Not part of make
# check: nothing there may depend on another project's build.
#
# - Upstream to ours: streams from the guest, both families, the remote
#   host sending only after the switch (upstream's source can't carry what
#   its peer sends meanwhile, see doc/migration.md); with UP_CAPTURE set,
#   the version 2 stream is saved there (test/data/upstream-v2-tcp.bin was
#   made so).
# - Ours to upstream (--migrate-version 2): streams both ways.
#
# Both sources close their migrated sockets at once (--migrate-no-linger):
# upstream's target doesn't wait for a source on the same host to let go of
# them, and upstream's source, left lingering, would acknowledge what the
# peer sends after the save (see doc/migration.md).
#
# Front ends: vhost-user

. "${TEST_DIR}/lib/ns.sh"
. "${TEST_DIR}/lib/migrate.sh"
. "${TEST_DIR}/lib/migpair.sh"

UP="${PEER:?PEER: upstream passt build directory}"
BYTES=4000000
RATE=1000000

mp_setup

# up_streams() - Streams from the guest to the remote host, two over IPv4
# and two over IPv6; the remote host sends too, at once, or only once
# ${STATE}/go exists
# $1:	Prefix for the output names
# $2:	"now" or "later"
up_streams() {
	__peer="-b ${BYTES} -r ${RATE}"
	[ "$2" = "later" ] && __peer="-b 100000 -g ${STATE}/go"
	rm -f "${STATE}/go"
	# shellcheck disable=SC2086 # options are meant to split
	ms_bg "${NS_NET}" "$1-s4" listen "${R4}" 6000 -n 2 ${__peer}
	UP_PIDS="${BG_PID}"
	# shellcheck disable=SC2086
	ms_bg "${NS_NET}" "$1-s6" listen "${R6}" 6001 -n 2 ${__peer}
	UP_PIDS="${UP_PIDS} ${BG_PID}"
	ms_listening "$1-s4" && ms_listening "$1-s6" || return 1
	ms_bg "${NS_GUEST}" "$1-c4" connect "${R4}" 6000 -n 2 -b "${BYTES}" \
		-r "${RATE}"
	UP_PIDS="${UP_PIDS} ${BG_PID}"
	ms_bg "${NS_GUEST}" "$1-c6" connect "${R6}" 6001 -n 2 -b "${BYTES}" \
		-r "${RATE}"
	UP_PIDS="${UP_PIDS} ${BG_PID}"
}

# up_check() - Wait for the streams of up_streams() and check them
# $1:	Prefix of the output names, and of the test names
up_check() {
	# shellcheck disable=SC2086 # a list of PIDs
	ms_wait ${UP_PIDS}
	ms_check "$1-ipv4" "$1-c4" "$1-s4" 0
	ms_check "$1-ipv6" "$1-c6" "$1-s6" 0
}

# Upstream to ours: upstream's source served by our helper, our target by
# upstream's helper

MP_PASST_a="${UP}/passt" MP_REPAIR_b="${UP}/passt-repair"
export MP_PASST_a MP_REPAIR_b
mp_start "" "--migrate-no-linger" "" ||
	{ t_fail setup "daemons did not start"; exit 1; }
up_streams up2ours later || t_fail up2ours-setup "streams did not start"
sleep 2
ms_do up2ours-switch mp_switch
t_check up2ours-version-2 ms_has "$(mig_decode "${STATE}/state")" \
	"^version 2$"
t_check up2ours-carried ms_has "$(mig_decode "${STATE}/state")" \
	"^sock 3 state 1 "
cp "${STATE}/state" "${STATE}/up2ours.state"
: >"${STATE}/go"
up_check up2ours
t_check up2ours-restored mp_log_has b "Migration: 4 TCP flows restored"
[ -n "${UP_CAPTURE:-}" ] && cp "${STATE}/up2ours.state" "${UP_CAPTURE}"
mp_stop
unset MP_PASST_a MP_REPAIR_b

# Ours, as version 2, to upstream: our source served by upstream's
# helper, upstream's target by ours

MP_PASST_b="${UP}/passt" MP_REPAIR_a="${UP}/passt-repair"
export MP_PASST_b MP_REPAIR_a
mp_start "" "--migrate-version 2 --migrate-no-linger" "" ||
	{ t_fail setup "daemons did not start"; exit 1; }
up_streams ours2up now || t_fail ours2up-setup "streams did not start"
sleep 2
ms_do ours2up-switch mp_switch
t_check ours2up-version-2 ms_has "$(mig_decode "${STATE}/state")" \
	"^version 2$"
up_check ours2up
mp_stop
unset MP_PASST_b MP_REPAIR_a
