/*
 * boot_info.h - the one hand-off from any boot path to the kernel.
 *
 * Each boot front-end fills one struct boot_info and enters the kernel:
 *   - boot/multiboot2/mb2.c     from GRUB's multiboot2 information
 *                               (BIOS -> GRUB and UEFI -> GRUB)
 *   - boot/efi/loader.c         our own GNU-EFI loader (UEFI -> BOOTX64.EFI)
 * Nothing after the boot code knows how it booted: mm/memmap.c normalizes
 * whatever map is here, kernel/cmdline.c parses the command line.
 *
 * The memory map is kept *as received*: the e820-style entries of the
 * multiboot2 memory-map tag, and the raw EFI descriptors (walked with
 * efi_desc_size, never sizeof) of GRUB's EFI memory-map tag or of our
 * loader's GetMemoryMap(). Under UEFI, GRUB passes both.
 *
 * Layout is fixed-size and position-independent (no pointers), so the EFI
 * loader can build it in its own memory and the kernel can copy it whole.
 * The formats of the map entries are in include/labyrinth/e820.h, the
 * addresses below (KERNEL_VMA_BASE) in include/labyrinth/layout.h.
 *
 * Who includes this: the boot code (boot/), kmain (kernel/main.c), the
 * consumer of the raw maps (mm/memmap.c:memmap_init()) and their tests.
 * Everything else gets what it needs from boot_info as an argument.
 *
 * Kernel entry contract (arch/x86_64/head64.asm, symbol _start64, the ELF
 * entry point): 64-bit mode, paging on with the low 4 GiB identity-mapped and
 * the kernel image mapped at KERNEL_VMA_BASE + its physical address,
 * interrupts off, RDI = magic, RSI = physical address of the information:
 *   RDI = MB2_BOOTLOADER_MAGIC   RSI -> multiboot2 information structure
 *   RDI = BOOT_INFO_MAGIC        RSI -> a struct boot_info (EFI loader)
 */
#ifndef BOOT_BOOT_INFO_H
#define BOOT_BOOT_INFO_H

#include <labyrinth/e820.h>
#include <labyrinth/types.h>

#define MB2_BOOTLOADER_MAGIC 0x36d76289u
#define BOOT_INFO_MAGIC 0x4c414259u /* "LABY" */
#define BOOT_INFO_VERSION 1

#define BOOT_CMDLINE_MAX 1024
#define BOOT_MODULES_MAX 8
#define BOOT_LOADER_NAME_MAX 64

enum boot_path {
	BOOT_PATH_UNKNOWN = 0,
	BOOT_PATH_BIOS_GRUB = 1,   /* SeaBIOS -> GRUB i386-pc -> multiboot2 */
	BOOT_PATH_UEFI_GRUB = 2,   /* OVMF -> GRUB x86_64-efi -> multiboot2 */
	BOOT_PATH_UEFI_LOADER = 3, /* OVMF -> boot/efi BOOTX64.EFI */
};

struct boot_module {
	u64 start; /* physical, inclusive */
	u64 end;   /* physical, exclusive */
	char name[64];
};

struct boot_info {
	u32 magic;     /* BOOT_INFO_MAGIC */
	u32 version;   /* BOOT_INFO_VERSION */
	u32 size;      /* sizeof(struct boot_info) as built */
	u32 boot_path; /* enum boot_path */

	char cmdline[BOOT_CMDLINE_MAX]; /* NUL-terminated, possibly empty */
	char loader_name[BOOT_LOADER_NAME_MAX];

	u64 rsdp_phys; /* ACPI RSDP (copied into rsdp[] too), 0 if none */
	u8 rsdp[36];   /* the RSDP itself: v1 uses 20 bytes, v2 36 */
	u32 rsdp_len;  /* 0 if none */

	u64 kernel_phys_start; /* the loaded kernel image, [start, end) */
	u64 kernel_phys_end;
	u64 info_phys_start; /* the boot information as the loader left it */
	u64 info_phys_end;
	u64 efi_system_table; /* physical, 0 if none */

	u32 nr_modules;
	struct boot_module modules[BOOT_MODULES_MAX];

	u32 nr_e820; /* entries in e820[], as received */
	struct boot_e820_entry e820[BOOT_E820_MAX];

	u32 efi_desc_size; /* 0 if no EFI memory map */
	u32 efi_desc_version;
	u32 efi_map_size; /* bytes used in efi_map[] */
	u8 efi_map[BOOT_EFI_MAP_MAX] __attribute__((aligned(8)));

	u32 nr_dropped; /* map entries that did not fit and were dropped */
};

/* The kernel's copy, filled by boot_info_receive() (boot/boot_info.c). */
extern struct boot_info boot_info;

void boot_info_receive(u32 magic, u64 info_phys);
void boot_info_print(const struct boot_info *bi);
const char *boot_path_name(u32 path);

#endif
