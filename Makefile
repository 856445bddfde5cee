# SPDX-License-Identifier: GPL-2.0-or-later
#
# passt - user-mode network back-end for virtual machines
#
# Makefile: builds the daemon, the test helpers and the unit tests, and runs
# the static checkers and the test suite.

VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo unknown)

CC ?= gcc
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man

BASE_CPPFLAGS := -D_GNU_SOURCE -DVERSION=\"$(VERSION)\"
BASE_CFLAGS := -std=c11 -Wall -Wextra -Werror -O2 -pipe \
	-fstack-protector-strong -D_FORTIFY_SOURCE=2 -fPIE \
	-Wformat=2 -Wshadow -Wstrict-prototypes -Wmissing-prototypes
BASE_LDFLAGS := -pie -Wl,-z,relro -Wl,-z,now

# SANITIZE=1 builds with AddressSanitizer and UndefinedBehaviorSanitizer,
# any report fatal; SANITIZE=fuzz also instruments for libFuzzer. Both
# need clang, and run in a copy of the tree (make check-asan, make fuzz),
# so that the normal objects stay as they are.
SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all
ifeq ($(SANITIZE),1)
CC := clang
else ifeq ($(SANITIZE),fuzz)
CC := clang
SAN_FLAGS := -fsanitize=fuzzer-no-link,address,undefined \
	-fno-sanitize-recover=all
endif
# PASST_SANITIZER: the daemon keeps the runtime's report file open through
# isolation (isolation.c)
ifneq ($(SANITIZE),)
BASE_CPPFLAGS += -DPASST_SANITIZER
BASE_CFLAGS += -g -O1 -fno-omit-frame-pointer -U_FORTIFY_SOURCE $(SAN_FLAGS)
BASE_LDFLAGS += $(SAN_FLAGS)
endif

override CPPFLAGS := $(BASE_CPPFLAGS) $(CPPFLAGS)
override CFLAGS := $(BASE_CFLAGS) $(CFLAGS)
override LDFLAGS := $(BASE_LDFLAGS) $(LDFLAGS)

# The repair helper is a program of its own, with its own system call list,
# generated from the "#syscalls:repair" comments in its source
REPAIR_SRC := passt-repair.c
REPAIR_SYSCALLS_H := passt-repair_syscalls.h
REPAIR_OBJS := passt-repair.o seccomp_filter.o

# Every other top-level source belongs to the daemon. isolation_syscalls.h
# is generated, from the "#syscalls" comments in the others.
SYSCALLS_H := isolation_syscalls.h
SRCS := $(sort $(filter-out $(REPAIR_SRC),$(wildcard *.c)))
HDRS := $(sort $(filter-out $(SYSCALLS_H) $(REPAIR_SYSCALLS_H),\
	$(wildcard *.h))) $(SYSCALLS_H)
OBJS := $(SRCS:.c=.o)
# Daemon objects without main(), linked into unit tests
LIB_OBJS := $(filter-out passt.o,$(OBJS))

# Test helpers: one program per file in test/tools/, but for the parts
# linked into the bridges: vnet_hdr.c into both, vu_*.c into vubridge;
# repair-set drives the daemon's side of the repair protocol, so it links
# the daemon's objects
VUBRIDGE_PARTS := test/tools/vu_front.c test/tools/vu_hostile.c \
	test/tools/vu_hostile_hdr.c test/tools/vnet_hdr.c
TOOL_PARTS := $(VUBRIDGE_PARTS)
TOOL_SRCS := $(filter-out $(TOOL_PARTS),$(sort $(wildcard test/tools/*.c)))
TOOLS := $(TOOL_SRCS:.c=)
TOOLS_WITH_OBJS := test/tools/repair-set

# Unit tests: one program per file in test/unit/, linked with the daemon's
# objects
UNIT_SRCS := $(sort $(wildcard test/unit/*.c))
UNITS := $(UNIT_SRCS:.c=)

# System calls the seccomp filters allow beyond those the sources list,
# separated by spaces, for every mode: a daemon run under a debugger makes
# calls of its own. The sanitizer builds add SANITIZER_SYSCALLS themselves:
# what an ASan+UBSan build needs once isolated. Its allocator maps, advises
# and unmaps memory; a report (test/asan makes one happen, see README.md)
# also calls open() (for the runtime's look at its own mappings), which
# fails in the empty root: killed there instead, the daemon would leave a
# report cut after its first line.
# Run such a build with ASAN_OPTIONS=detect_leaks=0:symbolize=0: at exit
# LeakSanitizer needs threads, ptrace and /proc, and a symbolizer needs
# fork and the filesystem, which the isolated daemon lacks.
EXTRA_SYSCALLS ?=
SANITIZER_SYSCALLS := mmap munmap mremap madvise mprotect sigaltstack \
	getpid gettid rt_sigprocmask sched_yield futex open|openat
ifneq ($(SANITIZE),)
override EXTRA_SYSCALLS := $(SANITIZER_SYSCALLS) $(EXTRA_SYSCALLS)
endif
export EXTRA_SYSCALLS

# Fuzz targets: one libFuzzer program per file in test/fuzz/ but fuzz*.c,
# the parts they share (fuzz_vu.c: a vhost-user front end), linked with the
# daemon's objects from an archive (a target may replace a whole object, as
# tap does with ingress.o)
FUZZ_PARTS := $(sort $(wildcard test/fuzz/fuzz*.c))
FUZZ_SRCS := $(filter-out $(FUZZ_PARTS),$(sort $(wildcard test/fuzz/*.c)))
FUZZ_TARGETS := $(FUZZ_SRCS:.c=)
FUZZ_NAMES := $(notdir $(FUZZ_TARGETS))
FUZZ_SECONDS ?= 30

# The programs make check runs: the daemon and the repair helper, each
# also in its test build
CHECK_PROGS := passt passt.test passt-repair passt-repair.test

# Copies of the tree for the sanitizer builds: what they build from (the
# system call headers are generated there, with the sanitizer's calls)
SAN_COPY := $(SRCS) $(filter-out $(SYSCALLS_H),$(HDRS)) $(REPAIR_SRC) \
	isolation_syscalls.sh Makefile $(UNIT_SRCS) $(wildcard test/unit/*.h) \
	$(wildcard test/fuzz/*.c test/fuzz/*.h)
ASAN_DIR := build/asan
FUZZ_DIR := build/fuzz

.PHONY: all clean install uninstall check cppcheck clang-tidy tools units \
	perf soak demo interop fuzz fuzz-build fuzz-targets asan-build \
	check-asan FORCE

all: passt passt-repair

passt: $(OBJS)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(OBJS)

# Checked on every build, replaced only if it changed: a new "#syscalls"
# comment or another EXTRA_SYSCALLS rebuilds what includes it
$(SYSCALLS_H): FORCE
	@sh isolation_syscalls.sh $(filter-out $(SYSCALLS_H),$(SRCS) $(HDRS)) \
		> $@.tmp && \
	if cmp -s $@.tmp $@; then rm $@.tmp; else mv $@.tmp $@; fi

%.o: %.c $(HDRS)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

# The daemon for make check: a forbidden system call on SIGUSR2, to see
# the filter kill it (test/groups/15-isolation.sh). Never installed.
passt.test: $(filter-out isolation.o,$(OBJS)) isolation.test.o
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^

isolation.test.o: isolation.c $(HDRS)
	$(CC) $(CPPFLAGS) -DPASST_TEST_SECCOMP $(CFLAGS) -c -o $@ $<

# Checked on every build, replaced only if it changed: a new "#syscalls"
# comment, or another EXTRA_SYSCALLS, rebuilds the helper
$(REPAIR_SYSCALLS_H): FORCE
	@sh isolation_syscalls.sh -p repair -n $@ $(REPAIR_SRC) > $@.tmp && \
	if cmp -s $@.tmp $@; then rm $@.tmp; else mv $@.tmp $@; fi

passt-repair.o: $(REPAIR_SYSCALLS_H)

passt-repair: $(REPAIR_OBJS)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(REPAIR_OBJS)

# The helper for make check: a call its filter doesn't allow, on request
# (test/groups/46-repair.sh). Never installed.
passt-repair.test: passt-repair.test.o seccomp_filter.o
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^

passt-repair.test.o: $(REPAIR_SRC) $(REPAIR_SYSCALLS_H) $(HDRS)
	$(CC) $(CPPFLAGS) -DPASST_REPAIR_TEST_SECCOMP $(CFLAGS) -c -o $@ $<

test/tools/%: test/tools/%.c $(wildcard test/tools/*.h)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $<

$(TOOLS_WITH_OBJS): test/tools/%: test/tools/%.c $(LIB_OBJS)
	$(CC) $(CPPFLAGS) -I. $(CFLAGS) $(LDFLAGS) -o $@ $< $(LIB_OBJS)

test/tools/vubridge: test/tools/vubridge.c $(VUBRIDGE_PARTS) \
		     $(wildcard test/tools/*.h)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $< $(VUBRIDGE_PARTS)

test/tools/tapbridge: test/tools/tapbridge.c test/tools/vnet_hdr.c \
		      $(wildcard test/tools/*.h)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $< test/tools/vnet_hdr.c

test/unit/%: test/unit/%.c $(wildcard test/unit/*.h) $(LIB_OBJS)
	$(CC) $(CPPFLAGS) -I. $(CFLAGS) $(LDFLAGS) -o $@ $< $(LIB_OBJS)

# tcpstream for the test guest, whose initramfs holds no C library
test/tools/tcpstream.static: test/tools/tcpstream.c test/tools/tool.h
	$(CC) $(CPPFLAGS) $(CFLAGS) -static -o $@ $< 2>&1 | \
		grep -v "getaddrinfo\|in function" >&2 || true
	@test -x $@

test/fuzz/libpasst.a: $(LIB_OBJS)
	rm -f $@
	ar rcs $@ $^

test/fuzz/%: test/fuzz/%.c $(FUZZ_PARTS) $(wildcard test/fuzz/*.h) \
		test/fuzz/libpasst.a
	$(CC) $(CPPFLAGS) -I. -Itest/fuzz $(CFLAGS) $(LDFLAGS) \
		-fsanitize=fuzzer -o $@ $< $(FUZZ_PARTS) test/fuzz/libpasst.a

tools: $(TOOLS) test/tools/tcpstream.static
units: $(UNITS)
fuzz-targets: $(FUZZ_TARGETS)

# The sanitizer builds, each in its copy of the tree; cp -p keeps the
# copies' times, so that only what changed is built again
asan-build:
	mkdir -p $(ASAN_DIR)
	cp -p --parents $(SAN_COPY) $(ASAN_DIR)
	$(MAKE) -C $(ASAN_DIR) SANITIZE=1 $(CHECK_PROGS) units

fuzz-build:
	mkdir -p $(FUZZ_DIR)
	cp -p --parents $(SAN_COPY) $(FUZZ_DIR)
	$(MAKE) -C $(FUZZ_DIR) SANITIZE=fuzz fuzz-targets

check: $(CHECK_PROGS) tools units fuzz-build
	sh test/run

# Every test group once more, against the sanitizer build: any report fails
check-asan: tools asan-build
	sh test/asan $(ASAN_DIR)

# Each fuzz target for FUZZ_SECONDS, from its corpus; crashes are saved in
# test/fuzz/regress/TARGET/ and fail the run
fuzz: fuzz-build
	sh test/fuzz/run $(FUZZ_DIR) $(FUZZ_SECONDS) $(FUZZ_NAMES)

perf: passt tools
	sh test/perf/run

# Live migrations with upstream passt, both ways, and its repair helper
# against ours (not part of make check): PEER is the directory of an
# upstream build, passt and passt-repair
interop: passt passt-repair passt-repair.test tools
	@test -x "$(PEER)/passt" && test -x "$(PEER)/passt-repair" || \
		{ echo "make interop PEER=DIR: DIR/passt, DIR/passt-repair"; \
		  exit 1; }
	PEER="$(abspath $(PEER))" GROUPS_DIR=test/interop sh test/run
	PEER_REPAIR="$(abspath $(PEER))/passt-repair" sh test/run 46-repair

# The fault cases of make check in a loop, for SOAK_SECONDS (an hour)
soak: passt tools
	sh test/perf/soak

demo: passt tools
	sh test/demo

install: passt passt-repair
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1
	install -m 755 passt $(DESTDIR)$(BINDIR)/passt
	install -m 755 passt-repair $(DESTDIR)$(BINDIR)/passt-repair
	install -m 644 doc/passt.1 $(DESTDIR)$(MANDIR)/man1/passt.1
	install -m 644 doc/passt-repair.1 \
		$(DESTDIR)$(MANDIR)/man1/passt-repair.1

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/passt $(DESTDIR)$(MANDIR)/man1/passt.1 \
		$(DESTDIR)$(BINDIR)/passt-repair \
		$(DESTDIR)$(MANDIR)/man1/passt-repair.1

# cppcheck: every finding is an error. Suppressions, each with its reason:
# - missingIncludeSystem: system headers are not given to cppcheck, it
#   would otherwise flag every libc include
# - unusedFunction: functions used only by unit tests, and cppcheck cannot
#   follow calls through the ops tables
# - unusedStructMember: structures that mirror a file or protocol format
#   have fields we write once and never read
cppcheck: $(SYSCALLS_H) $(REPAIR_SYSCALLS_H)
	cppcheck --std=c11 --error-exitcode=1 --enable=all --inconclusive \
		--library=posix --quiet --inline-suppr \
		--suppress=missingIncludeSystem --suppress=unusedFunction --suppress=unusedStructMember \
		-D_GNU_SOURCE -DVERSION=\"cppcheck\" \
		$(SRCS) $(REPAIR_SRC) $(HDRS)

# clang-tidy: the checks are chosen in .clang-tidy, with the reasons there
clang-tidy: $(SYSCALLS_H) $(REPAIR_SYSCALLS_H)
	clang-tidy --quiet --warnings-as-errors='*' $(SRCS) $(REPAIR_SRC) -- \
		$(BASE_CPPFLAGS) -std=c11 -Wall -Wextra

clean:
	rm -f passt passt.test passt-repair passt-repair.test *.o \
		$(SYSCALLS_H) $(SYSCALLS_H).tmp $(REPAIR_SYSCALLS_H) \
		$(REPAIR_SYSCALLS_H).tmp $(TOOLS) $(UNITS) $(FUZZ_TARGETS) \
		test/fuzz/libpasst.a test/tools/tcpstream.static
	rm -rf $(ASAN_DIR) $(FUZZ_DIR)
