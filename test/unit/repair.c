// SPDX-License-Identifier: GPL-2.0-or-later
/* test/unit/repair.c - the daemon's side of the repair helper protocol,
 * against fake helpers: batching into messages of 253 descriptors, padded,
 * each echoed; an echo without the sockets switched, wrong echoes, a helper
 * that dies in the middle of a batch or never answers; a second helper
 * turned away; a helper leaving, or talking out of turn, between requests;
 * and the checks made before anything is sent
 *
 * Each fake helper is a child process that connects to the daemon's socket,
 * follows a script, one action per message, and reports every message it
 * received (command, number of descriptors, how many of them connected) on
 * a pipe. Runs as root, in a network namespace of its own, with loopback
 * TCP connections: the fake helper sets TCP_REPAIR as a real one would.
 */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include "ctx.h"
#include "epoll_ref.h"
#include "netns.h"
#include "repair.h"
#include "unit.h"
#include "util.h"

/* Descriptors the biggest case passes */
#define FDS_MAX		600

/* Messages a fake helper takes, and reports */
#define SCRIPT_MAX	8

/**
 * enum fake_act - What a fake helper does with a message
 * @FAKE_ECHO:		Set TCP_REPAIR as told, echo the command
 * @FAKE_LAZY:		Echo the command, set nothing
 * @FAKE_WRONG:		Answer with another byte
 * @FAKE_CLOSE:		Close the connection without answering
 * @FAKE_SILENT:	Never answer, until the daemon hangs up
 * @FAKE_END:		End of script: leave once the script is done
 */
enum fake_act {
	FAKE_ECHO,
	FAKE_LAZY,
	FAKE_WRONG,
	FAKE_CLOSE,
	FAKE_SILENT,
	FAKE_END,
};

/**
 * struct fake_msg - A message as the fake helper saw it
 * @cmd:	Command byte
 * @fds:	Number of descriptors attached
 * @conns:	How many of them are connected sockets, not padding
 */
struct fake_msg {
	int cmd;
	int fds;
	int conns;
};

static struct ctx c;
static char sock_path[UNIX_PATH_MAX];
static int fds[FDS_MAX];	/* Client ends of loopback connections */
static int peers[FDS_MAX];		/* Their accepted ends */

/**
 * fake_connect() - Connect to the daemon's repair socket
 *
 * Return: connected socket; exits the child on failure
 */
static int fake_connect(void)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	memcpy(a.sun_path, sock_path, sizeof(a.sun_path));
	if (s < 0 || connect(s, (struct sockaddr *)&a, sizeof(a)))
		_exit(2);
	return s;
}

/**
 * fake_recv() - Receive one message, set TCP_REPAIR if told to, close its
 *		 descriptors
 * @s:		Connected socket
 * @m:		Message seen, filled in
 * @set:	Set TCP_REPAIR to the command on every descriptor
 *
 * Return: 1 on a message, 0 if the daemon closed the connection
 */
static int fake_recv(int s, struct fake_msg *m, bool set)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * 256)];
		struct cmsghdr align;
	} u;
	uint8_t cmd;
	struct iovec iov = { .iov_base = &cmd, .iov_len = 1 };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = u.buf, .msg_controllen = sizeof(u.buf),
	};
	struct cmsghdr *cm;
	int got[256], i;

	if (recvmsg(s, &mh, MSG_CMSG_CLOEXEC) <= 0)
		return 0;

	m->cmd = cmd;
	m->fds = m->conns = 0;
	for (cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
		int n = (int)((cm->cmsg_len - CMSG_LEN(0)) / sizeof(int));

		memcpy(got, CMSG_DATA(cm), sizeof(int) * (size_t)n);
		for (i = 0; i < n; i++) {
			struct sockaddr_storage ss;
			socklen_t sl = sizeof(ss);
			int v = (int8_t)cmd;

			if (!getpeername(got[i], (struct sockaddr *)&ss, &sl))
				m->conns++;
			if (set)
				setsockopt(got[i], SOL_TCP, TCP_REPAIR, &v,
					   sizeof(v));
			close(got[i]);
		}
		m->fds += n;
	}
	return 1;
}

/**
 * fake_start() - Start a fake helper, connected before this returns
 * @script:	Actions, one per message, ending with FAKE_END
 * @report:	Read end of the pipe its messages come on, set
 *
 * Return: PID of the child
 */
static pid_t fake_start(const enum fake_act *script, int *report)
{
	int p[2], s, i;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC))
		abort();

	pid = fork();
	if (pid < 0)
		abort();
	if (pid) {
		close(p[1]);
		*report = p[0];
		return pid;
	}

	close(p[0]);
	s = fake_connect();
	for (i = 0; script[i] != FAKE_END; i++) {
		struct fake_msg m;
		uint8_t b;

		if (!fake_recv(s, &m, script[i] == FAKE_ECHO))
			_exit(0);
		(void)!write(p[1], &m, sizeof(m));

		switch (script[i]) {
		case FAKE_ECHO:
		case FAKE_LAZY:
			b = (uint8_t)m.cmd;
			(void)!send(s, &b, 1, MSG_NOSIGNAL);
			break;
		case FAKE_WRONG:
			b = (uint8_t)(m.cmd ^ 1);
			(void)!send(s, &b, 1, MSG_NOSIGNAL);
			break;
		case FAKE_CLOSE:
			_exit(0);
		case FAKE_SILENT:
			while (recv(s, &b, 1, 0) > 0)
				;
			_exit(0);
		case FAKE_END:
			break;
		}
	}
	_exit(0);
}

/**
 * fake_report() - Read every message a fake helper reported, once it exited
 * @pid:	Child
 * @report:	Read end of its pipe, closed here
 * @m:		Messages, filled in
 *
 * Return: number of messages
 */
static int fake_report(pid_t pid, int report, struct fake_msg *m)
{
	int n = 0;

	waitpid(pid, NULL, 0);
	while (n < SCRIPT_MAX && read(report, &m[n], sizeof(m[n])) ==
	       (ssize_t)sizeof(m[n]))
		n++;
	close(report);
	return n;
}

/**
 * drive() - Run the main loop's dispatch for the repair descriptors
 * @timeout_ms:	How long to wait for events
 */
static void drive(int timeout_ms)
{
	struct epoll_event ev[4];
	int n, i;

	n = epoll_wait(c.epollfd, ev, 4, timeout_ms);
	for (i = 0; i < n; i++) {
		union epoll_ref ref = { .u64 = ev[i].data.u64 };

		if (ref.type == EPOLL_TYPE_REPAIR_LISTEN)
			repair_listen_handler(ev[i].events);
		else if (ref.type == EPOLL_TYPE_REPAIR)
			repair_handler(ev[i].events);
	}
}

/**
 * drive_until_gone() - Run the main loop until no helper is connected
 *
 * Return: true if it went within two seconds
 */
static bool drive_until_gone(void)
{
	int i;

	for (i = 0; i < 20 && repair_ready(); i++)
		drive(100);
	return !repair_ready();
}

/**
 * fd_count() - Count our open descriptors
 *
 * Return: entries in /proc/self/fd
 */
static int fd_count(void)
{
	DIR *d = opendir("/proc/self/fd");
	const struct dirent *e;
	int n = 0;

	if (!d)
		abort();
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

/**
 * ms_since() - Milliseconds since a time
 * @t:		Earlier CLOCK_MONOTONIC time
 *
 * Return: milliseconds
 */
static int64_t ms_since(const struct timespec *t)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return timespec_diff_ms(&now, t);
}

/**
 * conns_open() - Open FDS_MAX established loopback connections
 *
 * Return: 0 on success, -1 on failure
 */
static int conns_open(void)
{
	struct sockaddr_in a = {
		.sin_family = AF_INET,
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	socklen_t len = sizeof(a);
	int l, i;

	l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof(a)) ||
	    listen(l, FDS_MAX) ||
	    getsockname(l, (struct sockaddr *)&a, &len))
		return -1;

	for (i = 0; i < FDS_MAX; i++) {
		fds[i] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fds[i] < 0 ||
		    connect(fds[i], (struct sockaddr *)&a, sizeof(a)))
			return -1;
		peers[i] = accept4(l, NULL, NULL, SOCK_CLOEXEC);
		if (peers[i] < 0)
			return -1;
	}

	close(l);
	return 0;
}

/**
 * no_helper() - Without a helper: nothing to wait for, nothing sent
 */
static void no_helper(void)
{
	UNIT_CHECK(!repair_ready());
	UNIT_CHECK(repair_set(fds, 1, REPAIR_ON) == ENOTCONN);
	UNIT_CHECK(repair_wait(50) == ETIMEDOUT);
	UNIT_CHECK(!repair_ready());
}

/**
 * checks_first() - A bad command or descriptor is refused before sending,
 *		    and the helper stays
 */
static void checks_first(void)
{
	static const enum fake_act script[] = { FAKE_ECHO, FAKE_END };
	int bad[2] = { fds[0], -1 }, report;
	struct fake_msg m[SCRIPT_MAX];
	pid_t pid;

	UNIT_CHECK(repair_set(fds, 0, REPAIR_ON) == 0);

	pid = fake_start(script, &report);
	UNIT_CHECK(repair_wait(2000) == 0);
	UNIT_CHECK(repair_set(fds, 1, 2) == EINVAL);
	UNIT_CHECK(repair_set(fds, 1, -2) == EINVAL);
	UNIT_CHECK(repair_set(bad, 2, REPAIR_ON) == EBADF);
	UNIT_CHECK(repair_set(fds, 0, REPAIR_OFF) == 0);
	UNIT_CHECK(repair_ready());

	/* The one message the helper sees is this one */
	UNIT_CHECK(repair_set(fds, 1, REPAIR_OFF) == 0);
	UNIT_CHECK(fake_report(pid, report, m) == 1);
	UNIT_CHECK(m[0].cmd == 0 && m[0].fds == 253 && m[0].conns == 1);
	UNIT_CHECK(drive_until_gone());
}

/**
 * in_repair() - Count the sockets in repair mode
 * @n:		Check the first @n of fds[]
 *
 * Return: number of sockets with TCP_REPAIR set
 */
static int in_repair(int n)
{
	int i, k = 0;

	for (i = 0; i < n; i++) {
		socklen_t sl = sizeof(int);
		int v = 0;

		if (!getsockopt(fds[i], SOL_TCP, TCP_REPAIR, &v, &sl) && v)
			k++;
	}
	return k;
}

/**
 * batching() - 600 sockets in 3 messages, 253 in 1, 254 in 2, each echoed,
 *		with the command as given, every message padded to 253
 *		descriptors, the sockets switched, and nothing left open
 */
static void batching(void)
{
	static const enum fake_act script[] = {
		FAKE_ECHO, FAKE_ECHO, FAKE_ECHO, FAKE_ECHO, FAKE_ECHO,
		FAKE_ECHO, FAKE_END
	};
	static const struct fake_msg want[] = {
		{ 1, 253, 253 }, { 1, 253, 253 }, { 1, 253, 94 },
		{ 0xff, 253, 253 }, { 0, 253, 253 }, { 0, 253, 1 },
	};
	struct fake_msg m[SCRIPT_MAX];
	int before = fd_count(), report, n, i;
	pid_t pid;

	pid = fake_start(script, &report);
	UNIT_CHECK(repair_wait(2000) == 0);
	UNIT_CHECK(repair_set(fds, 600, REPAIR_ON) == 0);
	UNIT_CHECK(in_repair(600) == 600);
	UNIT_CHECK(repair_set(fds, 253, REPAIR_OFF_NO_WP) == 0);
	UNIT_CHECK(in_repair(600) == 600 - 253);
	UNIT_CHECK(repair_set(fds, 254, REPAIR_OFF) == 0);
	UNIT_CHECK(in_repair(600) == 600 - 254);
	UNIT_CHECK(repair_ready());

	n = fake_report(pid, report, m);
	UNIT_CHECK(n == (int)ARRAY_SIZE(want));
	for (i = 0; i < n && i < (int)ARRAY_SIZE(want); i++) {
		UNIT_CHECK(m[i].cmd == want[i].cmd);
		UNIT_CHECK(m[i].fds == want[i].fds);
		UNIT_CHECK(m[i].conns == want[i].conns);
	}

	/* The helper left once done: the main loop notices */
	UNIT_CHECK(drive_until_gone());
	UNIT_CHECK(fd_count() == before);
}

/**
 * lazy() - An echo with the sockets left as they were is a failure
 */
static void lazy(void)
{
	static const enum fake_act script[] = { FAKE_LAZY, FAKE_END };
	struct fake_msg m[SCRIPT_MAX];
	int report, off = in_repair(FDS_MAX);
	pid_t pid;

	pid = fake_start(script, &report);
	UNIT_CHECK(repair_wait(2000) == 0);
	UNIT_CHECK(in_repair(3) == 0);
	UNIT_CHECK(repair_set(fds, 3, REPAIR_ON) == EPROTO);
	UNIT_CHECK(!repair_ready());
	UNIT_CHECK(in_repair(FDS_MAX) == off);
	UNIT_CHECK(fake_report(pid, report, m) == 1);
}

/**
 * wrong_echo() - Another byte back is a failure, and drops the helper
 */
static void wrong_echo(void)
{
	static const enum fake_act script[] = { FAKE_WRONG, FAKE_END };
	struct fake_msg m[SCRIPT_MAX];
	int before = fd_count(), report;
	pid_t pid;

	pid = fake_start(script, &report);
	UNIT_CHECK(repair_wait(2000) == 0);
	UNIT_CHECK(repair_set(fds, 3, REPAIR_ON) == EPROTO);
	UNIT_CHECK(!repair_ready());
	UNIT_CHECK(fake_report(pid, report, m) == 1);
	UNIT_CHECK(fd_count() == before);
}

/**
 * dies_mid_batch() - A helper that dies at the second of three messages:
 *		      the call fails at once, not at the timeout, and the
 *		      third message isn't sent
 */
static void dies_mid_batch(void)
{
	static const enum fake_act script[] = {
		FAKE_ECHO, FAKE_CLOSE, FAKE_ECHO, FAKE_END
	};
	struct fake_msg m[SCRIPT_MAX];
	int before = fd_count(), report;
	struct timespec t0;
	pid_t pid;

	pid = fake_start(script, &report);
	UNIT_CHECK(repair_wait(2000) == 0);

	clock_gettime(CLOCK_MONOTONIC, &t0);
	UNIT_CHECK(repair_set(fds, 600, REPAIR_ON) == ECONNRESET);
	UNIT_CHECK(ms_since(&t0) < REPAIR_ECHO_TIMEOUT_MS);
	UNIT_CHECK(!repair_ready());

	UNIT_CHECK(fake_report(pid, report, m) == 2);
	UNIT_CHECK(m[1].fds == 253);
	UNIT_CHECK(fd_count() == before);
}

/**
 * silent() - A helper that never answers: the call gives up after its
 *	      timeout, not before and not much later, and drops the helper
 */
static void silent(void)
{
	static const enum fake_act script[] = { FAKE_SILENT, FAKE_END };
	struct fake_msg m[SCRIPT_MAX];
	int before = fd_count(), report;
	struct timespec t0;
	int64_t ms;
	pid_t pid;

	pid = fake_start(script, &report);
	UNIT_CHECK(repair_wait(2000) == 0);

	clock_gettime(CLOCK_MONOTONIC, &t0);
	UNIT_CHECK(repair_set(fds, 10, REPAIR_ON) == ETIMEDOUT);
	ms = ms_since(&t0);
	UNIT_CHECK(ms >= REPAIR_ECHO_TIMEOUT_MS - 10);
	UNIT_CHECK(ms < 3 * REPAIR_ECHO_TIMEOUT_MS);
	UNIT_CHECK(!repair_ready());

	/* Dropped: the helper sees the hang-up and leaves */
	UNIT_CHECK(fake_report(pid, report, m) == 1);
	UNIT_CHECK(fd_count() == before);
}

/**
 * second_refused() - A second helper is turned away, the first serves on
 */
static void second_refused(void)
{
	static const enum fake_act one[] = { FAKE_ECHO, FAKE_END };
	static const enum fake_act two[] = { FAKE_ECHO, FAKE_END };
	struct fake_msg m[SCRIPT_MAX];
	int report1, report2, i;
	pid_t pid1, pid2;

	pid1 = fake_start(one, &report1);
	UNIT_CHECK(repair_wait(2000) == 0);

	/* Turned away: its connection closes before any message */
	pid2 = fake_start(two, &report2);
	for (i = 0; i < 20 && !waitpid(pid2, NULL, WNOHANG); i++)
		drive(100);
	UNIT_CHECK(i < 20);
	UNIT_CHECK(fake_report(pid2, report2, m) == 0);

	UNIT_CHECK(repair_ready());
	UNIT_CHECK(repair_set(fds, 1, REPAIR_ON) == 0);
	UNIT_CHECK(fake_report(pid1, report1, m) == 1);
	UNIT_CHECK(drive_until_gone());
}

/**
 * out_of_turn() - A helper sending while no request is under way is
 *		   dropped: its byte would be taken for the next echo
 */
static void out_of_turn(void)
{
	int s, i;
	pid_t pid;

	pid = fork();
	if (pid < 0)
		abort();
	if (!pid) {
		uint8_t b = REPAIR_ON;

		s = fake_connect();
		(void)!send(s, &b, 1, MSG_NOSIGNAL);
		while (recv(s, &b, 1, 0) > 0)
			;
		_exit(0);
	}

	UNIT_CHECK(repair_wait(2000) == 0);
	for (i = 0; i < 20 && repair_ready(); i++)
		drive(100);
	UNIT_CHECK(!repair_ready());
	UNIT_CHECK(waitpid(pid, NULL, 0) == pid);
}

/**
 * main() - Listen on a repair socket in a directory of our own, run the
 *	    cases
 *
 * Return: EXIT_SUCCESS if every case passed
 */
int main(void)
{
	char dir[] = "/tmp/passt-unit-repair.XXXXXX";
	struct rlimit rl;

	signal(SIGPIPE, SIG_IGN);
	if (!getrlimit(RLIMIT_NOFILE, &rl)) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}

	if (!netns_setup()) {
		printf("FAIL unit/repair: can't set up a network namespace\n");
		return EXIT_FAILURE;
	}

	if (!mkdtemp(dir))
		abort();
	snprintf(sock_path, sizeof(sock_path), "%s/unit.repair", dir);

	c.epollfd = epoll_create1(EPOLL_CLOEXEC);
	c.repair = true;
	c.runas_uid = geteuid();
	c.runas_gid = getegid();
	memcpy(c.repair_path, sock_path, sizeof(c.repair_path));
	repair_init(&c);

	if (conns_open())
		abort();

	UNIT_RUN(no_helper);
	UNIT_RUN(checks_first);
	UNIT_RUN(batching);
	UNIT_RUN(lazy);
	UNIT_RUN(wrong_echo);
	UNIT_RUN(dies_mid_batch);
	UNIT_RUN(silent);
	UNIT_RUN(second_refused);
	UNIT_RUN(out_of_turn);

	/* repair_cleanup() removes it too, at exit: harmless */
	unlink(sock_path);
	rmdir(dir);
	UNIT_EXIT();
}
