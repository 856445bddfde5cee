// SPDX-License-Identifier: GPL-2.0-or-later
/* test/fuzz/dhcp.c - libFuzzer target: DHCP messages from the guest, to
 * dhcp_handle()
 *
 * Input: a configuration byte (FUZZ_CFG_* bits, and whether the client
 * broadcasts or already has its address), then the DHCP message. Replies
 * go through the checking front end of fuzz.c.
 */

#include <stdlib.h>

#include "ctx.h"
#include "dhcp.h"
#include "fuzz.h"
#include "l2.h"
#include "pkt.h"
#include "util.h"

/* Configuration bit of this target: unicast from the guest's address */
#define CFG_UNICAST	(1U << 5)

static struct ctx base;

/**
 * LLVMFuzzerInitialize() - Set up the context every input starts from
 * @argc:	Unused
 * @argv:	Unused
 *
 * Return: 0
 */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;

	fuzz_init();
	fuzz_ctx_init(&base);
	return 0;
}

/**
 * LLVMFuzzerTestOneInput() - Hand one DHCP message to the server
 * @data:	Input
 * @size:	Its length
 *
 * Return: 0
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t frame[L2_MAX_LEN];
	struct fuzz_in in = { data, size };
	union inany_addr src, dst;
	uint8_t cfg = fuzz_u8(&in);
	static struct ctx c;
	struct pkt p;

	c = base;
	fuzz_ctx_vary(&c, cfg);
	if (cfg & CFG_UNICAST) {
		src = fuzz_addr(FUZZ_GUEST4);
		dst = c.ip4.gw;
	} else {
		src = fuzz_addr("0.0.0.0");
		dst = fuzz_addr("255.255.255.255");
	}

	fuzz_guest_udp(&c, frame, &src, 68, &dst, 67, &in, &p);

	/* Anything to the server port of a configured server is its own */
	if (!dhcp_handle(&c, &p))
		abort();
	/* Replies go to the checking front end now, as at the end of a pass
	 * of the main loop
	 */
	l2_flush(&c);
	return 0;
}
