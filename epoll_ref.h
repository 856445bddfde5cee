/* SPDX-License-Identifier: GPL-2.0-or-later */
/* epoll_ref.h - what the main loop stores with every descriptor it watches,
 * so that dispatch is a switch on the type, never a search
 */

#ifndef EPOLL_REF_H
#define EPOLL_REF_H

#include <stdint.h>

enum epoll_type {
	EPOLL_TYPE_NONE = 0,
	EPOLL_TYPE_TAP_LISTEN,		/* listening stream socket for QEMU */
	EPOLL_TYPE_TAP,			/* connected stream socket */
	EPOLL_TYPE_TIMER,		/* protocol timer (timerfd) */
	EPOLL_TYPE_PING,		/* ping socket of an ICMP echo flow */
	EPOLL_TYPE_TCP,			/* host socket of a TCP flow */
	EPOLL_TYPE_TCP_LISTEN,		/* listening socket from -t */
	EPOLL_TYPE_UDP,			/* host socket of a UDP flow */
	EPOLL_TYPE_UDP_LISTEN,		/* bound socket from -u */
	EPOLL_TYPE_MIGRATE_CTL,		/* test interface: migration control */
	EPOLL_TYPE_REPAIR_LISTEN,	/* listening socket for passt-repair */
	EPOLL_TYPE_REPAIR,		/* connected passt-repair helper */
	EPOLL_TYPE_VHOST_LISTEN,	/* listening socket for vhost-user */
	EPOLL_TYPE_VHOST_CMD,		/* vhost-user control socket */
	EPOLL_TYPE_VHOST_KICK,		/* vhost-user queue kick eventfd */
	EPOLL_TYPE_MAX,
};

/* Descriptors must fit the 24 bits the reference keeps for them */
#define EPOLL_REF_FD_MAX	((1 << 24) - 1)

/**
 * union epoll_ref - Reference stored in epoll_event.data
 * @type:	enum epoll_type
 * @fd:		Descriptor
 * @index:	Flow index, rule index or queue number, by type
 * @u64:	The whole reference, as epoll stores it
 */
union epoll_ref {
	struct {
		uint32_t type:8;
		uint32_t fd:24;
		uint32_t index;
	};
	uint64_t u64;
};

int epoll_ref_add(int epollfd, uint32_t events, union epoll_ref ref);
int epoll_ref_mod(int epollfd, uint32_t events, union epoll_ref ref);
void epoll_ref_del(int epollfd, int fd);

#endif /* EPOLL_REF_H */
