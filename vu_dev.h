/* SPDX-License-Identifier: GPL-2.0-or-later */
/* vu_dev.h - the virtio-net device a vhost-user front end sets up: the
 * handlers of its requests, and the device they build
 */

#ifndef VU_DEV_H
#define VU_DEV_H

#include <stdbool.h>
#include <stdint.h>

#include "vhost_user.h"
#include "virtio.h"

struct ctx;

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
