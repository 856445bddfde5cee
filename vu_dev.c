// SPDX-License-Identifier: GPL-2.0-or-later
/* vu_dev.c - the virtio-net device a vhost-user front end sets up: one
 * handler per request (features, guest memory, the dirty log, the queues,
 * configuration space, device state), and the device they build
 *
 * vhost_user.c checks each message's payload size and descriptor count
 * against its request before a handler here sees it; handlers check what
 * the payload says. A refused request changes nothing. Work that must
 * follow the reply (a queue that may run now, the guest's addresses to ask
 * for, a device state transfer) is left for vu_dev_after_reply().
 *
 * Every descriptor the front end gives us, and every mapping of its
 * memory, is held here, and released by vu_dev_stop() when it goes.
 */

#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "arp.h"
#include "ctx.h"
#include "epoll_ref.h"
#include "log.h"
#include "migrate.h"
#include "ndp.h"
#include "util.h"
#include "virtio.h"
#include "vu_dev.h"
#include "vu_l2.h"

/* Sizes in payloads we parse */
#define VU_MEM_HDR_LEN		8
#define VU_REGION_LEN		32
#define VU_CONFIG_HDR_LEN	12

/* Device state transfer: the longest it may take, and the largest stream
 * we take (a stream without flows is a few hundred bytes)
 */
#define VU_STATE_TIMEOUT_S	5
#define VU_STATE_MAX		(1ULL << 30)

/* virtio-net configuration space: status, link up; one queue pair; MTU */
#define VU_CONFIG_STATUS	6
#define VU_CONFIG_PAIRS		8
#define VU_CONFIG_MTU		10
#define VIRTIO_NET_S_LINK_UP	1

static struct virtio_dev vu_vdev;
static uint64_t vu_protocol;	/* Protocol features the front end set */

/* Work for after the reply: queues that may be ready, the guest's
 * addresses to ask for, a device state transfer
 */
static unsigned vu_ready_pending;
static bool vu_probe_pending;
static int vu_state_fd = -1;
static uint32_t vu_state_dir;
static int vu_state_result;
/* Our state went out to the front end: until it cancels, or goes away, the
 * guest runs elsewhere
 */
static bool vu_state_saved;

/**
 * vu_features() - Features we offer
 * @c:		Execution context
 *
 * Checksums and segmentation both ways: we terminate TCP and UDP, so we
 * need neither checksums nor segment boundaries from the guest, and give
 * it as few of either as it takes.
 *
 * Return: feature bits; the MTU only if we give the guest one
 */
static uint64_t vu_features(const struct ctx *c)
{
	uint64_t f = VIRTIO_BIT(VIRTIO_F_VERSION_1) |
		     VIRTIO_BIT(VIRTIO_NET_F_CSUM) |
		     VIRTIO_BIT(VIRTIO_NET_F_GUEST_CSUM) |
		     VIRTIO_BIT(VIRTIO_NET_F_GUEST_TSO4) |
		     VIRTIO_BIT(VIRTIO_NET_F_GUEST_TSO6) |
		     VIRTIO_BIT(VIRTIO_NET_F_HOST_TSO4) |
		     VIRTIO_BIT(VIRTIO_NET_F_HOST_TSO6) |
		     VIRTIO_BIT(VIRTIO_NET_F_HOST_USO) |
		     VIRTIO_BIT(VIRTIO_NET_F_MRG_RXBUF) |
		     VIRTIO_BIT(VIRTIO_RING_F_EVENT_IDX) |
		     VIRTIO_BIT(VIRTIO_RING_F_INDIRECT_DESC) |
		     VIRTIO_BIT(VHOST_F_LOG_ALL) |
		     VIRTIO_BIT(VHOST_USER_F_PROTOCOL_FEATURES);

	if (c->mtu > 0 && c->mtu <= UINT16_MAX)
		f |= VIRTIO_BIT(VIRTIO_NET_F_MTU);
	return f;
}

/* Protocol features we offer */
#define VU_PROTOCOL_FEATURES						\
	(VIRTIO_BIT(VHOST_USER_PROTOCOL_F_LOG_SHMFD) |			\
	 VIRTIO_BIT(VHOST_USER_PROTOCOL_F_RARP) |			\
	 VIRTIO_BIT(VHOST_USER_PROTOCOL_F_REPLY_ACK) |			\
	 VIRTIO_BIT(VHOST_USER_PROTOCOL_F_CONFIG) |			\
	 VIRTIO_BIT(VHOST_USER_PROTOCOL_F_DEVICE_STATE))

/**
 * vu_protocol_has() - Did the front end set a protocol feature?
 * @bit:	Protocol feature bit
 *
 * Return: true if set
 */
static bool vu_protocol_has(unsigned bit)
{
	return !!(vu_protocol & VIRTIO_BIT(bit));
}

/**
 * vu_u64() - Read the payload of a message as one 64-bit value
 * @m:		Message, with at least 8 bytes of payload
 *
 * Return: value
 */
static uint64_t vu_u64(const struct vu_msg *m)
{
	uint64_t v;

	memcpy(&v, m->payload, sizeof(v));
	return v;
}

/**
 * vu_reply_u64() - Set a reply's payload to one 64-bit value
 * @r:		Reply
 * @v:		Value
 */
static void vu_reply_u64(struct vu_reply *r, uint64_t v)
{
	memcpy(r->payload, &v, sizeof(v));
	r->size = sizeof(v);
}

/**
 * vu_fd_take() - Take the first descriptor of a message
 * @m:		Message, with at least one descriptor
 *
 * Return: descriptor, now the caller's
 */
static int vu_fd_take(struct vu_msg *m)
{
	int fd = m->fds[0];

	m->fds[0] = -1;
	return fd;
}

/**
 * vu_fd_replace() - Close a descriptor we hold, keep another one instead
 * @slot:	Where we hold it
 * @fd:		New descriptor, or -1
 *
 * #syscalls:vu close
 */
static void vu_fd_replace(int *slot, int fd)
{
	if (*slot >= 0)
		close(*slot);
	*slot = fd;
}

/**
 * vu_queue() - Find the queue a vring state payload names
 * @m:		Message, with a vring state (index, number) payload
 * @num:	Number from the payload, set if not NULL
 *
 * Return: queue, NULL if the index names none
 */
static struct virtq *vu_queue(const struct vu_msg *m, uint32_t *num)
{
	uint32_t index;

	memcpy(&index, m->payload, sizeof(index));
	if (num)
		memcpy(num, m->payload + 4, sizeof(*num));
	if (index >= VIRTIO_NET_QUEUES)
		return NULL;
	return &vu_vdev.vq[index];
}

/**
 * vu_queue_index() - Index of a queue of our device
 * @vq:		Queue
 *
 * Return: index
 */
static unsigned vu_queue_index(const struct virtq *vq)
{
	return (unsigned)(vq - vu_vdev.vq);
}

/**
 * vu_kick_unwatch() - Stop watching a queue's kick eventfd, and close it
 * @c:		Execution context
 * @vq:		Queue
 */
static void vu_kick_unwatch(const struct ctx *c, struct virtq *vq)
{
	if (vq->kick_fd < 0)
		return;
	epoll_ref_del(c->epollfd, vq->kick_fd);
	vu_fd_replace(&vq->kick_fd, -1);
}

/**
 * vu_queue_stop() - Stop a queue: we give back what we hold of it, and
 *		     touch it no more until it is started again
 * @c:		Execution context
 * @vq:		Queue
 */
static void vu_queue_stop(const struct ctx *c, struct virtq *vq)
{
	if (vq->started)
		vu_l2_queue_stop(vu_queue_index(vq));
	vq->started = false;
	vu_kick_unwatch(c, vq);
}

/**
 * vu_get_features() - GET_FEATURES: the features we offer
 * @c:		Execution context
 * @m:		Message
 * @r:		Reply: u64
 *
 * Return: 0
 */
int vu_get_features(struct ctx *c, struct vu_msg *m,
		    struct vu_reply *r)
{
	(void)m;
	vu_reply_u64(r, vu_features(c));
	return 0;
}

/**
 * vu_set_features() - SET_FEATURES: the features the front end takes
 * @c:		Execution context
 * @m:		Message: u64
 * @r:		Reply, unused
 *
 * While a queue runs, only dirty page logging may be switched.
 *
 * Return: 0, EINVAL for features we don't offer or without version 1,
 *	   EBUSY for changes to a running device
 */
int vu_set_features(struct ctx *c, struct vu_msg *m,
		    struct vu_reply *r)
{
	uint64_t f = vu_u64(m), changed = f ^ vu_vdev.features;
	unsigned i;

	(void)r;

	if (f & ~vu_features(c) || !(f & VIRTIO_BIT(VIRTIO_F_VERSION_1)))
		return EINVAL;

	for (i = 0; i < VIRTIO_NET_QUEUES; i++) {
		if (vu_vdev.vq[i].started &&
		    (changed & ~VIRTIO_BIT(VHOST_F_LOG_ALL)))
			return EBUSY;
	}

	vu_vdev.features = f;
	return 0;
}

/**
 * vu_get_protocol_features() - GET_PROTOCOL_FEATURES: what we offer
 * @c:		Execution context, unused
 * @m:		Message
 * @r:		Reply: u64
 *
 * Return: 0
 */
int vu_get_protocol_features(struct ctx *c, struct vu_msg *m,
			     struct vu_reply *r)
{
	(void)c;
	(void)m;
	vu_reply_u64(r, VU_PROTOCOL_FEATURES);
	return 0;
}

/**
 * vu_set_protocol_features() - SET_PROTOCOL_FEATURES: what the front end
 *				takes
 * @c:		Execution context, unused
 * @m:		Message: u64
 * @r:		Reply, unused
 *
 * Return: 0, EINVAL for protocol features we don't offer
 */
int vu_set_protocol_features(struct ctx *c, struct vu_msg *m,
			     struct vu_reply *r)
{
	uint64_t f = vu_u64(m);

	(void)c;
	(void)r;

	if (f & ~VU_PROTOCOL_FEATURES)
		return EINVAL;
	vu_protocol = f;
	return 0;
}

/**
 * vu_set_owner() - SET_OWNER: the front end starts a session
 * @c:		Execution context, unused
 * @m:		Message, unused
 * @r:		Reply, unused
 *
 * One connection is one session: there is nothing to do.
 *
 * Return: 0
 */
int vu_set_owner(struct ctx *c, struct vu_msg *m, struct vu_reply *r)
{
	(void)c;
	(void)m;
	(void)r;
	return 0;
}

/**
 * vu_reset_owner() - RESET_OWNER: stop and disable every queue
 * @c:		Execution context
 * @m:		Message, unused
 * @r:		Reply, unused
 *
 * Deprecated; the specification suggests disabling the rings.
 *
 * Return: 0
 */
int vu_reset_owner(struct ctx *c, struct vu_msg *m,
		   struct vu_reply *r)
{
	unsigned i;

	(void)m;
	(void)r;

	for (i = 0; i < VIRTIO_NET_QUEUES; i++) {
		vu_queue_stop(c, &vu_vdev.vq[i]);
		vu_vdev.vq[i].enabled = false;
	}
	return 0;
}

/**
 * vu_get_queue_num() - GET_QUEUE_NUM: queue pairs we serve
 * @c:		Execution context, unused
 * @m:		Message
 * @r:		Reply: u64
 *
 * Return: 0
 */
int vu_get_queue_num(struct ctx *c, struct vu_msg *m,
		     struct vu_reply *r)
{
	(void)c;
	(void)m;
	vu_reply_u64(r, VIRTIO_NET_QUEUES / 2);
	return 0;
}

/**
 * vu_map_fd() - Map a file the front end shares with us, checking that
 *		 it is as long as it says
 * @fd:		Descriptor
 * @off:	Offset of the part we use
 * @len:	Length of that part, not zero
 * @map:	Mapping from the start of the file, set on success
 * @map_len:	Length of @map, set on success
 *
 * Mapping past the end of a file would fault on first access: refused.
 *
 * Return: 0 on success, a positive errno on failure
 *
 * #syscalls:vu newfstatat|fstat mmap
 */
static int vu_map_fd(int fd, uint64_t off, uint64_t len, void **map,
		     size_t *map_len)
{
	struct stat st;
	void *p;

	if (off > UINT64_MAX - len || off + len > SIZE_MAX)
		return EINVAL;
	if (fstat(fd, &st))
		return errno;
	if (S_ISREG(st.st_mode) && (uint64_t)st.st_size < off + len)
		return EINVAL;

	/* From the start: offsets in huge page files needn't be aligned */
	p = mmap(NULL, (size_t)(off + len), PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_NORESERVE, fd, 0);
	if (p == MAP_FAILED)
		return errno;

	*map = p;
	*map_len = (size_t)(off + len);
	return 0;
}

/**
 * vu_ranges_overlap() - Do two address ranges overlap?
 * @a:		Start of the first
 * @a_len:	Its length, not zero, not wrapping
 * @b:		Start of the second
 * @b_len:	Its length, not zero, not wrapping
 *
 * Return: true if they share an address
 */
static bool vu_ranges_overlap(uint64_t a, uint64_t a_len, uint64_t b,
			      uint64_t b_len)
{
	return a <= b + (b_len - 1) && b <= a + (a_len - 1);
}

/**
 * vu_region_check() - Check a region against itself and the ones before it
 * @mem:	Memory map built so far
 * @r:		New region
 *
 * Return: 0 if valid, EINVAL for a zero-sized, wrapping or overlapping one
 */
static int vu_region_check(const struct virtio_mem *mem,
			   const struct virtio_region *r)
{
	unsigned i;

	if (!r->size || r->gpa > UINT64_MAX - (r->size - 1) ||
	    r->qva > UINT64_MAX - (r->size - 1))
		return EINVAL;

	for (i = 0; i < mem->count; i++) {
		const struct virtio_region *o = &mem->r[i];

		if (vu_ranges_overlap(r->gpa, r->size, o->gpa, o->size) ||
		    vu_ranges_overlap(r->qva, r->size, o->qva, o->size))
			return EINVAL;
	}

	return 0;
}

/**
 * vu_set_mem_table() - SET_MEM_TABLE: map guest memory, drop the old map
 * @c:		Execution context
 * @m:		Message: region count, padding, regions; one descriptor
 *		per region
 * @r:		Reply, unused
 *
 * The new map is complete before the old one goes, and queues are
 * translated again through it: a running queue that no longer fits in
 * guest memory is broken.
 *
 * Return: 0 on success, EINVAL for a malformed table, or the error from
 *	   mapping a region: the old map then stays
 */
int vu_set_mem_table(struct ctx *c, struct vu_msg *m,
		     struct vu_reply *r)
{
	struct virtio_mem mem = { 0 };
	uint32_t n, i;
	int rc = 0;

	(void)c;
	(void)r;

	if (m->size < VU_MEM_HDR_LEN)
		return EINVAL;
	memcpy(&n, m->payload, sizeof(n));
	if (!n || n > VIRTIO_MEM_REGIONS_MAX || n != m->nfds ||
	    m->size != VU_MEM_HDR_LEN + n * VU_REGION_LEN)
		return EINVAL;

	for (i = 0; i < n; i++) {
		const uint8_t *p = m->payload + VU_MEM_HDR_LEN +
				   (size_t)i * VU_REGION_LEN;
		struct virtio_region *reg = &mem.r[i];
		uint64_t off;

		memcpy(&reg->gpa, p, 8);
		memcpy(&reg->size, p + 8, 8);
		memcpy(&reg->qva, p + 16, 8);
		memcpy(&off, p + 24, 8);

		rc = vu_region_check(&mem, reg);
		if (!rc)
			rc = vu_map_fd(m->fds[i], off, reg->size, &reg->map,
				       &reg->map_len);
		if (rc)
			break;

		reg->host = (uint8_t *)reg->map + off;
		mem.count++;
	}

	if (rc) {
		virtio_mem_unmap(&mem);
		return rc;
	}

	virtio_mem_unmap(&vu_vdev.mem);
	vu_vdev.mem = mem;

	for (i = 0; i < VIRTIO_NET_QUEUES; i++) {
		struct virtq *vq = &vu_vdev.vq[i];

		if (!vq->addr_set || !vq->num)
			continue;
		if (virtq_map(&vu_vdev, vq) && vq->started)
			virtq_break(vq, "ring outside the new memory map");
	}

	for (i = 0; i < vu_vdev.mem.count; i++) {
		debug("vhost-user: guest memory 0x%llx to 0x%llx",
		      (unsigned long long)vu_vdev.mem.r[i].gpa,
		      (unsigned long long)(vu_vdev.mem.r[i].gpa +
					   vu_vdev.mem.r[i].size - 1));
	}
	return 0;
}

/**
 * vu_set_log_base() - SET_LOG_BASE: map the dirty page log
 * @c:		Execution context, unused
 * @m:		Message: log size, offset; one descriptor
 * @r:		Reply: u64, zero
 *
 * Return: 0 on success, EINVAL without shared memory logging or for an
 *	   empty log, or the error from mapping it
 *
 * #syscalls:vu munmap
 */
int vu_set_log_base(struct ctx *c, struct vu_msg *m,
		    struct vu_reply *r)
{
	struct virtio_log *log = &vu_vdev.log;
	size_t map_len = 0;
	uint64_t size, off;
	void *map = NULL;
	int rc;

	(void)c;

	if (!vu_protocol_has(VHOST_USER_PROTOCOL_F_LOG_SHMFD))
		return EINVAL;

	memcpy(&size, m->payload, sizeof(size));
	memcpy(&off, m->payload + 8, sizeof(off));
	if (!size)
		return EINVAL;

	rc = vu_map_fd(m->fds[0], off, size, &map, &map_len);
	if (rc)
		return rc;

	if (log->map)
		munmap(log->map, log->map_len);
	log->map = map;
	log->map_len = map_len;
	log->bitmap = (uint8_t *)map + off;
	log->size = size;

	vu_reply_u64(r, 0);
	return 0;
}

/**
 * vu_set_log_fd() - SET_LOG_FD: the eventfd we signal after logging pages
 * @c:		Execution context, unused
 * @m:		Message: one descriptor
 * @r:		Reply, unused
 *
 * Return: 0, or an error from making it non-blocking
 */
int vu_set_log_fd(struct ctx *c, struct vu_msg *m, struct vu_reply *r)
{
	int rc;

	(void)c;
	(void)r;

	rc = fd_set_nonblock(m->fds[0]);
	if (rc)
		return rc;
	vu_fd_replace(&vu_vdev.log.fd, vu_fd_take(m));
	return 0;
}

/**
 * vu_set_vring_num() - SET_VRING_NUM: the size of a queue
 * @c:		Execution context, unused
 * @m:		Message: vring state
 * @r:		Reply, unused
 *
 * Return: 0, EINVAL for a bad index or a size that is not a power of two
 *	   up to 32768, EBUSY for a running queue
 */
int vu_set_vring_num(struct ctx *c, struct vu_msg *m,
		     struct vu_reply *r)
{
	struct virtq *vq;
	uint32_t num;

	(void)c;
	(void)r;

	vq = vu_queue(m, &num);
	if (!vq || !virtq_num_valid(num))
		return EINVAL;
	if (vq->started)
		return EBUSY;

	vq->num = num;
	vq->desc = NULL;
	return 0;
}

/**
 * vu_set_vring_addr() - SET_VRING_ADDR: where a queue's rings are
 * @c:		Execution context, unused
 * @m:		Message: index, flags, descriptor table, used ring,
 *		available ring, used ring's guest address for the log
 * @r:		Reply, unused
 *
 * QEMU sends this to a running queue to switch used ring logging. Refused
 * addresses change nothing.
 *
 * Return: 0, EINVAL for a bad index, flags or alignment, EFAULT for rings
 *	   outside guest memory
 */
int vu_set_vring_addr(struct ctx *c, struct vu_msg *m,
		      struct vu_reply *r)
{
	struct virtq *vq, set;
	uint32_t flags;

	(void)c;
	(void)r;

	vq = vu_queue(m, &flags);
	if (!vq || flags & ~VHOST_VRING_F_LOG)
		return EINVAL;

	set = *vq;
	memcpy(&set.desc_qva, m->payload + 8, sizeof(set.desc_qva));
	memcpy(&set.used_qva, m->payload + 16, sizeof(set.used_qva));
	memcpy(&set.avail_qva, m->payload + 24, sizeof(set.avail_qva));
	memcpy(&set.log_gpa, m->payload + 32, sizeof(set.log_gpa));
	set.log_used = !!(flags & VHOST_VRING_F_LOG);
	set.addr_set = true;

	/* Without a size or memory yet, we translate when the queue starts */
	if (set.num && vu_vdev.mem.count) {
		int rc = virtq_map(&vu_vdev, &set);

		if (rc)
			return rc;
	}

	*vq = set;
	return 0;
}

/**
 * vu_set_vring_base() - SET_VRING_BASE: the next entry of the available
 *			 ring to take
 * @c:		Execution context, unused
 * @m:		Message: vring state
 * @r:		Reply, unused
 *
 * Return: 0, EINVAL for a bad index or value, EBUSY for a running queue
 */
int vu_set_vring_base(struct ctx *c, struct vu_msg *m,
		      struct vu_reply *r)
{
	struct virtq *vq;
	uint32_t base;

	(void)c;
	(void)r;

	vq = vu_queue(m, &base);
	if (!vq || base > UINT16_MAX)
		return EINVAL;
	if (vq->started)
		return EBUSY;

	vq->last_avail = (uint16_t)base;
	return 0;
}

/**
 * vu_get_vring_base() - GET_VRING_BASE: stop a queue, say where it stopped
 * @c:		Execution context
 * @m:		Message: vring state
 * @r:		Reply: vring state, with the next entry we would take
 *
 * Return: 0, EINVAL for a bad index
 */
int vu_get_vring_base(struct ctx *c, struct vu_msg *m,
		      struct vu_reply *r)
{
	struct virtq *vq = vu_queue(m, NULL);
	uint32_t index, base;

	if (!vq)
		return EINVAL;

	vu_queue_stop(c, vq);

	index = vu_queue_index(vq);
	base = vq->last_avail;
	memcpy(r->payload, &index, sizeof(index));
	memcpy(r->payload + 4, &base, sizeof(base));
	r->size = VU_STATE_LEN;
	return 0;
}

/**
 * vu_vring_fd() - Check the payload and descriptor of SET_VRING_KICK,
 *		   _CALL or _ERR
 * @m:		Message: u64, queue index and flag; a descriptor unless
 *		the flag says none
 * @vq:		Queue named, set on success
 * @nofd:	Set if the message carries no descriptor
 *
 * Return: 0 on success, EINVAL for a bad index or flags, or a descriptor
 *	   count that doesn't match them
 */
static int vu_vring_fd(const struct vu_msg *m, struct virtq **vq, bool *nofd)
{
	uint64_t v = vu_u64(m);
	unsigned index = v & VHOST_USER_VRING_IDX_MASK;

	if (v & ~(uint64_t)(VHOST_USER_VRING_IDX_MASK | VHOST_USER_VRING_NOFD))
		return EINVAL;
	if (index >= VIRTIO_NET_QUEUES)
		return EINVAL;

	*nofd = !!(v & VHOST_USER_VRING_NOFD);
	if (m->nfds != (*nofd ? 0U : 1U))
		return EINVAL;

	*vq = &vu_vdev.vq[index];
	return 0;
}

/**
 * vu_set_vring_kick() - SET_VRING_KICK: the eventfd the guest kicks, which
 *			 starts the queue
 * @c:		Execution context
 * @m:		Message: u64, queue index; one descriptor
 * @r:		Reply, unused
 *
 * We don't poll queues, so a kick descriptor is required. Without protocol
 * features, a queue starts enabled.
 *
 * Return: 0, EINVAL for a bad request or a queue not fully set up (size,
 *	   addresses, features), EFAULT for rings outside guest memory, or
 *	   an error watching the descriptor
 */
int vu_set_vring_kick(struct ctx *c, struct vu_msg *m,
		      struct vu_reply *r)
{
	union epoll_ref ref = { .type = EPOLL_TYPE_VHOST_KICK };
	struct virtq *vq;
	bool nofd;
	int rc;

	(void)r;

	rc = vu_vring_fd(m, &vq, &nofd);
	if (rc)
		return rc;
	if (nofd || !virtio_has(&vu_vdev, VIRTIO_F_VERSION_1))
		return EINVAL;

	rc = virtq_map(&vu_vdev, vq);
	if (rc)
		return rc;

	if (m->fds[0] > EPOLL_REF_FD_MAX)
		return EMFILE;
	rc = fd_set_nonblock(m->fds[0]);
	if (rc)
		return rc;

	vu_kick_unwatch(c, vq);
	ref.fd = (uint32_t)m->fds[0];
	ref.index = vu_queue_index(vq);
	rc = epoll_ref_add(c->epollfd, EPOLLIN, ref);
	if (rc)
		return rc;
	vq->kick_fd = vu_fd_take(m);

	if (!vq->started) {
		virtq_start(vq);
		if (!virtio_has(&vu_vdev, VHOST_USER_F_PROTOCOL_FEATURES))
			vq->enabled = true;
	}

	vu_ready_pending |= 1U << vu_queue_index(vq);
	return 0;
}

/**
 * vu_vring_eventfd() - Take the eventfd of SET_VRING_CALL or _ERR, made
 *			non-blocking
 * @m:		Message: u64, queue index and flag; a descriptor, or none
 * @vq:		Queue named, set on success
 * @fd:		The descriptor, now ours, or -1 for none, set on success
 *
 * Return: 0, EINVAL for a bad request, or an error from making it
 *	   non-blocking
 */
static int vu_vring_eventfd(struct vu_msg *m, struct virtq **vq, int *fd)
{
	bool nofd;
	int rc;

	rc = vu_vring_fd(m, vq, &nofd);
	if (!rc && !nofd)
		rc = fd_set_nonblock(m->fds[0]);
	if (rc)
		return rc;

	*fd = nofd ? -1 : vu_fd_take(m);
	return 0;
}

/**
 * vu_set_vring_call() - SET_VRING_CALL: the eventfd we signal for used
 *			 buffers
 * @c:		Execution context, unused
 * @m:		Message: u64, queue index and flag; a descriptor, or none
 *		if the front end polls
 * @r:		Reply, unused
 *
 * A new descriptor for a running queue is signalled at once: a signal sent
 * to the old one may have been lost.
 *
 * Return: 0, EINVAL for a bad request, or an error from making it
 *	   non-blocking
 */
int vu_set_vring_call(struct ctx *c, struct vu_msg *m,
		      struct vu_reply *r)
{
	struct virtq *vq;
	int rc, fd;

	(void)c;
	(void)r;

	rc = vu_vring_eventfd(m, &vq, &fd);
	if (rc)
		return rc;

	vu_fd_replace(&vq->call_fd, fd);
	if (vq->started)
		virtio_eventfd_signal(vq->call_fd);
	return 0;
}

/**
 * vu_set_vring_err() - SET_VRING_ERR: the eventfd we signal when a queue
 *			breaks
 * @c:		Execution context, unused
 * @m:		Message: u64, queue index and flag; a descriptor, or none
 * @r:		Reply, unused
 *
 * Return: 0, EINVAL for a bad request, or an error from making it
 *	   non-blocking
 */
int vu_set_vring_err(struct ctx *c, struct vu_msg *m,
		     struct vu_reply *r)
{
	struct virtq *vq;
	int rc, fd;

	(void)c;
	(void)r;

	rc = vu_vring_eventfd(m, &vq, &fd);
	if (rc)
		return rc;

	vu_fd_replace(&vq->err_fd, fd);
	return 0;
}

/**
 * vu_set_vring_enable() - SET_VRING_ENABLE: enable or disable a queue
 * @c:		Execution context, unused
 * @m:		Message: vring state, 1 to enable, 0 to disable
 * @r:		Reply, unused
 *
 * QEMU sends this before it sets features, when it first connects.
 *
 * Return: 0, EINVAL for a bad index or value
 */
int vu_set_vring_enable(struct ctx *c, struct vu_msg *m,
			struct vu_reply *r)
{
	struct virtq *vq;
	uint32_t on;

	(void)c;
	(void)r;

	vq = vu_queue(m, &on);
	if (!vq || on > 1)
		return EINVAL;

	vq->enabled = on;
	if (on)
		vu_ready_pending |= 1U << vu_queue_index(vq);
	return 0;
}

/**
 * vu_send_rarp() - SEND_RARP: the guest moved here, announce it
 * @c:		Execution context
 * @m:		Message: the guest's MAC address in the first 6 bytes
 * @r:		Reply, unused
 *
 * We are the guest's whole link: there is nobody to announce it to. But
 * the address is the guest's, and we ask for its IP addresses at once,
 * which makes inbound traffic work before the guest says anything.
 *
 * Return: 0, EINVAL without the protocol feature or for a group or zero
 *	   address
 */
int vu_send_rarp(struct ctx *c, struct vu_msg *m, struct vu_reply *r)
{
	static const uint8_t zero[ETH_ALEN_BYTES];
	const uint8_t *mac = m->payload;

	(void)r;

	if (!vu_protocol_has(VHOST_USER_PROTOCOL_F_RARP) || (mac[0] & 1) ||
	    !memcmp(mac, zero, sizeof(zero)))
		return EINVAL;

	memcpy(c->guest_mac, mac, ETH_ALEN_BYTES);
	info("vhost-user: guest at %02x:%02x:%02x:%02x:%02x:%02x announced",
	     mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
	vu_probe_pending = true;
	return 0;
}

/**
 * vu_get_config() - GET_CONFIG: read the device configuration space
 * @c:		Execution context
 * @m:		Message: offset, size, flags, then @size bytes
 * @r:		Reply: the same, with the bytes filled in; an empty
 *		payload for a bad request, as the specification says
 *
 * We fill in the link status, one queue pair and the MTU; other fields
 * read as zero.
 *
 * Return: 0
 */
int vu_get_config(struct ctx *c, struct vu_msg *m, struct vu_reply *r)
{
	uint8_t config[VHOST_USER_CONFIG_MAX] = { 0 };
	uint32_t off, size;
	uint16_t v;

	r->size = 0;
	if (m->size < VU_CONFIG_HDR_LEN ||
	    !vu_protocol_has(VHOST_USER_PROTOCOL_F_CONFIG))
		return 0;

	memcpy(&off, m->payload, sizeof(off));
	memcpy(&size, m->payload + 4, sizeof(size));
	if (size > VHOST_USER_CONFIG_MAX ||
	    m->size != VU_CONFIG_HDR_LEN + size ||
	    off > VHOST_USER_CONFIG_MAX - size)
		return 0;

	v = htole16(VIRTIO_NET_S_LINK_UP);
	memcpy(config + VU_CONFIG_STATUS, &v, sizeof(v));
	v = htole16(VIRTIO_NET_QUEUES / 2);
	memcpy(config + VU_CONFIG_PAIRS, &v, sizeof(v));
	if (vu_features(c) & VIRTIO_BIT(VIRTIO_NET_F_MTU)) {
		v = htole16((uint16_t)c->mtu);
		memcpy(config + VU_CONFIG_MTU, &v, sizeof(v));
	}

	memcpy(r->payload, m->payload, VU_CONFIG_HDR_LEN);
	memcpy(r->payload + VU_CONFIG_HDR_LEN, config + off, size);
	r->size = VU_CONFIG_HDR_LEN + size;
	return 0;
}

/**
 * vu_set_device_state_fd() - SET_DEVICE_STATE_FD: a pipe to write our
 *			      state into, or to read it from
 * @c:		Execution context, unused
 * @m:		Message: direction, phase; one descriptor
 * @r:		Reply: u64, an error code in the low 8 bits, and the flag
 *		saying we give no descriptor back
 *
 * The transfer itself runs after the reply, when the front end reads or
 * writes the other end.
 *
 * Return: 0: errors go in the reply
 */
int vu_set_device_state_fd(struct ctx *c, struct vu_msg *m,
			   struct vu_reply *r)
{
	uint32_t dir, phase;
	int rc = 0;

	(void)c;

	memcpy(&dir, m->payload, sizeof(dir));
	memcpy(&phase, m->payload + 4, sizeof(phase));

	if (!vu_protocol_has(VHOST_USER_PROTOCOL_F_DEVICE_STATE))
		rc = ENOTSUP;
	else if (m->size != VU_STATE_LEN || m->nfds != 1 ||
		 (dir != VHOST_USER_STATE_SAVE &&
		  dir != VHOST_USER_STATE_LOAD) ||
		 phase != VHOST_USER_STATE_STOPPED)
		rc = EINVAL;
	else if (vu_state_fd >= 0)
		rc = EBUSY;

	if (rc) {
		warn_ratelimit("vhost-user: device state transfer refused: %s",
			       strerror(rc));
	} else {
		vu_state_fd = vu_fd_take(m);
		vu_state_dir = dir;
	}

	vu_reply_u64(r, VHOST_USER_STATE_NOFD | (uint64_t)(rc & 0xff));
	return 0;
}

/**
 * vu_check_device_state() - CHECK_DEVICE_STATE: how the transfer went
 * @c:		Execution context
 * @m:		Message
 * @r:		Reply: u64, 0 or the error
 *
 * With --migrate-exit, a source whose state was saved lets go of what it
 * carried away, and ends the main loop shortly after (migrate_source_exit()).
 *
 * Return: 0
 */
int vu_check_device_state(struct ctx *c, struct vu_msg *m,
			  struct vu_reply *r)
{
	(void)m;
	vu_reply_u64(r, (uint64_t)vu_state_result);

	if (vu_state_saved && !vu_state_result && c->migrate_exit) {
		vu_state_saved = false;
		migrate_source_exit(c);
	}
	return 0;
}

/**
 * vu_state_wait() - Wait until the front end's end of the transfer is
 *		     ready, or the deadline passes
 * @fd:		The front end's descriptor, non-blocking
 * @events:	POLLIN or POLLOUT
 * @deadline:	CLOCK_MONOTONIC time the transfer must end by
 *
 * Return: 0 once ready, ETIMEDOUT, or an error from poll()
 *
 * #syscalls:vu poll|ppoll clock_gettime
 */
static int vu_state_wait(int fd, short events, const struct timespec *deadline)
{
	struct pollfd pfd = { .fd = fd, .events = events };
	struct timespec now;
	int n;

	do {
		int64_t left;

		clock_gettime(CLOCK_MONOTONIC, &now);
		left = timespec_diff_ms(deadline, &now);
		if (left <= 0)
			return ETIMEDOUT;
		n = poll(&pfd, 1, (int)left);
	} while (n < 0 && errno == EINTR);

	if (n < 0)
		return errno;
	return n ? 0 : ETIMEDOUT;
}

/**
 * vu_state_copy() - Copy the stream between the front end's descriptor
 *		     and our own buffer file, by a deadline
 * @in:		Descriptor to read, to its end
 * @out:	Descriptor to write
 * @fe:		The one of @in and @out that is the front end's
 * @max:	Most bytes to take
 * @deadline:	CLOCK_MONOTONIC time the copy must end by
 *
 * Return: 0 on success, ETIMEDOUT, EFBIG past @max, or an I/O error
 *
 * #syscalls:vu read write
 */
static int vu_state_copy(int in, int out, int fe, uint64_t max,
			 const struct timespec *deadline)
{
	static uint8_t buf[1 << 16];
	uint64_t total = 0;

	for (;;) {
		ssize_t n = read(in, buf, sizeof(buf)), off = 0;
		int rc = 0;

		if (n < 0) {
			if (errno == EAGAIN && in == fe)
				rc = vu_state_wait(fe, POLLIN, deadline);
			else if (errno != EINTR)
				rc = errno;
			if (rc)
				return rc;
			continue;
		}
		if (!n)
			return 0;
		total += (uint64_t)n;
		if (total > max)
			return EFBIG;

		while (off < n) {
			ssize_t w = write(out, buf + off, (size_t)(n - off));

			if (w >= 0)
				off += w;
			else if (errno == EAGAIN && out == fe)
				rc = vu_state_wait(fe, POLLOUT, deadline);
			else if (errno != EINTR)
				rc = errno;
			if (rc)
				return rc;
		}
	}
}

/**
 * vu_state_transfer() - Write our state into the pipe the front end gave
 *			 us, or read it from there, then close it
 * @c:		Execution context
 *
 * The stream goes through a buffer file of ours, and the front end's end is
 * non-blocking, with a deadline: a front end that doesn't read, or doesn't
 * close what it writes, can't stall the daemon for longer than that. The
 * front end is stopped meanwhile, and waits for the end of the stream
 * before it asks how it went.
 *
 * Once a save is out, the guest runs elsewhere: migrate_source_commit().
 * A save that fails leaves everything running here. A new transfer after
 * a save means the migration it was for didn't happen: that save is
 * cancelled first.
 *
 * #syscalls:vu memfd_create lseek close
 */
static void vu_state_transfer(struct ctx *c)
{
	bool save = vu_state_dir == VHOST_USER_STATE_SAVE;
	int fd = vu_state_fd, buf, rc;
	struct timespec deadline;

	vu_state_fd = -1;
	if (vu_state_saved) {
		vu_state_saved = false;
		migrate_source_cancel(c);
	}

	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += VU_STATE_TIMEOUT_S;

	buf = memfd_create("passt-state", MFD_CLOEXEC);
	rc = buf < 0 ? errno : fd_set_nonblock(fd);

	if (!rc && save) {
		rc = migrate_source(c, buf);
		if (!rc && lseek(buf, 0, SEEK_SET))
			rc = errno;
		if (!rc)
			rc = vu_state_copy(buf, fd, fd, UINT64_MAX, &deadline);
		if (!rc) {
			migrate_source_commit(c);
			vu_state_saved = true;
		} else {
			migrate_source_cancel(c);
		}
	} else if (!rc) {
		rc = vu_state_copy(fd, buf, fd, VU_STATE_MAX, &deadline);
		if (!rc && lseek(buf, 0, SEEK_SET))
			rc = errno;
		if (!rc)
			rc = migrate_target(c, buf);
	}

	if (buf >= 0)
		close(buf);
	close(fd);

	vu_state_result = rc;
	if (rc)
		warn("vhost-user: device state %s failed: %s",
		     save ? "save" : "load", strerror(rc));
	else
		info("vhost-user: device state %s", save ? "saved" : "loaded");
}

/**
 * vu_dev_after_reply() - Work a request left for after its reply
 * @c:		Execution context
 */
void vu_dev_after_reply(struct ctx *c)
{
	unsigned q;

	if (vu_state_fd >= 0)
		vu_state_transfer(c);

	/* Queues running again after a save: the migration was cancelled */
	if (vu_ready_pending && vu_state_saved) {
		vu_state_saved = false;
		migrate_source_cancel(c);
	}

	for (q = 0; q < VIRTIO_NET_QUEUES; q++) {
		if (vu_ready_pending & (1U << q))
			vu_l2_queue_ready(c, q);
	}
	vu_ready_pending = 0;

	if (vu_probe_pending) {
		vu_probe_pending = false;
		arp_probe_guest(c);
		ndp_probe_guest(c);
	}
}

/**
 * vu_dev_reset() - Forget everything a front end set up, closing its
 *		       descriptors and unmapping guest memory
 * @c:		Execution context
 */
static void vu_dev_reset(const struct ctx *c)
{
	unsigned i;

	for (i = 0; i < VIRTIO_NET_QUEUES; i++) {
		struct virtq *vq = &vu_vdev.vq[i];

		vu_kick_unwatch(c, vq);
		vu_fd_replace(&vq->call_fd, -1);
		vu_fd_replace(&vq->err_fd, -1);
		virtq_init(vq);
	}

	virtio_mem_unmap(&vu_vdev.mem);
	virtio_log_unmap(&vu_vdev.log);
	vu_vdev.features = 0;
	vu_protocol = 0;

	vu_fd_replace(&vu_state_fd, -1);
	vu_state_result = EINVAL;
	vu_ready_pending = 0;
	vu_probe_pending = false;
}

/**
 * vu_dev_init() - Set the device up before any front end: no descriptors
 */
void vu_dev_init(void)
{
	unsigned i;

	for (i = 0; i < VIRTIO_NET_QUEUES; i++)
		virtq_init(&vu_vdev.vq[i]);
	vu_vdev.log.fd = -1;
	vu_state_result = EINVAL;
}

/**
 * vu_dev_start() - A new front end: a fresh device, and its frame path
 * @c:		Execution context
 */
void vu_dev_start(struct ctx *c)
{
	vu_dev_reset(c);
	vu_l2_attach(c, &vu_vdev);
	migrate_frontend_new(c);
}

/**
 * vu_dev_stop() - The front end goes: drop all it set up, without touching
 *		   guest memory
 * @c:		Execution context
 *
 * After a save, the migration went through: the target has the guest.
 */
void vu_dev_stop(struct ctx *c)
{
	vu_l2_detach(c);
	vu_dev_reset(c);
	if (vu_state_saved) {
		vu_state_saved = false;
		migrate_source_done(c);
	}
}
