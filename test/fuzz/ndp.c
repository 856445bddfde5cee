// SPDX-License-Identifier: GPL-2.0-or-later
/* test/fuzz/ndp.c - libFuzzer target: NDP messages from the guest, router
 * and neighbour solicitations above all, with any options, to ndp_handle()
 *
 * Input: a configuration byte (FUZZ_CFG_* bits, and the source address and
 * hop limit), a byte choosing the message type, then the message after its
 * type, code and checksum, which the harness fills in. Replies go through
 * the checking front end of fuzz.c.
 */

#include <netinet/in.h>
#include <stdlib.h>

#include "ctx.h"
#include "frame.h"
#include "fuzz.h"
#include "l2.h"
#include "ndp.h"
#include "pkt.h"
#include "util.h"

/* Configuration bits of this target */
#define CFG_SRC_UNSPEC	(1U << 5)	/* from ::, as in address resolution */
#define CFG_SRC_GLOBAL	(1U << 6)	/* from the guest's global address */
#define CFG_HOP_LIMIT	(1U << 7)	/* hop limit 64, not 255: off link */

/* Router solicitation to redirect: the types ndp_handle() takes */
#define ND_FIRST	133
#define ND_TYPES	5

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
 * LLVMFuzzerTestOneInput() - Hand one NDP message to the responder
 * @data:	Input
 * @size:	Its length
 *
 * Return: 0
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t frame[L2_MAX_LEN];
	struct fuzz_in in = { data, size };
	uint8_t cfg = fuzz_u8(&in), type = fuzz_u8(&in) % ND_TYPES;
	uint8_t *m = frame + frame_l4_off(false);
	union inany_addr src, dst;
	static struct ctx c;
	size_t len;
	struct pkt p;

	c = base;
	fuzz_ctx_vary(&c, cfg);
	if (cfg & CFG_SRC_UNSPEC)
		src = fuzz_addr("::");
	else
		src = fuzz_addr(cfg & CFG_SRC_GLOBAL ? FUZZ_GUEST6 :
					    FUZZ_GUEST_LL);
	/* Solicitations go to all routers, or to a solicited-node group */
	if (type == 0)
		dst = fuzz_addr("ff02::2");
	else if (type == 2)
		dst = fuzz_addr("ff02::1:ff00:1");
	else
		dst = c.ip6.our_ll;

	m[0] = (uint8_t)(ND_FIRST + type);
	m[1] = 0;
	len = MIN(in.left, L2_MAX_LEN - frame_l4_off(false) - 4);
	len = 4 + fuzz_bytes(&in, m + 4, len);
	len = fuzz_guest_frame(&c, frame, &src, &dst, IPPROTO_ICMPV6,
			       cfg & CFG_HOP_LIMIT ? 64 : 255, len);
	if (pkt_parse(frame, len, &p))
		abort();

	/* Every NDP type is consumed, answered or not */
	if (!ndp_handle(&c, &p))
		abort();
	/* Replies go to the checking front end now, as at the end of a pass
	 * of the main loop
	 */
	l2_flush(&c);
	return 0;
}
