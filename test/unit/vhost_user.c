// SPDX-License-Identifier: GPL-2.0-or-later
/* test/unit/vhost_user.c - the vhost-user front end driven like the main
 * loop drives it, with this program as QEMU and as the guest's driver: a
 * memfd for guest memory, rings in it, messages over the socket
 *
 * Covered: feature negotiation, the rings coming up (and the ARP request
 * and neighbour solicitation that follow), frames from the transmit ring to
 * ingress and the answer on the receive ring, mergeable receive buffers and
 * num_buffers, chains left unused by short frames and given-back rooms (kept
 * for the next room, rewound, or handed back when the ring stops: none
 * lost), GET_CONFIG, dirty page logging, device state save and load, every
 * malformed message of the hostile front end, queues broken by hostile
 * descriptors, and a front end that leaves: everything it set up is gone,
 * and the next one is served.
 */

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
static void run_events(int timeout_ms)
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
static void fe_send(uint32_t req, uint32_t flags, const void *payload,
		    uint32_t size, size_t len, const int *fds, size_t nfds)
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
static int fe_reply(uint32_t req, void *payload, size_t max)
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
static int64_t fe_req(uint32_t req, const void *payload, uint32_t size,
		      const int *fds, size_t nfds)
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
static uint64_t fe_get_u64(uint32_t req)
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
static bool fe_closed(void)
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
static void fe_connect(void)
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
static int64_t state_req(uint32_t req, uint32_t index, uint32_t num)
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
static int64_t addr_req(uint32_t q, uint64_t desc, uint32_t flags)
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
static int64_t fd_req(uint32_t req, uint64_t q, int fd)
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
static int64_t mem_req(uint32_t n, const uint64_t (*regions)[4])
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
static void g_desc(int q, unsigned i, uint64_t gpa, uint32_t len,
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
static void g_avail(int q, uint16_t head)
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
static bool g_used(int q, uint32_t *id, uint32_t *len)
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
static void rx_post(unsigned first, unsigned n, uint32_t size)
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
static uint64_t counter(int fd)
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
static bool fe_setup(uint64_t features, unsigned rx_bufs, uint32_t rx_size)
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
static uint16_t rx_num_buffers(uint32_t id)
{
	uint16_t v;

	memcpy(&v, gmem + RXBUF_OFF + id * 4096 + 10, 2);
	return v;
}

/**
 * negotiation() - What we offer, and features we don't offer refused
 */
static void negotiation(void)
{
	uint64_t f, bad;

	fe_connect();
	f = fe_get_u64(VHOST_USER_GET_FEATURES);
	UNIT_CHECK((f & FEATURES) == FEATURES);
	UNIT_CHECK(f & VIRTIO_BIT(VHOST_F_LOG_ALL));
	UNIT_CHECK(f & VIRTIO_BIT(VIRTIO_NET_F_MTU));
	f = fe_get_u64(VHOST_USER_GET_PROTOCOL_FEATURES);
	UNIT_CHECK(f == (VIRTIO_BIT(VHOST_USER_PROTOCOL_F_REPLY_ACK) |
			 VIRTIO_BIT(VHOST_USER_PROTOCOL_F_LOG_SHMFD) |
			 VIRTIO_BIT(VHOST_USER_PROTOCOL_F_CONFIG) |
			 VIRTIO_BIT(VHOST_USER_PROTOCOL_F_RARP) |
			 VIRTIO_BIT(VHOST_USER_PROTOCOL_F_DEVICE_STATE)));
	UNIT_CHECK(fe_get_u64(VHOST_USER_GET_QUEUE_NUM) == 1);

	bad = FEATURES | VIRTIO_BIT(0);
	UNIT_CHECK(fe_req(VHOST_USER_SET_FEATURES, &bad, 8, NULL, 0) > 0);
	bad = FEATURES & ~VIRTIO_BIT(VIRTIO_F_VERSION_1);
	UNIT_CHECK(fe_req(VHOST_USER_SET_FEATURES, &bad, 8, NULL, 0) > 0);
	bad = 1ULL << 40;
	UNIT_CHECK(fe_req(VHOST_USER_SET_PROTOCOL_FEATURES, &bad, 8, NULL,
			  0) > 0);
	UNIT_CHECK(!fe_closed());
}

/**
 * probe_on_ready() - Once the receive queue runs, the daemon asks for the
 *		      guest's addresses: an ARP request, a solicitation
 */
static void probe_on_ready(void)
{
	bool arp = false, ns = false;
	uint32_t id, len;

	UNIT_CHECK(fe_setup(FEATURES, 8, 2048));
	UNIT_CHECK(counter(call[RXQ]));
	while (g_used(RXQ, &id, &len)) {
		const uint8_t *f = rx_frame(id);

		if (get_be16(f + 12) == 0x0806 && get_be16(f + 20) == 1 &&
		    get_be32(f + 38) == 0xc0000202)
			arp = true;
		if (get_be16(f + 12) == 0x86dd && f[20] == 58 && f[54] == 135)
			ns = true;
		UNIT_CHECK(rx_num_buffers(id) == 1);
		UNIT_CHECK(len > VIRTIO_NET_HDR_LEN);
	}
	UNIT_CHECK(arp);
	UNIT_CHECK(ns);
	UNIT_CHECK(!l2_refusing(&c));
}

/**
 * tx_arp_frame() - Write the guest's ARP request for the gateway
 * @p:		Where the frame goes
 *
 * Return: its length
 */
static size_t tx_arp_frame(uint8_t *p)
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
static unsigned rx_arp_reply(void)
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
 * tx_to_ingress() - Frames in one buffer, split from their header, and in
 *		     an indirect table, each answered; their chains come back
 */
static void tx_to_ingress(void)
{
	uint32_t id, len;
	uint8_t *b = gmem + TXBUF_OFF;

	UNIT_CHECK(fe_setup(FEATURES, 16, 2048));
	while (g_used(RXQ, &id, &len))
		;

	/* Header and frame in one buffer */
	memset(b, 0, VIRTIO_NET_HDR_LEN);
	len = VIRTIO_NET_HDR_LEN + tx_arp_frame(b + VIRTIO_NET_HDR_LEN);
	g_desc(TXQ, 0, TXBUF_OFF, len, 0, 0);
	g_avail(TXQ, 0);

	/* Header, then the frame split over two more buffers */
	memset(b + 0x1000, 0, VIRTIO_NET_HDR_LEN);
	tx_arp_frame(b + 0x2000);
	memcpy(b + 0x3000, b + 0x2000 + 20, 40);
	g_desc(TXQ, 1, TXBUF_OFF + 0x1000, VIRTIO_NET_HDR_LEN, 1, 2);
	g_desc(TXQ, 2, TXBUF_OFF + 0x2000, 20, 1, 3);
	g_desc(TXQ, 3, TXBUF_OFF + 0x3000, 40, 0, 0);
	g_avail(TXQ, 1);

	/* Through an indirect table */
	g_desc(-1, 0, TXBUF_OFF + 0x1000, VIRTIO_NET_HDR_LEN, 1, 1);
	g_desc(-1, 1, TXBUF_OFF + VIRTIO_NET_HDR_LEN, 60, 0, 0);
	g_desc(TXQ, 4, IND_OFF, 32, 4, 0);
	g_avail(TXQ, 4);

	counter(call[TXQ]);
	UNIT_CHECK(eventfd_write(kick[TXQ], 1) == 0);
	run_events(200);

	UNIT_CHECK(rx_arp_reply() == 3);
	UNIT_CHECK(g_used(TXQ, &id, &len) && id == 0 && len == 0);
	UNIT_CHECK(g_used(TXQ, &id, &len) && id == 1);
	UNIT_CHECK(g_used(TXQ, &id, &len) && id == 4);
	UNIT_CHECK(!g_used(TXQ, &id, &len));
	UNIT_CHECK(counter(call[TXQ]));

	/* With the event index, we asked for a kick at the next buffer */
	UNIT_CHECK(!memcmp(gmem + USED(TXQ) + 4 + 8 * QSIZE, &avail_idx[TXQ],
			   2));
}

/**
 * lend_commit() - Lend one room, commit a frame of some length into it
 * @size:	Room size asked for
 * @len:	Frame length, 0 to give the room back instead
 *
 * Return: the room lent, NULL if none
 */
static struct l2_room *lend_commit(size_t size, size_t len)
{
	struct l2_room *room;
	uint8_t frame[64] = { 0 };

	if (!l2_lend(&c, &room, 1, size))
		return NULL;
	if (!len) {
		l2_give_back(&c, room);
		return room;
	}
	l2_room_write(room, 0, frame, sizeof(frame));
	l2_commit(&c, room, len, NULL);
	return room;
}

/**
 * room_first_buf() - Which receive buffer a room starts in
 * @room:	Room, in the daemon's own mapping of guest memory
 *
 * Return: buffer number, as rx_post() made them, -1 if none
 */
static int room_first_buf(struct l2_room *room)
{
	static uint32_t marker = 0x5a5a0000;
	int i;

	if (!room)
		return -1;
	marker++;
	l2_room_write(room, 0, &marker, sizeof(marker));
	for (i = 0; i < QSIZE; i++) {
		if (!memcmp(rx_frame(i), &marker, sizeof(marker)))
			return i;
	}
	return -1;
}

/**
 * mergeable() - A room over several buffers, num_buffers, and chains a
 *		 short frame leaves unused, lent again first
 */
static void mergeable(void)
{
	struct l2_room *room;
	uint32_t id, len;

	UNIT_CHECK(fe_setup(FEATURES, 0, 0));
	rx_post(0, 8, 1024);
	run_events(20);

	/* 3000 bytes: three buffers, the first one past the header */
	room = lend_commit(3000, 1500);
	UNIT_CHECK(room && room->iovcnt == 3 &&
		   room->size == 3 * 1024 - VIRTIO_NET_HDR_LEN);
	UNIT_CHECK(room_first_buf(room) == 0);
	l2_flush(&c);

	UNIT_CHECK(g_used(RXQ, &id, &len) && id == 0 && len == 1024);
	UNIT_CHECK(g_used(RXQ, &id, &len) && id == 1 &&
		   len == 1500 - (1024 - VIRTIO_NET_HDR_LEN));
	UNIT_CHECK(!g_used(RXQ, &id, &len));
	UNIT_CHECK(rx_num_buffers(0) == 2);

	/* The third buffer was left over: it was the last one taken, so it
	 * went back to the ring, and the next room starts with it
	 */
	room = lend_commit(100, 100);
	UNIT_CHECK(room_first_buf(room) == 2);
	l2_flush(&c);
	UNIT_CHECK(g_used(RXQ, &id, &len) && id == 2 &&
		   len == 100 + VIRTIO_NET_HDR_LEN);
	UNIT_CHECK(rx_num_buffers(2) == 1);
}

/**
 * unused_chains() - Chains left unused in the middle of those taken are
 *		     lent again, rooms given back go back to the ring, and
 *		     a stopping ring hands every chain back
 */
static void unused_chains(void)
{
	struct l2_room *a, *b, *x;
	unsigned used = 0, zero = 0;
	uint32_t s[2], id, len;
	bool seen[QSIZE] = { false };

	UNIT_CHECK(fe_setup(FEATURES, 0, 0));
	rx_post(0, 8, 1024);
	run_events(20);

	/* Room a: buffers 0 to 2, room b: buffer 3. A short frame in a
	 * leaves 1 and 2 unused, with 3 taken after them
	 */
	UNIT_CHECK(l2_lend(&c, &a, 1, 3000) == 1);
	UNIT_CHECK(l2_lend(&c, &b, 1, 100) == 1);
	l2_room_write(a, 0, "x", 1);
	l2_commit(&c, a, 60, NULL);
	l2_commit(&c, b, 60, NULL);
	l2_flush(&c);
	UNIT_CHECK(g_used(RXQ, &id, &len) && id == 0);
	UNIT_CHECK(g_used(RXQ, &id, &len) && id == 3);

	/* Lent again first: buffer 1 */
	UNIT_CHECK(l2_lend(&c, &a, 1, 100) == 1);
	UNIT_CHECK(room_first_buf(a) == 1);
	l2_give_back(&c, a);

	/* Spare ones first, then a new one, taken last: given back, that
	 * one goes back to the ring. The ring stops: 1 and 2 come back
	 * empty, and the base is past the last one used
	 */
	UNIT_CHECK(l2_lend(&c, &a, 1, 100) == 1);
	UNIT_CHECK(l2_lend(&c, &b, 1, 100) == 1);
	UNIT_CHECK(l2_lend(&c, &x, 1, 100) == 1);
	UNIT_CHECK(room_first_buf(x) == 4);
	l2_give_back(&c, x);
	l2_give_back(&c, b);
	l2_give_back(&c, a);

	s[0] = RXQ;
	s[1] = 0;
	fe_send(VHOST_USER_GET_VRING_BASE, 0, s, 8, 8, NULL, 0);
	run_events(200);
	UNIT_CHECK(fe_reply(VHOST_USER_GET_VRING_BASE, s, 8) == 8);

	while (g_used(RXQ, &id, &len)) {
		if (!len)
			zero++;
		seen[id] = true;
		used++;
	}
	UNIT_CHECK(zero == 2 && seen[1] && seen[2]);

	/* Every buffer is used, or after the base: none lost */
	UNIT_CHECK(s[0] == RXQ && s[1] == 4);
	UNIT_CHECK(used == 2);
	for (id = 4; id < 8; id++)
		UNIT_CHECK(!seen[id]);
}

/**
 * not_mergeable() - Without mergeable buffers, one chain holds a room, or
 *		     goes back unused
 */
static void not_mergeable(void)
{
	struct l2_room *room;
	uint32_t id, len;

	UNIT_CHECK(fe_setup(FEATURES & ~VIRTIO_BIT(VIRTIO_NET_F_MRG_RXBUF),
			    0, 0));
	rx_post(0, 2, 1024);
	run_events(20);

	UNIT_CHECK(!l2_lend(&c, &room, 1, 3000));
	UNIT_CHECK(g_used(RXQ, &id, &len) && id == 0 && !len);
	UNIT_CHECK(g_used(RXQ, &id, &len) && id == 1 && !len);
	UNIT_CHECK(l2_refusing(&c));

	/* New buffers, large enough: a kick makes the daemon take frames */
	rx_post(2, 1, 4000);
	UNIT_CHECK(eventfd_write(kick[RXQ], 1) == 0);
	run_events(100);
	UNIT_CHECK(!l2_refusing(&c));

	room = lend_commit(3000, 2000);
	UNIT_CHECK(room && room->iovcnt == 1);
	l2_flush(&c);
	UNIT_CHECK(g_used(RXQ, &id, &len) && id == 2 &&
		   len == 2000 + VIRTIO_NET_HDR_LEN);
	UNIT_CHECK(rx_num_buffers(2) == 1);
}

/**
 * config_space() - GET_CONFIG gives the MTU; a bad request gets nothing
 */
static void config_space(void)
{
	uint8_t p[12 + 256] = { 0 }, r[12 + 256];
	uint32_t v;

	UNIT_CHECK(fe_setup(FEATURES, 0, 0));

	v = 0;
	memcpy(p, &v, 4);
	v = 12;
	memcpy(p + 4, &v, 4);
	fe_send(VHOST_USER_GET_CONFIG, 0, p, 24, 24, NULL, 0);
	run_events(100);
	UNIT_CHECK(fe_reply(VHOST_USER_GET_CONFIG, r, sizeof(r)) == 24);
	UNIT_CHECK(r[12 + 6] == 1);			/* link up */
	UNIT_CHECK(r[12 + 10] == (65520 & 0xff) && r[12 + 11] == 65520 >> 8);

	v = 250;
	memcpy(p, &v, 4);
	fe_send(VHOST_USER_GET_CONFIG, 0, p, 24, 24, NULL, 0);
	run_events(100);
	UNIT_CHECK(fe_reply(VHOST_USER_GET_CONFIG, r, sizeof(r)) == 0);
	UNIT_CHECK(!fe_closed());
}

/**
 * dirty_log() - With logging on, what we write is in the log, and the log
 *		 eventfd hears of it
 */
static void dirty_log(void)
{
	uint64_t f = FEATURES | VIRTIO_BIT(VHOST_F_LOG_ALL), logp[2];
	int logfd = memfd_create("log", MFD_CLOEXEC), logev;
	const uint8_t *log;
	uint32_t id, len;

	UNIT_CHECK(!ftruncate(logfd, 4096));
	log = mmap(NULL, 4096, PROT_READ, MAP_SHARED, logfd, 0);
	logev = eventfd(0, EFD_NONBLOCK);

	UNIT_CHECK(fe_setup(FEATURES, 0, 0));
	logp[0] = LOG_SIZE;
	logp[1] = 0;
	fe_send(VHOST_USER_SET_LOG_BASE, 0, logp, 16, 16, &logfd, 1);
	run_events(100);
	UNIT_CHECK(fe_reply(VHOST_USER_SET_LOG_BASE, logp, 8) == 8);
	UNIT_CHECK(!fe_req(VHOST_USER_SET_LOG_FD, NULL, 0, &logev, 1));
	UNIT_CHECK(!fe_req(VHOST_USER_SET_FEATURES, &f, 8, NULL, 0));
	UNIT_CHECK(!addr_req(RXQ, QVA_BASE + DESC(RXQ), VHOST_VRING_F_LOG));

	rx_post(5, 1, 2048);
	UNIT_CHECK(lend_commit(100, 100));
	l2_flush(&c);
	UNIT_CHECK(g_used(RXQ, &id, &len) && id == 5);

	/* The buffer's page, and the used ring's */
	id = (RXBUF_OFF + 5 * 4096) / 4096;
	UNIT_CHECK(log[id / 8] & (1 << (id % 8)));
	id = USED(RXQ) / 4096;
	UNIT_CHECK(log[id / 8] & (1 << (id % 8)));
	UNIT_CHECK(counter(logev));

	munmap((void *)log, 4096);
	close(logfd);
	close(logev);
}

/**
 * device_state() - Save into a pipe, load from one, a broken stream
 *		    refused, and bad requests answered with an error
 */
static void device_state(void)
{
	static uint8_t stream[65536];
	uint32_t p[2] = { VHOST_USER_STATE_SAVE, VHOST_USER_STATE_STOPPED };
	uint64_t r = 0;
	int pfd[2], two[2];
	ssize_t n, len = 0;

	UNIT_CHECK(fe_setup(FEATURES, 0, 0));

	UNIT_CHECK(!pipe(pfd));
	fe_send(VHOST_USER_SET_DEVICE_STATE_FD, 0, p, 8, 8, &pfd[1], 1);
	close(pfd[1]);
	run_events(100);
	UNIT_CHECK(fe_reply(VHOST_USER_SET_DEVICE_STATE_FD, &r, 8) == 8);
	UNIT_CHECK(r == VHOST_USER_STATE_NOFD);
	while ((n = read(pfd[0], stream + len, sizeof(stream) - len)) > 0)
		len += n;
	close(pfd[0]);
	UNIT_CHECK(len > 16);
	UNIT_CHECK(fe_get_u64(VHOST_USER_CHECK_DEVICE_STATE) == 0);

	/* The same stream, loaded */
	UNIT_CHECK(!pipe(pfd));
	UNIT_CHECK(write(pfd[1], stream, len) == len);
	close(pfd[1]);
	p[0] = VHOST_USER_STATE_LOAD;
	fe_send(VHOST_USER_SET_DEVICE_STATE_FD, 0, p, 8, 8, &pfd[0], 1);
	close(pfd[0]);
	run_events(100);
	UNIT_CHECK(fe_reply(VHOST_USER_SET_DEVICE_STATE_FD, &r, 8) == 8);
	UNIT_CHECK(fe_get_u64(VHOST_USER_CHECK_DEVICE_STATE) == 0);

	/* Cut short: the target says so */
	UNIT_CHECK(!pipe(pfd));
	UNIT_CHECK(write(pfd[1], stream, len / 2) == len / 2);
	close(pfd[1]);
	fe_send(VHOST_USER_SET_DEVICE_STATE_FD, 0, p, 8, 8, &pfd[0], 1);
	close(pfd[0]);
	run_events(100);
	UNIT_CHECK(fe_reply(VHOST_USER_SET_DEVICE_STATE_FD, &r, 8) == 8);
	UNIT_CHECK(fe_get_u64(VHOST_USER_CHECK_DEVICE_STATE) != 0);

	/* A front end that never ends the stream: the daemon gives up */
	UNIT_CHECK(!pipe(pfd));
	UNIT_CHECK(write(pfd[1], stream, len) == len);
	fe_send(VHOST_USER_SET_DEVICE_STATE_FD, 0, p, 8, 8, &pfd[0], 1);
	close(pfd[0]);
	run_events(100);
	UNIT_CHECK(fe_reply(VHOST_USER_SET_DEVICE_STATE_FD, &r, 8) == 8);
	UNIT_CHECK(fe_get_u64(VHOST_USER_CHECK_DEVICE_STATE) == ETIMEDOUT);
	close(pfd[1]);

	/* Bad direction, a phase other than stopped, no descriptor, two */
	UNIT_CHECK(!pipe(two));
	p[0] = 2;
	fe_send(VHOST_USER_SET_DEVICE_STATE_FD, 0, p, 8, 8, two, 1);
	run_events(100);
	UNIT_CHECK(fe_reply(VHOST_USER_SET_DEVICE_STATE_FD, &r, 8) == 8);
	UNIT_CHECK(r & 0xff);
	p[0] = VHOST_USER_STATE_SAVE;
	p[1] = 1;
	fe_send(VHOST_USER_SET_DEVICE_STATE_FD, 0, p, 8, 8, two, 1);
	run_events(100);
	UNIT_CHECK(fe_reply(VHOST_USER_SET_DEVICE_STATE_FD, &r, 8) == 8);
	UNIT_CHECK(r & 0xff);
	p[1] = 0;
	fe_send(VHOST_USER_SET_DEVICE_STATE_FD, 0, p, 8, 8, NULL, 0);
	run_events(100);
	UNIT_CHECK(fe_reply(VHOST_USER_SET_DEVICE_STATE_FD, &r, 8) == 8);
	UNIT_CHECK(r & 0xff);
	fe_send(VHOST_USER_SET_DEVICE_STATE_FD, 0, p, 8, 8, two, 2);
	run_events(100);
	UNIT_CHECK(fe_reply(VHOST_USER_SET_DEVICE_STATE_FD, &r, 8) == 8);
	UNIT_CHECK(r & 0xff);
	close(two[0]);
	close(two[1]);
	UNIT_CHECK(!fe_closed());
}

/**
 * hostile_messages() - Wrong sizes, descriptors, unknown requests, bad
 *			memory tables and ring set-ups: refused, or the
 *			connection closed, and the daemon serves on
 */
static void hostile_messages(void)
{
	const uint64_t overlap[2][4] = {
		{ 0, GMEM_SIZE, QVA_BASE, 0 },
		{ 0x1000, 0x1000, QVA_BASE + GMEM_SIZE, 0 },
	};
	const uint64_t qva_overlap[2][4] = {
		{ 0, 0x1000, QVA_BASE, 0 },
		{ 0x10000, 0x1000, QVA_BASE, 0 },
	};
	const uint64_t wrap[1][4] = { { UINT64_MAX - 10, 4096, QVA_BASE, 0 } };
	const uint64_t empty[1][4] = { { 0, 0, QVA_BASE, 0 } };
	const uint64_t toolong[1][4] = { { 0, GMEM_SIZE * 2, QVA_BASE, 0 } };
	const uint64_t nine[8][4] = { { 0 } };
	uint64_t v = 0, q;
	uint8_t p[300] = { 0 };
	int fds[2];

	UNIT_CHECK(fe_setup(FEATURES, 0, 0));

	/* A wrong payload size, too many and too few descriptors */
	UNIT_CHECK(fe_req(VHOST_USER_SET_FEATURES, &v, 4, NULL, 0) > 0);
	fds[0] = call[0];
	fds[1] = call[1];
	q = 0;
	UNIT_CHECK(fe_req(VHOST_USER_SET_VRING_CALL, &q, 8, fds, 2) > 0);
	UNIT_CHECK(fe_req(VHOST_USER_SET_VRING_KICK, &q, 8, NULL, 0) > 0);
	UNIT_CHECK(fe_req(VHOST_USER_SET_OWNER, NULL, 0, fds, 1) > 0);
	UNIT_CHECK(fe_req(99, NULL, 0, NULL, 0) > 0);

	/* Memory tables: none, more than the limit, overlapping guest or
	 * front end addresses, wrapping, empty, larger than the file
	 */
	UNIT_CHECK(mem_req(0, overlap) > 0);
	UNIT_CHECK(fe_req(VHOST_USER_SET_MEM_TABLE, p, 8 + 8 * 32, NULL,
			  0) > 0);
	memcpy(p, &(uint32_t){ 9 }, 4);
	UNIT_CHECK(fe_req(VHOST_USER_SET_MEM_TABLE, p, 8 + 8 * 32, NULL,
			  0) > 0);
	UNIT_CHECK(mem_req(8, nine) > 0);
	UNIT_CHECK(mem_req(2, overlap) > 0);
	UNIT_CHECK(mem_req(2, qva_overlap) > 0);
	UNIT_CHECK(mem_req(1, wrap) > 0);
	UNIT_CHECK(mem_req(1, empty) > 0);
	UNIT_CHECK(mem_req(1, toolong) > 0);

	/* Rings: outside every region, misaligned, sizes not a power of two
	 * or too large, kick without a descriptor, a queue we don't have
	 */
	UNIT_CHECK(addr_req(RXQ, QVA_BASE + GMEM_SIZE + 0x1000, 0) > 0);
	UNIT_CHECK(addr_req(RXQ, QVA_BASE + 8, 0) > 0);
	UNIT_CHECK(state_req(VHOST_USER_SET_VRING_ENABLE, 0, 2) > 0);
	UNIT_CHECK(state_req(VHOST_USER_SET_VRING_ENABLE, 2, 1) > 0);
	q = VHOST_USER_VRING_NOFD;
	UNIT_CHECK(fe_req(VHOST_USER_SET_VRING_KICK, &q, 8, NULL, 0) > 0);
	q = 5;
	UNIT_CHECK(fe_req(VHOST_USER_SET_VRING_CALL, &q, 8, fds, 1) > 0);
	UNIT_CHECK(!fe_closed());

	/* A running queue can't change its size */
	UNIT_CHECK(state_req(VHOST_USER_SET_VRING_NUM, RXQ, 64) == EBUSY);

	/* Sizes are refused on a stopped queue too */
	state_req(VHOST_USER_GET_VRING_BASE, TXQ, 0);
	UNIT_CHECK(state_req(VHOST_USER_SET_VRING_NUM, TXQ, 100) > 0);
	UNIT_CHECK(state_req(VHOST_USER_SET_VRING_NUM, TXQ, 65536) > 0);
	UNIT_CHECK(state_req(VHOST_USER_SET_VRING_BASE, TXQ, 65536) > 0);

	/* After all that, the old memory map still serves the RX queue */
	rx_post(0, 1, 2048);
	UNIT_CHECK(lend_commit(100, 100));
	l2_flush(&c);
	UNIT_CHECK(g_used(RXQ, &(uint32_t){ 0 }, &(uint32_t){ 0 }));

	/* Messages that close the connection, each followed by a new one */
	fe_send(99, 0, NULL, 0, 0, NULL, 0);
	UNIT_CHECK(fe_closed());
	fe_connect();
	fe_send(VHOST_USER_GET_FEATURES, 0, &v, 8, 8, NULL, 0);
	UNIT_CHECK(fe_closed());
	fe_connect();
	fe_send(VHOST_USER_GET_FEATURES, VHOST_USER_REPLY, NULL, 0, 0, NULL,
		0);
	UNIT_CHECK(fe_closed());
	fe_connect();
	fe_send(VHOST_USER_SET_FEATURES, 0, p, 10000, sizeof(p), NULL, 0);
	UNIT_CHECK(fe_closed());
	fe_connect();
	/* A message cut short: the daemon doesn't wait forever */
	fe_send(VHOST_USER_SET_FEATURES, 0, p, 8, 4, NULL, 0);
	UNIT_CHECK(fe_closed());

	fe_connect();
	UNIT_CHECK(fe_get_u64(VHOST_USER_GET_QUEUE_NUM) == 1);
}

/**
 * hostile_rings() - Descriptors that break the rules break their queue:
 *		     its error eventfd hears of it, and the other queue and
 *		     the daemon carry on
 */
static void hostile_rings(void)
{
	uint32_t id, len;

	/* A receive buffer outside guest memory */
	UNIT_CHECK(fe_setup(FEATURES, 0, 0));
	counter(err[RXQ]);
	g_desc(RXQ, 0, GMEM_SIZE + 0x1000, 2048, 2, 0);
	g_avail(RXQ, 0);
	UNIT_CHECK(!lend_commit(100, 100));
	UNIT_CHECK(counter(err[RXQ]));

	/* The transmit queue still works, and the guest's ARP request is
	 * answered into nothing: the receive queue is broken
	 */
	len = VIRTIO_NET_HDR_LEN +
	      tx_arp_frame(gmem + TXBUF_OFF + VIRTIO_NET_HDR_LEN);
	g_desc(TXQ, 0, TXBUF_OFF, len, 0, 0);
	g_avail(TXQ, 0);
	UNIT_CHECK(eventfd_write(kick[TXQ], 1) == 0);
	run_events(100);
	UNIT_CHECK(g_used(TXQ, &id, &len) && id == 0);

	/* A loop on the transmit queue */
	counter(err[TXQ]);
	g_desc(TXQ, 1, TXBUF_OFF, 100, 1, 2);
	g_desc(TXQ, 2, TXBUF_OFF, 100, 1, 1);
	g_avail(TXQ, 1);
	UNIT_CHECK(eventfd_write(kick[TXQ], 1) == 0);
	run_events(100);
	UNIT_CHECK(counter(err[TXQ]));
	UNIT_CHECK(!g_used(TXQ, &id, &len));

	/* An available index far ahead */
	UNIT_CHECK(fe_setup(FEATURES, 0, 0));
	counter(err[TXQ]);
	avail_idx[TXQ] = QSIZE * 4;
	memcpy(gmem + AVAIL(TXQ) + 2, &avail_idx[TXQ], 2);
	UNIT_CHECK(eventfd_write(kick[TXQ], 1) == 0);
	run_events(100);
	UNIT_CHECK(counter(err[TXQ]));

	/* Set up again, the queues work */
	UNIT_CHECK(fe_setup(FEATURES, 2, 2048));
	UNIT_CHECK(g_used(RXQ, &id, &len));
}

/**
 * fd_count() - Descriptors this process holds
 *
 * Return: number of entries in /proc/self/fd
 */
static unsigned fd_count(void)
{
	unsigned n = 0;
	DIR *d = opendir("/proc/self/fd");

	if (!d)
		return 0;
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

/**
 * maps_of_guest() - Mappings of the guest memfd in this process
 *
 * Return: number of lines naming it in /proc/self/maps
 */
static unsigned maps_of_guest(void)
{
	char line[256];
	unsigned n = 0;
	FILE *f = fopen("/proc/self/maps", "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		n += !!strstr(line, "memfd:vu-guest");
	fclose(f);
	return n;
}

/**
 * front_end_leaves() - A front end that goes leaves nothing behind, and
 *			the next one is served
 */
static void front_end_leaves(void)
{
	unsigned fds_before, maps_before;

	if (fe >= 0)
		close(fe);
	fe = -1;
	run_events(50);
	fds_before = fd_count();
	maps_before = maps_of_guest();

	UNIT_CHECK(fe_setup(FEATURES, 2, 2048));
	UNIT_CHECK(maps_of_guest() > maps_before);
	UNIT_CHECK(fd_count() > fds_before + 1);
	UNIT_CHECK(c.l2);

	close(fe);
	fe = -1;
	run_events(100);
	UNIT_CHECK(!c.l2);
	UNIT_CHECK(!c.quit);
	UNIT_CHECK(maps_of_guest() == maps_before);
	UNIT_CHECK(fd_count() == fds_before);

	UNIT_CHECK(fe_setup(FEATURES, 2, 2048));
	UNIT_CHECK(g_used(RXQ, &(uint32_t){ 0 }, &(uint32_t){ 0 }));
}

/**
 * rarp() - SEND_RARP: the guest's MAC address is taken, and its addresses
 *	    asked for
 */
static void rarp(void)
{
	static const uint8_t mac[8] = { 0x02, 0x11, 0x22, 0x33, 0x44, 0x55 };
	static const uint8_t group[8] = { 0x01, 0x11, 0x22, 0x33, 0x44, 0x55 };
	uint32_t id, len;
	bool arp = false;

	UNIT_CHECK(fe_setup(FEATURES, 8, 2048));
	while (g_used(RXQ, &id, &len))
		;

	UNIT_CHECK(fe_req(VHOST_USER_SEND_RARP, group, 8, NULL, 0) > 0);
	UNIT_CHECK(!fe_req(VHOST_USER_SEND_RARP, mac, 8, NULL, 0));
	UNIT_CHECK(!memcmp(c.guest_mac, mac, 6));
	while (g_used(RXQ, &id, &len))
		arp |= get_be16(rx_frame(id) + 12) == 0x0806;
	UNIT_CHECK(arp);
}

/**
 * one_off() - With --one-off, the main loop ends when the front end goes
 */
static void one_off(void)
{
	UNIT_CHECK(fe_setup(FEATURES, 0, 0));
	c.one_off = true;
	close(fe);
	fe = -1;
	run_events(100);
	UNIT_CHECK(c.quit);
	c.one_off = false;
	c.quit = false;
}

/**
 * fd_given() - With --fd, the front end is there from the start, and the
 *		main loop ends when it goes
 */
static void fd_given(void)
{
	int sv[2];

	if (fe >= 0)
		close(fe);
	fe = -1;
	run_events(50);
	vu_cleanup(&c);

	UNIT_CHECK(!socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
	fe = sv[0];
	c.fd_tap = sv[1];
	vu_init(&c);
	UNIT_CHECK(fe_get_u64(VHOST_USER_GET_QUEUE_NUM) == 1);
	UNIT_CHECK(c.l2 && !c.quit);

	close(fe);
	fe = -1;
	run_events(100);
	UNIT_CHECK(c.quit && !c.l2);

	c.quit = false;
	c.fd_tap = -1;
	vu_cleanup(&c);
}

/**
 * setup_daemon() - Configure the context, listen, share guest memory
 *
 * Return: 0 on success
 */
static int setup_daemon(void)
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

/**
 * main() - Run the cases
 *
 * Return: EXIT_SUCCESS if all passed
 */
int main(void)
{
	if (setup_daemon()) {
		printf("FAIL unit/vhost_user_setup: %s\n", strerror(errno));
		return EXIT_FAILURE;
	}

	UNIT_RUN(negotiation);
	UNIT_RUN(probe_on_ready);
	UNIT_RUN(tx_to_ingress);
	UNIT_RUN(mergeable);
	UNIT_RUN(unused_chains);
	UNIT_RUN(not_mergeable);
	UNIT_RUN(config_space);
	UNIT_RUN(dirty_log);
	UNIT_RUN(device_state);
	UNIT_RUN(hostile_messages);
	UNIT_RUN(hostile_rings);
	UNIT_RUN(front_end_leaves);
	UNIT_RUN(rarp);
	UNIT_RUN(one_off);
	UNIT_RUN(fd_given);

	vu_cleanup(&c);
	rmdir(dir);
	UNIT_EXIT();
}
