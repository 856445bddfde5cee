// SPDX-License-Identifier: GPL-2.0-or-later
/* test/unit/migrate.c - the migration stream through a pipe: round trips,
 * version 2 in both directions, capacity, unknown flags, truncated and
 * malformed streams, header checks
 *
 * Streams the tests build by hand are written here, byte by byte, from
 * doc/migration.md, not with the daemon's code: the two must agree.
 */

#include <errno.h>
#include <unistd.h>

#include "ctx.h"
#include "fwd.h"
#include "migrate.h"
#include "unit.h"

/* Largest stream a test builds: header, 255 version 3 entries, MAC, flows */
#define STREAM_MAX	(16 + 1 + 255 * 18 + 6 + 4)

/**
 * struct stream - A stream being built or read back
 * @b:		Bytes
 * @len:	Bytes used
 */
struct stream {
	uint8_t b[STREAM_MAX];
	size_t len;
};

static struct ctx src, dst, before;

static const uint8_t mac_a[6] = { 0x02, 0x00, 0x5e, 0x10, 0x20, 0x30 };
static const uint8_t mac_b[6] = { 0x02, 0x00, 0x5e, 0xaa, 0xbb, 0xcc };

/**
 * put() - Append bytes to a stream
 * @s:		Stream
 * @p:		Bytes
 * @n:		Number of bytes
 */
static void put(struct stream *s, const void *p, size_t n)
{
	if (s->len + n > sizeof(s->b))
		abort();
	memcpy(s->b + s->len, p, n);
	s->len += n;
}

/**
 * put_u8() - Append one byte to a stream
 * @s:		Stream
 * @v:		Value
 */
static void put_u8(struct stream *s, unsigned v)
{
	uint8_t b = (uint8_t)v;

	put(s, &b, 1);
}

/**
 * put_u32() - Append a big-endian 32-bit value to a stream
 * @s:		Stream
 * @v:		Value
 */
static void put_u32(struct stream *s, uint32_t v)
{
	put_u8(s, v >> 24);
	put_u8(s, (v >> 16) & 0xff);
	put_u8(s, (v >> 8) & 0xff);
	put_u8(s, v & 0xff);
}

/**
 * put_header() - Start a stream with a header
 * @s:		Stream, emptied first
 * @version:	Version field
 * @compat:	Compat version field
 */
static void put_header(struct stream *s, uint32_t version, uint32_t compat)
{
	static const uint8_t magic[8] = {
		0xb1, 0xbb, 0x1d, 0x1b, 0x0b, 0xb1, 0xd1, 0xb0
	};

	s->len = 0;
	put(s, magic, sizeof(magic));
	put_u32(s, version);
	put_u32(s, compat);
}

/**
 * put_v3_entry() - Append a version 3 address entry
 * @s:		Stream
 * @text:	Address, text form
 * @prefix_len:	Prefix length byte
 * @flags:	Flags byte
 */
static void put_v3_entry(struct stream *s, const char *text,
			 unsigned prefix_len, unsigned flags)
{
	union inany_addr a = test_addr(text);

	put(s, &a, 16);
	put_u8(s, prefix_len);
	put_u8(s, flags);
}

/**
 * get_u32() - Read a big-endian 32-bit value from a stream
 * @s:		Stream
 * @off:	Offset
 *
 * Return: the value
 */
static uint32_t get_u32(const struct stream *s, size_t off)
{
	return (uint32_t)s->b[off] << 24 | (uint32_t)s->b[off + 1] << 16 |
	       (uint32_t)s->b[off + 2] << 8 | s->b[off + 3];
}

/**
 * load() - Feed a stream to migrate_target() through a pipe
 * @c:		Target context
 * @s:		Stream
 * @len:	Bytes of @s to feed, the rest is cut off
 *
 * Return: what migrate_target() returned
 */
static int load(struct ctx *c, const struct stream *s, size_t len)
{
	int p[2], rc;

	if (pipe(p) || write(p[1], s->b, len) != (ssize_t)len)
		abort();
	close(p[1]);
	rc = migrate_target(c, p[0]);
	close(p[0]);

	return rc;
}

/**
 * save() - Collect what migrate_source() writes through a pipe
 * @c:		Source context
 * @s:		Stream, filled
 *
 * Return: what migrate_source() returned
 */
static int save(struct ctx *c, struct stream *s)
{
	ssize_t n;
	int p[2], rc;

	if (pipe(p))
		abort();
	rc = migrate_source(c, p[1]);
	close(p[1]);

	s->len = 0;
	while ((n = read(p[0], s->b + s->len, sizeof(s->b) - s->len)) > 0)
		s->len += (size_t)n;
	close(p[0]);

	return rc;
}

/**
 * find() - Look an address up in a context
 * @c:		Context
 * @text:	Address, text form
 *
 * Return: the entry, NULL if absent
 */
static const struct guest_addr *find(const struct ctx *c, const char *text)
{
	union inany_addr a = test_addr(text);
	const struct guest_addr *g;

	for (g = c->addrs; g < c->addrs + c->addr_count; g++) {
		if (inany_equals(&g->addr, &a))
			return g;
	}
	return NULL;
}

/**
 * set_entry() - Put an entry in a context as it is, flags included
 * @c:		Context
 * @text:	Address, text form
 * @prefix_len:	Prefix length
 * @flags:	CONF_ADDR_* bits
 */
static void set_entry(struct ctx *c, const char *text, uint8_t prefix_len,
		      uint8_t flags)
{
	struct guest_addr *g = &c->addrs[c->addr_count++];

	g->addr = test_addr(text);
	g->prefix_len = prefix_len;
	g->flags = flags;
}

/**
 * target_init() - A target with its own user and host entries, and a MAC
 */
static void target_init(void)
{
	memset(&dst, 0, sizeof(dst));
	set_entry(&dst, "198.51.100.7", 24, CONF_ADDR_USER);
	set_entry(&dst, "2001:db8:2::7", 64, CONF_ADDR_HOST);
	/* Also the source's: the target's prefix length must stay */
	set_entry(&dst, "192.0.2.9", 16, CONF_ADDR_HOST);
	memcpy(dst.guest_mac, mac_b, sizeof(mac_b));
}

/**
 * unchanged() - Is the target as it was before the last snapshot()?
 *
 * Return: true if its context did not change at all
 */
static bool unchanged(void)
{
	return !memcmp(&dst, &before, sizeof(dst));
}

/**
 * snapshot() - Remember the target's context
 */
static void snapshot(void)
{
	memcpy(&before, &dst, sizeof(dst));
}

/**
 * migrate_flags_map() - Flags convert to the documented bits and back, and
 *			 unknown stream bits are dropped
 */
static void migrate_flags_map(void)
{
	unsigned f;

	UNIT_CHECK(migrate_flags_encode(CONF_ADDR_USER) == 0x01);
	UNIT_CHECK(migrate_flags_encode(CONF_ADDR_HOST) == 0x02);
	UNIT_CHECK(migrate_flags_encode(CONF_ADDR_LINKLOCAL) == 0x04);
	UNIT_CHECK(migrate_flags_encode(CONF_ADDR_OBSERVED) == 0x08);
	UNIT_CHECK(migrate_flags_decode(0xf0) == 0);
	for (f = 0; f < 16; f++) {
		uint8_t conf = migrate_flags_decode((uint8_t)f);

		UNIT_CHECK(migrate_flags_encode(conf) == f);
		UNIT_CHECK(migrate_flags_decode((uint8_t)(f | 0xf0)) ==
			   conf);
	}
}

/**
 * migrate_v3_roundtrip() - Every flag combination in both families goes
 *			    through a pipe; the target takes the observed
 *			    entries and the MAC address, keeps its own
 */
static void migrate_v3_roundtrip(void)
{
	const struct guest_addr *g;
	struct stream s;
	unsigned f, n = 0;
	char text[64];

	memset(&src, 0, sizeof(src));
	for (f = 0; f < 16; f++) {
		uint8_t conf = migrate_flags_decode((uint8_t)f);

		snprintf(text, sizeof(text), "192.0.2.%u", f + 1);
		set_entry(&src, text, (uint8_t)(8 + f), conf);
		snprintf(text, sizeof(text), "2001:db8::%u", f + 1);
		set_entry(&src, text, (uint8_t)(64 + f), conf);
	}
	memcpy(src.guest_mac, mac_a, sizeof(mac_a));
	UNIT_CHECK(src.addr_count == MAX_GUEST_ADDRS);

	UNIT_CHECK(!save(&src, &s));
	/* Header, count, 32 entries, MAC, flows */
	UNIT_CHECK(s.len == 16 + 1 + 32 * 18 + 6 + 4);
	UNIT_CHECK(get_u32(&s, 8) == 3 && get_u32(&s, 12) == 3);
	UNIT_CHECK(s.b[16] == 32);
	for (f = 0; f < 32; f++) {
		const uint8_t *e = s.b + 17 + f * 18;

		UNIT_CHECK(!memcmp(e, &src.addrs[f].addr, 16));
		UNIT_CHECK(e[16] == src.addrs[f].prefix_len);
		UNIT_CHECK(e[17] == f / 2);
	}
	UNIT_CHECK(!memcmp(s.b + 17 + 32 * 18, mac_a, 6));
	UNIT_CHECK(get_u32(&s, 17 + 32 * 18 + 6) == 0);

	target_init();
	UNIT_CHECK(!load(&dst, &s, s.len));
	UNIT_CHECK(!memcmp(dst.guest_mac, mac_a, 6));

	/* The target's own entries, untouched */
	g = find(&dst, "198.51.100.7");
	UNIT_CHECK(g && g->flags == CONF_ADDR_USER && g->prefix_len == 24);
	g = find(&dst, "2001:db8:2::7");
	UNIT_CHECK(g && g->flags == CONF_ADDR_HOST && g->prefix_len == 64);

	for (f = 0; f < 16; f++) {
		bool observed = f & MIGRATE_ADDR_OBSERVED;
		const struct guest_addr *g6;

		snprintf(text, sizeof(text), "192.0.2.%u", f + 1);
		g = find(&dst, text);
		snprintf(text, sizeof(text), "2001:db8::%u", f + 1);
		g6 = find(&dst, text);

		if (f + 1 == 9) {
			/* Held by the target already: gains the flag only */
			UNIT_CHECK(g && g->prefix_len == 16);
			UNIT_CHECK(g && g->flags == (CONF_ADDR_HOST |
				   (observed ? CONF_ADDR_OBSERVED : 0)));
		} else if (observed) {
			UNIT_CHECK(g && g->flags == CONF_ADDR_OBSERVED &&
				   g->prefix_len == 8 + f);
		} else {
			UNIT_CHECK(!g);
		}

		if (observed) {
			UNIT_CHECK(g6 && g6->flags == CONF_ADDR_OBSERVED &&
				   g6->prefix_len == 64 + f);
			n++;
		} else {
			UNIT_CHECK(!g6);
		}
	}
	/* Three of its own, 8 observed IPv6, 7 observed IPv4 not held */
	UNIT_CHECK(n == 8);
	UNIT_CHECK(dst.addr_count == 3 + 8 + 7);
}

/**
 * migrate_v2_into_ours() - A hand-made version 2 stream applies as
 *			    observed entries and the MAC address; zero slots
 *			    mean nothing observed
 */
static void migrate_v2_into_ours(void)
{
	union inany_addr a6 = test_addr("2001:db8:5::5");
	union inany_addr ll = test_addr("fe80::5");
	union inany_addr a4 = test_addr("192.0.2.5");
	const struct guest_addr *g;
	uint8_t zero[16] = { 0 };
	struct stream s;

	put_header(&s, 2, 2);
	put(&s, &a6, 16);
	put(&s, &ll, 16);
	put(&s, &a4.v4mapped.a4, 4);
	put(&s, mac_a, 6);
	put_u32(&s, 0);
	UNIT_CHECK(s.len == 16 + 42 + 4);

	target_init();
	UNIT_CHECK(!load(&dst, &s, s.len));
	UNIT_CHECK(dst.addr_count == 6);
	g = find(&dst, "2001:db8:5::5");
	UNIT_CHECK(g && g->flags == CONF_ADDR_OBSERVED && g->prefix_len == 128);
	g = find(&dst, "fe80::5");
	UNIT_CHECK(g && g->prefix_len == 128 &&
		   g->flags == (CONF_ADDR_OBSERVED | CONF_ADDR_LINKLOCAL));
	g = find(&dst, "192.0.2.5");
	UNIT_CHECK(g && g->flags == CONF_ADDR_OBSERVED && g->prefix_len == 32);
	UNIT_CHECK(!memcmp(dst.guest_mac, mac_a, 6));

	/* Nothing observed: only the MAC address changes */
	put_header(&s, 2, 2);
	put(&s, zero, 16);
	put(&s, zero, 16);
	put(&s, zero, 4);
	put(&s, mac_a, 6);
	put_u32(&s, 0);
	target_init();
	snapshot();
	UNIT_CHECK(!load(&dst, &s, s.len));
	UNIT_CHECK(dst.addr_count == before.addr_count);
	UNIT_CHECK(!memcmp(dst.addrs, before.addrs, sizeof(dst.addrs)));
	UNIT_CHECK(!memcmp(dst.guest_mac, mac_a, 6));
}

/**
 * migrate_v2_from_ours() - With --migrate-version 2 the source writes what
 *			    a version 2 parser expects: one observed address
 *			    per slot, the assigned one for an empty slot
 */
static void migrate_v2_from_ours(void)
{
	union inany_addr a;
	struct stream s;

	memset(&src, 0, sizeof(src));
	src.migrate_version = 2;
	set_entry(&src, "192.0.2.1", 24, CONF_ADDR_USER);
	set_entry(&src, "2001:db8::1", 64, CONF_ADDR_HOST);
	set_entry(&src, "fe80::a", 64,
		  CONF_ADDR_OBSERVED | CONF_ADDR_LINKLOCAL);
	set_entry(&src, "2001:db8::a", 128, CONF_ADDR_OBSERVED);
	set_entry(&src, "192.0.2.10", 32, CONF_ADDR_OBSERVED);
	set_entry(&src, "2001:db8::b", 128, CONF_ADDR_OBSERVED);
	set_entry(&src, "192.0.2.11", 32, CONF_ADDR_OBSERVED);
	memcpy(src.guest_mac, mac_a, sizeof(mac_a));

	UNIT_CHECK(!save(&src, &s));
	/* Parsed as version 2, following the document */
	UNIT_CHECK(s.len == 16 + 42 + 4);
	UNIT_CHECK(s.b[0] == 0xb1 && s.b[7] == 0xb0);
	UNIT_CHECK(get_u32(&s, 8) == 2 && get_u32(&s, 12) == 2);
	a = test_addr("2001:db8::a");
	UNIT_CHECK(!memcmp(s.b + 16, &a, 16));
	a = test_addr("fe80::a");
	UNIT_CHECK(!memcmp(s.b + 32, &a, 16));
	a = test_addr("192.0.2.10");
	UNIT_CHECK(!memcmp(s.b + 48, &a.v4mapped.a4, 4));
	UNIT_CHECK(!memcmp(s.b + 52, mac_a, 6));
	UNIT_CHECK(get_u32(&s, 58) == 0);

	/* Nothing observed: assigned addresses, no link-local one */
	src.addr_count = 2;
	UNIT_CHECK(!save(&src, &s));
	UNIT_CHECK(s.len == 16 + 42 + 4);
	a = test_addr("2001:db8::1");
	UNIT_CHECK(!memcmp(s.b + 16, &a, 16));
	memset(&a, 0, sizeof(a));
	UNIT_CHECK(!memcmp(s.b + 32, &a, 16));
	a = test_addr("192.0.2.1");
	UNIT_CHECK(!memcmp(s.b + 48, &a.v4mapped.a4, 4));

	/* And our own target reads it */
	target_init();
	UNIT_CHECK(!load(&dst, &s, s.len));
	UNIT_CHECK(find(&dst, "192.0.2.1") && find(&dst, "2001:db8::1"));
	UNIT_CHECK(dst.addr_count == 5);
	UNIT_CHECK(!memcmp(dst.guest_mac, mac_a, 6));
}

/**
 * put_many() - Build a version 3 stream of distinct observed addresses
 * @s:		Stream
 * @n:		Number of entries
 * @flows:	Flows count to end with
 */
static void put_many(struct stream *s, unsigned n, uint32_t flows)
{
	char text[64];
	unsigned i;

	put_header(s, 3, 3);
	put_u8(s, n);
	for (i = 0; i < n; i++) {
		snprintf(text, sizeof(text), "2001:db8:9::%x", i + 1);
		put_v3_entry(s, text, 64, MIGRATE_ADDR_OBSERVED);
	}
	put(s, mac_a, 6);
	put_u32(s, flows);
}

/**
 * migrate_v3_capacity() - 200 entries into a target holding fewer: the
 *			   rest are dropped, and the MAC address and the
 *			   flows count after them still read right
 */
static void migrate_v3_capacity(void)
{
	static struct stream s;

	put_many(&s, 200, 0);
	target_init();
	UNIT_CHECK(!load(&dst, &s, s.len));
	UNIT_CHECK(dst.addr_count == MAX_GUEST_ADDRS);
	UNIT_CHECK(find(&dst, "2001:db8:9::1"));
	UNIT_CHECK(find(&dst, "2001:db8:9::1d"));
	UNIT_CHECK(!find(&dst, "2001:db8:9::1e"));
	UNIT_CHECK(!memcmp(dst.guest_mac, mac_a, 6));

	/* The flows count is read where it is: a non-zero one is refused */
	put_many(&s, 200, 1);
	target_init();
	snapshot();
	UNIT_CHECK(load(&dst, &s, s.len) == ENOTSUP);
	UNIT_CHECK(unchanged());

	/* The most a count can say */
	put_many(&s, 255, 0);
	target_init();
	UNIT_CHECK(!load(&dst, &s, s.len));
	UNIT_CHECK(!memcmp(dst.guest_mac, mac_a, 6));
}

/**
 * migrate_v3_unknown_flags() - Flag bits we don't know are ignored
 */
static void migrate_v3_unknown_flags(void)
{
	const struct guest_addr *g;
	struct stream s;

	put_header(&s, 3, 3);
	put_u8(&s, 3);
	put_v3_entry(&s, "192.0.2.77", 24, 0xf0 | MIGRATE_ADDR_OBSERVED);
	put_v3_entry(&s, "192.0.2.78", 24, 0xf0);
	put_v3_entry(&s, "2001:db8::78", 64, 0x80 | MIGRATE_ADDR_USER);
	put(&s, mac_a, 6);
	put_u32(&s, 0);

	target_init();
	UNIT_CHECK(!load(&dst, &s, s.len));
	g = find(&dst, "192.0.2.77");
	UNIT_CHECK(g && g->flags == CONF_ADDR_OBSERVED && g->prefix_len == 24);
	UNIT_CHECK(!find(&dst, "192.0.2.78"));
	UNIT_CHECK(!find(&dst, "2001:db8::78"));
	UNIT_CHECK(dst.addr_count == 4);
}

/**
 * check_truncations() - Every cut of a valid stream is refused, and leaves
 *			 the target as it was; the whole stream applies
 * @s:		Valid stream
 */
static void check_truncations(const struct stream *s)
{
	size_t len;

	for (len = 0; len < s->len; len++) {
		target_init();
		snapshot();
		UNIT_CHECK(load(&dst, s, len) != 0);
		UNIT_CHECK(unchanged());
	}

	target_init();
	snapshot();
	UNIT_CHECK(!load(&dst, s, s->len));
	UNIT_CHECK(!unchanged());
}

/**
 * migrate_truncated() - Truncations of version 2 and version 3 streams
 */
static void migrate_truncated(void)
{
	struct stream s;

	memset(&src, 0, sizeof(src));
	set_entry(&src, "192.0.2.1", 24, CONF_ADDR_USER);
	set_entry(&src, "2001:db8::a", 64, CONF_ADDR_OBSERVED);
	set_entry(&src, "192.0.2.10", 24, CONF_ADDR_OBSERVED);
	memcpy(src.guest_mac, mac_a, sizeof(mac_a));

	UNIT_CHECK(!save(&src, &s));
	UNIT_CHECK(s.len == 16 + 1 + 3 * 18 + 6 + 4);
	check_truncations(&s);

	src.migrate_version = 2;
	UNIT_CHECK(!save(&src, &s));
	UNIT_CHECK(s.len == 16 + 42 + 4);
	check_truncations(&s);
}

/**
 * refused() - A stream is refused with a given error, the target unchanged
 * @s:		Stream
 * @rc:		Expected result
 *
 * Return: true if so
 */
static bool refused(const struct stream *s, int rc)
{
	target_init();
	snapshot();
	return load(&dst, s, s->len) == rc && unchanged();
}

/**
 * migrate_malformed() - Bad prefix lengths, unspecified addresses, counts
 *			 that don't match the data, trailing bytes
 */
static void migrate_malformed(void)
{
	static const struct {
		const char *addr;
		unsigned prefix_len;
		int rc;
	} cases[] = {
		{ "192.0.2.1",	33,	EINVAL },
		{ "192.0.2.1",	128,	EINVAL },
		{ "2001:db8::1", 129,	EINVAL },
		{ "2001:db8::1", 255,	EINVAL },
		{ "0.0.0.0",	0,	EINVAL },
		{ "::",		0,	EINVAL },
		{ "192.0.2.1",	32,	0 },
		{ "2001:db8::1", 128,	0 },
	};
	struct stream s;
	unsigned i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		put_header(&s, 3, 3);
		put_u8(&s, 2);
		put_v3_entry(&s, "192.0.2.99", 24, MIGRATE_ADDR_OBSERVED);
		/* Not applied, still checked */
		put_v3_entry(&s, cases[i].addr, cases[i].prefix_len,
			     MIGRATE_ADDR_USER);
		put(&s, mac_a, 6);
		put_u32(&s, 0);
		UNIT_CHECK(cases[i].rc ? refused(&s, cases[i].rc) :
					 !load(&dst, &s, s.len));
	}

	/* Count larger than the entries that follow */
	put_header(&s, 3, 3);
	put_u8(&s, 3);
	put_v3_entry(&s, "192.0.2.99", 24, MIGRATE_ADDR_OBSERVED);
	put_v3_entry(&s, "192.0.2.98", 24, MIGRATE_ADDR_OBSERVED);
	put(&s, mac_a, 6);
	put_u32(&s, 0);
	UNIT_CHECK(refused(&s, EIO));

	/* Count smaller: the rest reads as MAC, flows and trailing bytes */
	s.b[16] = 1;
	UNIT_CHECK(refused(&s, EINVAL));

	/* One byte too many, at the end of a valid stream */
	s.b[16] = 2;
	put_u8(&s, 0);
	UNIT_CHECK(refused(&s, EINVAL));
	s.len--;
	UNIT_CHECK(!load(&dst, &s, s.len));

	/* Flows after valid addresses: nothing is applied */
	put_many(&s, 2, 3);
	UNIT_CHECK(refused(&s, ENOTSUP));
}

/**
 * migrate_headers() - Magic and versions: which streams are read, as what
 */
static void migrate_headers(void)
{
	static const struct {
		uint32_t version;
		uint32_t compat;
		int rc;
	} cases[] = {
		{ 0, 0, EINVAL },
		{ 1, 1, ENOTSUP },
		{ 4, 4, ENOTSUP },
		{ 7, 4, ENOTSUP },
		{ 3, 4, ENOTSUP },
		{ 7, 3, 0 },
		{ 3, 1, 0 },
		{ 3, 3, 0 },
	};
	struct stream s;
	unsigned i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		put_many(&s, 1, 0);
		s.b[11] = (uint8_t)cases[i].version;
		s.b[15] = (uint8_t)cases[i].compat;
		if (cases[i].rc) {
			UNIT_CHECK(refused(&s, cases[i].rc));
		} else {
			target_init();
			UNIT_CHECK(!load(&dst, &s, s.len));
			UNIT_CHECK(find(&dst, "2001:db8:9::1"));
		}
	}

	/* Version 2, also when the header allows older ones */
	put_header(&s, 2, 1);
	memset(s.b + s.len, 0, 42);
	s.len += 42;
	put_u32(&s, 0);
	target_init();
	UNIT_CHECK(!load(&dst, &s, s.len));

	/* Bad magic: any byte of it */
	for (i = 0; i < 8; i++) {
		put_many(&s, 1, 0);
		s.b[i] ^= 0x01;
		UNIT_CHECK(refused(&s, EINVAL));
	}

	UNIT_CHECK(!migrate_version_supported(0));
	UNIT_CHECK(!migrate_version_supported(1));
	UNIT_CHECK(migrate_version_supported(2));
	UNIT_CHECK(migrate_version_supported(3));
	UNIT_CHECK(!migrate_version_supported(4));
	UNIT_CHECK(migrate_version_supported(MIGRATE_VERSION));
	UNIT_CHECK(migrate_version_supported(MIGRATE_VERSION_OLDEST));
	UNIT_CHECK(!migrate_version_supported(MIGRATE_VERSION_OLDEST - 1));
}

/**
 * main() - Run the cases
 *
 * Return: 0 if all passed
 */
int main(void)
{
	UNIT_RUN(migrate_flags_map);
	UNIT_RUN(migrate_v3_roundtrip);
	UNIT_RUN(migrate_v2_into_ours);
	UNIT_RUN(migrate_v2_from_ours);
	UNIT_RUN(migrate_v3_capacity);
	UNIT_RUN(migrate_v3_unknown_flags);
	UNIT_RUN(migrate_truncated);
	UNIT_RUN(migrate_malformed);
	UNIT_RUN(migrate_headers);
	UNIT_EXIT();
}
