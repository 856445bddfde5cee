// SPDX-License-Identifier: GPL-2.0-or-later
/* test/fuzz/dhcpv6.c - libFuzzer target: DHCPv6 messages from the guest,
 * to dhcpv6_handle()
 *
 * Input: a configuration byte (FUZZ_CFG_* bits, and whether the client
 * uses a link-local source, as it must), then the DHCPv6 message. Replies
 * go through the checking front end of fuzz.c.
 */

#include <stdlib.h>

#include "ctx.h"
#include "dhcpv6.h"
#include "fuzz.h"
#include "l2.h"
#include "pkt.h"
#include "util.h"

/* Configuration bit of this target: a global source address */
#define CFG_GLOBAL_SRC	(1U << 5)

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
	dhcpv6_init(&base);
	return 0;
}

/**
 * LLVMFuzzerTestOneInput() - Hand one DHCPv6 message to the server
 * @data:	Input
 * @size:	Its length
 *
 * Return: 0
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t frame[L2_MAX_LEN];
	struct fuzz_in in = { data, size };
	union inany_addr src, dst = fuzz_addr("ff02::1:2");
	uint8_t cfg = fuzz_u8(&in);
	static struct ctx c;
	struct pkt p;

	c = base;
	fuzz_ctx_vary(&c, cfg);
	src = fuzz_addr(cfg & CFG_GLOBAL_SRC ? FUZZ_GUEST6 : FUZZ_GUEST_LL);

	fuzz_guest_udp(&c, frame, &src, 546, &dst, 547, &in, &p);

	/* Multicast to the server port of a configured server is its own */
	if (!dhcpv6_handle(&c, &p))
		abort();
	/* Replies go to the checking front end now, as at the end of a pass
	 * of the main loop
	 */
	l2_flush(&c);
	return 0;
}
