// SPDX-License-Identifier: GPL-2.0-or-later
/* test/tools/streamclient.c - a scriptable client of the daemon's stream
 * socket, for tests that need to send it exactly the bytes they choose
 * (broken length prefixes, truncated headers, a frame cut by a disconnect)
 * and to see what it sends back
 *
 * Usage: streamclient SOCKPATH ACTION...
 *
 * Actions run in order:
 *   send:HEX	send raw bytes (separators ':', '.', '-' and ' ' ignored)
 *   frame:HEX	send a frame behind its 4-byte big-endian length
 *   file:PATH	send the raw bytes of a file
 *   sleep:MS	pause
 *   recv:N:MS	wait up to MS milliseconds for N frames and print each as
 *		a line of hex; fails if fewer arrive
 *   closed:MS	wait up to MS milliseconds for the daemon to close the
 *		connection, discarding frames; fails if it stays open
 *
 * Exit status: 0 if every action succeeded, 1 if one failed (and the rest
 * were not run), 2 for usage or connection errors.
 */

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define HDR_LEN		4
#define BUF_SIZE	(1UL << 20)

static uint8_t out[BUF_SIZE];
static uint8_t in[BUF_SIZE];
static size_t in_len;

/**
 * now_ms() - Monotonic time in milliseconds
 *
 * Return: the time
 */
static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/**
 * hex_decode() - Decode hex digits, skipping separators
 * @s:		Text
 * @buf:	Output
 * @size:	Size of @buf
 *
 * Return: number of bytes, or -1 for bad or too much input
 */
static long hex_decode(const char *s, uint8_t *buf, size_t size)
{
	size_t n = 0;
	int half = -1;

	for (; *s; s++) {
		int v;

		if (strchr(":.- ", *s))
			continue;
		if (*s >= '0' && *s <= '9')
			v = *s - '0';
		else if (*s >= 'a' && *s <= 'f')
			v = *s - 'a' + 10;
		else if (*s >= 'A' && *s <= 'F')
			v = *s - 'A' + 10;
		else
			return -1;

		if (half < 0) {
			half = v;
			continue;
		}
		if (n == size)
			return -1;
		buf[n++] = (uint8_t)(half << 4 | v);
		half = -1;
	}

	return half < 0 ? (long)n : -1;
}

/**
 * send_all() - Send bytes, blocking until all are written
 * @fd:		Socket
 * @buf:	Bytes
 * @len:	Number of bytes
 *
 * Return: 0 on success, -1 on error
 */
static int send_all(int fd, const uint8_t *buf, size_t len)
{
	while (len) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "streamclient: send: %s\n",
				strerror(errno));
			return -1;
		}
		buf += n;
		len -= (size_t)n;
	}

	return 0;
}

/**
 * read_file() - Read a whole file into the output buffer
 * @path:	File
 *
 * Return: number of bytes, or -1 on error
 */
static long read_file(const char *path)
{
	size_t len = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;

	for (;;) {
		ssize_t n = read(fd, out + len, sizeof(out) - len);

		if (n < 0) {
			close(fd);
			return -1;
		}
		if (!n)
			break;
		len += (size_t)n;
		if (len == sizeof(out))
			break;
	}

	close(fd);
	return (long)len;
}

/**
 * pop_frame() - Print the first complete received frame and remove it
 * @print:	Print the frame as hex
 *
 * Return: 1 if a frame was there, 0 if not
 */
static int pop_frame(int print)
{
	size_t len, i;

	if (in_len < HDR_LEN)
		return 0;
	len = (size_t)in[0] << 24 | (size_t)in[1] << 16 |
	      (size_t)in[2] << 8 | in[3];
	if (len > sizeof(in) - HDR_LEN) {
		fprintf(stderr, "streamclient: frame length %zu too large\n",
			len);
		exit(1);
	}
	if (in_len - HDR_LEN < len)
		return 0;

	if (print) {
		for (i = 0; i < len; i++)
			printf("%02x", in[HDR_LEN + i]);
		printf("\n");
		fflush(stdout);
	}

	in_len -= HDR_LEN + len;
	memmove(in, in + HDR_LEN + len, in_len);
	return 1;
}

/**
 * receive() - Wait for frames, or for the connection to close
 * @fd:		Socket
 * @frames:	Frames wanted; 0 to wait for the close instead
 * @ms:		Timeout in milliseconds
 *
 * Return: 0 if the frames arrived (or the connection closed, for 0 frames),
 *	   -1 otherwise
 */
static int receive(int fd, long frames, long ms)
{
	long long deadline = now_ms() + ms;
	long got = 0;

	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		long long left;
		ssize_t n;

		while (pop_frame(frames > 0)) {
			if (frames > 0 && ++got == frames)
				return 0;
		}

		left = deadline - now_ms();
		if (left <= 0 || poll(&pfd, 1, (int)left) <= 0)
			break;

		n = recv(fd, in + in_len, sizeof(in) - in_len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return frames ? -1 : 0;
		in_len += (size_t)n;
	}

	if (frames)
		fprintf(stderr, "streamclient: %ld of %ld frames\n", got,
			frames);
	else
		fprintf(stderr, "streamclient: connection still open\n");
	return -1;
}

/**
 * run() - Run one action
 * @fd:		Socket
 * @action:	Action text, see the usage
 *
 * Return: 0 on success, -1 on failure, -2 for a malformed action
 */
static int run(int fd, const char *action)
{
	long a, b;
	char *end;

	if (!strncmp(action, "send:", 5)) {
		a = hex_decode(action + 5, out, sizeof(out));
		return a < 0 ? -2 : send_all(fd, out, (size_t)a);
	}
	if (!strncmp(action, "frame:", 6)) {
		a = hex_decode(action + 6, out + HDR_LEN,
			       sizeof(out) - HDR_LEN);
		if (a < 0)
			return -2;
		out[0] = (uint8_t)(a >> 24);
		out[1] = (uint8_t)(a >> 16);
		out[2] = (uint8_t)(a >> 8);
		out[3] = (uint8_t)a;
		return send_all(fd, out, HDR_LEN + (size_t)a);
	}
	if (!strncmp(action, "file:", 5)) {
		a = read_file(action + 5);
		return a < 0 ? -2 : send_all(fd, out, (size_t)a);
	}
	if (!strncmp(action, "sleep:", 6)) {
		struct timespec ts;

		a = strtol(action + 6, &end, 10);
		if (*end || a < 0)
			return -2;
		ts.tv_sec = a / 1000;
		ts.tv_nsec = (a % 1000) * 1000000L;
		nanosleep(&ts, NULL);
		return 0;
	}
	if (!strncmp(action, "recv:", 5)) {
		a = strtol(action + 5, &end, 10);
		if (*end != ':' || a <= 0)
			return -2;
		b = strtol(end + 1, &end, 10);
		if (*end || b < 0)
			return -2;
		return receive(fd, a, b);
	}
	if (!strncmp(action, "closed:", 7)) {
		a = strtol(action + 7, &end, 10);
		if (*end || a < 0)
			return -2;
		return receive(fd, 0, a);
	}

	return -2;
}

/**
 * main() - Connect, then run the actions in order
 * @argc:	Argument count
 * @argv:	SOCKPATH ACTION...
 *
 * Return: see the usage
 */
int main(int argc, char **argv)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int fd, i;

	if (argc < 2 || strlen(argv[1]) >= sizeof(addr.sun_path)) {
		fprintf(stderr, "Usage: %s SOCKPATH ACTION...\n", argv[0]);
		return 2;
	}
	memcpy(addr.sun_path, argv[1], strlen(argv[1]) + 1);

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof(addr))) {
		fprintf(stderr, "streamclient: %s: %s\n", argv[1],
			strerror(errno));
		return 2;
	}

	for (i = 2; i < argc; i++) {
		int rc = run(fd, argv[i]);

		if (rc == -2) {
			fprintf(stderr, "streamclient: bad action %s\n",
				argv[i]);
			return 2;
		}
		if (rc)
			return 1;
	}

	close(fd);
	return 0;
}
