// SPDX-License-Identifier: GPL-2.0-or-later
/* test/fuzz/tcp_flows.c - libFuzzer target: the flows stage of a migration
 * stream (doc/migration.md), read and checked on the target side by
 * tcp_restore_load() from a pipe, then applied by tcp_restore_apply()
 *
 * The stage is built from the input: a count, a fixed record per flow,
 * then per flow an extended record and its queues. Each record's bytes
 * come from the input, and a byte of fix-ups per record may put parts of
 * it right (the sides' interfaces, addresses of one family, the fields
 * checked), so that inputs get past the first check into the next.
 *
 * A stage that fails to load must leave the staging file and nothing
 * else. One that loads is applied, without a repair helper, as a target
 * whose helper didn't come: every flow is then reset, one the source
 * skipped too, a RST to the guest for each, and nothing is left of it, no
 * flow, no socket, no descriptor.
 *
 * Input: flow count (bits 0 to 2) and what the front end's guest takes
 * (L2_OFF_* from bit 5 on) in a byte, then per flow a fix-up
 * byte and its fixed record, then per flow a fix-up byte and its extended
 * record, and its queues from what the input has left.
 */

#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ctx.h"
#include "flow.h"
#include "fuzz.h"
#include "l2.h"
#include "pkt.h"
#include "tcp_conn.h"
#include "tcp_migrate.h"
#include "tcp_restore.h"
#include "util.h"

/* Flows in one stage, at most: a few are enough to mix good and bad */
#define FLOWS_MAX	7

/* Longest stage fed: what one pipe holds, so that no writer is needed */
#define STAGE_MAX	(1 << 20)

/* Fix-ups of a fixed record */
#define REC_PIF		(1U << 0)	/* interfaces of both sides */
#define REC_INBOUND	(1U << 1)	/* ...the host side's first */
#define REC_ADDRS	(1U << 2)	/* addresses and ports, valid */
#define REC_V6		(1U << 3)	/* ...IPv6, else IPv4-mapped */
#define REC_FIELDS	(1U << 4)	/* scales, events, MSS, sequences */

/* Fix-ups of an extended record */
#define EXT_STATE	(1U << 0)	/* a state we carry */
#define EXT_SKIP	(1U << 1)	/* ...or skipped by the source */
#define EXT_QUEUES	(1U << 2)	/* short queues, sane scales */

static struct ctx base;
static uint8_t stage[STAGE_MAX];
static size_t stage_len;
/* Descriptors open when the input started: it must leave as many */
static int fd_baseline;
/* RSTs to the guest the front end saw */
static unsigned rsts;

/**
 * put() - Append bytes to the stage, as far as it holds them
 * @p:		Bytes, NULL for zeroes
 * @len:	Their length
 */
static void put(const void *p, size_t len)
{
	len = MIN(len, STAGE_MAX - stage_len);
	if (p)
		memcpy(stage + stage_len, p, len);
	else
		memset(stage + stage_len, 0, len);
	stage_len += len;
}

/**
 * addr_put() - Write an address as the records carry it: 16 bytes,
 *		IPv4 as IPv4-mapped IPv6
 * @p:		Destination
 * @v6:		IPv6 (else IPv4)
 * @host:	Last byte of the address
 */
static void addr_put(uint8_t *p, bool v6, uint8_t host)
{
	static const uint8_t pfx6[] = { 0x20, 0x01, 0x0d, 0xb8, 0, 1 };
	static const uint8_t pfx4[] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
					0xff, 0xff, 192, 0, 2 };

	memset(p, 0, 16);
	if (v6)
		memcpy(p, pfx6, sizeof(pfx6));
	else
		memcpy(p, pfx4, sizeof(pfx4));
	p[15] = host;
}

/**
 * rec_fix() - Put parts of a fixed record right
 * @r:		Record, TCP_MIGRATE_REC_LEN bytes
 * @fix:	REC_* bits
 */
static void rec_fix(uint8_t *r, uint8_t fix)
{
	uint32_t seq;

	if (fix & REC_PIF) {
		r[0] = fix & REC_INBOUND ? TCP_MIGRATE_PIF_HOST :
					   TCP_MIGRATE_PIF_GUEST;
		r[1] = fix & REC_INBOUND ? TCP_MIGRATE_PIF_GUEST :
					   TCP_MIGRATE_PIF_HOST;
	}
	if (fix & REC_ADDRS) {
		unsigned side;

		/* Two sides of 36 bytes: two addresses, two ports each */
		for (side = 0; side < 2; side++) {
			uint8_t *s = r + 2 + side * 36;

			addr_put(s, fix & REC_V6, (uint8_t)(1 + side * 2));
			addr_put(s + 16, fix & REC_V6, (uint8_t)(2 + side * 2));
			if (!s[32] && !s[33])
				s[32] = 1;
			if (!s[34] && !s[35])
				s[34] = 2;
		}
	}
	if (fix & REC_FIELDS) {
		r[75] %= 15;
		r[76] %= 15;
		r[77] |= TCP_MIGRATE_EV_ESTABLISHED;
		put_be32(r + 78, 64 + get_be32(r + 78) % (65536 - 64));
		/* What the guest acknowledged, at most a queue behind */
		seq = get_be32(r + 92);
		put_be32(r + 96, seq - get_be32(r + 96) % 65536);
	}
}

/**
 * ext_fix() - Put parts of an extended record right
 * @e:		Record, TCP_MIGRATE_EXT_LEN bytes
 * @fix:	EXT_* bits
 */
static void ext_fix(uint8_t *e, uint8_t fix)
{
	static const uint8_t states[] = {
		TCP_MIGRATE_ST_ESTABLISHED, TCP_MIGRATE_ST_FIN_WAIT1,
		TCP_MIGRATE_ST_FIN_WAIT2, TCP_MIGRATE_ST_CLOSE_WAIT,
		TCP_MIGRATE_ST_LAST_ACK, TCP_MIGRATE_ST_CLOSING,
	};

	if (fix & EXT_SKIP)
		e[50] = TCP_MIGRATE_ST_SKIPPED;
	else if (fix & EXT_STATE)
		e[50] = states[e[50] % ARRAY_SIZE(states)];

	if (fix & EXT_QUEUES) {
		uint32_t sndq = get_be32(e + 8) % 4096;

		put_be32(e + 8, sndq);
		put_be32(e + 12, sndq ? get_be32(e + 12) % (sndq + 1) : 0);
		put_be32(e + 16, get_be32(e + 16) % 4096);
		put_be32(e + 20, get_be32(e + 20) % 65536);
		e[48] %= 15;
		e[49] %= 15;
	}
}

/**
 * build() - Build the stage from the input
 * @in:		Input, all taken
 * @count:	Flows in the stage, as its count says
 */
static void build(struct fuzz_in *in, unsigned count)
{
	uint8_t rec[TCP_MIGRATE_REC_LEN], ext[TCP_MIGRATE_EXT_LEN], fix;
	unsigned i;

	stage_len = 0;
	put_be32(rec, count);
	put(rec, 4);

	for (i = 0; i < count; i++) {
		fix = fuzz_u8(in);
		fuzz_bytes(in, rec, sizeof(rec));
		rec_fix(rec, fix);
		put(rec, sizeof(rec));
	}

	for (i = 0; i < count; i++) {
		size_t q;

		fix = fuzz_u8(in);
		fuzz_bytes(in, ext, sizeof(ext));
		ext_fix(ext, fix);
		put(ext, sizeof(ext));
		if (!ext[50])
			continue;

		/* Queues: what the record says, as far as the input goes,
		 * then zeroes if asked, or the stage ends short
		 */
		q = (size_t)get_be32(ext + 8) + get_be32(ext + 16);
		q = MIN(q, STAGE_MAX - stage_len);
		if (fix & EXT_QUEUES) {
			size_t n = MIN(q, in->left);

			put(in->p, n);
			in->p += n;
			in->left -= n;
			put(NULL, q - n);
		} else {
			size_t n = MIN(q, in->left);

			put(in->p, n);
			in->p += n;
			in->left -= n;
		}
	}

	/* Whatever is left: past the end of the stage, as the next stage */
	put(in->p, in->left);
	in->left = 0;
}

/**
 * pipe_of() - A pipe holding the whole stage, its write end closed
 *
 * Return: read end
 */
static int pipe_of(void)
{
	int p[2];

	if (pipe2(p, O_CLOEXEC) || fcntl(p[1], F_SETPIPE_SZ, STAGE_MAX) < 0)
		abort();
	if (stage_len && write(p[1], stage, stage_len) != (ssize_t)stage_len)
		abort();
	close(p[1]);
	return p[0];
}

/**
 * count_rst() - Count the RSTs the front end delivers
 * @c:		Execution context, unused
 * @frame:	Frame, checked already
 * @len:	Its length
 */
static void count_rst(struct ctx *c, const uint8_t *frame, size_t len)
{
	struct pkt p;

	(void)c;
	if (!pkt_parse(frame, len, &p) && p.proto == IPPROTO_TCP &&
	    p.l4_len >= 20 && (p.l4[13] & TCP_RST))
		rsts++;
}

/**
 * LLVMFuzzerInitialize() - Namespace, context, flows
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
	fuzz_ctx_init(&base);
	fuzz_flows_init(&base);
	fuzz_l2_hook = count_rst;
	return 0;
}

/**
 * LLVMFuzzerTestOneInput() - Load one stage, and apply it if it loads
 * @data:	Input
 * @size:	Its length
 *
 * Return: 0
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	uint8_t first = fuzz_u8(&in);
	unsigned count = first & FLOWS_MAX, want;
	static struct ctx c;
	uint32_t loaded = 0;
	int fd, staging, rc;

	fd_baseline = fuzz_fd_count();
	fuzz_l2_offloads = first >> 5;
	build(&in, count);

	c = base;
	fd = pipe_of();
	staging = memfd_create("fuzz-stage", MFD_CLOEXEC);
	if (staging < 0)
		abort();
	rc = tcp_restore_load(fd, staging, &loaded);
	close(fd);

	if (rc) {
		close(staging);
		if (memcmp(&c, &base, sizeof(c))) {
			fprintf(stderr, "fuzz: a failed load changed the "
				"context\n");
			abort();
		}
		fuzz_fd_check(fd_baseline);
		return 0;
	}
	if (loaded != count) {
		fprintf(stderr, "fuzz: %u flows loaded of %u\n", loaded, count);
		abort();
	}

	/* No helper: every flow is reset, the guest told, and so is one the
	 * source skipped
	 */
	want = count;
	rsts = 0;
	tcp_restore_apply(&c, staging, loaded);
	l2_flush(&c);
	if (rsts != want) {
		fprintf(stderr, "fuzz: %u RSTs for %u flows not restored\n",
			rsts, want);
		abort();
	}

	fuzz_flows_settle(&c);
	fuzz_l2_idle();
	fuzz_fd_check(fd_baseline);
	return 0;
}
