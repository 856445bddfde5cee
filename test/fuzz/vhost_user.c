// SPDX-License-Identifier: GPL-2.0-or-later
/* test/fuzz/vhost_user.c - libFuzzer target: a stream of vhost-user
 * messages from a front end, with descriptors, to the daemon's control
 * socket, while guest memory changes and queues are kicked
 *
 * Each message names any request, ours or not, with any flags, a payload
 * of any size (the size the request takes, mostly) and up to one more
 * descriptor than the daemon takes: guest memory, eventfds, either end of
 * a pipe (the read end with bytes in it, as a device state to load). A
 * message may have its payload put right for its request (guest memory as
 * one region, rings where they fit), so that inputs get past the checks
 * into the device and its queues. Every reply must answer the request
 * sent, framed right, once. When the input ends, the front end leaves:
 * the daemon must let go of the device and close every descriptor it was
 * given, and every flow the guest's frames opened must time out.
 *
 * Input: operations until it ends, see enum op; a message is the request
 * selector, flags (MSG_*), descriptor count, the payload size if the flags
 * say so, as many bytes of payload, then each descriptor's kind (and for
 * a pipe's read end, its length and bytes).
 */

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "ctx.h"
#include "fuzz.h"
#include "fuzz_vu.h"
#include "util.h"
#include "vu_dev.h"

enum op {
	OP_MSG,		/* a message */
	OP_MEM,		/* bytes into guest memory */
	OP_KICK,	/* a kick on one of our eventfds */
	OP_SETUP,	/* the device set up as QEMU does */
	OP_TIME,	/* time passes, timers run */
	OP_MAX,
};

/* Message flags byte */
#define MSG_NEED_REPLY	(1U << 0)	/* ask for an acknowledgement */
#define MSG_BAD_VERSION	(1U << 1)	/* a version we don't speak */
#define MSG_AS_REPLY	(1U << 2)	/* the reply flag, from the front end */
#define MSG_ANY_SIZE	(1U << 3)	/* payload size from the input */
#define MSG_FIX		(1U << 4)	/* payload put right for its request */

/* Kinds of descriptors a message carries */
enum fd_kind {
	FD_MEM,		/* guest memory */
	FD_EVENT,	/* an eventfd of our own */
	FD_PIPE_READ,	/* read end of a pipe with bytes in it, write end
			 * closed: a device state to load */
	FD_PIPE_WRITE,	/* write end of a pipe nobody reads but us */
	FD_KINDS,
};

/* The requests we know, the last known plus one, and their usual payload
 * sizes; a request selector past them is any number at all
 */
static const struct {
	uint32_t req;
	uint32_t size;
} reqs[] = {
	{ VHOST_USER_GET_FEATURES, 0 },
	{ VHOST_USER_SET_FEATURES, VU_U64_LEN },
	{ VHOST_USER_SET_OWNER, 0 },
	{ VHOST_USER_RESET_OWNER, 0 },
	{ VHOST_USER_SET_MEM_TABLE, 8 + 32 },
	{ VHOST_USER_SET_LOG_BASE, VU_LOG_LEN },
	{ VHOST_USER_SET_LOG_FD, 0 },
	{ VHOST_USER_SET_VRING_NUM, VU_STATE_LEN },
	{ VHOST_USER_SET_VRING_ADDR, VU_ADDR_LEN },
	{ VHOST_USER_SET_VRING_BASE, VU_STATE_LEN },
	{ VHOST_USER_GET_VRING_BASE, VU_STATE_LEN },
	{ VHOST_USER_SET_VRING_KICK, VU_U64_LEN },
	{ VHOST_USER_SET_VRING_CALL, VU_U64_LEN },
	{ VHOST_USER_SET_VRING_ERR, VU_U64_LEN },
	{ VHOST_USER_GET_PROTOCOL_FEATURES, 0 },
	{ VHOST_USER_SET_PROTOCOL_FEATURES, VU_U64_LEN },
	{ VHOST_USER_GET_QUEUE_NUM, 0 },
	{ VHOST_USER_SET_VRING_ENABLE, VU_STATE_LEN },
	{ VHOST_USER_SEND_RARP, VU_U64_LEN },
	{ VHOST_USER_GET_CONFIG, 12 + 12 },
	{ VHOST_USER_SET_DEVICE_STATE_FD, VU_STATE_LEN },
	{ VHOST_USER_CHECK_DEVICE_STATE, 0 },
	{ VHOST_USER_REQUEST_MAX, 0 },
};

static struct ctx c;
/* Descriptors open when the input started: it must leave as many */
static int fd_baseline;

/**
 * fix_payload() - Put a payload right for its request, where a wrong one
 *		   would stop at the first check
 * @req:	Request
 * @p:		Payload, VU_PAYLOAD_MAX bytes, from the input, zeroes after
 *		@size
 * @size:	Its size, updated
 * @fds:	Descriptors, the first made guest memory where it must be
 * @nfds:	Number of them, updated
 */
static void fix_payload(uint32_t req, uint8_t *p, uint32_t *size, int *fds,
			size_t *nfds)
{
	uint64_t log_size = (FUZZ_VU_MEM_SIZE / VIRTIO_LOG_PAGE + 7) / 8;
	uint32_t q = p[0] & 1;

	switch (req) {
	case VHOST_USER_SET_MEM_TABLE:
		fuzz_vu_mem_table(p);
		*size = 8 + 32;
		break;
	case VHOST_USER_SET_LOG_BASE:
		/* The log in the last pages of guest memory */
		memcpy(p, &log_size, 8);
		memcpy(p + 8, &(uint64_t){ FUZZ_VU_MEM_SIZE - 4096 }, 8);
		*size = VU_LOG_LEN;
		break;
	case VHOST_USER_SET_VRING_ADDR:
		fuzz_vu_ring_addr(q, p);
		*size = VU_ADDR_LEN;
		return;
	case VHOST_USER_SET_VRING_NUM:
	case VHOST_USER_SET_VRING_BASE:
	case VHOST_USER_GET_VRING_BASE:
	case VHOST_USER_SET_VRING_ENABLE:
		memcpy(p, &q, 4);
		p[5] = p[6] = p[7] = 0;
		*size = VU_STATE_LEN;
		return;
	case VHOST_USER_SET_VRING_KICK:
	case VHOST_USER_SET_VRING_CALL:
	case VHOST_USER_SET_VRING_ERR:
		memcpy(p, &(uint64_t){ q }, 8);
		*size = VU_U64_LEN;
		if (!*nfds) {
			fds[0] = fuzz_vu_kick[q];
			*nfds = 1;
		}
		return;
	case VHOST_USER_SET_DEVICE_STATE_FD:
		memcpy(p, &(uint32_t){ p[0] & 1 }, 4);
		memset(p + 4, 0, 4);
		*size = VU_STATE_LEN;
		return;
	default:
		return;
	}

	/* Memory table and log: one descriptor, our guest memory */
	fds[0] = fuzz_vu_memfd;
	*nfds = 1;
}

/**
 * fd_make() - A descriptor for a message
 * @in:		Input: the kind, and for a pipe's read end, its bytes
 * @mine:	Descriptors of ours to close once the message is handled,
 *		appended to
 * @nmine:	Number of them, updated
 *
 * Return: the descriptor to pass
 */
static int fd_make(struct fuzz_in *in, int *mine, size_t *nmine)
{
	uint8_t k = fuzz_u8(in);
	uint8_t buf[256];
	int p[2];
	size_t n;

	switch ((enum fd_kind)(k % FD_KINDS)) {
	case FD_MEM:
		return fuzz_vu_memfd;
	case FD_EVENT:
		return fuzz_vu_call[(k >> 2) & 1];
	case FD_PIPE_READ:
		if (pipe2(p, O_CLOEXEC))
			abort();
		n = fuzz_bytes(in, buf, MIN((size_t)fuzz_u8(in), in->left));
		if (n && write(p[1], buf, n) != (ssize_t)n)
			abort();
		close(p[1]);
		mine[(*nmine)++] = p[0];
		return p[0];
	default:
		/* Read by nobody until the message is handled: what fits in
		 * the pipe, the daemon writes at once
		 */
		if (pipe2(p, O_CLOEXEC | O_NONBLOCK))
			abort();
		mine[(*nmine)++] = p[0];
		mine[(*nmine)++] = p[1];
		return p[1];
	}
}

/**
 * op_msg() - OP_MSG: a message from the input
 * @in:		Input
 */
static void op_msg(struct fuzz_in *in)
{
	static uint8_t payload[VU_PAYLOAD_MAX + 16];
	uint8_t sel = fuzz_u8(in), mf = fuzz_u8(in), nfd = fuzz_u8(in);
	int fds[FUZZ_VU_FDS_MAX], mine[FUZZ_VU_FDS_MAX * 2];
	uint32_t req, size, flags = VHOST_USER_VERSION;
	size_t nfds = nfd % (FUZZ_VU_FDS_MAX + 1), nmine = 0, i;

	if (sel < ARRAY_SIZE(reqs) * 8) {
		req = reqs[sel % ARRAY_SIZE(reqs)].req;
		size = reqs[sel % ARRAY_SIZE(reqs)].size;
	} else {
		req = fuzz_u8(in);
		size = fuzz_u8(in);
	}
	if (mf & MSG_ANY_SIZE)
		size = fuzz_u16(in) % sizeof(payload);
	if (mf & MSG_NEED_REPLY)
		flags |= VHOST_USER_NEED_REPLY;
	if (mf & MSG_BAD_VERSION)
		flags ^= VHOST_USER_VERSION | (mf >> 6);
	if (mf & MSG_AS_REPLY)
		flags |= VHOST_USER_REPLY;

	memset(payload, 0, sizeof(payload));
	fuzz_bytes(in, payload, size);
	for (i = 0; i < nfds; i++)
		fds[i] = fd_make(in, mine, &nmine);
	if (mf & MSG_FIX)
		fix_payload(req, payload, &size, fds, &nfds);

	fuzz_vu_msg(&c, req, flags, payload, size, fds, nfds);

	for (i = 0; i < nmine; i++)
		close(mine[i]);
}

/**
 * op_mem() - OP_MEM: the guest writes bytes anywhere in its memory
 * @in:		Input
 */
static void op_mem(struct fuzz_in *in)
{
	size_t off = (size_t)fuzz_u16(in) * 16 % FUZZ_VU_MEM_SIZE;
	size_t len = MIN((size_t)fuzz_u8(in), FUZZ_VU_MEM_SIZE - off);

	fuzz_bytes(in, fuzz_vu_mem + off, MIN(len, in->left));
}

/**
 * cleanup() - Leave, at exit, so that the daemon's socket goes
 */
static void cleanup(void)
{
	fuzz_vu_disconnect(&c);
}

/**
 * LLVMFuzzerInitialize() - Namespace, context, the daemon listening
 * @argc:	Unused
 * @argv:	Unused
 *
 * Return: 0
 */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;

	/* A pipe whose reader left: EPIPE, as for the daemon */
	signal(SIGPIPE, SIG_IGN);
	fuzz_isolate();
	fuzz_init();
	fuzz_ctx_init(&c);
	c.l2 = NULL;
	fuzz_flows_init(&c);
	fuzz_vu_init(&c);
	atexit(cleanup);
	return 0;
}

/**
 * LLVMFuzzerTestOneInput() - Connect, send the messages, leave
 * @data:	Input
 * @size:	Its length
 *
 * Return: 0
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	uint64_t ms;

	fd_baseline = fuzz_fd_count();
	fuzz_vu_connect(&c);

	while (in.left) {
		switch ((enum op)(fuzz_u8(&in) % OP_MAX)) {
		case OP_MSG:
			op_msg(&in);
			break;
		case OP_MEM:
			op_mem(&in);
			break;
		case OP_KICK:
			fuzz_vu_do_kick(&c, fuzz_u8(&in));
			break;
		case OP_SETUP:
			fuzz_vu_setup(&c, fuzz_vu_features(fuzz_u16(&in)),
				      1U << (fuzz_u8(&in) % 12));
			break;
		default:
			ms = fuzz_u16(&in);
			c.now.tv_sec += (time_t)(ms / 1000);
			fuzz_timers(&c);
			fuzz_vu_run(&c);
			break;
		}
	}

	fuzz_vu_disconnect(&c);
	fuzz_flows_settle(&c);
	fuzz_fd_check(fd_baseline);
	return 0;
}
