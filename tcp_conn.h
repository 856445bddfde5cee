/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tcp_conn.h - state of one TCP connection, shared by tcp.c (the state
 * machine) and tcp_seg.c (building and batching segments to the guest)
 *
 * There is no TCP stack here: the guest's connection is paired with a host
 * socket. Towards the guest we are a TCP peer whose send buffer is the
 * host socket's receive queue (read with MSG_PEEK, dropped once the guest
 * acknowledges it) and whose receive buffer is the host socket's send
 * buffer (the guest is acknowledged for what send() took).
 */

#ifndef TCP_CONN_H
#define TCP_CONN_H

#include <stdbool.h>
#include <stdint.h>

#include "flow.h"

struct ctx;
struct fwd_rule;

/* Connection states (@state) */
enum tcp_conn_state {
	CONN_CONNECTING = 0,	/* guest SYN taken, host connect() pending */
	CONN_SYN_ACK_SENT,	/* SYN,ACK sent to the guest, waiting for ACK */
	CONN_SYN_SENT,		/* host connection accepted, SYN to the guest */
	CONN_ESTABLISHED,	/* data both ways, see @fin for closing */
};

/* Closing progress (@fin), in either order */
#define TCP_SOCK_FIN_RCVD	(1U << 0)	/* host peer sent FIN */
#define TCP_TAP_FIN_SENT	(1U << 1)	/* our FIN sent to the guest */
#define TCP_TAP_FIN_ACKED	(1U << 2)	/* guest acknowledged it */
#define TCP_TAP_FIN_RCVD	(1U << 3)	/* guest FIN, socket shut down */

/* Other conditions (@flags) */
#define TCP_F_TS		(1U << 0)	/* timestamps in use */
#define TCP_F_ACK_DUE		(1U << 1)	/* send an ACK at the flush */
#define TCP_F_WAIT_OUT		(1U << 2)	/* EPOLLOUT armed */
#define TCP_F_STALLED		(1U << 3)	/* window full, data waits */
#define TCP_F_KEEPALIVE		(1U << 4)	/* SO_KEEPALIVE set */
#define TCP_F_INBOUND		(1U << 5)	/* host side connected first */
#define TCP_F_WND_LOW		(1U << 6)	/* advertised window is low */
#define TCP_F_ACK_DELAYED	(1U << 7)	/* ACK waits for data to carry it */
#define TCP_F_DRAINED		(1U << 8)	/* socket read to its end */
#define TCP_F_L2_WAIT		(1U << 9)	/* front end refused frames */

/**
 * struct tcp_conn - One TCP connection: guest side and host socket
 * @f:			Flow header: sides, type, flags
 * @sock:		Host socket
 * @seq_to_tap:		Next sequence number we send to the guest
 * @seq_max_to_tap:	Highest sequence number sent so far, plus one
 * @seq_ack_from_tap:	Oldest sequence number the guest hasn't acknowledged
 * @seq_from_tap:	Next sequence number expected from the guest: all
 *			before it went to the host socket
 * @seq_ack_to_tap:	Acknowledgement number we last sent to the guest
 * @ts_recent:		Guest's latest timestamp, echoed back (RFC 7323)
 * @timer_ms:		Deadline of the retransmission or SYN timer, in
 *			milliseconds since start, 0 if not running
 * @active_s:		Last activity, in seconds since start
 * @wnd_from_tap:	Guest's window, as in its header (unscaled)
 * @wnd_to_tap:		Window we last advertised, as in our header
 * @mss:		Largest payload we send the guest
 * @flags:		TCP_F_* bits
 * @ws_from_tap:	Guest's window scale
 * @ws_to_tap:		Our window scale, 0 if the guest uses none
 * @state:		enum tcp_conn_state
 * @fin:		TCP_*FIN* bits
 * @retries:		Retransmissions without progress
 * @dup_acks:		Duplicate ACKs in a row from the guest
 */
struct tcp_conn {
	struct flow_common f;
	int32_t sock;
	uint32_t seq_to_tap;
	uint32_t seq_max_to_tap;
	uint32_t seq_ack_from_tap;
	uint32_t seq_from_tap;
	uint32_t seq_ack_to_tap;
	uint32_t ts_recent;
	uint32_t timer_ms;
	uint32_t active_s;
	uint16_t wnd_from_tap;
	uint16_t wnd_to_tap;
	uint16_t mss;
	uint16_t flags;
	uint8_t ws_from_tap:4, ws_to_tap:4;
	uint8_t state;
	uint8_t fin;
	uint8_t retries:4, dup_acks:4;
};

_Static_assert(sizeof(struct tcp_conn) <= FLOW_ENTRY_SIZE,
	       "TCP state must fit a flow table entry");

/* Sequence number comparisons, modulo 2^32 (RFC 9293, 3.4) */
#define SEQ_LT(a, b)		((int32_t)((a) - (b)) < 0)
#define SEQ_LE(a, b)		((int32_t)((a) - (b)) <= 0)
#define SEQ_GT(a, b)		((int32_t)((a) - (b)) > 0)
#define SEQ_GE(a, b)		((int32_t)((a) - (b)) >= 0)

/* TCP header flags */
#define TCP_FIN			0x01
#define TCP_SYN			0x02
#define TCP_RST			0x04
#define TCP_PSH			0x08
#define TCP_ACK			0x10

/**
 * tcp_conn_of() - TCP connection of a flow
 * @f:		Flow of type FLOW_TYPE_TCP
 *
 * Return: the connection
 */
static inline struct tcp_conn *tcp_conn_of(struct flow_common *f)
{
	return (struct tcp_conn *)(void *)f;
}

/**
 * tcp_guest_wnd() - Guest's receive window in bytes
 * @conn:	Connection
 *
 * Return: window, scaled
 */
static inline uint32_t tcp_guest_wnd(const struct tcp_conn *conn)
{
	return (uint32_t)conn->wnd_from_tap << conn->ws_from_tap;
}

/* tcp_seg.c */
void tcp_seg_init(void);
bool tcp_seg_ctl(struct ctx *c, struct tcp_conn *conn, uint8_t flags,
		 uint32_t seq);
int tcp_seg_data(struct ctx *c, struct tcp_conn *conn, uint32_t limit);
void tcp_seg_rst_reply(struct ctx *c, const struct flowside *guest,
		       uint32_t seq, uint32_t ack, bool with_ack);
void tcp_seg_flush(struct ctx *c);
uint32_t tcp_now_ms(const struct ctx *c);

/* tcp.c, for tcp_seg.c */
void tcp_rewind(struct tcp_conn *conn, uint32_t seq);
void tcp_l2_wait(struct tcp_conn *conn, bool ack_due);
uint16_t tcp_wnd_to_tap(struct tcp_conn *conn);
void tcp_rst(struct ctx *c, struct tcp_conn *conn, const char *why);
void tcp_conn_from_host(struct ctx *c, int fd, const struct fwd_rule *rule);

/* tcp_listen.c */
void tcp_listen_init(struct ctx *c);

#endif /* TCP_CONN_H */
