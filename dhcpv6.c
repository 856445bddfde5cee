// SPDX-License-Identifier: GPL-2.0-or-later
/* dhcpv6.c - DHCPv6 server for the guest's IPv6 address (RFC 8415)
 *
 * Stateful, with a single binding: every identity association for
 * non-temporary addresses (IA_NA) the guest asks about gets the one address
 * assigned to it, with infinite lifetimes, so there is nothing to store per
 * client. Configuration comes with it: DNS servers and search list
 * (RFC 3646) and the client FQDN (RFC 4704).
 *
 * Every option length is checked, nested ones too, before any is used: a
 * malformed message is dropped whole.
 */

#include <netinet/in.h>

#include "ctx.h"
#include "dhcpv6.h"
#include "dname.h"
#include "frame.h"
#include "fwd.h"
#include "l2.h"
#include "log.h"
#include "pkt.h"
#include "util.h"

#define DHCPV6_CLIENT_PORT	546
#define DHCPV6_SERVER_PORT	547

/* Message types (RFC 8415, 7.3) */
#define SOLICIT			1
#define ADVERTISE		2
#define REQUEST			3
#define CONFIRM			4
#define RENEW			5
#define REBIND			6
#define REPLY			7
#define RELEASE			8
#define DECLINE			9
#define INFORMATION_REQUEST	11

/* Options (RFC 8415, 21, unless noted) */
#define OPT_CLIENTID		1
#define OPT_SERVERID		2
#define OPT_IA_NA		3
#define OPT_IAADDR		5
#define OPT_ORO			6
#define OPT_ELAPSED_TIME	8
#define OPT_STATUS_CODE		13
#define OPT_RAPID_COMMIT	14
#define OPT_DNS_SERVERS		23	/* RFC 3646 */
#define OPT_DOMAIN_LIST		24	/* RFC 3646 */
#define OPT_CLIENT_FQDN		39	/* RFC 4704 */

#define OPT_HLEN		4
#define IA_NA_HLEN		12	/* IAID, T1, T2 */
#define IAADDR_HLEN		24	/* address, preferred, valid lifetime */

/* Status codes (RFC 8415, 21.13) */
#define STATUS_SUCCESS		0
#define STATUS_NOADDRSAVAIL	2
#define STATUS_NOTONLINK	4

/* Client FQDN flags (RFC 4704, 4.1) */
#define FQDN_S			0x01
#define FQDN_O			0x02

/* A DUID is at most 128 bytes after its 2-byte type (RFC 8415, 11.1) */
#define DUID_MIN_LEN		3
#define DUID_MAX_LEN		130
#define DUID_TYPE_LL		3
#define DUID_HW_ETHER		1
#define DUID_LL_LEN		(4 + ETH_ALEN_BYTES)

#define DHCPV6_HLEN		4	/* message type, transaction ID */
#define DHCPV6_INFINITE		0xffffffff

/* Room for the largest reply: header, then nine option headers for our
 * DUID, the client's, Rapid Commit, IA_NA with one IAADDR, a status with
 * its text, DNS servers, a full search list and the FQDN (flags and name)
 */
#define DHCPV6_STATUS_TEXT_MAX	32
#define DHCPV6_REPLY_MAX	(DHCPV6_HLEN + 9 * OPT_HLEN + DUID_LL_LEN + \
				 DUID_MAX_LEN + IA_NA_HLEN + IAADDR_HLEN + \
				 2 + DHCPV6_STATUS_TEXT_MAX + \
				 16 * MAX_DNS_PER_FAMILY + \
				 DNAME_WIRE_MAX * MAX_SEARCH + \
				 1 + DNAME_WIRE_MAX)

static uint8_t dhcpv6_duid[DUID_LL_LEN];

/**
 * struct dhcpv6_msg - What we use of a client's message, all validated
 * @type:		Message type
 * @opts:		Top-level options
 * @opts_len:		Length of @opts
 * @client_id:		Client identifier (DUID), NULL if absent
 * @client_id_len:	Length of @client_id
 * @server_id:		Server identifier (DUID), NULL if absent
 * @server_id_len:	Length of @server_id
 * @ia_na:		First IA_NA option's value, NULL if absent
 * @rapid_commit:	Rapid Commit option present
 * @fqdn_s:		Client FQDN present, asking us to update AAAA records
 */
struct dhcpv6_msg {
	uint8_t type;
	const uint8_t *opts;
	size_t opts_len;
	const uint8_t *client_id;
	size_t client_id_len;
	const uint8_t *server_id;
	size_t server_id_len;
	const uint8_t *ia_na;
	bool rapid_commit;
	bool fqdn_s;
};

/**
 * struct dhcpv6_out - Reply being written
 * @buf:	Start of the DHCPv6 message
 * @len:	Bytes written
 */
struct dhcpv6_out {
	uint8_t *buf;
	size_t len;
};

/**
 * dhcpv6_init() - Prepare the server identifier
 * @c:		Execution context
 *
 * A DUID-LL from our MAC address (RFC 8415, 11.4): stable for as long as
 * the MAC address is, with no clock involved.
 */
void dhcpv6_init(struct ctx *c)
{
	put_be16(dhcpv6_duid, DUID_TYPE_LL);
	put_be16(dhcpv6_duid + 2, DUID_HW_ETHER);
	memcpy(dhcpv6_duid + 4, c->our_mac, ETH_ALEN_BYTES);
}

/**
 * dhcpv6_opt() - Step to the next option of an options area
 * @buf:	Options area
 * @len:	Length of @buf
 * @off:	Offset of the option, moved past it
 * @code:	Result: option code
 * @olen:	Result: length of the value
 *
 * Return: the value, NULL if the option's header or value runs past @len
 */
static const uint8_t *dhcpv6_opt(const uint8_t *buf, size_t len, size_t *off,
				 uint16_t *code, size_t *olen)
{
	const uint8_t *v;

	if (*off + OPT_HLEN > len)
		return NULL;
	*code = get_be16(buf + *off);
	*olen = get_be16(buf + *off + 2);
	if (*off + OPT_HLEN + *olen > len)
		return NULL;

	v = buf + *off + OPT_HLEN;
	*off += OPT_HLEN + *olen;
	return v;
}

/**
 * dhcpv6_ia_na_valid() - Check an IA_NA and the addresses it holds
 * @v:		Value of the IA_NA option
 * @len:	Length of @v
 *
 * Return: true if well formed
 */
static bool dhcpv6_ia_na_valid(const uint8_t *v, size_t len)
{
	size_t off = IA_NA_HLEN;

	if (len < IA_NA_HLEN)
		return false;

	while (off < len) {
		const uint8_t *a;
		uint16_t code;
		size_t alen;

		a = dhcpv6_opt(v, len, &off, &code, &alen);
		if (!a)
			return false;
		if (code != OPT_IAADDR)
			continue;
		if (alen < IAADDR_HLEN)
			return false;
	}

	return true;
}

/**
 * dhcpv6_parse() - Validate a client's message and pick out what we use
 * @m:		DHCPv6 message
 * @len:	Length of @m
 * @msg:	Result
 *
 * Return: true if every option, nested ones included, is well formed
 */
static bool dhcpv6_parse(const uint8_t *m, size_t len, struct dhcpv6_msg *msg)
{
	size_t off = 0;

	memset(msg, 0, sizeof(*msg));
	if (len < DHCPV6_HLEN)
		return false;
	msg->type = m[0];
	msg->opts = m + DHCPV6_HLEN;
	msg->opts_len = len - DHCPV6_HLEN;

	while (off < msg->opts_len) {
		uint16_t code;
		size_t olen;
		const uint8_t *v = dhcpv6_opt(msg->opts, msg->opts_len, &off,
					      &code, &olen);

		if (!v)
			return false;

		switch (code) {
		case OPT_CLIENTID:
			if (msg->client_id || olen < DUID_MIN_LEN ||
			    olen > DUID_MAX_LEN)
				return false;
			msg->client_id = v;
			msg->client_id_len = olen;
			break;
		case OPT_SERVERID:
			if (msg->server_id || olen < DUID_MIN_LEN ||
			    olen > DUID_MAX_LEN)
				return false;
			msg->server_id = v;
			msg->server_id_len = olen;
			break;
		case OPT_IA_NA:
			if (!dhcpv6_ia_na_valid(v, olen))
				return false;
			if (!msg->ia_na)
				msg->ia_na = v;
			break;
		case OPT_RAPID_COMMIT:
			if (olen)
				return false;
			msg->rapid_commit = true;
			break;
		case OPT_ELAPSED_TIME:
			if (olen != 2)
				return false;
			break;
		case OPT_ORO:
			if (olen % 2)
				return false;
			break;
		case OPT_CLIENT_FQDN:
			if (!olen)
				return false;
			msg->fqdn_s = v[0] & FQDN_S;
			break;
		default:
			break;
		}
	}

	return true;
}

/**
 * dhcpv6_put() - Append an option to a reply
 * @o:		Reply
 * @code:	Option code
 * @data:	Value, or NULL to leave it to the caller
 * @len:	Length of the value
 *
 * The reply buffer is sized for every option we write, once each.
 *
 * Return: where the value goes
 */
static uint8_t *dhcpv6_put(struct dhcpv6_out *o, uint16_t code,
			   const void *data, size_t len)
{
	uint8_t *v = o->buf + o->len + OPT_HLEN;

	put_be16(o->buf + o->len, code);
	put_be16(o->buf + o->len + 2, (uint16_t)len);
	if (data)
		memcpy(v, data, len);
	o->len += OPT_HLEN + len;

	return v;
}

/**
 * dhcpv6_put_status() - Append a status code option
 * @o:		Reply
 * @status:	Status code
 */
static void dhcpv6_put_status(struct dhcpv6_out *o, uint16_t status)
{
	const char *text;
	size_t len;
	uint8_t *v;

	switch (status) {
	case STATUS_SUCCESS:
		text = "Done";
		break;
	case STATUS_NOADDRSAVAIL:
		text = "No address to give";
		break;
	default:
		text = "Address not on this link";
		break;
	}

	/* The message is UTF-8 text without a terminator (RFC 8415, 21.13) */
	len = strlen(text);
	v = dhcpv6_put(o, OPT_STATUS_CODE, NULL, 2 + len);
	put_be16(v, status);
	memcpy(v + 2, text, len);
}

/**
 * dhcpv6_put_ia_na() - Append an IA_NA with the guest's address
 * @o:		Reply
 * @ia_na:	Client's IA_NA, giving the IAID
 * @a:		Guest address
 */
static void dhcpv6_put_ia_na(struct dhcpv6_out *o, const uint8_t *ia_na,
			     const struct guest_addr *a)
{
	uint8_t *v = dhcpv6_put(o, OPT_IA_NA, NULL,
				IA_NA_HLEN + OPT_HLEN + IAADDR_HLEN);
	uint8_t *addr = v + IA_NA_HLEN + OPT_HLEN;

	memcpy(v, ia_na, 4);			/* IAID */
	put_be32(v + 4, DHCPV6_INFINITE);	/* T1 */
	put_be32(v + 8, DHCPV6_INFINITE);	/* T2 */
	put_be16(v + IA_NA_HLEN, OPT_IAADDR);
	put_be16(v + IA_NA_HLEN + 2, IAADDR_HLEN);
	memcpy(addr, &a->addr.a6, 16);
	put_be32(addr + 16, DHCPV6_INFINITE);	/* preferred lifetime */
	put_be32(addr + 20, DHCPV6_INFINITE);	/* valid lifetime */
}

/**
 * dhcpv6_put_config() - Append DNS servers, search list and FQDN
 * @c:		Execution context
 * @o:		Reply
 * @msg:	Client's message
 */
static void dhcpv6_put_config(const struct ctx *c, struct dhcpv6_out *o,
			      const struct dhcpv6_msg *msg)
{
	uint8_t buf[(size_t)DNAME_WIRE_MAX * MAX_SEARCH];
	size_t len = 0;
	unsigned i;

	for (i = 0; !c->no_dns && i < c->dns_count && i < MAX_DNS; i++) {
		if (inany_v4(&c->dns[i]) ||
		    len >= sizeof(c->dns[i].a6) * MAX_DNS_PER_FAMILY)
			continue;
		memcpy(buf + len, &c->dns[i].a6, sizeof(c->dns[i].a6));
		len += sizeof(c->dns[i].a6);
	}
	if (len)
		dhcpv6_put(o, OPT_DNS_SERVERS, buf, len);

	if (!c->no_search) {
		/* RFC 3646, 4: names are not compressed */
		len = dname_encode_search(c, false, buf, sizeof(buf));
		if (len)
			dhcpv6_put(o, OPT_DOMAIN_LIST, buf, len);
	}

	if (c->fqdn[0]) {
		int n = dname_encode(c->fqdn, buf + 1, sizeof(buf) - 1);

		/* We update no DNS records: override a client asking us to */
		buf[0] = msg->fqdn_s ? FQDN_O : 0;
		if (n > 0)
			dhcpv6_put(o, OPT_CLIENT_FQDN, buf, 1 + (size_t)n);
	}
}

/**
 * dhcpv6_confirm_status() - Are the client's addresses on our link?
 * @msg:	CONFIRM message
 * @a:		Guest address, with the link's prefix length
 *
 * Return: STATUS_SUCCESS or STATUS_NOTONLINK, -1 if the client gave no
 *	   address at all (RFC 8415, 18.3.3: no reply then)
 */
static int dhcpv6_confirm_status(const struct dhcpv6_msg *msg,
				 const struct guest_addr *a)
{
	int status = -1;
	size_t off = 0;

	while (off < msg->opts_len) {
		uint16_t code, acode;
		size_t olen, alen, aoff = IA_NA_HLEN;
		const uint8_t *v = dhcpv6_opt(msg->opts, msg->opts_len, &off,
					      &code, &olen);

		if (!v)
			break;
		if (code != OPT_IA_NA)
			continue;

		while (aoff < olen) {
			const uint8_t *ad = dhcpv6_opt(v, olen, &aoff, &acode,
						       &alen);
			unsigned bits = a->prefix_len, i;
			bool on_link = true;

			if (!ad)
				break;
			if (acode != OPT_IAADDR)
				continue;

			for (i = 0; i < bits / 8; i++)
				on_link &= ad[i] == a->addr.a6.s6_addr[i];
			if (bits % 8 && bits < 128) {
				uint8_t m = (uint8_t)(0xff << (8 - bits % 8));

				on_link &= !((ad[i] ^ a->addr.a6.s6_addr[i]) &
					     m);
			}

			if (!on_link)
				return STATUS_NOTONLINK;
			status = STATUS_SUCCESS;
		}
	}

	return status;
}

/**
 * dhcpv6_server_id_ok() - Check the server identifier against a message
 * @msg:	Client's message
 * @need:	1: ours must be there, 0: it may be, -1: none may be
 *
 * Return: true if the message is for us
 */
static bool dhcpv6_server_id_ok(const struct dhcpv6_msg *msg, int need)
{
	if (!msg->server_id)
		return need <= 0;
	if (need < 0)
		return false;

	return msg->server_id_len == sizeof(dhcpv6_duid) &&
	       !memcmp(msg->server_id, dhcpv6_duid, sizeof(dhcpv6_duid));
}

/**
 * dhcpv6_reply_plan() - Decide how to answer a message
 * @msg:	Client's message, validated
 * @a:		Guest address, NULL if none
 * @type:	Result: reply type
 * @ia:		Result: the reply carries the guest's address
 * @status:	Result: top-level status code to include, -1 for none
 * @config:	Result: the reply carries DNS servers, search list, FQDN
 *
 * Return: NULL if we answer, else why we don't
 */
static const char *dhcpv6_reply_plan(const struct dhcpv6_msg *msg,
				     const struct guest_addr *a,
				     uint8_t *type, bool *ia, int *status,
				     bool *config)
{
	*type = REPLY;
	*ia = false;
	*status = -1;
	*config = true;

	if (!msg->client_id && msg->type != INFORMATION_REQUEST)
		return "no client identifier";

	switch (msg->type) {
	case SOLICIT:
		if (!dhcpv6_server_id_ok(msg, -1))
			return "server identifier in SOLICIT";
		if (!msg->rapid_commit)
			*type = ADVERTISE;
		*ia = true;
		break;
	case REQUEST:
	case RENEW:
		if (!dhcpv6_server_id_ok(msg, 1))
			return "not for us";
		*ia = true;
		break;
	case REBIND:
		if (!dhcpv6_server_id_ok(msg, -1))
			return "server identifier in REBIND";
		*ia = true;
		break;
	case CONFIRM:
		if (!dhcpv6_server_id_ok(msg, -1))
			return "server identifier in CONFIRM";
		if (!a)
			return "no address to confirm against";
		*status = dhcpv6_confirm_status(msg, a);
		if (*status < 0)
			return "CONFIRM without addresses";
		*config = false;
		break;
	case RELEASE:
	case DECLINE:
		if (!dhcpv6_server_id_ok(msg, 1))
			return "not for us";
		/* Nothing to free or mark: the address is the guest's */
		*status = STATUS_SUCCESS;
		*config = false;
		break;
	case INFORMATION_REQUEST:
		if (!dhcpv6_server_id_ok(msg, 0))
			return "not for us";
		break;
	default:
		return "unexpected message type";
	}

	return NULL;
}

/**
 * dhcpv6_handle() - Answer a DHCPv6 message from the guest
 * @c:		Execution context
 * @p:		Parsed IPv6 UDP packet
 *
 * Return: true if the packet was DHCPv6 and is consumed
 */
bool dhcpv6_handle(struct ctx *c, const struct pkt *p)
{
	static uint8_t frame[FRAME_ETH_HLEN + FRAME_IP6_HLEN + FRAME_UDP_HLEN +
			     DHCPV6_REPLY_MAX];
	const struct guest_addr *a = fwd_guest_addr(c, false);
	const uint8_t *u = p->l4;
	struct dhcpv6_msg msg;
	struct dhcpv6_out o;
	bool ia, config;
	const char *why;
	size_t udp_len;
	uint8_t type;
	int status;

	if (p->v4 || p->proto != IPPROTO_UDP || p->l4_len < FRAME_UDP_HLEN ||
	    get_be16(u + 2) != DHCPV6_SERVER_PORT ||
	    !inany_is_multicast(&p->dst))
		return false;
	if (c->no_dhcpv6 || !c->ip6.enabled ||
	    inany_is_unspecified(&c->ip6.our_ll))
		return false;

	udp_len = get_be16(u + 4);
	if (udp_len < FRAME_UDP_HLEN || udp_len > p->l4_len) {
		debug_ratelimit("DHCPv6: bad UDP length %zu", udp_len);
		return true;
	}
	/* Clients use their link-local address (RFC 8415, 13.1) */
	if (!inany_is_linklocal(&p->src)) {
		debug_ratelimit("DHCPv6: source isn't link-local");
		return true;
	}
	if (!dhcpv6_parse(u + FRAME_UDP_HLEN, udp_len - FRAME_UDP_HLEN, &msg)) {
		debug_ratelimit("DHCPv6: malformed message");
		return true;
	}

	why = dhcpv6_reply_plan(&msg, a, &type, &ia, &status, &config);
	if (why) {
		debug_ratelimit("DHCPv6: message type %u dropped: %s",
				msg.type, why);
		return true;
	}

	o.buf = frame + frame_udp_off(false);
	o.buf[0] = type;
	memcpy(o.buf + 1, u + FRAME_UDP_HLEN + 1, 3);	/* transaction ID */
	o.len = DHCPV6_HLEN;

	dhcpv6_put(&o, OPT_SERVERID, dhcpv6_duid, sizeof(dhcpv6_duid));
	if (msg.client_id)
		dhcpv6_put(&o, OPT_CLIENTID, msg.client_id, msg.client_id_len);
	if (msg.type == SOLICIT && type == REPLY)
		dhcpv6_put(&o, OPT_RAPID_COMMIT, NULL, 0);
	if (ia && a && msg.ia_na)
		dhcpv6_put_ia_na(&o, msg.ia_na, a);
	else if (ia)
		status = STATUS_NOADDRSAVAIL;
	if (status >= 0)
		dhcpv6_put_status(&o, (uint16_t)status);
	if (config)
		dhcpv6_put_config(c, &o, &msg);

	l2_send_single(c, frame,
		       frame_udp(c, frame, p->src_mac, false,
				 &c->ip6.our_ll, DHCPV6_SERVER_PORT,
				 &p->src, DHCPV6_CLIENT_PORT, o.len));
	return true;
}
