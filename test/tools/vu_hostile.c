// SPDX-License-Identifier: GPL-2.0-or-later
/* test/tools/vu_hostile.c - bad vhost-user front ends, one case per run:
 * messages with wrong sizes, descriptors or requests, memory tables and
 * rings the back-end must refuse, and descriptor chains it must not follow;
 * the harness that runs them, and the bad virtio-net headers of
 * vu_hostile_hdr.c
 *
 * Each case connects and negotiates as a proper front end would, then does
 * one bad thing, and watches the reaction:
 * - a message the back-end must refuse goes with NEED_REPLY: an error
 *   reply or a closed connection passes, an acknowledgement of 0 or no
 *   reply at all fails;
 * - a queue size or ring address may also be accepted, if the ring is then
 *   left alone ("refused or broken"): the ring is started and kicked;
 * - bad descriptor chains go on started rings, with a kick (for receive
 *   buffers, an ARP request makes the back-end write to them);
 * - a frame with a bad virtio-net header must go unanswered, and the same
 *   frame with a proper header must then be answered.
 * Then, on the same connection, GET_FEATURES must be answered (or the
 * connection closed) within two seconds, so a back-end looping on a chain
 * fails; guest memory past the region we announced, which we fill with a
 * pattern, must be untouched; and a new front end must connect, set up its
 * rings and get an answer to an ARP request through them.
 */

#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/virtio_net.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "vu_front.h"
#include "vu_hostile.h"

#define H_REGION	(256UL << 10)	/* announced to the back-end */
#define H_CANARY	(64UL << 10)	/* mapped by us only, after it */
#define H_CANARY_BYTE	0xa5
#define H_RO_BYTE	0x5a		/* read-only receive buffers */
#define H_SETTLE_MS	300		/* for the back-end to act on a kick */

/* Guest addresses: two rings, then receive and transmit buffers, then
 * room for indirect tables, all inside the region
 */
#define H_RX_RING	0UL
#define H_TX_RING	4096UL
#define H_RX_BUF	8192UL
#define H_TX_BUF	(H_RX_BUF + H_QSIZE * H_BUF)
#define H_TABLE		(H_TX_BUF + H_QSIZE * H_BUF)
#define H_TABLE2	(H_TABLE + 4096)
#define H_OUTSIDE	(1ULL << 40)	/* in no region */

/* Features and protocol features a hostile front end takes: offloads too,
 * so that the proper virtio-net headers of vu_hostile_hdr.c may use them
 */
#define H_WANT	(VU_BIT(VU_F_VERSION_1) | VU_BIT(VU_F_NET_MRG_RXBUF) |	\
		 VU_BIT(VU_F_EVENT_IDX) | VU_BIT(VU_F_INDIRECT_DESC) |	\
		 VU_BIT(VU_F_PROTOCOL_FEATURES) | VU_OFFLOADS)
#define H_WANT_PROTO	(VU_BIT(VU_PF_REPLY_ACK) | VU_BIT(VU_PF_MQ) |	\
			 VU_BIT(VU_PF_CONFIG) | VU_BIT(VU_PF_RARP) |	\
			 VU_BIT(VU_PF_DEVICE_STATE))

/**
 * h_msg() - Send a message asking for a reply, take the reaction
 * @h:		Hostile front end
 * @request:	Request number
 * @flags:	Header flags (NEED_REPLY is added)
 * @payload:	Payload
 * @size:	Bytes of payload sent
 * @claimed:	Payload size the header claims
 * @fds:	Descriptors to pass
 * @nfds:	Their number
 *
 * Return: 1 for an error reply, VU_REPLIED for an acknowledgement of 0 or
 *	   another reply, or a negative enum vu_wait
 */
static int h_msg(struct hostile *h, uint32_t request, uint32_t flags,
		 const void *payload, uint32_t size, uint32_t claimed,
		 const int *fds, int nfds)
{
	struct vu_hdr hdr = { request, flags | VU_FLAG_NEED_REPLY, claimed };
	struct iovec iov[2] = {
		{ &hdr, sizeof(hdr) }, { (void *)payload, size },
	};
	struct vu_msg reply;
	int rc;

	if (vu_sendv(&h->conn, iov, size ? 2 : 1, fds, nfds))
		return VU_CLOSED;

	rc = vu_wait_reply(&h->conn, request, &reply, H_WAIT_MS, NULL);
	if (rc != VU_REPLIED)
		return rc;
	if (reply.h.size == sizeof(uint64_t) && reply.p.u64)
		return 1;
	return VU_REPLIED;
}

/**
 * h_eventfds() - Make eventfds to pass
 * @fds:	Array to fill
 * @n:		How many
 */
static void h_eventfds(int *fds, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		fds[i] = eventfd(0, EFD_CLOEXEC);
		if (fds[i] < 0)
			vu_die_errno("eventfd");
	}
}

/**
 * h_close_fds() - Close descriptors we passed: the back-end has its own
 * @fds:	Descriptors
 * @n:		How many
 */
static void h_close_fds(const int *fds, int n)
{
	int i;

	for (i = 0; i < n; i++)
		close(fds[i]);
}

/**
 * h_region() - A memory region of ours, as announced normally
 * @h:		Hostile front end
 *
 * Return: the region
 */
static struct vu_region h_region(const struct hostile *h)
{
	struct vu_region r = {
		.gpa = 0, .size = H_REGION,
		.uaddr = (uint64_t)(uintptr_t)h->mem.base, .mmap_offset = 0,
	};

	return r;
}

/**
 * h_mem_table() - Send a memory table, with one memfd descriptor for each
 *		   region unless told otherwise
 * @h:		Hostile front end
 * @r:		Regions
 * @n:		Number of regions in the table and the payload
 * @claimed:	Number the table claims
 * @nfds:	Descriptors to pass (duplicates of the memfd)
 *
 * Return: as h_msg()
 */
static int h_mem_table(struct hostile *h, const struct vu_region *r,
		       unsigned int n, uint32_t claimed, int nfds)
{
	static uint8_t buf[8 + 16 * sizeof(struct vu_region)];
	int fds[16] = { 0 }, i, rc;

	if (n > 16 || nfds > 16)
		vu_die("too many regions");
	memset(buf, 0, sizeof(buf));
	memcpy(buf, &claimed, sizeof(claimed));
	memcpy(buf + 8, r, n * sizeof(*r));
	for (i = 0; i < nfds; i++) {
		fds[i] = dup(h->mem.fd);
		if (fds[i] < 0)
			vu_die_errno("dup");
	}
	rc = h_msg(h, VU_SET_MEM_TABLE, VU_VERSION, buf,
		   (uint32_t)(8 + n * sizeof(*r)),
		   (uint32_t)(8 + n * sizeof(*r)), fds, nfds);
	h_close_fds(fds, nfds);
	return rc;
}

/**
 * h_open() - Connect, negotiate, create guest memory with the canary after
 *	      the region, lay the rings out (not started)
 * @h:		Hostile front end
 * @path:	Socket path
 */
static void h_open(struct hostile *h, const char *path)
{
	bool event_idx;

	vu_open(&h->conn, path, H_WANT, H_WANT_PROTO);
	if (!(h->conn.proto & VU_BIT(VU_PF_REPLY_ACK)))
		vu_die("the back-end offers no REPLY_ACK: no way to see "
		       "a refusal");
	event_idx = h->conn.features & VU_BIT(VU_F_EVENT_IDX);
	vu_mem_create(&h->mem, H_REGION + H_CANARY);
	memset(h->mem.base + H_REGION, H_CANARY_BYTE, H_CANARY);
	vu_ring_init(&h->rx, &h->mem, VU_RX, H_QSIZE, H_RX_RING, event_idx);
	vu_ring_init(&h->tx, &h->mem, VU_TX, H_QSIZE, H_TX_RING, event_idx);
}

/**
 * h_free() - Close the connection, free memory and rings
 * @h:		Hostile front end
 */
static void h_free(struct hostile *h)
{
	vu_close(&h->conn);
	vu_ring_free(&h->rx);
	vu_ring_free(&h->tx);
	vu_mem_destroy(&h->mem);
}

/**
 * h_desc() - Fill a descriptor of a ring, or of a table in guest memory
 * @d:		Descriptor
 * @addr:	Guest address
 * @len:	Length
 * @flags:	VRING_DESC_F_*
 * @next:	Next descriptor
 */
static void h_desc(struct vring_desc *d, uint64_t addr, uint32_t len,
		   uint16_t flags, uint16_t next)
{
	d->addr = htole64(addr);
	d->len = htole32(len);
	d->flags = htole16(flags);
	d->next = htole16(next);
}

/**
 * h_table() - A descriptor table in guest memory, for indirect chains
 * @h:		Hostile front end
 * @gpa:	Its guest address
 *
 * Return: pointer to it
 */
static struct vring_desc *h_table(const struct hostile *h, uint64_t gpa)
{
	return vu_gpa_ptr(&h->mem, gpa);
}

/**
 * h_rx_buffers() - Post every receive buffer, with the address, length
 *		    and flags given for the first
 * @h:		Hostile front end
 * @addr:	Guest address of the first buffer (the others follow it)
 * @len:	Length of each
 * @flags:	Their flags
 */
static void h_rx_buffers(struct hostile *h, uint64_t addr, uint32_t len,
			 uint16_t flags)
{
	unsigned int i;

	for (i = 0; i < H_QSIZE; i++) {
		h_desc(&h->rx.desc[i], addr + (uint64_t)i * H_BUF, len, flags,
		       0);
		vu_ring_post(&h->rx, (uint16_t)i);
	}
}

/**
 * h_rings() - Announce memory, start and enable both rings, as a proper
 *	       front end does
 * @h:		Hostile front end
 * @rx_posted:	Receive buffers were posted already, don't post ours
 *
 * Return: 0 on success, non-zero as vu_call()
 */
int h_rings(struct hostile *h, bool rx_posted)
{
	int rc;

	if (!rx_posted)
		h_rx_buffers(h, H_RX_BUF, H_BUF, VRING_DESC_F_WRITE);
	if ((rc = vu_mem_announce(&h->conn, &h->mem, H_REGION)) ||
	    (rc = vu_ring_start(&h->conn, &h->rx)) ||
	    (rc = vu_ring_start(&h->conn, &h->tx)) ||
	    (rc = vu_ring_enable(&h->conn, &h->rx, true)) ||
	    (rc = vu_ring_enable(&h->conn, &h->tx, true)))
		return rc;

	vu_ring_want_calls(&h->rx);
	vu_ring_want_calls(&h->tx);
	vu_ring_publish(&h->rx);
	vu_ring_kick(&h->rx);
	return 0;
}

/**
 * h_settle() - Give the back-end time to act on what we did
 */
static void h_settle(void)
{
	const struct timespec t = { .tv_nsec = H_SETTLE_MS * 1000000L };

	nanosleep(&t, NULL);
}

/* An ARP request from the guest, 02:00:00:00:00:99 at 192.0.2.2, for
 * 192.0.2.1, the gateway's address in the test namespaces
 */
static const uint8_t h_arp_request[42] = {
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0x00, 0x00, 0x00, 0x00, 0x99,
	0x08, 0x06, 0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01,
	0x02, 0x00, 0x00, 0x00, 0x00, 0x99, 192, 0, 2, 2,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 192, 0, 2, 1,
};

/**
 * h_send_frame() - Send a frame on the transmit ring, header and frame in
 *		    one descriptor: the next one, round the table
 * @h:		Hostile front end, rings started
 * @vh:		virtio-net header, NULL for all zeroes
 * @frame:	Frame
 * @len:	Its length, at most H_BUF less the header
 */
void h_send_frame(struct hostile *h, const struct virtio_net_hdr *vh,
		  const void *frame, size_t len)
{
	uint16_t d = (uint16_t)(h->tx.avail_idx % H_QSIZE);
	uint64_t gpa = H_TX_BUF + (uint64_t)d * H_BUF;
	uint8_t *p = vu_gpa_ptr(&h->mem, gpa);

	if (len > H_BUF - VU_NET_HDR_LEN)
		vu_die("frame too long for a transmit buffer");
	memset(p, 0, VU_NET_HDR_LEN);
	if (vh)
		memcpy(p, vh, sizeof(*vh));
	memcpy(p + VU_NET_HDR_LEN, frame, len);
	h_desc(&h->tx.desc[d], gpa, (uint32_t)(VU_NET_HDR_LEN + len), 0, 0);
	vu_ring_post(&h->tx, d);
	vu_ring_publish(&h->tx);
	vu_ring_kick(&h->tx);
}

/**
 * h_send_arp() - Send the ARP request on the transmit ring
 * @h:		Hostile front end
 */
void h_send_arp(struct hostile *h)
{
	h_send_frame(h, NULL, h_arp_request, sizeof(h_arp_request));
}

/**
 * h_is_arp_reply() - Tell whether a received frame answers our request, a
 *		      h_match_fn
 * @f:		Frame, after the virtio-net header
 * @len:	Its length
 * @mac:	The answer's MAC address, 6 bytes, is copied here; may be NULL
 *
 * Return: true for an ARP reply from 192.0.2.1 to our MAC address
 */
bool h_is_arp_reply(const uint8_t *f, size_t len, void *mac)
{
	static const uint8_t spa[4] = { 192, 0, 2, 1 };

	if (len < 42 || f[12] != 0x08 || f[13] != 0x06 || f[21] != 2 ||
	    memcmp(f + 28, spa, 4) || memcmp(f + 32, h_arp_request + 6, 6))
		return false;
	if (mac)
		memcpy(mac, f + 22, 6);
	return true;
}

/**
 * h_wait_frame() - Wait for a frame on the receive ring, giving back
 *		    buffers with other frames
 * @h:		Hostile front end, rings started
 * @match:	Tells the frame waited for
 * @arg:	Passed to @match
 * @ms:		How long to wait
 *
 * Return: true if the frame came in time
 */
bool h_wait_frame(struct hostile *h, h_match_fn match, void *arg, int ms)
{
	struct timespec start, now;

	clock_gettime(CLOCK_MONOTONIC, &start);
	do {
		struct pollfd pfd = { .fd = h->rx.call, .events = POLLIN };

		while (vu_ring_used_pending(&h->rx)) {
			const uint8_t *f;
			uint32_t id, len;

			vu_ring_used_peek(&h->rx, 0, &id, &len);
			h->rx.used_seen++;
			if (id >= H_QSIZE || len > H_BUF ||
			    len < VU_NET_HDR_LEN)
				return false;
			f = vu_gpa_ptr(&h->mem, H_RX_BUF +
					       (uint64_t)id * H_BUF);
			vu_ring_post(&h->rx, (uint16_t)id);
			if (match(f + VU_NET_HDR_LEN, len - VU_NET_HDR_LEN,
				  arg)) {
				vu_ring_publish(&h->rx);
				return true;
			}
		}
		vu_ring_publish(&h->rx);
		if (vu_ring_want_calls(&h->rx))
			continue;
		if (poll(&pfd, 1, 100) > 0)
			vu_ring_ack_call(&h->rx);
		clock_gettime(CLOCK_MONOTONIC, &now);
	} while ((now.tv_sec - start.tv_sec) * 1000 +
		 (now.tv_nsec - start.tv_nsec) / 1000000 < ms);

	return false;
}

/**
 * h_kick_chain() - Put a chain on a ring and kick; for the receive ring,
 *		    make the back-end write to it with an ARP request
 * @h:		Hostile front end, rings started without receive buffers
 *		if @r is the receive ring
 * @r:		Ring
 * @head:	First descriptor of the chain, set up by the caller
 */
static void h_kick_chain(struct hostile *h, struct vu_ring *r, uint16_t head)
{
	vu_ring_post(r, head);
	vu_ring_publish(r);
	vu_ring_kick(r);
	if (r == &h->rx)
		h_send_arp(h);
	h_settle();
}

/**
 * h_ring_of() - The ring a case works on
 * @h:		Hostile front end
 * @c:		Case, @arg is VU_RX or VU_TX
 *
 * Return: the ring
 */
static struct vu_ring *h_ring_of(struct hostile *h, const struct hcase *c)
{
	return c->arg == VU_RX ? &h->rx : &h->tx;
}

/**
 * h_start_for() - Start both rings for a chain case: no receive buffers
 *		   of ours if the case puts its own on the receive ring
 * @h:		Hostile front end
 * @c:		Case
 *
 * Return: as h_rings()
 */
static int h_start_for(struct hostile *h, const struct hcase *c)
{
	return h_rings(h, c->arg == VU_RX);
}

/**
 * h_desc_flags() - Flags for a case's buffer: writable on the receive ring
 * @c:		Case
 *
 * Return: VRING_DESC_F_WRITE or 0
 */
static uint16_t h_desc_flags(const struct hcase *c)
{
	return c->arg == VU_RX ? VRING_DESC_F_WRITE : 0;
}

/* Message cases */

/**
 * c_short_payload() - SET_FEATURES with four bytes instead of eight
 * @h:		Hostile front end
 * @c:		Case
 *
 * Return: the reaction
 */
static int c_short_payload(struct hostile *h, const struct hcase *c)
{
	uint32_t v = (uint32_t)h->conn.features;

	(void)c;
	return h_msg(h, VU_SET_FEATURES, VU_VERSION, &v, 4, 4, NULL, 0);
}

/**
 * c_long_payload() - SET_VRING_NUM with 16 bytes instead of eight
 * @h:		Hostile front end
 * @c:		Case
 *
 * Return: the reaction
 */
static int c_long_payload(struct hostile *h, const struct hcase *c)
{
	uint32_t p[4] = { VU_TX, H_QSIZE, 0, 0 };

	(void)c;
	return h_msg(h, VU_SET_VRING_NUM, VU_VERSION, p, 16, 16, NULL, 0);
}

/**
 * c_huge_size() - A header claiming a payload of 1 MiB, eight bytes sent
 * @h:		Hostile front end
 * @c:		Case
 *
 * Return: the reaction
 */
static int c_huge_size(struct hostile *h, const struct hcase *c)
{
	uint64_t v = h->conn.features;

	(void)c;
	return h_msg(h, VU_SET_FEATURES, VU_VERSION, &v, 8, 1U << 20, NULL, 0);
}

/**
 * c_truncated() - A header claiming 40 bytes of SET_VRING_ADDR, 12 sent,
 *		   then the connection closed
 * @h:		Hostile front end
 * @c:		Case
 *
 * Return: the reaction
 */
static int c_truncated(struct hostile *h, const struct hcase *c)
{
	struct vu_hdr hdr = { VU_SET_VRING_ADDR, VU_VERSION, 40 };
	uint8_t p[12] = { 0 };
	struct iovec iov[2] = { { &hdr, sizeof(hdr) }, { p, sizeof(p) } };

	(void)c;
	vu_sendv(&h->conn, iov, 2, NULL, 0);
	h_settle();
	return VU_TIMEOUT;
}

/**
 * c_plain() - A message with a fixed payload: @c->arg is the request, the
 *	       payload a u64 of 0, or none for requests that take none
 * @h:		Hostile front end
 * @c:		Case
 *
 * Return: the reaction
 */
static int c_plain(struct hostile *h, const struct hcase *c)
{
	uint8_t zero[64] = { 0 };
	uint32_t size = c->arg == VU_IOTLB_MSG ? 24 : 0;

	return h_msg(h, (uint32_t)c->arg, VU_VERSION, zero, size, size,
		     NULL, 0);
}

/**
 * c_bad_version() - SET_OWNER with version 2 in the flags
 * @h:		Hostile front end
 * @c:		Case
 *
 * Return: the reaction
 */
static int c_bad_version(struct hostile *h, const struct hcase *c)
{
	(void)c;
	return h_msg(h, VU_SET_OWNER, 0x2, NULL, 0, 0, NULL, 0);
}

/**
 * c_fds() - A ring message with the wrong number of descriptors: @c->arg
 *	     is the request in the low 8 bits, the number of descriptors
 *	     above
 * @h:		Hostile front end
 * @c:		Case
 *
 * Return: the reaction
 */
static int c_fds(struct hostile *h, const struct hcase *c)
{
	uint32_t request = (uint32_t)(c->arg & 0xff);
	int n = (int)(c->arg >> 8), fds[64], rc;
	struct vu_vring_state st = { VU_TX, H_QSIZE };
	uint64_t index = VU_TX;

	h_eventfds(fds, n);
	if (request == VU_SET_VRING_NUM)
		rc = h_msg(h, request, VU_VERSION, &st, sizeof(st),
			   sizeof(st), fds, n);
	else
		rc = h_msg(h, request, VU_VERSION, &index, sizeof(index),
			   sizeof(index), fds, n);
	h_close_fds(fds, n);
	return rc;
}

/**
 * c_mem() - A bad memory table: @c->arg picks which
 * @h:		Hostile front end
 * @c:		Case
 *
 * Return: the reaction
 */
static int c_mem(struct hostile *h, const struct hcase *c)
{
	struct vu_region r[16], one = h_region(h);
	unsigned int i;

	for (i = 0; i < 16; i++)
		r[i] = one;

	switch (c->arg) {
	case 0:		/* two regions, one descriptor */
		r[1].gpa = H_REGION;
		r[1].uaddr += H_REGION;
		return h_mem_table(h, r, 2, 2, 1);
	case 1:		/* one region, two descriptors */
		return h_mem_table(h, r, 1, 1, 2);
	case 2:		/* eight regions claimed, one in the payload */
		return h_mem_table(h, r, 1, 8, 1);
	case 3:		/* nine regions, above the limit of eight */
		for (i = 0; i < 9; i++) {
			r[i].gpa = i * H_REGION;
			r[i].uaddr = one.uaddr + i * H_REGION;
			r[i].size = H_BUF;
		}
		return h_mem_table(h, r, 9, 9, 9);
	case 4:		/* guest ranges overlapping */
		r[1].gpa = H_REGION / 2;
		r[1].uaddr += H_REGION;
		return h_mem_table(h, r, 2, 2, 2);
	case 5:		/* user ranges overlapping */
		r[1].gpa = H_REGION;
		r[1].uaddr += H_REGION / 2;
		return h_mem_table(h, r, 2, 2, 2);
	case 6:		/* guest range wrapping */
		r[0].gpa = ~0ULL - H_BUF + 1;
		return h_mem_table(h, r, 1, 1, 1);
	case 7:		/* user range wrapping */
		r[0].uaddr = ~0ULL - H_BUF + 1;
		return h_mem_table(h, r, 1, 1, 1);
	case 8:		/* mapping offset wrapping */
		r[0].mmap_offset = ~0ULL - H_BUF + 1;
		return h_mem_table(h, r, 1, 1, 1);
	case 9:		/* zero-sized */
		r[0].size = 0;
		return h_mem_table(h, r, 1, 1, 1);
	case 10:	/* larger than the memfd: touching it would fault */
		r[0].size = H_REGION + H_CANARY + (1UL << 20);
		return h_mem_table(h, r, 1, 1, 1);
	default:	/* no regions at all */
		return h_mem_table(h, r, 0, 0, 0);
	}
}

/**
 * c_mem_not_mappable() - A memory table whose descriptor is a pipe
 * @h:		Hostile front end
 * @c:		Case
 *
 * Return: the reaction
 */
static int c_mem_not_mappable(struct hostile *h, const struct hcase *c)
{
	struct vu_region r = h_region(h);
	uint8_t buf[8 + sizeof(r)] = { 1 };
	int p[2], rc;

	(void)c;
	if (pipe2(p, O_CLOEXEC))
		vu_die_errno("pipe2");
	memcpy(buf + 8, &r, sizeof(r));
	rc = h_msg(h, VU_SET_MEM_TABLE, VU_VERSION, buf, sizeof(buf),
		   sizeof(buf), &p[0], 1);
	close(p[0]);
	close(p[1]);
	return rc;
}

/**
 * c_vring_index() - A ring message for queue @c->arg, which doesn't exist
 * @h:		Hostile front end
 * @c:		Case
 *
 * Return: the reaction
 */
static int c_vring_index(struct hostile *h, const struct hcase *c)
{
	struct vu_vring_state st = { (uint32_t)c->arg, H_QSIZE };

	return h_msg(h, VU_SET_VRING_NUM, VU_VERSION, &st, sizeof(st),
		     sizeof(st), NULL, 0);
}

/**
 * c_kick_index() - SET_VRING_KICK for queue 7, with a descriptor
 * @h:		Hostile front end
 * @c:		Case
 *
 * Return: the reaction
 */
static int c_kick_index(struct hostile *h, const struct hcase *c)
{
	uint64_t index = 7;
	int fd, rc;

	(void)c;
	h_eventfds(&fd, 1);
	rc = h_msg(h, VU_SET_VRING_KICK, VU_VERSION, &index, sizeof(index),
		   sizeof(index), &fd, 1);
	close(fd);
	return rc;
}

/**
 * h_ring_rest() - After an accepted bad ring parameter: the rest of a
 *		   transmit ring's setup, a frame on it and a kick
 * @h:		Hostile front end, memory announced, queue size sent
 * @addr:	Send the ring's addresses too (they were not the bad part)
 *
 * Return: VU_REPLIED, or the refusal of a later step (1 or negative)
 */
static int h_ring_rest(struct hostile *h, bool addr)
{
	struct vu_vring_state st = { VU_TX, 0 };
	struct vu_vring_addr a = {
		.index = VU_TX,
		.desc = (uint64_t)(uintptr_t)h->tx.desc,
		.avail = (uint64_t)(uintptr_t)h->tx.avail,
		.used = (uint64_t)(uintptr_t)h->tx.used,
	};
	int rc;

	if ((rc = vu_call(&h->conn, VU_SET_VRING_BASE, &st, sizeof(st),
			  NULL, 0, NULL)) ||
	    (addr && (rc = vu_call(&h->conn, VU_SET_VRING_ADDR, &a, sizeof(a),
				   NULL, 0, NULL))) ||
	    (rc = vu_call_u64(&h->conn, VU_SET_VRING_KICK, VU_TX,
			      &h->tx.kick, 1)) ||
	    (rc = vu_call_u64(&h->conn, VU_SET_VRING_CALL, VU_TX,
			      &h->tx.call, 1)) ||
	    (rc = vu_ring_enable(&h->conn, &h->tx, true)))
		return rc;

	h_send_arp(h);
	h_settle();
	return VU_REPLIED;
}

/**
 * c_vring_num() - SET_VRING_NUM with size @c->arg; if accepted, the ring is
 *		   set up and used
 * @h:		Hostile front end
 * @c:		Case
 *
 * Return: the reaction
 */
static int c_vring_num(struct hostile *h, const struct hcase *c)
{
	struct vu_vring_state st = { VU_TX, (uint32_t)c->arg };
	int rc = vu_mem_announce(&h->conn, &h->mem, H_REGION);

	if (rc)
		return rc < 0 ? rc : VU_BROKEN;
	rc = h_msg(h, VU_SET_VRING_NUM, VU_VERSION, &st, sizeof(st),
		   sizeof(st), NULL, 0);
	if (rc != VU_REPLIED)
		return rc;
	return h_ring_rest(h, true);
}

/**
 * c_ring_addr() - SET_VRING_ADDR with a bad address, @c->arg picks which;
 *		   if accepted, the ring is set up and used
 * @h:		Hostile front end
 * @c:		Case
 *
 * Return: the reaction
 */
static int c_ring_addr(struct hostile *h, const struct hcase *c)
{
	struct vu_vring_state st = { VU_TX, H_QSIZE };
	uint64_t base = (uint64_t)(uintptr_t)h->mem.base;
	struct vu_vring_addr a = {
		.index = VU_TX,
		.desc = (uint64_t)(uintptr_t)h->tx.desc,
		.avail = (uint64_t)(uintptr_t)h->tx.avail,
		.used = (uint64_t)(uintptr_t)h->tx.used,
	};
	int rc;

	if (c->arg != 3) {
		rc = vu_mem_announce(&h->conn, &h->mem, H_REGION);
		if (rc)
			return rc < 0 ? rc : VU_BROKEN;
	}
	switch (c->arg) {
	case 0:		/* descriptor table in no region */
		a.desc = base + H_OUTSIDE;
		break;
	case 1:		/* used ring crossing the end of the region */
		a.used = base + H_REGION - 8;
		break;
	case 2:		/* available ring misaligned */
		a.avail += 1;
		break;
	default:	/* no memory table yet: nothing to translate with */
		break;
	}

	if ((rc = vu_call(&h->conn, VU_SET_VRING_NUM, &st, sizeof(st),
			  NULL, 0, NULL)))
		return rc;
	rc = h_msg(h, VU_SET_VRING_ADDR, VU_VERSION, &a, sizeof(a), sizeof(a),
		   NULL, 0);
	if (rc != VU_REPLIED)
		return rc;
	return h_ring_rest(h, false);
}

/* Chain cases: rings started, then one bad chain */

/**
 * c_desc() - One descriptor pointing at bad memory, @c->arg the ring
 * @h:		Hostile front end
 * @c:		Case, with the address in @what's order: see the table
 *
 * Return: the reaction
 */
static int c_desc(struct hostile *h, const struct hcase *c)
{
	struct vu_ring *r = h_ring_of(h, c);
	uint64_t addr;
	uint32_t len = 256;
	int rc;

	if ((rc = h_start_for(h, c)))
		return rc;

	if (!strncmp(c->name + 3, "outside", 7)) {
		addr = H_OUTSIDE;
	} else if (!strncmp(c->name + 3, "straddle", 8)) {
		addr = H_REGION - 16;
		len = H_BUF;
	} else {	/* wrap */
		addr = ~0ULL - 2047;
		len = H_BUF;
	}
	h_desc(&r->desc[0], addr, len, h_desc_flags(c), 0);
	h_kick_chain(h, r, 0);
	return VU_REPLIED;
}

/**
 * c_loop() - A chain looping back on itself, through two descriptors or
 *	      through the whole table
 * @h:		Hostile front end
 * @c:		Case
 *
 * Return: the reaction
 */
static int c_loop(struct hostile *h, const struct hcase *c)
{
	struct vu_ring *r = h_ring_of(h, c);
	unsigned int i, n = strstr(c->name, "long") ? H_QSIZE : 2;
	uint64_t buf = c->arg == VU_RX ? H_RX_BUF : H_TX_BUF;
	int rc;

	if ((rc = h_start_for(h, c)))
		return rc;
	for (i = 0; i < n; i++) {
		h_desc(&r->desc[i], buf + i * 64, 64,
		       h_desc_flags(c) | VRING_DESC_F_NEXT,
		       (uint16_t)((i + 1) % n));
	}
	h_kick_chain(h, r, 0);
	return VU_REPLIED;
}

/**
 * c_next_range() - A descriptor whose next index is past the table
 * @h:		Hostile front end
 * @c:		Case
 *
 * Return: the reaction
 */
static int c_next_range(struct hostile *h, const struct hcase *c)
{
	struct vu_ring *r = h_ring_of(h, c);
	uint64_t buf = c->arg == VU_RX ? H_RX_BUF : H_TX_BUF;
	int rc;

	if ((rc = h_start_for(h, c)))
		return rc;
	h_desc(&r->desc[0], buf, 64, h_desc_flags(c) | VRING_DESC_F_NEXT,
	       999);
	h_kick_chain(h, r, 0);
	return VU_REPLIED;
}

/**
 * c_head_range() - An available ring entry past the descriptor table
 * @h:		Hostile front end
 * @c:		Case
 *
 * Return: the reaction
 */
static int c_head_range(struct hostile *h, const struct hcase *c)
{
	int rc;

	if ((rc = h_start_for(h, c)))
		return rc;
	h_kick_chain(h, h_ring_of(h, c), 999);
	return VU_REPLIED;
}

/**
 * c_avail_jump() - An available index more than a ring ahead
 * @h:		Hostile front end
 * @c:		Case
 *
 * Return: the reaction
 */
static int c_avail_jump(struct hostile *h, const struct hcase *c)
{
	struct vu_ring *r = h_ring_of(h, c);
	int rc;

	if ((rc = h_start_for(h, c)))
		return rc;
	r->avail_idx = (uint16_t)(r->avail_pub + H_QSIZE + 5);
	vu_ring_publish(r);
	vu_ring_kick(r);
	if (r == &h->rx)
		h_send_arp(h);
	h_settle();
	return VU_REPLIED;
}

/**
 * c_indirect() - An indirect chain that breaks a rule, the rule picked by
 *		  the case's name
 * @h:		Hostile front end
 * @c:		Case
 *
 * Return: the reaction
 */
static int c_indirect(struct hostile *h, const struct hcase *c)
{
	struct vu_ring *r = h_ring_of(h, c);
	struct vring_desc *t = h_table(h, H_TABLE);
	uint64_t buf = c->arg == VU_RX ? H_RX_BUF : H_TX_BUF;
	uint16_t f = h_desc_flags(c), ind = VRING_DESC_F_INDIRECT;
	const char *rule = strchr(c->name + 3, '-') + 1;
	uint32_t len = 2 * sizeof(*t);
	uint64_t table = H_TABLE;
	int rc;

	if ((rc = h_start_for(h, c)))
		return rc;

	h_desc(&t[0], buf, 64, f | VRING_DESC_F_NEXT, 1);
	h_desc(&t[1], buf + 64, 64, f, 0);

	if (!strcmp(rule, "too-long")) {
		unsigned int i;

		/* One more than the queue size, linked in order */
		for (i = 0; i <= H_QSIZE; i++)
			h_desc(&t[i], buf + i * 64, 64,
			       f | (i < H_QSIZE ? VRING_DESC_F_NEXT : 0),
			       (uint16_t)(i + 1));
		len = (H_QSIZE + 1) * sizeof(*t);
	} else if (!strcmp(rule, "nested")) {
		memcpy(h_table(h, H_TABLE2), t, 2 * sizeof(*t));
		h_desc(&t[1], H_TABLE2, 2 * sizeof(*t), ind, 0);
	} else if (!strcmp(rule, "loop")) {
		h_desc(&t[1], buf + 64, 64, f | VRING_DESC_F_NEXT, 0);
	} else if (!strcmp(rule, "next-range")) {
		h_desc(&t[1], buf + 64, 64, f | VRING_DESC_F_NEXT, 7);
	} else if (!strcmp(rule, "len")) {
		len = 24;
	} else if (!strcmp(rule, "empty")) {
		len = 0;
	} else if (!strcmp(rule, "outside")) {
		table = H_OUTSIDE;
	} else if (!strcmp(rule, "straddle")) {
		table = H_REGION - sizeof(*t);
	} else {	/* "with-next": INDIRECT and NEXT together */
		ind |= VRING_DESC_F_NEXT;
		h_desc(&r->desc[1], buf + 128, 64, f, 0);
	}

	h_desc(&r->desc[0], table, len, ind, 1);
	h_kick_chain(h, r, 0);
	return VU_REPLIED;
}

/**
 * c_rx_readonly() - Receive buffers the device may not write to, and a
 *		     frame for it to write
 * @h:		Hostile front end
 * @c:		Case
 *
 * Return: the reaction
 */
static int c_rx_readonly(struct hostile *h, const struct hcase *c)
{
	int rc;

	(void)c;
	memset(vu_gpa_ptr(&h->mem, H_RX_BUF), H_RO_BYTE, H_QSIZE * H_BUF);
	h_rx_buffers(h, H_RX_BUF, H_BUF, 0);
	if ((rc = h_rings(h, true)))
		return rc;
	h_send_arp(h);
	h_settle();
	return VU_REPLIED;
}

/**
 * c_tx_writable() - A transmit descriptor marked device-writable
 * @h:		Hostile front end
 * @c:		Case
 *
 * Return: the reaction
 */
static int c_tx_writable(struct hostile *h, const struct hcase *c)
{
	int rc;

	(void)c;
	if ((rc = h_rings(h, false)))
		return rc;
	memcpy(vu_gpa_ptr(&h->mem, H_TX_BUF + VU_NET_HDR_LEN), h_arp_request,
	       sizeof(h_arp_request));
	h_desc(&h->tx.desc[0], H_TX_BUF,
	       VU_NET_HDR_LEN + sizeof(h_arp_request), VRING_DESC_F_WRITE, 0);
	h_kick_chain(h, &h->tx, 0);
	return VU_REPLIED;
}

static const struct hcase cases[] = {
	{ "short-payload", "SET_FEATURES with 4 bytes of payload",
	  c_short_payload, REFUSE, 0 },
	{ "long-payload", "SET_VRING_NUM with 16 bytes of payload",
	  c_long_payload, REFUSE, 0 },
	{ "huge-size", "a header claiming 1 MiB of payload",
	  c_huge_size, REFUSE, 0 },
	{ "truncated", "a payload cut short by closing the connection",
	  c_truncated, SURVIVE, 0 },
	{ "bad-version", "SET_OWNER with version 2 in the header",
	  c_bad_version, REFUSE, 0 },
	{ "request-zero", "request number 0", c_plain, REFUSE, 0 },
	{ "request-unknown", "request number 999", c_plain, REFUSE, 999 },
	{ "request-unoffered", "IOTLB_MSG, for a feature never offered",
	  c_plain, REFUSE, VU_IOTLB_MSG },
	{ "fds-unexpected", "SET_VRING_NUM with a descriptor",
	  c_fds, REFUSE, VU_SET_VRING_NUM | 1 << 8 },
	{ "fds-too-many", "SET_VRING_KICK with two descriptors",
	  c_fds, REFUSE, VU_SET_VRING_KICK | 2 << 8 },
	{ "fds-missing", "SET_VRING_KICK without descriptor or NOFD bit",
	  c_fds, REFUSE, VU_SET_VRING_KICK },
	{ "fds-flood", "SET_VRING_CALL with 64 descriptors",
	  c_fds, REFUSE, VU_SET_VRING_CALL | 64 << 8 },
	{ "mem-fds-missing", "SET_MEM_TABLE: two regions, one descriptor",
	  c_mem, REFUSE, 0 },
	{ "mem-fds-extra", "SET_MEM_TABLE: one region, two descriptors",
	  c_mem, REFUSE, 1 },
	{ "mem-count-lie", "SET_MEM_TABLE: eight regions claimed, one sent",
	  c_mem, REFUSE, 2 },
	{ "mem-too-many", "SET_MEM_TABLE: nine regions", c_mem, REFUSE, 3 },
	{ "mem-overlap", "SET_MEM_TABLE: guest ranges overlapping",
	  c_mem, REFUSE, 4 },
	{ "mem-overlap-user", "SET_MEM_TABLE: user ranges overlapping",
	  c_mem, REFUSE, 5 },
	{ "mem-wrap", "SET_MEM_TABLE: guest range wrapping",
	  c_mem, REFUSE, 6 },
	{ "mem-wrap-user", "SET_MEM_TABLE: user range wrapping",
	  c_mem, REFUSE, 7 },
	{ "mem-wrap-offset", "SET_MEM_TABLE: mapping offset wrapping",
	  c_mem, REFUSE, 8 },
	{ "mem-zero", "SET_MEM_TABLE: a zero-sized region",
	  c_mem, REFUSE, 9 },
	{ "mem-beyond-fd", "SET_MEM_TABLE: a region past the memfd's end",
	  c_mem, REFUSE, 10 },
	{ "mem-not-mappable", "SET_MEM_TABLE: a pipe as the region's memory",
	  c_mem_not_mappable, REFUSE, 0 },
	{ "vring-index", "SET_VRING_NUM for queue 2",
	  c_vring_index, REFUSE, 2 },
	{ "vring-index-huge", "SET_VRING_NUM for queue 2^31 - 1",
	  c_vring_index, REFUSE, 0x7fffffff },
	{ "kick-index", "SET_VRING_KICK for queue 7", c_kick_index, REFUSE,
	  0 },
	{ "vring-num-zero", "queue size 0", c_vring_num, REFUSE_OR_BREAK, 0 },
	{ "vring-num-odd", "queue size 1000, not a power of two",
	  c_vring_num, REFUSE_OR_BREAK, 1000 },
	{ "vring-num-huge", "queue size 65536, above 32768",
	  c_vring_num, REFUSE_OR_BREAK, 65536 },
	{ "ring-outside", "descriptor table in no region",
	  c_ring_addr, REFUSE_OR_BREAK, 0 },
	{ "ring-straddle", "used ring crossing the end of the region",
	  c_ring_addr, REFUSE_OR_BREAK, 1 },
	{ "ring-misaligned", "available ring at an odd address",
	  c_ring_addr, REFUSE_OR_BREAK, 2 },
	{ "ring-no-mem", "ring addresses before any memory table",
	  c_ring_addr, REFUSE_OR_BREAK, 3 },
	{ "tx-outside", "transmit descriptor in no region",
	  c_desc, HARMLESS, VU_TX },
	{ "tx-straddle", "transmit descriptor crossing the region's end",
	  c_desc, HARMLESS, VU_TX },
	{ "tx-wrap", "transmit descriptor wrapping the address space",
	  c_desc, HARMLESS, VU_TX },
	{ "rx-outside", "receive buffers in no region",
	  c_desc, HARMLESS, VU_RX },
	{ "rx-straddle", "receive buffer crossing the region's end",
	  c_desc, HARMLESS, VU_RX },
	{ "rx-wrap", "receive buffer wrapping the address space",
	  c_desc, HARMLESS, VU_RX },
	{ "tx-loop", "transmit chain looping through two descriptors",
	  c_loop, HARMLESS, VU_TX },
	{ "tx-loop-long", "transmit chain looping through the whole table",
	  c_loop, HARMLESS, VU_TX },
	{ "rx-loop", "receive chain looping through two descriptors",
	  c_loop, HARMLESS, VU_RX },
	{ "tx-next-range", "transmit descriptor's next past the table",
	  c_next_range, HARMLESS, VU_TX },
	{ "tx-head-range", "transmit available entry past the table",
	  c_head_range, HARMLESS, VU_TX },
	{ "rx-head-range", "receive available entry past the table",
	  c_head_range, HARMLESS, VU_RX },
	{ "tx-avail-jump", "transmit available index 21 ahead of 16",
	  c_avail_jump, HARMLESS, VU_TX },
	{ "rx-avail-jump", "receive available index 21 ahead of 16",
	  c_avail_jump, HARMLESS, VU_RX },
	{ "tx-indirect-too-long", "indirect chain of 17 on a ring of 16",
	  c_indirect, HARMLESS, VU_TX },
	{ "rx-indirect-too-long", "indirect receive chain of 17 on 16",
	  c_indirect, HARMLESS, VU_RX },
	{ "tx-indirect-nested", "indirect table inside an indirect table",
	  c_indirect, HARMLESS, VU_TX },
	{ "tx-indirect-loop", "indirect chain looping",
	  c_indirect, HARMLESS, VU_TX },
	{ "tx-indirect-next-range", "indirect next past its table",
	  c_indirect, HARMLESS, VU_TX },
	{ "tx-indirect-len", "indirect table of 24 bytes",
	  c_indirect, HARMLESS, VU_TX },
	{ "tx-indirect-empty", "indirect table of 0 bytes",
	  c_indirect, HARMLESS, VU_TX },
	{ "tx-indirect-outside", "indirect table in no region",
	  c_indirect, HARMLESS, VU_TX },
	{ "tx-indirect-straddle", "indirect table crossing the region's end",
	  c_indirect, HARMLESS, VU_TX },
	{ "tx-indirect-with-next", "INDIRECT and NEXT on one descriptor",
	  c_indirect, HARMLESS, VU_TX },
	{ "rx-readonly", "receive buffers not marked writable",
	  c_rx_readonly, HARMLESS, VU_RX },
	{ "tx-writable", "transmit buffer marked writable",
	  c_tx_writable, HARMLESS, VU_TX },
};

/**
 * vu_hostile_list() - Print the cases, name and description, one a line
 */
void vu_hostile_list(void)
{
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		printf("%s\t%s\n", cases[i].name, cases[i].what);
	for (i = 0; i < vu_hostile_hdr_ncases; i++) {
		printf("%s\t%s\n", vu_hostile_hdr_cases[i].name,
		       vu_hostile_hdr_cases[i].what);
	}
}

/**
 * h_case_find() - Look a case up by name, in both tables
 * @name:	Case name
 *
 * Return: the case, NULL if there is none of that name
 */
static const struct hcase *h_case_find(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (!strcmp(cases[i].name, name))
			return &cases[i];
	}
	for (i = 0; i < vu_hostile_hdr_ncases; i++) {
		if (!strcmp(vu_hostile_hdr_cases[i].name, name))
			return &vu_hostile_hdr_cases[i];
	}
	return NULL;
}

/**
 * h_untouched() - Check memory we never gave the back-end to write
 * @h:		Hostile front end
 * @c:		Case
 *
 * Return: true if the canary, and read-only buffers, are as we left them
 */
static bool h_untouched(const struct hostile *h, const struct hcase *c)
{
	const uint8_t *p = h->mem.base + H_REGION;
	size_t i;

	for (i = 0; i < H_CANARY; i++) {
		if (p[i] != H_CANARY_BYTE)
			return false;
	}
	if (c->run != c_rx_readonly)
		return true;
	p = vu_gpa_ptr(&h->mem, H_RX_BUF);
	for (i = 0; i < H_QSIZE * H_BUF; i++) {
		if (p[i] != H_RO_BYTE)
			return false;
	}
	return true;
}

/**
 * h_serving() - Connect as a proper front end, and get an ARP reply
 * @path:	Socket path
 *
 * Return: true if the back-end answered through its rings
 */
static bool h_serving(const char *path)
{
	struct hostile h;
	bool ok;

	h_open(&h, path);
	ok = !h_rings(&h, false);
	if (ok) {
		h_send_arp(&h);
		ok = h_wait_frame(&h, h_is_arp_reply, NULL, H_WAIT_MS);
	}
	h_free(&h);
	return ok;
}

/**
 * h_verdict() - Say what the back-end did, and whether that passes
 * @c:		Case
 * @rc:		Reaction, as returned by the case
 *
 * Return: description, with "FAIL: " in front if it does not pass
 */
static const char *h_verdict(const struct hcase *c, int rc)
{
	switch (rc) {
	case 1:
		return "refused with an error reply";
	case VU_CLOSED:
		return "closed the connection";
	case VU_REPLIED:
		if (c->expect == REFUSE)
			return "FAIL: accepted";
		if (c->expect == HARMLESS)
			return "took the chain without harm";
		if (c->expect == DROP)
			return "dropped the frame, answered a proper one";
		return "accepted, left the ring alone";
	case H_ANSWERED:
		return "FAIL: answered a frame with a bad header";
	case H_DEAF:
		return "FAIL: answered no proper frame after it";
	case VU_TIMEOUT:
		if (c->expect == SURVIVE)
			return "no reply";
		return "FAIL: no reply";
	default:
		return "FAIL: a reply that breaks the protocol";
	}
}

/**
 * vu_hostile_run() - Run one case against a back-end
 * @name:	Case name
 * @path:	Back-end's socket path
 *
 * Return: 0 if the back-end passed, -1 otherwise (a line says why)
 */
int vu_hostile_run(const char *name, const char *path)
{
	const struct hcase *c = h_case_find(name);
	const char *verdict, *fail = NULL;
	struct hostile h;
	int rc;

	if (!c) {
		fprintf(stderr, "vubridge: no hostile case %s\n", name);
		return -1;
	}

	h_open(&h, path);
	rc = c->run(&h, c);
	verdict = h_verdict(c, rc);
	if (!strncmp(verdict, "FAIL: ", 6))
		fail = verdict + 6;

	/* Still answering on this connection, unless it was dropped */
	if (!fail && rc != VU_CLOSED && c->expect != SURVIVE) {
		struct vu_msg reply;

		vu_send(&h.conn, VU_GET_FEATURES, VU_VERSION, NULL, 0, NULL, 0);
		if (vu_wait_reply(&h.conn, VU_GET_FEATURES, &reply, H_WAIT_MS,
				  NULL) == VU_TIMEOUT)
			fail = "stopped answering";
	}
	if (!fail && !h_untouched(&h, c))
		fail = "wrote to memory it was not given";
	h_free(&h);

	if (!fail && !h_serving(path))
		fail = "does not serve the next front end";

	if (fail) {
		fprintf(stderr, "vubridge: hostile %s: %s\n", name, fail);
		return -1;
	}
	fprintf(stderr, "vubridge: hostile %s: %s, still serving\n", name,
		verdict);
	return 0;
}
