/*
 * zero_cache.h - a cache of pre-zeroed order-0 pages (mm/zero_cache.c):
 * the kernel's own reclaimable consumer. An order-0 __GFP_ZERO allocation
 * (not exclusive, not __GFP_THISNODE) takes a page from it before the
 * allocator, already zero. The balancer (mm/reclaim.c) fills it while
 * every zone stays above its high watermark; under memory pressure its
 * shrinker gives the pages back (direct reclaim or the balancer), so the
 * memory it holds is never lost to the allocator. Size: zero_cache=
 * (pages; 0 = off). Statistics: zero_cache_stats(); trace=alloc narrates
 * its hits ("zero cache: took pfn ...") and its shrinker's work.
 */
#ifndef LABYRINTH_ZERO_CACHE_H
#define LABYRINTH_ZERO_CACHE_H

#include <labyrinth/types.h>

#define ZERO_CACHE_MAX_PAGES 1024u
#define ZERO_CACHE_DEFAULT_PAGES 64u

struct zero_cache_stats {
	unsigned long size, level;
	unsigned long hits;   /* allocations served, zeroed already */
	unsigned long misses; /* __GFP_ZERO order-0 allocations that found no usable page */
	unsigned long filled; /* pages the balancer zeroed into it */
	unsigned long shrunk; /* pages its shrinker gave back under pressure */
};

/* Boot, after the direct map: size it, register its shrinker, fill it. */
void zero_cache_init(unsigned long pages);
/* Process context (the balancer): fill while every zone is above high. */
unsigned long zero_cache_refill(void);
/* Does the balancer have filling to do? (cheap, for the idle loop) */
bool zero_cache_wants_refill(void);
/* Gives every page back (tests, the IRQ self-test's baseline). */
unsigned long zero_cache_drain(void);
void zero_cache_stats(struct zero_cache_stats *s);

#endif
