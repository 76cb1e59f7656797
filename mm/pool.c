/*
 * pool.c - the Labyrinth pool: a lock-free reserve of order-0 pages for
 * callers that cannot wait (the API and the rules are in
 * include/labyrinth/pool.h). mm/page_alloc.c decides when an allocation
 * falls back to the pool (labyrinth_pool_alloc()); mm/reclaim.c's balancer
 * refills it; __GFP_EXCLUSIVE, Labyrinth's other own feature, is
 * mm/exclusive.c's.
 *
 * The pool is a Treiber stack. Its head is one 64-bit word: the top page's
 * 32-bit pfn (PFN_NIL when empty) and a 32-bit tag bumped by every
 * successful push or pop. A pop reads the head, then the top page's
 * struct page->next, and swings the head with one compare-exchange; if
 * anything moved the head in between (another CPU, or an interrupt or NMI
 * on this one), the tag differs and the exchange fails and retries, even
 * if the same pfn is back on top (the ABA case a bare pointer would miss).
 * Links live in struct page, never in the page itself: reading a stale
 * link is harmless because struct pages are never unmapped. Why not an
 * array of slots with atomic exchange: a take would scan the slots (O(n))
 * and a nearly empty pool costs a full scan exactly when time is short.
 * A 32-bit tag wraps after 4 billion operations: an ABA would need one
 * CPU stalled in a pop for that long.
 */
#define pr_fmt(fmt) "mm: " fmt

#include <labyrinth/mm.h>
#include <labyrinth/mmzone.h>
#include <labyrinth/pool.h>
#include <labyrinth/printk.h>

#include "mm/internal.h"

static struct {
	u64 head __aligned(64); /* tag << 32 | top pfn */
	long level;		/* pages in the stack (may lag a push/pop) */
	unsigned long size;	/* target level */
	long lowest;
	unsigned long hits, misses, refills;
} pool = { .head = PFN_NIL };

static __always_inline u64 pool_word(u64 old, u32 pfn)
{
	return (((old >> 32) + 1) << 32) | pfn;
}

static void pool_note_level(long level)
{
	long low = __atomic_load_n(&pool.lowest, __ATOMIC_RELAXED);

	while (level < low && !__atomic_compare_exchange_n(&pool.lowest, &low, level, false,
							   __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
}

/* The stack itself: pop and push, no statistics. */
static struct page *pool_pop(void)
{
	u64 old = __atomic_load_n(&pool.head, __ATOMIC_ACQUIRE), new;
	struct page *page;

	do {
		if ((u32)old == PFN_NIL)
			return NULL;
		page = pfn_to_page((u32)old);
		new = pool_word(old, __atomic_load_n(&page->next, __ATOMIC_RELAXED));
	} while (!__atomic_compare_exchange_n(&pool.head, &old, new, false, __ATOMIC_ACQ_REL,
					      __ATOMIC_ACQUIRE));
	pool_note_level(__atomic_sub_fetch(&pool.level, 1, __ATOMIC_RELAXED));
	__atomic_store_n(&page->next, PFN_NIL, __ATOMIC_RELAXED);
	page->flags = PG_allocated;
	return page;
}

static void pool_push(struct page *page)
{
	u64 old = __atomic_load_n(&pool.head, __ATOMIC_RELAXED);

	page->flags = PG_pool;
	page->order = 0;
	do {
		__atomic_store_n(&page->next, (u32)old, __ATOMIC_RELAXED);
	} while (!__atomic_compare_exchange_n(&pool.head, &old, pool_word(old, page->pfn), false,
					      __ATOMIC_RELEASE, __ATOMIC_RELAXED));
	__atomic_add_fetch(&pool.level, 1, __ATOMIC_RELAXED);
}

struct page *labyrinth_pool_take(void)
{
	struct page *page = pool_pop();

	__atomic_add_fetch(page ? &pool.hits : &pool.misses, 1, __ATOMIC_RELAXED);
	return page;
}

void labyrinth_pool_give(struct page *page)
{
	if (unlikely(!page || page->flags != PG_allocated || page->order)) {
		bad_page(page, page ? page->order : 0,
			 "given to the Labyrinth pool while not an allocated order-0 page");
		return;
	}
	pool_push(page);
}

/* The pool's pages come from DMA32 or DMA (labyrinth_pool_refill), so
 * only GFP_DMA requests may find one that is too high for them. */
struct page *labyrinth_pool_alloc(unsigned int hi)
{
	struct page *page = labyrinth_pool_take();

	if (page && unlikely(pfn_zone_idx(page->pfn) > hi)) {
		pool_push(page);
		page = NULL;
	}
	trace_mm(TR_POOL, NULL, 0, 0, 0, page ? page->pfn : PFN_NIL,
		 __atomic_load_n(&pool.level, __ATOMIC_RELAXED), pool.size, 0);
	return page;
}

/*
 * Process context only (it allocates, and frees what is over the size).
 * GFP_KERNEL: at the low watermark, so refilling never eats the reserve
 * below it; called by the balancer, it does not reclaim again (the
 * balancer already ran the shrinkers).
 */
unsigned long labyrinth_pool_refill(void)
{
	unsigned long added = 0;
	struct page *page;

	if (WARN_ON_ONCE(arch_in_irq()))
		return 0;
	while (__atomic_load_n(&pool.level, __ATOMIC_RELAXED) < (long)pool.size) {
		page = alloc_pages(GFP_KERNEL | __GFP_DMA32 | __GFP_NOWARN, 0);
		if (!page)
			break;
		pool_push(page);
		added++;
	}
	while (__atomic_load_n(&pool.level, __ATOMIC_RELAXED) > (long)pool.size &&
	       (page = pool_pop()))
		__free_pages(page, 0);
	__atomic_add_fetch(&pool.refills, added, __ATOMIC_RELAXED);
	return added;
}

void labyrinth_pool_reset(void)
{
	pool.head = PFN_NIL;
	pool.level = pool.lowest = 0;
	pool.size = pool.hits = pool.misses = pool.refills = 0;
}

/*
 * Prints where the pool's pages are, as runs of neighbouring pfns in stack
 * order ("[mem ...]" lines, which tools/memmap-svg.py draws). Boot only:
 * nobody else walks or pops the stack yet.
 */
static void pool_print_ranges(void)
{
	u32 pfn = (u32)pool.head;

	while (pfn != PFN_NIL) {
		u32 lo = pfn, hi = pfn, next = pfn_to_page(pfn)->next;

		/* The run goes on while the next page neighbours either end of it. */
		while (next != PFN_NIL && (next == hi + 1 || next + 1 == lo)) {
			lo = min(lo, next);
			hi = max(hi, next);
			next = pfn_to_page(next)->next;
		}
		pr_info("Labyrinth pool: [mem %#018llx-%#018llx] %u page(s)\n",
			(unsigned long long)PFN_PHYS(lo), (unsigned long long)PFN_PHYS(hi + 1) - 1,
			hi - lo + 1);
		pfn = next;
	}
}

void labyrinth_pool_init(size_t bytes)
{
	unsigned long pages = min(DIV_ROUND_UP(bytes, PAGE_SIZE), LABYRINTH_POOL_MAX_PAGES);

	pool.size = pages;
	labyrinth_pool_refill();
	pool.refills = 0;
	pool.lowest = pool.level;
	pr_info("Labyrinth pool: %lu/%lu pages (%luK) reserved for atomic callers\n",
		(unsigned long)pool.level, pages, pages << (PAGE_SHIFT - 10));
	pool_print_ranges();
}

void labyrinth_pool_stats(struct labyrinth_pool_stats *s)
{
	long level = __atomic_load_n(&pool.level, __ATOMIC_RELAXED);
	long lowest = __atomic_load_n(&pool.lowest, __ATOMIC_RELAXED);

	s->size = pool.size;
	s->level = level > 0 ? (unsigned long)level : 0;
	s->lowest = lowest > 0 ? (unsigned long)lowest : 0;
	s->hits = __atomic_load_n(&pool.hits, __ATOMIC_RELAXED);
	s->misses = __atomic_load_n(&pool.misses, __ATOMIC_RELAXED);
	s->refills = __atomic_load_n(&pool.refills, __ATOMIC_RELAXED);
}

void labyrinth_pool_stats_reset(void)
{
	__atomic_store_n(&pool.hits, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&pool.misses, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&pool.refills, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&pool.lowest, __atomic_load_n(&pool.level, __ATOMIC_RELAXED),
			 __ATOMIC_RELAXED);
}
