// SPDX-License-Identifier: GPL-2.0-or-later
/* migrate.c - the migration stream: its header, the choice of version, and
 * the stages each version is made of
 *
 * A source writes a 16-byte header naming the version it writes, then runs
 * the source side of each stage of that version, in order. A target reads
 * the header, picks the newest version it knows within the range the header
 * allows, and runs the target side of each stage of that version.
 *
 * Target stages only read and check: they fill a staging area and change
 * nothing else. Once every stage has been read and the stream has ended
 * where it should, each stage applies what it staged, and that cannot fail.
 * A truncated, malformed or hostile stream thus leaves the target exactly as
 * it was.
 *
 * Every field is written on its own, in a fixed byte order, never by copying
 * an internal structure: the format must not move when internal layouts do.
 * doc/migration.md specifies the format; change both together.
 *
 * A source's part doesn't end with the stream: once the front end has it
 * (migrate_source_commit()), the guest's connections stop here, its other
 * flows close, and so do the listening sockets, for a target on the same
 * host to take the ports. The front end then says how it ended: cancelled
 * (migrate_source_cancel(), everything carries on here) or done
 * (migrate_source_done(), the connections' sockets are released).
 */

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ctx.h"
#include "flow.h"
#include "fwd.h"
#include "fwd_listen.h"
#include "inany.h"
#include "log.h"
#include "migrate.h"
#include "tcp_migrate.h"
#include "tcp_restore.h"
#include "util.h"

/* Header: magic (8), version (4), compat_version (4), all big-endian */
#define MIGRATE_HEADER_LEN	16

/* Addresses are carried as 16 bytes, IPv4 as IPv4-mapped IPv6 */
#define MIGRATE_ADDR_LEN	16

/* Version 3 address entry: address, prefix length, flags */
#define MIGRATE_V3_ENTRY_LEN	(MIGRATE_ADDR_LEN + 2)

/* The version 3 count is one byte */
_Static_assert(MAX_GUEST_ADDRS <= UINT8_MAX,
	       "guest address array too large for the version 3 count");

/* Version 2 block: observed IPv6, observed IPv6 link-local and observed
 * IPv4 addresses, guest MAC address
 */
#define MIGRATE_V2_IP6		0
#define MIGRATE_V2_IP6_LL	16
#define MIGRATE_V2_IP4		32
#define MIGRATE_V2_MAC		36
#define MIGRATE_V2_LEN		(MIGRATE_V2_MAC + ETH_ALEN_BYTES)

/* Flows stage: count of TCP flows, big-endian */
#define MIGRATE_FLOWS_LEN	4

/**
 * struct migrate_addr - An observed address read from a stream
 * @addr:	Address
 * @prefix_len:	Prefix length, checked against the address's family
 */
struct migrate_addr {
	union inany_addr addr;
	uint8_t prefix_len;
};

/**
 * struct migrate_staged - What a target has read and not applied yet
 * @observed:		Observed addresses, to merge into the guest's
 * @observed_count:	Entries used in @observed
 * @dropped:		Observed addresses read beyond the room in @observed
 * @guest_mac:		Guest's MAC address
 * @flows_fd:		Staging file of the TCP flows, -1 if none
 * @flow_count:		Number of TCP flows in it
 */
struct migrate_staged {
	struct migrate_addr observed[MAX_GUEST_ADDRS];
	unsigned observed_count;
	unsigned dropped;
	uint8_t guest_mac[ETH_ALEN_BYTES];
	int flows_fd;
	uint32_t flow_count;
};

/**
 * struct migrate_stage - One part of a stream
 * @name:	Name, for messages
 * @source:	Write this part from the context; returns 0 or a positive
 *		errno
 * @target:	Read and check this part into the staging area, changing
 *		nothing else; returns 0 or a positive errno
 * @apply:	Apply what @target staged, once the whole stream was read;
 *		cannot fail as a whole (a flow that can't be restored is
 *		reset alone), and may take over what is staged. NULL if the
 *		stage stages nothing
 */
struct migrate_stage {
	const char *name;
	int (*source)(struct ctx *c, int fd);
	int (*target)(struct migrate_staged *st, int fd);
	void (*apply)(struct ctx *c, struct migrate_staged *st);
};

/**
 * struct migrate_version - A version of the format
 * @version:	Version number
 * @stages:	Its stages, in stream order, ending with an empty entry
 */
struct migrate_version {
	uint32_t version;
	const struct migrate_stage *stages;
};

/* CONF_ADDR_* flags and their bits in the migration format */
static const struct {
	uint8_t conf;
	uint8_t migr;
} migrate_flag_map[] = {
	{ CONF_ADDR_USER,	MIGRATE_ADDR_USER },
	{ CONF_ADDR_HOST,	MIGRATE_ADDR_HOST },
	{ CONF_ADDR_LINKLOCAL,	MIGRATE_ADDR_LINKLOCAL },
	{ CONF_ADDR_OBSERVED,	MIGRATE_ADDR_OBSERVED },
};

/**
 * migrate_flags_encode() - Migration format flags for an address entry
 * @conf_flags:	CONF_ADDR_* bits
 *
 * Return: MIGRATE_ADDR_* bits
 */
uint8_t migrate_flags_encode(uint8_t conf_flags)
{
	uint8_t migr = 0;
	unsigned i;

	for (i = 0; i < ARRAY_SIZE(migrate_flag_map); i++) {
		if (conf_flags & migrate_flag_map[i].conf)
			migr |= migrate_flag_map[i].migr;
	}

	return migr;
}

/**
 * migrate_flags_decode() - Internal flags for an address entry
 * @migr_flags:	MIGRATE_ADDR_* bits; bits we don't know are ignored
 *
 * Return: CONF_ADDR_* bits
 */
uint8_t migrate_flags_decode(uint8_t migr_flags)
{
	uint8_t conf = 0;
	unsigned i;

	for (i = 0; i < ARRAY_SIZE(migrate_flag_map); i++) {
		if (migr_flags & migrate_flag_map[i].migr)
			conf |= migrate_flag_map[i].conf;
	}

	return conf;
}

/**
 * migrate_stage_observed() - Stage an observed address for a target
 * @st:		Staging area
 * @addr:	Address
 * @prefix_len:	Prefix length, valid for the address's family
 *
 * Addresses no guest can own are skipped; addresses beyond the room in the
 * staging area are counted and dropped, the stream is still read in full.
 */
static void migrate_stage_observed(struct migrate_staged *st,
				   const union inany_addr *addr,
				   uint8_t prefix_len)
{
	char buf[INANY_ADDRSTRLEN];

	if (!fwd_addr_observable(addr)) {
		debug("Migration: skipping observed address %s",
		      inany_ntop(addr, buf, sizeof(buf)));
		return;
	}

	if (st->observed_count >= ARRAY_SIZE(st->observed)) {
		debug("Migration: no room for observed address %s, dropped",
		      inany_ntop(addr, buf, sizeof(buf)));
		st->dropped++;
		return;
	}

	st->observed[st->observed_count].addr = *addr;
	st->observed[st->observed_count].prefix_len = prefix_len;
	st->observed_count++;
}

/**
 * migrate_addrs_apply() - Merge staged observed addresses and take the
 *			   guest's MAC address
 * @c:		Execution context
 * @st:		Staging area
 *
 * The target's own user and host entries stay as they are, prefix lengths
 * included: an address it holds already only gains the observed flag.
 */
static void migrate_addrs_apply(struct ctx *c, struct migrate_staged *st)
{
	unsigned i;

	for (i = 0; i < st->observed_count; i++) {
		fwd_merge_observed(c, &st->observed[i].addr,
				   st->observed[i].prefix_len);
	}

	memcpy(c->guest_mac, st->guest_mac, sizeof(c->guest_mac));
}

/**
 * migrate_addrs_v3_source() - Write every guest address, with its prefix
 *			       length and flags, then the guest's MAC address
 * @c:		Execution context
 * @fd:		Stream
 *
 * Return: 0 on success, a positive errno on failure
 */
static int migrate_addrs_v3_source(struct ctx *c, int fd)
{
	uint8_t buf[1 + MAX_GUEST_ADDRS * MIGRATE_V3_ENTRY_LEN +
		    ETH_ALEN_BYTES];
	uint8_t *p = buf;
	unsigned i;

	/* Guards @buf: the array never holds more, see fwd_set_addr() */
	if (c->addr_count > MAX_GUEST_ADDRS)
		return EOVERFLOW;

	*p++ = (uint8_t)c->addr_count;
	for (i = 0; i < c->addr_count; i++) {
		const struct guest_addr *a = &c->addrs[i];

		memcpy(p, &a->addr, MIGRATE_ADDR_LEN);
		p[MIGRATE_ADDR_LEN] = a->prefix_len;
		p[MIGRATE_ADDR_LEN + 1] = migrate_flags_encode(a->flags);
		p += MIGRATE_V3_ENTRY_LEN;
	}
	memcpy(p, c->guest_mac, ETH_ALEN_BYTES);
	p += ETH_ALEN_BYTES;

	return write_all(fd, buf, (size_t)(p - buf));
}

/**
 * migrate_addrs_v3_target() - Read every address entry and the guest's MAC
 *			       address, staging observed entries
 * @st:		Staging area
 * @fd:		Stream
 *
 * Return: 0 on success, EINVAL for an invalid entry, EIO if the stream ends
 *	   early, another positive errno if reading fails
 */
static int migrate_addrs_v3_target(struct migrate_staged *st, int fd)
{
	uint8_t count, entry[MIGRATE_V3_ENTRY_LEN];
	unsigned i;
	int rc;

	rc = read_all(fd, &count, sizeof(count));
	if (rc)
		return rc;

	for (i = 0; i < count; i++) {
		union inany_addr addr;
		uint8_t prefix_len, flags;

		rc = read_all(fd, entry, sizeof(entry));
		if (rc)
			return rc;

		memcpy(&addr, entry, MIGRATE_ADDR_LEN);
		prefix_len = entry[MIGRATE_ADDR_LEN];
		flags = migrate_flags_decode(entry[MIGRATE_ADDR_LEN + 1]);

		if (inany_is_unspecified(&addr) ||
		    !fwd_prefix_len_valid(&addr, prefix_len)) {
			char buf[INANY_ADDRSTRLEN];

			err("Migration: invalid address entry %u: %s/%u", i,
			    inany_ntop(&addr, buf, sizeof(buf)), prefix_len);
			return EINVAL;
		}

		/* User and host entries are the target's own business */
		if (flags & CONF_ADDR_OBSERVED)
			migrate_stage_observed(st, &addr, prefix_len);
	}

	if (st->dropped) {
		warn("Migration: %u observed addresses beyond the first %u "
		     "dropped", st->dropped, MAX_GUEST_ADDRS);
	}

	return read_all(fd, st->guest_mac, sizeof(st->guest_mac));
}

/**
 * migrate_addrs_v2_source() - Write the version 2 block: one address per
 *			       slot, and the guest's MAC address
 * @c:		Execution context
 * @fd:		Stream
 *
 * Each slot carries the address the daemon itself sends host-initiated
 * traffic to, as passt does: the first observed one of its kind, or for the
 * IPv4 and IPv6 slots the one the guest is assigned. Observed addresses
 * that find no slot are left out, each with a warning.
 *
 * Return: 0 on success, a positive errno on failure
 */
static int migrate_addrs_v2_source(struct ctx *c, int fd)
{
	const union inany_addr *ip6, *ip6_ll, *ip4;
	uint8_t buf[MIGRATE_V2_LEN] = { 0 };
	const struct guest_addr *a;

	ip6 = fwd_guest_dst(c, false, false);
	ip6_ll = fwd_guest_dst(c, false, true);
	ip4 = fwd_guest_dst(c, true, false);

	if (ip6)
		memcpy(buf + MIGRATE_V2_IP6, ip6, MIGRATE_ADDR_LEN);
	if (ip6_ll)
		memcpy(buf + MIGRATE_V2_IP6_LL, ip6_ll, MIGRATE_ADDR_LEN);
	if (ip4) {
		memcpy(buf + MIGRATE_V2_IP4, inany_v4(ip4),
		       sizeof(struct in_addr));
	}
	memcpy(buf + MIGRATE_V2_MAC, c->guest_mac, ETH_ALEN_BYTES);

	for_each_addr(a, c, CONF_ADDR_OBSERVED) {
		char str[INANY_ADDRSTRLEN];

		if (&a->addr == ip6 || &a->addr == ip6_ll || &a->addr == ip4)
			continue;
		warn("Migration version 2 can't carry observed address %s, "
		     "left out", inany_ntop(&a->addr, str, sizeof(str)));
	}

	return write_all(fd, buf, sizeof(buf));
}

/**
 * migrate_v2_stage() - Stage one address from a version 2 slot
 * @st:		Staging area
 * @addr:	Address from the slot; unspecified means none observed
 */
static void migrate_v2_stage(struct migrate_staged *st,
			     const union inany_addr *addr)
{
	if (inany_is_unspecified(addr))
		return;

	migrate_stage_observed(st, addr, inany_v4(addr) ? 32 : 128);
}

/**
 * migrate_addrs_v2_target() - Read the version 2 block, staging its
 *			       addresses as observed ones, and its MAC address
 * @st:		Staging area
 * @fd:		Stream
 *
 * Return: 0 on success, EIO if the stream ends early, another positive
 *	   errno if reading fails
 */
static int migrate_addrs_v2_target(struct migrate_staged *st, int fd)
{
	uint8_t buf[MIGRATE_V2_LEN];
	union inany_addr addr;
	struct in_addr v4;
	int rc;

	rc = read_all(fd, buf, sizeof(buf));
	if (rc)
		return rc;

	memcpy(&addr, buf + MIGRATE_V2_IP6, MIGRATE_ADDR_LEN);
	migrate_v2_stage(st, &addr);
	memcpy(&addr, buf + MIGRATE_V2_IP6_LL, MIGRATE_ADDR_LEN);
	migrate_v2_stage(st, &addr);
	memcpy(&v4, buf + MIGRATE_V2_IP4, sizeof(v4));
	inany_from_v4(&addr, v4);
	migrate_v2_stage(st, &addr);

	memcpy(st->guest_mac, buf + MIGRATE_V2_MAC, sizeof(st->guest_mac));

	return 0;
}

/**
 * migrate_flows_source() - Write the TCP flows, see tcp_migrate.c
 * @c:		Execution context
 * @fd:		Stream
 *
 * Return: 0 on success, a positive errno on failure
 */
static int migrate_flows_source(struct ctx *c, int fd)
{
	return tcp_migrate_save(c, fd);
}

/**
 * migrate_flows_target() - Read and check the TCP flows into a staging file
 * @st:		Staging area: gets the file and the number of flows
 * @fd:		Stream
 *
 * Return: 0 on success, EIO if the stream ends early, another positive
 *	   errno if it is invalid or reading fails
 *
 * #syscalls: memfd_create
 */
static int migrate_flows_target(struct migrate_staged *st, int fd)
{
	st->flows_fd = memfd_create("passt-migrate", MFD_CLOEXEC);
	if (st->flows_fd < 0)
		return errno;

	return tcp_restore_load(fd, st->flows_fd, &st->flow_count);
}

/**
 * migrate_flows_apply() - Recreate the staged TCP flows
 * @c:		Execution context
 * @st:		Staging area: its file goes to tcp_restore_apply()
 */
static void migrate_flows_apply(struct ctx *c, struct migrate_staged *st)
{
	tcp_restore_apply(c, st->flows_fd, st->flow_count);
	st->flows_fd = -1;
}

/* Version 3: all addresses, with flags, and the MAC address */
static const struct migrate_stage migrate_stages_v3[] = {
	{ "addresses", migrate_addrs_v3_source, migrate_addrs_v3_target,
	  migrate_addrs_apply },
	{ "flows", migrate_flows_source, migrate_flows_target,
	  migrate_flows_apply },
	{ 0 },
};

/* Version 2: passt's, three observed addresses and the MAC address */
static const struct migrate_stage migrate_stages_v2[] = {
	{ "observed addresses", migrate_addrs_v2_source,
	  migrate_addrs_v2_target, migrate_addrs_apply },
	{ "flows", migrate_flows_source, migrate_flows_target,
	  migrate_flows_apply },
	{ 0 },
};

/* Supported versions, newest first. Version 1 is not supported. */
static const struct migrate_version migrate_versions[] = {
	{ 3, migrate_stages_v3 },
	{ 2, migrate_stages_v2 },
};

/**
 * migrate_version_find() - Look up a version we support
 * @version:	Version number
 *
 * Return: the version, NULL if not supported
 */
static const struct migrate_version *migrate_version_find(unsigned version)
{
	unsigned i;

	for (i = 0; i < ARRAY_SIZE(migrate_versions); i++) {
		if (migrate_versions[i].version == version)
			return &migrate_versions[i];
	}

	return NULL;
}

/**
 * migrate_version_supported() - Can we write and read a version?
 * @version:	Version number
 *
 * Return: true if supported
 */
bool migrate_version_supported(unsigned version)
{
	return migrate_version_find(version);
}

/**
 * migrate_header_read() - Read the header, and pick the version to read
 * @fd:		Stream
 * @v:		The version picked, set on success
 *
 * The stream can be read as any version from its compat_version to its
 * version: we take the newest of those we know.
 *
 * Return: 0 on success, EINVAL for a bad magic or version 0, ENOTSUP if we
 *	   know no version in the range, another positive errno if reading
 *	   fails
 */
static int migrate_header_read(int fd, const struct migrate_version **v)
{
	uint8_t buf[MIGRATE_HEADER_LEN];
	uint32_t version, compat;
	unsigned i;
	int rc;

	rc = read_all(fd, buf, sizeof(buf));
	if (rc)
		return rc;

	if (get_be64(buf) != MIGRATE_MAGIC) {
		err("Migration: bad magic, not a migration stream");
		return EINVAL;
	}

	version = get_be32(buf + 8);
	compat = get_be32(buf + 12);
	if (!version) {
		err("Migration: invalid version 0");
		return EINVAL;
	}

	for (i = 0; i < ARRAY_SIZE(migrate_versions); i++) {
		*v = &migrate_versions[i];
		if ((*v)->version <= version && (*v)->version >= compat) {
			if ((*v)->version != version) {
				info("Migration: reading version %u stream "
				     "as version %u", version, (*v)->version);
			}
			return 0;
		}
	}

	err("Migration: version %u (compatible down to %u) not supported",
	    version, compat);
	return ENOTSUP;
}

/**
 * migrate_end_read() - Check that a stream ends after its last stage
 * @fd:		Stream
 *
 * Return: 0 at end of stream, EINVAL if data follows, a positive errno if
 *	   reading fails
 *
 * #syscalls: read
 */
static int migrate_end_read(int fd)
{
	uint8_t byte;
	ssize_t n;

	do
		n = read(fd, &byte, sizeof(byte));
	while (n < 0 && errno == EINTR);

	if (n < 0)
		return errno;
	if (n) {
		err("Migration: data after the last stage");
		return EINVAL;
	}

	return 0;
}

/**
 * migrate_source() - Write the whole migration stream
 * @c:		Execution context
 * @fd:		Stream, blocking
 *
 * On success the connections carried are in repair mode: the caller goes
 * on with migrate_source_commit() once the front end has the stream, or
 * migrate_source_cancel(). On failure they are out of it already.
 *
 * Return: 0 on success, a positive errno from the first failing step
 */
int migrate_source(struct ctx *c, int fd)
{
	unsigned version = c->migrate_version ? c->migrate_version :
						MIGRATE_VERSION;
	const struct migrate_version *v = migrate_version_find(version);
	uint8_t header[MIGRATE_HEADER_LEN];
	const struct migrate_stage *s;
	int rc;

	if (!v) {
		err("Migration: can't write version %u", version);
		return EINVAL;
	}

	info("Migration: saving, version %u", v->version);

	/* A stream we write is readable as its own version only */
	put_be64(header, MIGRATE_MAGIC);
	put_be32(header + 8, v->version);
	put_be32(header + 12, v->version);
	rc = write_all(fd, header, sizeof(header));
	if (rc) {
		err("Migration: can't write header: %s", strerror(rc));
		return rc;
	}

	for (s = v->stages; s->name; s++) {
		rc = s->source(c, fd);
		if (rc) {
			err("Migration: stage %s failed: %s", s->name,
			    strerror(rc));
			tcp_migrate_cancel(c);
			return rc;
		}
	}

	info("Migration: sent version %u stream", v->version);
	return 0;
}

/**
 * migrate_flow_drop() - Close a flow that doesn't migrate, for flow_timer()
 * @c:		Execution context
 * @f:		UDP or ICMP flow
 */
static void migrate_flow_drop(struct ctx *c, struct flow_common *f)
{
	flow_close(c, f);
}

/**
 * migrate_flows_drop() - Close every UDP and ICMP flow: a target makes
 *			  them again from traffic, and some share the
 *			  listening sockets
 * @c:		Execution context
 */
static void migrate_flows_drop(struct ctx *c)
{
	static const flow_timer_fn drop[FLOW_TYPE_MAX] = {
		[FLOW_TYPE_PING] = migrate_flow_drop,
		[FLOW_TYPE_UDP] = migrate_flow_drop,
	};

	flow_timer(c, drop);
}

/* Source: the listening sockets were closed by a migration */
static bool migrate_listen_closed;

/**
 * migrate_listen_again() - Listen again on the ports of -t and -u, after
 *			    closing the flows that could share the sockets
 * @c:		Execution context
 */
static void migrate_listen_again(struct ctx *c)
{
	migrate_flows_drop(c);
	fwd_listen_reopen(c);
	migrate_listen_closed = false;
}

/**
 * migrate_source_commit() - The front end has the whole stream: the guest
 *			     runs elsewhere from now on, unless cancelled
 * @c:		Execution context
 *
 * The connections carried stop, their sockets silent in repair mode; the
 * flows that weren't carried close, and so do the listening sockets, so
 * that a target on the same host can take the ports.
 */
void migrate_source_commit(struct ctx *c)
{
	tcp_migrate_saved(c);
	migrate_flows_drop(c);
	fwd_listen_close(c);
	migrate_listen_closed = true;
}

/**
 * migrate_source_cancel() - The migration failed or was cancelled, before
 *			     or after migrate_source_commit(): the guest's
 *			     connections carry on here
 * @c:		Execution context
 */
void migrate_source_cancel(struct ctx *c)
{
	tcp_migrate_cancel(c);
	if (migrate_listen_closed) {
		migrate_listen_again(c);
		info("Migration: cancelled, serving the guest here again");
	}
}

/**
 * migrate_source_done() - The front end is gone after a committed
 *			   migration: release what the migration carried
 *			   away
 * @c:		Execution context
 *
 * The listening sockets stay closed: the target may be on this host.
 */
void migrate_source_done(struct ctx *c)
{
	tcp_migrate_release(c);
}

/* Source: exit once the sockets released are closed (--migrate-exit) */
static bool migrate_exit_pending;

/**
 * migrate_source_exit() - A committed migration went through, and the
 *			   daemon exits (--migrate-exit): release what the
 *			   migration carried away, then end the main loop
 * @c:		Execution context
 *
 * Released sockets stay a moment, for a target on this host: the main
 * loop ends once they are closed, see migrate_timer().
 */
void migrate_source_exit(struct ctx *c)
{
	migrate_source_done(c);
	migrate_exit_pending = true;
	migrate_timer(c);
}

/**
 * migrate_timer() - Periodic work of a migration: released sockets close
 *		     in time, and the daemon exits after them if asked to
 * @c:		Execution context, with the current time
 */
void migrate_timer(struct ctx *c)
{
	if (!tcp_migrate_timer(c) && migrate_exit_pending) {
		info("Migration: state saved, exiting (--migrate-exit)");
		c->quit = true;
	}
}

/**
 * migrate_frontend_new() - A new front end after a migration left: take the
 *			    ports of -t and -u again
 * @c:		Execution context
 */
void migrate_frontend_new(struct ctx *c)
{
	if (migrate_listen_closed)
		migrate_listen_again(c);
}

/**
 * migrate_target() - Read a whole migration stream, then apply it
 * @c:		Execution context
 * @fd:		Stream, blocking
 *
 * Nothing is applied unless every stage was read and checked, and the
 * stream ended right after the last one.
 *
 * Return: 0 on success, a positive errno from the first failing step
 *
 * #syscalls: close
 */
int migrate_target(struct ctx *c, int fd)
{
	struct migrate_staged st = { .flows_fd = -1 };
	const struct migrate_version *v;
	const struct migrate_stage *s;
	int rc;

	info("Migration: loading");
	rc = migrate_header_read(fd, &v);
	if (rc) {
		if (rc == EIO)
			err("Migration: stream ends inside the header");
		return rc;
	}

	for (s = v->stages; s->name; s++) {
		rc = s->target(&st, fd);
		if (rc) {
			err("Migration: stage %s failed: %s", s->name,
			    rc == EIO ? "stream ends early" : strerror(rc));
			goto out;
		}
	}

	rc = migrate_end_read(fd);
	if (rc)
		goto out;

	for (s = v->stages; s->name; s++) {
		if (s->apply)
			s->apply(c, &st);
	}

	/* Ports a source on this host held at our start are free now */
	if (!fwd_listen_complete())
		migrate_listen_again(c);

	info("Migration: applied version %u stream", v->version);
out:
	if (st.flows_fd >= 0)
		close(st.flows_fd);
	return rc;
}
