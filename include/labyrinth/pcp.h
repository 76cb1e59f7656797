/*
 * pcp.h - per-CPU page lists ("pcp", Linux's per_cpu_pages): the fast path
 * in front of the buddy allocator for order-0 pages. mm/pcp.c keeps the
 * lists (tuning, refill, drain, reports); mm/page_alloc.c calls the inline
 * fast paths (pcp_alloc_fast(), pcp_free_fast(), in mm/internal.h) first;
 * the struct is in mmzone.h.
 *
 * One ring per migratetype of the per-CPU lists (unmovable, movable,
 * reclaimable: Linux's MIGRATE_PCPTYPES lists): an allocation pops the ring
 * of its gfp_migratetype(), a free pushes onto the ring of its pageblock's
 * type; a drain takes from the rings in turn.
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
 * (mm/pcp.c's __pcp_refill() and __pcp_drain()). Another CPU's list is
 * drained only on that CPU: by IPI (drain_all_pages(), through
 * smp_call_function() when the kernel has it), or directly when that CPU
 * is not running (drain_pages(), Linux's CPU-hotplug rule). NMI handlers
 * must not use these lists (an NMI can interrupt the owner): they take from
 * the Labyrinth pool.
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

/* Turns the per-CPU lists on or off for every CPU (off drains them all).
 * Off: every order-0 request goes to the buddy path. */
void mm_pcp_set_enabled(bool on);
bool mm_pcp_enabled(void);

/* Gives back this CPU's lists (all zones, or one) to the buddy. */
void drain_local_pages(struct zone *zone);
/* Gives back cpu's lists: cpu is this CPU or one that is not running. */
void drain_pages(unsigned int cpu);
/* Drains every CPU's lists: this CPU's directly, the others' by IPI when
 * smp_call_function() exists and interrupts are on. Returns pages freed on
 * this CPU (the others' are not counted). Never from an atomic context. */
unsigned long drain_all_pages(struct zone *zone);

#endif
