// SPDX-License-Identifier: GPL-2.0-or-later
/* epoll_ref.c - adding, changing and removing watched descriptors with their
 * typed references
 */

#include <errno.h>
#include <stddef.h>
#include <sys/epoll.h>

#include "epoll_ref.h"

/**
 * epoll_ref_add() - Watch a descriptor
 * @epollfd:	epoll instance
 * @events:	EPOLL* event mask
 * @ref:	Reference, with type and descriptor set
 *
 * Return: 0 on success, a positive errno on failure
 *
 * #syscalls: epoll_ctl
 */
int epoll_ref_add(int epollfd, uint32_t events, union epoll_ref ref)
{
	struct epoll_event ev = { .events = events, .data.u64 = ref.u64 };

	if (epoll_ctl(epollfd, EPOLL_CTL_ADD, ref.fd, &ev))
		return errno;
	return 0;
}

/**
 * epoll_ref_mod() - Change the events or reference of a watched descriptor
 * @epollfd:	epoll instance
 * @events:	EPOLL* event mask
 * @ref:	Reference, with type and descriptor set
 *
 * Return: 0 on success, a positive errno on failure
 *
 * #syscalls: epoll_ctl
 */
int epoll_ref_mod(int epollfd, uint32_t events, union epoll_ref ref)
{
	struct epoll_event ev = { .events = events, .data.u64 = ref.u64 };

	if (epoll_ctl(epollfd, EPOLL_CTL_MOD, ref.fd, &ev))
		return errno;
	return 0;
}

/**
 * epoll_ref_del() - Stop watching a descriptor
 * @epollfd:	epoll instance
 * @fd:		Descriptor
 *
 * #syscalls: epoll_ctl
 */
void epoll_ref_del(int epollfd, int fd)
{
	epoll_ctl(epollfd, EPOLL_CTL_DEL, fd, NULL);
}
