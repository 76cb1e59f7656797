/*
 * test_compaction.c - the page store (mm/pagecache.c), migration
 * (mm/migrate.c) and compaction (mm/compaction.c) over simulated memory:
 * migration keeps contents and handles; a zone fragmented by movable pages
 * is compacted into an order-9 block, directly and through alloc_pages()'s
 * slow path (compact_stall/compact_success); unmovable pages stop it; the
 * fragmentation indices follow Linux's formulas; and compaction runs while
 * two other "CPUs" (threads) churn the per-CPU lists and the store, with
 * no page lost or duplicated at the end. Seeded (LAB_SEED).
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <labyrinth/compaction.h>
#include <labyrinth/memmap.h>
#include <labyrinth/mm.h>
#include <labyrinth/mmzone.h>
#include <labyrinth/pagecache.h>
#include <labyrinth/pcp.h>
#include <labyrinth/shrinker.h>
#include <labyrinth/smp.h>
#include <labyrinth/trace.h>
#include "mm/internal.h"
#include "host.h"
#include "lib/sim_mem.h"

#define DMA32 (&contig_page_data.node_zones[ZONE_DMA32])
#define NSLOTS 40000

static struct page *slots[NSLOTS];
static long handles[NSLOTS];
static struct page_store st;
static u64 rng;

static u64 next_rand(void)
{
	rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
	return rng;
}

/* 64 MiB: DMA32 is ~12k pages after DMA's 16 MiB. */
static void boot(void)
{
	sim_boot_quiet(sim_boot_info_qemu(64 << 20));
	host_set_cpu(0);
	cpu_online_mask = 1;
	mm_pcp_set_enabled(true);
	balancer_set_enabled(false);
	st.nr_pages = 0; /* the old boot's pages are gone with its memory */
	page_store_destroy(&st);
	page_store_init(&st, slots, NSLOTS);
}

/* The content a handle's page must hold. */
static u64 stamp(long h)
{
	return 0x5157a3b000000000ull ^ (u64)h * 0x9e3779b97f4a7c15ull;
}

static bool contents_ok(long h)
{
	u64 v[2];

	return page_store_read(&st, h, 0, &v[0], 8) == 0 &&
	       page_store_read(&st, h, PAGE_SIZE - 8, &v[1], 8) == 0 && v[0] == stamp(h) &&
	       v[1] == ~stamp(h);
}

static long fill_one(void)
{
	long h = page_store_alloc(&st, GFP_KERNEL | __GFP_DMA32 | __GFP_NOWARN);
	u64 v = stamp(h), w = ~stamp(h);

	if (h >= 0) {
		page_store_write(&st, h, 0, &v, 8);
		page_store_write(&st, h, PAGE_SIZE - 8, &w, 8);
	}
	return h;
}

static void test_migrate_page(void)
{
	struct page *newpage;
	long h, pfn;

	boot();
	h = fill_one();
	pfn = page_store_pfn(&st, h);
	newpage = alloc_page(GFP_KERNEL);
	is_u64(migrate_page(newpage, pfn_to_page((unsigned long)pfn)), 0, "migrate_page: 0");
	is_u64(page_store_pfn(&st, h), newpage->pfn, "the handle now leads to the new page");
	ok(contents_ok(h), "same contents through the same handle");
	ok(!(pfn_to_page((unsigned long)pfn)->flags & PG_movable),
	   "the old page is no longer movable");
	__free_page(pfn_to_page((unsigned long)pfn));
	ok(migrate_page(alloc_page(GFP_KERNEL), pfn_to_page((unsigned long)pfn)) != 0,
	   "a freed page is not migrated again (pgmigrate_fail)");
	page_store_free(&st, h);
	ok(page_store_free(&st, h) == PAGE_STORE_EINVAL, "a second free of a handle: EINVAL");
}

/*
 * Fill DMA32 with store pages, free 3 of every 4 (scattered, seeded):
 * plenty of free memory, no order-9 block. Returns the handles kept.
 */
static unsigned long fragment(void)
{
	unsigned long n = 0, kept = 0, i;
	long h;

	while ((h = fill_one()) >= 0 && n < NSLOTS)
		handles[n++] = h;
	for (i = 0; i < n; i++) {
		if (next_rand() % 4)
			page_store_free(&st, handles[i]);
		else
			handles[kept++] = handles[i];
	}
	mm_pcp_set_enabled(false);
	mm_pcp_set_enabled(true);
	return kept;
}

static bool all_contents_ok(unsigned long kept)
{
	unsigned long i;

	for (i = 0; i < kept; i++)
		if (!contents_ok(handles[i]))
			return false;
	return true;
}

static void test_compact_zone(void)
{
	unsigned long kept, free0;
	struct compact_stats s0, s1;
	struct page *p;

	boot();
	kept = fragment();
	free0 = nr_free_pages();
	ok((DMA32->free_mask >> pageblock_order) == 0, "fragmented: no free block of order >= 9");
	ok(fragmentation_index(DMA32, 9) > 500,
	   "fragmentation_index(9) %d > 500: failure would be fragmentation",
	   fragmentation_index(DMA32, 9));
	ok(unusable_free_index(DMA32, 9) == 1000, "unusable_free_index(9) = 1.000");
	compact_stats_read(&s0);
	if (getenv("SHOW_MAP")) /* the walkthrough's picture (docs/fragmentation.md) */
		host_log_quiet = false, show_pageblock_map(), show_pagetypeinfo();
	is_u64(compact_zone_order(DMA32, 9), COMPACT_SUCCESS, "compaction: COMPACT_SUCCESS");
	if (getenv("SHOW_MAP"))
		show_pageblock_map(), show_pagetypeinfo(), show_compaction_stats(),
		    host_log_quiet = true;
	compact_stats_read(&s1);
	ok((DMA32->free_mask >> 9) != 0, "a free block of order >= 9 exists");
	ok(fragmentation_index(DMA32, 9) == -1000, "fragmentation_index(9) = -1.000 now");
	ok(s1.pgmigrate_success > s0.pgmigrate_success &&
	       s1.compact_migrate_scanned > s0.compact_migrate_scanned &&
	       s1.compact_free_scanned > s0.compact_free_scanned,
	   "counters: %lu migrated, %lu/%lu scanned", s1.pgmigrate_success - s0.pgmigrate_success,
	   s1.compact_migrate_scanned - s0.compact_migrate_scanned,
	   s1.compact_free_scanned - s0.compact_free_scanned);
	is_u64(nr_free_pages(), free0, "exact: no page lost or duplicated");
	is_u64(st.nr_pages, kept, "the store still holds every page");
	ok(all_contents_ok(kept), "every handle reads its own contents");
	is_u64(mm_check_invariants(), 0, "invariants");
	p = alloc_pages(GFP_KERNEL | __GFP_DMA32 | __GFP_NOWARN, 9);
	ok(p != NULL, "alloc_pages(order 9) succeeds");
	if (p)
		__free_pages(p, 9);
}

/* The slow path compacts for a costly order (compact_stall, _success). */
static void test_direct_compaction(void)
{
	struct compact_stats s0, s1;
	unsigned long kept;
	struct page *p;

	boot();
	kept = fragment();
	compact_stats_read(&s0);
	p = alloc_pages(GFP_KERNEL | __GFP_DMA32 | __GFP_NOWARN, 9);
	compact_stats_read(&s1);
	ok(p != NULL, "GFP_KERNEL order 9 in a fragmented zone succeeds");
	is_u64(s1.compact_stall - s0.compact_stall, 1, "one compact_stall");
	is_u64(s1.compact_success - s0.compact_success, 1, "one compact_success");
	ok(all_contents_ok(kept), "contents intact");
	if (p)
		__free_pages(p, 9);
	mm_set_compaction(false);
	kept = fragment();
	p = alloc_pages(GFP_KERNEL | __GFP_DMA32 | __GFP_NOWARN, 9);
	ok(p == NULL, "compaction=0: the same request fails");
	mm_set_compaction(true);
	is_u64(mm_check_invariants(), 0, "invariants");
}

/* Background compaction: a failed atomic order-9 request asks for it (it
 * cannot compact itself), the balancer runs it (Linux's kcompactd). */
static void test_background_compaction(void)
{
	struct compact_stats s0, s1;
	struct page *p;

	boot();
	fragment();
	compact_stats_read(&s0);
	p = alloc_pages(GFP_ATOMIC | __GFP_DMA32 | __GFP_NOWARN, 9);
	ok(p == NULL, "GFP_ATOMIC order 9 fails in the fragmented zone (no direct compaction)");
	balancer_set_enabled(true);
	ok(DMA32->kcompactd_max_order == 9 && balance_zones_needed(),
	   "it asked the balancer for background compaction of order 9");
	balance_zones();
	balancer_set_enabled(false);
	compact_stats_read(&s1);
	ok(s1.compact_daemon_wake > s0.compact_daemon_wake && !DMA32->kcompactd_max_order,
	   "the balancer compacted (compact_daemon_wake +%lu: one per zone of the zonelist)",
	   s1.compact_daemon_wake - s0.compact_daemon_wake);
	is_u64(s1.compact_stall, s0.compact_stall, "no compact_stall: nobody waited for it");
	p = alloc_pages(GFP_ATOMIC | __GFP_DMA32 | __GFP_NOWARN, 9);
	ok(p != NULL, "the next GFP_ATOMIC order 9 succeeds");
	if (p)
		__free_pages(p, 9);
	is_u64(mm_check_invariants(), 0, "invariants");
}

/* debug_pagealloc: the pages compaction frees are poisoned like any free,
 * so no allocation after it reports "page poison corrupted". */
static void test_poisoning(void)
{
	static struct page *all[16384];
	unsigned long bad0, n = 0;

	mm_set_debug(true);
	boot();
	fragment();
	is_u64(compact_zone_order(DMA32, 9), COMPACT_SUCCESS, "debug_pagealloc: compaction works");
	bad0 = mm_bad_page_count;
	while (n < ARRAY_SIZE(all) &&
	       (all[n] = alloc_pages(GFP_KERNEL | __GFP_DMA32 | __GFP_MEMALLOC | __GFP_NOWARN, 0)))
		n++;
	is_u64(mm_bad_page_count - bad0, 0,
	       "every free page still poisoned: %lu pages allocated, no corrupted poison", n);
	while (n)
		__free_pages(all[--n], 0);
	mm_set_debug(false);
}

/* A free block pinned (taken off the lists, as an unmovable owner would
 * hold it) in every pageblock: no order-9 block can form. */
static void test_unmovable_blocks(void)
{
	struct page *pin[64];
	unsigned int pin_order[64];
	unsigned long pfn, n = 0, free0, flags;

	boot();
	fragment();
	spin_lock_irqsave(&DMA32->lock, flags);
	for (pfn = ALIGN(DMA32->zone_start_pfn, pageblock_nr_pages);
	     pfn < zone_end_pfn(DMA32) && n < 64; pfn += pageblock_nr_pages) {
		unsigned long q;

		for (q = pfn; q < pfn + pageblock_nr_pages; q++) {
			struct page *p = pfn_to_page(q);

			if (p->flags == PG_buddy) {
				pin_order[n] = p->order;
				__isolate_free_page(DMA32, p, p->order);
				pin[n++] = p;
				break;
			}
		}
	}
	spin_unlock_irqrestore(&DMA32->lock, flags);
	free0 = nr_free_pages();
	ok(n > 8, "pinned a free block in %lu pageblocks", n);
	is_u64(compact_zone_order(DMA32, 9), COMPACT_COMPLETE,
	       "order 9: the scanners meet without success");
	is_u64(nr_free_pages(), free0, "exact after a failed compaction");
	while (n) {
		n--;
		__free_pages(pin[n], pin_order[n]);
	}
	is_u64(mm_check_invariants(), 0, "invariants");
}

/*
 * The walkthrough's exercise (docs/fragmentation.md): trace=alloc narrates
 * the first unmovable allocation of a fresh zone as a fallback that takes
 * a whole order-10 movable block and converts its pageblocks, and a
 * GFP_KERNEL order-9 allocation in a fragmented zone as a compaction.
 */
static void test_trace_narrates(void)
{
	struct page *p;

	boot();
	trace_reset();
	trace_init("alloc", 0, 1000);
	trace_set_enabled(MM_HOOK_TRACE_ALLOC);
	host_log_clear();
	p = alloc_page(GFP_KERNEL);
	ok(host_log_contains("fallback DMA32: order-10 Movable block at pfn ") &&
	       host_log_contains("taken for Unmovable;") &&
	       host_log_contains("pageblock now of the new type"),
	   "trace=alloc: the first unmovable page is a fallback that converts a pageblock");
	__free_page(p);
	trace_set_enabled(0);
	fragment();
	trace_set_enabled(MM_HOOK_TRACE_ALLOC);
	host_log_clear();
	p = alloc_pages(GFP_KERNEL | __GFP_DMA32 | __GFP_NOWARN, 9);
	ok(p && host_log_contains("trace: alloc order=9 gfp=GFP_KERNEL") &&
	       host_log_contains("compaction order 9: a free block of that order now;"),
	   "trace=alloc: an order-9 GFP_KERNEL allocation narrates its compaction");
	trace_set_enabled(0);
	if (p)
		__free_pages(p, 9);
}

/* ---- concurrency: CPU 0 compacts while CPUs 1 and 2 churn ---- */

#define CHURN_OPS 200000
static volatile bool stop;
static unsigned long churn_fail[3];

static void *churn(void *arg)
{
	unsigned int me = (unsigned int)(unsigned long)arg;
	struct page *mine[128];
	long own[64];
	unsigned int n = 0, m = 0, i;
	u64 r = rng ^ (me * 0x9e3779b97f4a7c15ull);

	host_set_cpu(me);
	for (i = 0; i < CHURN_OPS && !stop; i++) {
		r ^= r << 13, r ^= r >> 7, r ^= r << 17;
		if ((r & 1) && n < 128) {
			struct page *p = alloc_page(GFP_KERNEL | ((r & 2) ? __GFP_MOVABLE : 0));

			if (p)
				mine[n++] = p;
		} else if (n) {
			__free_page(mine[--n]);
		}
		if ((r & 0x30) == 0x30 && m < 64) {
			long h = fill_one();

			if (h >= 0)
				own[m++] = h;
		} else if ((r & 0x30) == 0x10 && m) {
			m--;
			if (!contents_ok(own[m]))
				churn_fail[me]++;
			page_store_free(&st, own[m]);
		}
	}
	while (n)
		__free_page(mine[--n]);
	while (m) {
		m--;
		if (!contents_ok(own[m]))
			churn_fail[me]++;
		page_store_free(&st, own[m]);
	}
	return NULL;
}

static void test_concurrent(void)
{
	unsigned long kept, free0, rounds = 0, i;
	pthread_t t[2];

	boot();
	kept = fragment();
	free0 = nr_free_pages();
	stop = false;
	/* cpu_online_mask stays 1: the host's "IPI" borrows the caller's
	 * thread, so it must not drain lists whose threads are running */
	for (i = 0; i < 2; i++)
		pthread_create(&t[i], NULL, churn, (void *)(i + 1));
	for (rounds = 0; rounds < 20; rounds++)
		compact_zone_order(DMA32, 9 + (rounds & 1));
	stop = true;
	for (i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	for (i = 1; i < 3; i++) {
		host_set_cpu((unsigned int)i);
		drain_local_pages(NULL);
	}
	host_set_cpu(0);
	drain_local_pages(NULL);
	is_u64(churn_fail[1] + churn_fail[2], 0, "the churning CPUs always read their contents");
	ok(all_contents_ok(kept), "the long-lived handles read their contents");
	is_u64(nr_free_pages(), free0, "exact: no page lost or duplicated under concurrency");
	is_u64(st.nr_pages, kept, "the store holds exactly its pages");
	is_u64(mm_check_invariants(), 0, "invariants");
}

int main(int argc, char **argv)
{
	rng = test_seed(argc, argv) | 1;
	test_migrate_page();
	test_compact_zone();
	test_direct_compaction();
	test_unmovable_blocks();
	test_background_compaction();
	test_poisoning();
	test_trace_narrates();
	test_concurrent();
	return done_testing();
}
