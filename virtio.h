/* SPDX-License-Identifier: GPL-2.0-or-later */
/* virtio.h - split virtqueues in guest memory (virtio 1.2, section 2.7): the
 * guest's memory map and dirty page log, descriptor chains, the used ring,
 * notification suppression, and the virtio-net header
 *
 * Everything here reads memory that the guest may change at any moment:
 * each ring field and descriptor is read once into a local, checked, and
 * only the local is used. A ring that breaks a rule is marked broken and
 * left alone until the front end sets it up again.
 */

#ifndef VIRTIO_H
#define VIRTIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Feature bits (virtio 1.2, 5.1.3 and 6; vhost's own in vhost_user.h) */
#define VIRTIO_NET_F_CSUM		0
#define VIRTIO_NET_F_GUEST_CSUM		1
#define VIRTIO_NET_F_MTU		3
#define VIRTIO_NET_F_GUEST_TSO4		7
#define VIRTIO_NET_F_GUEST_TSO6		8
#define VIRTIO_NET_F_HOST_TSO4		11
#define VIRTIO_NET_F_HOST_TSO6		12
#define VIRTIO_NET_F_MRG_RXBUF		15
#define VHOST_F_LOG_ALL			26
#define VIRTIO_RING_F_INDIRECT_DESC	28
#define VIRTIO_RING_F_EVENT_IDX		29
#define VIRTIO_F_VERSION_1		32
#define VIRTIO_NET_F_HOST_USO		56

#define VIRTIO_BIT(f)			(1ULL << (f))

/* Largest queue size of a split virtqueue */
#define VIRTQ_SIZE_MAX			32768

/* Memory regions of one guest: the most one SET_MEM_TABLE carries */
#define VIRTIO_MEM_REGIONS_MAX		8

/* Dirty pages are logged in units of this many bytes */
#define VIRTIO_LOG_PAGE			4096

/* Queues of our one queue pair */
#define VIRTIO_NET_RXQ			0
#define VIRTIO_NET_TXQ			1
#define VIRTIO_NET_QUEUES		2

/**
 * struct virtio_net_hdr_v1 - Header in front of every frame (virtio 1.2,
 *			      5.1.6), little-endian
 * @flags:	VIRTIO_NET_HDR_F_*
 * @gso_type:	VIRTIO_NET_HDR_GSO_*: segmentation offload type
 * @hdr_len:	Length of the headers, for segmentation offload
 * @gso_size:	Segment size, for segmentation offload
 * @csum_start:	Where checksumming starts, with NEEDS_CSUM
 * @csum_offset: Where the checksum goes, from @csum_start
 * @num_buffers: Descriptor chains the frame spans (mergeable buffers)
 */
struct virtio_net_hdr_v1 {
	uint8_t flags;
	uint8_t gso_type;
	uint16_t hdr_len;
	uint16_t gso_size;
	uint16_t csum_start;
	uint16_t csum_offset;
	uint16_t num_buffers;
};

#define VIRTIO_NET_HDR_LEN		12

/* Header flags: checksum left to the device or driver, checksum verified */
#define VIRTIO_NET_HDR_F_NEEDS_CSUM	1
#define VIRTIO_NET_HDR_F_DATA_VALID	2

/* Segmentation offload types, and the ECN bit that TCP types may carry */
#define VIRTIO_NET_HDR_GSO_NONE		0
#define VIRTIO_NET_HDR_GSO_TCPV4	1
#define VIRTIO_NET_HDR_GSO_TCPV6	4
#define VIRTIO_NET_HDR_GSO_UDP_L4	5
#define VIRTIO_NET_HDR_GSO_ECN		0x80

/* Largest frame the guest may hand us: an IP packet of 65535 bytes, with
 * an Ethernet header and a VLAN tag (larger than L2_MAX_LEN: a large
 * segment's frame may be)
 */
#define VIRTIO_NET_FRAME_MAX		(65535 + 14 + 4)

/**
 * struct virtio_region - One region of guest memory, mapped here
 * @gpa:	Guest physical address of the start
 * @size:	Length in bytes, never zero
 * @qva:	Address of the start in the front end's own address space,
 *		which ring addresses are given in
 * @host:	Our address of the start
 * @map:	Our mapping, from the start of the file (unmapped with it)
 * @map_len:	Length of @map
 */
struct virtio_region {
	uint64_t gpa;
	uint64_t size;
	uint64_t qva;
	uint8_t *host;
	void *map;
	size_t map_len;
};

/**
 * struct virtio_mem - Guest memory map
 * @r:		Regions, neither guest nor front end addresses overlapping
 * @count:	Regions in use
 */
struct virtio_mem {
	struct virtio_region r[VIRTIO_MEM_REGIONS_MAX];
	unsigned count;
};

/**
 * struct virtio_log - Dirty page log for migration
 * @bitmap:	One bit per VIRTIO_LOG_PAGE of guest memory, NULL if none
 * @size:	Bytes in @bitmap
 * @map:	Our mapping of the log's file (unmapped with it)
 * @map_len:	Length of @map
 * @fd:		Eventfd signalled after pages were logged, -1 if none
 * @dirty:	Pages logged since @fd was last signalled
 */
struct virtio_log {
	uint8_t *bitmap;
	uint64_t size;
	void *map;
	size_t map_len;
	int fd;
	bool dirty;
};

/**
 * struct virtq - One split virtqueue
 * @num:		Queue size, 0 until set
 * @desc_qva:		Descriptor table, front end address
 * @avail_qva:		Available ring, front end address
 * @used_qva:		Used ring, front end address
 * @log_gpa:		Guest address of the used ring, for the log
 * @log_used:		Log writes to the used ring (VHOST_VRING_F_LOG)
 * @addr_set:		Ring addresses were given
 * @desc:		Descriptor table, our address, NULL if not mapped
 * @avail:		Available ring, our address
 * @used:		Used ring, our address
 * @last_avail:		Next entry of the available ring we take
 * @used_idx:		Next entry of the used ring we fill
 * @used_published:	Index of the used ring as the guest sees it
 * @signalled_used:	Index of the used ring at the last signal check
 * @signalled_valid:	@signalled_used holds a value
 * @started:		Started by a kick descriptor, until stopped
 * @enabled:		Enabled (or started without protocol features)
 * @broken:		Broke a rule: not touched until set up again
 * @kick_fd:		Eventfd the guest kicks, -1 if none
 * @call_fd:		Eventfd we signal, -1 if none
 * @err_fd:		Eventfd we signal when the ring breaks, -1 if none
 */
struct virtq {
	unsigned num;
	uint64_t desc_qva;
	uint64_t avail_qva;
	uint64_t used_qva;
	uint64_t log_gpa;
	bool log_used;
	bool addr_set;

	const uint8_t *desc;
	uint8_t *avail;
	uint8_t *used;

	uint16_t last_avail;
	uint16_t used_idx;
	uint16_t used_published;
	uint16_t signalled_used;
	bool signalled_valid;

	bool started;
	bool enabled;
	bool broken;

	int kick_fd;
	int call_fd;
	int err_fd;
};

/**
 * struct virtio_dev - A virtio-net device with one queue pair
 * @features:	Features the front end set
 * @mem:	Guest memory
 * @log:	Dirty page log
 * @vq:		Receive and transmit queues
 */
struct virtio_dev {
	uint64_t features;
	struct virtio_mem mem;
	struct virtio_log log;
	struct virtq vq[VIRTIO_NET_QUEUES];
};

/**
 * struct virtq_seg - One piece of a buffer in a descriptor chain
 * @p:		Our address
 * @len:	Length in bytes, never zero
 * @gpa:	Guest address, for the log
 * @write:	Device-writable (a receive buffer)
 */
struct virtq_seg {
	uint8_t *p;
	size_t len;
	uint64_t gpa;
	bool write;
};

/**
 * virtio_has() - Did the front end set a feature?
 * @d:		Device
 * @bit:	Feature bit
 *
 * Return: true if set
 */
static inline bool virtio_has(const struct virtio_dev *d, unsigned bit)
{
	return !!(d->features & VIRTIO_BIT(bit));
}

/**
 * virtq_need_event() - Has an event index been passed? (virtio 1.2, 2.7.10)
 * @event:	Index the other side asked to hear about
 * @new_idx:	Index now
 * @old_idx:	Index when we last told it
 *
 * Return: true if @event lies in [@old_idx, @new_idx), modulo 2^16
 */
static inline bool virtq_need_event(uint16_t event, uint16_t new_idx,
				    uint16_t old_idx)
{
	return (uint16_t)(new_idx - event - 1) < (uint16_t)(new_idx - old_idx);
}

uint8_t *virtio_gpa(const struct virtio_mem *m, uint64_t gpa, uint64_t len,
		    uint64_t *avail);
void *virtio_qva(const struct virtio_mem *m, uint64_t qva, uint64_t len);
void virtio_mem_unmap(struct virtio_mem *m);
void virtio_log_write(struct virtio_dev *d, uint64_t gpa, uint64_t len);
void virtio_log_unmap(struct virtio_log *log);
void virtio_log_signal(struct virtio_dev *d);
void virtio_eventfd_signal(int fd);

bool virtq_num_valid(unsigned num);
void virtq_init(struct virtq *vq);
int virtq_map(const struct virtio_dev *d, struct virtq *vq);
void virtq_start(struct virtq *vq);
bool virtq_ready(const struct virtq *vq);
void virtq_break(struct virtq *vq, const char *why);
int virtq_pending(struct virtq *vq, unsigned *count);
int virtq_pop(struct virtq *vq, uint16_t *head);
void virtq_rewind(struct virtq *vq, unsigned n);
int virtq_chain(const struct virtio_dev *d, struct virtq *vq, uint16_t head,
		struct virtq_seg *seg, size_t seg_max, size_t *nseg);
void virtq_used_put(struct virtio_dev *d, struct virtq *vq, uint16_t head,
		    uint32_t len);
void virtq_used_publish(struct virtio_dev *d, struct virtq *vq);
void virtq_signal(struct virtio_dev *d, struct virtq *vq);
void virtq_kick_enable(struct virtio_dev *d, struct virtq *vq, bool on);

#endif /* VIRTIO_H */
