/*
 * mb2.h - the multiboot2 information walker (boot/multiboot2/mb2.c).
 *
 * GRUB leaves a multiboot2 information structure in memory and passes its
 * physical address in EBX (entry32.asm keeps it, _start64 hands it to
 * kmain). mb2_parse() validates that structure while walking it and turns
 * it into the kernel's struct boot_info (boot/boot_info.h); boot/boot_info.c
 * calls it and adds the kernel image range from the linker script.
 *
 * Validation: total_size at least 8 and at most MB2_INFO_MAX; every tag
 * 8-byte aligned, at least 8 bytes, inside total_size; an END tag (type 0,
 * size 8) required; the contents of the tags we use checked (entry sizes,
 * versions, NUL-terminated strings). Nothing outside [info, info+total_size)
 * is ever read. Problems are reported with pr_err/pr_warn ("multiboot2: ...")
 * and the first error is returned as a negative enum mb2_error.
 *
 * Generic C: compiled into the kernel and into host tests
 * (tests/host/test_mb2.c) and the fuzzer (tests/fuzz/fuzz_mb2.c).
 */
#ifndef BOOT_MULTIBOOT2_MB2_H
#define BOOT_MULTIBOOT2_MB2_H

#include <boot/boot_info.h>
#include <labyrinth/types.h>

#define MB2_INFO_MAX (1u << 20) /* a sane bound on total_size: 1 MiB */

/* Tag types (multiboot2 specification, section 3.6). */
enum mb2_tag_type {
	MB2_TAG_END = 0,
	MB2_TAG_CMDLINE = 1,
	MB2_TAG_LOADER_NAME = 2,
	MB2_TAG_MODULE = 3,
	MB2_TAG_BASIC_MEMINFO = 4,
	MB2_TAG_BOOTDEV = 5,
	MB2_TAG_MMAP = 6,
	MB2_TAG_VBE = 7,
	MB2_TAG_FRAMEBUFFER = 8,
	MB2_TAG_ELF_SECTIONS = 9,
	MB2_TAG_APM = 10,
	MB2_TAG_EFI32 = 11,
	MB2_TAG_EFI64 = 12,
	MB2_TAG_SMBIOS = 13,
	MB2_TAG_ACPI_OLD = 14,
	MB2_TAG_ACPI_NEW = 15,
	MB2_TAG_NETWORK = 16,
	MB2_TAG_EFI_MMAP = 17,
	MB2_TAG_EFI_BS = 18,
	MB2_TAG_EFI32_IH = 19,
	MB2_TAG_EFI64_IH = 20,
	MB2_TAG_LOAD_BASE_ADDR = 21,
};

/* Byte layout of the tags the walker reads (all little-endian). */
#define MB2_INFO_HEADER_SIZE 8 /* u32 total_size, u32 reserved */
#define MB2_TAG_HEADER_SIZE 8  /* u32 type, u32 size */
#define MB2_TAG_ALIGN 8
#define MB2_MODULE_HEADER_SIZE 16   /* + u32 mod_start, u32 mod_end, then the string */
#define MB2_MMAP_HEADER_SIZE 16	    /* + u32 entry_size, u32 entry_version, entries */
#define MB2_MMAP_ENTRY_MIN 24	    /* u64 addr, u64 len, u32 type, u32 reserved */
#define MB2_EFI64_TAG_SIZE 16	    /* + u64 system table pointer */
#define MB2_EFI_MMAP_HEADER_SIZE 16 /* + u32 descr_size, u32 descr_vers, descriptors */
#define MB2_EFI_DESC_MAX 4096	    /* a sane bound on descr_size */
#define MB2_RSDP_V1_SIZE 20

/* Every reason mb2_parse() can fail with; mb2_strerror() names each. */
enum mb2_error {
	MB2_OK = 0,
	MB2_ERR_NULL = -1,
	MB2_ERR_TOTAL_SIZE_SMALL = -2,
	MB2_ERR_TOTAL_SIZE_LARGE = -3,
	MB2_ERR_TOTAL_SIZE_AVAIL = -4,
	MB2_ERR_TAG_PAST_END = -5,
	MB2_ERR_TAG_SIZE = -6,
	MB2_ERR_TAG_MISALIGNED = -7,
	MB2_ERR_NO_END = -8,
	MB2_ERR_END_SIZE = -9,
	MB2_ERR_MMAP_ENTRY_SIZE = -10,
	MB2_ERR_MMAP_VERSION = -11,
	MB2_ERR_EFI_DESC_SIZE = -12,
	MB2_ERR_EFI_DESC_ALIGN = -13,
	MB2_ERR_CMDLINE_NUL = -14,
	MB2_ERR_STRING_NUL = -15,
	MB2_ERR_MODULE = -16,
	MB2_ERR_TAG_TOO_SMALL = -17,
	MB2_ERR_RSDP_SIZE = -18,
	MB2_ERR_EFI_DESC_LARGE = -19,
	MB2_ERR_COUNT = 20 /* number of codes, MB2_OK included */
};

/*
 * Walks the multiboot2 information at info (readable at that pointer; its
 * physical address is info_phys) and fills *bi. *bi is cleared first, then
 * gets boot_path, cmdline, loader_name, modules, e820 (tag 6, as received),
 * EFI descriptors (tag 17, raw), RSDP, EFI system table, info_phys_start/end,
 * magic/version/size; the kernel image range is left to boot/boot_info.c.
 * Memory-map entries beyond the arrays are dropped with a warning and counted
 * in bi->nr_dropped. Returns 0, or a negative enum mb2_error (then *bi is
 * partly filled and must not be used).
 */
int mb2_parse(const void *info, u64 info_phys, struct boot_info *bi);

/*
 * The same, for a caller that knows how many bytes are readable at info
 * (tests, the fuzzer): fails with MB2_ERR_TOTAL_SIZE_AVAIL when total_size
 * claims more than avail. mb2_parse() is this with avail = MB2_INFO_MAX.
 */
int mb2_parse_bounded(const void *info, size_t avail, u64 info_phys, struct boot_info *bi);

/* The named reason for an mb2_error ("unknown error" for anything else). */
const char *mb2_strerror(int err);

#endif
