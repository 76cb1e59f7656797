# efi.mk - the GNU-EFI loader (BOOTX64.EFI) and the EFI system partition image.
#
# Included by the top-level Makefile (which defines BUILD, KERNEL, CC, LD,
# OBJCOPY, WARNFLAGS). The loader is a PE32+ application built the GNU-EFI
# way: position-independent ELF objects linked as a shared object against
# crt0-efi-x86_64.o and elf_x86_64_efi.lds, then converted by objcopy. Its
# sources are boot/efi/*.c: loader.c (the firmware side) and the pure
# helpers kelf.c, options.c, handoff.c, which the host tests compile too.
#
#   make esp          $(ESP): a FAT image with \EFI\BOOT\BOOTX64.EFI and
#                     \labyrinth.elf (no \cmdline.txt: a runner that wants a
#                     command line copies the image and adds one with
#                     mcopy -i copy.img file ::/cmdline.txt)
#   make efi-loader   just $(EFI_LOADER)

GNUEFI_INC ?= /usr/include/efi
GNUEFI_LIB ?= /usr/lib
EFI_OPTFLAGS ?= -O2 -g

EFI_BUILD := $(BUILD)/efi
EFI_LOADER := $(EFI_BUILD)/BOOTX64.EFI
EFI_SO := $(EFI_BUILD)/loader.so
EFI_C := $(sort $(wildcard boot/efi/*.c))
EFI_OBJS := $(EFI_C:boot/efi/%.c=$(EFI_BUILD)/%.o)

ESP := $(BUILD)/esp.img
ESP_SIZE_MB ?= 32

# Microsoft x64 calling convention for firmware calls through EFIAPI function
# pointers (GNU_EFI_USE_MS_ABI), so no uefi_call_wrapper thunks are needed.
EFI_CFLAGS := $(EFI_OPTFLAGS) $(WARNFLAGS) -std=gnu11 -ffreestanding -fpic -fshort-wchar \
	-mno-red-zone -mgeneral-regs-only -fno-stack-protector -fno-strict-aliasing \
	-DGNU_EFI_USE_MS_ABI -I$(GNUEFI_INC) -I$(GNUEFI_INC)/x86_64 -I$(GNUEFI_INC)/protocol \
	-Iinclude -I. -MMD -MP
EFI_LDFLAGS := -nostdlib -shared -Bsymbolic -znocombreloc -z noexecstack \
	--no-warn-rwx-segments -T $(GNUEFI_LIB)/elf_x86_64_efi.lds
EFI_SECTIONS := -j .text -j .sdata -j .data -j .rodata -j .dynamic -j .dynsym \
	-j .rel -j .rela -j '.rel.*' -j '.rela.*' -j .reloc

.PHONY: efi-loader
efi-loader: $(EFI_LOADER)
esp: $(ESP)

$(EFI_BUILD)/%.o: boot/efi/%.c
	@mkdir -p $(dir $@)
	$(call msg,CC,$@)
	$(Q)$(CC) $(EFI_CFLAGS) -c $< -o $@

$(EFI_SO): $(EFI_OBJS)
	$(call msg,LD,$@)
	$(Q)$(LD) $(EFI_LDFLAGS) $(GNUEFI_LIB)/crt0-efi-x86_64.o $(EFI_OBJS) \
		-L$(GNUEFI_LIB) -lefi -lgnuefi -o $@
	@if nm -u $@ | grep -q .; then echo "efi.mk: undefined symbols in $@:"; nm -u $@; exit 1; fi

$(EFI_LOADER): $(EFI_SO)
	$(call msg,OBJCOPY,$@)
	$(Q)$(OBJCOPY) $(EFI_SECTIONS) --target efi-app-x86_64 --subsystem=10 $< $@

# Built under a temporary name and renamed, so a failed step never leaves a
# half-made image behind.
$(ESP): $(EFI_LOADER) $(KERNEL)
	@rm -f $@.tmp
	$(call msg,MKESP,$@)
	$(Q)dd if=/dev/zero of=$@.tmp bs=1M count=$(ESP_SIZE_MB) status=none
	$(Q)mformat -i $@.tmp -v LABYRINTH ::
	$(Q)mmd -i $@.tmp ::/EFI ::/EFI/BOOT
	$(Q)mcopy -i $@.tmp $(EFI_LOADER) ::/EFI/BOOT/BOOTX64.EFI
	$(Q)mcopy -i $@.tmp $(KERNEL) ::/labyrinth.elf
	$(Q)mv $@.tmp $@

-include $(EFI_OBJS:.o=.d)
