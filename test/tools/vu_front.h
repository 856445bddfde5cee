/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test/tools/vu_front.h - the front end's half of vhost-user, for the test
 * tools: messages on the back-end's socket, guest memory in a memfd, and
 * the driver's side of split virtqueues
 *
 * Everything here follows the vhost-user specification and the virtio 1.x
 * split virtqueue layout; numbers on the socket are in host order, ring
 * fields are little-endian (VIRTIO_F_VERSION_1).
 */

#ifndef VU_FRONT_H
#define VU_FRONT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>
#include <linux/virtio_ring.h>

/* Requests, from the vhost-user specification */
enum vu_request {
	VU_GET_FEATURES			= 1,
	VU_SET_FEATURES			= 2,
	VU_SET_OWNER			= 3,
	VU_RESET_OWNER			= 4,
	VU_SET_MEM_TABLE		= 5,
	VU_SET_LOG_BASE			= 6,
	VU_SET_LOG_FD			= 7,
	VU_SET_VRING_NUM		= 8,
	VU_SET_VRING_ADDR		= 9,
	VU_SET_VRING_BASE		= 10,
	VU_GET_VRING_BASE		= 11,
	VU_SET_VRING_KICK		= 12,
	VU_SET_VRING_CALL		= 13,
	VU_SET_VRING_ERR		= 14,
	VU_GET_PROTOCOL_FEATURES	= 15,
	VU_SET_PROTOCOL_FEATURES	= 16,
	VU_GET_QUEUE_NUM		= 17,
	VU_SET_VRING_ENABLE		= 18,
	VU_SEND_RARP			= 19,
	VU_IOTLB_MSG			= 22,
	VU_GET_CONFIG			= 24,
	VU_SET_DEVICE_STATE_FD		= 42,
	VU_CHECK_DEVICE_STATE		= 43,
};

/* Header flags: version 1 in the low bits, then reply and need-reply */
#define VU_VERSION		0x1U
#define VU_FLAG_REPLY		0x4U
#define VU_FLAG_NEED_REPLY	0x8U

/* In the u64 of SET_VRING_KICK/CALL/ERR: no descriptor comes with it */
#define VU_VRING_NOFD		(1ULL << 8)

/* Feature bits: virtio, virtio-net and vhost */
#define VU_F_NET_CSUM		0
#define VU_F_NET_GUEST_CSUM	1
#define VU_F_NET_MTU		3
#define VU_F_NET_GUEST_TSO4	7
#define VU_F_NET_GUEST_TSO6	8
#define VU_F_NET_HOST_TSO4	11
#define VU_F_NET_HOST_TSO6	12
#define VU_F_NET_MRG_RXBUF	15
#define VU_F_LOG_ALL		26
#define VU_F_INDIRECT_DESC	28
#define VU_F_EVENT_IDX		29
#define VU_F_PROTOCOL_FEATURES	30
#define VU_F_VERSION_1		32
#define VU_F_NET_GUEST_USO4	54
#define VU_F_NET_GUEST_USO6	55
#define VU_F_NET_HOST_USO	56

/* Protocol feature bits */
#define VU_PF_MQ		0
#define VU_PF_LOG_SHMFD		1
#define VU_PF_RARP		2
#define VU_PF_REPLY_ACK		3
#define VU_PF_CONFIG		9
#define VU_PF_DEVICE_STATE	19

#define VU_BIT(n)		(1ULL << (n))

/* Offloads a driver may take: checksums and segmentation, both ways */
#define VU_OFFLOADS	(VU_BIT(VU_F_NET_CSUM) | VU_BIT(VU_F_NET_GUEST_CSUM) | \
			 VU_BIT(VU_F_NET_GUEST_TSO4) |			\
			 VU_BIT(VU_F_NET_GUEST_TSO6) |			\
			 VU_BIT(VU_F_NET_HOST_TSO4) |			\
			 VU_BIT(VU_F_NET_HOST_TSO6) |			\
			 VU_BIT(VU_F_NET_GUEST_USO4) |			\
			 VU_BIT(VU_F_NET_GUEST_USO6) |			\
			 VU_BIT(VU_F_NET_HOST_USO))

/* The largest payload we send or take: ample for a table of 8 regions and
 * a config space of 256 bytes; hostile cases send more on purpose
 */
#define VU_PAYLOAD_MAX		4096
#define VU_FDS_MAX		8
#define VU_REGIONS_MAX		8

/* Queues of a virtio-net device with one queue pair */
#define VU_RX			0
#define VU_TX			1

/* virtio-net header with num_buffers, as VERSION_1 always carries it */
#define VU_NET_HDR_LEN		12

struct vu_hdr {
	uint32_t request;
	uint32_t flags;
	uint32_t size;
} __attribute__((packed));

struct vu_region {
	uint64_t gpa;
	uint64_t size;
	uint64_t uaddr;
	uint64_t mmap_offset;
} __attribute__((packed));

struct vu_mem_table {
	uint32_t nregions;
	uint32_t padding;
	struct vu_region r[VU_REGIONS_MAX];
} __attribute__((packed));

struct vu_vring_state {
	uint32_t index;
	uint32_t num;
} __attribute__((packed));

struct vu_vring_addr {
	uint32_t index;
	uint32_t flags;
	uint64_t desc;
	uint64_t used;
	uint64_t avail;
	uint64_t log;
} __attribute__((packed));

struct vu_state_params {
	uint32_t direction;	/* 0: save, 1: load */
	uint32_t phase;		/* 0: stopped */
} __attribute__((packed));

/* A message as it goes on the socket */
struct vu_msg {
	struct vu_hdr h;
	union {
		uint64_t u64;
		struct vu_vring_state state;
		struct vu_vring_addr addr;
		struct vu_mem_table mem;
		struct vu_state_params ds;
		uint8_t raw[VU_PAYLOAD_MAX];
	} p;
} __attribute__((packed));

/**
 * struct vu_conn - One connection to a back-end
 * @fd:		Connected UNIX stream socket
 * @offered:	Features the back-end offered
 * @features:	Features negotiated (SET_FEATURES)
 * @proto_offered: Protocol features the back-end offered
 * @proto:	Protocol features negotiated (SET_PROTOCOL_FEATURES)
 */
struct vu_conn {
	int fd;
	uint64_t offered;
	uint64_t features;
	uint64_t proto_offered;
	uint64_t proto;
};

/**
 * struct vu_mem - Guest memory: one memfd, mapped here, guest address 0 at
 * its start
 * @fd:		memfd
 * @base:	Where it is mapped in this process
 * @size:	Bytes mapped (the region announced may be smaller)
 */
struct vu_mem {
	int fd;
	uint8_t *base;
	size_t size;
};

/**
 * struct vu_ring - The driver's side of one split virtqueue
 * @index:	Queue index, VU_RX or VU_TX
 * @num:	Queue size
 * @gpa:	Guest address of the descriptor table (avail and used follow)
 * @desc:	Descriptor table, in guest memory
 * @avail:	Available ring
 * @used:	Used ring
 * @avail_idx:	Next available index to publish
 * @avail_pub:	Available index the device was last told about
 * @used_seen:	Used entries consumed so far
 * @used_looked:	Used index the consumer last read, vu_ring_used_pending()
 * @kick:	eventfd we write to tell the device about new buffers
 * @call:	eventfd the device writes when it used buffers
 * @base:	Available index the device returned on GET_VRING_BASE
 * @event_idx:	VIRTIO_RING_F_EVENT_IDX negotiated
 * @kicks:	Kicks we sent the device
 * @calls:	Calls the device sent us, as its eventfd counted them
 */
struct vu_ring {
	unsigned int index;
	unsigned int num;
	uint64_t gpa;
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
	uint16_t avail_idx;
	uint16_t avail_pub;
	uint16_t used_seen;
	uint16_t used_looked;
	int kick;
	int call;
	uint16_t base;
	bool event_idx;
	uint64_t kicks;
	uint64_t calls;
};

/* Result of waiting for a reply */
enum vu_wait {
	VU_REPLIED = 0,		/* a reply to the request came */
	VU_CLOSED = -1,		/* the back-end closed the connection */
	VU_TIMEOUT = -2,	/* nothing came in time */
	VU_BROKEN = -3,		/* a reply that breaks the protocol */
};

extern const char *vu_prog;

void vu_die(const char *what);
void vu_die_errno(const char *what);

int vu_connect(struct vu_conn *conn, const char *path, int tries);
void vu_close(struct vu_conn *conn);
int vu_sendv(const struct vu_conn *conn, struct iovec *iov, int iovcnt,
	     const int *fds, int nfds);
int vu_send(const struct vu_conn *conn, uint32_t request, uint32_t flags,
	    const void *payload, uint32_t size, const int *fds, int nfds);
enum vu_wait vu_wait_reply(const struct vu_conn *conn, uint32_t request,
			   struct vu_msg *msg, int timeout_ms, int *fd);
bool vu_has_reply(uint32_t request, uint64_t proto);
int vu_call(struct vu_conn *conn, uint32_t request, const void *payload,
	    uint32_t size, const int *fds, int nfds, struct vu_msg *reply);
int vu_call_u64(struct vu_conn *conn, uint32_t request, uint64_t value,
		const int *fds, int nfds);
uint64_t vu_features_consistent(uint64_t f);
int vu_negotiate(struct vu_conn *conn, uint64_t want, uint64_t want_proto);
void vu_open(struct vu_conn *conn, const char *path, uint64_t want,
	     uint64_t want_proto);

void vu_mem_create(struct vu_mem *mem, size_t size);
void vu_mem_destroy(struct vu_mem *mem);
int vu_mem_announce(struct vu_conn *conn, const struct vu_mem *mem,
		    size_t size);
void *vu_gpa_ptr(const struct vu_mem *mem, uint64_t gpa);
size_t vu_ring_bytes(unsigned int num);
void vu_ring_init(struct vu_ring *r, const struct vu_mem *mem,
		  unsigned int index, unsigned int num, uint64_t gpa,
		  bool event_idx);
void vu_ring_free(struct vu_ring *r);
int vu_ring_start(struct vu_conn *conn, struct vu_ring *r);
int vu_ring_enable(struct vu_conn *conn, const struct vu_ring *r, bool on);
int vu_ring_stop(struct vu_conn *conn, struct vu_ring *r);
void vu_ring_post(struct vu_ring *r, uint16_t head);
void vu_ring_publish(struct vu_ring *r);
void vu_ring_kick(struct vu_ring *r);
uint16_t vu_ring_used_pending(struct vu_ring *r);
void vu_ring_used_peek(const struct vu_ring *r, uint16_t ahead,
		       uint32_t *id, uint32_t *len);
bool vu_ring_want_calls(struct vu_ring *r);
void vu_ring_ack_call(struct vu_ring *r);
int vu_get_mtu(struct vu_conn *conn);
int vu_state_transfer(struct vu_conn *conn, bool save, int file,
		      uint64_t *bytes, uint64_t *result);

#endif /* VU_FRONT_H */
