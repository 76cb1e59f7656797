/*
 * compaction.c - memory compaction, Linux 6.1's algorithm (mm/compaction.c)
 * for Labyrinth's one kind of movable page (mm/pagecache.c).
 *
 * Two scanners walk a zone towards each other. The migrate scanner starts
 * at the zone's first pfn and, a pageblock at a time, collects movable
 * pages (PG_movable: a store page). The free scanner starts at the zone's
 * last pageblock and walks down, taking free blocks off the buddy's lists
 * (split into order-0 pages) from pageblocks that are suitable targets
 * (MIGRATE_MOVABLE ones; any with mobility=0). Each batch of movable pages
 * is migrated (mm/migrate.c) into the free pages, and the old pages go back
 * to the buddy, where they merge with their free neighbours at the bottom
 * of the zone. It stops as soon as a free block of the wanted order exists
 * (COMPACT_SUCCESS) or when the scanners meet (COMPACT_COMPLETE); free
 * pages left over go back to the buddy. Every page is at any time on a
 * free list, on a per-CPU list, allocated, or in this CPU's compact_control
 * (counted out of zone->free_pages like an allocated page, as Linux's
 * NR_FREE_PAGES does for isolated pages).
 *
 * Linux's "isolation" of a movable page takes it off the LRU; here a
 * candidate stays with its store, and migrate_page() checks it again under
 * the store's lock (a page freed meanwhile is skipped: pgmigrate_fail).
 *
 * Callers: direct compaction (try_to_compact_pages(), mm/page_alloc.c's
 * slow path, for orders that may sleep) and background compaction
 * (kcompactd_run(), from the balancer, mm/reclaim.c). Both skip a zone
 * whose failure is lack of memory rather than fragmentation: below the low
 * watermark plus 2^(order+1) pages (Linux's compact_gap()), or, for costly
 * orders, a fragmentation_index() at or below 500 (Linux's
 * sysctl_extfrag_threshold).
 */
#define pr_fmt(fmt) "compaction: " fmt

#include <labyrinth/compaction.h>
#include <labyrinth/mm.h>
#include <labyrinth/mmzone.h>
#include <labyrinth/pagecache.h>
#include <labyrinth/pcp.h>
#include <labyrinth/printk.h>

#include "mm/internal.h"

#define COMPACT_CLUSTER_MAX 32u
/* Room for a batch's targets plus the largest block the free scanner takes
 * whole (order pageblock_order - 1). */
#define COMPACT_FREE_MAX (COMPACT_CLUSTER_MAX + (1u << (pageblock_order - 1)))
#define EXTFRAG_THRESHOLD 500

struct compact_control {
	struct zone *zone;
	unsigned int order;
	unsigned long migrate_pfn; /* next pfn the migrate scanner looks at */
	unsigned long free_block;  /* the pageblock the free scanner is in */
	unsigned long free_pos;	   /* next pfn it looks at, in free_block */
	u32 nr_migratepages, nr_freepages;
	unsigned long migrate_scanned, free_scanned, migrated;
	struct page *migratepages[COMPACT_CLUSTER_MAX];
	struct page *freepages[COMPACT_FREE_MAX];
};

/* One per CPU: compaction never runs in IRQ context, and never nests. */
static struct compact_control compact_cc[NR_CPUS];
static bool compaction_off;
static struct compact_stats stats;

void mm_set_compaction(bool on)
{
	WRITE_ONCE(compaction_off, !on);
}

bool mm_compaction_enabled(void)
{
	return !READ_ONCE(compaction_off);
}

static void count(unsigned long *counter, unsigned long n)
{
	if (n)
		__atomic_add_fetch(counter, n, __ATOMIC_RELAXED);
}

void compact_stats_read(struct compact_stats *out)
{
	*out = stats;
	out->pgmigrate_success = READ_ONCE(pgmigrate_success);
	out->pgmigrate_fail = READ_ONCE(pgmigrate_fail);
}

/* ---- the migrate scanner ---- */

/* Candidates from [migrate_pfn, the end of its pageblock): allocated and
 * PG_movable, read without a lock (migrate_page() checks again). */
static void isolate_migratepages(struct compact_control *cc)
{
	unsigned long pfn = cc->migrate_pfn;
	unsigned long end = min(ALIGN(pfn + 1, pageblock_nr_pages), cc->free_block);

	while (pfn < end && cc->nr_migratepages < COMPACT_CLUSTER_MAX) {
		struct page *page;
		u16 flags;
		unsigned int order;

		if (!pfn_valid(pfn)) { /* a section without RAM inside the zone */
			pfn = ALIGN(pfn + 1, PAGES_PER_SECTION);
			continue;
		}
		page = pfn_to_page(pfn);
		flags = READ_ONCE(page->flags);
		order = READ_ONCE(page->order);
		cc->migrate_scanned++;
		if ((flags & (PG_allocated | PG_movable)) == (PG_allocated | PG_movable))
			cc->migratepages[cc->nr_migratepages++] = page;
		/* skip a whole block (its head is aligned to its order) */
		if ((flags & (PG_buddy | PG_allocated)) && order <= MAX_PAGE_ORDER &&
		    !(pfn & ((1ul << order) - 1)))
			pfn += 1ul << order;
		else
			pfn++;
	}
	cc->migrate_pfn = pfn;
}

/* ---- the free scanner ---- */

/* Linux's suitable_migration_target(): a movable pageblock, not one the
 * allocator keeps for others (HIGHATOMIC, ISOLATE). */
static bool suitable_migration_target(unsigned long pfn)
{
	unsigned int mt = get_pfnblock_migratetype(pfn);

	return mt == MIGRATE_MOVABLE || (page_group_by_mobility_disabled && mt < MIGRATE_PCPTYPES);
}

/* Free blocks of free_block from free_pos on, while they fit; false when
 * the block is not finished (no room). Zone lock held. */
static bool __isolate_freepages_block(struct compact_control *cc, unsigned long end)
{
	struct zone *zone = cc->zone;

	for (; cc->free_pos < end; cc->free_pos++) {
		struct page *page = pfn_to_page(cc->free_pos);
		unsigned int order, i;

		cc->free_scanned++;
		if (page->flags != PG_buddy)
			continue;
		order = page->order;
		if (order >= pageblock_order) /* a whole free pageblock: leave it */
			return true;
		if (cc->nr_freepages + (1u << order) > COMPACT_FREE_MAX)
			return false;
		__isolate_free_page(zone, page, order);
		for (i = 0; i < (1u << order); i++) {
			page[i].flags = PG_allocated;
			page[i].order = 0;
			cc->freepages[cc->nr_freepages++] = page + i;
		}
		count(&stats.compact_isolated, 1ul << order);
		cc->free_pos += (1ul << order) - 1;
	}
	return true;
}

/* Until there is a target for every candidate, or the scanners meet. */
static void isolate_freepages(struct compact_control *cc)
{
	struct zone *zone = cc->zone;
	unsigned long flags;

	while (cc->nr_freepages < cc->nr_migratepages) {
		unsigned long end = min(cc->free_block + pageblock_nr_pages, zone_end_pfn(zone));

		if (cc->free_pos >= end) { /* next pageblock down */
			if (cc->free_block < pageblock_nr_pages ||
			    cc->free_block - pageblock_nr_pages < cc->migrate_pfn)
				return; /* the scanners meet */
			cc->free_block -= pageblock_nr_pages;
			cc->free_pos = max(cc->free_block, zone->zone_start_pfn);
			continue;
		}
		if (!pfn_valid(cc->free_pos) || !suitable_migration_target(cc->free_block)) {
			cc->free_pos = end;
			continue;
		}
		spin_lock_irqsave(&zone->lock, flags);
		if (__isolate_freepages_block(cc, end) && cc->free_pos < end)
			cc->free_pos = end; /* whole free pageblock: skip it */
		spin_unlock_irqrestore(&zone->lock, flags);
		if (cc->free_pos < end)
			return; /* full: back after the migration */
	}
}

/* Pages to the buddy, each to its pageblock's list. */
static void free_to_buddy(struct zone *zone, struct page **pages, u32 n)
{
	unsigned long flags;
	u32 i;

	if (!n)
		return;
	spin_lock_irqsave(&zone->lock, flags);
	for (i = 0; i < n; i++)
		__free_one_page(zone, pages[i], pages[i]->pfn, 0,
				get_pfnblock_migratetype(pages[i]->pfn));
	spin_unlock_irqrestore(&zone->lock, flags);
}

/* ---- migration and the loop ---- */

/* Each candidate into a free page; the old pages to the buddy. */
static void migrate_batch(struct compact_control *cc)
{
	struct page *old[COMPACT_CLUSTER_MAX];
	u32 i, n = 0;

	for (i = 0; i < cc->nr_migratepages && cc->nr_freepages; i++) {
		struct page *newpage = cc->freepages[--cc->nr_freepages];

		if (migrate_page(newpage, cc->migratepages[i]) == 0) {
			old[n] = cc->migratepages[i];
			if (unlikely(mm_debug_poison)) /* as any free (debug_pagealloc) */
				debug_poison_page_range(old[n], 0);
			n++;
		} else
			cc->freepages[cc->nr_freepages++] = newpage;
	}
	cc->nr_migratepages = 0;
	cc->migrated += n;
	free_to_buddy(cc->zone, old, n);
}

/* A free block of the order on a list an ordinary allocation may use. */
static bool compact_finished(const struct zone *zone, unsigned int order)
{
	return (READ_ONCE(zone->free_mask_pcp) >> order) != 0;
}

/* Linux's compaction_suitable(): is compaction the answer at all? */
static enum compact_result compaction_suitable(const struct zone *zone, unsigned int order)
{
	int fragindex;

	if (compact_finished(zone, order))
		return COMPACT_SUCCESS;
	if (READ_ONCE(zone->free_pages) < zone->_watermark[WMARK_LOW] + (2ul << order))
		return COMPACT_SKIPPED;
	fragindex = order > PAGE_ALLOC_COSTLY_ORDER ? fragmentation_index(zone, order) : -1000;
	if (fragindex >= 0 && fragindex <= EXTFRAG_THRESHOLD)
		return COMPACT_SKIPPED;
	return COMPACT_COMPLETE; /* i.e. go on */
}

static enum compact_result compact_zone(struct compact_control *cc)
{
	struct zone *zone = cc->zone;
	enum compact_result ret = compaction_suitable(zone, cc->order);

	if (ret != COMPACT_COMPLETE)
		return ret;
	cc->migrate_pfn = zone->zone_start_pfn;
	cc->free_block = (zone_end_pfn(zone) - 1) & ~(pageblock_nr_pages - 1);
	cc->free_pos = max(cc->free_block, zone->zone_start_pfn);
	cc->nr_migratepages = cc->nr_freepages = 0;
	cc->migrate_scanned = cc->free_scanned = cc->migrated = 0;
	drain_all_pages(zone); /* per-CPU pages would keep blocks from merging */
	while (!compact_finished(zone, cc->order)) {
		if (cc->migrate_pfn >= cc->free_block)
			break; /* the scanners met */
		isolate_migratepages(cc);
		if (!cc->nr_migratepages)
			continue;
		isolate_freepages(cc);
		if (!cc->nr_freepages)
			break; /* no target left above the migrate scanner */
		migrate_batch(cc);
	}
	free_to_buddy(zone, cc->freepages, cc->nr_freepages);
	cc->nr_freepages = 0;
	count(&stats.compact_migrate_scanned, cc->migrate_scanned);
	count(&stats.compact_free_scanned, cc->free_scanned);
	ret = compact_finished(zone, cc->order) ? COMPACT_SUCCESS : COMPACT_COMPLETE;
	trace_mm(TR_COMPACT, zone, cc->order, ret == COMPACT_SUCCESS, 0, PFN_NIL, cc->migrated,
		 cc->migrate_scanned, cc->free_scanned);
	return ret;
}

enum compact_result compact_zone_order(struct zone *zone, unsigned int order)
{
	struct compact_control *cc = &compact_cc[arch_cpu_id()];

	if (!mm_compaction_enabled() || WARN_ON_ONCE(arch_in_irq()) || order > MAX_PAGE_ORDER)
		return COMPACT_SKIPPED;
	cc->zone = zone;
	cc->order = order;
	return compact_zone(cc);
}

/*
 * Direct compaction (Linux's try_to_compact_pages()): every zone of the
 * allocation's zonelist until one has a free block of order. Unless every
 * zone was skipped (compaction_suitable()), counts a compact_stall, then a
 * compact_success or compact_fail.
 */
bool try_to_compact_pages(unsigned int order, struct zone *const *zl)
{
	enum compact_result r = COMPACT_SKIPPED, best = COMPACT_SKIPPED;

	if (!mm_compaction_enabled() || !order)
		return false;
	for (; *zl && best != COMPACT_SUCCESS; zl++) {
		r = compact_zone_order(*zl, order);
		best = max(best, r);
	}
	if (best == COMPACT_SKIPPED) /* Linux: no stall when no zone was compacted */
		return false;
	count(&stats.compact_stall, 1);
	count(best == COMPACT_SUCCESS ? &stats.compact_success : &stats.compact_fail, 1);
	return best == COMPACT_SUCCESS;
}

/* Background compaction (Linux's kcompactd), asked for by the slow path
 * of a high-order allocation, run by the balancer. */
void wakeup_kcompactd(struct zone *const *zl, unsigned int order)
{
	for (; *zl; zl++)
		if (READ_ONCE((*zl)->kcompactd_max_order) < order)
			WRITE_ONCE((*zl)->kcompactd_max_order, order);
}

bool kcompactd_pending(void)
{
	struct zone *z;

	if (!mm_compaction_enabled())
		return false;
	for_each_zone(z)
		if (READ_ONCE(z->kcompactd_max_order))
			return true;
	return false;
}

void kcompactd_run(void)
{
	struct zone *z;

	for_each_zone(z) {
		unsigned int order = READ_ONCE(z->kcompactd_max_order);

		if (!order || !mm_compaction_enabled())
			continue;
		WRITE_ONCE(z->kcompactd_max_order, 0);
		count(&stats.compact_daemon_wake, 1);
		compact_zone_order(z, order);
	}
}
