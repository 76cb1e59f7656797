/*
 * sparse.c - struct page metadata, Linux's SPARSEMEM: one array per
 * 128 MiB section that has RAM, and the section table that pfn_to_page()
 * indexes (mem_section[], include/labyrinth/mm.h). Not to be confused with
 * mm/memmap.c, which normalises the firmware's memory map before any of
 * this exists.
 *
 * Holes cost no metadata: a machine with RAM at 0-1 GiB and at 64 GiB pays
 * for 8 + N sections of struct pages and a 32-byte table entry for each of
 * the ~500 sections in between (without vmemmap: until mm/vm.c builds page
 * tables there is no virtual array to map). Inside a section every pfn has
 * a struct page; pages without RAM are PG_nomem.
 *
 * Inputs: memblock.memory and memblock.reserved (mm/memblock.c); the arrays
 * themselves are memblock allocations. Output: every struct page in its
 * initial state (free-to-be tail, reserved, or hole), ready for
 * memblock_free_all() to hand the free ranges to mm/buddy.c. mm/init.c
 * calls sparse_init() and then mem_map_init_pages().
 */
#define pr_fmt(fmt) "mm: " fmt

#include <labyrinth/memblock.h>
#include <labyrinth/mm.h>
#include <labyrinth/mmzone.h>
#include <labyrinth/printk.h>
#include <labyrinth/string.h>

#include "mm/internal.h"

struct mem_section *mem_section;
unsigned long nr_mem_sections;
unsigned long max_pfn;
unsigned long page_offset_base;
unsigned long mm_mapped_limit_pfn = ZONE_DMA32_END_PFN;

static void mark_sections_present(void)
{
	const struct memblock_type *mem = &memblock.memory;
	u32 i;

	for (i = 0; i < mem->cnt; i++) {
		unsigned long s = PFN_DOWN(mem->regions[i].base) >> PFN_SECTION_SHIFT;
		unsigned long e =
		    (PFN_UP(mem->regions[i].base + mem->regions[i].size) - 1) >> PFN_SECTION_SHIFT;

		for (; s <= e; s++)
			mem_section[s].biased = 1; /* present: map allocated below */
	}
}

/* The usemap (Linux's pageblock_flags): a byte per pageblock, 64 bytes. */
#define SECTION_USEMAP_BYTES (PAGES_PER_SECTION / pageblock_nr_pages * NR_PAGEBLOCK_BITS / 8)

static void allocate_section_map(unsigned long sec)
{
	unsigned long start_pfn = sec << PFN_SECTION_SHIFT;
	struct page *map = memblock_alloc_raw(PAGES_PER_SECTION * sizeof(struct page), PAGE_SIZE);
	u8 *usemap = memblock_alloc_raw(SECTION_USEMAP_BYTES, 8);

	if (!map || !usemap) {
		pr_err("mem_map: no memory for section %lu, its RAM is ignored\n", sec);
		memblock_remove(PFN_PHYS(start_pfn), PFN_PHYS(PAGES_PER_SECTION));
		mem_section[sec].biased = 0;
		return;
	}
	mem_section[sec].map = map;
	mem_section[sec].pageblock_flags = usemap;
	mem_section[sec].biased = (unsigned long)map - start_pfn * sizeof(struct page);
}

/* The section table, then one struct page array per section with RAM. */
void sparse_init(void)
{
	unsigned long sec;

	max_pfn = PFN_DOWN(memblock_end_of_DRAM());
	nr_mem_sections = DIV_ROUND_UP(max_pfn, PAGES_PER_SECTION);
	mem_section = memblock_alloc(nr_mem_sections * sizeof(*mem_section), 64);
	if (!mem_section)
		panic("mm: cannot allocate the section table (%lu sections)", nr_mem_sections);
	mark_sections_present();
	for (sec = 0; sec < nr_mem_sections; sec++)
		if (mem_section[sec].biased)
			allocate_section_map(sec);
}

/* Every struct page of a section: a tail page with no flags, its own pfn. */
static void init_section_pages(unsigned long sec)
{
	struct page *p = mem_section[sec].map;
	u32 pfn = (u32)(sec << PFN_SECTION_SHIFT);
	u32 end = pfn + PAGES_PER_SECTION;

	/* Every pageblock starts movable, as Linux's memmap_init_range(). */
	u8 mt = page_group_by_mobility_disabled ? MIGRATE_UNMOVABLE : MIGRATE_MOVABLE;

	for (; pfn != end; pfn++, p++)
		*p = (struct page){ .flags = 0, .pfn = pfn, .next = PFN_NIL, .prev = PFN_NIL };
	memset(mem_section[sec].pageblock_flags, mt | pcp_list_of_mt[mt] << PB_PCP_LIST_SHIFT,
	       SECTION_USEMAP_BYTES);
}

/* Sets flags on every page of [start, end) that has a struct page. */
static void mark_pfn_range(unsigned long start, unsigned long end, u16 flags)
{
	unsigned long pfn = start;

	while (pfn < end) {
		unsigned long sec_end = ALIGN(pfn + 1, PAGES_PER_SECTION);

		if (!pfn_valid(pfn)) {
			pfn = sec_end;
			continue;
		}
		for (; pfn < end && pfn < sec_end; pfn++)
			pfn_to_page(pfn)->flags |= flags;
	}
}

/* Pages of present sections with no RAM behind them: holes. */
static void mark_holes(void)
{
	const struct memblock_type *mem = &memblock.memory;
	unsigned long prev_end = 0;
	u32 i;

	for (i = 0; i < mem->cnt; i++) {
		unsigned long s = PFN_DOWN(mem->regions[i].base);

		mark_pfn_range(prev_end, s, PG_reserved | PG_nomem);
		prev_end = PFN_UP(mem->regions[i].base + mem->regions[i].size);
	}
	mark_pfn_range(prev_end, nr_mem_sections << PFN_SECTION_SHIFT, PG_reserved | PG_nomem);
}

void mem_map_init_pages(void)
{
	const struct memblock_type *res = &memblock.reserved;
	unsigned long sec;
	u32 i;

	for (sec = 0; sec < nr_mem_sections; sec++)
		if (mem_section[sec].map)
			init_section_pages(sec);
	mark_holes();
	for (i = 0; i < res->cnt; i++)
		mark_pfn_range(PFN_DOWN(res->regions[i].base),
			       PFN_UP(res->regions[i].base + res->regions[i].size), PG_reserved);
}
