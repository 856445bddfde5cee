// SPDX-License-Identifier: GPL-2.0-or-later
/* test/tools/streamclient.c - a scriptable client of the daemon's stream
 * socket, for tests that need to send it exactly the bytes they choose
 * (broken length prefixes, truncated headers, a frame cut by a disconnect)
 * and to see what it sends back
 *
 * Usage: streamclient SOCKPATH ACTION...
 *        streamclient exec:N ACTION... -- COMMAND [ARG...]
 *
 * The second form runs COMMAND with one end of a connected socket pair as
 * its descriptor N (as for the daemon's --fd N), and talks over the other.
 *
 * Actions run in order:
 *   send:HEX	send raw bytes (separators ':', '.', '-' and ' ' ignored)
 *   frame:HEX	send a frame behind its 4-byte big-endian length
 *   file:PATH	send the raw bytes of a file
 *   flood:MS:HEX
 *		send a frame behind its length again and again, as fast as
 *		the socket takes it, for MS milliseconds; prints "flood
 *		FRAMES SECONDS RATE", RATE in frames per second
 *   sleep:MS	pause
 *   recv:N:MS	wait up to MS milliseconds for N frames and print each as
 *		a line of hex; fails if fewer arrive
 *   match:N:MS:ERE
 *		wait up to MS milliseconds for N frames whose hex (lower
 *		case) matches the extended regular expression ERE and print
 *		them; other frames are skipped; fails if fewer arrive
 *   closed:MS	wait up to MS milliseconds for the daemon to close the
 *		connection, discarding frames; fails if it stays open
 *   exit:MS	exec: only: close our end, then wait up to MS milliseconds
 *		for COMMAND to exit; fails unless it exits with status 0
 *
 * Exit status: 0 if every action succeeded, 1 if one failed (and the rest
 * were not run), 2 for usage or connection errors. A COMMAND still running
 * at the end is ended with SIGTERM.
 */

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <regex.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define HDR_LEN		4
#define BUF_SIZE	(1UL << 20)
#define MAX(a, b)	((a) > (b) ? (a) : (b))

static uint8_t out[BUF_SIZE];
static uint8_t in[BUF_SIZE];
static size_t in_len;
static pid_t child = -1;	/* COMMAND of exec:, -1 if none or reaped */

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
 * flood() - Send one frame over and over for some time
 * @fd:		Socket
 * @arg:	MS:HEX
 *
 * Return: 0 on success, -1 on a send error, -2 for a malformed argument
 */
static int flood(int fd, const char *arg)
{
	/* Copies per send(): enough to keep the socket full */
	const size_t batch_max = 256 * 1024;
	long long start = now_ms(), end;
	unsigned long long frames = 0;
	size_t flen, copies, i;
	long ms, len;
	char *hex;
	double secs;

	ms = strtol(arg, &hex, 10);
	if (*hex != ':' || ms <= 0)
		return -2;
	len = hex_decode(hex + 1, out + HDR_LEN, sizeof(out) - HDR_LEN);
	if (len <= 0)
		return -2;

	out[0] = (uint8_t)(len >> 24);
	out[1] = (uint8_t)(len >> 16);
	out[2] = (uint8_t)(len >> 8);
	out[3] = (uint8_t)len;
	flen = HDR_LEN + (size_t)len;
	copies = MAX(batch_max / flen, 1);
	if (copies * flen > sizeof(out))
		copies = sizeof(out) / flen;
	for (i = 1; i < copies; i++)
		memcpy(out + i * flen, out, flen);

	end = start + ms;
	while (now_ms() < end) {
		if (send_all(fd, out, copies * flen))
			return -1;
		frames += copies;
	}

	secs = (double)(now_ms() - start) / 1000;
	printf("flood %llu %.2f %.0f\n", frames, secs, (double)frames / secs);
	fflush(stdout);
	return 0;
}

/**
 * pop_frame() - Take the first complete received frame, as hex text
 *
 * Return: the frame in hex, valid until the next call, or NULL if no
 *	   complete frame is there
 */
static const char *pop_frame(void)
{
	static char hex[2 * BUF_SIZE + 1];
	size_t len, i;

	if (in_len < HDR_LEN)
		return NULL;
	len = (size_t)in[0] << 24 | (size_t)in[1] << 16 |
	      (size_t)in[2] << 8 | in[3];
	if (len > sizeof(in) - HDR_LEN) {
		fprintf(stderr, "streamclient: frame length %zu too large\n",
			len);
		exit(1);
	}
	if (in_len - HDR_LEN < len)
		return NULL;

	for (i = 0; i < len; i++)
		snprintf(hex + 2 * i, 3, "%02x", in[HDR_LEN + i]);
	hex[2 * len] = 0;

	in_len -= HDR_LEN + len;
	memmove(in, in + HDR_LEN + len, in_len);
	return hex;
}

/**
 * receive() - Wait for frames, or for the connection to close
 * @fd:		Socket
 * @frames:	Frames wanted; 0 to wait for the close instead
 * @ms:		Timeout in milliseconds
 * @re:		Count and print only frames matching this; NULL for all
 *
 * Return: 0 if the frames arrived (or the connection closed, for 0 frames),
 *	   -1 otherwise
 */
static int receive(int fd, long frames, long ms, const regex_t *re)
{
	long long deadline = now_ms() + ms;
	const char *hex;
	long got = 0;

	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		long long left;
		ssize_t n;

		while ((hex = pop_frame())) {
			if (!frames || (re && regexec(re, hex, 0, NULL, 0)))
				continue;
			printf("%s\n", hex);
			fflush(stdout);
			if (++got == frames)
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
 * match() - Wait for frames matching a regular expression, and print them
 * @fd:		Socket
 * @arg:	N:MS:ERE
 *
 * Return: 0 if they arrived in time, -1 if not, -2 for a malformed argument
 */
static int match(int fd, const char *arg)
{
	long frames, ms;
	regex_t re;
	char *end;
	int rc;

	frames = strtol(arg, &end, 10);
	if (*end != ':' || frames <= 0)
		return -2;
	ms = strtol(end + 1, &end, 10);
	if (*end != ':' || ms < 0 || regcomp(&re, end + 1, REG_EXTENDED |
					     REG_NOSUB))
		return -2;

	rc = receive(fd, frames, ms, &re);
	regfree(&re);
	return rc;
}

/**
 * child_exit() - Close our end, wait for COMMAND to exit with status 0
 * @fd:		Our end of the socket pair, closed here
 * @ms:		Timeout in milliseconds
 *
 * Return: 0 if COMMAND exited with status 0 in time, -1 otherwise
 */
static int child_exit(int fd, long ms)
{
	long long deadline = now_ms() + ms;
	int status;

	close(fd);
	while (now_ms() < deadline) {
		const struct timespec pause = { .tv_nsec = 10000000L };
		pid_t pid = waitpid(child, &status, WNOHANG);

		if (pid == child) {
			child = -1;
			if (WIFEXITED(status) && !WEXITSTATUS(status))
				return 0;
			fprintf(stderr, "streamclient: command ended with "
				"status 0x%x\n", status);
			return -1;
		}
		nanosleep(&pause, NULL);
	}

	fprintf(stderr, "streamclient: command still running\n");
	return -1;
}

/**
 * spawn() - Run a command with one end of a socket pair as descriptor @n
 * @n:		Descriptor number for the command's end
 * @argv:	Command and arguments, NULL-terminated
 *
 * Return: our end of the pair; failures exit with 2
 */
static int spawn(int n, char **argv)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) || sv[0] == n) {
		fprintf(stderr, "streamclient: socketpair failed\n");
		exit(2);
	}

	child = fork();
	if (child < 0) {
		perror("streamclient: fork");
		exit(2);
	}
	if (!child) {
		if (sv[1] != n && dup2(sv[1], n) < 0)
			_exit(127);
		if (sv[1] != n)
			close(sv[1]);
		close(sv[0]);
		execvp(argv[0], argv);
		perror("streamclient: exec");
		_exit(127);
	}

	close(sv[1]);
	fcntl(sv[0], F_SETFD, FD_CLOEXEC);
	return sv[0];
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
		return receive(fd, a, b, NULL);
	}
	if (!strncmp(action, "closed:", 7)) {
		a = strtol(action + 7, &end, 10);
		if (*end || a < 0)
			return -2;
		return receive(fd, 0, a, NULL);
	}
	if (!strncmp(action, "match:", 6))
		return match(fd, action + 6);
	if (!strncmp(action, "flood:", 6))
		return flood(fd, action + 6);
	if (!strncmp(action, "exit:", 5) && child > 0) {
		a = strtol(action + 5, &end, 10);
		if (*end || a < 0)
			return -2;
		return child_exit(fd, a);
	}

	return -2;
}

/**
 * connect_path() - Connect to a UNIX socket path
 * @path:	Socket path
 *
 * Return: connected socket; failures exit with 2
 */
static int connect_path(const char *path)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(addr.sun_path)) {
		fprintf(stderr, "streamclient: socket path too long\n");
		exit(2);
	}
	memcpy(addr.sun_path, path, strlen(path) + 1);

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof(addr))) {
		fprintf(stderr, "streamclient: %s: %s\n", path,
			strerror(errno));
		exit(2);
	}

	return fd;
}

/**
 * main() - Connect or spawn, then run the actions in order
 * @argc:	Argument count
 * @argv:	See the usage
 *
 * Return: see the usage
 */
int main(int argc, char **argv)
{
	int fd, i, last = argc, rc = 0;

	if (argc < 2) {
		fprintf(stderr, "Usage: %s SOCKPATH ACTION...\n"
			"       %s exec:N ACTION... -- COMMAND [ARG...]\n",
			argv[0], argv[0]);
		return 2;
	}

	if (!strncmp(argv[1], "exec:", 5)) {
		char *end;
		long n = strtol(argv[1] + 5, &end, 10);

		for (last = 2; last < argc; last++) {
			if (!strcmp(argv[last], "--"))
				break;
		}
		if (*end || n < 3 || n > 1024 || last >= argc - 1) {
			fprintf(stderr, "streamclient: bad exec: usage\n");
			return 2;
		}
		fd = spawn((int)n, argv + last + 1);
	} else {
		fd = connect_path(argv[1]);
	}

	for (i = 2; i < last && fd >= 0; i++) {
		rc = run(fd, argv[i]);
		if (!strncmp(argv[i], "exit:", 5))
			fd = -1;
		if (rc == -2) {
			fprintf(stderr, "streamclient: bad action %s\n",
				argv[i]);
			rc = 2;
			break;
		}
		if (rc) {
			rc = 1;
			break;
		}
	}

	if (fd >= 0)
		close(fd);
	if (child > 0) {
		kill(child, SIGTERM);
		waitpid(child, NULL, 0);
	}
	return rc;
}
