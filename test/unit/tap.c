// SPDX-License-Identifier: GPL-2.0-or-later
/* test/unit/tap.c - the stream front end's write path under backpressure:
 * a slow reader on the other end of a socket pair must see exactly the
 * frames reported as sent, whole and in order, never a broken stream, and
 * the front end must say when it takes frames again after refusing some
 */

#include <errno.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ctx.h"
#include "epoll_ref.h"
#include "l2.h"
#include "tap.h"
#include "unit.h"
#include "util.h"

/* Several frames fit a socket buffer, one sendmsg() spans several */
#define FRAME_LEN	9000
#define BATCH		16
#define ROUNDS		400

static struct ctx c;
static uint8_t frames[BATCH][FRAME_LEN];
static unsigned writable;	/* Calls of on_writable() */

/**
 * struct tally - What was sent, or what arrived
 * @count:	Number of frames
 * @sum:	Sum of their sequence numbers, each times its position
 */
struct tally {
	uint64_t count;
	uint64_t sum;
};

/**
 * reader() - Child: read frames slowly, check each, report the tally
 * @fd:		Socket to read
 * @out:	Pipe to write the tally to
 *
 * Return: 0 if every frame was well-formed and in order, 1 otherwise
 */
static int reader(int fd, int out)
{
	static uint8_t buf[1 << 20];
	const struct timespec pause = { .tv_nsec = 2000000L };
	struct tally t = { 0 };
	uint32_t last = 0;
	size_t len = 0;
	int bad = 0;

	for (;;) {
		size_t off = 0;
		ssize_t n;

		/* Slow: let the writer's socket buffer fill up */
		nanosleep(&pause, NULL);
		n = read(fd, buf + len, 65536);
		if (n <= 0)
			break;
		len += (size_t)n;

		while (len - off >= 4) {
			uint32_t flen = get_be32(buf + off), seq;

			if (flen != FRAME_LEN) {
				bad = 1;
				break;
			}
			if (len - off - 4 < flen)
				break;
			seq = get_be32(buf + off + 4 + 14);
			/* Sequence numbers only grow; gaps are unsent frames */
			if (seq <= last || get_be32(buf + off + 4 + flen - 4)
			    != seq)
				bad = 1;
			last = seq;
			t.count++;
			t.sum += (uint64_t)seq * t.count;
			off += 4 + flen;
		}
		if (bad)
			break;
		len -= off;
		memmove(buf, buf + off, len);
	}

	if (len)
		bad = 1;
	(void)!write(out, &t, sizeof(t));
	return bad;
}

/**
 * on_writable() - Count the front end's calls of l2_writable()
 * @ctx:	Execution context, unused
 */
static void on_writable(struct ctx *ctx)
{
	(void)ctx;
	writable++;
}

/**
 * tap_events() - The main loop's part: hand the front end its events
 * @timeout_ms:	Longest wait for one, in milliseconds
 */
static void tap_events(int timeout_ms)
{
	struct epoll_event ev[4];
	int i, n = epoll_wait(c.epollfd, ev, 4, timeout_ms);

	for (i = 0; i < n; i++) {
		union epoll_ref ref = { .u64 = ev[i].data.u64 };

		if (ref.type == EPOLL_TYPE_TAP)
			tap_handler(&c, ev[i].events);
	}
}

static unsigned refused;		/* Frames handed back by the flush */

/**
 * on_refused() - Count a committed frame the front end didn't deliver
 * @ctx:	Execution context, unused
 * @tag:	Tag of the frame, unused
 */
static void on_refused(struct ctx *ctx, const struct l2_tag *tag)
{
	(void)ctx;
	(void)tag;
	refused++;
}

/**
 * send_round() - Offer a batch of numbered frames to the front end, through
 *		  room it lends, and flush them
 * @seq:	Last sequence number used, updated
 * @sent:	Tally of the frames taken, updated
 *
 * Return: number of frames delivered
 */
static size_t send_round(uint32_t *seq, struct tally *sent)
{
	const struct l2_tag tag = { .refused = on_refused };
	uint32_t first = *seq + 1;
	size_t i, committed = 0, n;

	for (i = 0; i < BATCH; i++) {
		struct l2_room *room;

		if (!l2_lend(&c, &room, 1, FRAME_LEN))
			break;
		++*seq;
		memset(frames[i], 0, FRAME_LEN);
		put_be32(frames[i] + 14, *seq);
		put_be32(frames[i] + FRAME_LEN - 4, *seq);
		l2_room_write(room, 0, frames[i], FRAME_LEN);
		l2_commit(&c, room, FRAME_LEN, &tag, NULL);
		committed++;
	}

	refused = 0;
	l2_flush(&c);
	n = committed - refused;

	/* Delivered frames are the first ones, in order */
	for (i = 0; i < n; i++) {
		sent->count++;
		sent->sum += (uint64_t)(first + i) * sent->count;
	}

	return n;
}

/**
 * tap_send_backpressure() - Frames reported sent arrive whole and in order,
 *			     and l2_writable() follows a refusal
 */
static void tap_send_backpressure(void)
{
	struct tally sent = { 0 }, got = { 0 };
	unsigned round, dropped = 0, before, wait;
	uint32_t seq = 0;
	int sv[2], pipefd[2], status;
	size_t n = 0;
	pid_t pid;

	UNIT_CHECK(!socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	UNIT_CHECK(!pipe(pipefd));

	pid = fork();
	if (!pid) {
		close(sv[0]);
		close(pipefd[0]);
		_exit(reader(sv[1], pipefd[1]));
	}
	close(sv[1]);
	close(pipefd[1]);

	c.epollfd = epoll_create1(0);
	c.fd_tap = sv[0];
	c.mtu = MTU_DEFAULT;
	l2_on_writable(on_writable);
	tap_init(&c);
	UNIT_CHECK(c.l2 != NULL);

	for (round = 0; round < ROUNDS && c.l2; round++) {
		n = send_round(&seq, &sent);
		UNIT_CHECK(n <= BATCH);
		dropped += (unsigned)(BATCH - n);
		tap_events(0);
	}

	/* End on a refusal, and wait for the front end to take frames again:
	 * by then, it wrote the rest of any frame it had to cut
	 */
	for (round = 0; round < ROUNDS && c.l2; round++) {
		n = send_round(&seq, &sent);
		dropped += (unsigned)(BATCH - n);
		if (n < BATCH)
			break;
		tap_events(0);
	}
	UNIT_CHECK(n < BATCH);
	before = writable;
	for (wait = 0; wait < 100 && writable == before; wait++)
		tap_events(100);
	UNIT_CHECK(writable > before);

	/* Closing our end lets the reader finish */
	tap_cleanup(&c);
	close(c.epollfd);

	UNIT_CHECK(read_all(pipefd[0], &got, sizeof(got)) == 0);
	close(pipefd[0]);
	UNIT_CHECK(waitpid(pid, &status, 0) == pid);
	UNIT_CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);

	/* The reader was slow enough to make the writer drop frames */
	UNIT_CHECK(dropped > 0);
	UNIT_CHECK(sent.count > 0);
	UNIT_CHECK(got.count == sent.count);
	UNIT_CHECK(got.sum == sent.sum);
}

/**
 * main() - Run the cases
 *
 * Return: 0 if all passed
 */
int main(void)
{
	UNIT_RUN(tap_send_backpressure);
	UNIT_EXIT();
}
