/*
 * test_memmap_reserve.c - boot reservations cannot be lost (issue 14):
 *   - a 1,107-entry map (MEMMAP_MAX, what normalization may leave): the
 *     first page, the trampoline, the kernel image, boot information and
 *     every module are still reserved ("kernel"), nothing "not updated";
 *   - a full table refuses an update (false, a named message), which
 *     memmap_init() turns into a stopped boot;
 *   - 819 EFI descriptors (all boot_info holds) with overlaps, booted to the
 *     buddy allocator: the map overflows into holes, the reservations hold,
 *     and no page of the kernel image is ever handed out;
 *   - memblock lists grow memblock-style (Linux's memblock_double_array)
 *     instead of losing regions; the new array reserves itself.
 */
#include <string.h>

#include <boot/boot_info.h>
#include <labyrinth/memblock.h>
#include <labyrinth/memmap.h>
#include <labyrinth/mm.h>
#include <labyrinth/mmzone.h>
#include "host.h"
#include "lib/sim_mem.h"

static struct memmap big;

static void test_1107_entries(void)
{
	struct boot_info *bi = sim_boot_info();
	u32 i;

	/* 1,107 entries: usable RAM in 64 KiB pieces, each followed by a
	 * reserved page, from 0 up; the kernel (1-3 MiB), boot info and two
	 * modules land in usable pieces and each splits one. */
	memmap_reset(&big);
	for (i = 0; big.nr < MEMMAP_MAX; i++) {
		u64 base = (u64)i * 0x11000;

		memmap_add(&big, base, 0x10000, E820_TYPE_RAM);
		if (big.nr < MEMMAP_MAX)
			memmap_add(&big, base + 0x10000, 0x1000, E820_TYPE_RESERVED);
	}
	memmap_normalize(&big, 46, NULL);
	ok(big.nr == MEMMAP_MAX && MEMMAP_MAX == 1107, "a normalized map of %u entries", big.nr);
	host_log_clear();
	ok(memmap_reserve_low(&big), "page 0 and the trampoline reserved in a full map");
	bi->kernel_phys_start = 0x100000;
	bi->kernel_phys_end = 0x104000;
	ok(memmap_update_range(&big, 0x100000, 0x104000, E820_TYPE_RAM, E820_TYPE_KERNEL) &&
	       memmap_update_range(&big, 0x202000, 0x203000, E820_TYPE_RAM, E820_TYPE_KERNEL) &&
	       memmap_update_range(&big, 0x301000, 0x302000, E820_TYPE_RAM, E820_TYPE_KERNEL) &&
	       memmap_update_range(&big, 0x402000, 0x404000, E820_TYPE_RAM, E820_TYPE_KERNEL),
	   "image, boot info and two modules reserved too (%u entries now)", big.nr);
	ok(memmap_range_is(&big, 0x100000, 0x104000, E820_TYPE_KERNEL) &&
	       memmap_range_is(&big, 0x402000, 0x404000, E820_TYPE_KERNEL) &&
	       memmap_range_is(&big, SMP_TRAMPOLINE_START, SMP_TRAMPOLINE_END, E820_TYPE_KERNEL) &&
	       big.map[0].type == E820_TYPE_RESERVED,
	   "every reservation is in the map");
	ok(!host_log_contains("not updated"), "no update was dropped");
	/* Fill the headroom: the table refuses, says so, and changes nothing. */
	while (big.nr + 2 <= MEMMAP_CAP) { /* memmap_add() stops at MEMMAP_MAX */
		big.map[big.nr] = (struct memmap_entry){ (1ull << 40) + big.nr * 0x2000ull, 0x1000,
							 E820_TYPE_RAM, 0 };
		big.nr++;
	}
	host_log_clear();
	ok(!memmap_update_range(&big, 0x500000, 0x501000, E820_TYPE_RAM, E820_TYPE_KERNEL) &&
	       host_log_contains("memmap: map full"),
	   "a full table refuses the update and names it (memmap_init() stops the boot)");
	(void)bi;
}

static void put_desc(u8 *buf, u32 i, u32 type, u64 start, u64 pages)
{
	struct efi_memory_desc d = { type, 0, start, 0, pages, 0xf };

	memcpy(buf + i * sizeof(d), &d, sizeof(d));
}

/* 819 descriptors: 256 MiB conventional, 818 reserved pages on top of it
 * (overlaps) from 4 MiB up: 1,637 stretches for a 1,107-entry table. */
static void test_819_efi_descriptors(void)
{
	struct boot_info *bi = sim_boot_info();
	const u32 ds = sizeof(struct efi_memory_desc), n = BOOT_EFI_MAP_MAX / ds;
	unsigned long in_kernel = 0, got = 0, pfn;
	struct page *p;
	u32 i;

	ok(n == 819, "boot_info holds %u 40-byte EFI descriptors", n);
	bi->efi_desc_size = ds;
	bi->efi_desc_version = 1;
	bi->info_phys_start = 0x10000;
	bi->info_phys_end = 0x10800;
	bi->nr_modules = 1;
	bi->modules[0].start = 0x300000;
	bi->modules[0].end = 0x340000;
	put_desc(bi->efi_map, 0, EFI_CONVENTIONAL_MEMORY, 0, 0x10000);
	for (i = 1; i < n; i++)
		put_desc(bi->efi_map, i, 0 /* reserved */, 0x400000 + i * 0x2000ull, 1);
	bi->efi_map_size = n * ds;
	host_log_clear();
	sim_boot_quiet(bi);
	ok(memmap_final.nr_lost > 0 && memmap_final.nr > MEMMAP_MAX,
	   "the map overflowed (%u lost, their ranges holes) and the reservations still fit (%u)",
	   memmap_final.nr_lost, memmap_final.nr);
	ok(!host_log_contains("not updated") && !host_log_contains("lost"),
	   "no reservation dropped");
	ok(memmap_range_is(&memmap_final, 0x100000, 0x300000, E820_TYPE_KERNEL) &&
	       memmap_range_is(&memmap_final, 0x300000, 0x340000, E820_TYPE_KERNEL) &&
	       memmap_range_is(&memmap_final, 0x10000, 0x11000, E820_TYPE_KERNEL),
	   "kernel image, module and boot info are kernel-held");
	while ((p = alloc_page(__GFP_MEMALLOC | __GFP_DIRECT_RECLAIM | __GFP_NOWARN))) {
		pfn = page_to_pfn(p);
		in_kernel += (pfn >= 0x100 && pfn < 0x340) || pfn == 0x10 || pfn == 0;
		got++;
	}
	ok(got > 500 && in_kernel == 0,
	   "every free page handed out (%lu): none of the image, module, boot info, page 0", got);
}

/* More regions than the static arrays hold: both lists grow. */
static void test_memblock_grows(void)
{
	const u32 want = MEMBLOCK_MAX_REGIONS + 300;
	bool all_ok = true;
	u32 i;

	sim_mem_map(64ull << 20);
	memblock_reset();
	all_ok &= memblock_add(0x100000, 32ull << 20) == 0; /* where the arrays can go */
	for (i = 0; i < want; i++)
		all_ok &= memblock_add((64ull << 20) + i * 0x2000ull, 0x1000) == 0;
	for (i = 0; i < want; i++)
		all_ok &= memblock_reserve((64ull << 20) + i * 0x2000ull, 0x800) == 0;
	ok(all_ok, "%u memory and %u reserved regions added, none refused", want + 1, want);
	ok(memblock.memory.cnt == want + 1 && memblock.memory.max > MEMBLOCK_MAX_REGIONS,
	   "memory list grown to %u (%u regions)", memblock.memory.max, memblock.memory.cnt);
	ok(memblock.reserved.max > MEMBLOCK_MAX_REGIONS &&
	       memblock_is_reserved(
		   (phys_addr_t)((unsigned long)memblock.memory.regions - page_offset_base)) &&
	       memblock_is_reserved(
		   (phys_addr_t)((unsigned long)memblock.reserved.regions - page_offset_base)),
	   "reserved list grown too; both new arrays are reserved");
	ok(memblock.reserved.cnt >= want, "no reservation lost (%u)", memblock.reserved.cnt);
	memblock_reset();
}

int main(void)
{
	test_memblock_grows(); /* first: before any boot sets up sections */
	test_1107_entries();
	test_819_efi_descriptors();
	sim_mem_unmap();
	return done_testing();
}
