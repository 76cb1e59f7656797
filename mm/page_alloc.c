/*
 * page_alloc.c - the entry points: alloc_pages() and __free_pages() and
 * their Linux relatives. A gfp mask becomes a zonelist (which zones, in
 * which order) and an allocation level (which watermark to respect); each
 * zone is tried under its lock, taken with interrupts saved and disabled so
 * that every entry point may be called from an IRQ handler.
 *
 * The free lists themselves are mm/buddy.c's; watermarks and zonelists are
 * set up by mm/zone.c; checks of bad frees, poisoning and zeroing
 * verification are mm/debug.c's. Per-CPU lists (mm/pcp.c, issue 5) will sit
 * in front of rmqueue() and free_one_page() for order 0.
 *
 * Fast path: one zonelist walk at the low watermark, no division, counters
 * updated incrementally. Slow path (out of line): a second walk at the
 * caller's own reserve level, then the failure report.
 */
#define pr_fmt(fmt) "mm: " fmt

#include <labyrinth/mm.h>
#include <labyrinth/mmzone.h>
#include <labyrinth/printk.h>
#include <labyrinth/string.h>

bool mm_direct_map_ready;
static unsigned long nr_alloc_failures;

/*
 * The highest zone a request may use. Until the direct map exists, Normal
 * (RAM above 4 GiB) cannot be touched, so it goes only to callers that said
 * __GFP_HIGHMEM and do not want it zeroed (gfp.h).
 */
static __always_inline unsigned int gfp_highest_zone(gfp_t gfp)
{
	if (gfp & __GFP_DMA)
		return ZONE_DMA;
	if (gfp & __GFP_DMA32)
		return ZONE_DMA32;
	if (likely(mm_direct_map_ready) || (gfp & (__GFP_HIGHMEM | __GFP_ZERO)) == __GFP_HIGHMEM)
		return ZONE_NORMAL;
	return ZONE_DMA32;
}

/* Linux's gfp_to_alloc_flags() + __zone_watermark_ok() reserve rules. */
static unsigned int gfp_to_alloc_level(gfp_t gfp)
{
	if ((gfp & (__GFP_MEMALLOC | __GFP_NOMEMALLOC)) == __GFP_MEMALLOC)
		return ALLOC_NO_WATERMARKS;
	if (gfp & __GFP_HIGH)
		return gfpflags_allow_blocking(gfp) ? ALLOC_WMARK_HIGH_RES : ALLOC_WMARK_ATOMIC;
	return gfpflags_allow_blocking(gfp) ? ALLOC_WMARK_LOW : ALLOC_WMARK_MIN;
}

/*
 * One zone, under its lock: the watermark check (Linux's: fail when
 * free - 2^order + 1 <= watermark + lowmem_reserve) and the buddy take.
 */
static __always_inline struct page *rmqueue(struct zone *zone, unsigned int order,
					    unsigned int level, unsigned int hi)
{
	struct page *page = NULL;
	unsigned long flags;

	spin_lock_irqsave(&zone->lock, flags);
	if ((long)zone->free_pages - (long)(1ul << order) >= zone->wmark_thr[level][hi])
		page = __rmqueue_smallest(zone, order);
	spin_unlock_irqrestore(&zone->lock, flags);
	return page;
}

static __always_inline struct page *get_page_from_zonelist(unsigned int order,
							   unsigned int level, unsigned int hi)
{
	const u8 *zl = contig_page_data.zonelist[hi];
	struct page *page;

	for (; *zl != MAX_NR_ZONES; zl++) {
		page = rmqueue(&contig_page_data.node_zones[*zl], order, level, hi);
		if (page)
			return page;
	}
	return NULL;
}

static void warn_alloc(gfp_t gfp, unsigned int order)
{
	unsigned long n = __atomic_add_fetch(&nr_alloc_failures, 1, __ATOMIC_RELAXED);

	if (gfp & __GFP_NOWARN)
		return;
	if (n <= 10 || !(n & 1023)) /* a crude rate limit */
		pr_warn("page allocation failure: order:%u, mode:%#x, free:%lu (failure %lu)\n",
			order, gfp, nr_free_pages(), n);
}

static __noinline struct page *__alloc_pages_slowpath(gfp_t gfp, unsigned int order,
						      unsigned int hi)
{
	unsigned int level = gfp_to_alloc_level(gfp);
	struct page *page = NULL;

	/* Direct reclaim for GFP_KERNEL goes here (issue 6). */
	if (level != ALLOC_WMARK_LOW)
		page = get_page_from_zonelist(order, level, hi);
	if (!page)
		warn_alloc(gfp, order);
	return page;
}

/* Zeroing and the debug checks: only when asked for, out of the hot path. */
static __noinline void prep_new_page_slow(struct page *page, unsigned int order, gfp_t gfp)
{
	if (mm_debug_poison)
		debug_check_poison(page, order);
	if (gfp & __GFP_ZERO) {
		memset(page_address(page), 0, PAGE_SIZE << order);
		if (mm_debug_poison)
			debug_verify_zero(page, order);
	}
}

struct page *alloc_pages(gfp_t gfp, unsigned int order)
{
	unsigned int hi;
	struct page *page;

	if (unlikely(order > MAX_PAGE_ORDER)) {
		WARN_ON_ONCE(!(gfp & __GFP_NOWARN));
		return NULL;
	}
	hi = gfp_highest_zone(gfp);
	page = get_page_from_zonelist(order, ALLOC_WMARK_LOW, hi);
	if (unlikely(!page))
		page = __alloc_pages_slowpath(gfp, order, hi);
	if (unlikely((gfp & __GFP_ZERO) || mm_debug_poison) && page)
		prep_new_page_slow(page, order, gfp);
	return page;
}

/* Takes up to want order-0 pages from one zone at the low watermark. */
static unsigned long bulk_from_zone(struct zone *zone, unsigned int hi, unsigned long want,
				    struct page **out)
{
	unsigned long flags, got = 0;
	long room;

	spin_lock_irqsave(&zone->lock, flags);
	room = (long)zone->free_pages - zone->wmark_thr[ALLOC_WMARK_LOW][hi];
	for (; got < want && (long)got < room; got++) {
		out[got] = __rmqueue_smallest(zone, 0);
		if (!out[got])
			break;
	}
	spin_unlock_irqrestore(&zone->lock, flags);
	return got;
}

/*
 * Fills the NULL slots of page_array with order-0 pages, one lock round
 * per zone; returns how many slots are filled (Linux's alloc_pages_bulk).
 */
unsigned long alloc_pages_bulk(gfp_t gfp, unsigned long nr_pages, struct page **page_array)
{
	struct page *batch[64];
	unsigned long filled = 0, i = 0, want, got, k;
	const u8 *zl;

	for (k = 0; k < nr_pages; k++)
		filled += page_array[k] != NULL;
	zl = contig_page_data.zonelist[gfp_highest_zone(gfp)];
	while (filled < nr_pages && *zl != MAX_NR_ZONES) {
		want = min(nr_pages - filled, (unsigned long)ARRAY_SIZE(batch));
		got = bulk_from_zone(&contig_page_data.node_zones[*zl], gfp_highest_zone(gfp),
				     want, batch);
		for (k = 0; k < got; k++) {
			while (page_array[i])
				i++;
			if (unlikely((gfp & __GFP_ZERO) || mm_debug_poison))
				prep_new_page_slow(batch[k], 0, gfp);
			page_array[i] = batch[k];
		}
		filled += got;
		if (got < want)
			zl++;
	}
	if (filled < nr_pages && !filled) { /* reserves: the single-page slow path */
		while (page_array[i])
			i++;
		page_array[i] = alloc_pages(gfp, 0);
		filled += page_array[i] != NULL;
	}
	return filled;
}

unsigned long __get_free_pages(gfp_t gfp, unsigned int order)
{
	struct page *page;

	WARN_ON_ONCE(gfp & __GFP_HIGHMEM); /* the caller wants an address */
	page = alloc_pages(gfp & ~__GFP_HIGHMEM, order);
	return page ? (unsigned long)page_address(page) : 0;
}

unsigned long get_zeroed_page(gfp_t gfp)
{
	return __get_free_pages(gfp | __GFP_ZERO, 0);
}

static __always_inline bool page_free_ok(const struct page *page, unsigned int order)
{
	return (page->flags & PAGE_FLAGS_CHECK_AT_FREE) == PG_allocated && page->order == order;
}

static __noinline void free_pages_bad(struct zone *zone, struct page *page, unsigned int order,
				      unsigned long flags)
{
	spin_unlock_irqrestore(&zone->lock, flags);
	bad_page(page, order, page_free_bad_reason(page, order));
}

void __free_pages(struct page *page, unsigned int order)
{
	struct zone *zone;
	unsigned long flags;

	if (unlikely(order > MAX_PAGE_ORDER || !page)) {
		bad_page(page, order, page ? "bad order" : "NULL page");
		return;
	}
	if (unlikely(mm_debug_poison) && page_free_ok(page, order))
		debug_poison_page_range(page, order);
	zone = page_zone(page);
	spin_lock_irqsave(&zone->lock, flags);
	if (unlikely(!page_free_ok(page, order))) {
		free_pages_bad(zone, page, order, flags);
		return;
	}
	__free_one_page(zone, page, page->pfn, order);
	spin_unlock_irqrestore(&zone->lock, flags);
}

void free_pages(unsigned long addr, unsigned int order)
{
	unsigned long pfn;

	if (!addr)
		return;
	pfn = __pa(addr) >> PAGE_SHIFT;
	if (unlikely(!pfn_valid(pfn))) {
		bad_pfn(pfn, order, "outside managed memory");
		return;
	}
	__free_pages(pfn_to_page(pfn), order);
}
