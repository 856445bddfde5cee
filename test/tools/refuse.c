// SPDX-License-Identifier: GPL-2.0-or-later
/* test/tools/refuse.c - run a program on a kernel that refuses some system
 * calls, to see how the program copes
 *
 * Usage:
 *   refuse NAME[,NAME...] PROGRAM [ARG...]
 *	Install a seccomp filter that fails the named system calls with
 *	EPERM, as a kernel or a container runtime that forbids them would,
 *	then run PROGRAM. NAME is one of: unshare, mount, pivot_root.
 *
 * Exits 1 with a message on stderr if the filter can't be installed or
 * PROGRAM can't be run.
 */

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/filter.h>
#include <linux/seccomp.h>

#define REFUSE_MAX	8

static const struct {
	const char *name;
	long nr;
} refuse_calls[] = {
	{ "unshare", __NR_unshare },
	{ "mount", __NR_mount },
	{ "pivot_root", __NR_pivot_root },
};

/**
 * refuse_nr() - Number of a system call we know by name
 * @name:	Name
 *
 * Return: the number, -1 if we don't know the name
 */
static long refuse_nr(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(refuse_calls) / sizeof(refuse_calls[0]); i++) {
		if (!strcmp(name, refuse_calls[i].name))
			return refuse_calls[i].nr;
	}
	return -1;
}

/**
 * main() - Install the filter, then run the program
 * @argc:	Argument count
 * @argv:	Names, program and its arguments
 *
 * Return: 1 on failure; on success, the program replaces us
 */
int main(int argc, char **argv)
{
	struct sock_filter f[3 + 2 * REFUSE_MAX + 1];
	struct sock_fprog prog = { .filter = f };
	char *names, *name, *save;
	size_t len = 0, n = 0;

	if (argc < 3) {
		fprintf(stderr, "Usage: see the comment at the top of %s.c\n",
			argv[0]);
		return 1;
	}

	f[len++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
		offsetof(struct seccomp_data, nr));

	names = argv[1];
	for (name = strtok_r(names, ",", &save); name;
	     name = strtok_r(NULL, ",", &save)) {
		long nr = refuse_nr(name);

		if (nr < 0 || n >= REFUSE_MAX) {
			fprintf(stderr, "refuse: can't refuse '%s'\n", name);
			return 1;
		}
		f[len++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ |
			BPF_K, (unsigned)nr, 0, 1);
		f[len++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K,
			SECCOMP_RET_ERRNO | EPERM);
		n++;
	}
	f[len++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K,
		SECCOMP_RET_ALLOW);
	prog.len = (unsigned short)len;

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0)) {
		fprintf(stderr, "refuse: can't install filter: %s\n",
			strerror(errno));
		return 1;
	}

	execvp(argv[2], argv + 2);
	fprintf(stderr, "refuse: can't run %s: %s\n", argv[2],
		strerror(errno));
	return 1;
}
