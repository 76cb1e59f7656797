/*
 * gfp.h - allocation flags ("get free pages") with Linux's names and meanings.
 *
 * A gfp mask says three things about an allocation:
 *   1. which zones it may use (the zone modifiers __GFP_DMA, __GFP_DMA32,
 *      __GFP_HIGHMEM; none means "any zone": Normal -> DMA32 -> DMA);
 *   2. how deep into the reserves below the watermarks it may dig
 *      (__GFP_HIGH, whether it may sleep, __GFP_MEMALLOC);
 *   3. what to do with the page (__GFP_ZERO, __GFP_NOWARN, __GFP_EXCLUSIVE).
 *
 * The watermark a caller must leave above it in the slow path, as Linux 6.6
 * (mm/page_alloc.c, gfp_to_alloc_level; the full table of every
 * combination is in docs/walkthrough.md, section 7):
 *   GFP_KERNEL            the min watermark, after waking the balancer;
 *                         below it, direct reclaim (mm/reclaim.c: drain the
 *                         per-CPU lists, run the shrinkers) and retries,
 *                         then NULL + a warning
 *   GFP_NOWAIT            the min watermark: no reclaim
 *   __GFP_HIGH (sleeping) half of min (also __GFP_HIGH | __GFP_NOMEMALLOC)
 *   GFP_ATOMIC            3/8 of min (__GFP_HIGH halves min, not being able
 *                         to sleep takes a further quarter off: Linux's
 *                         rule); then, order 0, the Labyrinth pool; never
 *                         reclaims
 *   __GFP_MEMALLOC        no watermark at all, unless __GFP_NOMEMALLOC
 * Every caller first tries every zone of its zonelist at the low watermark
 * (order 0: this CPU's per-CPU list first, mm/pcp.c); then the slow path at
 * its own level. Failure injection (fail_page_alloc.h) may fail any
 * allocation that cannot sleep.
 *
 * __GFP_HIGHMEM: x86_64 has no HighMem zone, but until the direct map exists
 * (mm_set_direct_map()), RAM above 4 GiB is exactly what HighMem was on i386:
 * memory the kernel cannot address. Until then ZONE_NORMAL is only handed to
 * callers that pass __GFP_HIGHMEM (promising not to touch the contents);
 * afterwards the flag is a no-op, as on Linux/x86_64.
 *
 * __GFP_EXCLUSIVE (Labyrinth's own; mm/exclusive.c, exclusive.h): the page
 * is private to the CPU that asked, and the MMU says so where it can. The
 * seed call, from any context (an interrupt handler included):
 *
 *         struct page *page = alloc_page(GFP_ATOMIC | __GFP_EXCLUSIVE);
 *
 * On a Cortex-M the same wish is one MPU region made privileged-only: the
 * region's attributes say who may touch it, and any other access faults.
 * x86_64 has no MPU, and the kernel reaches all RAM through one direct map,
 * so "supervisor-only" protects nothing from other kernel code. Protection
 * keys for supervisor pages (PKS) add what the MPU analogy needs: a 4-bit
 * key in the page's direct-map entry and, per CPU, an IA32_PKRS register
 * saying which keys that CPU may use -- rights per CPU, changed without a
 * TLB flush. Key 0 is ordinary memory, key 1 nobody's, keys 2..15 one per
 * CPU (shared as cpu % 14 + 2 beyond 14 CPUs: those CPUs are then not
 * isolated from each other). The path of the seed call:
 *   1. alloc_pages() sees __GFP_EXCLUSIVE, order 0, untraced, and goes to
 *      exclusive_alloc_page(): it pops this CPU's clean reserve of key-1
 *      pages with interrupts off (no lock, no IPI, no other CPU involved);
 *   2. in the same interrupt-off stretch the page's direct-map entry gets
 *      this CPU's key, and this CPU's TLB entry for it is invalidated
 *      (INVLPG): now only this CPU may touch it;
 *   3. it is zero: a key-1 page in the clean reserve was zeroed before it
 *      got there and nobody can write it since (without PKS it is zeroed
 *      here; with more than 14 CPUs, two CPUs that share a PKS key are not
 *      isolated from each other, and a stale TLB entry of the one can reach
 *      the other's page: the boot log names those pairs);
 *   4. struct page: PG_allocated | PG_exclusive, owner = this CPU.
 * Another CPU's read or write now faults: "exclusive page pfn 0x7f4e
 * (owner CPU 1) touched by CPU 2 at <symbol+off>", then the fault goes on as
 * any kernel fault (a probe survives it, anything else is an oops).
 * exclusive_page_handover(page, cpu) gives the page the other CPU's key:
 * the old owner faults from then on.
 *
 * Freeing: the zero-page thread's design (Windows' MmZeroPageThread and its
 * zeroed page list; Zircon also zeroes free pages in the background).
 * __free_page() by the owner does not scrub: it gives the page key 1
 * (nobody: the old owner faults on it from then on; INVLPG here only, since
 * other CPUs' stale entries are stricter) and parks it on this CPU's dirty
 * list. The page leaves that list only through a scrub: the idle loop's
 * scrubber (exclusive_scrub_dirty(): retag to this CPU's key with
 * interrupts off, zero, key 1 again, into the clean reserve), or an
 * allocation that finds no clean page, which scrubs one dirty page itself (bounded: one page; counted as an inline
 * scrub). So the seed call's pair costs the caller no scrub while the CPU
 * has idle time to scrub in (an AP: the boot CPU runs no idle loop in this
 * kernel, so its dirty pages are scrubbed inline); a CPU at 100% pays the scrub inside its
 * allocations instead (make bench-qemu reports both). A free above the
 * reserve's target (clean + dirty = EXCLUSIVE_RESERVE_PAGES) is parked dirty
 * all the same, up to EXCLUSIVE_DIRTY_MAX, and the scrubber gives the excess
 * back to the allocator, zeroed, key 0; a free beyond that, or of order > 0,
 * is scrubbed at once and goes back to the allocator with key 0: whoever
 * gets it next, exclusive or not, finds zeroes. A free on another
 * CPU is reported ("BUG: Bad page state ... exclusive page freed by another
 * CPU (no hand-over)") and the page left intact; a second free is a
 * "double free". Once back with the allocator it is an ordinary page: a
 * late touch by the old owner is no longer caught.
 *
 * The seed call's order of sources: this CPU's clean reserve; then one of
 * this CPU's dirty pages, scrubbed inline; then (PKS, atomic) the Labyrinth
 * pool's sealed part (mm/pool.c): pages sealed ahead, in process context
 * (4 KiB-mapped, zeroed, key 1, every CPU's TLB flushed), so the same local
 * retag makes one this CPU's -- last, since it is the reserve for pressure
 * and only the balancer refills it; then NULL (atomic, PKS) or the
 * allocator. For order > 0 an atomic request gets NULL (keying a fresh page
 * needs every CPU's TLB flushed, an IPI); one that may sleep keys a fresh
 * block (without PKS the pool has nothing to seal and both take the
 * ordinary path, Labyrinth pool included: a zeroed page, not isolated).
 * The reserves are set apart at boot (EXCLUSIVE_RESERVE_PAGES per CPU) and
 * refilled by frees (dirty) and by each CPU's idle loop (scrubbed; topped
 * up from the allocator below half), so memory pressure on the zones does
 * not reach them. Without PKS (boot line "exclusive: no PKS on this CPU;
 * ..."): the same zeroing, scrubbing and bookkeeping, no isolation (a dirty
 * page is then readable by its old owner: it is only never handed out
 * unscrubbed).
 */
#ifndef LABYRINTH_GFP_H
#define LABYRINTH_GFP_H

#include <labyrinth/types.h>

typedef unsigned int gfp_t;

/* Zone modifiers (at most one of DMA/DMA32). */
#define __GFP_DMA 0x01u
#define __GFP_HIGHMEM 0x02u
#define __GFP_DMA32 0x04u
#define GFP_ZONEMASK (__GFP_DMA | __GFP_HIGHMEM | __GFP_DMA32)

/*
 * Mobility (Linux's values and rule, gfp_migratetype()): which pageblocks
 * an allocation belongs in (mmzone.h's migratetypes). None: unmovable.
 * __GFP_MOVABLE: the owner can move the page (mm/pagecache.c, compaction);
 * __GFP_RECLAIMABLE: the owner can free it on demand (shrinkers). Both at
 * once is a bug (Linux's VM_WARN_ON): warned once, treated as unmovable.
 */
#define __GFP_MOVABLE 0x08u
#define __GFP_RECLAIMABLE 0x10u
#define GFP_MOVABLE_MASK (__GFP_RECLAIMABLE | __GFP_MOVABLE)
#define GFP_MOVABLE_SHIFT 3

/* Reserves and reclaim. */
#define __GFP_HIGH 0x20u /* important: may use half of the min reserve */
#define __GFP_IO 0x40u
#define __GFP_FS 0x80u
#define __GFP_DIRECT_RECLAIM 0x400u /* may sleep and reclaim */
#define __GFP_KSWAPD_RECLAIM 0x800u /* may wake the background balancer */
#define __GFP_RECLAIM (__GFP_DIRECT_RECLAIM | __GFP_KSWAPD_RECLAIM)
#define __GFP_MEMALLOC 0x20000u	  /* ignore watermarks entirely */
#define __GFP_NOMEMALLOC 0x80000u /* never the emergency reserves: beats MEMALLOC */

/* Actions. */
#define __GFP_NOWARN 0x2000u	   /* no allocation-failure report */
#define __GFP_ZERO 0x100u	   /* return zeroed memory */
#define __GFP_EXCLUSIVE 0x1000000u /* Labyrinth: private page, see above */

/* Placement (numa.h): only the requested node's zones, no fallback to others. */
#define __GFP_THISNODE 0x200000u

#define GFP_ATOMIC (__GFP_HIGH | __GFP_KSWAPD_RECLAIM)
#define GFP_KERNEL (__GFP_RECLAIM | __GFP_IO | __GFP_FS)
#define GFP_NOWAIT (__GFP_KSWAPD_RECLAIM | __GFP_NOWARN)
#define GFP_DMA __GFP_DMA
#define GFP_DMA32 __GFP_DMA32

static inline bool gfpflags_allow_blocking(gfp_t gfp)
{
	return !!(gfp & __GFP_DIRECT_RECLAIM);
}

/*
 * Linux 6.1's ALLOC_HARDER as far as the highatomic reserve goes (6.3 on:
 * ALLOC_HIGHATOMIC, one of ALLOC_RESERVES): a caller that cannot sleep,
 * said __GFP_HIGH and did not refuse the reserves (__GFP_NOMEMALLOC), i.e.
 * GFP_ATOMIC. It holds in the slow path only (the caller's own level): the
 * fast path, at the low watermark, is nobody's ALLOC_HARDER.
 */
static inline bool gfp_alloc_harder(gfp_t gfp)
{
	return !gfpflags_allow_blocking(gfp) &&
	       (gfp & (__GFP_HIGH | __GFP_NOMEMALLOC)) == __GFP_HIGH;
}

/*
 * Linux's gfp_migratetype(): (gfp & GFP_MOVABLE_MASK) >> GFP_MOVABLE_SHIFT
 * is MIGRATE_UNMOVABLE, _MOVABLE or _RECLAIMABLE, through a table so that
 * mobility=0 (Linux's page_group_by_mobility_disabled, mm/buddy.c) maps
 * everything to MIGRATE_UNMOVABLE without a branch. Both bits: unmovable
 * (mm/page_alloc.c warns).
 */
extern unsigned char gfp_migratetype_table[4];
static inline unsigned int gfp_migratetype(gfp_t gfp)
{
	return gfp_migratetype_table[(gfp & GFP_MOVABLE_MASK) >> GFP_MOVABLE_SHIFT];
}

struct page;

/* From this CPU's node, then the others nearest first (mm/numa.c). */
struct page *alloc_pages(gfp_t gfp, unsigned int order);
/* The same from node nid's point of view (NUMA_NO_NODE: this CPU's node);
 * with __GFP_THISNODE, from nid only or not at all. */
struct page *alloc_pages_node(int nid, gfp_t gfp, unsigned int order);
unsigned long alloc_pages_bulk(gfp_t gfp, unsigned long nr_pages, struct page **page_array);
/* Frees nr order-0 pages (e.g. what alloc_pages_bulk() gave) under one
 * interrupt save; pages the fast path cannot take go through __free_pages(). */
void free_pages_bulk(unsigned long nr, struct page **pages);
unsigned long __get_free_pages(gfp_t gfp, unsigned int order);
unsigned long get_zeroed_page(gfp_t gfp);
void __free_pages(struct page *page, unsigned int order);
void free_pages(unsigned long addr, unsigned int order);

#define alloc_page(gfp) alloc_pages(gfp, 0)
#define __get_free_page(gfp) __get_free_pages(gfp, 0)
#define __free_page(page) __free_pages(page, 0)
#define free_page(addr) free_pages(addr, 0)

#endif
