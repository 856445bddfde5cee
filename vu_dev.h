/* SPDX-License-Identifier: GPL-2.0-or-later */
/* vu_dev.h - the virtio-net device a vhost-user front end sets up: the
 * protocol's requests, flags and feature bits, the handlers of the
 * requests, and the device they build
 */

#ifndef VU_DEV_H
#define VU_DEV_H

#include <stdbool.h>
#include <stdint.h>

#include "virtio.h"

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

/* Largest payload: a device configuration space of VHOST_USER_CONFIG_MAX
 * bytes behind offset, size and flags
 */
#define VU_PAYLOAD_MAX		(12 + VHOST_USER_CONFIG_MAX)

/* Descriptors one message may carry: one per memory region */
#define VU_FDS_MAX		VIRTIO_MEM_REGIONS_MAX

/* Sizes of the payloads we take */
#define VU_U64_LEN		8
#define VU_STATE_LEN		8
#define VU_ADDR_LEN		40
#define VU_LOG_LEN		16

/**
 * struct vu_msg - A message from the front end
 * @request:	Request, enum vhost_user_request
 * @flags:	VHOST_USER_* flags
 * @size:	Payload size
 * @payload:	Payload, host order
 * @fds:	Descriptors received with it, -1 once a handler took one
 * @nfds:	Descriptors in @fds
 * @fds_over:	More descriptors came than @fds holds (the rest are closed)
 */
struct vu_msg {
	uint32_t request;
	uint32_t flags;
	uint32_t size;
	uint8_t payload[VU_PAYLOAD_MAX];
	int fds[VU_FDS_MAX];
	unsigned nfds;
	bool fds_over;
};

/**
 * struct vu_reply - A reply's payload, written by a handler
 * @payload:	Payload
 * @size:	Bytes in @payload
 */
struct vu_reply {
	uint8_t payload[VU_PAYLOAD_MAX];
	uint32_t size;
};

/* Handlers, one per request: see vu_handlers[] in vhost_user.c */
int vu_get_features(struct ctx *c, struct vu_msg *m, struct vu_reply *r);
int vu_set_features(struct ctx *c, struct vu_msg *m, struct vu_reply *r);
int vu_set_owner(struct ctx *c, struct vu_msg *m, struct vu_reply *r);
int vu_reset_owner(struct ctx *c, struct vu_msg *m, struct vu_reply *r);
int vu_set_mem_table(struct ctx *c, struct vu_msg *m, struct vu_reply *r);
int vu_set_log_base(struct ctx *c, struct vu_msg *m, struct vu_reply *r);
int vu_set_log_fd(struct ctx *c, struct vu_msg *m, struct vu_reply *r);
int vu_set_vring_num(struct ctx *c, struct vu_msg *m, struct vu_reply *r);
int vu_set_vring_addr(struct ctx *c, struct vu_msg *m, struct vu_reply *r);
int vu_set_vring_base(struct ctx *c, struct vu_msg *m, struct vu_reply *r);
int vu_get_vring_base(struct ctx *c, struct vu_msg *m, struct vu_reply *r);
int vu_set_vring_kick(struct ctx *c, struct vu_msg *m, struct vu_reply *r);
int vu_set_vring_call(struct ctx *c, struct vu_msg *m, struct vu_reply *r);
int vu_set_vring_err(struct ctx *c, struct vu_msg *m, struct vu_reply *r);
int vu_get_protocol_features(struct ctx *c, struct vu_msg *m,
			     struct vu_reply *r);
int vu_set_protocol_features(struct ctx *c, struct vu_msg *m,
			     struct vu_reply *r);
int vu_get_queue_num(struct ctx *c, struct vu_msg *m, struct vu_reply *r);
int vu_set_vring_enable(struct ctx *c, struct vu_msg *m, struct vu_reply *r);
int vu_send_rarp(struct ctx *c, struct vu_msg *m, struct vu_reply *r);
int vu_get_config(struct ctx *c, struct vu_msg *m, struct vu_reply *r);
int vu_set_device_state_fd(struct ctx *c, struct vu_msg *m, struct vu_reply *r);
int vu_check_device_state(struct ctx *c, struct vu_msg *m, struct vu_reply *r);

void vu_dev_init(void);
void vu_dev_start(struct ctx *c);
void vu_dev_stop(struct ctx *c);
void vu_dev_after_reply(struct ctx *c);

#endif /* VU_DEV_H */
