/* SPDX-License-Identifier: GPL-2.0-or-later */
/* inany.h - one type for IPv4 and IPv6 addresses: IPv4 is held IPv4-mapped
 * (::ffff:a.b.c.d) in 16 bytes, so tables and comparisons need no family
 * switch
 */

#ifndef INANY_H
#define INANY_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

union inany_addr {
	struct in6_addr a6;
	struct {
		uint8_t zero[10];
		uint8_t one[2];
		struct in_addr a4;
	} v4mapped;
	uint32_t u32[4];
};

/* Longest text form, with room for the terminator */
#define INANY_ADDRSTRLEN	INET6_ADDRSTRLEN

/**
 * inany_v4() - IPv4 address held in an inany, if it is one
 * @a:		Address
 *
 * Return: pointer to the IPv4 address, NULL if @a is IPv6
 */
static inline const struct in_addr *inany_v4(const union inany_addr *a)
{
	if (!IN6_IS_ADDR_V4MAPPED(&a->a6))
		return NULL;
	return &a->v4mapped.a4;
}

/**
 * inany_from_v4() - Build an inany from an IPv4 address
 * @a:		Destination
 * @v4:		IPv4 address
 */
static inline void inany_from_v4(union inany_addr *a, struct in_addr v4)
{
	memset(a->v4mapped.zero, 0, sizeof(a->v4mapped.zero));
	memset(a->v4mapped.one, 0xff, sizeof(a->v4mapped.one));
	a->v4mapped.a4 = v4;
}

/**
 * inany_from_v6() - Build an inany from an IPv6 address
 * @a:		Destination
 * @v6:		IPv6 address
 */
static inline void inany_from_v6(union inany_addr *a,
				 const struct in6_addr *v6)
{
	a->a6 = *v6;
}

/**
 * inany_equals() - Compare two addresses
 * @a:		First address
 * @b:		Second address
 *
 * Return: true if they are the same address
 */
static inline bool inany_equals(const union inany_addr *a,
				const union inany_addr *b)
{
	return !memcmp(a, b, sizeof(*a));
}

/**
 * inany_is_unspecified() - Is this 0.0.0.0 (mapped) or ::?
 * @a:		Address
 *
 * Return: true if unspecified in its family
 */
static inline bool inany_is_unspecified(const union inany_addr *a)
{
	const struct in_addr *v4 = inany_v4(a);

	if (v4)
		return v4->s_addr == htonl(INADDR_ANY);
	return IN6_IS_ADDR_UNSPECIFIED(&a->a6);
}

/**
 * inany_is_loopback() - Is this in 127.0.0.0/8 or ::1?
 * @a:		Address
 *
 * Return: true for a loopback address
 */
static inline bool inany_is_loopback(const union inany_addr *a)
{
	const struct in_addr *v4 = inany_v4(a);

	if (v4)
		return (ntohl(v4->s_addr) >> 24) == IN_LOOPBACKNET;
	return IN6_IS_ADDR_LOOPBACK(&a->a6);
}

/**
 * inany_is_linklocal() - Is this in 169.254.0.0/16 or fe80::/10?
 * @a:		Address
 *
 * Return: true for a link-local address
 */
static inline bool inany_is_linklocal(const union inany_addr *a)
{
	const struct in_addr *v4 = inany_v4(a);

	if (v4)
		return (ntohl(v4->s_addr) >> 16) == 0xa9fe;
	return IN6_IS_ADDR_LINKLOCAL(&a->a6);
}

/**
 * inany_is_multicast() - Is this a multicast (or IPv4 broadcast) address?
 * @a:		Address
 *
 * Return: true for multicast, and for the IPv4 limited broadcast address
 */
static inline bool inany_is_multicast(const union inany_addr *a)
{
	const struct in_addr *v4 = inany_v4(a);

	if (v4)
		return IN_MULTICAST(ntohl(v4->s_addr)) ||
		       v4->s_addr == htonl(INADDR_BROADCAST);
	return IN6_IS_ADDR_MULTICAST(&a->a6);
}

/**
 * inany_ntop() - Text form of an address
 * @a:		Address
 * @buf:	Destination, at least INANY_ADDRSTRLEN bytes
 * @size:	Size of @buf
 *
 * Return: @buf
 */
static inline const char *inany_ntop(const union inany_addr *a, char *buf,
				     size_t size)
{
	const struct in_addr *v4 = inany_v4(a);

	if (v4)
		return inet_ntop(AF_INET, v4, buf, (socklen_t)size);
	return inet_ntop(AF_INET6, &a->a6, buf, (socklen_t)size);
}

/**
 * inany_pton() - Parse an IPv4 or IPv6 address
 * @src:	Text
 * @a:		Destination
 *
 * Return: true on success
 */
static inline bool inany_pton(const char *src, union inany_addr *a)
{
	struct in_addr v4;

	if (inet_pton(AF_INET, src, &v4) == 1) {
		inany_from_v4(a, v4);
		return true;
	}
	return inet_pton(AF_INET6, src, &a->a6) == 1;
}

/**
 * union sockaddr_inany - Socket address of either family
 * @sa:		Generic form, for the socket calls
 * @sa4:	IPv4
 * @sa6:	IPv6
 */
union sockaddr_inany {
	struct sockaddr sa;
	struct sockaddr_in sa4;
	struct sockaddr_in6 sa6;
};

/**
 * inany_to_sockaddr() - Build a socket address from an address and a port
 * @sa:		Destination
 * @a:		Address: IPv4-mapped gives an AF_INET address
 * @port:	Port, host order
 * @scope_id:	Interface for an IPv6 link-local address, else ignored
 *
 * Return: length of the socket address
 */
static inline socklen_t inany_to_sockaddr(union sockaddr_inany *sa,
					  const union inany_addr *a,
					  uint16_t port, uint32_t scope_id)
{
	const struct in_addr *v4 = inany_v4(a);

	memset(sa, 0, sizeof(*sa));
	if (v4) {
		sa->sa4.sin_family = AF_INET;
		sa->sa4.sin_addr = *v4;
		sa->sa4.sin_port = htons(port);
		return sizeof(sa->sa4);
	}

	sa->sa6.sin6_family = AF_INET6;
	sa->sa6.sin6_addr = a->a6;
	sa->sa6.sin6_port = htons(port);
	if (IN6_IS_ADDR_LINKLOCAL(&a->a6))
		sa->sa6.sin6_scope_id = scope_id;
	return sizeof(sa->sa6);
}

/**
 * inany_from_sockaddr() - Take the address and port of a socket address
 * @a:		Address, filled
 * @port:	Port, host order, filled
 * @sa:		AF_INET or AF_INET6 socket address
 *
 * Return: true on success, false for another family
 */
static inline bool inany_from_sockaddr(union inany_addr *a, uint16_t *port,
				       const union sockaddr_inany *sa)
{
	if (sa->sa.sa_family == AF_INET) {
		inany_from_v4(a, sa->sa4.sin_addr);
		*port = ntohs(sa->sa4.sin_port);
		return true;
	}
	if (sa->sa.sa_family == AF_INET6) {
		inany_from_v6(a, &sa->sa6.sin6_addr);
		*port = ntohs(sa->sa6.sin6_port);
		return true;
	}
	return false;
}

#endif /* INANY_H */
