/*
 * test_gfp_levels.c - every combination of the gfp bits that decide the
 * allocation level (__GFP_HIGH, __GFP_DIRECT_RECLAIM, __GFP_KSWAPD_RECLAIM,
 * __GFP_MEMALLOC, __GFP_NOMEMALLOC: 32 masks) against the documented table
 * (tests/host/lib/gfp_levels_table.h, copied from docs/walkthrough.md).
 *
 * For each mask, ZONE_DMA alone (__GFP_DMA; per-CPU lists off, pool empty)
 * is brought to exactly each interesting free count (every level's
 * threshold and one above it, and 1), and one order-0 allocation must
 * succeed exactly when free - 1 >= the documented threshold. Also checked:
 * the balancer is woken exactly when __GFP_KSWAPD_RECLAIM is set and the
 * fast path (low) failed; direct reclaim runs exactly when
 * __GFP_DIRECT_RECLAIM is set and the level failed too (Linux 6.6 order:
 * wake, try at the level, then reclaim).
 */
#include <string.h>

#include <labyrinth/memmap.h>
#include <labyrinth/mm.h>
#include <labyrinth/mmzone.h>
#include <labyrinth/pcp.h>
#include <labyrinth/shrinker.h>
#include "host.h"
#include "lib/gfp_levels_table.h"
#include "lib/sim_mem.h"

#define MAX_HELD 8192
static struct page *held[MAX_HELD];
static unsigned long nr_held;
static struct zone *dma;

/* DMA's free count to exactly target (__GFP_MEMALLOC takes below every
 * watermark; freeing gives back). */
static bool set_free(unsigned long target)
{
	while (dma->free_pages > target && nr_held < MAX_HELD) {
		held[nr_held] = alloc_page(__GFP_DMA | __GFP_MEMALLOC | __GFP_NOWARN);
		if (!held[nr_held])
			return false;
		nr_held++;
	}
	while (dma->free_pages < target && nr_held)
		__free_page(held[--nr_held]);
	return dma->free_pages == target;
}

/* A shrinker with nothing to give: counts how often reclaim asked. */
static unsigned long reclaim_asked;
static unsigned long count_nothing(struct shrinker *s, struct shrink_control *sc)
{
	(void)s;
	(void)sc;
	reclaim_asked++;
	return 0;
}
static unsigned long scan_nothing(struct shrinker *s, struct shrink_control *sc)
{
	(void)s;
	(void)sc;
	return 0;
}
static struct shrinker probe = { .count_objects = count_nothing,
				 .scan_objects = scan_nothing,
				 .name = "probe" };

static gfp_t combo_gfp(unsigned int c)
{
	static const gfp_t bits[] = { __GFP_HIGH, __GFP_DIRECT_RECLAIM, __GFP_KSWAPD_RECLAIM,
				      __GFP_MEMALLOC, __GFP_NOMEMALLOC };
	gfp_t gfp = 0;
	unsigned int b;

	for (b = 0; b < ARRAY_SIZE(bits); b++)
		if (c & (1u << b))
			gfp |= bits[b];
	return gfp;
}

/* One allocation at free count f; returns the number of wrong outcomes. */
static unsigned int try_at(gfp_t gfp, unsigned long f)
{
	long thr = doc_threshold(dma, doc_level_of(gfp), ZONE_DMA);
	bool slow = (long)f - 1 < doc_low_threshold(dma, ZONE_DMA), want = (long)f - 1 >= thr;
	struct reclaim_stats before, after;
	unsigned long asked;
	unsigned int wrong = 0;
	struct page *p;

	balance_zones(); /* clears a pending wake-up */
	if (!set_free(f)) {
		printf("# could not set DMA's free count to %lu\n", f);
		return 1;
	}
	reclaim_stats(&before);
	asked = reclaim_asked;
	p = alloc_page(gfp | __GFP_DMA | __GFP_NOWARN);
	reclaim_stats(&after);
	if (!!p != want) {
		printf("# gfp %#x at free %lu (threshold %ld): %s, table says %s\n", gfp, f, thr,
		       p ? "page" : "NULL", want ? "page" : "NULL");
		wrong++;
	}
	if ((after.wakeups != before.wakeups) != (slow && (gfp & __GFP_KSWAPD_RECLAIM))) {
		printf("# gfp %#x at free %lu: balancer %swoken\n", gfp, f,
		       after.wakeups != before.wakeups ? "" : "not ");
		wrong++;
	}
	if ((reclaim_asked != asked) != (!want && (gfp & __GFP_DIRECT_RECLAIM))) {
		printf("# gfp %#x at free %lu: direct reclaim %sran\n", gfp, f,
		       reclaim_asked != asked ? "" : "not ");
		wrong++;
	}
	if (p)
		__free_page(p);
	return wrong;
}

int main(void)
{
	unsigned int c, l, i, wrong = 0, tried = 0, unmatched = 0;
	unsigned long fs[2 * 5 + 1];

	sim_boot_quiet(sim_boot_info_qemu(128 << 20));
	host_set_cpu(0);
	mm_pcp_set_enabled(false);
	dma = &contig_page_data.node_zones[ZONE_DMA];
	register_shrinker(&probe);
	printf("# DMA: min %lu low %lu; thresholds min %ld half %ld atomic %ld\n",
	       dma->_watermark[WMARK_MIN], dma->_watermark[WMARK_LOW],
	       doc_threshold(dma, DOC_MIN, ZONE_DMA), doc_threshold(dma, DOC_HALF, ZONE_DMA),
	       doc_threshold(dma, DOC_ATOMIC, ZONE_DMA));
	ok(doc_threshold(dma, DOC_ATOMIC, ZONE_DMA) < doc_threshold(dma, DOC_HALF, ZONE_DMA) &&
	       doc_threshold(dma, DOC_HALF, ZONE_DMA) < doc_threshold(dma, DOC_MIN, ZONE_DMA) &&
	       doc_threshold(dma, DOC_MIN, ZONE_DMA) < doc_low_threshold(dma, ZONE_DMA),
	   "the levels are distinct in this zone (the test can tell them apart)");
	for (l = 0; l <= DOC_NONE; l++) {
		fs[2 * l] = (unsigned long)doc_threshold(dma, (int)l, ZONE_DMA);
		fs[2 * l + 1] = fs[2 * l] + 1;
	}
	fs[8] = (unsigned long)doc_low_threshold(dma, ZONE_DMA);
	fs[9] = fs[8] + 1;
	fs[10] = 1;
	for (c = 0; c < 32; c++) {
		gfp_t gfp = combo_gfp(c);

		if (doc_level_of(gfp) < 0) {
			unmatched++;
			continue;
		}
		for (i = 0; i < ARRAY_SIZE(fs); i++, tried++)
			if (fs[i])
				wrong += try_at(gfp, fs[i]);
	}
	is_u64(unmatched, 0, "every combination has a row in the documented table");
	ok(wrong == 0, "%u allocations over 32 gfp combinations behave as the table says", tried);
	ok(try_at(GFP_KERNEL, fs[2 * DOC_MIN + 1]) == 0 && try_at(GFP_KERNEL, fs[2 * DOC_MIN]) == 0,
	   "GFP_KERNEL: a page just above min (after waking the balancer), none at min");
	ok(try_at(GFP_ATOMIC, fs[2 * DOC_ATOMIC + 1]) == 0,
	   "GFP_ATOMIC: a page just above 3/8 of min");
	unregister_shrinker(&probe);
	set_free(dma->free_pages + nr_held);
	is_u64(mm_check_invariants(), 0, "invariants");
	sim_mem_unmap();
	return done_testing();
}
