/* SPDX-License-Identifier: GPL-2.0-or-later */
/* seccomp_filter.h - installing a seccomp filter that allows a list of
 * system calls and kills the process on any other
 */

#ifndef SECCOMP_FILTER_H
#define SECCOMP_FILTER_H

#include <stddef.h>

/* Longest list a filter takes */
#define SECCOMP_FILTER_CALLS_MAX	512

int seccomp_filter_install(const long *nr, size_t n);

#endif /* SECCOMP_FILTER_H */
