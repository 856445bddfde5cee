// SPDX-License-Identifier: GPL-2.0-or-later
/* tap.c - QEMU stream front end
 *
 * Placeholder: the front end comes with the front end work.
 */

#include "ctx.h"
#include "tap.h"

/**
 * tap_init() - Open the front end's socket
 * @c:		Execution context
 */
void tap_init(struct ctx *c)
{
	(void)c;
}

/**
 * tap_listen_handler() - Accept a client
 * @c:		Execution context
 * @events:	EPOLL* events
 */
void tap_listen_handler(struct ctx *c, uint32_t events)
{
	(void)c;
	(void)events;
}

/**
 * tap_handler() - Read frames from the client
 * @c:		Execution context
 * @events:	EPOLL* events
 */
void tap_handler(struct ctx *c, uint32_t events)
{
	(void)c;
	(void)events;
}

/**
 * tap_cleanup() - Close the front end's sockets and remove its path
 * @c:		Execution context
 */
void tap_cleanup(struct ctx *c)
{
	(void)c;
}
