// SPDX-License-Identifier: GPL-2.0-or-later
/* test/unit/dhcpv6.c - DHCPv6 server: the reply to each message type, its
 * options, and malformed messages that must get nothing
 */

#include <netinet/in.h>

#include "checksum.h"
#include "dhcpv6.h"
#include "fwd.h"
#include "l2_capture.h"

static struct ctx c;
static uint8_t frame[4096];
static uint8_t msg[1024];
static size_t msg_len;

#define GUEST_LL	"fe80::2"
#define OUR_LL		"fe80::1"
#define XID		"\xab\xcd\xef"

/* Our DUID-LL, from our MAC address */
static const uint8_t our_duid[] = { 0, 3, 0, 1,
				    0x9a, 0x55, 0x9a, 0x55, 0x9a, 0x55 };
static const uint8_t client_duid[] = { 0, 3, 0, 1, 2, 0, 0, 0, 0, 1 };

/**
 * setup() - Context: guest 2001:db8:1::2/64, DNS, search list
 */
static void setup(void)
{
	union inany_addr a = test_addr("2001:db8:1::2");

	test_ctx_init(&c);
	fwd_set_addr(&c, &a, CONF_ADDR_HOST, 64);
	c.ip6.our_ll = test_addr(OUR_LL);
	c.dns[0] = test_addr("198.51.100.53");
	c.dns[1] = test_addr("2001:db8:5::53");
	c.dns_count = 2;
	strcpy(c.search[0], "example.test");
	c.search_count = 1;
	dhcpv6_init(&c);
}

/**
 * msg_start() - Start a client message
 * @type:	Message type
 */
static void msg_start(uint8_t type)
{
	msg[0] = type;
	memcpy(msg + 1, XID, 3);
	msg_len = 4;
}

/**
 * msg_opt() - Append an option to the client message
 * @code:	Option code
 * @v:		Value
 * @len:	Length of @v
 */
static void msg_opt(uint16_t code, const void *v, size_t len)
{
	put_be16(msg + msg_len, code);
	put_be16(msg + msg_len + 2, (uint16_t)len);
	memcpy(msg + msg_len + 4, v, len);
	msg_len += 4 + len;
}

/**
 * msg_ia_na() - Append an IA_NA, with one address if given
 * @addr:	Address, text, or NULL
 */
static void msg_ia_na(const char *addr)
{
	uint8_t ia[12 + 28] = { 0, 0, 0, 42 };

	if (addr) {
		union inany_addr a = test_addr(addr);

		put_be16(ia + 12, 5);
		put_be16(ia + 14, 24);
		memcpy(ia + 16, &a.a6, 16);
	}
	msg_opt(3, ia, addr ? sizeof(ia) : 12);
}

/**
 * msg_send() - Hand the client message to the server
 * @dst:	Destination address, text
 *
 * Return: what dhcpv6_handle() returned
 */
static bool msg_send(const char *dst)
{
	union inany_addr s = test_addr(GUEST_LL), d = test_addr(dst);
	struct pkt p;
	size_t len;

	memset(frame, 0, sizeof(frame));
	memcpy(frame + frame_udp_off(false), msg, msg_len);
	len = frame_udp(&c, frame, NULL, false, &s, 546, &d, 547, msg_len);
	guest_frame_fix_macs(frame);
	if (pkt_parse(frame, len, &p))
		abort();

	return dhcpv6_handle(&c, &p);
}

/**
 * reply_find() - Find a top-level option in a captured reply
 * @i:		Captured frame
 * @code:	Option code
 * @len:	Result: length of the value
 *
 * Return: the value, NULL if absent
 */
static const uint8_t *reply_find(size_t i, uint16_t code, size_t *len)
{
	const uint8_t *m = capture_buf[i] + frame_udp_off(false);
	size_t end = get_be16(capture_buf[i] + frame_l4_off(false) + 4) - 8;
	size_t o = 4;

	while (o + 4 <= end) {
		size_t l = get_be16(m + o + 2);

		if (get_be16(m + o) == code) {
			*len = l;
			return m + o + 4;
		}
		o += 4 + l;
	}

	return NULL;
}

/**
 * reply_ok() - Check the headers and identifiers of a captured reply
 * @i:		Captured frame
 * @type:	Expected message type
 *
 * Return: true if addressed right, checksummed, and identified
 */
static bool reply_ok(size_t i, uint8_t type)
{
	union inany_addr s = test_addr(OUR_LL), d = test_addr(GUEST_LL);
	const uint8_t *v;
	struct pkt p;
	size_t len;

	if (!capture_parse(i, &p) || p.proto != IPPROTO_UDP ||
	    !inany_equals(&p.src, &s) || !inany_equals(&p.dst, &d) ||
	    get_be16(p.l4) != 547 || get_be16(p.l4 + 2) != 546 ||
	    csum_l4(false, &p.src, &p.dst, IPPROTO_UDP, p.l4, p.l4_len) ||
	    memcmp(p.dst_mac, guest_mac, 6) ||
	    p.l4[8] != type || memcmp(p.l4 + 9, XID, 3))
		return false;

	v = reply_find(i, 2, &len);
	if (!v || len != sizeof(our_duid) || memcmp(v, our_duid, len))
		return false;
	v = reply_find(i, 1, &len);
	return v && len == sizeof(client_duid) && !memcmp(v, client_duid, len);
}

/**
 * reply_has_address() - Does a reply give the guest's address in an IA_NA?
 * @i:		Captured frame
 *
 * Return: true if the IA_NA has IAID 42 and 2001:db8:1::2, infinite
 */
static bool reply_has_address(size_t i)
{
	union inany_addr a = test_addr("2001:db8:1::2");
	const uint8_t *v;
	size_t len;

	v = reply_find(i, 3, &len);
	return v && len == 12 + 28 && get_be32(v) == 42 &&
	       get_be16(v + 12) == 5 && get_be16(v + 14) == 24 &&
	       !memcmp(v + 16, &a.a6, 16) &&
	       get_be32(v + 32) == 0xffffffff && get_be32(v + 36) == 0xffffffff;
}

/**
 * reply_status() - Top-level status code of a reply
 * @i:		Captured frame
 *
 * Return: status, -1 if none
 */
static int reply_status(size_t i)
{
	const uint8_t *v;
	size_t len;

	v = reply_find(i, 13, &len);
	return v && len >= 2 ? get_be16(v) : -1;
}

/**
 * dhcpv6_solicit() - SOLICIT gets an ADVERTISE with address and config
 */
static void dhcpv6_solicit(void)
{
	static const uint8_t domain[] = "\x07" "example" "\x04" "test";
	static const uint8_t fqdn[] = "\x02\x02" "vm" "\x07" "example"
				      "\x04" "test";
	union inany_addr dns = test_addr("2001:db8:5::53");
	const uint8_t *v;
	size_t len;

	setup();
	strcpy(c.fqdn, "vm.example.test");
	msg_start(1);
	msg_opt(1, client_duid, sizeof(client_duid));
	msg_opt(8, "\0\0", 2);
	msg_opt(39, "\x01", 1);		/* S: asks us to update records */
	msg_ia_na(NULL);
	UNIT_CHECK(msg_send("ff02::1:2"));
	UNIT_CHECK(capture_count == 1 && reply_ok(0, 2));
	UNIT_CHECK(reply_has_address(0));
	v = reply_find(0, 23, &len);
	UNIT_CHECK(v && len == 16 && !memcmp(v, &dns.a6, 16));
	v = reply_find(0, 24, &len);
	UNIT_CHECK(v && len == sizeof(domain) && !memcmp(v, domain, len));
	v = reply_find(0, 39, &len);
	UNIT_CHECK(v && len == sizeof(fqdn) && !memcmp(v, fqdn, len));
	UNIT_CHECK(!reply_find(0, 14, &len));

	/* Rapid commit: REPLY at once, saying so */
	msg_opt(14, "", 0);
	UNIT_CHECK(msg_send("ff02::1:2"));
	UNIT_CHECK(capture_count == 2 && reply_ok(1, 7));
	UNIT_CHECK(reply_find(1, 14, &len) && len == 0);
	UNIT_CHECK(reply_has_address(1));

	/* A server ID in SOLICIT is a protocol error */
	msg_opt(2, our_duid, sizeof(our_duid));
	UNIT_CHECK(msg_send("ff02::1:2"));
	UNIT_CHECK(capture_count == 2);
}

/**
 * dhcpv6_request_renew_rebind() - REPLY with the address, for us only
 */
static void dhcpv6_request_renew_rebind(void)
{
	static const uint8_t other_duid[] = { 0, 3, 0, 1, 1, 2, 3, 4, 5, 6 };
	uint8_t t;

	setup();
	for (t = 3; t <= 5; t += 2) {		/* REQUEST, RENEW */
		size_t n = capture_count;

		msg_start(t);
		msg_opt(1, client_duid, sizeof(client_duid));
		msg_ia_na("2001:db8:1::2");
		/* Without our server ID: not for us */
		UNIT_CHECK(msg_send("ff02::1:2"));
		UNIT_CHECK(capture_count == n);
		msg_opt(2, other_duid, sizeof(other_duid));
		UNIT_CHECK(msg_send("ff02::1:2"));
		UNIT_CHECK(capture_count == n);

		msg_start(t);
		msg_opt(1, client_duid, sizeof(client_duid));
		msg_opt(2, our_duid, sizeof(our_duid));
		msg_ia_na("2001:db8:1::2");
		UNIT_CHECK(msg_send("ff02::1:2"));
		UNIT_CHECK(capture_count == n + 1 && reply_ok(n, 7));
		UNIT_CHECK(reply_has_address(n));
	}

	msg_start(6);				/* REBIND */
	msg_opt(1, client_duid, sizeof(client_duid));
	msg_ia_na("2001:db8:1::2");
	UNIT_CHECK(msg_send("ff02::1:2"));
	UNIT_CHECK(capture_count == 3 && reply_ok(2, 7));
	UNIT_CHECK(reply_has_address(2));
}

/**
 * dhcpv6_confirm() - CONFIRM: Success on our prefix, NotOnLink off it,
 *		      nothing without addresses
 */
static void dhcpv6_confirm(void)
{
	size_t len;

	setup();
	msg_start(4);
	msg_opt(1, client_duid, sizeof(client_duid));
	msg_ia_na("2001:db8:1::99");
	UNIT_CHECK(msg_send("ff02::1:2"));
	UNIT_CHECK(capture_count == 1 && reply_ok(0, 7));
	UNIT_CHECK(reply_status(0) == 0);
	UNIT_CHECK(!reply_find(0, 3, &len));

	msg_ia_na("2001:db8:2::2");
	UNIT_CHECK(msg_send("ff02::1:2"));
	UNIT_CHECK(capture_count == 2 && reply_ok(1, 7));
	UNIT_CHECK(reply_status(1) == 4);

	msg_start(4);
	msg_opt(1, client_duid, sizeof(client_duid));
	msg_ia_na(NULL);
	UNIT_CHECK(msg_send("ff02::1:2"));
	UNIT_CHECK(capture_count == 2);
}

/**
 * dhcpv6_release_inform() - RELEASE gets Success, INFORMATION-REQUEST
 *			     configuration without an address
 */
static void dhcpv6_release_inform(void)
{
	size_t len;

	setup();
	msg_start(8);
	msg_opt(1, client_duid, sizeof(client_duid));
	msg_opt(2, our_duid, sizeof(our_duid));
	msg_ia_na("2001:db8:1::2");
	UNIT_CHECK(msg_send("ff02::1:2"));
	UNIT_CHECK(capture_count == 1 && reply_ok(0, 7));
	UNIT_CHECK(reply_status(0) == 0);

	msg_start(11);
	msg_opt(1, client_duid, sizeof(client_duid));
	msg_opt(6, "\0\x17\0\x18", 4);
	UNIT_CHECK(msg_send("ff02::1:2"));
	UNIT_CHECK(capture_count == 2 && reply_ok(1, 7));
	UNIT_CHECK(!reply_find(1, 3, &len));
	UNIT_CHECK(reply_status(1) == -1);
	UNIT_CHECK(reply_find(1, 23, &len) && len == 16);
}

/**
 * dhcpv6_no_ia() - SOLICIT without IA_NA: NoAddrsAvail
 */
static void dhcpv6_no_ia(void)
{
	size_t len;

	setup();
	msg_start(1);
	msg_opt(1, client_duid, sizeof(client_duid));
	UNIT_CHECK(msg_send("ff02::1:2"));
	UNIT_CHECK(capture_count == 1 && reply_ok(0, 2));
	UNIT_CHECK(reply_status(0) == 2);
	UNIT_CHECK(!reply_find(0, 3, &len));
}

/**
 * dhcpv6_malformed() - Bad lengths anywhere: dropped, and consumed
 */
static void dhcpv6_malformed(void)
{
	uint8_t ia[12 + 4 + 8] = { 0, 0, 0, 42 };

	setup();
	/* Option running past the end */
	msg_start(1);
	msg_opt(1, client_duid, sizeof(client_duid));
	msg_opt(8, "\0\0", 2);
	put_be16(msg + msg_len - 6 + 2, 200);
	UNIT_CHECK(msg_send("ff02::1:2"));
	/* Option header cut short */
	msg_start(1);
	msg_opt(1, client_duid, sizeof(client_duid));
	msg[msg_len++] = 0;
	UNIT_CHECK(msg_send("ff02::1:2"));
	/* Elapsed time of the wrong length */
	msg_start(1);
	msg_opt(1, client_duid, sizeof(client_duid));
	msg_opt(8, "\0", 1);
	UNIT_CHECK(msg_send("ff02::1:2"));
	/* Short IA_NA */
	msg_start(1);
	msg_opt(1, client_duid, sizeof(client_duid));
	msg_opt(3, ia, 8);
	UNIT_CHECK(msg_send("ff02::1:2"));
	/* IAADDR too short inside an IA_NA */
	put_be16(ia + 12, 5);
	put_be16(ia + 14, 8);
	msg_start(1);
	msg_opt(1, client_duid, sizeof(client_duid));
	msg_opt(3, ia, sizeof(ia));
	UNIT_CHECK(msg_send("ff02::1:2"));
	/* Two client IDs, an empty one, a missing one */
	msg_start(1);
	msg_opt(1, client_duid, sizeof(client_duid));
	msg_opt(1, client_duid, sizeof(client_duid));
	UNIT_CHECK(msg_send("ff02::1:2"));
	msg_start(1);
	msg_opt(1, "", 0);
	UNIT_CHECK(msg_send("ff02::1:2"));
	msg_start(1);
	msg_ia_na(NULL);
	UNIT_CHECK(msg_send("ff02::1:2"));
	/* Shorter than the header */
	msg_len = 3;
	UNIT_CHECK(msg_send("ff02::1:2"));
	/* Server-to-client type */
	msg_start(7);
	msg_opt(1, client_duid, sizeof(client_duid));
	UNIT_CHECK(msg_send("ff02::1:2"));
	UNIT_CHECK(capture_count == 0);

	/* Unicast destination: not ours to take */
	msg_start(1);
	msg_opt(1, client_duid, sizeof(client_duid));
	UNIT_CHECK(!msg_send(OUR_LL));
	c.no_dhcpv6 = true;
	UNIT_CHECK(!msg_send("ff02::1:2"));
	c.no_dhcpv6 = false;
	c.ip6.enabled = false;
	UNIT_CHECK(!msg_send("ff02::1:2"));
	UNIT_CHECK(capture_count == 0);
}

/**
 * main() - Run the cases
 *
 * Return: EXIT_SUCCESS if every case passed
 */
int main(void)
{
	UNIT_RUN(dhcpv6_solicit);
	UNIT_RUN(dhcpv6_request_renew_rebind);
	UNIT_RUN(dhcpv6_confirm);
	UNIT_RUN(dhcpv6_release_inform);
	UNIT_RUN(dhcpv6_no_ia);
	UNIT_RUN(dhcpv6_malformed);
	UNIT_EXIT();
}
