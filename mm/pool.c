/*
 * pool.c - the Labyrinth pool: a lock-free reserve of order-0 pages for
 * callers that cannot wait (the API and the rules are in
 * include/labyrinth/pool.h). mm/page_alloc.c decides when an allocation
 * falls back to the pool (labyrinth_pool_alloc()) and offers freed order-0
 * pages to it while it is below its size (labyrinth_pool_refill_from_free());
 * mm/reclaim.c's balancer tops it up too; __GFP_EXCLUSIVE, Labyrinth's
 * other own feature, is mm/exclusive.c's.
 *
 * In front of the stacks, one page per CPU (the per-CPU cache, below): a
 * take and a give on the same CPU swap a pointer.
 *
 * The pool is one Treiber stack per zone. A head is one 64-bit word: the top page's
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
#include <labyrinth/string.h>

#include "mm/internal.h"

/*
 * One Treiber stack per zone (by zone index, all nodes together), so that a
 * request takes only pages of zones it may use: a GFP_DMA caller only the
 * DMA stack, GFP_DMA32 the DMA32 and DMA stacks, anyone else any. Targets
 * (pool_set_targets): an eighth of the size for DMA (at least one page when
 * the size is 8 or more), the rest for DMA32; Normal's target is 0, so its
 * stack only holds what labyrinth_pool_give() was handed, until the next
 * refill trims it.
 */
struct pool_stack {
	u64 head __aligned(64); /* tag << 32 | top pfn */
	long level;		/* pages in the stack; counted before a push shows its page */
	long target;		/* pages it is meant to hold */
};

static struct pool_stack stacks[MAX_NR_ZONES];

/*
 * The sealed part (only once labyrinth_pool_set_sealer() was called, i.e.
 * with PKS: mm/exclusive.c). A page in sealed[z] is mapped at 4 KiB in the
 * direct map, tagged "nobody" (key 1), zero, and every CPU flushed its TLB
 * after the tag changed: no CPU holds a copy of its entry that allows
 * access. So retagging it for one CPU needs only that CPU's flush: the
 * seed call's way out when its CPU's exclusive reserve is empty
 * (labyrinth_pool_take_sealed()). Ordinary callers take sealed pages last
 * and get them retagged key 0, again with a local flush (the stale key-1
 * copies elsewhere fault and are retried as spurious). Sealed only in
 * process context (labyrinth_pool_refill(): the flush is an IPI); never
 * refilled from frees. Targets: half of each non-DMA zone's share, rounded
 * up; the pool's size and level count both parts.
 */
static struct pool_stack sealed[MAX_NR_ZONES];
static const struct labyrinth_pool_sealer *sealer;

/*
 * The per-CPU cache: one page per CPU in front of the stacks (issue 18),
 * so that an IRQ handler that takes a page and gives it back swaps one
 * pointer in its CPU's slot: no pfn_to_page(), no compare-exchange loop,
 * no per-zone level. A give fills this CPU's slot when it is empty, else
 * pushes onto its zone's stack; a take empties this CPU's slot first,
 * then pops the stacks, then takes another CPU's slot, then the sealed
 * part (pool_take_slow()). Every slot is exchanged with a locked
 * instruction, by its owner and by a thief alike, so a page in an idle
 * CPU's slot is never stranded: a take returns NULL only when every slot
 * it may use and every stack it may use were empty when it looked.
 *
 * A cached page is in the pool: PG_pool, counted in the hot word (level,
 * lowest and pushes stay exact) and in labyrinth_pool_held_since() and
 * labyrinth_pool_pages_in(). It is not in its stack's level: the per-zone
 * judgements (refill from free, the balancer's refill and trim,
 * MM_HOOK_POOL_LOW's clear) add the slots' pages of the zone
 * (zone_level(), a walk of NR_CPUS slots, never on the fast path). So a
 * take from a slot cannot tell whether its zone went below its target: it
 * sets MM_HOOK_POOL_LOW whenever the flag is clear (stale true costs the
 * next free one call, which clears it again). A page never moves between
 * a slot and a stack: it enters the pool by a push (counted) and leaves by
 * a take, so "no push since, a page there now" still means "there all
 * along". A slot holds a page of any zone (whatever was given): a request
 * that may not use that zone leaves it there.
 */
struct pool_cache {
	struct page *page; /* NULL, or a PG_pool order-0 page of any zone */
};

/*
 * Eight slots to a cache line, not one each: a take or a give writes the
 * hot word's line (shared by every CPU) anyway, and a slot is then one
 * scaled address from the CPU's index, no multiply.
 */
static struct pool_cache pool_cache[NR_CPUS];

/*
 * MM_HOOK_POOL_LOW (a bit of mm_alloc_hooks, mm/internal.h), set while
 * some unsealed stack is below its target: the free paths (mm/page_alloc.c)
 * then leave their fast path and offer their order-0 pages to
 * labyrinth_pool_refill_from_free(). Read on every free in the same load as
 * the other hooks. Never stale-false: a pop of an unsealed stack sets it
 * after its decrement (SEQ_CST) if it went below the target, a take from
 * a slot after its exchange whenever it is clear, and the only clear
 * (pool_clear_low()) is followed by a second look at every level and
 * slot, which sets it again if a take slipped in between. Stale true is
 * allowed and costs one call that clears it: so a push (give, refill)
 * does not clear it, the next free or the balancer does.
 */
static bool pool_low(void)
{
	return READ_ONCE(mm_alloc_hooks) & MM_HOOK_POOL_LOW;
}

/*
 * The pool's hot word, shared by every take and give in one cache line:
 * count is pushes << 32 | level, so a push counts itself and the level in
 * one atomic add (before its page can be seen: labyrinth_pool_held_since()
 * and the level never below the pages in it), and a pop its level in one
 * subtraction (after its page is gone), whose result is the level to check
 * against lowest: the exact low point of the total, both parts, with no
 * sum over the stacks. The push count is kept mod 2^32 (a NULL judged
 * "held" would need 2^32 pushes inside one allocation attempt).
 */
#define POOL_COUNT_PUSH ((1ull << 32) + 1)

static struct {
	u64 count __aligned(64); /* pushes (mod 2^32) << 32 | pages in both parts */
	u32 lowest;		 /* lowest level since init or the last mark */
	unsigned long hits, misses;
} pool_hot;

static struct {
	unsigned long size; /* sum of the targets */
	unsigned long refills_free, refills_balancer;
	unsigned long seed_hits, seed_misses, unsealed, sealed_pages;
} pool;

static __always_inline u64 pool_word(u64 old, u32 pfn)
{
	return (((old >> 32) + 1) << 32) | pfn;
}

static long stacks_level(const struct pool_stack *st)
{
	long n = 0;
	int z;

	for (z = 0; z < MAX_NR_ZONES; z++)
		n += __atomic_load_n(&st[z].level, __ATOMIC_RELAXED);
	return n;
}

/* Pages of zone z in the slots (SEQ_CST: pool_clear_low()'s second look). */
static long cached_in_zone(int z)
{
	long n = 0;

	for (unsigned int cpu = 0; cpu < NR_CPUS; cpu++) {
		struct page *page = __atomic_load_n(&pool_cache[cpu].page, __ATOMIC_SEQ_CST);

		n += page && pfn_zone_idx(page->pfn) == (enum zone_type)z;
	}
	return n;
}

/* The unsealed pages of zone z: its stack and the slots' pages of it. */
static long zone_level(int z)
{
	return __atomic_load_n(&stacks[z].level, __ATOMIC_SEQ_CST) + cached_in_zone(z);
}

static long pool_level(void) /* both parts */
{
	return (long)(u32)__atomic_load_n(&pool_hot.count, __ATOMIC_RELAXED);
}

/* Off the hot path: a pop found a new low point. */
static __noinline void pool_new_low(u32 level)
{
	u32 low = __atomic_load_n(&pool_hot.lowest, __ATOMIC_RELAXED);

	while (level < low && !__atomic_compare_exchange_n(&pool_hot.lowest, &low, level, false,
							   __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
}

static bool pool_all_full(void)
{
	int z;

	for (z = 0; z < MAX_NR_ZONES; z++)
		if (stacks[z].target && zone_level(z) < stacks[z].target)
			return false;
	return true;
}

/* The only clear of MM_HOOK_POOL_LOW: clear, then look again (see above). */
static void pool_clear_low(void)
{
	if (!pool_low() || !pool_all_full())
		return;
	mm_hooks_set(MM_HOOK_POOL_LOW, false);
	if (!pool_all_full())
		mm_hooks_set(MM_HOOK_POOL_LOW, true);
}

/* Off the hot path: an unsealed stack (or maybe a zone, a slot's page
 * taken) went below its target. */
static __noinline void pool_set_low(void)
{
	if (!pool_low())
		mm_hooks_set(MM_HOOK_POOL_LOW, true);
}

/*
 * A pool page's flags with order 0 and owner 0 (it has none) in one 32-bit
 * store: what an allocated order-0 page from the buddy allocator has
 * besides its flags (mm/buddy.c), and all labyrinth_pool_give() checks.
 */
static __always_inline void pool_page_state(struct page *page, u16 flags)
{
	u32 word = flags;

	BUILD_BUG_ON(__builtin_offsetof(struct page, order) != 2 ||
		     __builtin_offsetof(struct page, owner) != 3);
	__builtin_memcpy(page, &word, sizeof(word));
}

/*
 * The stack itself: pop and push, no statistics but the levels. plain:
 * st is a stack of stacks[] (a constant at every call, folded away).
 */
static __always_inline struct page *pool_pop(struct pool_stack *st, bool plain)
{
	u64 old = __atomic_load_n(&st->head, __ATOMIC_ACQUIRE), new;
	struct page *page;
	u32 level;

	do {
		if ((u32)old == PFN_NIL)
			return NULL;
		page = pfn_to_page((u32)old);
		new = pool_word(old, __atomic_load_n(&page->next, __ATOMIC_RELAXED));
	} while (!__atomic_compare_exchange_n(&st->head, &old, new, false, __ATOMIC_ACQ_REL,
					      __ATOMIC_ACQUIRE));
	/* Both compared before the decrement: level - 1 < x is level <= x. */
	if (plain && __atomic_fetch_sub(&st->level, 1, __ATOMIC_SEQ_CST) <= st->target &&
	    unlikely(!pool_low()))
		pool_set_low();
	else if (!plain)
		__atomic_fetch_sub(&st->level, 1, __ATOMIC_RELAXED);
	level = (u32)__atomic_fetch_sub(&pool_hot.count, 1, __ATOMIC_RELAXED);
	if (unlikely(level <= __atomic_load_n(&pool_hot.lowest, __ATOMIC_RELAXED)))
		pool_new_low(level - 1);
	__atomic_store_n(&page->next, PFN_NIL, __ATOMIC_RELAXED);
	pool_page_state(page, PG_allocated);
	return page;
}

/*
 * A push, counted before its page can be seen (labyrinth_pool_held_since()
 * and the level never below the pages in it). The caller then puts the
 * page in a slot or on a stack. A give's page is order 0 already.
 */
static __always_inline void pool_count_push(struct page *page)
{
	pool_page_state(page, PG_pool);
	__atomic_add_fetch(&pool_hot.count, POOL_COUNT_PUSH, __ATOMIC_SEQ_CST);
}

/* Onto st, which is its zone's stack of stacks[] or of sealed[]; counted. */
static __always_inline void pool_stack_push(struct pool_stack *st, struct page *page)
{
	u64 old = __atomic_load_n(&st->head, __ATOMIC_RELAXED);

	__atomic_add_fetch(&st->level, 1, __ATOMIC_RELAXED);
	do {
		__atomic_store_n(&page->next, (u32)old, __ATOMIC_RELAXED);
	} while (!__atomic_compare_exchange_n(&st->head, &old, pool_word(old, page->pfn), false,
					      __ATOMIC_RELEASE, __ATOMIC_RELAXED));
}

static __always_inline void pool_push_to(struct pool_stack *st, struct page *page)
{
	pool_count_push(page);
	pool_stack_push(st, page);
}

/* Its own zone's stack of stacks[] (pfn_zone_idx(), in two branches). */
static __always_inline struct pool_stack *zone_stack(u32 pfn)
{
	return pfn >= ZONE_DMA32_END_PFN ? &stacks[ZONE_NORMAL]
	       : pfn >= ZONE_DMA_END_PFN ? &stacks[ZONE_DMA32]
					 : &stacks[ZONE_DMA];
}

static void pool_push(struct page *page)
{
	pool_push_to(zone_stack(page->pfn), page);
}

/* A give whose slot was full: its zone's stack (the push is counted). */
static __noinline void pool_push_counted(struct page *page)
{
	pool_stack_push(zone_stack(page->pfn), page);
}

/*
 * A page of a zone at or below hi, from the highest such stack of st, or
 * NULL. plain: st is stacks (else sealed).
 */
static __always_inline struct page *stacks_pop_upto(struct pool_stack *st, unsigned int hi,
						    bool plain)
{
	struct page *page = NULL;
	int z;

	for (z = (int)min(hi, (unsigned int)MAX_NR_ZONES - 1); z >= 0 && !page; z--)
		page = pool_pop(&st[z], plain);
	return page;
}

/*
 * For an ordinary caller, once the unsealed stacks had nothing: a sealed
 * page retagged key 0 with this CPU's flush only (mm/exclusive.c), since a
 * stale key-1 copy on another CPU is a restriction, retried there as
 * spurious. Under debug_pagealloc it is then poisoned: an unsealed pool
 * page carries the poison of its free, and the check at allocation
 * (mm/page_alloc.c) expects it of every page; a sealed one holds zeros
 * instead. Out of line: the common path never comes here.
 */
static __noinline struct page *pool_pop_unsealing(unsigned int hi)
{
	struct page *page = stacks_pop_upto(sealed, hi, false);

	if (page) {
		sealer->unseal(page);
		if (unlikely(mm_debug_poison))
			debug_poison_page_range(page, 0);
		__atomic_add_fetch(&pool.unsealed, 1, __ATOMIC_RELAXED);
	}
	return page;
}

/* A page returned, from a slot or a stack: counted as a hit. */
static __always_inline struct page *pool_hit(struct page *page)
{
	__atomic_add_fetch(&pool_hot.hits, 1, __ATOMIC_RELAXED);
	pool_page_state(page, PG_allocated);
	return page;
}

/* Off the fast path: a slot's page taken at a new low point, or with
 * MM_HOOK_POOL_LOW clear (see the per-CPU cache above). */
static __noinline struct page *pool_cache_out_slow(struct page *page, u32 level)
{
	pool_new_low(level);
	pool_set_low();
	return pool_hit(page);
}

/*
 * A page out of a slot: the hot word's level after it left (the exact low
 * point, as a pop's), and the flag. The slow half is a tail call, so the
 * fast path has no frame of its own.
 */
static __always_inline struct page *pool_cache_out(struct page *page)
{
	u32 level = (u32)__atomic_fetch_sub(&pool_hot.count, 1, __ATOMIC_SEQ_CST);

	if (unlikely(level <= __atomic_load_n(&pool_hot.lowest, __ATOMIC_RELAXED) || !pool_low()))
		return pool_cache_out_slow(page, level - 1);
	return pool_hit(page);
}

/*
 * cpu's slot's page, if its zone is at or below hi (else it stays). The
 * slot may change meanwhile (its owner, another thief): the exchange takes
 * the page only if it is still the one whose zone was checked (the same
 * page back again is as good: nothing is read through it).
 */
static struct page *pool_cache_take(unsigned int cpu, unsigned int hi)
{
	struct page *page = __atomic_load_n(&pool_cache[cpu].page, __ATOMIC_ACQUIRE);

	while (page && pfn_zone_idx(page->pfn) <= hi)
		if (__atomic_compare_exchange_n(&pool_cache[cpu].page, &page, NULL, false,
						__ATOMIC_SEQ_CST, __ATOMIC_ACQUIRE))
			return page;
	return NULL;
}

/* The stacks had nothing: another CPU's slot (from the next CPU on). */
static struct page *pool_steal(unsigned int hi)
{
	unsigned int me = arch_cpu_id(), i;
	struct page *page = NULL;

	for (i = 1; i < NR_CPUS && !page; i++)
		page = pool_cache_take((me + i) % NR_CPUS, hi);
	return page;
}

/*
 * A take whose own slot had nothing it may use: the unsealed stacks
 * (highest zone first), then the other CPUs' slots, then the sealed part.
 * NULL (a miss) only when all of them were empty as it looked.
 */
static __noinline struct page *pool_take_slow(unsigned int hi)
{
	struct page *page = stacks_pop_upto(stacks, hi, true);

	if (page)
		return pool_hit(page);
	if ((page = pool_steal(hi)))
		return pool_cache_out(page);
	if ((page = pool_pop_unsealing(hi)))
		return pool_hit(page);
	__atomic_add_fetch(&pool_hot.misses, 1, __ATOMIC_RELAXED);
	return NULL;
}

/* This CPU's slot, else pool_take_slow(). */
struct page *labyrinth_pool_take(void)
{
	struct page *page =
	    __atomic_exchange_n(&pool_cache[arch_cpu_id()].page, NULL, __ATOMIC_SEQ_CST);

	if (unlikely(!page))
		return pool_take_slow(MAX_NR_ZONES - 1);
	return pool_cache_out(page);
}

/* Into this CPU's slot if it is empty, else onto its zone's stack. */
void labyrinth_pool_give(struct page *page)
{
	struct page *none = NULL;

	if (unlikely(!page || page->flags != PG_allocated || page->order)) {
		bad_page(page, page ? page->order : 0,
			 "given to the Labyrinth pool while not an allocated order-0 page");
		return;
	}
	pool_count_push(page);
	if (unlikely(!__atomic_compare_exchange_n(&pool_cache[arch_cpu_id()].page, &none, page,
						  false, __ATOMIC_SEQ_CST, __ATOMIC_RELAXED)))
		pool_push_counted(page);
}

/* Only pages of zones the request may use: a hit is a page returned. */
struct page *labyrinth_pool_alloc(unsigned int hi)
{
	struct page *page = pool_cache_take(arch_cpu_id(), hi);

	page = page ? pool_cache_out(page) : pool_take_slow(hi);

	trace_mm(TR_POOL, NULL, 0, 0, 0, page ? page->pfn : PFN_NIL, pool_level(), pool.size, 0);
	return page;
}

/*
 * The seed call's page when its CPU's exclusive reserve is empty
 * (mm/exclusive.c, any context, lock-free): a sealed page of a zone at or
 * below hi (PG_allocated, order 0, zero, key 1), or NULL when the sealed
 * part has none. The caller retags it for its CPU.
 */
struct page *labyrinth_pool_take_sealed(unsigned int hi)
{
	struct page *page = stacks_pop_upto(sealed, hi, false);

	__atomic_add_fetch(page ? &pool.seed_hits : &pool.seed_misses, 1, __ATOMIC_RELAXED);
	return page;
}

/*
 * The free paths' top-up (any context, NMI included: lock-free): an
 * allocated order-0 page (checked by the caller) whose zone's stack is
 * below its target goes there instead of back to the buddy allocator.
 */
bool labyrinth_pool_refill_from_free(struct page *page)
{
	int z = pfn_zone_idx(page->pfn);

	if (zone_level(z) >= stacks[z].target) {
		pool_clear_low();
		return false;
	}
	pool_push(page);
	__atomic_add_fetch(&pool.refills_free, 1, __ATOMIC_RELAXED);
	trace_mm(TR_POOL_REFILL, NULL, 0, 1, 0, page->pfn, pool_level(), pool.size, 0);
	return true;
}

static gfp_t zone_gfp(int z)
{
	return z == ZONE_DMA ? __GFP_DMA : z == ZONE_DMA32 ? __GFP_DMA32 : 0;
}

/*
 * Process context only (it allocates, and frees what is over the target).
 * GFP_KERNEL without __GFP_HIGH and without waking the balancer (which may
 * be the caller): the first try at low, then at most down to min
 * (gfp_to_alloc_level()); the pages below min stay the zones' own reserve.
 * Called by the balancer, it does not reclaim again (current_is_reclaiming).
 */
#define POOL_REFILL_GFP ((GFP_KERNEL & ~__GFP_KSWAPD_RECLAIM) | __GFP_NOWARN)

/*
 * Seals pages for sealed[] (process context): each fresh from the
 * allocator, zeroed, then sealer->seal() (4 KiB mapping, key 1, no flush);
 * linked through page->next while none is in the pool yet; then ONE flush
 * of every CPU (an IPI) for the whole batch, and only then pushed. If the
 * flush fails some CPU may hold a key-0 copy: the batch is unsealed and
 * freed, nothing is pushed. Returns the pages pushed.
 */
static unsigned long pool_refill_sealed(void)
{
	const struct labyrinth_pool_sealer *s = READ_ONCE(sealer);
	unsigned long n = 0;
	u32 batch = PFN_NIL, pfn;
	struct page *page;
	int z;

	for (z = 0; s && z < MAX_NR_ZONES; z++) {
		long want = sealed[z].target - __atomic_load_n(&sealed[z].level, __ATOMIC_RELAXED);

		while (want-- > 0) {
			/* zeroed here, not by __GFP_ZERO: the zero cache is not for this */
			page = alloc_pages(POOL_REFILL_GFP | zone_gfp(z), 0);
			if (page)
				memset(page_address(page), 0, PAGE_SIZE);
			if (page && !s->seal(page))
				__free_pages(page, 0);
			else if (page) {
				page->next = batch;
				batch = page->pfn;
				continue;
			}
			break;
		}
	}
	if (batch != PFN_NIL && !s->flush_all()) {
		for (; batch != PFN_NIL; batch = pfn) {
			page = pfn_to_page(batch);
			pfn = page->next;
			page->next = PFN_NIL;
			s->unseal(page);
			__free_pages(page, 0);
		}
		return 0;
	}
	for (; batch != PFN_NIL; batch = pfn, n++) {
		page = pfn_to_page(batch);
		pfn = page->next;
		pool_push_to(&sealed[pfn_zone_idx(page->pfn)], page); /* its own zone's */
	}
	__atomic_add_fetch(&pool.sealed_pages, n, __ATOMIC_RELAXED);
	return n;
}

/* The trim, the stack empty: a slot's page of zone z (not a hit). */
static struct page *pool_cache_trim(int z)
{
	for (unsigned int cpu = 0; cpu < NR_CPUS; cpu++) {
		struct page *page = __atomic_load_n(&pool_cache[cpu].page, __ATOMIC_ACQUIRE);

		if (page && pfn_zone_idx(page->pfn) == (enum zone_type)z &&
		    __atomic_compare_exchange_n(&pool_cache[cpu].page, &page, NULL, false,
						__ATOMIC_SEQ_CST, __ATOMIC_RELAXED)) {
			pool_new_low((u32)__atomic_sub_fetch(&pool_hot.count, 1, __ATOMIC_SEQ_CST));
			pool_page_state(page, PG_allocated);
			return page;
		}
	}
	return NULL;
}

/*
 * Pops what a zone's part holds above its target and frees it (plain:
 * stacks[z], whose zone's pages in the slots count too; else sealed[z]).
 */
static unsigned long pool_trim(int z, bool plain)
{
	struct pool_stack *st = plain ? &stacks[z] : &sealed[z];
	unsigned long n = 0;
	struct page *page;

	while ((plain ? zone_level(z) : __atomic_load_n(&st->level, __ATOMIC_RELAXED)) >
		   st->target &&
	       ((page = pool_pop(st, plain)) || (plain && (page = pool_cache_trim(z))))) {
		if (!plain)
			sealer->unseal(page);
		__free_pages(page, 0);
		n++;
	}
	return n;
}

unsigned long labyrinth_pool_refill(void)
{
	unsigned long added = 0, trimmed = 0;
	struct page *page;
	int z;

	if (WARN_ON_ONCE(arch_in_irq()))
		return 0;
	for (z = 0; z < MAX_NR_ZONES; z++) {
		struct pool_stack *st = &stacks[z];
		long tries = st->target;

		while (tries-- > 0 && zone_level(z) < st->target) {
			page = alloc_pages(POOL_REFILL_GFP | zone_gfp(z), 0);
			if (!page)
				break;
			pool_push(page); /* onto its own zone's stack */
			added++;
		}
	}
	added += pool_refill_sealed();
	for (z = 0; z < MAX_NR_ZONES; z++)
		trimmed += pool_trim(z, true) + pool_trim(z, false);
	pool_clear_low(); /* a push leaves a stale true to the next free or here */
	added -= min(added, trimmed);
	__atomic_add_fetch(&pool.refills_balancer, added, __ATOMIC_RELAXED);
	if (added)
		trace_mm(TR_POOL_REFILL, NULL, 0, 0, 0, PFN_NIL, pool_level(), pool.size, added);
	return added;
}

void labyrinth_pool_reset(void)
{
	int z;

	memset(pool_cache, 0, sizeof(pool_cache));
	for (z = 0; z < MAX_NR_ZONES; z++) {
		stacks[z].head = sealed[z].head = PFN_NIL;
		stacks[z].level = stacks[z].target = 0;
		sealed[z].level = sealed[z].target = 0;
	}
	sealer = NULL;
	mm_hooks_set(MM_HOOK_POOL_LOW, false);
	memset(&pool, 0, sizeof(pool));
	memset(&pool_hot, 0, sizeof(pool_hot));
}

/* With a sealer: half of each non-DMA zone's share (rounded up) sealed. */
static void pool_set_targets(unsigned long pages)
{
	long dma = pages >= 8 ? (long)pages / 8 : 0;
	int z;

	stacks[ZONE_DMA].target = dma;
	stacks[ZONE_DMA32].target = (long)pages - dma;
	stacks[ZONE_NORMAL].target = 0;
	for (z = 0; z < MAX_NR_ZONES; z++) {
		sealed[z].target = sealer && z != ZONE_DMA ? (stacks[z].target + 1) / 2 : 0;
		stacks[z].target -= sealed[z].target;
	}
	pool.size = pages;
	if (pool_all_full())
		pool_clear_low();
	else
		mm_hooks_set(MM_HOOK_POOL_LOW, true);
}

/*
 * Boot, process context, after labyrinth_pool_init(): from now on part of
 * the pool is sealed (mm/exclusive.c calls this once PKS is on every CPU).
 * Moves the targets and refills: unsealed pages over their new target go
 * back to the allocator, fresh ones are sealed.
 */
void labyrinth_pool_set_sealer(const struct labyrinth_pool_sealer *s)
{
	WRITE_ONCE(sealer, s);
	pool_set_targets(pool.size);
	labyrinth_pool_refill();
	pool.refills_balancer = 0;
	pool_hot.lowest = (u32)pool_level();
	if (!sealed[ZONE_DMA32].target && !sealed[ZONE_NORMAL].target) {
		pr_info("Labyrinth pool: no page outside DMA to seal: the exclusive seed call gets "
			"NULL whenever its CPU's reserve is empty\n");
		return;
	}
	pr_info("Labyrinth pool: %ld/%ld of its pages sealed for the seed call (4 KiB-mapped, "
		"key 1, zeroed, every CPU flushed); the exclusive seed call gets NULL only "
		"when its CPU's reserve and this sealed part are both empty\n",
		stacks_level(sealed), sealed[ZONE_DMA32].target + sealed[ZONE_NORMAL].target);
}

/*
 * Prints where the pool's pages are, as runs of neighbouring pfns in stack
 * order ("[mem ...]" lines, which tools/memmap-svg.py draws). Boot only:
 * nobody else walks or pops the stack yet.
 */
static void pool_print_ranges(const struct pool_stack *st)
{
	u32 pfn = (u32)st->head;

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
	int z;

	pool_set_targets(pages);
	labyrinth_pool_refill();
	pool.refills_balancer = 0;
	pool_hot.lowest = (u32)pool_level();
	pr_info("Labyrinth pool: %ld/%lu pages (%luK) reserved for atomic callers (DMA %ld/%ld)\n",
		pool_level(), pages, pages << (PAGE_SHIFT - 10), stacks[ZONE_DMA].level,
		stacks[ZONE_DMA].target);
	for (z = 0; z < MAX_NR_ZONES; z++)
		pool_print_ranges(&stacks[z]);
}

void labyrinth_pool_stats(struct labyrinth_pool_stats *s)
{
	long level = pool_level();
	u32 lowest = __atomic_load_n(&pool_hot.lowest, __ATOMIC_RELAXED);

	s->size = pool.size;
	s->level = level > 0 ? (unsigned long)level : 0;
	s->lowest = lowest;
	s->hits = __atomic_load_n(&pool_hot.hits, __ATOMIC_RELAXED);
	s->misses = __atomic_load_n(&pool_hot.misses, __ATOMIC_RELAXED);
	s->refills_free = __atomic_load_n(&pool.refills_free, __ATOMIC_RELAXED);
	s->refills_balancer = __atomic_load_n(&pool.refills_balancer, __ATOMIC_RELAXED);
	s->refills = s->refills_free + s->refills_balancer;
	s->pushes = __atomic_load_n(&pool_hot.count, __ATOMIC_RELAXED) >> 32;
	s->cached = 0;
	for (int z = 0; z < MAX_NR_ZONES; z++)
		s->cached += (unsigned long)cached_in_zone(z);
	s->sealed_size = 0;
	for (int z = 0; z < MAX_NR_ZONES; z++)
		s->sealed_size += (unsigned long)sealed[z].target;
	level = stacks_level(sealed);
	s->sealed_level = level > 0 ? (unsigned long)level : 0;
	s->sealed_pages = __atomic_load_n(&pool.sealed_pages, __ATOMIC_RELAXED);
	s->seed_hits = __atomic_load_n(&pool.seed_hits, __ATOMIC_RELAXED);
	s->seed_misses = __atomic_load_n(&pool.seed_misses, __ATOMIC_RELAXED);
	s->unsealed = __atomic_load_n(&pool.unsealed, __ATOMIC_RELAXED);
}

/*
 * Did a request whose highest zone is hi have a pool page all along since
 * pushes0 was read (labyrinth_pool_stats().pushes)? Every push counts
 * itself before its page can be seen, so: no push since, and a page there
 * now, means the page was there all the time (takes only take away, and
 * no page moves between a slot and a stack).
 */
static bool stacks_hold(const struct pool_stack *st, unsigned int hi)
{
	bool held = false;
	int z;

	for (z = 0; z <= (int)min(hi, (unsigned int)MAX_NR_ZONES - 1); z++)
		held |= (u32)__atomic_load_n(&st[z].head, __ATOMIC_SEQ_CST) != PFN_NIL;
	return held;
}

/* Some CPU's slot holds a page of a zone at or below hi. */
static bool cache_holds(unsigned int hi)
{
	for (unsigned int cpu = 0; cpu < NR_CPUS; cpu++) {
		struct page *page = __atomic_load_n(&pool_cache[cpu].page, __ATOMIC_SEQ_CST);

		if (page && pfn_zone_idx(page->pfn) <= hi)
			return true;
	}
	return false;
}

static bool no_push_since(unsigned long pushes0)
{
	return __atomic_load_n(&pool_hot.count, __ATOMIC_SEQ_CST) >> 32 == pushes0;
}

/* Ordinary callers take the slots' pages and the sealed ones too: all count. */
bool labyrinth_pool_held_since(unsigned long pushes0, unsigned int hi)
{
	return (cache_holds(hi) || stacks_hold(stacks, hi) || stacks_hold(sealed, hi)) &&
	       no_push_since(pushes0);
}

bool labyrinth_pool_sealed_held_since(unsigned long pushes0, unsigned int hi)
{
	return stacks_hold(sealed, hi) && no_push_since(pushes0);
}

/* Quiescent callers only (nobody pops or pushes meanwhile): walks the stack. */
unsigned long labyrinth_pool_pages_in(const struct zone *zone)
{
	long z = zone - NODE_DATA(zone->node)->node_zones;
	const struct pool_stack *st[2] = { &stacks[z], &sealed[z] };
	unsigned long n = 0;
	u32 pfn;

	for (int i = 0; i < 2; i++)
		for (pfn = (u32)__atomic_load_n(&st[i]->head, __ATOMIC_ACQUIRE); pfn != PFN_NIL;
		     pfn = pfn_to_page(pfn)->next)
			n += page_zone(pfn_to_page(pfn)) == zone;
	for (unsigned int cpu = 0; cpu < NR_CPUS; cpu++) {
		struct page *page = __atomic_load_n(&pool_cache[cpu].page, __ATOMIC_ACQUIRE);

		n += page && page_zone(page) == zone;
	}
	return n;
}

void labyrinth_pool_mark_lowest(void)
{
	__atomic_store_n(&pool_hot.lowest, (u32)pool_level(), __ATOMIC_RELAXED);
}

void labyrinth_pool_stats_reset(void)
{
	__atomic_store_n(&pool_hot.hits, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&pool_hot.misses, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&pool.refills_free, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&pool.refills_balancer, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&pool.seed_hits, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&pool.seed_misses, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&pool.unsealed, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&pool.sealed_pages, 0, __ATOMIC_RELAXED);
	labyrinth_pool_mark_lowest();
}
