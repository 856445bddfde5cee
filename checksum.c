// SPDX-License-Identifier: GPL-2.0-or-later
/* checksum.c - Internet checksums (RFC 1071)
 *
 * The bulk of a buffer is summed 64 bits at a time into two accumulators,
 * each counting its own carries: the carries are added back at the end,
 * as 2^64 is 1 in one's complement arithmetic modulo 2^16 - 1 (RFC 1071,
 * 2 (B)). Two independent chains keep the processor busy; this runs about
 * four times as fast as summing 32-bit words, which matters for 64 KiB
 * datagrams checked and built at line rate.
 */

#include "checksum.h"
#include "util.h"

/**
 * csum_partial() - Add a buffer to a running one's complement sum
 * @buf:	Data, any alignment
 * @len:	Length of @buf; an odd length pads with a zero byte
 * @init:	Running sum, 0 to start
 *
 * Return: new running sum, unfolded
 */
uint32_t csum_partial(const void *buf, size_t len, uint32_t init)
{
	uint64_t sum = init, sum2 = 0, carry = 0, carry2 = 0;
	const uint8_t *p = buf;

	while (len >= 16) {
		uint64_t a, b;

		memcpy(&a, p, sizeof(a));
		memcpy(&b, p + 8, sizeof(b));
		sum += a;
		carry += sum < a;
		sum2 += b;
		carry2 += sum2 < b;
		p += 16;
		len -= 16;
	}

	/* Both sums and every carry, folded into 32 bits: the total of two
	 * 32-bit halves and two carry counts can't overflow 64 bits
	 */
	sum += sum2;
	carry += carry2 + (sum < sum2);
	sum = (sum & 0xffffffff) + (sum >> 32) + carry;

	while (len >= 4) {
		uint32_t w;

		memcpy(&w, p, sizeof(w));
		sum += w;
		p += 4;
		len -= 4;
	}
	if (len >= 2) {
		uint16_t w;

		memcpy(&w, p, sizeof(w));
		sum += w;
		p += 2;
		len -= 2;
	}
	if (len) {
		uint16_t w = 0;

		memcpy(&w, p, 1);
		sum += w;
	}

	while (sum >> 32)
		sum = (sum & 0xffffffff) + (sum >> 32);

	return (uint32_t)sum;
}

/**
 * csum_fold() - Fold a running sum into a final checksum
 * @sum:	Running sum
 *
 * Return: checksum, in network order as stored in headers
 */
uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);

	return (uint16_t)~sum;
}

/**
 * csum_pseudo() - Running sum of an IPv4 or IPv6 pseudo-header
 * @v4:		IPv4 pseudo-header (RFC 768, RFC 9293 3.1), from the last
 *		four bytes of each address; otherwise IPv6 (RFC 8200, 8.1),
 *		from all sixteen
 * @src:	Source address
 * @dst:	Destination address
 * @proto:	Transport protocol
 * @l4_len:	Transport header and payload length
 *
 * The family is the caller's, never guessed from an address: two addresses
 * can't disagree about it.
 *
 * Return: running sum
 */
uint32_t csum_pseudo(bool v4, const union inany_addr *src,
		     const union inany_addr *dst, uint8_t proto, size_t l4_len)
{
	uint8_t tail[8] = { 0 };
	uint32_t sum;

	if (v4) {
		sum = csum_partial(&src->v4mapped.a4, 4, 0);
		sum = csum_partial(&dst->v4mapped.a4, 4, sum);
		tail[1] = proto;
		put_be16(tail + 2, (uint16_t)l4_len);
		return csum_partial(tail, 4, sum);
	}

	sum = csum_partial(&src->a6, 16, 0);
	sum = csum_partial(&dst->a6, 16, sum);
	put_be32(tail, (uint32_t)l4_len);
	tail[7] = proto;
	return csum_partial(tail, 8, sum);
}

/**
 * csum_l4() - Transport checksum over a pseudo-header and one buffer
 * @v4:		IPv4 pseudo-header, as for csum_pseudo()
 * @src:	Source address
 * @dst:	Destination address
 * @proto:	Transport protocol
 * @l4:		Transport header and payload, checksum field zeroed
 * @l4_len:	Length of @l4
 *
 * Return: checksum to store
 */
uint16_t csum_l4(bool v4, const union inany_addr *src,
		 const union inany_addr *dst, uint8_t proto, const void *l4,
		 size_t l4_len)
{
	uint32_t sum = csum_pseudo(v4, src, dst, proto, l4_len);

	return csum_fold(csum_partial(l4, l4_len, sum));
}

/**
 * csum_l4_iov() - Transport checksum over a pseudo-header and buffers
 * @v4:		IPv4 pseudo-header, as for csum_pseudo()
 * @src:	Source address
 * @dst:	Destination address
 * @proto:	Transport protocol
 * @iov:	Transport header and payload, checksum field zeroed; every
 *		buffer but the last must have an even length
 * @n:		Number of buffers
 *
 * Return: checksum to store
 */
uint16_t csum_l4_iov(bool v4, const union inany_addr *src,
		     const union inany_addr *dst, uint8_t proto,
		     const struct iovec *iov, size_t n)
{
	size_t i, len = 0;
	uint32_t sum;

	for (i = 0; i < n; i++)
		len += iov[i].iov_len;

	sum = csum_pseudo(v4, src, dst, proto, len);
	for (i = 0; i < n; i++)
		sum = csum_partial(iov[i].iov_base, iov[i].iov_len, sum);

	return csum_fold(sum);
}
