#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Build and static checks: warnings are errors with both compilers,
# cppcheck and clang-tidy report nothing, no include circle joins two
# modules, no file is longer than the limit, and no two groups share a
# number

cd "${BASE_DIR}" || exit 1

t_check cppcheck make -s cppcheck
t_check clang-tidy make -s clang-tidy

# A .c and its .h are one module; any other circle of includes between
# modules means two layers depend on each other
t_check include-circles sh test/include-circles

# static_long_files() - Print the sources longer than the limit, fail if any
# $1:	Most lines a file may have
static_long_files() {
	__long=$( { ls ./*.c ./*.h
		    git ls-files -co --exclude-standard test 2>/dev/null ||
		    find test -type f; } | sort -u | while read -r __f; do
		[ -f "${__f}" ] || continue
		__n=$(wc -l < "${__f}")
		[ "${__n}" -le "$1" ] || echo "${__f}: ${__n} lines"
	done)
	[ -z "${__long}" ] || { echo "${__long}"; return 1; }
}
t_check file-length static_long_files 1500

# static_group_numbers() - Print group numbers used twice, fail if any: a
# group's number alone says where it runs
static_group_numbers() {
	__dup=$(ls test/groups | cut -d- -f1 | sort | uniq -d)
	[ -z "${__dup}" ] || { echo "used twice: ${__dup}"; return 1; }
}
t_check group-numbers-unique static_group_numbers

# A clang build in a scratch copy, so the gcc objects stay as they are
tmp=$(mktemp -d)
git ls-files -z 2>/dev/null | xargs -0 -I{} cp --parents {} "${tmp}" 2>/dev/null || \
	cp -r ./*.c ./*.h Makefile "${tmp}"
t_check clang-build make -s -C "${tmp}" CC=clang passt
rm -rf "${tmp}"
