// SPDX-License-Identifier: GPL-2.0-or-later
/* siphash.c - SipHash-2-4: two compression rounds per 8-byte word, four
 * finalisation rounds, 64-bit output
 */

#include "siphash.h"

#define ROTL64(x, b)	(((x) << (b)) | ((x) >> (64 - (b))))

/**
 * struct sip_state - The four words of internal state
 * @v:		v0 to v3
 */
struct sip_state {
	uint64_t v[4];
};

/**
 * sip_round() - One SipRound
 * @s:		State, updated
 */
static inline void sip_round(struct sip_state *s)
{
	s->v[0] += s->v[1];
	s->v[1] = ROTL64(s->v[1], 13);
	s->v[1] ^= s->v[0];
	s->v[0] = ROTL64(s->v[0], 32);
	s->v[2] += s->v[3];
	s->v[3] = ROTL64(s->v[3], 16);
	s->v[3] ^= s->v[2];
	s->v[0] += s->v[3];
	s->v[3] = ROTL64(s->v[3], 21);
	s->v[3] ^= s->v[0];
	s->v[2] += s->v[1];
	s->v[1] = ROTL64(s->v[1], 17);
	s->v[1] ^= s->v[2];
	s->v[2] = ROTL64(s->v[2], 32);
}

/**
 * sip_compress() - Absorb one message word with two rounds
 * @s:		State, updated
 * @m:		Message word
 */
static inline void sip_compress(struct sip_state *s, uint64_t m)
{
	s->v[3] ^= m;
	sip_round(s);
	sip_round(s);
	s->v[0] ^= m;
}

/**
 * get_le64() - Read a little-endian 64-bit word at any alignment
 * @p:		First byte
 *
 * Return: the word
 */
static inline uint64_t get_le64(const uint8_t *p)
{
	uint64_t w = 0;
	int i;

	for (i = 7; i >= 0; i--)
		w = w << 8 | p[i];

	return w;
}

/**
 * siphash_2_4() - Hash a buffer with SipHash-2-4
 * @key:	Secret key
 * @data:	Message
 * @len:	Length of @data, any value
 *
 * Return: 64-bit hash
 */
uint64_t siphash_2_4(const struct siphash_key *key, const void *data,
		     size_t len)
{
	struct sip_state s = { {
		key->k[0] ^ 0x736f6d6570736575ULL,
		key->k[1] ^ 0x646f72616e646f6dULL,
		key->k[0] ^ 0x6c7967656e657261ULL,
		key->k[1] ^ 0x7465646279746573ULL,
	} };
	const uint8_t *p = data;
	uint64_t last = (uint64_t)len << 56;
	size_t tail = len & 7, i;

	for (; len >= 8; len -= 8, p += 8)
		sip_compress(&s, get_le64(p));

	for (i = 0; i < tail; i++)
		last |= (uint64_t)p[i] << (8 * i);
	sip_compress(&s, last);

	s.v[2] ^= 0xff;
	for (i = 0; i < 4; i++)
		sip_round(&s);

	return s.v[0] ^ s.v[1] ^ s.v[2] ^ s.v[3];
}
