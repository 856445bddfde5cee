/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tcp_migrate.h - TCP connections across a migration: the records of the
 * flows stage (doc/migration.md), and the source side, see tcp_migrate.c
 */

#ifndef TCP_MIGRATE_H
#define TCP_MIGRATE_H

#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdint.h>

#include "flow.h"

struct ctx;

/* How long a source waits for a repair helper to connect */
#define TCP_MIGRATE_HELPER_WAIT_MS	100

/* Record lengths, and the largest queue of one flow we carry */
#define TCP_MIGRATE_REC_LEN	112
#define TCP_MIGRATE_EXT_LEN	52
#define TCP_MIGRATE_QUEUE_MAX	(64U << 20)

/* Interface types of a flow side, as the records give them */
#define TCP_MIGRATE_PIF_HOST	1
#define TCP_MIGRATE_PIF_GUEST	2

/* Connection events, as the records give them */
#define TCP_MIGRATE_EV_ESTABLISHED	0x04
#define TCP_MIGRATE_EV_SOCK_FIN_RCVD	0x08
#define TCP_MIGRATE_EV_SOCK_FIN_SENT	0x10
#define TCP_MIGRATE_EV_GUEST_FIN_RCVD	0x20
#define TCP_MIGRATE_EV_GUEST_FIN_SENT	0x40
#define TCP_MIGRATE_EV_GUEST_FIN_ACKED	0x80

/* Connection flags, as the records give them */
#define TCP_MIGRATE_F_STALLED		0x01
#define TCP_MIGRATE_F_ACK_TO_GUEST	0x08
#define TCP_MIGRATE_F_ACK_FROM_GUEST	0x10

/* Kernel TCP states a connection may be migrated in (tcp_states.h) */
#define TCP_MIGRATE_ST_SKIPPED		0
#define TCP_MIGRATE_ST_ESTABLISHED	1
#define TCP_MIGRATE_ST_FIN_WAIT1	4
#define TCP_MIGRATE_ST_FIN_WAIT2	5
#define TCP_MIGRATE_ST_CLOSE_WAIT	8
#define TCP_MIGRATE_ST_LAST_ACK		9
#define TCP_MIGRATE_ST_CLOSING		11

/* Flows at most in one stream: as many as the table holds */
#define TCP_MIGRATE_FLOWS_MAX	FLOW_MAX

/* How long released sockets stay, for a target on the same host to take
 * their addresses while they still absorb the peer's segments
 */
#define TCP_MIGRATE_GRACE_MS		1000

/* How long restored flows wait for the source to release their addresses,
 * and how often they try meanwhile, in milliseconds
 */
#define TCP_MIGRATE_RETRY_MS		10000
#define TCP_MIGRATE_RETRY_PERIOD_MS	2

/**
 * struct tcp_migrate_rec - The fixed record of a flow
 * @guest:	Guest side
 * @host:	Host side
 * @inbound:	The host side initiated
 * @retries:	Retransmissions without progress
 * @ws_from:	Guest's window scale
 * @ws_to:	Our window scale
 * @events:	TCP_MIGRATE_EV_* bits
 * @flags:	TCP_MIGRATE_F_* bits
 * @mss:	Our MSS towards the guest
 * @wnd_from:	Guest's window, unscaled
 * @wnd_to:	Our window, unscaled
 * @seq_to:	Next sequence number to the guest
 * @seq_ack_from: Last acknowledgement from the guest
 * @seq_from:	Next sequence number expected from the guest
 * @seq_ack_to:	Last acknowledgement to the guest
 */
struct tcp_migrate_rec {
	struct flowside guest;
	struct flowside host;
	bool inbound;
	uint8_t retries;
	uint8_t ws_from;
	uint8_t ws_to;
	uint8_t events;
	uint8_t flags;
	uint32_t mss;
	uint16_t wnd_from;
	uint16_t wnd_to;
	uint32_t seq_to;
	uint32_t seq_ack_from;
	uint32_t seq_from;
	uint32_t seq_ack_to;
};

/**
 * struct tcp_migrate_ext - The extended record of a flow: its socket
 * @seq_snd:	Sequence number of the first unacknowledged byte sent
 * @seq_rcv:	Sequence number of the first byte in the receive queue
 * @sndq:	Send queue length, sent and not
 * @notsent:	Of which not sent yet
 * @rcvq:	Receive queue length
 * @mss:	MSS of the socket
 * @timestamp:	TCP timestamp clock, 0 without timestamps
 * @wnd:	Window state
 * @snd_ws:	Send window scale
 * @rcv_ws:	Receive window scale
 * @state:	Kernel TCP state, TCP_MIGRATE_ST_SKIPPED if not carried
 * @options:	TCPI_OPT_* bits
 */
struct tcp_migrate_ext {
	uint32_t seq_snd;
	uint32_t seq_rcv;
	uint32_t sndq;
	uint32_t notsent;
	uint32_t rcvq;
	uint32_t mss;
	uint32_t timestamp;
	struct tcp_repair_window wnd;
	uint8_t snd_ws;
	uint8_t rcv_ws;
	uint8_t state;
	uint8_t options;
};

int tcp_migrate_save(struct ctx *c, int fd);
void tcp_migrate_saved(struct ctx *c);
void tcp_migrate_release(struct ctx *c);
bool tcp_migrate_timer(struct ctx *c);
void tcp_migrate_cancel(struct ctx *c);

/* The records' format, for tcp_restore.c */
bool tcp_migrate_state_ok(uint8_t state);
bool tcp_migrate_fin_sent(uint8_t state);
bool tcp_migrate_fin_rcvd(uint8_t state);
int tcp_migrate_rec_get(const uint8_t *p, struct tcp_migrate_rec *r);
int tcp_migrate_ext_get(const uint8_t *p, struct tcp_migrate_ext *e);
int tcp_migrate_queue_select(int s, int q);
void tcp_migrate_reuse(int s);

#endif /* TCP_MIGRATE_H */
