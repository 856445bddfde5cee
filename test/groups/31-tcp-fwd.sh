#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Inbound TCP forwarding (-t), IPv4 and IPv6: each form of port spec, the
# source address the guest sees (the host's loopback appears as the
# gateway), 200 MiB each way through a forwarded port, connections
# refused for excluded and unforwarded ports, and bad specs refused at
# start.

. "${TEST_DIR}/lib/ns.sh"

X="${TOOLS}/tcpxfer"
BULK=209715200		# 200 MiB

# fwd_guest() - Run a command in the guest, with a time limit
# $@:	Command and arguments
fwd_guest() {
	timeout 120 ip netns exec "${NS_GUEST}" "$@"
}

# fwd_host() - Run a command in the daemon's namespace, with a time limit
# $@:	Command and arguments
fwd_host() {
	timeout 120 ip netns exec "${NS_HOST}" "$@"
}

# fwd_server() - Start a tcpxfer server in the guest and wait until it
# listens; its PID is left in SRV_PID
# $1:	Output file
# $@:	tcpxfer arguments after the output file
fwd_server() {
	__out="$1"
	shift
	: > "${__out}"
	fwd_guest "${X}" "$@" > "${__out}" 2>&1 &
	SRV_PID=$!
	t_wait_for 50 grep -q listening "${__out}"
}

# fwd_hash() - The hash of a "wrote" or "read" line in a tcpxfer output
# $1:	Output file
# $2:	wrote or read
fwd_hash() {
	grep "^$2 " "$1" | tail -n 1 | cut -d' ' -f2,3
}

# fwd_one() - A short transfer from a host client through a forwarded port
# to a guest server: the bytes and the peer address the guest sees
# $1:	Test name
# $2:	ns_host or ns_net: where the client runs
# $3:	Address the client connects to
# $4:	Host port
# $5:	Guest address the server listens on
# $6:	Guest port
# $7:	Peer address the guest must see
fwd_one() {
	__s="${STATE}/one-srv" __c="${STATE}/one-cli"
	fwd_server "${__s}" listen "$5" "$6" r
	if [ "$2" = ns_host ]; then
		fwd_host "${X}" connect "$3" "$4" w:100000:5 s > "${__c}" 2>&1
	else
		timeout 60 ip netns exec "${NS_NET}" "${X}" connect "$3" "$4" \
			w:100000:5 s > "${__c}" 2>&1
	fi
	wait "${SRV_PID}"
	if [ "$(fwd_hash "${__s}" read)" = "$(fwd_hash "${__c}" wrote)" ] &&
	   grep -qx "peer $7" "${__s}" && [ -n "$(fwd_hash "${__s}" read)" ]
	then
		t_ok "$1"
	else
		t_fail "$1" "$(cat "${__s}" "${__c}" | tr '\n' ' ')"
	fi
}

# fwd_refused() - A connection to a host port is refused
# $1:	Test name
# $2:	Address
# $3:	Port
fwd_refused() {
	t_expect_eq "$1" "$(fwd_host "${X}" connect "$2" "$3" 2>&1)" \
		"connect Connection refused"
}

# fwd_bulk() - 200 MiB one way through a forwarded port, by content hash
# $1:	Test name
# $2:	Host address to connect to
# $3:	Guest address to listen on
# $4:	in (host client sends) or out (guest server sends)
fwd_bulk() {
	__s="${STATE}/bulk-srv" __c="${STATE}/bulk-cli"
	if [ "$4" = in ]; then
		fwd_server "${__s}" listen "$3" 6001 r
		fwd_host "${X}" connect "$2" 6001 "w:${BULK}" s > "${__c}" 2>&1
		wait "${SRV_PID}"
		t_expect_eq "$1" "$(fwd_hash "${__s}" read)" \
			"$(fwd_hash "${__c}" wrote)"
	else
		fwd_server "${__s}" listen "$3" 6001 "w:${BULK}" s r
		fwd_host "${X}" connect "$2" 6001 r > "${__c}" 2>&1
		wait "${SRV_PID}"
		t_expect_eq "$1" "$(fwd_hash "${__c}" read)" \
			"$(fwd_hash "${__s}" wrote)"
	fi
}

# fwd_bad_spec() - The daemon refuses a spec at start, naming the option
# $1:	Test name
# $2:	Spec
fwd_bad_spec() {
	__out=$("${PASST}" -f -s "${STATE}/bad.socket" -t "$2" 2>&1)
	__rc=$?
	if [ ${__rc} -eq 1 ] && echo "${__out}" | grep -q -- "-t"; then
		t_ok "$1"
	else
		t_fail "$1" "exit ${__rc}: ${__out}"
	fi
}

ns_setup -t 6001 -t 6010-6012 -t "${HOST_ADDR4}/6020" \
	-t "${HOST_ADDR6}/6021" -t 6030:7030 -t 6040-6041:7040-7041 \
	-t 6050-6052,~6051 || { t_fail setup "ns_setup failed"; exit 1; }
ns_guest ip addr add "${HOST_ADDR4}/24" dev tap0 &&
ns_guest ip addr add "${HOST_ADDR6}/64" dev tap0 nodad &&
ns_guest ip route add default via "${GW4}" &&
ns_guest ip -6 route add default via "${GW6}" ||
	{ t_fail setup "guest setup failed"; exit 1; }

for fam in 4 6; do
	if [ ${fam} = 4 ]; then
		lo=127.0.0.1 any=0.0.0.0 gw=${GW4} host=${HOST_ADDR4}
		net=192.0.2.1
	else
		lo=::1 any=:: gw=${GW6} host=${HOST_ADDR6} net=2001:db8:1::1
	fi

	fwd_one "port-ipv${fam}" ns_host "${lo}" 6001 "${any}" 6001 "${gw}"
	fwd_one "range-ipv${fam}" ns_host "${lo}" 6012 "${any}" 6012 "${gw}"
	fwd_one "port-map-ipv${fam}" ns_host "${lo}" 6030 "${any}" 7030 \
		"${gw}"
	fwd_one "range-map-ipv${fam}" ns_host "${lo}" 6041 "${any}" 7041 \
		"${gw}"
	fwd_one "range-excl-ipv${fam}" ns_host "${lo}" 6052 "${any}" 6052 \
		"${gw}"
	fwd_refused "excluded-port-ipv${fam}" "${lo}" 6051
	fwd_refused "unforwarded-port-ipv${fam}" "${lo}" 6099
	fwd_one "remote-peer-ipv${fam}" ns_net "${host}" 6001 "${any}" 6001 \
		"${net}"
	fwd_bulk "bulk-in-ipv${fam}" "${lo}" "${any}" in
	fwd_bulk "bulk-out-ipv${fam}" "${lo}" "${any}" out
done

# ADDR/PORT listens on that address only
fwd_one addr-port-ipv4 ns_net "${HOST_ADDR4}" 6020 0.0.0.0 6020 192.0.2.1
fwd_refused addr-port-only-ipv4 127.0.0.1 6020
fwd_one addr-port-ipv6 ns_net "${HOST_ADDR6}" 6021 :: 6021 2001:db8:1::1
fwd_refused addr-port-only-ipv6 ::1 6021

# A connection the guest refuses is reset for the host client
t_check no-guest-server-ipv4 sh -c "timeout 30 ip netns exec ${NS_HOST} \
	${X} connect 127.0.0.1 6010 R | grep -q '^reset 0$'"

fwd_bad_spec overlap 5000-5010,5005
fwd_bad_spec out-of-range 70000
fwd_bad_spec port-zero 0

t_check daemon-alive ns_passt_alive
