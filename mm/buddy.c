/*
 * buddy.c - the buddy allocator's free lists: split on allocation, merge on
 * free. Everything here runs with the zone lock held (the "__" prefix,
 * mm/internal.h), except free_boot_range(), which runs at boot on one CPU
 * before anyone else could take it; mm/page_alloc.c and mm/pcp.c take the
 * lock, choose the zone and check watermarks, mm/zone.c set the zones up,
 * mm/debug.c checks what this file maintains.
 *
 * The free lists are doubly linked through struct page's 32-bit next/prev
 * pfns, with heads in zone->free_area[order]; zone->free_mask has bit o set
 * exactly when free_area[o] is non-empty, so finding the smallest order
 * that can serve a request is one count-trailing-zeros, not a loop.
 */
#define pr_fmt(fmt) "mm: " fmt

#include <labyrinth/mm.h>
#include <labyrinth/mmzone.h>
#include <labyrinth/printk.h>

#include "mm/internal.h"

/* ---- pageblocks and their types (Linux 6.1: mm/page_alloc.c) ---- */

/* mobility=0 (Linux's page_group_by_mobility_disabled): every allocation
 * is "unmovable" and every pageblock too; nothing is grouped. */
bool page_group_by_mobility_disabled;
unsigned char gfp_migratetype_table[4] = { MIGRATE_UNMOVABLE, MIGRATE_MOVABLE, MIGRATE_RECLAIMABLE,
					   MIGRATE_UNMOVABLE };

const char *const migratetype_names[MIGRATE_TYPES] = { "Unmovable", "Movable", "Reclaimable",
						       "HighAtomic", "Isolate" };

/* Before mm_init() (the command line is parsed first): grouping on or off. */
void mm_set_mobility_grouping(bool on)
{
	page_group_by_mobility_disabled = !on;
	gfp_migratetype_table[1] = on ? MIGRATE_MOVABLE : MIGRATE_UNMOVABLE;
	gfp_migratetype_table[2] = on ? MIGRATE_RECLAIMABLE : MIGRATE_UNMOVABLE;
	pcp_update_mobility(); /* the per-CPU fast path's copy (mm/pcp.c) */
}

bool mm_mobility_grouping(void)
{
	return !page_group_by_mobility_disabled;
}

/* Linux's set_pageblock_migratetype(): under the zone lock (or at boot). */
void set_pageblock_migratetype(unsigned long pfn, unsigned int mt)
{
	u8 *usemap = mem_section[pfn >> PFN_SECTION_SHIFT].pageblock_flags;
	unsigned long pb = (pfn & (PAGES_PER_SECTION - 1)) >> pageblock_order;

	if (unlikely(page_group_by_mobility_disabled && mt < MIGRATE_PCPTYPES))
		mt = MIGRATE_UNMOVABLE;
	WRITE_ONCE(usemap[pb], (u8)(mt | pcp_list_of_mt[mt] << PB_PCP_LIST_SHIFT));
}

/* ---- the free lists: one per order and migratetype ---- */

/* add_to_free_list(), add_to_empty_free_list(), del_page_from_free_list()
 * and the take, rmqueue_smallest(): inline in mm/internal.h, so that the
 * allocation path (mm/page_alloc.c:rmqueue()) takes a block without a
 * call. */

/* Linux's move_to_free_list(): the free block to the list of type mt;
 * counted in nr_released if that makes it usable to more callers. */
static void move_to_free_list(struct zone *zone, struct page *page, unsigned int order,
			      unsigned int mt)
{
	if (page->buddy_mt >= MIGRATE_PCPTYPES && mt != page->buddy_mt && mt != MIGRATE_ISOLATE)
		zone->nr_released++;
	del_page_from_free_list(zone, page, order);
	add_to_free_list(zone, page, page->pfn, order, mt);
}

/* Takes a free block off its list for a caller that keeps it (the
 * compaction free scanner, mm/compaction.c): allocated, not counted free. */
void __isolate_free_page(struct zone *zone, struct page *page, unsigned int order)
{
	del_page_from_free_list(zone, page, order);
	page->flags = PG_allocated;
	page->order = (u8)order;
	zone->free_pages -= 1ul << order;
}

/*
 * The buddy system.
 *
 * Free memory is kept in blocks of 2^order pages, each aligned to its own
 * size: a block of order o starts at a pfn that is a multiple of 2^o. Two
 * blocks of order o that together form an aligned block of order o+1 are
 * "buddies". Because of the alignment, the buddy of the block at pfn is
 *
 *         buddy_pfn = pfn ^ (1 << order)
 *
 * (flip the bit that says "lower or upper half of the parent"), and the
 * parent starts at pfn & buddy_pfn (that bit cleared).
 *
 * Allocation of order o: take the first block from the smallest non-empty
 * list of order h >= o; while h > o, split it: h--, and the upper half (the
 * block at pfn + 2^h) goes on free_area[h]. Every list between o and the
 * original h was empty (h was the smallest non-empty one), so each half
 * goes on an empty list.
 *
 * Freeing a block of order o: while its buddy is a free block of the same
 * order (the buddy's struct page says PG_buddy with that order), take the
 * buddy off its list and continue with the parent at order o+1. Then put
 * the result on its list. Pages that are not RAM, reserved or allocated
 * never say PG_buddy, so they stop the merge.
 *
 * Both are O(MAX_PAGE_ORDER). Buddies of blocks up to MAX_PAGE_ORDER are
 * always in the same 128 MiB section (mm/sparse.c) and the same zone
 * (zone boundaries are MAX_ORDER-aligned, mmzone.h), so the buddy's struct
 * page is page + (buddy_pfn - pfn): no table lookup, no zone check.
 */
void expand(struct zone *zone, struct page *page, u32 pfn, unsigned int order, unsigned int high,
	    unsigned int mt)
{
	while (high > order) {
		high--;
		add_to_empty_free_list(zone, page + (1u << high), pfn + (1u << high), high, mt);
	}
}

struct page *__rmqueue_smallest(struct zone *zone, unsigned int order, unsigned int mt)
{
	return rmqueue_smallest(zone, order, mt);
}

/*
 * Fallback and stealing, as Linux 6.1 (mm/page_alloc.c: fallbacks[],
 * can_steal_fallback(), steal_suitable_fallback(), __rmqueue_fallback()).
 *
 * When a type's lists are empty, an allocation takes a block from another
 * type, in the order of fallbacks[]. It takes the LARGEST such block: a big
 * block usually means a whole free pageblock, and claiming all of it for
 * the new type keeps the types apart (one pageblock polluted instead of
 * many). It then "steals" the rest of the pageblock when that is worth it:
 * the request is large (order >= pageblock_order / 2), or unmovable or
 * reclaimable (these pollute a block anyway, so they should take it
 * over). Stealing moves every free page of the pageblock to the new type's
 * lists; the pageblock's own type changes when at least half of it is
 * free or already holds the new type's pages. A movable request that may
 * not steal takes the SMALLEST block instead: it will not pollute a
 * pageblock for long, since it can be moved away.
 * HIGHATOMIC and ISOLATE pageblocks are never a fallback.
 */
static const u8 fallbacks[MIGRATE_PCPTYPES][MIGRATE_PCPTYPES - 1] = {
	[MIGRATE_UNMOVABLE] = { MIGRATE_RECLAIMABLE, MIGRATE_MOVABLE },
	[MIGRATE_MOVABLE] = { MIGRATE_RECLAIMABLE, MIGRATE_UNMOVABLE },
	[MIGRATE_RECLAIMABLE] = { MIGRATE_UNMOVABLE, MIGRATE_MOVABLE },
};

bool can_steal_fallback(unsigned int order, unsigned int start_mt)
{
	if (order >= pageblock_order)
		return true;
	return order >= pageblock_order / 2 || start_mt == MIGRATE_RECLAIMABLE ||
	       start_mt == MIGRATE_UNMOVABLE || page_group_by_mobility_disabled;
}

/* The first type of fallbacks[mt] with a free block of this order, or -1. */
int find_suitable_fallback(const struct zone *zone, unsigned int order, unsigned int mt,
			   bool *can_steal)
{
	unsigned int i;

	*can_steal = false;
	for (i = 0; i < MIGRATE_PCPTYPES - 1; i++) {
		unsigned int fmt = fallbacks[mt][i];

		if (zone->free_area[order].head[fmt] == PFN_NIL)
			continue;
		*can_steal = can_steal_fallback(order, mt);
		return (int)fmt;
	}
	return -1;
}

/*
 * Linux's move_freepages_block(): every free block whose head is in pfn's
 * pageblock goes to the lists of type mt; returns the pages moved, and in
 * *num_movable the pages of the block that are allocated and movable.
 * 0 if the pageblock ends past the zone's end.
 */
unsigned long move_freepages_block(struct zone *zone, unsigned long pfn, unsigned int mt,
				   unsigned long *num_movable)
{
	unsigned long start = pfn & ~(pageblock_nr_pages - 1), end = start + pageblock_nr_pages;
	unsigned long moved = 0, movable = 0;

	/* Linux 6.1: do not cross zone boundaries; a block that starts
	 * before the zone is moved from the zone's start (DMA's first
	 * pageblock, pfn 0 being no zone's), one that ends after it not. */
	if (start < zone->zone_start_pfn)
		start = zone->zone_start_pfn;
	if (end > zone_end_pfn(zone))
		return 0;
	for (pfn = start; pfn < end;) {
		struct page *page = pfn_to_page(pfn);

		if (page->flags == PG_buddy) {
			move_to_free_list(zone, page, page->order, mt);
			moved += 1ul << page->order;
			pfn += 1ul << page->order;
		} else if (page->flags & PG_allocated) {
			movable += (page->flags & PG_movable) ? 1ul << page->order : 0;
			pfn += 1ul << page->order;
		} else {
			pfn++;
		}
	}
	if (num_movable)
		*num_movable = movable;
	return moved;
}

/* Every pageblock of a free block of order >= pageblock_order. */
static void change_pageblock_range(unsigned long pfn, unsigned int order, unsigned int mt)
{
	unsigned long n = 1ul << (order - pageblock_order);

	while (n--) {
		set_pageblock_migratetype(pfn, mt);
		pfn += pageblock_nr_pages;
	}
}

/* Linux 6.1's steal_suitable_fallback(), without watermark boosting. */
static void steal_suitable_fallback(struct zone *zone, struct page *page, unsigned int order,
				    unsigned int start_mt, bool whole_block)
{
	unsigned int old_mt = get_pageblock_migratetype(page);
	unsigned long free_pages, movable = 0, alike;

	if (old_mt == MIGRATE_HIGHATOMIC)
		goto single_page;
	if (order >= pageblock_order) {
		change_pageblock_range(page->pfn, order, start_mt);
		goto single_page;
	}
	if (!whole_block)
		goto single_page;
	free_pages = move_freepages_block(zone, page->pfn, start_mt, &movable);
	if (!free_pages)
		goto single_page;
	if (start_mt == MIGRATE_MOVABLE)
		alike = movable;
	else if (old_mt == MIGRATE_MOVABLE)
		alike = pageblock_nr_pages - (free_pages + movable);
	else
		alike = 0;
	if (free_pages + alike >= pageblock_nr_pages / 2 || page_group_by_mobility_disabled)
		set_pageblock_migratetype(page->pfn, start_mt);
	trace_mm(TR_STEAL, zone, order, old_mt, start_mt, page->pfn, free_pages, alike,
		 get_pageblock_migratetype(page) == start_mt);
	return;
single_page:
	move_to_free_list(zone, page, order, start_mt);
	trace_mm(TR_STEAL, zone, order, old_mt, start_mt, page->pfn, 1ul << order, 0,
		 get_pageblock_migratetype(page) == start_mt);
}

static bool __rmqueue_fallback(struct zone *zone, unsigned int order, unsigned int start_mt)
{
	int o, fmt = -1;
	bool can_steal;

	for (o = MAX_PAGE_ORDER; o >= (int)order; o--) {
		fmt = find_suitable_fallback(zone, (unsigned int)o, start_mt, &can_steal);
		if (fmt < 0)
			continue;
		if (!can_steal && start_mt == MIGRATE_MOVABLE && o > (int)order)
			break; /* find the smallest instead */
		goto do_steal;
	}
	if (fmt < 0)
		return false;
	for (o = (int)order; o <= MAX_PAGE_ORDER; o++) {
		fmt = find_suitable_fallback(zone, (unsigned int)o, start_mt, &can_steal);
		if (fmt >= 0)
			break;
	}
do_steal:
	steal_suitable_fallback(zone, pfn_to_page(zone->free_area[o].head[fmt]), (unsigned int)o,
				start_mt, can_steal);
	return true;
}

/* The preferred type's lists were empty: steal from another type, retry
 * (rmqueue_take()'s slow part, mm/internal.h). */
struct page *__rmqueue_steal(struct zone *zone, unsigned int order, unsigned int mt)
{
	struct page *page = NULL;

	while (!page && __rmqueue_fallback(zone, order, mt))
		page = rmqueue_smallest(zone, order, mt);
	return page;
}

/* A high-order atomic request's take: the MIGRATE_HIGHATOMIC lists first
 * (rmqueue_take()'s, out of line). */
struct page *__rmqueue_highatomic(struct zone *zone, unsigned int order, unsigned int mt)
{
	struct page *page = rmqueue_smallest(zone, order, MIGRATE_HIGHATOMIC);

	return page ? page : rmqueue_take(zone, order, mt, false);
}

/* rmqueue_take() for the callers outside the allocation path. */
struct page *__rmqueue(struct zone *zone, unsigned int order, unsigned int mt, bool highatomic)
{
	return rmqueue_take(zone, order, mt, highatomic);
}

/*
 * Freeing merges with the buddy whatever its list's type, except that
 * pageblocks of a type without fallbacks (HIGHATOMIC, ISOLATE) are not
 * merged with a pageblock of another type (Linux 6.1's rule at order >=
 * pageblock_order). The result goes on the list of type mt (the caller's:
 * the freed page's pageblock type) or, merged into several pageblocks,
 * the first one's.
 */
static __always_inline void free_one_page_inline(struct zone *zone, struct page *page,
						 unsigned long pfn, unsigned int order,
						 unsigned int mt)
{
	zone->free_pages += 1ul << order;
	zone->nr_frees++;
	page->flags = 0;
	while (order < MAX_PAGE_ORDER) {
		unsigned long buddy_pfn = pfn ^ (1ul << order);
		struct page *buddy = page + ((long)buddy_pfn - (long)pfn);

		if (buddy->flags != PG_buddy || buddy->order != order)
			break;
		if (unlikely(order >= pageblock_order)) {
			unsigned int bmt = get_pfnblock_migratetype(buddy_pfn);

			if (bmt != mt && (mt >= MIGRATE_PCPTYPES || bmt >= MIGRATE_PCPTYPES))
				break;
		}
		del_page_from_free_list(zone, buddy, order);
		if (buddy_pfn < pfn)
			page = buddy;
		pfn &= buddy_pfn;
		order++;
	}
	if (order > pageblock_order)
		mt = get_pfnblock_migratetype(pfn);
	add_to_free_list(zone, page, (u32)pfn, order, mt);
}

void __free_one_page(struct zone *zone, struct page *page, unsigned long pfn, unsigned int order,
		     unsigned int mt)
{
	free_one_page_inline(zone, page, pfn, order, mt);
}

/* Is the buddy of the block (pfn, order) a free block of that order, the
 * first thing the merge tests? Order < MAX_PAGE_ORDER (the buddy of a
 * maximal block may be outside its section). */
static __always_inline bool buddy_is_free(const struct page *page, unsigned long pfn,
					  unsigned int order)
{
	const struct page *buddy = page + ((long)(pfn ^ (1ul << order)) - (long)pfn);

	return buddy->flags == PG_buddy && buddy->order == order;
}

/* free_one_page()'s block whose buddy is not free: no merge, so it goes on
 * the list of its own order and pageblock type (what the merge loop would
 * do after its first test). */
static __always_inline void free_one_page_nomerge(struct zone *zone, struct page *page,
						  unsigned long pfn, unsigned int order,
						  unsigned int mt)
{
	zone->free_pages += 1ul << order;
	zone->nr_frees++;
	add_to_free_list(zone, page, (u32)pfn, order, mt);
}

static __noinline void free_pages_bad(struct zone *zone, struct page *page, unsigned int order,
				      unsigned long flags)
{
	spin_unlock_irqrestore(&zone->lock, flags);
	bad_page(page, order, page_free_bad_reason(page, order));
}

/*
 * An allocated block back to the buddy (mm/page_alloc.c's frees that no
 * per-CPU list takes): checked under the zone lock (a double or bad free
 * is reported, nothing freed), merged, narrated under trace=.
 */
void free_one_page(struct page *page, unsigned int order)
{
	unsigned long flags, pfn = page->pfn;
	unsigned int mt;
	const struct mem_section *ms = &mem_section[pfn >> PFN_SECTION_SHIFT];
	/* One section lookup for both: the zone (page_zone_id()'s compare and
	 * borrow, then zone_by_id[]) and, read under the lock,
	 * get_pfnblock_migratetype()'s byte (where it is never changes). */
	struct zone *zone = zone_by_id[ms->zone_id - (pfn < ZONE_DMA_END_PFN)];
	const u8 *pb = &ms->pageblock_flags[(pfn & (PAGES_PER_SECTION - 1)) >> pageblock_order];

	spin_lock_irqsave(&zone->lock, flags);
	if (unlikely(!page_free_ok(page, order))) {
		free_pages_bad(zone, page, order, flags);
		return;
	}
	mt = READ_ONCE(*pb) & ((1u << PB_MIGRATETYPE_BITS) - 1);
	/* The merge out of line: a freed block's buddy is usually in use */
	if (order < MAX_PAGE_ORDER && buddy_is_free(page, pfn, order))
		__free_one_page(zone, page, pfn, order, mt);
	else
		free_one_page_nomerge(zone, page, pfn, order, mt);
	if (trace_on())
		trace_merge(zone, pfn, order);
	spin_unlock_irqrestore(&zone->lock, flags);
}

/*
 * Boot only (one CPU, no lock): gives [start_pfn, end_pfn) to the buddy
 * allocator as the largest aligned blocks that fit, highest first, so each
 * list ends up in ascending address order. A maximal free range decomposed
 * like this leaves no two free buddies unmerged. The pages are tail pages
 * already (mm/sparse.c); only block heads are written. Every pageblock
 * starts MIGRATE_MOVABLE (Linux's memmap_init_range(); mm/sparse.c), so
 * the blocks go on the movable lists.
 */
void free_boot_range(unsigned long start_pfn, unsigned long end_pfn)
{
	unsigned long end = end_pfn;

	while (end > start_pfn) {
		unsigned int order = min((unsigned int)__builtin_ctzl(end | (1ul << 63)),
					 (unsigned int)MAX_PAGE_ORDER);
		unsigned long pfn;
		struct zone *zone;

		while ((1ul << order) > end - start_pfn)
			order--;
		pfn = end - (1ul << order);
		zone = page_zone(pfn_to_page(pfn));
		add_to_free_list(zone, pfn_to_page(pfn), (u32)pfn, order,
				 get_pfnblock_migratetype(pfn));
		zone->free_pages += 1ul << order;
		zone->managed_pages += 1ul << order;
		end = pfn;
	}
}

/*
 * The highatomic reserve, as Linux 6.1 (reserve_highatomic_pageblock(),
 * unreserve_highatomic_pageblock()). High-order atomic allocations cannot
 * wait for compaction; after one succeeds, the pageblock it came from is
 * set aside as MIGRATE_HIGHATOMIC, so that the next one finds free pages of
 * high order there (only ALLOC_HARDER callers take from it, __rmqueue).
 * At most 1% of the zone plus one pageblock is reserved. Under pressure
 * (the slow path's direct reclaim, mm/page_alloc.c) a pageblock is given
 * back to the requester's type.
 */
void reserve_highatomic_pageblock(struct page *page, struct zone *zone)
{
	unsigned long max_managed = zone->managed_pages / 100 + pageblock_nr_pages, flags;
	unsigned int mt;

	if (READ_ONCE(zone->nr_reserved_highatomic) >= max_managed)
		return;
	spin_lock_irqsave(&zone->lock, flags);
	mt = get_pageblock_migratetype(page);
	/* Only normal pageblocks (those that merge with others) */
	if (zone->nr_reserved_highatomic < max_managed && mt < MIGRATE_PCPTYPES) {
		zone->nr_reserved_highatomic += pageblock_nr_pages;
		set_pageblock_migratetype(page->pfn, MIGRATE_HIGHATOMIC);
		move_freepages_block(zone, page->pfn, MIGRATE_HIGHATOMIC, NULL);
		trace_mm(TR_STEAL, zone, pageblock_order, mt, MIGRATE_HIGHATOMIC, page->pfn, 0, 0,
			 1);
	}
	spin_unlock_irqrestore(&zone->lock, flags);
}

/*
 * After the free blocks of pfn's pageblock moved from a type that does not
 * merge across pageblocks (HIGHATOMIC, ISOLATE) to one that does: the free
 * block at the pageblock's start, if it is the whole pageblock or more,
 * freed again: __free_one_page()'s merge now joins it to its free buddies.
 * Only such a block can have been kept apart from its buddy (merges inside
 * a pageblock ignore the type). Without this the zone would keep two
 * free buddies of order >= pageblock_order apart until one is allocated:
 * high-order blocks lost to every caller because a reserve was given back.
 * Linux 6.1 does this on undoing isolation (unset_migratetype_isolate():
 * isolate the block and free it again) but not in
 * unreserve_highatomic_pageblock(); this goes beyond it on purpose. Zone
 * lock held; the slow path only, never the free or allocation fast path.
 */
static void __merge_pageblock_start(struct zone *zone, unsigned long pfn)
{
	struct page *page;
	unsigned int order, mt;

	pfn &= ~(pageblock_nr_pages - 1);
	if (pfn < zone->zone_start_pfn)
		return;
	page = pfn_to_page(pfn);
	if (page->flags != PG_buddy || page->order < pageblock_order)
		return;
	order = page->order;
	mt = get_pfnblock_migratetype(pfn);
	if (mt >= MIGRATE_PCPTYPES)
		return;
	/* Taken off its list and freed again, as Linux's un-isolation does. */
	del_page_from_free_list(zone, page, order);
	zone->free_pages -= 1ul << order;
	free_one_page_inline(zone, page, pfn, order, mt);
}

/* One zone's: the pageblock of the first free HIGHATOMIC block, back to mt
 * (a normal type, merging again: __merge_pageblock_start()). */
static bool __unreserve_highatomic(struct zone *zone, unsigned int mt, bool force)
{
	unsigned int o;

	if (!force && zone->nr_reserved_highatomic <= pageblock_nr_pages)
		return false;
	for (o = 0; o < NR_PAGE_ORDERS; o++) {
		u32 pfn = zone->free_area[o].head[MIGRATE_HIGHATOMIC];

		if (pfn == PFN_NIL)
			continue;
		if (get_pfnblock_migratetype(pfn) == MIGRATE_HIGHATOMIC)
			zone->nr_reserved_highatomic -=
			    min(pageblock_nr_pages, zone->nr_reserved_highatomic);
		set_pageblock_migratetype(pfn, mt);
		if (move_freepages_block(zone, pfn, mt, NULL)) {
			__merge_pageblock_start(zone, pfn);
			return true;
		}
	}
	return false;
}

bool unreserve_highatomic_pageblock(struct zone *const *zl, unsigned int mt, bool force)
{
	bool ret = false;

	for (; *zl && !ret; zl++) {
		unsigned long flags;

		if (!force && READ_ONCE((*zl)->nr_reserved_highatomic) <= pageblock_nr_pages)
			continue;
		spin_lock_irqsave(&(*zl)->lock, flags);
		ret = __unreserve_highatomic(*zl, mt, force);
		spin_unlock_irqrestore(&(*zl)->lock, flags);
	}
	return ret;
}
