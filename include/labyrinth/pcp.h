/*
 * pcp.h - per-CPU page lists ("pcp", Linux's per_cpu_pages): the fast path
 * in front of the buddy allocator for orders 0-3. mm/pcp.c keeps the
 * lists (tuning, refill, drain, reports); mm/page_alloc.c calls the inline
 * fast paths (pcp_alloc_fast(), pcp_free_fast(), in mm/internal.h) first;
 * the struct is in mmzone.h.
 *
 * One ring per order 0..PCP_MAX_ORDER (3, PAGE_ALLOC_COSTLY_ORDER) and
 * migratetype of the per-CPU lists (unmovable, movable, reclaimable), as
 * Linux 6.1's pcp->lists[order_to_pindex(migratetype, order)] (without
 * its THP list: Labyrinth has no transparent huge pages): an allocation of
 * order <= 3 pops the ring of its order and gfp_migratetype(), a free
 * pushes the block's head struct page onto the ring of its order and its
 * pageblock's type; a drain takes the coldest block of each non-empty
 * ring in turn (Linux's free_pcppages_bulk() round robin; Linux empties
 * a list before moving on, Labyrinth takes one block per list).
 *
 * Counting is Linux 6.1's, in pages: count, high and batch are pages over
 * every order. A refill of order k takes batch >> k blocks (at least 2;
 * 1 if batch is 1), as __rmqueue_pcplist(); a free that makes count >
 * high gives back max(batch, count - high) pages (a block may overshoot),
 * so count is <= high after every free. Linux 6.1 also scales the drain
 * by pcp->free_factor and frees a CPU's whole list after high-order frees
 * (free_high); Labyrinth does neither.
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
 *   pages of the blocks in every CPU's rings == sum of pcp[cpu]->count,
 *   each block's head PG_pcp with the ring's order, its tails free
 *   zone_nr_free_pages(z) == zone->free_pages + sum of pcp[cpu]->count
 * and nr_free_pages() sums zone_nr_free_pages(): every page a caller
 * could be given.
 */
#ifndef LABYRINTH_PCP_H
#define LABYRINTH_PCP_H

#include <labyrinth/mmzone.h>

/* Turns the per-CPU lists on or off for every CPU (off drains them all).
 * Off: every request of order <= 3 goes to the buddy path. */
void mm_pcp_set_enabled(bool on);
bool mm_pcp_enabled(void);

/* Before mm_init(): how many CPUs may come online (the MADT's enabled
 * processors), so that mm_init() allocates list sets for CPUs 0..n-1 only;
 * capped at NR_CPUS, which is also the default when nobody says. A CPU
 * beyond n that comes online anyway turns the lists off (mm/pcp.c). */
void mm_set_possible_cpus(unsigned int n);
/* CPUs with list sets: 0..pcp_nr_cpus-1 (mm_set_possible_cpus()). */
extern unsigned int pcp_nr_cpus;

/* Gives back this CPU's lists (all zones, or one) to the buddy. */
void drain_local_pages(struct zone *zone);
/* Gives back cpu's lists: cpu is this CPU or one that is not running. */
void drain_pages(unsigned int cpu);
/* Drains every CPU's lists: this CPU's directly, the others' by IPI when
 * smp_call_function() exists and interrupts are on. Returns pages freed on
 * this CPU (the others' are not counted). Never from an atomic context. */
unsigned long drain_all_pages(struct zone *zone);

#endif
