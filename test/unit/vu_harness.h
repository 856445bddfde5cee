/* SPDX-License-Identifier: GPL-2.0-or-later */
/* vu_harness.h - a vhost-user front end and guest driver for unit tests:
 * this program plays QEMU over the socket and the guest's driver on rings
 * in a memfd it shares as guest memory, and runs the daemon's handlers as
 * the main loop would
 */

#ifndef VU_HARNESS_H
#define VU_HARNESS_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <net/ethernet.h>
#include <poll.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctx.h"
#include "epoll_ref.h"
#include "fwd.h"
#include "l2.h"
#include "unit.h"
#include "util.h"
#include "vhost_user.h"
#include "virtio.h"
#include "vu_dev.h"
#include "vu_l2.h"

/* Guest memory, and where things are in it (guest address = offset) */
#define GMEM_SIZE	(1UL << 20)
#define QVA_BASE	0x7f1000000000ULL
#define QSIZE		16
#define RING_OFF(q)	((q) * 0x10000UL)
#define DESC(q)		RING_OFF(q)
#define AVAIL(q)	(RING_OFF(q) + 0x1000)
#define USED(q)		(RING_OFF(q) + 0x2000)
#define RXBUF_OFF	0x40000UL
#define TXBUF_OFF	0x80000UL
#define IND_OFF		0xc0000UL
#define LOG_SIZE	((GMEM_SIZE / 4096 + 7) / 8)

#define RXQ		0
#define TXQ		1

static const uint8_t guest_mac[ETH_ALEN] = { 0x02, 0, 0, 0, 0, 0x01 };
static const uint8_t our_mac[ETH_ALEN] = { 0x9a, 0x55, 0x9a, 0x55, 0x9a, 0x55 };

static struct ctx c;
static char dir[] = "/tmp/vhost-user-unit.XXXXXX";
static uint8_t *gmem;		/* Our mapping of guest memory */
static int memfd = -1;
static int fe = -1;		/* The front end's socket */
static int kick[2] = { -1, -1 }, call[2] = { -1, -1 }, err[2] = { -1, -1 };
static uint16_t avail_idx[2];	/* The driver's available indices */
static uint16_t used_seen[2];	/* Used entries the driver consumed */

/**
 * run_events() - The main loop's part: hand the front end its events, then
 *		  flush frames, until nothing happens for a while
 * @timeout_ms:	How long to wait for the first event
 */
static inline void run_events(int timeout_ms)
{
	struct epoll_event ev[8];
	int n, i;

	while ((n = epoll_wait(c.epollfd, ev, 8, timeout_ms)) > 0) {
		for (i = 0; i < n; i++) {
			union epoll_ref ref = { .u64 = ev[i].data.u64 };

			if (ref.type == EPOLL_TYPE_VHOST_LISTEN)
				vu_listen_handler(&c, ev[i].events);
			else if (ref.type == EPOLL_TYPE_VHOST_CMD)
				vu_cmd_handler(&c, ref, ev[i].events);
			else if (ref.type == EPOLL_TYPE_VHOST_KICK)
				vu_l2_kick(&c, ref);
		}
		l2_flush(&c);
		timeout_ms = 20;
	}
}

/**
 * fe_send() - Send a message as the front end
 * @req:	Request
 * @flags:	Flags besides the version
 * @payload:	Payload
 * @size:	Its size, as the header says
 * @len:	Bytes of payload really sent
 * @fds:	Descriptors to pass
 * @nfds:	Number of them
 */
static inline void fe_send(uint32_t req, uint32_t flags,
			   const void *payload, uint32_t size, size_t len,
			   const int *fds, size_t nfds)
{
	uint32_t hdr[3] = { req, VHOST_USER_VERSION | flags, size };
	union {
		char buf[CMSG_SPACE(sizeof(int) * 16)];
		struct cmsghdr align;
	} u;
	struct iovec iov[2] = {
		{ .iov_base = hdr, .iov_len = sizeof(hdr) },
		{ .iov_base = (void *)payload, .iov_len = len },
	};
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = 2 };

	if (nfds) {
		struct cmsghdr *cm;

		mh.msg_control = u.buf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(cm), fds, sizeof(int) * nfds);
	}

	UNIT_CHECK(sendmsg(fe, &mh, MSG_NOSIGNAL) ==
		   (ssize_t)(sizeof(hdr) + len));
}

/**
 * fe_reply() - Read a reply as the front end
 * @req:	Request it must answer
 * @payload:	Payload, filled in
 * @max:	Room in @payload
 *
 * Return: payload size, -1 if no reply came or it was malformed
 */
static inline int fe_reply(uint32_t req, void *payload, size_t max)
{
	struct pollfd pfd = { .fd = fe, .events = POLLIN };
	uint32_t hdr[3];

	if (poll(&pfd, 1, 0) != 1 ||
	    recv(fe, hdr, sizeof(hdr), MSG_WAITALL) != sizeof(hdr))
		return -1;
	if (hdr[0] != req ||
	    hdr[1] != (VHOST_USER_VERSION | VHOST_USER_REPLY) || hdr[2] > max)
		return -1;
	if (hdr[2] && recv(fe, payload, hdr[2], MSG_WAITALL) != hdr[2])
		return -1;
	return (int)hdr[2];
}

/**
 * fe_req() - Send a request, let the daemon handle it, take its ack
 * @req:	Request
 * @payload:	Payload
 * @size:	Its size
 * @fds:	Descriptors to pass
 * @nfds:	Number of them
 *
 * Return: the acknowledgement (0 for success), or -1 if none came
 */
static inline int64_t fe_req(uint32_t req, const void *payload,
			     uint32_t size, const int *fds, size_t nfds)
{
	uint64_t ack;

	fe_send(req, VHOST_USER_NEED_REPLY, payload, size, size, fds, nfds);
	run_events(200);
	if (fe_reply(req, &ack, sizeof(ack)) != sizeof(ack))
		return -1;
	return (int64_t)ack;
}

/**
 * fe_get_u64() - Send a request answered with one 64-bit value
 * @req:	Request
 *
 * Return: the value, UINT64_MAX if no reply came
 */
static inline uint64_t fe_get_u64(uint32_t req)
{
	uint64_t v;

	fe_send(req, 0, NULL, 0, 0, NULL, 0);
	run_events(200);
	if (fe_reply(req, &v, sizeof(v)) != sizeof(v))
		return UINT64_MAX;
	return v;
}

/**
 * fe_closed() - Did the daemon close our connection?
 *
 * Return: true once it reads as closed
 */
static inline bool fe_closed(void)
{
	struct pollfd pfd = { .fd = fe, .events = POLLIN };
	ssize_t n;
	char b;

	run_events(50);
	if (poll(&pfd, 1, 0) != 1)
		return false;
	/* With our bytes unread, the daemon's close resets the connection */
	n = recv(fe, &b, 1, MSG_DONTWAIT);
	return !n || (n < 0 && errno == ECONNRESET);
}

/**
 * fe_connect() - Connect as a new front end, and be accepted
 */
static inline void fe_connect(void)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };

	/* The daemon sees the old one go before the new one comes */
	if (fe >= 0) {
		close(fe);
		run_events(50);
	}
	memcpy(a.sun_path, c.sock_path, sizeof(a.sun_path));
	fe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	UNIT_CHECK(!connect(fe, (struct sockaddr *)&a, sizeof(a)));
	run_events(200);
	memset(avail_idx, 0, sizeof(avail_idx));
	memset(used_seen, 0, sizeof(used_seen));
	memset(gmem, 0, GMEM_SIZE);
}

/**
 * state_req() - Send a message with a vring state payload, with an ack
 * @req:	Request
 * @index:	Queue index
 * @num:	Number
 *
 * Return: the acknowledgement, -1 if none
 */
static inline int64_t state_req(uint32_t req, uint32_t index, uint32_t num)
{
	uint32_t s[2] = { index, num };

	return fe_req(req, s, sizeof(s), NULL, 0);
}

/**
 * addr_req() - SET_VRING_ADDR for a queue at its usual place, or another
 * @q:		Queue index
 * @desc:	Descriptor table, front end address
 * @flags:	Ring flags
 *
 * Return: the acknowledgement, -1 if none
 */
static inline int64_t addr_req(uint32_t q, uint64_t desc, uint32_t flags)
{
	uint8_t p[40];
	uint64_t used = QVA_BASE + USED(q), avail = QVA_BASE + AVAIL(q);
	uint64_t log = USED(q);

	memcpy(p, &q, 4);
	memcpy(p + 4, &flags, 4);
	memcpy(p + 8, &desc, 8);
	memcpy(p + 16, &used, 8);
	memcpy(p + 24, &avail, 8);
	memcpy(p + 32, &log, 8);
	return fe_req(VHOST_USER_SET_VRING_ADDR, p, sizeof(p), NULL, 0);
}

/**
 * fd_req() - SET_VRING_KICK, _CALL or _ERR with one eventfd
 * @req:	Request
 * @q:		Queue index
 * @fd:		Eventfd
 *
 * Return: the acknowledgement, -1 if none
 */
static inline int64_t fd_req(uint32_t req, uint64_t q, int fd)
{
	return fe_req(req, &q, sizeof(q), &fd, 1);
}

/**
 * mem_req() - SET_MEM_TABLE with regions of our memfd
 * @n:		Number of regions
 * @regions:	Guest address, size, front end address, offset of each
 *
 * Return: the acknowledgement, -1 if none
 */
static inline int64_t mem_req(uint32_t n, const uint64_t (*regions)[4])
{
	uint8_t p[8 + 8 * 32] = { 0 };
	int fds[8];
	uint32_t i;

	memcpy(p, &n, 4);
	for (i = 0; i < n && i < 8; i++) {
		memcpy(p + 8 + i * 32, regions[i], 32);
		fds[i] = memfd;
	}
	return fe_req(VHOST_USER_SET_MEM_TABLE, p, 8 + 32 * n, fds,
		      MIN(n, 8U));
}

/**
 * g_desc() - Write a descriptor, as the driver
 * @q:		Queue index, or -1 for the indirect table
 * @i:		Index
 * @gpa:	Buffer
 * @len:	Its length
 * @flags:	1 next, 2 write, 4 indirect
 * @next:	Next descriptor
 */
static inline void g_desc(int q, unsigned i, uint64_t gpa, uint32_t len,
			  uint16_t flags, uint16_t next)
{
	uint8_t *p = gmem + (q < 0 ? IND_OFF : DESC(q)) + i * 16;

	memcpy(p, &gpa, 8);
	memcpy(p + 8, &len, 4);
	memcpy(p + 12, &flags, 2);
	memcpy(p + 14, &next, 2);
}

/**
 * g_avail() - Make a chain available, as the driver
 * @q:		Queue index
 * @head:	First descriptor
 */
static inline void g_avail(int q, uint16_t head)
{
	memcpy(gmem + AVAIL(q) + 4 + 2 * (avail_idx[q] % QSIZE), &head, 2);
	avail_idx[q]++;
	memcpy(gmem + AVAIL(q) + 2, &avail_idx[q], 2);
}

/**
 * g_used() - Take the next used entry, as the driver
 * @q:		Queue index
 * @id:		Chain, set
 * @len:	Bytes written, set
 *
 * Return: true if there was one
 */
static inline bool g_used(int q, uint32_t *id, uint32_t *len)
{
	size_t off = USED(q) + 4 + 8 * (used_seen[q] % QSIZE);
	uint16_t idx;

	memcpy(&idx, gmem + USED(q) + 2, 2);
	if (idx == used_seen[q])
		return false;
	memcpy(id, gmem + off, 4);
	memcpy(len, gmem + off + 4, 4);
	used_seen[q]++;
	return true;
}

/**
 * rx_post() - Post receive buffers, one descriptor each
 * @first:	First descriptor and buffer number
 * @n:		Number of buffers
 * @size:	Bytes in each
 */
static inline void rx_post(unsigned first, unsigned n, uint32_t size)
{
	unsigned i;

	for (i = first; i < first + n; i++) {
		g_desc(RXQ, i, RXBUF_OFF + i * 4096, size, 2, 0);
		g_avail(RXQ, (uint16_t)i);
	}
}

/**
 * counter() - Read and reset an eventfd
 * @fd:		Eventfd
 *
 * Return: its count, 0 if none
 */
static inline uint64_t counter(int fd)
{
	uint64_t v = 0;

	if (read(fd, &v, sizeof(v)) < 0)
		return 0;
	return v;
}

/**
 * fe_setup() - Negotiate, share memory, set both queues up and enable them
 * @features:	Features to take from those offered
 * @rx_bufs:	Receive buffers to post before the queues start
 * @rx_size:	Bytes in each
 *
 * Return: true if every step was acknowledged
 */
static inline bool fe_setup(uint64_t features, unsigned rx_bufs,
			    uint32_t rx_size)
{
	const uint64_t region[1][4] = { { 0, GMEM_SIZE, QVA_BASE, 0 } };
	uint64_t proto = VIRTIO_BIT(VHOST_USER_PROTOCOL_F_REPLY_ACK) |
			 VIRTIO_BIT(VHOST_USER_PROTOCOL_F_LOG_SHMFD) |
			 VIRTIO_BIT(VHOST_USER_PROTOCOL_F_CONFIG) |
			 VIRTIO_BIT(VHOST_USER_PROTOCOL_F_RARP) |
			 VIRTIO_BIT(VHOST_USER_PROTOCOL_F_DEVICE_STATE);
	bool ok = true;
	int q;

	fe_connect();
	ok &= !fe_req(VHOST_USER_SET_PROTOCOL_FEATURES, &proto, 8, NULL, 0);
	ok &= !fe_req(VHOST_USER_SET_OWNER, NULL, 0, NULL, 0);
	ok &= !fe_req(VHOST_USER_SET_FEATURES, &features, 8, NULL, 0);
	ok &= !mem_req(1, region);

	rx_post(0, rx_bufs, rx_size);
	for (q = 0; q < 2; q++) {
		counter(call[q]);
		ok &= !state_req(VHOST_USER_SET_VRING_NUM, q, QSIZE);
		ok &= !state_req(VHOST_USER_SET_VRING_BASE, q, 0);
		ok &= !addr_req(q, QVA_BASE + DESC(q), 0);
		ok &= !fd_req(VHOST_USER_SET_VRING_CALL, q, call[q]);
		ok &= !fd_req(VHOST_USER_SET_VRING_ERR, q, err[q]);
		ok &= !fd_req(VHOST_USER_SET_VRING_KICK, q, kick[q]);
		ok &= !state_req(VHOST_USER_SET_VRING_ENABLE, q, 1);
	}

	return ok;
}

/* What most cases take */
#define FEATURES (VIRTIO_BIT(VIRTIO_F_VERSION_1) |			\
		  VIRTIO_BIT(VIRTIO_NET_F_MRG_RXBUF) |			\
		  VIRTIO_BIT(VIRTIO_RING_F_EVENT_IDX) |			\
		  VIRTIO_BIT(VIRTIO_RING_F_INDIRECT_DESC) |		\
		  VIRTIO_BIT(VHOST_USER_F_PROTOCOL_FEATURES))

/**
 * rx_frame() - The frame the daemon wrote into a receive buffer
 * @id:		Chain, one descriptor, as rx_post() made it
 *
 * Return: start of the frame, past the virtio-net header
 */
static const uint8_t *rx_frame(uint32_t id)
{
	return gmem + RXBUF_OFF + id * 4096 + VIRTIO_NET_HDR_LEN;
}

/**
 * rx_num_buffers() - num_buffers of the header in a receive buffer
 * @id:		Chain, one descriptor
 *
 * Return: value
 */
static inline uint16_t rx_num_buffers(uint32_t id)
{
	uint16_t v;

	memcpy(&v, gmem + RXBUF_OFF + id * 4096 + 10, 2);
	return v;
}

/**
 * tx_arp_frame() - Write the guest's ARP request for the gateway
 * @p:		Where the frame goes
 *
 * Return: its length
 */
static inline size_t tx_arp_frame(uint8_t *p)
{
	static const uint8_t tail[] = {
		0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01,
		0x02, 0, 0, 0, 0, 0x01, 0xc0, 0x00, 0x02, 0x02,
		0, 0, 0, 0, 0, 0, 0xc0, 0x00, 0x02, 0x01,
	};

	memset(p, 0xff, 6);
	memcpy(p + 6, guest_mac, 6);
	put_be16(p + 12, 0x0806);
	memcpy(p + 14, tail, sizeof(tail));
	memset(p + 42, 0, 18);
	return 60;
}

/**
 * rx_arp_reply() - Find the ARP reply to the guest in the receive queue
 *
 * Return: number of ARP replies found among the new used entries
 */
static inline unsigned rx_arp_reply(void)
{
	unsigned n = 0;
	uint32_t id, len;

	while (g_used(RXQ, &id, &len)) {
		const uint8_t *f = rx_frame(id);

		if (get_be16(f + 12) == 0x0806 && get_be16(f + 20) == 2 &&
		    !memcmp(f, guest_mac, 6) && len == VIRTIO_NET_HDR_LEN + 60)
			n++;
	}
	return n;
}

/**
 * setup_daemon() - Configure the context, listen, share guest memory
 *
 * Return: 0 on success
 */
static inline int setup_daemon(void)
{
	union inany_addr a;
	int q;

	if (!mkdtemp(dir))
		return -1;
	snprintf(c.sock_path, sizeof(c.sock_path), "%s/vu.socket", dir);
	c.fd_tap = -1;
	c.mtu = 65520;
	c.epollfd = epoll_create1(EPOLL_CLOEXEC);
	memcpy(c.our_mac, our_mac, ETH_ALEN);
	memset(c.guest_mac, 0xff, ETH_ALEN);

	c.ip4.enabled = true;
	inany_pton("192.0.2.1", &c.ip4.gw);
	inany_pton("192.0.2.2", &a);
	fwd_set_addr(&c, &a, CONF_ADDR_USER, 24);
	c.ip6.enabled = true;
	inany_pton("fe80::1", &c.ip6.our_ll);
	inany_pton("2001:db8::2", &a);
	fwd_set_addr(&c, &a, CONF_ADDR_USER, 64);

	memfd = memfd_create("vu-guest", MFD_CLOEXEC);
	if (memfd < 0 || ftruncate(memfd, GMEM_SIZE))
		return -1;
	gmem = mmap(NULL, GMEM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
		    memfd, 0);
	if (gmem == MAP_FAILED)
		return -1;

	for (q = 0; q < 2; q++) {
		kick[q] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		call[q] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		err[q] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	}

	vu_init(&c);
	return 0;
}

#endif /* VU_HARNESS_H */
