// SPDX-License-Identifier: GPL-2.0-or-later
/* test/unit/checksum.c - the one's complement sum against a byte by byte
 * reference, for every alignment and length around the word sizes, the
 * examples of RFC 1071, and pseudo-headers of the family the caller names
 * whatever the addresses look like
 */

#include <netinet/in.h>

#include "checksum.h"
#include "unit.h"
#include "util.h"

/**
 * ref_sum() - One's complement sum of 16-bit big-endian words, the slow way
 * @p:		Data
 * @len:	Length, an odd length padded with a zero byte
 * @init:	Starting sum, host order
 *
 * Return: folded 16-bit sum, host order
 */
static uint16_t ref_sum(const uint8_t *p, size_t len, uint32_t init)
{
	uint32_t sum = init;
	size_t i;

	for (i = 0; i < len; i += 2) {
		sum += (uint32_t)p[i] << 8;
		if (i + 1 < len)
			sum += p[i + 1];
		sum = (sum & 0xffff) + (sum >> 16);
	}
	return (uint16_t)sum;
}

/**
 * folded() - csum_partial() folded to 16 bits, host order
 * @p:		Data
 * @len:	Length
 *
 * Return: the sum as ref_sum() gives it
 */
static uint16_t folded(const uint8_t *p, size_t len)
{
	uint16_t c = (uint16_t)~csum_fold(csum_partial(p, len, 0));

	return ntohs(c);
}

/**
 * csum_matches_reference() - Random data, all zeros and all ones, at every
 *			      offset in a word and lengths up to 300 bytes,
 *			      and one 64 KiB buffer
 */
static void csum_matches_reference(void)
{
	static uint8_t buf[65536 + 16];
	uint32_t x = 12345;
	size_t i, off, len;
	int fill;

	for (fill = 0; fill < 3; fill++) {
		for (i = 0; i < sizeof(buf); i++) {
			x = x * 1103515245U + 12345U;
			buf[i] = fill == 0 ? (uint8_t)(x >> 16) :
				 fill == 1 ? 0xff : 0;
		}
		for (off = 0; off < 8; off++) {
			for (len = 0; len < 300; len++) {
				/* Exactly: a sum over non-zero data is never
				 * the zero that only all-zero data gives
				 */
				UNIT_CHECK(folded(buf + off, len) ==
					   ref_sum(buf + off, len, 0));
			}
		}
		UNIT_CHECK(folded(buf + 3, 65533) ==
			   ref_sum(buf + 3, 65533, 0));
	}
}

/**
 * csum_rfc1071_example() - RFC 1071, 3: the sum of 00 01 f2 03 f4 f5 f6 f7
 *			    is ddf2
 */
static void csum_rfc1071_example(void)
{
	static const uint8_t d[] = { 0x00, 0x01, 0xf2, 0x03,
				     0xf4, 0xf5, 0xf6, 0xf7 };

	UNIT_CHECK(folded(d, sizeof(d)) == 0xddf2);
	UNIT_CHECK(csum_fold(csum_partial(d, sizeof(d), 0)) ==
		   htons((uint16_t)~0xddf2));
}

/**
 * pseudo_ref() - Transport checksum the slow way: the pseudo-header laid
 *		  out in bytes, then the data
 * @v4:		IPv4 pseudo-header, from the last four bytes of each
 *		address
 * @src:	Source address
 * @dst:	Destination address
 * @proto:	Transport protocol
 * @l4:		Transport data
 * @len:	Length of @l4, at most 64 bytes
 *
 * Return: the checksum as csum_l4() stores it
 */
static uint16_t pseudo_ref(bool v4, const union inany_addr *src,
			   const union inany_addr *dst, uint8_t proto,
			   const uint8_t *l4, size_t len)
{
	uint8_t b[40 + 64] = { 0 };
	size_t n;

	if (v4) {
		memcpy(b, &src->a6.s6_addr[12], 4);
		memcpy(b + 4, &dst->a6.s6_addr[12], 4);
		b[9] = proto;
		b[11] = (uint8_t)len;
		n = 12;
	} else {
		memcpy(b, &src->a6, 16);
		memcpy(b + 16, &dst->a6, 16);
		b[35] = (uint8_t)len;
		b[39] = proto;
		n = 40;
	}
	memcpy(b + n, l4, len);

	return htons((uint16_t)~ref_sum(b, n + len, 0));
}

/**
 * csum_family_given() - The pseudo-header follows the family the caller
 *			 gives, whatever form the addresses have: an IPv4
 *			 and an IPv6 address together, or an IPv4-mapped
 *			 one in an IPv6 sum, are summed without guessing
 */
static void csum_family_given(void)
{
	static const char *const pairs[][2] = {
		{ "192.0.2.1", "2001:db8::1" },
		{ "2001:db8::1", "192.0.2.1" },
		{ "::ffff:192.0.2.1", "2001:db8:1::64" },
		{ "192.0.2.100", "198.51.100.7" },
		{ "2001:db8::1", "2001:db8::2" },
	};
	uint8_t l4[21];
	size_t i, v;

	for (i = 0; i < sizeof(l4); i++)
		l4[i] = (uint8_t)(i * 37 + 11);

	for (i = 0; i < ARRAY_SIZE(pairs); i++) {
		union inany_addr s = test_addr(pairs[i][0]);
		union inany_addr d = test_addr(pairs[i][1]);

		for (v = 0; v < 2; v++) {
			uint16_t ref = pseudo_ref(v, &s, &d, IPPROTO_UDP, l4,
						  sizeof(l4));
			const struct iovec iov[2] = {
				{ l4, 8 }, { l4 + 8, sizeof(l4) - 8 },
			};

			UNIT_CHECK(csum_fold(csum_partial(l4, sizeof(l4),
				   csum_pseudo(v, &s, &d, IPPROTO_UDP,
					       sizeof(l4)))) == ref);
			UNIT_CHECK(csum_l4(v, &s, &d, IPPROTO_UDP, l4,
					   sizeof(l4)) == ref);
			UNIT_CHECK(csum_l4_iov(v, &s, &d, IPPROTO_UDP, iov,
					       2) == ref);
		}
	}
}

/**
 * main() - Run the cases
 *
 * Return: EXIT_SUCCESS if every case passed
 */
int main(void)
{
	UNIT_RUN(csum_matches_reference);
	UNIT_RUN(csum_rfc1071_example);
	UNIT_RUN(csum_family_given);
	UNIT_EXIT();
}
