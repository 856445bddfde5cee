// SPDX-License-Identifier: GPL-2.0-or-later
/* seccomp_filter.c - installing a seccomp filter that allows a list of
 * system calls and kills the process on any other, for every program of
 * the project that runs one (the repair helper)
 *
 * The lists come from "#syscalls" comments beside the code making each
 * call, turned into arrays by isolation_syscalls.sh. The filter first
 * checks the architecture the call was made for: a call from another
 * system call table (32-bit x86 on x86-64, or x32, which shares x86-64's
 * audit architecture) has other numbers, and kills.
 */

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/prctl.h>

#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

#include "seccomp_filter.h"

/* The architectures whose system call names the "#syscalls" comments
 * cover: x86-64, where the tests run, and AArch64
 */
#if defined(__x86_64__) && !defined(__ILP32__)
#define SECCOMP_FILTER_ARCH	AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define SECCOMP_FILTER_ARCH	AUDIT_ARCH_AARCH64
#endif

/* x32 calls carry the x86-64 audit architecture, and this bit */
#define SECCOMP_FILTER_X32_BIT	0x40000000U

/* Instructions before the list, two per call, one after */
#define SECCOMP_FILTER_HEAD	6
#define SECCOMP_FILTER_LEN_MAX						\
	(SECCOMP_FILTER_HEAD + 2 * SECCOMP_FILTER_CALLS_MAX + 1)

/**
 * seccomp_filter_install() - Allow only the listed system calls from now on
 * @nr:		System call numbers
 * @n:		Number of entries in @nr
 *
 * The caller sets no_new_privs first, unless it holds CAP_SYS_ADMIN. The
 * list is checked in order, one comparison per entry: since Linux 5.11 the
 * kernel caches what a filter like this allows, so its length costs little.
 *
 * Return: 0 on success, EINVAL if the list is too long, ENOSYS on an
 *	   architecture we have no names for, or the errno of prctl()
 */
int seccomp_filter_install(const long *nr, size_t n)
{
#ifdef SECCOMP_FILTER_ARCH
	static struct sock_filter f[SECCOMP_FILTER_LEN_MAX];
	struct sock_fprog prog = { .filter = f };
	size_t i, len = 0;

	if (n > SECCOMP_FILTER_CALLS_MAX)
		return EINVAL;

	f[len++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
		offsetof(struct seccomp_data, arch));
	f[len++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
		SECCOMP_FILTER_ARCH, 1, 0);
	f[len++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K,
		SECCOMP_RET_KILL_PROCESS);
	f[len++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
		offsetof(struct seccomp_data, nr));
#ifdef __x86_64__
	f[len++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K,
		SECCOMP_FILTER_X32_BIT, 0, 1);
	f[len++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K,
		SECCOMP_RET_KILL_PROCESS);
#endif

	for (i = 0; i < n; i++) {
		f[len++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ |
			BPF_K, (uint32_t)nr[i], 0, 1);
		f[len++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K,
			SECCOMP_RET_ALLOW);
	}
	f[len++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K,
		SECCOMP_RET_KILL_PROCESS);

	prog.len = (unsigned short)len;
	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0))
		return errno;
	return 0;
#else
	(void)nr;
	(void)n;
	return ENOSYS;
#endif
}
