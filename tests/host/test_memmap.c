/*
 * test_memmap.c - unit tests of the memory-map normalizer (mm/memmap.c)
 * and of memmap_init() on boot_info built by hand.
 */
#include <string.h>

#include <labyrinth/layout.h>
#include <labyrinth/memmap.h>
#include <labyrinth/mm.h>
#include "host.h"
#include "lib/sim_mem.h"

static struct memmap m;

static bool entry_is(u32 i, u64 start, u64 end_incl, u32 type)
{
	bool r = i < m.nr && m.map[i].addr == start &&
		 m.map[i].addr + m.map[i].size - 1 == end_incl && m.map[i].type == type;

	if (!r && i < m.nr)
		printf("#   entry %u: 0x%llx-0x%llx type %u\n", i,
		       (unsigned long long)m.map[i].addr,
		       (unsigned long long)(m.map[i].addr + m.map[i].size - 1), m.map[i].type);
	return r;
}

static void test_priority_and_alignment(void)
{
	struct memmap_stats st;

	memmap_reset(&m);
	memmap_add(&m, 0x100000, 0x1000000, E820_TYPE_RAM);
	memmap_add(&m, 0x200800, 0x1000, E820_TYPE_ACPI); /* inside, unaligned */
	memmap_add(&m, 0x400000, 0x10000, E820_TYPE_RESERVED);
	memmap_add(&m, 0x408000, 0x10000, E820_TYPE_NVS); /* NVS (4) beats reserved (2) */
	memmap_normalize(&m, 46, &st);
	ok(entry_is(0, 0x100000, 0x1fffff, E820_TYPE_RAM), "usable before ACPI, shrunk to a page");
	ok(entry_is(1, 0x200800, 0x2017ff, E820_TYPE_ACPI), "ACPI keeps its bytes");
	ok(entry_is(2, 0x202000, 0x3fffff, E820_TYPE_RAM), "usable after ACPI starts on a page");
	ok(entry_is(3, 0x400000, 0x407fff, E820_TYPE_RESERVED), "reserved until NVS starts");
	ok(entry_is(4, 0x408000, 0x417fff, E820_TYPE_NVS), "NVS wins its overlap");
	ok(entry_is(5, 0x418000, 0x10fffff, E820_TYPE_RAM), "usable resumes");
	is_u64(st.overlaps, 3, "three overlaps counted");
}

static void test_bad_entries(void)
{
	struct memmap_stats st;

	memmap_reset(&m);
	memmap_add(&m, 0x100000, 0x100000, E820_TYPE_RAM);
	memmap_add(&m, 0x0, 0x9f000, E820_TYPE_RAM);		      /* out of order */
	memmap_add(&m, 0x300000, 0, E820_TYPE_RESERVED);	      /* zero length */
	memmap_add(&m, ~0ull - 0xfff, 0x2000, E820_TYPE_RAM);	      /* wraps */
	memmap_add(&m, (1ull << 40) - 0x1000, 0x3000, E820_TYPE_RAM); /* crosses 40 bits */
	memmap_add(&m, 1ull << 41, 0x1000, E820_TYPE_RAM);	      /* beyond 40 bits */
	host_log_clear();
	memmap_normalize(&m, 40, &st);
	ok(st.out_of_order == 2 && host_log_contains("[Firmware Bug]: out of order E820 entry"),
	   "unsorted input: FW_BUG");
	ok(st.zero_length == 1 && st.wrapping == 1 && st.clipped == 2,
	   "zero-length, wrapping, clipped counted");
	is_u64(m.nr, 3, "three entries survive");
	ok(entry_is(2, (1ull << 40) - 0x1000, (1ull << 40) - 1, E820_TYPE_RAM),
	   "clipped at the physical address width");
	memmap_reserve_low(&m);
	ok(entry_is(0, 0, 0xfff, E820_TYPE_RESERVED), "page 0 reserved");
	ok(entry_is(2, SMP_TRAMPOLINE_START, SMP_TRAMPOLINE_END - 1, E820_TYPE_KERNEL),
	   "trampoline kept by the kernel");
}

/*
 * Entries that only touch, listed out of order (an EFI map may list its
 * descriptors in any order; the laptop log of tests/data/dmesg/ lists RAM
 * above 4 GiB before the MMIO ranges below it): no overlap to resolve.
 * The bug: the later entry's start sorted before the earlier one's end at
 * the shared address, and normalization reported "1 overlapping entries
 * resolved by type priority".
 */
static void test_touching_out_of_order(void)
{
	struct memmap_stats st;

	memmap_reset(&m);
	memmap_add(&m, 0x100000000ull, 0x40000000, E820_TYPE_RAM); /* [4 GiB, 5 GiB) */
	memmap_add(&m, 0xff000000, 0x1000000, E820_TYPE_RESERVED); /* ends at 4 GiB */
	memmap_add(&m, 0x100000, 0xff00000, E820_TYPE_RAM);	   /* ends at 0x10000000 */
	memmap_add(&m, 0x10000000, 0x1000, E820_TYPE_NVS);	   /* starts there */
	memmap_normalize(&m, 46, &st);
	is_u64(st.overlaps, 0, "touching entries are not overlaps, in any order");
	is_u64(st.out_of_order, 2, "the disorder itself is still counted (twice)");
	ok(m.nr == 4 && entry_is(2, 0xff000000, 0xffffffff, E820_TYPE_RESERVED) &&
	       entry_is(3, 0x100000000ull, 0x13fffffffull, E820_TYPE_RAM),
	   "sorted, nothing lost");
}

static void put_desc(u8 *buf, u32 size, u32 i, u32 type, u64 start, u64 pages, u64 attr)
{
	struct efi_memory_desc d = { type, 0, start, 0, pages, attr };

	memset(buf + i * size, 0xee, size);
	memcpy(buf + i * size, &d, sizeof(d));
}

static void test_efi(void)
{
	static u8 buf[48 * 8];
	u32 sizes[] = { 40, 48 }, s;

	ok(memmap_type_from_efi(EFI_BOOT_SERVICES_DATA, 0x8) == E820_TYPE_RAM &&
	       memmap_type_from_efi(EFI_LOADER_CODE, 0x8) == E820_TYPE_RAM &&
	       memmap_type_from_efi(EFI_CONVENTIONAL_MEMORY, 0xf) == E820_TYPE_RAM,
	   "boot services, loader and conventional memory are usable");
	ok(memmap_type_from_efi(EFI_CONVENTIONAL_MEMORY, 0x1) == E820_TYPE_RESERVED,
	   "conventional memory without WB is not");
	ok(memmap_type_from_efi(EFI_RUNTIME_SERVICES_DATA, 0x8) == E820_TYPE_RESERVED &&
	       memmap_type_from_efi(EFI_MEMORY_MAPPED_IO, 1) == E820_TYPE_RESERVED &&
	       memmap_type_from_efi(EFI_ACPI_RECLAIM_MEMORY, 8) == E820_TYPE_ACPI &&
	       memmap_type_from_efi(EFI_ACPI_MEMORY_NVS, 8) == E820_TYPE_NVS &&
	       memmap_type_from_efi(99, 8) == E820_TYPE_RESERVED,
	   "runtime, MMIO, ACPI, NVS, unknown types stay reserved");
	for (s = 0; s < 2; s++) {
		u32 ds = sizes[s];

		put_desc(buf, ds, 0, EFI_CONVENTIONAL_MEMORY, 0x0, 0xa0, 0xf);
		put_desc(buf, ds, 1, EFI_BOOT_SERVICES_CODE, 0x100000, 0x100, 0xf);
		put_desc(buf, ds, 2, EFI_RUNTIME_SERVICES_DATA, 0x200000, 0x10,
			 0x800000000000000full);
		put_desc(buf, ds, 3, EFI_LOADER_DATA, 0x210000, 0x0, 0xf); /* zero pages */
		memmap_reset(&m);
		ok(memmap_add_efi(&m, buf, 4 * ds, ds), "desc_size %u accepted", ds);
		memmap_normalize(&m, 46, NULL);
		ok(m.nr == 3 && entry_is(1, 0x100000, 0x1fffff, E820_TYPE_RAM) &&
		       entry_is(2, 0x200000, 0x20ffff, E820_TYPE_RESERVED),
		   "desc_size %u walked by its stride", ds);
	}
	memmap_reset(&m);
	ok(!memmap_add_efi(&m, buf, sizeof(buf), 32) && m.nr == 0, "desc_size 32 rejected");
}

/*
 * UEFI's GetMemoryMap() does not promise address order (the laptop log of
 * tests/data/dmesg/ lists RAM above 4 GiB before MMIO below it), and Linux
 * sorts an EFI map silently: sorted, with an info line, no FW_BUG. The same
 * disorder in an e820 map stays a firmware bug (test_bad_entries()).
 */
static void test_efi_out_of_order(void)
{
	static u8 buf[48 * 3];
	struct memmap_stats st;

	put_desc(buf, 48, 0, EFI_CONVENTIONAL_MEMORY, 0x100000000ull, 0x1000, 0xf);
	put_desc(buf, 48, 1, EFI_MEMORY_MAPPED_IO, 0xfe000000, 0x10, 1);
	put_desc(buf, 48, 2, EFI_CONVENTIONAL_MEMORY, 0x100000, 0x100, 0xf);
	memmap_reset(&m);
	ok(memmap_add_efi(&m, buf, sizeof(buf), 48), "unsorted EFI map accepted");
	host_log_clear();
	memmap_normalize(&m, 46, &st);
	ok(st.out_of_order == 2 && !host_log_contains("Firmware Bug") &&
	       host_log_contains("EFI descriptor 1 out of address order, sorted"),
	   "unsorted EFI map: sorted, no FW_BUG");
	ok(m.nr == 3 && entry_is(0, 0x100000, 0x1fffff, E820_TYPE_RAM) &&
	       entry_is(2, 0x100000000ull, 0x100ffffffull, E820_TYPE_RAM),
	   "in address order");
	memmap_reset(&m);
	ok(!m.from_efi, "memmap_reset() forgets the source");
}

static void test_memmap_init(void)
{
	struct boot_info *bi = sim_boot_info_qemu(128 << 20);

	bi->info_phys_start = 0x10000;
	bi->info_phys_end = 0x10800;
	bi->nr_modules = 1;
	bi->modules[0].start = 0x400000;
	bi->modules[0].end = 0x480001;
	host_log_clear();
	host_log_quiet = true;
	memmap_init(bi);
	host_log_quiet = false;
	ok(host_log_contains("BIOS-e820: [mem 0x0000000000000000-0x000000000009fbff] usable"),
	   "raw map printed Linux style");
	ok(host_log_contains("mm: memmap: [mem 0x0000000000100000-0x00000000002fffff] kernel"),
	   "kernel image kept");
	ok(host_log_contains("[mem 0x0000000000010000-0x0000000000010fff] kernel"),
	   "boot info kept (page-rounded)");
	ok(host_log_contains("[mem 0x0000000000400000-0x0000000000480fff] kernel"),
	   "module kept (page-rounded)");
	ok(memmap_final.map[0].type == E820_TYPE_RESERVED && memmap_final.map[0].size == 0x1000,
	   "page 0 reserved in the final map");

	/* Under UEFI the EFI map wins over the e820 one. */
	bi = sim_boot_info();
	sim_boot_info_add_e820(bi, 0, 1 << 30, E820_TYPE_RAM);
	bi->efi_desc_size = 48;
	bi->efi_desc_version = 1;
	put_desc(bi->efi_map, 48, 0, EFI_CONVENTIONAL_MEMORY, 0, 0x8000, 0xf);
	bi->efi_map_size = 48;
	host_log_clear();
	host_log_quiet = true;
	memmap_init(bi);
	host_log_quiet = false;
	ok(!host_log_contains("efi: mem00:") &&
	       host_log_contains("efi: 1 memory map descriptors (efi=debug prints them)"),
	   "without efi=debug: one line, not the EFI map");
	host_log_clear();
	host_log_quiet = true;
	memmap_efi_debug = true;
	memmap_init(bi);
	memmap_efi_debug = false;
	host_log_quiet = false;
	ok(host_log_contains(
	       "efi: mem00: [Conventional|   |  |  |  |  |  |  |  |  |   |WB|WT|WC|UC]"
	       " range=[0x0000000000000000-0x0000000007ffffff] (128MB)"),
	   "efi=debug: EFI map printed as Linux prints it");
	ok(memmap_total(&memmap_final, E820_TYPE_RAM) +
		   memmap_total(&memmap_final, E820_TYPE_KERNEL) <
	       (128 << 20) + 1,
	   "the EFI map was used, not the e820 one");
}

int main(void)
{
	test_priority_and_alignment();
	test_bad_entries();
	test_touching_out_of_order();
	test_efi();
	test_efi_out_of_order();
	test_memmap_init();
	return done_testing();
}
