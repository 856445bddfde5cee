// SPDX-License-Identifier: GPL-2.0-or-later
/* arp.c - ARP responder (RFC 826)
 *
 * The guest's link holds nobody but us, so every IPv4 address the guest
 * asks for, other than its own, is ours to answer for: the reply always
 * carries our MAC address. Announcements (gratuitous ARP) and requests for
 * the guest's own addresses get no answer, so the guest never sees a
 * conflict for an address it holds.
 */

#include <net/ethernet.h>
#include <net/if_arp.h>
#include <netinet/in.h>

#include "arp.h"
#include "ctx.h"
#include "frame.h"
#include "fwd.h"
#include "l2.h"
#include "log.h"
#include "pkt.h"
#include "util.h"

/* Ethernet and IPv4 ARP message: header, then two MAC, IPv4 pairs */
#define ARP_HLEN		8
#define ARP_LEN			(ARP_HLEN + 2 * (ETH_ALEN + 4))
#define ARP_SHA			ARP_HLEN
#define ARP_SPA			(ARP_SHA + ETH_ALEN)
#define ARP_THA			(ARP_SPA + 4)
#define ARP_TPA			(ARP_THA + ETH_ALEN)

/**
 * arp_should_answer() - Decide whether a request gets a reply
 * @c:		Execution context
 * @spa:	Sender protocol address
 * @tpa:	Target protocol address
 *
 * Return: true if we reply
 */
static bool arp_should_answer(const struct ctx *c, const union inany_addr *spa,
			      const union inany_addr *tpa)
{
	/* Announcement: the guest tells the link about its own address */
	if (inany_equals(spa, tpa))
		return false;
	if (inany_is_unspecified(tpa) || inany_is_multicast(tpa) ||
	    inany_is_loopback(tpa))
		return false;
	if (fwd_addr_is_guest(c, tpa))
		return false;

	return true;
}

/**
 * arp_handle() - Answer an ARP request from the guest
 * @c:		Execution context
 * @p:		Parsed frame, EtherType ARP
 */
void arp_handle(struct ctx *c, const struct pkt *p)
{
	uint8_t reply[FRAME_MIN_LEN] = { 0 };
	union inany_addr spa, tpa;
	const uint8_t *a = p->l3;
	struct in_addr v4;
	uint8_t *r;

	if (p->l3_len < ARP_LEN || get_be16(a) != ARPHRD_ETHER ||
	    get_be16(a + 2) != ETHERTYPE_IP || a[4] != ETH_ALEN || a[5] != 4) {
		debug_ratelimit("ARP: not an Ethernet/IPv4 message, dropped");
		return;
	}
	if (get_be16(a + 6) != ARPOP_REQUEST || !c->ip4.enabled)
		return;

	memcpy(&v4, a + ARP_SPA, sizeof(v4));
	inany_from_v4(&spa, v4);
	memcpy(&v4, a + ARP_TPA, sizeof(v4));
	inany_from_v4(&tpa, v4);

	if (!arp_should_answer(c, &spa, &tpa))
		return;

	frame_eth(c, reply, a + ARP_SHA, ETHERTYPE_ARP);
	r = reply + FRAME_ETH_HLEN;
	memcpy(r, a, ARP_HLEN);
	put_be16(r + 6, ARPOP_REPLY);
	memcpy(r + ARP_SHA, c->our_mac, ETH_ALEN);
	memcpy(r + ARP_SPA, a + ARP_TPA, 4);
	memcpy(r + ARP_THA, a + ARP_SHA, ETH_ALEN);
	memcpy(r + ARP_TPA, a + ARP_SPA, 4);

	l2_send_single(c, reply, sizeof(reply));
}
