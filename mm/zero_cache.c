/*
 * zero_cache.c - pre-zeroed order-0 pages, given back under pressure (the
 * API and the rules are in include/labyrinth/zero_cache.h).
 *
 * A stack of pfns under a spinlock taken with interrupts saved (an atomic
 * __GFP_ZERO caller may be an IRQ handler). Pages in the cache are
 * allocated pages (PG_allocated) owned by the cache: not in any zone's free
 * count, so a full cache is memory the allocator must be able to get back:
 * the shrinker (count = level, scan = free up to nr_to_scan) is what makes
 * that true, and the balancer only fills while each zone it takes from
 * stays above its high watermark, so filling never creates the pressure
 * the shrinker then relieves.
 */
#define pr_fmt(fmt) "mm: " fmt

#include <labyrinth/mm.h>
#include <labyrinth/mmzone.h>
#include <labyrinth/printk.h>
#include <labyrinth/shrinker.h>
#include <labyrinth/spinlock.h>
#include <labyrinth/string.h>
#include <labyrinth/zero_cache.h>

#include "mm/internal.h"

static struct {
	spinlock_t lock; /* nr, pfn[]; interrupts saved */
	u32 nr, size;
	u32 pfn[ZERO_CACHE_MAX_PAGES];
	unsigned long hits, misses, filled, shrunk;
} zc = { .lock = SPINLOCK_INIT };

u32 zero_cache_level; /* zc.nr, readable without the lock (mm/page_alloc.c) */

/* A page usable by highest zone hi, already zero; NULL if none. */
struct page *zero_cache_take(unsigned int hi, int nid)
{
	struct page *page = NULL;
	unsigned long flags;
	u32 i;

	spin_lock_irqsave(&zc.lock, flags);
	for (i = zc.nr; i-- > 0;) {
		if (pfn_zone_idx(zc.pfn[i]) > hi || pfn_to_nid(zc.pfn[i]) != nid)
			continue; /* a zone the caller may not use, or another node's page */
		page = pfn_to_page(zc.pfn[i]);
		zc.pfn[i] = zc.pfn[--zc.nr];
		break;
	}
	WRITE_ONCE(zero_cache_level, zc.nr);
	if (page)
		zc.hits++;
	else
		zc.misses++;
	spin_unlock_irqrestore(&zc.lock, flags);
	trace_mm(TR_ZCACHE, page ? page_zone(page) : NULL, 0, 0, 0, page ? page->pfn : PFN_NIL,
		 READ_ONCE(zero_cache_level), zc.size, 0);
	return page;
}

static bool zero_cache_put(struct page *page)
{
	unsigned long flags;
	bool ok;

	spin_lock_irqsave(&zc.lock, flags);
	ok = zc.nr < zc.size;
	if (ok)
		zc.pfn[zc.nr++] = (u32)page->pfn;
	WRITE_ONCE(zero_cache_level, zc.nr);
	spin_unlock_irqrestore(&zc.lock, flags);
	return ok;
}

/* Up to nr pages back to the allocator; returns how many. */
static unsigned long zero_cache_release(unsigned long nr)
{
	unsigned long freed = 0, flags;
	struct page *page;

	while (freed < nr) {
		spin_lock_irqsave(&zc.lock, flags);
		page = zc.nr ? pfn_to_page(zc.pfn[--zc.nr]) : NULL;
		WRITE_ONCE(zero_cache_level, zc.nr);
		spin_unlock_irqrestore(&zc.lock, flags);
		if (!page)
			break;
		__free_pages(page, 0);
		freed++;
	}
	return freed;
}

static unsigned long zc_count(struct shrinker *s, struct shrink_control *sc)
{
	(void)s;
	(void)sc;
	return READ_ONCE(zero_cache_level);
}

static unsigned long zc_scan(struct shrinker *s, struct shrink_control *sc)
{
	unsigned long freed = zero_cache_release(sc->nr_to_scan);

	(void)s;
	__atomic_add_fetch(&zc.shrunk, freed, __ATOMIC_RELAXED);
	trace_mm(TR_ZCACHE_SHRINK, NULL, 0, 0, 0, PFN_NIL, sc->nr_to_scan, freed,
		 READ_ONCE(zero_cache_level));
	return freed;
}

static struct shrinker zero_cache_shrinker = {
	.count_objects = zc_count,
	.scan_objects = zc_scan,
	.name = "zero_cache",
};

/* Is the zone still above its high watermark with one more page gone? */
static bool zone_has_plenty(const struct zone *z)
{
	return READ_ONCE(z->free_pages) > z->_watermark[WMARK_HIGH] + 1;
}

bool zero_cache_wants_refill(void)
{
	struct zone *z;

	if (READ_ONCE(zero_cache_level) >= zc.size)
		return false;
	for_each_zone(z)
		if (populated_zone(z) && zone_has_plenty(z))
			return true;
	return false;
}

/* GFP_KERNEL without waking the balancer (the caller); a page whose zone
 * would drop to its high watermark goes straight back and ends the fill. */
unsigned long zero_cache_refill(void)
{
	unsigned long added = 0;
	struct page *page;

	if (WARN_ON_ONCE(arch_in_irq()) || !mm_direct_map_ready)
		return 0;
	while (READ_ONCE(zero_cache_level) < zc.size) {
		page = alloc_pages((GFP_KERNEL & ~__GFP_KSWAPD_RECLAIM) | __GFP_NOWARN, 0);
		if (!page)
			break;
		if (!zone_has_plenty(page_zone(page))) {
			__free_pages(page, 0);
			break;
		}
		memset(page_address(page), 0, PAGE_SIZE);
		if (!zero_cache_put(page)) {
			__free_pages(page, 0);
			break;
		}
		added++;
	}
	__atomic_add_fetch(&zc.filled, added, __ATOMIC_RELAXED);
	return added;
}

/* mm_init(): a new memory map; forget any previous cache (size 0). */
void zero_cache_reset(void)
{
	zc.nr = zc.size = 0;
	WRITE_ONCE(zero_cache_level, 0);
}

unsigned long zero_cache_drain(void)
{
	return zero_cache_release(~0ul);
}

void zero_cache_init(unsigned long pages)
{
	static bool registered;

	zero_cache_drain();
	zc.size = (u32)min(pages, (unsigned long)ZERO_CACHE_MAX_PAGES);
	zc.hits = zc.misses = zc.filled = zc.shrunk = 0;
	if (!registered && zc.size)
		registered = register_shrinker(&zero_cache_shrinker) == 0;
	zero_cache_refill();
	pr_info("zero cache: %u/%u pre-zeroed pages, given back under pressure (shrinker "
		"\"zero_cache\")\n",
		zc.nr, zc.size);
}

void zero_cache_stats(struct zero_cache_stats *s)
{
	s->size = zc.size;
	s->level = READ_ONCE(zero_cache_level);
	s->hits = READ_ONCE(zc.hits);
	s->misses = READ_ONCE(zc.misses);
	s->filled = READ_ONCE(zc.filled);
	s->shrunk = READ_ONCE(zc.shrunk);
}
