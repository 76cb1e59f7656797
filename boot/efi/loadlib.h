/*
 * loadlib.h - the pure (firmware-free) half of the GNU-EFI loader.
 *
 * boot/efi/loader.c talks to the firmware: files, allocations, the memory
 * map, ExitBootServices. Everything it decides on plain bytes lives behind
 * this header, in files that also compile for the host and are unit-tested
 * there (tests/host/test_efi_loader.c):
 *   boot/efi/kelf.c      validate the kernel ELF and turn it into a load plan
 *   boot/efi/options.c   load options (UCS-2) or \cmdline.txt -> command line
 *   boot/efi/handoff.c   boot page tables, packing the final EFI memory map
 * None of these allocate or print; every failure is a named reason.
 */
#ifndef BOOT_EFI_LOADLIB_H
#define BOOT_EFI_LOADLIB_H

#include <boot/boot_info.h>
#include <labyrinth/layout.h>

#define EFI_PAGE_SIZE_4K 4096ull

/* ---- kelf.c: the kernel ELF ------------------------------------------ */

#define KELF_MAX_SEGMENTS 16
#define KELF_MAX_PHNUM 64
#define KELF_MAX_SPAN (1ull << 30) /* the image must fit the 1 GiB high map */
#define KELF_HEAD_MAX 4096	   /* the ELF and program headers must lie in these */

struct kelf_segment {
	u64 offset; /* in the file */
	u64 filesz;
	u64 memsz; /* >= filesz; the rest is zeroed */
	u64 paddr; /* where it is loaded */
	u64 vaddr; /* where it runs: paddr, or paddr + KERNEL_VMA_BASE */
	u32 flags; /* PF_X 1, PF_W 2, PF_R 4 */
};

struct kelf_plan {
	u64 entry;	/* e_entry, virtual */
	u64 span_start; /* page-rounded union of all PT_LOADs, physical */
	u64 span_end;
	u32 nr_segments;
	struct kelf_segment seg[KELF_MAX_SEGMENTS];
};

/*
 * Validate an ELF64 x86_64 executable of `size` bytes, of which the first
 * `head_len` (up to KELF_HEAD_MAX) are at `head`, and fill `plan`. The ELF
 * header and the program header table must lie within those first bytes.
 * Returns NULL when the image can be loaded as boot_info.h promises (every
 * PT_LOAD inside the file, reachable through the boot page tables, no
 * overlaps, entry inside an executable segment); otherwise a constant
 * string naming the first problem found.
 */
const char *kelf_check(const void *head, u64 head_len, u64 size, struct kelf_plan *plan);

/* ---- options.c: the kernel command line ------------------------------ */

enum opts_result {
	OPTS_EMPTY = 0, /* nothing (after stripping the image path) */
	OPTS_OK = 1,
	OPTS_TRUNCATED = 2, /* kept the first outsz - 1 characters */
	OPTS_NOT_TEXT = 3,  /* not printable ASCII: binary load options */
};

/*
 * Convert LoadedImage->LoadOptions (`bytes` bytes of UCS-2, not necessarily
 * NUL-terminated or aligned) into a NUL-terminated ASCII command line. A
 * leading image path (what the UEFI shell passes first: a word with '\', '/'
 * or ':' or ending in ".efi", and no '=') is dropped. Tabs and line breaks
 * become spaces; leading and trailing spaces are trimmed. Any other
 * character outside printable ASCII makes the whole input OPTS_NOT_TEXT
 * (firmware boot managers pass binary data there, e.g. a GUID), and `out`
 * is left empty.
 */
enum opts_result opts_from_ucs2(const void *opts, u64 bytes, char *out, u32 outsz);

/* The same for the bytes of \cmdline.txt (ASCII; no image path to strip). */
enum opts_result opts_from_ascii(const void *text, u64 len, char *out, u32 outsz);

/* A name for a result, for the loader's progress lines. */
const char *opts_result_name(enum opts_result r);

/* ---- handoff.c: page tables and the final memory map ----------------- */

#define BOOT_PT_IDENTITY_GIB 64 /* identity map [0, 64 GiB) */
#define BOOT_PT_HIGH_GIB 1	/* KERNEL_VMA_BASE + [0, 1 GiB) -> [0, 1 GiB) */
/* PML4, the low PDPT, the high PDPT, one page directory per identity GiB */
#define BOOT_PT_PAGES (3 + BOOT_PT_IDENTITY_GIB)

/*
 * Build the boot page tables in BOOT_PT_PAGES 4 KiB pages at `mem`, which
 * the CPU will see at physical `mem_phys` (the loader runs identity mapped,
 * so both are the same there; the host test passes a different base).
 * 2 MiB pages, writable, executable. Returns the physical address for CR3.
 */
u64 boot_pt_build(void *mem, u64 mem_phys);

/*
 * Copy whole EFI descriptors of `desc_size` bytes from the `map_size`-byte
 * map at `map` into bi->efi_map, as many as fit; the rest are counted in
 * bi->nr_dropped. Sets efi_desc_size, efi_desc_version, efi_map_size.
 * A desc_size smaller than a struct efi_memory_desc stores nothing and drops
 * everything (the kernel then sees efi_desc_size 0: no map).
 */
void efi_map_pack(struct boot_info *bi, const void *map, u64 map_size, u64 desc_size,
		  u32 desc_version);

#endif
