// SPDX-License-Identifier: GPL-2.0-or-later
/* dhcp.c - DHCP server for the guest's IPv4 address (RFC 2131, RFC 2132)
 *
 * There is one client and one address to give, so there is no lease
 * database: DISCOVER gets an OFFER of the assigned address (or an ACK, with
 * Rapid Commit, RFC 4039), REQUEST an ACK for that address and a NAK for
 * any other, INFORM an ACK with configuration only. The lease is infinite.
 *
 * The client's options are parsed strictly: a message whose options run
 * past its end, lack the end option, repeat an option, or use option
 * overload (RFC 2131 allows options in the sname and file fields, which
 * opens the door to loops between them) is dropped. Clients in practice do
 * none of this, so nothing of value is lost.
 */

#include <netinet/in.h>

#include "ctx.h"
#include "dhcp.h"
#include "dname.h"
#include "frame.h"
#include "fwd.h"
#include "l2.h"
#include "log.h"
#include "pkt.h"
#include "util.h"

#define DHCP_SERVER_PORT	67
#define DHCP_CLIENT_PORT	68

/* BOOTP fixed header (RFC 2131, 2), then the magic cookie */
#define BOOTP_OP		0
#define BOOTP_HTYPE		1
#define BOOTP_HLEN		2
#define BOOTP_XID		4
#define BOOTP_FLAGS		10
#define BOOTP_CIADDR		12
#define BOOTP_YIADDR		16
#define BOOTP_GIADDR		24
#define BOOTP_CHADDR		28
#define BOOTP_MAGIC		236
#define DHCP_OPTS		240

#define BOOTREQUEST		1
#define BOOTREPLY		2
#define BOOTP_HTYPE_ETHER	1
#define BOOTP_FLAG_BROADCAST	0x8000
#define DHCP_MAGIC		0x63825363

/* Options (RFC 2132 unless noted) */
#define OPT_PAD			0
#define OPT_SUBNET_MASK		1
#define OPT_ROUTER		3
#define OPT_DNS			6
#define OPT_HOSTNAME		12
#define OPT_DOMAIN_NAME		15
#define OPT_MTU			26
#define OPT_REQUESTED_ADDR	50
#define OPT_LEASE_TIME		51
#define OPT_OVERLOAD		52
#define OPT_MSG_TYPE		53
#define OPT_SERVER_ID		54
#define OPT_MAX_MSG_SIZE	57
#define OPT_RAPID_COMMIT	80	/* RFC 4039 */
#define OPT_CLIENT_FQDN		81	/* RFC 4702 */
#define OPT_SEARCH		119	/* RFC 3397 */
#define OPT_CLASSLESS_ROUTES	121	/* RFC 3442 */
#define OPT_END			255

/* Client FQDN flags (RFC 4702, 2.1) */
#define FQDN_S			0x01
#define FQDN_O			0x02
#define FQDN_E			0x04

/* Message types (option 53) */
#define DHCPDISCOVER		1
#define DHCPOFFER		2
#define DHCPREQUEST		3
#define DHCPDECLINE		4
#define DHCPACK			5
#define DHCPNAK			6
#define DHCPRELEASE		7
#define DHCPINFORM		8

/* Every client must take 576-byte IP datagrams (RFC 2131, 2): 548 bytes of
 * DHCP message, 308 of them options. Larger replies only if asked, up to
 * what fits a standard Ethernet MTU.
 */
#define DHCP_MSG_MIN_MAX	548
#define DHCP_MSG_MAX		1472
/* Minimum BOOTP message size some old clients insist on */
#define DHCP_MSG_MIN		300
#define DHCP_IP_UDP_HLEN	(FRAME_IP4_HLEN + FRAME_UDP_HLEN)

#define DHCP_INFINITE_LEASE	0xffffffff

/* What a reply gives, beyond its type */
#define REPLY_LEASE		(1U << 0)
#define REPLY_RAPID		(1U << 1)
#define DHCP_DNS_MAX		MAX_DNS_PER_FAMILY

/**
 * struct dhcp_opts - The client's options, by code
 * @val:	Start of each option's value, NULL if absent
 * @len:	Length of each option's value
 */
struct dhcp_opts {
	const uint8_t *val[256];
	uint8_t len[256];
};

/**
 * struct dhcp_out - Options of a reply being written
 * @buf:	Start of the options area
 * @len:	Bytes written
 * @max:	Room for options, the end option not counted
 */
struct dhcp_out {
	uint8_t *buf;
	size_t len;
	size_t max;
};

/**
 * dhcp_parse_opts() - Index the client's options, rejecting malformed ones
 * @o:		Options area
 * @len:	Length of @o
 * @opts:	Result
 *
 * Return: true if the options are well formed
 */
static bool dhcp_parse_opts(const uint8_t *o, size_t len,
			    struct dhcp_opts *opts)
{
	size_t i = 0;

	memset(opts, 0, sizeof(*opts));
	while (i < len) {
		uint8_t code = o[i], olen;

		if (code == OPT_PAD) {
			i++;
			continue;
		}
		if (code == OPT_END)
			return true;

		if (i + 2 > len) {
			debug_ratelimit("DHCP: option %u truncated", code);
			return false;
		}
		olen = o[i + 1];
		if (i + 2 + olen > len) {
			debug_ratelimit("DHCP: option %u overruns message",
					code);
			return false;
		}
		if (opts->val[code]) {
			debug_ratelimit("DHCP: option %u repeated", code);
			return false;
		}
		opts->val[code] = o + i + 2;
		opts->len[code] = olen;
		i += 2 + (size_t)olen;
	}

	debug_ratelimit("DHCP: no end option");
	return false;
}

/**
 * dhcp_opts_valid() - Check the options we read, and their lengths
 * @opts:	Client's options
 *
 * Return: true if we can act on them
 */
static bool dhcp_opts_valid(const struct dhcp_opts *opts)
{
	static const struct {
		uint8_t code;
		uint8_t len;
	} fixed[] = {
		{ OPT_MSG_TYPE, 1 }, { OPT_REQUESTED_ADDR, 4 },
		{ OPT_SERVER_ID, 4 }, { OPT_MAX_MSG_SIZE, 2 },
		{ OPT_RAPID_COMMIT, 0 },
	};
	size_t i;

	if (opts->val[OPT_OVERLOAD]) {
		debug_ratelimit("DHCP: option overload not supported");
		return false;
	}

	for (i = 0; i < ARRAY_SIZE(fixed); i++) {
		uint8_t code = fixed[i].code;

		if (opts->val[code] && opts->len[code] != fixed[i].len) {
			debug_ratelimit("DHCP: option %u has length %u",
					code, opts->len[code]);
			return false;
		}
	}

	if (opts->val[OPT_CLIENT_FQDN] && opts->len[OPT_CLIENT_FQDN] < 3) {
		debug_ratelimit("DHCP: client FQDN option too short");
		return false;
	}

	return true;
}

/**
 * dhcp_put() - Append an option, split into several if over 255 bytes
 * @o:		Reply options
 * @code:	Option code
 * @data:	Value
 * @len:	Length of @data
 *
 * RFC 3396 lets a long value span consecutive options with the same code.
 *
 * Return: true if written, false if it didn't fit (nothing written)
 */
static bool dhcp_put(struct dhcp_out *o, uint8_t code, const void *data,
		     size_t len)
{
	size_t chunks = len ? DIV_ROUND_UP(len, 255) : 1, done = 0;

	if (o->len + len + 2 * chunks > o->max) {
		debug("DHCP: no room for option %u in reply", code);
		return false;
	}

	do {
		size_t n = MIN(len - done, 255);

		o->buf[o->len++] = code;
		o->buf[o->len++] = (uint8_t)n;
		memcpy(o->buf + o->len, (const uint8_t *)data + done, n);
		o->len += n;
		done += n;
	} while (done < len);

	return true;
}

/**
 * dhcp_put_u32() - Append an option holding one 32-bit value
 * @o:		Reply options
 * @code:	Option code
 * @v:		Value, host order
 */
static void dhcp_put_u32(struct dhcp_out *o, uint8_t code, uint32_t v)
{
	uint8_t b[4];

	put_be32(b, v);
	dhcp_put(o, code, b, sizeof(b));
}

/**
 * dhcp_prefix_mask() - Netmask for a prefix length
 * @prefix_len:	Prefix length, 0 to 32
 *
 * Return: mask, host order
 */
static uint32_t dhcp_prefix_mask(unsigned prefix_len)
{
	return prefix_len >= 32 ? ~0U : ~(~0U >> prefix_len);
}

/**
 * dhcp_put_config() - Append the network configuration options
 * @c:		Execution context
 * @o:		Reply options
 * @a:		Assigned address
 * @opts:	Client's options
 */
static void dhcp_put_config(const struct ctx *c, struct dhcp_out *o,
			    const struct guest_addr *a,
			    const struct dhcp_opts *opts)
{
	uint32_t mask = dhcp_prefix_mask(a->prefix_len);
	const struct in_addr *gw = inany_v4(&c->ip4.gw);
	uint8_t buf[(size_t)DNAME_WIRE_MAX * MAX_SEARCH];
	size_t len;
	unsigned i;

	dhcp_put_u32(o, OPT_SUBNET_MASK, mask);
	dhcp_put(o, OPT_ROUTER, gw, 4);

	/* RFC 3442: a gateway off the guest's subnet needs a host route */
	if ((ntohl(gw->s_addr) ^ ntohl(inany_v4(&a->addr)->s_addr)) & mask) {
		uint8_t routes[14] = { 32 };

		memcpy(routes + 1, gw, 4);	/* gw/32 on link (0.0.0.0) */
		routes[9] = 0;			/* default route... */
		memcpy(routes + 10, gw, 4);	/* ...via the gateway */
		dhcp_put(o, OPT_CLASSLESS_ROUTES, routes, sizeof(routes));
	}

	if (c->mtu >= MTU_MIN && c->mtu <= UINT16_MAX) {
		uint8_t mtu[2];

		put_be16(mtu, (uint16_t)c->mtu);
		dhcp_put(o, OPT_MTU, mtu, sizeof(mtu));
	}

	for (i = 0, len = 0; !c->no_dns && i < c->dns_count && i < MAX_DNS;
	     i++) {
		const struct in_addr *v4 = inany_v4(&c->dns[i]);

		if (v4 && len < sizeof(*v4) * DHCP_DNS_MAX) {
			memcpy(buf + len, v4, 4);
			len += 4;
		}
	}
	if (len)
		dhcp_put(o, OPT_DNS, buf, len);

	if (!c->no_search && c->search_count) {
		const char *d = c->search[0];
		size_t dlen = strlen(d);

		/* Option 15 is plain text, without the root's trailing dot */
		if (dlen && d[dlen - 1] == '.')
			dlen--;
		if (dlen)
			dhcp_put(o, OPT_DOMAIN_NAME, d, dlen);

		len = dname_encode_search(c, true, buf, sizeof(buf));
		if (len)
			dhcp_put(o, OPT_SEARCH, buf, len);
	}

	if (c->hostname[0])
		dhcp_put(o, OPT_HOSTNAME, c->hostname, strlen(c->hostname));

	if (c->fqdn[0]) {
		int n = dname_encode(c->fqdn, buf + 3, sizeof(buf) - 3);

		buf[0] = FQDN_E;
		/* We update no DNS records: override a client asking us to */
		if (opts->val[OPT_CLIENT_FQDN] &&
		    (opts->val[OPT_CLIENT_FQDN][0] & FQDN_S))
			buf[0] |= FQDN_O;
		buf[1] = buf[2] = 255;	/* RCODE1, RCODE2: RFC 4702, 2.2 */
		if (n > 0)
			dhcp_put(o, OPT_CLIENT_FQDN, buf, 3 + (size_t)n);
	}
}

/**
 * dhcp_reply_max() - Largest DHCP message the client takes
 * @c:		Execution context
 * @opts:	Client's options
 *
 * Return: size in bytes, without IP and UDP headers
 */
static size_t dhcp_reply_max(const struct ctx *c,
			     const struct dhcp_opts *opts)
{
	size_t max = DHCP_MSG_MIN_MAX;

	/* Option 57 counts IP and UDP headers (RFC 2132, 9.10) */
	if (opts->val[OPT_MAX_MSG_SIZE]) {
		size_t m = get_be16(opts->val[OPT_MAX_MSG_SIZE]);

		if (m > DHCP_IP_UDP_HLEN)
			max = MAX(max, m - DHCP_IP_UDP_HLEN);
	}
	if (c->mtu > DHCP_IP_UDP_HLEN)
		max = MIN(max, (size_t)c->mtu - DHCP_IP_UDP_HLEN);

	return MAX(MIN(max, (size_t)DHCP_MSG_MAX), (size_t)DHCP_MSG_MIN_MAX);
}

/**
 * dhcp_reply_dst() - Where a reply goes (RFC 2131, 4.1)
 * @m:		Client's DHCP message
 * @r:		Reply, fixed header written
 * @type:	Reply type
 * @dst:	Result: IPv4 destination
 *
 * NAKs, and replies to clients asking for broadcast, are broadcast; other
 * replies go to the address given (yiaddr), or to the client's own
 * (ciaddr) when answering INFORM.
 */
static void dhcp_reply_dst(const uint8_t *m, const uint8_t *r, uint8_t type,
			   union inany_addr *dst)
{
	struct in_addr v4 = { .s_addr = htonl(INADDR_BROADCAST) };

	if (type != DHCPNAK &&
	    !(get_be16(m + BOOTP_FLAGS) & BOOTP_FLAG_BROADCAST)) {
		const uint8_t *ua = r + BOOTP_YIADDR;

		if (!get_be32(ua))
			ua = r + BOOTP_CIADDR;
		if (get_be32(ua))
			memcpy(&v4, ua, sizeof(v4));
	}

	inany_from_v4(dst, v4);
}

/**
 * dhcp_reply() - Build and send a reply
 * @c:		Execution context
 * @p:		Client's packet
 * @m:		Client's DHCP message
 * @opts:	Client's options
 * @type:	DHCPOFFER, DHCPACK or DHCPNAK
 * @flags:	REPLY_LEASE to give the address (not for a NAK, or an ACK to
 *		INFORM), REPLY_RAPID for an ACK to DISCOVER (implies a lease)
 */
static void dhcp_reply(struct ctx *c, const struct pkt *p, const uint8_t *m,
		       const struct dhcp_opts *opts, uint8_t type,
		       unsigned flags)
{
	bool lease = flags & (REPLY_LEASE | REPLY_RAPID);
	static uint8_t frame[FRAME_IP4_HLEN + FRAME_ETH_HLEN + FRAME_UDP_HLEN +
			     DHCP_MSG_MAX];
	const struct guest_addr *a = fwd_guest_addr(c, true);
	uint8_t *r = frame + frame_udp_off(true);
	union inany_addr dst;
	struct dhcp_out o;
	size_t len;

	memset(r, 0, DHCP_OPTS);
	r[BOOTP_OP] = BOOTREPLY;
	r[BOOTP_HTYPE] = BOOTP_HTYPE_ETHER;
	r[BOOTP_HLEN] = ETH_ALEN_BYTES;
	memcpy(r + BOOTP_XID, m + BOOTP_XID, 4);
	memcpy(r + BOOTP_FLAGS, m + BOOTP_FLAGS, 2);
	memcpy(r + BOOTP_GIADDR, m + BOOTP_GIADDR, 4);
	memcpy(r + BOOTP_CHADDR, m + BOOTP_CHADDR, 16);
	put_be32(r + BOOTP_MAGIC, DHCP_MAGIC);
	if (type == DHCPACK)
		memcpy(r + BOOTP_CIADDR, m + BOOTP_CIADDR, 4);
	if (lease)
		memcpy(r + BOOTP_YIADDR, inany_v4(&a->addr), 4);

	o.buf = r + DHCP_OPTS;
	o.len = 0;
	o.max = dhcp_reply_max(c, opts) - DHCP_OPTS - 1;

	dhcp_put(&o, OPT_MSG_TYPE, &type, 1);
	dhcp_put(&o, OPT_SERVER_ID, inany_v4(&c->ip4.gw), 4);
	if (type != DHCPNAK) {
		if (lease)
			dhcp_put_u32(&o, OPT_LEASE_TIME, DHCP_INFINITE_LEASE);
		if (flags & REPLY_RAPID)
			dhcp_put(&o, OPT_RAPID_COMMIT, "", 0);
		dhcp_put_config(c, &o, a, opts);
	}
	o.buf[o.len++] = OPT_END;

	len = DHCP_OPTS + o.len;
	if (len < DHCP_MSG_MIN) {
		memset(r + len, 0, DHCP_MSG_MIN - len);
		len = DHCP_MSG_MIN;
	}

	dhcp_reply_dst(m, r, type, &dst);
	len = frame_udp(c, frame, p->src_mac, true, &c->ip4.gw,
			DHCP_SERVER_PORT, &dst, DHCP_CLIENT_PORT, len);
	l2_send_single(c, frame, len);
}

/**
 * dhcp_handle() - Answer a DHCP message from the guest
 * @c:		Execution context
 * @p:		Parsed IPv4 UDP packet
 *
 * Return: true if the packet was DHCP and is consumed
 */
bool dhcp_handle(struct ctx *c, const struct pkt *p)
{
	const struct guest_addr *a = fwd_guest_addr(c, true);
	const uint8_t *u = p->l4, *m;
	const uint8_t *type, *sid;
	struct dhcp_opts opts;
	size_t udp_len, len;
	uint32_t requested;

	if (!p->v4 || p->proto != IPPROTO_UDP || p->l4_len < FRAME_UDP_HLEN ||
	    get_be16(u + 2) != DHCP_SERVER_PORT)
		return false;
	if (c->no_dhcp || !c->ip4.enabled || !a ||
	    !inany_v4(&c->ip4.gw) || inany_is_unspecified(&c->ip4.gw))
		return false;

	udp_len = get_be16(u + 4);
	if (udp_len < FRAME_UDP_HLEN || udp_len > p->l4_len) {
		debug_ratelimit("DHCP: bad UDP length %zu", udp_len);
		return true;
	}
	m = u + FRAME_UDP_HLEN;
	len = udp_len - FRAME_UDP_HLEN;

	if (len < DHCP_OPTS) {
		debug_ratelimit("DHCP: message too short (%zu bytes)", len);
		return true;
	}
	if (m[BOOTP_OP] != BOOTREQUEST || m[BOOTP_HTYPE] != BOOTP_HTYPE_ETHER ||
	    m[BOOTP_HLEN] != ETH_ALEN_BYTES ||
	    get_be32(m + BOOTP_MAGIC) != DHCP_MAGIC) {
		debug_ratelimit("DHCP: not an Ethernet DHCP request");
		return true;
	}
	if (!dhcp_parse_opts(m + DHCP_OPTS, len - DHCP_OPTS, &opts) ||
	    !dhcp_opts_valid(&opts))
		return true;

	type = opts.val[OPT_MSG_TYPE];
	if (!type) {
		debug_ratelimit("DHCP: no message type, BOOTP not supported");
		return true;
	}

	switch (*type) {
	case DHCPDISCOVER:
		if (opts.val[OPT_RAPID_COMMIT])
			dhcp_reply(c, p, m, &opts, DHCPACK, REPLY_RAPID);
		else
			dhcp_reply(c, p, m, &opts, DHCPOFFER, REPLY_LEASE);
		break;
	case DHCPREQUEST:
		/* Selecting another server's offer: not for us */
		sid = opts.val[OPT_SERVER_ID];
		if (sid && memcmp(sid, inany_v4(&c->ip4.gw), 4) != 0)
			break;

		/* Selecting or rebooting name the address in option 50,
		 * renewing and rebinding clients in ciaddr
		 */
		if (opts.val[OPT_REQUESTED_ADDR])
			requested = get_be32(opts.val[OPT_REQUESTED_ADDR]);
		else
			requested = get_be32(m + BOOTP_CIADDR);

		if (requested == ntohl(inany_v4(&a->addr)->s_addr))
			dhcp_reply(c, p, m, &opts, DHCPACK, REPLY_LEASE);
		else
			dhcp_reply(c, p, m, &opts, DHCPNAK, 0);
		break;
	case DHCPINFORM:
		dhcp_reply(c, p, m, &opts, DHCPACK, 0);
		break;
	case DHCPDECLINE:
	case DHCPRELEASE:
		/* Nothing to release or mark: the address is the guest's */
		break;
	default:
		debug_ratelimit("DHCP: unexpected message type %u", *type);
		break;
	}

	return true;
}
