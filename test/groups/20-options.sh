#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Options and start-up: --help and --version, one clear line and exit 1 for
# every bad command line with nothing left behind, starting the way libvirt
# does (in the background, PID file, --one-off), dropping root, the log size
# cap, and the defaults taken from the host (template interface, addresses,
# gateway, DNS) with the options that override them.

. "${TEST_DIR}/lib/ns.sh"

SC="${TOOLS}/streamclient"

ns_setup || { t_fail setup "ns_setup failed"; exit 1; }

# Files of this group, in a directory that the daemon, once it runs as
# nobody, may remove its socket and its PID file (made by root) from
D="${STATE}/options"
mkdir -m 0777 "${D}"

# opt_gone() - Succeed if a process no longer runs (gone, or a zombie
# waiting for a parent that is not us)
# $1:	PID
opt_gone() {
	[ ! -e "/proc/$1" ] || grep -q '^State:.*Z' "/proc/$1/status"
}

# opt_has() - Succeed if a file has a line containing a fixed string
# $1:	File
# $2:	String
opt_has() {
	grep -qF -- "$2" "$1"
}

# opt_bad() - Run the daemon with a bad command line: it must exit 1 with
# one line on stderr naming the problem, print nothing on stdout, and create
# none of its socket, PID, capture and log files
# $1:	Test name
# $2:	Text the line must contain
# $@:	Options, after the name and text
opt_bad() {
	__name="$1"
	__want="$2"
	shift 2
	rm -rf "${D}/bad"
	mkdir "${D}/bad"
	# -f and a timeout: a command line wrongly accepted can't linger
	timeout 10 ip netns exec "${NS_HOST}" "${PASST}" -f \
		-s "${D}/bad/sock" -P "${D}/bad/pid" -p "${D}/bad/pcap" \
		"$@" >"${D}/bad.out" 2>"${D}/bad.err"
	__rc=$?
	__err=$(cat "${D}/bad.err")
	if [ ${__rc} -ne 1 ]; then
		t_fail "${__name}" "exit status ${__rc}, expected 1: ${__err}"
	elif [ "$(wc -l < "${D}/bad.err")" -ne 1 ]; then
		t_fail "${__name}" "not one line: ${__err}"
	elif [ -s "${D}/bad.out" ]; then
		t_fail "${__name}" "output on stdout: $(cat "${D}/bad.out")"
	elif ! echo "${__err}" | grep -qF -- "${__want}"; then
		t_fail "${__name}" "'${__err}' does not say '${__want}'"
	elif [ -n "$(ls -A "${D}/bad")" ]; then
		t_fail "${__name}" "left files behind: $(ls -A "${D}/bad")"
	else
		t_ok "${__name}"
	fi
}

# opt_summary() - Start the daemon in the host namespace in the foreground,
# wait for its start-up summary, stop it, and print its log
# $@:	Options
opt_summary() {
	rm -f "${D}/sum.sock" "${D}/sum.log"
	ip netns exec "${NS_HOST}" "${PASST}" -f -s "${D}/sum.sock" \
		-l "${D}/sum.log" "$@" >/dev/null 2>&1 &
	__pid=$!
	t_wait_for 50 sh -c "test -S '${D}/sum.sock' || ! kill -0 ${__pid}"
	kill "${__pid}" 2>/dev/null
	wait "${__pid}" 2>/dev/null
	cat "${D}/sum.log" 2>/dev/null
}

# opt_summary_has() - Succeed if the start-up summary for some options has
# every one of some fixed strings
# $1:	Options, separated by spaces
# $@:	Strings, after the options
opt_summary_has() {
	# shellcheck disable=SC2086 # the options are meant to be split
	__sum=$(opt_summary $1)
	shift
	for __s in "$@"; do
		if ! echo "${__sum}" | grep -qF -- "${__s}"; then
			echo "missing '${__s}' in: ${__sum}"
			return 1
		fi
	done
}

# opt_summary_lacks() - Succeed if the start-up summary for some options
# lacks a fixed string, but is there
# $1:	Options, separated by spaces
# $2:	String
opt_summary_lacks() {
	# shellcheck disable=SC2086 # the options are meant to be split
	__sum=$(opt_summary $1)
	echo "${__sum}" | grep -qF "UDP forwarding" || return 1
	! echo "${__sum}" | grep -qF -- "$2"
}

# opt_dropped() - Succeed once a process no longer runs as root
# $1:	PID
opt_dropped() {
	[ "$(opt_status "$1" Uid)" != "0 0 0 0" ]
}

# opt_status() - Print a field of /proc/PID/status, tabs as spaces
# $1:	PID
# $2:	Field name
opt_status() {
	sed -n "s/^$2:[[:space:]]*//p" "/proc/$1/status" | tr '\t' ' '
}

# --help and --version

"${PASST}" --help >"${D}/help.out" 2>"${D}/help.err"
t_expect_eq help-exit-status "$?" 0
t_check help-on-stdout sh -c "grep -q -- '--tcp-ports SPEC' '${D}/help.out' &&
	grep -q -- '--map-host-loopback' '${D}/help.out' &&
	! test -s '${D}/help.err'"
"${PASST}" --version >"${D}/version.out" 2>&1
t_expect_eq version-exit-status "$?" 0
t_check version-text grep -q '^passt .' "${D}/version.out"

# Every long option in conf.c's table is in --help and in the manual page
opt_documented() {
	__opts=$(sed -n '/^static const struct option conf_opts/,/^};/p' \
		"${BASE_DIR}/conf.c" | \
		sed -n 's/^[[:space:]]*{ "\([a-z0-9-]*\)".*/\1/p')
	__help=$(grep -o -- '--[a-z0-9-]*' "${D}/help.out")
	__man=$(grep -o -- '\\-\\-[a-z0-9\\-]*' "${BASE_DIR}/doc/passt.1" | \
		sed 's/\\-/-/g')
	[ "$(echo "${__opts}" | wc -l)" -gt 40 ] || { echo "no table"; return 1; }
	for __o in ${__opts}; do
		echo "${__help}" | grep -qx -- "--${__o}" ||
			{ echo "--${__o} not in --help"; return 1; }
		echo "${__man}" | grep -qx -- "--${__o}" ||
			{ echo "--${__o} not in doc/passt.1"; return 1; }
	done
}
t_check options-documented opt_documented

# Bad command lines: name, text the one line must contain, options

set -f
while IFS='|' read -r name want opts; do
	[ -n "${name}" ] || continue
	# shellcheck disable=SC2086 # the options are meant to be split
	opt_bad "bad-${name}" "${want}" ${opts}
done <<EOF
unknown-long|--bogus: unknown option|--bogus
unknown-short|-Z: unknown option|-Z
unknown-in-cluster|-Z: unknown option|-1Z
missing-argument-long|--mtu: missing argument|--mtu
missing-argument-short|-a: missing argument|-a
stray-argument|unexpected argument 'stray'|stray
vhost-user|--vhost-user: not supported yet|--vhost-user
mtu-high|--mtu: 65521 out of range|--mtu 65521
mtu-low|--mtu: 67 out of range|-m 67
mtu-text|--mtu: '1500x' is not a number|-m 1500x
address-bad|--address: invalid address '192.0.2.256'|-a 192.0.2.256
address-text|--address: invalid address 'host'|--address host
address-prefix4|--address prefix length: 33 out of range|-a 192.0.2.1/33
address-prefix6|--address prefix length: 129 out of range|-a 2001:db8::1/129
address-prefix-text|--address prefix length: 'x' is not a number|-a 192.0.2.1/x
address-multicast|--address: 224.0.0.1 is a multicast|-a 224.0.0.1
address-loopback|--address: ::1 is a loopback|-a ::1
address-twice|--address: 192.0.2.9 given twice|-a 192.0.2.9 -a 192.0.2.9
netmask-holes|--netmask: 255.0.255.0 is not a contiguous|-n 255.0.255.0
netmask-long|--netmask: 33 out of range|-n 33
netmask-unused|--netmask: every IPv4 --address has a prefix|-a 192.0.2.9/24 -n 24
mac-bad|--mac-addr: invalid MAC address|-M 02:00:00:00:00
mac-text|--mac-addr: invalid MAC address|--mac-addr 02:00:00:00:00:zz
mac-multicast|--mac-addr: 01:00:5e:00:00:01 is a multicast|-M 01:00:5e:00:00:01
mac-zero|--mac-addr: 00:00:00:00:00:00 is all zeroes|-M 00:00:00:00:00:00
gateway-bad|--gateway: invalid address|-g 192.0.2
gateway-twice|--gateway: given twice for IPv4|-g 192.0.2.1 -g 192.0.2.3
gateway-is-guest|--gateway: same as a guest --address|-a 192.0.2.9 -g 192.0.2.9
ports-zero|--tcp-ports: '0': port out of range|-t 0
ports-high|--udp-ports: '65536': port out of range|-u 65536
ports-backwards|--tcp-ports: '90-80': range goes backwards|-t 90-80
ports-unequal|--tcp-ports: '80-81:90-92': host and guest ranges differ|-t 80-81:90-92
ports-exclude-map|--tcp-ports: '~22:23': exclusions take no guest port|-t ~22:23
ports-text|--tcp-ports: 'http': malformed|-t http
ports-empty-item|--udp-ports: empty item|-u 53,,54
ports-overlap|--tcp-ports: '85': overlaps an earlier item|-t 80-90,85
ports-overlap-specs|--tcp-ports: port 22 already forwarded|-t 22 -t 20-30:40-50
ports-all-and-port|--tcp-ports: 'all' can only be combined|-t all,22
ports-none-and-port|--tcp-ports: 'none' cannot be combined|-t none,22
ports-address|--tcp-ports: invalid address '192.0.2.256'|-t 192.0.2.256/22
ports-brackets|--tcp-ports: '[2001:db8::1': missing ']'|-t [2001:db8::1/22
ports-family|--tcp-ports: address family turned off by --ipv6-only|-6 -t 192.0.2.2/22
ipv4-and-ipv6|--ipv4-only and --ipv6-only: conflicting|-4 -6
ipv4-only-address|--address: IPv6 address with --ipv4-only|-4 -a 2001:db8::9
ipv6-only-dns|--dns: IPv4 address with --ipv6-only|-D 192.0.2.53 -6
quiet-debug|--quiet and --debug: conflicting|-q -d
dns-none-and-address|--dns: 'none' given with addresses|-D none -D 192.0.2.53
dns-too-many|--dns: more than 3 IPv4 servers|-D 192.0.2.1 -D 192.0.2.3 -D 192.0.2.4 -D 192.0.2.5
search-bad|--search: 'a..example' has an empty label|-S a..example
search-two-final-dots|--search: 'example.test..' has an empty label|-S example.test..
search-root|--search: '.' has an empty label|-S .
fqdn-empty-label|--fqdn: 'host..example.' has an empty label|--fqdn host..example.
hostname-bad|--hostname: 'bad!name' has an invalid character|-H bad!name
map-gw-conflict|--no-map-gw and --map-host-loopback: conflicting|--no-map-gw --map-host-loopback 192.0.2.9
fd-bad|--fd: 99 is not a usable descriptor|-F 99
fd-stdio|--fd: 2 is not a usable descriptor|--fd 2
interface-long|--interface: interface name 'averyveryverylongname' too long|-i averyveryverylongname
interface-missing|--interface: no interface named 'nosuch0'|-i nosuch0
no-family|No usable address family|-i lo
runas-unknown|--runas: no user named 'no-such-user-here'|--runas no-such-user-here
log-size-small|--log-size: 100 out of range|-l ${D}/bad/log --log-size 100
log-size-alone|--log-size: only applies with --log-file|--log-size 100000
socket-twice|--socket: given twice|--socket ${D}/bad/other
EOF
set +f

# Starting the way libvirt does: in the background, with a PID file, for
# one client. The parent exits once the socket listens and the PID file
# holds the daemon's PID.

sock="${D}/vm-net0.socket"
pid_file="${D}/vm-net0-passt.pid"
log="${D}/vm-net0.log"
ip netns exec "${NS_HOST}" "${PASST}" --one-off --socket "${sock}" \
	--pid "${pid_file}" --address 192.0.2.10 --netmask 24 \
	--interface up0 -t 2222:22 --log-file "${log}" -p "${D}/vm.pcap" \
	>"${D}/vm.out" 2>&1
t_expect_eq daemon-parent-exit-status "$?" 0
t_check daemon-parent-quiet sh -c "! test -s '${D}/vm.out'"
t_check daemon-socket-listens test -S "${sock}"
daemon=$(cat "${pid_file}" 2>/dev/null)
t_check daemon-pid-file sh -c "echo '${daemon}' | grep -qx '[0-9][0-9]*'"
t_expect_eq daemon-pid-is-passt "$(readlink "/proc/${daemon}/exe")" \
	"$(readlink -f "${PASST}")"
t_check daemon-pid-has-socket sh -c \
	"tr '\\0' ' ' < /proc/${daemon}/cmdline | grep -qF -- '${sock}'"
t_expect_eq daemon-own-session \
	"$(awk '{ print $6 }' "/proc/${daemon}/stat")" "${daemon}"
t_expect_eq daemon-stdin-null "$(readlink "/proc/${daemon}/fd/0")" /dev/null
t_expect_eq daemon-stderr-null "$(readlink "/proc/${daemon}/fd/2")" \
	/dev/null
if t_is_root; then
	t_expect_eq daemon-runs-as-nobody "$(opt_status "${daemon}" Uid)" \
		"65534 65534 65534 65534"
	t_expect_eq daemon-group-nobody "$(opt_status "${daemon}" Gid)" \
		"65534 65534 65534 65534"
	t_expect_eq daemon-no-groups "$(opt_status "${daemon}" Groups)" ""
fi
t_check daemon-log-summary opt_has "${log}" \
	"IPv4: template up0, address 192.0.2.10/24 (user), gateway 192.0.2.1"
t_check daemon-log-forwards opt_has "${log}" "TCP forwarding: 2222:22"
t_expect_eq daemon-pcap-header \
	"$(od -An -tx1 -N4 "${D}/vm.pcap" | tr -d ' ')" d4c3b2a1

# Its one client comes and goes: the daemon exits, and cleans up
"${SC}" "${sock}" sleep:100 >/dev/null 2>&1
t_check one-off-exits t_wait_for 50 opt_gone "${daemon}"
t_check one-off-socket-removed t_wait_for 20 test ! -e "${sock}"
t_check one-off-pid-file-removed t_wait_for 20 test ! -e "${pid_file}"
t_check one-off-logged opt_has "${log}" "Client closed the connection, exiting"

# SIGTERM ends a daemon cleanly too
ip netns exec "${NS_HOST}" "${PASST}" -s "${sock}" -P "${pid_file}" \
	-l "${log}" >/dev/null 2>&1
daemon=$(cat "${pid_file}" 2>/dev/null)
kill -TERM "${daemon}" 2>/dev/null
t_check sigterm-exits t_wait_for 50 opt_gone "${daemon}"
t_check sigterm-socket-removed t_wait_for 20 test ! -e "${sock}"
t_check sigterm-pid-file-removed t_wait_for 20 test ! -e "${pid_file}"

# In the foreground, the PID file holds the daemon's own PID
ip netns exec "${NS_HOST}" "${PASST}" -f -s "${sock}" -P "${pid_file}" \
	>/dev/null 2>&1 &
fg=$!
t_wait_for 50 test -s "${pid_file}"
t_expect_eq foreground-pid-file "$(cat "${pid_file}" 2>/dev/null)" "${fg}"
kill "${fg}"
wait "${fg}"
t_expect_eq foreground-sigterm-status "$?" 0

# --runas as root: numbers or names; without root, no switching
if t_is_root; then
	ip netns exec "${NS_HOST}" "${PASST}" -f -s "${sock}" --runas 1:2 \
		>/dev/null 2>&1 &
	fg=$!
	t_wait_for 50 test -S "${sock}"
	t_wait_for 30 opt_dropped "${fg}"
	t_expect_eq runas-uid "$(opt_status "${fg}" Uid)" "1 1 1 1"
	t_expect_eq runas-gid "$(opt_status "${fg}" Gid)" "2 2 2 2"
	kill "${fg}"
	wait "${fg}"

	ip netns exec "${NS_HOST}" "${PASST}" -f -s "${sock}" \
		--runas daemon:bin >/dev/null 2>&1 &
	fg=$!
	t_wait_for 50 test -S "${sock}"
	t_wait_for 30 opt_dropped "${fg}"
	uid=$(id -u daemon)
	gid=$(getent group bin | cut -d: -f3)
	t_expect_eq runas-names-uid "$(opt_status "${fg}" Uid)" \
		"${uid} ${uid} ${uid} ${uid}"
	t_expect_eq runas-names-gid "$(opt_status "${fg}" Gid)" \
		"${gid} ${gid} ${gid} ${gid}"
	kill "${fg}"
	wait "${fg}"

	# Started by another user, the daemon stays that user
	ip netns exec "${NS_HOST}" setpriv --reuid=65534 --regid=65534 \
		--clear-groups "${PASST}" -f -s "${D}/user.sock" \
		>/dev/null 2>&1 &
	fg=$!
	t_wait_for 50 test -S "${D}/user.sock"
	t_expect_eq non-root-stays "$(opt_status "${fg}" Uid)" \
		"65534 65534 65534 65534"
	kill "${fg}"
	wait "${fg}"

	err=$(ip netns exec "${NS_HOST}" setpriv --reuid=65534 \
		--regid=65534 --clear-groups "${PASST}" -f \
		-s "${D}/user2.sock" --runas 0 2>&1)
	t_expect_eq runas-needs-root "$?" 1
	t_check runas-needs-root-says sh -c "echo '${err}' | grep -qF -- \
		'--runas: only root can switch to another user'"
fi

# The log size cap: clients coming and going fill the log with lines well
# past the cap; the file stays within it, keeps its first line and the
# newest messages
ip netns exec "${NS_HOST}" "${PASST}" -f -d -s "${D}/cap.sock" \
	-l "${D}/cap.log" --log-size 40960 >/dev/null 2>&1 &
fg=$!
t_wait_for 50 test -S "${D}/cap.sock"
i=0
while [ ${i} -lt 600 ]; do
	"${SC}" "${D}/cap.sock" sleep:0 >/dev/null 2>&1
	i=$((i + 1))
done
"${SC}" "${D}/cap.sock" sleep:100 >/dev/null 2>&1
t_wait_for 30 sh -c "tail -n 1 '${D}/cap.log' | grep -q 'waiting for a new one'"
size=$(stat -c %s "${D}/cap.log")
t_check log-size-capped sh -c "[ ${size} -le 40960 ] && [ ${size} -gt 20000 ]"
t_check log-size-header sh -c "head -n 1 '${D}/cap.log' | grep -q '^passt .*: log started$'"
t_check log-size-oldest-dropped sh -c "! grep -q 'MAC 9a:55' '${D}/cap.log'"
t_check log-size-newest-kept sh -c "tail -n 1 '${D}/cap.log' | grep -q 'Client closed the connection'"
kill "${fg}"
wait "${fg}"

# Defaults from the host: the harness's daemon copied the template
# interface, its addresses with prefix lengths, the gateways, and DNS
ll=$(ns_host ip -6 addr show dev up0 scope link | \
	sed -n 's/.*inet6 \([^/]*\)\/.*/\1/p')
t_check host-ipv4 opt_has "${PASST_LOG}" \
	"IPv4: template up0, address ${HOST_ADDR4}/24 (host), gateway ${GW4}, host loopback as ${GW4}"
t_check host-ipv6 opt_has "${PASST_LOG}" \
	"IPv6: template up0, address ${HOST_ADDR6}/64 (host), gateway ${GW6}, our link-local ${ll}, host loopback as ${GW6}"
t_check host-dns opt_has "${PASST_LOG}" "DNS: ${DNS4}, ${DNS6}"
t_check host-search opt_has "${PASST_LOG}" "DNS search: ${SEARCH}"
t_check host-mac-mtu opt_has "${PASST_LOG}" "MAC 9a:55:9a:55:9a:55, MTU 65520"

# Options override the host
t_check override-address opt_summary_has \
	"-a 198.51.100.7/25 -a 2001:db8:9::7 -a 198.51.100.8 -n 26 -g 198.51.100.1" \
	"IPv4: template up0, address 198.51.100.7/25 (user), 198.51.100.8/26 (user), gateway 198.51.100.1" \
	"IPv6: template up0, address 2001:db8:9::7/64 (user), gateway ${GW6}"
t_check override-netmask opt_summary_has "-n 255.255.0.0" \
	"address ${HOST_ADDR4}/16 (host)"
t_check override-dns opt_summary_has \
	"-D 192.0.2.99 -D 2001:db8::99 -S one.test -S two.test" \
	"DNS: 192.0.2.99, 2001:db8::99" "DNS search: one.test, two.test"
# A final dot is the root label, and valid
t_check override-final-dots opt_summary_has \
	"-S example.test. -S one.test -H host --fqdn host.example." \
	"DNS search: example.test., one.test" \
	"Host name: host, FQDN: host.example."
t_check override-mtu-mac opt_summary_has "-m 1500 -M 02:11:22:33:44:55" \
	"MAC 02:11:22:33:44:55, MTU 1500"
t_check override-no-dns opt_summary_has "-D none -S none" \
	"DNS: none" "DNS search: none"
t_check override-no-dhcp-dns opt_summary_has "--no-dhcp-dns --no-dhcp-search" \
	"DNS: none" "DNS search: none"
t_check override-ipv4-only opt_summary_has "-4" "IPv6: disabled" \
	"IPv4: template up0"
t_check override-ipv6-only opt_summary_has "-6" "IPv4: disabled" \
	"IPv6: template up0"
t_check override-map-loopback opt_summary_has \
	"--map-host-loopback 192.0.2.77 --map-guest-addr 192.0.2.78" \
	"gateway ${GW4}, host loopback as 192.0.2.77, host address as 192.0.2.78"
t_check override-no-map-gw opt_summary_lacks "--no-map-gw" "host loopback"
t_check override-dns-forward opt_summary_has "--dns-forward 192.0.2.77" \
	"DNS: 192.0.2.77" "IPv4: DNS queries to 192.0.2.77 go to ${DNS4}"
t_check override-dns-host opt_summary_has \
	"--dns-forward 192.0.2.77 --dns-host 192.0.2.53" \
	"IPv4: DNS queries to 192.0.2.77 go to 192.0.2.53"
t_check override-forwards opt_summary_has \
	"-t 2222:22,8000-8009:9000-9009,~8005 -u 192.0.2.2%up0/53" \
	"TCP forwarding: 2222:22, 8000-8004:9000-9004, 8006-8009:9006-9009" \
	"UDP forwarding: 192.0.2.2%up0/53"
t_check override-forwards-weak opt_summary_has "-t ~1-1023" \
	"TCP forwarding: 1024-" "(weak)" "UDP forwarding: none"

# A loopback resolver on the host: the guest asks the gateway, and those
# queries go to the resolver
cp "/etc/netns/${NS_HOST}/resolv.conf" "${D}/resolv.conf"
printf 'nameserver 127.0.0.53\nnameserver ::1\nsearch lo.test\n' \
	> "/etc/netns/${NS_HOST}/resolv.conf"
t_check dns-loopback opt_summary_has "" \
	"DNS: ${GW4}, ${GW6}" "IPv4: DNS queries to ${GW4} go to 127.0.0.53" \
	"IPv6: DNS queries to ${GW6} go to ::1" "DNS search: lo.test"
t_check dns-loopback-no-map opt_summary_has "--no-map-gw" ": DNS: none"
cp "${D}/resolv.conf" "/etc/netns/${NS_HOST}/resolv.conf"

# A link-local IPv6 gateway is also our link-local address
ns_host ip -6 route replace default via fe80::1 dev up0
t_check gateway-link-local opt_summary_has "" \
	"gateway fe80::1, our link-local fe80::1,"
ns_host ip -6 route replace default via "${GW6}" dev up0

# No default route for a family, no template: the family is off
ns_host ip -6 route del default
t_check no-route-family-off opt_summary_has "" "IPv6: disabled"
t_check no-route-user-address opt_summary_has "-a 2001:db8:9::7" \
	"IPv6: template none, address 2001:db8:9::7/64 (user), gateway none"
ns_host ip -6 route add default via "${GW6}" dev up0
