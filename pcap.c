// SPDX-License-Identifier: GPL-2.0-or-later
/* pcap.c - capture of every frame to and from the guest, in the classic
 * libpcap file format (link type Ethernet), as tshark and tcpdump read it
 */

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>

#include "pcap.h"
#include "util.h"

#define PCAP_MAGIC		0xa1b2c3d4
#define PCAP_VERSION_MAJOR	2
#define PCAP_VERSION_MINOR	4
#define PCAP_LINKTYPE_ETHERNET	1
/* Larger than any frame either way: a guest's large segments and the
 * frames we leave it to split may pass 65535 bytes; readers refuse a
 * record over the file's snapshot length
 */
#define PCAP_SNAPLEN		262144

static int pcap_fd = -1;

/**
 * struct pcap_file_hdr - libpcap global header, in our byte order
 * @magic:	PCAP_MAGIC, telling readers the byte order
 * @major:	Format version, major
 * @minor:	Format version, minor
 * @thiszone:	Time zone offset, always 0
 * @sigfigs:	Timestamp accuracy, always 0
 * @snaplen:	Largest frame captured
 * @linktype:	Link type of every frame
 */
struct pcap_file_hdr {
	uint32_t magic;
	uint16_t major;
	uint16_t minor;
	int32_t thiszone;
	uint32_t sigfigs;
	uint32_t snaplen;
	uint32_t linktype;
};

/**
 * struct pcap_rec_hdr - libpcap per-frame header
 * @sec:	Time, seconds
 * @usec:	Time, microseconds
 * @caplen:	Bytes captured
 * @len:	Length of the frame
 */
struct pcap_rec_hdr {
	uint32_t sec;
	uint32_t usec;
	uint32_t caplen;
	uint32_t len;
};

/**
 * pcap_open() - Create the capture file and write its header
 * @path:	File to create, truncated if it exists
 *
 * Return: 0 on success, a positive errno on failure
 */
int pcap_open(const char *path)
{
	struct pcap_file_hdr h = {
		.magic = PCAP_MAGIC,
		.major = PCAP_VERSION_MAJOR, .minor = PCAP_VERSION_MINOR,
		.snaplen = PCAP_SNAPLEN, .linktype = PCAP_LINKTYPE_ETHERNET,
	};
	int fd, rc;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return errno;

	rc = write_all(fd, &h, sizeof(h));
	if (rc) {
		close(fd);
		return rc;
	}

	pcap_fd = fd;
	return 0;
}

/**
 * pcap_frame_iov() - Capture one frame held in several buffers
 * @iov:	Buffers making up the Ethernet frame
 * @n:		Number of buffers
 *
 * #syscalls: clock_gettime writev
 */
void pcap_frame_iov(const struct iovec *iov, size_t n)
{
	struct pcap_rec_hdr h;
	struct iovec out[64];
	struct timespec now;
	size_t i, len = 0;

	if (pcap_fd < 0 || n + 1 > ARRAY_SIZE(out))
		return;

	out[0].iov_base = &h;
	out[0].iov_len = sizeof(h);
	for (i = 0; i < n; i++) {
		out[i + 1] = iov[i];
		len += iov[i].iov_len;
	}

	clock_gettime(CLOCK_REALTIME, &now);
	h.sec = (uint32_t)now.tv_sec;
	h.usec = (uint32_t)(now.tv_nsec / 1000);
	h.caplen = h.len = (uint32_t)len;

	/* A capture is a debugging aid: a failed write is not fatal */
	(void)!writev(pcap_fd, out, (int)n + 1);
}

/**
 * pcap_frame() - Capture one frame held in one buffer
 * @frame:	Ethernet frame
 * @len:	Length of @frame
 */
void pcap_frame(const void *frame, size_t len)
{
	struct iovec iov = { .iov_base = (void *)frame, .iov_len = len };

	pcap_frame_iov(&iov, 1);
}
