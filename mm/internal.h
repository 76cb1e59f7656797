/*
 * internal.h - the internals of mm/: what its files call in each other and
 * nothing outside mm/ may use. The rest of the kernel sees the API in
 * include/labyrinth/ (mm.h, gfp.h, mmzone.h, pcp.h, pool.h, exclusive.h,
 * shrinker.h, memblock.h, numa.h, trace.h, fail_page_alloc.h). White-box
 * tests (mm suites in tests/kernel/, host tests in tests/host/) include
 * "mm/internal.h" explicitly, which says what they are.
 *
 * Naming, one spelling per contract (Linux's): a leading "__" on an mm
 * function means the caller holds the zone lock (__rmqueue_smallest,
 * __free_one_page, __pcp_refill, __pcp_drain, __check_zone); there is no
 * "_locked" suffix in mm/. Names that Linux spells with "__" for other
 * reasons keep Linux's spelling and do not mean that: __free_pages,
 * __free_page, __get_free_pages, __get_free_page (Linux's public API,
 * gfp.h), __alloc_pages and __alloc_pages_slowpath (mm/page_alloc.c: the
 * core of alloc_pages() and its slow path, as in Linux; they take the zone
 * lock themselves), __zone_watermark_ok (Linux's: the check with the
 * free count given), and the __GFP_* flags.
 */
#ifndef MM_INTERNAL_H
#define MM_INTERNAL_H

#include <labyrinth/arch.h>
#include <labyrinth/gfp.h>
#include <labyrinth/mm.h>
#include <labyrinth/mmzone.h>
#include <labyrinth/pcp.h>
#include <labyrinth/spinlock.h>
#include <labyrinth/trace.h>

/* ---- the global switches of the fast paths (mm/pcp.c owns the word) ---- */

/*
 * The rare cases, one word: any bit of the low half sends every allocation
 * and free through the out-of-line path (mm/page_alloc.c), which each fast
 * path tests in one load and one branch; MM_HOOK_POOL_LOW, in the high
 * half, sends frees only. The trace bits are trace.h's (MM_HOOK_TRACE_*).
 * Written with mm_hooks_set() (atomic), on transitions only.
 */
#define MM_HOOK_NO_PCP 1u	 /* per-CPU lists off (default until mm_pcp_set_enabled) */
#define MM_HOOK_FAULT 2u	 /* fail_page_alloc armed (mm/fail_page_alloc.c) */
#define MM_HOOK_POISON 4u	 /* debug_pagealloc: poison and check (mm/debug.c) */
#define MM_HOOK_NO_DIRECT_MAP 8u /* until mm_set_direct_map(): gfp_highest_zone() decides */
/* A pool stack is below its target (mm/pool.c): read by frees only, so in
 * the high half, which allocations do not load (mm_alloc_hooks_alloc()). */
#define MM_HOOK_POOL_LOW 0x10000u
#define MM_HOOKS_ALLOC 0xffffu
/* The hooks that keep a free from going straight to the buddy. */
#define MM_HOOKS_FREE_SLOW (MM_HOOK_POISON | MM_HOOK_TRACE_FREE | MM_HOOK_POOL_LOW)
BUILD_BUG_ON(MM_HOOK_TRACE &(MM_HOOK_NO_PCP | MM_HOOK_FAULT | MM_HOOK_POISON |
			     MM_HOOK_NO_DIRECT_MAP | MM_HOOK_POOL_LOW));
BUILD_BUG_ON((MM_HOOK_TRACE | MM_HOOK_NO_PCP | MM_HOOK_FAULT | MM_HOOK_POISON |
	      MM_HOOK_NO_DIRECT_MAP) &
	     ~MM_HOOKS_ALLOC);
extern u32 mm_alloc_hooks;
/* The bits that send an allocation off the fast path: the low half of
 * mm_alloc_hooks, one 16-bit load (x86 is little-endian). */
static __always_inline u32 mm_alloc_hooks_alloc(void)
{
	return READ_ONCE(*(const u16 *)&mm_alloc_hooks);
}
static __always_inline void mm_hooks_set(u32 bits, bool on)
{
	if (on)
		__atomic_or_fetch(&mm_alloc_hooks, bits, __ATOMIC_SEQ_CST);
	else
		__atomic_and_fetch(&mm_alloc_hooks, ~bits, __ATOMIC_SEQ_CST);
}

/* ---- zones: setup (mm/zone.c, mm/numa.c) and the zone lock ---- */

void zones_init(void);
void zones_setup_watermarks(void);
void build_all_zonelists(void);
void zone_print_ranges(void);

/*
 * The zone lock is IRQ-safe: every holder has interrupts disabled (irqsave,
 * or a path that runs with interrupts off), so a handler cannot interrupt
 * its own CPU's holder, and IRQ context takes the lock like anyone else,
 * spinning (issue 14: no trylock, so no atomic NULL because the lock was
 * merely contended). lockdep= checks the rule at run time
 * (kernel/spinlock_debug.c). A plain spin here was once slow enough to
 * look like a deadlock on an oversubscribed 8-CPU QEMU guest; that was the
 * fair ticket lock waiting for descheduled vCPUs, fixed in the lock
 * (virt_spin_lock(), include/labyrinth/spinlock.h).
 */

/* ---- watermarks (mm/zone.c precomputes zone->wmark_thr) ---- */

/*
 * Linux's zone_watermark_ok() at an allocation level, under the zone lock.
 * ALLOC_NO_WATERMARKS checks nothing (Linux's get_page_from_freelist()
 * skips the check); __rmqueue() then finds a block or not.
 */
static __always_inline bool zone_watermark_ok(const struct zone *z, unsigned int order,
					      unsigned int level, unsigned int highest_zoneidx,
					      bool alloc_harder)
{
	if (level == ALLOC_NO_WATERMARKS)
		return true;
	return __zone_watermark_ok(z, order, z->wmark_thr[level][highest_zoneidx], alloc_harder,
				   (long)z->free_pages);
}

/*
 * Pages the buddy of z may still give order-0 requests at the low
 * watermark (the per-CPU refills, mm/pcp.c, and the bulk path,
 * mm/page_alloc.c: never ALLOC_HARDER, so the highatomic reserve is not
 * theirs) whose highest zone is highest_zoneidx; <= 0: none. Read under
 * the zone lock, so the answer holds until the lock is dropped.
 */
static __always_inline long zone_watermark_headroom(const struct zone *z, unsigned int level,
						    unsigned int highest_zoneidx)
{
	return (long)z->free_pages - zone_unusable_free(z, false) -
	       z->wmark_thr[level][highest_zoneidx];
}

/* ---- the boot window and debugging switches (mm/init.c, mm/debug.c) ---- */

/* One past the last pfn whose contents the kernel may touch (mm/sparse.c). */
extern unsigned long mm_mapped_limit_pfn;
/* Set by mm_set_direct_map(): all RAM is reachable at __va() (mm/page_alloc.c). */
extern bool mm_direct_map_ready;
/* debug_pagealloc: poison on free, check on allocation (mm/debug.c). */
extern bool mm_debug_poison;

/* ---- the buddy's free lists (mm/buddy.c) ---- */

/* mobility=0 (Linux's page_group_by_mobility_disabled) */
extern bool page_group_by_mobility_disabled;
void set_pageblock_migratetype(unsigned long pfn, unsigned int mt);

/*
 * The free lists' operations, zone lock held, inline here so that the
 * allocation path takes a block with no call (the buddy system's rules:
 * the comment above __rmqueue_smallest() in mm/buddy.c). Lists are doubly
 * linked through struct page's next/prev pfns. Each keeps, as its list
 * empties and fills: zone->free_mask_mt[mt] bit o (this list non-empty),
 * zone->free_mask_pcp (the per-CPU types' masks OR-ed: what a request may
 * fall back among, so the watermark check reads one word), zone->free_mask
 * bit o (any list of order o non-empty: set when a list fills, cleared when
 * one empties and nr_free, already counted down, is 0; so a take or push
 * that neither empties nor fills a list tests no count). mm/debug.c checks
 * all three against the lists.
 */

/* The list (order, mt) just emptied (area->nr_free already counted down):
 * its bits off. */
static __always_inline void free_list_emptied(struct zone *zone, unsigned int order,
					      unsigned int mt)
{
	if (!zone->free_area[order].nr_free)
		zone->free_mask &= (u16) ~(1u << order);
	zone->free_mask_mt[mt] &= (u16) ~(1u << order);
	if (mt < MIGRATE_PCPTYPES)
		zone->free_mask_pcp = zone->free_mask_mt[MIGRATE_UNMOVABLE] |
				      zone->free_mask_mt[MIGRATE_MOVABLE] |
				      zone->free_mask_mt[MIGRATE_RECLAIMABLE];
}

/* The list (order, mt) was empty and now holds a block: its bits on. */
static __always_inline void free_list_filled(struct zone *zone, unsigned int order, unsigned int mt)
{
	zone->free_mask |= (u16)(1u << order);
	zone->free_mask_mt[mt] |= (u16)(1u << order);
	if (mt < MIGRATE_PCPTYPES)
		zone->free_mask_pcp |= (u16)(1u << order);
}

static __always_inline void add_to_free_list(struct zone *zone, struct page *page, u32 pfn,
					     unsigned int order, unsigned int mt)
{
	struct free_area *area = &zone->free_area[order];
	u32 head = area->head[mt];

	page->flags = PG_buddy;
	page->order = (u8)order;
	page->buddy_mt = (u8)mt;
	page->next = head;
	page->prev = PFN_NIL;
	if (head != PFN_NIL)
		pfn_to_page(head)->prev = pfn;
	else
		free_list_filled(zone, order, mt);
	area->nr_free++;
	area->head[mt] = pfn;
}

/* Pushes onto a list the caller knows is empty: no neighbour to touch. */
static __always_inline void add_to_empty_free_list(struct zone *zone, struct page *page, u32 pfn,
						   unsigned int order, unsigned int mt)
{
	struct free_area *area = &zone->free_area[order];

	page->flags = PG_buddy;
	page->order = (u8)order;
	page->buddy_mt = (u8)mt;
	page->next = PFN_NIL;
	page->prev = PFN_NIL;
	free_list_filled(zone, order, mt);
	area->head[mt] = pfn;
	area->nr_free++;
}

static __always_inline void del_page_from_free_list(struct zone *zone, struct page *page,
						    unsigned int order)
{
	struct free_area *area = &zone->free_area[order];
	unsigned int mt = page->buddy_mt;
	u32 next = page->next, prev = page->prev;

	if (prev != PFN_NIL)
		pfn_to_page(prev)->next = next;
	else
		area->head[mt] = next;
	if (next != PFN_NIL)
		pfn_to_page(next)->prev = prev;
	area->nr_free--;
	if (area->head[mt] == PFN_NIL)
		free_list_emptied(zone, order, mt);
	page->flags = 0;
	page->buddy_mt = 0;
}

/* Linux's expand(): the halves of a block of order high above order back
 * on their (empty) lists; out of line (mm/buddy.c), off the take's path
 * when the list had a block of the wanted order. */
void expand(struct zone *zone, struct page *page, u32 pfn, unsigned int order, unsigned int high,
	    unsigned int mt);

/* Linux's __rmqueue_smallest(): the first block of the smallest non-empty
 * list of type mt and order >= order, split down to order (mm/buddy.c). */
static __always_inline struct page *rmqueue_smallest(struct zone *zone, unsigned int order,
						     unsigned int mt)
{
	unsigned int mask = zone->free_mask_mt[mt] >> order, high;
	struct free_area *area;
	struct page *page;
	u32 pfn, next;

	if (unlikely(!mask))
		return NULL;
	high = order + (unsigned int)__builtin_ctz(mask);
	area = &zone->free_area[high];
	pfn = area->head[mt];
	page = pfn_to_page(pfn);
	next = page->next;
	area->head[mt] = next;
	area->nr_free--;
	if (next != PFN_NIL)
		pfn_to_page(next)->prev = PFN_NIL;
	else
		free_list_emptied(zone, high, mt);
	if (unlikely(high > order))
		expand(zone, page, pfn, order, high, mt);
	page->flags = PG_allocated;
	page->order = (u8)order;
	page->owner = 0;
	zone->free_pages -= 1ul << order;
	return page;
}

struct page *__rmqueue_smallest(struct zone *zone, unsigned int order, unsigned int mt);
struct page *__rmqueue_steal(struct zone *zone, unsigned int order, unsigned int mt);
struct page *__rmqueue_highatomic(struct zone *zone, unsigned int order, unsigned int mt);

/*
 * Linux's __rmqueue() (+ rmqueue_buddy()'s highatomic step): a block of
 * order for an allocation of type mt. High-order atomic callers (Linux
 * 6.1's ALLOC_HARDER; `highatomic`) try the MIGRATE_HIGHATOMIC lists first;
 * when the preferred type's lists are empty, fallback and stealing
 * (mm/buddy.c). The common case, a block on the preferred list, is inline:
 * no call. Zone lock held.
 */
static __always_inline struct page *rmqueue_take(struct zone *zone, unsigned int order,
						 unsigned int mt, bool highatomic)
{
	struct page *page;

	if (unlikely(highatomic) && order)
		return __rmqueue_highatomic(zone, order, mt);
	page = rmqueue_smallest(zone, order, mt);
	if (likely(page))
		return page;
	return __rmqueue_steal(zone, order, mt);
}
/* rmqueue_take() out of line (the per-CPU refill, the bulk path). */
struct page *__rmqueue(struct zone *zone, unsigned int order, unsigned int mt, bool highatomic);
/* A block allocated at this order, freeable: what every free checks. */
static __always_inline bool page_free_ok(const struct page *page, unsigned int order)
{
	return (page->flags & PAGE_FLAGS_CHECK_AT_FREE) == PG_allocated && page->order == order;
}
/* Checked, merged, on its list; the zone lock taken here (mm/buddy.c). */
void free_one_page(struct page *page, unsigned int order);
void __free_one_page(struct zone *zone, struct page *page, unsigned long pfn, unsigned int order,
		     unsigned int mt);
void __isolate_free_page(struct zone *zone, struct page *page, unsigned int order);
bool can_steal_fallback(unsigned int order, unsigned int start_mt);
int find_suitable_fallback(const struct zone *zone, unsigned int order, unsigned int mt,
			   bool *can_steal);
unsigned long move_freepages_block(struct zone *zone, unsigned long pfn, unsigned int mt,
				   unsigned long *num_movable);
/* The highatomic reserve (Linux 6.1): take the pageblock of page after a
 * successful high-order atomic allocation (takes the zone lock); give one
 * back under pressure (force: even the last one). */
void reserve_highatomic_pageblock(struct page *page, struct zone *zone);
bool unreserve_highatomic_pageblock(struct zone *const *zl, unsigned int mt, bool force);

/* The per-CPU list a freed page of pageblock type mt goes on: its own, a
 * HIGHATOMIC one's the movable list; ISOLATE: none (to the buddy). */
extern const u8 pcp_list_of_mt[MIGRATE_TYPES];
/* Boot only (one CPU, no lock): [start_pfn, end_pfn) to the buddy. */
void free_boot_range(unsigned long start_pfn, unsigned long end_pfn);

/* ---- struct page arrays (mm/sparse.c), in mm_init()'s order ---- */

void sparse_init(void);
void mem_map_init_pages(void);

/* ---- per-CPU lists (mm/pcp.c; the rules are in include/labyrinth/pcp.h) ---- */

/* mm_init(), before mem_map_init_pages(): every zone with present pages
 * gets a list set for each of CPUs 0..pcp_nr_cpus-1 from memblock (a
 * panic if there is no room); returns the bytes reserved. */
unsigned long pcp_alloc_sets(void);
/* mm_init(), after the watermarks: size every zone's lists from its managed
 * pages, fill the per-CPU table rows. */
void pcp_zones_init(void);
/* cpu comes online (mm/numa.c:numa_add_cpu()): one beyond pcp_nr_cpus has
 * no list sets, so the lists go off for good, with a warning. */
void pcp_cpu_up(unsigned int cpu);
/* The zone whose list an order-0 request from cpu with highest zone hi tries
 * first: the first of its node's zonelist (mm/numa.c). Per-CPU lists are per
 * zone, so per node; only the owning CPU touches one, whatever its node. */
extern struct zone *pcp_first_zone[NR_CPUS][MAX_NR_ZONES];

/*
 * The fast paths' lookups, one row per CPU, so that a hit indexes instead
 * of computing zone and CPU offsets: by_gfp[gfp & PCP_GFP_MASK] is cpu's
 * list set of its first zone for that gfp's highest zone (as
 * gfp_highest_zone() once the direct map exists: MM_HOOK_NO_DIRECT_MAP
 * keeps the fast path off before), or pcp_none, whose lists are always
 * empty, for __GFP_MOVABLE|__GFP_RECLAIMABLE together (the slow path warns
 * about it); mt_of_gfp[] the same index's gfp_migratetype() (indexed
 * with the same register, no shift and mask of its own); by_zone[zone_id]
 * is cpu's list set of that zone (a free pushes there). Written by
 * mm/pcp.c when the lists are set up, when cpu's node or the zonelists
 * change, and when mobility grouping is switched (pcp_update_mobility()).
 * 512 bytes a row: the row is a shift away.
 */
#define GFP_ZONEMASK (__GFP_DMA | __GFP_HIGHMEM | __GFP_DMA32)
#define PCP_GFP_MASK (GFP_ZONEMASK | GFP_MOVABLE_MASK)
struct pcp_cpu_table {
	struct per_cpu_pages *by_gfp[PCP_GFP_MASK + 1];
	struct per_cpu_pages *by_zone[MAX_NUMNODES * MAX_NR_ZONES];
	u8 mt_of_gfp[PCP_GFP_MASK + 1];
} __aligned(512);
BUILD_BUG_ON(sizeof(struct pcp_cpu_table) != 512);
extern struct pcp_cpu_table pcp_cpu_tables[NR_CPUS];
extern struct per_cpu_pages pcp_none;
/* This CPU's row, one load (arch_this_cpu_mm(), set by pcp_zones_init()). */
static __always_inline struct pcp_cpu_table *this_cpu_pcp_table(void)
{
	return (struct pcp_cpu_table *)arch_this_cpu_mm();
}

/* page_zone_id()'s zone, one load: &node_data[nid].node_zones[idx] at
 * nid * MAX_NR_ZONES + idx (mm/numa.c; mm/zone.c fills it). */
extern struct zone *zone_by_id[MAX_NUMNODES * MAX_NR_ZONES];

/* Which zone of all: node * MAX_NR_ZONES + zone index, from the section
 * (mm/numa.c keeps its zone_id): a load, and a compare and a branch not
 * taken but for the DMA pages of section 0. */
static __always_inline unsigned int page_zone_id(const struct page *page)
{
	unsigned long pfn = page->pfn;
	unsigned int zid = mem_section[pfn >> PFN_SECTION_SHIFT].zone_id;

	if (unlikely(pfn < ZONE_DMA_END_PFN))
		zid--;
	return zid;
}
/* mm_set_direct_map(): the struct page pointers in every ring move by delta
 * with the struct page arrays (one CPU running, before SMP bring-up). */
void pcp_rebase_rings(long delta);
/* Recomputes cpu's first zones (its node changed, or the zonelists did). */
void pcp_update_first_zones(unsigned int cpu);
/* mm_set_mobility_grouping() changed gfp_migratetype(): every row's
 * mt_of_gfp[] follows. */
void pcp_update_mobility(void);

/* Out-of-line halves of the fast paths. */
struct page *pcp_alloc_refill(struct zone *zone, unsigned int order, unsigned int hi, gfp_t gfp,
			      unsigned int mt);
unsigned long pcp_alloc_bulk(struct zone *zone, unsigned int hi, unsigned int mt, unsigned long nr,
			     struct page **array, unsigned long *got);

/* zoneinfo's "pagesets" block (mm/zone.c calls it). */
void pcp_show_zoneinfo(const struct zone *z);

/*
 * Fast path: pop this CPU's hottest block of the order (<= PCP_MAX_ORDER;
 * a constant 0 on the order-0 fast path) and the gfp's type from its list
 * set for the gfp (row: this CPU's pcp_cpu_tables row), or NULL. No lock, no watermark (see pcp.h),
 * no division, no zone loop, no section lookup: interrupts off, one ring
 * load (the struct page itself), one struct page store.
 */
static __always_inline struct page *pcp_alloc_fast(struct pcp_cpu_table *row, gfp_t gfp,
						   unsigned int order)
{
	struct per_cpu_pages *pcp = row->by_gfp[gfp & PCP_GFP_MASK];
	unsigned long mt = row->mt_of_gfp[gfp & PCP_GFP_MASK];
	unsigned long flags = arch_irq_save();
	struct pcp_list *l = &pcp->lists[pcp_pindex(order, mt)];
	struct page *page = NULL;
	u32 n = l->count;

	if (likely(n)) {
		l->count = --n;
		pcp->count -= 1u << order;
		page = *pcp_ring_slot(pcp, order, (unsigned int)mt, l->base + n);
		page->flags = PG_allocated; /* page->order is the block's already */
		pcp->hits[(gfp / __GFP_DIRECT_RECLAIM) & 1]++;
	}
	arch_irq_restore(flags);
	return page;
}

/*
 * Fast path, interrupts already off: push an allocated block of order <=
 * PCP_MAX_ORDER (the caller checked flags and order) on this CPU's list of
 * its zone (row: this CPU's table row),
 * whichever CPU allocated it. Returns what is left to do: PCP_PUSHED,
 * PCP_OVER_HIGH (pushed, and the list went past `high`: `batch` cold
 * pages are to go back to the buddy, pcp_free_finish()) or PCP_ISOLATED
 * (not pushed: its pageblock is ISOLATE, the page goes to the buddy).
 */
enum pcp_push_result { PCP_PUSHED, PCP_OVER_HIGH, PCP_ISOLATED };
/* The push itself, onto list (order, mt < MIGRATE_PCPTYPES) of pcp. */
static __always_inline enum pcp_push_result
pcp_push_to(struct per_cpu_pages *pcp, unsigned int order, unsigned long mt, struct page *page)
{
	struct pcp_list *l = &pcp->lists[pcp_pindex(order, mt)];

	page->flags = PG_pcp;
	*pcp_ring_slot(pcp, order, (unsigned int)mt, l->base + l->count++) = page;
	pcp->count += 1u << order;
	return unlikely(pcp->count > pcp->high) ? PCP_OVER_HIGH : PCP_PUSHED;
}

static __always_inline enum pcp_push_result pcp_push(struct page *page, unsigned int order,
						     struct pcp_cpu_table *row)
{
	unsigned long mt = get_pfnblock_pcp_list(page->pfn);

	if (unlikely(mt >= MIGRATE_PCPTYPES))
		return PCP_ISOLATED;
	return pcp_push_to(row->by_zone[page_zone_id(page)], order, mt, page);
}

/* free_pages_bulk(), interrupts off: pushes pages[0] (a good order-0 page
 * of pcp's zone whose pageblock's list is mt) and the good pages after it
 * of the same zone and list, at most PCP_MAX_BATCH; returns how many. The
 * caller drains if count > high. */
unsigned long pcp_push_run(struct per_cpu_pages *pcp, unsigned int mt, struct page **pages,
			   unsigned long nr);

/* The rest of a push, interrupts off: the drain or the isolated block. */
void pcp_push_finish(struct page *page, unsigned int order, struct pcp_cpu_table *row,
		     enum pcp_push_result r);

/* Out of line, interrupts on: a push's rest (this CPU's list may have
 * changed since, which the drain checks again). */
void pcp_free_finish(struct page *page, unsigned int order, enum pcp_push_result r);

/* The whole free of a block of order <= PCP_MAX_ORDER: the common case
 * makes no call and needs no frame. */
static __always_inline void pcp_free_fast(struct page *page, unsigned int order)
{
	unsigned long flags = arch_irq_save();
	enum pcp_push_result r = pcp_push(page, order, this_cpu_pcp_table());

	arch_irq_restore(flags);
	if (unlikely(r != PCP_PUSHED))
		pcp_free_finish(page, order, r);
}

/* ---- allocation statistics (mm/alloc_stats.c; struct mm_alloc_stats, mm.h) ---- */

/* Per CPU; defined in mm/alloc_stats.c, here so that counting inlines. */
extern struct mm_alloc_stats mm_alloc_stats_cpu[NR_CPUS];

/*
 * Counts one allocation by its source. Inline: it is on the buddy path of
 * every allocation. An atomic add, because an IRQ handler on this CPU may
 * count concurrently.
 */
/* The same, for a caller that has this CPU's number at hand. */
static __always_inline void mm_count_alloc_on(unsigned int cpu, gfp_t gfp, enum alloc_source src)
{
	struct mm_alloc_stats *s = &mm_alloc_stats_cpu[cpu];

	__atomic_add_fetch(gfpflags_allow_blocking(gfp) ? &s->other[src] : &s->atomic[src], 1,
			   __ATOMIC_RELAXED);
}

static __always_inline void mm_count_alloc(gfp_t gfp, enum alloc_source src)
{
	mm_count_alloc_on(arch_cpu_id(), gfp, src);
}

void mm_count_failure(gfp_t gfp, bool injected);

/* ---- the Labyrinth pool (mm/pool.c) and __GFP_EXCLUSIVE (mm/exclusive.c) ---- */

/* mm_init() calls this: forget any previous pool (size 0, empty). */
void labyrinth_pool_reset(void);
/* mm/page_alloc.c's fallback: a pool page usable by a request whose highest
 * zone is hi, or NULL. */
struct page *labyrinth_pool_alloc(unsigned int hi);
/* The free paths, with an allocated order-0 page: true if the pool took it
 * (lock-free, any context). Asked only while a pool stack is below its
 * target (MM_HOOK_POOL_LOW, which mm/pool.c sets and clears). */
bool labyrinth_pool_refill_from_free(struct page *page);
static __always_inline bool pool_takes_freed_page(struct page *page)
{
	return unlikely(READ_ONCE(mm_alloc_hooks) & MM_HOOK_POOL_LOW) &&
	       labyrinth_pool_refill_from_free(page);
}

/* The zero cache (mm/zero_cache.c): its level without the lock, a take. */
extern u32 zero_cache_level;
struct page *zero_cache_take(unsigned int hi, int nid);
void zero_cache_reset(void);

/* mm_init() calls this: empty exclusive reserves, no keys, stats zeroed. */
void exclusive_reset(void);
/* alloc_pages() for __GFP_EXCLUSIVE: a zeroed block owned (and with PKS
 * keyed) for this CPU, from its reserve when order 0, or NULL. */
struct page *exclusive_alloc_pages(gfp_t gfp, unsigned int order, int nid);
/* The same for order 0 on this CPU's node: alloc_pages()'s untraced seed
 * call (no trace step recorded on its reserve hit). */
struct page *exclusive_alloc_page(gfp_t gfp);
/* On free: true if the free is over (page parked unscrubbed on this CPU's
 * dirty list, or refused and reported), false to go on (scrubbed, key 0,
 * PG_exclusive cleared). */
bool exclusive_page_release(struct page *page, unsigned int order);
/* __free_pages()'s untraced (no trace step) order-0 free by the owner of the page its CPU's
 * reserve handed out last: onto the dirty list (true), or false and nothing
 * done (exclusive_page_release() decides). */
bool exclusive_free_page_fast(struct page *page);

/* ---- reclaim (mm/reclaim.c) and failure injection (mm/fail_page_alloc.c) ---- */

/* Direct reclaim for an allocation of order with highest zone hi: enough
 * pages to lift its zones back over the low watermark. Returns progress. */
unsigned long try_to_free_pages(gfp_t gfp, unsigned int order, unsigned int hi);
/* True while this CPU is reclaiming: allocations then do not reclaim. */
bool current_is_reclaiming(void);

/* ---- compaction (mm/compaction.c; the API is compaction.h) ---- */

/* Direct compaction for a failed allocation of order: true if some zone of
 * zl now has a free block of that order. */
bool try_to_compact_pages(unsigned int order, struct zone *const *zl);
/* Ask the balancer for background compaction of zl's zones; run it. */
void wakeup_kcompactd(struct zone *const *zl, unsigned int order);
bool kcompactd_pending(void);
void kcompactd_run(void);
/* Pageblocks of a zone by type (mm/vmstat.c). */
void zone_count_pageblocks(const struct zone *z, unsigned long count[MIGRATE_TYPES]);

/* mm/page_alloc.c asks this when MM_HOOK_FAULT is set. */
bool should_fail_alloc_page(gfp_t gfp, unsigned int order);

/* ---- nodes (mm/numa.c) ---- */

/* mm_init(): the nid of every section, then the reports. */
void numa_assign_sections(void);
void numa_print_nodes(void);
/* Count a page handed out off the fast path; clear the counters. */
void numa_count_alloc(const struct page *page);
void numa_stats_clear(void);

/* ---- checks, reports, poisoning (mm/debug.c) ---- */

void mm_debug_init_done(void);
const char *page_free_bad_reason(const struct page *page, unsigned int order);
void bad_page(const struct page *page, unsigned int order, const char *reason);
void bad_pfn(unsigned long pfn, unsigned int order, const char *reason);
/* gfp as Linux's %pGg ("GFP_KERNEL|__GFP_NOWARN"); the length it needed. */
int gfp_format(char *buf, size_t size, gfp_t gfp);
void debug_poison_page_range(struct page *page, unsigned int order);
void debug_check_poison(struct page *page, unsigned int order);
void debug_verify_zero(struct page *page, unsigned int order);
void debug_poison_all_free(unsigned long from_pfn);

/* ---- tracing hooks (mm/trace.c; the switches and the ring are trace.h's) ---- */

static __always_inline bool trace_on(void)
{
	return unlikely(READ_ONCE(mm_alloc_hooks) & MM_HOOK_TRACE);
}

/* The out-of-line recorder behind every hook. */
void trace_record(enum trace_type type, const struct zone *z, unsigned int order, unsigned int x,
		  unsigned int y, unsigned long pfn, unsigned long a, unsigned long b,
		  unsigned long c);

/* Hooks: nothing but a flag test when tracing is off. */
#define trace_mm(type, z, order, x, y, pfn, a, b, c)                                \
	do {                                                                        \
		if (trace_on())                                                     \
			trace_record(type, z, order, x, y, pfn, (unsigned long)(a), \
				     (unsigned long)(b), (unsigned long)(c));       \
	} while (0)

/* After __rmqueue_smallest(), under the zone lock: which block page was
 * split from (the halves it left on the free lists say it). */
void trace_split(const struct zone *z, const struct page *page, unsigned int order);
/* After __free_one_page(), under the zone lock: which block pfn ended in. */
void trace_merge(const struct zone *z, unsigned long pfn, unsigned int order);

/* Stories (mm/page_alloc.c). */
void trace_alloc_begin(gfp_t gfp, unsigned int order, unsigned int hi);
void trace_alloc_end(const struct page *page, unsigned int order);
void trace_free_begin(const struct page *page, unsigned int order);
void trace_free_end(void);

#endif
