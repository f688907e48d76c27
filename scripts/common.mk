# SPDX-License-Identifier: GPL-2.0
# Shared settings for the user-space directories. Each directory's Makefile
# sets its own targets and includes this file; `make -C dir` builds alone.
#
#   $(BUILD)/bin/      programs for the master (dynamically linked)
#   $(BUILD)/node/     static programs for the node image
#   $(BUILD)/lib/      static libraries
#   $(BUILD)/obj/DIR/  object files
#   $(BUILD)/test/     host unit tests

TOP	:= $(abspath $(dir $(lastword $(MAKEFILE_LIST)))/..)
BUILD	?= $(TOP)/build
CC	?= cc
CFLAGS	?= -O2 -g
WFLAGS	:= -Wall -Wextra -Wmissing-prototypes -Wstrict-prototypes -Wshadow \
	   -Wno-unused-parameter -Werror
override CFLAGS += -std=gnu11 $(WFLAGS) -D_GNU_SOURCE \
	   -I$(TOP)/include/uapi -I$(TOP)/include -MMD -MP

BINDIR	:= $(BUILD)/bin
NODEDIR	:= $(BUILD)/node
LIBDIR	:= $(BUILD)/lib
TESTDIR	:= $(BUILD)/test

OBJDIR	:= $(BUILD)/obj/$(notdir $(CURDIR))

# Host unit tests: `$(RUN_TESTS) $(TESTS)` in a directory's check rule.
RUN_TESTS := $(TOP)/scripts/run-tests.sh

# Objects of a directory's sources and of its tests/ (which may include
# the directory's private headers).
$(OBJDIR)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -I$(CURDIR) -c -o $@ $<
