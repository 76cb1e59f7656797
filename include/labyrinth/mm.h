/*
 * mm.h - physical pages: struct page, pfn <-> page <-> address, and the
 * entry points of the physical memory manager.
 *
 * Where things live:
 *   mm/memmap.c     firmware map -> normalized map (memmap.h)
 *   mm/memblock.c   early allocator (memblock.h)
 *   mm/sparse.c     struct page arrays per section, pfn_to_page()
 *   mm/zone.c       zones, watermarks, zoneinfo/buddyinfo (mmzone.h)
 *   mm/buddy.c      free lists: split and merge
 *   mm/pcp.c        per-CPU page lists in front of the buddy (pcp.h)
 *   mm/page_alloc.c alloc_pages()/__free_pages() and friends (gfp.h)
 *   mm/alloc_stats.c where allocations came from (struct mm_alloc_stats)
 *   mm/pool.c       the Labyrinth pool (pool.h)
 *   mm/exclusive.c  __GFP_EXCLUSIVE pages (exclusive.h)
 *   mm/reclaim.c    shrinkers, direct reclaim, the balancer (shrinker.h)
 *   mm/pagecache.c  a store of movable pages reached by handles (pagecache.h)
 *   mm/migrate.c    moving a movable page (pagecache.h)
 *   mm/compaction.c compaction, direct and background (compaction.h)
 *   mm/vmstat.c     pagetypeinfo, fragmentation indices, compaction counters
 *   mm/fail_page_alloc.c failure injection (fail_page_alloc.h)
 *   mm/debug.c      bad_page reports, poisoning, the invariant checker
 *   mm/init.c       mm_init(): memblock -> mem_map -> zones -> buddy
 * and what these files call in each other (not the API) is mm/internal.h.
 *
 * Physical memory is reached through __va(): pa + page_offset_base. In the
 * kernel page_offset_base is 0 for now (boot page tables identity-map the
 * low 4 GiB only); host tests point it at their simulated memory. Nothing
 * touches the contents of a page above the mapped limit until
 * mm_set_direct_map() says all RAM is addressable.
 */
#ifndef LABYRINTH_MM_H
#define LABYRINTH_MM_H

#include <labyrinth/compiler.h>
#include <labyrinth/gfp.h>
#include <labyrinth/types.h>

#define PAGE_SHIFT 12
#define PAGE_SIZE (1ul << PAGE_SHIFT)
#define PAGE_MASK (~(PAGE_SIZE - 1))
#define PAGE_ALIGN(x) ALIGN((u64)(x), PAGE_SIZE)
#define PFN_UP(x) (((u64)(x) + PAGE_SIZE - 1) >> PAGE_SHIFT)
#define PFN_DOWN(x) ((u64)(x) >> PAGE_SHIFT)
#define PFN_PHYS(x) ((phys_addr_t)(x) << PAGE_SHIFT)

/* Orders 0..MAX_PAGE_ORDER: 4 KiB .. 4 MiB blocks (Linux 6.8+ names).
 * A build may set it (-DMAX_PAGE_ORDER=9: docs/exercises.md, exercise 1). */
#ifndef MAX_PAGE_ORDER
#define MAX_PAGE_ORDER 10
#endif
#define NR_PAGE_ORDERS (MAX_PAGE_ORDER + 1)
#define MAX_ORDER_NR_PAGES (1ul << MAX_PAGE_ORDER)

/* Free-list links are 32-bit pfns: RAM above 16 TiB is ignored (mm_init). */
#define PFN_NIL 0xffffffffu
#define MAX_PFN_LIMIT 0xffffffffull

/*
 * struct page - 16 bytes per 4 KiB page (0.39%; Linux spends 64).
 *
 * State of a page, by flags:
 *   PG_buddy       head of a free block of 2^order pages in
 *                  zone->free_area[order]; next/prev link that list
 *   PG_allocated   head of an allocated block; order = its order, so a free
 *                  with another order is caught
 *   PG_reserved    never given to the buddy allocator (kernel image, boot
 *                  allocations, firmware holes); PG_nomem too if no RAM is
 *                  behind it at all (a hole inside a section)
 *   0              tail page of a free or allocated block
 *   PG_pcp         free, on a per-CPU list (mm/pcp.c): the head of a block
 *                  of `order` (0-3) whose struct page pointer sits in a
 *                  ring of zone->pcp[cpu]; next/prev unused
 *   PG_exclusive   with PG_allocated: owned by CPU `owner` (__GFP_EXCLUSIVE,
 *                  mm/exclusive.c); alone: free, scrubbed, in CPU `owner`'s
 *                  exclusive reserve (allocated from the buddy's view)
 *   PG_pool        in the Labyrinth pool (mm/pool.c): allocated from
 *                  the buddy's view; next links the pool's stack
 * The struct page of pfn N always says pfn == N: page_to_pfn() is one load.
 */
struct page {
	u16 flags;
	u8 order;
	union {
		u8 owner;    /* owning CPU of an exclusive page */
		u8 buddy_mt; /* PG_buddy: the migratetype list the block is on */
	};
	u32 pfn;
	u32 next; /* pfn of the next block on the same list, or PFN_NIL */
	u32 prev;
};

enum pageflags {
	PG_buddy = 1u << 0,
	PG_allocated = 1u << 1,
	PG_reserved = 1u << 2,
	PG_nomem = 1u << 3,
	PG_pcp = 1u << 4,
	PG_exclusive = 1u << 5,
	PG_pool = 1u << 6,
	PG_checked = 1u << 7, /* the invariant checker's scratch mark, never left set */
	PG_movable = 1u << 8, /* with PG_allocated: a migratable page (mm/pagecache.c);
			       * next = its index, prev = its mapping (Linux's
			       * page->index and page->mapping) */
};

/* The flags a page may carry when it is freed, besides PG_allocated. */
#define PAGE_FLAGS_CHECK_AT_FREE \
	(PG_buddy | PG_allocated | PG_reserved | PG_nomem | PG_pcp | PG_pool | PG_movable)

/*
 * Sections: 2^15 pages (128 MiB), as Linux's x86_64 SECTION_SIZE_BITS 27.
 * A section with any RAM gets a full struct page array; a section without
 * RAM costs one 32-byte table entry. Every buddy of a block of order <=
 * MAX_PAGE_ORDER lies in the same section, so buddy lookup is pointer
 * arithmetic (page +/- 2^order) and never a table walk.
 */
#define PFN_SECTION_SHIFT 15
#define PAGES_PER_SECTION (1ul << PFN_SECTION_SHIFT)

struct mem_section {
	unsigned long biased; /* (unsigned long)map - start_pfn * sizeof(struct page) */
	struct page *map;     /* NULL: no RAM in this section */
	u32 nid;	      /* the node of every page here (mm/numa.c; 0 without NUMA) */
	/* nid * MAX_NR_ZONES + the zone of the section's pages at or above
	 * ZONE_DMA_END_PFN (sections never straddle ZONE_DMA32_END_PFN; only
	 * section 0 holds DMA pages, one less): page_zone_id(), mm/numa.c */
	u32 zone_id;
	u8 *pageblock_flags; /* the usemap: a byte per pageblock (mmzone.h) */
};

extern struct mem_section *mem_section;
extern unsigned long nr_mem_sections;
extern unsigned long max_pfn; /* one past the highest RAM pfn */
extern unsigned long page_offset_base;

BUILD_BUG_ON(sizeof(struct page) > 16);
BUILD_BUG_ON(sizeof(struct page) != 16);
BUILD_BUG_ON(MAX_PAGE_ORDER >= PFN_SECTION_SHIFT);

#define __va(pa) ((void *)((unsigned long)(pa) + page_offset_base))
#define __pa(va) ((phys_addr_t)((unsigned long)(va)-page_offset_base))

static inline bool pfn_valid(unsigned long pfn)
{
	unsigned long sec = pfn >> PFN_SECTION_SHIFT;

	return sec < nr_mem_sections && mem_section[sec].map != NULL;
}

/* Only for valid pfns (pfn_valid()). */
static __always_inline struct page *pfn_to_page(unsigned long pfn)
{
	return (struct page *)(mem_section[pfn >> PFN_SECTION_SHIFT].biased +
			       pfn * sizeof(struct page));
}

static __always_inline unsigned long page_to_pfn(const struct page *page)
{
	return page->pfn;
}

static inline phys_addr_t page_to_phys(const struct page *page)
{
	return PFN_PHYS(page->pfn);
}

static inline void *page_address(const struct page *page)
{
	return __va(page_to_phys(page));
}

static inline struct page *virt_to_page(const void *va)
{
	return pfn_to_page(__pa(va) >> PAGE_SHIFT);
}

static inline struct page *phys_to_page(phys_addr_t pa)
{
	return pfn_to_page(pa >> PAGE_SHIFT);
}

/* ---- initialisation (called by kmain, in this order) ---- */
struct boot_info;
struct memmap;
const struct memmap *memmap_init(const struct boot_info *bi); /* memmap.h */
/* From the normalized map (what memmap_init() returned) to a buddy allocator. */
void mm_init(const struct memmap *map);
/* Poison freed pages and check the poison on allocation; verify __GFP_ZERO.
 * Best called before mm_init(); later it poisons every free page first. */
void mm_set_debug(bool poison);
/* Group pages by mobility (mmzone.h's migratetypes); off is Linux's
 * page_group_by_mobility_disabled. Before mm_init(). */
void mm_set_mobility_grouping(bool on);
bool mm_mobility_grouping(void);
/* All RAM is now reachable at __va(): base becomes page_offset_base. */
void mm_set_direct_map(unsigned long base);

/* ---- state and introspection ---- */
/* Free pages: the buddy's free lists plus every per-CPU list (mm/pcp.c). */
unsigned long nr_free_pages(void);
unsigned long totalram_pages(void);
void show_buddyinfo(void);
void show_zoneinfo(void);
/* Walks every zone; returns the number of violations (each printed). */
unsigned long mm_check_invariants(void);

/*
 * Where allocations came from, per CPU (mm/alloc_stats.c), for the IRQ
 * self-test's summary. "atomic" = the caller could not sleep (no
 * __GFP_DIRECT_RECLAIM). PCP: a per-CPU list hit without the zone lock;
 * BUDDY: the zone lock was taken (a per-CPU refill, or any order > 0);
 * RESERVE: the zone was left below its min watermark (the reserve that
 * __GFP_HIGH/atomic callers may dig into); POOL: the Labyrinth pool;
 * EXCLUSIVE: a CPU's reserve of keyed __GFP_EXCLUSIVE pages (mm/exclusive.c).
 */
enum alloc_source {
	ALLOC_SRC_PCP,
	ALLOC_SRC_BUDDY,
	ALLOC_SRC_RESERVE,
	ALLOC_SRC_POOL,
	ALLOC_SRC_EXCLUSIVE,
	NR_ALLOC_SRC
};
struct mm_alloc_stats {
	unsigned long atomic[NR_ALLOC_SRC];
	unsigned long other[NR_ALLOC_SRC];
	unsigned long atomic_failures, other_failures;
	unsigned long injected; /* failures injected by fail_page_alloc (included above) */
};
/* Sums for one CPU (cpu < NR_CPUS), or all CPUs with cpu == NR_CPUS. */
void mm_alloc_stats_read(unsigned int cpu, struct mm_alloc_stats *out);
void mm_alloc_stats_reset(void);
extern unsigned long mm_bad_page_count;

#endif
