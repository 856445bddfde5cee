/* SPDX-License-Identifier: GPL-2.0-or-later */
/* vhost_user.h - vhost-user front end: the control socket QEMU connects to,
 * speaking the vhost-user protocol as a virtio-net back-end
 * (doc/vhost-user.md)
 */

#ifndef VHOST_USER_H
#define VHOST_USER_H

#include <stdint.h>

#include "epoll_ref.h"

struct ctx;

/* Message header flags */
#define VHOST_USER_VERSION		0x1
#define VHOST_USER_VERSION_MASK		0x3
#define VHOST_USER_REPLY		0x4
#define VHOST_USER_NEED_REPLY		0x8

/* Header: request, flags, payload size, each 32 bits, host order */
#define VHOST_USER_HDR_LEN		12

/* vhost feature bit: protocol features can be negotiated */
#define VHOST_USER_F_PROTOCOL_FEATURES	30

/* Protocol feature bits */
#define VHOST_USER_PROTOCOL_F_LOG_SHMFD	1
#define VHOST_USER_PROTOCOL_F_RARP	2
#define VHOST_USER_PROTOCOL_F_REPLY_ACK	3
#define VHOST_USER_PROTOCOL_F_CONFIG	9
#define VHOST_USER_PROTOCOL_F_DEVICE_STATE 19

/* Queue index and "no descriptor" flag in SET_VRING_KICK, _CALL, _ERR */
#define VHOST_USER_VRING_IDX_MASK	0xff
#define VHOST_USER_VRING_NOFD		0x100

/* Ring flag in SET_VRING_ADDR: log writes to the used ring */
#define VHOST_VRING_F_LOG		0x1

/* SET_DEVICE_STATE_FD: directions, phase, and "no descriptor back" */
#define VHOST_USER_STATE_SAVE		0
#define VHOST_USER_STATE_LOAD		1
#define VHOST_USER_STATE_STOPPED	0
#define VHOST_USER_STATE_NOFD		0x100

/* Largest device configuration space that GET_CONFIG reads */
#define VHOST_USER_CONFIG_MAX		256

/* Requests from the front end: the ones we handle */
enum vhost_user_request {
	VHOST_USER_GET_FEATURES = 1,
	VHOST_USER_SET_FEATURES = 2,
	VHOST_USER_SET_OWNER = 3,
	VHOST_USER_RESET_OWNER = 4,
	VHOST_USER_SET_MEM_TABLE = 5,
	VHOST_USER_SET_LOG_BASE = 6,
	VHOST_USER_SET_LOG_FD = 7,
	VHOST_USER_SET_VRING_NUM = 8,
	VHOST_USER_SET_VRING_ADDR = 9,
	VHOST_USER_SET_VRING_BASE = 10,
	VHOST_USER_GET_VRING_BASE = 11,
	VHOST_USER_SET_VRING_KICK = 12,
	VHOST_USER_SET_VRING_CALL = 13,
	VHOST_USER_SET_VRING_ERR = 14,
	VHOST_USER_GET_PROTOCOL_FEATURES = 15,
	VHOST_USER_SET_PROTOCOL_FEATURES = 16,
	VHOST_USER_GET_QUEUE_NUM = 17,
	VHOST_USER_SET_VRING_ENABLE = 18,
	VHOST_USER_SEND_RARP = 19,
	VHOST_USER_GET_CONFIG = 24,
	VHOST_USER_SET_DEVICE_STATE_FD = 42,
	VHOST_USER_CHECK_DEVICE_STATE = 43,
	VHOST_USER_REQUEST_MAX,
};

void vu_init(struct ctx *c);
void vu_listen_handler(struct ctx *c, uint32_t events);
void vu_cmd_handler(struct ctx *c, union epoll_ref ref, uint32_t events);
void vu_cleanup(struct ctx *c);

#endif /* VHOST_USER_H */
