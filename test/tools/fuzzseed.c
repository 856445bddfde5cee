// SPDX-License-Identifier: GPL-2.0-or-later
/* test/tools/fuzzseed.c - turn what test runs produce into seed inputs for
 * the fuzz targets in test/fuzz/, in each target's input format
 *
 * Usage: fuzzseed pcap FILE OUTDIR	frames from the guest in a capture
 *	  fuzzseed argv FILE OUTDIR	a command line, arguments separated
 *					by NUL bytes
 *	  fuzzseed synth OUTDIR		frames and TCP sessions for the
 *					ingress target, message streams and
 *					rings for the vhost-user targets,
 *					flows stages for tcp_flows, written
 *					here
 *
 * Each seed goes to OUTDIR/TARGET/, named by a hash of its contents, so
 * that running this again over the same material adds nothing. The inputs
 * are then minimised into test/fuzz/corpus/ (see test/fuzz/seeds).
 */

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tool.h"

#define FRAME_MAX	65535
#define SEED_MAX	(1 << 20)
#define OUR_MAC		"\x9a\x55\x9a\x55\x9a\x55"

/* Record headers of the ingress target's input (test/fuzz/ingress.c) */
enum ingress_op {
	OP_SEG, OP_ACK, OP_FLUSH, OP_RAW, OP_PEER_WRITE, OP_PEER_READ,
	OP_PEER_SHUT, OP_PEER_RST, OP_TIME, OP_REFUSE,
};

/* Operations of the vhost-user targets (test/fuzz/vhost_user.c, virtq.c) */
enum vu_op { VU_MSG, VU_MEM, VU_KICK, VU_SETUP, VU_TIME };
enum vq_op {
	VQ_DESC, VQ_AVAIL, VQ_BUF, VQ_TX, VQ_RX_POST, VQ_KICK, VQ_FLAGS,
	VQ_TIME,
};

/* Requests as the vhost_user target selects them: their index in its
 * table; and its message flags
 */
enum vu_sel {
	SEL_GET_FEATURES, SEL_SET_FEATURES, SEL_SET_OWNER, SEL_RESET_OWNER,
	SEL_SET_MEM_TABLE, SEL_SET_LOG_BASE, SEL_SET_LOG_FD, SEL_SET_VRING_NUM,
	SEL_SET_VRING_ADDR, SEL_SET_VRING_BASE, SEL_GET_VRING_BASE,
	SEL_SET_VRING_KICK, SEL_SET_VRING_CALL, SEL_SET_VRING_ERR,
	SEL_GET_PROTOCOL_FEATURES, SEL_SET_PROTOCOL_FEATURES,
	SEL_GET_QUEUE_NUM, SEL_SET_VRING_ENABLE, SEL_SEND_RARP,
	SEL_GET_CONFIG, SEL_SET_DEVICE_STATE_FD, SEL_CHECK_DEVICE_STATE,
	SEL_COUNT,
};
#define VU_NEED_REPLY	1
#define VU_BAD_VERSION	2
#define VU_ANY_SIZE	8
#define VU_FIX		16

/* Descriptor kinds a vhost_user message carries */
enum vu_fd { FD_MEM, FD_EVENT, FD_PIPE_READ, FD_PIPE_WRITE };

/* The guest's ARP request for the gateway, 192.0.2.1 */
static const uint8_t guest_arp[] = {
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 0, 2,
	0x08, 0x06, 0, 1, 0x08, 0, 6, 4, 0, 1,
	2, 0, 0, 0, 0, 2, 192, 0, 2, 2,
	0, 0, 0, 0, 0, 0, 192, 0, 2, 1,
};

/* Frames of one capture in its stream and batch seeds, at most */
#define SEQ_FRAMES	64

/**
 * struct seed - A seed being written
 * @buf:	Contents
 * @len:	Bytes used
 */
struct seed {
	uint8_t buf[SEED_MAX];
	size_t len;
};

static struct seed s;
static const char *outdir;

/**
 * add() - Append bytes to the seed, if they fit
 * @p:		Bytes
 * @len:	Their length
 */
static void add(const void *p, size_t len)
{
	if (len > SEED_MAX - s.len)
		return;
	memcpy(s.buf + s.len, p, len);
	s.len += len;
}

/**
 * add8() - Append one byte to the seed
 * @v:		Byte
 */
static void add8(unsigned v)
{
	uint8_t b = (uint8_t)v;

	add(&b, 1);
}

/**
 * add16() - Append a big-endian 16-bit value to the seed
 * @v:		Value
 */
static void add16(unsigned v)
{
	add8(v >> 8);
	add8(v);
}

/**
 * emit() - Write the seed for a target, named by its hash, and start over
 * @target:	Target name
 */
static void emit(const char *target)
{
	char path[4096];
	uint64_t h = 0xcbf29ce484222325ULL;	/* FNV-1a */
	size_t i;
	int fd;

	for (i = 0; i < s.len; i++)
		h = (h ^ s.buf[i]) * 0x100000001b3ULL;

	snprintf(path, sizeof(path), "%s/%s", outdir, target);
	if (mkdir(path, 0755) && errno != EEXIST)
		fail(path);
	snprintf(path, sizeof(path), "%s/%s/seed-%016llx", outdir, target,
		 (unsigned long long)h);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, s.buf, s.len) != (ssize_t)s.len)
		fail(path);
	close(fd);
	s.len = 0;
}

/**
 * read_file() - Read a whole file
 * @path:	File
 * @len:	Its length, set
 *
 * Return: contents, allocated
 */
static uint8_t *read_file(const char *path, size_t *len)
{
	static uint8_t buf[64 << 20];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		fail(path);
	*len = 0;
	while ((n = read(fd, buf + *len, sizeof(buf) - *len)) > 0)
		*len += (size_t)n;
	close(fd);
	return buf;
}

/**
 * frame_seeds() - Seeds for the protocol targets from one guest frame
 * @f:		Ethernet frame
 * @len:	Its length
 */
static void frame_seeds(const uint8_t *f, size_t len)
{
	const uint8_t *l4;
	size_t l4_len;
	unsigned proto;

	/* Every frame, alone, as raw ingress */
	add8(0);
	add8(OP_RAW);
	add8(0);
	add16((unsigned)len);
	add(f, len);
	emit("ingress");

	if (len < 14)
		return;
	if (get16(f + 12) == 0x0800 && len >= 34) {
		size_t ihl = (size_t)(f[14] & 0xf) * 4;

		if (14 + ihl > len)
			return;
		proto = f[23];
		l4 = f + 14 + ihl;
		l4_len = len - 14 - ihl;
	} else if (get16(f + 12) == 0x86dd && len >= 54) {
		proto = f[20];
		l4 = f + 54;
		l4_len = len - 54;
	} else {
		return;
	}

	if (proto == 17 && l4_len >= 8 && get16(l4 + 2) == 67) {
		add8(0);
		add(l4 + 8, l4_len - 8);
		emit("dhcp");
	} else if (proto == 17 && l4_len >= 8 && get16(l4 + 2) == 547) {
		add8(0);
		add(l4 + 8, l4_len - 8);
		emit("dhcpv6");
	} else if (proto == 58 && l4_len >= 4 && l4[0] >= 133 &&
		   l4[0] <= 137) {
		add8(0);
		add8(l4[0] - 133U);
		add(l4 + 4, l4_len - 4);
		emit("ndp");
	}
}

/**
 * pcap_seeds() - Seeds from every frame the guest sent in a capture, and
 *		  from its first frames as one stream and one batch
 * @path:	Capture file, as the daemon writes it (-p)
 */
static void pcap_seeds(const char *path)
{
	static struct seed stream, batch;
	size_t len, off = 24;
	const uint8_t *p = read_file(path, &len);
	unsigned n = 0;

	if (len < 24 || p[0] != 0xd4 || p[1] != 0xc3 || p[2] != 0xb2 ||
	    p[3] != 0xa1) {
		fprintf(stderr, "fuzzseed: %s: not a little-endian pcap\n",
			path);
		exit(1);
	}

	/* MTU selector 4 (65520) and fixed cut points, then the stream */
	memcpy(stream.buf, "\x04\x12\x34\x56\x78", 5);
	stream.len = 5;
	batch.buf[0] = 0;
	batch.len = 1;

	while (len - off >= 16) {
		const uint8_t *h = p + off;
		size_t caplen = (size_t)h[8] | (size_t)h[9] << 8 |
				(size_t)h[10] << 16 | (size_t)h[11] << 24;
		const uint8_t *f = h + 16;

		if (caplen > FRAME_MAX || len - off - 16 < caplen)
			break;
		off += 16 + caplen;

		if (caplen < 12 || !memcmp(f + 6, OUR_MAC, 6))
			continue;	/* ours, not the guest's */

		frame_seeds(f, caplen);
		if (n++ >= SEQ_FRAMES || stream.len + 4 + caplen > 65536)
			continue;

		put16(stream.buf + stream.len, 0);
		put16(stream.buf + stream.len + 2, (unsigned)caplen);
		stream.len += 4;
		memcpy(stream.buf + stream.len, f, caplen);
		stream.len += caplen;

		batch.buf[batch.len++] = OP_RAW;
		batch.buf[batch.len++] = 0;
		put16(batch.buf + batch.len, (unsigned)caplen);
		batch.len += 2;
		memcpy(batch.buf + batch.len, f, caplen);
		batch.len += caplen;
	}

	if (!n)
		return;
	memcpy(&s, &stream, sizeof(s));
	emit("tap");
	memcpy(&s, &batch, sizeof(s));
	emit("ingress");
}

/**
 * argv_seeds() - Seeds from one command line: itself, its port
 *		  specifications, its names
 * @path:	Arguments, each ended by a NUL byte
 */
static void argv_seeds(const char *path)
{
	static const char *const spec_opts[] = {
		"-t", "-u", "--tcp-ports", "--udp-ports",
	};
	static const char *const name_opts[] = {
		"-S", "--search", "-H", "--hostname", "--fqdn",
	};
	static struct seed names;
	size_t len, off, i;
	const uint8_t *p = read_file(path, &len);
	const char *prev = "";

	add(p, len);
	emit("conf");

	/* Compression on, 256 bytes of room */
	names.buf[0] = 1 | 16 << 1;
	names.len = 1;

	for (off = 0; off < len; off += strnlen((const char *)p + off,
						len - off) + 1) {
		const char *arg = (const char *)p + off;

		for (i = 0; i < sizeof(spec_opts) / sizeof(spec_opts[0]); i++) {
			if (strcmp(prev, spec_opts[i]))
				continue;
			add8(0);
			add(arg, strnlen(arg, len - off));
			emit("fwd_spec");
		}
		for (i = 0; i < sizeof(name_opts) / sizeof(name_opts[0]); i++) {
			size_t l = strnlen(arg, len - off);

			if (strcmp(prev, name_opts[i]) ||
			    names.len + l + 1 > sizeof(names.buf))
				continue;
			memcpy(names.buf + names.len, arg, l);
			names.len += l;
			names.buf[names.len++] = 0;
		}
		prev = arg;
	}

	if (names.len > 1) {
		memcpy(&s, &names, sizeof(s));
		emit("dname");
	}
}

/**
 * tcp_open() - Start a TCP session seed
 * @mode:	Mode byte: 1, 3, 5, 7 (see test/fuzz/ingress.c)
 */
static void tcp_open(unsigned mode)
{
	/* MSS 1460, window scale 7, SACK permitted, timestamps */
	static const uint8_t opts[] = {
		2, 4, 0x05, 0xb4, 1, 3, 3, 7, 4, 2, 8, 10,
		0, 0, 0, 1, 0, 0, 0, 0,
	};

	add8(mode);
	add16(0xffff);
	add8(sizeof(opts) / 4);
	add(opts, sizeof(opts));
}

/**
 * tcp_seg() - Append an OP_SEG record: in order, acknowledging everything
 * @flags:	TCP flags
 * @dseq:	Sequence number offset from the next in-order one
 * @len:	Payload length
 */
static void tcp_seg(unsigned flags, int dseq, unsigned len)
{
	add8(OP_SEG);
	add8(flags);
	add8((unsigned)dseq & 0xff);
	add8(0);		/* acknowledge all */
	add16(0xffff);
	add8(0);		/* no options */
	add16(len);
	add8(0);		/* payload from the pattern */
}

/**
 * raw_ip() - Append an OP_RAW record of an IP packet from the guest, with
 *	      lengths, checksums and MAC addresses left for the target to fix
 * @v4:		IPv4 (else IPv6)
 * @dst:	Destination address, 4 or 16 bytes
 * @proto:	Transport protocol
 * @l4:		Transport header and payload, checksum field zero
 * @l4_len:	Length of @l4
 */
static void raw_ip(int v4, const uint8_t *dst, unsigned proto,
		   const uint8_t *l4, size_t l4_len)
{
	static const uint8_t src4[4] = { 192, 0, 2, 2 };
	static const uint8_t src6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 1,
					  [15] = 2 };
	size_t ip_len = v4 ? 20 : 40;

	add8(OP_RAW);
	add8(0x0f);	/* every FIX_* bit */
	add16((unsigned)(14 + ip_len + l4_len));
	add(OUR_MAC, 6);
	add("\x02\0\0\0\0\x02", 6);
	if (v4) {
		add16(0x0800);
		add8(0x45);
		add8(0);
		add16((unsigned)(ip_len + l4_len));
		add16(0);
		add16(0x4000);
		add8(64);
		add8(proto);
		add16(0);
		add(src4, 4);
		add(dst, 4);
	} else {
		add16(0x86dd);
		add16(0x6000);
		add16(0);
		add16((unsigned)l4_len);
		add8(proto);
		add8(64);
		add(src6, 16);
		add(dst, 16);
	}
	add(l4, l4_len);
}

/**
 * raw_seeds() - Seeds of single frames for the ingress target, to the
 *		 addresses and ports its host end answers on
 */
static void raw_seeds(void)
{
	static const uint8_t gw4[4] = { 192, 0, 2, 1 };
	static const uint8_t dns4[4] = { 192, 0, 2, 53 };
	static const uint8_t gw6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 1,
					 [15] = 1 };
	static const uint8_t dns6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 1,
					  [15] = 0x53 };
	/* UDP to the echo port, a DNS query for example.test, echoes */
	static const uint8_t udp[] = {
		0x9c, 0x41, 0x13, 0x89, 0, 13, 0, 0, 'h', 'e', 'l', 'l', 'o',
	};
	static const uint8_t dns[] = {
		0x9c, 0x42, 0, 53, 0, 37, 0, 0,
		0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0,
		7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 4, 't', 'e', 's', 't',
		0, 0, 1, 0, 1,
	};
	static const uint8_t echo4[] = { 8, 0, 0, 0, 0, 1, 0, 1, 'p' };
	static const uint8_t echo6[] = { 128, 0, 0, 0, 0, 1, 0, 1, 'p' };
	/* SYN to the listener, and to a port where nothing listens */
	static const uint8_t syn[] = {
		0x9c, 0x43, 0x13, 0x89, 0, 0, 0, 1, 0, 0, 0, 0,
		0x50, 0x02, 0xff, 0xff, 0, 0, 0, 0,
	};
	static const uint8_t syn_closed[] = {
		0x9c, 0x44, 0x17, 0x70, 0, 0, 0, 1, 0, 0, 0, 0,
		0x50, 0x02, 0xff, 0xff, 0, 0, 0, 0,
	};
	int v4;

	for (v4 = 0; v4 < 2; v4++) {
		add8(0);
		raw_ip(v4, v4 ? gw4 : gw6, 17, udp, sizeof(udp));
		add8(OP_FLUSH);
		raw_ip(v4, v4 ? gw4 : gw6, 17, udp, sizeof(udp));
		add8(OP_TIME);
		add16(100);
		emit("ingress");

		add8(0);
		raw_ip(v4, v4 ? dns4 : dns6, 17, dns, sizeof(dns));
		emit("ingress");

		add8(0);
		raw_ip(v4, v4 ? gw4 : gw6, v4 ? 1 : 58, v4 ? echo4 : echo6,
		       sizeof(echo4));
		add8(OP_FLUSH);
		add8(OP_TIME);
		add16(100);
		emit("ingress");

		add8(0);
		raw_ip(v4, v4 ? gw4 : gw6, 6, syn, sizeof(syn));
		raw_ip(v4, v4 ? gw4 : gw6, 6, syn_closed, sizeof(syn_closed));
		emit("ingress");
	}

	/* To our MAC address, not broadcast */
	add8(0);
	add8(OP_RAW);
	add8(0);
	add16(sizeof(guest_arp));
	add(OUR_MAC, 6);
	add(guest_arp + 6, sizeof(guest_arp) - 6);
	emit("ingress");

	/* A partial UDP checksum and datagrams to split, as a vhost-user
	 * guest leaves them to us, to a front end taking every offload and
	 * cutting its receive buffers small
	 */
	add8(7 << 3 | 1 << 6);
	raw_ip(1, gw4, 17, udp, sizeof(udp));
	s.buf[s.len - sizeof(udp) - 20 - 14 - 3] |= 0x30;	/* offload */
	add8(0x80 | 3);		/* partial checksum, UDP segmentation */
	add16(4);		/* datagrams of 4 bytes */
	add16(0);
	add16(0);		/* checksum's place: from FIX_OFF_PLACE */
	add8(OP_FLUSH);
	emit("ingress");
}

/**
 * tcp_seeds() - Seeds for the ingress target's TCP sessions, each mode
 */
static void tcp_seeds(void)
{
	static const unsigned modes[] = { 1, 3, 5, 7 };
	size_t i;

	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		/* Data both ways, then a close from each side */
		tcp_open(modes[i]);
		add8(OP_PEER_WRITE);
		add16(1024);
		add8(OP_ACK);
		add16(0xffff);
		tcp_seg(0x18, 0, 1000);
		add8(OP_FLUSH);
		add8(OP_PEER_READ);
		add16(1024);
		add8(OP_TIME);
		add16(200);
		add8(OP_PEER_SHUT);
		add16(0);
		add8(OP_ACK);
		add16(0xffff);
		tcp_seg(0x11, 0, 0);
		add8(OP_FLUSH);
		emit("ingress");

		/* The front end refuses frames, then takes them again */
		tcp_open(modes[i]);
		add8(OP_PEER_WRITE);
		add16(4096);
		add8(OP_REFUSE);
		add8(1);
		add8(OP_PEER_WRITE);
		add16(4096);
		add8(OP_TIME);
		add16(1500);
		add8(OP_REFUSE);
		add8(0);
		add8(OP_ACK);
		add16(0xffff);
		emit("ingress");

		/* Out of order, a hole filled in the same batch, a reset */
		tcp_open(modes[i]);
		tcp_seg(0x18, 100, 200);
		tcp_seg(0x18, 0, 100);
		add8(OP_FLUSH);
		add8(OP_PEER_WRITE);
		add16(256);
		add8(OP_PEER_RST);
		add16(0);
		add8(OP_ACK);
		add16(0);
		emit("ingress");

		/* Retransmissions until the connection gives up */
		tcp_open(modes[i]);
		add8(OP_PEER_WRITE);
		add16(8192);
		add8(OP_TIME);
		add16(60000);
		add8(OP_TIME);
		add16(60000);
		add8(OP_TIME);
		add16(60000);
		add8(OP_TIME);
		add16(60000);
		emit("ingress");
	}
}

/**
 * csum16() - The Internet checksum of some bytes
 * @p:		Bytes
 * @len:	Their length
 *
 * Return: checksum, in network order as two bytes would hold it
 */
static uint16_t csum16(const uint8_t *p, size_t len)
{
	uint32_t sum = 0;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/**
 * vnet_hdr() - Append a virtio-net header, little-endian
 * @flags:	Flags: 1 for a partial checksum
 * @gso:	Segmentation type
 * @gso_size:	Segment size
 * @cs_start:	Where checksumming starts
 * @cs_off:	Where the checksum is, from @cs_start
 */
static void vnet_hdr(unsigned flags, unsigned gso, unsigned gso_size,
		     unsigned cs_start, unsigned cs_off)
{
	add8(flags);
	add8(gso);
	add8(0);		/* hdr_len */
	add8(0);
	add8(gso_size);
	add8(gso_size >> 8);
	add8(cs_start);
	add8(cs_start >> 8);
	add8(cs_off);
	add8(cs_off >> 8);
	add8(0);		/* num_buffers */
	add8(0);
}

/**
 * guest_echo() - Append the guest's ICMP echo request to the gateway, with
 *		  both checksums
 */
static void guest_echo(void)
{
	uint8_t f[14 + 20 + 12] = {
		0x9a, 0x55, 0x9a, 0x55, 0x9a, 0x55, 2, 0, 0, 0, 0, 2,
		0x08, 0x00,
		0x45, 0, 0, 32, 0, 1, 0x40, 0, 64, 1, 0, 0,
		192, 0, 2, 2, 192, 0, 2, 1,
		8, 0, 0, 0, 0x12, 0x34, 0, 1, 'p', 'i', 'n', 'g',
	};
	uint16_t sum = csum16(f + 14, 20);

	f[24] = (uint8_t)(sum >> 8);
	f[25] = (uint8_t)sum;
	sum = csum16(f + 34, 12);
	f[36] = (uint8_t)(sum >> 8);
	f[37] = (uint8_t)sum;
	add(f, sizeof(f));
}

/**
 * guest_udp() - Append the guest's UDP datagram to the gateway, port 5001,
 *		 its checksum left partial (a pseudo-header sum is not
 *		 needed: the daemon doesn't check a partial one)
 * @len:	Payload length
 */
static void guest_udp(unsigned len)
{
	uint8_t ip[20] = {
		0x45, 0, 0, 0, 0, 1, 0x40, 0, 64, 17, 0, 0,
		192, 0, 2, 2, 192, 0, 2, 1,
	};
	uint16_t sum;
	unsigned i;

	ip[2] = (uint8_t)((20 + 8 + len) >> 8);
	ip[3] = (uint8_t)(20 + 8 + len);
	sum = csum16(ip, 20);
	ip[10] = (uint8_t)(sum >> 8);
	ip[11] = (uint8_t)sum;

	add(OUR_MAC, 6);
	add("\x02\0\0\0\0\x02\x08\x00", 8);
	add(ip, 20);
	add16(40001);
	add16(5001);
	add16(8 + len);
	add16(0);
	for (i = 0; i < len; i++)
		add8('u');
}

/**
 * vu_msg() - Append a VU_MSG operation of the vhost_user target
 * @sel:	Request, enum vu_sel
 * @flags:	VU_* message flags
 * @payload:	Payload, as the request takes it, NULL for zeroes
 * @size:	Its size: the request's usual one unless VU_ANY_SIZE
 * @fds:	Kinds of descriptors, enum vu_fd
 * @nfds:	Number of them
 */
static void vu_msg(unsigned sel, unsigned flags, const void *payload,
		   size_t size, const uint8_t *fds, unsigned nfds)
{
	unsigned i;

	add8(VU_MSG);
	add8(sel);
	add8(flags);
	add8(nfds);
	if (flags & VU_ANY_SIZE)
		add16((unsigned)size);
	for (i = 0; i < size; i++)
		add8(payload ? ((const uint8_t *)payload)[i] : 0);
	for (i = 0; i < nfds; i++) {
		add8(fds[i]);
		if (fds[i] == FD_PIPE_READ)
			add8(0);	/* empty: a stream that ends at once */
	}
}

/**
 * vu_mem() - Append a VU_MEM operation: bytes into guest memory
 * @off:	Offset, a multiple of 16
 * @p:		Bytes
 * @len:	Their length, at most 255
 */
static void vu_mem(unsigned off, const void *p, size_t len)
{
	add8(VU_MEM);
	add16(off / 16);
	add8((unsigned)len);
	add(p, len);
}

/**
 * vu_seeds() - Seeds for the vhost_user target: QEMU's start-up, every
 *		request asking for its reply, frames through the queues,
 *		broken framing
 */
static void vu_seeds(void)
{
	static const uint8_t q0_16[8] = { 0, 0, 0, 0, 16 };
	static const uint8_t q1_16[8] = { 1, 0, 0, 0, 16 };
	static const uint8_t q0_on[8] = { 0, 0, 0, 0, 1 };
	static const uint8_t q1_on[8] = { 1, 0, 0, 0, 1 };
	static const uint8_t q1[8] = { 1 };
	static const uint8_t proto[8] = { 0x0e, 0x02, 0x08 };
	/* VERSION_1, PROTOCOL_FEATURES, MRG_RXBUF, EVENT_IDX, LOG_ALL */
	static const uint8_t features[8] = { 0, 0x80, 0, 0x64, 1 };
	static const uint8_t config[24] = { 0, 0, 0, 0, 12 };
	static const uint8_t rarp[8] = { 2, 0, 0, 0, 0, 2 };
	static const uint8_t mem = FD_MEM, ev = FD_EVENT;
	static const uint8_t pw = FD_PIPE_WRITE, pr = FD_PIPE_READ;
	/* Rings where fuzz_vu_setup() puts them, queue size 256: a receive
	 * buffer at 0x40000, the transmit chain at 0x20000
	 */
	static const uint8_t rx_desc[16] = {
		0, 0, 4, 0, 0, 0, 0, 0, 0, 8, 0, 0, 2, 0, 0, 0,
	};
	static const uint8_t tx_desc[16] = {
		0, 0, 2, 0, 0, 0, 0, 0, 12 + sizeof(guest_arp), 0, 0, 0,
	};
	static const uint8_t avail1[6] = { 0, 0, 1, 0, 0, 0 };
	/* Payload sizes the target takes for each request */
	static const uint8_t sizes[SEL_COUNT] = {
		[SEL_SET_FEATURES] = 8, [SEL_SET_MEM_TABLE] = 40,
		[SEL_SET_LOG_BASE] = 16, [SEL_SET_VRING_NUM] = 8,
		[SEL_SET_VRING_ADDR] = 40, [SEL_SET_VRING_BASE] = 8,
		[SEL_GET_VRING_BASE] = 8, [SEL_SET_VRING_KICK] = 8,
		[SEL_SET_VRING_CALL] = 8, [SEL_SET_VRING_ERR] = 8,
		[SEL_SET_PROTOCOL_FEATURES] = 8, [SEL_SET_VRING_ENABLE] = 8,
		[SEL_SEND_RARP] = 8, [SEL_GET_CONFIG] = 24,
		[SEL_SET_DEVICE_STATE_FD] = 8,
	};
	unsigned sel;

	/* Start-up as QEMU goes through it, each request put right */
	vu_msg(SEL_GET_FEATURES, VU_NEED_REPLY, NULL, 0, NULL, 0);
	vu_msg(SEL_GET_PROTOCOL_FEATURES, 0, NULL, 0, NULL, 0);
	vu_msg(SEL_SET_PROTOCOL_FEATURES, VU_NEED_REPLY, proto, 8, NULL, 0);
	vu_msg(SEL_SET_OWNER, VU_NEED_REPLY, NULL, 0, NULL, 0);
	vu_msg(SEL_SET_FEATURES, VU_NEED_REPLY, features, 8, NULL, 0);
	vu_msg(SEL_SET_MEM_TABLE, VU_NEED_REPLY | VU_FIX, NULL, 40, &mem, 1);
	vu_msg(SEL_SET_VRING_NUM, VU_FIX, q0_16, 8, NULL, 0);
	vu_msg(SEL_SET_VRING_BASE, VU_FIX, NULL, 8, NULL, 0);
	vu_msg(SEL_SET_VRING_ADDR, VU_FIX, NULL, 40, NULL, 0);
	vu_msg(SEL_SET_VRING_CALL, VU_FIX, NULL, 8, &ev, 1);
	vu_msg(SEL_SET_VRING_KICK, VU_FIX, NULL, 8, NULL, 0);
	vu_msg(SEL_SET_VRING_NUM, VU_FIX, q1_16, 8, NULL, 0);
	vu_msg(SEL_SET_VRING_BASE, VU_FIX, q1, 8, NULL, 0);
	vu_msg(SEL_SET_VRING_ADDR, VU_FIX, q1, 40, NULL, 0);
	vu_msg(SEL_SET_VRING_KICK, VU_FIX, q1, 8, NULL, 0);
	vu_msg(SEL_SET_VRING_ENABLE, VU_FIX, q0_on, 8, NULL, 0);
	vu_msg(SEL_SET_VRING_ENABLE, VU_FIX, q1_on, 8, NULL, 0);
	vu_msg(SEL_SEND_RARP, 0, rarp, 8, NULL, 0);
	vu_msg(SEL_GET_VRING_BASE, VU_FIX, NULL, 8, NULL, 0);
	emit("vhost_user");

	/* Every request we know, asking for a reply */
	for (sel = 0; sel < SEL_COUNT; sel++) {
		vu_msg(sel, VU_NEED_REPLY,
		       sel == SEL_GET_CONFIG ? config : NULL, sizes[sel],
		       NULL, 0);
	}
	emit("vhost_user");

	/* Migration: the dirty log, a state saved, then one loaded */
	add8(VU_SETUP);
	add16(0x0fff);
	add8(8);
	vu_msg(SEL_SET_LOG_BASE, VU_NEED_REPLY | VU_FIX, NULL, 16, &mem, 1);
	vu_msg(SEL_SET_LOG_FD, VU_NEED_REPLY, NULL, 0, &ev, 1);
	vu_msg(SEL_SET_DEVICE_STATE_FD, VU_FIX, NULL, 8, &pw, 1);
	vu_msg(SEL_CHECK_DEVICE_STATE, 0, NULL, 0, NULL, 0);
	vu_msg(SEL_SET_DEVICE_STATE_FD, VU_FIX, q1, 8, &pr, 1);
	vu_msg(SEL_CHECK_DEVICE_STATE, 0, NULL, 0, NULL, 0);
	vu_msg(SEL_RESET_OWNER, VU_NEED_REPLY, NULL, 0, NULL, 0);
	emit("vhost_user");

	/* A frame each way: an ARP request, its reply */
	add8(VU_SETUP);
	add16(0x0fff);
	add8(8);
	vu_mem(0x0, rx_desc, sizeof(rx_desc));
	vu_mem(0x8000, avail1, sizeof(avail1));
	add8(VU_KICK);
	add8(0);
	vu_mem(0x10000, tx_desc, sizeof(tx_desc));
	add8(VU_MEM);
	add16(0x20000 / 16);
	add8(12 + sizeof(guest_arp));
	vnet_hdr(0, 0, 0, 0, 0);
	add(guest_arp, sizeof(guest_arp));
	vu_mem(0x18000, avail1, sizeof(avail1));
	add8(VU_KICK);
	add8(1);
	add8(VU_TIME);
	add16(1000);
	emit("vhost_user");

	/* Broken framing: a bad version, a payload too large, an unknown
	 * request with and without a reply asked for
	 */
	vu_msg(SEL_GET_FEATURES, VU_BAD_VERSION, NULL, 0, NULL, 0);
	emit("vhost_user");
	vu_msg(SEL_GET_CONFIG, VU_ANY_SIZE, NULL, 300, NULL, 0);
	emit("vhost_user");
	add8(VU_MSG);
	add8(0xff);		/* a request by number */
	add8(VU_NEED_REPLY);
	add8(0);
	add8(99);		/* request */
	add8(0);		/* size */
	vu_msg(SEL_GET_FEATURES, VU_NEED_REPLY, NULL, 0, NULL, 0);
	emit("vhost_user");
}

/**
 * vq_tx_frame() - Turn what was added last into a VQ_TX operation: the
 *		   frame, its virtio-net header first, sent in pieces
 * @head:	First descriptor
 * @pieces:	Pieces, 1 to 4, the first ones @piece bytes each
 * @piece:	Bytes of each piece but the last
 * @from:	Where the frame starts in the seed: it moves behind the
 *		operation's header
 */
static void vq_tx_frame(unsigned head, unsigned pieces, unsigned piece,
			size_t from)
{
	static uint8_t f[FRAME_MAX];
	size_t len = s.len - from;
	unsigned i;

	memcpy(f, s.buf + from, len);
	s.len = from;
	add8(VQ_TX);
	add8(pieces - 1);
	add16(head);
	add16((unsigned)len);
	add(f, len);
	for (i = 0; i + 1 < pieces; i++)
		add16(piece);
}

/**
 * vq_seeds() - Seeds for the virtq target: frames in one buffer and in
 *		several, partial checksums and segmentation, an indirect
 *		table, receive buffers of every kind
 */
static void vq_seeds(void)
{
	/* Indirect table at 0x30000: the header at 0x31000, the frame
	 * at 0x31100
	 */
	static const uint8_t ind[32] = {
		0, 0x10, 3, 0, 0, 0, 0, 0, 12, 0, 0, 0, 1, 0, 1, 0,
		0, 0x11, 3, 0, 0, 0, 0, 0, sizeof(guest_arp), 0, 0, 0,
	};
	static const unsigned features[] = { 0x0fff, 0, 0x08a3 };
	size_t i, from;

	for (i = 0; i < sizeof(features) / sizeof(features[0]); i++) {
		add16(features[i]);
		add8(i ? 4 : 8);		/* 16 or 256 entries */
		add8(VQ_RX_POST);
		add8(7);			/* 8 buffers */
		add16(0);
		add16(i == 1 ? 2048 : 256);

		from = s.len;
		vnet_hdr(0, 0, 0, 0, 0);
		add(guest_arp, sizeof(guest_arp));
		vq_tx_frame(0, 1, 0, from);

		from = s.len;
		vnet_hdr(0, 0, 0, 0, 0);
		guest_echo();
		vq_tx_frame(4, 3, 10, from);

		/* A partial checksum, and datagrams to split (USO) */
		from = s.len;
		vnet_hdr(1, 0, 0, 34, 6);
		guest_udp(20);
		vq_tx_frame(8, 2, 12, from);
		from = s.len;
		vnet_hdr(1, 5, 5, 34, 6);
		guest_udp(20);
		vq_tx_frame(10, 1, 0, from);

		add8(VQ_TIME);
		add16(100);
		emit("virtq");
	}

	/* An indirect table, its chain made available by hand */
	add16(1 << 9);
	add8(4);
	add8(VQ_RX_POST);
	add8(3);
	add16(0);
	add16(1024);
	add8(VQ_DESC);
	add8(1);			/* transmit queue */
	add8(0);			/* address in memory, 16-bit length */
	add16(0);
	add16(0x30000 / 16);
	add16(sizeof(ind));
	add8(4);			/* indirect */
	add16(0);
	add8(VQ_BUF);
	add16(0x30000 / 16);
	add16(sizeof(ind));
	add(ind, sizeof(ind));
	add8(VQ_BUF);
	add16(0x31000 / 16);
	add16(12);
	vnet_hdr(0, 0, 0, 0, 0);
	add8(VQ_BUF);
	add16(0x31100 / 16);
	add16(sizeof(guest_arp));
	add(guest_arp, sizeof(guest_arp));
	add8(VQ_AVAIL);
	add8(1);
	add16(0);
	add8(VQ_KICK);
	add8(1);
	emit("virtq");
}

/**
 * flow_rec() - Append a fix-up byte and a fixed record for tcp_flows
 * @fix:	Fix-up bits (test/fuzz/tcp_flows.c)
 */
static void flow_rec(unsigned fix)
{
	uint8_t r[112] = { 0 };

	r[75] = 7;			/* window scales */
	r[76] = 7;
	r[77] = 0x04;			/* established */
	r[80] = 0x05;			/* MSS 1460 */
	r[81] = 0xb4;
	r[88] = 0xff;			/* windows */
	r[90] = 0xff;
	r[94] = 0x10;			/* sequence numbers */
	r[98] = 0x10;
	r[102] = 0x20;
	r[106] = 0x20;
	add8(fix);
	add(r, sizeof(r));
}

/**
 * flow_ext() - Append a fix-up byte, an extended record and its queues
 * @fix:	Fix-up bits (test/fuzz/tcp_flows.c)
 * @state:	State selector: 0 established, 2 FIN_WAIT2...
 * @sndq:	Send queue length, of which half not sent
 * @rcvq:	Receive queue length
 */
static void flow_ext(unsigned fix, unsigned state, unsigned sndq,
		     unsigned rcvq)
{
	uint8_t e[52] = { 0 };
	unsigned i;

	e[10] = (uint8_t)(sndq >> 8);
	e[11] = (uint8_t)sndq;
	e[15] = (uint8_t)(sndq / 2);
	e[18] = (uint8_t)(rcvq >> 8);
	e[19] = (uint8_t)rcvq;
	e[22] = 0x05;			/* MSS 1460 */
	e[23] = 0xb4;
	e[48] = 7;
	e[49] = 7;
	e[50] = (uint8_t)state;
	e[51] = 0x07;			/* timestamps, SACK, window scale */
	add8(fix);
	add(e, sizeof(e));
	for (i = 0; i < sndq + rcvq; i++)
		add8('q');
}

/**
 * flows_seeds() - Seeds for the tcp_flows target: no flow, good flows of
 *		   both families and directions, a skipped one, bad ones
 */
static void flows_seeds(void)
{
	add8(0);
	emit("tcp_flows");

	add8(1);
	flow_rec(0x1f);			/* inbound, IPv6 */
	flow_ext(0x05, 0, 10, 10);
	emit("tcp_flows");

	add8(3 | 1 << 5);		/* partial checksums to the guest */
	flow_rec(0x15);			/* outbound, IPv4 */
	flow_rec(0x17);			/* inbound, IPv4 */
	flow_rec(0x1d);			/* outbound, IPv6 */
	flow_ext(0x05, 2, 4, 0);	/* FIN_WAIT2 */
	flow_ext(0x02, 0, 0, 0);	/* skipped */
	flow_ext(0x05, 3, 0, 8);	/* CLOSE_WAIT */
	emit("tcp_flows");

	/* Not fixed: the record as written, invalid */
	add8(1);
	flow_rec(0);
	flow_ext(0, 1, 0, 0);
	emit("tcp_flows");
}

/**
 * main() - Write seeds from one source
 * @argc:	Argument count
 * @argv:	pcap|argv FILE OUTDIR, or synth OUTDIR
 *
 * Return: 0 on success
 */
int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "synth")) {
		outdir = argv[2];
		raw_seeds();
		tcp_seeds();
		vu_seeds();
		vq_seeds();
		flows_seeds();
		return 0;
	}
	if (argc != 4) {
		fprintf(stderr, "Usage: fuzzseed pcap|argv FILE OUTDIR\n"
				"       fuzzseed synth OUTDIR\n");
		return 1;
	}

	outdir = argv[3];
	if (!strcmp(argv[1], "pcap"))
		pcap_seeds(argv[2]);
	else if (!strcmp(argv[1], "argv"))
		argv_seeds(argv[2]);
	else
		return 1;
	return 0;
}
