// SPDX-License-Identifier: GPL-2.0-or-later
/* test/unit/vu_offload.c - checksum and segmentation offloads over
 * vhost-user, with this program as QEMU and as the guest's driver
 *
 * Covered: the offload features offered, and what the protocols may leave
 * to the guest for each set taken; the virtio-net header of frames to the
 * guest (a partial checksum and a large segment, DATA_VALID, nothing); and
 * the header of frames from the guest checked against the features taken
 * and the frame: bad ones dropped, their chains still returned, partial
 * checksums taken as they are and UDP datagrams split as asked, reaching a
 * socket on the host's loopback through the gateway.
 */

#include <netinet/in.h>

#include "flow.h"
#include "frame.h"
#include "udp.h"
#include "vu_harness.h"

/* Offloads as a Linux guest takes them */
#define OFFLOADS (VIRTIO_BIT(VIRTIO_NET_F_CSUM) |			\
		  VIRTIO_BIT(VIRTIO_NET_F_GUEST_CSUM) |			\
		  VIRTIO_BIT(VIRTIO_NET_F_GUEST_TSO4) |			\
		  VIRTIO_BIT(VIRTIO_NET_F_GUEST_TSO6) |			\
		  VIRTIO_BIT(VIRTIO_NET_F_HOST_TSO4) |			\
		  VIRTIO_BIT(VIRTIO_NET_F_HOST_TSO6) |			\
		  VIRTIO_BIT(VIRTIO_NET_F_HOST_USO))

#define GUEST_PORT	40002

static const struct flow_ops *const vu_flow_ops[FLOW_TYPE_MAX] = {
	[FLOW_TYPE_UDP] = &udp_flow_ops,
};

/**
 * features_offered() - Every offload we offer, none we don't, and what the
 *			protocols may leave to the guest as features are taken
 */
static void features_offered(void)
{
	uint64_t f;

	fe_connect();
	f = fe_get_u64(VHOST_USER_GET_FEATURES);
	UNIT_CHECK((f & OFFLOADS) == OFFLOADS);
	/* UFO (10, 14), ECN (9, 13) and UDP segments to the guest (54) */
	UNIT_CHECK(!(f & (VIRTIO_BIT(9) | VIRTIO_BIT(10) | VIRTIO_BIT(13) |
			  VIRTIO_BIT(14) | VIRTIO_BIT(54))));

	UNIT_CHECK(fe_setup(FEATURES, 4, 2048));
	UNIT_CHECK(l2_offloads(&c) == 0);
	UNIT_CHECK(fe_setup(FEATURES | VIRTIO_BIT(VIRTIO_NET_F_GUEST_CSUM), 4,
			    2048));
	UNIT_CHECK(l2_offloads(&c) == L2_OFF_CSUM);
	UNIT_CHECK(fe_setup(FEATURES | OFFLOADS, 4, 2048));
	UNIT_CHECK(l2_offloads(&c) ==
		   (L2_OFF_CSUM | L2_OFF_TSO4 | L2_OFF_TSO6));
	/* Segments need the guest to finish checksums */
	UNIT_CHECK(fe_setup(FEATURES | VIRTIO_BIT(VIRTIO_NET_F_GUEST_TSO4), 4,
			    2048));
	UNIT_CHECK(l2_offloads(&c) == 0);
}

/**
 * rx_hdr() - The virtio-net header of the next frame on the receive ring
 * @h:		Header, filled in
 *
 * Return: true if there was a frame
 */
static bool rx_hdr(struct virtio_net_hdr_v1 *h)
{
	uint32_t id, len;

	if (!g_used(RXQ, &id, &len) || len < VIRTIO_NET_HDR_LEN)
		return false;
	memcpy(h, gmem + RXBUF_OFF + id * 4096, sizeof(*h));
	return true;
}

/**
 * commit_one() - Lend a room, commit a frame into it, flush
 * @len:	Frame length
 * @off:	What it leaves to the guest, NULL for nothing
 */
static void commit_one(size_t len, const struct l2_offload *off)
{
	static const uint8_t zero[4096];
	struct l2_room *room;

	UNIT_CHECK(l2_lend(&c, &room, 1, len) == 1);
	l2_room_write(room, 0, zero, len);
	l2_commit(&c, room, len, NULL, off);
	l2_flush(&c);
}

/**
 * rx_headers() - A large segment's type, sizes and partial checksum, in
 *		  the header of its first buffer; DATA_VALID for a frame
 *		  checked whole; nothing for a guest that took no offloads
 */
static void rx_headers(void)
{
	const struct l2_offload seg = {
		.gso = L2_GSO_TCPV4, .gso_size = 1000, .hdr_len = 54,
		.needs_csum = true, .csum_start = 34, .csum_offset = 16,
	};
	struct virtio_net_hdr_v1 h;
	uint32_t id, len;

	UNIT_CHECK(fe_setup(FEATURES | OFFLOADS, 8, 2048));
	while (g_used(RXQ, &id, &len))
		;

	commit_one(3054, &seg);
	UNIT_CHECK(rx_hdr(&h));
	UNIT_CHECK(h.flags == VIRTIO_NET_HDR_F_NEEDS_CSUM &&
		   h.gso_type == VIRTIO_NET_HDR_GSO_TCPV4);
	UNIT_CHECK(le16toh(h.gso_size) == 1000 && le16toh(h.hdr_len) == 54);
	UNIT_CHECK(le16toh(h.csum_start) == 34 &&
		   le16toh(h.csum_offset) == 16);
	UNIT_CHECK(le16toh(h.num_buffers) == 2);
	UNIT_CHECK(g_used(RXQ, &id, &len) && !g_used(RXQ, &id, &len));

	commit_one(60, NULL);
	UNIT_CHECK(rx_hdr(&h));
	UNIT_CHECK(h.flags == VIRTIO_NET_HDR_F_DATA_VALID &&
		   h.gso_type == VIRTIO_NET_HDR_GSO_NONE && !h.gso_size);

	UNIT_CHECK(fe_setup(FEATURES, 8, 2048));
	while (g_used(RXQ, &id, &len))
		;
	commit_one(60, NULL);
	UNIT_CHECK(rx_hdr(&h));
	UNIT_CHECK(!h.flags && h.gso_type == VIRTIO_NET_HDR_GSO_NONE);
}

/**
 * tx_post() - Post a frame from the guest, behind a virtio-net header, in
 *	       one buffer of its own
 * @slot:	Descriptor and buffer number, below QSIZE
 * @h:		Header
 * @frame:	Frame
 * @len:	Its length
 */
static void tx_post(unsigned slot, const struct virtio_net_hdr_v1 *h,
		    const uint8_t *frame, size_t len)
{
	uint64_t gpa = TXBUF_OFF + (uint64_t)slot * 0x1000;

	memcpy(gmem + gpa, h, VIRTIO_NET_HDR_LEN);
	memcpy(gmem + gpa + VIRTIO_NET_HDR_LEN, frame, len);
	g_desc(TXQ, slot, gpa, (uint32_t)(VIRTIO_NET_HDR_LEN + len), 0, 0);
	g_avail(TXQ, (uint16_t)slot);
}

/**
 * tx_kick() - Kick the transmit queue and count the chains returned
 *
 * Return: used entries, all with length 0
 */
static unsigned tx_kick(void)
{
	uint32_t id, len;
	unsigned n = 0;

	UNIT_CHECK(eventfd_write(kick[TXQ], 1) == 0);
	run_events(200);
	while (g_used(TXQ, &id, &len)) {
		UNIT_CHECK(!len);
		n++;
	}
	return n;
}

/**
 * tx_headers_checked() - Headers that don't fit the features taken or the
 *			  frame drop the frame, never the chain: of nine
 *			  ARP requests, only the plain one is answered
 */
static void tx_headers_checked(void)
{
	const uint64_t f = FEATURES | VIRTIO_BIT(VIRTIO_NET_F_CSUM) |
			   VIRTIO_BIT(VIRTIO_NET_F_HOST_TSO4);
	const struct virtio_net_hdr_v1 bad[] = {
		/* Only NEEDS_CSUM is for the device */
		{ .flags = VIRTIO_NET_HDR_F_DATA_VALID },
		/* ARP has no transport checksum */
		{ .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM, .csum_start = 14,
		  .csum_offset = 6 },
		/* Outside the frame */
		{ .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM, .csum_start = 58,
		  .csum_offset = 2 },
		/* Segments of ARP, not of TCP */
		{ .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
		  .gso_type = VIRTIO_NET_HDR_GSO_TCPV4, .gso_size = 100 },
		/* IPv6 segments, not taken */
		{ .gso_type = VIRTIO_NET_HDR_GSO_TCPV6, .gso_size = 100 },
		/* ECN without segments, and UFO, never offered */
		{ .gso_type = VIRTIO_NET_HDR_GSO_ECN },
		{ .gso_type = 3, .gso_size = 100 },
		/* Headers longer than the frame */
		{ .gso_type = VIRTIO_NET_HDR_GSO_TCPV4, .gso_size = 100,
		  .hdr_len = 1000 },
	};
	const struct virtio_net_hdr_v1 plain = { 0 };
	uint8_t arp[60];
	uint32_t id, len;
	unsigned i;

	UNIT_CHECK(fe_setup(f, 16, 2048));
	while (g_used(RXQ, &id, &len))
		;

	tx_arp_frame(arp);
	for (i = 0; i < ARRAY_SIZE(bad); i++)
		tx_post(i, &bad[i], arp, sizeof(arp));
	tx_post(i, &plain, arp, sizeof(arp));

	UNIT_CHECK(tx_kick() == ARRAY_SIZE(bad) + 1);
	UNIT_CHECK(rx_arp_reply() == 1);
}

/**
 * host_sock() - A UDP socket on the host's loopback, for the guest to reach
 * @port:	Its port, set
 *
 * Return: the socket
 */
static int host_sock(uint16_t *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t sl = sizeof(a);
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	UNIT_CHECK(s >= 0 && !bind(s, (struct sockaddr *)&a, sizeof(a)) &&
		   !getsockname(s, (struct sockaddr *)&a, &sl));
	*port = ntohs(a.sin_port);
	return s;
}

/**
 * host_datagrams() - Datagrams waiting on a socket, and their sizes
 * @s:		Socket
 * @sizes:	Sizes, filled in
 * @max:	Room in @sizes
 *
 * Return: how many there were
 */
static size_t host_datagrams(int s, size_t *sizes, size_t max)
{
	static uint8_t b[2048];
	size_t n = 0;
	ssize_t r;

	while ((r = recv(s, b, sizeof(b), MSG_DONTWAIT)) >= 0) {
		if (n < max)
			sizes[n] = (size_t)r;
		n++;
	}
	return n;
}

/**
 * tx_udp_offloads() - A partial checksum, wrong as it stands, goes through
 *		       once the guest took VIRTIO_NET_F_CSUM, and 350 bytes
 *		       of datagrams of 100 arrive as four
 */
static void tx_udp_offloads(void)
{
	const struct virtio_net_hdr_v1 partial = {
		.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
		.csum_start = 34, .csum_offset = 6,
	};
	struct virtio_net_hdr_v1 uso = partial;
	union inany_addr guest = test_addr("192.0.2.2");
	static uint8_t frame[2048];
	size_t flen, sizes[8];
	uint16_t port;
	int s;

	flow_init(vu_flow_ops);
	c.ip4.map_host_loopback = c.ip4.gw;
	s = host_sock(&port);

	flen = frame_udp(&c, frame, NULL, true, &guest, GUEST_PORT, &c.ip4.gw,
			 port, 350);
	memcpy(frame, our_mac, ETH_ALEN);
	memcpy(frame + ETH_ALEN, guest_mac, ETH_ALEN);
	frame[34 + 6] ^= 0x5a;
	uso.gso_type = VIRTIO_NET_HDR_GSO_UDP_L4;
	uso.gso_size = 100;

	/* Without the feature, a partial checksum isn't ours to take */
	UNIT_CHECK(fe_setup(FEATURES, 8, 2048));
	tx_post(0, &partial, frame, flen);
	UNIT_CHECK(tx_kick() == 1);
	UNIT_CHECK(host_datagrams(s, sizes, 8) == 0);

	UNIT_CHECK(fe_setup(FEATURES | OFFLOADS, 8, 2048));
	tx_post(0, &partial, frame, flen);
	tx_post(1, &uso, frame, flen);
	UNIT_CHECK(tx_kick() == 2);
	UNIT_CHECK(host_datagrams(s, sizes, 8) == 5);
	UNIT_CHECK(sizes[0] == 350 && sizes[1] == 100 && sizes[2] == 100 &&
		   sizes[3] == 100 && sizes[4] == 50);

	close(s);
	c.ip4.map_host_loopback = (union inany_addr){ 0 };
}

/**
 * main() - Run the cases
 *
 * Return: EXIT_SUCCESS if all passed
 */
int main(void)
{
	if (setup_daemon()) {
		printf("FAIL unit/vu_offload_setup: %s\n", strerror(errno));
		return EXIT_FAILURE;
	}

	UNIT_RUN(features_offered);
	UNIT_RUN(rx_headers);
	UNIT_RUN(tx_headers_checked);
	UNIT_RUN(tx_udp_offloads);

	vu_cleanup(&c);
	rmdir(dir);
	UNIT_EXIT();
}
