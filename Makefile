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
ifneq ($(SANITIZE),)
BASE_CFLAGS += -g -O1 -fno-omit-frame-pointer -U_FORTIFY_SOURCE $(SAN_FLAGS)
BASE_LDFLAGS += $(SAN_FLAGS)
endif

override CPPFLAGS := $(BASE_CPPFLAGS) $(CPPFLAGS)
override CFLAGS := $(BASE_CFLAGS) $(CFLAGS)
override LDFLAGS := $(BASE_LDFLAGS) $(LDFLAGS)

# Every top-level source belongs to the daemon
SRCS := $(sort $(wildcard *.c))
HDRS := $(sort $(wildcard *.h))
OBJS := $(SRCS:.c=.o)
# Daemon objects without main(), linked into unit tests
LIB_OBJS := $(filter-out passt.o,$(OBJS))

# Test helpers: one program per file in test/tools/
TOOL_SRCS := $(sort $(wildcard test/tools/*.c))
TOOLS := $(TOOL_SRCS:.c=)

# Unit tests: one program per file in test/unit/, linked with the daemon's
# objects
UNIT_SRCS := $(sort $(wildcard test/unit/*.c))
UNITS := $(UNIT_SRCS:.c=)

# Fuzz targets: one libFuzzer program per file in test/fuzz/ but fuzz.c,
# which they share, linked with the daemon's objects from an archive (a
# target may replace a whole object, as tap does with ingress.o)
FUZZ_SRCS := $(filter-out test/fuzz/fuzz.c,$(sort $(wildcard test/fuzz/*.c)))
FUZZ_TARGETS := $(FUZZ_SRCS:.c=)
FUZZ_NAMES := $(notdir $(FUZZ_TARGETS))
FUZZ_SECONDS ?= 30

# Copies of the tree for the sanitizer builds: what they build from
SAN_COPY := $(SRCS) $(HDRS) Makefile $(UNIT_SRCS) $(wildcard test/unit/*.h) \
	$(wildcard test/fuzz/*.c test/fuzz/*.h)
ASAN_DIR := build/asan
FUZZ_DIR := build/fuzz

.PHONY: all clean install uninstall check cppcheck clang-tidy tools units \
	perf demo fuzz fuzz-build fuzz-targets asan-build check-asan

all: passt

passt: $(OBJS)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(OBJS)

%.o: %.c $(HDRS)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

test/tools/%: test/tools/%.c $(wildcard test/tools/*.h)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $<

test/unit/%: test/unit/%.c $(wildcard test/unit/*.h) $(LIB_OBJS)
	$(CC) $(CPPFLAGS) -I. $(CFLAGS) $(LDFLAGS) -o $@ $< $(LIB_OBJS)

test/fuzz/libpasst.a: $(LIB_OBJS)
	rm -f $@
	ar rcs $@ $^

test/fuzz/%: test/fuzz/%.c test/fuzz/fuzz.c test/fuzz/fuzz.h \
		test/fuzz/libpasst.a
	$(CC) $(CPPFLAGS) -I. -Itest/fuzz $(CFLAGS) $(LDFLAGS) \
		-fsanitize=fuzzer -o $@ $< test/fuzz/fuzz.c test/fuzz/libpasst.a

tools: $(TOOLS)
units: $(UNITS)
fuzz-targets: $(FUZZ_TARGETS)

# The sanitizer builds, each in its copy of the tree; cp -p keeps the
# copies' times, so that only what changed is built again
asan-build:
	mkdir -p $(ASAN_DIR)
	cp -p --parents $(SAN_COPY) $(ASAN_DIR)
	$(MAKE) -C $(ASAN_DIR) SANITIZE=1 passt units

fuzz-build:
	mkdir -p $(FUZZ_DIR)
	cp -p --parents $(SAN_COPY) $(FUZZ_DIR)
	$(MAKE) -C $(FUZZ_DIR) SANITIZE=fuzz fuzz-targets

check: passt tools units fuzz-build
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

demo: passt tools
	sh test/demo

install: passt
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1
	install -m 755 passt $(DESTDIR)$(BINDIR)/passt
	install -m 644 doc/passt.1 $(DESTDIR)$(MANDIR)/man1/passt.1

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/passt $(DESTDIR)$(MANDIR)/man1/passt.1

# cppcheck: every finding is an error. Suppressions, each with its reason:
# - missingIncludeSystem: system headers are not given to cppcheck, it
#   would otherwise flag every libc include
# - unusedFunction: functions used only by unit tests, and cppcheck cannot
#   follow calls through the ops tables
# - unusedStructMember: structures that mirror a file or protocol format
#   have fields we write once and never read
cppcheck:
	cppcheck --std=c11 --error-exitcode=1 --enable=all --inconclusive \
		--library=posix --quiet --inline-suppr \
		--suppress=missingIncludeSystem --suppress=unusedFunction --suppress=unusedStructMember \
		-D_GNU_SOURCE -DVERSION=\"cppcheck\" \
		$(SRCS) $(HDRS)

# clang-tidy: the checks are chosen in .clang-tidy, with the reasons there
clang-tidy:
	clang-tidy --quiet --warnings-as-errors='*' $(SRCS) -- \
		$(BASE_CPPFLAGS) -std=c11 -Wall -Wextra

clean:
	rm -f passt *.o $(TOOLS) $(UNITS) $(FUZZ_TARGETS) test/fuzz/libpasst.a
	rm -rf $(ASAN_DIR) $(FUZZ_DIR)
