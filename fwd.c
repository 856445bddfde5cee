// SPDX-License-Identifier: GPL-2.0-or-later
/* fwd.c - the guest's addresses, and the translation of addresses between
 * the guest and the host
 *
 * Every address the guest has or may use lives in one array in the context:
 * addresses given with -a, addresses copied from the host's template
 * interface, link-local addresses, and addresses seen as sources in the
 * guest's own traffic. Each entry records where it came from in its flags;
 * an address is held once, with the union of its flags.
 */

#include <errno.h>

#include "ctx.h"
#include "fwd.h"
#include "log.h"

/**
 * fwd_prefix_len_valid() - Is a prefix length in range for an address?
 * @addr:	Address, giving the family
 * @prefix_len:	Prefix length, counted in the family's own bits
 *
 * Return: true if at most 32 for IPv4, at most 128 for IPv6
 */
bool fwd_prefix_len_valid(const union inany_addr *addr, unsigned prefix_len)
{
	return prefix_len <= (inany_v4(addr) ? 32U : 128U);
}

/**
 * fwd_set_addr() - Add a guest address, or merge flags into its entry
 * @c:		Execution context
 * @addr:	Address
 * @flags:	CONF_ADDR_* bits to set
 * @prefix_len:	Prefix length (IPv4: 0 to 32); replaces the entry's unless
 *		the entry came from the user and this update does not
 *
 * Return: 0 on success, ENOSPC if the array is full, EINVAL for a prefix
 *	   length out of range or an unspecified address
 */
int fwd_set_addr(struct ctx *c, const union inany_addr *addr, uint8_t flags,
		 uint8_t prefix_len)
{
	struct guest_addr *a;

	if (!fwd_prefix_len_valid(addr, prefix_len) ||
	    inany_is_unspecified(addr))
		return EINVAL;

	for_each_addr(a, c, CONF_ADDR_ANY) {
		if (!inany_equals(&a->addr, addr))
			continue;

		/* What the user configured wins over what we learn */
		if (!(a->flags & CONF_ADDR_USER) || (flags & CONF_ADDR_USER))
			a->prefix_len = prefix_len;
		a->flags |= flags;
		return 0;
	}

	if (c->addr_count >= MAX_GUEST_ADDRS) {
		char buf[INANY_ADDRSTRLEN];
		const char *text = inany_ntop(addr, buf, sizeof(buf));

		/* Once full, each new source the guest makes up lands here */
		warn_ratelimit("Guest address table full (%u entries), "
			       "dropping %s", MAX_GUEST_ADDRS, text);
		return ENOSPC;
	}

	a = &c->addrs[c->addr_count++];
	a->addr = *addr;
	a->prefix_len = prefix_len;
	a->flags = flags;
	if (inany_is_linklocal(addr))
		a->flags |= CONF_ADDR_LINKLOCAL;

	return 0;
}

/**
 * fwd_guest_addr() - The address the guest is assigned in a family
 * @c:		Execution context
 * @v4:		true for IPv4, false for IPv6
 *
 * The first address given by the user wins, then the first one copied from
 * the host, then the first one observed. Link-local addresses are never
 * assigned.
 *
 * Return: the entry, NULL if the family has none
 */
const struct guest_addr *fwd_guest_addr(const struct ctx *c, bool v4)
{
	static const uint8_t order[] = {
		CONF_ADDR_USER, CONF_ADDR_HOST, CONF_ADDR_OBSERVED,
	};
	const struct guest_addr *a;
	unsigned i;

	for (i = 0; i < ARRAY_SIZE(order); i++) {
		for_each_addr(a, c, order[i]) {
			if (a->flags & CONF_ADDR_LINKLOCAL)
				continue;
			if (!!inany_v4(&a->addr) == v4)
				return a;
		}
	}

	return NULL;
}

/**
 * fwd_addr_is_guest() - Is this one of the guest's addresses?
 * @c:		Execution context
 * @addr:	Address
 *
 * Return: true if @addr is in the guest address array
 */
bool fwd_addr_is_guest(const struct ctx *c, const union inany_addr *addr)
{
	const struct guest_addr *a;

	for_each_addr(a, c, CONF_ADDR_ANY) {
		if (inany_equals(&a->addr, addr))
			return true;
	}

	return false;
}

/**
 * fwd_addr_observable() - Can a source address be one the guest owns?
 * @addr:	Address
 *
 * Return: false for unspecified, multicast and loopback addresses
 */
bool fwd_addr_observable(const union inany_addr *addr)
{
	return !inany_is_unspecified(addr) && !inany_is_multicast(addr) &&
	       !inany_is_loopback(addr);
}

/**
 * fwd_merge_observed() - Mark an address as observed, keeping the prefix
 *			  length of an entry that already holds it
 * @c:		Execution context
 * @addr:	Address
 * @prefix_len:	Prefix length if the address is new
 *
 * Return: as fwd_set_addr()
 */
int fwd_merge_observed(struct ctx *c, const union inany_addr *addr,
		       uint8_t prefix_len)
{
	const struct guest_addr *a;

	for_each_addr(a, c, CONF_ADDR_ANY) {
		if (inany_equals(&a->addr, addr)) {
			prefix_len = a->prefix_len;
			break;
		}
	}

	return fwd_set_addr(c, addr, CONF_ADDR_OBSERVED, prefix_len);
}

/**
 * fwd_observe_addr() - Record a source address seen in the guest's traffic
 * @c:		Execution context
 * @addr:	Source address of a guest packet
 *
 * Sources that fwd_addr_observable() refuses are not addresses the guest
 * owns, and are ignored.
 */
void fwd_observe_addr(struct ctx *c, const union inany_addr *addr)
{
	const struct guest_addr *a;

	if (!fwd_addr_observable(addr))
		return;

	/* Fast path: already known as observed */
	for_each_addr(a, c, CONF_ADDR_OBSERVED) {
		if (inany_equals(&a->addr, addr))
			return;
	}

	fwd_merge_observed(c, addr, inany_v4(addr) ? 32 : 128);
}

/**
 * fwd_fam() - Configuration of the family of an address
 * @c:		Execution context
 * @a:		Address
 *
 * Return: &c->ip4 or &c->ip6
 */
static const struct fam_ctx *fwd_fam(const struct ctx *c,
				     const union inany_addr *a)
{
	return inany_v4(a) ? &c->ip4 : &c->ip6;
}

/**
 * fwd_addr_usable() - Can this be one end of a unicast flow?
 * @a:		Address
 *
 * Return: false for unspecified, multicast and broadcast addresses
 */
static bool fwd_addr_usable(const union inany_addr *a)
{
	return !inany_is_unspecified(a) && !inany_is_multicast(a);
}

/**
 * fwd_nat_outbound() - Decide where a flow the guest opens goes on the host
 * @c:		Execution context
 * @proto:	IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP or IPPROTO_ICMPV6
 * @guest:	Guest side: the guest's address and port, and the destination
 *		as the guest sees it
 * @host:	Host side, filled: the peer to reach, and the address (or
 *		unspecified) and port (or 0) to bind, where the kernel picks
 *		what is left unspecified
 *
 * A destination that is the map_host_loopback address reaches the host's
 * loopback, one that is the map_guest_addr address reaches the address
 * the guest was given (the host's own, which the guest's shadows), DNS
 * queries to dns_match go to dns_host, and anything else is used as it
 * is, from the -o address if one is set. UDP keeps the guest's source port
 * so that replies find the flow; TCP and echo let the kernel choose.
 *
 * Return: 0 on success, EINVAL if the destination can't be reached from
 *	   the guest (unspecified, multicast, loopback, port 0), EHOSTUNREACH
 *	   for a mapping to an address the family doesn't have
 */
int fwd_nat_outbound(const struct ctx *c, uint8_t proto,
		     const struct flowside *guest, struct flowside *host)
{
	const struct fam_ctx *fam = fwd_fam(c, &guest->oaddr);
	const union inany_addr *dst = &guest->oaddr;
	bool ports = proto == IPPROTO_TCP || proto == IPPROTO_UDP;

	memset(host, 0, sizeof(*host));

	if (!fwd_addr_usable(dst) || inany_is_loopback(dst) ||
	    (ports && !guest->oport) ||
	    !inany_v4(dst) != !inany_v4(&guest->eaddr))
		return EINVAL;

	host->eport = guest->oport;
	host->oport = proto == IPPROTO_UDP ? guest->eport : 0;

	if (ports && guest->oport == 53 &&
	    !inany_is_unspecified(&fam->dns_match) &&
	    inany_equals(dst, &fam->dns_match) &&
	    !inany_is_unspecified(&fam->dns_host)) {
		host->eaddr = fam->dns_host;
	} else if (!inany_is_unspecified(&fam->map_host_loopback) &&
		   inany_equals(dst, &fam->map_host_loopback)) {
		if (inany_v4(dst))
			inany_from_v4(&host->eaddr,
				      (struct in_addr){ htonl(INADDR_LOOPBACK) });
		else
			inany_from_v6(&host->eaddr, &in6addr_loopback);
	} else if (!inany_is_unspecified(&fam->map_guest_addr) &&
		   inany_equals(dst, &fam->map_guest_addr)) {
		const struct guest_addr *a = fwd_guest_addr(c, !!inany_v4(dst));

		if (!a)
			return EHOSTUNREACH;
		host->eaddr = a->addr;
	} else {
		host->eaddr = *dst;
	}

	/* Loopback is only reached from a loopback source */
	if (inany_is_loopback(&host->eaddr)) {
		if (inany_v4(dst))
			inany_from_v4(&host->oaddr,
				      (struct in_addr){ htonl(INADDR_ANY) });
		else
			inany_from_v6(&host->oaddr, &in6addr_any);
	} else {
		host->oaddr = fam->addr_out;
		if (inany_is_unspecified(&host->oaddr) && inany_v4(dst))
			inany_from_v4(&host->oaddr,
				      (struct in_addr){ htonl(INADDR_ANY) });
	}

	return 0;
}

/**
 * fwd_guest_dst() - Guest address that a host-initiated flow goes to
 * @c:		Execution context
 * @v4:		IPv4 (else IPv6)
 * @linklocal:	The source is IPv6 link-local: pick a link-local address
 *
 * The address the guest was last seen using wins over the one it was
 * given, as it is the one it answers on.
 *
 * Return: the address, NULL if the guest has none
 */
const union inany_addr *fwd_guest_dst(const struct ctx *c, bool v4,
				      bool linklocal)
{
	const struct guest_addr *a;

	for_each_addr(a, c, CONF_ADDR_OBSERVED) {
		if (!!inany_v4(&a->addr) == v4 &&
		    !!(a->flags & CONF_ADDR_LINKLOCAL) == linklocal)
			return &a->addr;
	}

	if (linklocal)
		return NULL;

	a = fwd_guest_addr(c, v4);
	return a ? &a->addr : NULL;
}

/**
 * fwd_nat_inbound_src() - How a host source address appears in the guest
 * @c:		Execution context
 * @src:	Source address on the host side
 * @out:	Address the guest sees, filled
 *
 * The source is itself, except where the guest couldn't reply to it: the
 * host's loopback appears as the map_host_loopback address, the host's own
 * address (the guest's) as the map_guest_addr address, and without a
 * mapping both, like an unspecified source, appear as our address (the
 * gateway).
 *
 * Return: 0 on success, EHOSTUNREACH if there is no usable translation
 */
int fwd_nat_inbound_src(const struct ctx *c, const union inany_addr *src,
			union inany_addr *out)
{
	const struct fam_ctx *fam = fwd_fam(c, src);

	memset(out, 0, sizeof(*out));
	if (inany_is_loopback(src))
		*out = fam->map_host_loopback;
	else if (fwd_addr_is_guest(c, src))
		*out = fam->map_guest_addr;
	else if (!inany_is_unspecified(src) && !inany_is_multicast(src))
		*out = *src;

	if (inany_is_unspecified(out))
		*out = fam->gw;
	if (!fwd_addr_usable(out) || !inany_v4(out) != !inany_v4(src))
		return EHOSTUNREACH;

	return 0;
}

/**
 * fwd_nat_inbound() - Decide how a flow from the host appears in the guest
 * @c:		Execution context
 * @proto:	IPPROTO_TCP or IPPROTO_UDP
 * @rule:	Forwarding rule the host port matched
 * @host:	Host side: the peer, and our socket's address and port
 * @guest:	Guest side, filled
 *
 * The guest port follows from the rule, the source address from
 * fwd_nat_inbound_src().
 *
 * Return: 0 on success, EHOSTUNREACH if the guest has no address in the
 *	   family or the source has no usable translation
 */
int fwd_nat_inbound(const struct ctx *c, uint8_t proto,
		    const struct fwd_rule *rule, const struct flowside *host,
		    struct flowside *guest)
{
	bool v4 = !!inany_v4(&host->eaddr);
	const union inany_addr *dst;

	(void)proto;
	memset(guest, 0, sizeof(*guest));

	if (fwd_nat_inbound_src(c, &host->eaddr, &guest->oaddr))
		return EHOSTUNREACH;

	dst = fwd_guest_dst(c, v4, !v4 && inany_is_linklocal(&guest->oaddr));
	if (!dst)
		return EHOSTUNREACH;

	guest->eaddr = *dst;
	guest->eport = (uint16_t)(rule->to + (host->oport - rule->first));
	guest->oport = host->eport;

	return 0;
}
