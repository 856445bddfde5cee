// SPDX-License-Identifier: GPL-2.0-or-later
/* vhost_user.c - vhost-user front end: the UNIX socket QEMU connects to (or
 * an already connected one from --fd), and the vhost-user protocol spoken
 * over it, as a virtio-net back-end with one queue pair
 *
 * Each message is a 12-byte header (request, flags, payload size), its
 * payload, and descriptors passed with it (SCM_RIGHTS). Every request we
 * handle has one line in vu_handlers[], which says its payload size and
 * how many descriptors it carries; doc/vhost-user.md lists the same
 * requests, and a test compares the two. A message that breaks the framing
 * (a bad version, a payload larger than any request takes, too many
 * descriptors), an unknown request without the need_reply flag, or a
 * malformed request that would need a reply of its own, closes the
 * connection. Any other malformed or refused request is answered with an
 * error, if the front end asked for an answer, and changes nothing.
 *
 * Only one front end is served at a time. When it goes, everything it set
 * up goes with it: guest memory is unmapped, and every descriptor it gave
 * us is closed. Then we wait for the next one, or, with --one-off or --fd,
 * the daemon exits.
 *
 * Before a request changes anything, frames committed to the guest are
 * flushed: no room lent from guest memory survives a new memory map or a
 * stopped queue.
 */

#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "arp.h"
#include "ctx.h"
#include "epoll_ref.h"
#include "fe_sock.h"
#include "l2.h"
#include "log.h"
#include "migrate.h"
#include "ndp.h"
#include "util.h"
#include "vhost_user.h"
#include "virtio.h"
#include "vu_l2.h"

/* Largest payload: a device configuration space of VHOST_USER_CONFIG_MAX
 * bytes behind offset, size and flags
 */
#define VU_PAYLOAD_MAX		(12 + VHOST_USER_CONFIG_MAX)

/* Descriptors one message may carry: one per memory region */
#define VU_FDS_MAX		VIRTIO_MEM_REGIONS_MAX

/* Sizes of the payloads we take */
#define VU_U64_LEN		8
#define VU_STATE_LEN		8
#define VU_ADDR_LEN		40
#define VU_MEM_HDR_LEN		8
#define VU_REGION_LEN		32
#define VU_LOG_LEN		16
#define VU_CONFIG_HDR_LEN	12

/* How long the rest of a message, or a reply, may take */
#define VU_TIMEOUT_S		2

/* virtio-net configuration space: status, link up; one queue pair; MTU */
#define VU_CONFIG_STATUS	6
#define VU_CONFIG_PAIRS		8
#define VU_CONFIG_MTU		10
#define VIRTIO_NET_S_LINK_UP	1

/* Payload size or descriptor count checked by the handler itself */
#define VU_ANY			(-1)

/**
 * struct vu_msg - A message from the front end
 * @request:	Request, enum vhost_user_request
 * @flags:	VHOST_USER_* flags
 * @size:	Payload size
 * @payload:	Payload, host order
 * @fds:	Descriptors received with it, -1 once a handler took one
 * @nfds:	Descriptors in @fds
 * @fds_over:	More descriptors came than @fds holds (the rest are closed)
 */
struct vu_msg {
	uint32_t request;
	uint32_t flags;
	uint32_t size;
	uint8_t payload[VU_PAYLOAD_MAX];
	int fds[VU_FDS_MAX];
	unsigned nfds;
	bool fds_over;
};

/**
 * struct vu_reply - A reply's payload, written by a handler
 * @payload:	Payload
 * @size:	Bytes in @payload
 */
struct vu_reply {
	uint8_t payload[VU_PAYLOAD_MAX];
	uint32_t size;
};

/**
 * typedef vu_handler_fn - Handler of one request
 * @c:		Execution context
 * @m:		Message, payload size and descriptor count as the table says
 * @r:		Reply, for requests that have one of their own
 *
 * Return: 0 on success, a positive errno if the request is refused, and
 *	   changed nothing
 */
typedef int (*vu_handler_fn)(struct ctx *c, struct vu_msg *m,
			     struct vu_reply *r);

/**
 * struct vu_handler - What we know of a request
 * @name:	Name, for the log
 * @fn:		Handler
 * @size:	Payload size, or VU_ANY if the handler checks it
 * @fds:	Descriptor count, or VU_ANY if the handler checks it
 * @reply:	The request always has a reply of its own
 */
struct vu_handler {
	const char *name;
	vu_handler_fn fn;
	int size;
	int fds;
	bool reply;
};

static struct virtio_dev vu_vdev;
static int vu_listen_fd = -1;	/* Listening socket, -1 with --fd */
static int vu_conn_fd = -1;	/* Connected front end, -1 if none */
static bool vu_path_bound;	/* c->sock_path is ours to unlink */
static uint64_t vu_protocol;	/* Protocol features the front end set */

/* Work for after the reply: queues that may be ready, the guest's
 * addresses to ask for, a device state transfer
 */
static unsigned vu_ready_pending;
static bool vu_probe_pending;
static int vu_state_fd = -1;
static uint32_t vu_state_dir;
static int vu_state_result;

/**
 * vu_features() - Features we offer
 * @c:		Execution context
 *
 * Return: feature bits; the MTU only if we give the guest one
 */
static uint64_t vu_features(const struct ctx *c)
{
	uint64_t f = VIRTIO_BIT(VIRTIO_F_VERSION_1) |
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
static int vu_get_features(struct ctx *c, struct vu_msg *m,
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
static int vu_set_features(struct ctx *c, struct vu_msg *m,
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
static int vu_get_protocol_features(struct ctx *c, struct vu_msg *m,
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
static int vu_set_protocol_features(struct ctx *c, struct vu_msg *m,
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
static int vu_set_owner(struct ctx *c, struct vu_msg *m, struct vu_reply *r)
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
static int vu_reset_owner(struct ctx *c, struct vu_msg *m,
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
static int vu_get_queue_num(struct ctx *c, struct vu_msg *m,
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
 * #syscalls:vu fstat mmap
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
 * @m:		Message: region count, padding, regions; one descriptor per
 *		region
 * @r:		Reply, unused
 *
 * The new map is complete before the old one goes, and queues are
 * translated again through it: a running queue that no longer fits in
 * guest memory is broken.
 *
 * Return: 0 on success, EINVAL for a malformed table, or the error from
 *	   mapping a region: the old map then stays
 */
static int vu_set_mem_table(struct ctx *c, struct vu_msg *m,
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
static int vu_set_log_base(struct ctx *c, struct vu_msg *m,
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
static int vu_set_log_fd(struct ctx *c, struct vu_msg *m, struct vu_reply *r)
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
static int vu_set_vring_num(struct ctx *c, struct vu_msg *m,
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
 * QEMU sends this to a running queue to switch used ring logging.
 *
 * Return: 0, EINVAL for a bad index, flags or alignment, EFAULT for rings
 *	   outside guest memory (the queue can't run until set again)
 */
static int vu_set_vring_addr(struct ctx *c, struct vu_msg *m,
			     struct vu_reply *r)
{
	uint64_t desc, used, avail, log;
	struct virtq *vq;
	uint32_t flags;
	int rc;

	(void)c;
	(void)r;

	vq = vu_queue(m, &flags);
	if (!vq || flags & ~VHOST_VRING_F_LOG)
		return EINVAL;

	memcpy(&desc, m->payload + 8, sizeof(desc));
	memcpy(&used, m->payload + 16, sizeof(used));
	memcpy(&avail, m->payload + 24, sizeof(avail));
	memcpy(&log, m->payload + 32, sizeof(log));

	vq->desc_qva = desc;
	vq->used_qva = used;
	vq->avail_qva = avail;
	vq->log_gpa = log;
	vq->log_used = !!(flags & VHOST_VRING_F_LOG);
	vq->addr_set = true;

	/* Without a size yet, we translate when the queue starts */
	if (!vq->num)
		return 0;

	rc = virtq_map(&vu_vdev, vq);
	if (rc && vq->started)
		virtq_break(vq, "ring moved outside guest memory");
	return rc;
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
static int vu_set_vring_base(struct ctx *c, struct vu_msg *m,
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
static int vu_get_vring_base(struct ctx *c, struct vu_msg *m,
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
static int vu_set_vring_kick(struct ctx *c, struct vu_msg *m,
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
static int vu_set_vring_call(struct ctx *c, struct vu_msg *m,
			     struct vu_reply *r)
{
	struct virtq *vq;
	bool nofd;
	int rc;

	(void)c;
	(void)r;

	rc = vu_vring_fd(m, &vq, &nofd);
	if (!rc && !nofd)
		rc = fd_set_nonblock(m->fds[0]);
	if (rc)
		return rc;

	vu_fd_replace(&vq->call_fd, nofd ? -1 : vu_fd_take(m));
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
static int vu_set_vring_err(struct ctx *c, struct vu_msg *m,
			    struct vu_reply *r)
{
	struct virtq *vq;
	bool nofd;
	int rc;

	(void)c;
	(void)r;

	rc = vu_vring_fd(m, &vq, &nofd);
	if (!rc && !nofd)
		rc = fd_set_nonblock(m->fds[0]);
	if (rc)
		return rc;

	vu_fd_replace(&vq->err_fd, nofd ? -1 : vu_fd_take(m));
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
static int vu_set_vring_enable(struct ctx *c, struct vu_msg *m,
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
static int vu_send_rarp(struct ctx *c, struct vu_msg *m, struct vu_reply *r)
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
 * @r:		Reply: the same, with the bytes filled in; an empty payload
 *		for a bad request, as the specification says
 *
 * We fill in the link status, one queue pair and the MTU; other fields
 * read as zero.
 *
 * Return: 0
 */
static int vu_get_config(struct ctx *c, struct vu_msg *m, struct vu_reply *r)
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
	if (size > VHOST_USER_CONFIG_MAX || m->size != VU_CONFIG_HDR_LEN + size ||
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
static int vu_set_device_state_fd(struct ctx *c, struct vu_msg *m,
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
 * @c:		Execution context, unused
 * @m:		Message
 * @r:		Reply: u64, 0 or the error
 *
 * Return: 0
 */
static int vu_check_device_state(struct ctx *c, struct vu_msg *m,
				 struct vu_reply *r)
{
	(void)c;
	(void)m;
	vu_reply_u64(r, (uint64_t)vu_state_result);
	return 0;
}

#define VU_HANDLE(req, fn_, size_, fds_, reply_)			\
	[req] = { #req, fn_, size_, fds_, reply_ }

/* Every request we handle: doc/vhost-user.md has a row for each */
static const struct vu_handler vu_handlers[VHOST_USER_REQUEST_MAX] = {
	VU_HANDLE(VHOST_USER_GET_FEATURES, vu_get_features, 0, 0, true),
	VU_HANDLE(VHOST_USER_SET_FEATURES, vu_set_features,
		  VU_U64_LEN, 0, false),
	VU_HANDLE(VHOST_USER_SET_OWNER, vu_set_owner, 0, 0, false),
	VU_HANDLE(VHOST_USER_RESET_OWNER, vu_reset_owner, 0, 0, false),
	VU_HANDLE(VHOST_USER_SET_MEM_TABLE, vu_set_mem_table,
		  VU_ANY, VU_ANY, false),
	VU_HANDLE(VHOST_USER_SET_LOG_BASE, vu_set_log_base,
		  VU_LOG_LEN, 1, true),
	VU_HANDLE(VHOST_USER_SET_LOG_FD, vu_set_log_fd, 0, 1, false),
	VU_HANDLE(VHOST_USER_SET_VRING_NUM, vu_set_vring_num,
		  VU_STATE_LEN, 0, false),
	VU_HANDLE(VHOST_USER_SET_VRING_ADDR, vu_set_vring_addr,
		  VU_ADDR_LEN, 0, false),
	VU_HANDLE(VHOST_USER_SET_VRING_BASE, vu_set_vring_base,
		  VU_STATE_LEN, 0, false),
	VU_HANDLE(VHOST_USER_GET_VRING_BASE, vu_get_vring_base,
		  VU_STATE_LEN, 0, true),
	VU_HANDLE(VHOST_USER_SET_VRING_KICK, vu_set_vring_kick,
		  VU_U64_LEN, VU_ANY, false),
	VU_HANDLE(VHOST_USER_SET_VRING_CALL, vu_set_vring_call,
		  VU_U64_LEN, VU_ANY, false),
	VU_HANDLE(VHOST_USER_SET_VRING_ERR, vu_set_vring_err,
		  VU_U64_LEN, VU_ANY, false),
	VU_HANDLE(VHOST_USER_GET_PROTOCOL_FEATURES, vu_get_protocol_features,
		  0, 0, true),
	VU_HANDLE(VHOST_USER_SET_PROTOCOL_FEATURES, vu_set_protocol_features,
		  VU_U64_LEN, 0, false),
	VU_HANDLE(VHOST_USER_GET_QUEUE_NUM, vu_get_queue_num, 0, 0, true),
	VU_HANDLE(VHOST_USER_SET_VRING_ENABLE, vu_set_vring_enable,
		  VU_STATE_LEN, 0, false),
	VU_HANDLE(VHOST_USER_SEND_RARP, vu_send_rarp, VU_U64_LEN, 0, false),
	VU_HANDLE(VHOST_USER_GET_CONFIG, vu_get_config, VU_ANY, 0, true),
	VU_HANDLE(VHOST_USER_SET_DEVICE_STATE_FD, vu_set_device_state_fd,
		  VU_ANY, VU_ANY, true),
	VU_HANDLE(VHOST_USER_CHECK_DEVICE_STATE, vu_check_device_state,
		  0, 0, true),
};

/**
 * vu_recv() - Receive bytes of a message, and the descriptors with them
 * @fd:		Connected socket
 * @buf:	Where the bytes go
 * @len:	Bytes wanted
 * @m:		Message, collecting descriptors
 * @dontwait:	Return EAGAIN if nothing at all is there yet
 *
 * Once part of a message is in, the rest must follow within the socket's
 * receive timeout.
 *
 * Return: 0 on success, EAGAIN if nothing was there, EPIPE if the front end
 *	   closed the connection, another positive errno on error
 *
 * #syscalls:vu recvmsg close
 */
static int vu_recv(int fd, void *buf, size_t len, struct vu_msg *m,
		   bool dontwait)
{
	size_t done = 0;

	while (done < len) {
		union {
			char buf[CMSG_SPACE(sizeof(int) * VU_FDS_MAX)];
			struct cmsghdr align;
		} u;
		struct iovec iov = {
			.iov_base = (uint8_t *)buf + done,
			.iov_len = len - done,
		};
		struct msghdr mh = {
			.msg_iov = &iov,
			.msg_iovlen = 1,
			.msg_control = u.buf,
			.msg_controllen = sizeof(u.buf),
		};
		struct cmsghdr *cmsg;
		int flags = MSG_CMSG_CLOEXEC;
		ssize_t n;

		if (dontwait && !done)
			flags |= MSG_DONTWAIT;

		n = recvmsg(fd, &mh, flags);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return (errno == EAGAIN && done) ? ETIMEDOUT : errno;
		if (!n)
			return EPIPE;

		for (cmsg = CMSG_FIRSTHDR(&mh); cmsg;
		     cmsg = CMSG_NXTHDR(&mh, cmsg)) {
			size_t i, cnt;

			if (cmsg->cmsg_level != SOL_SOCKET ||
			    cmsg->cmsg_type != SCM_RIGHTS)
				continue;

			cnt = (cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int);
			for (i = 0; i < cnt; i++) {
				int rfd;

				memcpy(&rfd, CMSG_DATA(cmsg) + i * sizeof(int),
				       sizeof(rfd));
				if (m->nfds < VU_FDS_MAX) {
					m->fds[m->nfds++] = rfd;
				} else {
					close(rfd);
					m->fds_over = true;
				}
			}
		}
		if (mh.msg_flags & MSG_CTRUNC)
			m->fds_over = true;

		done += (size_t)n;
	}

	return 0;
}

/**
 * vu_msg_close_fds() - Close the descriptors of a message nobody took
 * @m:		Message
 *
 * #syscalls:vu close
 */
static void vu_msg_close_fds(struct vu_msg *m)
{
	unsigned i;

	for (i = 0; i < m->nfds; i++) {
		if (m->fds[i] >= 0)
			close(m->fds[i]);
	}
	m->nfds = 0;
}

/**
 * vu_msg_read() - Read one message from the front end
 * @fd:		Connected socket
 * @m:		Message, filled in; its descriptors are the caller's to
 *		close, whatever the outcome
 *
 * Return: 0 on success, EAGAIN if there is none yet, another positive
 *	   errno if the connection must be closed
 */
static int vu_msg_read(int fd, struct vu_msg *m)
{
	uint32_t hdr[3];
	int rc;

	m->nfds = 0;
	m->fds_over = false;

	rc = vu_recv(fd, hdr, sizeof(hdr), m, true);
	if (rc)
		return rc;

	m->request = hdr[0];
	m->flags = hdr[1];
	m->size = hdr[2];

	if ((m->flags & VHOST_USER_VERSION_MASK) != VHOST_USER_VERSION ||
	    (m->flags & VHOST_USER_REPLY)) {
		warn("vhost-user: message with flags 0x%x", m->flags);
		return EPROTO;
	}
	if (m->size > VU_PAYLOAD_MAX) {
		warn("vhost-user: request %u with a %u-byte payload",
		     m->request, m->size);
		return EPROTO;
	}

	return vu_recv(fd, m->payload, m->size, m, false);
}

/**
 * vu_send_reply() - Send a reply to the front end
 * @fd:		Connected socket
 * @request:	Request we answer
 * @payload:	Payload
 * @size:	Bytes in @payload
 *
 * Return: 0 on success, a positive errno if the connection must be closed
 *
 * #syscalls:vu sendmsg
 */
static int vu_send_reply(int fd, uint32_t request, const void *payload,
			 uint32_t size)
{
	uint32_t hdr[3] = { request, VHOST_USER_VERSION | VHOST_USER_REPLY,
			    size };
	struct iovec iov[2] = {
		{ .iov_base = hdr, .iov_len = sizeof(hdr) },
		{ .iov_base = (void *)payload, .iov_len = size },
	};
	size_t left = sizeof(hdr) + size;
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = 2 };

	while (left) {
		ssize_t n = sendmsg(fd, &mh, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? errno : EPIPE;

		left -= (size_t)n;
		while (mh.msg_iovlen && (size_t)n >= mh.msg_iov->iov_len) {
			n -= (ssize_t)mh.msg_iov->iov_len;
			mh.msg_iov++;
			mh.msg_iovlen--;
		}
		if (mh.msg_iovlen) {
			mh.msg_iov->iov_base = (uint8_t *)mh.msg_iov->iov_base +
					       n;
			mh.msg_iov->iov_len -= (size_t)n;
		}
	}

	return 0;
}

/**
 * vu_handler_find() - Look up a request
 * @request:	Request number
 *
 * Return: what we know of it, NULL if we don't handle it
 */
static const struct vu_handler *vu_handler_find(uint32_t request)
{
	if (request >= ARRAY_SIZE(vu_handlers) || !vu_handlers[request].fn)
		return NULL;
	return &vu_handlers[request];
}

/**
 * vu_dispatch() - Check a message against its request, handle it, reply
 * @c:		Execution context
 * @m:		Message
 *
 * Return: 0 to go on, a positive errno if the connection must be closed
 */
static int vu_dispatch(struct ctx *c, struct vu_msg *m)
{
	const struct vu_handler *h = vu_handler_find(m->request);
	struct vu_reply r = { .size = 0 };
	const char *why = NULL;
	uint64_t ack;
	int rc;

	if (!h) {
		warn_ratelimit("vhost-user: unknown request %u", m->request);
		if (!(m->flags & VHOST_USER_NEED_REPLY))
			return ENOTSUP;
		ack = ENOTSUP;
		return vu_send_reply(vu_conn_fd, m->request, &ack,
				     sizeof(ack));
	}

	if (m->fds_over)
		why = "too many descriptors";
	else if (h->size != VU_ANY && m->size != (uint32_t)h->size)
		why = "wrong payload size";
	else if (h->fds != VU_ANY && m->nfds != (unsigned)h->fds)
		why = "wrong number of descriptors";

	if (why) {
		rc = EINVAL;
	} else {
		trace("vhost-user: %s", h->name + strlen("VHOST_USER_"));
		/* No lent room outlives what the request may change */
		l2_flush(c);
		rc = h->fn(c, m, &r);
		why = rc ? strerror(rc) : NULL;
	}

	if (rc) {
		warn_ratelimit("vhost-user: %s refused: %s",
			       h->name + strlen("VHOST_USER_"), why);
		if (h->reply)
			return rc;
	}

	if (h->reply)
		return vu_send_reply(vu_conn_fd, m->request, r.payload, r.size);
	if (m->flags & VHOST_USER_NEED_REPLY) {
		ack = (uint64_t)rc;
		return vu_send_reply(vu_conn_fd, m->request, &ack,
				     sizeof(ack));
	}
	return 0;
}

/**
 * vu_state_transfer() - Write our state into the pipe the front end gave
 *			 us, or read it from there, then close it
 * @c:		Execution context
 *
 * Synchronous: the front end is stopped, and waits for the end of the
 * stream before it asks how it went.
 *
 * #syscalls:vu fcntl close
 */
static void vu_state_transfer(struct ctx *c)
{
	int fd = vu_state_fd, flags;
	bool save = vu_state_dir == VHOST_USER_STATE_SAVE;

	vu_state_fd = -1;

	flags = fcntl(fd, F_GETFL);
	if (flags >= 0)
		fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);

	vu_state_result = save ? migrate_source(c, fd) : migrate_target(c, fd);
	close(fd);

	if (vu_state_result)
		warn("vhost-user: device state %s failed: %s",
		     save ? "save" : "load", strerror(vu_state_result));
	else
		info("vhost-user: device state %s", save ? "saved" : "loaded");
}

/**
 * vu_after_reply() - Work a request left for after its reply
 * @c:		Execution context
 */
static void vu_after_reply(struct ctx *c)
{
	unsigned q;

	if (vu_state_fd >= 0)
		vu_state_transfer(c);

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
 * vu_device_reset() - Forget everything a front end set up, closing its
 *		       descriptors and unmapping guest memory
 * @c:		Execution context
 */
static void vu_device_reset(const struct ctx *c)
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
 * vu_conn_start() - Start serving a connected front end
 * @c:		Execution context
 * @fd:		Connected socket, owned from now on
 *
 * Return: 0 on success, a positive errno on failure (the socket is closed)
 *
 * #syscalls:vu setsockopt
 */
static int vu_conn_start(struct ctx *c, int fd)
{
	union epoll_ref ref = { .type = EPOLL_TYPE_VHOST_CMD };
	struct timeval tv = { .tv_sec = VU_TIMEOUT_S };
	int rc = 0;

	if (fd > EPOLL_REF_FD_MAX)
		rc = EMFILE;
	else if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) ||
		 setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)))
		rc = errno;

	if (!rc) {
		ref.fd = (uint32_t)fd;
		rc = epoll_ref_add(c->epollfd, EPOLLIN | EPOLLRDHUP, ref);
	}
	if (rc) {
		close(fd);
		return rc;
	}

	vu_conn_fd = fd;
	vu_device_reset(c);
	vu_l2_attach(c, &vu_vdev);
	return 0;
}

/**
 * vu_conn_release() - Drop the front end and all it set up
 * @c:		Execution context
 */
static void vu_conn_release(struct ctx *c)
{
	if (vu_conn_fd < 0)
		return;

	vu_l2_detach(c);
	vu_device_reset(c);

	epoll_ref_del(c->epollfd, vu_conn_fd);
	vu_fd_replace(&vu_conn_fd, -1);
}

/**
 * vu_conn_stop() - Drop the front end, then wait for the next one, or end
 *		    the main loop with --fd or --one-off
 * @c:		Execution context
 */
static void vu_conn_stop(struct ctx *c)
{
	vu_conn_release(c);

	if (vu_listen_fd < 0 || c->one_off) {
		info("Client closed the connection, exiting");
		c->quit = true;
		return;
	}

	info("Client closed the connection, waiting for a new one");
}

/**
 * vu_cmd_handler() - Handle a message from the front end, or its leaving
 * @c:		Execution context
 * @ref:	epoll reference of the socket
 * @events:	EPOLL* events, unused: the outcome of reading tells
 */
void vu_cmd_handler(struct ctx *c, union epoll_ref ref, uint32_t events)
{
	static struct vu_msg m;
	int rc;

	(void)events;

	if (vu_conn_fd < 0 || (int)ref.fd != vu_conn_fd)
		return;

	rc = vu_msg_read(vu_conn_fd, &m);
	if (rc == EAGAIN) {
		vu_msg_close_fds(&m);
		return;
	}
	if (!rc)
		rc = vu_dispatch(c, &m);
	vu_msg_close_fds(&m);

	if (rc) {
		if (rc != EPIPE)
			info("vhost-user: closing the connection: %s",
			     strerror(rc));
		vu_conn_stop(c);
		return;
	}

	vu_after_reply(c);
}

/**
 * vu_init() - Open the vhost-user socket, or adopt the one from --fd
 * @c:		Execution context
 */
void vu_init(struct ctx *c)
{
	union epoll_ref ref = { .type = EPOLL_TYPE_VHOST_LISTEN };
	unsigned i;
	int rc;

	for (i = 0; i < VIRTIO_NET_QUEUES; i++)
		virtq_init(&vu_vdev.vq[i]);
	vu_vdev.log.fd = -1;
	vu_state_result = EINVAL;

	if (c->fd_tap >= 0) {
		info("Using connected vhost-user socket from descriptor %i",
		     c->fd_tap);
		rc = vu_conn_start(c, c->fd_tap);
		if (rc)
			die("Can't use descriptor %i: %s", c->fd_tap,
			    strerror(rc));
		return;
	}

	vu_listen_fd = fe_sock_listen(c);
	vu_path_bound = true;

	if (vu_listen_fd > EPOLL_REF_FD_MAX)
		die("Listening descriptor %i too large", vu_listen_fd);
	ref.fd = (uint32_t)vu_listen_fd;
	rc = epoll_ref_add(c->epollfd, EPOLLIN, ref);
	if (rc)
		die("Can't watch listening socket: %s", strerror(rc));

	info("UNIX domain socket bound at %s", c->sock_path);
	info("Connect QEMU (7.2 or later) over vhost-user with:");
	info("    -chardev socket,id=c,path=%s -netdev vhost-user,id=n,"
	     "chardev=c -device virtio-net-pci,netdev=n", c->sock_path);
	info("and guest memory shared, of the size given with -m:");
	info("    -object memory-backend-memfd,id=m,share=on,size=SIZE"
	     " -numa node,memdev=m");
}

/**
 * vu_listen_handler() - Accept a front end, or turn away an extra one
 * @c:		Execution context
 * @events:	EPOLL* events, unused: accept() tells what happened
 *
 * #syscalls:vu accept4 getsockopt close
 */
void vu_listen_handler(struct ctx *c, uint32_t events)
{
	struct ucred cred = { .pid = 0 };
	socklen_t cred_len = sizeof(cred);
	int fd, rc;

	(void)events;

	fd = accept4(vu_listen_fd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0) {
		if (errno != EAGAIN && errno != EINTR)
			debug_ratelimit("accept: %s", strerror(errno));
		return;
	}

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &cred_len))
		cred.pid = 0;

	if (vu_conn_fd >= 0) {
		info("Refusing client (pid %i): one is already connected",
		     (int)cred.pid);
		close(fd);
		return;
	}

	rc = vu_conn_start(c, fd);
	if (rc) {
		warn("Can't serve client (pid %i): %s", (int)cred.pid,
		     strerror(rc));
		return;
	}
	info("Client connected (pid %i)", (int)cred.pid);
}

/**
 * vu_cleanup() - Drop the front end, close the socket, remove its path
 * @c:		Execution context
 */
void vu_cleanup(struct ctx *c)
{
	vu_conn_release(c);

	if (vu_listen_fd >= 0) {
		epoll_ref_del(c->epollfd, vu_listen_fd);
		vu_fd_replace(&vu_listen_fd, -1);
	}

	if (vu_path_bound) {
		unlink(c->sock_path);
		vu_path_bound = false;
	}
}
