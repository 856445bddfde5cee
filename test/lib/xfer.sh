#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# test/lib/xfer.sh - TCP transfers between two namespaces with
# test/tools/tcpxfer, checked by the content hashes both ends print
#
# Source it after ns.sh. A server runs in one namespace, a client in
# another; every command has a time limit (XFER_TIMEOUT seconds, 120 unless
# set), so a stuck transfer fails its test instead of hanging the group.

XFER="${TOOLS}/tcpxfer"
SRV_PID=

# xfer_in() - Run a command in a namespace, with a time limit
# $1:	Namespace
# $@:	Command and arguments, after the namespace
xfer_in() {
	__ns="$1"
	shift
	timeout "${XFER_TIMEOUT:-120}" ip netns exec "${__ns}" "$@"
}

# xfer_server() - Start a tcpxfer server and wait until it listens; its PID
# is left in SRV_PID (that of timeout(1), which passes a kill on to the
# server): call it directly, not in a subshell
# $1:	Namespace
# $2:	Output file
# $@:	tcpxfer arguments after the output file ("listen ADDR PORT ...")
xfer_server() {
	__ns="$1" __out="$2"
	shift 2
	: > "${__out}"
	timeout "${XFER_TIMEOUT:-120}" ip netns exec "${__ns}" "${XFER}" "$@" \
		> "${__out}" 2>&1 &
	SRV_PID=$!
	t_wait_for 50 grep -q listening "${__out}"
}

# xfer_hash() - The length and hash of a "wrote" or "read" line in a
# tcpxfer output
# $1:	Output file
# $2:	wrote or read
xfer_hash() {
	grep "^$2 " "$1" | tail -n 1 | cut -d' ' -f2,3
}

# xfer_same() - Succeed if one end read something, and exactly what the
# other end wrote
# $1:	Output of the reading end
# $2:	Output of the writing end
xfer_same() {
	[ -n "$(xfer_hash "$1" read)" ] &&
	[ "$(xfer_hash "$1" read)" = "$(xfer_hash "$2" wrote)" ]
}

# xfer_report() - Record a test: ok if a check passed, else failed with
# what both ends printed
# $1:	Test name
# $2:	Exit status of the check
# $3:	Output of one end
# $4:	Output of the other end
xfer_report() {
	if [ "$2" -eq 0 ]; then
		t_ok "$1"
	else
		t_fail "$1" "$(cat "$3" "$4" | tr '\n' ' ')"
	fi
}

# xfer_one() - 100 kB from a client to a server: the bytes, and the peer
# address the server sees
# $1:	Test name
# $2:	Server namespace
# $3:	Address the server listens on
# $4:	Port the server listens on
# $5:	Client namespace
# $6:	Address the client connects to
# $7:	Port the client connects to
# $8:	Peer address the server must see
xfer_one() {
	__s="${STATE}/one-srv" __c="${STATE}/one-cli"
	xfer_server "$2" "${__s}" listen "$3" "$4" r
	xfer_in "$5" "${XFER}" connect "$6" "$7" w:100000:5 s > "${__c}" 2>&1
	wait "${SRV_PID}"
	xfer_same "${__s}" "${__c}" && grep -qx "peer $8" "${__s}"
	xfer_report "$1" $? "${__s}" "${__c}"
}

# xfer_bulk() - Bytes one way over one connection, by content hash
# $1:	Test name
# $2:	Server namespace
# $3:	Address the server listens on
# $4:	Client namespace
# $5:	Address the client connects to
# $6:	Port
# $7:	Bytes
# $8:	send (the client sends) or recv (the server sends)
xfer_bulk() {
	__s="${STATE}/bulk-srv" __c="${STATE}/bulk-cli"
	if [ "$8" = send ]; then
		xfer_server "$2" "${__s}" listen "$3" "$6" r
		xfer_in "$4" "${XFER}" connect "$5" "$6" "w:$7" s \
			> "${__c}" 2>&1
		__from="${__c}" __to="${__s}"
	else
		xfer_server "$2" "${__s}" listen "$3" "$6" "w:$7" s r
		xfer_in "$4" "${XFER}" connect "$5" "$6" r > "${__c}" 2>&1
		__from="${__s}" __to="${__c}"
	fi
	wait "${SRV_PID}"
	xfer_same "${__to}" "${__from}"
	xfer_report "$1" $? "${__s}" "${__c}"
}

# xfer_refused() - A connection is refused
# $1:	Test name
# $2:	Client namespace
# $3:	Address
# $4:	Port
xfer_refused() {
	t_expect_eq "$1" "$(xfer_in "$2" "${XFER}" connect "$3" "$4" 2>&1)" \
		"connect Connection refused"
}
