/* SPDX-License-Identifier: GPL-2.0-or-later */
/* checksum.h - Internet checksums (RFC 1071): IPv4 headers, and TCP, UDP,
 * ICMP and ICMPv6 with their pseudo-headers
 */

#ifndef CHECKSUM_H
#define CHECKSUM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "inany.h"

uint32_t csum_partial(const void *buf, size_t len, uint32_t init);
uint16_t csum_fold(uint32_t sum);
uint32_t csum_pseudo(bool v4, const union inany_addr *src,
		     const union inany_addr *dst, uint8_t proto, size_t l4_len);
uint16_t csum_l4(bool v4, const union inany_addr *src,
		 const union inany_addr *dst, uint8_t proto, const void *l4,
		 size_t l4_len);
uint16_t csum_l4_iov(bool v4, const union inany_addr *src,
		     const union inany_addr *dst, uint8_t proto,
		     const struct iovec *iov, size_t n);

#endif /* CHECKSUM_H */
