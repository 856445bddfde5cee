// SPDX-License-Identifier: GPL-2.0-or-later
/* test/unit/virtio.c - split virtqueues in a made-up guest memory: chains
 * direct and indirect, every rule a hostile guest can break (loops, chains
 * longer than the table, nested indirect tables, addresses outside memory
 * or wrapping, index jumps, bad queue sizes), the event index arithmetic
 * with wrap-around, notification suppression both ways, and dirty page
 * logging of what we write
 */

#include <errno.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "unit.h"
#include "util.h"
#include "virtio.h"

/* Guest memory: two adjacent regions, the second one small */
#define GPA_BASE	0x100000ULL
#define MEM1_SIZE	(1UL << 20)
#define MEM2_SIZE	(64UL << 10)
#define QVA_BASE	0x7f0000000000ULL

/* Where the rings go, as offsets in the first region */
#define DESC_OFF	0x0
#define AVAIL_OFF	0x4000
#define USED_OFF	0x8000
#define BUF_OFF		0x10000
#define IND_OFF		0xc000

#define QSIZE		8

static uint8_t mem1[MEM1_SIZE] __attribute__((aligned(4096)));
static uint8_t mem2[MEM2_SIZE] __attribute__((aligned(4096)));
static uint8_t logmap[64];
static struct virtio_dev d;
static struct virtq *vq = &d.vq[0];

/**
 * setup() - Fresh memory map and queue, mapped and started
 * @features:	Feature bits the front end set
 */
static void setup(uint64_t features)
{
	memset(mem1, 0, sizeof(mem1));
	memset(mem2, 0, sizeof(mem2));
	memset(&d, 0, sizeof(d));
	d.features = features;
	d.log.fd = -1;

	d.mem.r[0] = (struct virtio_region){
		.gpa = GPA_BASE, .size = MEM1_SIZE, .qva = QVA_BASE,
		.host = mem1,
	};
	d.mem.r[1] = (struct virtio_region){
		.gpa = GPA_BASE + MEM1_SIZE, .size = MEM2_SIZE,
		.qva = QVA_BASE + MEM1_SIZE, .host = mem2,
	};
	d.mem.count = 2;

	virtq_init(vq);
	vq->num = QSIZE;
	vq->desc_qva = QVA_BASE + DESC_OFF;
	vq->avail_qva = QVA_BASE + AVAIL_OFF;
	vq->used_qva = QVA_BASE + USED_OFF;
	vq->log_gpa = GPA_BASE + USED_OFF;
	vq->addr_set = true;
	UNIT_CHECK(!virtq_map(&d, vq));
	virtq_start(vq);
}

/**
 * desc_set() - Write a descriptor of the direct table, or any table
 * @table:	Table, in guest memory
 * @i:		Index
 * @gpa:	Buffer address
 * @len:	Buffer length
 * @flags:	1 next, 2 write, 4 indirect
 * @next:	Next descriptor
 */
static void desc_set(uint8_t *table, unsigned i, uint64_t gpa, uint32_t len,
		     uint16_t flags, uint16_t next)
{
	uint8_t *p = table + i * 16;

	memcpy(p, &gpa, 8);
	memcpy(p + 8, &len, 4);
	memcpy(p + 12, &flags, 2);
	memcpy(p + 14, &next, 2);
}

/**
 * avail_push() - Make a chain available, as the guest does
 * @head:	First descriptor
 */
static void avail_push(uint16_t head)
{
	uint16_t idx;

	memcpy(&idx, mem1 + AVAIL_OFF + 2, 2);
	memcpy(mem1 + AVAIL_OFF + 4 + 2 * (idx % QSIZE), &head, 2);
	idx++;
	memcpy(mem1 + AVAIL_OFF + 2, &idx, 2);
}

/**
 * avail_idx_set() - Set the available index as a hostile guest might
 * @idx:	Index
 */
static void avail_idx_set(uint16_t idx)
{
	memcpy(mem1 + AVAIL_OFF + 2, &idx, 2);
}

/**
 * u16_at() - Read a 16-bit field of guest memory
 * @off:	Offset in the first region
 *
 * Return: value
 */
static uint16_t u16_at(size_t off)
{
	uint16_t v;

	memcpy(&v, mem1 + off, 2);
	return v;
}

/**
 * u32_at() - Read a 32-bit field of guest memory
 * @off:	Offset in the first region
 *
 * Return: value
 */
static uint32_t u32_at(size_t off)
{
	uint32_t v;

	memcpy(&v, mem1 + off, 4);
	return v;
}

/**
 * walk() - Pop the next chain and walk it
 * @seg:	Segments, filled in
 * @max:	Room in @seg
 * @nseg:	Number of segments, set
 *
 * Return: what virtq_pop() or virtq_chain() returned
 */
static int walk(struct virtq_seg *seg, size_t max, size_t *nseg)
{
	uint16_t head;
	int rc = virtq_pop(vq, &head);

	if (rc)
		return rc;
	return virtq_chain(&d, vq, head, seg, max, nseg);
}

/**
 * chain_direct() - A chain of readable then writable buffers
 */
static void chain_direct(void)
{
	struct virtq_seg seg[8];
	size_t n = 0;

	setup(VIRTIO_BIT(VIRTIO_F_VERSION_1));
	desc_set(mem1 + DESC_OFF, 2, GPA_BASE + BUF_OFF, 100, 1, 5);
	desc_set(mem1 + DESC_OFF, 5, GPA_BASE + BUF_OFF + 0x1000, 200, 3, 1);
	desc_set(mem1 + DESC_OFF, 1, GPA_BASE + BUF_OFF + 0x2000, 300, 2, 0);
	avail_push(2);

	UNIT_CHECK(!walk(seg, 8, &n));
	UNIT_CHECK(n == 3);
	UNIT_CHECK(seg[0].p == mem1 + BUF_OFF && seg[0].len == 100 &&
		   !seg[0].write);
	UNIT_CHECK(seg[1].p == mem1 + BUF_OFF + 0x1000 && seg[1].len == 200 &&
		   seg[1].write);
	UNIT_CHECK(seg[2].gpa == GPA_BASE + BUF_OFF + 0x2000 && seg[2].write);
	UNIT_CHECK(!vq->broken);
	UNIT_CHECK(walk(seg, 8, &n) == ENOENT);
}

/**
 * chain_indirect() - A chain in an indirect table, and the same without
 *		      the feature
 */
static void chain_indirect(void)
{
	struct virtq_seg seg[8];
	size_t n = 0;
	int pass;

	for (pass = 0; pass < 2; pass++) {
		uint64_t f = VIRTIO_BIT(VIRTIO_F_VERSION_1);

		if (!pass)
			f |= VIRTIO_BIT(VIRTIO_RING_F_INDIRECT_DESC);
		setup(f);
		desc_set(mem1 + IND_OFF, 0, GPA_BASE + BUF_OFF, 12, 1, 1);
		desc_set(mem1 + IND_OFF, 1, GPA_BASE + BUF_OFF + 64, 1500, 0,
			 0);
		desc_set(mem1 + DESC_OFF, 0, GPA_BASE + IND_OFF, 32, 4, 0);
		avail_push(0);

		if (!pass) {
			UNIT_CHECK(!walk(seg, 8, &n));
			UNIT_CHECK(n == 2 && seg[1].len == 1500);
			UNIT_CHECK(!vq->broken);
		} else {
			UNIT_CHECK(walk(seg, 8, &n) == EINVAL);
			UNIT_CHECK(vq->broken);
		}
	}
}

/**
 * chain_broken() - Make descriptor 0 available, walk it, expect the queue
 *		    broken
 *
 * Return: true if the walk failed with EINVAL and broke the queue
 */
static bool chain_broken(void)
{
	struct virtq_seg seg[8];
	size_t n = 0;

	avail_push(0);
	return walk(seg, 8, &n) == EINVAL && vq->broken;
}

/**
 * chain_hostile() - Loops, overlong chains, nested indirect tables, bad
 *		     indirect descriptors, and buffers that break the order
 */
static void chain_hostile(void)
{
	const uint64_t f = VIRTIO_BIT(VIRTIO_F_VERSION_1) |
			   VIRTIO_BIT(VIRTIO_RING_F_INDIRECT_DESC);
	uint8_t *t = mem1 + DESC_OFF, *it = mem1 + IND_OFF;
	unsigned i;

	/* A loop of two */
	setup(f);
	desc_set(t, 0, GPA_BASE + BUF_OFF, 10, 1, 1);
	desc_set(t, 1, GPA_BASE + BUF_OFF, 10, 1, 0);
	UNIT_CHECK(chain_broken());

	/* Longer than the table: every descriptor, then one again */
	setup(f);
	for (i = 0; i < QSIZE; i++)
		desc_set(t, i, GPA_BASE + BUF_OFF, 10, 1, (i + 1) % QSIZE);
	UNIT_CHECK(chain_broken());

	/* A next index past the table */
	setup(f);
	desc_set(t, 0, GPA_BASE + BUF_OFF, 10, 1, QSIZE);
	UNIT_CHECK(chain_broken());

	/* An indirect table inside an indirect table */
	setup(f);
	desc_set(it, 0, GPA_BASE + IND_OFF + 0x100, 16, 4, 0);
	desc_set(t, 0, GPA_BASE + IND_OFF, 16, 4, 0);
	UNIT_CHECK(chain_broken());

	/* A loop inside an indirect table */
	setup(f);
	desc_set(it, 0, GPA_BASE + BUF_OFF, 10, 1, 1);
	desc_set(it, 1, GPA_BASE + BUF_OFF, 10, 1, 0);
	desc_set(t, 0, GPA_BASE + IND_OFF, 32, 4, 0);
	UNIT_CHECK(chain_broken());

	/* Indirect with a next flag, of a length not a multiple of 16, empty,
	 * and outside guest memory
	 */
	setup(f);
	desc_set(t, 0, GPA_BASE + IND_OFF, 16, 4 | 1, 1);
	UNIT_CHECK(chain_broken());
	setup(f);
	desc_set(t, 0, GPA_BASE + IND_OFF, 24, 4, 0);
	UNIT_CHECK(chain_broken());
	setup(f);
	desc_set(t, 0, GPA_BASE + IND_OFF, 0, 4, 0);
	UNIT_CHECK(chain_broken());
	setup(f);
	desc_set(t, 0, 0x1000, 32, 4, 0);
	UNIT_CHECK(chain_broken());

	/* A readable buffer after a writable one */
	setup(f);
	desc_set(t, 0, GPA_BASE + BUF_OFF, 10, 3, 1);
	desc_set(t, 1, GPA_BASE + BUF_OFF, 10, 0, 0);
	UNIT_CHECK(chain_broken());

	/* Once broken, nothing more is taken */
	avail_push(1);
	UNIT_CHECK(!virtq_ready(vq));
}

/**
 * chain_addresses() - Buffers outside guest memory, wrapping, or crossing
 *		       from one region into the next
 */
static void chain_addresses(void)
{
	const uint64_t f = VIRTIO_BIT(VIRTIO_F_VERSION_1);
	uint8_t *t = mem1 + DESC_OFF;
	struct virtq_seg seg[8];
	size_t n = 0;

	setup(f);
	desc_set(t, 0, 0x1000, 100, 0, 0);
	UNIT_CHECK(chain_broken());

	/* Starts inside, ends past the last region */
	setup(f);
	desc_set(t, 0, GPA_BASE + MEM1_SIZE + MEM2_SIZE - 10, 100, 0, 0);
	UNIT_CHECK(chain_broken());

	setup(f);
	desc_set(t, 0, UINT64_MAX - 10, 100, 0, 0);
	UNIT_CHECK(chain_broken());

	/* Across the boundary of two adjacent regions: two segments */
	setup(f);
	desc_set(t, 0, GPA_BASE + MEM1_SIZE - 100, 300, 0, 0);
	avail_push(0);
	UNIT_CHECK(!walk(seg, 8, &n));
	UNIT_CHECK(n == 2);
	UNIT_CHECK(seg[0].p == mem1 + MEM1_SIZE - 100 && seg[0].len == 100);
	UNIT_CHECK(seg[1].p == mem2 && seg[1].len == 200);

	/* More segments than the caller takes: the chain, not the queue */
	setup(f);
	desc_set(t, 0, GPA_BASE + BUF_OFF, 10, 1, 1);
	desc_set(t, 1, GPA_BASE + BUF_OFF, 10, 1, 2);
	desc_set(t, 2, GPA_BASE + BUF_OFF, 10, 0, 0);
	avail_push(0);
	UNIT_CHECK(walk(seg, 2, &n) == EMSGSIZE);
	UNIT_CHECK(!vq->broken);
}

/**
 * avail_hostile() - Available indices that jump past the queue size, and
 *		     heads past the table
 */
static void avail_hostile(void)
{
	unsigned count = 0;
	uint16_t head;

	setup(VIRTIO_BIT(VIRTIO_F_VERSION_1));
	avail_idx_set(QSIZE);
	UNIT_CHECK(!virtq_pending(vq, &count) && count == QSIZE);
	avail_idx_set(QSIZE + 1);
	UNIT_CHECK(virtq_pending(vq, &count) == EINVAL && vq->broken);

	/* Wrapping around 65536 is no jump */
	setup(VIRTIO_BIT(VIRTIO_F_VERSION_1));
	vq->last_avail = 0xfffe;
	avail_idx_set(2);
	UNIT_CHECK(!virtq_pending(vq, &count) && count == 4);

	setup(VIRTIO_BIT(VIRTIO_F_VERSION_1));
	avail_push(QSIZE);
	UNIT_CHECK(virtq_pop(vq, &head) == EINVAL && vq->broken);

	/* Rewinding gives the same chain again */
	setup(VIRTIO_BIT(VIRTIO_F_VERSION_1));
	avail_push(3);
	avail_push(6);
	UNIT_CHECK(!virtq_pop(vq, &head) && head == 3);
	UNIT_CHECK(!virtq_pop(vq, &head) && head == 6);
	virtq_rewind(vq, 1);
	UNIT_CHECK(!virtq_pop(vq, &head) && head == 6);
}

/**
 * queue_sizes() - Sizes not a power of two, zero, or above 32768, and rings
 *		   that don't fit in guest memory
 */
static void queue_sizes(void)
{
	UNIT_CHECK(!virtq_num_valid(0));
	UNIT_CHECK(!virtq_num_valid(3));
	UNIT_CHECK(!virtq_num_valid(1000));
	UNIT_CHECK(!virtq_num_valid(65536));
	UNIT_CHECK(virtq_num_valid(1));
	UNIT_CHECK(virtq_num_valid(256));
	UNIT_CHECK(virtq_num_valid(32768));

	setup(VIRTIO_BIT(VIRTIO_F_VERSION_1));
	vq->desc_qva = QVA_BASE + 8;
	UNIT_CHECK(virtq_map(&d, vq) == EINVAL && !vq->desc);

	/* A descriptor table crossing into the second region */
	setup(VIRTIO_BIT(VIRTIO_F_VERSION_1));
	vq->desc_qva = QVA_BASE + MEM1_SIZE - 64;
	UNIT_CHECK(virtq_map(&d, vq) == EFAULT);

	setup(VIRTIO_BIT(VIRTIO_F_VERSION_1));
	vq->used_qva = 0x1000;
	UNIT_CHECK(virtq_map(&d, vq) == EFAULT && !virtq_ready(vq));

	/* A size that makes the rings run past the end of memory */
	setup(VIRTIO_BIT(VIRTIO_F_VERSION_1));
	vq->num = VIRTQ_SIZE_MAX;
	vq->used_qva = QVA_BASE + MEM1_SIZE - 0x1000;
	UNIT_CHECK(virtq_map(&d, vq) == EFAULT);
}

/**
 * event_idx_math() - virtq_need_event() around the wrap of 16 bits
 */
static void event_idx_math(void)
{
	UNIT_CHECK(virtq_need_event(4, 5, 3));
	UNIT_CHECK(virtq_need_event(3, 5, 3));
	UNIT_CHECK(!virtq_need_event(5, 5, 3));
	UNIT_CHECK(!virtq_need_event(2, 5, 3));
	UNIT_CHECK(virtq_need_event(0xffff, 1, 0xfffe));
	UNIT_CHECK(virtq_need_event(0, 1, 0xfffe));
	UNIT_CHECK(!virtq_need_event(1, 1, 0xfffe));
	UNIT_CHECK(!virtq_need_event(0xfffd, 1, 0xfffe));
	UNIT_CHECK(!virtq_need_event(7, 7, 7));
}

/**
 * signals() - Count how often the call eventfd was signalled
 *
 * Return: count since the last call
 */
static uint64_t signals(void)
{
	uint64_t v = 0;

	if (read(vq->call_fd, &v, sizeof(v)) < 0)
		return 0;
	return v;
}

/**
 * used_and_signal() - Used entries, publishing, and signalling with and
 *		       without the event index
 */
static void used_and_signal(void)
{
	uint16_t ev;

	/* Event index: a signal only when used_event is passed */
	setup(VIRTIO_BIT(VIRTIO_F_VERSION_1) |
	      VIRTIO_BIT(VIRTIO_RING_F_EVENT_IDX));
	vq->call_fd = eventfd(0, EFD_NONBLOCK);
	ev = 1;
	memcpy(mem1 + AVAIL_OFF + 4 + 2 * QSIZE, &ev, 2);

	virtq_used_put(&d, vq, 5, 1000);
	UNIT_CHECK(u16_at(USED_OFF + 2) == 0);
	virtq_used_publish(&d, vq);
	UNIT_CHECK(u16_at(USED_OFF + 2) == 1);
	UNIT_CHECK(u32_at(USED_OFF + 4) == 5 && u32_at(USED_OFF + 8) == 1000);
	virtq_signal(&d, vq);
	UNIT_CHECK(signals() == 1);	/* The first check always signals */

	virtq_used_put(&d, vq, 6, 10);
	virtq_used_publish(&d, vq);
	virtq_signal(&d, vq);		/* 1 -> 2: used_event 1 passed */
	UNIT_CHECK(signals() == 1);

	virtq_used_put(&d, vq, 7, 10);
	virtq_used_publish(&d, vq);
	virtq_signal(&d, vq);		/* 2 -> 3: not asked */
	UNIT_CHECK(signals() == 0);
	virtq_signal(&d, vq);		/* Nothing new */
	UNIT_CHECK(signals() == 0);
	close(vq->call_fd);

	/* Flags: the guest turns interrupts off */
	setup(VIRTIO_BIT(VIRTIO_F_VERSION_1));
	vq->call_fd = eventfd(0, EFD_NONBLOCK);
	ev = 1;
	memcpy(mem1 + AVAIL_OFF, &ev, 2);
	virtq_used_put(&d, vq, 1, 10);
	virtq_used_publish(&d, vq);
	virtq_signal(&d, vq);
	UNIT_CHECK(signals() == 0);
	ev = 0;
	memcpy(mem1 + AVAIL_OFF, &ev, 2);
	virtq_used_put(&d, vq, 2, 10);
	virtq_used_publish(&d, vq);
	virtq_signal(&d, vq);
	UNIT_CHECK(signals() == 1);
	close(vq->call_fd);

	/* The used ring wraps at the queue size */
	setup(VIRTIO_BIT(VIRTIO_F_VERSION_1));
	vq->used_idx = QSIZE - 1;
	virtq_used_put(&d, vq, 3, 30);
	virtq_used_put(&d, vq, 4, 40);
	UNIT_CHECK(u32_at(USED_OFF + 4 + 8 * (QSIZE - 1)) == 3);
	UNIT_CHECK(u32_at(USED_OFF + 4) == 4);
}

/**
 * kick_requests() - Asking for kicks: avail_event with the event index,
 *		     the used ring's flag without
 */
static void kick_requests(void)
{
	setup(VIRTIO_BIT(VIRTIO_F_VERSION_1) |
	      VIRTIO_BIT(VIRTIO_RING_F_EVENT_IDX));
	avail_idx_set(0x1234);
	virtq_kick_enable(&d, vq, true);
	UNIT_CHECK(u16_at(USED_OFF + 4 + 8 * QSIZE) == 0x1234);
	avail_idx_set(0x1240);
	virtq_kick_enable(&d, vq, false);
	UNIT_CHECK(u16_at(USED_OFF + 4 + 8 * QSIZE) == 0x1234);

	setup(VIRTIO_BIT(VIRTIO_F_VERSION_1));
	virtq_kick_enable(&d, vq, false);
	UNIT_CHECK(u16_at(USED_OFF) == 1);
	virtq_kick_enable(&d, vq, true);
	UNIT_CHECK(u16_at(USED_OFF) == 0);
}

/**
 * dirty_log() - Writes are logged while logging is on, used ring writes at
 *		 the ring's log address, and never past the log
 */
static void dirty_log(void)
{
	uint8_t guard;

	setup(VIRTIO_BIT(VIRTIO_F_VERSION_1));
	memset(logmap, 0, sizeof(logmap));
	d.log.bitmap = logmap;
	d.log.size = sizeof(logmap) - 1;	/* The last byte: a guard */

	/* Off: nothing logged */
	virtio_log_write(&d, 0x3000, 10);
	UNIT_CHECK(!logmap[0]);

	d.features |= VIRTIO_BIT(VHOST_F_LOG_ALL);
	virtio_log_write(&d, 0x3000, 10);
	UNIT_CHECK(logmap[0] == 0x08);
	virtio_log_write(&d, 0x4fff, 2);	/* Two pages, 4 and 5 */
	UNIT_CHECK(logmap[0] == 0x38);
	UNIT_CHECK(d.log.dirty);

	/* Past the end of the log: stops there */
	virtio_log_write(&d, (uint64_t)(sizeof(logmap) - 2) * 8 * 4096,
			 3 * 8 * 4096);
	UNIT_CHECK(logmap[sizeof(logmap) - 2] == 0xff);
	guard = logmap[sizeof(logmap) - 1];
	UNIT_CHECK(guard == 0);

	/* Used ring writes, with the ring's logging on */
	memset(logmap, 0, sizeof(logmap));
	vq->log_used = true;
	vq->log_gpa = 0x20000;		/* Page 32: byte 4, bit 0 */
	virtq_used_put(&d, vq, 1, 1);
	virtq_used_publish(&d, vq);
	UNIT_CHECK(logmap[4] == 0x01);
}

/**
 * main() - Run the cases
 *
 * Return: EXIT_SUCCESS if all passed
 */
int main(void)
{
	UNIT_RUN(chain_direct);
	UNIT_RUN(chain_indirect);
	UNIT_RUN(chain_hostile);
	UNIT_RUN(chain_addresses);
	UNIT_RUN(avail_hostile);
	UNIT_RUN(queue_sizes);
	UNIT_RUN(event_idx_math);
	UNIT_RUN(used_and_signal);
	UNIT_RUN(kick_requests);
	UNIT_RUN(dirty_log);
	UNIT_EXIT();
}
