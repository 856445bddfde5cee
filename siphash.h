/* SPDX-License-Identifier: GPL-2.0-or-later */
/* siphash.h - SipHash-2-4 (Aumasson and Bernstein), the keyed hash behind
 * the flow table and the initial sequence numbers of TCP (RFC 6528)
 *
 * With a key the guest cannot know, it cannot choose addresses and ports
 * that collide in the hash table, nor predict our sequence numbers.
 */

#ifndef SIPHASH_H
#define SIPHASH_H

#include <stddef.h>
#include <stdint.h>

/**
 * struct siphash_key - 128-bit secret key
 * @k:		Key, as two little-endian 64-bit words
 */
struct siphash_key {
	uint64_t k[2];
};

uint64_t siphash_2_4(const struct siphash_key *key, const void *data,
		     size_t len);

#endif /* SIPHASH_H */
