# SPDX-License-Identifier: GPL-2.0
#
# bproc top-level Makefile: delegates to one directory per deliverable.
#
#   make            build kernel (cached), module, tools, node image, tests
#   make cluster    boot a master + 3 PXE-booting nodes in QEMU, show bpstat,
#                   leave an interactive master console
#                   (BATCH=1: shut down after bpstat; RUN=script: run it on
#                   the master and exit with its status; NODES=n;
#                   VNODES=k: k virtual nodes on each node VM)
#   make check      every test: style, host unit tests, VM and cluster tests
#   make check-debug  the cluster tests on the debug kernel (KASAN, lockdep, ...)
#   make style      checkpatch --strict on the module and every patch
#   make fuzz       the wire decoder's and config parser's libFuzzer targets,
#                   FUZZ_TIME seconds each (default 60)
#   make fuzz-kernel  the module's master file fuzzed in a VM for KFUZZ_TIME
#                   seconds (default 120); DEBUG=1: on the KASAN kernel

BPROC_CACHE ?= /var/cache/bproc
export BPROC_CACHE
BUILD   := $(CURDIR)/build
KBUILD  ?= $(BPROC_CACHE)/kbuild-normal
NODES   ?= 3
export BUILD

USER_DIRS := core libbproc proto bpstat bpmaster bpslave nodeinit bpsh bpcp bpctl
UNIT_DIRS := core libbproc proto bpstat nodeinit bpmaster bpslave bpsh bpcp bpctl

.PHONY: all deps kernel kernel-debug kmod tools bootimg selftests cluster \
	check check-debug style fuzz fuzz-kernel unit clean distclean $(USER_DIRS)

all: kernel kmod tools bootimg selftests

deps:
	@scripts/deps.sh

kernel: deps
	@scripts/kernel.sh normal >/dev/null

kernel-debug: deps
	@scripts/kernel.sh debug >/dev/null

kmod: kernel
	$(MAKE) -C bproc-kmod KDIR=$(KBUILD)
	@mkdir -p $(BUILD)/kmod
	@cp bproc-kmod/bproc.ko $(BUILD)/kmod/bproc.ko

core libbproc proto:
	$(MAKE) -C $@
bpstat bpcp bpctl: libbproc
	$(MAKE) -C $@
bpmaster bpslave: core proto
	$(MAKE) -C $@
bpsh: core proto libbproc
	$(MAKE) -C $@
nodeinit: core
	$(MAKE) -C $@

tools: $(USER_DIRS)

bootimg: kernel kmod tools
	$(MAKE) -C bootimg KBUILD=$(KBUILD)

selftests: libbproc
	$(MAKE) -C selftests/bproc

# make itself can only exit 0 or 2: a script's own status is printed by the
# harness ("master reported exit status N") and by make ("Error N").
cluster: deps all
	@harness/cluster.py --nodes $(NODES) $(if $(VNODES),--vnodes $(VNODES)) \
		$(if $(RUN),--run $(RUN),--run harness/show-cluster.sh \
		$(if $(BATCH),,--interactive))

check: deps all
	@scripts/check.sh

check-debug: deps
	@scripts/kernel.sh debug >/dev/null
	$(MAKE) KBUILD=$(BPROC_CACHE)/kbuild-debug kmod bootimg selftests tools
	@BPROC_KBUILD=$(BPROC_CACHE)/kbuild-debug scripts/check.sh --debug

style:
	@scripts/style.sh

FUZZ_TIME ?= 60
fuzz: deps
	$(MAKE) -C proto fuzz FUZZ_TIME=$(FUZZ_TIME)

KFUZZ_TIME ?= 120
KFUZZ_KBUILD = $(if $(DEBUG),$(BPROC_CACHE)/kbuild-debug,$(KBUILD))
fuzz-kernel: deps
	@$(if $(DEBUG),scripts/kernel.sh debug >/dev/null,:)
	$(MAKE) KBUILD=$(KFUZZ_KBUILD) $(if $(DEBUG),,kernel) kmod selftests
	harness/cluster.py --nodes 0 --kernel $(KFUZZ_KBUILD)/arch/x86/boot/bzImage \
		--env KFUZZ_TIME=$(KFUZZ_TIME) --run selftests/bproc/run_kfuzz.sh \
		--dir $(BUILD)/kfuzz

unit: $(USER_DIRS)
	@for d in $(UNIT_DIRS); do $(MAKE) -s -C $$d check || exit 1; done

clean:
	rm -rf $(BUILD)
	-$(MAKE) -C bproc-kmod clean KDIR=$(KBUILD)

distclean: clean
	@echo "kernel cache left in $(BPROC_CACHE); remove it by hand"
