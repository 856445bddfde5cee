// SPDX-License-Identifier: GPL-2.0-or-later
/* test/tools/repair-fake.c - a daemon's side of the repair protocol, written
 * from doc/passt-repair.1 alone, to check a helper (ours or upstream's)
 *
 * Usage: repair-fake PATH MODE [N]
 *	Listen on the UNIX stream socket PATH, wait up to 10 s for a helper,
 *	then, by MODE:
 *	serve		open N (default 1) established TCP connections over
 *			loopback and send them to the helper with command 1,
 *			-1, 1, 0 in turn, at most 253 a message: each message
 *			must be echoed within 2 s, and getsockopt(TCP_REPAIR)
 *			must show every socket in repair mode after 1, out of
 *			it after -1 and 0
 *	bad-cmd		send command 2 with one TCP socket
 *	no-fd		send command 1 without descriptors
 *	not-tcp		send command 1 with a UDP socket
 *	In the last three, the helper must close the connection within 2 s
 *	without an echo.
 *
 * Then closes the connection and exits: 0 if the helper did as the document
 * says, 1 with a message otherwise.
 */

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

/* Most descriptors a message may carry, as the document says */
#define FAKE_FDS_MAX	253

/* Most connections a run opens */
#define FAKE_CONNS_MAX	2048

/* How long the helper may take to connect, and to answer */
#define FAKE_CONNECT_MS	10000
#define FAKE_ANSWER_MS	2000

static int clients[FAKE_CONNS_MAX];

/**
 * fail() - Print a message and exit 1
 * @msg:	Message
 */
static void fail(const char *msg)
{
	fprintf(stderr, "repair-fake: %s\n", msg);
	exit(1);
}

/**
 * helper_accept() - Listen on PATH and take the helper's connection
 * @path:	Socket path
 *
 * Return: connected socket
 */
static int helper_accept(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	struct pollfd pfd = { .events = POLLIN };
	int l, s;

	if (strlen(path) >= sizeof(a.sun_path))
		fail("path too long");
	strcpy(a.sun_path, path);
	unlink(path);

	l = socket(AF_UNIX, SOCK_STREAM, 0);
	if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof(a)) || listen(l, 1))
		fail("can't listen");

	pfd.fd = l;
	if (poll(&pfd, 1, FAKE_CONNECT_MS) != 1)
		fail("no helper connected");
	s = accept(l, NULL, NULL);
	if (s < 0)
		fail("accept failed");

	close(l);
	unlink(path);
	return s;
}

/**
 * send_cmd() - Send a command byte with descriptors
 * @s:		Connected socket
 * @cmd:	Command byte
 * @fds:	Descriptors, NULL for none
 * @n:		Number of descriptors
 */
static void send_cmd(int s, uint8_t cmd, const int *fds, int n)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * FAKE_FDS_MAX)];
		struct cmsghdr align;
	} u;
	struct iovec iov = { .iov_base = &cmd, .iov_len = 1 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

	if (n) {
		struct cmsghdr *cm;

		mh.msg_control = u.buf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)n);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)n);
		memcpy(CMSG_DATA(cm), fds, sizeof(int) * (size_t)n);
	}

	if (sendmsg(s, &mh, MSG_NOSIGNAL) != 1)
		fail("sendmsg failed");
}

/**
 * answer() - Wait for the helper's answer
 * @s:		Connected socket
 *
 * Return: byte received, -1 if the helper closed the connection, -2 if
 *	   nothing came in time
 */
static int answer(int s)
{
	struct pollfd pfd = { .fd = s, .events = POLLIN };
	uint8_t b;
	ssize_t n;

	if (poll(&pfd, 1, FAKE_ANSWER_MS) != 1)
		return -2;
	n = recv(s, &b, 1, 0);
	if (n == 1)
		return b;
	return -1;
}

/**
 * conns_open() - Open established loopback connections into clients[]
 * @n:		Number of connections
 */
static void conns_open(int n)
{
	struct sockaddr_in a = {
		.sin_family = AF_INET,
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	socklen_t len = sizeof(a);
	int l, i;

	l = socket(AF_INET, SOCK_STREAM, 0);
	if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof(a)) ||
	    listen(l, FAKE_CONNS_MAX) ||
	    getsockname(l, (struct sockaddr *)&a, &len))
		fail("can't listen on loopback");

	for (i = 0; i < n; i++) {
		clients[i] = socket(AF_INET, SOCK_STREAM, 0);
		if (clients[i] < 0 ||
		    connect(clients[i], (struct sockaddr *)&a, sizeof(a)) ||
		    accept(l, NULL, NULL) < 0)
			fail("can't open a loopback connection");
	}
}

/**
 * serve() - Send every client socket with each command, check the effect
 * @s:		Connected socket
 * @n:		Number of client sockets
 */
static void serve(int s, int n)
{
	static const int cmds[] = { 1, -1, 1, 0 };
	unsigned c;
	int off, i;

	conns_open(n);
	for (c = 0; c < sizeof(cmds) / sizeof(cmds[0]); c++) {
		uint8_t cmd = (uint8_t)cmds[c];

		for (off = 0; off < n; off += FAKE_FDS_MAX) {
			int batch = n - off < FAKE_FDS_MAX ? n - off :
				    FAKE_FDS_MAX;

			send_cmd(s, cmd, clients + off, batch);
			if (answer(s) != cmd)
				fail("no echo, or a wrong one");
		}

		for (i = 0; i < n; i++) {
			socklen_t sl = sizeof(int);
			int v = -1;

			if (getsockopt(clients[i], SOL_TCP, TCP_REPAIR, &v,
				       &sl) || v != (cmds[c] == 1))
				fail("socket in the wrong mode");
		}
		printf("command %d: %d sockets\n", cmds[c], n);
	}
}

/**
 * refused() - Send a request the helper must refuse, check it closes
 * @s:		Connected socket
 * @mode:	"bad-cmd", "no-fd" or "not-tcp"
 */
static void refused(int s, const char *mode)
{
	int fd;

	if (!strcmp(mode, "bad-cmd")) {
		conns_open(1);
		send_cmd(s, 2, clients, 1);
	} else if (!strcmp(mode, "no-fd")) {
		send_cmd(s, 1, NULL, 0);
	} else if (!strcmp(mode, "not-tcp")) {
		fd = socket(AF_INET, SOCK_DGRAM, 0);
		if (fd < 0)
			fail("can't open a UDP socket");
		send_cmd(s, 1, &fd, 1);
	} else {
		fail("unknown mode");
	}

	switch (answer(s)) {
	case -1:
		printf("%s: connection closed, no echo\n", mode);
		return;
	case -2:
		fail("the helper kept the connection open");
		break;
	default:
		fail("the helper answered");
	}
}

/**
 * main() - Take a helper's connection, run the mode
 * @argc:	Argument count
 * @argv:	PATH, MODE, optional N
 *
 * Return: 0 if the helper behaved as documented
 */
int main(int argc, char **argv)
{
	struct rlimit rl;
	int s, n = 1;

	if (argc < 3 || argc > 4) {
		fprintf(stderr, "Usage: %s PATH MODE [N]\n", argv[0]);
		return 1;
	}
	if (argc == 4)
		n = atoi(argv[3]);
	if (n < 1 || n > FAKE_CONNS_MAX)
		fail("bad N");

	if (!getrlimit(RLIMIT_NOFILE, &rl)) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}

	s = helper_accept(argv[1]);
	if (!strcmp(argv[2], "serve"))
		serve(s, n);
	else
		refused(s, argv[2]);

	close(s);
	return 0;
}
