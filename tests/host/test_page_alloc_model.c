/*
 * test_page_alloc_model.c - a seeded randomized test of the page allocator
 * against a reference model.
 *
 * The model knows, per pfn, whether the allocator may hand it out (it was
 * free after boot) and whether it is allocated now. A long random sequence
 * of allocations (mixed orders, zones and gfp masks) and frees is checked
 * step by step: every block handed out is aligned, inside the zones its gfp
 * allows, made of pages that were free in the model; every failure is
 * justified by the watermark of the caller's documented level
 * (lib/gfp_levels_table.h) or by the absence of a large enough block in
 * every zone it may use;
 * per-zone free counts equal the model's. At the end everything is freed,
 * every highatomic reserve given back, and the free lists must have
 * coalesced back to exactly the blocks they held after boot. Rerun a failure with LAB_SEED=<seed>.
 */
#include <string.h>

#include <labyrinth/memmap.h>
#include <labyrinth/mm.h>
#include <labyrinth/mmzone.h>
#include "mm/internal.h"
#include "host.h"
#include "lib/gfp_levels_table.h"
#include "lib/sim_mem.h"

#define NR_OPS 200000
#define MAX_LIVE 4096

static u64 rng_state;

static u64 rnd(void) /* xorshift64* */
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 2685821657736338717ull;
}

static u8 *model_managed, *model_alloc; /* per pfn */
static unsigned long model_free[MAX_NR_ZONES];
static struct {
	struct page *page;
	unsigned int order;
} live[MAX_LIVE];
static unsigned long nr_live;
static u32 initial_blocks[MAX_NR_ZONES][NR_PAGE_ORDERS];
static unsigned long failures_checked, bad;

static const gfp_t gfps[] = { GFP_KERNEL,
			      GFP_ATOMIC,
			      GFP_NOWAIT,
			      GFP_KERNEL | GFP_DMA,
			      GFP_KERNEL | GFP_DMA32,
			      GFP_ATOMIC | GFP_DMA32,
			      GFP_KERNEL | __GFP_MEMALLOC,
			      GFP_NOWAIT | __GFP_HIGH,
			      GFP_ATOMIC | __GFP_NOMEMALLOC,
			      GFP_ATOMIC | GFP_DMA,
			      __GFP_MEMALLOC | __GFP_NOMEMALLOC };

static void model_boot(void)
{
	struct boot_info *bi = sim_boot_info();
	struct zone *z;
	unsigned long pfn;

	/* DMA, DMA32 and Normal, with holes and an unaligned edge. */
	sim_boot_info_add_e820(bi, 0, 0x9fc00, E820_TYPE_RAM);
	sim_boot_info_add_e820(bi, 0x100000, 40 << 20, E820_TYPE_RAM);
	sim_boot_info_add_e820(bi, 0x2a00000 + 0x3000, 20 << 20, E820_TYPE_RAM);
	sim_boot_info_add_e820(bi, 1ull << 32, 24 << 20, E820_TYPE_RAM);
	sim_boot_quiet(bi);
	model_managed = calloc(max_pfn, 1);
	model_alloc = calloc(max_pfn, 1);
	for_each_zone(z) {
		unsigned int o;

		for (o = 0; o < NR_PAGE_ORDERS; o++) {
			unsigned int mt;
			u32 p;

			initial_blocks[z - contig_page_data.node_zones][o] =
			    z->free_area[o].nr_free;
			for (mt = 0; mt < MIGRATE_TYPES; mt++)
				for (p = z->free_area[o].head[mt]; p != PFN_NIL;
				     p = pfn_to_page(p)->next)
					for (pfn = p; pfn < p + (1ul << o); pfn++)
						model_managed[pfn] = 1;
		}
		model_free[z - contig_page_data.node_zones] = z->free_pages;
	}
}

static unsigned int gfp_zone_limit(gfp_t gfp)
{
	return (gfp & __GFP_DMA) ? ZONE_DMA : (gfp & __GFP_DMA32) ? ZONE_DMA32 : ZONE_NORMAL;
}

static void check_alloc(struct page *p, unsigned int order, gfp_t gfp)
{
	unsigned long pfn = page_to_pfn(p), i;
	unsigned int zi = pfn_zone_idx(pfn);

	if (pfn & ((1ul << order) - 1) || zi > gfp_zone_limit(gfp)) {
		bad++;
		printf("# pfn %#lx order %u gfp %#x: misaligned or wrong zone\n", pfn, order, gfp);
	}
	for (i = pfn; i < pfn + (1ul << order); i++) {
		if (!model_managed[i] || model_alloc[i]) {
			bad++;
			printf("# pfn %#lx handed out twice or never free\n", i);
			break;
		}
		model_alloc[i] = 1;
	}
	model_free[zi] -= 1ul << order;
}

/*
 * A failure is right only if no allowed zone could serve it at the deepest
 * level the caller may use (the documented table, lib/gfp_levels_table.h):
 * a zone that passes Linux 6.1's __zone_watermark_ok() at that level's
 * threshold (the allocator's own rule, mm/internal.h: without
 * ALLOC_HARDER the highatomic reserve is not counted, and an order > 0
 * request needs a block on a list it may use; no check for
 * ALLOC_NO_WATERMARKS) and has a free block of order >= order on a list
 * the caller may use (zone_usable_free_orders(): order 0 never takes from
 * the highatomic lists) means the allocator returned NULL wrongly.
 */
static void check_failure(unsigned int order, gfp_t gfp)
{
	unsigned int hi = gfp_zone_limit(gfp);
	int z, level = doc_level_of(gfp);
	bool harder = gfp_alloc_harder(gfp);

	failures_checked++;
	for (z = 0; z <= (int)hi; z++) {
		struct zone *zone = &contig_page_data.node_zones[z];
		long thr = doc_threshold(zone, level, hi);
		bool wmark_ok = level == DOC_NONE || __zone_watermark_ok(zone, order, thr, harder,
									 (long)zone->free_pages);
		bool has_block = (zone_usable_free_orders(zone, order, harder) >> order) != 0;

		if (wmark_ok && has_block) {
			bad++;
			printf(
			    "# gfp %#x order %u failed; %s had %lu free (highatomic reserve %lu), "
			    "a block, threshold %ld\n",
			    gfp, order, zone->name, zone->free_pages, zone->nr_reserved_highatomic,
			    thr);
		}
	}
}

static void do_alloc(void)
{
	gfp_t gfp = gfps[rnd() % ARRAY_SIZE(gfps)];
	unsigned int order = (rnd() % 4) ? rnd() % 3 : rnd() % (MAX_PAGE_ORDER + 1);
	struct page *p = alloc_pages(gfp | __GFP_NOWARN, order);

	if (!p) {
		check_failure(order, gfp);
		return;
	}
	check_alloc(p, order, gfp);
	live[nr_live].page = p;
	live[nr_live++].order = order;
}

static void do_free(void)
{
	unsigned long k = rnd() % nr_live, pfn = page_to_pfn(live[k].page), i;
	unsigned int order = live[k].order;

	for (i = pfn; i < pfn + (1ul << order); i++)
		model_alloc[i] = 0;
	model_free[pfn_zone_idx(pfn)] += 1ul << order;
	__free_pages(live[k].page, order);
	live[k] = live[--nr_live];
}

static bool counts_match(void)
{
	int z;

	for (z = 0; z < MAX_NR_ZONES; z++)
		if (contig_page_data.node_zones[z].free_pages != model_free[z])
			return false;
	return true;
}

int main(int argc, char **argv)
{
	unsigned long i, mismatches = 0, inv = 0, reserved;
	bool coalesced = true;
	int z, o;

	rng_state = test_seed(argc, argv) | 1;
	model_boot();
	for (i = 0; i < NR_OPS; i++) {
		/* Phases: grow to pressure, then shrink, twice. */
		bool grow = ((i / (NR_OPS / 4)) % 2) == 0;

		if (nr_live < MAX_LIVE && (nr_live == 0 || (rnd() % 100) < (grow ? 70u : 30u)))
			do_alloc();
		else
			do_free();
		mismatches += !counts_match();
		if (i % 20000 == 0)
			inv += mm_check_invariants();
	}
	ok(bad == 0, "every allocation valid against the model (%lu ops)", (unsigned long)NR_OPS);
	is_u64(mismatches, 0, "per-zone free counts equal the model after every op");
	is_u64(inv, 0, "invariant checker clean during the run");
	ok(failures_checked > 0, "the run reached memory pressure (%lu failures checked)",
	   failures_checked);
	while (nr_live)
		do_free();
	is_u64(mm_check_invariants(), 0, "invariants after freeing everything");
	/* A highatomic pageblock stays reserved (kept apart from its buddy,
	 * __free_one_page) until pressure gives it back, as in Linux 6.1;
	 * give every one back, then all memory must merge again. */
	while (unreserve_highatomic_pageblock(node_zonelist(0, 0, MAX_NR_ZONES - 1),
					      MIGRATE_MOVABLE, true))
		;
	for (z = 0, reserved = 0; z < MAX_NR_ZONES; z++)
		reserved += contig_page_data.node_zones[z].nr_reserved_highatomic;
	is_u64(reserved, 0, "every highatomic reserve given back");
	is_u64(mm_check_invariants(), 0, "invariants after the give-back");
	for (z = 0; z < MAX_NR_ZONES; z++)
		for (o = 0; o < NR_PAGE_ORDERS; o++)
			coalesced &= contig_page_data.node_zones[z].free_area[o].nr_free ==
				     initial_blocks[z][o];
	ok(coalesced, "all memory coalesced back to the initial blocks");
	ok(counts_match(), "free counts back to boot values");
	free(model_managed);
	free(model_alloc);
	sim_mem_unmap();
	return done_testing();
}
