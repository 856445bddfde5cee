// SPDX-License-Identifier: GPL-2.0-or-later
/* ndp.c - NDP responder and router advertisements (RFC 4861)
 *
 * As with ARP, the link holds nobody but us: a neighbour solicitation for
 * any address other than the guest's own gets our MAC address back. Router
 * advertisements, solicited and unsolicited, give the guest its prefix (for
 * SLAAC, RFC 4862), the MTU, DNS servers and search list (RFC 8106), and
 * point it to DHCPv6 for its address (the M flag).
 *
 * With --no-ndp, NDP messages are consumed and dropped without a reply, so
 * that nothing else looks at them either.
 */

#include <netinet/in.h>
#include <sys/random.h>

#include "checksum.h"
#include "ctx.h"
#include "dname.h"
#include "frame.h"
#include "fwd.h"
#include "l2.h"
#include "log.h"
#include "ndp.h"
#include "pkt.h"
#include "util.h"

#define ND_ROUTER_SOLICIT	133
#define ND_ROUTER_ADVERT	134
#define ND_NEIGHBOR_SOLICIT	135
#define ND_NEIGHBOR_ADVERT	136
#define ND_REDIRECT		137

/* Length of each message before its options */
#define RS_LEN			8
#define RA_LEN			16
#define NS_LEN			24
#define NA_LEN			24
#define REDIRECT_LEN		40

/* Options, with lengths counted in units of 8 bytes */
#define OPT_SRC_LLADDR		1
#define OPT_TGT_LLADDR		2
#define OPT_PREFIX_INFO		3
#define OPT_MTU			5
#define OPT_RDNSS		25	/* RFC 8106 */
#define OPT_DNSSL		31	/* RFC 8106 */
#define OPT_UNIT		((size_t)8)

#define NA_FLAG_ROUTER		0x80
#define NA_FLAG_SOLICITED	0x40
#define NA_FLAG_OVERRIDE	0x20
#define RA_FLAG_MANAGED		0x80
#define PREFIX_FLAG_ONLINK	0x80
#define PREFIX_FLAG_AUTO	0x40

/* Every NDP message is sent, and must arrive, with hop limit 255 */
#define NDP_HOP_LIMIT		255
#define RA_CUR_HOP_LIMIT	64
/* RFC 4861, 6.2.1: the largest router lifetime, in seconds */
#define RA_ROUTER_LIFETIME	9000
#define NDP_INFINITE		0xffffffff

/* Unsolicited RAs: the first one soon after the guest appears, then at
 * random intervals in [MinRtrAdvInterval, MaxRtrAdvInterval), RFC 4861 6.2.1
 */
#define RA_FIRST_DELAY_MS	1000
#define RA_INTERVAL_MIN_S	200
#define RA_INTERVAL_MAX_S	600

/* Room for the largest RA: header, source link-layer address, prefix, MTU,
 * RDNSS and a DNSSL with a full search list
 */
#define NDP_BUF_SIZE		2048

static const union inany_addr ndp_all_nodes = {
	.a6.s6_addr = { 0xff, 0x02, [15] = 0x01 },
};

static struct timespec ndp_ra_next;
static bool ndp_ra_armed;
static uint8_t ndp_buf[NDP_BUF_SIZE];

/**
 * ndp_opts_valid() - Check the options of a message
 * @o:		Options
 * @len:	Length of @o
 *
 * Return: true if each option has a non-zero length that fits the message
 */
static bool ndp_opts_valid(const uint8_t *o, size_t len)
{
	size_t i = 0;

	while (i < len) {
		size_t olen;

		if (i + 2 > len)
			return false;
		olen = (size_t)o[i + 1] * OPT_UNIT;
		if (!olen || i + olen > len)
			return false;
		i += olen;
	}

	return true;
}

/**
 * ndp_put_lladdr() - Write a link-layer address option with our MAC
 * @c:		Execution context
 * @o:		Where to write it
 * @type:	OPT_SRC_LLADDR or OPT_TGT_LLADDR
 *
 * Return: length of the option
 */
static size_t ndp_put_lladdr(const struct ctx *c, uint8_t *o, uint8_t type)
{
	o[0] = type;
	o[1] = 1;
	memcpy(o + 2, c->our_mac, ETH_ALEN_BYTES);

	return OPT_UNIT;
}

/**
 * ndp_send() - Fill in headers and send an NDP message from us
 * @c:		Execution context
 * @dst:	Destination address
 * @dst_mac:	Destination MAC address, NULL as for frame_ip()
 * @len:	Length of the ICMPv6 message, already in ndp_buf
 */
static void ndp_send(struct ctx *c, const union inany_addr *dst,
		     const uint8_t *dst_mac, size_t len)
{
	size_t flen = frame_ip(c, ndp_buf, dst_mac, false, &c->ip6.our_ll, dst,
			       IPPROTO_ICMPV6, NDP_HOP_LIMIT, len);

	l2_send_single(c, ndp_buf, flen);
}

/**
 * ndp_na() - Answer a neighbour solicitation
 * @c:		Execution context
 * @p:		Neighbour solicitation, validated
 */
static void ndp_na(struct ctx *c, const struct pkt *p)
{
	uint8_t *na = ndp_buf + frame_l4_off(false);
	union inany_addr target = { 0 };

	memcpy(&target.a6, p->l4 + 8, sizeof(target.a6));

	/* Duplicate address detection: stay silent, the address is free */
	if (inany_is_unspecified(&p->src))
		return;
	if (inany_is_multicast(&target)) {
		debug_ratelimit("NDP: solicitation for a multicast target");
		return;
	}
	if (fwd_addr_is_guest(c, &target))
		return;

	memset(na, 0, NA_LEN);
	na[0] = ND_NEIGHBOR_ADVERT;
	na[4] = NA_FLAG_ROUTER | NA_FLAG_SOLICITED | NA_FLAG_OVERRIDE;
	memcpy(na + 8, &target.a6, sizeof(target.a6));
	ndp_put_lladdr(c, na + NA_LEN, OPT_TGT_LLADDR);

	ndp_send(c, &p->src, p->src_mac, NA_LEN + OPT_UNIT);
}

/**
 * ndp_put_prefix() - Write the prefix information option
 * @o:		Where to write it
 * @a:		Guest address, giving the prefix
 *
 * Return: length of the option
 */
static size_t ndp_put_prefix(uint8_t *o, const struct guest_addr *a)
{
	unsigned plen = MIN(a->prefix_len, 128U), i;
	bool slaac = a->prefix_len == 64;

	memset(o, 0, 4 * OPT_UNIT);
	o[0] = OPT_PREFIX_INFO;
	o[1] = 4;
	o[2] = (uint8_t)plen;
	/* SLAAC (RFC 4862, 5.5.3) only forms addresses from a /64 */
	o[3] = PREFIX_FLAG_ONLINK;
	if (slaac)
		o[3] |= PREFIX_FLAG_AUTO;
	put_be32(o + 4, NDP_INFINITE);		/* valid lifetime */
	put_be32(o + 8, NDP_INFINITE);		/* preferred lifetime */
	/* Bits past the prefix length are zero (RFC 4861, 4.6.2) */
	for (i = 0; i < plen / 8; i++)
		o[16 + i] = a->addr.a6.s6_addr[i];
	if (plen % 8) {
		o[16 + i] = a->addr.a6.s6_addr[i] &
			    (uint8_t)(0xff << (8 - plen % 8));
	}

	return 4 * OPT_UNIT;
}

/**
 * ndp_put_rdnss() - Write the RDNSS option, if there are IPv6 servers
 * @c:		Execution context
 * @o:		Where to write it
 *
 * Return: length of the option, 0 if none
 */
static size_t ndp_put_rdnss(const struct ctx *c, uint8_t *o)
{
	size_t len = OPT_UNIT;
	unsigned i, n = 0;

	if (c->no_dns)
		return 0;

	for (i = 0; i < c->dns_count && i < MAX_DNS; i++) {
		if (inany_v4(&c->dns[i]) || n >= MAX_DNS_PER_FAMILY)
			continue;
		memcpy(o + len, &c->dns[i].a6, 16);
		len += 16;
		n++;
	}
	if (!n)
		return 0;

	o[0] = OPT_RDNSS;
	o[1] = (uint8_t)(len / OPT_UNIT);
	o[2] = o[3] = 0;
	put_be32(o + 4, NDP_INFINITE);

	return len;
}

/**
 * ndp_put_dnssl() - Write the DNSSL option, if there is a search list
 * @c:		Execution context
 * @o:		Where to write it
 * @room:	Room at @o
 *
 * Return: length of the option, 0 if none
 */
static size_t ndp_put_dnssl(const struct ctx *c, uint8_t *o, size_t room)
{
	size_t names, len;

	room = MIN(ROUND_DOWN(room, OPT_UNIT), 255 * OPT_UNIT);
	if (c->no_search || !c->search_count || room < 2 * OPT_UNIT)
		return 0;

	/* RFC 8106, 5.2: names are not compressed */
	names = dname_encode_search(c, false, o + OPT_UNIT, room - OPT_UNIT);
	if (!names)
		return 0;

	len = ROUND_UP(OPT_UNIT + names, OPT_UNIT);
	memset(o + OPT_UNIT + names, 0, len - OPT_UNIT - names);
	o[0] = OPT_DNSSL;
	o[1] = (uint8_t)(len / OPT_UNIT);
	o[2] = o[3] = 0;
	put_be32(o + 4, NDP_INFINITE);

	return len;
}

/**
 * ndp_ra() - Send a router advertisement
 * @c:		Execution context
 * @dst:	Destination: a soliciting guest, or all nodes
 * @dst_mac:	Destination MAC address, NULL as for frame_ip()
 */
static void ndp_ra(struct ctx *c, const union inany_addr *dst,
		   const uint8_t *dst_mac)
{
	const struct guest_addr *a = fwd_guest_addr(c, false);
	uint8_t *ra = ndp_buf + frame_l4_off(false);
	size_t len = RA_LEN;

	memset(ra, 0, RA_LEN);
	ra[0] = ND_ROUTER_ADVERT;
	ra[4] = RA_CUR_HOP_LIMIT;
	/* Addresses come from DHCPv6, as well as SLAAC where it applies */
	ra[5] = c->no_dhcpv6 ? 0 : RA_FLAG_MANAGED;
	put_be16(ra + 6, RA_ROUTER_LIFETIME);

	len += ndp_put_lladdr(c, ra + len, OPT_SRC_LLADDR);
	if (a)
		len += ndp_put_prefix(ra + len, a);
	if (c->mtu > 0) {
		memset(ra + len, 0, OPT_UNIT);
		ra[len] = OPT_MTU;
		ra[len + 1] = 1;
		put_be32(ra + len + 4, (uint32_t)c->mtu);
		len += OPT_UNIT;
	}
	len += ndp_put_rdnss(c, ra + len);
	len += ndp_put_dnssl(c, ra + len,
			     sizeof(ndp_buf) - frame_l4_off(false) - len);

	ndp_send(c, dst, dst_mac, len);
}

/**
 * ndp_ra_enabled() - Do we send router advertisements at all?
 * @c:		Execution context
 *
 * Return: true unless disabled, IPv6 is off, or we have no link-local
 *	   address to send them from
 */
static bool ndp_ra_enabled(const struct ctx *c)
{
	return !c->no_ndp && !c->no_ra && c->ip6.enabled &&
	       !inany_is_unspecified(&c->ip6.our_ll);
}

/**
 * ndp_handle() - Answer an NDP message from the guest
 * @c:		Execution context
 * @p:		Parsed ICMPv6 packet
 *
 * Return: true if the packet was NDP and is consumed
 */
bool ndp_handle(struct ctx *c, const struct pkt *p)
{
	static const size_t min_len[] = {
		RS_LEN, RA_LEN, NS_LEN, NA_LEN, REDIRECT_LEN,
	};
	const uint8_t *m = p->l4;
	size_t fixed;
	uint8_t type;

	if (p->v4 || p->proto != IPPROTO_ICMPV6 || p->l4_len < 4)
		return false;
	type = m[0];
	if (type < ND_ROUTER_SOLICIT || type > ND_REDIRECT)
		return false;
	if (c->no_ndp || !c->ip6.enabled ||
	    inany_is_unspecified(&c->ip6.our_ll))
		return true;

	fixed = min_len[type - ND_ROUTER_SOLICIT];
	if (p->l4_len < fixed || m[1] != 0) {
		debug_ratelimit("NDP: type %u truncated or bad code", type);
		return true;
	}
	/* RFC 4861, 6.1 and 7.1: anything else came from off the link */
	if (p->ttl != NDP_HOP_LIMIT) {
		debug_ratelimit("NDP: type %u with hop limit %u", type, p->ttl);
		return true;
	}
	if (csum_l4(false, &p->src, &p->dst, IPPROTO_ICMPV6, m, p->l4_len)) {
		debug_ratelimit("NDP: type %u with bad checksum", type);
		return true;
	}
	if (!ndp_opts_valid(m + fixed, p->l4_len - fixed)) {
		debug_ratelimit("NDP: type %u with bad option length", type);
		return true;
	}

	switch (type) {
	case ND_NEIGHBOR_SOLICIT:
		ndp_na(c, p);
		break;
	case ND_ROUTER_SOLICIT:
		if (!ndp_ra_enabled(c))
			break;
		/* From :: (no address yet): answer all nodes, RFC 4861 6.2.6 */
		if (inany_is_unspecified(&p->src))
			ndp_ra(c, &ndp_all_nodes, NULL);
		else
			ndp_ra(c, &p->src, p->src_mac);
		break;
	default:
		/* Advertisements and redirects from the guest change nothing */
		break;
	}

	return true;
}

/**
 * ndp_ra_interval_ms() - Random interval until the next unsolicited RA
 *
 * Return: milliseconds in [RA_INTERVAL_MIN_S, RA_INTERVAL_MAX_S) seconds
 */
static int64_t ndp_ra_interval_ms(void)
{
	const int64_t span = (RA_INTERVAL_MAX_S - RA_INTERVAL_MIN_S) *
			     MS_PER_SEC;
	uint32_t r;

	/* Only spreads RAs out: without a random source, the clock will do */
	if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != (ssize_t)sizeof(r)) {
		struct timespec ts;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		r = (uint32_t)ts.tv_nsec;
	}

	return RA_INTERVAL_MIN_S * MS_PER_SEC + (int64_t)(r % (uint32_t)span);
}

/**
 * ndp_timespec_add_ms() - A time some milliseconds after another
 * @t:		Time to start from
 * @ms:		Milliseconds to add
 *
 * Return: the later time
 */
static struct timespec ndp_timespec_add_ms(const struct timespec *t,
					   int64_t ms)
{
	struct timespec r = *t;

	r.tv_sec += (time_t)(ms / MS_PER_SEC);
	r.tv_nsec += (long)(ms % MS_PER_SEC) * 1000000L;
	if (r.tv_nsec >= NS_PER_SEC) {
		r.tv_sec++;
		r.tv_nsec -= NS_PER_SEC;
	}

	return r;
}

/**
 * ndp_timer() - Send unsolicited router advertisements when due
 * @c:		Execution context
 *
 * Nothing is sent until the guest has shown up (we know its MAC address);
 * the first advertisement follows shortly after.
 */
void ndp_timer(struct ctx *c)
{
	static const uint8_t bcast[ETH_ALEN_BYTES] = {
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	};

	if (!ndp_ra_enabled(c) ||
	    !memcmp(c->guest_mac, bcast, sizeof(bcast))) {
		ndp_ra_armed = false;
		return;
	}

	if (!ndp_ra_armed) {
		ndp_ra_next = ndp_timespec_add_ms(&c->now, RA_FIRST_DELAY_MS);
		ndp_ra_armed = true;
		return;
	}
	if (timespec_diff_ms(&c->now, &ndp_ra_next) < 0)
		return;

	ndp_ra(c, &ndp_all_nodes, NULL);
	ndp_ra_next = ndp_timespec_add_ms(&c->now, ndp_ra_interval_ms());
}
