/*
 * handoff.c - what the GNU-EFI loader leaves for the kernel besides the
 * image: the boot page tables and the final EFI memory map in boot_info.
 *
 * Pure code (see loadlib.h), used by boot/efi/loader.c. The page tables
 * give the kernel what boot/boot_info.h promises at _start64: the low
 * memory identity-mapped (here [0, 64 GiB), so boot_info and these tables
 * stay reachable wherever the firmware put them) and the kernel image at
 * KERNEL_VMA_BASE + physical. The multiboot2 path builds the equivalent in
 * boot/multiboot2/; the kernel replaces both with its own (mm/vm).
 */
#include <boot/efi/loadlib.h>

#define PTE_PRESENT 0x1ull
#define PTE_WRITE 0x2ull
#define PTE_LARGE 0x80ull /* PS: a 2 MiB page in a page directory */
#define ENTRIES 512
#define PAGE_2M (1ull << 21)
#define GIB (1ull << 30)

_Static_assert(BOOT_PT_HIGH_GIB == 1, "the high map reuses the first identity directory");
_Static_assert(((KERNEL_VMA_BASE >> 39) & 511) == 511, "kernel map is in the last PML4 slot");

static u64 *table(void *mem, u32 index)
{
	return (u64 *)((u8 *)mem + (u64)index * EFI_PAGE_SIZE_4K);
}

/* Page directory for identity GiB `gib`: 512 large pages. */
static void fill_pd(u64 *pd, u64 gib)
{
	u32 i;

	for (i = 0; i < ENTRIES; i++)
		pd[i] = (gib * GIB + i * PAGE_2M) | PTE_PRESENT | PTE_WRITE | PTE_LARGE;
}

u64 boot_pt_build(void *mem, u64 mem_phys)
{
	u64 *pml4 = table(mem, 0), *pdpt_low = table(mem, 1), *pdpt_high = table(mem, 2);
	u64 pd_phys = mem_phys + 3 * EFI_PAGE_SIZE_4K;
	u32 gib;

	__builtin_memset(mem, 0, BOOT_PT_PAGES * EFI_PAGE_SIZE_4K);
	pml4[0] = (mem_phys + 1 * EFI_PAGE_SIZE_4K) | PTE_PRESENT | PTE_WRITE;
	pml4[(KERNEL_VMA_BASE >> 39) & 511] =
	    (mem_phys + 2 * EFI_PAGE_SIZE_4K) | PTE_PRESENT | PTE_WRITE;
	for (gib = 0; gib < BOOT_PT_IDENTITY_GIB; gib++) {
		fill_pd(table(mem, 3 + gib), gib);
		pdpt_low[gib] = (pd_phys + gib * EFI_PAGE_SIZE_4K) | PTE_PRESENT | PTE_WRITE;
	}
	/* KERNEL_VMA_BASE + [0, 1 GiB) shares the identity directory of GiB 0. */
	pdpt_high[(KERNEL_VMA_BASE >> 30) & 511] = pd_phys | PTE_PRESENT | PTE_WRITE;
	return mem_phys;
}

void efi_map_pack(struct boot_info *bi, const void *map, u64 map_size, u64 desc_size,
		  u32 desc_version)
{
	u64 total, fit;

	bi->efi_desc_size = 0;
	bi->efi_desc_version = desc_version;
	bi->efi_map_size = 0;
	if (desc_size < sizeof(struct efi_memory_desc) || desc_size > BOOT_EFI_MAP_MAX) {
		bi->nr_dropped += desc_size ? (u32)(map_size / desc_size) : 0;
		return;
	}
	total = map_size / desc_size;
	fit = BOOT_EFI_MAP_MAX / desc_size;
	if (fit > total)
		fit = total;
	__builtin_memcpy(bi->efi_map, map, fit * desc_size);
	bi->efi_desc_size = (u32)desc_size;
	bi->efi_map_size = (u32)(fit * desc_size);
	bi->nr_dropped += (u32)(total - fit);
}
