/*
 * pool.h - the Labyrinth pool (mm/pool.c): a small reserve of order-0
 * pages (32 KiB by default) carved out at boot for callers that cannot
 * wait. mm/page_alloc.c hands a GFP_ATOMIC order-0 request a pool page
 * when every zone it may use is below its atomic watermark. Take and give are lock-free and O(1) (a Treiber stack, see
 * mm/pool.c), safe in IRQ and NMI context; refilling allocates, so it runs
 * in process context only (the balancer, mm/reclaim.c, from the idle loop).
 *
 * Labyrinth's other own allocation feature, __GFP_EXCLUSIVE pages, is in
 * include/labyrinth/exclusive.h.
 */
#ifndef LABYRINTH_POOL_H
#define LABYRINTH_POOL_H

#include <labyrinth/mm.h>

#define LABYRINTH_POOL_DEFAULT_BYTES (32ul << 10)
#define LABYRINTH_POOL_MAX_PAGES 4096ul /* 16 MiB */

struct labyrinth_pool_stats {
	unsigned long size;    /* pages the pool is meant to hold */
	unsigned long level;   /* pages in it now */
	unsigned long lowest;  /* lowest level since init (or stats reset) */
	unsigned long hits;    /* takes that got a page */
	unsigned long misses;  /* takes that found it empty */
	unsigned long refills; /* pages put back by labyrinth_pool_refill() */
};

/* Boot (after mm_init): size the pool (rounded up to pages, at most
 * LABYRINTH_POOL_MAX_PAGES) and fill it from the buddy. */
void labyrinth_pool_init(size_t bytes);
/* A page from the pool (PG_allocated, order 0, contents as they were), or
 * NULL when empty. Any context, NMI included. */
struct page *labyrinth_pool_take(void);
/* Puts an allocated order-0 page into the pool (any context); reported and
 * refused if it is not one. The pool may go above its size until the next
 * refill trims it. */
void labyrinth_pool_give(struct page *page);
/* Process context: tops the pool up to its size (and trims any excess);
 * returns the pages added. */
unsigned long labyrinth_pool_refill(void);
void labyrinth_pool_stats(struct labyrinth_pool_stats *s);
void labyrinth_pool_stats_reset(void); /* hits, misses, refills; lowest = level */

#endif
