#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Build and static checks: warnings are errors with both compilers,
# cppcheck and clang-tidy report nothing, no include circle joins two
# modules, no file is longer than the limit, no two groups share a number,
# and doc/vhost-user.md lists every request the daemon handles

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
t_check clang-build make -s -C "${tmp}" CC=clang passt passt-repair
rm -rf "${tmp}"

# static_vu_handled() - The vhost-user requests the daemon handles, one a
# line, without the VHOST_USER_ prefix: its table in vhost_user.c
static_vu_handled() {
	sed -n 's/^[[:space:]]*VU_HANDLE(VHOST_USER_\([A-Z_]*\),.*/\1/p' \
		vhost_user.c | sort -u
}

# static_vu_listed() - The requests doc/vhost-user.md's message table (the
# one whose first column is "Request") lists: the first request name in
# each row, without the VHOST_USER_ prefix
static_vu_listed() {
	awk '/^\|/ { if (t) print; else if ($0 ~ /^\| *Request *\|/) t = 1
		     next }
	     { t = 0 }' doc/vhost-user.md | sed -n \
		's/^[^A-Z]*\(VHOST_USER_\)\{0,1\}\([A-Z][A-Z]*_[A-Z_]*\).*/\2/p' |
		sort -u
}

# static_vu_doc() - Fail, naming them, if the daemon handles requests that
# doc/vhost-user.md does not list, or if either list can't be read
static_vu_doc() {
	[ -f doc/vhost-user.md ] || { echo "no doc/vhost-user.md"; return 1; }
	__handled=$(static_vu_handled)
	[ -n "${__handled}" ] || { echo "no request table in vhost_user.c"
				   return 1; }
	static_vu_listed > "${listed}"
	__missing=$(echo "${__handled}" | comm -23 - "${listed}")
	[ -z "${__missing}" ] || { echo "not in doc/vhost-user.md:" \
				   ${__missing}; return 1; }
}
listed=$(mktemp)
t_check vhost-user-doc-lists-requests static_vu_doc
rm -f "${listed}"
