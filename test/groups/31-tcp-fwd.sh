#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Inbound TCP forwarding (-t), IPv4 and IPv6: each form of port spec, the
# source address the guest sees (the host's loopback appears as the
# gateway), 200 MiB each way through a forwarded port, connections
# refused for excluded and unforwarded ports, bad specs refused at start,
# and --freebind for an address the host lacks.

. "${TEST_DIR}/lib/ns.sh"
. "${TEST_DIR}/lib/xfer.sh"

BULK=209715200		# 200 MiB

# fwd_one() - 100 kB from a host client through a forwarded port to a
# guest server, see xfer_one()
# $1:	Test name
# $2:	ns_host or ns_net: where the client runs
# $3:	Address the client connects to
# $4:	Host port
# $5:	Guest address the server listens on
# $6:	Guest port
# $7:	Peer address the guest must see
fwd_one() {
	__ns="${NS_NET}"
	[ "$2" = ns_host ] && __ns="${NS_HOST}"
	xfer_one "$1" "${NS_GUEST}" "$5" "$6" "${__ns}" "$3" "$4" "$7"
}

# fwd_refused() - A connection from the daemon's namespace is refused
# $1:	Test name
# $2:	Address
# $3:	Port
fwd_refused() {
	xfer_refused "$1" "${NS_HOST}" "$2" "$3"
}

# fwd_bulk() - BULK bytes one way through forwarded port 6001
# $1:	Test name
# $2:	Host address to connect to
# $3:	Guest address to listen on
# $4:	send (the host client sends) or recv (the guest server sends)
fwd_bulk() {
	xfer_bulk "$1" "${NS_GUEST}" "$3" "${NS_HOST}" "$2" 6001 "${BULK}" "$4"
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

# fwd_freebind_listens() - Succeed if the daemon's namespace listens on
# 198.51.100.99:6060, an address it doesn't have
fwd_freebind_listens() {
	ns_host ss -Htln | grep -q "198.51.100.99:6060 "
}

# fwd_freebind() - -t on an address the host lacks: refused at start, with
# the port named, unless --freebind is given
fwd_freebind() {
	__spec=198.51.100.99/6060 __sock="${STATE}/freebind.socket"
	__out=$(ns_host "${PASST}" -f -s "${__sock}" -t "${__spec}" 2>&1)
	__rc=$?
	if [ ${__rc} -eq 1 ] &&
	   echo "${__out}" | grep -q -- "-t: can't listen on port 6060"; then
		t_ok freebind-needed
	else
		t_fail freebind-needed "exit ${__rc}: ${__out}"
	fi

	ip netns exec "${NS_HOST}" "${PASST}" -f -s "${__sock}" --freebind \
		-t "${__spec}" > "${STATE}/freebind.log" 2>&1 &
	__pid=$!
	t_check freebind t_wait_for 50 fwd_freebind_listens
	ns_kill "${__pid}"
}

ns_setup -t 6001 -t 6010-6012 -t "${HOST_ADDR4}/6020" \
	-t "${HOST_ADDR6}/6021" -t 6030:7030 -t 6040-6041:7040-7041 \
	-t 6050-6052,~6051 || { t_fail setup "ns_setup failed"; exit 1; }
ns_guest_static ||
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
	fwd_bulk "bulk-in-ipv${fam}" "${lo}" "${any}" send
	fwd_bulk "bulk-out-ipv${fam}" "${lo}" "${any}" recv
done

# ADDR/PORT listens on that address only
fwd_one addr-port-ipv4 ns_net "${HOST_ADDR4}" 6020 0.0.0.0 6020 192.0.2.1
fwd_refused addr-port-only-ipv4 127.0.0.1 6020
fwd_one addr-port-ipv6 ns_net "${HOST_ADDR6}" 6021 :: 6021 2001:db8:1::1
fwd_refused addr-port-only-ipv6 ::1 6021

# A connection the guest refuses is reset for the host client
t_check no-guest-server-ipv4 sh -c "timeout 30 ip netns exec ${NS_HOST} \
	${XFER} connect 127.0.0.1 6010 R | grep -q '^reset 0$'"

fwd_bad_spec overlap 5000-5010,5005
fwd_bad_spec out-of-range 70000
fwd_bad_spec port-zero 0
fwd_freebind

t_check daemon-alive ns_passt_alive
