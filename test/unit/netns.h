/* SPDX-License-Identifier: GPL-2.0-or-later */
/* netns.h - a network namespace of a unit test's own, with its loopback
 * interface up, so that tests can open sockets and change sysctls without
 * touching the host
 */

#ifndef NETNS_H
#define NETNS_H

#include <net/if.h>
#include <sched.h>
#include <stdbool.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util.h"

/**
 * netns_setup() - Enter a new network namespace, with ping sockets allowed
 *		   and the loopback interface up
 *
 * Return: true on success
 */
static inline bool netns_setup(void)
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

#endif /* NETNS_H */
