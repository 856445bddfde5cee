// SPDX-License-Identifier: GPL-2.0-or-later
/* test/tools/repair-set.c - the daemon's side of the repair protocol, as
 * the migration code calls it, against a real helper: ours or upstream's
 *
 * Usage: repair-set PATH N CMD[@K][,CMD[@K]...]
 *	Listen on PATH with the daemon's repair.c, open N established TCP
 *	connections over loopback, wait up to 5 s for a helper, then for
 *	each CMD (1, 0 or -1) call repair_set() on the first K (default N)
 *	client sockets and check, with getsockopt(TCP_REPAIR), that each is
 *	in repair mode after 1 and out of it after 0 and -1. Needs a helper
 *	with CAP_NET_ADMIN.
 *
 * Linked with the daemon's objects (see the Makefile). Prints one line per
 * command; exits 0 if all went as expected, 1 with a message otherwise.
 */

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ctx.h"
#include "repair.h"

/* Most connections a run opens */
#define CONNS_MAX	2048

static int clients[CONNS_MAX];

/**
 * conns_open() - Open established loopback connections
 * @n:		Number of connections
 *
 * Return: 0 on success, -1 after a message on failure
 */
static int conns_open(int n)
{
	struct sockaddr_in a = {
		.sin_family = AF_INET,
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	socklen_t len = sizeof(a);
	int l, i;

	l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof(a)) ||
	    listen(l, CONNS_MAX) ||
	    getsockname(l, (struct sockaddr *)&a, &len)) {
		perror("repair-set: listening socket");
		return -1;
	}

	/* Accepted ends stay open, unread: the connections stay up */
	for (i = 0; i < n; i++) {
		clients[i] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (clients[i] < 0 ||
		    connect(clients[i], (struct sockaddr *)&a, sizeof(a)) ||
		    accept4(l, NULL, NULL, SOCK_CLOEXEC) < 0) {
			perror("repair-set: connection");
			return -1;
		}
	}

	return 0;
}

/**
 * check_mode() - Check every client socket's repair mode
 * @n:		Number of sockets
 * @want:	1 for repair mode, 0 for normal
 *
 * Return: number of sockets in the other mode
 */
static int check_mode(int n, int want)
{
	int i, bad = 0;

	for (i = 0; i < n; i++) {
		socklen_t sl = sizeof(int);
		int v = -1;

		if (getsockopt(clients[i], SOL_TCP, TCP_REPAIR, &v, &sl) ||
		    v != want)
			bad++;
	}
	return bad;
}

/**
 * main() - Drive repair_set() with the commands given
 * @argc:	Argument count
 * @argv:	PATH, N, commands
 *
 * Return: 0 if every command took effect on every socket, 1 otherwise
 */
int main(int argc, char **argv)
{
	static struct ctx c;
	char *cmds, *tok, *save;
	struct rlimit rl;
	int n, rc;

	if (argc != 4) {
		fprintf(stderr, "Usage: %s PATH N CMD[,CMD...]\n", argv[0]);
		return 1;
	}

	n = atoi(argv[2]);
	if (n < 1 || n > CONNS_MAX || strlen(argv[1]) >= UNIX_PATH_MAX) {
		fprintf(stderr, "repair-set: bad N or PATH\n");
		return 1;
	}

	if (!getrlimit(RLIMIT_NOFILE, &rl)) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}

	c.epollfd = epoll_create1(EPOLL_CLOEXEC);
	c.repair = true;
	c.runas_uid = geteuid();
	c.runas_gid = getegid();
	memcpy(c.repair_path, argv[1], strlen(argv[1]) + 1);
	repair_init(&c);

	if (conns_open(n))
		return 1;

	rc = repair_wait(5000);
	if (rc) {
		fprintf(stderr, "repair-set: no helper: %s\n", strerror(rc));
		return 1;
	}

	cmds = argv[3];
	for (tok = strtok_r(cmds, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		const char *at = strchr(tok, '@');
		int cmd = atoi(tok), k = at ? atoi(at + 1) : n, bad;

		if (k < 1 || k > n) {
			fprintf(stderr, "repair-set: bad K in %s\n", tok);
			return 1;
		}

		rc = repair_set(clients, (size_t)k, (int8_t)cmd);
		if (rc) {
			fprintf(stderr, "repair-set: command %d: %s\n", cmd,
				strerror(rc));
			return 1;
		}

		bad = check_mode(k, cmd == REPAIR_ON);
		if (bad) {
			fprintf(stderr, "repair-set: command %d: %d of %d "
				"sockets in the wrong mode\n", cmd, bad, k);
			return 1;
		}
		printf("command %d: %d sockets\n", cmd, k);
	}

	return 0;
}
