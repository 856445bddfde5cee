// SPDX-License-Identifier: GPL-2.0-or-later
/* fuzz_vu.c - the vhost-user front end that the vhost-user fuzz targets
 * play: guest memory in a memfd, the control socket, messages with
 * descriptors, every reply read and checked, and a device set up as QEMU
 * sets it up, with its rings at fixed places in guest memory
 *
 * Linked into every target in test/fuzz/, never into the daemon.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctx.h"
#include "fuzz.h"
#include "flow.h"
#include "fuzz_vu.h"
#include "util.h"
#include "vhost_user.h"
#include "vu_dev.h"

uint8_t *fuzz_vu_mem;
int fuzz_vu_memfd = -1;
/* The eventfds fuzz_vu_setup() passes for each queue */
int fuzz_vu_kick[VIRTIO_NET_QUEUES] = { -1, -1 };
int fuzz_vu_call[VIRTIO_NET_QUEUES] = { -1, -1 };
int fuzz_vu_err[VIRTIO_NET_QUEUES] = { -1, -1 };

static int fuzz_vu_fe = -1;	/* Our end of the control connection */
static struct ctx *fuzz_vu_ctx;	/* Context the daemon listens in */

/* Passes fuzz_vu_disconnect() gives the daemon to let go: enough for
 * epoll to get round two sockets for every flow the table can hold
 */
#define FUZZ_VU_LEAVE_PASSES	(2 * FLOW_MAX / FUZZ_DISPATCH_EVENTS + 1)

/**
 * fuzz_vu_cleanup() - Close the daemon's socket and remove it, at exit
 */
static void fuzz_vu_cleanup(void)
{
	vu_cleanup(fuzz_vu_ctx);
}

/**
 * fuzz_vu_init() - Guest memory, eventfds, and the daemon listening for a
 *		    vhost-user front end on a socket of this process's own
 * @c:		Execution context from fuzz_ctx_init(), with its epoll
 *		instance
 */
void fuzz_vu_init(struct ctx *c)
{
	unsigned q;

	fuzz_vu_memfd = memfd_create("fuzz-guest", MFD_CLOEXEC);
	if (fuzz_vu_memfd < 0 || ftruncate(fuzz_vu_memfd, FUZZ_VU_MEM_SIZE))
		abort();
	fuzz_vu_mem = mmap(NULL, FUZZ_VU_MEM_SIZE, PROT_READ | PROT_WRITE,
			   MAP_SHARED, fuzz_vu_memfd, 0);
	if (fuzz_vu_mem == MAP_FAILED)
		abort();

	for (q = 0; q < VIRTIO_NET_QUEUES; q++) {
		fuzz_vu_kick[q] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		fuzz_vu_call[q] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		fuzz_vu_err[q] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (fuzz_vu_kick[q] < 0 || fuzz_vu_call[q] < 0 ||
		    fuzz_vu_err[q] < 0)
			abort();
	}

	snprintf(c->sock_path, sizeof(c->sock_path),
		 "/tmp/passt-fuzz-vu.%i.socket", (int)getpid());
	unlink(c->sock_path);
	c->vhost_user = true;
	vu_init(c);
	fuzz_vu_ctx = c;
	atexit(fuzz_vu_cleanup);
}

/**
 * fuzz_vu_run() - Run the daemon's passes until nothing happens
 * @c:		Execution context
 */
void fuzz_vu_run(struct ctx *c)
{
	int pass;

	/* Bounded: a queue that kicks itself comes back every pass */
	for (pass = 0; pass < 16 && fuzz_dispatch(c); pass++)
		;
}

/**
 * fuzz_vu_connect() - Connect as a new front end, be accepted, and start
 *		       from zeroed guest memory
 * @c:		Execution context
 */
void fuzz_vu_connect(struct ctx *c)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	unsigned q;

	memset(fuzz_vu_mem, 0, FUZZ_VU_MEM_SIZE);
	for (q = 0; q < VIRTIO_NET_QUEUES; q++) {
		fuzz_vu_counter(fuzz_vu_kick[q]);
		fuzz_vu_counter(fuzz_vu_call[q]);
		fuzz_vu_counter(fuzz_vu_err[q]);
	}

	memcpy(a.sun_path, c->sock_path, sizeof(a.sun_path));
	fuzz_vu_fe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fuzz_vu_fe < 0 ||
	    connect(fuzz_vu_fe, (struct sockaddr *)&a, sizeof(a)))
		abort();
	fuzz_vu_run(c);
	if (!c->l2) {
		fprintf(stderr, "fuzz: vhost-user front end not accepted\n");
		abort();
	}
}

/**
 * fuzz_vu_pending() - Say which descriptors still have events, and how
 *		       many flows there are, before an abort
 * @c:		Execution context
 */
static void fuzz_vu_pending(const struct ctx *c)
{
	struct epoll_event ev[64];
	int n, i;

	n = epoll_wait(c->epollfd, ev, ARRAY_SIZE(ev), 0);
	fprintf(stderr, "fuzz: %i events pending, %u flows\n", n, flow_count());
	for (i = 0; i < n; i++) {
		union epoll_ref ref = { .u64 = ev[i].data.u64 };

		fprintf(stderr, "fuzz:   type %u, descriptor %u, events %#x\n",
			ref.type, ref.fd, ev[i].events);
	}
}

/**
 * fuzz_vu_pass() - One pass of the main loop, for fuzz_leave()
 * @c:		Execution context
 */
static void fuzz_vu_pass(struct ctx *c)
{
	fuzz_dispatch(c);
}

/**
 * fuzz_vu_disconnect() - Leave, and check that the daemon let go of the
 *			  device: no front end attached any more
 * @c:		Execution context
 *
 * The daemon hears of it in the pass where epoll hands out the control
 * socket's hang-up, which may come after every other ready descriptor has
 * had its turn: not within fuzz_vu_run()'s passes, if flows keep many
 * descriptors ready. So: passes until the device goes, as many as it
 * takes epoll to get round every descriptor the flows may have.
 */
void fuzz_vu_disconnect(struct ctx *c)
{
	if (fuzz_vu_fe >= 0) {
		close(fuzz_vu_fe);
		fuzz_vu_fe = -1;
	}
	if (!fuzz_leave(c, fuzz_vu_pass, FUZZ_VU_LEAVE_PASSES)) {
		fprintf(stderr, "fuzz: front end left, still attached\n");
		fuzz_vu_pending(c);
		abort();
	}
}

/**
 * fuzz_vu_counter() - Read and reset one of our eventfds
 * @fd:		Eventfd
 *
 * Return: its count, 0 if none
 */
uint64_t fuzz_vu_counter(int fd)
{
	uint64_t v = 0;

	if (read(fd, &v, sizeof(v)) < 0)
		return 0;
	return v;
}

/**
 * fuzz_vu_reply() - Read what the daemon answered, and check it: one reply
 *		     at most, for the request sent, framed right
 * @req:	Request sent
 * @ack:	The reply's first 64 bits, if it has them, set
 *
 * Return: true if a reply came
 */
static bool fuzz_vu_reply(uint32_t req, uint64_t *ack)
{
	static uint8_t payload[VU_PAYLOAD_MAX];
	uint32_t hdr[3];
	ssize_t n;

	n = recv(fuzz_vu_fe, hdr, sizeof(hdr), MSG_DONTWAIT);
	if (n <= 0)
		return false;
	if (n != sizeof(hdr) || hdr[0] != req ||
	    hdr[1] != (VHOST_USER_VERSION | VHOST_USER_REPLY) ||
	    hdr[2] > VU_PAYLOAD_MAX ||
	    (hdr[2] && recv(fuzz_vu_fe, payload, hdr[2], MSG_DONTWAIT) !=
	     (ssize_t)hdr[2])) {
		fprintf(stderr, "fuzz: malformed reply to request %u\n", req);
		abort();
	}
	if (hdr[2] >= sizeof(*ack))
		memcpy(ack, payload, sizeof(*ack));

	n = recv(fuzz_vu_fe, hdr, sizeof(hdr), MSG_DONTWAIT | MSG_PEEK);
	if (n > 0) {
		fprintf(stderr, "fuzz: two replies to request %u\n", req);
		abort();
	}
	return true;
}

/**
 * fuzz_vu_msg() - Send a message as the front end, let the daemon handle
 *		   it, and read its reply
 * @c:		Execution context
 * @req:	Request
 * @flags:	Header flags, version included
 * @payload:	Payload
 * @size:	Its size: as the header says, and as sent
 * @fds:	Descriptors to pass
 * @nfds:	Number of them, at most FUZZ_VU_FDS_MAX
 *
 * Return: the reply's first 64 bits (the acknowledgement, for most), 0 if
 *	   a reply came without them, -1 if none came, -2 if the daemon
 *	   closed the connection
 */
int64_t fuzz_vu_msg(struct ctx *c, uint32_t req, uint32_t flags,
		    const void *payload, uint32_t size, const int *fds,
		    size_t nfds)
{
	uint32_t hdr[3] = { req, flags, size };
	union {
		char buf[CMSG_SPACE(sizeof(int) * FUZZ_VU_FDS_MAX)];
		struct cmsghdr align;
	} u;
	struct iovec iov[2] = {
		{ .iov_base = hdr, .iov_len = sizeof(hdr) },
		{ .iov_base = (void *)(uintptr_t)payload, .iov_len = size },
	};
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = 2 };
	uint64_t ack = 0;

	if (fuzz_vu_fe < 0)
		return -2;

	if (nfds) {
		struct cmsghdr *cm;

		memset(u.buf, 0, sizeof(u.buf));
		mh.msg_control = u.buf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(cm), fds, sizeof(int) * nfds);
	}

	if (sendmsg(fuzz_vu_fe, &mh, MSG_NOSIGNAL | MSG_DONTWAIT) !=
	    (ssize_t)(sizeof(hdr) + size)) {
		close(fuzz_vu_fe);
		fuzz_vu_fe = -1;
		fuzz_vu_run(c);
		return -2;
	}

	fuzz_vu_run(c);
	if (fuzz_vu_reply(req, &ack))
		return (int64_t)ack;

	/* Read as closed once the daemon closed its end */
	if (recv(fuzz_vu_fe, hdr, 1, MSG_DONTWAIT | MSG_PEEK) == 0 ||
	    (errno == ECONNRESET)) {
		close(fuzz_vu_fe);
		fuzz_vu_fe = -1;
		return -2;
	}
	return -1;
}

/**
 * fuzz_vu_req() - A request with an acknowledgement asked for
 * @c:		Execution context
 * @req:	Request
 * @payload:	Payload
 * @size:	Its size
 * @fd:		Descriptor to pass, -1 for none
 *
 * Return: true if the daemon acknowledged it with success
 */
static bool fuzz_vu_req(struct ctx *c, uint32_t req, const void *payload,
			uint32_t size, int fd)
{
	return !fuzz_vu_msg(c, req, VHOST_USER_VERSION | VHOST_USER_NEED_REPLY,
			    payload, size, &fd, fd >= 0);
}

/**
 * fuzz_vu_state() - A request with a vring state payload, acknowledged
 * @c:		Execution context
 * @req:	Request
 * @q:		Queue index
 * @num:	Number
 *
 * Return: true on success
 */
static bool fuzz_vu_state(struct ctx *c, uint32_t req, uint32_t q,
			  uint32_t num)
{
	uint32_t s[2] = { q, num };

	return fuzz_vu_req(c, req, s, sizeof(s), -1);
}

/**
 * fuzz_vu_ring_addr() - SET_VRING_ADDR payload for a queue at its place
 * @q:		Queue index
 * @p:		Payload, VU_ADDR_LEN bytes
 */
void fuzz_vu_ring_addr(unsigned q, uint8_t *p)
{
	uint64_t desc = FUZZ_VU_QVA + FUZZ_VU_DESC(q);
	uint64_t used = FUZZ_VU_QVA + FUZZ_VU_USED(q);
	uint64_t avail = FUZZ_VU_QVA + FUZZ_VU_AVAIL(q);
	uint64_t log = FUZZ_VU_USED(q);
	uint32_t flags = 0, index = q;

	memcpy(p, &index, 4);
	memcpy(p + 4, &flags, 4);
	memcpy(p + 8, &desc, 8);
	memcpy(p + 16, &used, 8);
	memcpy(p + 24, &avail, 8);
	memcpy(p + 32, &log, 8);
}

/**
 * fuzz_vu_mem_table() - SET_MEM_TABLE payload: all of guest memory, one
 *			 region, at guest address 0 and at FUZZ_VU_QVA
 * @p:		Payload, 8 + 32 bytes
 */
void fuzz_vu_mem_table(uint8_t *p)
{
	uint64_t r[4] = { 0, FUZZ_VU_MEM_SIZE, FUZZ_VU_QVA, 0 };
	uint32_t n = 1;

	memset(p, 0, 8);
	memcpy(p, &n, 4);
	memcpy(p + 8, r, sizeof(r));
}

/**
 * fuzz_vu_features() - Features the guest takes, from bits of input
 * @bits:	One bit for each feature we offer, in the order below
 *
 * Return: virtio feature bits
 */
uint64_t fuzz_vu_features(uint16_t bits)
{
	static const unsigned f[] = {
		VIRTIO_NET_F_CSUM, VIRTIO_NET_F_GUEST_CSUM, VIRTIO_NET_F_MTU,
		VIRTIO_NET_F_GUEST_TSO4, VIRTIO_NET_F_GUEST_TSO6,
		VIRTIO_NET_F_HOST_TSO4, VIRTIO_NET_F_HOST_TSO6,
		VIRTIO_NET_F_MRG_RXBUF, VHOST_F_LOG_ALL,
		VIRTIO_RING_F_INDIRECT_DESC, VIRTIO_RING_F_EVENT_IDX,
		VIRTIO_NET_F_HOST_USO,
	};
	uint64_t features = 0;
	unsigned i;

	for (i = 0; i < ARRAY_SIZE(f); i++) {
		if (bits & (1U << i))
			features |= VIRTIO_BIT(f[i]);
	}
	return features;
}

/**
 * fuzz_vu_setup() - Set the device up as QEMU does: protocol features,
 *		     owner, features, guest memory, both queues of the size
 *		     given, at their places, with our eventfds, enabled
 * @c:		Execution context, connected
 * @features:	Features to take, VIRTIO_F_VERSION_1 and protocol features
 *		added
 * @num:	Queue size
 *
 * Return: true if every step was acknowledged with success
 */
bool fuzz_vu_setup(struct ctx *c, uint64_t features, uint32_t num)
{
	uint64_t proto = VIRTIO_BIT(VHOST_USER_PROTOCOL_F_REPLY_ACK) |
			 VIRTIO_BIT(VHOST_USER_PROTOCOL_F_LOG_SHMFD) |
			 VIRTIO_BIT(VHOST_USER_PROTOCOL_F_CONFIG) |
			 VIRTIO_BIT(VHOST_USER_PROTOCOL_F_RARP) |
			 VIRTIO_BIT(VHOST_USER_PROTOCOL_F_DEVICE_STATE);
	uint8_t p[VU_ADDR_LEN];
	bool ok = true;
	unsigned q;

	features |= VIRTIO_BIT(VIRTIO_F_VERSION_1) |
		    VIRTIO_BIT(VHOST_USER_F_PROTOCOL_FEATURES);

	ok &= fuzz_vu_req(c, VHOST_USER_SET_PROTOCOL_FEATURES, &proto,
			  sizeof(proto), -1);
	ok &= fuzz_vu_req(c, VHOST_USER_SET_OWNER, NULL, 0, -1);
	ok &= fuzz_vu_req(c, VHOST_USER_SET_FEATURES, &features,
			  sizeof(features), -1);
	fuzz_vu_mem_table(p);
	ok &= fuzz_vu_req(c, VHOST_USER_SET_MEM_TABLE, p, 8 + 32,
			  fuzz_vu_memfd);

	for (q = 0; q < VIRTIO_NET_QUEUES; q++) {
		uint64_t index = q;

		ok &= fuzz_vu_state(c, VHOST_USER_SET_VRING_NUM, q, num);
		ok &= fuzz_vu_state(c, VHOST_USER_SET_VRING_BASE, q, 0);
		fuzz_vu_ring_addr(q, p);
		ok &= fuzz_vu_req(c, VHOST_USER_SET_VRING_ADDR, p, VU_ADDR_LEN,
				  -1);
		ok &= fuzz_vu_req(c, VHOST_USER_SET_VRING_CALL, &index, 8,
				  fuzz_vu_call[q]);
		ok &= fuzz_vu_req(c, VHOST_USER_SET_VRING_ERR, &index, 8,
				  fuzz_vu_err[q]);
		ok &= fuzz_vu_req(c, VHOST_USER_SET_VRING_KICK, &index, 8,
				  fuzz_vu_kick[q]);
		ok &= fuzz_vu_state(c, VHOST_USER_SET_VRING_ENABLE, q, 1);
	}

	return ok;
}

/**
 * fuzz_vu_do_kick() - Kick a queue through our eventfd, let the daemon run
 * @c:		Execution context
 * @q:		Queue index
 */
void fuzz_vu_do_kick(struct ctx *c, unsigned q)
{
	uint64_t one = 1;

	if (write(fuzz_vu_kick[q % VIRTIO_NET_QUEUES], &one, sizeof(one)) < 0)
		abort();
	fuzz_vu_run(c);
}
