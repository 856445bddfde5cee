/* SPDX-License-Identifier: GPL-2.0-or-later */
/* passt.h - the main loop's entry points for the layers below it, handed
 * down as plain data, never as includes of passt.c's users
 */

#ifndef PASST_H
#define PASST_H

/* Period of the main loop's protocol timer */
#define TIMER_INTERVAL_MS	100

#endif /* PASST_H */
