/*
 * compaction_test.c - in-kernel KTAP suite of compaction (mm/compaction.c,
 * mm/migrate.c, mm/pagecache.c): the DMA zone is deliberately fragmented
 * with movable store pages (filled, then three of every four freed), and
 * compaction must then produce a free order-9 block that alloc_pages()
 * hands out, with every store page still reading its own contents and
 * every page given back at the end. Runs after boot (kernel/ktest.c) and
 * on the host (tests/host/test_mm_ktest.c).
 */
#include <labyrinth/compaction.h>
#include <labyrinth/ktest.h>
#include <labyrinth/mm.h>
#include <labyrinth/mmzone.h>
#include <labyrinth/pagecache.h>
#include <labyrinth/pcp.h>
#include <labyrinth/pool.h>
#include <labyrinth/shrinker.h>
#include <labyrinth/zero_cache.h>

#define SLOTS_ORDER 3 /* 4096 slots: the whole 16 MiB DMA zone */
#define NR_SLOTS ((PAGE_SIZE << SLOTS_ORDER) / sizeof(struct page *))

static u64 stamp(long h)
{
	return 0xc0ffee0000000000ull ^ (u64)h * 0x9e3779b97f4a7c15ull;
}

/* Fills DMA with store pages; returns how many. */
static long fill_dma(struct page_store *st)
{
	long h, n = 0;

	while ((h = page_store_alloc(st, GFP_KERNEL | __GFP_DMA | __GFP_NOWARN)) >= 0) {
		u64 v = stamp(h);

		page_store_write(st, h, 0, &v, sizeof(v));
		n++;
	}
	return n;
}

static bool contents_ok(struct page_store *st, long n)
{
	long h;

	for (h = 0; h < n; h++) {
		u64 v = 0;

		if (h % 4 == 0 && (page_store_read(st, h, 0, &v, sizeof(v)) || v != stamp(h)))
			return false;
	}
	return true;
}

static void compaction_makes_order9(struct ktest *t)
{
	struct zone *dma = &contig_page_data.node_zones[ZONE_DMA];
	struct page *slots_page, *big;
	struct page_store st;
	unsigned long free0;
	long n, h;

	if (!populated_zone(dma) || dma->managed_pages < 4 * pageblock_nr_pages ||
	    !mm_compaction_enabled()) {
		ktest_skip(t, "needs a DMA zone of 4+ pageblocks and compaction=1");
		return;
	}
	/* Exact counts: no balancer refilling the zero cache (or compacting)
	 * meanwhile, the cache empty so its shrinker frees nothing, the
	 * Labyrinth pool full so no free of ours refills it. */
	balancer_set_enabled(false);
	zero_cache_drain();
	labyrinth_pool_refill();
	drain_all_pages(NULL);
	free0 = nr_free_pages();
	slots_page = alloc_pages(GFP_KERNEL, SLOTS_ORDER);
	KEXPECT_TRUE(t, slots_page != NULL);
	if (!slots_page) {
		balancer_set_enabled(true);
		return;
	}
	KEXPECT_EQ(t, page_store_init(&st, page_address(slots_page), NR_SLOTS), 0);
	n = fill_dma(&st);
	KEXPECT_TRUE(t, n > 3 * (long)pageblock_nr_pages);
	for (h = 0; h < n; h++)
		if (h % 4)
			page_store_free(&st, h);
	drain_all_pages(NULL);
	/* fragmented: plenty free, no order-9 block */
	KEXPECT_EQ(t, dma->free_mask >> pageblock_order, 0);
	KEXPECT_TRUE(t, fragmentation_index(dma, pageblock_order) > 500);
	KEXPECT_EQ(t, compact_zone_order(dma, pageblock_order), COMPACT_SUCCESS);
	KEXPECT_TRUE(t, (dma->free_mask >> pageblock_order) != 0);
	big = alloc_pages(GFP_KERNEL | __GFP_DMA | __GFP_NOWARN, pageblock_order);
	KEXPECT_TRUE(t, big != NULL);
	KEXPECT_TRUE(t, contents_ok(&st, n));
	if (big)
		__free_pages(big, pageblock_order);
	for (h = 0; h < n; h += 4)
		page_store_free(&st, h);
	KEXPECT_EQ(t, page_store_destroy(&st), 0);
	__free_pages(slots_page, SLOTS_ORDER);
	drain_all_pages(NULL);
	KEXPECT_EQ(t, nr_free_pages(), free0);
	KEXPECT_EQ(t, mm_check_invariants(), 0);
	balancer_set_enabled(true);
}

KTEST_SUITE(compaction, KTEST_ORDER_COMPACTION, KTEST_CASE(compaction_makes_order9));
