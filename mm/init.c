/*
 * init.c - mm_init(map): from the normalized map (mm/memmap.c:memmap_init()
 * returns it to kmain, which hands it over here)
 * to a running buddy allocator, in Linux's order:
 *   memblock (mm/memblock.c) <- the map's RAM and the kernel's reservations
 *   struct page arrays (mm/sparse.c), allocated from memblock
 *   the node of each section (mm/numa.c; one node without SRAT)
 *   zones of every node (mm/zone.c): spans and present pages; zonelists
 *   per-CPU list sets of the zones with RAM (mm/pcp.c), from memblock
 *   memblock_free_all(): every free range to mm/buddy.c
 *   watermarks, per-CPU list sizes (mm/pcp.c; the lists stay off until
 *   mm_pcp_set_enabled(true)), an empty Labyrinth pool (mm/pool.c;
 *   kmain fills it with labyrinth_pool_init())
 *   then the reports (Zone ranges, Memory:, buddyinfo, zoneinfo)
 * Also the switch that says the direct map exists (mm_set_direct_map()).
 */
#define pr_fmt(fmt) "mm: " fmt

#include <labyrinth/memblock.h>
#include <labyrinth/memmap.h>
#include <labyrinth/mm.h>
#include <labyrinth/mmzone.h>
#include <labyrinth/numa.h>
#include <labyrinth/pcp.h>
#include <labyrinth/printk.h>

#include <labyrinth/zero_cache.h>

#include "mm/internal.h"

/* Kernel-held RAM reserved first, so that a memblock list that must grow
 * while RAM is added never lands on it; a reservation that cannot be made
 * stops the boot (the range would be handed out as free RAM). */
static void memblock_reserve_kernel_ranges(const struct memmap *m, phys_addr_t limit)
{
	u32 i;

	for (i = 0; i < m->nr; i++) {
		const struct memmap_entry *e = &m->map[i];
		phys_addr_t end = min(e->addr + e->size, limit);

		if (e->type != E820_TYPE_KERNEL || e->addr >= limit)
			continue;
		if (memblock_reserve(e->addr, end - e->addr))
			panic("memblock: cannot reserve kernel-held [mem 0x%llx-0x%llx]: "
			      "boot stopped rather than hand it out as free RAM",
			      (unsigned long long)e->addr, (unsigned long long)end - 1);
	}
}

/* RAM and kernel-held RAM to memblock, the latter reserved too. pfns must
 * fit the 32-bit free-list links, so RAM at and above 16 TiB is ignored. */
static void memblock_from_memmap(const struct memmap *m)
{
	const phys_addr_t limit = PFN_PHYS(MAX_PFN_LIMIT);
	u32 i;

	memblock_reserve_kernel_ranges(m, limit);
	for (i = 0; i < m->nr; i++) {
		const struct memmap_entry *e = &m->map[i];
		phys_addr_t end = min(e->addr + e->size, limit);

		if (e->type != E820_TYPE_RAM && e->type != E820_TYPE_KERNEL)
			continue;
		if (e->addr >= limit) {
			pr_warn("ignoring RAM above 16 TiB: [mem 0x%llx-0x%llx]\n",
				(unsigned long long)e->addr,
				(unsigned long long)(e->addr + e->size - 1));
			continue;
		}
		if (memblock_add(e->addr, end - e->addr))
			pr_warn("memblock: [mem 0x%llx-0x%llx] not added: never given out\n",
				(unsigned long long)e->addr, (unsigned long long)end - 1);
	}
}

static void print_memory_line(const struct memmap *map, unsigned long metadata_bytes)
{
	unsigned long present = 0;
	unsigned long avail = nr_free_pages();
	unsigned long kernel_kb = (unsigned long)(memmap_total(map, E820_TYPE_KERNEL) >> 10);
	int nid;

	for_each_node(nid)
		present += NODE_DATA(nid)->node_present_pages;

	pr_info("Memory: %luK/%luK available (%luK kernel, %luK mem_map, %luK reserved)\n",
		avail << (PAGE_SHIFT - 10), present << (PAGE_SHIFT - 10), kernel_kb,
		metadata_bytes >> 10, (present - avail) << (PAGE_SHIFT - 10));
}

void mm_init(const struct memmap *map)
{
	phys_addr_t before;
	unsigned long freed, pcp_bytes;

	memblock_reset();
	memblock_from_memmap(map);
	if (!mm_direct_map_ready)
		memblock_set_current_limit(PFN_PHYS(mm_mapped_limit_pfn));
	else
		memblock_set_current_limit(~0ull);
	before = memblock.reserved.total_size;
	sparse_init();
	numa_assign_sections();
	zones_init();
	/* before the pages are marked (PG_reserved) and the buddy takes the rest */
	pcp_bytes = pcp_alloc_sets();
	mem_map_init_pages();
	freed = memblock_free_all();
	zones_setup_watermarks();
	pcp_zones_init();
	labyrinth_pool_reset();
	exclusive_reset();
	zero_cache_reset();
	mm_debug_init_done();
	zone_print_ranges();
	numa_print_nodes();
	print_memory_line(map, (unsigned long)(memblock.reserved.total_size - before) - pcp_bytes);
	pr_info("%lu pages to the buddy allocator, struct page %u bytes, %lu sections\n", freed,
		(unsigned int)sizeof(struct page), nr_mem_sections);
	show_buddyinfo();
	show_zoneinfo();
}

/*
 * The section table and the struct page arrays were reached through the old
 * __va() (the boot identity map). Move every such pointer onto the new base
 * while the old mapping is still loaded: after this, mm holds no pointer
 * that depends on the boot page tables.
 */
static void rebase_mem_sections(long delta)
{
	for (unsigned long s = 0; s < nr_mem_sections; s++) {
		if (!mem_section[s].map)
			continue;
		mem_section[s].map = (struct page *)((unsigned long)mem_section[s].map + delta);
		mem_section[s].biased += delta;
		mem_section[s].pageblock_flags += delta;
	}
	mem_section = (struct mem_section *)((unsigned long)mem_section + delta);
	pcp_rebase_rings(delta); /* they hold struct page pointers too */
}

void mm_set_direct_map(unsigned long base)
{
	unsigned long old_limit = mm_mapped_limit_pfn;

	rebase_mem_sections((long)(base - page_offset_base));
	page_offset_base = base;
	mm_mapped_limit_pfn = ~0ul;
	__atomic_store_n(&mm_direct_map_ready, true, __ATOMIC_RELEASE);
	mm_hooks_set(MM_HOOK_NO_DIRECT_MAP, false); /* the fast path may use Normal */
	if (mm_debug_poison && max_pfn > old_limit)
		debug_poison_all_free(old_limit);
}
