# bench.mk - benchmarks, included by the top-level Makefile:
#
#   make bench        host microbenchmarks of the real mm/ code (-O2, generic
#                     x86-64, no sanitizers): terminal table, build/bench.json,
#                     docs/BENCHMARKS.md (tools/bench-report.py)
#   make bench-qemu   the in-kernel loops (tests/bench/kernel_bench.c) under QEMU TCG with
#                     -icount shift=0: guest TSC ticks per operation, next to
#                     Linux's from make bench-linux; build/bench-qemu.json, and the docs
#   make bench-linux  the same loops on Debian's Linux under the same QEMU
#                     (tools/bench_linux.py, tests/bench/linux/): build/bench-linux.json
#
#   make bench-smp    two CPUs on one zone in the guest (tests/bench/kernel_smpbench.c):
#                     QEMU -smp 2, multi-threaded TCG, no -icount (wall-time ticks,
#                     noisy: medians of several runs); build/bench-smp.json, and the docs
#
#   make bench-frag   the fragmentation workload (tests/bench/fragwork.c) on the host,
#                     grouping by mobility on/off x compaction on/off: docs/fragbench.svg
#                     and the fragmentation section of docs/BENCHMARKS.md
#   make bench-frag-qemu  the same workload in the guest (four boots, fragbench=N)
#
# BENCH_QUICK=1 shortens the host run (smoke test).

BENCH_DIR := $(BUILD)/bench
BENCH_CFLAGS := -O2 -g $(WARNFLAGS) -std=gnu11 -fno-strict-aliasing -pthread \
	-Iinclude -I. -Itests/host/include -MMD -MP
BENCH_C := tests/bench/bench.c tests/bench/bench_baseline.c tests/bench/bench_mm.c \
	tests/bench/bench_init.c tests/bench/bench_pcp.c tests/bench/bench_pool.c
# The generic code (the Makefile's GENERIC_C and HOST_SEAM_C) goes in an
# archive, so only what the cases reach is linked.
BENCH_LIB_C := $(GENERIC_C) $(HOST_SEAM_C)
BENCH_OBJS := $(BENCH_C:%.c=$(BENCH_DIR)/%.o)
BENCH_LIB_OBJS := $(BENCH_LIB_C:%.c=$(BENCH_DIR)/%.o)
BENCH_BIN := $(BENCH_DIR)/bench
BENCH_QEMU_LOG := $(BUILD)/bench-qemu.log

.PHONY: bench bench-qemu bench-report

$(BENCH_DIR)/%.o: %.c
	@mkdir -p $(dir $@)
	$(call msg,HOSTCC,$@)
	$(Q)$(HOST_CC) $(BENCH_CFLAGS) -c $< -o $@

$(BENCH_DIR)/libmm.a: $(BENCH_LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@
	$(Q)ar rcs $@ $^

# jemalloc: -ljemalloc would replace glibc's malloc (the other baseline) for
# the whole process, and dlopen() fails on its initial-exec TLS. So: a copy
# of its static PIC archive with the public entry points renamed bench_je_*.
BENCH_JEMALLOC_A := $(firstword $(wildcard /usr/lib/x86_64-linux-gnu/libjemalloc_pic.a \
	/usr/lib64/libjemalloc_pic.a /usr/lib/libjemalloc_pic.a))
BENCH_JE_SYMS := malloc free calloc realloc aligned_alloc posix_memalign memalign valloc \
	malloc_usable_size mallocx dallocx sdallocx rallocx xallocx sallocx nallocx mallctl \
	mallctlbymib mallctlnametomib malloc_stats_print malloc_conf malloc_message
BENCH_JE_LIB := $(if $(BENCH_JEMALLOC_A),$(BENCH_DIR)/libjemalloc_bench.a)
# bench_baseline.c refers to them weakly (skips jemalloc without the archive);
# weak references pull nothing out of an archive, -u does.
BENCH_JE_LDFLAGS := $(if $(BENCH_JEMALLOC_A),-Xlinker -u -Xlinker bench_je_mallocx \
	-Xlinker -u -Xlinker bench_je_dallocx)

$(BENCH_DIR)/libjemalloc_bench.a: $(BENCH_JEMALLOC_A)
	@mkdir -p $(dir $@)
	@printf '%s bench_je_%s\n' $(foreach s,$(BENCH_JE_SYMS),$(s) $(s)) > $@.syms
	objcopy --redefine-syms=$@.syms $< $@

$(BENCH_BIN): $(BENCH_OBJS) $(BENCH_DIR)/libmm.a $(BENCH_JE_LIB)
	$(call msg,HOSTLD,$@)
	$(Q)$(HOST_CC) $(BENCH_CFLAGS) -o $@ $(BENCH_OBJS) $(BENCH_DIR)/libmm.a \
		$(BENCH_JE_LDFLAGS) $(BENCH_JE_LIB) -lm -ldl

-include $(BENCH_OBJS:.o=.d) $(BENCH_LIB_OBJS:.o=.d)

bench: $(BENCH_BIN)
	$(BENCH_BIN) $(BUILD)/bench.json
	$(PYTHON) tools/bench-report.py --host $(BUILD)/bench.json \
		--qemu $(BUILD)/bench-qemu.json --out docs/BENCHMARKS.md

# One CPU and 1 GiB, as make bench-linux's Linux run; lockdep=0 because lock
# debugging (on by default) adds ~130 instructions to every buddy-path pair
# and Linux's figures are from a kernel without lockdep.
bench-qemu: $(ISO)
	$(PYTHON) tools/run.py --path bios --mem 1G --smp 1 --timeout 600 \
		--qemuflags '-icount shift=0' --cmdline 'bench ktest=none lockdep=0' \
		--log $(BENCH_QEMU_LOG)
	$(PYTHON) tools/bench-report.py --qemu-log $(BENCH_QEMU_LOG) \
		--qemu $(BUILD)/bench-qemu.json --host $(BUILD)/bench.json --out docs/BENCHMARKS.md

bench-report:
	$(PYTHON) tools/bench-report.py --host $(BUILD)/bench.json \
		--qemu $(BUILD)/bench-qemu.json --out docs/BENCHMARKS.md

# ---- make bench-frag: the fragmentation workload (tests/bench/fragbench.c)
# in its four configurations (grouping by mobility on/off x compaction
# on/off), then the plot and the table (tools/fragbench_plot.py). A
# benchmark: it reports what it measures and asserts nothing.
FRAGBENCH_BIN := $(BENCH_DIR)/fragbench
FRAGBENCH_OPS ?= 1000000
FRAGBENCH_SEED ?= 1

$(FRAGBENCH_BIN): $(BENCH_DIR)/tests/bench/fragbench.o $(BENCH_DIR)/tests/bench/fragwork.o \
		$(BENCH_DIR)/libmm.a
	$(HOST_CC) $(BENCH_CFLAGS) -o $@ $^ -lm

.PHONY: bench-frag
bench-frag: $(FRAGBENCH_BIN)
	( for m in 1 0; do for c in 1 0; do \
		$(FRAGBENCH_BIN) seed=$(FRAGBENCH_SEED) ops=$(FRAGBENCH_OPS) mobility=$$m compaction=$$c \
		|| exit 1; done; done ) > $(BUILD)/fragbench.csv
	$(PYTHON) tools/fragbench_plot.py $(BUILD)/fragbench.csv --svg docs/fragbench.svg \
		--table $(BUILD)/fragbench.md --benchmarks-md docs/BENCHMARKS.md

# The same workload in the guest: four boots, one per configuration
# (fragbench=N on the command line, tests/bench/kernel_fragbench.c), then the
# plots and tables of both (the host run's CSV is made first if missing).
FRAGBENCH_QEMU_LOG := $(BUILD)/fragbench-qemu.log

.PHONY: bench-frag-qemu
bench-frag-qemu: $(ISO) $(FRAGBENCH_BIN)
	@test -f $(BUILD)/fragbench.csv || $(MAKE) bench-frag
	rm -f $(FRAGBENCH_QEMU_LOG)
	for m in 1 0; do for c in 1 0; do \
		$(PYTHON) tools/run.py --path bios --mem 256M --smp 1 --timeout 900 \
		--cmdline "fragbench=$(FRAGBENCH_OPS) seed=$(FRAGBENCH_SEED) mobility=$$m compaction=$$c ktest=none selftest=0" \
		--log $(FRAGBENCH_QEMU_LOG).$$m$$c || exit 1; \
		cat $(FRAGBENCH_QEMU_LOG).$$m$$c >> $(FRAGBENCH_QEMU_LOG); done; done
	$(PYTHON) tools/fragbench_plot.py $(BUILD)/fragbench.csv --svg docs/fragbench.svg \
		--table $(BUILD)/fragbench.md --benchmarks-md docs/BENCHMARKS.md \
		--qemu $(FRAGBENCH_QEMU_LOG) --qemu-svg docs/fragbench-qemu.svg

# ---- make bench-smp: two CPUs contending on one zone, in the guest
# (tests/bench/kernel_smpbench.c, `smpbench` on the command line). QEMU
# -smp 2 with multi-threaded TCG (one host thread per vCPU) and no -icount
# (QEMU refuses -icount with thread=multi): the ticks are the host's wall
# time, noisy on a busy host, so each case runs several times in the boot
# and the report takes medians. A benchmark: no figure is judged, but a
# boot that could not run a case (CPU 1 missing, a bounded wait expired) or
# a log with nothing measured fails the target.
BENCH_SMP_LOG := $(BUILD)/bench-smp.log

.PHONY: bench-smp
bench-smp: $(ISO)
	$(PYTHON) tools/run.py --path bios --mem 1G --smp 2 --accel tcg,thread=multi \
		--timeout 900 --cmdline 'smpbench ktest=none selftest=0 lockdep=0' \
		--log $(BENCH_SMP_LOG)
	$(PYTHON) tools/bench-report.py --smp-log $(BENCH_SMP_LOG) --smp $(BUILD)/bench-smp.json \
		--host $(BUILD)/bench.json --qemu $(BUILD)/bench-qemu.json --out docs/BENCHMARKS.md

# ---- make bench-linux: the same in-guest loops on Debian's own Linux kernel
# (tools/bench_linux.py): installs linux-image-amd64, linux-headers-amd64,
# busybox-static and cpio if missing (apt-get, as root: the benchmark's own
# install step, never run by `make test` or CI), builds tests/bench/linux/
# against the installed headers, boots the kernel with a busybox initramfs
# under bench-qemu's QEMU settings (TCG, -icount shift=0, 1 CPU, 1 GiB) and
# writes build/bench-linux.json: the Linux column of the report. A boot that
# does not finish within BENCH_LINUX_TIMEOUT seconds prints the serial log and
# fails. LINUX_VERSION=<ver> picks /boot/vmlinuz-<ver> (default: the newest
# one with headers).
BENCH_LINUX_TIMEOUT ?= 900
BENCH_LINUX_JSON := $(BUILD)/bench-linux.json

.PHONY: bench-linux
bench-linux:
	$(PYTHON) tools/bench_linux.py --install --timeout $(BENCH_LINUX_TIMEOUT) \
		$(if $(LINUX_VERSION),--version $(LINUX_VERSION)) \
		--workdir $(BUILD)/bench-linux --out $(BENCH_LINUX_JSON)
	@if [ -f $(BUILD)/bench-qemu.json ]; then \
		echo "$(PYTHON) tools/bench-report.py --print-guest ..."; \
		$(PYTHON) tools/bench-report.py --print-guest --linux $(BENCH_LINUX_JSON) \
		--qemu $(BUILD)/bench-qemu.json --host $(BUILD)/bench.json --out docs/BENCHMARKS.md; \
	else echo "bench-linux: no $(BUILD)/bench-qemu.json: run make bench-qemu for the" \
		"side-by-side table (docs/BENCHMARKS.md left as it is)"; fi
