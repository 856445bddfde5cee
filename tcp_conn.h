/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tcp_conn.h - state of one TCP connection, shared by tcp.c (the state
 * machine), tcp_ack.c (acknowledgements and windows both ways) and
 * tcp_seg.c (building segments to the guest)
 *
 * There is no TCP stack here: the guest's connection is paired with a host
 * socket. Towards the guest we are a TCP peer whose send buffer is the
 * host socket's receive queue (read with MSG_PEEK, dropped once the guest
 * acknowledges it) and whose receive buffer is the host socket's send
 * buffer (the guest is acknowledged for what send() took).
 *
 * Names: "guest" is the guest's end of the connection, whichever front end
 * carries its frames; "sock" is the host socket. So @seq_to_guest is what
 * we send the guest next, and TCP_SOCK_FIN_RCVD the host peer's FIN.
 *
 * Calls go one way: tcp_migrate.c calls tcp.c, tcp_ack.c and tcp_seg.c;
 * tcp.c calls tcp_ack.c and tcp_seg.c; tcp_ack.c calls tcp_seg.c. A function that finds a connection broken returns a positive
 * errno and leaves it open: only the event handlers in tcp.c reset.
 */

#ifndef TCP_CONN_H
#define TCP_CONN_H

#include <stdbool.h>
#include <stddef.h>
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
#define TCP_GUEST_FIN_SENT	(1U << 1)	/* our FIN sent to the guest */
#define TCP_GUEST_FIN_ACKED	(1U << 2)	/* guest acknowledged it */
#define TCP_GUEST_FIN_RCVD	(1U << 3)	/* guest FIN, socket shut down */

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
#define TCP_F_MIGRATED		(1U << 10)	/* carried away, socket in repair */
#define TCP_F_WND_HELD		(1U << 11)	/* window to ask again soon */
#define TCP_F_IN_OFF		(1U << 12)	/* EPOLLIN not armed, see
						 * tcp_epoll_sync()
						 */

/**
 * struct tcp_conn - One TCP connection: guest side and host socket
 * @f:			Flow header: sides, type, flags
 * @sock:		Host socket
 * @seq_to_guest:	Next sequence number we send to the guest
 * @seq_max_to_guest:	Highest sequence number sent so far, plus one
 * @seq_ack_from_guest:	Oldest sequence number the guest hasn't
 *			acknowledged
 * @seq_from_guest:	Next sequence number expected from the guest: all
 *			before it went to the host socket
 * @seq_ack_to_guest:	Acknowledgement number we last sent to the guest
 * @ts_recent:		Guest's latest timestamp, echoed back (RFC 7323)
 * @timer_ms:		Deadline of the retransmission or SYN timer, in
 *			milliseconds since start, 0 if not running
 * @active_s:		Last activity, in seconds since start, wrapping (idle
 *			times we act on are far shorter)
 * @wnd_from_guest:	Guest's window, as in its header (unscaled)
 * @wnd_to_guest:	Window we advertise, as in our header: computed from
 *			the socket by tcp_wnd_update(), never while building
 *			a header, and shrunk by what the socket takes
 * @wnd_base:		@wnd_to_guest as tcp_wnd_update() last computed it
 * @mss:		Largest payload we send the guest
 * @flags:		TCP_F_* bits
 * @ws_from_guest:	Guest's window scale
 * @ws_to_guest:	Our window scale, 0 if the guest uses none
 * @state:		enum tcp_conn_state
 * @fin:		TCP_*FIN* bits
 * @retries:		Retransmissions without progress
 * @dup_acks:		Duplicate ACKs in a row from the guest
 */
struct tcp_conn {
	struct flow_common f;
	int32_t sock;
	uint32_t seq_to_guest;
	uint32_t seq_max_to_guest;
	uint32_t seq_ack_from_guest;
	uint32_t seq_from_guest;
	uint32_t seq_ack_to_guest;
	uint32_t ts_recent;
	uint32_t timer_ms;
	uint16_t active_s;
	uint16_t wnd_from_guest;
	uint16_t wnd_to_guest;
	uint16_t wnd_base;
	uint16_t mss;
	uint16_t flags;
	uint8_t ws_from_guest:4, ws_to_guest:4;
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

/* The guest's MSS if it sends no option (RFC 9293, 3.7.1) */
#define TCP_GUEST_MSS_DEFAULT	536

/**
 * struct tcp_seg_in - A segment from the guest, parsed once: the guest may
 *		       change its memory under us, so nothing is read twice
 * @sport:	Source port
 * @dport:	Destination port
 * @seq:	Sequence number
 * @ack:	Acknowledgement number
 * @wnd:	Window, unscaled
 * @flags:	TCP flags
 * @mss:	MSS option, 0 if absent
 * @ws:		Window scale option, -1 if absent
 * @ts:		Timestamps option present
 * @tsval:	Timestamp value, if @ts
 * @data:	Payload
 * @len:	Payload length
 */
struct tcp_seg_in {
	uint16_t sport;
	uint16_t dport;
	uint32_t seq;
	uint32_t ack;
	uint16_t wnd;
	uint8_t flags;
	uint16_t mss;
	int8_t ws;
	bool ts;
	uint32_t tsval;
	const uint8_t *data;
	size_t len;
};

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
	return (uint32_t)conn->wnd_from_guest << conn->ws_from_guest;
}

/**
 * tcp_conn_v4() - Is a connection IPv4?
 * @conn:	Connection
 *
 * Return: true for IPv4, false for IPv6 (parsing drops IPv6 packets with
 *	   IPv4-mapped addresses, so the guest side tells)
 */
static inline bool tcp_conn_v4(const struct tcp_conn *conn)
{
	return !!inany_v4(&conn->f.side[FLOW_SIDE_GUEST].eaddr);
}

/* tcp_seg.c */
void tcp_seg_init(void);
uint32_t tcp_now_ms(const struct ctx *c);
void tcp_seg_ctl(struct ctx *c, struct tcp_conn *conn, uint8_t flags,
		 uint32_t seq);
int tcp_seg_data(struct ctx *c, struct tcp_conn *conn, uint32_t limit);
void tcp_seg_rst_reply(struct ctx *c, const struct flowside *guest,
		       uint32_t seq, uint32_t ack, bool with_ack);
void tcp_seg_rewind(struct tcp_conn *conn, uint32_t seq);
void tcp_seg_wait(struct tcp_conn *conn, bool ack_due);
unsigned tcp_seg_waiting_take(uint32_t idx[FLOW_LIST_MAX], bool *lost);
void tcp_seg_waiting_first(const uint32_t *idx, unsigned n);

/* tcp_ack.c */
void tcp_ack_init(void);
void tcp_timer_set(const struct ctx *c, struct tcp_conn *conn, bool on);
void tcp_wnd_update(const struct ctx *c, struct tcp_conn *conn);
void tcp_wnd_took(const struct ctx *c, struct tcp_conn *conn, uint32_t n);
void tcp_wnd_recheck(struct ctx *c, struct tcp_conn *conn);
void tcp_send_ack(struct ctx *c, struct tcp_conn *conn);
int tcp_conn_epoll(const struct ctx *c, const struct tcp_conn *conn, bool add);
int tcp_epoll_sync(const struct ctx *c, struct tcp_conn *conn);
int tcp_sock_data(struct ctx *c, struct tcp_conn *conn, uint32_t limit);
int tcp_discard(const struct tcp_conn *conn, uint32_t n);
int tcp_ack_in(struct ctx *c, struct tcp_conn *conn,
	       const struct tcp_seg_in *s, bool *more, uint32_t *drop);
void tcp_ack_data_in(struct ctx *c, struct tcp_conn *conn);
void tcp_ack_delayed_flush(struct ctx *c);
int tcp_ack_wait_ms(const struct ctx *c);

/* tcp.c, for tcp_listen.c and tcp_migrate.c */
void tcp_conn_from_host(struct ctx *c, int fd, const struct fwd_rule *rule);
void tcp_conn_close(const struct ctx *c, struct tcp_conn *conn, bool reset,
		    const char *why);
void tcp_conn_rst(struct ctx *c, struct tcp_conn *conn, const char *why);

/* tcp_listen.c */
void tcp_listen_init(struct ctx *c);

#endif /* TCP_CONN_H */
