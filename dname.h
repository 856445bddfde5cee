/* SPDX-License-Identifier: GPL-2.0-or-later */
/* dname.h - domain names: checking their text form, and DNS wire format
 * (RFC 1035, 3.1 and 4.1.4) as DHCP, DHCPv6 and router advertisements
 * carry them
 */

#ifndef DNAME_H
#define DNAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ctx;

/* Longest name in wire format, terminating root label included */
#define DNAME_WIRE_MAX		255

const char *dname_check(const char *name);
int dname_encode(const char *name, uint8_t *out, size_t size);
size_t dname_encode_search(const struct ctx *c, bool compress, uint8_t *out,
			   size_t size);

#endif /* DNAME_H */
