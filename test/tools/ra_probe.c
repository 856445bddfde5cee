// SPDX-License-Identifier: GPL-2.0-or-later
/* test/tools/ra_probe.c - solicit a router advertisement and print it
 *
 * Usage: ra_probe IFNAME [TIMEOUT_S]
 *
 * Sends a router solicitation to all routers on IFNAME, waits for an
 * advertisement (default 5 s) and prints one line per field:
 *   router ADDR		source of the RA
 *   hoplimit N		IPv6 hop limit it arrived with
 *   managed 0|1		M flag
 *   other 0|1		O flag
 *   lifetime N		router lifetime, seconds
 *   slla MAC		source link-layer address option
 *   prefix ADDR/LEN L A VALID PREFERRED
 *   mtu N
 *   rdnss ADDR LIFETIME	one line per server
 *   dnssl NAME LIFETIME	one line per domain
 * Exits 1 if no advertisement arrives or one is malformed.
 */

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/**
 * get32() - Read a big-endian 32-bit value
 * @p:		Source
 *
 * Return: value
 */
static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

/**
 * print_names() - Print the domain names of a DNSSL option
 * @p:		Names, in DNS wire format, zero padded
 * @len:	Length of @p
 * @lifetime:	Lifetime to print with each
 *
 * Return: 0 on success, 1 if malformed
 */
static int print_names(const uint8_t *p, size_t len, uint32_t lifetime)
{
	char name[256];
	size_t i = 0, n = 0;

	while (i < len) {
		uint8_t l = p[i++];

		if (!l) {
			if (!n)
				continue;	/* padding */
			name[n - 1] = '\0';
			printf("dnssl %s %u\n", name, lifetime);
			n = 0;
			continue;
		}
		if (l > 63 || i + l > len || n + l + 1 >= sizeof(name))
			return 1;
		memcpy(name + n, p + i, l);
		n += l;
		name[n++] = '.';
		i += l;
	}

	return n ? 1 : 0;
}

/**
 * print_ra() - Print an advertisement
 * @ra:		ICMPv6 message
 * @len:	Length of @ra
 *
 * Return: 0 on success, 1 if malformed
 */
static int print_ra(const uint8_t *ra, size_t len)
{
	char buf[INET6_ADDRSTRLEN];
	size_t o = 16;

	printf("managed %u\nother %u\nlifetime %u\n", ra[5] >> 7,
	       (ra[5] >> 6) & 1, (unsigned)(ra[6] << 8 | ra[7]));

	while (o + 2 <= len) {
		const uint8_t *opt = ra + o;
		size_t olen = (size_t)opt[1] * 8, i;

		if (!olen || o + olen > len)
			return 1;

		switch (opt[0]) {
		case 1:
			printf("slla %02x:%02x:%02x:%02x:%02x:%02x\n", opt[2],
			       opt[3], opt[4], opt[5], opt[6], opt[7]);
			break;
		case 3:
			if (olen != 32)
				return 1;
			printf("prefix %s/%u %u %u %u %u\n",
			       inet_ntop(AF_INET6, opt + 16, buf, sizeof(buf)),
			       opt[2], opt[3] >> 7, (opt[3] >> 6) & 1,
			       get32(opt + 4), get32(opt + 8));
			break;
		case 5:
			printf("mtu %u\n", get32(opt + 4));
			break;
		case 25:
			for (i = 8; i + 16 <= olen; i += 16) {
				printf("rdnss %s %u\n",
				       inet_ntop(AF_INET6, opt + i, buf,
						 sizeof(buf)),
				       get32(opt + 4));
			}
			break;
		case 31:
			if (print_names(opt + 8, olen - 8, get32(opt + 4)))
				return 1;
			break;
		default:
			break;
		}
		o += olen;
	}

	return o == len ? 0 : 1;
}

/**
 * main() - Solicit, wait, print
 * @argc:	Argument count
 * @argv:	Interface name, timeout
 *
 * Return: 0 if an advertisement was printed
 */
int main(int argc, char **argv)
{
	struct sockaddr_in6 all_routers = { .sin6_family = AF_INET6 };
	uint8_t rs[8] = { ND_ROUTER_SOLICIT }, buf[4096];
	int s, hops = 255, on = 1, timeout_ms;
	struct icmp6_filter filter;
	unsigned ifindex;
	struct timespec end;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "Usage: %s IFNAME [TIMEOUT_S]\n", argv[0]);
		return 1;
	}
	ifindex = if_nametoindex(argv[1]);
	if (!ifindex) {
		perror(argv[1]);
		return 1;
	}
	timeout_ms = argc == 3 ? atoi(argv[2]) * 1000 : 5000;

	s = socket(AF_INET6, SOCK_RAW, IPPROTO_ICMPV6);
	if (s < 0) {
		perror("socket");
		return 1;
	}
	ICMP6_FILTER_SETBLOCKALL(&filter);
	ICMP6_FILTER_SETPASS(ND_ROUTER_ADVERT, &filter);
	if (setsockopt(s, IPPROTO_ICMPV6, ICMP6_FILTER, &filter,
		       sizeof(filter)) ||
	    setsockopt(s, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &hops,
		       sizeof(hops)) ||
	    setsockopt(s, IPPROTO_IPV6, IPV6_MULTICAST_IF, &ifindex,
		       sizeof(ifindex)) ||
	    setsockopt(s, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, &on, sizeof(on)) ||
	    setsockopt(s, SOL_SOCKET, SO_BINDTODEVICE, argv[1],
		       (socklen_t)strlen(argv[1]))) {
		perror("setsockopt");
		return 1;
	}

	inet_pton(AF_INET6, "ff02::2", &all_routers.sin6_addr);
	all_routers.sin6_scope_id = ifindex;
	if (sendto(s, rs, sizeof(rs), 0, (struct sockaddr *)&all_routers,
		   sizeof(all_routers)) < 0) {
		perror("sendto");
		return 1;
	}

	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += timeout_ms / 1000;
	for (;;) {
		uint8_t cbuf[CMSG_SPACE(sizeof(int))];
		struct sockaddr_in6 from;
		struct iovec iov = { buf, sizeof(buf) };
		struct msghdr mh = {
			.msg_name = &from, .msg_namelen = sizeof(from),
			.msg_iov = &iov, .msg_iovlen = 1,
			.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
		};
		struct pollfd pfd = { .fd = s, .events = POLLIN };
		char addr[INET6_ADDRSTRLEN];
		struct cmsghdr *cm;
		struct timespec now;
		int left, hoplimit = -1;
		ssize_t n;

		clock_gettime(CLOCK_MONOTONIC, &now);
		left = (int)((end.tv_sec - now.tv_sec) * 1000 +
			     (end.tv_nsec - now.tv_nsec) / 1000000);
		if (left <= 0 || poll(&pfd, 1, left) <= 0) {
			fprintf(stderr, "no router advertisement\n");
			return 1;
		}

		n = recvmsg(s, &mh, 0);
		if (n < 16 || buf[0] != ND_ROUTER_ADVERT)
			continue;

		for (cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
			if (cm->cmsg_level == IPPROTO_IPV6 &&
			    cm->cmsg_type == IPV6_HOPLIMIT)
				memcpy(&hoplimit, CMSG_DATA(cm), sizeof(int));
		}

		printf("router %s\nhoplimit %d\n",
		       inet_ntop(AF_INET6, &from.sin6_addr, addr,
				 sizeof(addr)), hoplimit);
		return print_ra(buf, (size_t)n);
	}
}
