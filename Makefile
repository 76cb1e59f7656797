# Labyrinth - build, run and test.
#
#   make            the kernel ELF, the hybrid GRUB ISO and the EFI system partition image
#   make run        boot in QEMU (SeaBIOS -> GRUB -> multiboot2), serial on the terminal
#   make run-efi    boot through our GNU-EFI loader (OVMF)
#   make run-grub-efi   boot through GRUB under OVMF
#   make gdb        QEMU stopped at the first instruction, gdb attached with symbols
#   make test       host unit tests (TAP, ASan+UBSan), mutate-fast and the QEMU boot matrix
#   make mutate     deliberate bugs, one at a time: do the host tests catch them?
#   make check-layers   arch/ below mm/ below kernel/: no upward use in the built
#                   objects (tools/check-layers.py; --dot draws the layer graph)
#   make fuzz       libFuzzer harnesses (FUZZ_SECONDS each)
#
# Run targets take MEM= SMP= CMDLINE= QEMUFLAGS= ACCEL= NUMA= and exit with
# the kernel's status (0 = the kernel reported success). NUMA=N: N equal
# memory nodes, CPUs spread round-robin (tools/run.py --numa); with NUMA the
# defaults become MEM=1G SMP=N, so each node is whole 128 MiB sections.

BUILD := build
PYTHON := /usr/bin/python3

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
	kernel/*.c mm/*.c lib/*.c selftest/*.c tests/kernel/*_test.c tests/bench/kernel_bench.c))
KERNEL_ASM := $(sort $(wildcard arch/x86_64/*.asm boot/multiboot2/*.asm))
KERNEL_OBJS := $(KERNEL_C:%.c=$(BUILD)/kernel/%.o) $(KERNEL_ASM:%.asm=$(BUILD)/kernel/%.asm.o)
KERNEL := $(BUILD)/labyrinth.elf

.PHONY: all kernel iso esp run run-efi run-grub-efi gdb test check-host check-qemu check-tools \
	mutate mutate-fast \
	check-format check-layers format fuzz fuzz-smoke tools clean deps compile_commands.json
all: kernel iso esp

kernel: $(KERNEL)

$(BUILD)/kernel/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(KERNEL_CFLAGS) -c $< -o $@

$(BUILD)/kernel/%.asm.o: %.asm
	@mkdir -p $(dir $@)
	$(NASM) -f elf64 -g -F dwarf -o $@ $<

# Two-stage link: the symbol table for backtraces (.ksyms, last section) is
# generated from the first link and filled in by the second; nothing before
# .ksyms moves, so text addresses in the table stay true.
$(BUILD)/ksyms0.o: tools/gen_ksyms.py
	@mkdir -p $(BUILD)
	$(PYTHON) tools/gen_ksyms.py /dev/null > $(BUILD)/ksyms0.S
	$(CC) -c $(BUILD)/ksyms0.S -o $@

$(BUILD)/labyrinth.stage1.elf: $(KERNEL_OBJS) $(BUILD)/ksyms0.o arch/x86_64/kernel.ld
	$(LD) $(KERNEL_LDFLAGS) -o $@ $(KERNEL_OBJS) $(BUILD)/ksyms0.o

$(BUILD)/ksyms.o: $(BUILD)/labyrinth.stage1.elf tools/gen_ksyms.py
	nm -n $< | $(PYTHON) tools/gen_ksyms.py - > $(BUILD)/ksyms.S
	$(CC) -c $(BUILD)/ksyms.S -o $@

$(KERNEL): $(KERNEL_OBJS) $(BUILD)/ksyms.o arch/x86_64/kernel.ld
	$(LD) $(KERNEL_LDFLAGS) -o $@ $(KERNEL_OBJS) $(BUILD)/ksyms.o
	@nm -n $@ | $(PYTHON) tools/gen_ksyms.py --check $(BUILD)/labyrinth.stage1.elf

# lib/string.c must not have its loops turned back into calls to itself.
$(BUILD)/kernel/lib/string.o: KERNEL_CFLAGS += -fno-tree-loop-distribute-patterns

-include $(KERNEL_OBJS:.o=.d)

# ---- GRUB ISO (BIOS and UEFI, one hybrid image) -------------------------
ISO := $(BUILD)/labyrinth.iso
iso: $(ISO)
$(ISO): $(KERNEL) iso/grub.cfg
	@mkdir -p $(BUILD)/isodir/boot/grub
	cp $(KERNEL) $(BUILD)/isodir/boot/labyrinth.elf
	sed 's/@CMDLINE@//' iso/grub.cfg > $(BUILD)/isodir/boot/grub/grub.cfg
	grub-mkrescue -o $@ $(BUILD)/isodir 2> $(BUILD)/grub-mkrescue.log || \
		{ cat $(BUILD)/grub-mkrescue.log; exit 1; }

# ---- GNU-EFI loader and the EFI system partition image -------------------
# (section owned by boot/efi/; see boot/efi/efi.mk)
-include boot/efi/efi.mk

# ---- running in QEMU -----------------------------------------------------
NUMA ?=
MEM ?= $(if $(NUMA),1G,128M)
SMP ?= $(if $(NUMA),$(NUMA),1)
CMDLINE ?=
QEMUFLAGS ?=
ACCEL ?= tcg
TIMEOUT ?= 0
RUN = $(PYTHON) tools/run.py --mem '$(MEM)' --smp '$(SMP)' --cmdline '$(CMDLINE)' \
	--accel '$(ACCEL)' --timeout '$(TIMEOUT)' --qemuflags '$(QEMUFLAGS)' \
	$(if $(NUMA),--numa '$(NUMA)')

run: $(ISO)
	$(RUN) --path bios
run-grub-efi: $(ISO)
	$(RUN) --path grub-efi
run-efi: $(ESP)
	$(RUN) --path efi
gdb: $(ISO)
	$(RUN) --path bios --gdb

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
	kernel/spinlock_debug.c lib/strlcpy.c \
	$(filter-out boot/efi/loader.c,$(wildcard boot/efi/*.c))
HOST_SEAM_C := $(sort $(wildcard tests/host/lib/*.c))
KTEST_HOST_C := $(addprefix tests/kernel/,buddy_test.c pcp_test.c numa_test.c pool_test.c \
	exclusive_test.c reclaim_test.c fail_page_alloc_test.c)
HOST_LIB_C := $(GENERIC_C) $(HOST_SEAM_C) $(KTEST_HOST_C)
HOST_LIB_OBJS := $(HOST_LIB_C:%.c=$(BUILD)/host/%.o)
HOST_TESTS := $(patsubst tests/host/%.c,$(BUILD)/host/tests/%, \
	$(sort $(wildcard tests/host/test_*.c)))

$(BUILD)/host/%.o: %.c
	@mkdir -p $(dir $@)
	$(HOST_CC) $(HOST_CFLAGS) -c $< -o $@

$(BUILD)/host/tests/%: tests/host/%.c $(HOST_LIB_OBJS)
	@mkdir -p $(dir $@)
	$(HOST_CC) $(HOST_CFLAGS) -o $@ $< $(HOST_LIB_OBJS)

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
	$(HOST_CC) $(HOST_TOOL_CFLAGS) -c $< -o $@
$(BUILD)/tools/libgeneric.a: $(TOOLS_LIB_OBJS)
	rm -f $@
	ar rcs $@ $^
$(BUILD)/tools/memmap: tools/memmap.c $(BUILD)/tools/libgeneric.a
	@mkdir -p $(dir $@)
	$(HOST_CC) $(HOST_TOOL_CFLAGS) -o $@ $^
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
	clang $(FUZZ_COMMON) -fsanitize=fuzzer-no-link,address,undefined -c $< -o $@
-include $(FUZZ_LIB_OBJS:.o=.d)
$(BUILD)/fuzz/libgeneric.a: $(FUZZ_LIB_OBJS)
	rm -f $@
	ar rcs $@ $^
$(BUILD)/fuzz/%: tests/fuzz/%.c $(BUILD)/fuzz/libgeneric.a
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -o $@ $< $(BUILD)/fuzz/libgeneric.a -pthread

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
check-tools:
	$(PYTHON) -m pytest -q tests/tools

test: check-format check-host mutate-fast check-tools fuzz-smoke docs check-layers check-qemu

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
