// SPDX-License-Identifier: GPL-2.0-or-later
/* test/tools/vu_front.c - the front end's half of vhost-user for the test
 * tools: connecting to the back-end, messages and replies, negotiation,
 * guest memory in a memfd, the driver's side of split virtqueues, and the
 * back-end's device state through a pipe
 *
 * A ring lives in guest memory as the virtio specification lays it out:
 * descriptor table, then the available ring (with used_event after it),
 * then the used ring (with avail_event after it). Guest addresses are
 * offsets into the memfd; the back-end learns our own mapping's address
 * as the region's user address, the way QEMU announces its own.
 */

#include <errno.h>
#include <endian.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "vu_front.h"

/* How long the back-end may take to answer a request */
#define VU_REPLY_MS		5000
/* Attempts to connect, 100 ms apart: 10 s for the daemon to start */
#define VU_CONNECT_TRIES	100
/* How long a device state transfer may stall */
#define VU_STATE_STALL_MS	30000

const char *vu_prog = "vubridge";

/**
 * vu_die() - Print a message and exit
 * @what:	Message
 */
void vu_die(const char *what)
{
	fprintf(stderr, "%s: %s\n", vu_prog, what);
	exit(1);
}

/**
 * vu_die_errno() - Print a message with the error and exit
 * @what:	What failed
 */
void vu_die_errno(const char *what)
{
	fprintf(stderr, "%s: %s: %s\n", vu_prog, what, strerror(errno));
	exit(1);
}

/**
 * vu_connect() - Connect to the back-end's socket, retrying while it starts
 * @conn:	Connection to fill, features cleared
 * @path:	Socket path
 * @tries:	Attempts, 100 ms apart
 *
 * Return: 0 on success, -1 with errno set
 */
int vu_connect(struct vu_conn *conn, const char *path, int tries)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int i;

	if (strlen(path) >= sizeof(addr.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(addr.sun_path, path, strlen(path) + 1);
	memset(conn, 0, sizeof(*conn));

	for (i = 0; ; i++) {
		const struct timespec pause = { .tv_nsec = 100000000L };

		conn->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (conn->fd < 0)
			return -1;
		if (!connect(conn->fd, (struct sockaddr *)&addr, sizeof(addr)))
			return 0;
		close(conn->fd);
		conn->fd = -1;
		if ((errno != ENOENT && errno != ECONNREFUSED) ||
		    i + 1 >= tries)
			return -1;
		nanosleep(&pause, NULL);
	}
}

/**
 * vu_close() - Close the connection
 * @conn:	Connection, fd set to -1
 */
void vu_close(struct vu_conn *conn)
{
	if (conn->fd >= 0)
		close(conn->fd);
	conn->fd = -1;
}

/**
 * vu_sendv() - Send bytes, with descriptors if given, going on after a
 *		short send
 * @conn:	Connection
 * @iov:	Bytes to send, updated
 * @iovcnt:	Number of entries in @iov
 * @fds:	Descriptors to pass with the first bytes, may be NULL
 * @nfds:	Their number, at most 253 (the SCM_RIGHTS limit)
 *
 * Return: 0 on success, -1 with errno set
 */
int vu_sendv(const struct vu_conn *conn, struct iovec *iov, int iovcnt,
	     const int *fds, int nfds)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * 253)];
		struct cmsghdr align;
	} u;
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = (size_t)iovcnt };

	if (nfds > 253) {
		errno = EINVAL;
		return -1;
	}
	if (nfds > 0) {
		struct cmsghdr *cm;

		memset(&u, 0, sizeof(u));
		mh.msg_control = u.buf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)nfds);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)nfds);
		memcpy(CMSG_DATA(cm), fds, sizeof(int) * (size_t)nfds);
	}

	while (mh.msg_iovlen) {
		ssize_t n = sendmsg(conn->fd, &mh, MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		mh.msg_control = NULL;
		mh.msg_controllen = 0;
		while (mh.msg_iovlen && (size_t)n >= mh.msg_iov->iov_len) {
			n -= (ssize_t)mh.msg_iov->iov_len;
			mh.msg_iov++;
			mh.msg_iovlen--;
		}
		if (mh.msg_iovlen) {
			mh.msg_iov->iov_base = (char *)mh.msg_iov->iov_base + n;
			mh.msg_iov->iov_len -= (size_t)n;
		}
	}
	return 0;
}

/**
 * vu_send() - Send one message, with descriptors if given
 * @conn:	Connection
 * @request:	Request number
 * @flags:	Header flags, version included
 * @payload:	Payload, may be NULL if @size is 0
 * @size:	Payload bytes, as the header says and as sent
 * @fds:	Descriptors to pass, may be NULL
 * @nfds:	Their number
 *
 * Return: 0 on success, -1 with errno set
 */
int vu_send(const struct vu_conn *conn, uint32_t request, uint32_t flags,
	    const void *payload, uint32_t size, const int *fds, int nfds)
{
	struct vu_hdr h = { .request = request, .flags = flags, .size = size };
	struct iovec iov[2] = {
		{ &h, sizeof(h) }, { (void *)payload, size },
	};

	return vu_sendv(conn, iov, size ? 2 : 1, fds, nfds);
}

/**
 * vu_read_full() - Read exactly @len bytes, waiting at most @timeout_ms for
 *		    each part
 * @fd:		Socket
 * @buf:	Destination
 * @len:	Bytes wanted
 * @timeout_ms:	Wait for each part
 *
 * Return: VU_REPLIED when all came, VU_CLOSED or VU_TIMEOUT
 */
static enum vu_wait vu_read_full(int fd, void *buf, size_t len,
				 int timeout_ms)
{
	size_t got = 0;

	while (got < len) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		ssize_t n;
		int rc = poll(&pfd, 1, timeout_ms);

		if (rc < 0 && errno == EINTR)
			continue;
		if (rc <= 0)
			return VU_TIMEOUT;
		n = recv(fd, (char *)buf + got, len - got, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return VU_CLOSED;
		got += (size_t)n;
	}
	return VU_REPLIED;
}

/**
 * vu_take_fds() - Keep the first descriptor of a control message, close
 *		   the others
 * @mh:		Received message
 * @fd:		First descriptor, set to -1 if none; NULL to close all
 */
static void vu_take_fds(struct msghdr *mh, int *fd)
{
	struct cmsghdr *cm;

	if (fd)
		*fd = -1;
	for (cm = CMSG_FIRSTHDR(mh); cm; cm = CMSG_NXTHDR(mh, cm)) {
		size_t n, i;
		int one;

		if (cm->cmsg_level != SOL_SOCKET ||
		    cm->cmsg_type != SCM_RIGHTS)
			continue;
		n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < n; i++) {
			memcpy(&one, CMSG_DATA(cm) + i * sizeof(int),
			       sizeof(int));
			if (fd && *fd < 0)
				*fd = one;
			else
				close(one);
		}
	}
}

/**
 * vu_wait_reply() - Wait for the reply to a request
 * @conn:	Connection
 * @request:	Request the reply must answer
 * @msg:	Reply, header and payload
 * @timeout_ms:	How long to wait for it
 * @fd:		Descriptor passed with the reply, -1 if none; NULL to close
 *		any
 *
 * Return: VU_REPLIED, VU_CLOSED, VU_TIMEOUT, or VU_BROKEN for a reply with
 *	   the wrong request, flags or size
 */
enum vu_wait vu_wait_reply(const struct vu_conn *conn, uint32_t request,
			   struct vu_msg *msg, int timeout_ms, int *fd)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * VU_FDS_MAX)];
		struct cmsghdr align;
	} u;
	struct iovec iov = { &msg->h, sizeof(msg->h) };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = u.buf, .msg_controllen = sizeof(u.buf),
	};
	struct pollfd pfd = { .fd = conn->fd, .events = POLLIN };
	ssize_t n;

	if (fd)
		*fd = -1;
	do {
		n = poll(&pfd, 1, timeout_ms);
	} while (n < 0 && errno == EINTR);
	if (n <= 0)
		return VU_TIMEOUT;

	do {
		n = recvmsg(conn->fd, &mh, MSG_CMSG_CLOEXEC);
	} while (n < 0 && errno == EINTR);
	if (n <= 0)
		return VU_CLOSED;
	vu_take_fds(&mh, fd);

	if ((size_t)n < sizeof(msg->h)) {
		enum vu_wait rc = vu_read_full(conn->fd, (char *)&msg->h + n,
					       sizeof(msg->h) - (size_t)n,
					       VU_REPLY_MS);

		if (rc != VU_REPLIED)
			return rc;
	}

	if ((msg->h.flags & 0x3) != VU_VERSION ||
	    !(msg->h.flags & VU_FLAG_REPLY) || msg->h.request != request ||
	    msg->h.size > sizeof(msg->p))
		return VU_BROKEN;

	return vu_read_full(conn->fd, &msg->p, msg->h.size, VU_REPLY_MS);
}

/**
 * vu_has_reply() - Tell whether a request is answered without REPLY_ACK
 * @request:	Request number
 * @proto:	Protocol features negotiated
 *
 * Return: true if the back-end always replies to it
 */
bool vu_has_reply(uint32_t request, uint64_t proto)
{
	switch (request) {
	case VU_GET_FEATURES:
	case VU_GET_PROTOCOL_FEATURES:
	case VU_GET_VRING_BASE:
	case VU_GET_QUEUE_NUM:
	case VU_GET_CONFIG:
	case VU_SET_DEVICE_STATE_FD:
	case VU_CHECK_DEVICE_STATE:
		return true;
	case VU_SET_LOG_BASE:
		return !!(proto & VU_BIT(VU_PF_LOG_SHMFD));
	default:
		return false;
	}
}

/**
 * vu_call() - Send a request and take its reply, or its acknowledgement if
 *	       REPLY_ACK was negotiated
 * @conn:	Connection
 * @request:	Request number
 * @payload:	Payload, may be NULL if @size is 0
 * @size:	Payload bytes
 * @fds:	Descriptors to pass, may be NULL
 * @nfds:	Their number
 * @reply:	Reply, may be NULL
 *
 * Return: 0 if the request was answered, or acknowledged with 0, or needs
 *	   no answer; 1 if acknowledged with an error (in @reply if given);
 *	   a negative enum vu_wait if the back-end did not answer properly
 */
int vu_call(struct vu_conn *conn, uint32_t request, const void *payload,
	    uint32_t size, const int *fds, int nfds, struct vu_msg *reply)
{
	bool inherent = vu_has_reply(request, conn->proto);
	bool ack = !inherent && (conn->proto & VU_BIT(VU_PF_REPLY_ACK));
	struct vu_msg local;
	enum vu_wait rc;

	if (!reply)
		reply = &local;
	if (vu_send(conn, request, VU_VERSION | (ack ? VU_FLAG_NEED_REPLY : 0),
		    payload, size, fds, nfds))
		return VU_CLOSED;
	if (!inherent && !ack)
		return 0;

	rc = vu_wait_reply(conn, request, reply, VU_REPLY_MS, NULL);
	if (rc != VU_REPLIED)
		return rc;
	if (ack) {
		if (reply->h.size != sizeof(uint64_t))
			return VU_BROKEN;
		return reply->p.u64 ? 1 : 0;
	}
	return 0;
}

/**
 * vu_call_u64() - Send a request with a u64 payload, see vu_call()
 * @conn:	Connection
 * @request:	Request number
 * @value:	Payload
 * @fds:	Descriptors to pass, may be NULL
 * @nfds:	Their number
 *
 * Return: as vu_call()
 */
int vu_call_u64(struct vu_conn *conn, uint32_t request, uint64_t value,
		const int *fds, int nfds)
{
	return vu_call(conn, request, &value, sizeof(value), fds, nfds, NULL);
}

/**
 * vu_get_u64() - Send a request without payload, take its u64 reply
 * @conn:	Connection
 * @request:	Request number
 * @value:	Reply value
 *
 * Return: 0 on success, negative enum vu_wait otherwise
 */
static int vu_get_u64(struct vu_conn *conn, uint32_t request,
		      uint64_t *value)
{
	struct vu_msg reply;
	int rc = vu_call(conn, request, NULL, 0, NULL, 0, &reply);

	if (rc)
		return rc < 0 ? rc : VU_BROKEN;
	if (reply.h.size != sizeof(uint64_t))
		return VU_BROKEN;
	*value = reply.p.u64;
	return 0;
}

/**
 * vu_features_consistent() - Drop the virtio-net features whose
 *			      requirements are missing, as the virtio
 *			      specification has a driver do
 * @f:		Features
 *
 * Segmentation offloads the device takes (HOST_TSO4/6, HOST_USO) need the
 * checksum offload it takes (CSUM); those the driver takes (GUEST_TSO4/6,
 * GUEST_USO4/6) need GUEST_CSUM.
 *
 * Return: @f without the features that can't be negotiated with it
 */
uint64_t vu_features_consistent(uint64_t f)
{
	if (!(f & VU_BIT(VU_F_NET_CSUM))) {
		f &= ~(VU_BIT(VU_F_NET_HOST_TSO4) | VU_BIT(VU_F_NET_HOST_TSO6) |
		       VU_BIT(VU_F_NET_HOST_USO));
	}
	if (!(f & VU_BIT(VU_F_NET_GUEST_CSUM))) {
		f &= ~(VU_BIT(VU_F_NET_GUEST_TSO4) |
		       VU_BIT(VU_F_NET_GUEST_TSO6) |
		       VU_BIT(VU_F_NET_GUEST_USO4) |
		       VU_BIT(VU_F_NET_GUEST_USO6));
	}
	return f;
}

/**
 * vu_negotiate() - Take the features the back-end offers out of those we
 *		    want, become its owner
 * @conn:	Connection, features and protocol features filled
 * @want:	Features we can use
 * @want_proto:	Protocol features we can use
 *
 * VIRTIO_F_VERSION_1 is required: the header is then always 12 bytes and
 * the rings little-endian.
 *
 * Return: 0 on success, VU_CLOSED if the back-end hung up on the first
 *	   request (it may be busy with another front end), -1 otherwise
 */
int vu_negotiate(struct vu_conn *conn, uint64_t want, uint64_t want_proto)
{
	int rc;

	rc = vu_get_u64(conn, VU_GET_FEATURES, &conn->offered);
	if (rc == VU_CLOSED)
		return VU_CLOSED;
	if (rc) {
		fprintf(stderr, "%s: GET_FEATURES: no reply (%i)\n", vu_prog,
			rc);
		return -1;
	}
	if (!(conn->offered & VU_BIT(VU_F_VERSION_1))) {
		fprintf(stderr, "%s: back-end offers no VIRTIO_F_VERSION_1\n",
			vu_prog);
		return -1;
	}

	if (conn->offered & want & VU_BIT(VU_F_PROTOCOL_FEATURES)) {
		uint64_t *offered = &conn->proto_offered;

		if (vu_get_u64(conn, VU_GET_PROTOCOL_FEATURES, offered)) {
			fprintf(stderr, "%s: GET_PROTOCOL_FEATURES failed\n",
				vu_prog);
			return -1;
		}
		/* Acknowledged only once the back-end knows it may */
		if (vu_call_u64(conn, VU_SET_PROTOCOL_FEATURES,
				*offered & want_proto, NULL, 0)) {
			fprintf(stderr, "%s: SET_PROTOCOL_FEATURES failed\n",
				vu_prog);
			return -1;
		}
		conn->proto = *offered & want_proto;
	}

	if (vu_call(conn, VU_SET_OWNER, NULL, 0, NULL, 0, NULL)) {
		fprintf(stderr, "%s: SET_OWNER refused\n", vu_prog);
		return -1;
	}

	if (conn->proto & VU_BIT(VU_PF_MQ)) {
		uint64_t queues;

		if (vu_get_u64(conn, VU_GET_QUEUE_NUM, &queues) || !queues) {
			fprintf(stderr, "%s: GET_QUEUE_NUM failed\n", vu_prog);
			return -1;
		}
	}

	conn->features = vu_features_consistent(conn->offered & want);
	if (vu_call_u64(conn, VU_SET_FEATURES, conn->features, NULL, 0)) {
		fprintf(stderr, "%s: SET_FEATURES refused\n", vu_prog);
		return -1;
	}
	return 0;
}

/**
 * vu_open() - Connect and negotiate, connecting again while the back-end
 *	       turns us away (it still serves the front end before us)
 * @conn:	Connection to fill
 * @path:	Socket path
 * @want:	Features we can use
 * @want_proto:	Protocol features we can use
 *
 * Failures exit.
 */
void vu_open(struct vu_conn *conn, const char *path, uint64_t want,
	     uint64_t want_proto)
{
	int i;

	for (i = 0; ; i++) {
		const struct timespec pause = { .tv_nsec = 100000000L };
		int rc;

		if (vu_connect(conn, path, VU_CONNECT_TRIES))
			vu_die_errno(path);
		rc = vu_negotiate(conn, want, want_proto);
		if (!rc)
			return;
		vu_close(conn);
		if (rc != VU_CLOSED || i + 1 >= VU_CONNECT_TRIES)
			vu_die("the back-end does not serve us");
		nanosleep(&pause, NULL);
	}
}

/**
 * vu_get_mtu() - Read the MTU from the device's configuration space, if
 *		  VIRTIO_NET_F_MTU and the CONFIG protocol feature were
 *		  negotiated
 * @conn:	Connection
 *
 * Return: the MTU, 0 if not negotiated, -1 if the back-end failed to say
 */
int vu_get_mtu(struct vu_conn *conn)
{
	/* offset, size, flags, then virtio_net_config up to its mtu field */
	struct {
		uint32_t offset, size, flags;
		uint8_t cfg[12];
	} __attribute__((packed)) q = { .offset = 0, .size = 12 };
	struct vu_msg reply;

	if (!(conn->features & VU_BIT(VU_F_NET_MTU)) ||
	    !(conn->proto & VU_BIT(VU_PF_CONFIG)))
		return 0;
	if (vu_call(conn, VU_GET_CONFIG, &q, sizeof(q), NULL, 0, &reply) ||
	    reply.h.size != sizeof(q))
		return -1;
	return reply.p.raw[12 + 10] | reply.p.raw[12 + 11] << 8;
}

/**
 * vu_mem_create() - Create guest memory: a memfd, mapped here, zeroed
 * @mem:	Memory to fill
 * @size:	Bytes
 */
void vu_mem_create(struct vu_mem *mem, size_t size)
{
	void *p;

	mem->fd = memfd_create("vubridge-guest", MFD_CLOEXEC);
	if (mem->fd < 0)
		vu_die_errno("memfd_create");
	if (ftruncate(mem->fd, (off_t)size))
		vu_die_errno("ftruncate");
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, mem->fd, 0);
	if (p == MAP_FAILED)
		vu_die_errno("mmap");
	mem->base = p;
	mem->size = size;
}

/**
 * vu_mem_destroy() - Unmap and close guest memory
 * @mem:	Memory
 */
void vu_mem_destroy(struct vu_mem *mem)
{
	if (mem->base)
		munmap(mem->base, mem->size);
	if (mem->fd >= 0)
		close(mem->fd);
	mem->base = NULL;
	mem->fd = -1;
}

/**
 * vu_mem_announce() - Tell the back-end about guest memory: one region,
 *		       guest address 0, our mapping as its user address
 * @conn:	Connection
 * @mem:	Memory
 * @size:	Bytes of it to announce, from its start
 *
 * Return: as vu_call()
 */
int vu_mem_announce(struct vu_conn *conn, const struct vu_mem *mem,
		    size_t size)
{
	struct vu_mem_table t = {
		.nregions = 1,
		.r[0] = {
			.gpa = 0, .size = size,
			.uaddr = (uint64_t)(uintptr_t)mem->base,
			.mmap_offset = 0,
		},
	};

	return vu_call(conn, VU_SET_MEM_TABLE, &t,
		       (uint32_t)(8 + sizeof(t.r[0])), &mem->fd, 1, NULL);
}

/**
 * vu_gpa_ptr() - Our address of a guest address
 * @mem:	Memory
 * @gpa:	Guest address, inside @mem (not checked)
 *
 * Return: pointer into our mapping
 */
void *vu_gpa_ptr(const struct vu_mem *mem, uint64_t gpa)
{
	return mem->base + gpa;
}

/**
 * vu_ring_bytes() - Guest memory a ring takes, page aligned
 * @num:	Queue size
 *
 * Return: bytes for descriptor table, available and used rings
 */
size_t vu_ring_bytes(unsigned int num)
{
	size_t avail_end = 16UL * num + 6 + 2UL * num;
	size_t used = (avail_end + 3) & ~3UL;

	return (used + 6 + 8UL * num + 4095) & ~4095UL;
}

/**
 * vu_ring_init() - Lay a ring out in guest memory, zeroed, with its kick
 *		    and call eventfds
 * @r:		Ring to fill
 * @mem:	Memory
 * @index:	Queue index
 * @num:	Queue size
 * @gpa:	Guest address for it, vu_ring_bytes(@num) long, in @mem
 * @event_idx:	VIRTIO_RING_F_EVENT_IDX negotiated
 */
void vu_ring_init(struct vu_ring *r, const struct vu_mem *mem,
		  unsigned int index, unsigned int num, uint64_t gpa,
		  bool event_idx)
{
	size_t avail_end = 16UL * num + 6 + 2UL * num;
	uint8_t *p = vu_gpa_ptr(mem, gpa);

	memset(r, 0, sizeof(*r));
	memset(p, 0, vu_ring_bytes(num));
	r->index = index;
	r->num = num;
	r->gpa = gpa;
	r->desc = (struct vring_desc *)p;
	r->avail = (struct vring_avail *)(p + 16UL * num);
	r->used = (struct vring_used *)(p + ((avail_end + 3) & ~3UL));
	r->event_idx = event_idx;
	r->kick = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	r->call = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (r->kick < 0 || r->call < 0)
		vu_die_errno("eventfd");
}

/**
 * vu_ring_free() - Close a ring's eventfds
 * @r:		Ring
 */
void vu_ring_free(struct vu_ring *r)
{
	if (r->kick >= 0)
		close(r->kick);
	if (r->call >= 0)
		close(r->call);
	r->kick = r->call = -1;
}

/**
 * vu_ring_start() - Hand a ring to the back-end: size, base, addresses,
 *		     kick and call descriptors
 * @conn:	Connection
 * @r:		Ring, laid out by vu_ring_init()
 *
 * Return: 0 on success, non-zero as vu_call()
 */
int vu_ring_start(struct vu_conn *conn, struct vu_ring *r)
{
	struct vu_vring_state st = { .index = r->index, .num = r->num };
	struct vu_vring_addr a = {
		.index = r->index,
		.desc = (uint64_t)(uintptr_t)r->desc,
		.avail = (uint64_t)(uintptr_t)r->avail,
		.used = (uint64_t)(uintptr_t)r->used,
	};
	int rc;

	if ((rc = vu_call(conn, VU_SET_VRING_NUM, &st, sizeof(st),
			  NULL, 0, NULL)))
		return rc;
	st.num = r->base;
	if ((rc = vu_call(conn, VU_SET_VRING_BASE, &st, sizeof(st),
			  NULL, 0, NULL)))
		return rc;
	if ((rc = vu_call(conn, VU_SET_VRING_ADDR, &a, sizeof(a),
			  NULL, 0, NULL)))
		return rc;
	if ((rc = vu_call_u64(conn, VU_SET_VRING_KICK, r->index, &r->kick, 1)))
		return rc;
	return vu_call_u64(conn, VU_SET_VRING_CALL, r->index, &r->call, 1);
}

/**
 * vu_ring_enable() - Enable or disable a ring, if protocol features were
 *		      negotiated (otherwise rings are enabled from the start)
 * @conn:	Connection
 * @r:		Ring
 * @on:		Enable if true
 *
 * Return: as vu_call()
 */
int vu_ring_enable(struct vu_conn *conn, const struct vu_ring *r, bool on)
{
	struct vu_vring_state st = { .index = r->index, .num = on };

	if (!(conn->features & VU_BIT(VU_F_PROTOCOL_FEATURES)))
		return 0;
	return vu_call(conn, VU_SET_VRING_ENABLE, &st, sizeof(st), NULL, 0,
		       NULL);
}

/**
 * vu_ring_stop() - Stop a ring, keep the available index the back-end
 *		    reached, for a later vu_ring_start()
 * @conn:	Connection
 * @r:		Ring, base updated
 *
 * Return: 0 on success, non-zero as vu_call()
 */
int vu_ring_stop(struct vu_conn *conn, struct vu_ring *r)
{
	struct vu_vring_state st = { .index = r->index, .num = 0 };
	struct vu_msg reply;
	int rc;

	rc = vu_call(conn, VU_GET_VRING_BASE, &st, sizeof(st), NULL, 0,
		     &reply);
	if (rc)
		return rc;
	if (reply.h.size != sizeof(st) || reply.p.state.index != r->index)
		return VU_BROKEN;
	r->base = (uint16_t)reply.p.state.num;
	return 0;
}

/**
 * vu_ring_post() - Queue a descriptor chain for the device, unpublished
 * @r:		Ring
 * @head:	Index of the chain's first descriptor
 */
void vu_ring_post(struct vu_ring *r, uint16_t head)
{
	r->avail->ring[r->avail_idx % r->num] = htole16(head);
	r->avail_idx++;
}

/**
 * vu_ring_publish() - Make queued chains visible, kick the device if it
 *		       asked for it
 * @r:		Ring
 */
void vu_ring_publish(struct vu_ring *r)
{
	uint16_t old = r->avail_pub;
	bool kick;

	if (r->avail_idx == old)
		return;

	/* Entries before the index, the index before the device's wish */
	__atomic_store_n(&r->avail->idx, htole16(r->avail_idx),
			 __ATOMIC_RELEASE);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);

	if (r->event_idx) {
		uint16_t *ev = (uint16_t *)&r->used->ring[r->num];

		kick = vring_need_event(le16toh(__atomic_load_n(ev,
							__ATOMIC_RELAXED)),
					r->avail_idx, old);
	} else {
		kick = !(le16toh(__atomic_load_n(&r->used->flags,
						 __ATOMIC_RELAXED)) &
			 VRING_USED_F_NO_NOTIFY);
	}
	r->avail_pub = r->avail_idx;

	if (kick)
		vu_ring_kick(r);
}

/**
 * vu_ring_kick() - Tell the device to look at the ring, and count it
 * @r:		Ring
 */
void vu_ring_kick(struct vu_ring *r)
{
	if (write(r->kick, &(uint64_t){ 1 }, sizeof(uint64_t)) < 0 &&
	    errno != EAGAIN)
		vu_die_errno("kick");
	r->kicks++;
}

/**
 * vu_ring_used_pending() - Used entries not consumed yet, noting the index
 *			    read for vu_ring_want_calls()
 * @r:		Ring
 *
 * Return: their number (the device may claim more than the ring holds)
 */
uint16_t vu_ring_used_pending(struct vu_ring *r)
{
	uint16_t idx = le16toh(__atomic_load_n(&r->used->idx,
					       __ATOMIC_ACQUIRE));

	r->used_looked = idx;
	return (uint16_t)(idx - r->used_seen);
}

/**
 * vu_ring_used_peek() - Read a used entry, not consuming it
 * @r:		Ring
 * @ahead:	Position after the next unconsumed entry, 0 for that one
 * @id:		Chain head the device used
 * @len:	Bytes it wrote
 */
void vu_ring_used_peek(const struct vu_ring *r, uint16_t ahead,
		       uint32_t *id, uint32_t *len)
{
	const struct vring_used_elem *e;

	e = &r->used->ring[(uint16_t)(r->used_seen + ahead) % r->num];
	*id = le32toh(e->id);
	*len = le32toh(e->len);
}

/**
 * vu_ring_want_calls() - Ask the device to signal when it adds used entries
 *			  beyond those the consumer looked at last
 * @r:		Ring
 *
 * Entries the consumer saw but left (part of a frame whose other buffers
 * are still to come) don't count: the call comes with the next. Entries
 * that came after its last look do: asking from the index there now would
 * skip them, and the device, which signalled once for them, may not
 * signal again until the next one comes.
 *
 * Return: true if entries came meanwhile: the caller looks at them first
 */
bool vu_ring_want_calls(struct vu_ring *r)
{
	uint16_t idx = r->used_looked;

	if (r->event_idx) {
		__atomic_store_n(&r->avail->ring[r->num], htole16(idx),
				 __ATOMIC_RELAXED);
	} else {
		__atomic_store_n(&r->avail->flags, 0, __ATOMIC_RELAXED);
	}
	/* Our wish before the device's index, or a call may be missed */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);

	return le16toh(__atomic_load_n(&r->used->idx, __ATOMIC_ACQUIRE)) !=
	       idx;
}

/**
 * vu_ring_ack_call() - Clear a ring's call eventfd, counting the calls it
 *			held (an eventfd adds up the writes since its last
 *			read)
 * @r:		Ring
 */
void vu_ring_ack_call(struct vu_ring *r)
{
	uint64_t v;

	if (read(r->call, &v, sizeof(v)) < 0) {
		if (errno != EAGAIN)
			vu_die_errno("call eventfd");
		return;
	}
	r->calls += v;
}

/**
 * vu_state_copy() - Move device state between our pipe end and the file,
 *		     as far as either lets us without blocking
 * @save:	Saving (pipe to file) if true, loading (file to pipe) if false
 * @pipe_fd:	Our end of the channel, non-blocking
 * @file:	File, or standard input or output
 * @buf:	Bytes read from the file, not yet written to the pipe (load)
 * @len:	Their number, updated
 * @bytes:	Bytes moved in total, updated
 *
 * Return: 1 when the transfer is complete (end of file seen), 0 to go on,
 *	   -1 on error
 */
static int vu_state_copy(bool save, int pipe_fd, int file, uint8_t *buf,
			 size_t *len, uint64_t *bytes)
{
	ssize_t n;

	if (save) {
		n = read(pipe_fd, buf, 65536);
		if (n < 0)
			return errno == EAGAIN || errno == EINTR ? 0 : -1;
		if (!n)
			return 1;
		for (ssize_t w = 0, done = 0; done < n; done += w) {
			w = write(file, buf + done, (size_t)(n - done));
			if (w < 0)
				return -1;
		}
		*bytes += (uint64_t)n;
		return 0;
	}

	if (!*len) {
		n = read(file, buf, 65536);
		if (n < 0)
			return -1;
		if (!n)
			return 1;
		*len = (size_t)n;
	}
	n = write(pipe_fd, buf, *len);
	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -1;
	memmove(buf, buf + n, *len - (size_t)n);
	*len -= (size_t)n;
	*bytes += (uint64_t)n;
	return 0;
}

/**
 * vu_state_transfer() - Save or load the back-end's state as QEMU does for
 *			 a migration: SET_DEVICE_STATE_FD with a pipe, the
 *			 data through it, then CHECK_DEVICE_STATE
 * @conn:	Connection, rings stopped
 * @save:	Save (back-end to @file) if true, load (@file to back-end)
 * @file:	File, or standard input or output
 * @bytes:	Bytes transferred
 * @result:	What CHECK_DEVICE_STATE returned, 0 for success
 *
 * The back-end may move the data before or after it replies, so the pipe
 * and the socket are watched together.
 *
 * Return: 0 if the exchange completed (see @result), -1 if the back-end
 *	   refused or broke it (a message says why)
 */
int vu_state_transfer(struct vu_conn *conn, bool save, int file,
		      uint64_t *bytes, uint64_t *result)
{
	struct vu_state_params ds = { .direction = save ? 0 : 1, .phase = 0 };
	static uint8_t buf[65536];
	bool replied = false, done = false;
	struct vu_msg reply;
	size_t len = 0;
	int p[2], ours;

	*bytes = 0;
	if (pipe2(p, O_CLOEXEC))
		vu_die_errno("pipe2");
	ours = save ? p[0] : p[1];
	if (vu_send(conn, VU_SET_DEVICE_STATE_FD, VU_VERSION, &ds,
		    sizeof(ds), save ? &p[1] : &p[0], 1)) {
		fprintf(stderr, "%s: SET_DEVICE_STATE_FD: %s\n", vu_prog,
			strerror(errno));
		close(p[0]);
		close(p[1]);
		return -1;
	}
	close(save ? p[1] : p[0]);
	if (fcntl(ours, F_SETFL, O_NONBLOCK))
		vu_die_errno("fcntl");

	while (!replied || !done) {
		struct pollfd pfd[2] = {
			{ .fd = conn->fd, .events = replied ? 0 : POLLIN },
			{ .fd = done ? -1 : ours,
			  .events = save ? POLLIN : POLLOUT },
		};
		int rc = poll(pfd, 2, VU_STATE_STALL_MS);

		if (rc < 0 && errno == EINTR)
			continue;
		if (rc <= 0) {
			fprintf(stderr, "%s: device state transfer stalled\n",
				vu_prog);
			goto fail;
		}

		if (pfd[0].revents) {
			int theirs;

			if (vu_wait_reply(conn, VU_SET_DEVICE_STATE_FD, &reply,
					  VU_REPLY_MS, &theirs) != VU_REPLIED ||
			    reply.h.size != sizeof(uint64_t)) {
				fprintf(stderr, "%s: SET_DEVICE_STATE_FD: no "
					"proper reply\n", vu_prog);
				if (theirs >= 0)
					close(theirs);
				goto fail;
			}
			replied = true;
			if (reply.p.u64 & 0xff) {
				fprintf(stderr, "%s: SET_DEVICE_STATE_FD "
					"refused: %llu\n", vu_prog,
					(unsigned long long)(reply.p.u64 &
							     0xff));
				if (theirs >= 0)
					close(theirs);
				goto fail;
			}
			/* The back-end may offer a channel of its own */
			if (!(reply.p.u64 & VU_VRING_NOFD) && theirs >= 0) {
				close(ours);
				ours = theirs;
				if (fcntl(ours, F_SETFL, O_NONBLOCK))
					vu_die_errno("fcntl");
			} else if (theirs >= 0) {
				close(theirs);
			}
		}

		if (!done && pfd[1].revents) {
			rc = vu_state_copy(save, ours, file, buf, &len, bytes);
			if (rc < 0) {
				fprintf(stderr, "%s: device state: %s\n",
					vu_prog, strerror(errno));
				goto fail;
			}
			if (rc > 0 && !len) {
				done = true;
				/* Loading: the end of data is our close */
				close(ours);
				ours = -1;
			}
		}
	}

	if (vu_get_u64(conn, VU_CHECK_DEVICE_STATE, result)) {
		fprintf(stderr, "%s: CHECK_DEVICE_STATE: no reply\n", vu_prog);
		return -1;
	}
	return 0;

fail:
	if (ours >= 0)
		close(ours);
	return -1;
}
