// SPDX-License-Identifier: GPL-2.0-or-later
/* tcp_restore.c - TCP connections across a migration, the target side:
 * reading and checking the flows stage, then restoring each connection's
 * socket with TCP_REPAIR and resuming it with the guest
 *
 * The whole stage is read and checked first, into a staging file of our
 * own (queues included): a malformed stream changes nothing. Then each flow
 * gets a new socket in repair mode, bound and connected to the recorded
 * addresses without a handshake, its queues, options and window restored,
 * and repair mode left. A flow that fails to restore is reset, alone. A
 * connect() that fails with EADDRNOTAVAIL means the source still holds the
 * same addresses and ports (two daemons in one network namespace): that
 * flow waits, in repair mode, and tries again until the source lets go.
 *
 * Each flow has its entry in the flow table, found by the guest's side,
 * from the moment its stream is applied: until its socket is ready, the
 * entry is inert (TCP_F_MIGRATED, as on a source), so that the guest's
 * segments meanwhile are dropped, for the guest to send again, rather than
 * answered with a RST.
 */

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ctx.h"
#include "epoll_ref.h"
#include "flow.h"
#include "log.h"
#include "repair.h"
#include "tcp_conn.h"
#include "tcp_migrate.h"
#include "tcp_restore.h"
#include "util.h"

/* Sockets of one batch to the repair helper */
static int tcp_restore_fds[TCP_MIGRATE_FLOWS_MAX];

/**
 * tcp_restore_stage_copy() - Copy bytes of the stream into the staging file
 * @fd:		Stream
 * @stage:	Staging file
 * @len:	Bytes
 * @buf:	Where the first bytes also go, NULL if not wanted
 * @buf_len:	Length of @buf, at most @len
 *
 * Return: 0 on success, EIO if the stream ends first, another positive
 *	   errno if reading or writing fails
 *
 * #syscalls: read write
 */
static int tcp_restore_stage_copy(int fd, int stage, size_t len, uint8_t *buf,
				  size_t buf_len)
{
	static uint8_t chunk[1 << 16];

	while (len) {
		size_t n = MIN(len, sizeof(chunk));
		int rc = read_all(fd, chunk, n);

		if (!rc)
			rc = write_all(stage, chunk, n);
		if (rc)
			return rc;
		if (buf && buf_len) {
			size_t take = MIN(buf_len, n);

			memcpy(buf, chunk, take);
			buf += take;
			buf_len -= take;
		}
		len -= n;
	}

	return 0;
}

/**
 * tcp_restore_load() - Read and check the flows stage into a staging file
 * @fd:		Stream
 * @stage:	Staging file, empty: what is read goes there, for
 *		tcp_restore_apply()
 * @count:	Number of flows, set
 *
 * Nothing outside the staging file changes: every record is checked here,
 * before any socket is opened.
 *
 * Return: 0 on success, EINVAL for an invalid record or a count larger
 *	   than we can hold, EIO if the stream ends early, another positive
 *	   errno if reading fails
 */
int tcp_restore_load(int fd, int stage, uint32_t *count)
{
	uint8_t buf[TCP_MIGRATE_REC_LEN];
	uint32_t i, n;
	int rc;

	rc = tcp_restore_stage_copy(fd, stage, 4, buf, 4);
	if (rc)
		return rc;
	n = get_be32(buf);
	if (n > TCP_MIGRATE_FLOWS_MAX) {
		err("Migration: %u TCP flows, more than the %u we hold", n,
		    TCP_MIGRATE_FLOWS_MAX);
		return EINVAL;
	}

	for (i = 0; i < n; i++) {
		struct tcp_migrate_rec r;

		rc = tcp_restore_stage_copy(fd, stage, TCP_MIGRATE_REC_LEN,
					    buf, TCP_MIGRATE_REC_LEN);
		if (rc)
			return rc;
		if (tcp_migrate_rec_get(buf, &r)) {
			err("Migration: invalid TCP flow record %u", i);
			return EINVAL;
		}
	}

	for (i = 0; i < n; i++) {
		struct tcp_migrate_ext e;

		rc = tcp_restore_stage_copy(fd, stage, TCP_MIGRATE_EXT_LEN,
					    buf, TCP_MIGRATE_EXT_LEN);
		if (rc)
			return rc;
		if (tcp_migrate_ext_get(buf, &e)) {
			err("Migration: invalid TCP socket record %u", i);
			return EINVAL;
		}
		if (!e.state)
			continue;
		rc = tcp_restore_stage_copy(fd, stage,
					    (size_t)e.sndq + e.rcvq, NULL, 0);
		if (rc)
			return rc;
	}

	*count = n;
	return 0;
}

/**
 * struct tcp_restore_pending - A flow being restored on the target
 * @flow:	Index of its inert flow entry, which owns its socket (in
 *		repair mode); FLOW_IDX_NONE once done with
 * @fd:		The socket, while @flow is set
 * @rec_off:	Offset of its fixed record in the staging file
 * @ext_off:	Offset of its extended record there, its queues after it
 * @bound:	Socket bound to the recorded address and port already
 */
struct tcp_restore_pending {
	uint32_t flow;
	int fd;
	off_t rec_off;
	off_t ext_off;
	bool bound;
};

static struct tcp_restore_pending tcp_restore_pend[TCP_MIGRATE_FLOWS_MAX];
static unsigned tcp_restore_pend_n;
/* Staging file of the restore in progress, -1 if none */
static int tcp_restore_stage_fd = -1;
/* Until when flows wait for the source, and when they try again next */
static struct timespec tcp_restore_deadline;
static struct timespec tcp_restore_next;

/**
 * tcp_restore_stage_read() - Read and parse a flow's records back from the
 *			      staging file, checked once already
 * @p:		Pending flow
 * @r:		Fixed record, filled in
 * @e:		Extended record, filled in
 *
 * Return: 0 on success, a positive errno on failure
 *
 * #syscalls: pread64
 */
static int tcp_restore_stage_read(const struct tcp_restore_pending *p,
				  struct tcp_migrate_rec *r,
				  struct tcp_migrate_ext *e)
{
	uint8_t rec[TCP_MIGRATE_REC_LEN], ext[TCP_MIGRATE_EXT_LEN];

	if (pread(tcp_restore_stage_fd, rec, sizeof(rec), p->rec_off) !=
	    (ssize_t)sizeof(rec) ||
	    pread(tcp_restore_stage_fd, ext, sizeof(ext), p->ext_off) !=
	    (ssize_t)sizeof(ext))
		return EIO;

	if (tcp_migrate_rec_get(rec, r) || tcp_migrate_ext_get(ext, e))
		return EINVAL;
	return 0;
}

/**
 * tcp_restore_queue_fill() - Write staged queue bytes into a socket
 * @s:		Socket: in repair mode with the queue selected, or not
 * @off:	Offset of the bytes in the staging file
 * @len:	Bytes
 *
 * Return: 0 on success, a positive errno on failure
 *
 * #syscalls: pread64 sendto
 */
static int tcp_restore_queue_fill(int s, off_t off, size_t len)
{
	static uint8_t chunk[1 << 16];

	while (len) {
		size_t n = MIN(len, sizeof(chunk));
		ssize_t w;

		if (pread(tcp_restore_stage_fd, chunk, n, off) != (ssize_t)n)
			return EIO;
		do
			w = send(s, chunk, n, MSG_NOSIGNAL);
		while (w < 0 && errno == EINTR);
		if (w <= 0)
			return w < 0 ? errno : EIO;
		off += w;
		len -= (size_t)w;
	}

	return 0;
}

/**
 * tcp_restore_sock_connect() - Bind and connect a socket in repair mode to
 *				its recorded addresses: no handshake
 * @p:		Pending flow
 * @r:		Fixed record
 * @e:		Extended record
 *
 * Return: 0 on success, EADDRNOTAVAIL while another socket holds the
 *	   addresses and ports, another positive errno on failure
 *
 * #syscalls: bind setsockopt connect
 */
static int tcp_restore_sock_connect(struct tcp_restore_pending *p,
				    const struct tcp_migrate_rec *r,
				    const struct tcp_migrate_ext *e)
{
	union sockaddr_inany sa;
	uint32_t seq_snd;
	socklen_t sl;
	int rc;

	if (!p->bound) {
		sl = inany_to_sockaddr(&sa, &r->host.oaddr, r->host.oport, 0);
		if (bind(p->fd, &sa.sa, sl))
			return errno;
		p->bound = true;
	}

	if (e->timestamp &&
	    setsockopt(p->fd, SOL_TCP, TCP_TIMESTAMP, &e->timestamp,
		       sizeof(e->timestamp)))
		return errno;

	/* In FIN_WAIT2 the sequence counts our FIN, acknowledged: the FIN
	 * that shutdown() queues later takes its place again
	 */
	seq_snd = e->seq_snd - (e->state == TCP_MIGRATE_ST_FIN_WAIT2);
	rc = tcp_migrate_queue_select(p->fd, TCP_SEND_QUEUE);
	if (!rc && setsockopt(p->fd, SOL_TCP, TCP_QUEUE_SEQ, &seq_snd,
			      sizeof(seq_snd)))
		rc = errno;
	if (!rc)
		rc = tcp_migrate_queue_select(p->fd, TCP_RECV_QUEUE);
	if (!rc && setsockopt(p->fd, SOL_TCP, TCP_QUEUE_SEQ, &e->seq_rcv,
			      sizeof(e->seq_rcv)))
		rc = errno;
	if (rc)
		return rc;

	sl = inany_to_sockaddr(&sa, &r->host.eaddr, r->host.eport, 0);
	if (connect(p->fd, &sa.sa, sl))
		return errno;

	return 0;
}

/**
 * tcp_restore_sock_fill() - Restore the queues, options and window of a
 *			     connected socket in repair mode
 * @p:		Pending flow
 * @e:		Extended record
 *
 * Return: 0 on success, a positive errno on failure
 *
 * #syscalls: setsockopt shutdown
 */
static int tcp_restore_sock_fill(const struct tcp_restore_pending *p,
				 const struct tcp_migrate_ext *e)
{
	off_t q = p->ext_off + TCP_MIGRATE_EXT_LEN;
	struct tcp_repair_opt opts[4];
	int rc, n = 0, s = p->fd;

	/* A buffer smaller than what it held on the source can't take it */
	if (e->rcvq > (1U << 16)) {
		int v = (int)MIN((uint64_t)e->rcvq * 2, (uint64_t)INT_MAX);

		setsockopt(s, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v));
	}
	if (e->sndq > (1U << 16)) {
		int v = (int)MIN((uint64_t)e->sndq * 2, (uint64_t)INT_MAX);

		setsockopt(s, SOL_SOCKET, SO_SNDBUF, &v, sizeof(v));
	}

	/* Receive queue first, then the part of the send queue already sent:
	 * the rest goes out normally once repair mode is off
	 */
	rc = tcp_migrate_queue_select(s, TCP_RECV_QUEUE);
	if (!rc)
		rc = tcp_restore_queue_fill(s, q + e->sndq, e->rcvq);
	if (!rc)
		rc = tcp_migrate_queue_select(s, TCP_SEND_QUEUE);
	if (!rc)
		rc = tcp_restore_queue_fill(s, q, e->sndq - e->notsent);
	if (rc)
		return rc;

	opts[n++] = (struct tcp_repair_opt){ TCPOPT_MAXSEG, e->mss };
	if (e->options & TCPI_OPT_WSCALE) {
		opts[n++] = (struct tcp_repair_opt){
			TCPOPT_WINDOW, e->snd_ws | ((uint32_t)e->rcv_ws << 16) };
	}
	if (e->options & TCPI_OPT_SACK)
		opts[n++] = (struct tcp_repair_opt){ TCPOPT_SACK_PERMITTED, 0 };
	if (e->options & TCPI_OPT_TIMESTAMPS)
		opts[n++] = (struct tcp_repair_opt){ TCPOPT_TIMESTAMP, 0 };
	if (setsockopt(s, SOL_TCP, TCP_REPAIR_OPTIONS, opts,
		       (socklen_t)(sizeof(opts[0]) * (size_t)n)))
		return errno;

	/* Our FIN, acknowledged already: queued silently */
	if (e->state == TCP_MIGRATE_ST_FIN_WAIT2 && shutdown(s, SHUT_WR))
		return errno;

	if (setsockopt(s, SOL_TCP, TCP_REPAIR_WINDOW, &e->wnd, sizeof(e->wnd)))
		return errno;

	return 0;
}

/**
 * tcp_restore_sock_finish() - Send what the source hadn't sent yet, and
 *			       our FIN if it was on its way, repair mode off
 * @p:		Pending flow
 * @e:		Extended record
 *
 * Return: 0 on success, a positive errno on failure
 *
 * #syscalls: fcntl setsockopt shutdown
 */
static int tcp_restore_sock_finish(const struct tcp_restore_pending *p,
				   const struct tcp_migrate_ext *e)
{
	off_t q = p->ext_off + TCP_MIGRATE_EXT_LEN;
	struct timeval tv = { .tv_sec = 1 };
	int rc, flags = fcntl(p->fd, F_GETFL);

	/* Blocking, with a time limit: the socket may need the peer's
	 * acknowledgements to take all of it
	 */
	if (flags < 0 || fcntl(p->fd, F_SETFL, flags & ~O_NONBLOCK) ||
	    setsockopt(p->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)))
		return errno;

	rc = tcp_restore_queue_fill(p->fd, q + (e->sndq - e->notsent),
				    e->notsent);
	if (!rc && tcp_migrate_fin_sent(e->state) && shutdown(p->fd, SHUT_WR))
		rc = errno;

	tv.tv_sec = 0;
	setsockopt(p->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (fcntl(p->fd, F_SETFL, flags) && !rc)
		rc = errno;

	return rc;
}

/**
 * tcp_restore_fail() - A flow that can't be restored: its socket closes,
 *			silently, and the guest gets a RST
 * @c:		Execution context
 * @p:		Pending flow
 * @r:		Its fixed record, NULL if it couldn't be read
 * @why:	What failed
 */
static void tcp_restore_fail(struct ctx *c, struct tcp_restore_pending *p,
			     const struct tcp_migrate_rec *r, const char *why)
{
	struct flow_common *f = flow_at(p->flow, FLOW_TYPE_TCP);
	char g[INANY_ADDRSTRLEN], h[INANY_ADDRSTRLEN];

	p->flow = FLOW_IDX_NONE;
	p->fd = -1;
	if (f)
		tcp_conn_close(c, tcp_conn_of(f), false, "not restored");
	if (!r) {
		warn("Migration: TCP flow not restored: %s", why);
		return;
	}

	warn("Migration: TCP flow guest %s:%u, host %s:%u not restored: %s",
	     inany_ntop(&r->guest.eaddr, g, sizeof(g)), r->guest.eport,
	     inany_ntop(&r->host.eaddr, h, sizeof(h)), r->host.eport, why);
	tcp_seg_rst_reply(c, &r->guest, r->seq_to, r->seq_from, true);
}

/**
 * tcp_restore_events_in() - Our closing progress from a record's events
 * @ev:		TCP_MIGRATE_EV_* bits
 *
 * Return: TCP_*FIN* bits
 */
static uint8_t tcp_restore_events_in(uint8_t ev)
{
	uint8_t fin = 0;

	if (ev & TCP_MIGRATE_EV_SOCK_FIN_RCVD)
		fin |= TCP_SOCK_FIN_RCVD;
	if (ev & (TCP_MIGRATE_EV_GUEST_FIN_RCVD | TCP_MIGRATE_EV_SOCK_FIN_SENT))
		fin |= TCP_GUEST_FIN_RCVD;
	if (ev & TCP_MIGRATE_EV_GUEST_FIN_SENT)
		fin |= TCP_GUEST_FIN_SENT;
	if (ev & TCP_MIGRATE_EV_GUEST_FIN_ACKED)
		fin |= TCP_GUEST_FIN_ACKED;

	return fin;
}

/**
 * tcp_restore_conn_new() - Resume a restored connection with the guest,
 *			    its socket ready
 * @c:		Execution context
 * @p:		Pending flow: done with after this
 * @r:		Fixed record
 *
 * Whatever the guest hasn't acknowledged goes again at once, from the
 * restored queue: what was in flight at the switch may be lost.
 *
 * #syscalls: setsockopt
 */
static void tcp_restore_conn_new(struct ctx *c, struct tcp_restore_pending *p,
				 const struct tcp_migrate_rec *r)
{
	struct flow_common *f = flow_at(p->flow, FLOW_TYPE_TCP);
	struct tcp_conn *conn;
	int one = 1, rc;

	p->flow = FLOW_IDX_NONE;
	p->fd = -1;
	if (!f)
		return;
	conn = tcp_conn_of(f);

	conn->state = CONN_ESTABLISHED;
	conn->fin = tcp_restore_events_in(r->events);
	conn->mss = (uint16_t)r->mss;
	conn->ws_from_guest = r->ws_from & 0xf;
	conn->ws_to_guest = r->ws_to & 0xf;
	conn->wnd_from_guest = r->wnd_from;
	conn->seq_max_to_guest = r->seq_to;
	conn->seq_ack_from_guest = r->seq_ack_from;
	conn->seq_to_guest = r->seq_ack_from;
	conn->seq_from_guest = r->seq_from;
	conn->seq_ack_to_guest = r->seq_ack_to;
	conn->active_s = (uint16_t)c->now.tv_sec;
	conn->flags &= (uint16_t)~TCP_F_MIGRATED;
	if (r->flags & TCP_MIGRATE_F_ACK_TO_GUEST)
		conn->flags |= TCP_F_ACK_DUE;
	tcp_wnd_update(c, conn);

	setsockopt(conn->sock, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	rc = setsockopt(conn->sock, SOL_SOCKET, SO_PEEK_OFF,
			&(int){ 0 }, sizeof(int)) ? errno : 0;
	if (!rc)
		rc = tcp_conn_epoll(c, conn, true);
	if (rc) {
		tcp_conn_rst(c, conn, strerror(rc));
		return;
	}

	flow_log(f, LOG_DEBUG, "restored");
	tcp_send_ack(c, conn);
	rc = tcp_sock_data(c, conn, UINT32_MAX);
	if (rc)
		tcp_conn_rst(c, conn, strerror(rc));
}

/**
 * tcp_restore_flow_new() - Take a flow entry for a connection to restore,
 *			    inert until its socket is ready
 * @c:		Execution context
 * @p:		Pending flow, its socket in @fd: the entry owns it then
 * @r:		Fixed record
 *
 * Return: 0 on success, a positive errno on failure (the socket is closed)
 *
 * #syscalls: close
 */
static int tcp_restore_flow_new(struct ctx *c, struct tcp_restore_pending *p,
				const struct tcp_migrate_rec *r)
{
	struct flow_common *f = flow_alloc(FLOW_TYPE_TCP);
	struct tcp_conn *conn;
	int rc;

	if (!f) {
		close(p->fd);
		p->fd = -1;
		return ENOSPC;
	}

	f->side[FLOW_SIDE_GUEST] = r->guest;
	f->side[FLOW_SIDE_HOST] = r->host;
	conn = tcp_conn_of(f);
	conn->sock = p->fd;
	conn->flags = TCP_F_MIGRATED;
	if (r->inbound) {
		f->flags |= FLOW_F_INBOUND;
		conn->flags |= TCP_F_INBOUND;
	}
	flow_activate(f);
	p->flow = flow_idx(f);

	rc = flow_hash_insert(f, FLOW_SIDE_GUEST);
	if (rc) {
		tcp_conn_close(c, conn, false, "not restored");
		p->flow = FLOW_IDX_NONE;
		p->fd = -1;
	}
	return rc;
}

/**
 * tcp_restore_resume() - Take pending flows whose socket connected out of
 *			  repair mode, and resume them
 * @c:		Execution context
 * @ready:	Indices of those flows in tcp_restore_pend
 * @n:		Number of them
 */
static void tcp_restore_resume(struct ctx *c, const unsigned *ready, size_t n)
{
	size_t i, cnt = 0;
	int rc;

	for (i = 0; i < n; i++)
		tcp_restore_fds[cnt++] = tcp_restore_pend[ready[i]].fd;
	rc = cnt ? repair_set(tcp_restore_fds, cnt, TCP_REPAIR_OFF) : 0;

	for (i = 0; i < n; i++) {
		struct tcp_restore_pending *p = &tcp_restore_pend[ready[i]];
		struct tcp_migrate_rec r;
		struct tcp_migrate_ext e;
		int err = tcp_restore_stage_read(p, &r, &e);

		if (err) {
			tcp_restore_fail(c, p, NULL, strerror(err));
			continue;
		}
		if (!rc)
			tcp_migrate_reuse(p->fd);
		err = rc ? rc : tcp_restore_sock_finish(p, &e);
		if (err) {
			tcp_restore_fail(c, p, &r, strerror(err));
			continue;
		}
		tcp_restore_conn_new(c, p, &r);
	}
}

/**
 * tcp_restore_advance() - Connect and fill the pending flows' sockets, and
 *			   resume those that are ready
 * @c:		Execution context, with the current time
 *
 * Flows whose addresses another socket still holds stay pending, for the
 * next try, until the deadline. The source lets go of all its sockets at
 * once: while the first flow tried finds its addresses held, the others
 * aren't tried, which keeps frequent tries cheap.
 *
 * #syscalls: close
 */
static void tcp_restore_advance(struct ctx *c)
{
	bool late = timespec_diff_ms(&c->now, &tcp_restore_deadline) >= 0;
	static unsigned ready[TCP_MIGRATE_FLOWS_MAX];
	unsigned i, n = 0, left = 0;
	bool held = false;

	for (i = 0; i < tcp_restore_pend_n; i++) {
		struct tcp_restore_pending *p = &tcp_restore_pend[i];
		struct tcp_migrate_rec r;
		struct tcp_migrate_ext e;
		int rc;

		if (p->flow == FLOW_IDX_NONE)
			continue;
		if (held) {
			left++;
			continue;
		}

		rc = tcp_restore_stage_read(p, &r, &e);
		if (rc) {
			tcp_restore_fail(c, p, NULL, strerror(rc));
			continue;
		}
		rc = tcp_restore_sock_connect(p, &r, &e);
		if (rc == EADDRNOTAVAIL && !late) {
			left++;
			held = !n;
			continue;
		}
		if (!rc)
			rc = tcp_restore_sock_fill(p, &e);
		if (rc) {
			tcp_restore_fail(c, p, &r, strerror(rc));
			continue;
		}
		ready[n++] = i;
	}

	tcp_restore_resume(c, ready, n);

	if (!left) {
		close(tcp_restore_stage_fd);
		tcp_restore_stage_fd = -1;
		tcp_restore_pend_n = 0;
		return;
	}

	tcp_restore_next = c->now;
	tcp_restore_next.tv_nsec += TCP_MIGRATE_RETRY_PERIOD_MS * 1000000L;
	if (tcp_restore_next.tv_nsec >= 1000000000L) {
		tcp_restore_next.tv_sec++;
		tcp_restore_next.tv_nsec -= 1000000000L;
	}
}

/**
 * tcp_restore_apply() - Recreate the flows a checked stage carries
 * @c:		Execution context
 * @stage:	Staging file from tcp_restore_load(): taken over
 * @count:	Number of flows in it
 *
 * Flows that fail are reset one by one, with a log line each; the others
 * carry on. So are flows the source couldn't save: the guest learns at
 * once that they are gone.
 *
 * #syscalls: socket setsockopt close
 */
void tcp_restore_apply(struct ctx *c, int stage, uint32_t count)
{
	off_t ext_off = 4 + (off_t)count * TCP_MIGRATE_REC_LEN;
	unsigned i, n = 0;
	int rc;

	/* A restore still waiting from an earlier migration gives up */
	for (i = 0; i < tcp_restore_pend_n; i++) {
		if (tcp_restore_pend[i].flow != FLOW_IDX_NONE)
			tcp_restore_fail(c, &tcp_restore_pend[i], NULL,
					 "superseded");
	}
	if (tcp_restore_stage_fd >= 0)
		close(tcp_restore_stage_fd);
	tcp_restore_stage_fd = stage;
	tcp_restore_pend_n = 0;

	for (i = 0; i < count; i++) {
		struct tcp_restore_pending *p = &tcp_restore_pend[n];
		struct tcp_migrate_rec r;
		struct tcp_migrate_ext e;

		*p = (struct tcp_restore_pending){
			.flow = FLOW_IDX_NONE, .fd = -1,
			.rec_off = 4 + (off_t)i * TCP_MIGRATE_REC_LEN,
			.ext_off = ext_off,
		};
		rc = tcp_restore_stage_read(p, &r, &e);
		if (rc) {
			tcp_restore_fail(c, p, NULL, strerror(rc));
			break;
		}
		ext_off += TCP_MIGRATE_EXT_LEN;
		if (!e.state) {
			tcp_restore_fail(c, p, &r, "not saved by the source");
			continue;
		}
		ext_off += (off_t)e.sndq + e.rcvq;

		p->fd = socket(inany_v4(&r.host.eaddr) ? AF_INET : AF_INET6,
			       SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
			       IPPROTO_TCP);
		if (p->fd < 0 || p->fd > EPOLL_REF_FD_MAX) {
			if (p->fd >= 0)
				close(p->fd);
			p->fd = -1;
			tcp_restore_fail(c, p, &r, "can't open socket");
			continue;
		}
		setsockopt(p->fd, SOL_SOCKET, SO_REUSEADDR, &(int){ 1 },
			   sizeof(int));
		rc = tcp_restore_flow_new(c, p, &r);
		if (rc) {
			tcp_restore_fail(c, p, &r, rc == ENOSPC ?
					 "flow table full" : strerror(rc));
			continue;
		}
		tcp_restore_fds[n++] = p->fd;
	}
	tcp_restore_pend_n = n;

	if (!n) {
		close(tcp_restore_stage_fd);
		tcp_restore_stage_fd = -1;
		return;
	}

	rc = repair_set(tcp_restore_fds, n, TCP_REPAIR_ON);
	if (rc) {
		for (i = 0; i < n; i++) {
			struct tcp_restore_pending *p = &tcp_restore_pend[i];
			struct tcp_migrate_rec r;
			struct tcp_migrate_ext e;

			if (tcp_restore_stage_read(p, &r, &e))
				tcp_restore_fail(c, p, NULL, strerror(rc));
			else
				tcp_restore_fail(c, p, &r, strerror(rc));
		}
		tcp_restore_pend_n = 0;
		close(tcp_restore_stage_fd);
		tcp_restore_stage_fd = -1;
		return;
	}

	tcp_restore_deadline = c->now;
	tcp_restore_deadline.tv_sec += TCP_MIGRATE_RETRY_MS / 1000;
	tcp_restore_advance(c);
	info("Migration: %u TCP flows restored or pending", n);
}

/**
 * tcp_restore_wait_ms() - How long the main loop may wait before the
 *			   pending flows of a restore try again
 * @c:		Execution context, with the current time
 *
 * Return: milliseconds, -1 if no flow is pending
 */
int tcp_restore_wait_ms(const struct ctx *c)
{
	int64_t ms;

	if (tcp_restore_stage_fd < 0)
		return -1;

	ms = timespec_diff_ms(&tcp_restore_next, &c->now);
	return ms < 0 ? 0 : (int)MIN(ms, TCP_MIGRATE_RETRY_PERIOD_MS);
}

/**
 * tcp_restore_poll() - Try the pending flows of a restore again, if due
 * @c:		Execution context, with the current time
 *
 * A source on the same host lets go of its sockets when its front end
 * leaves: the sooner a flow takes its addresses then, the less likely the
 * kernel answers a segment of the peer with a RST meanwhile.
 */
void tcp_restore_poll(struct ctx *c)
{
	if (tcp_restore_stage_fd >= 0 &&
	    timespec_diff_ms(&c->now, &tcp_restore_next) >= 0)
		tcp_restore_advance(c);
}
