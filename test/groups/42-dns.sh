#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# DNS from the guest: with --dns-forward, queries to the forwarding address
# (UDP and TCP) reach the host's resolver (the first resolv.conf entry, or
# --dns-host) and replies come back from the forwarding address; without
# it, the guest gets the host's resolvers, a loopback one through the
# gateway. busybox nslookup in the guest asks for A and AAAA records; the
# resolver is our dnsd, on addresses of the test's own namespaces, and logs
# where each query came from.

. "${TEST_DIR}/lib/ns.sh"

DNSD="${TOOLS}/dnsd"
FWD4=198.51.100.99
FWD6=2001:db8:5::99
NAME=passt.test
ANS4=203.0.113.10
ANS6=2001:db8:ab::10

# dns_serve() - Start dnsd in a namespace and wait until it listens
# $1:	Namespace
# $2:	Address
# $3:	Log file
dns_serve() {
	ip netns exec "$1" "${DNSD}" serve "$2" 53 >"$3" 2>&1 &
	t_wait_for 30 grep -q ready "$3"
}

# dns_lookup() - Look a name up from the guest and check both answers
# $1:	Server as the guest knows it
# $2:	Query type for nslookup: a, aaaa, or empty for both
dns_lookup() {
	__out=$(ns_guest busybox nslookup ${2:+-type=$2} "${NAME}" "$1" 2>&1)
	echo "${__out}"
	echo "${__out}" | grep -q "^Server:[[:space:]]*$1\$" || return 1
	if [ "$2" != aaaa ]; then
		echo "${__out}" | grep -q "^Address: ${ANS4}\$" || return 1
	fi
	if [ "$2" != a ]; then
		echo "${__out}" | grep -q "^Address: ${ANS6}\$" || return 1
	fi
}

# dns_tcp() - Ask over TCP from the guest and check the answer
# $1:	Server as the guest knows it
# $2:	Type: a or aaaa
# $3:	Expected answer line
dns_tcp() {
	__out=$(ns_guest "${DNSD}" query-tcp "$1" 53 "${NAME}" "$2" 2>&1)
	echo "${__out}"
	echo "${__out}" | grep -qx "$3" &&
		echo "${__out}" | grep -qx "rcode 0"
}

# dns_no_answer() - Succeed if a datagram from the guest gets no reply
# $1:	Address
# $2:	Port
dns_no_answer() {
	! ns_guest "${TOOLS}/udptool" send "$1" "$2" 10
}

# dns_dhcp_server() - The DNS server DHCP gives the guest
dns_dhcp_server() {
	cat > "${STATE}/udhcpc.sh" <<'EOS'
#!/bin/sh
[ "$1" = bound ] && echo "${dns}" > "${DNS_OUT}"
exit 0
EOS
	chmod 755 "${STATE}/udhcpc.sh"
	rm -f "${STATE}/dhcp-dns"
	ns_guest env DNS_OUT="${STATE}/dhcp-dns" busybox udhcpc -i tap0 -f -q \
		-n -t 3 -T 1 -s "${STATE}/udhcpc.sh" >/dev/null 2>&1
	cat "${STATE}/dhcp-dns" 2>/dev/null
}

ns_setup -a "${HOST_ADDR4}/24" -g "${GW4}" -a "${HOST_ADDR6}/64" \
	-g "${GW6}" --dns-forward "${FWD4}" --dns-forward "${FWD6}" ||
	{ t_fail setup "ns_setup failed"; exit 1; }

# The host's resolvers (resolv.conf: DNS4, then DNS6) are outside
ns_net ip addr add "${DNS4}/32" dev lo &&
ns_net ip addr add "${DNS6}/128" dev lo &&
ns_guest_static &&
dns_serve "${NS_NET}" "${DNS4}" "${STATE}/dns4.log" &&
dns_serve "${NS_NET}" "${DNS6}" "${STATE}/dns6.log" &&
dns_serve "${NS_HOST}" 127.0.0.1 "${STATE}/dnslo4.log" &&
dns_serve "${NS_HOST}" ::1 "${STATE}/dnslo6.log" ||
	{ t_fail setup "can't configure addresses or resolvers"; exit 1; }

# --dns-forward: DHCP gives the forwarding address, and queries to it
# reach the first resolv.conf entry of their family
t_expect_eq forward-dhcp-advertised "$(dns_dhcp_server)" "${FWD4}"
t_check forward4-a dns_lookup "${FWD4}" a
t_check forward4-aaaa dns_lookup "${FWD4}" aaaa
t_check forward4-both dns_lookup "${FWD4}"
t_check forward6-both dns_lookup "${FWD6}"
t_check forward4-reached-resolver grep -q \
	"query udp A ${NAME} from ${HOST_ADDR4}" "${STATE}/dns4.log"
t_check forward6-reached-resolver grep -q \
	"query udp AAAA ${NAME} from ${HOST_ADDR6}" "${STATE}/dns6.log"
# Over TCP, the same redirection: dnsd is the client too
t_check forward4-tcp dns_tcp "${FWD4}" a "A ${ANS4}"
t_check forward6-tcp dns_tcp "${FWD6}" aaaa "AAAA ${ANS6}"
t_check forward4-tcp-reached-resolver grep -q \
	"query tcp A ${NAME} from ${HOST_ADDR4}" "${STATE}/dns4.log"
t_check forward6-tcp-reached-resolver grep -q \
	"query tcp AAAA ${NAME} from ${HOST_ADDR6}" "${STATE}/dns6.log"
# Other ports to the forwarding address are not redirected: nothing
# answers there
t_check forward-port-53-only dns_no_answer "${FWD4}" 5353

# --dns-host: the forwarded queries go there instead
ns_passt_restart -a "${HOST_ADDR4}/24" -g "${GW4}" -a "${HOST_ADDR6}/64" \
	-g "${GW6}" --dns-forward "${FWD4}" --dns-host 127.0.0.1 ||
	t_fail restart-dns-host "daemon didn't restart"
t_check dns-host-a dns_lookup "${FWD4}" a
t_check dns-host-reached-resolver grep -q \
	"query udp A ${NAME} from 127.0.0.1" "${STATE}/dnslo4.log"

# No forwarding: the guest gets the host's resolvers as they are
ns_passt_restart -a "${HOST_ADDR4}/24" -g "${GW4}" -a "${HOST_ADDR6}/64" \
	-g "${GW6}" || t_fail restart-plain "daemon didn't restart"
t_expect_eq plain-dhcp-advertised "$(dns_dhcp_server)" "${DNS4}"
t_check plain4-both dns_lookup "${DNS4}"
t_check plain6-both dns_lookup "${DNS6}"

# A loopback resolver: the guest gets the gateway, which leads to it
printf 'nameserver 127.0.0.1\nnameserver ::1\n' \
	> "/etc/netns/${NS_HOST}/resolv.conf"
ns_passt_restart -a "${HOST_ADDR4}/24" -g "${GW4}" -a "${HOST_ADDR6}/64" \
	-g "${GW6}" || t_fail restart-loopback "daemon didn't restart"
t_expect_eq loopback-dhcp-advertised "$(dns_dhcp_server)" "${GW4}"
t_check loopback4-both dns_lookup "${GW4}"
t_check loopback6-both dns_lookup "${GW6}"
t_check loopback4-tcp dns_tcp "${GW4}" a "A ${ANS4}"
t_check loopback6-reached-resolver grep -q \
	"query udp AAAA ${NAME} from ::1" "${STATE}/dnslo6.log"
t_check daemon-alive ns_passt_alive
