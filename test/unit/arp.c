// SPDX-License-Identifier: GPL-2.0-or-later
/* test/unit/arp.c - ARP responder: reply content, and the requests it must
 * leave alone
 */

#include <net/if_arp.h>

#include "arp.h"
#include "fwd.h"
#include "l2_capture.h"

static struct ctx c;
static uint8_t frame[FRAME_MIN_LEN];

/**
 * arp_frame() - Build an ARP message from the guest and parse it
 * @op:		ARP operation
 * @spa:	Sender IPv4 address, text
 * @tpa:	Target IPv4 address, text
 * @p:		Parsed result
 */
static void arp_frame(uint16_t op, const char *spa, const char *tpa,
		      struct pkt *p)
{
	union inany_addr s = test_addr(spa), t = test_addr(tpa);
	uint8_t *a = frame + ETH_HLEN;

	memset(frame, 0, sizeof(frame));
	memset(frame, 0xff, ETH_ALEN);
	memcpy(frame + ETH_ALEN, guest_mac, ETH_ALEN);
	put_be16(frame + 12, ETHERTYPE_ARP);
	put_be16(a, ARPHRD_ETHER);
	put_be16(a + 2, ETHERTYPE_IP);
	a[4] = ETH_ALEN;
	a[5] = 4;
	put_be16(a + 6, op);
	memcpy(a + 8, guest_mac, ETH_ALEN);
	memcpy(a + 14, inany_v4(&s), 4);
	memcpy(a + 24, inany_v4(&t), 4);
	if (pkt_parse(frame, sizeof(frame), p))
		abort();
}

/**
 * setup() - Context with guest address 192.0.2.2/24 and gateway .1
 */
static void setup(void)
{
	union inany_addr a = test_addr("192.0.2.2");

	test_ctx_init(&c);
	fwd_set_addr(&c, &a, CONF_ADDR_HOST, 24);
	c.ip4.gw = test_addr("192.0.2.1");
}

/**
 * arp_reply_content() - A request for the gateway gets our MAC back
 */
static void arp_reply_content(void)
{
	const uint8_t *r;
	struct pkt p;

	setup();
	arp_frame(ARPOP_REQUEST, "192.0.2.2", "192.0.2.1", &p);
	arp_handle(&c, &p);

	UNIT_CHECK(capture_count == 1);
	UNIT_CHECK(capture_len[0] == FRAME_MIN_LEN);
	r = capture_buf[0];
	UNIT_CHECK(!memcmp(r, guest_mac, ETH_ALEN));
	UNIT_CHECK(!memcmp(r + ETH_ALEN, our_mac, ETH_ALEN));
	UNIT_CHECK(get_be16(r + 12) == ETHERTYPE_ARP);
	r += ETH_HLEN;
	UNIT_CHECK(get_be16(r) == ARPHRD_ETHER);
	UNIT_CHECK(get_be16(r + 2) == ETHERTYPE_IP);
	UNIT_CHECK(r[4] == 6 && r[5] == 4);
	UNIT_CHECK(get_be16(r + 6) == ARPOP_REPLY);
	UNIT_CHECK(!memcmp(r + 8, our_mac, ETH_ALEN));
	UNIT_CHECK(!memcmp(r + 14, "\xc0\x00\x02\x01", 4));
	UNIT_CHECK(!memcmp(r + 18, guest_mac, ETH_ALEN));
	UNIT_CHECK(!memcmp(r + 24, "\xc0\x00\x02\x02", 4));
}

/**
 * arp_any_address() - Addresses beyond the subnet, and probes from
 *		       0.0.0.0, are answered too: the whole link is ours
 */
static void arp_any_address(void)
{
	struct pkt p;

	setup();
	arp_frame(ARPOP_REQUEST, "192.0.2.2", "198.51.100.7", &p);
	arp_handle(&c, &p);
	UNIT_CHECK(capture_count == 1);
	UNIT_CHECK(!memcmp(capture_buf[0] + ETH_HLEN + 14,
			   "\xc6\x33\x64\x07", 4));

	arp_frame(ARPOP_REQUEST, "0.0.0.0", "192.0.2.77", &p);
	arp_handle(&c, &p);
	UNIT_CHECK(capture_count == 2);
}

/**
 * arp_ignored() - Announcements, replies, requests for the guest's own
 *		   address and malformed messages get nothing
 */
static void arp_ignored(void)
{
	struct pkt p;

	setup();
	/* Gratuitous ARP */
	arp_frame(ARPOP_REQUEST, "192.0.2.2", "192.0.2.2", &p);
	arp_handle(&c, &p);
	/* Probe for the guest's own address: no conflict may be seen */
	arp_frame(ARPOP_REQUEST, "0.0.0.0", "192.0.2.2", &p);
	arp_handle(&c, &p);
	/* A reply, not a request */
	arp_frame(ARPOP_REPLY, "192.0.2.2", "192.0.2.1", &p);
	arp_handle(&c, &p);
	/* Not an address anyone holds */
	arp_frame(ARPOP_REQUEST, "192.0.2.2", "255.255.255.255", &p);
	arp_handle(&c, &p);
	/* Wrong protocol address length */
	arp_frame(ARPOP_REQUEST, "192.0.2.2", "192.0.2.1", &p);
	frame[ETH_HLEN + 5] = 16;
	arp_handle(&c, &p);
	/* Truncated: shorter than an Ethernet/IPv4 ARP message */
	arp_frame(ARPOP_REQUEST, "192.0.2.2", "192.0.2.1", &p);
	p.l3_len = 27;
	arp_handle(&c, &p);
	/* IPv4 off (-6) */
	arp_frame(ARPOP_REQUEST, "192.0.2.2", "192.0.2.1", &p);
	c.ip4.enabled = false;
	arp_handle(&c, &p);

	UNIT_CHECK(capture_count == 0);
}

/**
 * main() - Run the cases
 *
 * Return: EXIT_SUCCESS if every case passed
 */
int main(void)
{
	UNIT_RUN(arp_reply_content);
	UNIT_RUN(arp_any_address);
	UNIT_RUN(arp_ignored);
	UNIT_EXIT();
}
