#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# test/lib/common.sh - reporting and small helpers every group uses
#
# Results go to stdout and to ${RESULTS}, one line per test:
#   ok GROUP/NAME
#   FAIL GROUP/NAME: reason
#   skip GROUP/NAME: reason

# The daemon under test; another build (upstream passt's, for instance) may
# be given in PASST_UNDER_TEST, but make check tests ours. Each may be set
# from outside: the sanitizer run (test/asan) gives its own daemon and unit
# tests in PASST and UNIT_DIR, the seed collector (test/fuzz/seeds) wrappers
PASST="${PASST_UNDER_TEST:-${PASST:-${BASE_DIR}/passt}}"
TOOLS="${TOOLS:-${BASE_DIR}/test/tools}"
UNIT_DIR="${UNIT_DIR:-${BASE_DIR}/test/unit}"

# t_ok() - Record a passed test
# $1:	Test name
t_ok() {
	echo "ok ${GROUP}/$1" | tee -a "${RESULTS}"
}

# t_fail() - Record a failed test
# $1:	Test name
# $2:	Reason
t_fail() {
	echo "FAIL ${GROUP}/$1: $2" | tee -a "${RESULTS}"
}

# t_skip() - Record a skipped test
# $1:	Test name
# $2:	Reason
t_skip() {
	echo "skip ${GROUP}/$1: $2" | tee -a "${RESULTS}"
}

# t_check() - Run a command, record ok if it succeeds, FAIL otherwise
# $1:	Test name
# $@:	Command and arguments, after the name
t_check() {
	__name="$1"
	shift
	if __out=$("$@" 2>&1); then
		t_ok "${__name}"
	else
		t_fail "${__name}" "$(echo "${__out}" | tail -n 3 | tr '\n' ' ')"
	fi
}

# t_expect_eq() - Record ok if two strings are equal
# $1:	Test name
# $2:	Value found
# $3:	Value expected
t_expect_eq() {
	if [ "$2" = "$3" ]; then
		t_ok "$1"
	else
		t_fail "$1" "got '$2', expected '$3'"
	fi
}

# t_is_root() - Succeed if running as root
t_is_root() {
	[ "$(id -u)" -eq 0 ]
}

# t_wait_for() - Wait until a command succeeds
# $1:	Timeout in tenths of a second
# $@:	Command and arguments, after the timeout
t_wait_for() {
	__left="$1"
	shift
	while [ "${__left}" -gt 0 ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
		__left=$((__left - 1))
	done
	return 1
}
