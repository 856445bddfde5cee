// SPDX-License-Identifier: GPL-2.0-or-later
/* vhost_user.c - vhost-user front end: the UNIX socket QEMU connects to (or
 * an already connected one from --fd), and the vhost-user messages spoken
 * over it, as a virtio-net back-end with one queue pair
 *
 * Each message is a 12-byte header (request, flags, payload size), its
 * payload, and descriptors passed with it (SCM_RIGHTS). Every request we
 * handle has one line in vu_handlers[], which says its payload size and
 * how many descriptors it carries; doc/vhost-user.md lists the same
 * requests, and a test compares the two. The handlers, and the device they
 * build, are in vu_dev.c.
 *
 * A message that breaks the framing (a bad version, a payload larger than
 * any request takes, too many descriptors), an unknown request without the
 * need_reply flag, or a malformed request that would need a reply of its
 * own, closes the connection. Any other malformed or refused request is
 * answered with an error, if the front end asked for an answer, and
 * changes nothing.
 *
 * Only one front end is served at a time. When it goes, everything it set
 * up goes with it: guest memory is unmapped, and every descriptor it gave
 * us is closed. Then we wait for the next one, or, with --one-off or --fd,
 * the main loop ends.
 *
 * Before a request changes anything, frames committed to the guest are
 * flushed: no room lent from guest memory survives a new memory map or a
 * stopped queue.
 */

#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctx.h"
#include "epoll_ref.h"
#include "fe_sock.h"
#include "l2.h"
#include "log.h"
#include "util.h"
#include "vhost_user.h"
#include "vu_dev.h"

/* How long the rest of a message, or a reply, may take */
#define VU_TIMEOUT_S		2

/* Payload size or descriptor count checked by the handler itself */
#define VU_ANY			(-1)

/**
 * typedef vu_handler_fn - Handler of one request
 * @c:		Execution context
 * @m:		Message, its payload size and descriptor count as the
 *		table says
 * @r:		Reply, for requests that have one of their own
 *
 * Return: 0 on success, a positive errno if the request is refused, and
 *	   changed nothing
 */
typedef int (*vu_handler_fn)(struct ctx *c, struct vu_msg *m,
			     struct vu_reply *r);

/**
 * struct vu_handler - What we know of a request
 * @name:	Name, for the log
 * @fn:		Handler
 * @size:	Payload size, or VU_ANY if the handler checks it
 * @fds:	Descriptor count, or VU_ANY if the handler checks it
 * @reply:	The request always has a reply of its own
 */
struct vu_handler {
	const char *name;
	vu_handler_fn fn;
	int size;
	int fds;
	bool reply;
};

static int vu_listen_fd = -1;	/* Listening socket, -1 with --fd */
static int vu_conn_fd = -1;	/* Connected front end, -1 if none */
static struct path_at vu_path = PATH_AT_NONE;	/* Ours to remove */

#define VU_HANDLE(req, fn_, size_, fds_, reply_)			\
	[req] = { #req, fn_, size_, fds_, reply_ }

/* Every request we handle: doc/vhost-user.md has a row for each */
static const struct vu_handler vu_handlers[VHOST_USER_REQUEST_MAX] = {
	VU_HANDLE(VHOST_USER_GET_FEATURES, vu_get_features, 0, 0, true),
	VU_HANDLE(VHOST_USER_SET_FEATURES, vu_set_features,
		  VU_U64_LEN, 0, false),
	VU_HANDLE(VHOST_USER_SET_OWNER, vu_set_owner, 0, 0, false),
	VU_HANDLE(VHOST_USER_RESET_OWNER, vu_reset_owner, 0, 0, false),
	VU_HANDLE(VHOST_USER_SET_MEM_TABLE, vu_set_mem_table,
		  VU_ANY, VU_ANY, false),
	VU_HANDLE(VHOST_USER_SET_LOG_BASE, vu_set_log_base,
		  VU_LOG_LEN, 1, true),
	VU_HANDLE(VHOST_USER_SET_LOG_FD, vu_set_log_fd, 0, 1, false),
	VU_HANDLE(VHOST_USER_SET_VRING_NUM, vu_set_vring_num,
		  VU_STATE_LEN, 0, false),
	VU_HANDLE(VHOST_USER_SET_VRING_ADDR, vu_set_vring_addr,
		  VU_ADDR_LEN, 0, false),
	VU_HANDLE(VHOST_USER_SET_VRING_BASE, vu_set_vring_base,
		  VU_STATE_LEN, 0, false),
	VU_HANDLE(VHOST_USER_GET_VRING_BASE, vu_get_vring_base,
		  VU_STATE_LEN, 0, true),
	VU_HANDLE(VHOST_USER_SET_VRING_KICK, vu_set_vring_kick,
		  VU_U64_LEN, VU_ANY, false),
	VU_HANDLE(VHOST_USER_SET_VRING_CALL, vu_set_vring_call,
		  VU_U64_LEN, VU_ANY, false),
	VU_HANDLE(VHOST_USER_SET_VRING_ERR, vu_set_vring_err,
		  VU_U64_LEN, VU_ANY, false),
	VU_HANDLE(VHOST_USER_GET_PROTOCOL_FEATURES, vu_get_protocol_features,
		  0, 0, true),
	VU_HANDLE(VHOST_USER_SET_PROTOCOL_FEATURES, vu_set_protocol_features,
		  VU_U64_LEN, 0, false),
	VU_HANDLE(VHOST_USER_GET_QUEUE_NUM, vu_get_queue_num, 0, 0, true),
	VU_HANDLE(VHOST_USER_SET_VRING_ENABLE, vu_set_vring_enable,
		  VU_STATE_LEN, 0, false),
	VU_HANDLE(VHOST_USER_SEND_RARP, vu_send_rarp, VU_U64_LEN, 0, false),
	VU_HANDLE(VHOST_USER_GET_CONFIG, vu_get_config, VU_ANY, 0, true),
	VU_HANDLE(VHOST_USER_SET_DEVICE_STATE_FD, vu_set_device_state_fd,
		  VU_ANY, VU_ANY, true),
	VU_HANDLE(VHOST_USER_CHECK_DEVICE_STATE, vu_check_device_state,
		  0, 0, true),
};

/**
 * vu_recv() - Receive bytes of a message, and the descriptors with them
 * @fd:		Connected socket
 * @buf:	Where the bytes go
 * @len:	Bytes wanted
 * @m:		Message, collecting descriptors
 * @dontwait:	Return EAGAIN if nothing at all is there yet
 *
 * Once part of a message is in, the rest must follow within the socket's
 * receive timeout.
 *
 * Return: 0 on success, EAGAIN if nothing was there, EPIPE if the front end
 *	   closed the connection, another positive errno on error
 *
 * #syscalls:vu recvmsg close
 */
static int vu_recv(int fd, void *buf, size_t len, struct vu_msg *m,
		   bool dontwait)
{
	size_t done = 0;

	while (done < len) {
		union {
			char buf[CMSG_SPACE(sizeof(int) * VU_FDS_MAX)];
			struct cmsghdr align;
		} u;
		struct iovec iov = {
			.iov_base = (uint8_t *)buf + done,
			.iov_len = len - done,
		};
		struct msghdr mh = {
			.msg_iov = &iov,
			.msg_iovlen = 1,
			.msg_control = u.buf,
			.msg_controllen = sizeof(u.buf),
		};
		struct cmsghdr *cmsg;
		int flags = MSG_CMSG_CLOEXEC;
		ssize_t n;

		if (dontwait && !done)
			flags |= MSG_DONTWAIT;

		n = recvmsg(fd, &mh, flags);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return (errno == EAGAIN && done) ? ETIMEDOUT : errno;
		if (!n)
			return EPIPE;

		for (cmsg = CMSG_FIRSTHDR(&mh); cmsg;
		     cmsg = CMSG_NXTHDR(&mh, cmsg)) {
			size_t i, cnt;

			if (cmsg->cmsg_level != SOL_SOCKET ||
			    cmsg->cmsg_type != SCM_RIGHTS)
				continue;

			cnt = (cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int);
			for (i = 0; i < cnt; i++) {
				int rfd;

				memcpy(&rfd, CMSG_DATA(cmsg) + i * sizeof(int),
				       sizeof(rfd));
				if (m->nfds < VU_FDS_MAX) {
					m->fds[m->nfds++] = rfd;
				} else {
					close(rfd);
					m->fds_over = true;
				}
			}
		}
		if (mh.msg_flags & MSG_CTRUNC)
			m->fds_over = true;

		done += (size_t)n;
	}

	return 0;
}

/**
 * vu_msg_close_fds() - Close the descriptors of a message nobody took
 * @m:		Message
 *
 * #syscalls:vu close
 */
static void vu_msg_close_fds(struct vu_msg *m)
{
	unsigned i;

	for (i = 0; i < m->nfds; i++) {
		if (m->fds[i] >= 0)
			close(m->fds[i]);
	}
	m->nfds = 0;
}

/**
 * vu_msg_read() - Read one message from the front end
 * @fd:		Connected socket
 * @m:		Message, filled in; its descriptors are the caller's to
 *		close, whatever the outcome
 *
 * Return: 0 on success, EAGAIN if there is none yet, another positive
 *	   errno if the connection must be closed
 */
static int vu_msg_read(int fd, struct vu_msg *m)
{
	uint32_t hdr[3];
	int rc;

	m->nfds = 0;
	m->fds_over = false;

	rc = vu_recv(fd, hdr, sizeof(hdr), m, true);
	if (rc)
		return rc;

	m->request = hdr[0];
	m->flags = hdr[1];
	m->size = hdr[2];

	if ((m->flags & VHOST_USER_VERSION_MASK) != VHOST_USER_VERSION ||
	    (m->flags & VHOST_USER_REPLY)) {
		warn("vhost-user: message with flags 0x%x", m->flags);
		return EPROTO;
	}
	if (m->size > VU_PAYLOAD_MAX) {
		warn("vhost-user: request %u with a %u-byte payload",
		     m->request, m->size);
		return EPROTO;
	}

	return vu_recv(fd, m->payload, m->size, m, false);
}

/**
 * vu_send_reply() - Send a reply to the front end
 * @fd:		Connected socket
 * @request:	Request we answer
 * @payload:	Payload
 * @size:	Bytes in @payload
 *
 * Return: 0 on success, a positive errno if the connection must be closed
 *
 * #syscalls:vu sendmsg
 */
static int vu_send_reply(int fd, uint32_t request, const void *payload,
			 uint32_t size)
{
	uint32_t hdr[3] = { request, VHOST_USER_VERSION | VHOST_USER_REPLY,
			    size };
	struct iovec iov[2] = {
		{ .iov_base = hdr, .iov_len = sizeof(hdr) },
		{ .iov_base = (void *)payload, .iov_len = size },
	};
	size_t left = sizeof(hdr) + size;
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = 2 };

	while (left) {
		ssize_t n = sendmsg(fd, &mh, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? errno : EPIPE;

		left -= (size_t)n;
		while (mh.msg_iovlen && (size_t)n >= mh.msg_iov->iov_len) {
			n -= (ssize_t)mh.msg_iov->iov_len;
			mh.msg_iov++;
			mh.msg_iovlen--;
		}
		if (mh.msg_iovlen) {
			mh.msg_iov->iov_base = (uint8_t *)mh.msg_iov->iov_base +
					       n;
			mh.msg_iov->iov_len -= (size_t)n;
		}
	}

	return 0;
}

/**
 * vu_handler_find() - Look up a request
 * @request:	Request number
 *
 * Return: what we know of it, NULL if we don't handle it
 */
static const struct vu_handler *vu_handler_find(uint32_t request)
{
	if (request >= ARRAY_SIZE(vu_handlers) || !vu_handlers[request].fn)
		return NULL;
	return &vu_handlers[request];
}

/**
 * vu_dispatch() - Check a message against its request, handle it, reply
 * @c:		Execution context
 * @m:		Message
 *
 * Return: 0 to go on, a positive errno if the connection must be closed
 */
static int vu_dispatch(struct ctx *c, struct vu_msg *m)
{
	const struct vu_handler *h = vu_handler_find(m->request);
	struct vu_reply r = { .size = 0 };
	const char *why = NULL;
	uint64_t ack;
	int rc;

	if (!h) {
		warn_ratelimit("vhost-user: unknown request %u", m->request);
		if (!(m->flags & VHOST_USER_NEED_REPLY))
			return ENOTSUP;
		ack = ENOTSUP;
		return vu_send_reply(vu_conn_fd, m->request, &ack,
				     sizeof(ack));
	}

	if (m->fds_over)
		why = "too many descriptors";
	else if (h->size != VU_ANY && m->size != (uint32_t)h->size)
		why = "wrong payload size";
	else if (h->fds != VU_ANY && m->nfds != (unsigned)h->fds)
		why = "wrong number of descriptors";

	if (why) {
		rc = EINVAL;
	} else {
		trace("vhost-user: %s", h->name + strlen("VHOST_USER_"));
		/* No lent room outlives what the request may change */
		l2_flush(c);
		rc = h->fn(c, m, &r);
		why = rc ? strerror(rc) : NULL;
	}

	if (rc) {
		warn_ratelimit("vhost-user: %s refused: %s",
			       h->name + strlen("VHOST_USER_"), why);
		if (h->reply)
			return rc;
	}

	if (h->reply)
		return vu_send_reply(vu_conn_fd, m->request, r.payload, r.size);
	if (m->flags & VHOST_USER_NEED_REPLY) {
		ack = (uint64_t)rc;
		return vu_send_reply(vu_conn_fd, m->request, &ack,
				     sizeof(ack));
	}
	return 0;
}

/**
 * vu_conn_start() - Start serving a connected front end
 * @c:		Execution context
 * @fd:		Connected socket, owned from now on
 *
 * Return: 0 on success, a positive errno on failure (the socket is closed)
 *
 * #syscalls:vu setsockopt
 */
static int vu_conn_start(struct ctx *c, int fd)
{
	union epoll_ref ref = { .type = EPOLL_TYPE_VHOST_CMD };
	struct timeval tv = { .tv_sec = VU_TIMEOUT_S };
	int rc = 0;

	if (fd > EPOLL_REF_FD_MAX)
		rc = EMFILE;
	else if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) ||
		 setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)))
		rc = errno;

	if (!rc) {
		ref.fd = (uint32_t)fd;
		rc = epoll_ref_add(c->epollfd, EPOLLIN | EPOLLRDHUP, ref);
	}
	if (rc) {
		close(fd);
		return rc;
	}

	vu_conn_fd = fd;
	vu_dev_start(c);
	return 0;
}

/**
 * vu_conn_release() - Drop the front end and all it set up
 * @c:		Execution context
 *
 * #syscalls:vu close
 */
static void vu_conn_release(struct ctx *c)
{
	if (vu_conn_fd < 0)
		return;

	vu_dev_stop(c);

	epoll_ref_del(c->epollfd, vu_conn_fd);
	close(vu_conn_fd);
	vu_conn_fd = -1;
}

/**
 * vu_conn_stop() - Drop the front end, then wait for the next one, or end
 *		    the main loop with --fd or --one-off
 * @c:		Execution context
 */
static void vu_conn_stop(struct ctx *c)
{
	vu_conn_release(c);

	if (vu_listen_fd < 0 || c->one_off) {
		info("Client closed the connection, exiting");
		c->quit = true;
		return;
	}

	info("Client closed the connection, waiting for a new one");
}

/**
 * vu_cmd_handler() - Handle a message from the front end, or its leaving
 * @c:		Execution context
 * @ref:	epoll reference of the socket
 * @events:	EPOLL* events, unused: the outcome of reading tells
 */
void vu_cmd_handler(struct ctx *c, union epoll_ref ref, uint32_t events)
{
	static struct vu_msg m;
	int rc;

	(void)events;

	if (vu_conn_fd < 0 || (int)ref.fd != vu_conn_fd)
		return;

	rc = vu_msg_read(vu_conn_fd, &m);
	if (rc == EAGAIN) {
		vu_msg_close_fds(&m);
		return;
	}
	if (!rc)
		rc = vu_dispatch(c, &m);
	vu_msg_close_fds(&m);

	if (rc) {
		if (rc != EPIPE)
			info("vhost-user: closing the connection: %s",
			     strerror(rc));
		vu_conn_stop(c);
		return;
	}

	vu_dev_after_reply(c);
}

/**
 * vu_init() - Open the vhost-user socket, or adopt the one from --fd
 * @c:		Execution context
 */
void vu_init(struct ctx *c)
{
	union epoll_ref ref = { .type = EPOLL_TYPE_VHOST_LISTEN };
	int rc;

	vu_dev_init();

	if (c->fd_tap >= 0) {
		info("Using connected vhost-user socket from descriptor %i",
		     c->fd_tap);
		rc = vu_conn_start(c, c->fd_tap);
		if (rc)
			die("Can't use descriptor %i: %s", c->fd_tap,
			    strerror(rc));
		return;
	}

	vu_listen_fd = fe_sock_listen(c);
	rc = path_at_open(&vu_path, c->sock_path);
	if (rc)
		warn("%s won't be removed at exit: %s", c->sock_path,
		     strerror(rc));

	if (vu_listen_fd > EPOLL_REF_FD_MAX)
		die("Listening descriptor %i too large", vu_listen_fd);
	ref.fd = (uint32_t)vu_listen_fd;
	rc = epoll_ref_add(c->epollfd, EPOLLIN, ref);
	if (rc)
		die("Can't watch listening socket: %s", strerror(rc));

	info("UNIX domain socket bound at %s", c->sock_path);
	info("Connect QEMU (7.2 or later) over vhost-user with:");
	info("    -chardev socket,id=c,path=%s -netdev vhost-user,id=n,"
	     "chardev=c -device virtio-net-pci,netdev=n", c->sock_path);
	info("and guest memory shared, of the size given with -m:");
	info("    -object memory-backend-memfd,id=m,share=on,size=SIZE"
	     " -numa node,memdev=m");
}

/**
 * vu_listen_handler() - Accept a front end, or turn away an extra one
 * @c:		Execution context
 * @events:	EPOLL* events, unused: accept() tells what happened
 *
 * #syscalls:vu close
 */
void vu_listen_handler(struct ctx *c, uint32_t events)
{
	char who[32];
	int fd, rc;

	(void)events;

	fd = fe_sock_accept(vu_listen_fd, who, sizeof(who));
	if (fd < 0)
		return;

	if (vu_conn_fd >= 0) {
		info("Refusing client (%s): one is already connected", who);
		close(fd);
		return;
	}

	rc = vu_conn_start(c, fd);
	if (rc) {
		warn("Can't serve client (%s): %s", who, strerror(rc));
		return;
	}
	info("Client connected (%s)", who);
}

/**
 * vu_cleanup() - Drop the front end, close the socket, remove its path
 * @c:		Execution context
 *
 * #syscalls:vu close
 */
void vu_cleanup(struct ctx *c)
{
	int rc;

	vu_conn_release(c);

	if (vu_listen_fd >= 0) {
		epoll_ref_del(c->epollfd, vu_listen_fd);
		close(vu_listen_fd);
		vu_listen_fd = -1;
	}

	rc = path_at_unlink(&vu_path);
	if (rc)
		debug("Can't remove %s: %s", c->sock_path, strerror(rc));
}
