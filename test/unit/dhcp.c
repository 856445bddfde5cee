// SPDX-License-Identifier: GPL-2.0-or-later
/* test/unit/dhcp.c - DHCP server: replies to each message type, the options
 * they carry, and malformed requests that must get nothing
 */

#include <netinet/in.h>

#include "checksum.h"
#include "dhcp.h"
#include "fwd.h"
#include "l2_capture.h"

static struct ctx c;
static uint8_t frame[2048];

#define XID		"\x12\x34\x56\x78"
#define MSG_LEN		240	/* fixed header and magic cookie */

/**
 * setup() - Context: guest 192.0.2.2/24, gateway .1, DNS, search list
 */
static void setup(void)
{
	union inany_addr a = test_addr("192.0.2.2");

	test_ctx_init(&c);
	fwd_set_addr(&c, &a, CONF_ADDR_HOST, 24);
	c.ip4.gw = test_addr("192.0.2.1");
	c.dns[0] = test_addr("198.51.100.53");
	c.dns[1] = test_addr("2001:db8:5::53");
	c.dns[2] = test_addr("198.51.100.54");
	c.dns_count = 3;
	strcpy(c.search[0], "example.test");
	strcpy(c.search[1], "sub.example.test.");
	c.search_count = 2;
	c.mtu = 1400;
}

/**
 * dhcp_send() - Hand the server a DHCP message from the guest
 * @flags:	BOOTP flags
 * @ciaddr:	Client address, text
 * @opts:	Options, end option included if wanted
 * @opts_len:	Length of @opts
 * @msg_len:	Length of the DHCP message to claim, 0 for the real one
 *
 * Return: what dhcp_handle() returned
 */
static bool dhcp_send(uint16_t flags, const char *ciaddr, const void *opts,
		      size_t opts_len, size_t msg_len)
{
	union inany_addr src = test_addr("0.0.0.0");
	union inany_addr dst = test_addr("255.255.255.255");
	union inany_addr ci = test_addr(ciaddr);
	uint8_t *m = frame + frame_udp_off(true);
	size_t len;
	struct pkt p;

	memset(frame, 0, sizeof(frame));
	m[0] = 1;
	m[1] = 1;
	m[2] = 6;
	memcpy(m + 4, XID, 4);
	put_be16(m + 10, flags);
	memcpy(m + 12, inany_v4(&ci), 4);
	memcpy(m + 28, guest_mac, 6);
	put_be32(m + 236, 0x63825363);
	memcpy(m + MSG_LEN, opts, opts_len);

	len = frame_udp(&c, frame, NULL, true, &src, 68, &dst, 67,
			msg_len ? msg_len : MSG_LEN + opts_len);
	guest_frame_fix_macs(frame);
	if (pkt_parse(frame, len, &p))
		abort();

	return dhcp_handle(&c, &p);
}

/**
 * reply_opt() - Find an option in a captured reply
 * @i:		Captured frame
 * @code:	Option code
 * @len:	Result: length of the value
 *
 * Return: the value, NULL if absent
 */
static const uint8_t *reply_opt(size_t i, uint8_t code, size_t *len)
{
	const uint8_t *m = capture_buf[i] + frame_udp_off(true);
	size_t end = get_be16(capture_buf[i] + frame_l4_off(true) + 4) - 8;
	size_t o = MSG_LEN;

	while (o + 2 <= end && m[o] != 255) {
		if (m[o] == 0) {
			o++;
			continue;
		}
		if (m[o] == code) {
			*len = m[o + 1];
			return m + o + 2;
		}
		o += 2 + (size_t)m[o + 1];
	}

	return NULL;
}

/**
 * opt_is() - Does a reply carry an option with exactly this value?
 * @i:		Captured frame
 * @code:	Option code
 * @val:	Expected value
 * @len:	Length of @val
 *
 * Return: true if it does
 */
static bool opt_is(size_t i, uint8_t code, const void *val, size_t len)
{
	size_t l;
	const uint8_t *v = reply_opt(i, code, &l);

	return v && l == len && !memcmp(v, val, len);
}

/**
 * reply_ok() - Check the headers of a captured reply
 * @i:		Captured frame
 * @dst:	Expected IPv4 destination, text
 * @type:	Expected DHCP message type
 *
 * Return: true if they are as expected, with valid checksums
 */
static bool reply_ok(size_t i, const char *dst, uint8_t type)
{
	union inany_addr d = test_addr(dst), gw = test_addr("192.0.2.1");
	const uint8_t *m;
	struct pkt p;

	if (!capture_parse(i, &p) || p.proto != IPPROTO_UDP)
		return false;
	m = p.l4 + 8;
	return !memcmp(p.dst_mac, guest_mac, 6) &&
	       !memcmp(p.src_mac, our_mac, 6) &&
	       inany_equals(&p.src, &gw) && inany_equals(&p.dst, &d) &&
	       get_be16(p.l4) == 67 && get_be16(p.l4 + 2) == 68 &&
	       csum_l4(true, &p.src, &p.dst, IPPROTO_UDP, p.l4,
		       p.l4_len) == 0 &&
	       m[0] == 2 && !memcmp(m + 4, XID, 4) &&
	       !memcmp(m + 28, guest_mac, 6) &&
	       get_be32(m + 236) == 0x63825363 &&
	       opt_is(i, 53, &type, 1) && opt_is(i, 54, "\xc0\x00\x02\x01", 4);
}

/**
 * yiaddr_is() - Check the address a captured reply gives
 * @i:		Captured frame
 * @addr:	Expected address, four bytes
 *
 * Return: true if it matches
 */
static bool yiaddr_is(size_t i, const char *addr)
{
	return !memcmp(capture_buf[i] + frame_udp_off(true) + 16, addr, 4);
}

static const uint8_t discover[] = { 53, 1, 1, 255 };

/**
 * dhcp_discover_offer() - DISCOVER gets an OFFER with every option
 */
static void dhcp_discover_offer(void)
{
	/* example.test, then sub + pointer to offset 0 (RFC 1035, 4.1.4) */
	static const uint8_t search[] = "\x07" "example" "\x04" "test" "\x00"
					"\x03" "sub" "\xc0\x00";
	static const uint8_t fqdn[] = "\x04\xff\xff" "\x02" "vm" "\x07"
				      "example" "\x04" "test" "\x00";

	setup();
	strcpy(c.hostname, "vm1");
	strcpy(c.fqdn, "vm.example.test");
	UNIT_CHECK(dhcp_send(0x8000, "0.0.0.0", discover, sizeof(discover),
			     0));
	UNIT_CHECK(capture_count == 1);
	UNIT_CHECK(reply_ok(0, "255.255.255.255", 2));
	UNIT_CHECK(yiaddr_is(0, "\xc0\x00\x02\x02"));
	UNIT_CHECK(opt_is(0, 51, "\xff\xff\xff\xff", 4));
	UNIT_CHECK(opt_is(0, 1, "\xff\xff\xff\x00", 4));
	UNIT_CHECK(opt_is(0, 3, "\xc0\x00\x02\x01", 4));
	UNIT_CHECK(opt_is(0, 6, "\xc6\x33\x64\x35\xc6\x33\x64\x36", 8));
	UNIT_CHECK(opt_is(0, 15, "example.test", 12));
	UNIT_CHECK(opt_is(0, 119, search, sizeof(search) - 1));
	UNIT_CHECK(opt_is(0, 26, "\x05\x78", 2));
	UNIT_CHECK(opt_is(0, 12, "vm1", 3));
	UNIT_CHECK(opt_is(0, 81, fqdn, sizeof(fqdn) - 1));
	/* Gateway on the subnet: no classless routes */
	UNIT_CHECK(!reply_opt(0, 121, &(size_t){0}));
	/* Old BOOTP clients want at least 300 bytes */
	UNIT_CHECK(get_be16(capture_buf[0] + frame_l4_off(true) + 4) >=
		   8 + 300);
}

/**
 * dhcp_unicast_reply() - Without the broadcast flag, replies go to the
 *			  assigned address
 */
static void dhcp_unicast_reply(void)
{
	setup();
	UNIT_CHECK(dhcp_send(0, "0.0.0.0", discover, sizeof(discover), 0));
	UNIT_CHECK(reply_ok(0, "192.0.2.2", 2));
}

/**
 * dhcp_request_ack_nak() - REQUEST for the guest's address gets an ACK,
 *			    for another one a NAK, for another server nothing
 */
static void dhcp_request_ack_nak(void)
{
	static const uint8_t req_ok[] = { 53, 1, 3, 50, 4, 192, 0, 2, 2,
					  54, 4, 192, 0, 2, 1, 255 };
	static const uint8_t req_bad[] = { 53, 1, 3, 50, 4, 192, 0, 2, 99,
					   255 };
	static const uint8_t req_other[] = { 53, 1, 3, 50, 4, 192, 0, 2, 2,
					     54, 4, 192, 0, 2, 254, 255 };
	static const uint8_t renew[] = { 53, 1, 3, 255 };

	setup();
	UNIT_CHECK(dhcp_send(0x8000, "0.0.0.0", req_ok, sizeof(req_ok), 0));
	UNIT_CHECK(capture_count == 1 && reply_ok(0, "255.255.255.255", 5));
	UNIT_CHECK(yiaddr_is(0, "\xc0\x00\x02\x02"));
	UNIT_CHECK(opt_is(0, 51, "\xff\xff\xff\xff", 4));

	UNIT_CHECK(dhcp_send(0, "0.0.0.0", req_bad, sizeof(req_bad), 0));
	UNIT_CHECK(capture_count == 2 && reply_ok(1, "255.255.255.255", 6));
	UNIT_CHECK(yiaddr_is(1, "\0\0\0\0"));
	UNIT_CHECK(!reply_opt(1, 51, &(size_t){0}));
	UNIT_CHECK(!reply_opt(1, 3, &(size_t){0}));

	UNIT_CHECK(dhcp_send(0, "0.0.0.0", req_other, sizeof(req_other), 0));
	UNIT_CHECK(capture_count == 2);

	/* Renewing: the address is in ciaddr, the reply goes there */
	UNIT_CHECK(dhcp_send(0, "192.0.2.2", renew, sizeof(renew), 0));
	UNIT_CHECK(capture_count == 3 && reply_ok(2, "192.0.2.2", 5));
	UNIT_CHECK(dhcp_send(0, "192.0.2.3", renew, sizeof(renew), 0));
	UNIT_CHECK(capture_count == 4 && reply_ok(3, "255.255.255.255", 6));
}

/**
 * dhcp_inform() - INFORM gets an ACK with configuration but no lease
 */
static void dhcp_inform(void)
{
	static const uint8_t inform[] = { 53, 1, 8, 255 };

	setup();
	UNIT_CHECK(dhcp_send(0, "192.0.2.2", inform, sizeof(inform), 0));
	UNIT_CHECK(capture_count == 1 && reply_ok(0, "192.0.2.2", 5));
	UNIT_CHECK(yiaddr_is(0, "\0\0\0\0"));
	UNIT_CHECK(!reply_opt(0, 51, &(size_t){0}));
	UNIT_CHECK(opt_is(0, 3, "\xc0\x00\x02\x01", 4));
}

/**
 * dhcp_rapid_commit() - DISCOVER with Rapid Commit gets an ACK at once
 */
static void dhcp_rapid_commit(void)
{
	static const uint8_t rc[] = { 53, 1, 1, 80, 0, 255 };

	setup();
	UNIT_CHECK(dhcp_send(0x8000, "0.0.0.0", rc, sizeof(rc), 0));
	UNIT_CHECK(capture_count == 1 && reply_ok(0, "255.255.255.255", 5));
	UNIT_CHECK(opt_is(0, 80, "", 0));
}

/**
 * dhcp_classless_routes() - A gateway off the subnet comes with a host
 *			     route to it and a default route (RFC 3442)
 */
static void dhcp_classless_routes(void)
{
	static const uint8_t routes[] = { 32, 198, 51, 100, 1, 0, 0, 0, 0,
					  0, 198, 51, 100, 1 };

	setup();
	c.ip4.gw = test_addr("198.51.100.1");
	UNIT_CHECK(dhcp_send(0x8000, "0.0.0.0", discover, sizeof(discover),
			     0));
	UNIT_CHECK(capture_count == 1);
	UNIT_CHECK(opt_is(0, 121, routes, sizeof(routes)));
	UNIT_CHECK(opt_is(0, 3, "\xc6\x33\x64\x01", 4));
}

/**
 * dhcp_no_dns_search() - -D none and -S none leave their options out
 */
static void dhcp_no_dns_search(void)
{
	setup();
	c.no_dns = true;
	c.no_search = true;
	c.mtu = 0;
	UNIT_CHECK(dhcp_send(0x8000, "0.0.0.0", discover, sizeof(discover),
			     0));
	UNIT_CHECK(capture_count == 1 && reply_ok(0, "255.255.255.255", 2));
	UNIT_CHECK(!reply_opt(0, 6, &(size_t){0}));
	UNIT_CHECK(!reply_opt(0, 15, &(size_t){0}));
	UNIT_CHECK(!reply_opt(0, 119, &(size_t){0}));
	UNIT_CHECK(!reply_opt(0, 26, &(size_t){0}));
}

/**
 * dhcp_size_limit() - Without option 57, replies fit 576-byte datagrams;
 *		       with it, long search lists come whole
 */
static void dhcp_size_limit(void)
{
	static const uint8_t big[] = { 53, 1, 1, 57, 2, 0x05, 0xdc, 255 };
	size_t len, i;

	setup();
	for (i = 0; i < MAX_SEARCH; i++) {
		memset(c.search[i], 'a' + (int)i, 60);
		strcpy(c.search[i] + 60, ".example.test");
	}
	c.search_count = MAX_SEARCH;

	UNIT_CHECK(dhcp_send(0x8000, "0.0.0.0", discover, sizeof(discover),
			     0));
	UNIT_CHECK(capture_count == 1 && reply_ok(0, "255.255.255.255", 2));
	UNIT_CHECK(get_be16(capture_buf[0] + frame_l4_off(true) + 4) - 8 <=
		   548);
	UNIT_CHECK(opt_is(0, 3, "\xc0\x00\x02\x01", 4));
	UNIT_CHECK(!reply_opt(0, 119, &len));

	UNIT_CHECK(dhcp_send(0x8000, "0.0.0.0", big, sizeof(big), 0));
	UNIT_CHECK(capture_count == 2 && reply_ok(1, "255.255.255.255", 2));
	/* 6 x 61-byte first label, "example.test" once, then pointers: the
	 * list spans two options of code 119 (RFC 3396)
	 */
	UNIT_CHECK(reply_opt(1, 119, &len) && len == 255);
}

/**
 * dhcp_malformed() - Malformed requests are dropped, and consumed
 */
static void dhcp_malformed(void)
{
	static const uint8_t overlong[] = { 53, 1, 1, 12, 200, 'x', 255 };
	static const uint8_t no_end[] = { 53, 1, 1, 12, 1, 'x' };
	static const uint8_t repeated[] = { 53, 1, 1, 53, 1, 1, 255 };
	static const uint8_t overload[] = { 53, 1, 1, 52, 1, 3, 255 };
	static const uint8_t bad_type_len[] = { 53, 2, 1, 1, 255 };
	static const uint8_t truncated_hdr[] = { 53, 1, 1, 12 };
	static const uint8_t no_type[] = { 255 };

	setup();
	UNIT_CHECK(dhcp_send(0, "0.0.0.0", overlong, sizeof(overlong), 0));
	UNIT_CHECK(dhcp_send(0, "0.0.0.0", no_end, sizeof(no_end), 0));
	UNIT_CHECK(dhcp_send(0, "0.0.0.0", repeated, sizeof(repeated), 0));
	UNIT_CHECK(dhcp_send(0, "0.0.0.0", overload, sizeof(overload), 0));
	UNIT_CHECK(dhcp_send(0, "0.0.0.0", bad_type_len, sizeof(bad_type_len),
			     0));
	UNIT_CHECK(dhcp_send(0, "0.0.0.0", truncated_hdr,
			     sizeof(truncated_hdr), 0));
	UNIT_CHECK(dhcp_send(0, "0.0.0.0", no_type, sizeof(no_type), 0));
	/* Shorter than the fixed header, or no options at all */
	UNIT_CHECK(dhcp_send(0, "0.0.0.0", discover, sizeof(discover), 200));
	UNIT_CHECK(dhcp_send(0, "0.0.0.0", discover, sizeof(discover),
			     MSG_LEN));
	UNIT_CHECK(capture_count == 0);

	/* Still answers a good one afterwards */
	UNIT_CHECK(dhcp_send(0, "0.0.0.0", discover, sizeof(discover), 0));
	UNIT_CHECK(capture_count == 1);
}

/**
 * dhcp_not_ours() - Other UDP traffic, and DHCP while disabled, is left
 *		     to the caller
 */
static void dhcp_not_ours(void)
{
	union inany_addr src = test_addr("192.0.2.2");
	union inany_addr dst = test_addr("198.51.100.53");
	struct pkt p;
	size_t len;

	setup();
	memset(frame, 0, sizeof(frame));
	len = frame_udp(&c, frame, NULL, true, &src, 40000, &dst, 53, 12);
	guest_frame_fix_macs(frame);
	UNIT_CHECK(!pkt_parse(frame, len, &p));
	UNIT_CHECK(!dhcp_handle(&c, &p));

	c.no_dhcp = true;
	UNIT_CHECK(!dhcp_send(0, "0.0.0.0", discover, sizeof(discover), 0));
	c.no_dhcp = false;
	c.ip4.enabled = false;
	UNIT_CHECK(!dhcp_send(0, "0.0.0.0", discover, sizeof(discover), 0));
	c.ip4.enabled = true;
	c.ip4.gw = test_addr("0.0.0.0");
	UNIT_CHECK(!dhcp_send(0, "0.0.0.0", discover, sizeof(discover), 0));
	UNIT_CHECK(capture_count == 0);
}

/**
 * main() - Run the cases
 *
 * Return: EXIT_SUCCESS if every case passed
 */
int main(void)
{
	UNIT_RUN(dhcp_discover_offer);
	UNIT_RUN(dhcp_unicast_reply);
	UNIT_RUN(dhcp_request_ack_nak);
	UNIT_RUN(dhcp_inform);
	UNIT_RUN(dhcp_rapid_commit);
	UNIT_RUN(dhcp_classless_routes);
	UNIT_RUN(dhcp_no_dns_search);
	UNIT_RUN(dhcp_size_limit);
	UNIT_RUN(dhcp_malformed);
	UNIT_RUN(dhcp_not_ours);
	UNIT_EXIT();
}
