# Labyrinth - build, run and test.
#
#   make            the kernel ELF, the hybrid GRUB ISO and the EFI system partition image
#   make run        boot in QEMU (SeaBIOS -> GRUB -> multiboot2), serial on the terminal
#   make run-efi    boot through our GNU-EFI loader (OVMF)
#   make run-grub-efi   boot through GRUB under OVMF
#   make gdb        QEMU stopped at the first instruction, gdb attached with symbols
#   make test       host unit tests (TAP, ASan+UBSan) and the QEMU boot matrix
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

KERNEL_C := $(sort $(wildcard kernel/*.c mm/*.c lib/*.c arch/x86_64/*.c boot/*.c boot/multiboot2/*.c))
KERNEL_ASM := $(sort $(wildcard arch/x86_64/*.asm boot/multiboot2/*.asm))
KERNEL_OBJS := $(KERNEL_C:%.c=$(BUILD)/kernel/%.o) $(KERNEL_ASM:%.asm=$(BUILD)/kernel/%.asm.o)
KERNEL := $(BUILD)/labyrinth.elf

.PHONY: all kernel iso esp run run-efi run-grub-efi gdb test check-host check-qemu \
	check-format format fuzz fuzz-smoke tools clean deps compile_commands.json
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
# Generic code that also runs on the host: all of mm/, the multiboot2 walker,
# the command-line parser, plus the host side of the arch seam.
HOST_LIB_C := $(sort $(wildcard mm/*.c) boot/multiboot2/mb2.c kernel/cmdline.c kernel/acpi.c kernel/acpi_numa.c kernel/spinlock_debug.c lib/strlcpy.c \
	$(filter-out boot/efi/loader.c,$(wildcard boot/efi/*.c)) $(wildcard tests/host/lib/*.c))
HOST_LIB_OBJS := $(HOST_LIB_C:%.c=$(BUILD)/host/%.o)
HOST_TESTS := $(patsubst tests/host/%.c,$(BUILD)/host/tests/%,$(sort $(wildcard tests/host/test_*.c)))

$(BUILD)/host/%.o: %.c
	@mkdir -p $(dir $@)
	$(HOST_CC) $(HOST_CFLAGS) -c $< -o $@

$(BUILD)/host/tests/%: tests/host/%.c $(HOST_LIB_OBJS)
	@mkdir -p $(dir $@)
	$(HOST_CC) $(HOST_CFLAGS) -o $@ $< $(HOST_LIB_OBJS)

-include $(HOST_LIB_OBJS:.o=.d)

check-host: $(HOST_TESTS)
	prove --exec '' $(HOST_TESTS)

# ---- host tools (tools/memmap: what Labyrinth makes of a dmesg memory map)
HOST_TOOL_CFLAGS := -O2 -g $(WARNFLAGS) -std=gnu11 -fno-strict-aliasing -pthread \
	-Iinclude -I. -Itests/host/include
MEMMAP_TOOL_C := tools/memmap.c tests/host/lib/memmap_text.c mm/memmap.c \
	tests/host/lib/host_arch.c lib/strlcpy.c
$(BUILD)/tools/memmap: $(MEMMAP_TOOL_C)
	@mkdir -p $(dir $@)
	$(HOST_CC) $(HOST_TOOL_CFLAGS) -o $@ $(MEMMAP_TOOL_C)
tools: $(BUILD)/tools/memmap

# ---- fuzzing: libFuzzer harnesses over the real parsers --------------------
FUZZ_SECONDS ?= 60
FUZZ_SMOKE_SECONDS ?= 15
FUZZERS := $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/%,$(sort $(wildcard tests/fuzz/fuzz_*.c)))
FUZZ_CFLAGS := -O1 -g -std=gnu11 -fno-strict-aliasing -Wall -Wextra -Werror \
	-Wno-unused-command-line-argument -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=all -Iinclude -I. -Itests/host/include
# What each harness links besides itself: the parser under test.
FUZZ_LIB_fuzz_memmap := mm/memmap.c tests/host/lib/host_arch.c lib/strlcpy.c
FUZZ_LIB_fuzz_mb2 := boot/multiboot2/mb2.c tests/host/lib/host_printk.c \
	tests/host/lib/host_arch.c lib/strlcpy.c
.SECONDEXPANSION:
$(BUILD)/fuzz/%: tests/fuzz/%.c $$(FUZZ_LIB_%)
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -o $@ $< $(FUZZ_LIB_$*)

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

test: check-format check-host fuzz-smoke docs check-qemu

check-format:
	@tools/check-format.sh

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

deps:
	tools/install-deps.sh

compile_commands.json:
	$(MAKE) clean
	bear -- $(MAKE) kernel $(HOST_TESTS)

clean:
	rm -rf $(BUILD)

# ---- benchmarks: make bench (host), make bench-qemu (guest, -icount) -------
include tests/bench/bench.mk

# Keep intermediate objects (host test objects are shared by every test).
.SECONDARY:
