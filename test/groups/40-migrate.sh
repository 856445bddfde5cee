#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Migration through the test interface (--migrate-ctl). A daemon with two
# user addresses, one address copied from its template interface, two
# addresses observed in the guest's traffic and the guest's MAC address
# saves its stream: the decoder in test/lib/migrate.sh, written from
# doc/migration.md alone, checks every field, and the document's example is
# exactly these bytes. A second daemon loads the stream: it takes the
# observed addresses and the MAC address and keeps its own entries; broken
# streams change nothing in it. A third daemon, told to write version 2,
# passes the state on in that format.
#
# Front ends: stream vhost-user

. "${TEST_DIR}/lib/ns.sh"
. "${TEST_DIR}/lib/migrate.sh"

CTL="${TOOLS}/migrate-ctl"

# The example of doc/migration.md
USER4=192.0.2.10/24
USER4B=192.0.2.11/24
GUEST_MAC=00:00:5e:00:53:01
OBS4=192.0.2.50
OBS6=2001:db8:1::50
# As the decoder prints them
F_HOST6=2001:0db8:0001:0000:0000:0000:0000:0002
F_OBS6=2001:0db8:0001:0000:0000:0000:0000:0050
F_ZERO6=0000:0000:0000:0000:0000:0000:0000:0000

# mig_start() - Start another daemon in the host namespace, with a test
# interface, and wait for it
# $1:	Name, for its socket, test interface and log in ${STATE}
# $@:	Options, after the name
# Sets MIG_PID.
mig_start() {
	__n="$1"
	shift
	ip netns exec "${NS_HOST}" "${PASST}" -f -s "${STATE}/$__n.socket" \
		--migrate-ctl "${STATE}/$__n.ctl" "$@" \
		>"${STATE}/$__n.log" 2>&1 &
	MIG_PID=$!
	t_wait_for 50 test -S "${STATE}/$__n.ctl"
}

# mig_save() - Save a daemon's stream to a file
# $1:	Test interface socket
# $2:	File
mig_save() {
	"${CTL}" "$1" save "$2"
}

# mig_observed() - Succeed once the daemon has an address as observed
# $1:	Test interface socket
# $2:	Address and prefix length, as the decoder prints them
mig_observed() {
	mig_save "$1" "${STATE}/poll" &&
		mig_decode "${STATE}/poll" | grep -q " $2 OBSERVED$"
}

# mig_has() - Succeed if text has a line matching a pattern
# $1:	Text
# $2:	Basic regular expression
mig_has() {
	printf '%s\n' "$1" | grep -q -- "$2"
}

# mig_refused() - Load a stream, expect a refusal, and the daemon's own
# stream to be byte for byte what it was
# $1:	Test name
# $2:	Test interface socket
# $3:	Stream to load
mig_refused() {
	if ! mig_save "$2" "${STATE}/before"; then
		t_fail "$1" "save failed"
	elif "${CTL}" "$2" load "$3" 2>/dev/null; then
		t_fail "$1" "stream accepted"
	elif ! mig_save "$2" "${STATE}/after" ||
	     ! cmp -s "${STATE}/before" "${STATE}/after"; then
		t_fail "$1" "state changed"
	else
		t_ok "$1"
	fi
}

ns_setup || { t_fail setup "ns_setup failed"; exit 1; }

# Options: checked before anything is opened
out=$(timeout 5 "${PASST}" -f --migrate-version 4 2>&1)
t_expect_eq bad-version-exit "$?" 1
t_check bad-version-message mig_has "${out}" "--migrate-version"
out=$(timeout 5 "${PASST}" -f --migrate-version 1 2>&1)
t_expect_eq version-1-exit "$?" 1

# A guest that sends nothing on its own: no link-local address, no router
# solicitations, its neighbours known in advance. Only the frames this test
# sends then teach the daemon addresses, in the order it sends them.
ns_kill "${BRIDGE_PID}"
ns_kill "${PASST_PID}"
BRIDGE_PID=
PASST_PID=
ns_guest ip link set tap0 down &&
ns_guest sysctl -qw net.ipv6.conf.tap0.addr_gen_mode=1 &&
ns_guest sysctl -qw net.ipv6.conf.tap0.accept_ra=0 &&
ns_guest sysctl -qw net.ipv6.conf.tap0.router_solicitations=0 &&
ns_guest ip addr flush dev tap0 &&
ns_guest ip link set tap0 address "${GUEST_MAC}" &&
ns_guest ip addr add "${OBS4}/24" dev tap0 &&
ns_guest ip addr add "${OBS6}/64" dev tap0 nodad &&
ns_guest ip link set tap0 up &&
ns_guest ip neigh replace "${GW4}" lladdr 9a:55:9a:55:9a:55 dev tap0 \
	nud permanent &&
ns_guest ip -6 neigh replace "${GW6}" lladdr 9a:55:9a:55:9a:55 dev tap0 \
	nud permanent || { t_fail setup "can't configure the guest"; exit 1; }

ns_passt_start --migrate-ctl "${STATE}/a.ctl" -a "${USER4}" -a "${USER4B}" \
	|| { t_fail setup "daemon did not start"; exit 1; }
ns_bridge_start || { t_fail setup "bridge did not start"; exit 1; }

ns_guest busybox ping -c 1 -W 1 "${GW4}" >/dev/null 2>&1
t_check observe-ipv4 t_wait_for 30 mig_observed "${STATE}/a.ctl" "${OBS4}/32"
ns_guest busybox ping6 -c 1 -W 1 "${GW6}" >/dev/null 2>&1
t_check observe-ipv6 t_wait_for 30 mig_observed "${STATE}/a.ctl" \
	"${F_OBS6}/128"

# Source: every field, by the document's decoder
t_check save mig_save "${STATE}/a.ctl" "${STATE}/a.v3"
t_expect_eq save-decoded "$(mig_decode "${STATE}/a.v3")" "magic b1bb1d1b0bb1d1b0
version 3
compat 3
count 5
addr 0 ${USER4} USER
addr 1 ${USER4B} USER
addr 2 ${F_HOST6}/64 HOST
addr 3 ${OBS4}/32 OBSERVED
addr 4 ${F_OBS6}/128 OBSERVED
mac ${GUEST_MAC}
flows 0"

# The document's example is what the daemon writes
doc=$(mig_doc_hex "${BASE_DIR}/doc/migration.md")
t_check doc-hexdump-readable test -n "${doc}"
t_expect_eq doc-hexdump "$(mig_hex "${STATE}/a.v3")" "${doc}"

# Saving has no effect on the source
t_check save-again mig_save "${STATE}/a.ctl" "${STATE}/a2.v3"
t_check save-repeatable cmp "${STATE}/a.v3" "${STATE}/a2.v3"

# The test interface's socket goes away with its daemon
mig_start gone
t_check ctl-created test -S "${STATE}/gone.ctl"
ns_kill "${MIG_PID}"
t_check ctl-removed test ! -e "${STATE}/gone.ctl"

# Target: its own user entry, and whatever its template gives it
mig_start b -a 192.0.2.20/24
t_check target-save-before mig_save "${STATE}/b.ctl" "${STATE}/b0.v3"
before=$(mig_decode "${STATE}/b0.v3")
t_check target-own-entry mig_has "${before}" "^addr 0 192.0.2.20/24 USER$"
n=$(echo "${before}" | sed -n 's/^count //p')

# Broken streams change nothing
head -c 60 "${STATE}/a.v3" >"${STATE}/cut.v3"
mig_refused target-truncated "${STATE}/b.ctl" "${STATE}/cut.v3"
{ cat "${STATE}/a.v3"; printf 'x'; } >"${STATE}/long.v3"
mig_refused target-trailing "${STATE}/b.ctl" "${STATE}/long.v3"
printf 'not a migration stream' >"${STATE}/junk.v3"
mig_refused target-bad-magic "${STATE}/b.ctl" "${STATE}/junk.v3"

# The real stream: observed entries and the MAC address, own entries kept
t_check target-load "${CTL}" "${STATE}/b.ctl" load "${STATE}/a.v3"
t_check target-save-after mig_save "${STATE}/b.ctl" "${STATE}/b1.v3"
t_expect_eq target-applied "$(mig_decode "${STATE}/b1.v3")" "$(
	echo "${before}" | sed -e "s/^count .*/count $((n + 2))/" \
		-e '/^mac /,$d'
	echo "addr ${n} ${OBS4}/32 OBSERVED"
	echo "addr $((n + 1)) ${F_OBS6}/128 OBSERVED"
	echo "mac ${GUEST_MAC}"
	echo "flows 0")"

# Version 2 on the way out, for an older target
mig_start c --migrate-version 2
t_check v2-load "${CTL}" "${STATE}/c.ctl" load "${STATE}/a.v3"
t_check v2-save mig_save "${STATE}/c.ctl" "${STATE}/c.v2"
t_expect_eq v2-decoded "$(mig_decode "${STATE}/c.v2")" "magic b1bb1d1b0bb1d1b0
version 2
compat 2
ip6 ${F_OBS6}
ip6_ll ${F_ZERO6}
ip4 ${OBS4}
mac ${GUEST_MAC}
flows 0"
t_expect_eq v2-size "$(wc -c <"${STATE}/c.v2")" 62

# ... and back in: a version 2 stream applies on a version 3 daemon
mig_start d
t_check v2-into-v3 "${CTL}" "${STATE}/d.ctl" load "${STATE}/c.v2"
t_check v2-into-v3-save mig_save "${STATE}/d.ctl" "${STATE}/d.v3"
d=$(mig_decode "${STATE}/d.v3")
t_check v2-into-v3-ipv4 mig_has "${d}" " ${OBS4}/32 OBSERVED$"
t_check v2-into-v3-ipv6 mig_has "${d}" " ${F_OBS6}/128 OBSERVED$"
t_check v2-into-v3-mac mig_has "${d}" "^mac ${GUEST_MAC}$"
