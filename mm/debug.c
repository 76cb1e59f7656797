/*
 * debug.c - catching misuse: bad_page reports with a named reason, page
 * poisoning (freed pages are filled with PAGE_POISON and checked when they
 * are handed out again), __GFP_ZERO verification, and the invariant checker
 * that walks every zone's free lists.
 *
 * mm/page_alloc.c calls in here only off its fast path: when a free fails
 * the one-compare check, or when debug mode or __GFP_ZERO asks for it. The
 * structures checked are mm/buddy.c's and mm/zone.c's.
 */
#define pr_fmt(fmt) "mm: " fmt

#include <labyrinth/arch.h>
#include <labyrinth/mm.h>
#include <labyrinth/mmzone.h>
#include <labyrinth/pcp.h>
#include <labyrinth/printk.h>
#include <labyrinth/string.h>

#include "mm/internal.h"

#ifndef pr_alert
#define pr_alert(fmt, ...) printk(KERN_ALERT pr_fmt(fmt), ##__VA_ARGS__)
#endif

#define PAGE_POISON 0xaa
#define POISON_WORD 0xaaaaaaaaaaaaaaaaull

bool mm_debug_poison;
unsigned long mm_bad_page_count;
static bool mm_initialized;

/* Why a free of (page, order) is wrong, or NULL if it is right. */
const char *page_free_bad_reason(const struct page *page, unsigned int order)
{
	unsigned long pfn = page->pfn;
	unsigned int o;

	if (!pfn_valid(pfn) || pfn_to_page(pfn) != page || (page->flags & PG_nomem))
		return "outside managed memory";
	if (page->flags & PG_reserved)
		return "reserved";
	if (order > MAX_PAGE_ORDER)
		return "bad order";
	if (pfn & ((1ul << order) - 1))
		return "misaligned for its order";
	if (page->flags & (PG_buddy | PG_pcp))
		return "double free";
	if (page->flags & PG_pool)
		return "page in the Labyrinth pool";
	if (page->flags & PG_allocated)
		return page->order != order ? "wrong order" : NULL;
	/* A tail page: of a free block (freed twice) or of an allocated one. */
	for (o = 1; o <= MAX_PAGE_ORDER; o++) {
		const struct page *head = page - (pfn & ((1ul << o) - 1));

		if ((head->flags & PG_buddy) && head->order >= o)
			return "double free";
		if ((head->flags & PG_allocated) && head->order >= o)
			return "wrong order";
	}
	return "double free";
}

/*
 * Linux's %pGg (lib/vsprintf.c over mm/debug.c's gfpflag_names, Linux 6.1
 * order): composite names first, each taken when all its bits are set and
 * its bits then removed, then single flags; unnamed bits last, in hex.
 * 0xcc0 -> "GFP_KERNEL", 0x2cc0 -> "GFP_KERNEL|__GFP_NOWARN".
 */
static const struct {
	gfp_t bits;
	const char *name;
} gfpflag_names[] = {
	{ GFP_KERNEL, "GFP_KERNEL" },
	{ GFP_ATOMIC, "GFP_ATOMIC" },
	{ GFP_NOWAIT, "GFP_NOWAIT" },
	{ GFP_DMA, "GFP_DMA" },
	{ __GFP_HIGHMEM, "__GFP_HIGHMEM" },
	{ GFP_DMA32, "GFP_DMA32" },
	{ __GFP_HIGH, "__GFP_HIGH" },
	{ __GFP_IO, "__GFP_IO" },
	{ __GFP_FS, "__GFP_FS" },
	{ __GFP_NOWARN, "__GFP_NOWARN" },
	{ __GFP_ZERO, "__GFP_ZERO" },
	{ __GFP_NOMEMALLOC, "__GFP_NOMEMALLOC" },
	{ __GFP_MEMALLOC, "__GFP_MEMALLOC" },
	{ __GFP_THISNODE, "__GFP_THISNODE" },
	{ __GFP_RECLAIMABLE, "__GFP_RECLAIMABLE" },
	{ __GFP_MOVABLE, "__GFP_MOVABLE" },
	{ __GFP_RECLAIM, "__GFP_RECLAIM" },
	{ __GFP_DIRECT_RECLAIM, "__GFP_DIRECT_RECLAIM" },
	{ __GFP_KSWAPD_RECLAIM, "__GFP_KSWAPD_RECLAIM" },
	{ __GFP_EXCLUSIVE, "__GFP_EXCLUSIVE" },
};

int gfp_format(char *buf, size_t size, gfp_t gfp)
{
	size_t n = 0, i;

	if (size)
		buf[0] = '\0';
	for (i = 0; i < ARRAY_SIZE(gfpflag_names) && gfp; i++) {
		if ((gfp & gfpflag_names[i].bits) != gfpflag_names[i].bits)
			continue;
		n += (size_t)snprintf(buf + n, n < size ? size - n : 0, "%s%s", n ? "|" : "",
				      gfpflag_names[i].name);
		gfp &= ~gfpflag_names[i].bits;
	}
	if (gfp || !n)
		n += (size_t)snprintf(buf + n, n < size ? size - n : 0, "%s%#x", n ? "|" : "", gfp);
	return (int)n;
}

static void describe_flags(char *buf, size_t len, u16 flags)
{
	static const char *const names[] = { "buddy", "allocated", "reserved", "nomem",
					     "pcp",   "exclusive", "pool",     "checked" };
	size_t n = 0;
	unsigned int i;

	buf[0] = '\0';
	for (i = 0; i < ARRAY_SIZE(names) && n < len; i++)
		if (flags & (1u << i))
			n += (size_t)snprintf(buf + n, len - n, "%s%s", n ? "|" : "", names[i]);
}

/* Linux's "BUG: Bad page state": report and go on; the lists are untouched. */
void bad_page(const struct page *page, unsigned int order, const char *reason)
{
	char flags[80];

	__atomic_add_fetch(&mm_bad_page_count, 1, __ATOMIC_RELAXED);
	if (!page) {
		pr_alert("BUG: Bad page state: NULL page, order:%u\n", order);
		pr_alert("page dumped because: %s\n", reason);
		return;
	}
	describe_flags(flags, sizeof(flags), page->flags);
	pr_alert("BUG: Bad page state: pfn:%05lx order:%u cpu:%u\n", (unsigned long)page->pfn,
		 order, arch_cpu_id());
	pr_alert("page: flags:%#x(%s) order:%u owner:%u\n", page->flags, flags, page->order,
		 page->owner);
	pr_alert("page dumped because: %s\n", reason);
	arch_dump_stack(); /* as Linux's bad_page(): who freed it */
}

void bad_pfn(unsigned long pfn, unsigned int order, const char *reason)
{
	__atomic_add_fetch(&mm_bad_page_count, 1, __ATOMIC_RELAXED);
	pr_alert("BUG: Bad page state: pfn:%05lx order:%u (no struct page)\n", pfn, order);
	pr_alert("page dumped because: %s\n", reason);
	arch_dump_stack();
}

/* Pages [pfn, pfn + n) clipped to what the kernel may touch. */
static unsigned long touchable(unsigned long pfn, unsigned long n)
{
	if (pfn >= mm_mapped_limit_pfn)
		return 0;
	return min(n, mm_mapped_limit_pfn - pfn);
}

static void fill_words(void *p, u64 word, size_t bytes)
{
	u64 *w = p;
	size_t i;

	for (i = 0; i < bytes / 8; i++)
		w[i] = word;
}

void debug_poison_page_range(struct page *page, unsigned int order)
{
	unsigned long n = touchable(page->pfn, 1ul << order);

	if (n)
		fill_words(page_address(page), POISON_WORD, n << PAGE_SHIFT);
}

/* The first word of [p, p + bytes) that differs from word, or -1. */
static long find_mismatch(const void *p, u64 word, size_t bytes)
{
	const u64 *w = p;
	size_t i;

	for (i = 0; i < bytes / 8; i++)
		if (w[i] != word)
			return (long)i;
	return -1;
}

static void report_corruption(const struct page *page, long word, const char *what)
{
	const u8 *b = (const u8 *)page_address(page) + word * 8;

	__atomic_add_fetch(&mm_bad_page_count, 1, __ATOMIC_RELAXED);
	pr_alert("BUG: %s: pfn:%05lx offset:%#lx bytes %02x %02x %02x %02x %02x %02x %02x %02x\n",
		 what, (unsigned long)page->pfn + (unsigned long)word / (PAGE_SIZE / 8),
		 (unsigned long)(word * 8) % PAGE_SIZE, b[0], b[1], b[2], b[3], b[4], b[5], b[6],
		 b[7]);
}

void debug_check_poison(struct page *page, unsigned int order)
{
	unsigned long n = touchable(page->pfn, 1ul << order);
	long bad;

	if (!n)
		return;
	bad = find_mismatch(page_address(page), POISON_WORD, n << PAGE_SHIFT);
	if (bad >= 0)
		report_corruption(page, bad, "page poison corrupted (use after free?)");
}

void debug_verify_zero(struct page *page, unsigned int order)
{
	long bad = find_mismatch(page_address(page), 0, PAGE_SIZE << order);

	if (bad >= 0)
		report_corruption(page, bad, "__GFP_ZERO page not zero");
}

/* Poisons every free block at or above from_pfn (debug mode switched on). */
void debug_poison_all_free(unsigned long from_pfn)
{
	struct zone *z;

	for_each_zone(z) {
		unsigned long flags;
		unsigned int o;

		spin_lock_irqsave(&z->lock, flags);
		for (o = 0; o < NR_PAGE_ORDERS * MIGRATE_TYPES; o++) {
			u32 pfn;

			for (pfn = z->free_area[o / MIGRATE_TYPES].head[o % MIGRATE_TYPES];
			     pfn != PFN_NIL; pfn = pfn_to_page(pfn)->next)
				if (pfn + (1ul << (o / MIGRATE_TYPES)) > from_pfn)
					debug_poison_page_range(pfn_to_page(pfn),
								o / MIGRATE_TYPES);
		}
		spin_unlock_irqrestore(&z->lock, flags);
	}
}

void mm_set_debug(bool poison)
{
	bool was = mm_debug_poison;

	mm_debug_poison = poison;
	mm_hooks_set(MM_HOOK_POISON, poison); /* the fast paths' one test */
	if (poison && !was && mm_initialized)
		debug_poison_all_free(0);
	pr_info("debug: page poisoning %s\n", poison ? "on" : "off");
}

void mm_debug_init_done(void)
{
	mm_initialized = true;
	if (mm_debug_poison)
		debug_poison_all_free(0);
}

/* ---- the invariant checker ---- */

static unsigned long nr_errors;

#define inv_err(z, fmt, ...)                                                               \
	do {                                                                               \
		if (nr_errors++ < 20)                                                      \
			pr_err("invariant: zone %s: " fmt "\n", (z)->name, ##__VA_ARGS__); \
	} while (0)

/* Every tail page of a free block carries no flags: not reserved, not a
 * hole, not the head of another block (which would be "on two lists"). */
static void check_free_block_tails(struct zone *z, const struct page *head, unsigned int o)
{
	unsigned long i;

	for (i = 1; i < (1ul << o); i++)
		if (head[i].flags) {
			inv_err(z, "pfn %#lx inside free order-%u block %#lx has flags %#x",
				(unsigned long)head[i].pfn, o, (unsigned long)head->pfn,
				head[i].flags);
			return;
		}
}

static void check_free_block(struct zone *z, u32 pfn, u32 prev, unsigned int o)
{
	const struct page *page = pfn_to_page(pfn), *buddy;

	if (pfn & ((1u << o) - 1))
		inv_err(z, "order-%u block %#x misaligned", o, pfn);
	if (page->flags != PG_buddy || page->order != o)
		inv_err(z, "block %#x on order-%u list says flags %#x order %u", pfn, o,
			page->flags, page->order);
	if (page->prev != prev)
		inv_err(z, "block %#x: prev %#x, expected %#x", pfn, page->prev, prev);
	check_free_block_tails(z, page, o);
	if (o == MAX_PAGE_ORDER)
		return;
	buddy = page + ((long)(pfn ^ (1u << o)) - (long)pfn);
	if (o >= pageblock_order &&
	    get_pfnblock_migratetype(pfn) != get_pageblock_migratetype(buddy) &&
	    (get_pfnblock_migratetype(pfn) >= MIGRATE_PCPTYPES ||
	     get_pageblock_migratetype(buddy) >= MIGRATE_PCPTYPES))
		return; /* not merged on purpose (__free_one_page) */
	if (buddy->flags == PG_buddy && buddy->order == o)
		inv_err(z, "free buddies %#x and %#x of order %u not merged", pfn,
			(u32)(pfn ^ (1u << o)), o);
}

/*
 * A ring entry is a struct page pointer: the pfn of the struct page of
 * z's sections that it points at, or PFN_NIL if it points at none (a
 * corrupted entry is never dereferenced before this says it is one).
 */
static u32 pcp_entry_pfn(const struct zone *z, const struct page *page)
{
	unsigned long sec = z->zone_start_pfn >> PFN_SECTION_SHIFT;
	unsigned long last = (zone_end_pfn(z) - 1) >> PFN_SECTION_SHIFT;

	for (; sec <= last && sec < nr_mem_sections; sec++) {
		const struct page *map = mem_section[sec].map;

		if (map && page >= map && page < map + PAGES_PER_SECTION)
			return (u32)((sec << PFN_SECTION_SHIFT) + (unsigned long)(page - map));
	}
	return PFN_NIL;
}

/*
 * One CPU's list (order, mt): every entry the head of an aligned block of
 * the zone, PG_pcp with the list's order, free tails, and on no other list
 * (marked PG_checked on the way, so a block twice is caught). Returns pages.
 */
static unsigned long check_pcp_ring(struct zone *z, unsigned int cpu, unsigned int pindex)
{
	const struct per_cpu_pages *pcp = z->pcp[cpu];
	const struct pcp_list *l = &pcp->lists[pindex];
	unsigned int order = pindex / MIGRATE_PCPTYPES, mt = pindex % MIGRATE_PCPTYPES;
	u32 i, n = READ_ONCE(l->count);

	if (n > pcp_ring_mask(order) + 1 || l->base > pcp_ring_mask(order)) {
		inv_err(z, "cpu %u: list %u count %u base %u out of range", cpu, pindex, n,
			l->base);
		return 0;
	}
	for (i = 0; i < n; i++) {
		struct page *page =
		    pcp->ring[pcp_ring_off(order, mt) + ((l->base + i) & pcp_ring_mask(order))];
		u32 pfn = pcp_entry_pfn(z, page);

		if (pfn == PFN_NIL || pfn < z->zone_start_pfn ||
		    pfn + (1u << order) > zone_end_pfn(z) || (pfn & ((1u << order) - 1))) {
			inv_err(z, "cpu %u: order-%u list holds bad entry %p (pfn %#x)", cpu, order,
				(void *)page, pfn);
			continue;
		}
		if (page->flags != PG_pcp || page->order != order)
			inv_err(z, "cpu %u: pfn %#x on its order-%u list has flags %#x order %u%s",
				cpu, pfn, order, page->flags, page->order,
				(page->flags & PG_checked) ? " (on a list twice)" : "");
		check_free_block_tails(z, page, order);
		page->flags |= PG_checked;
	}
	return (unsigned long)n << order;
}

/* The lists of one CPU; their pages must sum to pcp->count. */
static unsigned long check_pcp_list(struct zone *z, unsigned int cpu)
{
	unsigned long n = 0;
	unsigned int pindex;

	for (pindex = 0; pindex < NR_PCP_LISTS; pindex++)
		n += check_pcp_ring(z, cpu, pindex);
	if (n != READ_ONCE(z->pcp[cpu]->count))
		inv_err(z, "cpu %u: lists hold %lu pages, count says %u", cpu, n,
			z->pcp[cpu]->count);
	return n;
}

static void uncheck_pcp_list(struct zone *z, unsigned int cpu)
{
	const struct per_cpu_pages *pcp = z->pcp[cpu];
	unsigned int pindex;

	for (pindex = 0; pindex < NR_PCP_LISTS; pindex++) {
		const struct pcp_list *l = &pcp->lists[pindex];
		unsigned int order = pindex / MIGRATE_PCPTYPES, mt = pindex % MIGRATE_PCPTYPES;
		u32 i, n = min(READ_ONCE(l->count), pcp_ring_mask(order) + 1);

		for (i = 0; i < n; i++) {
			struct page *page = pcp->ring[pcp_ring_off(order, mt) +
						      ((l->base + i) & pcp_ring_mask(order))];

			if (pcp_entry_pfn(z, page) != PFN_NIL)
				page->flags &= (u16)~PG_checked;
		}
	}
}

/* Pages of the blocks of the zone whose head says PG_pcp: each block must
 * be on some list. */
static unsigned long count_pcp_flagged(const struct zone *z)
{
	unsigned long pfn, end = zone_end_pfn(z), n = 0;

	for (pfn = z->zone_start_pfn; pfn < end;) {
		const struct page *page;
		unsigned long stop = min(end, ALIGN(pfn + 1, PAGES_PER_SECTION));

		if (!pfn_valid(pfn)) {
			pfn = stop;
			continue;
		}
		for (page = pfn_to_page(pfn); pfn < stop; pfn++, page++)
			if (page->flags & PG_pcp)
				n += 1ul << page->order;
	}
	return n;
}

/* Conservation: buddy + lists = zone_nr_free_pages() <= managed. Exact
 * when the other CPUs are not allocating (their lists are read as is). */
static void __check_zone_pcp(struct zone *z)
{
	unsigned long on_lists = 0;
	unsigned int cpu;

	/* a set for each CPU below pcp_nr_cpus if the zone has RAM, else none */
	for (cpu = 0; cpu < NR_CPUS; cpu++) {
		bool want = z->present_pages && cpu < pcp_nr_cpus;

		if (!z->pcp[cpu] != !want || (z->pcp[cpu] && z->pcp[cpu]->zone != z))
			inv_err(z, "cpu %u: list set %p, expected %s", cpu, (void *)z->pcp[cpu],
				want ? "one of this zone" : "none");
		else if (z->pcp[cpu])
			on_lists += check_pcp_list(z, cpu);
	}
	for (cpu = 0; cpu < NR_CPUS; cpu++)
		if (z->pcp[cpu] && z->pcp[cpu]->zone == z)
			uncheck_pcp_list(z, cpu);
	if (count_pcp_flagged(z) != on_lists)
		inv_err(z, "%lu pages say PG_pcp, the per-CPU lists hold %lu", count_pcp_flagged(z),
			on_lists);
	if (z->free_pages + on_lists != zone_nr_free_pages(z))
		inv_err(z, "buddy %lu + per-CPU lists %lu != free count %lu", z->free_pages,
			on_lists, zone_nr_free_pages(z));
	if (z->free_pages + on_lists > z->managed_pages)
		inv_err(z, "free %lu + per-CPU %lu > managed %lu", z->free_pages, on_lists,
			z->managed_pages);
}

/* One order's list of one migratetype; returns its blocks. */
static unsigned long check_free_list(struct zone *z, unsigned int o, unsigned int mt)
{
	unsigned long count = 0, start = z->zone_start_pfn, end = zone_end_pfn(z);
	u32 pfn = z->free_area[o].head[mt], prev = PFN_NIL;

	if (!!(z->free_mask_mt[mt] & (1u << o)) != (pfn != PFN_NIL))
		inv_err(z, "free_mask_mt[%u] bit %u disagrees with the list", mt, o);
	for (; pfn != PFN_NIL; prev = pfn, pfn = pfn_to_page(pfn)->next) {
		if (count++ > z->managed_pages || !pfn_valid(pfn) || pfn < start ||
		    pfn + (1ul << o) > end) {
			inv_err(z, "order-%u list: bad pfn %#x (or a loop)", o, pfn);
			break;
		}
		check_free_block(z, pfn, prev, o);
		if (pfn_to_page(pfn)->buddy_mt != mt)
			inv_err(z, "block %#x on the %s list says type %u", pfn,
				migratetype_names[mt], pfn_to_page(pfn)->buddy_mt);
	}
	return count;
}

static void __check_zone(struct zone *z)
{
	unsigned long total = 0;
	unsigned int o, mt;

	for (o = 0; o < NR_PAGE_ORDERS; o++) {
		const struct free_area *area = &z->free_area[o];
		unsigned long count = 0;

		for (mt = 0; mt < MIGRATE_TYPES; mt++)
			count += check_free_list(z, o, mt);
		if (!!(z->free_mask & (1u << o)) != (count != 0))
			inv_err(z, "free_mask bit %u disagrees with the lists", o);
		if (count != area->nr_free)
			inv_err(z, "order %u: %lu blocks listed, nr_free says %u", o, count,
				area->nr_free);
		total += count << o;
	}
	if (z->free_mask_pcp !=
	    (z->free_mask_mt[MIGRATE_UNMOVABLE] | z->free_mask_mt[MIGRATE_MOVABLE] |
	     z->free_mask_mt[MIGRATE_RECLAIMABLE]))
		inv_err(z, "free_mask_pcp %#x is not the per-CPU types' masks OR-ed",
			z->free_mask_pcp);
	if (total != z->free_pages)
		inv_err(z, "%lu pages on the lists, free_pages says %lu", total, z->free_pages);
	if (z->free_pages > z->managed_pages)
		inv_err(z, "free_pages %lu > managed %lu", z->free_pages, z->managed_pages);
	__check_zone_pcp(z);
}

unsigned long mm_check_invariants(void)
{
	struct zone *z;

	nr_errors = 0;
	for_each_zone(z) {
		unsigned long flags;

		if (!z->spanned_pages)
			continue;
		spin_lock_irqsave(&z->lock, flags);
		__check_zone(z);
		spin_unlock_irqrestore(&z->lock, flags);
	}
	if (nr_errors > 20)
		pr_err("invariant: %lu more violations not shown\n", nr_errors - 20);
	return nr_errors;
}
