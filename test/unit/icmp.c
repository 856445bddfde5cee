// SPDX-License-Identifier: GPL-2.0-or-later
/* test/unit/icmp.c - ICMP and ICMPv6 echo through ping sockets: the
 * request reaches the host's loopback through the gateway mapping, the
 * reply comes back with the guest's identifier and addresses, idle flows
 * expire
 *
 * Runs in a network namespace of its own, so that it can allow ping
 * sockets and bring up the loopback interface without touching the host.
 */

#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "checksum.h"
#include "flow.h"
#include "icmp.h"
#include "l2_capture.h"
#include "util.h"

static struct ctx c;
static uint8_t frame[256];

/**
 * netns_setup() - Enter a new network namespace with ping sockets allowed
 *		   and the loopback interface up
 *
 * Return: true on success
 */
static bool netns_setup(void)
{
	struct ifreq ifr = { .ifr_name = "lo" };
	bool ok;
	int s;

	if (unshare(CLONE_NEWNET))
		return false;
	if (write_file_line("/proc/sys/net/ipv4/ping_group_range",
			    "0 2147483647"))
		return false;

	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return false;
	ok = !ioctl(s, SIOCGIFFLAGS, &ifr);
	ifr.ifr_flags |= IFF_UP;
	ok = ok && !ioctl(s, SIOCSIFFLAGS, &ifr);
	close(s);

	return ok;
}

/**
 * echo_send() - Hand the ICMP code an echo request from the guest
 * @src:	Source address, text
 * @dst:	Destination address, text
 * @id:		Echo identifier
 * @seq:	Sequence number
 *
 * Return: what icmp_tap_handler() returned
 */
static bool echo_send(const char *src, const char *dst, uint16_t id,
		      uint16_t seq)
{
	union inany_addr s = test_addr(src), d = test_addr(dst);
	bool v4 = !!inany_v4(&s);
	uint8_t *l4 = frame + frame_l4_off(v4);
	struct pkt p;
	size_t len;

	memset(frame, 0, sizeof(frame));
	l4[0] = v4 ? 8 : 128;
	put_be16(l4 + 4, id);
	put_be16(l4 + 6, seq);
	memcpy(l4 + 8, "passt echo payload", 18);
	len = frame_ip(&c, frame, NULL, v4, &s, &d,
		       v4 ? IPPROTO_ICMP : IPPROTO_ICMPV6, 64, 26);
	guest_frame_fix_macs(frame);
	if (pkt_parse(frame, len, &p))
		abort();

	return icmp_tap_handler(&c, &p);
}

/**
 * replies_wait() - Wait for ping socket events and hand them over
 *
 * Return: number of events handled
 */
static int replies_wait(void)
{
	struct epoll_event ev[4];
	int n, i;

	n = epoll_wait(c.epollfd, ev, 4, 2000);
	for (i = 0; i < n; i++) {
		union epoll_ref ref = { .u64 = ev[i].data.u64 };

		icmp_sock_handler(&c, ref, ev[i].events);
	}

	return n;
}

/**
 * reply_ok() - Check a captured echo reply
 * @i:		Captured frame
 * @src:	Expected source, text
 * @dst:	Expected destination, text
 * @id:		Expected identifier
 * @seq:	Expected sequence number
 *
 * Return: true if addresses, identifier, payload and checksum are right
 */
static bool reply_ok(size_t i, const char *src, const char *dst, uint16_t id,
		     uint16_t seq)
{
	union inany_addr s = test_addr(src), d = test_addr(dst);
	bool v4 = !!inany_v4(&s);
	struct pkt p;

	if (!capture_parse(i, &p) || !inany_equals(&p.src, &s) ||
	    !inany_equals(&p.dst, &d) || p.l4_len != 26 ||
	    p.l4[0] != (v4 ? 0 : 129) || get_be16(p.l4 + 4) != id ||
	    get_be16(p.l4 + 6) != seq ||
	    memcmp(p.l4 + 8, "passt echo payload", 18))
		return false;

	if (v4)
		return !csum_fold(csum_partial(p.l4, p.l4_len, 0));
	return !csum_l4(false, &p.src, &p.dst, IPPROTO_ICMPV6, p.l4,
			p.l4_len);
}

/**
 * setup() - Context with gateways mapped to the host's loopback
 */
static void setup(void)
{
	test_ctx_init(&c);
	c.ip4.map_host_loopback = test_addr("192.0.2.1");
	c.ip6.map_host_loopback = test_addr("2001:db8:1::1");
	c.epollfd = epoll_create1(EPOLL_CLOEXEC);
	c.now.tv_sec = 100;
	flow_init();
}

/**
 * icmp_echo_loopback() - Echo to the gateway is answered by the host's
 *			  loopback, as if from the gateway
 */
static void icmp_echo_loopback(void)
{
	setup();
	UNIT_CHECK(echo_send("192.0.2.2", "192.0.2.1", 0x1234, 1));
	UNIT_CHECK(replies_wait() == 1);
	UNIT_CHECK(capture_count == 1);
	UNIT_CHECK(reply_ok(0, "192.0.2.1", "192.0.2.2", 0x1234, 1));

	/* Same flow for the next request */
	UNIT_CHECK(echo_send("192.0.2.2", "192.0.2.1", 0x1234, 2));
	UNIT_CHECK(replies_wait() == 1);
	UNIT_CHECK(capture_count == 2);
	UNIT_CHECK(reply_ok(1, "192.0.2.1", "192.0.2.2", 0x1234, 2));
	UNIT_CHECK(flow_count() == 1);

	UNIT_CHECK(echo_send("2001:db8:1::2", "2001:db8:1::1", 0x4321, 7));
	UNIT_CHECK(replies_wait() == 1);
	UNIT_CHECK(capture_count == 3);
	UNIT_CHECK(reply_ok(2, "2001:db8:1::1", "2001:db8:1::2", 0x4321, 7));
	UNIT_CHECK(flow_count() == 2);
	close(c.epollfd);
}

/**
 * icmp_flow_expiry() - A flow without requests for 60 s is closed
 */
static void icmp_flow_expiry(void)
{
	static const flow_timer_fn timers[FLOW_TYPE_MAX] = {
		[FLOW_TYPE_PING] = icmp_flow_timer,
	};

	setup();
	UNIT_CHECK(echo_send("192.0.2.2", "192.0.2.1", 1, 1));
	UNIT_CHECK(replies_wait() == 1);
	UNIT_CHECK(flow_count() == 1);

	c.now.tv_sec += 59;
	flow_timer(&c, timers);
	flow_defer_handler();
	UNIT_CHECK(flow_count() == 1);

	c.now.tv_sec += 2;
	flow_timer(&c, timers);
	flow_defer_handler();
	UNIT_CHECK(flow_count() == 0);
	close(c.epollfd);
}

/**
 * icmp_not_echo() - Other types, short requests, unusable destinations
 */
static void icmp_not_echo(void)
{
	union inany_addr s = test_addr("192.0.2.2"), d = test_addr("192.0.2.1");
	struct pkt p;
	size_t len;

	setup();
	memset(frame, 0, sizeof(frame));
	frame[frame_l4_off(true)] = 0;		/* echo reply */
	len = frame_ip(&c, frame, NULL, true, &s, &d, IPPROTO_ICMP, 64, 8);
	UNIT_CHECK(!pkt_parse(frame, len, &p));
	UNIT_CHECK(!icmp_tap_handler(&c, &p));

	/* Request cut short: consumed, nothing opened */
	frame[frame_l4_off(true)] = 8;
	len = frame_ip(&c, frame, NULL, true, &s, &d, IPPROTO_ICMP, 64, 4);
	UNIT_CHECK(!pkt_parse(frame, len, &p));
	UNIT_CHECK(icmp_tap_handler(&c, &p));

	/* Broadcast destination: no flow */
	UNIT_CHECK(echo_send("192.0.2.2", "255.255.255.255", 1, 1));
	UNIT_CHECK(flow_count() == 0);

	c.no_icmp = true;
	UNIT_CHECK(!echo_send("192.0.2.2", "192.0.2.1", 1, 1));
	UNIT_CHECK(flow_count() == 0 && capture_count == 0);
	close(c.epollfd);
}

/**
 * main() - Run the cases
 *
 * Return: EXIT_SUCCESS if every case passed
 */
int main(void)
{
	if (!netns_setup()) {
		printf("FAIL unit/icmp: can't set up a network namespace "
		       "(needs root)\n");
		return EXIT_FAILURE;
	}

	UNIT_RUN(icmp_echo_loopback);
	UNIT_RUN(icmp_flow_expiry);
	UNIT_RUN(icmp_not_echo);
	UNIT_EXIT();
}
