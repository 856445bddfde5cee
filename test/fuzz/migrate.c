// SPDX-License-Identifier: GPL-2.0-or-later
/* test/fuzz/migrate.c - libFuzzer target: the migration stream, read on the
 * target side by migrate_target() from a pipe, as from the migration fd
 *
 * Input: the stream. A stream that fails must leave the context exactly as
 * it was; one that is applied must leave the target's own addresses as
 * they were, and the result must itself migrate: written with
 * migrate_source(), it must read back into a fresh target.
 */

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctx.h"
#include "fuzz.h"
#include "fwd.h"
#include "migrate.h"
#include "util.h"

/* Longest stream fed: what one pipe holds, so that no writer is needed */
#define STREAM_MAX	(1 << 20)

static struct ctx base;
/* Descriptors open when the input started: it must leave as many */
static int fd_baseline;

/**
 * fail() - Report a wrong result
 * @what:	What is wrong
 */
__attribute__((noreturn))
static void fail(const char *what)
{
	fprintf(stderr, "fuzz: %s\n", what);
	abort();
}

/**
 * pipe_of() - A pipe holding a whole stream, its write end closed
 * @data:	Stream
 * @len:	Length, cut to STREAM_MAX
 *
 * Return: read end
 */
static int pipe_of(const uint8_t *data, size_t len)
{
	int p[2];

	if (pipe2(p, O_CLOEXEC) || fcntl(p[1], F_SETPIPE_SZ, STREAM_MAX) < 0)
		abort();
	if (len > STREAM_MAX)
		len = STREAM_MAX;
	if (len && write(p[1], data, len) != (ssize_t)len)
		abort();
	close(p[1]);
	return p[0];
}

/**
 * own_addrs_kept() - Check the target's own addresses survived a migration
 * @before:	Context before
 * @after:	Context after
 */
static void own_addrs_kept(const struct ctx *before, const struct ctx *after)
{
	unsigned i, j;

	if (after->addr_count > MAX_GUEST_ADDRS)
		fail("more addresses than the array holds");

	for (i = 0; i < before->addr_count; i++) {
		const struct guest_addr *a = &before->addrs[i];

		if (!(a->flags & (CONF_ADDR_USER | CONF_ADDR_HOST)))
			continue;
		for (j = 0; j < after->addr_count; j++) {
			const struct guest_addr *b = &after->addrs[j];

			if (inany_equals(&a->addr, &b->addr) &&
			    a->prefix_len == b->prefix_len &&
			    (b->flags & a->flags) == a->flags)
				break;
		}
		if (j == after->addr_count)
			fail("an own address changed in a migration");
	}

	for (j = 0; j < after->addr_count; j++) {
		const struct guest_addr *b = &after->addrs[j];

		if (!fwd_prefix_len_valid(&b->addr, b->prefix_len))
			fail("invalid prefix length applied");
	}
}

/**
 * remigrate() - Write a context out and read it into a fresh target
 * @c:		Context, after a successful migration
 */
static void remigrate(struct ctx *c)
{
	static uint8_t buf[STREAM_MAX];
	static struct ctx fresh;
	ssize_t n, len = 0;
	int p[2], fd;

	if (pipe2(p, O_CLOEXEC) || fcntl(p[1], F_SETPIPE_SZ, STREAM_MAX) < 0)
		abort();
	if (migrate_source(c, p[1]))
		fail("a migrated context can't be written out");
	close(p[1]);
	while ((n = read(p[0], buf + len, sizeof(buf) - (size_t)len)) > 0)
		len += n;
	close(p[0]);

	fresh = base;
	fd = pipe_of(buf, (size_t)len);
	if (migrate_target(&fresh, fd))
		fail("a stream we wrote doesn't read back");
	close(fd);
}

/**
 * LLVMFuzzerInitialize() - Set up the target's context
 * @argc:	Unused
 * @argv:	Unused
 *
 * Return: 0
 */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;

	/* A stream's TCP flows get sockets: flows as the daemon has them,
	 * where closing one releases its socket, and nowhere to go
	 */
	fuzz_isolate();
	fuzz_init();
	fuzz_ctx_init(&base);
	fuzz_flows_init(&base);
	return 0;
}

/**
 * LLVMFuzzerTestOneInput() - Read one stream into the target
 * @data:	Input
 * @size:	Its length
 *
 * Return: 0
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ctx c;
	int fd, rc;

	fd_baseline = fuzz_fd_count();
	fd = pipe_of(data, size);
	c = base;
	rc = migrate_target(&c, fd);
	close(fd);

	if (rc) {
		if (memcmp(&c, &base, sizeof(c)))
			fail("a failed migration changed the context");
	} else {
		own_addrs_kept(&base, &c);
		remigrate(&c);
	}

	/* Flows that failed to restore close at the end of the pass */
	fuzz_pass_end(&c);
	fuzz_fd_check(fd_baseline);
	return 0;
}
