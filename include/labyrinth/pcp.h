/*
 * pcp.h - per-CPU page lists ("pcp", Linux's per_cpu_pages): the fast path
 * in front of the buddy allocator for order-0 pages. mm/pcp.c keeps the
 * lists (tuning, refill, drain, reports); mm/page_alloc.c calls the inline
 * fast paths below first; the struct is in mmzone.h.
 *
 * Only order 0 is cached. Orders 1-3 (Linux caches them too) would need a
 * ring per order and a drain policy per order for little gain here: the
 * hot callers (page tables, the IRQ self-test's order-0 stamps, the bench)
 * are order 0, and the Labyrinth pool holds order-0 pages only.
 *
 * Locking: a CPU's list is touched only by that CPU, with local interrupts
 * off (arch_irq_save) and no lock, so an IRQ handler may use it too (it
 * cannot interrupt the owner mid-update). Refill and drain move `batch`
 * pages between the list and the buddy under the zone lock in one go
 * (pcp_*_locked()). Another CPU's list is drained only on that CPU: by IPI
 * (drain_all_pages(), through smp_call_function() when the kernel has it),
 * or directly when that CPU is not running (drain_pages(), Linux's
 * CPU-hotplug rule). NMI handlers must not use these lists (an NMI can
 * interrupt the owner): they take from the Labyrinth pool.
 *
 * Accounting (Linux's choice, see free_pcppages_bulk/rmqueue_bulk): pages on
 * a per-CPU list are NOT in zone->free_pages (NR_FREE_PAGES). Moving a page
 * to a list is what updates the counter, under the zone lock; the fast
 * path then never writes the zone's shared cache line. Watermark checks
 * therefore see only the buddy's pages, and a list hit checks no
 * watermark (its pages passed one at refill). Conservation, checked by
 * mm_check_invariants() (mm/debug.c):
 *   pages on the buddy lists == zone->free_pages
 *   pfns in every CPU's ring == sum of pcp[cpu].count, each page PG_pcp
 *   zone_nr_free_pages(z) == zone->free_pages + sum of pcp[cpu].count
 * and nr_free_pages() sums zone_nr_free_pages(): every page a caller
 * could be given.
 */
#ifndef LABYRINTH_PCP_H
#define LABYRINTH_PCP_H

#include <labyrinth/mmzone.h>

/*
 * Global switches the allocation fast path reads in one load: any bit set
 * sends every request through the out-of-line path (mm/page_alloc.c).
 */
#define MM_HOOK_NO_PCP 1u /* per-CPU lists off (default until mm_pcp_set_enabled) */
#define MM_HOOK_FAULT 2u  /* fail_page_alloc armed (mm/fail_page_alloc.c) */
extern u32 mm_alloc_hooks;

/* Turns the per-CPU lists on or off for every CPU (off drains them all).
 * Off: every order-0 request goes to the buddy path. */
void mm_pcp_set_enabled(bool on);
bool mm_pcp_enabled(void);

/* mm_init(): size every zone's lists from its managed pages. */
void pcp_zones_init(void);
/* The zone whose list an order-0 request from cpu with highest zone hi tries
 * first: the first of its node's zonelist (mm/numa.c). Per-CPU lists are per
 * zone, so per node; only the owning CPU touches one, whatever its node. */
extern struct zone *pcp_first_zone[NR_CPUS][MAX_NR_ZONES];
/* Recomputes cpu's first zones (its node changed, or the zonelists did). */
void pcp_update_first_zones(unsigned int cpu);

/* Gives back this CPU's lists (all zones, or one) to the buddy. */
void drain_local_pages(struct zone *zone);
/* Gives back cpu's lists: cpu is this CPU or one that is not running. */
void drain_pages(unsigned int cpu);
/* Drains every CPU's lists: this CPU's directly, the others' by IPI when
 * smp_call_function() exists and interrupts are on. Returns pages freed on
 * this CPU (the others' are not counted). Never from an atomic context. */
unsigned long drain_all_pages(struct zone *zone);

/* Out-of-line halves of the fast paths (mm/pcp.c). */
struct page *pcp_alloc_refill(struct zone *zone, unsigned int hi, gfp_t gfp);
void pcp_drain_high(struct zone *zone, struct per_cpu_pages *pcp);
unsigned long pcp_alloc_bulk(struct zone *zone, unsigned int hi, unsigned long want,
			     struct page **array);

/* zoneinfo's "pagesets" block (mm/zone.c calls it). */
void pcp_show_zoneinfo(const struct zone *z);

/* Source accounting of mm/page_alloc.c (struct mm_alloc_stats, mm.h). */
void mm_count_alloc(gfp_t gfp, enum alloc_source src);
void mm_count_lock_busy(void);

/*
 * Fast path: pop this CPU's hottest page of zone, or NULL. No lock, no
 * watermark (see above), no division, no zone loop: interrupts off, one
 * ring load, one struct page store.
 */
static __always_inline struct page *pcp_alloc_fast(struct zone *zone, gfp_t gfp)
{
	unsigned long flags = arch_irq_save();
	struct per_cpu_pages *pcp = &zone->pcp[arch_cpu_id()];
	struct page *page = NULL;
	u32 n = pcp->count;

	if (likely(n)) {
		pcp->count = --n;
		page = pfn_to_page(pcp->ring[(pcp->base + n) & PCP_RING_MASK]);
		page->flags = PG_allocated; /* order is 0 already */
		pcp->hits[!(gfp & __GFP_DIRECT_RECLAIM)]++;
	}
	arch_irq_restore(flags);
	return page;
}

/*
 * Fast path: push an allocated order-0 page (the caller checked flags and
 * order) on this CPU's list of its zone, whichever CPU allocated it; past
 * `high`, `batch` cold pages go back to the buddy.
 */
static __always_inline void __pcp_free_irqs_off(struct page *page, unsigned int cpu)
{
	struct zone *zone = page_zone(page);
	struct per_cpu_pages *pcp = &zone->pcp[cpu];
	u32 n = pcp->count;

	page->flags = PG_pcp;
	pcp->ring[(pcp->base + n) & PCP_RING_MASK] = page->pfn;
	pcp->count = ++n;
	if (unlikely(n > pcp->high))
		pcp_drain_high(zone, pcp);
}

static __always_inline void pcp_free_fast(struct page *page)
{
	unsigned long flags = arch_irq_save();

	__pcp_free_irqs_off(page, arch_cpu_id());
	arch_irq_restore(flags);
}

#endif
