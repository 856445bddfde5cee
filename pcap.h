/* SPDX-License-Identifier: GPL-2.0-or-later */
/* pcap.h - capture of every frame to and from the guest (-p) */

#ifndef PCAP_H
#define PCAP_H

#include <stddef.h>
#include <sys/uio.h>

int pcap_open(const char *path);
void pcap_frame(const void *frame, size_t len);
void pcap_frame_iov(const struct iovec *iov, size_t n);

#endif /* PCAP_H */
