/*
 * test_migratetype.c - grouping by mobility (mm/buddy.c, Linux 6.1's
 * rules) over simulated memory: the usemap and the boot types, gfp ->
 * migratetype, the fallback order and the stealing rules (whole pageblock
 * or single block, the "half the block" rule with movable and alike
 * pages), pageblock type changes on large fallbacks, the per-CPU list per
 * type, the highatomic reserve (taken after a high-order atomic success in
 * the slow path, capped, used only by atomic callers, given back under
 * pressure), ISOLATE pageblocks, mobility=0, and exact free counts
 * throughout.
 */
#include <string.h>

#include <labyrinth/compaction.h>
#include <labyrinth/memmap.h>
#include <labyrinth/mm.h>
#include <labyrinth/mmzone.h>
#include <labyrinth/pagecache.h>
#include <labyrinth/pcp.h>
#include <labyrinth/shrinker.h>
#include "mm/internal.h"
#include "host.h"
#include "lib/sim_mem.h"

#define DMA (&contig_page_data.node_zones[ZONE_DMA])
#define DMA32 (&contig_page_data.node_zones[ZONE_DMA32])
#define A 1024ul /* DMA's two pageblocks: [A, B) and [B, B + 512) */
#define B 1536ul

/* DMA is exactly one order-10 block (pfns 1024-2047, two pageblocks);
 * DMA32 holds the metadata. Per-CPU lists off: counts are exact. */
static void boot_small(void)
{
	struct boot_info *bi = sim_boot_info();

	sim_boot_info_add_e820(bi, 4 << 20, 4 << 20, E820_TYPE_RAM);
	sim_boot_info_add_e820(bi, 16 << 20, 8 << 20, E820_TYPE_RAM);
	sim_boot_quiet(bi);
	mm_pcp_set_enabled(false);
	balancer_set_enabled(false);
}

static unsigned long free_on(const struct zone *z, unsigned int mt)
{
	unsigned long n = 0;
	unsigned int o;

	for (o = 0; o < NR_PAGE_ORDERS; o++)
		for (u32 p = z->free_area[o].head[mt]; p != PFN_NIL; p = pfn_to_page(p)->next)
			n += 1ul << o;
	return n;
}

static void test_boot_and_gfp(void)
{
	unsigned long blocks[MIGRATE_TYPES];

	is_u64(sizeof(struct page), 16, "struct page stays 16 bytes");
	boot_small();
	is_u64(get_pfnblock_migratetype(A), MIGRATE_MOVABLE, "boot: pageblocks start movable");
	is_u64(free_on(DMA, MIGRATE_MOVABLE), 1024, "boot: every free page on the movable lists");
	zone_count_pageblocks(DMA, blocks);
	is_u64(blocks[MIGRATE_MOVABLE], 2, "pagetypeinfo count: DMA has 2 movable pageblocks");
	is_u64(gfp_migratetype(GFP_KERNEL), MIGRATE_UNMOVABLE, "GFP_KERNEL: unmovable");
	is_u64(gfp_migratetype(GFP_KERNEL | __GFP_MOVABLE), MIGRATE_MOVABLE, "__GFP_MOVABLE");
	is_u64(gfp_migratetype(GFP_ATOMIC | __GFP_RECLAIMABLE), MIGRATE_RECLAIMABLE,
	       "__GFP_RECLAIMABLE");
	is_u64(gfp_migratetype(__GFP_MOVABLE | __GFP_RECLAIMABLE), MIGRATE_UNMOVABLE,
	       "both: unmovable");
	is_u64(mm_check_invariants(), 0, "invariants after boot");
}

/* Linux 6.1's can_steal_fallback(). */
static void test_can_steal(void)
{
	ok(can_steal_fallback(pageblock_order, MIGRATE_MOVABLE), "order >= pageblock: steal");
	ok(can_steal_fallback(pageblock_order / 2, MIGRATE_MOVABLE),
	   "movable order pageblock_order/2: steal");
	ok(!can_steal_fallback(pageblock_order / 2 - 1, MIGRATE_MOVABLE),
	   "movable order 3: no steal");
	ok(can_steal_fallback(0, MIGRATE_UNMOVABLE), "unmovable order 0: steal");
	ok(can_steal_fallback(0, MIGRATE_RECLAIMABLE), "reclaimable order 0: steal");
}

/* Linux 6.1's fallbacks[] order, on a zone whose lists say "non-empty". */
static void test_fallback_order(void)
{
	struct zone z;
	unsigned int mt;
	bool steal;

	memset(&z, 0, sizeof(z));
	for (mt = 0; mt < MIGRATE_TYPES; mt++)
		z.free_area[5].head[mt] = PFN_NIL;
	z.free_area[5].head[MIGRATE_MOVABLE] = 1;
	z.free_area[5].head[MIGRATE_RECLAIMABLE] = 1;
	is_u64(find_suitable_fallback(&z, 5, MIGRATE_UNMOVABLE, &steal), MIGRATE_RECLAIMABLE,
	       "unmovable falls back to reclaimable first");
	ok(steal, "and may steal (unmovable)");
	z.free_area[5].head[MIGRATE_UNMOVABLE] = 1;
	is_u64(find_suitable_fallback(&z, 5, MIGRATE_MOVABLE, &steal), MIGRATE_RECLAIMABLE,
	       "movable: reclaimable before unmovable");
	ok(steal, "order 5 >= pageblock_order / 2: may steal");
	is_u64(find_suitable_fallback(&z, 5, MIGRATE_RECLAIMABLE, &steal), MIGRATE_UNMOVABLE,
	       "reclaimable: unmovable before movable");
	z.free_area[5].head[MIGRATE_UNMOVABLE] = PFN_NIL;
	z.free_area[5].head[MIGRATE_RECLAIMABLE] = PFN_NIL;
	z.free_area[5].head[MIGRATE_HIGHATOMIC] = 1;
	z.free_area[5].head[MIGRATE_ISOLATE] = 1;
	is_u64((u64)(long)find_suitable_fallback(&z, 5, MIGRATE_RECLAIMABLE, &steal),
	       MIGRATE_MOVABLE, "reclaimable: then movable");
	z.free_area[5].head[MIGRATE_MOVABLE] = PFN_NIL;
	is_u64((u64)(long)find_suitable_fallback(&z, 5, MIGRATE_UNMOVABLE, &steal), (u64)-1,
	       "never into highatomic or isolate");
}

/* An unmovable order-0 page in an all-movable zone: the largest block
 * (order 10) is taken and both its pageblocks become unmovable. */
static void test_fallback_largest_converts(void)
{
	struct page *p, *q;

	boot_small();
	p = alloc_pages(GFP_KERNEL | __GFP_DMA, 0);
	ok(p && p->pfn >= A && p->pfn < A + 1024, "unmovable page from DMA");
	is_u64(get_pfnblock_migratetype(A), MIGRATE_UNMOVABLE, "first pageblock now unmovable");
	is_u64(get_pfnblock_migratetype(B), MIGRATE_UNMOVABLE, "second one too (order 10)");
	is_u64(free_on(DMA, MIGRATE_UNMOVABLE), 1023, "the rest on the unmovable lists");
	is_u64(free_on(DMA, MIGRATE_MOVABLE), 0, "none left movable");
	/* A movable order-0 page: no movable block; the largest unmovable one
	 * is a whole free pageblock (B, order 9), which any type may claim. */
	q = alloc_pages(GFP_KERNEL | __GFP_DMA | __GFP_MOVABLE, 0);
	ok(q && q->pfn >= B && get_pfnblock_migratetype(B) == MIGRATE_MOVABLE,
	   "movable order 0 claims the free pageblock B whole");
	is_u64(free_on(DMA, MIGRATE_UNMOVABLE), 511, "exact: 511 free unmovable (A)");
	is_u64(free_on(DMA, MIGRATE_MOVABLE), 511, "exact: 511 free movable (B)");
	__free_pages(q, 0);
	/* Now a movable page while B is missing a page: take B's pages first */
	q = alloc_pages(GFP_KERNEL | __GFP_DMA | __GFP_MOVABLE, 0);
	ok(q && q->pfn >= B, "the next movable page comes from B's own lists");
	__free_pages(q, 0);
	__free_pages(p, 0);
	is_u64(DMA->free_pages, 1024, "all freed: 1024 free");
	is_u64(DMA->free_area[MAX_PAGE_ORDER].nr_free, 1, "merged back to one order-10 block");
	is_u64(mm_check_invariants(), 0, "invariants");
}

static struct page *slots[1100];
static struct page_store st;

/*
 * Pageblock A movable, holding `movable` store pages (PG_movable) and
 * `pinned` plain __GFP_MOVABLE pages (not migratable: not counted as
 * movable), the rest free; pageblock B fully allocated. Then an unmovable
 * order-0 request: it steals A's free pages; A changes type when free +
 * alike >= 256 (alike = pages that are neither free nor movable).
 */
static unsigned int steal_case(unsigned int nfree, unsigned int movable)
{
	struct page *pin[1024];
	unsigned int i, npin = 0;
	long h;

	boot_small();
	page_store_init(&st, slots, ARRAY_SIZE(slots));
	for (i = 0; i < 1024; i++) {
		if (i >= nfree && i < nfree + movable) {
			h = page_store_alloc(&st, GFP_KERNEL | __GFP_DMA | __GFP_MEMALLOC);
			pin[npin] = NULL;
		} else {
			pin[npin++] =
			    alloc_pages(GFP_KERNEL | __GFP_DMA | __GFP_MOVABLE | __GFP_MEMALLOC, 0);
		}
	}
	(void)h;
	/* the movable lists hand out pages from the lowest pfn up here: free
	 * the first nfree of A */
	for (i = 0; i < npin; i++)
		if (pin[i] && pin[i]->pfn < A + nfree)
			__free_pages(pin[i], 0), pin[i] = NULL;
	ok(get_pfnblock_migratetype(A) == MIGRATE_MOVABLE && DMA->free_pages == nfree,
	   "set up: A movable with %u free, %u movable", nfree, movable);
	if (alloc_pages(GFP_KERNEL | __GFP_DMA | __GFP_MEMALLOC, 0) == NULL)
		return ~0u;
	return get_pfnblock_migratetype(A);
}

static void test_steal_half_rule(void)
{
	is_u64(steal_case(300, 212), MIGRATE_UNMOVABLE, "300 free of 512: A becomes unmovable");
	is_u64(free_on(DMA, MIGRATE_UNMOVABLE), 299, "its free pages moved to unmovable lists");
	is_u64(steal_case(200, 312), MIGRATE_MOVABLE,
	       "200 free + 0 alike < 256: A stays movable (312 movable pages)");
	is_u64(free_on(DMA, MIGRATE_UNMOVABLE), 199,
	       "but its free pages moved (whole-block steal)");
	is_u64(steal_case(200, 0), MIGRATE_UNMOVABLE,
	       "200 free + 312 unmovable-alike >= 256: A becomes unmovable");
	is_u64(mm_check_invariants(), 0, "invariants");
}

/* The per-CPU lists: one ring per type; a page goes back to the ring of
 * its pageblock's type. */
static void test_pcp_per_type(void)
{
	struct per_cpu_pages *pcp;
	struct page *m, *u;
	unsigned long free0;

	boot_small();
	mm_pcp_set_enabled(true);
	free0 = nr_free_pages();
	m = alloc_pages(GFP_KERNEL | __GFP_MOVABLE, 0);
	u = alloc_pages(GFP_KERNEL, 0);
	pcp = page_zone(m)->pcp[0];
	ok(pcp->lists[MIGRATE_MOVABLE].count > 0 && pcp->lists[MIGRATE_UNMOVABLE].count > 0,
	   "a movable and an unmovable refill: both rings filled");
	is_u64(pcp->count, pcp->lists[0].count + pcp->lists[1].count + pcp->lists[2].count,
	       "count = the sum of the rings");
	is_u64(get_pfnblock_migratetype(m->pfn), MIGRATE_MOVABLE, "movable page, movable block");
	is_u64(get_pfnblock_migratetype(u->pfn), MIGRATE_UNMOVABLE, "unmovable page, stolen block");
	__free_pages(m, 0);
	__free_pages(u, 0);
	is_u64(nr_free_pages(), free0, "exact count with pages on two rings");
	is_u64(mm_check_invariants(), 0, "invariants with two rings in use");
	mm_pcp_set_enabled(false);
	is_u64(nr_free_pages(), free0, "drained: exact");
}

/*
 * The highatomic reserve: a GFP_ATOMIC order-3 allocation that succeeds in
 * the slow path (the zone below low) reserves its pageblock; it then
 * serves atomic high-order requests only; direct reclaim gives it back.
 */
static void test_highatomic(void)
{
	struct page *hold[1024], *p, *q;
	unsigned int n = 0, level;
	unsigned long released;

	boot_small();
	/* DMA down to just below its low watermark (for an order-3 block) */
	while (zone_watermark_ok(DMA, 3, ALLOC_WMARK_LOW, ZONE_DMA, false))
		hold[n++] = alloc_pages(GFP_KERNEL | __GFP_DMA | __GFP_MOVABLE, 0);
	level = ALLOC_WMARK_ATOMIC;
	ok(zone_watermark_ok(DMA, 3, level, ZONE_DMA, true), "set up: below low, above atomic");
	p = alloc_pages(GFP_ATOMIC | __GFP_DMA | __GFP_NOWARN, 3);
	ok(p != NULL, "GFP_ATOMIC order 3 succeeds in the slow path");
	is_u64(get_pageblock_migratetype(p), MIGRATE_HIGHATOMIC, "its pageblock is now HighAtomic");
	is_u64(DMA->nr_reserved_highatomic, pageblock_nr_pages, "one pageblock reserved");
	q = alloc_pages(GFP_ATOMIC | __GFP_DMA | __GFP_NOWARN, 3);
	ok(q && get_pageblock_migratetype(q) == MIGRATE_HIGHATOMIC,
	   "the next atomic order 3 comes from the reserve");
	is_u64(DMA->nr_reserved_highatomic, pageblock_nr_pages,
	       "cap: 1%% of 1024 pages + 1 pageblock = still one pageblock");
	__free_pages(q, 3);
	released = DMA->nr_released;
	ok(unreserve_highatomic_pageblock(node_zonelist(0, __GFP_DMA, ZONE_DMA), MIGRATE_MOVABLE,
					  true),
	   "under pressure the reserve is given back");
	is_u64(DMA->nr_reserved_highatomic, 0, "no pageblock reserved");
	/* Its free blocks, order 0 now usable without a free: what the IRQ
	 * self-test's judge of atomic NULLs must see (selftest/irq.c). */
	ok(DMA->nr_released > released, "the give-back counted in nr_released (%lu -> %lu)",
	   released, DMA->nr_released);
	is_u64(get_pageblock_migratetype(p), MIGRATE_MOVABLE, "the pageblock is movable again");
	__free_pages(p, 3);
	while (n)
		__free_pages(hold[--n], 0);
	is_u64(DMA->free_pages, 1024, "exact: every page back");
	is_u64(mm_check_invariants(), 0, "invariants");
}

/*
 * The highatomic reserve in the watermark check (Linux 6.1's
 * __zone_watermark_ok() and __zone_watermark_unusable_free()): a caller
 * without ALLOC_HARDER does not count nr_reserved_highatomic, so with the
 * zone just above min but not above min + the reserve, GFP_NOWAIT gets
 * NULL while GFP_ATOMIC is served; once the reserve is given back,
 * GFP_NOWAIT is served too. The order > 0 scan counts the highatomic
 * lists for ALLOC_HARDER callers only.
 */
static void test_highatomic_watermark(void)
{
	struct page *hold[1024], *p, *q, *r;
	unsigned int n = 0, k;
	long thr_min;

	boot_small();
	thr_min = DMA->wmark_thr[ALLOC_WMARK_MIN][ZONE_DMA];
	while (zone_watermark_ok(DMA, 3, ALLOC_WMARK_LOW, ZONE_DMA, false))
		hold[n++] = alloc_pages(GFP_KERNEL | __GFP_DMA | __GFP_MOVABLE, 0);
	p = alloc_pages(GFP_ATOMIC | __GFP_DMA | __GFP_NOWARN, 3);
	ok(p && DMA->nr_reserved_highatomic == pageblock_nr_pages,
	   "set up: a GFP_ATOMIC order-3 success reserved one pageblock");
	/* Give back held pages outside the reserved pageblock until the zone
	 * is 2 pages above min and 4 of them are on lists everybody may use. */
	for (k = 0; k < n &&
		    ((long)DMA->free_pages - 1 < thr_min + 2 || free_on(DMA, MIGRATE_MOVABLE) < 4);
	     k++) {
		if (get_pageblock_migratetype(hold[k]) == MIGRATE_HIGHATOMIC)
			continue;
		__free_pages(hold[k], 0);
		hold[k] = NULL;
	}
	ok((long)DMA->free_pages - 1 >= thr_min + 2 &&
	       (long)DMA->free_pages - (long)pageblock_nr_pages - 1 < thr_min &&
	       free_on(DMA, MIGRATE_MOVABLE) >= 4,
	   "set up: free %lu >= min %ld + 3, < min + 1 + the reserve (%lu)", DMA->free_pages,
	   thr_min, DMA->nr_reserved_highatomic);
	ok(!__zone_watermark_ok(DMA, 0, thr_min, false, (long)DMA->free_pages),
	   "__zone_watermark_ok: without ALLOC_HARDER the reserve does not count");
	ok(__zone_watermark_ok(DMA, 0, thr_min, true, (long)DMA->free_pages),
	   "__zone_watermark_ok: with ALLOC_HARDER it does");
	q = alloc_pages(GFP_NOWAIT | __GFP_DMA | __GFP_MOVABLE, 0);
	ok(q == NULL, "GFP_NOWAIT order 0 (min, not ALLOC_HARDER): NULL, the reserve is not its");
	if (q)
		__free_pages(q, 0);
	q = alloc_pages(GFP_ATOMIC | __GFP_DMA | __GFP_MOVABLE | __GFP_NOWARN, 0);
	ok(q && get_pageblock_migratetype(q) != MIGRATE_HIGHATOMIC,
	   "GFP_ATOMIC order 0 at the same point: served, not from the reserve");
	/* The order > 0 scan: a block of order 3 only on the highatomic lists */
	ok(!((DMA->free_mask_mt[MIGRATE_UNMOVABLE] | DMA->free_mask_mt[MIGRATE_MOVABLE] |
	      DMA->free_mask_mt[MIGRATE_RECLAIMABLE]) >>
	     3) &&
	       (DMA->free_mask_mt[MIGRATE_HIGHATOMIC] >> 3),
	   "set up: blocks of order >= 3 only on the highatomic lists");
	ok(!__zone_watermark_ok(DMA, 3, 0, false, 1l << 20),
	   "order 3 scan, not ALLOC_HARDER: the highatomic lists do not count");
	ok(__zone_watermark_ok(DMA, 3, 0, true, 1l << 20), "order 3 scan, ALLOC_HARDER: they do");
	ok(unreserve_highatomic_pageblock(node_zonelist(0, __GFP_DMA, ZONE_DMA), MIGRATE_MOVABLE,
					  true),
	   "the reserve given back");
	r = alloc_pages(GFP_NOWAIT | __GFP_DMA | __GFP_MOVABLE, 0);
	ok(r != NULL, "then GFP_NOWAIT order 0 is served");
	__free_pages(r, 0);
	__free_pages(q, 0);
	__free_pages(p, 3);
	for (k = 0; k < n; k++)
		if (hold[k])
			__free_pages(hold[k], 0);
	is_u64(DMA->free_pages, 1024, "exact: every page back");
	is_u64(mm_check_invariants(), 0, "invariants");
}

/*
 * A reserve given back merges again: pageblock B reserved HIGHATOMIC,
 * freed whole while its buddy A is free and UNMOVABLE, stays apart (no
 * merge across pageblocks when either type does not merge, Linux 6.1's
 * __free_one_page); giving B back to UNMOVABLE must leave one order-10
 * block, not two order-9 buddies that no allocation of order 10 can use
 * (__merge_pageblock_start(), mm/buddy.c; beyond Linux 6.1).
 */
static void test_unreserve_merges(void)
{
	struct page *pa, *pb;
	unsigned long flags;

	boot_small();
	/* __GFP_MEMALLOC: no watermark, so DMA can be emptied */
	pa = alloc_pages(GFP_KERNEL | __GFP_DMA | __GFP_MOVABLE | __GFP_MEMALLOC, pageblock_order);
	pb = alloc_pages(GFP_KERNEL | __GFP_DMA | __GFP_MOVABLE | __GFP_MEMALLOC, pageblock_order);
	ok(pa && pb && page_to_pfn(pa) == A && page_to_pfn(pb) == B,
	   "set up: both pageblocks of DMA allocated whole");
	spin_lock_irqsave(&DMA->lock, flags);
	set_pageblock_migratetype(A, MIGRATE_UNMOVABLE);
	spin_unlock_irqrestore(&DMA->lock, flags);
	reserve_highatomic_pageblock(pb, DMA);
	is_u64(get_pfnblock_migratetype(B), MIGRATE_HIGHATOMIC, "set up: B reserved HighAtomic");
	__free_pages(pa, pageblock_order);
	__free_pages(pb, pageblock_order);
	ok(DMA->free_area[pageblock_order].nr_free == 2 &&
	       free_on(DMA, MIGRATE_HIGHATOMIC) == pageblock_nr_pages &&
	       free_on(DMA, MIGRATE_UNMOVABLE) == pageblock_nr_pages,
	   "B freed into the reserve: not merged with its free UNMOVABLE buddy A");
	is_u64(mm_check_invariants(), 0, "invariants (kept apart on purpose)");
	ok(unreserve_highatomic_pageblock(node_zonelist(0, __GFP_DMA, ZONE_DMA), MIGRATE_UNMOVABLE,
					  true),
	   "the reserve given back to UNMOVABLE");
	is_u64(DMA->free_area[pageblock_order].nr_free, 0, "no order-9 block left apart");
	is_u64(DMA->free_area[MAX_PAGE_ORDER].nr_free, 1, "one order-10 block: A and B merged");
	is_u64(free_on(DMA, MIGRATE_UNMOVABLE), 1024, "on the UNMOVABLE list");
	is_u64(mm_check_invariants(), 0, "invariants after the give-back");
	pa = alloc_pages(GFP_KERNEL | __GFP_DMA | __GFP_MEMALLOC, MAX_PAGE_ORDER);
	ok(pa && page_to_pfn(pa) == A, "an order-10 allocation gets it");
	if (pa)
		__free_pages(pa, MAX_PAGE_ORDER);
	is_u64(DMA->free_pages, 1024, "exact: every page back");
}

/* ISOLATE: no allocation takes from it, and a page freed into it goes to
 * the buddy even with the per-CPU lists on. */
static void test_isolate(void)
{
	struct page *p;
	unsigned long flags;

	boot_small();
	mm_pcp_set_enabled(true);
	p = alloc_pages(GFP_KERNEL | __GFP_DMA | __GFP_MOVABLE, 0);
	mm_pcp_set_enabled(false);
	mm_pcp_set_enabled(true);
	spin_lock_irqsave(&DMA->lock, flags);
	set_pageblock_migratetype(A, MIGRATE_ISOLATE);
	set_pageblock_migratetype(B, MIGRATE_ISOLATE);
	move_freepages_block(DMA, A, MIGRATE_ISOLATE, NULL);
	move_freepages_block(DMA, B, MIGRATE_ISOLATE, NULL);
	spin_unlock_irqrestore(&DMA->lock, flags);
	ok(!alloc_pages(GFP_NOWAIT | __GFP_DMA | __GFP_MOVABLE, 0),
	   "an isolated zone gives nothing");
	__free_pages(p, 0);
	is_u64(DMA->pcp[0]->count, 0, "a free into an isolated block skips the per-CPU list");
	is_u64(free_on(DMA, MIGRATE_ISOLATE), 1024, "all DMA pages on the isolate lists");
	is_u64(mm_check_invariants(), 0, "invariants");
	mm_pcp_set_enabled(false);
}

/* mobility=0 (Linux's page_group_by_mobility_disabled). */
static void test_mobility_off(void)
{
	mm_set_mobility_grouping(false);
	boot_small();
	is_u64(get_pfnblock_migratetype(A), MIGRATE_UNMOVABLE, "mobility=0: blocks unmovable");
	is_u64(gfp_migratetype(GFP_KERNEL | __GFP_MOVABLE), MIGRATE_UNMOVABLE,
	       "mobility=0: __GFP_MOVABLE is unmovable");
	is_u64(free_on(DMA, MIGRATE_UNMOVABLE), 1024, "one list type in use");
	mm_set_mobility_grouping(true);
}

int main(void)
{
	test_boot_and_gfp();
	test_can_steal();
	test_fallback_order();
	test_fallback_largest_converts();
	test_steal_half_rule();
	test_pcp_per_type();
	test_highatomic();
	test_highatomic_watermark();
	test_unreserve_merges();
	test_isolate();
	test_mobility_off();
	return done_testing();
}
