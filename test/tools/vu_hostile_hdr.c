// SPDX-License-Identifier: GPL-2.0-or-later
/* test/tools/vu_hostile_hdr.c - bad virtio-net headers from the guest, one
 * frame each: lengths and offsets past the frame's end, GSO sizes and
 * types that don't fit the packet, flags nobody defined
 *
 * Each case sends a frame the back-end answers when its header is proper:
 * a TCP segment without a connection (answered with a RST) or a UDP
 * datagram to a closed port of the host (answered with a port
 * unreachable), both to the gateway's address, which the back-end maps to
 * the host. With the bad header, no answer may come; then the same frame
 * goes again from another port, with the header a driver would write for
 * the features negotiated (a segment to cut up, if it took HOST_TSO4/6 or
 * HOST_USO), and its answer must come: the back-end dropped the bad frame
 * only, and serves on. The back-end counts what it drops; the test group
 * reads that count in its log.
 */

#include <endian.h>
#include <stdio.h>
#include <string.h>

#include "tool.h"
#include "vu_hostile.h"

/* Ports: the closed one on the host's side, ours from this base up */
#define HDR_DPORT	9
#define HDR_SPORT	41000
/* How long a dropped frame stays unanswered, at least */
#define HDR_QUIET_MS	500
/* Payload of the frames, and the segment size of a proper header */
#define HDR_PAYLOAD	3000
#define HDR_GSO_SIZE	1000

#define IP_TCP		6
#define IP_UDP		17
#define IP_ICMP		1
#define IP_ICMPV6	58

/* The frame a case sends */
enum hdr_probe { P_TCP4, P_TCP6, P_UDP4, P_UDP6 };

/* What a case makes wrong in the proper header */
enum hdr_bad {
	HB_HDR_LEN,		/* hdr_len one past the frame's end */
	HB_CSUM_START,		/* csum_start at the frame's end */
	HB_CSUM_END,		/* checksum field ending one past it */
	HB_CSUM_SHORT,		/* no payload, TCP's checksum offset on UDP */
	HB_GSO_ZERO,		/* gso_size 0 */
	HB_GSO_HUGE,		/* gso_size 65535: no segment is that long */
	HB_GSO_TYPE,		/* this gso_type, sizes as if it fitted */
	HB_FLAGS,		/* these flags too */
};

/* A case's parameter: the frame, the fault, and a value for the fault */
#define HA(probe, bad, value)						\
	((uint64_t)(value) << 16 | (uint64_t)(bad) << 8 | (uint64_t)(probe))
#define HA_PROBE(arg)	((enum hdr_probe)((arg) & 0xff))
#define HA_BAD(arg)	((enum hdr_bad)(((arg) >> 8) & 0xff))
#define HA_VALUE(arg)	((unsigned)((arg) >> 16))

/* Our MAC address and addresses, as the ARP request of vu_hostile.c; the
 * gateway's
 */
static const uint8_t hdr_mac[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x99 };
static const uint8_t hdr_src4[4] = { 192, 0, 2, 2 };
static const uint8_t hdr_dst4[4] = { 192, 0, 2, 1 };
static const uint8_t hdr_src6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 1,
				      [15] = 2 };
static const uint8_t hdr_dst6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 1,
				      [15] = 1 };

/**
 * struct hdr_frame - A frame to send, and where its parts are
 * @f:		Ethernet frame
 * @len:	Its length
 * @l4:		Offset of the transport header
 * @l4_len:	Length of the transport header
 * @payload:	Bytes after it
 * @tcp:	TCP, not UDP
 * @v6:		IPv6, not IPv4
 */
struct hdr_frame {
	uint8_t f[H_BUF - VU_NET_HDR_LEN];
	size_t len;
	size_t l4;
	size_t l4_len;
	size_t payload;
	bool tcp;
	bool v6;
};

/**
 * struct hdr_wait - Which answers a case waits for
 * @v6:		IPv6, not IPv4
 * @tcp:	TCP (a RST), not UDP (a port unreachable)
 * @port:	Port of ours the answer is for
 * @bad_port:	Port of the frame with the bad header
 * @bad_seen:	An answer to that one came
 */
struct hdr_wait {
	bool v6;
	bool tcp;
	uint16_t port;
	uint16_t bad_port;
	bool bad_seen;
};

/**
 * hdr_frame_build() - A TCP segment (ACK and PSH, no connection) or a UDP
 *		       datagram from us to the gateway, checksums complete
 * @fr:		Frame to fill
 * @mac:	Destination MAC address, the back-end's
 * @probe:	Which frame
 * @payload:	Bytes of payload
 * @sport:	Source port
 */
static void hdr_frame_build(struct hdr_frame *fr, const uint8_t *mac,
			    enum hdr_probe probe, size_t payload,
			    uint16_t sport)
{
	size_t l3 = 14, i, l4_total;
	uint8_t *f = fr->f, *t;
	uint32_t sum;

	memset(fr, 0, sizeof(*fr));
	fr->tcp = probe == P_TCP4 || probe == P_TCP6;
	fr->v6 = probe == P_TCP6 || probe == P_UDP6;
	fr->l4 = l3 + (fr->v6 ? 40 : 20);
	fr->l4_len = fr->tcp ? 20 : 8;
	fr->payload = payload;
	fr->len = fr->l4 + fr->l4_len + payload;
	l4_total = fr->l4_len + payload;

	memcpy(f, mac, 6);
	memcpy(f + 6, hdr_mac, 6);
	if (fr->v6) {
		put16(f + 12, 0x86dd);
		f[l3] = 0x60;
		put16(f + l3 + 4, (unsigned)l4_total);
		f[l3 + 6] = fr->tcp ? IP_TCP : IP_UDP;
		f[l3 + 7] = 64;
		memcpy(f + l3 + 8, hdr_src6, 16);
		memcpy(f + l3 + 24, hdr_dst6, 16);
		sum = csum_add(f + l3 + 8, 32, 0);
	} else {
		put16(f + 12, 0x0800);
		f[l3] = 0x45;
		put16(f + l3 + 2, (unsigned)(20 + l4_total));
		put16(f + l3 + 4, sport);		/* any identification */
		f[l3 + 6] = 0x40;			/* don't fragment */
		f[l3 + 8] = 64;
		f[l3 + 9] = fr->tcp ? IP_TCP : IP_UDP;
		memcpy(f + l3 + 12, hdr_src4, 4);
		memcpy(f + l3 + 16, hdr_dst4, 4);
		put16(f + l3 + 10, csum_done(csum_add(f + l3, 20, 0)));
		sum = csum_add(f + l3 + 12, 8, 0);
	}
	sum += (uint32_t)(fr->tcp ? IP_TCP : IP_UDP) + (uint32_t)l4_total;

	t = f + fr->l4;
	put16(t, sport);
	put16(t + 2, HDR_DPORT);
	if (fr->tcp) {
		put16(t + 4, 0x1000);		/* sequence 0x10000000 */
		put16(t + 8, 0x2000);		/* ACK 0x20000000 */
		t[12] = 5 << 4;
		t[13] = 0x18;				/* PSH, ACK */
		put16(t + 14, 65535);
	} else {
		put16(t + 4, (unsigned)l4_total);
	}
	for (i = 0; i < payload; i++)
		t[fr->l4_len + i] = (uint8_t)(i * 7 + 1);
	sum = csum_done(csum_add(t, l4_total, sum));
	put16(t + (fr->tcp ? 16 : 6), sum ? sum : 0xffff);
}

/**
 * hdr_proper() - The header a driver writes for a frame, with the
 *		  features negotiated
 * @vh:		Header to fill
 * @fr:		Frame
 * @features:	Features negotiated
 *
 * A partial checksum with CSUM; a segment to cut up, if the payload is
 * longer than one, with HOST_TSO4/6 or HOST_USO; nothing otherwise.
 */
static void hdr_proper(struct virtio_net_hdr *vh, const struct hdr_frame *fr,
		       uint64_t features)
{
	int gso_bit = fr->tcp ? (fr->v6 ? VU_F_NET_HOST_TSO6 :
					  VU_F_NET_HOST_TSO4) :
				VU_F_NET_HOST_USO;

	memset(vh, 0, sizeof(*vh));
	if (!(features & VU_BIT(VU_F_NET_CSUM)))
		return;
	vh->flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	vh->csum_start = htole16((uint16_t)fr->l4);
	vh->csum_offset = htole16(fr->tcp ? 16 : 6);
	if (!(features & VU_BIT(gso_bit)) || fr->payload <= HDR_GSO_SIZE)
		return;
	vh->gso_type = fr->tcp ? (fr->v6 ? VIRTIO_NET_HDR_GSO_TCPV6 :
					   VIRTIO_NET_HDR_GSO_TCPV4) :
				 5 /* VIRTIO_NET_HDR_GSO_UDP_L4 */;
	vh->gso_size = htole16(HDR_GSO_SIZE);
	vh->hdr_len = htole16((uint16_t)(fr->l4 + fr->l4_len));
}

/**
 * hdr_spoil() - Make a proper header bad, as a case says
 * @vh:		Header, proper for @fr
 * @fr:		Frame
 * @bad:	What to make wrong
 * @value:	gso_type for HB_GSO_TYPE, flags for HB_FLAGS
 */
static void hdr_spoil(struct virtio_net_hdr *vh, const struct hdr_frame *fr,
		      enum hdr_bad bad, unsigned value)
{
	uint16_t start = (uint16_t)fr->l4;

	switch (bad) {
	case HB_HDR_LEN:
		vh->hdr_len = htole16((uint16_t)(fr->len + 1));
		break;
	case HB_CSUM_START:
		vh->flags |= VIRTIO_NET_HDR_F_NEEDS_CSUM;
		vh->csum_start = htole16((uint16_t)fr->len);
		vh->csum_offset = htole16(fr->tcp ? 16 : 6);
		break;
	case HB_CSUM_END:
		vh->flags |= VIRTIO_NET_HDR_F_NEEDS_CSUM;
		vh->csum_start = htole16(start);
		vh->csum_offset = htole16((uint16_t)(fr->len - start - 1));
		break;
	case HB_CSUM_SHORT:
		vh->flags |= VIRTIO_NET_HDR_F_NEEDS_CSUM;
		vh->csum_start = htole16(start);
		vh->csum_offset = htole16(16);
		break;
	case HB_GSO_ZERO:
	case HB_GSO_HUGE:
		vh->flags |= VIRTIO_NET_HDR_F_NEEDS_CSUM;
		vh->csum_start = htole16(start);
		vh->csum_offset = htole16(fr->tcp ? 16 : 6);
		vh->gso_type = fr->tcp ? (fr->v6 ? VIRTIO_NET_HDR_GSO_TCPV6 :
						   VIRTIO_NET_HDR_GSO_TCPV4) :
					 5 /* VIRTIO_NET_HDR_GSO_UDP_L4 */;
		vh->gso_size = htole16(bad == HB_GSO_ZERO ? 0 : 65535);
		vh->hdr_len = htole16((uint16_t)(fr->l4 + fr->l4_len));
		break;
	case HB_GSO_TYPE:
		vh->flags |= VIRTIO_NET_HDR_F_NEEDS_CSUM;
		vh->csum_start = htole16(start);
		vh->csum_offset = htole16(fr->tcp ? 16 : 6);
		vh->gso_type = (uint8_t)value;
		vh->gso_size = htole16(value & ~VIRTIO_NET_HDR_GSO_ECN ?
				       HDR_GSO_SIZE : 0);
		vh->hdr_len = htole16((uint16_t)(fr->l4 + fr->l4_len));
		break;
	case HB_FLAGS:
		vh->flags |= (uint8_t)value;
		break;
	}
}

/**
 * hdr_is_answer() - Tell an answer to one of our frames, a h_match_fn
 * @f:		Frame received
 * @len:	Its length
 * @arg:	struct hdr_wait: an answer to the bad frame is noted there
 *
 * For TCP, a RST from the closed port to ours; for UDP, a port unreachable
 * (ICMP type 3, ICMPv6 type 1) quoting a datagram from ours.
 *
 * Return: true for an answer to the frame waited for
 */
static bool hdr_is_answer(const uint8_t *f, size_t len, void *arg)
{
	struct hdr_wait *w = arg;
	size_t l4, quoted;
	unsigned port;

	if (len < 14 + 40 || get16(f + 12) != (w->v6 ? 0x86dd : 0x0800))
		return false;
	if (w->v6) {
		l4 = 14 + 40;
		if (f[14 + 6] != (w->tcp ? IP_TCP : IP_ICMPV6))
			return false;
	} else {
		l4 = 14 + (size_t)(f[14] & 0xf) * 4;
		if (f[14 + 9] != (w->tcp ? IP_TCP : IP_ICMP))
			return false;
	}

	if (w->tcp) {
		if (len < l4 + 20 || get16(f + l4) != HDR_DPORT ||
		    !(f[l4 + 13] & 0x04))
			return false;
		port = get16(f + l4 + 2);
	} else {
		if (len < l4 + 8 || f[l4] != (w->v6 ? 1 : 3))
			return false;
		quoted = l4 + 8;
		if (w->v6)
			quoted += 40;
		else if (len > quoted)
			quoted += (size_t)(f[quoted] & 0xf) * 4;
		if (len < quoted + 4 || get16(f + quoted + 2) != HDR_DPORT)
			return false;
		port = get16(f + quoted);
	}

	if (port == w->bad_port)
		w->bad_seen = true;
	return port == w->port;
}

/**
 * c_vnet_hdr() - Send a frame with a bad virtio-net header, expect no
 *		  answer; then the same with a proper one, expect an answer
 * @h:		Hostile front end
 * @c:		Case, @arg made by HA()
 *
 * Return: VU_REPLIED if the bad frame was dropped and the proper one
 *	   answered, H_ANSWERED or H_DEAF otherwise, non-zero as vu_call()
 *	   if the rings could not start
 */
static int c_vnet_hdr(struct hostile *h, const struct hcase *c)
{
	uint16_t port = (uint16_t)(HDR_SPORT + 2 * (c - vu_hostile_hdr_cases));
	enum hdr_probe probe = HA_PROBE(c->arg);
	enum hdr_bad bad = HA_BAD(c->arg);
	struct virtio_net_hdr vh;
	static struct hdr_frame fr;
	struct hdr_wait w;
	uint8_t mac[6];
	size_t payload;
	int rc;

	if ((rc = h_rings(h, false)))
		return rc;
	h_send_arp(h);
	if (!h_wait_frame(h, h_is_arp_reply, mac, H_WAIT_MS))
		return H_DEAF;

	payload = bad == HB_CSUM_SHORT ? 0 : HDR_PAYLOAD;
	w = (struct hdr_wait){ .v6 = probe == P_TCP6 || probe == P_UDP6,
			       .tcp = probe == P_TCP4 || probe == P_TCP6,
			       .port = port, .bad_port = port };
	hdr_frame_build(&fr, mac, probe, payload, port);
	hdr_proper(&vh, &fr, h->conn.features);
	hdr_spoil(&vh, &fr, bad, HA_VALUE(c->arg));
	h_send_frame(h, &vh, fr.f, fr.len);
	if (h_wait_frame(h, hdr_is_answer, &w, HDR_QUIET_MS))
		return H_ANSWERED;

	w.port = (uint16_t)(port + 1);
	hdr_frame_build(&fr, mac, probe, payload, w.port);
	hdr_proper(&vh, &fr, h->conn.features);
	h_send_frame(h, &vh, fr.f, fr.len);
	if (!h_wait_frame(h, hdr_is_answer, &w, H_WAIT_MS))
		return w.bad_seen ? H_ANSWERED : H_DEAF;
	return w.bad_seen ? H_ANSWERED : VU_REPLIED;
}

const struct hcase vu_hostile_hdr_cases[] = {
	{ "hdr-len-beyond", "virtio-net header: hdr_len past the frame's end",
	  c_vnet_hdr, DROP, HA(P_TCP4, HB_HDR_LEN, 0) },
	{ "hdr-csum-start-beyond", "virtio-net header: csum_start at the "
	  "frame's end", c_vnet_hdr, DROP, HA(P_UDP6, HB_CSUM_START, 0) },
	{ "hdr-csum-end-beyond", "virtio-net header: the checksum field one "
	  "byte past the frame's end", c_vnet_hdr, DROP,
	  HA(P_TCP6, HB_CSUM_END, 0) },
	{ "hdr-csum-short", "virtio-net header: NEEDS_CSUM at TCP's offset "
	  "on a UDP frame too short for it", c_vnet_hdr, DROP,
	  HA(P_UDP4, HB_CSUM_SHORT, 0) },
	{ "hdr-gso-size-zero", "virtio-net header: TCPV4 with gso_size 0",
	  c_vnet_hdr, DROP, HA(P_TCP4, HB_GSO_ZERO, 0) },
	{ "hdr-gso-size-huge", "virtio-net header: TCPV6 with gso_size 65535, "
	  "longer than an IP packet can carry", c_vnet_hdr, DROP,
	  HA(P_TCP6, HB_GSO_HUGE, 0) },
	{ "hdr-tcpv4-on-ipv6", "virtio-net header: TCPV4 on an IPv6 segment",
	  c_vnet_hdr, DROP,
	  HA(P_TCP6, HB_GSO_TYPE, VIRTIO_NET_HDR_GSO_TCPV4) },
	{ "hdr-tcpv6-on-ipv4", "virtio-net header: TCPV6 on an IPv4 segment",
	  c_vnet_hdr, DROP,
	  HA(P_TCP4, HB_GSO_TYPE, VIRTIO_NET_HDR_GSO_TCPV6) },
	{ "hdr-udp-on-tcp", "virtio-net header: UDP_L4 on a TCP segment",
	  c_vnet_hdr, DROP, HA(P_TCP4, HB_GSO_TYPE, 5) },
	{ "hdr-tcpv4-on-udp", "virtio-net header: TCPV4 on a UDP datagram",
	  c_vnet_hdr, DROP,
	  HA(P_UDP4, HB_GSO_TYPE, VIRTIO_NET_HDR_GSO_TCPV4) },
	{ "hdr-ecn-udp", "virtio-net header: UDP_L4 with the ECN bit",
	  c_vnet_hdr, DROP,
	  HA(P_UDP4, HB_GSO_TYPE, 5 | VIRTIO_NET_HDR_GSO_ECN) },
	{ "hdr-ecn-alone", "virtio-net header: the ECN bit, no GSO type",
	  c_vnet_hdr, DROP, HA(P_UDP6, HB_GSO_TYPE, VIRTIO_NET_HDR_GSO_ECN) },
	{ "hdr-gso-type-2", "virtio-net header: gso_type 2, defined by none",
	  c_vnet_hdr, DROP, HA(P_TCP4, HB_GSO_TYPE, 2) },
	{ "hdr-gso-ufo", "virtio-net header: gso_type UDP (UFO), offered by "
	  "none", c_vnet_hdr, DROP,
	  HA(P_UDP4, HB_GSO_TYPE, VIRTIO_NET_HDR_GSO_UDP) },
	{ "hdr-gso-type-127", "virtio-net header: gso_type 127",
	  c_vnet_hdr, DROP, HA(P_TCP6, HB_GSO_TYPE, 127) },
	{ "hdr-flags-unknown", "virtio-net header: flag 0x08, defined by none",
	  c_vnet_hdr, DROP, HA(P_TCP4, HB_FLAGS, 0x08) },
	{ "hdr-flags-high", "virtio-net header: flag 0x80, defined by none",
	  c_vnet_hdr, DROP, HA(P_UDP4, HB_FLAGS, 0x80) },
};

const size_t vu_hostile_hdr_ncases = sizeof(vu_hostile_hdr_cases) /
				     sizeof(vu_hostile_hdr_cases[0]);
