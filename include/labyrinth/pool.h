/*
 * pool.h - the Labyrinth pool (mm/pool.c): a small reserve of order-0
 * pages (32 KiB by default) carved out at boot for callers that cannot
 * wait. mm/page_alloc.c hands a GFP_ATOMIC order-0 request a pool page
 * when every zone it may use is below its atomic watermark, and only pages
 * of zones that request may use (one stack per zone: a GFP_DMA caller gets
 * a DMA page or nothing). Take and give are lock-free and O(1) (Treiber
 * stacks, see mm/pool.c), safe in IRQ and NMI context. In front of the
 * stacks each CPU keeps one page (the per-CPU cache: a give fills this
 * CPU's slot, a take empties it first); a take whose own slot and the
 * stacks are empty takes another CPU's slot, so no page is stranded on an
 * idle CPU.
 *
 * Refilled two ways: from frees (while a stack is below its target, a
 * freed order-0 page of that zone goes into it instead of back to the
 * buddy allocator: lock-free, any context) and by the balancer
 * (mm/reclaim.c, process context: it allocates, never below min). So under
 * sustained pressure with pages being freed, the pool refills as fast as
 * atomic callers take from it.
 *
 * With PKS, part of the pool is "sealed" (labyrinth_pool_set_sealer()):
 * those pages serve the __GFP_EXCLUSIVE seed call when its CPU's reserve
 * is empty, and ordinary callers only after the unsealed ones.
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
	unsigned long size;		/* pages the pool is meant to hold */
	unsigned long level;		/* pages in it now */
	unsigned long lowest;		/* lowest level since init (or stats reset) */
	unsigned long hits;		/* takes that got a page */
	unsigned long misses;		/* takes that found no usable page */
	unsigned long refills;		/* refills_free + refills_balancer */
	unsigned long refills_free;	/* pages a free put in instead of the buddy */
	unsigned long refills_balancer; /* net pages labyrinth_pool_refill() added */
	unsigned long pushes;		/* every push ever, mod 2^32 (never reset) */
	unsigned long cached;		/* of level: pages in the CPUs' slots now */
	/* The sealed part (labyrinth_pool_set_sealer(); 0 without one, i.e. without PKS). */
	unsigned long sealed_size;  /* of size: pages meant to be sealed */
	unsigned long sealed_level; /* of level: sealed pages in it now */
	unsigned long sealed_pages; /* pages sealed by refills */
	unsigned long seed_hits;    /* seed calls (reserve empty) served a sealed page */
	unsigned long seed_misses;  /* seed calls that found the sealed part empty */
	unsigned long unsealed;	    /* sealed pages ordinary callers took (retagged key 0) */
};

/*
 * How the pool seals pages, given by mm/exclusive.c once PKS is on every
 * CPU. seal: map the (zeroed) page at 4 KiB in the direct map, tag it
 * "nobody" (key 1), no flush; false if a page table could not be had (page
 * untouched). flush_all: every CPU's TLB (IPIs; false if some CPU may not
 * have flushed). unseal: key 0, this CPU's TLB entry dropped, any context.
 */
struct labyrinth_pool_sealer {
	bool (*seal)(struct page *page);
	bool (*flush_all)(void);
	void (*unseal)(struct page *page);
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
 * returns the pages added, net. Allocates without __GFP_HIGH: never below
 * the min watermark. With a sealer it also seals what the sealed part
 * lacks: the direct map split where needed, one all-CPU flush (IPI). */
unsigned long labyrinth_pool_refill(void);
void labyrinth_pool_stats(struct labyrinth_pool_stats *s);
/* Boot, process context: half of the pool (of the non-DMA zones, rounded
 * up) is kept sealed from now on, and sealed now (mm/pool.c). */
void labyrinth_pool_set_sealer(const struct labyrinth_pool_sealer *s);
/* The seed call, this CPU's exclusive reserve empty (any context): a sealed
 * page of a zone at or below hi (allocated, order 0, zero, key 1, no CPU
 * holding a TLB entry that allows access), or NULL. Counted in seed_hits
 * or seed_misses. */
struct page *labyrinth_pool_take_sealed(unsigned int hi);
void labyrinth_pool_stats_reset(void); /* hits, misses, refills; lowest = level */
void labyrinth_pool_mark_lowest(void); /* lowest = level (per-phase low points) */
/* True if the pool held a page usable by highest zone hi all the time since
 * stats.pushes was pushes0 (the IRQ self-test judges its NULLs with it). */
bool labyrinth_pool_held_since(unsigned long pushes0, unsigned int hi);
/* The same for the sealed part alone (the seed call's NULLs). */
bool labyrinth_pool_sealed_held_since(unsigned long pushes0, unsigned int hi);
/* Pages of zone (one node's) in the pool; quiescent callers only (the
 * self-test's baseline and release: a freed page may refill the pool from
 * another node than the one it was taken from). */
struct zone;
unsigned long labyrinth_pool_pages_in(const struct zone *zone);

#endif
