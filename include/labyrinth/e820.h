/*
 * e820.h - the firmware's memory map as it arrives: e820 entries (BIOS, the
 * multiboot2 memory-map tag) and raw EFI memory descriptors (UEFI), with
 * the number of each the boot hand-off keeps.
 *
 * The boot paths (boot/multiboot2/mb2.c, boot/efi/) store them in struct
 * boot_info (boot/boot_info.h) as received; mm/memmap.c turns them into one
 * normalized map (include/labyrinth/memmap.h). Plain types and constants
 * only: the EFI loader includes this with its own compiler flags.
 */
#ifndef LABYRINTH_E820_H
#define LABYRINTH_E820_H

#include <labyrinth/types.h>

#define BOOT_E820_MAX 256	     /* e820 entries struct boot_info holds */
#define BOOT_EFI_MAP_MAX (32 * 1024) /* bytes of raw EFI descriptors it holds */

/* e820 types, as in the multiboot2 memory-map tag and Linux's e820. */
enum e820_type {
	E820_TYPE_RAM = 1,
	E820_TYPE_RESERVED = 2,
	E820_TYPE_ACPI = 3,
	E820_TYPE_NVS = 4,
	E820_TYPE_UNUSABLE = 5,
	E820_TYPE_PMEM = 7,
};

/*
 * RAM the kernel keeps for itself: the image, the boot information, modules
 * and the SMP trampoline. Counted as present memory, never free. (Linux's
 * number for E820_TYPE_RESERVED_KERN; printed "kernel".) Never from
 * firmware: mm/memmap.c marks these ranges.
 */
#define E820_TYPE_KERNEL 128

struct boot_e820_entry {
	u64 addr;
	u64 len;
	u32 type; /* enum e820_type, or anything the firmware said */
	u32 reserved;
};

/* EFI memory descriptor, as the UEFI specification lays it out (40 bytes).
 * Firmware may use a larger stride: walk by the descriptor size it gives. */
struct efi_memory_desc {
	u32 type;
	u32 pad;
	u64 phys_start;
	u64 virt_start;
	u64 num_pages;
	u64 attribute;
};

enum efi_memory_type {
	EFI_RESERVED_TYPE = 0,
	EFI_LOADER_CODE = 1,
	EFI_LOADER_DATA = 2,
	EFI_BOOT_SERVICES_CODE = 3,
	EFI_BOOT_SERVICES_DATA = 4,
	EFI_RUNTIME_SERVICES_CODE = 5,
	EFI_RUNTIME_SERVICES_DATA = 6,
	EFI_CONVENTIONAL_MEMORY = 7,
	EFI_UNUSABLE_MEMORY = 8,
	EFI_ACPI_RECLAIM_MEMORY = 9,
	EFI_ACPI_MEMORY_NVS = 10,
	EFI_MEMORY_MAPPED_IO = 11,
	EFI_MEMORY_MAPPED_IO_PORT_SPACE = 12,
	EFI_PAL_CODE = 13,
	EFI_PERSISTENT_MEMORY = 14,
	EFI_MAX_MEMORY_TYPE
};

#endif
