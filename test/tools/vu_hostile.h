/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test/tools/vu_hostile.h - bad vhost-user front ends, one case at a time */

#ifndef VU_HOSTILE_H
#define VU_HOSTILE_H

void vu_hostile_list(void);
int vu_hostile_run(const char *name, const char *path);

#endif /* VU_HOSTILE_H */
