// SPDX-License-Identifier: GPL-2.0-or-later
/* tap.c - QEMU stream front end: the UNIX stream socket QEMU connects to
 * (or an already connected one from --fd), reading frames from it and
 * writing frames to it
 *
 * On the wire, both ways, each Ethernet frame follows a 4-byte big-endian
 * length. Only one client is served at a time. Reads fill a large static
 * buffer with as many frames as the kernel has queued; a frame cut by the
 * end of a read is moved to the front of the buffer and completed by the
 * next one. Writes carry many frames per sendmsg() and never leave a frame
 * half-written, so the stream cannot lose its framing: the rest of a frame
 * that a full socket cut is kept, and written first once the client reads.
 *
 * While the socket is full, or that rest is pending, frames are refused and
 * EPOLLOUT is watched: once the client has read enough, the rest goes out
 * and the protocols hear that they may send again (l2_writable()).
 */

#include <errno.h>
#include <limits.h>
#include <net/ethernet.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctx.h"
#include "epoll_ref.h"
#include "ingress.h"
#include "l2.h"
#include "log.h"
#include "tap.h"
#include "util.h"

/* Length prefix of each frame on the stream */
#define TAP_HDR_LEN		4

/* Read buffer: many frames per recv(), plus room for one partial frame */
#define TAP_BUF_SIZE		(8UL << 20)

/* Frames handed to ingress in one batch */
#define TAP_BATCH		1024

/* Default socket paths: /tmp/passt_1.socket to /tmp/passt_99.socket */
#define TAP_SOCK_FMT		"/tmp/passt_%u.socket"
#define TAP_SOCK_MAX		99

/* Largest iovec count for one sendmsg() (the kernel's UIO_MAXIOV) */
#define TAP_IOV_MAX		1024

/* Socket buffer size asked for; the kernel caps it at its own limits */
#define TAP_SOCK_BUF		(INT_MAX / 2)

static uint8_t tap_buf[TAP_BUF_SIZE];
/* Bytes of an incomplete frame kept at the start of tap_buf */
static size_t tap_buf_partial;

static int tap_listen_fd = -1;	/* Listening socket, -1 with --fd */
static int tap_client_fd = -1;	/* Connected client, -1 if none */
static bool tap_path_bound;	/* c->sock_path is ours to unlink */

/* The unwritten rest of a frame cut by a short write: at most a length
 * prefix and a whole frame
 */
static uint8_t tap_rest[TAP_HDR_LEN + L2_MAX_LEN];
static size_t tap_rest_off;	/* First byte of tap_rest not written yet */
static size_t tap_rest_len;	/* End of the bytes kept in tap_rest */
static bool tap_wait_out;	/* EPOLLOUT watched: frames were refused */

static size_t tap_send_frames(struct ctx *c, struct iovec *iov,
			      size_t bufs_per_frame, size_t frames);

static bool tap_refusing(const struct ctx *c);

static const struct l2_ops tap_l2_ops = {
	.send_frames = tap_send_frames,
	.refusing = tap_refusing,
};

/**
 * tap_frame_max() - Largest frame the client may send, from the MTU
 * @c:		Execution context
 *
 * Return: MTU plus Ethernet header and a VLAN tag, or L2_MAX_LEN if no MTU
 */
static size_t tap_frame_max(const struct ctx *c)
{
	if (!c->mtu)
		return L2_MAX_LEN;
	return MIN((size_t)c->mtu + ETH_HLEN + 4, (size_t)L2_MAX_LEN);
}

/**
 * tap_sock_bufs() - Ask for large socket buffers, for bursts of frames
 * @fd:		Connected socket
 */
static void tap_sock_bufs(int fd)
{
	int v = TAP_SOCK_BUF;

	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &v, sizeof(v)) ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v)))
		debug("Can't set socket buffer sizes: %s", strerror(errno));
}

/**
 * tap_client_start() - Start serving a connected client
 * @c:		Execution context
 * @fd:		Connected socket, owned from now on
 */
static void tap_client_start(struct ctx *c, int fd)
{
	union epoll_ref ref = { .type = EPOLL_TYPE_TAP, .fd = (uint32_t)fd };
	int rc;

	if (fd > EPOLL_REF_FD_MAX)
		die("Client descriptor %i too large", fd);

	rc = fd_set_nonblock(fd);
	if (rc)
		die("Can't make client socket non-blocking: %s", strerror(rc));
	tap_sock_bufs(fd);

	rc = epoll_ref_add(c->epollfd, EPOLLIN | EPOLLRDHUP, ref);
	if (rc)
		die("Can't watch client socket: %s", strerror(rc));

	tap_client_fd = fd;
	tap_buf_partial = 0;
	tap_rest_off = tap_rest_len = 0;
	tap_wait_out = false;
	c->l2 = &tap_l2_ops;
}

/**
 * tap_client_stop() - Drop the client, then wait for the next one or end
 *		       the main loop
 * @c:		Execution context
 *
 * With --fd or --one-off there is no next client: the main loop ends, and
 * main() runs every cleanup (our socket path, the --migrate-ctl one, the
 * PID file) before the daemon exits.
 */
static void tap_client_stop(struct ctx *c)
{
	if (tap_client_fd < 0)
		return;

	epoll_ref_del(c->epollfd, tap_client_fd);
	close(tap_client_fd);
	tap_client_fd = -1;
	tap_buf_partial = 0;
	tap_rest_off = tap_rest_len = 0;
	tap_wait_out = false;
	c->l2 = NULL;

	if (tap_listen_fd < 0 || c->one_off) {
		info("Client closed the connection, exiting");
		c->quit = true;
		return;
	}

	info("Client closed the connection, waiting for a new one");
}

/**
 * tap_sock_probe() - Tell whether something listens at a socket path
 * @addr:	Address to probe
 *
 * Return: 0 if nothing listens (no file, or a stale one left behind),
 *	   EADDRINUSE if a server answers or the path can't be used,
 *	   otherwise a positive errno from socket()
 */
static int tap_sock_probe(const struct sockaddr_un *addr)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int rc = 0;

	if (fd < 0)
		return errno;

	/* Connected, or failed for a reason other than nobody being there */
	if (!connect(fd, (const struct sockaddr *)addr, sizeof(*addr)) ||
	    (errno != ENOENT && errno != ECONNREFUSED))
		rc = EADDRINUSE;

	close(fd);
	return rc;
}

/**
 * tap_sock_bind() - Bind and listen on a path, removing a stale socket
 * @path:	Socket path
 *
 * Return: listening socket, or -1 with errno set
 */
static int tap_sock_bind(const char *path)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int fd, rc;

	if (strlen(path) >= sizeof(addr.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(addr.sun_path, path, strlen(path) + 1);

	rc = tap_sock_probe(&addr);
	if (rc) {
		errno = rc;
		return -1;
	}
	/* Nothing answers: a socket file here is stale */
	unlink(path);

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;

	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) ||
	    listen(fd, 0)) {
		rc = errno;
		close(fd);
		errno = rc;
		return -1;
	}

	return fd;
}

/**
 * tap_listen() - Open the listening socket at the given or first free path
 * @c:		Execution context, c->sock_path filled in if it was empty
 *
 * Return: listening socket; failures are fatal
 */
static int tap_listen(struct ctx *c)
{
	unsigned i;
	int fd;

	if (*c->sock_path) {
		fd = tap_sock_bind(c->sock_path);
		if (fd < 0)
			die("Can't listen on %s: %s", c->sock_path,
			    strerror(errno));
		return fd;
	}

	for (i = 1; i <= TAP_SOCK_MAX; i++) {
		char path[UNIX_PATH_MAX];

		snprintf(path, sizeof(path), TAP_SOCK_FMT, i);
		fd = tap_sock_bind(path);
		if (fd >= 0) {
			memcpy(c->sock_path, path, sizeof(path));
			return fd;
		}
		if (errno != EADDRINUSE)
			debug("Can't use %s: %s", path, strerror(errno));
	}

	die("No free socket path from " TAP_SOCK_FMT " to " TAP_SOCK_FMT,
	    1U, TAP_SOCK_MAX);
}

/**
 * tap_init() - Open the front end's socket, or adopt the one from --fd
 * @c:		Execution context
 */
void tap_init(struct ctx *c)
{
	union epoll_ref ref = { .type = EPOLL_TYPE_TAP_LISTEN };
	int rc;

	if (c->fd_tap >= 0) {
		info("Using connected socket from descriptor %i", c->fd_tap);
		tap_client_start(c, c->fd_tap);
		return;
	}

	tap_listen_fd = tap_listen(c);
	tap_path_bound = true;

	if (tap_listen_fd > EPOLL_REF_FD_MAX)
		die("Listening descriptor %i too large", tap_listen_fd);
	ref.fd = (uint32_t)tap_listen_fd;
	rc = epoll_ref_add(c->epollfd, EPOLLIN, ref);
	if (rc)
		die("Can't watch listening socket: %s", strerror(rc));

	info("UNIX domain socket bound at %s", c->sock_path);
	info("Connect QEMU (7.2 or later) with:");
	info("    -netdev stream,id=s,server=off,addr.type=unix,addr.path=%s"
	     " -device virtio-net-pci,netdev=s", c->sock_path);
}

/**
 * tap_listen_handler() - Accept a client, or turn away an extra one
 * @c:		Execution context
 * @events:	EPOLL* events, unused: accept() tells what happened
 */
void tap_listen_handler(struct ctx *c, uint32_t events)
{
	struct ucred cred = { .pid = 0 };
	socklen_t cred_len = sizeof(cred);
	int fd;

	(void)events;

	fd = accept4(tap_listen_fd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0) {
		if (errno != EAGAIN && errno != EINTR)
			debug_ratelimit("accept: %s", strerror(errno));
		return;
	}

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &cred_len))
		cred.pid = 0;

	if (tap_client_fd >= 0) {
		info("Refusing client (pid %i): one is already connected",
		     (int)cred.pid);
		close(fd);
		return;
	}

	info("Client connected (pid %i)", (int)cred.pid);
	tap_client_start(c, fd);
}

/**
 * tap_parse() - Hand the complete frames in the read buffer to ingress
 * @c:		Execution context
 * @len:	Bytes in the read buffer
 *
 * Return: 0 on success, with any incomplete frame moved to the front of the
 *	   buffer; -1 on a length prefix that breaks the protocol
 */
static int tap_parse(struct ctx *c, size_t len)
{
	static struct iovec batch[TAP_BATCH];
	size_t frame_max = tap_frame_max(c), off = 0, n = 0;

	while (len - off >= TAP_HDR_LEN) {
		size_t flen = get_be32(tap_buf + off);

		if (!flen || flen > frame_max) {
			warn("Bad frame length %zu from client (largest %zu),"
			     " closing the connection", flen, frame_max);
			ingress_frames(c, batch, n);
			return -1;
		}
		if (len - off - TAP_HDR_LEN < flen)
			break;

		batch[n].iov_base = tap_buf + off + TAP_HDR_LEN;
		batch[n].iov_len = flen;
		off += TAP_HDR_LEN + flen;

		if (++n == TAP_BATCH) {
			ingress_frames(c, batch, n);
			n = 0;
		}
	}

	ingress_frames(c, batch, n);

	tap_buf_partial = len - off;
	if (tap_buf_partial && off)
		memmove(tap_buf, tap_buf + off, tap_buf_partial);

	return 0;
}

/**
 * tap_refusing() - Are frames refused until the client reads again?
 * @c:		Execution context, unused
 *
 * Return: true while EPOLLOUT is watched, that is, from a refusal until
 *	   l2_writable()
 */
static bool tap_refusing(const struct ctx *c)
{
	(void)c;
	return tap_wait_out;
}

/**
 * tap_out_watch() - Watch, or stop watching, for the client to read again
 * @c:		Execution context
 * @on:		Watch for EPOLLOUT (else only for input)
 *
 * Return: 0 on success, a positive errno on failure
 */
static int tap_out_watch(const struct ctx *c, bool on)
{
	union epoll_ref ref = { .type = EPOLL_TYPE_TAP,
				.fd = (uint32_t)tap_client_fd };
	uint32_t events = EPOLLIN | EPOLLRDHUP | (on ? EPOLLOUT : 0);
	int rc;

	if (tap_wait_out == on)
		return 0;

	rc = epoll_ref_mod(c->epollfd, events, ref);
	if (!rc)
		tap_wait_out = on;
	return rc;
}

/**
 * tap_rest_write() - Write the kept rest of a cut frame, then tell the
 *		      protocols that frames are taken again
 * @c:		Execution context
 *
 * Return: 0 if done or to be continued at the next EPOLLOUT, a positive
 *	   errno if the client is gone
 */
static int tap_rest_write(struct ctx *c)
{
	while (tap_rest_off < tap_rest_len) {
		ssize_t n = send(tap_client_fd, tap_rest + tap_rest_off,
				 tap_rest_len - tap_rest_off,
				 MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == EAGAIN ? 0 : errno;
		tap_rest_off += (size_t)n;
	}
	tap_rest_off = tap_rest_len = 0;

	/* Not watching once idle: the socket is writable nearly always */
	if (tap_out_watch(c, false))
		return 0;
	l2_writable(c);
	return 0;
}

/**
 * tap_handler() - Read frames from the client, and resume writing to it
 * @c:		Execution context
 * @events:	EPOLL* events
 *
 * The outcome of recv() alone decides whether the client left: this also
 * reads what it sent just before closing, and an event left over from a
 * previous client can do no harm.
 */
void tap_handler(struct ctx *c, uint32_t events)
{
	ssize_t n;

	if (tap_client_fd < 0)
		return;

	if ((events & EPOLLOUT) && tap_wait_out) {
		int rc = tap_rest_write(c);

		if (rc) {
			info("Client socket error: %s", strerror(rc));
			tap_client_stop(c);
			return;
		}
	}
	if (!(events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)))
		return;

	do {
		n = recv(tap_client_fd, tap_buf + tap_buf_partial,
			 sizeof(tap_buf) - tap_buf_partial, MSG_DONTWAIT);
	} while (n < 0 && errno == EINTR);

	if (n < 0 && errno == EAGAIN)
		return;

	if (n <= 0) {
		if (n < 0)
			info("Client socket error: %s", strerror(errno));
		if (tap_buf_partial)
			info("Client left in the middle of a frame");
		tap_client_stop(c);
		return;
	}

	if (tap_parse(c, tap_buf_partial + (size_t)n))
		tap_client_stop(c);
}

/**
 * tap_rest_keep() - Keep the rest of a frame a short write cut
 * @iov:	Buffers of the frame, length prefix first
 * @cnt:	Number of buffers
 * @done:	Bytes of the frame written
 */
static void tap_rest_keep(const struct iovec *iov, size_t cnt, size_t done)
{
	size_t i;

	tap_rest_off = tap_rest_len = 0;
	for (i = 0; i < cnt; i++) {
		size_t skip = MIN(done, iov[i].iov_len);
		size_t len = iov[i].iov_len - skip;

		done -= skip;
		memcpy(tap_rest + tap_rest_len,
		       (const uint8_t *)iov[i].iov_base + skip, len);
		tap_rest_len += len;
	}
}

/**
 * tap_send_frames() - Write frames to the client, see struct l2_ops
 * @c:			Execution context
 * @iov:		Buffers: per frame, a struct l2_prefix, then the frame
 * @bufs_per_frame:	Buffers per frame, the prefix included
 * @frames:		Number of frames
 *
 * Return: number of frames taken, in order; the rest were not written, and
 *	   l2_writable() follows once the client reads again
 */
static size_t tap_send_frames(struct ctx *c, struct iovec *iov,
			      size_t bufs_per_frame, size_t frames)
{
	size_t per_call, i, sent = 0;

	if (tap_client_fd < 0 || bufs_per_frame < 2 ||
	    bufs_per_frame > TAP_IOV_MAX)
		return 0;

	/* Nothing overtakes the rest of a cut frame */
	if (tap_rest_len)
		return 0;

	for (i = 0; i < frames; i++) {
		struct iovec *f = iov + i * bufs_per_frame;
		size_t j, len = 0;

		for (j = 1; j < bufs_per_frame; j++)
			len += f[j].iov_len;
		if (len > L2_MAX_LEN) {
			/* Its rest wouldn't fit tap_rest: send those before */
			debug_ratelimit("Frame of %zu bytes not sent", len);
			frames = i;
			break;
		}
		put_be32(f[0].iov_base, (uint32_t)len);
		f[0].iov_len = TAP_HDR_LEN;
	}

	per_call = TAP_IOV_MAX / bufs_per_frame;
	while (sent < frames) {
		size_t count = MIN(per_call, frames - sent), done;
		struct iovec *first = iov + sent * bufs_per_frame;
		struct msghdr mh = {
			.msg_iov = first,
			.msg_iovlen = count * bufs_per_frame,
		};
		ssize_t n;

		n = sendmsg(tap_client_fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				tap_out_watch(c, true);
			else
				debug_ratelimit("Write to client: %s",
						strerror(errno));
			return sent;
		}

		/* Count whole frames, and keep the rest of one cut */
		done = (size_t)n;
		for (i = 0; i < count; i++) {
			struct iovec *f = first + i * bufs_per_frame;
			size_t j, len = 0;

			for (j = 0; j < bufs_per_frame; j++)
				len += f[j].iov_len;

			if (done < len) {
				if (done) {
					tap_rest_keep(f, bufs_per_frame, done);
					sent++;
				}
				tap_out_watch(c, true);
				return sent;
			}
			done -= len;
			sent++;
		}
	}

	return sent;
}

/**
 * tap_cleanup() - Close the front end's sockets and remove its path
 * @c:		Execution context
 */
void tap_cleanup(struct ctx *c)
{
	if (tap_client_fd >= 0) {
		close(tap_client_fd);
		tap_client_fd = -1;
		c->l2 = NULL;
	}

	if (tap_listen_fd >= 0) {
		close(tap_listen_fd);
		tap_listen_fd = -1;
	}

	if (tap_path_bound) {
		unlink(c->sock_path);
		tap_path_bound = false;
	}
}
