// SPDX-License-Identifier: GPL-2.0-or-later
/* test/tools/migrate-ctl.c - client of the daemon's migration test interface
 * (--migrate-ctl): asks it to save its migration stream into a file, or to
 * load one from a file
 *
 * Usage: migrate-ctl SOCKET save|load FILE
 *
 * Sends the command with FILE's descriptor attached, waits for the daemon's
 * reply (0 or a positive errno, in decimal) and prints it. Exits 0 if the
 * daemon reports success, 1 if it reports an error, 2 on a local failure.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

/* A local failure, told apart from an error the daemon reports */
#define TOOL_FAIL_STATUS	2
#include "tool.h"

/**
 * send_request() - Send a command with one descriptor attached
 * @s:		Connected socket
 * @cmd:	Command
 * @fd:		Descriptor to pass
 */
static void send_request(int s, const char *cmd, int fd)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = { .iov_base = (void *)cmd, .iov_len = strlen(cmd) };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = u.buf, .msg_controllen = sizeof(u.buf),
	};
	struct cmsghdr *cmsg = CMSG_FIRSTHDR(&mh);

	cmsg->cmsg_level = SOL_SOCKET;
	cmsg->cmsg_type = SCM_RIGHTS;
	cmsg->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));

	if (sendmsg(s, &mh, 0) < 0)
		fail("sendmsg");
}

/**
 * main() - Send one request and report the daemon's answer
 * @argc:	Argument count
 * @argv:	SOCKET, command, FILE
 *
 * Return: 0 if the daemon reports success, 1 if it reports an error
 */
int main(int argc, char **argv)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	char reply[32] = { 0 };
	int s, fd, rc;
	ssize_t n;

	if (argc != 4 || (strcmp(argv[2], "save") && strcmp(argv[2], "load"))) {
		fprintf(stderr, "Usage: %s SOCKET save|load FILE\n", argv[0]);
		return 2;
	}
	if (strlen(argv[1]) >= sizeof(addr.sun_path)) {
		fprintf(stderr, "migrate-ctl: socket path too long\n");
		return 2;
	}

	if (!strcmp(argv[2], "save"))
		fd = open(argv[3], O_WRONLY | O_CREAT | O_TRUNC, 0600);
	else
		fd = open(argv[3], O_RDONLY);
	if (fd < 0)
		fail(argv[3]);

	s = socket(AF_UNIX, SOCK_SEQPACKET, 0);
	if (s < 0)
		fail("socket");
	memcpy(addr.sun_path, argv[1], strlen(argv[1]));
	if (connect(s, (struct sockaddr *)&addr, sizeof(addr)))
		fail(argv[1]);

	send_request(s, argv[2], fd);
	close(fd);

	n = recv(s, reply, sizeof(reply) - 1, 0);
	if (n < 0)
		fail("recv");
	if (!n) {
		fprintf(stderr, "migrate-ctl: no reply from the daemon\n");
		return 2;
	}
	close(s);

	rc = atoi(reply);
	if (rc) {
		fprintf(stderr, "migrate-ctl: %s failed: %s\n", argv[2],
			strerror(rc));
		return 1;
	}

	return 0;
}
