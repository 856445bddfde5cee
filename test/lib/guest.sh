#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# test/lib/guest.sh - boot the test guest (test/guest/) in QEMU attached to a
# daemon's UNIX socket with -netdev stream, or with FRONTEND=vhost-user with
# -netdev vhost-user and guest memory in a shared memfd, and run commands in
# it through the agent on its serial console
#
# One guest at a time per shell. The console goes through a FIFO pair: we
# keep the input end open on fd 8 and copy the output to ${GUEST_RUN}/console,
# where each command's output is found between the agent's markers.

GUEST_BUILD="${GUEST_BUILD:-${BASE_DIR}/build/guest}"
GUEST_MAC="52:54:00:0d:0e:01"
GUEST_RUN=""
GUEST_PID=""
GUEST_CAT_PID=""
# The QEMU to run, its extra options (separated by spaces), the initramfs,
# and the MSI-X vectors of the vhost-user NIC (empty: QEMU's default)
GUEST_QEMU="${GUEST_QEMU:-qemu-system-x86_64}"
GUEST_QEMU_OPTS="${GUEST_QEMU_OPTS:-}"
GUEST_INITRD="${GUEST_INITRD:-${GUEST_BUILD}/initramfs.gz}"
GUEST_VECTORS="${GUEST_VECTORS-0}"

# guest_build() - Build the guest image, or bring it up to date
guest_build() {
	sh "${BASE_DIR}/test/guest/build.sh" "${GUEST_BUILD}"
}

# guest_kvm_works() - Succeed if a guest boots with KVM: on some machines
# /dev/kvm opens but guests hang, so try booting the kernel, once per host
# boot (the verdict is cached in the build directory)
guest_kvm_works() {
	__cache="${GUEST_BUILD}/kvm-works"
	__boot=$(cat /proc/sys/kernel/random/boot_id)

	[ -r /dev/kvm ] && [ -w /dev/kvm ] || return 1
	if [ -f "${__cache}" ] && [ "$(sed -n 1p "${__cache}")" = "${__boot}" ]
	then
		[ "$(sed -n 2p "${__cache}")" = "yes" ]
		return
	fi

	# Under KVM this powers off in about a second; where KVM is broken
	# the guest hangs early in boot
	if timeout 10 qemu-system-x86_64 -accel kvm -m 128 -nodefaults \
		-display none -no-reboot -kernel "${GUEST_BUILD}/vmlinuz" \
		-initrd "${GUEST_BUILD}/initramfs.gz" \
		-append "quiet panic=-1 rdinit=/bin/busybox -- poweroff -f" \
		>/dev/null 2>&1; then
		printf '%s\nyes\n' "${__boot}" > "${__cache}"
		return 0
	fi
	printf '%s\nno\n' "${__boot}" > "${__cache}"
	return 1
}

# guest_accel() - Print the accelerator to use: GUEST_ACCEL if set, KVM if
# it works here, TCG otherwise
guest_accel() {
	if [ -n "${GUEST_ACCEL:-}" ]; then
		echo "${GUEST_ACCEL}"
	elif guest_kvm_works; then
		echo kvm
	else
		echo tcg
	fi
}

# guest_host_httpd() - Start a web server in NS_HOST's loopback, which the
# guest reaches at the gateway's address: busybox httpd, from the guest's
# build, goes to the background once it listens
# $1:	Port
# $2:	Directory to serve
guest_host_httpd() {
	ns_host "${GUEST_BUILD}/parts/busybox" httpd -p "127.0.0.1:$1" -h "$2"
}

# guest_host_fetch() - Fetch a URL from NS_HOST with the guest build's
# busybox wget, and print what arrived
# $1:	URL
guest_host_fetch() {
	ns_host timeout 30 "${GUEST_BUILD}/parts/busybox" wget -q -O - "$1"
}

# guest_fetch_md5() - Fetch a URL in the guest, and print the MD5 sum of
# what arrived, as md5sum prints it for its input
# $1:	URL
guest_fetch_md5() {
	guest_run 30 "wget -q -O - $1 | md5sum"
}

# guest_httpd() - Start a web server in the guest, serving /www on a port
# $1:	Port
guest_httpd() {
	guest_run 10 "mkdir -p /www && httpd -p $1 -h /www"
}

# guest_check_slaac() - Check the guest's SLAAC address, derived from its
# MAC, and its default route, through the daemon's link-local address
guest_check_slaac() {
	__out=$(guest_run 30 slaac6)
	t_expect_eq slaac-address \
		"$(echo "${__out}" | sed -n 's/.* inet6 \([^ ]*\) .*/\1/p')" \
		"2001:db8:1:0:5054:ff:fe0d:e01/64"
	t_expect_eq slaac-route "$(echo "${__out}" |
		grep '^default via fe80:' | cut -d' ' -f4-5)" "dev eth0"
}

# guest_check_ping() - Ping an address from the guest, check the reply came
# from it
# $1:	Test name
# $2:	ping or ping6
# $3:	Address
guest_check_ping() {
	__out=$(guest_run 15 "$2" -c 1 -W 5 "$3")
	if echo "${__out}" | grep -q "^64 bytes from $3: "; then
		t_ok "$1"
	else
		t_fail "$1" "$(echo "${__out}" | tail -n 2 | tr '\n' ' ')"
	fi
}

# guest_console() - Print the guest's console output so far, without the
# carriage returns the serial line adds
guest_console() {
	tr -d '\r' < "${GUEST_RUN}/console"
}

# guest_alive() - Succeed if QEMU is still running
guest_alive() {
	[ -n "${GUEST_PID}" ] && kill -0 "${GUEST_PID}" 2>/dev/null
}

# guest_wait_console() - Wait until a console line matches a pattern, or
# QEMU exits
# $1:	Timeout in seconds
# $2:	Extended regular expression a whole line must match
# Return: 0 if a line matched in time, 1 otherwise
guest_wait_console() {
	__left=$(($1 * 10))
	while [ "${__left}" -gt 0 ]; do
		guest_console | grep -Eq "^$2\$" && return 0
		guest_alive || break
		sleep 0.1
		__left=$((__left - 1))
	done
	guest_console | grep -Eq "^$2\$"
}

# guest_socket_connected() - Succeed if a client is connected to a socket.
# The daemon's end of an accepted UNIX socket belongs to the network
# namespace of the client (QEMU's), so look here, not in the daemon's.
# $1:	Path of the daemon's socket
guest_socket_connected() {
	ss -Hxn state connected src "$1" | grep -q .
}

# guest_connected() - Wait up to 5 seconds for QEMU to be connected to a
# daemon's socket: QEMU boots the guest even if it can't connect
# $1:	Path of the daemon's socket
guest_connected() {
	t_wait_for 50 guest_socket_connected "$1"
}

# guest_netdev() - Print QEMU's options for the guest's link to a daemon:
# the stream socket, or vhost-user (the daemon maps guest memory, so it
# must be a shared memfd, of the guest's whole size; no MSI-X vectors, as
# the daemon has no use for them)
# $1:	Path of the daemon's UNIX domain socket
guest_netdev() {
	if [ "${FRONTEND:-stream}" = "vhost-user" ]; then
		echo "-object memory-backend-memfd,id=m,size=256M,share=on" \
		     "-numa node,memdev=m -chardev socket,id=c,path=$1" \
		     "-netdev vhost-user,id=n0,chardev=c -device" \
		     "virtio-net-pci,netdev=n0,mac=${GUEST_MAC}${GUEST_VECTORS:+,vectors=${GUEST_VECTORS}}"
	else
		__stream="stream,id=n0,server=off,addr.type=unix"
		echo "-netdev ${__stream},addr.path=$1" \
		     "-device virtio-net-pci,netdev=n0,mac=${GUEST_MAC}"
	fi
}

# guest_start() - Boot the guest attached to a daemon's socket, and wait
# until its agent takes commands
# $1:	Path of the daemon's UNIX domain socket
# $2:	Boot timeout in seconds (default 60)
# Return: 0 once the agent is ready, 1 if QEMU exited or timed out first
guest_start() {
	GUEST_RUN=$(mktemp -d "${TMPDIR:-/tmp}/passt-guest.XXXXXX")
	mkfifo "${GUEST_RUN}/con.in" "${GUEST_RUN}/con.out"
	echo 0 > "${GUEST_RUN}/seq"
	: > "${GUEST_RUN}/console"

	guest_qemu "$1"
	guest_wait_console "${2:-60}" "@@ready"
}

# guest_qemu() - Start QEMU on a daemon's socket, with the console of
# ${GUEST_RUN}, and without waiting for anything
# $1:	Path of the daemon's UNIX domain socket
# $@:	More QEMU options, after the path
guest_qemu() {
	__sock="$1"
	shift
	# shellcheck disable=SC2046,SC2086 # options are meant to split
	"${GUEST_QEMU}" -accel "$(guest_accel)" -m 256 -smp 1 \
		-nodefaults -display none -no-reboot \
		-kernel "${GUEST_BUILD}/vmlinuz" -initrd "${GUEST_INITRD}" \
		-append "console=ttyS0 quiet panic=-1" \
		-chardev "pipe,id=con,path=${GUEST_RUN}/con" \
		-serial chardev:con $(guest_netdev "${__sock}") \
		${GUEST_QEMU_OPTS} "$@" > "${GUEST_RUN}/qemu.log" 2>&1 &
	GUEST_PID=$!

	# Keep a writer on the console input, so the agent never sees an end
	# of file between commands, and drain the output so QEMU never blocks
	exec 8<> "${GUEST_RUN}/con.in"
	cat "${GUEST_RUN}/con.out" >> "${GUEST_RUN}/console" &
	GUEST_CAT_PID=$!
}

# guest_run() - Run a command in the guest, print its output
# $1:	Timeout in seconds
# $@:	Command line for the guest's shell, after the timeout
# Return: the command's exit status; 124 if it timed out, 125 if the guest
# is gone, 2 if the command spans lines (the agent reads one line each)
guest_run() {
	__timeout="$1"
	shift

	case "$*" in
	*"
"*)	echo "guest_run: command spans more than one line" >&2
		return 2 ;;
	esac

	__id=$(($(cat "${GUEST_RUN}/seq") + 1))
	echo "${__id}" > "${GUEST_RUN}/seq"

	guest_alive || return 125
	printf "%s %s\n" "${__id}" "$*" >&8
	if ! guest_wait_console "${__timeout}" "@@end ${__id} [0-9]+"; then
		guest_alive || return 125
		return 124
	fi

	guest_console | sed -n "/^@@begin ${__id}\$/,/^@@end ${__id} /p" | \
		sed '1d;$d'
	return "$(guest_console | sed -n "s/^@@end ${__id} \([0-9]*\)\$/\1/p")"
}

# guest_stop() - Power the guest off, wait for QEMU to exit (kill it after
# 10 seconds), and close the console
guest_stop() {
	__left=100

	if guest_alive; then
		echo "0 poweroff -f" >&8
		while guest_alive && [ "${__left}" -gt 0 ]; do
			sleep 0.1
			__left=$((__left - 1))
		done
		guest_alive && kill "${GUEST_PID}"
	fi
	[ -n "${GUEST_PID}" ] && wait "${GUEST_PID}" 2>/dev/null
	GUEST_PID=""
	exec 8>&-

	# If QEMU never opened the console, cat still waits for a writer:
	# be one for a moment, so that it sees the end of the output
	if [ -n "${GUEST_CAT_PID}" ]; then
		exec 9<> "${GUEST_RUN}/con.out"
		exec 9>&-
		wait "${GUEST_CAT_PID}" 2>/dev/null
	fi
	GUEST_CAT_PID=""
}

# guest_cleanup() - Stop the guest if it runs, and remove its files
guest_cleanup() {
	guest_stop
	[ -n "${GUEST_RUN}" ] && rm -rf "${GUEST_RUN}"
	GUEST_RUN=""
}
