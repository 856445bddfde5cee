// SPDX-License-Identifier: GPL-2.0-or-later
/* test/fuzz/virtq.c - libFuzzer target: a guest driver that writes its
 * rings as it likes, over a device set up as QEMU does: descriptor chains
 * (direct, indirect, looping, out of memory), available rings and indices,
 * and the buffers themselves, a virtio-net header and a frame, on the
 * transmit queue (vu_tx(), virtq_chain(), the header checks, then ingress
 * with the real protocol handlers, sockets in a namespace of our own) and
 * on the receive queue (the daemon's replies, written into the guest's
 * buffers)
 *
 * While the receive ring holds only what the harness posted there, every
 * receive buffer it posted in one piece, and that the daemon hands back as
 * used, alone, must hold a frame that parses as the guest would parse it,
 * with its checksums right once any partial one is finished, and used
 * entries must name chains that exist. After each input the
 * front end leaves, every flow must time out, and no descriptor may be
 * left over.
 *
 * Input: feature bits (2 bytes), queue size (1 byte), then operations
 * until it ends, see enum op.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checksum.h"
#include "ctx.h"
#include "dhcpv6.h"
#include "fuzz.h"
#include "fuzz_vu.h"
#include "util.h"
#include "virtio.h"

enum op {
	OP_DESC,	/* a descriptor, any fields */
	OP_AVAIL,	/* a chain made available, or the index set */
	OP_BUF,		/* bytes into a buffer */
	OP_TX,		/* a whole frame to send, in a chain of some pieces */
	OP_RX_POST,	/* receive buffers posted, one descriptor each */
	OP_KICK,	/* a queue kicked */
	OP_FLAGS,	/* the available ring's flags or used event index */
	OP_TIME,	/* time passes, timers run */
	OP_MAX,
};

/* Descriptor flags */
#define DESC_NEXT	1
#define DESC_WRITE	2
#define DESC_INDIRECT	4

/* Where OP_TX and OP_RX_POST put buffers, and how large each may be */
#define TX_AREA		FUZZ_VU_BUF
#define TX_AREA_SIZE	0x60000UL
#define RX_AREA		(TX_AREA + TX_AREA_SIZE)
#define RX_AREA_SIZE	(FUZZ_VU_MEM_SIZE - RX_AREA)
#define RX_SLOT_MAX	4096UL

static struct ctx c;
/* Descriptors open when the input started: it must leave as many */
static int fd_baseline;
static uint16_t qnum;			/* queue size */
static uint16_t avail_idx[VIRTIO_NET_QUEUES];
static uint16_t used_seen[VIRTIO_NET_QUEUES];
static bool mrg_rxbuf;
/* The receive ring holds only what the harness posted: no fuzzed receive
 * descriptor, index or write over the ring, which would make the daemon
 * write where the harness can't follow
 */
static bool rx_trusted;
/* Chains left of the frame the used ring is at, with mergeable buffers */
static unsigned rx_cont;

/* Receive chains the harness posted in one piece, by head: how many times
 * it is in the ring now, whether it was ever in it twice at once (its
 * buffer may then hold either frame: not checked), and its buffer
 */
static struct {
	unsigned pending;
	bool twice;
	uint64_t addr;
	uint32_t len;
} rx_posted[FUZZ_VU_QSIZE_MAX];

/**
 * desc_write() - Write a descriptor, as the driver
 * @q:		Queue
 * @i:		Index, below the queue size
 * @addr:	Buffer
 * @len:	Its length
 * @flags:	DESC_*
 * @next:	Next descriptor
 */
static void desc_write(unsigned q, unsigned i, uint64_t addr, uint32_t len,
		       uint16_t flags, uint16_t next)
{
	uint8_t *p = fuzz_vu_mem + FUZZ_VU_DESC(q) + (size_t)i * 16;

	memcpy(p, &addr, 8);
	memcpy(p + 8, &len, 4);
	memcpy(p + 12, &flags, 2);
	memcpy(p + 14, &next, 2);
}

/**
 * avail_push() - Make a chain available, as the driver
 * @q:		Queue
 * @head:	First descriptor
 */
static void avail_push(unsigned q, uint16_t head)
{
	uint8_t *a = fuzz_vu_mem + FUZZ_VU_AVAIL(q);

	memcpy(a + 4 + 2 * (avail_idx[q] % qnum), &head, 2);
	avail_idx[q]++;
	memcpy(a + 2, &avail_idx[q], 2);
}

/**
 * rx_check() - Check the receive buffers the daemon handed back
 *
 * A used entry must name a descriptor of the table. One that names a
 * buffer the harness posted whole, still as posted, and that holds a whole
 * frame (one buffer of it), must hold a good frame.
 */
static void rx_check(void)
{
	const uint8_t *u = fuzz_vu_mem + FUZZ_VU_USED(VIRTIO_NET_RXQ);
	static uint8_t frame[RX_SLOT_MAX];
	uint16_t idx;

	memcpy(&idx, u + 2, 2);
	if (!rx_trusted) {
		used_seen[VIRTIO_NET_RXQ] = idx;
		return;
	}
	while (used_seen[VIRTIO_NET_RXQ] != idx) {
		size_t off = 4 + 8 * (size_t)(used_seen[VIRTIO_NET_RXQ] % qnum);
		struct virtio_net_hdr_v1 h;
		uint32_t id, len;
		const uint8_t *b;
		bool twice;

		memcpy(&id, u + off, 4);
		memcpy(&len, u + off + 4, 4);
		used_seen[VIRTIO_NET_RXQ]++;

		if (id >= qnum || !rx_posted[id].pending) {
			fprintf(stderr, "fuzz: used entry for chain %u, not in "
				"the ring\n", id);
			abort();
		}
		twice = rx_posted[id].twice;
		if (!--rx_posted[id].pending)
			rx_posted[id].twice = false;
		if (!len)
			continue;	/* given back unused */
		if (twice) {
			/* Either post's buffer and frame: no way to follow */
			rx_trusted = false;
			return;
		}
		if (len > rx_posted[id].len) {
			fprintf(stderr, "fuzz: %u bytes used of a %u-byte "
				"buffer\n", len, rx_posted[id].len);
			abort();
		}
		if (rx_cont) {
			rx_cont--;	/* the rest of a frame */
			continue;
		}
		if (len < VIRTIO_NET_HDR_LEN) {
			fprintf(stderr, "fuzz: frame of %u bytes, header "
				"included\n", len);
			abort();
		}

		b = fuzz_vu_mem + rx_posted[id].addr;
		memcpy(&h, b, sizeof(h));
		if (mrg_rxbuf && h.num_buffers != 1) {
			if (!h.num_buffers) {
				fprintf(stderr, "fuzz: frame in no buffer\n");
				abort();
			}
			rx_cont = h.num_buffers - 1u;
			continue;
		}
		len -= VIRTIO_NET_HDR_LEN;
		memcpy(frame, b + VIRTIO_NET_HDR_LEN, len);
		if (h.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) {
			size_t at = (size_t)h.csum_start + h.csum_offset;
			uint16_t sum;

			if (h.csum_start >= len || at + 2 > len) {
				fprintf(stderr, "fuzz: partial checksum "
					"outside the frame\n");
				abort();
			}
			sum = csum_fold(csum_partial(frame + h.csum_start,
						     len - h.csum_start, 0));
			memcpy(frame + at, &sum, 2);
		}
		/* Large segments are checked by the front end of ingress */
		if (h.gso_type == VIRTIO_NET_HDR_GSO_NONE)
			fuzz_frame_check(frame, len);
	}
}

/**
 * op_desc() - OP_DESC: any descriptor, its address in guest memory or not
 * @in:		Input
 */
static void op_desc(struct fuzz_in *in)
{
	uint8_t q = fuzz_u8(in) & 1, mode = fuzz_u8(in);
	unsigned i = fuzz_u16(in) % qnum;
	uint64_t addr;
	uint32_t len;

	if (mode & 1)
		addr = (uint64_t)fuzz_u16(in) << 48 |
		       (uint64_t)fuzz_u16(in) << 32 |
		       (uint64_t)fuzz_u16(in) << 16 | fuzz_u16(in);
	else
		addr = (uint64_t)fuzz_u16(in) * 16 % FUZZ_VU_MEM_SIZE;
	if (mode & 2)
		len = (uint32_t)fuzz_u16(in) << 16 | fuzz_u16(in);
	else
		len = fuzz_u16(in);

	desc_write(q, i, addr, len, fuzz_u8(in) & 7, fuzz_u16(in));
	if (q == VIRTIO_NET_RXQ)
		rx_trusted = false;
}

/**
 * op_avail() - OP_AVAIL: a head made available, or the index set anyhow
 * @in:		Input
 */
static void op_avail(struct fuzz_in *in)
{
	uint8_t q = fuzz_u8(in), *a;
	uint16_t v = fuzz_u16(in);

	if (!(q & 2)) {
		/* A chain posted twice: either use may hold either frame */
		if ((q & 1) == VIRTIO_NET_RXQ && v < qnum) {
			rx_posted[v].pending++;
			rx_posted[v].twice = true;
		}
		avail_push(q & 1, v);
		return;
	}
	if ((q & 1) == VIRTIO_NET_RXQ)
		rx_trusted = false;
	a = fuzz_vu_mem + FUZZ_VU_AVAIL(q & 1);
	avail_idx[q & 1] = v;
	memcpy(a + 2, &v, 2);
}

/**
 * op_buf() - OP_BUF: bytes anywhere in guest memory
 * @in:		Input
 */
static void op_buf(struct fuzz_in *in)
{
	size_t off = (size_t)fuzz_u16(in) * 16 % FUZZ_VU_MEM_SIZE;
	size_t len = MIN((size_t)fuzz_u16(in), FUZZ_VU_MEM_SIZE - off);
	size_t ring = FUZZ_VU_RING(VIRTIO_NET_RXQ);

	len = MIN(len, in->left);
	if (off < ring + FUZZ_VU_RING(1) && off + len > ring)
		rx_trusted = false;
	fuzz_bytes(in, fuzz_vu_mem + off, len);
}

/**
 * op_tx() - OP_TX: a virtio-net header and a frame from the input, in a
 *	     chain of up to four pieces, made available and kicked
 * @in:		Input
 */
static void op_tx(struct fuzz_in *in)
{
	uint8_t pieces = (fuzz_u8(in) % 4) + 1, i;
	uint16_t head = fuzz_u16(in) % qnum;
	size_t len = fuzz_u16(in) % (TX_AREA_SIZE / 2), off = 0;
	uint64_t base = TX_AREA + (avail_idx[VIRTIO_NET_TXQ] % 2) *
			(TX_AREA_SIZE / 2);

	len = MAX(len, (size_t)VIRTIO_NET_HDR_LEN + 1);
	fuzz_bytes(in, fuzz_vu_mem + base, MIN(len, in->left));

	for (i = 0; i < pieces; i++) {
		size_t n = i == pieces - 1 ? len - off :
			   MIN((size_t)fuzz_u16(in), len - off);
		uint16_t d = (uint16_t)((head + i) % qnum);

		desc_write(VIRTIO_NET_TXQ, d, base + off, (uint32_t)n,
			   i == pieces - 1 ? 0 : DESC_NEXT,
			   (uint16_t)((d + 1) % qnum));
		off += n;
	}
	avail_push(VIRTIO_NET_TXQ, head);
	fuzz_vu_do_kick(&c, VIRTIO_NET_TXQ);
	rx_check();
}

/**
 * op_rx_post() - OP_RX_POST: receive buffers, one descriptor each, from a
 *		  descriptor on, made available and kicked
 * @in:		Input
 */
static void op_rx_post(struct fuzz_in *in)
{
	/* Each descriptor its own slot: what one holds, no other changes */
	size_t slot = MIN(RX_SLOT_MAX, RX_AREA_SIZE / qnum / 16 * 16);
	unsigned n = fuzz_u8(in) % 16 + 1, first = fuzz_u16(in), i;
	uint32_t size = (uint32_t)(fuzz_u16(in) % slot + 1);

	for (i = 0; i < n; i++) {
		unsigned d = (first + i) % qnum;
		uint64_t addr = RX_AREA + (uint64_t)d * slot;

		desc_write(VIRTIO_NET_RXQ, d, addr, size, DESC_WRITE, 0);
		/* Posted again before it came back: not checked */
		if (rx_posted[d].pending++)
			rx_posted[d].twice = true;
		rx_posted[d].addr = addr;
		rx_posted[d].len = size;
		avail_push(VIRTIO_NET_RXQ, (uint16_t)d);
	}
	fuzz_vu_do_kick(&c, VIRTIO_NET_RXQ);
	rx_check();
}

/**
 * op_flags() - OP_FLAGS: the available ring's flags, or the used event
 *		index at its end
 * @in:		Input
 */
static void op_flags(struct fuzz_in *in)
{
	uint8_t q = fuzz_u8(in);
	uint16_t v = fuzz_u16(in);
	uint8_t *a = fuzz_vu_mem + FUZZ_VU_AVAIL(q & 1);

	memcpy(q & 2 ? a + 4 + 2 * (size_t)qnum : a, &v, 2);
}

/**
 * cleanup() - Leave, at exit, so that the daemon's socket goes
 */
static void cleanup(void)
{
	fuzz_vu_disconnect(&c);
}

/**
 * LLVMFuzzerInitialize() - Namespace, context, the daemon listening
 * @argc:	Unused
 * @argv:	Unused
 *
 * Return: 0
 */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;

	fuzz_isolate();
	fuzz_init();
	fuzz_ctx_init(&c);
	c.l2 = NULL;
	fuzz_flows_init(&c);
	dhcpv6_init(&c);
	fuzz_vu_init(&c);
	atexit(cleanup);
	return 0;
}

/**
 * LLVMFuzzerTestOneInput() - Set the device up, drive the rings, leave
 * @data:	Input
 * @size:	Its length
 *
 * Return: 0
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	uint64_t features = fuzz_vu_features(fuzz_u16(&in));
	uint64_t ms;

	fd_baseline = fuzz_fd_count();
	qnum = (uint16_t)(1U << (fuzz_u8(&in) % 12));
	mrg_rxbuf = features & VIRTIO_BIT(VIRTIO_NET_F_MRG_RXBUF);
	memset(avail_idx, 0, sizeof(avail_idx));
	memset(used_seen, 0, sizeof(used_seen));
	memset(rx_posted, 0, sizeof(rx_posted));
	rx_trusted = true;
	rx_cont = 0;

	fuzz_vu_connect(&c);
	if (!fuzz_vu_setup(&c, features, qnum)) {
		fprintf(stderr, "fuzz: device setup refused\n");
		abort();
	}

	while (in.left) {
		switch ((enum op)(fuzz_u8(&in) % OP_MAX)) {
		case OP_DESC:
			op_desc(&in);
			break;
		case OP_AVAIL:
			op_avail(&in);
			break;
		case OP_BUF:
			op_buf(&in);
			break;
		case OP_TX:
			op_tx(&in);
			break;
		case OP_RX_POST:
			op_rx_post(&in);
			break;
		case OP_KICK:
			fuzz_vu_do_kick(&c, fuzz_u8(&in));
			rx_check();
			break;
		case OP_FLAGS:
			op_flags(&in);
			break;
		default:
			ms = fuzz_u16(&in);
			c.now.tv_sec += (time_t)(ms / 100);
			fuzz_timers(&c);
			fuzz_vu_run(&c);
			rx_check();
			break;
		}
	}

	fuzz_vu_disconnect(&c);
	fuzz_flows_settle(&c);
	fuzz_fd_check(fd_baseline);
	return 0;
}
