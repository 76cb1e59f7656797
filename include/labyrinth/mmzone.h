/*
 * mmzone.h - zones and their free areas (mm/zone.c sets them up, mm/buddy.c
 * keeps the free lists, mm/page_alloc.c chooses among zones).
 *
 * Zones on x86_64 (no HighMem: a 64-bit kernel can map all RAM directly,
 * so the i386 split of "RAM above 896 MiB the kernel cannot address" has no
 * reason to exist; see gfp.h for the boot window where it briefly does):
 *   ZONE_DMA     [0, 16 MiB)   ISA DMA's 24-bit addresses
 *   ZONE_DMA32   [16 MiB, 4 GiB) devices with 32-bit DMA
 *   ZONE_NORMAL  [4 GiB, ...)
 * Zone boundaries are multiples of MAX_ORDER_NR_PAGES, so a buddy is always
 * in the same zone as its block and buddy merging never checks zones.
 */
#ifndef LABYRINTH_MMZONE_H
#define LABYRINTH_MMZONE_H

#include <labyrinth/arch.h>
#include <labyrinth/mm.h>
#include <labyrinth/numa.h>
#include <labyrinth/spinlock.h>

enum zone_type { ZONE_DMA, ZONE_DMA32, ZONE_NORMAL, MAX_NR_ZONES };

#define ZONE_DMA_END_PFN (16ul << (20 - PAGE_SHIFT))
#define ZONE_DMA32_END_PFN (4ul << (30 - PAGE_SHIFT))
BUILD_BUG_ON(ZONE_DMA_END_PFN % MAX_ORDER_NR_PAGES);
BUILD_BUG_ON(ZONE_DMA32_END_PFN % MAX_ORDER_NR_PAGES);

/*
 * Allocation levels: the watermark an allocation must leave above it (see
 * gfp.h for which gfp mask gets which). Index into zone->wmark_thr.
 */
enum alloc_level {
	ALLOC_WMARK_LOW,      /* everybody's first try */
	ALLOC_WMARK_MIN,      /* slow path without __GFP_HIGH: GFP_KERNEL, GFP_NOWAIT */
	ALLOC_WMARK_HIGH_RES, /* __GFP_HIGH, may sleep: min / 2 */
	ALLOC_WMARK_ATOMIC,   /* GFP_ATOMIC: 3/8 of min */
	ALLOC_NO_WATERMARKS,  /* __GFP_MEMALLOC */
	NR_ALLOC_LEVELS
};

enum zone_watermarks { WMARK_MIN, WMARK_LOW, WMARK_HIGH, NR_WMARK };

/*
 * Migratetypes and pageblocks, as Linux 6.1 (include/linux/mmzone.h,
 * include/linux/pageblock-flags.h; no CMA). Memory is grouped by mobility
 * in pageblocks of 2^pageblock_order pages (2 MiB): each pageblock has a
 * type, kept in a packed 4-bit field per pageblock (the section's usemap,
 * mm/sparse.c; 3 bits of type, the 4th is Linux's PB_migrate_skip, spare
 * here), and free blocks sit on the list of their type. An allocation
 * takes from its own type's lists first and falls back to the others
 * (mm/buddy.c, Linux's fallbacks[] and stealing rules).
 */
enum migratetype {
	MIGRATE_UNMOVABLE,
	MIGRATE_MOVABLE,
	MIGRATE_RECLAIMABLE,
	MIGRATE_PCPTYPES, /* the number of types on the per-CPU lists */
	MIGRATE_HIGHATOMIC = MIGRATE_PCPTYPES,
	MIGRATE_ISOLATE, /* can't allocate from here (compaction, offlining) */
	MIGRATE_TYPES
};

#define pageblock_order 9
#define pageblock_nr_pages (1ul << pageblock_order)
#define PB_MIGRATETYPE_BITS 3
#define NR_PAGEBLOCK_BITS 8
/* A byte of the usemap per pageblock: the type in the low 3 bits, the
 * per-CPU list of the type in the high half (get_pfnblock_pcp_list()), so
 * the per-CPU free path reads both with one load. Written under the zone
 * lock. A pageblock must be smaller than the largest block: that was
 * needed when two pageblocks shared a byte (both had to be in one zone);
 * Linux allows pageblock_order == MAX_PAGE_ORDER, but nothing here has
 * been tried with it since, so the build still refuses it. */
BUILD_BUG_ON(pageblock_order + 1 > MAX_PAGE_ORDER);
BUILD_BUG_ON(MIGRATE_TYPES > (1 << PB_MIGRATETYPE_BITS));

extern const char *const migratetype_names[MIGRATE_TYPES];

/* One list per order and migratetype: heads are pfns, PFN_NIL when empty. */
struct free_area {
	u32 head[MIGRATE_TYPES];
	u32 nr_free; /* blocks (not pages) on the lists, every type */
};

/* The pageblock type of pfn (valid pfns only): Linux's
 * get_pfnblock_migratetype(). Written under the zone lock. */
static __always_inline unsigned int get_pfnblock_migratetype(unsigned long pfn)
{
	const u8 *usemap = mem_section[pfn >> PFN_SECTION_SHIFT].pageblock_flags;
	unsigned long pb = (pfn & (PAGES_PER_SECTION - 1)) >> pageblock_order;

	return READ_ONCE(usemap[pb]) & ((1u << PB_MIGRATETYPE_BITS) - 1);
}

/* The byte's high half: the per-CPU list a page freed into the pageblock
 * goes on (mm/pcp.c's pcp_list_of_mt[] of its type, kept with the type by
 * set_pageblock_migratetype()), so the free path reads it in one load;
 * >= MIGRATE_PCPTYPES: none (ISOLATE). */
#define PB_PCP_LIST_SHIFT 4
static __always_inline unsigned long get_pfnblock_pcp_list(unsigned long pfn)
{
	const u8 *usemap = mem_section[pfn >> PFN_SECTION_SHIFT].pageblock_flags;
	unsigned long b = READ_ONCE(usemap[(pfn & (PAGES_PER_SECTION - 1)) >> pageblock_order]);

	return b >> PB_PCP_LIST_SHIFT;
}

static __always_inline unsigned int get_pageblock_migratetype(const struct page *page)
{
	return get_pfnblock_migratetype(page->pfn);
}

/*
 * Per-CPU page lists (mm/pcp.c; the rules are in include/labyrinth/pcp.h).
 * One set per zone and CPU: a ring of free blocks (their head struct pages)
 * per order <= PCP_MAX_ORDER and pcp migratetype, as Linux 6.1's
 * pcp->lists[order_to_pindex(mt, order)] (whose lists link struct pages:
 * a pop needs no pfn_to_page()). The hot end of a ring (where
 * alloc pops and free pushes) is the entry at (base + count - 1) & mask;
 * the cold end, at base, is what a drain gives back. Only the owning CPU
 * touches its lists, with local interrupts off; the buddy allocator never
 * does. A block whose head is in a ring has flags PG_pcp on its head,
 * page->order its order, 0 on its tail pages, and is not in
 * zone->free_pages (as Linux's NR_FREE_PAGES).
 */
#define PCP_MAX_ORDER 3 /* Linux's PAGE_ALLOC_COSTLY_ORDER (compaction.h) */
#define NR_PCP_ORDERS (PCP_MAX_ORDER + 1)
#define NR_PCP_LISTS (MIGRATE_PCPTYPES * NR_PCP_ORDERS)
/* The order-0 rings hold PCP_RING_SIZE pages, an order-k ring
 * PCP_RING_SIZE >> k: mm/pcp.c says why none can overflow. */
#define PCP_RING_SIZE 512u
#define PCP_RING_MASK (PCP_RING_SIZE - 1)
#define pcp_ring_mask(order) ((PCP_RING_SIZE >> (order)) - 1)
/* Where ring (order, mt) starts in per_cpu_pages.ring: the order-0 rings
 * first (a constant offset on the order-0 fast path), then order 1, ... */
#define pcp_ring_off(order, mt)                                                      \
	(MIGRATE_PCPTYPES * (2 * PCP_RING_SIZE - ((2 * PCP_RING_SIZE) >> (order))) + \
	 (mt) * (PCP_RING_SIZE >> (order)))
#define PCP_RING_ENTRIES pcp_ring_off(NR_PCP_ORDERS, 0)
/* Linux's order_to_pindex(): the list of (order, mt). */
#define pcp_pindex(order, mt) ((order)*MIGRATE_PCPTYPES + (mt))
struct pcp_list {
	u32 count; /* blocks in this ring */
	u32 base;  /* ring index of the coldest block */
};
struct per_cpu_pages {
	u32 count;	/* pages (not blocks) on all lists, as Linux's */
	u32 high;	/* a free that makes count > high drains to high, >= batch pages */
	u32 batch;	/* pages per refill (batch >> order blocks) or drain, under the zone lock */
	u32 drain_next; /* the list (pindex) the next drain starts with (round robin) */
	struct pcp_list lists[NR_PCP_LISTS]; /* by pcp_pindex(order, mt) */
	/* allocations served from the lists: [atomic, may sleep], indexed by
	 * the gfp's __GFP_DIRECT_RECLAIM bit */
	unsigned long hits[2];
	struct zone *zone; /* the zone these lists belong to (set by mm/pcp.c) */
	/* the rings, at pcp_ring_off(order, mt): 8 bytes a block (a pfn would
	 * be 4, but a pop would then go through the section table) */
	struct page *ring[PCP_RING_ENTRIES];
} __aligned(64);
/* pcp_ring_off() and pcp_ring_mask() by pindex, for an order not known
 * at compile time (one load instead of shifts and a multiply; mm/pcp.c). */
struct pcp_ring_geom {
	u16 off, mask;
};
extern const struct pcp_ring_geom pcp_ring_geom[NR_PCP_LISTS];
/* The entry i (mod ring size) of ring (order, mt). */
static __always_inline struct page **pcp_ring_slot(struct per_cpu_pages *pcp, unsigned int order,
						   unsigned int mt, u32 i)
{
	const struct pcp_ring_geom *g = &pcp_ring_geom[pcp_pindex(order, mt)];

	if (__builtin_constant_p(order))
		return &pcp->ring[pcp_ring_off(order, mt) + (i & pcp_ring_mask(order))];
	return &pcp->ring[g->off + (i & g->mask)];
}

struct zone {
	/* Hot: everything alloc/free reads or writes under the lock. */
	spinlock_t lock;
	u16 free_mask;			 /* bit o set <=> free_area[o] non-empty (any type) */
	u16 free_mask_mt[MIGRATE_TYPES]; /* bit o set <=> free_area[o].head[mt] != PFN_NIL */
	/* free_mask_mt[] of the per-CPU types OR-ed (the lists any request
	 * may fall back among), kept by the list operations (mm/internal.h) */
	u16 free_mask_pcp;
	unsigned long free_pages; /* pages on the free lists (NR_FREE_PAGES) */
	/* free_pages must stay above wmark_thr[level][highest zone of the
	 * request]: the watermark plus the lowmem reserve, precomputed
	 * (mm/zone.c); zone_watermark_ok() (mm/internal.h) checks it. */
	long wmark_thr[NR_ALLOC_LEVELS][MAX_NR_ZONES];
	struct free_area free_area[NR_PAGE_ORDERS];

	/* Cold: set up once by mm/zone.c. */
	unsigned long _watermark[NR_WMARK];
	unsigned long lowmem_reserve[MAX_NR_ZONES];
	unsigned long zone_start_pfn;
	unsigned long spanned_pages; /* end - start, holes included */
	unsigned long present_pages; /* RAM inside the span */
	unsigned long managed_pages; /* given to the buddy allocator */
	const char *name;
	int node; /* the node whose node_zones[] this zone is */
	/* The highest order a background compaction should produce (Linux's
	 * kcompactd_max_order; mm/compaction.c), 0: none wanted. */
	unsigned int kcompactd_max_order;

	/* Pages in MIGRATE_HIGHATOMIC pageblocks (Linux's
	 * nr_reserved_highatomic; mm/buddy.c), under the lock. */
	unsigned long nr_reserved_highatomic;

	/* Statistics, updated under the lock. */
	unsigned long nr_alloc_fail;
	unsigned long nr_frees; /* blocks given to the free lists (__free_one_page) */
	/* Free blocks moved off a list few callers take from (HIGHATOMIC:
	 * order > 0 atomic only; ISOLATE: nobody) to another type's
	 * (unreserve_highatomic_pageblock()): usable to more callers without
	 * a free (mm/buddy.c: move_to_free_list()). */
	unsigned long nr_released;

	/* Each possible CPU's list set (Linux's zone->per_cpu_pageset,
	 * setup_zone_pageset()): allocated from memblock at mm_init() for a
	 * zone with present pages and CPUs below pcp_nr_cpus (mm/pcp.c); NULL
	 * for an empty zone and for a CPU beyond those. */
	struct per_cpu_pages *pcp[NR_CPUS];
};

/*
 * Zonelists (Linux's): for each highest allowed zone, the zones to try in
 * order, NULL-terminated. FALLBACK: this node's populated zones highest
 * first, then each other node's in the node's fallback order (numa.h:
 * nearest first). NOFALLBACK: this node's only (__GFP_THISNODE).
 */
enum { ZONELIST_FALLBACK, ZONELIST_NOFALLBACK, MAX_ZONELISTS };
#define MAX_ZONES_PER_ZONELIST (MAX_NUMNODES * MAX_NR_ZONES)

/* A node (Linux's pg_data_t): its zones, its span, its zonelists. */
struct pglist_data {
	struct zone node_zones[MAX_NR_ZONES];
	int node_id;
	unsigned long node_start_pfn;
	unsigned long node_spanned_pages; /* holes and other nodes' sections included */
	unsigned long node_present_pages; /* RAM of this node */
	u8 node_order[MAX_NUMNODES];	  /* fallback order, this node first */
	struct zone *zonelists[MAX_ZONELISTS][MAX_NR_ZONES][MAX_ZONES_PER_ZONELIST + 1];
};

/* Node 0 is what a machine without NUMA has: contig_page_data. */
extern struct pglist_data node_data[MAX_NUMNODES];
#define NODE_DATA(nid) (&node_data[nid])
#define contig_page_data (node_data[0])

static __always_inline enum zone_type pfn_zone_idx(unsigned long pfn)
{
	return (enum zone_type)((pfn >= ZONE_DMA_END_PFN) + (pfn >= ZONE_DMA32_END_PFN));
}

/* Valid pfns only: the node is kept per section (mm/numa.c sets it). */
static __always_inline int pfn_to_nid(unsigned long pfn)
{
	return mem_section[pfn >> PFN_SECTION_SHIFT].nid;
}

static __always_inline int page_to_nid(const struct page *page)
{
	return pfn_to_nid(page->pfn);
}

static __always_inline struct zone *page_zone(const struct page *page)
{
	return &node_data[page_to_nid(page)].node_zones[pfn_zone_idx(page->pfn)];
}

/*
 * Linux 6.1's __zone_watermark_unusable_free() (without CMA, and without
 * its 2^order - 1, which the checks below count themselves): the free
 * pages a caller may not count. Without ALLOC_HARDER, the highatomic
 * reserve: Linux 6.1 subtracts nr_reserved_highatomic, the pages of the
 * reserved pageblocks, not the free pages on the highatomic lists ("this
 * will over-estimate the size of the atomic reserve but it avoids a
 * search"); so does Labyrinth.
 */
static __always_inline long zone_unusable_free(const struct zone *z, bool alloc_harder)
{
	return alloc_harder ? 0 : (long)READ_ONCE(z->nr_reserved_highatomic);
}

/*
 * The orders at which z has a free block on a list that a request of this
 * order may take from (mm/buddy.c:__rmqueue(), as Linux 6.1's
 * rmqueue_buddy()): the per-CPU types' lists (a request falls back among
 * them: zone->free_mask_pcp, one load), and the highatomic lists for an ALLOC_HARDER request of order > 0
 * only; ISOLATE never. Bit o set: a block of order o.
 */
static __always_inline unsigned int zone_usable_free_orders(const struct zone *z,
							    unsigned int order, bool alloc_harder)
{
	unsigned int mask = READ_ONCE(z->free_mask_pcp);

	if (alloc_harder && order)
		mask |= READ_ONCE(z->free_mask_mt[MIGRATE_HIGHATOMIC]);
	return mask;
}

/*
 * Linux 6.1's __zone_watermark_ok(z, order, mark, highest_zoneidx,
 * alloc_flags, free_pages), with the mark, the flags' reductions and the
 * lowmem reserve folded into thr (zone->wmark_thr[level][hi]): fail when
 * free - unusable - 2^order < thr; an order-0 request then passes; an
 * order > 0 one needs a free block of at least its order on a list it may
 * use. free: zone->free_pages under the zone lock (the allocator), or a
 * snapshot (the checks that judge a NULL: the host model test and the IRQ
 * self-test, selftest/irq.c, which use this same function). The "__" is
 * Linux's spelling (include/linux/mmzone.h), not "caller holds the lock".
 */
static __always_inline bool __zone_watermark_ok(const struct zone *z, unsigned int order, long thr,
						bool alloc_harder, long free)
{
	free -= zone_unusable_free(z, alloc_harder);
	if (free - (long)(1ul << order) < thr)
		return false;
	return !order || (zone_usable_free_orders(z, order, alloc_harder) >> order) != 0;
}

static inline int zone_to_nid(const struct zone *z)
{
	return z->node;
}

/* The zonelist an allocation on behalf of node nid walks. */
static __always_inline struct zone *const *node_zonelist(int nid, gfp_t gfp, unsigned int hi)
{
	return node_data[nid].zonelists[!!(gfp & __GFP_THISNODE)][hi];
}

/* Free pages of the zone: the buddy's plus every CPU's per-CPU list (a
 * racy sum when other CPUs are running). mm/pcp.c. */
unsigned long zone_nr_free_pages(const struct zone *z);

static inline bool populated_zone(const struct zone *z)
{
	return z->managed_pages != 0;
}

static inline unsigned long zone_end_pfn(const struct zone *z)
{
	return z->zone_start_pfn + z->spanned_pages;
}

/* The zone after z: every node's zones in node order, then NULL. The node
 * is found from z's address, so zones never set up are still walked right. */
static inline struct zone *next_zone(struct zone *z)
{
	unsigned long nid = (unsigned long)((char *)z - (char *)node_data) / sizeof(node_data[0]);
	struct zone *zones = node_data[nid].node_zones;

	if (z + 1 < zones + MAX_NR_ZONES)
		return z + 1;
	return (int)nid + 1 < nr_node_ids ? node_data[nid + 1].node_zones : NULL;
}

#define for_each_zone(z) for (z = node_data[0].node_zones; z; z = next_zone(z))

/* Zone setup, the zone lock's allocation-context rule, watermark checks,
 * the buddy's free-list operations and the debug checks are mm's own:
 * mm/internal.h. */

#endif
