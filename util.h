/* SPDX-License-Identifier: GPL-2.0-or-later */
/* util.h - small helpers shared by every layer: sizes, byte order, time,
 * blocking I/O loops, files to remove at exit
 *
 * This is the bottom layer: it includes nothing of the project's own.
 */

#ifndef UTIL_H
#define UTIL_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <sys/types.h>

#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))
#define MIN(a, b)		((a) < (b) ? (a) : (b))
#define MAX(a, b)		((a) > (b) ? (a) : (b))
#define ROUND_DOWN(x, y)	((x) & ~((__typeof__(x))(y) - 1))
#define ROUND_UP(x, y)		(((x) + (y) - 1) & ~((__typeof__(x))(y) - 1))
#define DIV_ROUND_UP(n, d)	(((n) + (d) - 1) / (d))

#define STRINGIFY_(x)		#x
#define STRINGIFY(x)		STRINGIFY_(x)

#define ETH_ALEN_BYTES		6

#define NS_PER_SEC		1000000000LL
#define MS_PER_SEC		1000LL

/* Largest Ethernet frame any front end carries, without a length prefix */
#define L2_MAX_LEN		65535
/* Default MTU: the largest multiple of four that, with an Ethernet header,
 * fits in L2_MAX_LEN
 */
#define MTU_DEFAULT		65520
#define MTU_MIN			68

/* Read and write big-endian values at any alignment */
static inline uint16_t get_be16(const void *p)
{
	const uint8_t *b = p;

	return (uint16_t)(b[0] << 8 | b[1]);
}

static inline uint32_t get_be32(const void *p)
{
	const uint8_t *b = p;

	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
	       (uint32_t)b[2] << 8 | b[3];
}

static inline uint64_t get_be64(const void *p)
{
	const uint8_t *b = p;

	return (uint64_t)get_be32(b) << 32 | get_be32(b + 4);
}

static inline void put_be16(void *p, uint16_t v)
{
	uint8_t *b = p;

	b[0] = (uint8_t)(v >> 8);
	b[1] = (uint8_t)v;
}

static inline void put_be32(void *p, uint32_t v)
{
	uint8_t *b = p;

	b[0] = (uint8_t)(v >> 24);
	b[1] = (uint8_t)(v >> 16);
	b[2] = (uint8_t)(v >> 8);
	b[3] = (uint8_t)v;
}

static inline void put_be64(void *p, uint64_t v)
{
	put_be32(p, (uint32_t)(v >> 32));
	put_be32((uint8_t *)p + 4, (uint32_t)v);
}

/**
 * struct path_at - A file we created and remove at exit, named from its
 *		    directory, which stays open: once the daemon has left the
 *		    host's filesystem (isolation.c), no path leads there
 * @dirfd:	The directory, an O_PATH descriptor, -1 if none
 * @name:	Name of the file in it
 */
struct path_at {
	int dirfd;
	char name[NAME_MAX + 1];
};

#define PATH_AT_NONE		{ .dirfd = -1 }

int64_t timespec_diff_ms(const struct timespec *a, const struct timespec *b);
int read_all(int fd, void *buf, size_t len);
int write_all(int fd, const void *buf, size_t len);
int write_file_line(const char *path, const char *line);
int fd_set_nonblock(int fd);
int path_at_open(struct path_at *p, const char *path);
int path_at_unlink(struct path_at *p);

#endif /* UTIL_H */
