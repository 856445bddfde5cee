// SPDX-License-Identifier: GPL-2.0-or-later
/* test/tools/vubridge.c - the test guest's link over vhost-user: a front
 * end of our own that shares a memfd as guest memory with the daemon, sets
 * up one receive and one transmit ring in it, and copies frames between
 * those rings and a TAP device, virtio-net header included, with the
 * checksum and segmentation offloads the daemon offers
 *
 * Usage:
 *   vubridge [OPTIONS] IFNAME SOCKPATH [LOSS_PERMILLE [REORDER_PERMILLE]]
 *   vubridge --save FILE SOCKPATH	save the back-end's state, then exit
 *   vubridge --load FILE SOCKPATH	load the back-end's state, then exit
 *   vubridge --hostile CASE SOCKPATH	one bad front end (vu_hostile.c)
 *   vubridge --list-hostile		the hostile cases, one a line
 *
 * Options of the bridge:
 *   -c		hand every TCP and UDP frame to the TAP as checksummed, not
 *		only those the daemon marked DATA_VALID (for benchmarks, as
 *		tapbridge -c)
 *   -q SIZE	queue size of both rings (default 256)
 *   -b BYTES	size of each receive buffer (default 4096; with mergeable
 *		buffers refused, large enough for a whole frame)
 *   -L LAYOUT	how transmitted frames are laid out: flat (header and frame
 *		in one descriptor, the default), chain (header and frame in
 *		two chained descriptors), indirect (the two in an indirect
 *		table) or pages (the header, then the frame in chained
 *		descriptors of at most 4 KiB each, as a driver hands over
 *		a large segment's pages)
 *   -r LIST	refuse features the back-end offers, comma-separated:
 *		mrg, event-idx, indirect, mtu, protocol; csum, guest-csum,
 *		guest-tso4, guest-tso6, guest-uso4, guest-uso6, host-tso4,
 *		host-tso6, host-uso, or offloads for all of those
 *   -S FILE	on SIGUSR1, stop the rings, save the back-end's state to
 *		FILE (- for standard output), release the TAP and wait: on
 *		SIGUSR2 take the TAP and start the rings again (a cancelled
 *		migration), on SIGTERM exit
 *   -l FILE	before starting the rings, load the back-end's state from
 *		FILE (- for standard input): the target of a migration
 *
 * The optional arguments impair the guest's frames on their way to the
 * daemon, as tapbridge's do.
 *
 * Offloads: the bridge takes those the daemon offers, less those refused
 * with -r, and drops any whose requirement is missing, as the virtio
 * specification has a driver do (segmentation needs the checksum offload
 * of the same direction). What the daemon takes from the guest (CSUM,
 * HOST_TSO4/6, HOST_USO) it sets on the TAP with TUNSETOFFLOAD, so that
 * the guest's kernel hands over partial checksums and segments of up to
 * 64 KiB whatever the MTU, as it does to a virtio-net device with those
 * features; their virtio-net headers go to the daemon as the TAP wrote
 * them. What the daemon hands the guest (GUEST_TSO4/6, GUEST_USO4/6)
 * needs nothing of the TAP: it takes segments of any size written to it.
 *
 * The bridge does three things a guest's driver does and a TAP does not:
 * frames the daemon marks DATA_VALID, segments included, are handed to the
 * TAP as NEEDS_CSUM (see vnet_hdr.c); DATA_VALID, which a TAP may set on
 * frames it hands over, is cleared, as a driver never sends it; and no
 * more than about 1 MiB of the guest's frames is published on the transmit
 * ring and not yet used, as TCP small queues bound what a guest keeps
 * queued: a TAP frees each frame as soon as it is read, and without the
 * bound a benchmark measures an overrun.
 *
 * The bridge exits when the daemon closes the connection. On standard
 * error, for the tests to wait for, it says:
 *   "offered features F, protocol features P; took F, P; device MTU N"
 *   "TAP offloads O"			TUNSETOFFLOAD flags set
 *   "IFNAME connected to SOCKPATH"	rings started, frames flow
 *   "saved N bytes of device state, CHECK_DEVICE_STATE R"	(or "loaded")
 *   "rings stopped, IFNAME released"	after a save on SIGUSR1
 *   "rings started again, IFNAME taken"	after SIGUSR2
 *   "counters tx_frames=N tx_bytes=N tx_gso=N tx_max=N rx_frames=N
 *    rx_bytes=N rx_gso=N rx_max=N kicks=N calls=N tx_kicks=N rx_kicks=N
 *    tx_calls=N rx_calls=N"		on SIGHUP, and on exit
 * where tx counts frames to the daemon and rx frames from it: frames,
 * bytes of frames (without the virtio-net header), frames with a GSO type
 * and the largest frame; kicks we sent the daemon and calls (interrupts)
 * it sent us, in all and on each ring. The counts are cumulative: a
 * benchmark takes the difference between two SIGHUPs.
 * --save and --load exit with 0 if CHECK_DEVICE_STATE said 0, 1 otherwise.
 */

#include <errno.h>
#include <endian.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/if_ether.h>
#include <linux/if_tun.h>
#include <linux/virtio_net.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "vu_front.h"
#include "vu_hostile.h"
#include "vnet_hdr.h"

/* Segmentation of UDP by the TAP's reader, Linux 6.2 on */
#ifndef TUN_F_USO4
#define TUN_F_USO4	0x20
#endif
#ifndef TUN_F_USO6
#define TUN_F_USO6	0x40
#endif

#define CONNECT_TRIES	100		/* 10 s at 100 ms */
/* The largest frame a TAP hands over, segmentation offloads set: an IP
 * packet of 64 KiB with a VLAN tag
 */
#define FRAME_MAX	(ETH_HLEN + 4 + 65535)
/* A transmit slot: header and the largest frame, page aligned */
#define SLOT_SIZE	((VU_NET_HDR_LEN + FRAME_MAX + 4095) & ~4095UL)
/* Descriptors of the pages layout: at most this much each */
#define PAGE_DESC	4096U
/* Bytes published on the transmit ring and not yet used, at most */
#define TX_INFLIGHT_MAX	(1UL << 20)
#define QUEUE_MAX	32768

enum tx_layout { LAYOUT_FLAT, LAYOUT_CHAIN, LAYOUT_INDIRECT, LAYOUT_PAGES };

/**
 * struct flow_count - Frames one way, for the counters line
 * @frames:	Frames
 * @bytes:	Their bytes, without the virtio-net header
 * @gso:	Frames with a GSO type
 * @largest:	Bytes of the largest
 */
struct flow_count {
	uint64_t frames;
	uint64_t bytes;
	uint64_t gso;
	uint64_t largest;
};

/**
 * struct bridge - Guest memory, rings and the TAP of one bridge
 * @conn:	Connection to the daemon
 * @mem:	Guest memory
 * @rx:		Receive ring (daemon to guest)
 * @tx:		Transmit ring (guest to daemon)
 * @tap:	TAP descriptor, -1 while released
 * @ifname:	TAP name
 * @offloads:	TUNSETOFFLOAD flags for the features negotiated
 * @qsize:	Queue size of both rings
 * @mrg:	Mergeable receive buffers negotiated
 * @rx_buf:	Bytes in each receive buffer
 * @rx_gpa:	Guest address of the first receive buffer
 * @tx_gpa:	Guest address of the first transmit slot
 * @ind_gpa:	Guest address of the indirect tables, one per slot
 * @layout:	How transmitted frames are laid out
 * @slot_descs:	Descriptors each transmit slot takes on the ring
 * @nslots:	Transmit slots: the queue size over @slot_descs
 * @free_slots:	Stack of free slots
 * @nfree:	Its height
 * @slot_len:	Bytes published in each slot, 0 if free
 * @inflight:	Bytes published on the transmit ring and not yet used
 * @held:	Slot held back to be sent after the next one, -1 if none
 * @csum_all:	-c: every TCP and UDP frame goes to the TAP as checksummed
 * @loss:	Frames from the TAP dropped, per thousand
 * @reorder:	Frames from the TAP held back, per thousand
 * @to_daemon:	Frames published on the transmit ring
 * @from_daemon: Frames taken from the receive ring
 */
struct bridge {
	struct vu_conn conn;
	struct vu_mem mem;
	struct vu_ring rx;
	struct vu_ring tx;
	int tap;
	const char *ifname;
	unsigned int offloads;
	unsigned int qsize;
	bool mrg;
	size_t rx_buf;
	uint64_t rx_gpa;
	uint64_t tx_gpa;
	uint64_t ind_gpa;
	enum tx_layout layout;
	unsigned int slot_descs;
	unsigned int nslots;
	uint16_t *free_slots;
	unsigned int nfree;
	uint32_t *slot_len;
	size_t inflight;
	int held;
	bool csum_all;
	unsigned int loss;
	unsigned int reorder;
	struct flow_count to_daemon;
	struct flow_count from_daemon;
};

/* Signals: a save, a resume, the counters, an exit, set by the handler */
static volatile sig_atomic_t got_save, got_resume, got_counters, got_exit;

/**
 * on_signal() - Record a signal for the main loop
 * @sig:	Signal number
 */
static void on_signal(int sig)
{
	if (sig == SIGUSR1)
		got_save = 1;
	else if (sig == SIGUSR2)
		got_resume = 1;
	else if (sig == SIGHUP)
		got_counters = 1;
	else
		got_exit = 1;
}

/**
 * tap_offloads() - TUNSETOFFLOAD flags for what the daemon takes from the
 *		    guest
 * @features:	Features negotiated
 *
 * Return: TUN_F_* flags
 */
static unsigned int tap_offloads(uint64_t features)
{
	unsigned int flags = 0;

	if (features & VU_BIT(VU_F_NET_CSUM))
		flags |= TUN_F_CSUM;
	if (features & VU_BIT(VU_F_NET_HOST_TSO4))
		flags |= TUN_F_TSO4;
	if (features & VU_BIT(VU_F_NET_HOST_TSO6))
		flags |= TUN_F_TSO6;
	if (features & VU_BIT(VU_F_NET_HOST_USO))
		flags |= TUN_F_USO4 | TUN_F_USO6;
	return flags;
}

/**
 * tap_open() - Attach to (or create) a TAP device with virtio-net headers,
 *		and set its offloads
 * @ifname:	Device name
 * @offloads:	TUNSETOFFLOAD flags; the USO ones are cleared if the kernel
 *		doesn't know them
 *
 * The flags are set even when none: a persistent TAP keeps those of the
 * bridge before.
 *
 * Return: non-blocking TAP descriptor; failures exit
 */
static int tap_open(const char *ifname, unsigned int *offloads)
{
	struct ifreq ifr = {
		.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR,
	};
	int fd, hdr_len = VU_NET_HDR_LEN;

	if (strlen(ifname) >= IFNAMSIZ)
		vu_die("interface name too long");
	memcpy(ifr.ifr_name, ifname, strlen(ifname) + 1);

	fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		vu_die_errno("/dev/net/tun");
	if (ioctl(fd, TUNSETIFF, &ifr))
		vu_die_errno("TUNSETIFF");
	if (ioctl(fd, TUNSETVNETHDRSZ, &hdr_len))
		vu_die_errno("TUNSETVNETHDRSZ");

	if (ioctl(fd, TUNSETOFFLOAD, (unsigned long)*offloads)) {
		if (errno != EINVAL ||
		    !(*offloads & (TUN_F_USO4 | TUN_F_USO6)))
			vu_die_errno("TUNSETOFFLOAD");
		fprintf(stderr, "vubridge: TAP without UDP segmentation\n");
		*offloads &= ~(unsigned int)(TUN_F_USO4 | TUN_F_USO6);
		if (ioctl(fd, TUNSETOFFLOAD, (unsigned long)*offloads))
			vu_die_errno("TUNSETOFFLOAD");
	}

	return fd;
}

/**
 * slot_gpa() - Guest address of a transmit slot
 * @b:		Bridge
 * @slot:	Slot number
 *
 * Return: guest address of its header
 */
static uint64_t slot_gpa(const struct bridge *b, unsigned int slot)
{
	return b->tx_gpa + (uint64_t)slot * SLOT_SIZE;
}

/**
 * slot_head() - Descriptor that heads a slot's chain
 * @b:		Bridge
 * @slot:	Slot number
 *
 * Return: descriptor index
 */
static uint16_t slot_head(const struct bridge *b, unsigned int slot)
{
	return (uint16_t)(slot * b->slot_descs);
}

/**
 * bridge_layout() - Size guest memory and lay rings and buffers out in it
 * @b:		Bridge, with queue size, buffer size and layout set
 */
static void bridge_layout(struct bridge *b)
{
	size_t ring = vu_ring_bytes(b->qsize), size;

	/* Without mergeable buffers, each holds the largest frame: 64 KiB
	 * with segmentation offloads, as the specification asks of a driver
	 */
	if (!b->mrg && b->rx_buf < SLOT_SIZE)
		b->rx_buf = SLOT_SIZE;
	if (b->layout == LAYOUT_CHAIN)
		b->slot_descs = 2;
	else if (b->layout == LAYOUT_PAGES)
		b->slot_descs = 1 + (FRAME_MAX + PAGE_DESC - 1) / PAGE_DESC;
	else
		b->slot_descs = 1;
	if (b->qsize < b->slot_descs)
		vu_die("-q: too small for the layout");
	b->nslots = b->qsize / b->slot_descs;

	b->rx_gpa = 2 * ring;
	b->tx_gpa = b->rx_gpa + (uint64_t)b->qsize * b->rx_buf;
	b->ind_gpa = b->tx_gpa + (uint64_t)b->nslots * SLOT_SIZE;
	size = b->ind_gpa + b->nslots * 2 * sizeof(struct vring_desc);
	size = (size + 4095) & ~4095UL;

	vu_mem_create(&b->mem, size);
	vu_ring_init(&b->rx, &b->mem, VU_RX, b->qsize, 0,
		     b->conn.features & VU_BIT(VU_F_EVENT_IDX));
	vu_ring_init(&b->tx, &b->mem, VU_TX, b->qsize, ring,
		     b->conn.features & VU_BIT(VU_F_EVENT_IDX));

	b->free_slots = calloc(b->nslots, sizeof(*b->free_slots));
	b->slot_len = calloc(b->nslots, sizeof(*b->slot_len));
	if (!b->free_slots || !b->slot_len)
		vu_die("out of memory");
	for (b->nfree = 0; b->nfree < b->nslots; b->nfree++)
		b->free_slots[b->nfree] = (uint16_t)(b->nslots - 1 - b->nfree);
	b->held = -1;
}

/**
 * rx_post_all() - Give every receive buffer to the device, once at start
 * @b:		Bridge
 */
static void rx_post_all(struct bridge *b)
{
	unsigned int i;

	for (i = 0; i < b->qsize; i++) {
		struct vring_desc *d = &b->rx.desc[i];

		d->addr = htole64(b->rx_gpa + (uint64_t)i * b->rx_buf);
		d->len = htole32((uint32_t)b->rx_buf);
		d->flags = htole16(VRING_DESC_F_WRITE);
		d->next = 0;
		vu_ring_post(&b->rx, (uint16_t)i);
	}
}

/**
 * flow_count_add() - Count a frame
 * @fc:		Counters of its direction
 * @bytes:	Its bytes, without the virtio-net header
 * @h:		Its virtio-net header
 */
static void flow_count_add(struct flow_count *fc, size_t bytes,
			   const struct virtio_net_hdr *h)
{
	fc->frames++;
	fc->bytes += bytes;
	if (h->gso_type != VIRTIO_NET_HDR_GSO_NONE)
		fc->gso++;
	if (bytes > fc->largest)
		fc->largest = bytes;
}

/**
 * rx_frame() - Take one frame from the receive ring to the TAP
 * @b:		Bridge
 * @pending:	Used entries available
 *
 * Return: entries consumed, 0 if the frame is not complete yet
 */
static unsigned int rx_frame(struct bridge *b, uint16_t pending)
{
	static struct iovec iov[IOV_MAX];
	struct virtio_net_hdr_mrg_rxbuf *h;
	unsigned int k = 1, i;
	uint32_t id, len;
	size_t bytes = 0;

	vu_ring_used_peek(&b->rx, 0, &id, &len);
	if (id >= b->qsize || len > b->rx_buf ||
	    (len && len < VU_NET_HDR_LEN)) {
		fprintf(stderr, "vubridge: bad used entry %u/%u on receive\n",
			id, len);
		exit(1);
	}
	/* Empty: a buffer handed back unused as the ring stopped */
	if (!len) {
		vu_ring_post(&b->rx, (uint16_t)id);
		return 1;
	}
	h = vu_gpa_ptr(&b->mem, b->rx_gpa + (uint64_t)id * b->rx_buf);
	if (b->mrg)
		k = le16toh(h->num_buffers);
	if (!k || k > b->qsize || k > IOV_MAX) {
		fprintf(stderr, "vubridge: bad num_buffers %u\n", k);
		exit(1);
	}
	if (pending < k)
		return 0;

	for (i = 0; i < k; i++) {
		if (i)
			vu_ring_used_peek(&b->rx, (uint16_t)i, &id, &len);
		if (id >= b->qsize || len > b->rx_buf) {
			fprintf(stderr, "vubridge: bad used entry %u/%u\n",
				id, len);
			exit(1);
		}
		iov[i].iov_base = vu_gpa_ptr(&b->mem, b->rx_gpa +
						      (uint64_t)id * b->rx_buf);
		iov[i].iov_len = len;
		bytes += len;
		vu_ring_post(&b->rx, (uint16_t)id);
	}
	flow_count_add(&b->from_daemon, bytes - VU_NET_HDR_LEN, &h->hdr);

	if (!(h->hdr.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) &&
	    (b->csum_all || (h->hdr.flags & VIRTIO_NET_HDR_F_DATA_VALID)))
		vnet_hdr_partial(&h->hdr, (uint8_t *)h + VU_NET_HDR_LEN,
				 iov[0].iov_len - VU_NET_HDR_LEN);

	/* A TAP takes a whole frame or none: one refused is lost, as on a
	 * real link
	 */
	if (b->tap >= 0 && writev(b->tap, iov, (int)k) < 0 &&
	    errno != EAGAIN && errno != EINVAL)
		vu_die_errno("TAP write");

	return k;
}

/**
 * rx_drain() - Take every complete frame from the receive ring, give the
 *		buffers back, ask to be called for the next
 * @b:		Bridge
 */
static void rx_drain(struct bridge *b)
{
	do {
		uint16_t pending;
		unsigned int k;

		while ((pending = vu_ring_used_pending(&b->rx)) &&
		       (k = rx_frame(b, pending)))
			b->rx.used_seen = (uint16_t)(b->rx.used_seen + k);
		vu_ring_publish(&b->rx);
	} while (vu_ring_want_calls(&b->rx));
}

/**
 * desc_set() - Fill a descriptor
 * @d:		Descriptor
 * @gpa:	Guest address of the buffer
 * @len:	Its length
 * @flags:	VRING_DESC_F_*
 * @next:	Next descriptor, with VRING_DESC_F_NEXT
 */
static void desc_set(struct vring_desc *d, uint64_t gpa, uint32_t len,
		     uint16_t flags, uint16_t next)
{
	d->addr = htole64(gpa);
	d->len = htole32(len);
	d->flags = htole16(flags);
	d->next = htole16(next);
}

/**
 * tx_post_slot() - Queue a transmit slot for the device, in the layout
 *		    chosen, and count its bytes in flight
 * @b:		Bridge
 * @slot:	Slot, holding header and frame
 * @len:	Header and frame bytes
 */
static void tx_post_slot(struct bridge *b, unsigned int slot, uint32_t len)
{
	uint64_t gpa = slot_gpa(b, slot);
	uint16_t head = slot_head(b, slot);
	struct vring_desc *d = &b->tx.desc[head], *t;
	uint32_t off, piece;

	switch (b->layout) {
	case LAYOUT_FLAT:
		desc_set(d, gpa, len, 0, 0);
		break;
	case LAYOUT_CHAIN:
		desc_set(d, gpa, VU_NET_HDR_LEN, VRING_DESC_F_NEXT,
			 (uint16_t)(head + 1));
		desc_set(d + 1, gpa + VU_NET_HDR_LEN, len - VU_NET_HDR_LEN,
			 0, 0);
		break;
	case LAYOUT_INDIRECT:
		t = vu_gpa_ptr(&b->mem, b->ind_gpa + slot * 2 * sizeof(*t));
		desc_set(t, gpa, VU_NET_HDR_LEN, VRING_DESC_F_NEXT, 1);
		desc_set(t + 1, gpa + VU_NET_HDR_LEN, len - VU_NET_HDR_LEN,
			 0, 0);
		desc_set(d, b->ind_gpa + slot * 2 * sizeof(*t),
			 2 * sizeof(*t), VRING_DESC_F_INDIRECT, 0);
		break;
	case LAYOUT_PAGES:
		desc_set(d, gpa, VU_NET_HDR_LEN, 0, 0);
		for (off = VU_NET_HDR_LEN; off < len; off += piece) {
			piece = len - off < PAGE_DESC ? len - off : PAGE_DESC;
			d->flags = htole16(VRING_DESC_F_NEXT);
			d->next = htole16((uint16_t)(d + 1 - b->tx.desc));
			desc_set(++d, gpa + off, piece, 0, 0);
		}
		break;
	}

	b->slot_len[slot] = len;
	b->inflight += len;
	flow_count_add(&b->to_daemon, len - VU_NET_HDR_LEN,
		       vu_gpa_ptr(&b->mem, gpa));
	vu_ring_post(&b->tx, head);
}

/**
 * tx_fill() - Read frames from the TAP into free slots, while the bound on
 *	       bytes in flight allows, and publish them
 * @b:		Bridge
 */
static void tx_fill(struct bridge *b)
{
	uint32_t held_len = 0;

	while (b->nfree && b->inflight < TX_INFLIGHT_MAX) {
		unsigned int slot = b->free_slots[b->nfree - 1];
		struct virtio_net_hdr_mrg_rxbuf *h;
		unsigned int dice = (unsigned int)random() % 1000;
		ssize_t n;

		h = vu_gpa_ptr(&b->mem, slot_gpa(b, slot));
		n = read(b->tap, h, SLOT_SIZE);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				break;
			vu_die_errno("TAP read");
		}
		if (n < VU_NET_HDR_LEN + 14 || dice < b->loss)
			continue;

		/* The TAP leaves num_buffers as it was, and may say
		 * DATA_VALID: a driver sends 0, and never that flag
		 */
		h->num_buffers = 0;
		h->hdr.flags &= (uint8_t)~VIRTIO_NET_HDR_F_DATA_VALID;
		b->nfree--;

		if (b->held < 0 && dice < b->loss + b->reorder) {
			b->held = (int)slot;
			held_len = (uint32_t)n;
			continue;
		}
		tx_post_slot(b, slot, (uint32_t)n);
		if (b->held >= 0) {
			tx_post_slot(b, (unsigned int)b->held, held_len);
			b->held = -1;
		}
	}

	/* Nothing more to overtake it: the held frame goes now */
	if (b->held >= 0) {
		tx_post_slot(b, (unsigned int)b->held, held_len);
		b->held = -1;
	}
	vu_ring_publish(&b->tx);
}

/**
 * tx_reap() - Take back the slots the device used, ask to be called for
 *	       the next
 * @b:		Bridge
 */
static void tx_reap(struct bridge *b)
{
	do {
		uint16_t pending;

		for (pending = vu_ring_used_pending(&b->tx); pending;
		     pending--) {
			uint32_t id, len, slot;

			vu_ring_used_peek(&b->tx, 0, &id, &len);
			slot = id / b->slot_descs;
			if (id >= b->qsize || id % b->slot_descs ||
			    slot >= b->nslots || !b->slot_len[slot]) {
				fprintf(stderr, "vubridge: bad used entry %u "
					"on transmit\n", id);
				exit(1);
			}
			b->inflight -= b->slot_len[slot];
			b->slot_len[slot] = 0;
			b->free_slots[b->nfree++] = (uint16_t)slot;
			b->tx.used_seen++;
		}
	} while (vu_ring_want_calls(&b->tx));
}

/**
 * state_file() - Save or load the back-end's state from or to a file
 * @conn:	Connection, rings stopped
 * @save:	Save if true, load if false
 * @path:	File, - for standard output (save) or input (load)
 *
 * Return: 0 if the transfer completed and CHECK_DEVICE_STATE said 0
 */
static int state_file(struct vu_conn *conn, bool save, const char *path)
{
	bool std = !strcmp(path, "-");
	uint64_t bytes, result;
	int fd, rc;

	if (!(conn->proto & VU_BIT(VU_PF_DEVICE_STATE))) {
		fprintf(stderr, "vubridge: back-end offers no DEVICE_STATE\n");
		return -1;
	}
	if (std)
		fd = save ? STDOUT_FILENO : STDIN_FILENO;
	else if (save)
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	else
		fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "vubridge: %s: %s\n", path, strerror(errno));
		return -1;
	}

	rc = vu_state_transfer(conn, save, fd, &bytes, &result);
	if (!std)
		close(fd);
	if (rc) {
		fprintf(stderr, "vubridge: device state not %s\n",
			save ? "saved" : "loaded");
		return -1;
	}
	fprintf(stderr, "vubridge: %s %llu bytes of device state, "
		"CHECK_DEVICE_STATE %llu\n", save ? "saved" : "loaded",
		(unsigned long long)bytes, (unsigned long long)result);
	return result ? -1 : 0;
}

/**
 * bridge_rings_start() - Announce memory, hand both rings to the daemon,
 *			  enable them and kick both
 * @b:		Bridge
 */
static void bridge_rings_start(struct bridge *b)
{
	if (vu_mem_announce(&b->conn, &b->mem, b->mem.size) ||
	    vu_ring_start(&b->conn, &b->rx) ||
	    vu_ring_start(&b->conn, &b->tx) ||
	    vu_ring_enable(&b->conn, &b->rx, true) ||
	    vu_ring_enable(&b->conn, &b->tx, true))
		vu_die("the daemon refused the rings");

	/* A ring starts with its first kick, and receive buffers wait */
	vu_ring_publish(&b->rx);
	vu_ring_kick(&b->rx);
	vu_ring_kick(&b->tx);
	vu_ring_want_calls(&b->rx);
	vu_ring_want_calls(&b->tx);
}

/**
 * bridge_save() - Stop the rings, save the daemon's state, release the TAP
 * @b:		Bridge
 * @path:	Where the state goes, - for standard output
 */
static void bridge_save(struct bridge *b, const char *path)
{
	if (vu_ring_enable(&b->conn, &b->rx, false) ||
	    vu_ring_enable(&b->conn, &b->tx, false) ||
	    vu_ring_stop(&b->conn, &b->rx) || vu_ring_stop(&b->conn, &b->tx))
		vu_die("the daemon did not stop the rings");

	/* What the daemon wrote before it stopped still goes to the guest */
	rx_drain(b);
	state_file(&b->conn, true, path);

	close(b->tap);
	b->tap = -1;
	fprintf(stderr, "vubridge: rings stopped, %s released\n", b->ifname);
}

/**
 * bridge_resume() - Take the TAP again and restart the rings where the
 *		     daemon stopped them, as QEMU does when a migration fails
 * @b:		Bridge
 */
static void bridge_resume(struct bridge *b)
{
	b->tap = tap_open(b->ifname, &b->offloads);
	bridge_rings_start(b);
	fprintf(stderr, "vubridge: rings started again, %s taken\n",
		b->ifname);
}

/**
 * counters_print() - Say what went each way, and the notifications
 * @b:		Bridge
 */
static void counters_print(const struct bridge *b)
{
	const struct flow_count *t = &b->to_daemon, *r = &b->from_daemon;

	fprintf(stderr, "vubridge: counters tx_frames=%" PRIu64
		" tx_bytes=%" PRIu64 " tx_gso=%" PRIu64 " tx_max=%" PRIu64
		" rx_frames=%" PRIu64 " rx_bytes=%" PRIu64 " rx_gso=%" PRIu64
		" rx_max=%" PRIu64 " kicks=%" PRIu64 " calls=%" PRIu64
		" tx_kicks=%" PRIu64 " rx_kicks=%" PRIu64 " tx_calls=%" PRIu64
		" rx_calls=%" PRIu64 "\n",
		t->frames, t->bytes, t->gso, t->largest,
		r->frames, r->bytes, r->gso, r->largest,
		b->tx.kicks + b->rx.kicks, b->tx.calls + b->rx.calls,
		b->tx.kicks, b->rx.kicks, b->tx.calls, b->rx.calls);
}

/**
 * conn_closed() - Tell whether the daemon closed the connection; anything
 *		   it sends unasked is discarded
 * @b:		Bridge
 *
 * Return: true if closed
 */
static bool conn_closed(const struct bridge *b)
{
	uint8_t buf[256];
	ssize_t n = recv(b->conn.fd, buf, sizeof(buf), MSG_DONTWAIT);

	if (n < 0)
		return errno != EAGAIN && errno != EINTR;
	return !n;
}

/**
 * bridge_run() - Copy frames until the daemon closes the connection, or a
 *		  signal says to exit; save and resume on signals
 * @b:		Bridge, rings started
 * @save_path:	Where SIGUSR1 saves the state, NULL to ignore it
 */
static void bridge_run(struct bridge *b, const char *save_path)
{
	sigset_t during;

	sigprocmask(SIG_SETMASK, NULL, &during);
	sigdelset(&during, SIGUSR1);
	sigdelset(&during, SIGUSR2);
	sigdelset(&during, SIGTERM);
	sigdelset(&during, SIGINT);
	sigdelset(&during, SIGHUP);

	while (!got_exit) {
		bool run = b->tap >= 0;
		struct pollfd pfd[4] = {
			{ .fd = b->conn.fd, .events = POLLIN },
			{ .fd = run ? b->rx.call : -1, .events = POLLIN },
			{ .fd = run ? b->tx.call : -1, .events = POLLIN },
			{ .fd = -1, .events = POLLIN },
		};
		int rc;

		if (run && b->nfree && b->inflight < TX_INFLIGHT_MAX)
			pfd[3].fd = b->tap;

		rc = ppoll(pfd, 4, NULL, &during);
		if (rc < 0 && errno != EINTR)
			vu_die_errno("ppoll");

		if (got_counters) {
			got_counters = 0;
			counters_print(b);
		}

		if (got_save) {
			got_save = 0;
			if (run && save_path) {
				bridge_save(b, save_path);
				continue;
			}
		}
		if (got_resume) {
			got_resume = 0;
			if (!run) {
				bridge_resume(b);
				continue;
			}
		}
		if (rc <= 0)
			continue;

		if (pfd[0].revents && conn_closed(b)) {
			fprintf(stderr, "vubridge: the other end closed the "
				"connection\n");
			return;
		}
		if (!run)
			continue;

		if (pfd[1].revents)
			vu_ring_ack_call(&b->rx);
		if (pfd[2].revents)
			vu_ring_ack_call(&b->tx);
		rx_drain(b);
		tx_reap(b);
		if (pfd[3].revents)
			tx_fill(b);
	}
}

/**
 * features_refused() - Parse the -r list
 * @list:	Comma-separated names
 *
 * Return: feature bits to refuse; an unknown name exits
 */
static uint64_t features_refused(const char *list)
{
	static const struct {
		const char *name;
		int bit;
	} names[] = {
		{ "mrg", VU_F_NET_MRG_RXBUF }, { "event-idx", VU_F_EVENT_IDX },
		{ "indirect", VU_F_INDIRECT_DESC }, { "mtu", VU_F_NET_MTU },
		{ "protocol", VU_F_PROTOCOL_FEATURES },
		{ "csum", VU_F_NET_CSUM },
		{ "guest-csum", VU_F_NET_GUEST_CSUM },
		{ "guest-tso4", VU_F_NET_GUEST_TSO4 },
		{ "guest-tso6", VU_F_NET_GUEST_TSO6 },
		{ "guest-uso4", VU_F_NET_GUEST_USO4 },
		{ "guest-uso6", VU_F_NET_GUEST_USO6 },
		{ "host-tso4", VU_F_NET_HOST_TSO4 },
		{ "host-tso6", VU_F_NET_HOST_TSO6 },
		{ "host-uso", VU_F_NET_HOST_USO },
	};
	uint64_t mask = 0;
	char buf[256], *tok, *save;
	size_t i;

	if (strlen(list) >= sizeof(buf))
		vu_die("-r: list too long");
	memcpy(buf, list, strlen(list) + 1);
	for (tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		if (!strcmp(tok, "offloads")) {
			mask |= VU_OFFLOADS;
			continue;
		}
		for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
			if (!strcmp(tok, names[i].name))
				break;
		}
		if (i == sizeof(names) / sizeof(names[0])) {
			fprintf(stderr, "vubridge: -r: unknown feature %s\n",
				tok);
			exit(1);
		}
		mask |= VU_BIT(names[i].bit);
	}
	return mask;
}

/**
 * number() - Parse a decimal option value within bounds
 * @s:		Text
 * @min:	Smallest value allowed
 * @max:	Largest value allowed
 * @what:	Option, for the message
 *
 * Return: value; out of bounds or not a number exits
 */
static unsigned long number(const char *s, unsigned long min,
			    unsigned long max, const char *what)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || end == s || v < min || v > max) {
		fprintf(stderr, "vubridge: %s: %s is not in %lu to %lu\n",
			what, s, min, max);
		exit(1);
	}
	return v;
}

/**
 * usage() - Print how to call us, exit
 */
static void usage(void)
{
	fprintf(stderr,
		"Usage: vubridge [-c] [-q SIZE] [-b BYTES] [-L LAYOUT] "
		"[-r FEATURES]\n"
		"                [-S FILE] [-l FILE] IFNAME SOCKPATH "
		"[LOSS_PERMILLE [REORDER_PERMILLE]]\n"
		"       vubridge --save FILE SOCKPATH\n"
		"       vubridge --load FILE SOCKPATH\n"
		"       vubridge --hostile CASE SOCKPATH\n"
		"       vubridge --list-hostile\n");
	exit(1);
}

/**
 * main() - Run one of the modes
 * @argc:	Argument count
 * @argv:	Options and arguments, see usage()
 *
 * Return: 0 on success (the daemon closed a bridge's connection, a state
 *	   transfer completed, a hostile case left the daemon serving)
 */
int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "save", required_argument, NULL, 1 },
		{ "load", required_argument, NULL, 2 },
		{ "hostile", required_argument, NULL, 3 },
		{ "list-hostile", no_argument, NULL, 4 },
		{ 0 },
	};
	uint64_t want = VU_BIT(VU_F_VERSION_1) | VU_BIT(VU_F_NET_MRG_RXBUF) |
			VU_BIT(VU_F_EVENT_IDX) | VU_BIT(VU_F_INDIRECT_DESC) |
			VU_BIT(VU_F_NET_MTU) | VU_BIT(VU_F_PROTOCOL_FEATURES) |
			VU_OFFLOADS;
	uint64_t want_proto = VU_BIT(VU_PF_MQ) | VU_BIT(VU_PF_LOG_SHMFD) |
			      VU_BIT(VU_PF_RARP) | VU_BIT(VU_PF_REPLY_ACK) |
			      VU_BIT(VU_PF_CONFIG) |
			      VU_BIT(VU_PF_DEVICE_STATE);
	const char *save_path = NULL, *load_path = NULL, *state = NULL;
	struct bridge b = { .qsize = 256, .rx_buf = 4096, .tap = -1 };
	struct sigaction sa = { .sa_handler = on_signal };
	const char *hostile = NULL;
	bool state_save = false;
	sigset_t block;
	int opt;

	signal(SIGPIPE, SIG_IGN);
	while ((opt = getopt_long(argc, argv, "cq:b:L:r:S:l:", longopts,
				  NULL)) != -1) {
		switch (opt) {
		case 'c':
			b.csum_all = true;
			break;
		case 'q':
			b.qsize = (unsigned int)number(optarg, 2, QUEUE_MAX,
						       "-q");
			if (b.qsize & (b.qsize - 1))
				vu_die("-q: not a power of two");
			break;
		case 'b':
			b.rx_buf = number(optarg, 128, SLOT_SIZE, "-b");
			break;
		case 'L':
			if (!strcmp(optarg, "flat"))
				b.layout = LAYOUT_FLAT;
			else if (!strcmp(optarg, "chain"))
				b.layout = LAYOUT_CHAIN;
			else if (!strcmp(optarg, "indirect"))
				b.layout = LAYOUT_INDIRECT;
			else if (!strcmp(optarg, "pages"))
				b.layout = LAYOUT_PAGES;
			else
				usage();
			break;
		case 'r':
			want &= ~features_refused(optarg);
			break;
		case 'S':
			save_path = optarg;
			break;
		case 'l':
			load_path = optarg;
			break;
		case 1:
		case 2:
			state = optarg;
			state_save = opt == 1;
			break;
		case 3:
			hostile = optarg;
			break;
		case 4:
			vu_hostile_list();
			return 0;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;

	if (hostile) {
		if (argc != 1)
			usage();
		return vu_hostile_run(hostile, argv[0]) ? 1 : 0;
	}
	if (state) {
		if (argc != 1)
			usage();
		vu_open(&b.conn, argv[0], want, want_proto);
		return state_file(&b.conn, state_save, state) ? 1 : 0;
	}
	if (argc < 2 || argc > 4)
		usage();
	if (argc > 2)
		b.loss = (unsigned int)number(argv[2], 0, 1000, "loss");
	if (argc > 3)
		b.reorder = (unsigned int)number(argv[3], 0, 1000, "reorder");
	if ((want & VU_BIT(VU_F_INDIRECT_DESC)) == 0 &&
	    b.layout == LAYOUT_INDIRECT)
		vu_die("-L indirect: indirect descriptors refused");
	b.ifname = argv[0];
	srandom((unsigned int)getpid());

	/* Signals arrive only while we wait, see bridge_run() */
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	sigaddset(&block, SIGUSR2);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGHUP);
	sigprocmask(SIG_BLOCK, &block, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGUSR2, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	vu_open(&b.conn, argv[1], want, want_proto);
	if (b.layout == LAYOUT_INDIRECT &&
	    !(b.conn.features & VU_BIT(VU_F_INDIRECT_DESC)))
		vu_die("-L indirect: no indirect descriptors offered");
	if (load_path && state_file(&b.conn, false, load_path))
		return 1;

	b.mrg = b.conn.features & VU_BIT(VU_F_NET_MRG_RXBUF);
	b.offloads = tap_offloads(b.conn.features);
	bridge_layout(&b);
	rx_post_all(&b);
	b.tap = tap_open(b.ifname, &b.offloads);
	bridge_rings_start(&b);
	fprintf(stderr, "vubridge: offered features %#llx, protocol features "
		"%#llx; took %#llx, %#llx; device MTU %i\n",
		(unsigned long long)b.conn.offered,
		(unsigned long long)b.conn.proto_offered,
		(unsigned long long)b.conn.features,
		(unsigned long long)b.conn.proto, vu_get_mtu(&b.conn));
	fprintf(stderr, "vubridge: TAP offloads %#x\n", b.offloads);
	fprintf(stderr, "vubridge: %s connected to %s\n", b.ifname, argv[1]);

	bridge_run(&b, save_path);
	counters_print(&b);

	vu_close(&b.conn);
	if (b.tap >= 0)
		close(b.tap);
	vu_ring_free(&b.rx);
	vu_ring_free(&b.tx);
	vu_mem_destroy(&b.mem);
	free(b.free_slots);
	free(b.slot_len);
	return 0;
}
