// SPDX-License-Identifier: GPL-2.0-or-later
/* test/unit/checksum.c - the one's complement sum against a byte by byte
 * reference, for every alignment and length around the word sizes, and
 * the examples of RFC 1071
 */

#include "checksum.h"
#include "unit.h"

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
 * main() - Run the cases
 *
 * Return: EXIT_SUCCESS if every case passed
 */
int main(void)
{
	UNIT_RUN(csum_matches_reference);
	UNIT_RUN(csum_rfc1071_example);
	UNIT_EXIT();
}
