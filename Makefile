# SPDX-License-Identifier: GPL-2.0
#
# mmaplab - a laboratory for Linux memory mappings.
#
# The two commands of README.md, for a Debian 12 (amd64) machine:
#   make demo     the guided demo, inside a VM (the host kernel is not touched);
#                 make demo DEMO=NAME runs one topic of the course
#   make check    every test on every default kernel, inside VMs
#
# On your own machine:
#   make          module (for the running kernel), tools and selftests
#   sudo insmod module/mmaplab.ko && sudo make check-host
#
# Kbuild reads ./Kbuild, not this file, when it builds the module.

SHELL := /bin/bash

KVER ?= $(shell uname -r)
KDIR ?= /lib/modules/$(KVER)/build
BUILD := $(CURDIR)/build
# Kernels for check/demo/shell; empty means the default set.
KERNELS ?=
KERNEL ?= 6.1

# Packages the userspace side needs to build (the VM scripts ask for theirs).
BUILD_PKGS := gcc make libc6-dev libjson-c-dev libmnl-dev

.PHONY: all module tools selftests payload check check-host demo shell bench bench-host profile \
	install uninstall clean clean-cache help deps

all: module tools selftests

help:
	@sed -n '3,14p' Makefile | sed 's/^# \{0,1\}//'

deps:
	@tools/need-pkgs $(BUILD_PKGS)

# The module for the running kernel (or KVER/KDIR), in module/mmaplab.ko.
module:
	@test -d $(KDIR) || { echo "mmaplab: no kernel headers in $(KDIR):" \
		"install linux-headers-$(KVER) (sudo apt-get install linux-headers-$(KVER))" >&2; exit 1; }
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

tools: deps
	$(MAKE) -C tools/mmaplab O=$(BUILD)/tools
	@install -D -m 0755 $(BUILD)/tools/mmaplab $(BUILD)/bin/mmaplab
	$(MAKE) -s -C tools/bench O=$(BUILD)/bin

# Benchmarks: ratios against the kernel's own equivalent, in the same run
# (Documentation/performance.rst).  BENCH_ARGS go to mmaplab-bench.
# The VM gets 1.5 GiB so that the size sweep reaches 1 GiB.
BENCH_ARGS ?= --max-mib 1024
bench:
	@MMAPLAB_VM_MEM=$${MMAPLAB_VM_MEM:-1536M} tools/vm/run --kernel $(KERNEL) \
		--timeout 1800 -- mmaplab-bench $(BENCH_ARGS)

# Where the time of the figures around and inspect goes, each side apart:
# perf in the VM (tools/profile; Documentation/performance.rst, "Profiles").
# On 6.12 unless KERNEL is given (6.1 has no PAGEMAP_SCAN to profile).
# PROFILE_ARGS go to tools/profile (e.g. --callgraph, around).
PROFILE_ARGS ?=
profile:
	@tools/profile --kernel $(if $(filter command line environment,$(origin KERNEL)),$(KERNEL),6.12) \
		$(PROFILE_ARGS)

# The same on the running kernel; the module must be loaded.
bench-host: tools
	$(BUILD)/bin/mmaplab-bench $(BENCH_ARGS)

selftests: deps
	@ksft=$$(tools/vm/kernels ksft) && \
	$(MAKE) -C selftests/mmaplab OUTPUT=$(BUILD)/selftests KSFT_DIR=$$ksft/selftests

# What a VM needs for kernel release KVER: the module built for it (on the
# host, or in the sid chroot for 7.x) in build/$(KVER)/, the tools and the
# selftests.
payload: tools selftests
	@tools/vm/build-module $(KVER) $(BUILD)/$(KVER)

check:
	@tools/check $(KERNELS)

# The selftests against the running kernel; the module must be loaded.
check-host: all
	@tools/check --host

# make demo: the tour; make demo DEMO=NAME: one topic ("mmaplab demo" lists them).
DEMO ?=
demo:
	@tools/demo --kernel $(KERNEL) $(if $(DEMO),--demo $(DEMO))

shell:
	@tools/vm/run --interactive --kernel $(KERNEL) -- sh

install: module tools
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules_install
	install -D -m 0755 $(BUILD)/bin/mmaplab $(DESTDIR)/usr/local/bin/mmaplab

uninstall:
	rm -f $(DESTDIR)/usr/local/bin/mmaplab

clean:
	-$(MAKE) -C $(KDIR) M=$(CURDIR) clean 2>/dev/null
	rm -rf $(BUILD)

clean-cache:
	tools/vm/kernels clean-cache
