/*
 * labyrinth.h - Labyrinth's own allocation features (mm/labyrinth.c):
 *
 * The Labyrinth pool: a small reserve of order-0 pages (32 KiB by default)
 * carved out at boot for callers that cannot wait. mm/page_alloc.c hands a
 * GFP_ATOMIC order-0 request a pool page when every zone it may use is
 * below its atomic watermark, or when in IRQ context the zone lock stays
 * busy (the context this CPU interrupted may hold it). Take and give are
 * lock-free and O(1) (a Treiber stack, see mm/labyrinth.c), safe in IRQ and
 * NMI context; refilling allocates, so it runs in process context only
 * (the balancer, mm/reclaim.c, from the idle loop).
 *
 * __GFP_EXCLUSIVE pages (gfp.h): zeroed, PG_exclusive + owner CPU in their
 * struct page. Freeing one on another CPU than its owner is reported
 * ("BUG: Bad page state", reason named) and the page left as it is, unless
 * the owner first handed it over with exclusive_page_handover().
 */
#ifndef LABYRINTH_LABYRINTH_H
#define LABYRINTH_LABYRINTH_H

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
/* mm_init() calls this: forget any previous pool (size 0, empty). */
void labyrinth_pool_reset(void);
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

/* mm/page_alloc.c's fallback: a pool page usable by a request whose highest
 * zone is hi, or NULL. */
struct page *labyrinth_pool_alloc(unsigned int hi);

/* __GFP_EXCLUSIVE (mm/page_alloc.c calls the first two). */
void exclusive_page_prep(struct page *page, unsigned int order);
/* On free: true if the page may be freed (PG_exclusive now cleared). */
bool exclusive_page_release(struct page *page, unsigned int order);
/* The owner gives the page to new_cpu, which may then free it. 0, or -1
 * (reported) if the caller is not the owner or the page is not exclusive. */
int exclusive_page_handover(struct page *page, unsigned int new_cpu);

static inline bool page_is_exclusive(const struct page *page)
{
	return (page->flags & (PG_allocated | PG_exclusive)) == (PG_allocated | PG_exclusive);
}

#endif
