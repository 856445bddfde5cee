#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Isolation (isolation.c, doc/security.md), seen from outside the running
# daemon, started as root and as an ordinary user, in the foreground and in
# the background: no capability in any set, no_new_privs, not dumpable, the
# seccomp filter, its own user, mount, IPC and UTS namespaces (and PID in
# the background) but the host's network namespace, an empty read-only
# root, no inherited descriptor. A system call outside the filter kills it
# (passt.test, built by make check, makes one on SIGUSR2). Ports below 1024
# are forwarded with the capability to bind them at start only. A kernel
# refusing a step gets one warning per step, and the daemon serves on. And
# doc/security.md lists exactly the system calls each filter allows.
#
# ISO_FRONTENDS names the front ends to check, default "stream"; each has
# a function iso_start_NAME, see iso_start_stream().

. "${TEST_DIR}/lib/ns.sh"
. "${TEST_DIR}/lib/xfer.sh"

PASST_TEST="${PASST_TEST:-${BASE_DIR}/passt.test}"
ISO_FRONTENDS="${ISO_FRONTENDS:-stream}"
UT="${TOOLS}/udptool"
REFUSE="${TOOLS}/refuse"
NOBODY=65534
NO_CAPS=0000000000000000
ISO_PID=

ns_create || { t_fail setup "namespace setup failed"; exit 1; }
D="${STATE}/iso"
mkdir -m 1777 "${D}"
: > "${D}/inherited"
SYSLOGD_PID=
trap 'ns_kill "${SYSLOGD_PID}"; ns_teardown' EXIT

# iso_field() - Print a field of /proc/PID/status, tabs as spaces
# $1:	PID
# $2:	Field name
iso_field() {
	sed -n "s/^$2:[[:space:]]*//p" "/proc/$1/status" | tr '\t' ' '
}

# iso_as() - Print the command prefix that runs a program as root, as
# nobody, or as nobody with the capability to bind ports below 1024
# $1:	root, user or user-bind
iso_as() {
	case "$1" in
	user)	echo setpriv --reuid=${NOBODY} --regid=${NOBODY} \
			--clear-groups ;;
	user-bind)
		echo setpriv --reuid=${NOBODY} --regid=${NOBODY} \
			--clear-groups --inh-caps=+net_bind_service \
			--ambient-caps=+net_bind_service ;;
	esac
}

# iso_start_stream() - Start the daemon with the stream front end in the
# host namespace, with descriptor 9 open on a file it must not keep, and
# wait until it has written its PID file, which it does once isolated.
# Sets ISO_PID: call it directly.
# $1:	fg (-f) or bg (in the background, PID from the PID file)
# $2:	root, user or user-bind, see iso_as()
# $3:	Daemon binary
# $@:	More options for the daemon
iso_start_stream() {
	__mode="$1" __as=$(iso_as "$2") __bin="$3"
	shift 3
	rm -f "${D}/sock" "${D}/pid" "${D}/log"
	ISO_PID=
	# shellcheck disable=SC2086 # the prefix is meant to be split
	if [ "${__mode}" = fg ]; then
		ip netns exec "${NS_HOST}" ${__as} "${__bin}" -f \
			-s "${D}/sock" -P "${D}/pid" "$@" >"${D}/log" 2>&1 \
			9<"${D}/inherited" &
		ISO_PID=$!
		t_wait_for 50 test -s "${D}/pid"
	else
		ip netns exec "${NS_HOST}" ${__as} "${__bin}" \
			-s "${D}/sock" -P "${D}/pid" -l "${D}/log" "$@" \
			>/dev/null 2>&1 9<"${D}/inherited" || return 1
		ISO_PID=$(cat "${D}/pid")
	fi
}

# iso_stop() - End the daemon started by iso_start_*(), if still running
iso_stop() {
	ns_kill "${ISO_PID}"
	ISO_PID=
}

# iso_gone() - Succeed once the daemon no longer runs
iso_gone() {
	! ns_running "${ISO_PID}"
}

# iso_has() - Succeed if a text has a fixed string
# $1:	Text
# $2:	String
iso_has() {
	echo "$1" | grep -qF -- "$2"
}

# iso_ns_differs() - Succeed if the daemon is in another namespace of a
# type than the test
# $1:	Namespace type, as in /proc/PID/ns/
iso_ns_differs() {
	[ "$(readlink "/proc/${ISO_PID}/ns/$1")" != \
	  "$(readlink "/proc/self/ns/$1")" ]
}

# iso_root_empty() - Succeed if the daemon's root is an empty tmpfs that
# nothing can be written to
iso_root_empty() {
	[ -z "$(ls -A "/proc/${ISO_PID}/root/")" ] &&
	[ "$(stat -f -c %T "/proc/${ISO_PID}/root/")" = tmpfs ] &&
	! touch "/proc/${ISO_PID}/root/x" 2>/dev/null
}

# iso_mounts() - Print mount point and type of each mount the daemon sees
iso_mounts() {
	sed 's/^\([^ ]* \)\{4\}\([^ ]*\) .* - \([^ ]*\) .*/\2 \3/' \
		"/proc/${ISO_PID}/mountinfo"
}

# iso_no_inherited() - Succeed if the daemon holds nothing it inherited
iso_no_inherited() {
	! ls -l "/proc/${ISO_PID}/fd/" | grep -q "${D}/inherited"
}

# iso_check() - Check a running daemon from outside
# $1:	Test name prefix
# $2:	fg or bg
# $3:	User ID it must run as
iso_check() {
	__p="$1"
	for __f in CapInh CapPrm CapEff CapBnd CapAmb; do
		t_expect_eq "${__p}-${__f}" "$(iso_field "${ISO_PID}" ${__f})" \
			"${NO_CAPS}"
	done
	t_expect_eq "${__p}-no-new-privs" \
		"$(iso_field "${ISO_PID}" NoNewPrivs)" 1
	t_expect_eq "${__p}-seccomp" "$(iso_field "${ISO_PID}" Seccomp)" 2
	t_expect_eq "${__p}-uid" "$(iso_field "${ISO_PID}" Uid)" \
		"$3 $3 $3 $3"
	# Not dumpable: its /proc files belong to root, whoever it runs as
	t_expect_eq "${__p}-not-dumpable" \
		"$(stat -c %u "/proc/${ISO_PID}/stat")" 0
	for __n in user ipc uts; do
		t_check "${__p}-own-${__n}-ns" iso_ns_differs "${__n}"
	done
	# Its mount namespace holds nothing but its root (ip netns exec
	# gives every process a mount namespace: that alone says nothing)
	t_expect_eq "${__p}-one-mount" "$(iso_mounts)" "/ tmpfs"
	t_expect_eq "${__p}-host-net-ns" \
		"$(readlink "/proc/${ISO_PID}/ns/net")" \
		"$(ns_host readlink /proc/self/ns/net)"
	if [ "$2" = bg ]; then
		t_check "${__p}-own-pid-ns" iso_ns_differs pid
		t_expect_eq "${__p}-pid-1" \
			"$(iso_field "${ISO_PID}" NSpid | cut -d' ' -f2)" 1
	fi
	t_check "${__p}-empty-root" iso_root_empty
	t_check "${__p}-no-inherited-fd" iso_no_inherited
}

# iso_killed_by_sigsys() - Succeed if a daemon started in the foreground
# by this shell is killed by SIGSYS once SIGUSR2 makes it call outside its
# filter
iso_killed_by_sigsys() {
	kill -USR2 "${ISO_PID}" || return 1
	# Without the shell's "Bad system call" line
	{ wait "${ISO_PID}"; } 2>/dev/null
	__rc=$?
	ISO_PID=
	[ "$(kill -l $((__rc - 128)) 2>/dev/null)" = SYS ]
}

# The running daemon, for each front end, as root and as a user, in the
# foreground and in the background

for fe in ${ISO_FRONTENDS}; do
	for who in root user; do
		uid=${NOBODY}
		for mode in fg bg; do
			p="${fe}-${who}-${mode}"
			if ! "iso_start_${fe}" "${mode}" "${who}" \
			     "${PASST}"; then
				t_fail "${p}-start" "$(tail -n 3 "${D}/log")"
				iso_stop
				continue
			fi
			iso_check "${p}" "${mode}" "${uid}"
			t_check "${p}-no-warning" sh -c \
				"! grep -q WARNING '${D}/log'"
			iso_stop
		done

		# Test build: a forbidden call kills it, whoever started it
		p="${fe}-${who}-forbidden-call"
		if "iso_start_${fe}" fg "${who}" "${PASST_TEST}"; then
			t_expect_eq "${p}-filter-on" \
				"$(iso_field "${ISO_PID}" Seccomp)" 2
			if iso_killed_by_sigsys; then
				t_ok "${p}-killed-by-sigsys"
			else
				t_fail "${p}-killed-by-sigsys" "exit ${__rc}"
			fi
		else
			t_fail "${p}" "passt.test didn't start"
		fi
		iso_stop
	done

	# In the background too, as the first process of its PID namespace:
	# killed, it leaves its socket behind, which a clean exit removes
	p="${fe}-bg-forbidden-call"
	if "iso_start_${fe}" bg root "${PASST_TEST}"; then
		kill -USR2 "${ISO_PID}"
		t_check "${p}-killed" t_wait_for 30 iso_gone
		t_check "${p}-no-cleanup" test -S "${D}/sock"
	else
		t_fail "${p}" "passt.test didn't start"
	fi
	iso_stop
done

# A kernel that refuses a step: one warning line for each, and the other
# steps still apply (here: no namespaces, or no pivot_root)

# iso_refused() - Start the daemon on a kernel refusing some calls, and
# check it warns once per refused step, isolates itself otherwise, and
# serves a client
# $1:	Test name prefix
# $2:	Calls to refuse, for test/tools/refuse
# $3:	Warnings expected
iso_refused() {
	rm -f "${D}/sock" "${D}/pid"
	ip netns exec "${NS_HOST}" "${REFUSE}" "$2" "${PASST}" -f \
		-s "${D}/sock" -P "${D}/pid" >"${D}/log" 2>&1 &
	ISO_PID=$!
	t_wait_for 50 test -s "${D}/pid"
	t_expect_eq "$1-warnings" "$(grep -c WARNING "${D}/log")" "$3"
	t_expect_eq "$1-seccomp" "$(iso_field "${ISO_PID}" Seccomp)" 2
	t_expect_eq "$1-CapEff" "$(iso_field "${ISO_PID}" CapEff)" \
		"${NO_CAPS}"
	t_expect_eq "$1-CapBnd" "$(iso_field "${ISO_PID}" CapBnd)" \
		"${NO_CAPS}"
	t_check "$1-serves" "${TOOLS}/streamclient" "${D}/sock" sleep:0
	t_check "$1-alive" ns_running "${ISO_PID}"
	iso_stop
}
iso_refused refused-namespaces unshare 4
t_check refused-namespaces-named grep -q \
	"WARNING: Can't create a user namespace, capabilities stay" "${D}/log"
iso_refused refused-pivot-root pivot_root 1
t_check refused-pivot-root-named grep -q \
	"WARNING: Can't leave the host's filesystem (pivot_root)" "${D}/log"

# In the background without a log file, messages go to syslog over the
# socket connected before the root is left: here a busybox syslogd on the
# /dev/log of a private /dev, for the daemon started beside it. Once the
# syslog daemon is gone, messages are lost, and the daemon serves on.

# iso_syslog_start() - Start syslogd, then the daemon in the background,
# in a mount namespace of their own; sets ISO_PID and SYSLOGD_PID
iso_syslog_start() {
	mkdir -p "${D}/dev"
	rm -f "${D}/sock" "${D}/pid" "${D}/syslog"
	# shellcheck disable=SC2016 # expanded by the inner shell
	unshare -m sh -c '
		mount -t tmpfs tmpfs "$1" && cp -a /dev/null "$1" &&
		mount --bind "$1" /dev || exit 1
		busybox syslogd -n -O "$2" &
		echo $! > "$3"
		i=0
		while [ ! -S /dev/log ] && [ ${i} -lt 50 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		exec ip netns exec "$4" "$5" -s "$6" -P "$7"
	' iso "${D}/dev" "${D}/syslog" "${D}/syslogd.pid" "${NS_HOST}" \
		"${PASST}" "${D}/sock" "${D}/pid" >/dev/null 2>&1
	SYSLOGD_PID=$(cat "${D}/syslogd.pid" 2>/dev/null)
	ISO_PID=$(cat "${D}/pid" 2>/dev/null)
	[ -n "${ISO_PID}" ]
}

# iso_syslog_has() - Succeed once syslogd wrote a line with a fixed string
# $1:	String
iso_syslog_has() {
	grep -qF -- "$1" "${D}/syslog"
}

if iso_syslog_start; then
	t_expect_eq syslog-seccomp "$(iso_field "${ISO_PID}" Seccomp)" 2
	"${TOOLS}/streamclient" "${D}/sock" sleep:0 >/dev/null 2>&1
	t_check syslog-client-logged t_wait_for 30 \
		iso_syslog_has "passt: Client connected (pid unknown)"
	ns_kill "${SYSLOGD_PID}"
	SYSLOGD_PID=
	t_check syslog-gone-serves "${TOOLS}/streamclient" "${D}/sock" \
		sleep:0
	t_check syslog-gone-alive ns_running "${ISO_PID}"
else
	t_fail syslog-start "no daemon with syslogd"
fi
iso_stop

# Ports below 1024: bound with the capability at start, served without
# any once running, end to end, TCP and UDP

ns_guest ip addr add "${HOST_ADDR4}/24" dev tap0 &&
ns_guest ip route add default via "${GW4}" &&
ip netns exec "${NS_GUEST}" "${UT}" echo 53 >"${D}/echo" 2>&1 &
t_wait_for 30 grep -q ready "${D}/echo" ||
	t_fail privileged-setup "guest echo server didn't start"

for who in root user-bind; do
	# A wrapper as PASST for the harness: exec keeps the PID it records
	printf '#!/bin/sh\nexec %s "%s" "$@"\n' "$(iso_as "${who}")" \
		"${PASST}" > "${D}/passt-${who}"
	chmod 755 "${D}/passt-${who}"
	p="privileged-${who}"
	if ! PASST="${D}/passt-${who}" ns_passt_restart -t 80 -u 53; then
		t_fail "${p}-start" "$(tail -n 3 "${PASST_LOG}")"
		continue
	fi
	# Its last step: then nothing is left to drop
	t_wait_for 50 sh -c "grep -q '^Seccomp:.*2' /proc/${PASST_PID}/status"
	t_expect_eq "${p}-CapEff" "$(iso_field "${PASST_PID}" CapEff)" \
		"${NO_CAPS}"
	t_expect_eq "${p}-CapBnd" "$(iso_field "${PASST_PID}" CapBnd)" \
		"${NO_CAPS}"
	xfer_one "${p}-tcp-80" "${NS_GUEST}" 0.0.0.0 80 \
		"${NS_HOST}" 127.0.0.1 80 "${GW4}"
	t_check "${p}-udp-53" ns_host "${UT}" send 127.0.0.1 53 500 3
	t_check "${p}-udp-53-shared" grep -q \
		"replies through the listening socket" "${PASST_LOG}"
	t_check "${p}-ping" ns_guest busybox ping -c 1 -W 5 "${GW4}"
done

# Without the capability, an ordinary user can't forward port 80: it was
# the capability that did it
# shellcheck disable=SC2046 # the prefix is meant to be split
out=$(ip netns exec "${NS_HOST}" $(iso_as user) "${PASST}" -f \
	-s "${D}/nocap.sock" -t 80 2>&1)
t_expect_eq privileged-user-needs-cap "$?" 1
t_check privileged-user-needs-cap-says iso_has "${out}" \
	"-t: can't listen on port 80"

# The filter lists: doc/security.md has a row for each system call with
# the modes allowing it, and no other

# iso_doc_calls() - "NAME MODE,MODE" for each call, from the doc's table
iso_doc_calls() {
	sed -n 's/^| `\([^`]*\)` | \([a-z, ]*\) |.*/\1 \2/p' \
		"${BASE_DIR}/doc/security.md" | sed 's/\\|/|/g; s/, /,/g' | sort
}

# iso_filter_calls() - The same, from the #syscalls comments
iso_filter_calls() {
	for __prof in stream vu; do
		EXTRA_SYSCALLS= sh "${BASE_DIR}/isolation_syscalls.sh" \
			-l "${__prof}" "${BASE_DIR}"/*.c "${BASE_DIR}"/*.h | \
			sed "s/\$/ ${__prof}/"
	done | sort | awk '$1 == last { modes = modes "," $2; next }
		{ if (last != "") print last, modes; last = $1; modes = $2 }
		END { if (last != "") print last, modes }'
}

iso_doc_complete() {
	__doc=$(iso_doc_calls) __filter=$(iso_filter_calls)
	[ -n "${__filter}" ] || { echo "no calls listed"; return 1; }
	[ "${__doc}" = "${__filter}" ] && return 0
	echo "doc/security.md and the #syscalls comments differ:"
	echo "${__doc}" > "${D}/doc-calls"
	echo "${__filter}" > "${D}/filter-calls"
	diff "${D}/doc-calls" "${D}/filter-calls"
	return 1
}
t_check doc-lists-every-call iso_doc_complete

# The generator refuses what it can't read, rather than drop a call
printf ' * #syscalls:bogus read\n' > "${D}/bad-profile.c"
t_check generator-bad-profile sh -c "! sh '${BASE_DIR}/isolation_syscalls.sh' \
	'${D}/bad-profile.c' >/dev/null 2>&1"
printf ' * #syscalls: read(2)\n' > "${D}/bad-name.c"
t_check generator-bad-name sh -c "! sh '${BASE_DIR}/isolation_syscalls.sh' \
	'${D}/bad-name.c' >/dev/null 2>&1"
