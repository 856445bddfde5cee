#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Unit tests: every program built from test/unit/*.c prints its own cases as
# "ok unit/NAME" or "FAIL unit/NAME: reason"; the lines are recorded as
# they are. A program that crashes, or exits non-zero with no failed case,
# is a failure of its own.

for src in "${BASE_DIR}"/test/unit/*.c; do
	name=$(basename "${src}" .c)
	bin="${UNIT_DIR}/${name}"
	if [ ! -x "${bin}" ]; then
		t_fail "${name}" "not built (make units)"
		continue
	fi
	out=$("${bin}" 2>&1)
	rc=$?
	echo "${out}" | grep -E '^(ok|FAIL) ' | tee -a "${RESULTS}"
	if [ ${rc} -ne 0 ] && ! echo "${out}" | grep -q '^FAIL '; then
		t_fail "${name}" "exited with status ${rc}"
	fi
done
