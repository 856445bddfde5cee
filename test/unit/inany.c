// SPDX-License-Identifier: GPL-2.0-or-later
/* test/unit/inany.c - conversions between inany addresses and socket
 * addresses
 */

#include "inany.h"
#include "unit.h"

/**
 * inany_sockaddr_v4() - An IPv4-mapped address becomes AF_INET and back
 */
static void inany_sockaddr_v4(void)
{
	union inany_addr a, b;
	union sockaddr_inany sa;
	uint16_t port = 0;

	UNIT_CHECK(inany_pton("192.0.2.7", &a));
	UNIT_CHECK(inany_to_sockaddr(&sa, &a, 5353, 9) == sizeof(sa.sa4));
	UNIT_CHECK(sa.sa4.sin_family == AF_INET);
	UNIT_CHECK(sa.sa4.sin_port == htons(5353));
	UNIT_CHECK(sa.sa4.sin_addr.s_addr == htonl(0xc0000207));
	UNIT_CHECK(inany_from_sockaddr(&b, &port, &sa));
	UNIT_CHECK(inany_equals(&a, &b) && port == 5353);
}

/**
 * inany_sockaddr_v6() - IPv6 keeps the scope only for link-local addresses,
 *			 and other families are refused
 */
static void inany_sockaddr_v6(void)
{
	union inany_addr a, b;
	union sockaddr_inany sa;
	uint16_t port = 0;

	UNIT_CHECK(inany_pton("2001:db8::1", &a));
	UNIT_CHECK(inany_to_sockaddr(&sa, &a, 53, 9) == sizeof(sa.sa6));
	UNIT_CHECK(sa.sa6.sin6_family == AF_INET6 && !sa.sa6.sin6_scope_id);
	UNIT_CHECK(inany_from_sockaddr(&b, &port, &sa));
	UNIT_CHECK(inany_equals(&a, &b) && port == 53);

	UNIT_CHECK(inany_pton("fe80::1", &a));
	inany_to_sockaddr(&sa, &a, 53, 9);
	UNIT_CHECK(sa.sa6.sin6_scope_id == 9);

	sa.sa.sa_family = AF_UNIX;
	UNIT_CHECK(!inany_from_sockaddr(&b, &port, &sa));
}

/**
 * main() - Run the cases
 *
 * Return: EXIT_SUCCESS if every case passed
 */
int main(void)
{
	UNIT_RUN(inany_sockaddr_v4);
	UNIT_RUN(inany_sockaddr_v6);
	UNIT_EXIT();
}
