#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Faults and load, each case of test/lib/faults.sh once: 10,000 TCP
# connections opened and closed each way; the front end killed in the
# middle of a transfer, and a new one; a host server resetting connections
# in the middle of their data; a flood of invalid frames; the descriptor
# limit reached with a connection waiting; UDP flows holding their whole
# share while TCP goes on both ways; the flow table full. After each, the
# daemon serves on, holds as many descriptors and flows as before, and
# has grown by no more than a little resident memory; each case prints
# its figures on a "figures" line. test/perf/soak runs them for an hour.

. "${TEST_DIR}/lib/ns.sh"
. "${TEST_DIR}/lib/xfer.sh"
. "${TEST_DIR}/lib/faults.sh"

faults_setup || { t_fail setup "setup failed"; exit 1; }
faults_warm_up
faults_churn
faults_vanish
faults_reset
faults_flood

# Lowering the daemon's descriptor limit takes a daemon running as root
ns_passt_restart -t "${GUEST_ECHO}" --runas 0 ||
	{ t_fail nofile-restart "no daemon"; exit 1; }
faults_nofile

faults_budget_daemon || { t_fail budget-restart "no daemon"; exit 1; }
faults_budget
