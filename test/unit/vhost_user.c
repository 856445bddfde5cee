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

#include "vu_harness.h"

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

	/* The control queue, VIRTIO_NET_F_CTRL_VQ: never offered */
	bad = FEATURES | VIRTIO_BIT(17);
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
	l2_commit(&c, room, len, NULL, NULL);
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
 * fit_to_buffers() - A frame that would use a few bytes of its room's last
 *		      chain is shortened to leave it out, and that chain is
 *		      lent again first; one that would use more is not
 */
static void fit_to_buffers(void)
{
	const size_t two = 2 * 1024 - VIRTIO_NET_HDR_LEN;
	struct l2_room *room;
	uint32_t id, len;

	UNIT_CHECK(fe_setup(FEATURES, 0, 0));
	rx_post(0, 8, 1024);
	run_events(20);

	/* Three chains: 1012, 1024 and 1024 bytes. An eighth of the third
	 * (128 bytes) is the most it leaves out
	 */
	UNIT_CHECK(l2_lend(&c, &room, 1, two + 128) == 1 &&
		   room->iovcnt == 3);
	UNIT_CHECK(l2_room_fit(&c, room, two + 128, 1) == two);
	UNIT_CHECK(l2_room_fit(&c, room, two + 129, 1) == two + 129);
	UNIT_CHECK(l2_room_fit(&c, room, two, 1) == two);
	UNIT_CHECK(l2_room_fit(&c, room, 1012 + 100, 1) == 1012);
	/* Not below the shortest frame the protocol takes, nor within the
	 * first chain
	 */
	UNIT_CHECK(l2_room_fit(&c, room, two + 1, two + 1) == two + 1);
	UNIT_CHECK(l2_room_fit(&c, room, 500, 1) == 500);

	l2_room_write(room, 0, "x", 1);
	l2_commit(&c, room, l2_room_fit(&c, room, two + 64, 1), NULL, NULL);
	l2_flush(&c);
	UNIT_CHECK(g_used(RXQ, &id, &len) && id == 0 && len == 1024);
	UNIT_CHECK(g_used(RXQ, &id, &len) && id == 1 && len == 1024);
	UNIT_CHECK(!g_used(RXQ, &id, &len));
	UNIT_CHECK(rx_num_buffers(0) == 2);

	/* The chain left out starts the next room */
	room = lend_commit(100, 100);
	UNIT_CHECK(room_first_buf(room) == 2);
	l2_flush(&c);
	UNIT_CHECK(g_used(RXQ, &id, &len) && id == 2);
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
	l2_commit(&c, a, 60, NULL, NULL);
	l2_commit(&c, b, 60, NULL, NULL);
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
	UNIT_RUN(fit_to_buffers);
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
