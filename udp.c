// SPDX-License-Identifier: GPL-2.0-or-later
/* udp.c - UDP between the guest and host sockets
 *
 * A flow joins one guest endpoint and one host peer. Its host socket is
 * bound to our address and port on the host and connected to the peer, so
 * the kernel hands it exactly the peer's datagrams and sends ours to it:
 * no per-datagram addressing and no lookups once the flow exists.
 *
 * - Outbound: the guest's first datagram to a new destination creates the
 *   flow. The socket keeps the guest's source port when it can, so that
 *   replies and peers see the port the guest chose.
 * - Inbound (-u): a datagram reaching a forwarded host port creates a flow
 *   whose socket is bound to the address and port it was sent to, and
 *   connected to its sender. Connected sockets take precedence over the
 *   listening one, so the sender's later datagrams come straight to the
 *   flow, and the guest's replies leave from the forwarded port. Where
 *   that port can't be bound again (a privileged one, once we run without
 *   privileges), the flow shares the listening socket instead, see
 *   UDP_F_SHARED; errors on a shared socket aren't reported to the guest.
 *
 * Both directions go in batches: the guest's consecutive datagrams of one
 * flow with one sendmmsg(), the host's with one recvmmsg() straight into
 * prebuilt frames, which go to the guest in one call. Nothing is allocated
 * per datagram. Errors the host socket reports (ICMP port unreachable,
 * packet too big, TTL exceeded) reach the guest as the matching ICMP or
 * ICMPv6 error, quoting its datagram. Idle flows expire.
 */

#include <errno.h>
#include <net/if.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <netinet/ip_icmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
/* After <time.h>: it uses struct timespec without including it */
#include <linux/errqueue.h>

#include "checksum.h"
#include "ctx.h"
#include "epoll_ref.h"
#include "flow.h"
#include "frame.h"
#include "fwd.h"
#include "fwd_listen.h"
#include "inany.h"
#include "l2.h"
#include "log.h"
#include "pkt.h"
#include "udp.h"
#include "util.h"

/* Datagrams read from a host socket per batch */
#define UDP_RECV_BATCH		32
/* Datagrams of one flow from the guest per sendmmsg(), at most UIO_MAXIOV */
#define UDP_SEND_BATCH		1024
/* Largest UDP payloads: an IP packet can't exceed 65535 bytes, and the
 * IPv6 payload length doesn't count the IPv6 header
 */
#define UDP_MAX_PAYLOAD4	(65535 - FRAME_IP4_HLEN - FRAME_UDP_HLEN)
#define UDP_MAX_PAYLOAD6	(65535 - FRAME_UDP_HLEN)
/* Socket buffer sizes asked for: room for bursts of 64 KiB datagrams while
 * the other side catches up. The kernel caps them at net.core.rmem_max and
 * wmem_max.
 */
#define UDP_SOCK_BUF		(4 << 20)
/* Error queue entries handled per event, so that one flow can't hog us */
#define UDP_ERRQUEUE_MAX	16
/* ICMP errors sent to the guest per second, over all flows */
#define UDP_ICMP_PER_SEC	100
/* Largest ICMP error messages, quote included (RFC 1812 4.3.2.3, RFC 4443
 * 2.4 (c)): the IPv4 minimum reassembly size and the IPv6 minimum MTU
 */
#define UDP_ICMP4_MAX		576
#define UDP_ICMP6_MAX		1280
/* ICMP header, up to the start of the quoted packet */
#define UDP_ICMP_HLEN		8

/**
 * struct udp_flow - A UDP flow: the flow header and its host socket
 * @f:		Flow header: guest side and host side
 * @s:		Host socket, bound and connected as the host side says
 * @active_s:	Last datagram either way, in seconds (CLOCK_MONOTONIC)
 * @ttl:	TTL or hop limit set on @s, 0 if never set
 * @flags:	UDP_F_* bits
 */
struct udp_flow {
	struct flow_common f;
	int32_t s;
	uint32_t active_s;
	uint8_t ttl;
	uint8_t flags;
};

/* @s is the -u listening socket, not the flow's own: the flow's socket
 * couldn't be bound to the forwarded port (a privileged port, once we run
 * without privileges), so replies leave through the listener, addressed
 * one by one, and the peer's datagrams keep arriving there
 */
#define UDP_F_SHARED		(1U << 0)

_Static_assert(sizeof(struct udp_flow) <= FLOW_ENTRY_SIZE,
	       "struct udp_flow must fit a flow table entry");

/**
 * union udp_cmsg - Room for the destination address of a datagram
 * @hdr:	Alignment
 * @buf:	Control message buffer
 */
union udp_cmsg {
	struct cmsghdr hdr;
	uint8_t buf[CMSG_SPACE(sizeof(struct in6_pktinfo))];
};

/* Host to guest: rooms lent by the front end, each datagram read in after
 * room for its headers; without room, datagrams are read into a scratch
 * buffer and dropped, as a NIC with no receive buffers drops them
 */
static struct l2_room *udp_rooms[UDP_RECV_BATCH];
static size_t udp_rooms_lent;
static struct iovec udp_recv_iov[UDP_RECV_BATCH][L2_ROOM_IOV_MAX];
static uint8_t udp_scratch[L2_MAX_LEN];
static struct mmsghdr udp_recv_mh[UDP_RECV_BATCH];
static union sockaddr_inany udp_recv_from[UDP_RECV_BATCH];
static union udp_cmsg udp_recv_cmsg[UDP_RECV_BATCH];

/* Guest to host: payloads stay in the guest's frames */
static struct iovec udp_send_iov[UDP_SEND_BATCH];
static struct mmsghdr udp_send_mh[UDP_SEND_BATCH];
/* Destination and source of a batch through a shared listening socket */
static union sockaddr_inany udp_send_to;
static union udp_cmsg udp_send_from;

/* ICMP errors to the guest: one frame at a time */
static uint8_t udp_icmp_frame[FRAME_ETH_HLEN + UDP_ICMP6_MAX];

/**
 * udp_flow_of() - The UDP flow around a flow header
 * @f:		Flow header of a UDP flow
 *
 * Return: the flow
 */
static struct udp_flow *udp_flow_of(struct flow_common *f)
{
	return (struct udp_flow *)(void *)f;
}

/**
 * udp_payload_max() - Largest datagram payload the guest can take
 * @c:		Execution context
 * @v4:		IPv4 (else IPv6)
 *
 * Return: the smallest of the UDP limit, what the guest's MTU allows, and
 *	   what fits our frames
 */
static size_t udp_payload_max(const struct ctx *c, bool v4)
{
	size_t ip_hlen = v4 ? FRAME_IP4_HLEN : FRAME_IP6_HLEN;
	size_t max = v4 ? UDP_MAX_PAYLOAD4 : UDP_MAX_PAYLOAD6;
	size_t l3_max = L2_MAX_LEN - FRAME_ETH_HLEN;

	if (c->mtu > 0 && (size_t)c->mtu < l3_max)
		l3_max = (size_t)c->mtu;

	return MIN(max, l3_max - ip_hlen - FRAME_UDP_HLEN);
}

/**
 * udp_refuse_log() - Log, rate-limited, why a flow could not be created
 * @what:	Which kind of flow
 * @rc:		Positive errno
 */
static void udp_refuse_log(const char *what, int rc)
{
	if (rc == EMFILE || rc == ENFILE || rc == ENOBUFS || rc == ENOMEM)
		warn_ratelimit("UDP: refusing %s flow, out of resources: %s",
			       what, strerror(rc));
	else
		debug_ratelimit("UDP: refusing %s flow: %s", what,
				strerror(rc));
}

/**
 * udp_sock_bufs() - Ask for large socket buffers, as far as the host allows
 * @s:		Socket
 *
 * #syscalls: setsockopt
 */
static void udp_sock_bufs(int s)
{
	int size = UDP_SOCK_BUF;

	/* A smaller buffer than asked for only costs throughput */
	(void)setsockopt(s, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	(void)setsockopt(s, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
}

/**
 * udp_sock_open() - Open a host socket bound and connected as a side says
 * @c:		Execution context
 * @host:	Host side: bound to @oaddr:@oport, connected to @eaddr:@eport;
 *		an unspecified address or zero port is filled in with what
 *		the kernel chose
 * @any_port:	If binding @oport fails, let the kernel pick a port
 *
 * Return: the socket, or a negative errno
 *
 * #syscalls: socket close setsockopt bind connect getsockname
 */
static int udp_sock_open(const struct ctx *c, struct flowside *host,
			 bool any_port)
{
	bool v4 = !!inany_v4(&host->eaddr);
	const struct fam_ctx *fam = v4 ? &c->ip4 : &c->ip6;
	union sockaddr_inany sa;
	socklen_t sl;
	int s, rc;

	s = socket(v4 ? AF_INET : AF_INET6,
		   SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_UDP);
	if (s < 0)
		return -errno;
	if (s > EPOLL_REF_FD_MAX) {
		close(s);
		return -EMFILE;
	}

	/* Shares the port with a -u listener, or with another flow from
	 * the same guest port: connected sockets each get their own peer's
	 * datagrams
	 */
	if (setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &(int){ 1 },
		       sizeof(int)) ||
	    (!v4 && setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &(int){ 1 },
			       sizeof(int))) ||
	    setsockopt(s, v4 ? IPPROTO_IP : IPPROTO_IPV6,
		       v4 ? IP_RECVERR : IPV6_RECVERR, &(int){ 1 },
		       sizeof(int)))
		goto fail;

	udp_sock_bufs(s);
	if (fam->ifname_out[0] && !inany_is_loopback(&host->eaddr) &&
	    setsockopt(s, SOL_SOCKET, SO_BINDTODEVICE, fam->ifname_out,
		       (socklen_t)strlen(fam->ifname_out)))
		goto fail;

	sl = inany_to_sockaddr(&sa, &host->oaddr, host->oport, fam->ifi);
	if (bind(s, &sa.sa, sl)) {
		if (!any_port || !host->oport)
			goto fail;
		sl = inany_to_sockaddr(&sa, &host->oaddr, 0, fam->ifi);
		if (bind(s, &sa.sa, sl))
			goto fail;
	}

	sl = inany_to_sockaddr(&sa, &host->eaddr, host->eport, fam->ifi);
	if (connect(s, &sa.sa, sl))
		goto fail;

	sl = sizeof(sa);
	if (getsockname(s, &sa.sa, &sl))
		goto fail;
	/* Another family than the one we opened: nothing set errno */
	if (!inany_from_sockaddr(&host->oaddr, &host->oport, &sa)) {
		close(s);
		return -EAFNOSUPPORT;
	}

	return s;

fail:
	rc = -errno;
	close(s);
	return rc;
}

/**
 * udp_flow_activate() - Make a new flow findable and watch its socket
 * @c:		Execution context
 * @uf:		Flow with both sides, its type and its socket set
 *
 * Return: 0 on success, a positive errno on failure, the flow then closed
 */
static int udp_flow_activate(struct ctx *c, struct udp_flow *uf)
{
	union epoll_ref ref = { .type = EPOLL_TYPE_UDP,
				.fd = (uint32_t)uf->s,
				.index = flow_idx(&uf->f) };
	bool shared = uf->flags & UDP_F_SHARED;
	int rc;

	rc = flow_hash_insert(&uf->f, FLOW_SIDE_GUEST);
	if (!rc)
		rc = flow_hash_insert(&uf->f, FLOW_SIDE_HOST);
	if (!rc && !shared)
		rc = epoll_ref_add(c->epollfd, EPOLLIN, ref);
	if (rc) {
		flow_close(c, &uf->f);
		return rc;
	}

	uf->active_s = (uint32_t)c->now.tv_sec;
	flow_log(&uf->f, LOG_DEBUG, "new %s%s",
		 (uf->f.flags & FLOW_F_INBOUND) ? "inbound" : "outbound",
		 shared ? ", replies through the listening socket" : "");
	return 0;
}

/**
 * udp_flow_new_outbound() - Create a flow for a guest datagram to a new
 *			     destination
 * @c:		Execution context
 * @guest:	Guest side: the guest's address and port, and the destination
 *
 * Return: the flow, NULL if it can't be created
 *
 * #syscalls: close
 */
static struct udp_flow *udp_flow_new_outbound(struct ctx *c,
					      const struct flowside *guest)
{
	struct flowside host, want;
	struct flow_common *f;
	struct udp_flow *uf;
	int s, rc;

	rc = fwd_nat_outbound(c, IPPROTO_UDP, guest, &want);
	if (rc) {
		udp_refuse_log("outbound", rc);
		return NULL;
	}

	/* Before the socket: a flood beyond the budget costs no socket */
	f = flow_alloc(FLOW_TYPE_UDP);
	if (!f)
		return NULL;

	/* A host side another flow holds already (the guest's port taken
	 * by a flow to the same peer from another guest address) falls
	 * back to a port of the kernel's choice
	 */
	host = want;
	s = udp_sock_open(c, &host, true);
	if (s >= 0 && flow_lookup(FLOW_TYPE_UDP, FLOW_SIDE_HOST, &host) &&
	    want.oport) {
		close(s);
		host = want;
		host.oport = 0;
		s = udp_sock_open(c, &host, false);
	}
	if (s < 0) {
		flow_alloc_cancel(f);
		udp_refuse_log("outbound", -s);
		return NULL;
	}

	uf = udp_flow_of(f);
	f->side[FLOW_SIDE_GUEST] = *guest;
	f->side[FLOW_SIDE_HOST] = host;
	uf->s = s;
	flow_activate(f);

	rc = udp_flow_activate(c, uf);
	if (rc) {
		udp_refuse_log("outbound", rc);
		return NULL;
	}

	return uf;
}

/**
 * udp_flow_new_inbound() - Create a flow for a datagram to a forwarded port
 * @c:		Execution context
 * @rule_idx:	Index of the -u rule the port belongs to
 * @listen_s:	Listening socket the datagram came from
 * @host:	Host side: the sender, and the address and port it sent to
 *
 * Return: the flow, NULL if it can't be created
 *
 * #syscalls: close
 */
static struct udp_flow *udp_flow_new_inbound(struct ctx *c, unsigned rule_idx,
					     int listen_s,
					     const struct flowside *host)
{
	struct flowside guest, bound = *host;
	struct flow_common *f;
	struct udp_flow *uf;
	uint8_t flags = 0;
	int s, rc;

	if (rule_idx >= c->udp_fwd.count)
		return NULL;

	rc = fwd_nat_inbound(c, IPPROTO_UDP, &c->udp_fwd.rules[rule_idx],
			     host, &guest);
	if (!rc && flow_lookup(FLOW_TYPE_UDP, FLOW_SIDE_GUEST, &guest))
		rc = EADDRINUSE;
	if (rc) {
		udp_refuse_log("inbound", rc);
		return NULL;
	}

	/* Before the socket: a flood beyond the budget costs no socket */
	f = flow_alloc(FLOW_TYPE_UDP);
	if (!f)
		return NULL;

	s = udp_sock_open(c, &bound, false);
	if (s == -EACCES || s == -EPERM) {
		bound = *host;
		s = listen_s;
		flags = UDP_F_SHARED;
	} else if (s < 0) {
		flow_alloc_cancel(f);
		udp_refuse_log("inbound", -s);
		return NULL;
	}

	uf = udp_flow_of(f);
	f->flags |= FLOW_F_INBOUND;
	f->side[FLOW_SIDE_GUEST] = guest;
	f->side[FLOW_SIDE_HOST] = bound;
	uf->s = s;
	uf->flags = flags;
	flow_activate(f);

	rc = udp_flow_activate(c, uf);
	if (rc) {
		udp_refuse_log("inbound", rc);
		return NULL;
	}

	return uf;
}

/**
 * udp_flow_release() - Close a flow's socket, unless it shares the
 *			listener's: the one way a UDP flow is closed, through
 *			flow_close()
 * @c:		Execution context
 * @f:		Flow of type UDP
 *
 * #syscalls: close
 */
static void udp_flow_release(const struct ctx *c, struct flow_common *f)
{
	struct udp_flow *uf = udp_flow_of(f);

	if (!(uf->flags & UDP_F_SHARED)) {
		epoll_ref_del(c->epollfd, uf->s);
		close(uf->s);
	}
	uf->s = -1;
}

const struct flow_ops udp_flow_ops = {
	.release = udp_flow_release,
};

/**
 * udp_flow_close() - Close a flow and retire it
 * @c:		Execution context
 * @uf:		Flow
 * @why:	Reason, for the debug log
 */
static void udp_flow_close(const struct ctx *c, struct udp_flow *uf,
			   const char *why)
{
	flow_log(&uf->f, LOG_DEBUG, "closing: %s", why);
	flow_close(c, &uf->f);
}

/**
 * udp_parse() - Validate a datagram from the guest
 * @p:		Parsed frame, transport protocol UDP
 * @sport:	Source port, host order, filled
 * @dport:	Destination port, host order, filled
 * @len:	Payload length, filled
 *
 * The UDP length may be shorter than the IP payload (the rest is padding)
 * but not longer. The checksum must be right; IPv4 may leave it out (zero),
 * IPv6 may not (RFC 8200, 8.1).
 *
 * Return: true if the datagram is valid
 */
static bool udp_parse(const struct pkt *p, uint16_t *sport, uint16_t *dport,
		      size_t *len)
{
	size_t ulen;

	if (p->l4_len < FRAME_UDP_HLEN)
		return false;

	/* Datagrams the guest left to us to split: the IP length says how
	 * long they are together
	 */
	ulen = p->gso_size ? p->l4_len : get_be16(p->l4 + 4);
	if (ulen < FRAME_UDP_HLEN || ulen > p->l4_len)
		return false;

	if (!p->needs_csum && (!p->v4 || get_be16(p->l4 + 6))) {
		uint32_t sum = csum_pseudo(p->v4, &p->src, &p->dst,
					   IPPROTO_UDP, ulen);

		if (csum_fold(csum_partial(p->l4, ulen, sum)))
			return false;
	}

	*sport = get_be16(p->l4);
	*dport = get_be16(p->l4 + 2);
	*len = ulen - FRAME_UDP_HLEN;
	return true;
}

/**
 * udp_same_flow() - Does a datagram belong to the run a first one started?
 * @a:		First datagram of the run, valid UDP
 * @b:		Candidate
 *
 * Return: true if @b is UDP with the same addresses, ports and TTL
 */
static bool udp_same_flow(const struct pkt *a, const struct pkt *b)
{
	return b->proto == IPPROTO_UDP && b->l4_len >= FRAME_UDP_HLEN &&
	       a->ttl == b->ttl && !memcmp(a->l4, b->l4, 4) &&
	       inany_equals(&a->src, &b->src) && inany_equals(&a->dst, &b->dst);
}

/**
 * udp_set_ttl() - Give the host socket the guest's TTL or hop limit, so
 *		   that traceroute from the guest works
 * @uf:		Flow
 * @ttl:	TTL or hop limit of the guest's datagram
 *
 * #syscalls: setsockopt
 */
static void udp_set_ttl(struct udp_flow *uf, uint8_t ttl)
{
	bool v4 = !!inany_v4(&uf->f.side[FLOW_SIDE_HOST].eaddr);
	int val = ttl;

	/* A shared listening socket serves other flows too */
	if (uf->ttl == ttl || !ttl || (uf->flags & UDP_F_SHARED))
		return;

	if (setsockopt(uf->s, v4 ? IPPROTO_IP : IPPROTO_IPV6,
		       v4 ? IP_TTL : IPV6_UNICAST_HOPS, &val, sizeof(val)))
		debug_ratelimit("UDP: can't set TTL %u: %s", ttl,
				strerror(errno));
	else
		uf->ttl = ttl;
}

/**
 * udp_send_batch() - Send prepared datagrams on a flow's socket
 * @uf:		Flow
 * @n:		Datagrams in udp_send_mh
 *
 * A failure may be an error the socket had pending from an earlier
 * datagram (an ICMP error, which the error queue reports), so a datagram
 * is tried again once before it is dropped. A full socket buffer drops the
 * rest, as a full link would.
 *
 * #syscalls: sendmmsg
 */
static void udp_send_batch(const struct udp_flow *uf, size_t n)
{
	bool retried = false;
	size_t done = 0;

	while (done < n) {
		int rc = sendmmsg(uf->s, udp_send_mh + done,
				  (unsigned)(n - done), 0);

		if (rc > 0) {
			done += (size_t)rc;
			retried = false;
			continue;
		}
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK ||
		    errno == ENOBUFS) {
			debug_ratelimit("UDP: host socket full, dropping %zu "
					"datagrams", n - done);
			return;
		}
		if (!retried) {
			retried = true;
			continue;
		}

		debug_ratelimit("UDP: dropping datagram to host: %s",
				strerror(errno));
		done++;
		retried = false;
	}
}

/**
 * udp_shared_dest() - Address datagrams sent through a shared listening
 *		       socket: to the peer, from the address it wrote to
 * @c:		Execution context
 * @uf:		Flow with UDP_F_SHARED
 * @mh:		Message header to point at udp_send_to and udp_send_from
 */
static void udp_shared_dest(const struct ctx *c, const struct udp_flow *uf,
			    struct msghdr *mh)
{
	const struct flowside *hs = &uf->f.side[FLOW_SIDE_HOST];
	const struct in_addr *v4 = inany_v4(&hs->oaddr);
	struct cmsghdr *cm = &udp_send_from.hdr;

	mh->msg_name = &udp_send_to;
	mh->msg_namelen = inany_to_sockaddr(&udp_send_to, &hs->eaddr,
					    hs->eport, c->ip6.ifi);
	mh->msg_control = udp_send_from.buf;

	if (v4) {
		struct in_pktinfo pi = { .ipi_spec_dst = *v4 };

		cm->cmsg_level = IPPROTO_IP;
		cm->cmsg_type = IP_PKTINFO;
		cm->cmsg_len = CMSG_LEN(sizeof(pi));
		memcpy(CMSG_DATA(cm), &pi, sizeof(pi));
		mh->msg_controllen = CMSG_SPACE(sizeof(pi));
	} else {
		struct in6_pktinfo pi = { .ipi6_addr = hs->oaddr.a6 };

		if (IN6_IS_ADDR_LINKLOCAL(&pi.ipi6_addr))
			pi.ipi6_ifindex = c->ip6.ifi;
		cm->cmsg_level = IPPROTO_IPV6;
		cm->cmsg_type = IPV6_PKTINFO;
		cm->cmsg_len = CMSG_LEN(sizeof(pi));
		memcpy(CMSG_DATA(cm), &pi, sizeof(pi));
		mh->msg_controllen = CMSG_SPACE(sizeof(pi));
	}
}

/**
 * udp_guest_handler() - Send the guest's datagrams of one flow to the host
 * @c:		Execution context
 * @p:		Parsed frames, the first one UDP
 * @n:		Number of frames in @p
 *
 * Takes the first datagram and those right after it with the same
 * addresses, ports and TTL, creating the flow if it doesn't exist, and
 * sends them with one sendmmsg(). Malformed datagrams are dropped alone.
 *
 * Return: number of frames consumed from @p, at least one if @n is not 0
 */
size_t udp_guest_handler(struct ctx *c, const struct pkt *p, size_t n)
{
	struct flowside guest = { 0 };
	struct msghdr dest = { 0 };
	size_t run, i, count = 0, len;
	struct flow_common *f;
	struct udp_flow *uf;

	if (!n)
		return 0;

	if (!udp_parse(&p[0], &guest.eport, &guest.oport,
		       &udp_send_iov[0].iov_len)) {
		debug_ratelimit("UDP: dropping malformed datagram from guest");
		return 1;
	}
	if (c->no_udp) {
		debug_ratelimit("UDP: disabled, dropping datagram from guest");
		return 1;
	}

	for (run = 1; run < n && run < UDP_SEND_BATCH; run++) {
		if (!udp_same_flow(&p[0], &p[run]))
			break;
	}

	guest.eaddr = p[0].src;
	guest.oaddr = p[0].dst;
	f = flow_lookup(FLOW_TYPE_UDP, FLOW_SIDE_GUEST, &guest);
	uf = f ? udp_flow_of(f) : udp_flow_new_outbound(c, &guest);
	if (!uf)
		return run;
	if (uf->flags & UDP_F_SHARED)
		udp_shared_dest(c, uf, &dest);

	udp_set_ttl(uf, p[0].ttl);

	/* The first datagram is checked already, its length is in place */
	len = udp_send_iov[0].iov_len;
	for (i = 0; i < run; i++) {
		const uint8_t *data = p[i].l4 + FRAME_UDP_HLEN;
		uint16_t sport, dport;
		size_t seg;

		if (i && !udp_parse(&p[i], &sport, &dport, &len)) {
			debug_ratelimit("UDP: dropping malformed datagram "
					"from guest");
			continue;
		}

		/* One datagram each gso_size bytes, if the guest left the
		 * splitting to us, or one
		 */
		seg = p[i].gso_size ? p[i].gso_size : len;
		do {
			size_t this = MIN(seg, len);

			if (count == UDP_SEND_BATCH) {
				udp_send_batch(uf, count);
				count = 0;
			}
			udp_send_iov[count].iov_base = (void *)(uintptr_t)data;
			udp_send_iov[count].iov_len = this;
			udp_send_mh[count].msg_hdr = dest;
			udp_send_mh[count].msg_hdr.msg_iov =
				&udp_send_iov[count];
			udp_send_mh[count].msg_hdr.msg_iovlen = 1;
			count++;
			data += this;
			len -= this;
		} while (len);
	}

	udp_send_batch(uf, count);
	uf->active_s = (uint32_t)c->now.tv_sec;

	return run;
}

/**
 * udp_recv_batch() - Read datagrams from a host socket into room the front
 *		      end lends
 * @c:		Execution context
 * @s:		Socket
 * @v4:		IPv4 socket (else IPv6)
 * @with_dst:	Also read each datagram's destination address (listening
 *		sockets)
 *
 * Return: datagrams read, each in udp_rooms[i] after frame_udp_off() bytes,
 *	   with its length in udp_recv_mh[i].msg_len; 0 if none or on error.
 *	   Without room, they are read and dropped, and 0 is returned.
 *
 * #syscalls: recvmmsg
 */
static unsigned udp_recv_batch(struct ctx *c, int s, bool v4, bool with_dst)
{
	size_t max = udp_payload_max(c, v4), off = frame_udp_off(v4);
	unsigned i, batch;
	int n;

	udp_rooms_lent = l2_lend(c, udp_rooms, UDP_RECV_BATCH, off + max);
	batch = udp_rooms_lent ? (unsigned)udp_rooms_lent : UDP_RECV_BATCH;

	for (i = 0; i < batch; i++) {
		struct msghdr *mh = &udp_recv_mh[i].msg_hdr;

		if (udp_rooms_lent) {
			mh->msg_iovlen = l2_room_iov(udp_rooms[i], off, max,
						     udp_recv_iov[i],
						     L2_ROOM_IOV_MAX);
		} else {
			udp_recv_iov[i][0].iov_base = udp_scratch;
			udp_recv_iov[i][0].iov_len = max;
			mh->msg_iovlen = 1;
		}
		mh->msg_iov = udp_recv_iov[i];
		mh->msg_name = &udp_recv_from[i];
		mh->msg_namelen = sizeof(udp_recv_from[i]);
		mh->msg_control = with_dst ? udp_recv_cmsg[i].buf : NULL;
		mh->msg_controllen = with_dst ? sizeof(udp_recv_cmsg[i]) : 0;
		mh->msg_flags = 0;
	}

	n = recvmmsg(s, udp_recv_mh, batch, MSG_DONTWAIT, NULL);
	if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK &&
	    errno != EINTR)
		debug_ratelimit("UDP: receive error: %s", strerror(errno));

	if (!udp_rooms_lent) {
		if (n > 0)
			debug_ratelimit("UDP: front end takes no frames, %i "
					"datagrams dropped", n);
		return 0;
	}

	return n > 0 ? (unsigned)n : 0;
}

/**
 * udp_rooms_done() - Give back the rooms that hold no datagram
 * @c:		Execution context
 * @used:	Rooms committed or given back already, from the first
 */
static void udp_rooms_done(struct ctx *c, unsigned used)
{
	size_t i;

	for (i = used; i < udp_rooms_lent; i++)
		l2_give_back(c, udp_rooms[i]);
	udp_rooms_lent = 0;
}

/**
 * udp_frame_add() - Complete a received datagram's frame and queue it for
 *		     the guest, or give its room back
 * @c:		Execution context
 * @i:		Index of the datagram in the receive batch
 * @v4:		Family the batch was read for, which placed the payload
 * @gs:		Guest side of its flow, NULL to drop the datagram
 *
 * Return: true if queued, false if dropped (no flow, or too long for the
 *	   guest)
 */
static bool udp_frame_add(struct ctx *c, unsigned i, bool v4,
			  const struct flowside *gs)
{
	const struct l2_offload off = {
		.needs_csum = l2_offloads(c) & L2_OFF_CSUM,
		.csum_start = (uint16_t)frame_l4_off(v4),
		.csum_offset = FRAME_UDP_CSUM_OFF,
	};
	const struct msghdr *mh = &udp_recv_mh[i].msg_hdr;
	struct l2_room *room = udp_rooms[i];
	struct iovec payload[L2_ROOM_IOV_MAX];
	size_t len, cnt;

	if (!gs) {
		l2_give_back(c, room);
		return false;
	}
	if (mh->msg_flags & MSG_TRUNC) {
		debug_ratelimit("UDP: datagram too long for the guest's MTU, "
				"dropped");
		l2_give_back(c, room);
		return false;
	}

	cnt = l2_room_iov(room, frame_udp_off(v4), udp_recv_mh[i].msg_len,
			  payload, ARRAY_SIZE(payload));
	len = frame_udp_hdr(c, room->iov[0].iov_base, NULL, v4, &gs->oaddr,
			    gs->oport, &gs->eaddr, gs->eport, payload, cnt,
			    !off.needs_csum);
	l2_commit(c, room, len, NULL, &off);
	return true;
}

/**
 * udp_icmp_type() - ICMP type, code and MTU field for a socket error
 * @ee:		Extended error from the error queue
 * @v4:		IPv4 flow (else IPv6)
 * @type:	ICMP or ICMPv6 type, filled
 * @code:	Code, filled
 * @mtu:	MTU to report, filled, 0 if none
 *
 * Return: true if the error is one we report to the guest
 */
static bool udp_icmp_type(const struct sock_extended_err *ee, bool v4,
			  uint8_t *type, uint8_t *code, uint32_t *mtu)
{
	*type = ee->ee_type;
	*code = ee->ee_code;
	*mtu = 0;

	if (ee->ee_origin == SO_EE_ORIGIN_LOCAL) {
		/* Our own host found the datagram too big for its path */
		if (ee->ee_errno != EMSGSIZE)
			return false;
		*type = v4 ? ICMP_DEST_UNREACH : ICMP6_PACKET_TOO_BIG;
		*code = v4 ? ICMP_FRAG_NEEDED : 0;
		*mtu = ee->ee_info;
		return true;
	}

	if (v4 && ee->ee_origin == SO_EE_ORIGIN_ICMP) {
		if (*type == ICMP_DEST_UNREACH && *code == ICMP_FRAG_NEEDED)
			*mtu = ee->ee_info;
		return *type == ICMP_DEST_UNREACH ||
		       *type == ICMP_TIME_EXCEEDED;
	}

	if (!v4 && ee->ee_origin == SO_EE_ORIGIN_ICMP6) {
		if (*type == ICMP6_PACKET_TOO_BIG)
			*mtu = ee->ee_info;
		return *type == ICMP6_DST_UNREACH ||
		       *type == ICMP6_PACKET_TOO_BIG ||
		       *type == ICMP6_TIME_EXCEEDED;
	}

	return false;
}

/**
 * udp_icmp_ratelimit() - Take a token for one ICMP error to the guest
 * @c:		Execution context
 *
 * Return: true if the error may be sent
 */
static bool udp_icmp_ratelimit(const struct ctx *c)
{
	static time_t second;
	static unsigned sent;

	if (c->now.tv_sec != second) {
		second = c->now.tv_sec;
		sent = 0;
	}

	if (sent >= UDP_ICMP_PER_SEC)
		return false;
	sent++;
	return true;
}

/**
 * udp_icmp_quote() - Where the quoted datagram's payload starts in an ICMP
 *		      error frame, and how much of it fits
 * @v4:		IPv4 (else IPv6)
 * @room:	Bytes of payload that fit, filled
 *
 * Return: offset of the quoted payload in udp_icmp_frame
 */
static size_t udp_icmp_quote(bool v4, size_t *room)
{
	size_t ip_hlen = v4 ? FRAME_IP4_HLEN : FRAME_IP6_HLEN;
	size_t max = v4 ? UDP_ICMP4_MAX : UDP_ICMP6_MAX;

	*room = max - 2 * ip_hlen - UDP_ICMP_HLEN - FRAME_UDP_HLEN;
	return frame_l4_off(v4) + UDP_ICMP_HLEN + ip_hlen + FRAME_UDP_HLEN;
}

/**
 * udp_icmp_send() - Send the guest an ICMP error about one of its datagrams
 * @c:		Execution context
 * @uf:		Flow the datagram belonged to
 * @ee:		Extended error from the error queue
 * @len:	Bytes of the datagram's payload, already at udp_icmp_quote()
 *		in udp_icmp_frame
 */
static void udp_icmp_send(struct ctx *c, const struct udp_flow *uf,
			  const struct sock_extended_err *ee, size_t len)
{
	const struct flowside *gs = &uf->f.side[FLOW_SIDE_GUEST];
	const struct flowside *hs = &uf->f.side[FLOW_SIDE_HOST];
	bool v4 = !!inany_v4(&gs->eaddr);
	size_t ip_hlen = v4 ? FRAME_IP4_HLEN : FRAME_IP6_HLEN;
	uint8_t *icmp = udp_icmp_frame + frame_l4_off(v4);
	uint8_t *ip = icmp + UDP_ICMP_HLEN, *uh = ip + ip_hlen;
	union sockaddr_inany *off = (union sockaddr_inany *)SO_EE_OFFENDER(ee);
	union inany_addr src, offender;
	uint8_t type, code;
	size_t l4_len;
	uint16_t port;
	uint32_t mtu;

	if (!udp_icmp_type(ee, v4, &type, &code, &mtu))
		return;

	/* The peer itself, or our host, appear as the guest knows the peer;
	 * a router on the way as its own address, translated
	 */
	if (ee->ee_origin == SO_EE_ORIGIN_LOCAL ||
	    !inany_from_sockaddr(&offender, &port, off) ||
	    inany_equals(&offender, &hs->eaddr))
		src = gs->oaddr;
	else if (fwd_nat_inbound_src(c, &offender, &src))
		return;

	if (!udp_icmp_ratelimit(c)) {
		debug_ratelimit("UDP: ICMP error to guest rate-limited");
		return;
	}

	/* The guest's datagram as it sent it */
	if (v4) {
		uint16_t csum;

		memset(ip, 0, FRAME_IP4_HLEN);
		ip[0] = 0x45;
		put_be16(ip + 2, (uint16_t)(FRAME_IP4_HLEN + FRAME_UDP_HLEN +
					    len));
		ip[8] = uf->ttl ? uf->ttl : 64;
		ip[9] = IPPROTO_UDP;
		memcpy(ip + 12, &gs->eaddr.v4mapped.a4, 4);
		memcpy(ip + 16, &gs->oaddr.v4mapped.a4, 4);
		csum = csum_fold(csum_partial(ip, FRAME_IP4_HLEN, 0));
		memcpy(ip + 10, &csum, sizeof(csum));
	} else {
		put_be32(ip, 6U << 28);
		put_be16(ip + 4, (uint16_t)(FRAME_UDP_HLEN + len));
		ip[6] = IPPROTO_UDP;
		ip[7] = uf->ttl ? uf->ttl : 64;
		memcpy(ip + 8, &gs->eaddr.a6, 16);
		memcpy(ip + 24, &gs->oaddr.a6, 16);
	}
	put_be16(uh, gs->eport);
	put_be16(uh + 2, gs->oport);
	put_be16(uh + 4, (uint16_t)(FRAME_UDP_HLEN + len));
	put_be16(uh + 6, 0);

	icmp[0] = type;
	icmp[1] = code;
	put_be32(icmp + 4, 0);
	if (v4 && mtu)
		put_be16(icmp + 6, (uint16_t)MIN(mtu, UINT16_MAX));
	else if (mtu)
		put_be32(icmp + 4, mtu);

	l4_len = UDP_ICMP_HLEN + ip_hlen + FRAME_UDP_HLEN + len;
	l4_len = frame_ip(c, udp_icmp_frame, NULL, v4, &src, &gs->eaddr,
			  v4 ? IPPROTO_ICMP : IPPROTO_ICMPV6, 64, l4_len);
	l2_send_single(c, udp_icmp_frame, l4_len);
	flow_log(&uf->f, LOG_DEBUG, "ICMP error type %u code %u to guest",
		 type, code);
}

/**
 * udp_sock_errors() - Report the errors queued on a flow's socket
 * @c:		Execution context
 * @uf:		Flow
 *
 * Return: 0, or a positive errno if the socket is unusable
 *
 * #syscalls: recvmsg getsockopt
 */
static int udp_sock_errors(struct ctx *c, struct udp_flow *uf)
{
	bool v4 = !!inany_v4(&uf->f.side[FLOW_SIDE_HOST].eaddr);
	union {
		struct cmsghdr hdr;
		uint8_t buf[CMSG_SPACE(sizeof(struct sock_extended_err) +
				       sizeof(union sockaddr_inany))];
	} ctl;
	union sockaddr_inany from;
	struct iovec iov;
	struct msghdr mh = {
		.msg_name = &from, .msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = ctl.buf,
	};
	unsigned i;

	for (i = 0; i < UDP_ERRQUEUE_MAX; i++) {
		const struct sock_extended_err *ee = NULL;
		struct cmsghdr *cm;
		ssize_t len;

		iov.iov_base = udp_icmp_frame + udp_icmp_quote(v4,
							       &iov.iov_len);
		mh.msg_namelen = sizeof(from);
		mh.msg_controllen = sizeof(ctl);
		mh.msg_flags = 0;

		len = recvmsg(uf->s, &mh, MSG_ERRQUEUE | MSG_DONTWAIT);
		if (len < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK ||
			    errno == EINTR)
				break;
			return errno;
		}

		for (cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
			if ((cm->cmsg_level == IPPROTO_IP &&
			     cm->cmsg_type == IP_RECVERR) ||
			    (cm->cmsg_level == IPPROTO_IPV6 &&
			     cm->cmsg_type == IPV6_RECVERR))
				ee = (const struct sock_extended_err *)
				     (const void *)CMSG_DATA(cm);
		}

		if (ee)
			udp_icmp_send(c, uf, ee, (size_t)len);
	}

	/* With the queue empty, a pending error left would keep EPOLLERR
	 * up: read it to clear it
	 */
	if (!i) {
		int err;

		getsockopt(uf->s, SOL_SOCKET, SO_ERROR, &err,
			   &(socklen_t){ sizeof(err) });
	}

	return 0;
}

/**
 * udp_sock_handler() - Relay a flow socket's datagrams and errors
 * @c:		Execution context
 * @ref:	Reference of the socket: the flow index
 * @events:	EPOLL* events
 */
void udp_sock_handler(struct ctx *c, union epoll_ref ref, uint32_t events)
{
	struct flow_common *f = flow_at(ref.index, FLOW_TYPE_UDP);
	const struct flowside *gs, *hs;
	struct udp_flow *uf;
	unsigned n, i;
	bool v4;

	if (!f)
		return;
	uf = udp_flow_of(f);
	gs = &f->side[FLOW_SIDE_GUEST];
	hs = &f->side[FLOW_SIDE_HOST];
	v4 = !!inany_v4(&hs->eaddr);

	if (events & EPOLLERR) {
		int rc = udp_sock_errors(c, uf);

		if (rc) {
			udp_flow_close(c, uf, strerror(rc));
			return;
		}
	}

	if (!(events & EPOLLIN))
		return;

	n = udp_recv_batch(c, uf->s, v4, false);
	for (i = 0; i < n; i++) {
		union inany_addr from;
		uint16_t port;

		/* Queued before connect() took effect: not our peer's */
		if (!inany_from_sockaddr(&from, &port, &udp_recv_from[i]) ||
		    port != hs->eport || !inany_equals(&from, &hs->eaddr))
			udp_frame_add(c, i, v4, NULL);
		else
			udp_frame_add(c, i, v4, gs);
	}
	udp_rooms_done(c, n);

	if (n)
		uf->active_s = (uint32_t)c->now.tv_sec;
}

/**
 * udp_recv_dst() - Destination address of a datagram, from its control
 *		    message
 * @mh:		Message header as recvmmsg() filled it
 * @dst:	Address, filled
 *
 * Return: true if found
 */
static bool udp_recv_dst(struct msghdr *mh, union inany_addr *dst)
{
	struct cmsghdr *cm;

	for (cm = CMSG_FIRSTHDR(mh); cm; cm = CMSG_NXTHDR(mh, cm)) {
		if (cm->cmsg_level == IPPROTO_IP &&
		    cm->cmsg_type == IP_PKTINFO) {
			struct in_pktinfo pi;

			memcpy(&pi, CMSG_DATA(cm), sizeof(pi));
			inany_from_v4(dst, pi.ipi_addr);
			return true;
		}
		if (cm->cmsg_level == IPPROTO_IPV6 &&
		    cm->cmsg_type == IPV6_PKTINFO) {
			struct in6_pktinfo pi;

			memcpy(&pi, CMSG_DATA(cm), sizeof(pi));
			inany_from_v6(dst, &pi.ipi6_addr);
			return true;
		}
	}

	return false;
}

/**
 * udp_listen_handler() - Relay datagrams reaching a forwarded port, each
 *			  through its flow, created for a new sender
 * @c:		Execution context
 * @ref:	Reference of the listening socket: rule, family and port
 * @events:	EPOLL* events
 *
 * #syscalls: getsockopt
 */
void udp_listen_handler(struct ctx *c, union epoll_ref ref, uint32_t events)
{
	bool v4 = !FWD_LISTEN_V6(ref.index);
	unsigned n, i;

	if (events & EPOLLERR) {
		int err;

		getsockopt((int)ref.fd, SOL_SOCKET, SO_ERROR, &err,
			   &(socklen_t){ sizeof(err) });
	}
	if (!(events & EPOLLIN))
		return;

	n = udp_recv_batch(c, (int)ref.fd, v4, true);
	for (i = 0; i < n; i++) {
		struct flowside host = { .oport = FWD_LISTEN_PORT(ref.index) };
		struct flow_common *f;
		struct udp_flow *uf;

		if (!inany_from_sockaddr(&host.eaddr, &host.eport,
					 &udp_recv_from[i]) ||
		    !udp_recv_dst(&udp_recv_mh[i].msg_hdr, &host.oaddr) ||
		    inany_is_multicast(&host.oaddr)) {
			udp_frame_add(c, i, v4, NULL);
			continue;
		}

		f = flow_lookup(FLOW_TYPE_UDP, FLOW_SIDE_HOST, &host);
		uf = f ? udp_flow_of(f) :
			 udp_flow_new_inbound(c, FWD_LISTEN_RULE(ref.index),
					      (int)ref.fd, &host);
		if (!uf) {
			udp_frame_add(c, i, v4, NULL);
			continue;
		}

		if (udp_frame_add(c, i, v4, &uf->f.side[FLOW_SIDE_GUEST]))
			uf->active_s = (uint32_t)c->now.tv_sec;
	}
	udp_rooms_done(c, n);
}

/**
 * udp_flow_timer() - Close a flow that has been idle for too long
 * @c:		Execution context
 * @f:		UDP flow
 */
void udp_flow_timer(struct ctx *c, struct flow_common *f)
{
	struct udp_flow *uf = udp_flow_of(f);
	unsigned timeout = c->udp_timeout ? c->udp_timeout :
					    UDP_TIMEOUT_DEFAULT;

	if ((uint32_t)c->now.tv_sec - uf->active_s >= timeout)
		udp_flow_close(c, uf, "idle");
}

/**
 * udp_listen_setup() - Options of a -u listening socket: the destination
 *			address of each datagram, and large buffers
 * @s:		Socket, not bound yet
 * @v4:		IPv4 socket, else IPv6
 *
 * Return: 0 on success, a positive errno on failure
 */
static int udp_listen_setup(int s, bool v4)
{
	if (setsockopt(s, v4 ? IPPROTO_IP : IPPROTO_IPV6,
		       v4 ? IP_PKTINFO : IPV6_RECVPKTINFO, &(int){ 1 },
		       sizeof(int)))
		return errno;

	udp_sock_bufs(s);
	return 0;
}

/**
 * udp_init() - Open the listening sockets of the -u rules
 * @c:		Execution context
 */
void udp_init(struct ctx *c)
{
	if (!c->no_udp)
		fwd_listen_table(c, &c->udp_fwd, IPPROTO_UDP, udp_listen_setup);
}
