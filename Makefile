# Labyrinth - build, run and test. `make help` lists the targets and variables.
#
#   make            the kernel ELF, the hybrid GRUB ISO and the EFI system partition image
#   make run        boot in QEMU (SeaBIOS -> GRUB -> multiboot2), serial on the terminal
#   make run-efi    boot through our GNU-EFI loader (OVMF)
#   make run-grub-efi   boot through GRUB under OVMF
#   make gdb        QEMU stopped at the first instruction, gdb attached with symbols
#   make qemu-gdb / make gdb-attach   the same in two terminals (as xv6)
#   make test       host unit tests (TAP, ASan+UBSan), mutate-fast and the QEMU boot matrix
#   make mutate     deliberate bugs, one at a time: do the host tests catch them?
#   make check-layers   arch/ below mm/ below kernel/: no upward use in the built
#                   objects (tools/check-layers.py; --dot draws the layer graph)
#   make fuzz       libFuzzer harnesses (FUZZ_SECONDS each)
#
# The build is quiet (`  CC      mm/buddy.o`); V=1 prints the full command lines.
#
# Run targets take MEM= SMP= CMDLINE= QEMUFLAGS= ACCEL= NUMA= TIMEOUT=
# DETERMINISTIC=1 and exit with the kernel's status (0 = the kernel reported
# success); tools/run.py checks every one before QEMU starts. NUMA=N: N equal
# memory nodes, CPUs spread round-robin (tools/run.py --numa); with NUMA the
# defaults become MEM=1G SMP=N, so each node is whole 128 MiB sections.
#
# The run and test targets first check the packages (tools/install-deps.sh:
# installs what is missing as root, else stops with the command to run).

BUILD := build
PYTHON := /usr/bin/python3

# Quiet build, as Linux's Kbuild: `  CC      mm/buddy.o`; `make V=1` prints the
# full command lines instead. A recipe line is `$(call msg,TAG,file)` then
# `$(Q)command`.
V ?= 0
Q := $(if $(filter 1,$(V)),,@)
msg = $(if $(Q),@printf '  %-7s %s\n' '$(1)' '$(patsubst $(BUILD)/kernel/%,%,$(2))',@:)

CC := gcc
LD := ld
NASM := nasm
OBJCOPY := objcopy

# Overridable; the freestanding flags below are always added.
CFLAGS ?= -O2 -g
WARNFLAGS := -Wall -Wextra -Werror
KERNEL_CFLAGS := $(CFLAGS) $(WARNFLAGS) -std=gnu11 -ffreestanding -nostdlib \
	-mno-red-zone -mcmodel=kernel -mgeneral-regs-only -fno-stack-protector \
	-fno-pic -fno-pie -fno-omit-frame-pointer -fno-strict-aliasing \
	-fno-asynchronous-unwind-tables -mno-mmx -mno-sse -mno-sse2 \
	-Iinclude -I. -Iarch/x86_64/include -D__KERNEL__ -MMD -MP
KERNEL_LDFLAGS := -nostdlib -z max-page-size=4096 -z noexecstack --no-warn-rwx-segments \
	-T arch/x86_64/kernel.ld

# Every C file of the kernel, by folder; the in-kernel KTAP suites
# (tests/kernel/<unit>_test.c) and the in-kernel benchmark are picked up by
# the same wildcard.
KERNEL_C := $(sort $(wildcard arch/x86_64/*.c boot/*.c boot/multiboot2/*.c acpi/*.c \
	kernel/*.c mm/*.c lib/*.c selftest/*.c tests/kernel/*_test.c tests/bench/kernel_bench.c \
	tests/bench/kernel_smpbench.c tests/bench/fragwork.c tests/bench/kernel_fragbench.c))
KERNEL_ASM := $(sort $(wildcard arch/x86_64/*.asm boot/multiboot2/*.asm))
KERNEL_OBJS := $(KERNEL_C:%.c=$(BUILD)/kernel/%.o) $(KERNEL_ASM:%.asm=$(BUILD)/kernel/%.asm.o)
KERNEL := $(BUILD)/labyrinth.elf

.PHONY: all kernel iso esp run run-efi run-grub-efi gdb qemu-gdb gdb-attach test check-host mutate mutate-fast \
	check-qemu check-tools check-format check-layers format fuzz fuzz-smoke tools clean deps \
	help compile_commands.json
all: kernel iso esp

# The packages, before anything is built for a run or a test: one dpkg-query
# call (~0.05 s); as root the missing ones are installed, otherwise make
# stops here with the apt-get command to run. SKIP_DEPS=1 skips the check.
DEPS_GOALS := run run-efi run-grub-efi run-bochs gdb qemu-gdb test check-qemu check-bochs
ifneq ($(filter $(DEPS_GOALS),$(MAKECMDGOALS)),)
ifeq ($(SKIP_DEPS),)
ifneq ($(shell tools/install-deps.sh --quiet >&2; echo $$?),0)
$(error the packages above are missing (tools/install-deps.sh); install them, then run make again)
endif
endif
endif

kernel: $(KERNEL)

$(BUILD)/kernel/%.o: %.c
	@mkdir -p $(dir $@)
	$(call msg,CC,$@)
	$(Q)$(CC) $(KERNEL_CFLAGS) -c $< -o $@

$(BUILD)/kernel/%.asm.o: %.asm
	@mkdir -p $(dir $@)
	$(call msg,AS,$@)
	$(Q)$(NASM) -f elf64 -g -F dwarf -o $@ $<

# Two-stage link: the symbol table for backtraces (.ksyms, last section) is
# generated from the first link and filled in by the second; nothing before
# .ksyms moves, so text addresses in the table stay true.
$(BUILD)/ksyms0.o: tools/gen_ksyms.py
	@mkdir -p $(BUILD)
	$(call msg,KSYMS,$@)
	$(Q)$(PYTHON) tools/gen_ksyms.py /dev/null > $(BUILD)/ksyms0.S
	$(Q)$(CC) -c $(BUILD)/ksyms0.S -o $@

$(BUILD)/labyrinth.stage1.elf: $(KERNEL_OBJS) $(BUILD)/ksyms0.o arch/x86_64/kernel.ld
	$(call msg,LD,$@)
	$(Q)$(LD) $(KERNEL_LDFLAGS) -o $@ $(KERNEL_OBJS) $(BUILD)/ksyms0.o

$(BUILD)/ksyms.o: $(BUILD)/labyrinth.stage1.elf tools/gen_ksyms.py
	$(call msg,KSYMS,$@)
	$(Q)nm -n $< | $(PYTHON) tools/gen_ksyms.py - > $(BUILD)/ksyms.S
	$(Q)$(CC) -c $(BUILD)/ksyms.S -o $@

$(KERNEL): $(KERNEL_OBJS) $(BUILD)/ksyms.o arch/x86_64/kernel.ld
	$(call msg,LD,$@)
	$(Q)$(LD) $(KERNEL_LDFLAGS) -o $@ $(KERNEL_OBJS) $(BUILD)/ksyms.o
	@nm -n $@ | $(PYTHON) tools/gen_ksyms.py --check $(BUILD)/labyrinth.stage1.elf

# lib/string.c must not have its loops turned back into calls to itself.
$(BUILD)/kernel/lib/string.o: KERNEL_CFLAGS += -fno-tree-loop-distribute-patterns

-include $(KERNEL_OBJS:.o=.d)

# ---- GRUB ISO (BIOS and UEFI, one hybrid image) -------------------------
ISO := $(BUILD)/labyrinth.iso
iso: $(ISO)
$(ISO): $(KERNEL) iso/grub.cfg
	@mkdir -p $(BUILD)/isodir/boot/grub
	$(call msg,GRUB,$@)
	$(Q)cp $(KERNEL) $(BUILD)/isodir/boot/labyrinth.elf
	$(Q)sed 's/@CMDLINE@//' iso/grub.cfg > $(BUILD)/isodir/boot/grub/grub.cfg
	$(Q)grub-mkrescue -o $@ $(BUILD)/isodir 2> $(BUILD)/grub-mkrescue.log || \
		{ cat $(BUILD)/grub-mkrescue.log; exit 1; }

# ---- GNU-EFI loader and the EFI system partition image -------------------
# (section owned by boot/efi/; see boot/efi/efi.mk)
-include boot/efi/efi.mk

# ---- running in QEMU -----------------------------------------------------
# The variables reach tools/run.py through the environment, unexpanded
# ($(value)): no shell or make ever reads CMDLINE, so `CMDLINE="a=it's"` or
# `CMDLINE='x=$HOME'` get run.py's error naming the character, not a shell
# syntax error or a silently changed command line.
NUMA ?=
MEM ?= $(if $(NUMA),1G,128M)
SMP ?= $(if $(NUMA),$(NUMA),1)
CMDLINE ?=
QEMUFLAGS ?=
ACCEL ?= tcg
TIMEOUT ?=
DETERMINISTIC ?=
export LAB_MEM = $(MEM)
export LAB_SMP = $(SMP)
export LAB_NUMA = $(NUMA)
export LAB_ACCEL = $(ACCEL)
export LAB_TIMEOUT = $(TIMEOUT)
export LAB_CMDLINE = $(value CMDLINE)
export LAB_QEMUFLAGS = $(value QEMUFLAGS)
RUN = $(PYTHON) tools/run.py --build $(BUILD) --mem "$$LAB_MEM" --smp "$$LAB_SMP" \
	--cmdline "$$LAB_CMDLINE" --accel "$$LAB_ACCEL" --qemuflags "$$LAB_QEMUFLAGS" \
	$(if $(TIMEOUT),--timeout "$$LAB_TIMEOUT") $(if $(NUMA),--numa "$$LAB_NUMA") \
	$(if $(filter-out 0,$(DETERMINISTIC)),--deterministic)

run: $(ISO)
	$(RUN) --path bios
run-grub-efi: $(ISO)
	$(RUN) --path grub-efi
run-efi: $(ESP)
	$(RUN) --path efi
# One terminal: gdb in front, Ctrl-C stops the guest. Two terminals (xv6):
# `make qemu-gdb` waits on this user's port, `make gdb-attach` attaches.
gdb: $(ISO)
	$(RUN) --path bios --gdb
qemu-gdb: $(ISO)
	$(RUN) --path bios --gdb-wait
gdb-attach:
	@test -f $(BUILD)/gdbinit || { echo "gdb-attach: no $(BUILD)/gdbinit: start \
	\`make qemu-gdb' in another terminal first"; exit 1; }
	gdb -q -x $(BUILD)/gdbinit

help:
	@echo "Build:   make [all] | kernel | iso | esp | efi-loader | tools | compile_commands.json"
	@echo "         | clean; V=1 prints the full command lines"
	@echo "Run:     make run (BIOS) | run-grub-efi | run-efi | run-bochs (BOCHS_CPU=model)"
	@echo "Debug:   make gdb (one terminal) | qemu-gdb + gdb-attach (two terminals);"
	@echo "         in gdb: lab-help"
	@echo "Test:    make test = check-format check-host mutate-fast check-tools fuzz-smoke"
	@echo "         docs check-layers check-qemu check-bochs (PYTEST_ARGS=... for pytest)"
	@echo "         make mutate (every deliberate bug) | check-docs | fuzz (FUZZ_SECONDS=$(FUZZ_SECONDS))"
	@echo "Docs:    make docs | docs-diagrams-update | docs-pictures | docs-pictures-update"
	@echo "Bench:   make bench | bench-qemu | bench-smp | bench-linux | bench-report"
	@echo "         | bench-frag | bench-frag-qemu"
	@echo "Other:   make format | deps (install the packages) | help (this list)"
	@echo ""
	@echo "Variables of the run targets (checked by tools/run.py before QEMU starts):"
	@echo "  MEM=128M         guest memory: a number with K/M/G/T (M if none), at least 8M"
	@echo "  SMP=1            CPUs, 1..255 (the kernel uses at most NR_CPUS = 16)"
	@echo "  NUMA=N           N equal memory nodes (1..8), CPUs round-robin; MEM=1G SMP=N"
	@echo "  CMDLINE=\"...\"    kernel parameters, key=value words (kernel/params.c);"
	@echo "                   no quotes, \$$ ; \\ # { } | & < > (GRUB's shell syntax)"
	@echo "  QEMUFLAGS=\"...\"  more QEMU arguments"
	@echo "  ACCEL=tcg        or kvm"
	@echo "  TIMEOUT=N        seconds (0 = none); unset: none on a terminal, else fitted"
	@echo "                   to the run (self-test length, MEM, SMP)"
	@echo "  DETERMINISTIC=1  QEMU -icount: the same seed= gives the same figures"
	@echo "                   (SMP=1: the same log, byte for byte)"
	@echo "  SKIP_DEPS=1      do not check the packages first (tools/install-deps.sh)"

# ---- running on Bochs (tools/bochs.py) -------------------------------------
# make run-bochs [SMP=] [MEM=] [BOCHS_CPU=model] [CMDLINE=] [BOCHS_TIMEOUT=s]:
# the BIOS ISO on Bochs, serial on the terminal, exit status = the kernel's
# verdict (a hang is a failure after BOCHS_TIMEOUT). check-bochs: the
# tests/bochs/ boot matrix (1 and 2 CPUs on two CPU models), part of `make test`.
.PHONY: run-bochs check-bochs
BOCHS_CPU ?= corei7_haswell_4770
BOCHS_TIMEOUT ?= 240
run-bochs: $(ISO)
	$(PYTHON) tools/bochs.py --mem "$$LAB_MEM" --smp "$$LAB_SMP" --cpu '$(BOCHS_CPU)' \
		--cmdline "$$LAB_CMDLINE" --timeout '$(BOCHS_TIMEOUT)'
check-bochs: $(ISO)
	$(PYTHON) -m pytest -v tests/bochs $(PYTEST_ARGS)

# ---- docs: diagrams, pictures, the reference check (docs/docs.mk) ---------
-include docs/docs.mk

# ---- tests ---------------------------------------------------------------
HOST_CC := gcc
HOST_CFLAGS := -O1 -g $(WARNFLAGS) -std=gnu11 -fno-strict-aliasing -pthread \
	-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer \
	-Iinclude -I. -Itests/host/include -MMD -MP
# GENERIC_C: the code that builds for the kernel *and* for the host, the one
# list every host build uses (tests, fuzzers, benchmarks, tools): all of mm/
# and acpi/, the multiboot2 walker, the EFI loader's pure parts, the
# command-line parser, lock debugging. HOST_SEAM_C: the host side of the
# arch seam (threads as CPUs, simulated physical memory).
# KTEST_HOST_C: the in-kernel suites over generic code, which the host
# tests run too (tests/host/test_mm_ktest.c).
GENERIC_C := $(sort $(wildcard mm/*.c acpi/*.c)) boot/multiboot2/mb2.c kernel/cmdline.c \
	kernel/spinlock.c kernel/spinlock_debug.c lib/strlcpy.c \
	$(filter-out boot/efi/loader.c,$(wildcard boot/efi/*.c))
HOST_SEAM_C := $(sort $(wildcard tests/host/lib/*.c))
KTEST_HOST_C := $(addprefix tests/kernel/,buddy_test.c pcp_test.c numa_test.c pool_test.c \
	exclusive_test.c reclaim_test.c fail_page_alloc_test.c compaction_test.c)
HOST_LIB_C := $(GENERIC_C) $(HOST_SEAM_C) $(KTEST_HOST_C)
HOST_LIB_OBJS := $(HOST_LIB_C:%.c=$(BUILD)/host/%.o)
HOST_TESTS := $(patsubst tests/host/%.c,$(BUILD)/host/tests/%, \
	$(sort $(wildcard tests/host/test_*.c)))

$(BUILD)/host/%.o: %.c
	@mkdir -p $(dir $@)
	$(call msg,HOSTCC,$@)
	$(Q)$(HOST_CC) $(HOST_CFLAGS) -c $< -o $@

$(BUILD)/host/tests/%: tests/host/%.c $(HOST_LIB_OBJS)
	@mkdir -p $(dir $@)
	$(call msg,HOSTLD,$@)
	$(Q)$(HOST_CC) $(HOST_CFLAGS) -o $@ $< $(HOST_LIB_OBJS)

-include $(HOST_LIB_OBJS:.o=.d)

check-host: $(HOST_TESTS)
	prove --exec '' $(HOST_TESTS)

# Mutation testing (tools/mutate.py, the list in tests/mutants/mutants.py):
# each deliberate bug applied alone to a copy of the tree (build/mutate/);
# the named host tests must catch it. Prints the score caught/applied.
# mutate-fast: the subset `make test` runs.
mutate: $(HOST_TESTS)
	$(PYTHON) tools/mutate.py
mutate-fast: $(HOST_TESTS)
	$(PYTHON) tools/mutate.py --fast

# ---- host tools (tools/memmap: what Labyrinth makes of a dmesg memory map)
# Linked against an archive of GENERIC_C + HOST_SEAM_C built with the tool's
# flags: only what the tool reaches is pulled in.
HOST_TOOL_CFLAGS := -O2 -g $(WARNFLAGS) -std=gnu11 -fno-strict-aliasing -pthread \
	-Iinclude -I. -Itests/host/include -MMD -MP
TOOLS_LIB_OBJS := $(patsubst %.c,$(BUILD)/tools/obj/%.o,$(GENERIC_C) $(HOST_SEAM_C))
$(BUILD)/tools/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(call msg,HOSTCC,$@)
	$(Q)$(HOST_CC) $(HOST_TOOL_CFLAGS) -c $< -o $@
$(BUILD)/tools/libgeneric.a: $(TOOLS_LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@
	$(Q)ar rcs $@ $^
$(BUILD)/tools/memmap: tools/memmap.c $(BUILD)/tools/libgeneric.a
	@mkdir -p $(dir $@)
	$(call msg,HOSTLD,$@)
	$(Q)$(HOST_CC) $(HOST_TOOL_CFLAGS) -o $@ $^
-include $(TOOLS_LIB_OBJS:.o=.d)
tools: $(BUILD)/tools/memmap

# ---- fuzzing: libFuzzer harnesses over the real parsers --------------------
FUZZ_SECONDS ?= 60
FUZZ_SMOKE_SECONDS ?= 15
FUZZERS := $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/%,$(sort $(wildcard tests/fuzz/fuzz_*.c)))
FUZZ_COMMON := -O1 -g -std=gnu11 -fno-strict-aliasing $(WARNFLAGS) \
	-Wno-unused-command-line-argument -fno-sanitize-recover=all \
	-Iinclude -I. -Itests/host/include -MMD -MP
FUZZ_CFLAGS := $(FUZZ_COMMON) -fsanitize=fuzzer,address,undefined
# Each harness links an archive of GENERIC_C + HOST_SEAM_C, instrumented for
# coverage: only the parser it calls (and what that reaches) is pulled in.
FUZZ_LIB_OBJS := $(patsubst %.c,$(BUILD)/fuzz/obj/%.o,$(GENERIC_C) $(HOST_SEAM_C))
$(BUILD)/fuzz/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(call msg,CLANG,$@)
	$(Q)clang $(FUZZ_COMMON) -fsanitize=fuzzer-no-link,address,undefined -c $< -o $@
-include $(FUZZ_LIB_OBJS:.o=.d)
$(BUILD)/fuzz/libgeneric.a: $(FUZZ_LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@
	$(Q)ar rcs $@ $^
$(BUILD)/fuzz/%: tests/fuzz/%.c $(BUILD)/fuzz/libgeneric.a
	@mkdir -p $(dir $@)
	$(call msg,CLANGLD,$@)
	$(Q)clang $(FUZZ_CFLAGS) -o $@ $< $(BUILD)/fuzz/libgeneric.a -pthread

# Each harness runs FUZZ_SECONDS from its seed corpus (tests/fuzz/corpus/<name>/).
fuzz: $(FUZZERS)
	@for f in $(FUZZERS); do n=$$(basename $$f); \
		mkdir -p $(BUILD)/fuzz/corpus-$$n; \
		echo "fuzz: $$n for $(FUZZ_SECONDS) s"; \
		$$f -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
			$(BUILD)/fuzz/corpus-$$n $$(ls -d tests/fuzz/corpus/$${n#fuzz_} 2>/dev/null) \
			> $(BUILD)/fuzz/$$n.log 2>&1 || { tail -50 $(BUILD)/fuzz/$$n.log; exit 1; }; \
		grep -E 'stat::number_of_executed_units|Done' $(BUILD)/fuzz/$$n.log | tail -2; \
	done
fuzz-smoke:
	$(MAKE) fuzz FUZZ_SECONDS=$(FUZZ_SMOKE_SECONDS)

check-qemu: $(ISO) $(ESP)
	$(PYTHON) -m pytest -v tests/qemu $(PYTEST_ARGS)

# pytest cases that boot nothing: the runner's flag builders (tools/run.py).
check-tools: $(BUILD)/tools/memmap
	$(PYTHON) -m pytest -q tests/tools

test: check-format check-host mutate-fast check-tools fuzz-smoke docs check-layers check-qemu \
	check-bochs

# Which file uses which, from the built objects' symbols; fails on a use that
# goes up a floor (the rules table is at the top of the script).
check-layers: $(KERNEL)
	$(PYTHON) tools/check-layers.py --build $(BUILD)/kernel

check-format:
	@tools/check-format.sh

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

deps:
	tools/install-deps.sh

# -B rebuilds what is already built (bear records only commands that run),
# so no `make clean` is needed first.
compile_commands.json:
	bear -- $(MAKE) -B kernel $(HOST_TESTS)

clean:
	rm -rf $(BUILD)

# ---- benchmarks: make bench (host), make bench-qemu (guest, -icount) -------
include tests/bench/bench.mk

# Keep intermediate objects (host test objects are shared by every test).
.SECONDARY:
