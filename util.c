// SPDX-License-Identifier: GPL-2.0-or-later
/* util.c - small helpers shared by every layer: time arithmetic, blocking
 * read and write loops that survive short transfers and signals, and files
 * to remove at exit
 */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
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
