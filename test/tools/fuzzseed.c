// SPDX-License-Identifier: GPL-2.0-or-later
/* test/tools/fuzzseed.c - turn what test runs produce into seed inputs for
 * the fuzz targets in test/fuzz/, in each target's input format
 *
 * Usage: fuzzseed pcap FILE OUTDIR	frames from the guest in a capture
 *	  fuzzseed argv FILE OUTDIR	a command line, arguments separated
 *					by NUL bytes
 *	  fuzzseed synth OUTDIR		frames and TCP sessions for the
 *					ingress target, written here
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
	/* ARP request for the gateway */
	static const uint8_t arp[] = {
		0x9a, 0x55, 0x9a, 0x55, 0x9a, 0x55, 2, 0, 0, 0, 0, 2,
		0x08, 0x06, 0, 1, 0x08, 0, 6, 4, 0, 1,
		2, 0, 0, 0, 0, 2, 192, 0, 2, 2,
		0, 0, 0, 0, 0, 0, 192, 0, 2, 1,
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

	add8(0);
	add8(OP_RAW);
	add8(0);
	add16(sizeof(arp));
	add(arp, sizeof(arp));
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
