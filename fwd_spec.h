/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fwd_spec.h - the text of -t and -u port specifications, turned into
 * forwarding rules
 */

#ifndef FWD_SPEC_H
#define FWD_SPEC_H

#include <stddef.h>
#include <stdint.h>

#include "fwd.h"

/**
 * struct fwd_port_range - An inclusive range of port numbers
 * @first:	First port
 * @last:	Last port
 */
struct fwd_port_range {
	uint16_t first;
	uint16_t last;
};

/* The kernel's default ephemeral range, if the host's can't be read */
#define FWD_EPHEMERAL_FIRST	32768
#define FWD_EPHEMERAL_LAST	60999

void fwd_spec_ephemeral(struct fwd_port_range *eph);
int fwd_spec_parse(struct fwd_table *t, const char *spec,
		   const struct fwd_port_range *eph, char *err, size_t err_len);

#endif /* FWD_SPEC_H */
