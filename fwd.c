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

		warn("Guest address table full (%u entries), dropping %s",
		     MAX_GUEST_ADDRS, inany_ntop(addr, buf, sizeof(buf)));
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
