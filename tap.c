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
 * The protocols write frames straight into this front end's send arena:
 * each room lent is carved from it, with room for the length prefix in
 * front, so that a frame and its prefix are one buffer. The arena is
 * reused from its start once every room is back, after each flush.
 *
 * While the socket is full, or that rest is pending, frames are refused and
 * EPOLLOUT is watched: once the client has read enough, the rest goes out
 * and the protocols hear that they may send again (l2_writable()).
 */

#include <errno.h>
#include <limits.h>
#include <net/ethernet.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "arp.h"
#include "ctx.h"
#include "epoll_ref.h"
#include "fe_sock.h"
#include "ingress.h"
#include "l2.h"
#include "log.h"
#include "ndp.h"
#include "tap.h"
#include "util.h"

/* Length prefix of each frame on the stream */
#define TAP_HDR_LEN		4

/* Read buffer: many frames per recv(), plus room for one partial frame */
#define TAP_BUF_SIZE		(8UL << 20)

/* Frames handed to ingress in one batch */
#define TAP_BATCH		1024

/* Largest iovec count for one sendmsg() (the kernel's UIO_MAXIOV) */
#define TAP_IOV_MAX		1024

/* Socket buffer size asked for; the kernel caps it at its own limits */
#define TAP_SOCK_BUF		(INT_MAX / 2)

static uint8_t tap_buf[TAP_BUF_SIZE];
/* Bytes of an incomplete frame kept at the start of tap_buf */
static size_t tap_buf_partial;

static int tap_listen_fd = -1;	/* Listening socket, -1 with --fd */
static int tap_client_fd = -1;	/* Connected client, -1 if none */
static struct path_at tap_path = PATH_AT_NONE;	/* Ours to remove */

/* The unwritten rest of a frame cut by a short write: at most a length
 * prefix and a whole frame
 */
static uint8_t tap_rest[TAP_HDR_LEN + L2_MAX_LEN];
static size_t tap_rest_off;	/* First byte of tap_rest not written yet */
static size_t tap_rest_len;	/* End of the bytes kept in tap_rest */
static bool tap_wait_out;	/* EPOLLOUT watched: frames were refused */

/* Send arena: frames of a flush, at most L2_QUEUE_MAX of them, and at
 * least the largest one
 */
#define TAP_ARENA_SIZE		(4UL << 20)
/* Rooms start on a cache line */
#define TAP_ROOM_ALIGN		64

static uint8_t tap_arena[TAP_ARENA_SIZE] __attribute__((aligned(64)));
static size_t tap_arena_used;	/* Bytes carved since the arena was empty */
static struct l2_room tap_rooms[L2_QUEUE_MAX];
static size_t tap_rooms_used;	/* Rooms carved since then */
static size_t tap_rooms_out;	/* Rooms lent or committed, not yet back */

static size_t tap_lend(struct ctx *c, struct l2_room **rooms, size_t n,
		       size_t size);
static void tap_give_back(struct ctx *c, struct l2_room *room);
static size_t tap_deliver(struct ctx *c, struct l2_room *const *rooms,
			  size_t n);
static bool tap_refusing(const struct ctx *c);

static const struct l2_ops tap_l2_ops = {
	.lend = tap_lend,
	.give_back = tap_give_back,
	.deliver = tap_deliver,
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
 *
 * #syscalls:stream setsockopt
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
	tap_rooms_out = 0;
	c->l2 = &tap_l2_ops;

	/* What waited for a front end goes to this one */
	l2_writable(c);

	/* Find the guest at once, even if it has nothing to say */
	arp_probe_guest(c);
	ndp_probe_guest(c);
}

/**
 * tap_client_stop() - Drop the client, then wait for the next one or end
 *		       the main loop
 * @c:		Execution context
 *
 * With --fd or --one-off there is no next client: the main loop ends, and
 * main() runs every cleanup (our socket path, the --migrate-ctl one, the
 * PID file) before the daemon exits.
 *
 * #syscalls:stream close
 */
static void tap_client_stop(struct ctx *c)
{
	if (tap_client_fd < 0)
		return;

	l2_detach(c);
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

	tap_listen_fd = fe_sock_listen(c);
	rc = path_at_open(&tap_path, c->sock_path);
	if (rc)
		warn("%s won't be removed at exit: %s", c->sock_path,
		     strerror(rc));

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
 *
 * #syscalls:stream close
 */
void tap_listen_handler(struct ctx *c, uint32_t events)
{
	char who[32];
	int fd;

	(void)events;

	fd = fe_sock_accept(tap_listen_fd, who, sizeof(who));
	if (fd < 0)
		return;

	if (tap_client_fd >= 0) {
		info("Refusing client (%s): one is already connected", who);
		close(fd);
		return;
	}

	info("Client connected (%s)", who);
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

		/* No frame is shorter than its Ethernet header: a length
		 * under it, like 0, means the stream lost its framing
		 */
		if (flen < ETH_HLEN || flen > frame_max) {
			warn("Bad frame length %zu from client (from %u to"
			     " %zu), closing the connection", flen,
			     (unsigned)ETH_HLEN, frame_max);
			ingress_frames(c, batch, NULL, n);
			return -1;
		}
		if (len - off - TAP_HDR_LEN < flen)
			break;

		batch[n].iov_base = tap_buf + off + TAP_HDR_LEN;
		batch[n].iov_len = flen;
		off += TAP_HDR_LEN + flen;

		if (++n == TAP_BATCH) {
			ingress_frames(c, batch, NULL, n);
			n = 0;
		}
	}

	ingress_frames(c, batch, NULL, n);

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
 *
 * #syscalls:stream sendto
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
 *
 * #syscalls:stream recvfrom
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
 * tap_lend() - Lend rooms carved from the send arena, see struct l2_ops
 * @c:		Execution context, unused
 * @rooms:	Room pointers, filled in
 * @n:		Rooms wanted
 * @size:	Bytes each room holds, at most L2_MAX_LEN
 *
 * Return: rooms lent: none while the client doesn't read, or once the
 *	   arena is used up until the next flush
 */
static size_t tap_lend(struct ctx *c, struct l2_room **rooms, size_t n,
		       size_t size)
{
	size_t i;

	(void)c;

	if (tap_client_fd < 0 || tap_wait_out)
		return 0;

	/* Everything is back: start again from the front */
	if (!tap_rooms_out)
		tap_arena_used = tap_rooms_used = 0;

	for (i = 0; i < n; i++) {
		size_t need = ROUND_UP(TAP_HDR_LEN + size, TAP_ROOM_ALIGN);
		struct l2_room *r;

		if (tap_rooms_used == ARRAY_SIZE(tap_rooms) ||
		    need > TAP_ARENA_SIZE - tap_arena_used)
			break;

		r = &tap_rooms[tap_rooms_used++];
		r->iov[0].iov_base = tap_arena + tap_arena_used + TAP_HDR_LEN;
		r->iov[0].iov_len = size;
		r->iovcnt = 1;
		r->size = size;
		tap_arena_used += need;
		tap_rooms_out++;
		rooms[i] = r;
	}

	return i;
}

/**
 * tap_give_back() - Take back a room that holds no frame
 * @c:		Execution context, unused
 * @room:	Room lent by tap_lend()
 */
static void tap_give_back(struct ctx *c, struct l2_room *room)
{
	(void)c;
	(void)room;

	ASSERT(tap_rooms_out);
	tap_rooms_out--;
}

/**
 * tap_rest_keep() - Keep the rest of a frame a short write cut
 * @buf:	Frame, length prefix first
 * @len:	Length of the frame, prefix included
 * @done:	Bytes of it written
 */
static void tap_rest_keep(const uint8_t *buf, size_t len, size_t done)
{
	tap_rest_off = 0;
	tap_rest_len = len - done;
	memcpy(tap_rest, buf + done, tap_rest_len);
}

/**
 * tap_write_frames() - Write frames, each behind its length prefix, with
 *			one sendmsg()
 * @c:		Execution context
 * @rooms:	Rooms holding the frames, prefixes written
 * @count:	Number of frames, 1 to TAP_IOV_MAX
 * @full:	Set if the socket took less than all of them
 *
 * Return: frames written, a frame cut short included (its rest is kept, to
 *	   go first once the client reads)
 *
 * #syscalls:stream sendmsg
 */
static size_t tap_write_frames(struct ctx *c, struct l2_room *const *rooms,
			       size_t count, bool *full)
{
	static struct iovec iov[TAP_IOV_MAX];
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = count };
	size_t i, done;
	ssize_t w;

	for (i = 0; i < count; i++) {
		const struct l2_room *r = rooms[i];

		iov[i].iov_base = (uint8_t *)r->iov[0].iov_base - TAP_HDR_LEN;
		iov[i].iov_len = TAP_HDR_LEN + r->len;
	}

	do
		w = sendmsg(tap_client_fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
	while (w < 0 && errno == EINTR);

	*full = true;
	if (w < 0) {
		if (errno == EAGAIN)
			tap_out_watch(c, true);
		else
			debug_ratelimit("Write to client: %s", strerror(errno));
		return 0;
	}

	/* Count whole frames, and keep the rest of one cut */
	for (done = (size_t)w, i = 0; i < count; i++) {
		if (done < iov[i].iov_len) {
			if (done)
				tap_rest_keep(iov[i].iov_base, iov[i].iov_len,
					      done);
			tap_out_watch(c, true);
			return i + !!done;
		}
		done -= iov[i].iov_len;
	}

	*full = false;
	return count;
}

/**
 * tap_deliver() - Write committed frames to the client, see struct l2_ops
 * @c:		Execution context
 * @rooms:	Rooms from tap_lend(), each holding a frame
 * @n:		Number of rooms
 *
 * Each frame goes with its length prefix, written just before it, as one
 * buffer; many frames per sendmsg().
 *
 * Return: number of frames written, in order; the rest were not, and
 *	   l2_writable() follows once the client reads again
 */
static size_t tap_deliver(struct ctx *c, struct l2_room *const *rooms,
			  size_t n)
{
	bool full = false;
	size_t i, sent;

	ASSERT(tap_rooms_out >= n);
	tap_rooms_out -= n;

	/* Nothing overtakes the rest of a cut frame */
	if (tap_client_fd < 0 || tap_rest_len)
		return 0;

	for (i = 0; i < n; i++) {
		uint8_t *frame = rooms[i]->iov[0].iov_base;

		put_be32(frame - TAP_HDR_LEN, (uint32_t)rooms[i]->len);
	}

	for (sent = 0; sent < n && !full;) {
		sent += tap_write_frames(c, rooms + sent,
					 MIN(n - sent, TAP_IOV_MAX), &full);
	}

	return sent;
}

/**
 * tap_cleanup() - Close the front end's sockets and remove its path
 * @c:		Execution context
 *
 * #syscalls:stream close
 */
void tap_cleanup(struct ctx *c)
{
	int rc;

	if (tap_client_fd >= 0) {
		l2_detach(c);
		close(tap_client_fd);
		tap_client_fd = -1;
		c->l2 = NULL;
	}

	if (tap_listen_fd >= 0) {
		close(tap_listen_fd);
		tap_listen_fd = -1;
	}

	rc = path_at_unlink(&tap_path);
	if (rc)
		debug("Can't remove %s: %s", c->sock_path, strerror(rc));
}
