// SPDX-License-Identifier: GPL-2.0-or-later
/* virtio.c - split virtqueues in guest memory (virtio 1.2, section 2.7)
 *
 * Guest addresses are translated through the memory map that the front end
 * gave us: a buffer must lie inside mapped regions (it may cross from one
 * region into the next adjacent one), a ring or an indirect table inside
 * one region. Nothing outside the regions is ever touched.
 *
 * The guest shares the rings with us while it runs: every field is read
 * once, into a local, before it is checked and used, and indices are
 * compared with what the queue size allows. A ring that breaks a rule (a
 * descriptor outside guest memory, a loop, a chain longer than the table, an
 * indirect table inside another, an available index that jumps by more than
 * the queue size) is marked broken: it is not touched again until the front
 * end sets it up anew, and its error eventfd is signalled.
 *
 * Notifications follow the event index scheme when it was negotiated
 * (virtio 1.2, 2.7.10): used_event, at the end of the available ring, says
 * when the guest wants to hear of used buffers; avail_event, which we write
 * at the end of the used ring, says when we want a kick. Without it, the
 * flags in each ring do the same, more coarsely.
 */

#include <endian.h>
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "log.h"
#include "util.h"
#include "virtio.h"

/* Descriptor flags */
#define VIRTQ_DESC_F_NEXT		1
#define VIRTQ_DESC_F_WRITE		2
#define VIRTQ_DESC_F_INDIRECT		4

/* Available ring flag: the guest needs no interrupt */
#define VIRTQ_AVAIL_F_NO_INTERRUPT	1
/* Used ring flag: we need no kick */
#define VIRTQ_USED_F_NO_NOTIFY		1

/* Sizes and alignments of the parts of a split virtqueue (2.7) */
#define VIRTQ_DESC_SIZE			16
#define VIRTQ_DESC_ALIGN		16
#define VIRTQ_AVAIL_ALIGN		2
#define VIRTQ_USED_ALIGN		4
#define VIRTQ_USED_ELEM_SIZE		8

/* Offsets in the available and used rings */
#define VIRTQ_IDX_OFF			2
#define VIRTQ_RING_OFF			4

/* Entries of an indirect table, at most: what a queue may hold */
#define VIRTQ_INDIRECT_MAX		VIRTQ_SIZE_MAX

/**
 * struct virtq_desc - A descriptor as read from guest memory, host order
 * @addr:	Guest address of the buffer
 * @len:	Length of the buffer
 * @flags:	VIRTQ_DESC_F_*
 * @next:	Next descriptor, with VIRTQ_DESC_F_NEXT
 */
struct virtq_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

/**
 * virtio_read_once() - Copy a structure out of guest memory, once
 * @dst:	Local copy
 * @src:	Guest memory
 * @len:	Bytes to copy
 *
 * The compiler barrier keeps the compiler from reading guest memory again
 * in place of the copy, which the guest may have changed in between.
 */
static void virtio_read_once(void *dst, const void *src, size_t len)
{
	memcpy(dst, src, len);
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
}

/**
 * virtq_get16() - Read a 16-bit ring field, once
 * @p:		Field in guest memory, aligned
 *
 * Return: value, host order
 */
static uint16_t virtq_get16(const uint8_t *p)
{
	return le16toh(__atomic_load_n((const uint16_t *)p, __ATOMIC_RELAXED));
}

/**
 * virtq_put16() - Write a 16-bit ring field
 * @p:		Field in guest memory, aligned
 * @v:		Value, host order
 */
static void virtq_put16(uint8_t *p, uint16_t v)
{
	uint16_t le = htole16(v);

	memcpy(p, &le, sizeof(le));
}

/**
 * virtio_gpa() - Translate a guest physical address
 * @m:		Guest memory map
 * @gpa:	Guest address
 * @len:	Bytes wanted from @gpa
 * @avail:	Bytes from @gpa up to @len that lie in the same region, set
 *		on success
 *
 * Return: our address of @gpa, NULL if it lies in no region
 */
uint8_t *virtio_gpa(const struct virtio_mem *m, uint64_t gpa, uint64_t len,
		    uint64_t *avail)
{
	unsigned i;

	for (i = 0; i < m->count; i++) {
		const struct virtio_region *r = &m->r[i];
		uint64_t off;

		if (gpa < r->gpa || gpa - r->gpa >= r->size)
			continue;

		off = gpa - r->gpa;
		*avail = MIN(len, r->size - off);
		return r->host + off;
	}

	return NULL;
}

/**
 * virtio_qva() - Translate a range of front end addresses
 * @m:		Guest memory map
 * @qva:	Front end address
 * @len:	Length of the range, not zero
 *
 * Return: our address of @qva, NULL unless the whole range lies in one
 *	   region
 */
void *virtio_qva(const struct virtio_mem *m, uint64_t qva, uint64_t len)
{
	unsigned i;

	for (i = 0; i < m->count; i++) {
		const struct virtio_region *r = &m->r[i];
		uint64_t off;

		if (qva < r->qva || qva - r->qva >= r->size)
			continue;

		off = qva - r->qva;
		if (len > r->size - off)
			return NULL;
		return r->host + off;
	}

	return NULL;
}

/**
 * virtio_mem_unmap() - Drop every region of a memory map
 * @m:		Guest memory map
 *
 * #syscalls:vu munmap
 */
void virtio_mem_unmap(struct virtio_mem *m)
{
	unsigned i;

	for (i = 0; i < m->count; i++)
		munmap(m->r[i].map, m->r[i].map_len);
	memset(m, 0, sizeof(*m));
}

/**
 * virtio_log_write() - Log a write to guest memory, while logging is on
 * @d:		Device
 * @gpa:	Guest address written
 * @len:	Bytes written
 */
void virtio_log_write(struct virtio_dev *d, uint64_t gpa, uint64_t len)
{
	uint64_t page, last;

	if (!len || !d->log.bitmap || !virtio_has(d, VHOST_F_LOG_ALL))
		return;

	page = gpa / VIRTIO_LOG_PAGE;
	last = (gpa + MIN(len - 1, UINT64_MAX - gpa)) / VIRTIO_LOG_PAGE;
	for (; page <= last; page++) {
		if (page / 8 >= d->log.size) {
			warn_ratelimit("vhost-user: dirty log of %lu bytes "
				       "doesn't cover guest address 0x%lx",
				       (unsigned long)d->log.size,
				       (unsigned long)(page * VIRTIO_LOG_PAGE));
			break;
		}
		/* The front end reads and clears the log concurrently */
		__atomic_fetch_or(&d->log.bitmap[page / 8],
				  (uint8_t)(1U << (page % 8)),
				  __ATOMIC_RELAXED);
	}
	d->log.dirty = true;
}

/**
 * virtio_log_unmap() - Drop the dirty log, and close its eventfd
 * @log:	Dirty page log
 *
 * #syscalls:vu munmap close
 */
void virtio_log_unmap(struct virtio_log *log)
{
	if (log->map)
		munmap(log->map, log->map_len);
	if (log->fd >= 0)
		close(log->fd);
	memset(log, 0, sizeof(*log));
	log->fd = -1;
}

/**
 * virtio_eventfd_signal() - Add one to an eventfd
 * @fd:		Eventfd, non-blocking, or -1 for none
 *
 * A full counter (EAGAIN) already means "signalled": nothing is lost.
 *
 * #syscalls:vu write
 */
void virtio_eventfd_signal(int fd)
{
	uint64_t one = 1;

	if (fd >= 0 && write(fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		debug_ratelimit("vhost-user: can't signal eventfd: %s",
				strerror(errno));
}

/**
 * virtio_log_signal() - Tell the front end that pages were logged
 * @d:		Device
 */
void virtio_log_signal(struct virtio_dev *d)
{
	if (!d->log.dirty)
		return;
	d->log.dirty = false;
	virtio_eventfd_signal(d->log.fd);
}

/**
 * virtq_num_valid() - Check a queue size
 * @num:	Queue size
 *
 * Return: true for a power of two from 1 to VIRTQ_SIZE_MAX
 */
bool virtq_num_valid(unsigned num)
{
	return num && num <= VIRTQ_SIZE_MAX && !(num & (num - 1));
}

/**
 * virtq_init() - Set a queue to its state before the front end sets it up
 * @vq:		Queue, whose descriptors must be closed already
 */
void virtq_init(struct virtq *vq)
{
	memset(vq, 0, sizeof(*vq));
	vq->kick_fd = vq->call_fd = vq->err_fd = -1;
}

/**
 * virtq_map() - Translate the ring addresses of a queue
 * @d:		Device, with its memory map
 * @vq:		Queue, with its size and addresses set
 *
 * Return: 0 on success, EINVAL for a misaligned ring, EFAULT for one that
 *	   lies outside guest memory; the rings are unmapped on failure
 */
int virtq_map(const struct virtio_dev *d, struct virtq *vq)
{
	uint64_t desc_len = (uint64_t)vq->num * VIRTQ_DESC_SIZE;
	uint64_t avail_len = VIRTQ_RING_OFF + (uint64_t)vq->num * 2 + 2;
	uint64_t used_len = VIRTQ_RING_OFF +
			    (uint64_t)vq->num * VIRTQ_USED_ELEM_SIZE + 2;
	void *desc, *avail, *used;

	vq->desc = NULL;
	vq->avail = vq->used = NULL;

	if (!vq->addr_set || !virtq_num_valid(vq->num))
		return EINVAL;
	if (vq->desc_qva % VIRTQ_DESC_ALIGN ||
	    vq->avail_qva % VIRTQ_AVAIL_ALIGN ||
	    vq->used_qva % VIRTQ_USED_ALIGN)
		return EINVAL;

	desc = virtio_qva(&d->mem, vq->desc_qva, desc_len);
	avail = virtio_qva(&d->mem, vq->avail_qva, avail_len);
	used = virtio_qva(&d->mem, vq->used_qva, used_len);
	if (!desc || !avail || !used)
		return EFAULT;

	/* Mappings are page aligned, so alignment carries over */
	vq->desc = desc;
	vq->avail = avail;
	vq->used = used;
	return 0;
}

/**
 * virtq_start() - Start processing a queue, from where the guest is
 * @vq:		Queue, mapped
 *
 * The used index is the guest's: entries it has already seen stay seen.
 */
void virtq_start(struct virtq *vq)
{
	uint16_t idx = virtq_get16(vq->used + VIRTQ_IDX_OFF);

	vq->used_idx = vq->used_published = idx;
	vq->signalled_valid = false;
	vq->started = true;
}

/**
 * virtq_ready() - Can a queue be processed?
 * @vq:		Queue
 *
 * Return: true if started, mapped and not broken
 */
bool virtq_ready(const struct virtq *vq)
{
	return vq->started && vq->desc && !vq->broken;
}

/**
 * virtq_break() - Mark a queue broken, because the guest broke a rule
 * @vq:		Queue
 * @why:	What it did
 */
void virtq_break(struct virtq *vq, const char *why)
{
	if (vq->broken)
		return;

	vq->broken = true;
	warn_ratelimit("vhost-user: queue broken: %s", why);
	virtio_eventfd_signal(vq->err_fd);
}

/**
 * virtq_pending() - Count the buffers the guest made available to us
 * @vq:		Queue, ready
 * @count:	Number of entries we haven't taken, set on success
 *
 * Return: 0 on success, EINVAL if the index jumped by more than the queue
 *	   size (the queue is then broken)
 */
int virtq_pending(struct virtq *vq, unsigned *count)
{
	/* Acquire: ring entries are read after the index that covers them */
	uint16_t idx = le16toh(__atomic_load_n(
		(const uint16_t *)(vq->avail + VIRTQ_IDX_OFF),
		__ATOMIC_ACQUIRE));
	unsigned n = (uint16_t)(idx - vq->last_avail);

	if (n > vq->num) {
		virtq_break(vq, "available index jumped past the queue size");
		return EINVAL;
	}

	*count = n;
	return 0;
}

/**
 * virtq_pop() - Take the next descriptor chain the guest made available
 * @vq:		Queue, ready
 * @head:	First descriptor of the chain, set on success
 *
 * Return: 0 on success, ENOENT if there is none, EINVAL if the queue broke
 */
int virtq_pop(struct virtq *vq, uint16_t *head)
{
	unsigned count, slot;
	uint16_t h;
	int rc;

	rc = virtq_pending(vq, &count);
	if (rc)
		return rc;
	if (!count)
		return ENOENT;

	slot = vq->last_avail & (vq->num - 1);
	h = virtq_get16(vq->avail + VIRTQ_RING_OFF + 2 * (size_t)slot);
	if (h >= vq->num) {
		virtq_break(vq, "available ring names a descriptor past the "
			    "table");
		return EINVAL;
	}

	vq->last_avail++;
	*head = h;
	return 0;
}

/**
 * virtq_rewind() - Give back the chains taken last, unused, to be taken
 *		    again
 * @vq:		Queue
 * @n:		Number of chains, the last ones taken
 */
void virtq_rewind(struct virtq *vq, unsigned n)
{
	vq->last_avail = (uint16_t)(vq->last_avail - n);
}

/**
 * virtq_desc_read() - Read one descriptor out of a table, once
 * @table:	Descriptor table, in guest memory
 * @i:		Index, checked by the caller
 * @d:		Local copy, host order
 */
static void virtq_desc_read(const uint8_t *table, unsigned i,
			    struct virtq_desc *d)
{
	struct virtq_desc le;

	virtio_read_once(&le, table + (size_t)i * VIRTQ_DESC_SIZE, sizeof(le));
	d->addr = le64toh(le.addr);
	d->len = le32toh(le.len);
	d->flags = le16toh(le.flags);
	d->next = le16toh(le.next);
}

/**
 * virtq_seg_add() - Translate a buffer into segments of our memory
 * @d:		Device
 * @desc:	Descriptor of the buffer
 * @seg:	Segments, appended to
 * @seg_max:	Room in @seg
 * @nseg:	Segments in @seg, updated
 *
 * Return: 0 on success, EFAULT if part of the buffer lies outside guest
 *	   memory, EMSGSIZE if it takes more than @seg_max segments
 */
static int virtq_seg_add(const struct virtio_dev *d,
			 const struct virtq_desc *desc, struct virtq_seg *seg,
			 size_t seg_max, size_t *nseg)
{
	uint64_t gpa = desc->addr, left = desc->len;

	if (left && gpa > UINT64_MAX - (left - 1))
		return EFAULT;

	while (left) {
		uint64_t avail;
		uint8_t *p = virtio_gpa(&d->mem, gpa, left, &avail);

		if (!p)
			return EFAULT;
		if (*nseg == seg_max)
			return EMSGSIZE;

		seg[*nseg].p = p;
		seg[*nseg].len = avail;
		seg[*nseg].gpa = gpa;
		seg[*nseg].write = !!(desc->flags & VIRTQ_DESC_F_WRITE);
		(*nseg)++;

		gpa += avail;
		left -= avail;
	}

	return 0;
}

/**
 * virtq_chain() - Walk a descriptor chain, direct or through an indirect
 *		   table, and translate its buffers
 * @d:		Device
 * @vq:		Queue, ready
 * @head:	First descriptor of the chain, below the queue size
 * @seg:	Segments of the chain's buffers, in order, set on success
 * @seg_max:	Room in @seg
 * @nseg:	Number of segments, set on success
 *
 * Device-readable buffers come first, then device-writable ones (2.7.4.2).
 *
 * Return: 0 on success; EMSGSIZE if the chain holds more than @seg_max
 *	   segments (the queue is fine, the chain can't be used); EINVAL if
 *	   the chain broke a rule, and the queue is broken
 */
int virtq_chain(const struct virtio_dev *d, struct virtq *vq, uint16_t head,
		struct virtq_seg *seg, size_t seg_max, size_t *nseg)
{
	const uint8_t *table = vq->desc;
	unsigned table_num = vq->num, seen = 0, i = head;
	bool indirect = false, writable = false;
	const char *why;

	*nseg = 0;

	for (;;) {
		struct virtq_desc desc;
		int rc;

		if (i >= table_num) {
			why = "descriptor index past the table";
			goto broken;
		}
		if (++seen > table_num) {
			why = "descriptor loop, or chain longer than the table";
			goto broken;
		}

		virtq_desc_read(table, i, &desc);

		if (desc.flags & VIRTQ_DESC_F_INDIRECT) {
			uint64_t avail;

			if (indirect) {
				why = "indirect table inside an indirect table";
				goto broken;
			}
			if (!virtio_has(d, VIRTIO_RING_F_INDIRECT_DESC)) {
				why = "indirect descriptor, not negotiated";
				goto broken;
			}
			if (desc.flags & VIRTQ_DESC_F_NEXT) {
				why = "indirect descriptor with a next one";
				goto broken;
			}
			if (!desc.len || desc.len % VIRTQ_DESC_SIZE ||
			    desc.len / VIRTQ_DESC_SIZE > VIRTQ_INDIRECT_MAX) {
				why = "indirect table of a bad length";
				goto broken;
			}

			table = virtio_gpa(&d->mem, desc.addr, desc.len,
					   &avail);
			if (!table || avail != desc.len) {
				why = "indirect table outside guest memory";
				goto broken;
			}

			table_num = desc.len / VIRTQ_DESC_SIZE;
			indirect = true;
			seen = 0;
			i = 0;
			continue;
		}

		if (desc.flags & VIRTQ_DESC_F_WRITE) {
			writable = true;
		} else if (writable) {
			why = "readable buffer after a writable one";
			goto broken;
		}

		rc = virtq_seg_add(d, &desc, seg, seg_max, nseg);
		if (rc == EFAULT) {
			why = "buffer outside guest memory";
			goto broken;
		}
		if (rc)
			return rc;

		if (!(desc.flags & VIRTQ_DESC_F_NEXT))
			return 0;
		i = desc.next;
	}

broken:
	virtq_break(vq, why);
	return EINVAL;
}

/**
 * virtq_used_put() - Fill the next entry of the used ring, not yet
 *		      published
 * @d:		Device
 * @vq:		Queue, ready
 * @head:	First descriptor of the chain we are done with
 * @len:	Bytes we wrote into its buffers
 */
void virtq_used_put(struct virtio_dev *d, struct virtq *vq, uint16_t head,
		    uint32_t len)
{
	unsigned slot = vq->used_idx & (vq->num - 1);
	size_t off = VIRTQ_RING_OFF + (size_t)slot * VIRTQ_USED_ELEM_SIZE;
	uint32_t *elem = (uint32_t *)(vq->used + off);

	__atomic_store_n(&elem[0], htole32(head), __ATOMIC_RELAXED);
	__atomic_store_n(&elem[1], htole32(len), __ATOMIC_RELAXED);
	if (vq->log_used)
		virtio_log_write(d, vq->log_gpa + off, VIRTQ_USED_ELEM_SIZE);

	vq->used_idx++;
}

/**
 * virtq_used_publish() - Show the guest the used entries filled so far
 * @d:		Device
 * @vq:		Queue, ready
 */
void virtq_used_publish(struct virtio_dev *d, struct virtq *vq)
{
	if (vq->used_published == vq->used_idx)
		return;

	/* Release: entries and buffers are visible before the index */
	__atomic_store_n((uint16_t *)(vq->used + VIRTQ_IDX_OFF),
			 htole16(vq->used_idx), __ATOMIC_RELEASE);
	if (vq->log_used)
		virtio_log_write(d, vq->log_gpa + VIRTQ_IDX_OFF, 2);
	vq->used_published = vq->used_idx;
}

/**
 * virtq_signal() - Signal the guest about used buffers, unless it asked
 *		    not to hear of them yet
 * @d:		Device
 * @vq:		Queue, ready, with its used index published
 */
void virtq_signal(struct virtio_dev *d, struct virtq *vq)
{
	uint16_t old = vq->signalled_used, new_idx = vq->used_published;
	bool valid = vq->signalled_valid, need;

	if (valid && old == new_idx)
		return;
	vq->signalled_used = new_idx;
	vq->signalled_valid = true;

	/* The index we published before the flag or event we read */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);

	if (virtio_has(d, VIRTIO_RING_F_EVENT_IDX)) {
		uint16_t event = virtq_get16(vq->avail + VIRTQ_RING_OFF +
					     2 * (size_t)vq->num);

		need = !valid || virtq_need_event(event, new_idx, old);
	} else {
		uint16_t flags = virtq_get16(vq->avail);

		need = !(flags & VIRTQ_AVAIL_F_NO_INTERRUPT);
	}

	if (need)
		virtio_eventfd_signal(vq->call_fd);
}

/**
 * virtq_kick_enable() - Ask for a kick when the guest makes buffers
 *			 available, or say we need none
 * @d:		Device
 * @vq:		Queue, ready
 * @on:		Ask for a kick on the next buffer made available
 *
 * With the event index, we can only ask for a kick at a given index: not
 * asking leaves the old index, passed long ago, so kicks stop. The caller
 * checks for buffers again afterwards: the guest may have made some
 * available before it saw our request.
 */
void virtq_kick_enable(struct virtio_dev *d, struct virtq *vq, bool on)
{
	if (virtio_has(d, VIRTIO_RING_F_EVENT_IDX)) {
		size_t off = VIRTQ_RING_OFF +
			     (size_t)vq->num * VIRTQ_USED_ELEM_SIZE;
		uint16_t idx = virtq_get16(vq->avail + VIRTQ_IDX_OFF);

		if (!on)
			return;
		virtq_put16(vq->used + off, idx);
		if (vq->log_used)
			virtio_log_write(d, vq->log_gpa + off, 2);
	} else {
		virtq_put16(vq->used, on ? 0 : VIRTQ_USED_F_NO_NOTIFY);
		if (vq->log_used)
			virtio_log_write(d, vq->log_gpa, 2);
	}

	/* Our request before the index the caller reads next */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}
