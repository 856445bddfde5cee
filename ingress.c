// SPDX-License-Identifier: GPL-2.0-or-later
/* ingress.c - frames from the guest, whichever front end carried them
 *
 * Every frame is captured, parsed and validated by pkt_parse(), then tells
 * us the guest's MAC address and IP addresses, and goes to its protocol
 * handler. ARP, DHCP, DHCPv6, NDP and ICMP are answered one frame at a
 * time. TCP and UDP segments are collected over the whole batch first, so
 * that their handlers can take many segments of one flow at once.
 */

#include <net/ethernet.h>
#include <netinet/in.h>
#include <netinet/ip6.h>
#include <netinet/udp.h>
#include <stdbool.h>
#include <string.h>

#include "arp.h"
#include "ctx.h"
#include "dhcp.h"
#include "dhcpv6.h"
#include "frame.h"
#include "fwd.h"
#include "icmp.h"
#include "ingress.h"
#include "log.h"
#include "ndp.h"
#include "pcap.h"
#include "pkt.h"
#include "tcp.h"
#include "udp.h"
#include "util.h"

/* UDP header, and the server ports we answer on ourselves */
#define UDP_HLEN		8
#define DHCP_SERVER_PORT	67
#define DHCPV6_SERVER_PORT	547

/* TCP and UDP segments collected from one batch of frames */
#define INGRESS_L4_MAX		1024

static struct pkt ingress_l4[INGRESS_L4_MAX];
static size_t ingress_l4_count;

/**
 * ingress_l4_flush() - Hand the collected TCP and UDP segments on
 * @c:		Execution context
 */
static void ingress_l4_flush(struct ctx *c)
{
	size_t i = 0;

	/* Each handler takes a run of segments of one flow */
	while (i < ingress_l4_count) {
		const struct pkt *p = &ingress_l4[i];

		if (p->proto == IPPROTO_TCP)
			i += tcp_guest_handler(c, p, ingress_l4_count - i);
		else
			i += udp_guest_handler(c, p, ingress_l4_count - i);
	}

	ingress_l4_count = 0;
}

/**
 * ingress_l4_add() - Collect a TCP or UDP segment for ingress_l4_flush()
 * @c:		Execution context
 * @p:		Parsed frame
 */
static void ingress_l4_add(struct ctx *c, const struct pkt *p)
{
	if (ingress_l4_count == INGRESS_L4_MAX)
		ingress_l4_flush(c);
	ingress_l4[ingress_l4_count++] = *p;
}

/**
 * ingress_learn_mac() - Take the guest's MAC address from a frame's source
 * @c:		Execution context
 * @p:		Parsed frame
 */
static void ingress_learn_mac(struct ctx *c, const struct pkt *p)
{
	static const uint8_t zero[ETH_ALEN];
	const uint8_t *mac = p->src_mac;

	/* Group and all-zero addresses are not the guest's. One equal to ours
	 * is: libvirt 9.0 gives us the guest's own address with --mac-addr,
	 * and the guest's TCP drops what we send it in broadcast frames
	 */
	if ((mac[0] & 1) || !memcmp(mac, zero, ETH_ALEN) ||
	    !memcmp(mac, c->guest_mac, ETH_ALEN))
		return;

	memcpy(c->guest_mac, mac, ETH_ALEN);
	/* A guest changing its address at will must not flood the log */
	LOG_RATELIMITED(LOG_INFO,
			"Guest MAC address: %02x:%02x:%02x:%02x:%02x:%02x",
			mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
}

/**
 * ingress_udp_dport() - Destination port of a UDP datagram
 * @p:		Parsed frame, transport protocol UDP
 *
 * Return: destination port, 0 if the UDP header is truncated
 */
static uint16_t ingress_udp_dport(const struct pkt *p)
{
	if (p->l4_len < UDP_HLEN)
		return 0;
	return get_be16(p->l4 + 2);
}

/**
 * ingress_ip() - Dispatch an IPv4 or IPv6 packet by transport protocol
 * @c:		Execution context
 * @p:		Parsed frame
 */
static void ingress_ip(struct ctx *c, const struct pkt *p)
{
	switch (p->proto) {
	case IPPROTO_ICMP:
		if (p->v4)
			icmp_guest_handler(c, p);
		return;
	case IPPROTO_ICMPV6:
		if (!p->v4 && !ndp_handle(c, p))
			icmp_guest_handler(c, p);
		return;
	case IPPROTO_UDP:
		if (p->v4 && ingress_udp_dport(p) == DHCP_SERVER_PORT &&
		    dhcp_handle(c, p))
			return;
		if (!p->v4 && ingress_udp_dport(p) == DHCPV6_SERVER_PORT &&
		    dhcpv6_handle(c, p))
			return;
		ingress_l4_add(c, p);
		return;
	case IPPROTO_TCP:
		ingress_l4_add(c, p);
		return;
	default:
		debug_ratelimit("Dropping packet from guest: IP protocol %u",
				p->proto);
		return;
	}
}

/**
 * ingress_gso_size_ok() - Could an IP packet carry segments of gso_size?
 * @p:		Parsed TCP or UDP frame, its checksum field inside it
 * @o:		Offload the front end says the frame asks for
 *
 * A segment of gso_size bytes, behind this frame's IP and transport
 * headers, must fit the 16-bit length field of its family (IPv4: the
 * whole packet; IPv6: what follows the fixed header).
 *
 * Return: true if it could
 */
static bool ingress_gso_size_ok(const struct pkt *p,
				const struct ingress_offload *o)
{
	size_t hdrs = (size_t)(p->l4 - p->l3), l4_hdr = sizeof(struct udphdr);

	if (!o->gso_size)
		return false;
	if (!p->v4)
		hdrs -= sizeof(struct ip6_hdr);
	if (p->proto == IPPROTO_TCP)
		l4_hdr = (size_t)(p->l4[12] >> 4) * 4;

	return hdrs + l4_hdr + o->gso_size <= UINT16_MAX;
}

/**
 * ingress_offload_ok() - Does what a frame leaves to us fit the packet?
 * @p:		Parsed frame
 * @o:		Offload the front end says the frame asks for
 *
 * A partial checksum must be the TCP or UDP one, where those keep it, and
 * segmentation must be of the packet's family and protocol, over a
 * partial checksum, in segments of at least a byte that an IP packet
 * could carry.
 *
 * Return: true if it fits
 */
static bool ingress_offload_ok(const struct pkt *p,
			       const struct ingress_offload *o)
{
	size_t l4_off = (size_t)(p->l4 - p->frame);

	if (p->ethertype == ETHERTYPE_ARP)
		return !o->needs_csum && o->gso == INGRESS_GSO_NONE;

	if (o->needs_csum) {
		size_t at = p->proto == IPPROTO_TCP ? FRAME_TCP_CSUM_OFF :
			    p->proto == IPPROTO_UDP ? FRAME_UDP_CSUM_OFF : 0;

		if (!at || o->csum_start != l4_off || o->csum_offset != at ||
		    p->l4_len < at + 2)
			return false;
	}

	switch (o->gso) {
	case INGRESS_GSO_NONE:
		return true;
	case INGRESS_GSO_TCPV4:
	case INGRESS_GSO_TCPV6:
		return p->proto == IPPROTO_TCP && o->needs_csum &&
		       p->v4 == (o->gso == INGRESS_GSO_TCPV4) &&
		       ingress_gso_size_ok(p, o);
	case INGRESS_GSO_UDP:
		return p->proto == IPPROTO_UDP && o->needs_csum &&
		       ingress_gso_size_ok(p, o);
	default:
		return false;
	}
}

/**
 * ingress_frames() - Handle a batch of frames from the guest
 * @c:		Execution context
 * @frames:	Frames, one buffer each, inside the front end's memory
 * @off:	What each frame leaves to us, NULL if none does
 * @n:		Number of frames
 *
 * The frames must stay valid until this returns.
 *
 * Return: frames dropped because what they left to us didn't fit them
 */
unsigned ingress_frames(struct ctx *c, const struct iovec *frames,
			const struct ingress_offload *off, size_t n)
{
	unsigned bad = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		const void *f = frames[i].iov_base;
		size_t len = frames[i].iov_len;
		struct pkt p;
		int rc;

		/* Captured before validation: the capture shows what the
		 * guest really sent
		 */
		pcap_frame(f, len);

		rc = pkt_parse(f, len, &p);
		if (rc) {
			debug_ratelimit("Dropping %zu-byte frame from guest: "
					"%s", len, strerror(rc));
			continue;
		}
		if (off && !ingress_offload_ok(&p, &off[i])) {
			bad++;
			continue;
		}
		if (off) {
			p.needs_csum = off[i].needs_csum;
			p.gso_size = off[i].gso == INGRESS_GSO_UDP ?
				     off[i].gso_size : 0;
		}

		ingress_learn_mac(c, &p);

		if (p.ethertype == ETHERTYPE_ARP) {
			arp_handle(c, &p);
			continue;
		}

		fwd_observe_addr(c, &p.src);
		ingress_ip(c, &p);
	}

	ingress_l4_flush(c);
	return bad;
}
