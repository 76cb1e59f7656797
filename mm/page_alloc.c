/*
 * page_alloc.c - the entry points: alloc_pages() and __free_pages() and
 * their Linux relatives. A gfp mask and a node (this CPU's, or the one
 * alloc_pages_node() names) become a zonelist (which zones of which nodes,
 * in which order: mm/numa.c) and an allocation level (which watermark to
 * respect); each
 * zone is tried under its lock, taken with interrupts off so that every
 * entry point may be called from an IRQ handler.
 *
 * Who does what: the per-CPU lists are mm/pcp.c's (fast paths inline in
 * mm/internal.h); the free lists mm/buddy.c's; watermarks and zonelists
 * mm/zone.c's (the check, zone_watermark_ok(), inline in mm/internal.h);
 * the Labyrinth pool mm/pool.c's; __GFP_EXCLUSIVE mm/exclusive.c's; the
 * allocation counters mm/alloc_stats.c's; shrinkers and the balancer
 * mm/reclaim.c's; failure injection mm/fail_page_alloc.c's; bad-free
 * reports, poisoning and zeroing checks mm/debug.c's; trace=alloc/free
 * narration mm/trace.c's (the trace_* hooks here cost one flag test when
 * off).
 *
 * An allocation, in order:
 *   1. fast path (inline): order 0, no global hook set, no
 *      __GFP_THISNODE: pop this CPU's list of its first zone (on its node,
 *      or the nearest with memory) for the gfp's migratetype (mm/buddy.c).
 *      One flags test, no lock, no zone loop. Order > 0 (or order 0 with
 *      the lists off) and no other hook: alloc_pages_buddy(), this CPU's
 *      first zone at the low watermark in one call frame; a miss goes on.
 *   2. __alloc_pages(): failure injection; every zone of the zonelist at
 *      the low watermark (order 0: through its per-CPU list, refilled a
 *      batch at a time; else the buddy under the lock).
 *   3. slow path (Linux 6.6's order): wake the balancer
 *      (__GFP_KSWAPD_RECLAIM); the caller's own level (min, min/2, 3/8 of
 *      min or none: gfp_to_alloc_level()), one block at a time (a reserve
 *      page never lands on a per-CPU list; a high-order atomic success
 *      reserves its pageblock as MIGRATE_HIGHATOMIC, mm/buddy.c); GFP_ATOMIC
 *      order 0 then the Labyrinth pool; callers that may sleep: direct
 *      compaction (mm/compaction.c) for costly orders, direct reclaim and
 *      retries (giving highatomic pageblocks back), then compaction for the
 *      other orders > 0. Then NULL and a rate-limited warning.
 */
#define pr_fmt(fmt) "mm: " fmt

#include <labyrinth/compaction.h>
#include <labyrinth/fail_page_alloc.h>
#include <labyrinth/mm.h>
#include <labyrinth/mmzone.h>
#include <labyrinth/numa.h>
#include <labyrinth/pcp.h>
#include <labyrinth/printk.h>
#include <labyrinth/shrinker.h>
#include <labyrinth/string.h>
#include <labyrinth/trace.h>
#include <labyrinth/zero_cache.h>

#include "mm/internal.h"

bool mm_direct_map_ready;
static unsigned long nr_alloc_failures;

/* Direct reclaim rounds before a GFP_KERNEL allocation gives up. */
#define MAX_RECLAIM_RETRIES 4

/* ---- choosing zones and levels ---- */

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
	if (likely(mm_direct_map_ready) ||
	    (gfp & (__GFP_HIGHMEM | __GFP_ZERO | __GFP_EXCLUSIVE)) == __GFP_HIGHMEM)
		return ZONE_NORMAL;
	return ZONE_DMA32;
}

/* gfp_highest_zone() once the direct map exists: alloc_pages_buddy()'s
 * (alloc_pages() calls it only without MM_HOOK_NO_DIRECT_MAP, which
 * mm_set_direct_map() clears after setting mm_direct_map_ready). */
static __always_inline unsigned int gfp_highest_zone_mapped(gfp_t gfp)
{
	if (gfp & __GFP_DMA)
		return ZONE_DMA;
	return gfp & __GFP_DMA32 ? ZONE_DMA32 : ZONE_NORMAL;
}

/*
 * The slow path's level, as Linux 6.6 (mm/page_alloc.c) decides it:
 * gfp_to_alloc_flags() starts every slow path at ALLOC_WMARK_MIN;
 * __GFP_HIGH adds ALLOC_MIN_RESERVE (__zone_watermark_ok(): min -= min/2);
 * not being able to sleep (no __GFP_DIRECT_RECLAIM) adds ALLOC_NON_BLOCK
 * unless __GFP_NOMEMALLOC, which takes a further quarter off, but only
 * together with ALLOC_MIN_RESERVE (min -= min/4: 3/8 of min for
 * GFP_ATOMIC; GFP_NOWAIT stays at min); __gfp_pfmemalloc_flags() gives
 * __GFP_MEMALLOC ALLOC_NO_WATERMARKS unless __GFP_NOMEMALLOC. The fast
 * path (get_page_from_zonelist) is at the low watermark for every caller.
 * The table is in docs/walkthrough.md ("Which gfp reaches which level");
 * tests/host/test_gfp_levels.c walks every combination against it.
 */
static unsigned int gfp_to_alloc_level(gfp_t gfp)
{
	if ((gfp & (__GFP_MEMALLOC | __GFP_NOMEMALLOC)) == __GFP_MEMALLOC)
		return ALLOC_NO_WATERMARKS;
	if (!(gfp & __GFP_HIGH))
		return ALLOC_WMARK_MIN;
	if (!gfpflags_allow_blocking(gfp) && !(gfp & __GFP_NOMEMALLOC))
		return ALLOC_WMARK_ATOMIC;
	return ALLOC_WMARK_HIGH_RES;
}

/* Linux 6.1's ALLOC_HARDER for the highatomic reserve (gfp_alloc_harder(),
 * mm/internal.h), in the slow path only (the caller's own level). */
static __always_inline bool alloc_highatomic(gfp_t gfp, unsigned int level)
{
	return level != ALLOC_WMARK_LOW && gfp_alloc_harder(gfp);
}

/* trace=: the split and the take (mm/trace.c), zone lock held. */
static __noinline void rmqueue_trace_take(struct zone *zone, struct page *page, unsigned int order,
					  enum alloc_source src)
{
	trace_split(zone, page, order);
	trace_record(TR_TAKE, zone, order, src == ALLOC_SRC_RESERVE ? TR_SRC_RESERVE : TR_SRC_BUDDY,
		     0, page->pfn, zone->free_pages, 0, 0);
}

/* rmqueue()'s locked part under trace=: the same check and take (the take
 * out of line), narrated. Zone lock held. */
static __noinline struct page *rmqueue_traced(struct zone *zone, unsigned int order,
					      unsigned int level, unsigned int hi, gfp_t gfp,
					      bool harder)
{
	struct page *page = NULL;

	trace_record(TR_WMARK, zone, order, level, hi, PFN_NIL, zone->free_pages,
		     (unsigned long)zone->wmark_thr[level][hi],
		     (1ul << order) + (unsigned long)zone_unusable_free(zone, harder));
	if (zone_watermark_ok(zone, order, level, hi, harder))
		page = __rmqueue(zone, order, gfp_migratetype(gfp), harder);
	if (page)
		rmqueue_trace_take(zone, page, order,
				   zone->free_pages < zone->_watermark[WMARK_MIN]
				       ? ALLOC_SRC_RESERVE
				       : ALLOC_SRC_BUDDY);
	return page;
}

/*
 * One zone, one block from the buddy: the watermark check
 * (zone_watermark_ok(), mm/internal.h) and the take, under the zone lock
 * in any context (mm/internal.h says why IRQ context may spin on it).
 * Inline in its callers (one call frame less on the buddy path); the
 * trace hooks test one flag, read once, and narrate out of line
 * (rmqueue_traced()).
 */
static __always_inline struct page *rmqueue_on(unsigned int cpu, struct zone *zone,
					       unsigned int order, unsigned int level,
					       unsigned int hi, gfp_t gfp)
{
	enum alloc_source src = ALLOC_SRC_BUDDY;
	bool harder = alloc_highatomic(gfp, level);
	struct page *page = NULL;
	unsigned long flags;

	spin_lock_irqsave(&zone->lock, flags);
	if (unlikely(trace_on()))
		page = rmqueue_traced(zone, order, level, hi, gfp, harder);
	else if (zone_watermark_ok(zone, order, level, hi, harder))
		page = rmqueue_take(zone, order, gfp_migratetype(gfp), harder);
	if (page && zone->free_pages < zone->_watermark[WMARK_MIN])
		src = ALLOC_SRC_RESERVE;
	spin_unlock_irqrestore(&zone->lock, flags);
	if (!page)
		return NULL;
	mm_count_alloc_on(cpu, gfp, src);
	if (unlikely(order && harder))
		reserve_highatomic_pageblock(page, zone); /* mm/buddy.c */
	return page;
}

/* rmqueue_on() from this CPU (its allocation counters). */
static __always_inline struct page *rmqueue(struct zone *zone, unsigned int order,
					    unsigned int level, unsigned int hi, gfp_t gfp)
{
	return rmqueue_on(arch_cpu_id(), zone, order, level, hi, gfp);
}

/* Every zone of the zonelist at the low watermark; orders <= PCP_MAX_ORDER
 * through the per-CPU lists when they are on (Linux 6.1's
 * pcp_allowed_order()). */
static __always_inline struct page *get_page_from_zonelist(gfp_t gfp, unsigned int order,
							   unsigned int hi, struct zone *const *zl)
{
	bool pcp = order <= PCP_MAX_ORDER && mm_pcp_enabled();
	struct page *page;

	for (; *zl; zl++) {
		struct zone *zone = *zl;

		if (pcp)
			page = pcp_alloc_refill(zone, order, hi, gfp, gfp_migratetype(gfp));
		else
			page = rmqueue(zone, order, ALLOC_WMARK_LOW, hi, gfp);
		if (page)
			return page;
	}
	return NULL;
}

/* The caller's own level, below low: one block, never a per-CPU refill. */
static struct page *get_page_reserve(gfp_t gfp, unsigned int order, unsigned int level,
				     unsigned int hi, struct zone *const *zl)
{
	struct page *page;

	if (level == ALLOC_WMARK_LOW)
		return NULL;
	for (; *zl; zl++) {
		page = rmqueue(*zl, order, level, hi, gfp);
		if (page)
			return page;
	}
	return NULL;
}

/* The retry after reclaim or compaction: the low watermark, then the
 * caller's own level. */
static struct page *get_page_low_then_reserve(gfp_t gfp, unsigned int order, unsigned int level,
					      unsigned int hi, struct zone *const *zl)
{
	struct page *page = get_page_from_zonelist(gfp, order, hi, zl);

	return page ? page : get_page_reserve(gfp, order, level, hi, zl);
}

/* ---- the slow path ---- */

/*
 * Reports a failure unless the caller said __GFP_NOWARN, in Linux's words
 * ("mode:0xcc0(GFP_KERNEL)"), numbered from 1 among the reportable ones.
 * Rate limit: the first 10 reported failures, then every 1024th; failures
 * the caller asked to keep quiet neither print nor use up the limit (they
 * are counted in nr_alloc_failures and mm_count_failure()).
 */
static void warn_alloc(gfp_t gfp, unsigned int order, bool injected)
{
	static unsigned long nr_warnable;
	unsigned long w;
	char mode[96];

	__atomic_add_fetch(&nr_alloc_failures, 1, __ATOMIC_RELAXED);
	mm_count_failure(gfp, injected);
	if (gfp & __GFP_NOWARN)
		return;
	w = __atomic_add_fetch(&nr_warnable, 1, __ATOMIC_RELAXED);
	if (w > 10 && (w & 1023))
		return;
	gfp_format(mode, sizeof(mode), gfp);
	pr_warn("page allocation failure: order:%u, mode:%#x(%s), free:%lu%s (failure %lu)\n",
		order, gfp, mode, nr_free_pages(), injected ? " (injected)" : "", w);
}

/* GFP_ATOMIC (and __GFP_MEMALLOC without sleeping), order 0: the pool.
 * Not for __GFP_THISNODE: the pool's pages are on any node. */
static __always_inline bool may_use_pool(gfp_t gfp, unsigned int order)
{
	return !order && !gfpflags_allow_blocking(gfp) && (gfp & (__GFP_HIGH | __GFP_MEMALLOC)) &&
	       !(gfp & (__GFP_NOMEMALLOC | __GFP_THISNODE));
}

/* May sleep and reclaim: not from an interrupt, not from inside reclaim. */
static bool may_reclaim(gfp_t gfp)
{
	return gfpflags_allow_blocking(gfp) && !arch_in_irq() && !current_is_reclaiming();
}

/*
 * Direct reclaim: drain the per-CPU lists (all CPUs, by IPI), run the
 * shrinkers, retry at the low watermark and at the caller's level; give
 * up after MAX_RECLAIM_RETRIES rounds, or at once when a round freed
 * nothing.
 */
static struct page *alloc_pages_direct_reclaim(gfp_t gfp, unsigned int order, unsigned int level,
					       unsigned int hi, struct zone *const *zl)
{
	struct page *page;
	unsigned long progress;
	int round;

	for (round = 0; round < MAX_RECLAIM_RETRIES; round++) {
		progress = round ? 0 : drain_all_pages(NULL);
		trace_mm(TR_RECLAIM, NULL, order, 0, 0, PFN_NIL, round + 1, progress, 0);
		progress += try_to_free_pages(gfp, order, hi);
		page = get_page_low_then_reserve(gfp, order, level, hi, zl);
		/* Linux 6.1: pages may be held in the highatomic reserve; give a
		 * pageblock back (even the last one when nothing else helped) and
		 * retry at the caller's level, as Linux's "goto retry": even if
		 * no free page moved, the reserve no longer counts against the
		 * caller in the watermark check. */
		if (!page && unreserve_highatomic_pageblock(zl, gfp_migratetype(gfp), !progress))
			progress = 1;
		if (!page)
			page = get_page_low_then_reserve(gfp, order, level, hi, zl);
		if (page || !progress)
			return page;
	}
	return NULL;
}

/* Direct compaction (mm/compaction.c), then the same tries as reclaim. */
static struct page *alloc_pages_direct_compact(gfp_t gfp, unsigned int order, unsigned int level,
					       unsigned int hi, struct zone *const *zl)
{
	if (!try_to_compact_pages(order, zl))
		return NULL;
	return get_page_low_then_reserve(gfp, order, level, hi, zl);
}

static __noinline struct page *__alloc_pages_slowpath(gfp_t gfp, unsigned int order,
						      unsigned int hi, struct zone *const *zl)
{
	unsigned int level = gfp_to_alloc_level(gfp);
	bool costly = order > PAGE_ALLOC_COSTLY_ORDER;
	struct page *page;

	trace_mm(TR_SLOWPATH, NULL, order, level, 0, PFN_NIL, 0, 0, 0);
	if (gfp & __GFP_KSWAPD_RECLAIM) {
		if (order)
			wakeup_kcompactd(zl, order); /* background compaction */
		wakeup_balancer();
	}
	page = get_page_reserve(gfp, order, level, hi, zl);
	if (!page && may_use_pool(gfp, order)) {
		page = labyrinth_pool_alloc(hi);
		if (page)
			mm_count_alloc(gfp, ALLOC_SRC_POOL);
	}
	/* Linux's order: costly orders compact before reclaiming, others after */
	if (!page && costly && may_reclaim(gfp))
		page = alloc_pages_direct_compact(gfp, order, level, hi, zl);
	if (!page && may_reclaim(gfp))
		page = alloc_pages_direct_reclaim(gfp, order, level, hi, zl);
	if (!page && order && !costly && may_reclaim(gfp))
		page = alloc_pages_direct_compact(gfp, order, level, hi, zl);
	if (!page)
		warn_alloc(gfp, order, false);
	return page;
}

/* Everything but a per-CPU list hit, on behalf of node nid: inline in
 * alloc_pages_slow() (the buddy path: one call frame), out of line below
 * for the other callers. */
static __always_inline struct page *alloc_pages_nid(gfp_t gfp, unsigned int order, unsigned int hi,
						    int nid)
{
	struct zone *const *zl = node_zonelist(nid, gfp, hi);
	struct page *page;

	if (unlikely(order > MAX_PAGE_ORDER)) {
		WARN_ON_ONCE(!(gfp & __GFP_NOWARN));
		return NULL;
	}
	if (unlikely((gfp & GFP_MOVABLE_MASK) == GFP_MOVABLE_MASK))
		pr_warn_once("__GFP_MOVABLE|__GFP_RECLAIMABLE together: treated as unmovable\n");
	if (unlikely(READ_ONCE(mm_alloc_hooks) & MM_HOOK_FAULT) &&
	    should_fail_alloc_page(gfp, order)) {
		trace_mm(TR_FAULT, NULL, order, 0, 0, PFN_NIL, 0, 0, 0);
		warn_alloc(gfp, order, true);
		return NULL;
	}
	page = get_page_from_zonelist(gfp, order, hi, zl);
	if (unlikely(!page))
		page = __alloc_pages_slowpath(gfp, order, hi, zl);
	if (page && nr_node_ids > 1) /* one node: every page is local (mm/numa.c) */
		numa_count_alloc(page);
	return page;
}

static __noinline struct page *__alloc_pages(gfp_t gfp, unsigned int order, unsigned int hi,
					     int nid)
{
	return alloc_pages_nid(gfp, order, hi, nid);
}

/* trace=alloc: one story per allocation (mm/trace.c). */
static __noinline struct page *alloc_pages_traced(gfp_t gfp, unsigned int order, unsigned int hi,
						  int nid)
{
	struct page *page;

	trace_alloc_begin(gfp, order, hi);
	page = __alloc_pages(gfp, order, hi, nid);
	trace_alloc_end(page, order);
	return page;
}

/* Zeroing, exclusivity and the debug checks: only when asked for. */
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

/* __GFP_EXCLUSIVE: mm/exclusive.c's (this CPU's reserve of keyed pages first). */
static __noinline struct page *alloc_exclusive(gfp_t gfp, unsigned int order, u32 hooks)
{
	struct page *page;

	if (likely(!(hooks & MM_HOOK_TRACE_ALLOC)))
		return exclusive_alloc_pages(gfp, order, numa_node_id());
	trace_alloc_begin(gfp, order, gfp_highest_zone(gfp));
	page = exclusive_alloc_pages(gfp, order, numa_node_id());
	trace_alloc_end(page, order);
	return page;
}

/*
 * An order-0 __GFP_ZERO request while the zero cache holds pages
 * (mm/zero_cache.c): its page is zero already. If none is usable, the
 * normal path, zeroing as usual. Under trace=alloc, one story either way.
 */
static __noinline struct page *alloc_page_zeroed(gfp_t gfp, unsigned int hi, u32 hooks)
{
	bool traced = hooks & MM_HOOK_TRACE_ALLOC;
	struct page *page;

	if (traced)
		trace_alloc_begin(gfp, 0, hi);
	page = zero_cache_take(hi, numa_node_id()); /* a local page, as the fast path */
	if (!page) {
		page = __alloc_pages(gfp, 0, hi, numa_node_id());
		if (page)
			prep_new_page_slow(page, 0, gfp);
	}
	if (traced)
		trace_alloc_end(page, 0);
	return page;
}

/*
 * Everything alloc_pages() does but a per-CPU list hit: the zero cache,
 * __GFP_EXCLUSIVE, __GFP_ZERO and poisoning (prepared after the take),
 * tracing, __GFP_THISNODE, orders > 0 (1-3 from the per-CPU lists), a miss.
 */
static __noinline struct page *alloc_pages_slow(gfp_t gfp, unsigned int order, u32 hooks)
{
	unsigned int hi = gfp_highest_zone(gfp);
	struct page *page = NULL;

	if (unlikely((gfp & (__GFP_ZERO | __GFP_EXCLUSIVE | __GFP_THISNODE)) == __GFP_ZERO) &&
	    !order && READ_ONCE(zero_cache_level) && !(hooks & (MM_HOOK_POISON | MM_HOOK_FAULT)))
		return alloc_page_zeroed(gfp, hi, hooks);
	if (unlikely(gfp & __GFP_EXCLUSIVE)) /* its own source and preparation */
		return alloc_exclusive(gfp, order, hooks);
	/* A __GFP_ZERO request of order <= 3 still takes its block from a list */
	if (order <= PCP_MAX_ORDER && !((hooks & MM_HOOKS_ALLOC) | (gfp & __GFP_THISNODE)))
		page = pcp_alloc_fast(this_cpu_pcp_table(), gfp, order);
	if (page)
		;
	else if (unlikely(hooks & MM_HOOK_TRACE_ALLOC))
		page = alloc_pages_traced(gfp, order, hi, numa_node_id());
	else
		page = alloc_pages_nid(gfp, order, hi, numa_node_id());
	if (unlikely((gfp & __GFP_ZERO) || mm_debug_poison) && page)
		prep_new_page_slow(page, order, gfp);
	return page;
}

/*
 * The buddy path's common case in one call frame: order > 0, or order 0
 * with the per-CPU lists off; no hook but that one; no __GFP_ZERO,
 * __GFP_THISNODE or __GFP_EXCLUSIVE (alloc_pages() tested all that). The
 * first try of get_page_from_zonelist(): this CPU's first zone for the
 * gfp's highest zone (mm/pcp.c keeps it: the zonelist's first), at the low
 * watermark. Anything else, a miss included, is alloc_pages_slow()'s,
 * which starts over with the whole zonelist.
 */
static __noinline struct page *alloc_pages_buddy(gfp_t gfp, unsigned int order, u32 hooks)
{
	unsigned int hi = gfp_highest_zone_mapped(gfp), cpu;
	struct page *page;

	if (likely(order <= MAX_PAGE_ORDER && (gfp & GFP_MOVABLE_MASK) != GFP_MOVABLE_MASK)) {
		cpu = arch_cpu_id(); /* no preemption: this CPU's until we return */
		page = rmqueue_on(cpu, pcp_first_zone[cpu][hi], order, ALLOC_WMARK_LOW, hi, gfp);
		if (likely(page)) {
			if (nr_node_ids > 1) /* one node: every page is local */
				numa_count_alloc(page);
			return page;
		}
	}
	return alloc_pages_slow(gfp, order, hooks);
}

/*
 * The fast path is one test of the gfp bits, the order and every rare
 * case at once (mm_alloc_hooks: lists off, failure injection, poisoning,
 * tracing, no direct map yet; not the pool's bit, which only frees
 * read), then a pop from this CPU's list: its list set comes from one
 * table row indexed by the gfp's zone bits (pcp_cpu_tables). Orders 1-3
 * pop from their own lists the same way, tested after order 0.
 */
struct page *alloc_pages(gfp_t gfp, unsigned int order)
{
	u32 hooks = mm_alloc_hooks_alloc();
	struct page *page;

	if (likely(!(order | hooks | (gfp & (__GFP_ZERO | __GFP_THISNODE | __GFP_EXCLUSIVE))))) {
		page = pcp_alloc_fast(this_cpu_pcp_table(), gfp, 0);
		if (likely(page))
			return page;
	} else if (order <= PCP_MAX_ORDER &&
		   !(hooks | (gfp & (__GFP_ZERO | __GFP_THISNODE | __GFP_EXCLUSIVE)))) {
		/* orders 1-3: the same pop, out of the order-0 path's way */
		page = pcp_alloc_fast(this_cpu_pcp_table(), gfp, order);
		if (likely(page))
			return page;
	} else if (!((hooks & ~MM_HOOK_NO_PCP) |
		     (gfp & (__GFP_ZERO | __GFP_THISNODE | __GFP_EXCLUSIVE)))) {
		return alloc_pages_buddy(gfp, order, hooks); /* order > 0, or lists off */
	} else if ((gfp & __GFP_EXCLUSIVE) && !(order | (hooks & MM_HOOK_TRACE_ALLOC))) {
		return exclusive_alloc_page(gfp); /* the seed call (mm/exclusive.c) */
	}
	return alloc_pages_slow(gfp, order, hooks);
}

/*
 * Node nid's zonelist instead of this CPU's node's: its zones first, then
 * the nearest nodes; with __GFP_THISNODE its zones only (NULL rather than
 * another node's page). No per-CPU fast path: this CPU's list of nid's
 * zone is still used, through the refill path (pcp_alloc_refill).
 */
struct page *alloc_pages_node(int nid, gfp_t gfp, unsigned int order)
{
	struct page *page;

	if (nid == NUMA_NO_NODE)
		nid = numa_node_id();
	if (unlikely(nid < 0 || nid >= nr_node_ids)) {
		WARN_ON_ONCE(!(gfp & __GFP_NOWARN));
		return NULL;
	}
	if ((nid == numa_node_id() && !(gfp & __GFP_THISNODE)) || (gfp & __GFP_EXCLUSIVE))
		return alloc_pages(gfp, order); /* exclusive: this CPU's reserve first */
	if (unlikely(READ_ONCE(mm_alloc_hooks) & MM_HOOK_TRACE_ALLOC))
		page = alloc_pages_traced(gfp, order, gfp_highest_zone(gfp), nid);
	else
		page = __alloc_pages(gfp, order, gfp_highest_zone(gfp), nid);
	if (unlikely((gfp & (__GFP_ZERO | __GFP_EXCLUSIVE)) || mm_debug_poison) && page)
		prep_new_page_slow(page, order, gfp);
	return page;
}

/* ---- bulk ---- */

/* Takes up to want order-0 pages from one zone's buddy at the low watermark. */
static unsigned long bulk_from_zone(struct zone *zone, unsigned int hi, gfp_t gfp,
				    unsigned long want, struct page **out)
{
	unsigned long flags, got = 0;
	long room;

	spin_lock_irqsave(&zone->lock, flags);
	room = zone_watermark_headroom(zone, ALLOC_WMARK_LOW, hi);
	for (; got < want && (long)got < room; got++) {
		out[got] = __rmqueue(zone, 0, gfp_migratetype(gfp), false);
		if (!out[got])
			break;
	}
	spin_unlock_irqrestore(&zone->lock, flags);
	return got;
}

/* The buddy path of alloc_pages_bulk: one lock round per zone and chunk. */
static unsigned long bulk_from_buddy(gfp_t gfp, unsigned long nr_pages, struct page **page_array,
				     unsigned long filled)
{
	struct page *batch[64];
	unsigned long i = 0, want, got, k;
	unsigned int hi = gfp_highest_zone(gfp);
	struct zone *const *zl = node_zonelist(numa_node_id(), gfp, hi);

	while (filled < nr_pages && *zl) {
		want = min(nr_pages - filled, (unsigned long)ARRAY_SIZE(batch));
		got = bulk_from_zone(*zl, hi, gfp, want, batch);
		for (k = 0; k < got; k++) {
			while (page_array[i])
				i++;
			page_array[i] = batch[k];
		}
		filled += got;
		if (got < want)
			zl++;
	}
	return filled;
}

/* Bulk that needs each page prepared (zeroed, exclusive, poison-checked):
 * page by page at the low watermark. */
static unsigned long bulk_prepped(gfp_t gfp, unsigned long nr_pages, struct page **page_array,
				  unsigned long filled)
{
	unsigned int hi = gfp_highest_zone(gfp);
	struct zone *const *zl = node_zonelist(numa_node_id(), gfp, hi);
	unsigned long k;

	for (k = 0; k < nr_pages && filled < nr_pages; k++) {
		if (page_array[k])
			continue;
		if (gfp & __GFP_EXCLUSIVE) { /* mm/exclusive.c prepares its own */
			page_array[k] = exclusive_alloc_pages(gfp, 0, numa_node_id());
			if (!page_array[k])
				break;
			filled++;
			continue;
		}
		page_array[k] = get_page_from_zonelist(gfp, 0, hi, zl);
		if (!page_array[k])
			break;
		prep_new_page_slow(page_array[k], 0, gfp);
		filled++;
	}
	return filled;
}

/* The slots of page_array[0, nr) that hold a page. */
static unsigned long bulk_count_filled(unsigned long nr, struct page *const *page_array)
{
	unsigned long k, filled = 0;

	for (k = 0; k < nr; k++)
		filled += page_array[k] != NULL;
	return filled;
}

/*
 * Fills the NULL slots of page_array with order-0 pages and returns how
 * many slots are filled (Linux's alloc_pages_bulk). With the per-CPU lists
 * on: from this CPU's list of the first zone, refilled in batches; then
 * the buddy of every zone, one lock round per zone and chunk. If that
 * gives nothing at all, one try through alloc_pages() (reserves, pool,
 * reclaim). Failure injection decides once per call, as Linux's.
 *
 * The common case (lists on, nothing to prepare, no failure injection)
 * walks the array once, in pcp_alloc_bulk(): when it reaches the end,
 * every slot is filled and nothing is counted (Linux's loop skips the
 * filled slots the same way); only a shortfall counts the slots.
 */
unsigned long alloc_pages_bulk(gfp_t gfp, unsigned long nr_pages, struct page **page_array)
{
	unsigned long filled, k, before, got = 0;
	unsigned int hi = gfp_highest_zone(gfp);
	u32 hooks = READ_ONCE(mm_alloc_hooks);
	bool prep = (gfp & (__GFP_ZERO | __GFP_EXCLUSIVE)) || mm_debug_poison;

	if (likely(!(hooks & (MM_HOOK_NO_PCP | MM_HOOK_FAULT)) && !prep) &&
	    pcp_alloc_bulk(pcp_first_zone[arch_cpu_id()][hi], hi, gfp_migratetype(gfp), nr_pages,
			   page_array, &got) == nr_pages)
		return nr_pages;
	filled = bulk_count_filled(nr_pages, page_array);
	if (filled == nr_pages)
		return filled;
	before = filled - got; /* got: the per-CPU list's pages, if it was tried */
	if (unlikely(hooks & MM_HOOK_FAULT) && should_fail_alloc_page(gfp, 0)) {
		warn_alloc(gfp, 0, true);
		return filled;
	}
	if (unlikely(prep)) {
		filled = bulk_prepped(gfp, nr_pages, page_array, filled);
	} else {
		if ((hooks & (MM_HOOK_NO_PCP | MM_HOOK_FAULT)) == MM_HOOK_FAULT) {
			/* the injection said no failure: the lists' turn now */
			pcp_alloc_bulk(pcp_first_zone[arch_cpu_id()][hi], hi, gfp_migratetype(gfp),
				       nr_pages, page_array, &got);
			filled += got;
		}
		if (filled < nr_pages)
			filled = bulk_from_buddy(gfp, nr_pages, page_array, filled);
	}
	if (filled == before) {
		for (k = 0; page_array[k]; k++)
			;
		page_array[k] = alloc_pages(gfp, 0);
		filled += page_array[k] != NULL;
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

/* ---- freeing ---- */

/* Everything but the plain order-0 free to a per-CPU list. */
static __noinline void free_pages_slow(struct page *page, unsigned int order)
{
	if (unlikely(order > MAX_PAGE_ORDER || !page)) {
		bad_page(page, order, page ? "bad order" : "NULL page");
		return;
	}
	if ((page->flags & PG_exclusive) && exclusive_page_release(page, order))
		return; /* kept scrubbed in a reserve, or refused and reported */
	if (unlikely(mm_debug_poison) && page_free_ok(page, order))
		debug_poison_page_range(page, order);
	if (!order && page_free_ok(page, 0) && pool_takes_freed_page(page))
		return;
	if (order <= PCP_MAX_ORDER && mm_pcp_enabled() && page_free_ok(page, order)) {
		trace_mm(TR_PCP_FREE, page_zone(page), order, 0, 0, page->pfn,
			 this_cpu_pcp_table()->by_zone[page_zone_id(page)]->count + (1u << order),
			 this_cpu_pcp_table()->by_zone[page_zone_id(page)]->high, 0);
		pcp_free_fast(page, order);
	} else {
		free_one_page(page, order);
	}
}

/* __free_pages() of a plain block of order 1-3: to this CPU's list. */
static __noinline void free_pages_pcp(struct page *page, unsigned int order)
{
	pcp_free_fast(page, order);
}

/* trace=free: one story per free (mm/trace.c). */
static __noinline void free_pages_traced(struct page *page, unsigned int order)
{
	trace_free_begin(page, order);
	free_pages_slow(page, order);
	trace_free_end();
}

/*
 * The fast path: one test of the order and every rare case (mm_alloc_hooks:
 * lists off, poisoning, tracing, the pool wanting pages, ...), one of the
 * page's flags, then a push on this CPU's list of the page's zone.
 */
void __free_pages(struct page *page, unsigned int order)
{
	u32 hooks = READ_ONCE(mm_alloc_hooks);

	if (likely(page && !(order | hooks) && page->flags == PG_allocated && !page->order)) {
		pcp_free_fast(page, 0);
		return;
	}
	/* orders 1-3: the same push, out of line (no frame for order 0) */
	if (page && order <= PCP_MAX_ORDER && !hooks && page->flags == PG_allocated &&
	    page->order == order) {
		free_pages_pcp(page, order);
		return;
	}
	/* Straight to the buddy (mm/buddy.c, which checks the page): order >
	 * 0, or order 0 with the lists off, when no hook wants the page
	 * (poisoning, tracing, the pool) and it is not exclusive. */
	if (likely(page && order <= MAX_PAGE_ORDER && !(hooks & MM_HOOKS_FREE_SLOW) &&
		   (order || (hooks & MM_HOOK_NO_PCP)) && !(page->flags & PG_exclusive))) {
		free_one_page(page, order);
		return;
	}
	/* the seed call's free: onto the owner's dirty list (mm/exclusive.c) */
	if (page && (page->flags & PG_exclusive) && !(order | (hooks & MM_HOOK_TRACE_FREE)) &&
	    exclusive_free_page_fast(page))
		return;
	if (unlikely(hooks & MM_HOOK_TRACE_FREE))
		free_pages_traced(page, order);
	else
		free_pages_slow(page, order);
}

/*
 * The bulk counterpart of __free_pages()'s fast path: every page that the
 * fast path would take goes onto this CPU's list with interrupts saved and
 * restored once; any other page (tracing or poisoning on, a bad free, lists
 * off) takes the full __free_pages() path, which reports what is wrong.
 * Consecutive pages of one zone and list (a bulk allocation's usually
 * are) are pushed as one run (pcp_push_run(), mm/pcp.c), the list's
 * counts in registers, `high` checked once after the run (Linux 6.1's
 * free_unref_page_list() checks it per page: the drain is the same, at
 * most a run later).
 */
void free_pages_bulk(unsigned long nr, struct page **pages)
{
	unsigned long flags, i = 0, mt;
	struct per_cpu_pages *pcp;
	struct pcp_cpu_table *row;

	if (unlikely(READ_ONCE(mm_alloc_hooks))) { /* the pool wants pages too */
		for (i = 0; i < nr; i++)
			__free_pages(pages[i], 0);
		return;
	}
	flags = arch_irq_save();
	row = this_cpu_pcp_table();
	while (i < nr) {
		struct page *page = pages[i];

		if (unlikely(!page || page->flags != PG_allocated || page->order)) {
			__free_pages(page, 0); /* reports it; takes its own irq save */
			i++;
			continue;
		}
		pcp = row->by_zone[page_zone_id(page)];
		mt = get_pfnblock_pcp_list(page->pfn);
		if (unlikely(mt >= MIGRATE_PCPTYPES)) {
			pcp_push_finish(page, 0, row, PCP_ISOLATED);
			i++;
			continue;
		}
		/* page and the good pages after it in its pageblock */
		i += pcp_push_run(pcp, (unsigned int)mt, pages + i, nr - i);
		if (pcp->count > pcp->high)
			pcp_push_finish(page, 0, row, PCP_OVER_HIGH);
	}
	arch_irq_restore(flags);
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
