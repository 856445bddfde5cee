// SPDX-License-Identifier: GPL-2.0-or-later
/* test/tools/dhcp_raw.c - send malformed DHCP requests on an interface
 *
 * Usage: dhcp_raw IFNAME
 *
 * Sends, as whole Ethernet frames through a packet socket, one DHCPDISCOVER
 * per way of getting the options wrong: an option longer than what is
 * left, options without the end option, the same option repeated until the
 * message ends, option overload with sname and file pointing back at each
 * other, a message shorter than the fixed BOOTP header, and a UDP length
 * past the end of the packet. Prints how many frames it sent.
 */

#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tool.h"

#define IP_OFF		14
#define UDP_OFF		(IP_OFF + 20)
#define DHCP_OFF	(UDP_OFF + 8)
#define OPTS_OFF	(DHCP_OFF + 240)

static uint8_t frame[1024];
static uint8_t client_mac[6];

/**
 * build() - Build a DISCOVER frame around some option bytes
 * @opts:	Options, copied as they are
 * @opts_len:	Length of @opts
 * @dhcp_len:	Length of the DHCP message to send, 0 for 240 + @opts_len
 * @udp_extra:	Bytes to add to the UDP length field beyond the truth
 *
 * Return: frame length
 */
static size_t build(const uint8_t *opts, size_t opts_len, size_t dhcp_len,
		    unsigned udp_extra)
{
	uint8_t *ip = frame + IP_OFF, *udp = frame + UDP_OFF;
	uint8_t *m = frame + DHCP_OFF;

	if (!dhcp_len)
		dhcp_len = 240 + opts_len;

	memset(frame, 0, sizeof(frame));
	memset(frame, 0xff, 6);
	memcpy(frame + 6, client_mac, 6);
	put16(frame + 12, ETHERTYPE_IP);

	ip[0] = 0x45;
	put16(ip + 2, (unsigned)(20 + 8 + dhcp_len));
	ip[8] = 64;
	ip[9] = IPPROTO_UDP;
	memset(ip + 16, 0xff, 4);
	put16(ip + 10, csum_done(csum_add(ip, 20, 0)));

	put16(udp, 68);
	put16(udp + 2, 67);
	put16(udp + 4, (unsigned)(8 + dhcp_len + udp_extra));

	m[0] = 1;
	m[1] = 1;
	m[2] = 6;
	memcpy(m + 4, "\xde\xad\xbe\xef", 4);
	put16(m + 10, 0x8000);
	memcpy(m + 28, client_mac, 6);
	/* sname and file: options again, each overloading the other */
	memcpy(m + 44, "\x34\x01\x03\x35\x01\x01\xff", 7);
	memcpy(m + 108, "\x34\x01\x03\x35\x01\x01\xff", 7);
	memcpy(m + 236, "\x63\x82\x53\x63", 4);
	memcpy(frame + OPTS_OFF, opts, opts_len);

	return DHCP_OFF + dhcp_len;
}

/**
 * main() - Send the malformed requests
 * @argc:	Argument count
 * @argv:	Interface name
 *
 * Return: 0 if every frame was sent
 */
int main(int argc, char **argv)
{
	static const uint8_t overlong[] = { 53, 1, 1, 12, 200, 'a', 'b', 255 };
	static const uint8_t no_end[] = { 53, 1, 1, 12, 3, 'a', 'b', 'c' };
	static const uint8_t overload[] = { 53, 1, 1, 52, 1, 3, 255 };
	uint8_t repeated[300];
	struct sockaddr_ll sll = { .sll_family = AF_PACKET };
	struct ifreq ifr = { 0 };
	size_t i, len, sent = 0;
	int s;

	if (argc != 2 || strlen(argv[1]) >= IFNAMSIZ) {
		fprintf(stderr, "Usage: %s IFNAME\n", argv[0]);
		return 1;
	}

	s = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
	if (s < 0) {
		perror("socket");
		return 1;
	}
	strcpy(ifr.ifr_name, argv[1]);
	if (ioctl(s, SIOCGIFINDEX, &ifr)) {
		perror("SIOCGIFINDEX");
		return 1;
	}
	sll.sll_ifindex = ifr.ifr_ifindex;
	/* From the interface's own address, as its DHCP client would be */
	if (ioctl(s, SIOCGIFHWADDR, &ifr)) {
		perror("SIOCGIFHWADDR");
		return 1;
	}
	memcpy(client_mac, ifr.ifr_hwaddr.sa_data, 6);
	sll.sll_halen = 6;
	memset(sll.sll_addr, 0xff, 6);

	/* Message type, then client identifiers until the message ends */
	memcpy(repeated, "\x35\x01\x01", 3);
	for (i = 3; i + 4 <= sizeof(repeated); i += 4)
		memcpy(repeated + i, "\x3d\x02\x01\x02", 4);

	for (i = 0; i < 6; i++) {
		switch (i) {
		case 0:
			len = build(overlong, sizeof(overlong), 0, 0);
			break;
		case 1:
			len = build(no_end, sizeof(no_end), 0, 0);
			break;
		case 2:
			len = build(repeated, sizeof(repeated), 0, 0);
			break;
		case 3:
			len = build(overload, sizeof(overload), 0, 0);
			break;
		case 4:
			len = build(overlong, 0, 100, 0);
			break;
		default:
			len = build(overload, sizeof(overload), 0, 400);
			break;
		}
		if (sendto(s, frame, len, 0, (struct sockaddr *)&sll,
			   sizeof(sll)) == (ssize_t)len)
			sent++;
		else
			perror("sendto");
	}

	close(s);
	printf("%zu\n", sent);
	return sent == 6 ? 0 : 1;
}
