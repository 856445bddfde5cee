// SPDX-License-Identifier: GPL-2.0-or-later
/* icmp.c - ICMP and ICMPv6 echo from the guest through host ping sockets
 *
 * Each (guest source, destination, echo identifier) is a flow with its own
 * unprivileged ping socket (SOCK_DGRAM, IPPROTO_ICMP or IPPROTO_ICMPV6):
 * the kernel gives the socket an identifier of its own and fills in
 * checksums on the way out; replies get the guest's identifier back, and
 * the addresses the guest used, on the way in. Where a request goes is
 * fwd_nat_outbound()'s decision, as for every protocol: an echo to the
 * map_host_loopback address reaches the host's loopback, and its replies
 * appear to come from that address.
 *
 * A flow lasts as long as the guest keeps sending requests, and is closed
 * ICMP_FLOW_TIMEOUT_MS after the last one.
 */

#include <errno.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ctx.h"
#include "epoll_ref.h"
#include "flow.h"
#include "frame.h"
#include "fwd.h"
#include "icmp.h"
#include "l2.h"
#include "log.h"
#include "pkt.h"
#include "util.h"

#define ICMP_ECHO_REPLY		0
#define ICMP_ECHO_REQUEST	8
#define ICMPV6_ECHO_REQUEST	128
#define ICMPV6_ECHO_REPLY	129
/* Type, code, checksum, identifier, sequence number */
#define ICMP_ECHO_HLEN		8
#define ICMP_ID_OFF		4

#define ICMP_FLOW_TIMEOUT_MS	(60 * MS_PER_SEC)
/* Replies read per wakeup: the rest wait for the next pass of the loop */
#define ICMP_REPLIES_PER_EVENT	8
#define ICMP_REPLY_TTL		64

/**
 * struct icmp_flow - State of one echo flow
 * @f:		Flow table header: guest side eaddr/oaddr are the guest's
 *		source and destination, eport and oport its identifier
 * @sock:	Ping socket
 * @last:	Time of the guest's last request
 */
struct icmp_flow {
	struct flow_common f;
	int sock;
	struct timespec last;
};

_Static_assert(sizeof(struct icmp_flow) <= FLOW_ENTRY_SIZE,
	       "ICMP flow state must fit a flow table entry");

static uint8_t icmp_buf[L2_MAX_LEN];

/**
 * icmp_flow_close() - Close a flow's socket and retire the flow
 * @c:		Execution context
 * @fl:		Flow
 */
static void icmp_flow_close(const struct ctx *c, struct icmp_flow *fl)
{
	epoll_ref_del(c->epollfd, fl->sock);
	close(fl->sock);
	fl->sock = -1;
	flow_close(&fl->f);
}

/**
 * icmp_sock_open() - Open the ping socket of a new flow
 * @c:		Execution context
 * @host:	Host side of the flow, from fwd_nat_outbound()
 *
 * Return: the socket, -1 on failure (logged)
 */
static int icmp_sock_open(const struct ctx *c, const struct flowside *host)
{
	bool v4 = !!inany_v4(&host->eaddr);
	union sockaddr_inany sa;
	int s;

	s = socket(v4 ? AF_INET : AF_INET6,
		   SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		   v4 ? IPPROTO_ICMP : IPPROTO_ICMPV6);
	if (s < 0) {
		static bool warned;

		/* Unprivileged ping sockets need the group in the sysctl */
		if (!warned) {
			warn("Can't open ping socket: %s, check sysctl "
			     "net.ipv4.ping_group_range", strerror(errno));
			warned = true;
		}
		return -1;
	}
	if (s > EPOLL_REF_FD_MAX) {
		close(s);
		return -1;
	}

	/* With -o, requests leave from the address given */
	if (!inany_is_unspecified(&host->oaddr)) {
		socklen_t sl = inany_to_sockaddr(&sa, &host->oaddr, 0,
						 c->ip6.ifi);

		if (bind(s, &sa.sa, sl)) {
			debug_ratelimit("ICMP: can't bind ping socket: %s",
					strerror(errno));
			close(s);
			return -1;
		}
	}

	return s;
}

/**
 * icmp_flow_new() - Set up a flow for a new guest echo identifier
 * @c:		Execution context
 * @guest:	Guest side of the flow
 * @proto:	IPPROTO_ICMP or IPPROTO_ICMPV6
 *
 * Return: the flow, NULL if it can't be set up (logged)
 */
static struct icmp_flow *icmp_flow_new(struct ctx *c,
				       const struct flowside *guest,
				       uint8_t proto)
{
	union epoll_ref ref = { .type = EPOLL_TYPE_PING };
	struct flowside host;
	struct icmp_flow *fl;
	struct flow_common *f;
	int s;

	if (fwd_nat_outbound(c, proto, guest, &host)) {
		debug_ratelimit("ICMP: echo to an unreachable destination");
		return NULL;
	}

	f = flow_alloc();
	if (!f) {
		warn_ratelimit("ICMP: flow table full, echo request dropped");
		return NULL;
	}
	fl = (struct icmp_flow *)(void *)f;

	s = icmp_sock_open(c, &host);
	if (s < 0) {
		flow_alloc_cancel(f);
		return NULL;
	}

	f->type = FLOW_TYPE_PING;
	f->side[FLOW_SIDE_GUEST] = *guest;
	f->side[FLOW_SIDE_HOST] = host;
	fl->sock = s;
	fl->last = c->now;

	ref.fd = (uint32_t)s;
	ref.index = flow_idx(f);
	if (epoll_ref_add(c->epollfd, EPOLLIN, ref) ||
	    flow_hash_insert(f, FLOW_SIDE_GUEST)) {
		debug_ratelimit("ICMP: can't register ping socket");
		icmp_flow_close(c, fl);
		return NULL;
	}

	flow_log(f, LOG_DEBUG, "new echo flow");
	return fl;
}

/**
 * icmp_tap_handler() - Relay an echo request from the guest
 * @c:		Execution context
 * @p:		Parsed ICMP or ICMPv6 packet
 *
 * Return: true if the packet was an echo request and is consumed
 */
bool icmp_tap_handler(struct ctx *c, const struct pkt *p)
{
	uint8_t proto = p->v4 ? IPPROTO_ICMP : IPPROTO_ICMPV6;
	struct flowside guest = { 0 };
	union sockaddr_inany sa;
	struct icmp_flow *fl;
	struct flow_common *f;
	socklen_t sl;

	if (c->no_icmp || p->proto != proto || p->l4_len < 1 ||
	    p->l4[0] != (p->v4 ? ICMP_ECHO_REQUEST : ICMPV6_ECHO_REQUEST))
		return false;

	if (p->l4_len < ICMP_ECHO_HLEN) {
		debug_ratelimit("ICMP: echo request too short");
		return true;
	}

	guest.eaddr = p->src;
	guest.oaddr = p->dst;
	guest.eport = guest.oport = get_be16(p->l4 + ICMP_ID_OFF);

	f = flow_lookup(FLOW_TYPE_PING, FLOW_SIDE_GUEST, &guest);
	if (f)
		fl = (struct icmp_flow *)(void *)f;
	else if (!(fl = icmp_flow_new(c, &guest, proto)))
		return true;

	fl->last = c->now;
	sl = inany_to_sockaddr(&sa, &fl->f.side[FLOW_SIDE_HOST].eaddr, 0,
			       c->ip6.ifi);
	if (sendto(fl->sock, p->l4, p->l4_len, MSG_NOSIGNAL, &sa.sa, sl) < 0)
		debug_ratelimit("ICMP: echo request not sent: %s",
				strerror(errno));

	return true;
}

/**
 * icmp_sock_handler() - Relay echo replies to the guest
 * @c:		Execution context
 * @ref:	Reference of the ping socket
 * @events:	EPOLL* events
 */
void icmp_sock_handler(struct ctx *c, union epoll_ref ref, uint32_t events)
{
	struct flow_common *f = flow_at(ref.index, FLOW_TYPE_PING);
	const struct flowside *guest;
	struct icmp_flow *fl;
	uint8_t *l4;
	size_t max;
	bool v4;
	int i;

	(void)events;
	if (!f)
		return;		/* closed earlier in this pass */
	fl = (struct icmp_flow *)(void *)f;
	guest = &f->side[FLOW_SIDE_GUEST];
	v4 = !!inany_v4(&guest->eaddr);
	l4 = icmp_buf + frame_l4_off(v4);
	max = sizeof(icmp_buf) - frame_l4_off(v4);

	for (i = 0; i < ICMP_REPLIES_PER_EVENT; i++) {
		ssize_t n = recv(fl->sock, l4, max, MSG_DONTWAIT | MSG_TRUNC);
		size_t len;

		if (n < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK &&
			    errno != EINTR)
				debug_ratelimit("ICMP: receive error: %s",
						strerror(errno));
			return;
		}
		len = (size_t)n;
		if (len < ICMP_ECHO_HLEN || len > max ||
		    l4[0] != (v4 ? ICMP_ECHO_REPLY : ICMPV6_ECHO_REPLY)) {
			debug_ratelimit("ICMP: unexpected reply dropped");
			continue;
		}

		/* The kernel's identifier goes, the guest's comes back */
		put_be16(l4 + ICMP_ID_OFF, guest->eport);
		len = frame_ip(c, icmp_buf, NULL, v4, &guest->oaddr,
			       &guest->eaddr,
			       v4 ? IPPROTO_ICMP : IPPROTO_ICMPV6,
			       ICMP_REPLY_TTL, len);
		l2_send_single(c, icmp_buf, len);
	}
}

/**
 * icmp_flow_timer() - Close an echo flow the guest stopped using
 * @c:		Execution context
 * @f:		Flow, of type FLOW_TYPE_PING
 */
void icmp_flow_timer(struct ctx *c, struct flow_common *f)
{
	struct icmp_flow *fl = (struct icmp_flow *)(void *)f;

	if (timespec_diff_ms(&c->now, &fl->last) < ICMP_FLOW_TIMEOUT_MS)
		return;

	flow_log(f, LOG_DEBUG, "echo flow idle, closing");
	icmp_flow_close(c, fl);
}
