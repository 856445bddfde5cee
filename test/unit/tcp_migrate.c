// SPDX-License-Identifier: GPL-2.0-or-later
/* test/unit/tcp_migrate.c - the TCP flows stage of the migration format,
 * as a target reads it: valid records pass into the staging file byte for
 * byte, and every truncation, impossible field, oversized queue and count
 * that the data doesn't match is refused before anything is touched
 */

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "inany.h"
#include "l2_capture.h"
#include "tcp_migrate.h"
#include "tcp_restore.h"
#include "unit.h"
#include "util.h"

#define REC_LEN		112
#define EXT_LEN		52

/* One test stage: the bytes, as a source writes them */
static uint8_t stage_buf[1 << 16];
static size_t stage_len;

/**
 * put_side() - Append a flow side as the records lay it out
 * @p:		Destination, 36 bytes
 * @oaddr:	Our address, text
 * @eaddr:	Endpoint address, text
 * @oport:	Our port
 * @eport:	Endpoint port
 */
static void put_side(uint8_t *p, const char *oaddr, const char *eaddr,
		     uint16_t oport, uint16_t eport)
{
	union inany_addr o = test_addr(oaddr), e = test_addr(eaddr);

	memcpy(p, &o, 16);
	memcpy(p + 16, &e, 16);
	memcpy(p + 32, &oport, 2);	/* host order, as the format has it */
	memcpy(p + 34, &eport, 2);
}

/**
 * put_rec() - A valid fixed record of an outbound IPv4 connection
 * @p:		Destination, REC_LEN bytes
 */
static void put_rec(uint8_t *p)
{
	memset(p, 0, REC_LEN);
	p[0] = 2;			/* initiator: the guest */
	p[1] = 1;			/* target: the host */
	put_side(p + 2, "192.0.2.1", "192.0.2.100", 80, 40000);
	put_side(p + 38, "192.0.2.2", "198.51.100.7", 41000, 80);
	p[75] = 7;			/* guest's window scale */
	p[76] = 8;			/* ours */
	p[77] = 0x04;			/* established */
	put_be32(p + 78, 1460);
	put_be16(p + 88, 512);
	put_be16(p + 90, 100);
	put_be32(p + 92, 5010);		/* to guest */
	put_be32(p + 96, 5000);		/* acked by guest */
	put_be32(p + 100, 9000);	/* from guest */
	put_be32(p + 104, 9000);	/* acked to guest */
	put_be32(p + 108, 8990);
}

/**
 * put_ext() - A valid extended record of an established socket
 * @p:		Destination, EXT_LEN bytes
 * @sndq:	Send queue length
 * @rcvq:	Receive queue length
 */
static void put_ext(uint8_t *p, uint32_t sndq, uint32_t rcvq)
{
	memset(p, 0, EXT_LEN);
	put_be32(p, 1000);
	put_be32(p + 4, 2000);
	put_be32(p + 8, sndq);
	put_be32(p + 12, 0);
	put_be32(p + 16, rcvq);
	put_be32(p + 20, 1448);
	p[48] = 7;
	p[49] = 7;
	p[50] = 1;			/* established */
	p[51] = 0x07;			/* timestamps, SACK, window scaling */
}

/**
 * stage_build() - A stage of @n flows, each with queues of given lengths
 * @n:		Flows
 * @sndq:	Send queue length of each
 * @rcvq:	Receive queue length of each
 */
static void stage_build(unsigned n, uint32_t sndq, uint32_t rcvq)
{
	unsigned i;
	size_t j;

	stage_len = 0;
	put_be32(stage_buf, n);
	stage_len = 4;
	for (i = 0; i < n; i++) {
		put_rec(stage_buf + stage_len);
		stage_len += REC_LEN;
	}
	for (i = 0; i < n; i++) {
		put_ext(stage_buf + stage_len, sndq, rcvq);
		stage_len += EXT_LEN;
		for (j = 0; j < (size_t)sndq + rcvq; j++)
			stage_buf[stage_len++] = (uint8_t)(i + j);
	}
}

/**
 * load() - Feed bytes to tcp_restore_load()
 * @len:	How many of stage_buf
 * @count:	Flows read, set
 * @staged:	Bytes the staging file got, set
 *
 * Return: what tcp_restore_load() returned
 */
static int load(size_t len, uint32_t *count, size_t *staged)
{
	int in = memfd_create("in", 0), st = memfd_create("st", 0), rc;

	if (in < 0 || st < 0 || write_all(in, stage_buf, len) ||
	    lseek(in, 0, SEEK_SET))
		abort();

	*count = UINT32_MAX;
	rc = tcp_restore_load(in, st, count);
	*staged = (size_t)lseek(st, 0, SEEK_END);

	if (!rc) {
		static uint8_t back[sizeof(stage_buf)];

		/* The staging file holds exactly what was read */
		if (*staged != len || pread(st, back, len, 0) != (ssize_t)len ||
		    memcmp(back, stage_buf, len))
			rc = -1;
	}

	close(in);
	close(st);
	return rc;
}

/**
 * tcp_migrate_valid() - Valid stages pass whole, queues and skipped flows
 *			 included
 */
static void tcp_migrate_valid(void)
{
	uint32_t count;
	size_t staged;

	stage_build(0, 0, 0);
	UNIT_CHECK(!load(stage_len, &count, &staged) && count == 0);

	stage_build(3, 100, 50);
	UNIT_CHECK(!load(stage_len, &count, &staged) && count == 3);

	/* A flow the source couldn't save: state 0, no queue bytes */
	stage_build(1, 0, 0);
	stage_buf[4 + REC_LEN + 50] = 0;
	UNIT_CHECK(!load(stage_len, &count, &staged) && count == 1);
}

/**
 * tcp_migrate_truncated() - Every truncation of a stage with flows is a
 *			     stream that ends early
 */
static void tcp_migrate_truncated(void)
{
	uint32_t count;
	size_t staged, len, bad = 0;

	stage_build(2, 30, 20);
	for (len = 0; len < stage_len; len++)
		bad += load(len, &count, &staged) != EIO;
	UNIT_CHECK(!bad);

	/* Counting more flows than the data holds: the records run into
	 * what follows them, or the stream ends
	 */
	stage_build(2, 30, 20);
	put_be32(stage_buf, 3);
	UNIT_CHECK(load(stage_len, &count, &staged) > 0);
	stage_build(1, 0, 0);
	put_be32(stage_buf, 2);
	UNIT_CHECK(load(stage_len, &count, &staged) > 0);

	/* Or more than a table holds */
	put_be32(stage_buf, UINT32_MAX);
	UNIT_CHECK(load(stage_len, &count, &staged) == EINVAL);
}

/**
 * tcp_migrate_invalid() - Impossible fields in either record are refused
 */
static void tcp_migrate_invalid(void)
{
	static const struct {
		size_t off;		/* from the start of the record */
		uint8_t val;
		size_t len;		/* bytes set to @val */
		bool ext;		/* in the extended record */
	} cases[] = {
		{ 0, 1, 1, false },	/* both sides the host */
		{ 1, 3, 1, false },	/* unknown interface type */
		{ 75, 15, 1, false },	/* window scale above 14 */
		{ 77, 0x08, 1, false },	/* not established */
		{ 78, 0xff, 1, false },	/* MSS beyond 65535 */
		{ 34, 0, 2, false },	/* our port on the guest side: 0 */
		{ 36, 0, 2, false },	/* the guest's port: 0 */
		{ 72, 0, 2, false },	/* the peer's port: 0 */
		{ 18, 0, 16, false },	/* the guest's address: unspecified */
		{ 50, 2, 1, true },	/* SYN_SENT: not a state we carry */
		{ 50, 10, 1, true },	/* LISTEN */
		{ 48, 15, 1, true },	/* send window scale above 14 */
		{ 8, 0x08, 1, true },	/* send queue of 128 MiB */
		{ 16, 0x08, 1, true },	/* receive queue of 128 MiB */
		{ 12, 0x01, 1, true },	/* more unsent than queued */
	};
	uint32_t count;
	size_t staged;
	unsigned i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		size_t base = 4 + (cases[i].ext ? REC_LEN : 0);

		stage_build(1, 0, 0);
		memset(stage_buf + base + cases[i].off, cases[i].val,
		       cases[i].len);
		if (load(stage_len, &count, &staged) != EINVAL) {
			printf("# case %u: not refused\n", i);
			UNIT_CHECK(0);
		}
	}

	/* Mixed families on one connection */
	stage_build(1, 0, 0);
	put_side(stage_buf + 4 + 38, "2001:db8::2", "2001:db8::7", 41000, 80);
	UNIT_CHECK(load(stage_len, &count, &staged) == EINVAL);

	/* Acknowledged beyond what was sent */
	stage_build(1, 0, 0);
	put_be32(stage_buf + 4 + 96, 5020);
	UNIT_CHECK(load(stage_len, &count, &staged) == EINVAL);
}

/**
 * main() - Run the cases
 *
 * Return: 0 if all passed
 */
int main(void)
{
	UNIT_RUN(tcp_migrate_valid);
	UNIT_RUN(tcp_migrate_truncated);
	UNIT_RUN(tcp_migrate_invalid);
	UNIT_EXIT();
}
