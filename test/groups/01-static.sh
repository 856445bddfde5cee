#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Build and static checks: warnings are errors with both compilers, and
# cppcheck and clang-tidy report nothing

cd "${BASE_DIR}" || exit 1

t_check cppcheck make -s cppcheck
t_check clang-tidy make -s clang-tidy

# A clang build in a scratch copy, so the gcc objects stay as they are
tmp=$(mktemp -d)
git ls-files -z 2>/dev/null | xargs -0 -I{} cp --parents {} "${tmp}" 2>/dev/null || \
	cp -r ./*.c ./*.h Makefile "${tmp}"
t_check clang-build make -s -C "${tmp}" CC=clang passt passt-repair
rm -rf "${tmp}"
