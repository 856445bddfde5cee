#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# QEMU guests on the stream socket: the test guest (test/guest/) boots in
# QEMU attached with -netdev stream to the daemon in NS_HOST, and each step
# is checked by what the guest prints: its virtio link, the DHCP lease, the
# SLAAC address and route, pings to the gateway, a name resolved through
# --dns-forward (by a dnsmasq outside), a file fetched from NS_HOST through
# the gateway address, and one fetched from the guest through -t. Then QEMU
# exits, and a second guest must be served by the same daemon.
#
# A new guest step is one guest_run and one check of what it printed.

. "${TEST_DIR}/lib/ns.sh"
. "${TEST_DIR}/lib/guest.sh"

# The guest's resolver, which the daemon forwards to NS_HOST's (DNS4, a
# dnsmasq in NS_NET), and a name that resolver knows
DNS_FWD=192.0.2.77
DNS_NAME=www.example.test
DNS_NAME_ADDR=192.0.2.80

# What the daemon hands out: NS_HOST's addresses and routes (test/lib/ns.sh)
LEASE_EXPECTED="ip=${HOST_ADDR4}
mask=24
router=${GW4}
dns=${DNS_FWD}
search=${SEARCH}
mtu=65520"

# lease_fields() - Print the lease lines the checks compare, in a fixed order
# $1:	Output of the agent's dhcp4
lease_fields() {
	for __f in ip mask router dns search mtu; do
		echo "$1" | grep "^${__f}="
	done
}

# Web servers: one in NS_HOST, reached by the guest at the gateway address,
# and one in the guest, reached from NS_HOST through -t
HTTP_PORT=8080
FWD_PORT=10080

# qemu_boot() - Boot a guest on the daemon's socket, check it came up with
# its virtio link, and that the daemon took QEMU as its client
# $1:	Prefix for test names
qemu_boot() {
	if ! guest_start "${PASST_SOCK}"; then
		t_fail "$1boot" "$(guest_console | tail -n 3 | tr '\n' ' ')"
		return 1
	fi
	t_ok "$1boot"
	t_expect_eq "$1virtio-net" \
		"$(guest_run 10 cat /sys/class/net/eth0/address)" "${GUEST_MAC}"
	t_check "$1client" guest_connected "${PASST_SOCK}"
	t_check "$1client-logged" t_wait_for 50 \
		grep -q "Client connected (pid ${GUEST_PID})" "${PASST_LOG}"
}

# qemu_dhcp() - Get a lease in the guest, check what it says
# $1:	Prefix for test names
qemu_dhcp() {
	__out=$(guest_run 30 dhcp4)
	t_expect_eq "$1dhcp" "$(lease_fields "${__out}")" "${LEASE_EXPECTED}"
}

# qemu_ipv6() - Check the guest's SLAAC address, derived from its MAC, and
# its default route, through the daemon's link-local address
qemu_ipv6() {
	__out=$(guest_run 30 slaac6)
	t_expect_eq slaac-address \
		"$(echo "${__out}" | sed -n 's/.* inet6 \([^ ]*\) .*/\1/p')" \
		"2001:db8:1:0:5054:ff:fe0d:e01/64"
	t_expect_eq slaac-route \
		"$(echo "${__out}" | grep '^default via fe80:' | cut -d' ' -f4-5)" \
		"dev eth0"
}

# qemu_ping() - Ping an address from the guest, check the reply came from it
# $1:	Test name
# $2:	ping or ping6
# $3:	Address
qemu_ping() {
	__out=$(guest_run 15 "$2" -c 1 -W 5 "$3")
	if echo "${__out}" | grep -q "^64 bytes from $3: "; then
		t_ok "$1"
	else
		t_fail "$1" "$(echo "${__out}" | tail -n 2 | tr '\n' ' ')"
	fi
}

# qemu_dns() - Resolve a name in the guest, check the answer: the query
# goes to the forwarding address, the daemon sends it on to the host's
# resolver
qemu_dns() {
	__out=$(guest_run 20 nslookup -type=A "${DNS_NAME}")
	t_expect_eq dns-forward "$(echo "${__out}" | sed -n 's/^Address: //p')" \
		"${DNS_NAME_ADDR}"
}

# qemu_http_from_host() - Fetch a file from NS_HOST's web server in the
# guest, through the gateway address: check the contents arrived whole
qemu_http_from_host() {
	t_expect_eq http-from-host \
		"$(guest_fetch_md5 "http://${GW4}:${HTTP_PORT}/data")" \
		"$(md5sum < "${STATE}/www/data")"
}

# qemu_http_to_guest() - Fetch a file from the guest's web server, from
# NS_HOST through the daemon's -t forward
qemu_http_to_guest() {
	if ! guest_httpd 80 ||
	   ! guest_run 10 "echo served-by-guest > /www/hello"; then
		t_fail http-to-guest "can't start httpd in the guest"
		return
	fi
	t_expect_eq http-to-guest \
		"$(guest_host_fetch "http://127.0.0.1:${FWD_PORT}/hello")" \
		"served-by-guest"
}

if ! __out=$(guest_build 2>&1); then
	t_fail guest-image "$(echo "${__out}" | tail -n 3 | tr '\n' ' ')"
	exit 0
fi
ns_create || { t_fail netns "can't set up namespaces"; exit 0; }
trap 'guest_cleanup; ns_teardown' EXIT

# The host's resolver: dnsmasq goes to the background once it listens
ns_net ip addr add "${DNS4}/32" dev lo &&
ns_net dnsmasq --no-resolv --no-hosts --bind-interfaces --user=root \
	--pid-file= --listen-address="${DNS4}" \
	--address="/${DNS_NAME}/${DNS_NAME_ADDR}" ||
	{ t_fail dns-server "can't start dnsmasq"; exit 0; }

# 1 MiB that can't be told from noise, for the host's web server
mkdir -p "${STATE}/www" &&
head -c 1048576 /dev/urandom > "${STATE}/www/data" &&
guest_host_httpd "${HTTP_PORT}" "${STATE}/www" ||
	{ t_fail http-server "can't start httpd"; exit 0; }

ns_passt_start --dns-forward "${DNS_FWD}" -t "${FWD_PORT}:80" ||
	{ t_fail daemon "$(tail -n 3 "${PASST_LOG}")"; exit 0; }

if qemu_boot ""; then
	qemu_dhcp ""
	qemu_ipv6
	qemu_ping ping-gateway4 ping "${GW4}"
	qemu_ping ping-gateway6 ping6 "${GW6}"
	qemu_dns
	qemu_http_from_host
	qemu_http_to_guest
fi
guest_cleanup

# The daemon outlives its client, and serves the next one
t_check daemon-survives-guest ns_passt_alive
t_check client-left-logged \
	grep -q "Client closed the connection, waiting" "${PASST_LOG}"
qemu_boot second- && qemu_dhcp second-
