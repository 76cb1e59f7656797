/*
 * exclusive.h - __GFP_EXCLUSIVE pages (gfp.h; mm/exclusive.c): private to
 * the allocating CPU -- with PKS, enforced by the MMU (any other CPU's
 * access, or the owner's after the free, faults with a report) -- zeroed
 * when allocated, scrubbed before anyone can reuse it once freed (parked
 * unscrubbed, key 1, on its CPU's dirty list; zeroed by the idle loop's
 * scrubber or by an allocation that finds no clean page), PG_exclusive +
 * owner CPU in their struct page. Freeing one on another CPU than its owner is reported ("BUG:
 * Bad page state", reason named) and the page left as it is, unless the
 * owner first handed it over with exclusive_page_handover().
 *
 * Labyrinth's other own allocation feature, the pool of pages for atomic
 * callers, is in include/labyrinth/pool.h.
 */
#ifndef LABYRINTH_EXCLUSIVE_H
#define LABYRINTH_EXCLUSIVE_H

#include <labyrinth/arch.h>
#include <labyrinth/mm.h>

/* The owner gives the page to new_cpu, which may then use and free it and
 * the old owner may not (with PKS: the page's key becomes new_cpu's). 0, or
 * -1 (reported) if the caller is not the owner or the page is not exclusive. */
int exclusive_page_handover(struct page *page, unsigned int new_cpu);

/* Keyed pages set apart per CPU for atomic exclusive requests (mm/exclusive.c). */
#define EXCLUSIVE_RESERVE_PAGES 32u
/* An owner's order-0 frees are parked on its CPU's dirty list, unscrubbed, up to
 * this many pages clean + dirty (above the reserve's target too: the scrubber
 * gives the excess back); only a free beyond it is scrubbed on the caller's path. */
#define EXCLUSIVE_DIRTY_MAX (2 * EXCLUSIVE_RESERVE_PAGES)

/* Boot, after smp_init(): PKS on every CPU (or the boot line saying there
 * is none), the fault handler, every online CPU's reserve filled. */
void exclusive_init(void);
/* Process context: tops every online CPU's reserve up (each CPU pushes into
 * its own, through an IPI); returns the pages added. */
unsigned int exclusive_reserve_fill(void);
/* The idle loop: tops this CPU's reserve up when below half. */
void exclusive_idle_work(void);
/* Off: idle loops stop scrubbing and refilling; it returns once the passes under way on
 * other CPUs are over (a test comparing exact free counts, like balancer_set_enabled()).
 * Process context only: never from the idle loop itself. */
void exclusive_idle_refill_set_enabled(bool on);
/* Pages of zone held in the exclusive reserves (free to mm, allocated to the
 * buddy): for an exact count of free memory; read while quiet. */
struct zone;
unsigned long exclusive_reserve_pages_in(const struct zone *zone);
/* Keyed pages in cpu's reserve now (exact on that CPU with interrupts off). */
unsigned int exclusive_reserve_level(unsigned int cpu);
/* Freed pages on cpu's dirty list, waiting for the scrubber. */
unsigned int exclusive_dirty_level(unsigned int cpu);
/* The scrubber (the idle loop runs it; any context): zeroes this CPU's
 * dirty pages into its clean reserve, each with interrupts off (those above
 * the reserve's target go back to the allocator instead); returns how many. */
unsigned int exclusive_scrub_dirty(void);
/* True when the MMU enforces exclusive pages (PKS on every CPU). */
bool exclusive_isolated(void);
/* True when the MMU keeps CPUs a and b out of each other's exclusive pages:
 * isolation on and a different key for each. With more CPUs than keys
 * (PKS has 14 for CPUs: cpu and cpu + 14 share one) a pair may share a key
 * and then each reads and writes the other's pages unreported; the boot
 * log names such pairs. */
bool exclusive_cpus_isolated(unsigned int a, unsigned int b);

struct exclusive_stats {
	unsigned long reserve_hits;    /* order-0 requests served from a reserve */
	unsigned long pool_hits;       /* reserve empty: served by the pool's sealed part */
	unsigned long reserve_empty;   /* atomic requests that found no keyed page */
	unsigned long spurious;	       /* stale restrictions flushed and retried */
	unsigned long violations;      /* accesses reported (probed or not) */
	unsigned long tables_split;    /* 4 KiB tables made splitting the direct map */
	unsigned long idle_refills;    /* pages put into reserves by idle loops */
	unsigned long bg_scrubs;       /* dirty pages zeroed by the scrubber (idle loop) */
	unsigned long bg_returns;      /* of those, above the target: back to the allocator */
	unsigned long inline_scrubs;   /* allocations that scrubbed a dirty page themselves */
	unsigned long free_scrubs;     /* frees scrubbed at once (dirty list full, order > 0) */
	unsigned int cpus_keyed;       /* CPUs with CR4.PKS and their rights set */
	unsigned int reserve[NR_CPUS]; /* clean pages in each CPU's reserve now */
	unsigned int dirty[NR_CPUS];   /* dirty pages on each CPU's list now */
};
void exclusive_get_stats(struct exclusive_stats *s);

static inline bool page_is_exclusive(const struct page *page)
{
	return (page->flags & (PG_allocated | PG_exclusive)) == (PG_allocated | PG_exclusive);
}

#endif
