#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Link protocols seen from a guest: DHCP with busybox udhcpc, router
# advertisements and SLAAC, DHCPv6 with dhclient, ARP and NDP resolution of
# the gateway, echo to the gateway through the host's loopback, options
# that override what the host has, and malformed DHCP that must leave the
# daemon serving. Every check compares content with what was configured.

. "${TEST_DIR}/lib/ns.sh"

OUR_MAC=9a:55:9a:55:9a:55
HOSTNAME=guest1
FQDN=guest1.example.test

# link_scripts() - Write the DHCP client scripts into ${STATE}: each records
# what its client got, one VAR=value a line, and configures the address
link_scripts() {
	cat > "${STATE}/udhcpc.sh" <<'EOS'
#!/bin/sh
case "$1" in
bound|renew)
	for v in ip mask subnet router dns domain search mtu hostname \
		 staticroutes lease serverid; do
		eval "echo $v=\"\${$v}\""
	done > "${LINK_OUT}"
	ip addr flush dev "${interface}" scope global
	ip addr add "${ip}/${mask}" dev "${interface}"
	;;
esac
exit 0
EOS
	cat > "${STATE}/dhclient6.sh" <<'EOS'
#!/bin/sh
case "${reason}" in
BOUND6|RENEW6|REBIND6|REBOOT6)
	for v in new_ip6_address new_ip6_prefixlen new_dhcp6_name_servers \
		 new_dhcp6_domain_search; do
		eval "echo $v=\"\${$v}\""
	done > "${LINK_OUT}"
	ip -6 addr add "${new_ip6_address}/${new_ip6_prefixlen}" \
		dev "${interface}" nodad
	;;
esac
exit 0
EOS
	chmod 755 "${STATE}/udhcpc.sh" "${STATE}/dhclient6.sh"
}

# link_udhcpc() - Get a lease with udhcpc in the guest, into ${STATE}/dhcp4
link_udhcpc() {
	rm -f "${STATE}/dhcp4"
	ns_guest env LINK_OUT="${STATE}/dhcp4" busybox udhcpc -i tap0 -f -q \
		-n -t 3 -T 1 -F "${FQDN}" -s "${STATE}/udhcpc.sh" \
		>"${STATE}/udhcpc.log" 2>&1
}

# link_val() - Value of a variable recorded by a client script
# $1:	File
# $2:	Variable name
link_val() {
	sed -n "s/^$2=//p" "$1" 2>/dev/null
}

# link_has_line() - Succeed if a file has a line, exactly
# $1:	File
# $2:	Line
link_has_line() {
	grep -qxF -- "$2" "$1" || { echo "no line '$2' in: $(cat "$1")"; false; }
}

# link_neigh_mac() - MAC address the guest resolved for an address
# $1:	Address
link_neigh_mac() {
	ns_guest ip neigh show "$1" dev tap0 | \
		sed -n 's/.* lladdr \([0-9a-f:]*\).*/\1/p'
}

# link_slaac_addr() - The guest's global address on tap0 from SLAAC
link_slaac_addr() {
	ns_guest ip -6 -o addr show dev tap0 scope global | \
		awk '/dynamic/ { print $4; exit }'
}

# link_slaac_ok() - Succeed if SLAAC formed an address in the host's /64
link_slaac_ok() {
	case "$(link_slaac_addr)" in
	2001:db8:1:0:*/64) return 0 ;;
	esac
	return 1
}

# Nothing but names given: address, prefix, gateway, DNS servers and
# search list come from the host namespace, and the guest must get exactly
# what the host has
ns_setup -H "${HOSTNAME}" --fqdn "${FQDN}" || {
	t_fail setup "ns_setup failed"; exit 1; }
link_scripts

# Our link-local address: the gateway is global, so the daemon speaks from
# the host's own link-local address on the template interface
OUR_LL=$(ns_host ip -6 addr show dev up0 scope link | \
	sed -n 's/.*inet6 \([^/]*\)\/.*/\1/p')

# DHCP: the host's address, gateway, resolver and search list
if link_udhcpc; then
	t_ok dhcp4-lease
else
	t_fail dhcp4-lease "$(tail -n 3 "${STATE}/udhcpc.log")"
fi
D="${STATE}/dhcp4"
t_expect_eq dhcp4-address "$(link_val "$D" ip)" "${HOST_ADDR4}"
t_expect_eq dhcp4-mask "$(link_val "$D" mask)" 24
t_expect_eq dhcp4-router "$(link_val "$D" router)" "${GW4}"
t_expect_eq dhcp4-dns "$(link_val "$D" dns)" "${DNS4}"
t_expect_eq dhcp4-domain "$(link_val "$D" domain)" "${SEARCH}"
t_expect_eq dhcp4-search "$(link_val "$D" search)" "${SEARCH}"
t_expect_eq dhcp4-mtu "$(link_val "$D" mtu)" 65520
t_expect_eq dhcp4-hostname "$(link_val "$D" hostname)" "${HOSTNAME}"
t_expect_eq dhcp4-server "$(link_val "$D" serverid)" "${GW4}"
t_expect_eq dhcp4-lease-time "$(link_val "$D" lease)" 4294967295
t_expect_eq dhcp4-no-routes "$(link_val "$D" staticroutes)" ""

# ARP for the gateway, and echo to it: the host's loopback answers
if ns_guest busybox ping -c 1 -W 2 "${GW4}" >"${STATE}/ping4" 2>&1 &&
   grep -q "bytes from ${GW4}: seq=0" "${STATE}/ping4"; then
	t_ok ping4-gateway
else
	t_fail ping4-gateway "$(tail -n 2 "${STATE}/ping4")"
fi
t_expect_eq arp-gateway "$(link_neigh_mac "${GW4}")" "${OUR_MAC}"

# Router advertisement: content, then SLAAC and the default route
t_wait_for 50 ns_dad_done "${NS_GUEST}"
ns_guest "${TOOLS}/ra_probe" tap0 5 >"${STATE}/ra" 2>&1
for line in "router ${OUR_LL}" "hoplimit 255" "managed 1" "other 0" \
	    "slla ${OUR_MAC}" "mtu 65520" \
	    "prefix 2001:db8:1::/64 1 1 4294967295 4294967295" \
	    "rdnss ${DNS6} 4294967295" "dnssl ${SEARCH} 4294967295"; do
	t_check "ra-${line%% *}" link_has_line "${STATE}/ra" "${line}"
done
if t_wait_for 50 link_slaac_ok; then
	t_ok slaac-address
else
	t_fail slaac-address "got '$(link_slaac_addr)'"
fi
t_check ra-default-route sh -c "ip netns exec ${NS_GUEST} ip -6 route \
	show default | grep -q 'via ${OUR_LL} dev tap0'"

# DHCPv6: the host's address as a /128, with DNS and search list
rm -f "${STATE}/dhcp6"
ns_guest timeout 20 dhclient -6 -1 -v -e LINK_OUT="${STATE}/dhcp6" \
	-lf "${STATE}/dhclient6.leases" -pf "${STATE}/dhclient6.pid" \
	-sf "${STATE}/dhclient6.sh" tap0 >"${STATE}/dhclient6.log" 2>&1
D6="${STATE}/dhcp6"
t_expect_eq dhcp6-address "$(link_val "$D6" new_ip6_address)" \
	"${HOST_ADDR6}"
t_expect_eq dhcp6-prefixlen "$(link_val "$D6" new_ip6_prefixlen)" 128
t_expect_eq dhcp6-dns "$(link_val "$D6" new_dhcp6_name_servers)" "${DNS6}"
t_expect_eq dhcp6-search "$(link_val "$D6" new_dhcp6_domain_search)" \
	"${SEARCH}."
t_check dhcp6-address-set sh -c "ip netns exec ${NS_GUEST} ip -6 addr \
	show dev tap0 | grep -q 'inet6 ${HOST_ADDR6}/128'"
[ -f "${STATE}/dhclient6.pid" ] && ns_kill "$(cat "${STATE}/dhclient6.pid")"

# NDP for the gateway, and echo to it through the host's loopback
if ns_guest busybox ping6 -c 1 -W 2 "${GW6}" >"${STATE}/ping6" 2>&1 &&
   grep -q "bytes from ${GW6}: seq=0" "${STATE}/ping6"; then
	t_ok ping6-gateway
else
	t_fail ping6-gateway "$(tail -n 2 "${STATE}/ping6")"
fi
t_expect_eq ndp-gateway "$(link_neigh_mac "${GW6}")" "${OUR_MAC}"

# Malformed DHCP: the daemon keeps running and answers the next client
t_expect_eq dhcp4-abuse-sent "$(ns_guest "${TOOLS}/dhcp_raw" tap0)" 6
if ns_passt_alive && link_udhcpc &&
   [ "$(link_val "${STATE}/dhcp4" ip)" = "${HOST_ADDR4}" ]; then
	t_ok dhcp4-after-abuse
else
	t_fail dhcp4-after-abuse "$(tail -n 3 "${PASST_LOG}")"
fi

# Options override what the host has: address, gateway (off the subnet,
# so with classless routes), DNS, search list, MTU
ns_kill "${PASST_PID}"
if ns_passt_start -a 192.0.2.77 -n 24 -g 198.51.100.1 \
		  -D 198.51.100.99 -D 2001:db8:5::99 -S override.test \
		  -m 1400 && ns_guest_reconnect && link_udhcpc; then
	t_ok override-lease
else
	t_fail override-lease "$(tail -n 3 "${PASST_LOG}")"
fi
t_expect_eq override-address "$(link_val "$D" ip)" 192.0.2.77
t_expect_eq override-router "$(link_val "$D" router)" 198.51.100.1
t_expect_eq override-routes "$(link_val "$D" staticroutes)" \
	"198.51.100.1/32 0.0.0.0 0.0.0.0/0 198.51.100.1"
t_expect_eq override-dns "$(link_val "$D" dns)" 198.51.100.99
t_expect_eq override-search "$(link_val "$D" search)" override.test
t_expect_eq override-mtu "$(link_val "$D" mtu)" 1400
ns_guest "${TOOLS}/ra_probe" tap0 5 >"${STATE}/ra" 2>&1
for line in "mtu 1400" "rdnss 2001:db8:5::99 4294967295" \
	    "dnssl override.test 4294967295"; do
	t_check "override-ra-${line%% *}" link_has_line "${STATE}/ra" \
		"${line}"
done
