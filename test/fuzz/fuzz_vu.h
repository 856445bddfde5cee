/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fuzz_vu.h - the vhost-user front end the vhost-user fuzz targets play,
 * and where fuzz_vu_setup() puts things in guest memory
 */

#ifndef FUZZ_VU_H
#define FUZZ_VU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "virtio.h"

struct ctx;

/* Guest memory: one region, at guest address 0, and at FUZZ_VU_QVA in the
 * front end's own address space; the rings of each queue at
 * FUZZ_VU_RING(q), buffers from FUZZ_VU_BUF on
 */
#define FUZZ_VU_MEM_SIZE	(1UL << 20)
#define FUZZ_VU_QVA		0x7f1000000000ULL
#define FUZZ_VU_RING(q)		((q) * 0x10000UL)
#define FUZZ_VU_DESC(q)		FUZZ_VU_RING(q)
#define FUZZ_VU_AVAIL(q)	(FUZZ_VU_RING(q) + 0x8000)
#define FUZZ_VU_USED(q)		(FUZZ_VU_RING(q) + 0xa000)
#define FUZZ_VU_BUF		0x20000UL

/* Largest queue size whose rings fit where FUZZ_VU_RING() puts them */
#define FUZZ_VU_QSIZE_MAX	2048

/* Descriptors one message of ours carries, at most: one more than the
 * daemon takes
 */
#define FUZZ_VU_FDS_MAX		(VIRTIO_MEM_REGIONS_MAX + 1)

extern uint8_t *fuzz_vu_mem;
extern int fuzz_vu_memfd;
extern int fuzz_vu_kick[VIRTIO_NET_QUEUES];
extern int fuzz_vu_call[VIRTIO_NET_QUEUES];
extern int fuzz_vu_err[VIRTIO_NET_QUEUES];

void fuzz_vu_init(struct ctx *c);
void fuzz_vu_run(struct ctx *c);
void fuzz_vu_connect(struct ctx *c);
void fuzz_vu_disconnect(struct ctx *c);
uint64_t fuzz_vu_counter(int fd);
int64_t fuzz_vu_msg(struct ctx *c, uint32_t req, uint32_t flags,
		    const void *payload, uint32_t size, const int *fds,
		    size_t nfds);
void fuzz_vu_ring_addr(unsigned q, uint8_t *p);
void fuzz_vu_mem_table(uint8_t *p);
uint64_t fuzz_vu_features(uint16_t bits);
bool fuzz_vu_setup(struct ctx *c, uint64_t features, uint32_t num);
void fuzz_vu_do_kick(struct ctx *c, unsigned q);

#endif /* FUZZ_VU_H */
