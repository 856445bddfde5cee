// SPDX-License-Identifier: GPL-2.0-or-later
/* test/fuzz/tap.c - libFuzzer target: the stream front end's frame reader,
 * fed any byte stream, cut into reads at any points
 *
 * A client connects to the front end's real listening socket and writes
 * the stream in pieces, each followed by the front end's read; ingress is
 * replaced by a check that the frames handed over are exactly those a
 * reference reader finds in the stream, whole and in order, up to the
 * first length no frame can have, after which the front end must drop the
 * client. Then the client leaves, and the front end must wait for the next
 * one with every descriptor of this one closed.
 *
 * Input: MTU selector (1 byte), seed for the cut points (4 bytes), then the
 * stream.
 */

#include <errno.h>
#include <net/ethernet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctx.h"
#include "fuzz.h"
#include "ingress.h"
#include "tap.h"
#include "util.h"

#define HDR_LEN		4
/* Longest single write of the client, below any socket buffer size */
#define PIECE_MAX	65536

static struct ctx c;
/* Descriptors open when the input started: it must leave as many */
static int fd_baseline;
static size_t frame_max;

/* What the reference reader expects next: offset of the next frame's
 * length prefix in the stream being fed
 */
static const uint8_t *stream;
static size_t stream_len;
static size_t expect_off;
static bool expect_broken;	/* a bad length was reached */

/**
 * frame_len_ok() - Can a frame have this length? No frame is shorter than
 *		    an Ethernet header, or longer than the MTU allows
 * @flen:	Length from a prefix
 *
 * Return: true if a frame may be that long
 */
static bool frame_len_ok(size_t flen)
{
	return flen >= ETH_HLEN && flen <= frame_max;
}

/**
 * ingress_frames() - Stands in for ingress: each frame handed over must be
 *		      the next one of the stream
 * @ctx:	Execution context, unused
 * @frames:	Frames
 * @off:	What each frame leaves to us: the stream front end says
 *		nothing, so NULL
 * @n:		Number of frames
 *
 * Return: 0, no frame dropped for its offload
 */
unsigned ingress_frames(struct ctx *ctx, const struct iovec *frames,
			const struct ingress_offload *off, size_t n)
{
	size_t i;

	(void)ctx;
	if (off) {
		fprintf(stderr, "fuzz: offloads from the stream front end\n");
		abort();
	}
	for (i = 0; i < n; i++) {
		size_t flen;

		if (expect_broken || stream_len - expect_off < HDR_LEN) {
			fprintf(stderr, "fuzz: frame past the stream's end\n");
			abort();
		}
		flen = get_be32(stream + expect_off);
		if (!frame_len_ok(flen) || flen != frames[i].iov_len ||
		    stream_len - expect_off - HDR_LEN < flen ||
		    memcmp(frames[i].iov_base, stream + expect_off + HDR_LEN,
			   flen)) {
			fprintf(stderr, "fuzz: frame at %zu passed on wrong\n",
				expect_off);
			abort();
		}
		expect_off += HDR_LEN + flen;
	}
	return 0;
}

/**
 * expect_end() - Where the reference reader stops in a stream
 * @complete:	Set if it stops at a bad length, not at the end
 *
 * Return: offset of the first frame not handed over, at the end of the
 *	   stream or at a bad length
 */
static size_t expect_end(bool *complete)
{
	size_t off = 0;

	*complete = false;
	while (stream_len - off >= HDR_LEN) {
		size_t flen = get_be32(stream + off);

		if (!frame_len_ok(flen)) {
			*complete = true;
			return off;
		}
		if (stream_len - off - HDR_LEN < flen)
			break;
		off += HDR_LEN + flen;
	}
	return off;
}

/**
 * next_cut() - Length of the next piece the client writes
 * @seed:	Generator state, updated
 *
 * Return: 1 to PIECE_MAX, mostly short, sometimes long
 */
static size_t next_cut(uint32_t *seed)
{
	/* xorshift32: cheap, and the same cuts for the same input */
	*seed ^= *seed << 13;
	*seed ^= *seed >> 17;
	*seed ^= *seed << 5;

	switch (*seed & 3) {
	case 0:
		return 1 + (*seed >> 8) % 4;
	case 1:
		return 1 + (*seed >> 8) % 64;
	case 2:
		return 1 + (*seed >> 8) % 2048;
	default:
		return 1 + (*seed >> 8) % PIECE_MAX;
	}
}

/**
 * cleanup() - Close the front end and remove its socket path, at exit
 */
static void cleanup(void)
{
	tap_cleanup(&c);
}

/**
 * LLVMFuzzerInitialize() - Listen on a socket path of this process's own
 * @argc:	Unused
 * @argv:	Unused
 *
 * Return: 0
 */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;

	fuzz_init();
	fuzz_ctx_init(&c);
	c.l2 = NULL;
	snprintf(c.sock_path, sizeof(c.sock_path),
		 "/tmp/passt-fuzz-tap.%i.socket", (int)getpid());
	c.epollfd = epoll_create1(EPOLL_CLOEXEC);
	if (c.epollfd < 0)
		abort();
	tap_init(&c);
	atexit(cleanup);

	return 0;
}

/**
 * tap_leave_step() - The client socket's hang-up, handled, for fuzz_leave()
 * @ctx:	Execution context
 */
static void tap_leave_step(struct ctx *ctx)
{
	tap_handler(ctx, EPOLLIN | EPOLLRDHUP);
}

/**
 * LLVMFuzzerTestOneInput() - Connect, write the stream in pieces, leave
 * @data:	Input
 * @size:	Its length
 *
 * Return: 0
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int mtus[] = { 0, 68, 1500, 9000, 65520 };
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	struct fuzz_in in = { data, size };
	size_t off = 0, end;
	uint32_t seed;
	bool broken;
	int fd;

	fd_baseline = fuzz_fd_count();
	c.mtu = mtus[fuzz_u8(&in) % ARRAY_SIZE(mtus)];
	frame_max = c.mtu ? MIN((size_t)c.mtu + 14 + 4, (size_t)L2_MAX_LEN) :
			    L2_MAX_LEN;
	seed = (uint32_t)fuzz_u16(&in) << 16 | fuzz_u16(&in);
	seed |= 1;	/* xorshift stays at zero from zero */
	stream = in.p;
	stream_len = in.left;
	expect_off = 0;
	expect_broken = false;
	end = expect_end(&broken);

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	memcpy(addr.sun_path, c.sock_path, sizeof(c.sock_path));
	if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof(addr)))
		abort();
	tap_listen_handler(&c, EPOLLIN);
	if (!c.l2)
		abort();

	while (off < stream_len) {
		size_t n = next_cut(&seed);

		n = MIN(n, stream_len - off);

		if (send(fd, stream + off, n, MSG_NOSIGNAL) != (ssize_t)n) {
			/* The front end dropped us: only for a bad length */
			if (!broken || errno != EPIPE)
				abort();
			break;
		}
		off += n;
		tap_handler(&c, EPOLLIN);

		if (broken && expect_off == end && !c.l2)
			break;
	}

	if (expect_off != end) {
		fprintf(stderr, "fuzz: frames up to %zu handed over, not %zu\n",
			expect_off, end);
		abort();
	}
	if (broken)
		expect_broken = true;
	if (broken != !c.l2) {
		fprintf(stderr, "fuzz: client %s after a %s stream\n",
			c.l2 ? "kept" : "dropped", broken ? "bad" : "good");
		abort();
	}

	close(fd);
	if (!fuzz_leave(&c, tap_leave_step, 1)) {
		fprintf(stderr, "fuzz: client left, still attached\n");
		abort();
	}

	fuzz_fd_check(fd_baseline);
	return 0;
}
