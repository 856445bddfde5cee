#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Fuzz regressions: every input of each fuzz target's corpus and of its
# regression set (inputs that once crashed it) goes through the target
# once, as built by make fuzz-build, with its sanitizers and its own checks
# (frames, leaks, descriptors). A replay, not fuzzing: make fuzz does that.

FUZZ_BUILD="${BASE_DIR}/build/fuzz/test/fuzz"

for src in "${BASE_DIR}"/test/fuzz/*.c; do
	name=$(basename "${src}" .c)
	# fuzz.c and fuzz_vu.c are parts every target shares
	case "${name}" in fuzz|fuzz_*) continue ;; esac
	bin="${FUZZ_BUILD}/${name}"
	if [ ! -x "${bin}" ]; then
		t_fail "${name}" "not built (make fuzz-build)"
		continue
	fi

	inputs=$(find "${BASE_DIR}/test/fuzz/corpus/${name}" \
		"${BASE_DIR}/test/fuzz/regress/${name}" -type f 2>/dev/null | \
		wc -l)
	if [ "${inputs}" -eq 0 ]; then
		t_fail "${name}" "no corpus in test/fuzz/corpus/${name}"
		continue
	fi

	out=$(find "${BASE_DIR}/test/fuzz/corpus/${name}" \
		"${BASE_DIR}/test/fuzz/regress/${name}" -type f -print0 \
		2>/dev/null | xargs -0 "${bin}" 2>&1)
	rc=$?
	ran=$(echo "${out}" | grep -c '^Executed ')
	if [ ${rc} -ne 0 ]; then
		t_fail "${name}" "$(echo "${out}" | grep -m 3 -E \
			'^(fuzz:|SUMMARY|Running:)' | tail -n 2 | tr '\n' ' ')"
	elif [ "${ran}" -ne "${inputs}" ]; then
		t_fail "${name}" "ran ${ran} of ${inputs} inputs"
	else
		t_ok "${name}"
	fi
done
