// SPDX-License-Identifier: GPL-2.0-or-later
/* util.c - small helpers shared by every layer: time arithmetic, blocking
 * read and write loops that survive short transfers and signals, files to
 * remove at exit, listening UNIX domain sockets, and accepting connections
 * while out of descriptors
 */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "util.h"

/**
 * timespec_diff_ms() - Milliseconds from one time to a later one
 * @a:		Later time
 * @b:		Earlier time
 *
 * Return: @a - @b in milliseconds, negative if @a is before @b
 */
int64_t timespec_diff_ms(const struct timespec *a, const struct timespec *b)
{
	return (int64_t)(a->tv_sec - b->tv_sec) * MS_PER_SEC +
	       (a->tv_nsec - b->tv_nsec) / 1000000;
}

/**
 * read_all() - Read exactly @len bytes from a blocking descriptor
 * @fd:		Descriptor to read from
 * @buf:	Destination
 * @len:	Number of bytes wanted
 *
 * Return: 0 on success, a positive errno on failure, EIO on early end of file
 *
 * #syscalls: read
 */
int read_all(int fd, void *buf, size_t len)
{
	uint8_t *p = buf;

	while (len) {
		ssize_t n = read(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno;
		}
		if (!n)
			return EIO;
		p += n;
		len -= (size_t)n;
	}

	return 0;
}

/**
 * write_all() - Write exactly @len bytes to a blocking descriptor
 * @fd:		Descriptor to write to
 * @buf:	Source
 * @len:	Number of bytes to write
 *
 * Return: 0 on success, a positive errno on failure
 *
 * #syscalls: write
 */
int write_all(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno;
		}
		p += n;
		len -= (size_t)n;
	}

	return 0;
}

/**
 * write_file_line() - Replace a file's contents with one line
 * @path:	File to write, created with mode 0600 if missing
 * @line:	Text, written followed by a newline
 *
 * Return: 0 on success, a positive errno on failure
 */
int write_file_line(const char *path, const char *line)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	int rc;

	if (fd < 0)
		return errno;

	rc = write_all(fd, line, strlen(line));
	if (!rc)
		rc = write_all(fd, "\n", 1);
	close(fd);

	return rc;
}

/**
 * fd_set_nonblock() - Make a descriptor non-blocking
 * @fd:		Descriptor
 *
 * Return: 0 on success, a positive errno on failure
 *
 * #syscalls: fcntl
 */
int fd_set_nonblock(int fd)
{
	int flags = fcntl(fd, F_GETFL);

	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
		return errno;

	return 0;
}

/**
 * path_at_open() - Open the directory of a file we will remove at exit
 * @p:		Filled in: the directory and the file's name in it
 * @path:	Path of the file, absolute or relative
 *
 * Return: 0 on success, a positive errno on failure, @p then unset
 */
int path_at_open(struct path_at *p, const char *path)
{
	const char *slash = strrchr(path, '/'), *name = path;
	char dir[PATH_MAX] = ".";
	size_t len;

	p->dirfd = -1;
	if (slash) {
		/* "/name" is in "/" */
		len = slash == path ? 1 : (size_t)(slash - path);
		if (len >= sizeof(dir))
			return ENAMETOOLONG;
		memcpy(dir, path, len);
		dir[len] = '\0';
		name = slash + 1;
	}

	len = strlen(name);
	if (!len)
		return EISDIR;
	if (len >= sizeof(p->name))
		return ENAMETOOLONG;

	p->dirfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (p->dirfd < 0)
		return errno;
	memcpy(p->name, name, len + 1);

	return 0;
}

/**
 * path_at_unlink() - Remove a file opened by path_at_open(), once
 * @p:		Directory and name, unset on return
 *
 * Return: 0 on success or if there is nothing to remove, a positive errno
 *
 * #syscalls: unlinkat close
 */
int path_at_unlink(struct path_at *p)
{
	int rc = 0;

	if (p->dirfd < 0)
		return 0;

	if (unlinkat(p->dirfd, p->name, 0) && errno != ENOENT)
		rc = errno;
	close(p->dirfd);
	p->dirfd = -1;

	return rc;
}

/**
 * unix_sock_probe() - Tell whether something listens at a socket path
 * @addr:	Address to probe
 *
 * Return: 0 if nothing listens (no file, or a stale one left behind),
 *	   EADDRINUSE if a server answers or the path can't be used,
 *	   otherwise a positive errno from socket()
 */
static int unix_sock_probe(const struct sockaddr_un *addr)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int rc = 0;

	if (fd < 0)
		return errno;

	/* Connected, or failed for a reason other than nobody being there */
	if (!connect(fd, (const struct sockaddr *)addr, sizeof(*addr)) ||
	    (errno != ENOENT && errno != ECONNREFUSED))
		rc = EADDRINUSE;

	close(fd);
	return rc;
}

/**
 * unix_sock_listen() - Bind a UNIX stream socket to a path and listen,
 *			removing a stale socket file left there first
 * @path:	Socket path
 *
 * Return: listening socket, non-blocking and close-on-exec, or -1 with
 *	   errno set
 */
int unix_sock_listen(const char *path)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int fd, rc;

	if (strlen(path) >= sizeof(addr.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(addr.sun_path, path, strlen(path) + 1);

	rc = unix_sock_probe(&addr);
	if (rc) {
		errno = rc;
		return -1;
	}
	/* Nothing answers: a socket file here is stale */
	unlink(path);

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;

	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) ||
	    listen(fd, 0)) {
		rc = errno;
		close(fd);
		errno = rc;
		return -1;
	}

	return fd;
}

/* A descriptor held in reserve: given up to accept, and refuse, a waiting
 * connection once every other descriptor is in use; -1 if none is held
 */
static int fd_spare = -1;

/**
 * fd_spare_init() - Hold a spare descriptor for fd_accept()
 * @fd:		Any open descriptor, duplicated: the copy opens no new file
 *
 * Return: 0 on success, a positive errno on failure
 */
int fd_spare_init(int fd)
{
	if (fd_spare < 0)
		fd_spare = fcntl(fd, F_DUPFD_CLOEXEC, 0);

	return fd_spare < 0 ? errno : 0;
}

/**
 * fd_accept() - accept4(), refusing the connection if out of descriptors
 * @lfd:	Listening socket
 * @flags:	SOCK_* flags for accept4()
 *
 * Out of descriptors, accept4() fails with EMFILE and the connection stays
 * queued: the listener stays readable, and the main loop would spin on it,
 * never serving the connection. Instead, the spare descriptor makes room
 * for one accept4(), the connection is closed at once (a RST for TCP: the
 * client learns at once, instead of waiting), and the spare is taken back
 * from the slot just freed.
 *
 * Return: the accepted socket; -1 with errno set if there is none, and
 *	   ECONNREFUSED if one was refused for want of a descriptor
 */
int fd_accept(int lfd, int flags)
{
	struct linger l = { .l_onoff = 1, .l_linger = 0 };
	int fd = accept4(lfd, NULL, NULL, flags), err;

	if (fd >= 0 || errno != EMFILE || fd_spare < 0)
		return fd;

	close(fd_spare);
	fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	err = fd >= 0 ? ECONNREFUSED : errno;
	if (fd >= 0) {
		/* Fails harmlessly on a UNIX socket, which is just closed */
		(void)setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
		close(fd);
	}
	fd_spare = fcntl(lfd, F_DUPFD_CLOEXEC, 0);

	errno = err;
	return -1;
}
