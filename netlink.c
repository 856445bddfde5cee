// SPDX-License-Identifier: GPL-2.0-or-later
/* netlink.c - questions to the host's routing tables and interfaces over
 * rtnetlink: default routes and interface addresses
 *
 * Used once at start-up, to pick the template interface and copy its
 * addresses and gateway: the socket is opened for that and closed again.
 * Everything the kernel sends is length-checked before it is read.
 */

#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "netlink.h"
#include "util.h"

/* How long the kernel may take to answer, so that start-up can't hang */
#define NL_TIMEOUT_SEC		2

static int nl_sock = -1;
static uint32_t nl_seq;
/* Receive buffer: aligned for struct nlmsghdr, larger than a dump part */
static uint32_t nl_buf[65536 / sizeof(uint32_t)];

/**
 * typedef nl_msg_fn - Handler for one message of a dump
 * @nh:		Message, its length checked against the datagram
 * @arg:	Handler state
 */
typedef void (*nl_msg_fn)(const struct nlmsghdr *nh, void *arg);

/**
 * nl_open() - Open the rtnetlink socket
 *
 * Return: 0 on success, a positive errno on failure
 */
int nl_open(void)
{
	struct sockaddr_nl addr = { .nl_family = AF_NETLINK };
	struct timeval tv = { .tv_sec = NL_TIMEOUT_SEC };

	nl_sock = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (nl_sock < 0)
		return errno;

	if (bind(nl_sock, (struct sockaddr *)&addr, sizeof(addr)) ||
	    setsockopt(nl_sock, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv))) {
		int rc = errno;

		nl_close();
		return rc;
	}

	return 0;
}

/**
 * nl_close() - Close the rtnetlink socket
 */
void nl_close(void)
{
	if (nl_sock >= 0)
		close(nl_sock);
	nl_sock = -1;
}

/**
 * nl_dump() - Send a dump request and hand each answer to a handler
 * @req:	Request, its header filled but for the sequence number
 * @fn:		Handler for each message
 * @arg:	Handler state
 *
 * Return: 0 on success, a positive errno on failure
 */
static int nl_dump(struct nlmsghdr *req, nl_msg_fn fn, void *arg)
{
	uint32_t seq = ++nl_seq;

	req->nlmsg_seq = seq;
	if (send(nl_sock, req, req->nlmsg_len, 0) < 0)
		return errno;

	for (;;) {
		size_t off = 0, len;
		ssize_t n;

		n = recv(nl_sock, nl_buf, sizeof(nl_buf), 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno;
		}
		if (!n)
			return EIO;

		/* NLMSG_OK() compares signed and unsigned: check by hand */
		len = (size_t)n;
		while (off < len && len - off >= sizeof(struct nlmsghdr)) {
			const struct nlmsghdr *nh = (const struct nlmsghdr *)
				((const char *)nl_buf + off);

			if (nh->nlmsg_len < sizeof(*nh) ||
			    nh->nlmsg_len > len - off)
				break;
			off += NLMSG_ALIGN(nh->nlmsg_len);

			if (nh->nlmsg_seq != seq)
				continue;
			if (nh->nlmsg_type == NLMSG_DONE)
				return 0;
			if (nh->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = NLMSG_DATA(nh);

				if (nh->nlmsg_len < NLMSG_LENGTH(sizeof(*e)))
					return EIO;
				return e->error ? -e->error : 0;
			}
			fn(nh, arg);
		}
	}
}

/**
 * nl_copy_addr() - Read an address attribute of a family
 * @af:		AF_INET or AF_INET6
 * @rta:	Attribute
 * @a:		Address, set on success
 *
 * Return: true if the attribute holds an address of @af
 */
static bool nl_copy_addr(sa_family_t af, const struct rtattr *rta,
			 union inany_addr *a)
{
	if (af == AF_INET && RTA_PAYLOAD(rta) == sizeof(struct in_addr)) {
		struct in_addr v4;

		memcpy(&v4, RTA_DATA(rta), sizeof(v4));
		inany_from_v4(a, v4);
		return true;
	}
	if (af == AF_INET6 && RTA_PAYLOAD(rta) == sizeof(struct in6_addr)) {
		memcpy(&a->a6, RTA_DATA(rta), sizeof(a->a6));
		return true;
	}

	return false;
}

/**
 * struct nl_route_req - State of a default route search
 * @af:		Address family searched
 * @ifi:	Only routes through this interface, 0 for any
 * @found:	A route was found
 * @oif:	Interface of the best route so far
 * @metric:	Metric of the best route so far
 * @gw:		Gateway of the best route so far, unspecified if none
 */
struct nl_route_req {
	sa_family_t af;
	unsigned ifi;
	bool found;
	unsigned oif;
	uint32_t metric;
	union inany_addr gw;
};

/**
 * nl_route_multipath() - Pick the first usable next hop of a multipath route
 * @r:		Search state, giving the family and interface wanted
 * @rta:	RTA_MULTIPATH attribute
 * @oif:	Interface of the next hop, set if one is usable
 * @gw:		Gateway of the next hop, set if one is usable
 */
static void nl_route_multipath(const struct nl_route_req *r,
			       const struct rtattr *rta, unsigned *oif,
			       union inany_addr *gw)
{
	const struct rtnexthop *nh = RTA_DATA(rta);
	int left = (int)RTA_PAYLOAD(rta);

	while (left >= (int)sizeof(*nh) && RTNH_OK(nh, left)) {
		const struct rtattr *a = RTNH_DATA(nh);
		int alen = (int)(nh->rtnh_len - RTNH_LENGTH(0));

		if (!r->ifi || (unsigned)nh->rtnh_ifindex == r->ifi) {
			*oif = (unsigned)nh->rtnh_ifindex;
			for (; RTA_OK(a, alen); a = RTA_NEXT(a, alen)) {
				if (a->rta_type == RTA_GATEWAY)
					nl_copy_addr(r->af, a, gw);
			}
			return;
		}

		left -= RTNH_ALIGN(nh->rtnh_len);
		nh = RTNH_NEXT(nh);
	}
}

/**
 * nl_route_cb() - Consider one route as the default route
 * @nh:		RTM_NEWROUTE message
 * @arg:	struct nl_route_req
 */
static void nl_route_cb(const struct nlmsghdr *nh, void *arg)
{
	struct nl_route_req *r = arg;
	const struct rtmsg *rtm = NLMSG_DATA(nh);
	union inany_addr gw = { .u32 = { 0 } };
	const struct rtattr *rta;
	uint32_t metric = 0;
	unsigned oif = 0;
	int len;	/* int: RTA_NEXT() may take it below zero */

	if (nh->nlmsg_type != RTM_NEWROUTE ||
	    nh->nlmsg_len < NLMSG_LENGTH(sizeof(*rtm)))
		return;
	if (rtm->rtm_family != r->af || rtm->rtm_dst_len ||
	    rtm->rtm_table != RT_TABLE_MAIN || rtm->rtm_type != RTN_UNICAST)
		return;

	len = (int)RTM_PAYLOAD(nh);
	for (rta = RTM_RTA(rtm); RTA_OK(rta, len); rta = RTA_NEXT(rta, len)) {
		switch (rta->rta_type) {
		case RTA_OIF:
			if (RTA_PAYLOAD(rta) == sizeof(uint32_t))
				memcpy(&oif, RTA_DATA(rta), sizeof(oif));
			break;
		case RTA_GATEWAY:
			nl_copy_addr(r->af, rta, &gw);
			break;
		case RTA_PRIORITY:
			if (RTA_PAYLOAD(rta) == sizeof(uint32_t))
				memcpy(&metric, RTA_DATA(rta), sizeof(metric));
			break;
		case RTA_MULTIPATH:
			nl_route_multipath(r, rta, &oif, &gw);
			break;
		default:
			break;
		}
	}

	if (!oif || (r->ifi && oif != r->ifi))
		return;
	if (r->found && metric >= r->metric)
		return;

	r->found = true;
	r->oif = oif;
	r->metric = metric;
	r->gw = gw;
}

/**
 * nl_default_route() - Find the default route of a family
 * @af:		AF_INET or AF_INET6
 * @ifi:	Only consider routes through this interface, 0 for any
 * @gw:		Gateway of the route, unspecified if it has none
 *
 * The route with the lowest metric in the main table wins.
 *
 * Return: interface index of the route, 0 if there is none
 */
unsigned nl_default_route(sa_family_t af, unsigned ifi, union inany_addr *gw)
{
	struct {
		struct nlmsghdr nh;
		struct rtmsg rtm;
	} req = {
		.nh.nlmsg_len = sizeof(req),
		.nh.nlmsg_type = RTM_GETROUTE,
		.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP,
		.rtm.rtm_family = (unsigned char)af,
		.rtm.rtm_table = RT_TABLE_MAIN,
	};
	struct nl_route_req r = { .af = af, .ifi = ifi };

	memset(gw, 0, sizeof(*gw));
	if (nl_dump(&req.nh, nl_route_cb, &r) || !r.found)
		return 0;

	*gw = r.gw;
	return r.oif;
}

/**
 * struct nl_addr_req - State of an address dump
 * @af:		Address family wanted
 * @ifi:	Interface wanted
 * @out:	Addresses found
 * @max:	Room in @out
 * @count:	Entries used in @out
 */
struct nl_addr_req {
	sa_family_t af;
	unsigned ifi;
	struct nl_addr *out;
	int max;
	int count;
};

/**
 * nl_addr_cb() - Keep one address if it is usable and on the interface
 * @nh:		RTM_NEWADDR message
 * @arg:	struct nl_addr_req
 */
static void nl_addr_cb(const struct nlmsghdr *nh, void *arg)
{
	const struct ifaddrmsg *ifa = NLMSG_DATA(nh);
	struct nl_addr_req *r = arg;
	bool have_local = false, have_addr = false;
	union inany_addr local, address;
	const struct rtattr *rta;
	uint32_t flags;
	int len;	/* int: RTA_NEXT() may take it below zero */

	if (nh->nlmsg_type != RTM_NEWADDR ||
	    nh->nlmsg_len < NLMSG_LENGTH(sizeof(*ifa)))
		return;
	if (ifa->ifa_family != r->af || ifa->ifa_index != r->ifi ||
	    r->count >= r->max)
		return;
	if (ifa->ifa_scope != RT_SCOPE_UNIVERSE &&
	    ifa->ifa_scope != RT_SCOPE_LINK)
		return;

	flags = ifa->ifa_flags;
	len = (int)IFA_PAYLOAD(nh);
	for (rta = IFA_RTA(ifa); RTA_OK(rta, len); rta = RTA_NEXT(rta, len)) {
		if (rta->rta_type == IFA_LOCAL)
			have_local = nl_copy_addr(r->af, rta, &local);
		else if (rta->rta_type == IFA_ADDRESS)
			have_addr = nl_copy_addr(r->af, rta, &address);
		else if (rta->rta_type == IFA_FLAGS &&
			 RTA_PAYLOAD(rta) == sizeof(flags))
			memcpy(&flags, RTA_DATA(rta), sizeof(flags));
	}

	/* Addresses being given up, or found duplicate, are no use */
	if (flags & (IFA_F_DEPRECATED | IFA_F_DADFAILED))
		return;
	/* Privacy addresses are the host's own short-lived identities */
	if (r->af == AF_INET6 && (flags & IFA_F_TEMPORARY))
		return;
	/* On point-to-point links IFA_ADDRESS is the peer's */
	if (!have_local && !have_addr)
		return;

	r->out[r->count].addr = have_local ? local : address;
	r->out[r->count].prefix_len = ifa->ifa_prefixlen;
	r->out[r->count].linklocal = ifa->ifa_scope == RT_SCOPE_LINK;
	r->count++;
}

/**
 * nl_addrs() - List the addresses of an interface in one family
 * @af:		AF_INET or AF_INET6
 * @ifi:	Interface index
 * @out:	Addresses, in the kernel's order (primary ones first)
 * @max:	Room in @out
 *
 * Host-scope, deprecated, duplicate and IPv6 temporary addresses are left
 * out.
 *
 * Return: number of addresses, negative errno on failure
 */
int nl_addrs(sa_family_t af, unsigned ifi, struct nl_addr *out, int max)
{
	struct {
		struct nlmsghdr nh;
		struct ifaddrmsg ifa;
	} req = {
		.nh.nlmsg_len = sizeof(req),
		.nh.nlmsg_type = RTM_GETADDR,
		.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP,
		.ifa.ifa_family = (unsigned char)af,
	};
	struct nl_addr_req r = { .af = af, .ifi = ifi, .out = out, .max = max };
	int rc = nl_dump(&req.nh, nl_addr_cb, &r);

	return rc ? -rc : r.count;
}
