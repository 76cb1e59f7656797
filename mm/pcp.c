/*
 * pcp.c - per-CPU page lists: sizing (high/batch from the zone size),
 * refill and drain in batches under the zone lock, each CPU's first zone
 * (on its node, or the nearest node with memory), draining other CPUs'
 * lists (by IPI), bulk allocation through the list, and the zoneinfo
 * "pagesets" report. The rules (who may touch a list, how pages are
 * counted) are in include/labyrinth/pcp.h, the inline fast paths in
 * mm/internal.h; mm/page_alloc.c decides when the lists are used;
 * mm/buddy.c is what refill takes from and drain gives back to;
 * mm/debug.c checks the lists.
 */
#define pr_fmt(fmt) "pcp: " fmt

#include <labyrinth/compaction.h>
#include <labyrinth/memblock.h>
#include <labyrinth/mm.h>
#include <labyrinth/mmzone.h>
#include <labyrinth/pcp.h>
#include <labyrinth/printk.h>
#include <labyrinth/smp.h>
#include <labyrinth/string.h>
#include <labyrinth/trace.h>

#include "mm/internal.h"

u32 mm_alloc_hooks = MM_HOOK_NO_PCP | MM_HOOK_NO_DIRECT_MAP;

/* Linux 6.1's free_unref_page(): a HIGHATOMIC pageblock's page goes on the
 * movable list, an ISOLATE one's to the buddy (pcp_free_isolated). */
const u8 pcp_list_of_mt[MIGRATE_TYPES] = {
	[MIGRATE_UNMOVABLE] = MIGRATE_UNMOVABLE,     [MIGRATE_MOVABLE] = MIGRATE_MOVABLE,
	[MIGRATE_RECLAIMABLE] = MIGRATE_RECLAIMABLE, [MIGRATE_HIGHATOMIC] = MIGRATE_MOVABLE,
	[MIGRATE_ISOLATE] = MIGRATE_ISOLATE,
};

#define PCP_GEOM(o, mt) [pcp_pindex(o, mt)] = { pcp_ring_off(o, mt), pcp_ring_mask(o) }
#define PCP_GEOM_ORDER(o) PCP_GEOM(o, 0), PCP_GEOM(o, 1), PCP_GEOM(o, 2)
BUILD_BUG_ON(MIGRATE_PCPTYPES != 3 || NR_PCP_ORDERS != 4);
const struct pcp_ring_geom pcp_ring_geom[NR_PCP_LISTS] = {
	PCP_GEOM_ORDER(0),
	PCP_GEOM_ORDER(1),
	PCP_GEOM_ORDER(2),
	PCP_GEOM_ORDER(3),
};

/* Until mm_init(): node 0's DMA zone, whose lists are empty (a miss). */
struct zone *pcp_first_zone[NR_CPUS][MAX_NR_ZONES] = {
	[0 ... NR_CPUS - 1] = { [0 ... MAX_NR_ZONES - 1] = &contig_page_data.node_zones[0] },
};

struct pcp_cpu_table pcp_cpu_tables[NR_CPUS];
/* never filled: a fast-path miss; the rows' entry for a zone or CPU
 * without a list set (only pushed to while the lists are off: never) */
struct per_cpu_pages pcp_none;
unsigned int pcp_nr_cpus = NR_CPUS;
/* A CPU beyond pcp_nr_cpus came online: the lists stay off (pcp_cpu_up()). */
static bool pcp_cpu_lost;

#define PCP_MAX_BATCH 64u
#define PCP_MAX_HIGH (PCP_RING_SIZE - 2 * PCP_MAX_BATCH)
/*
 * No ring overflows: ring (order k, mt) gets pages only from a push (one
 * block; if the CPU's count is then > high, a drain brings it to <= high,
 * so the ring holds <= high pages after) or from a refill while empty
 * (<= PCP_MAX_BATCH pages, or 2 blocks <= 16 pages; a bulk refill of
 * order 0 <= PCP_MAX_HIGH; a bulk free's run, pcp_push_run(), pushes <=
 * PCP_MAX_BATCH order-0 pages before its drain). So it never holds more
 * than PCP_MAX_HIGH + PCP_MAX_BATCH pages: < its PCP_RING_SIZE >> k slots
 * (for k > 0: PCP_MAX_HIGH + 8 pages, < (PCP_RING_SIZE >> k) << k).
 */
BUILD_BUG_ON(PCP_RING_SIZE &PCP_RING_MASK);
BUILD_BUG_ON(PCP_MAX_ORDER != PAGE_ALLOC_COSTLY_ORDER);
BUILD_BUG_ON(PCP_MAX_HIGH + PCP_MAX_BATCH > PCP_RING_SIZE); /* pcp_push_run() */
BUILD_BUG_ON(2u << PCP_MAX_ORDER > PCP_MAX_BATCH);

/*
 * batch: one page per 2 MiB of the zone, rounded down to a power of two,
 * in [1, 64] (Linux: about a quarter of that, capped at 63; our pages are
 * cheaper to move, and a bulk of 64 then refills in one lock round).
 * high: 4 * batch, but all CPUs' lists together hold at most 1/8 of the
 * zone, and never less than batch. A 128 MiB zone gets batch 32, high 128;
 * 1 GiB and up: 64 and 256; the 16 MiB DMA zone: 4 and 16.
 */
static void pcp_tune(const struct zone *z, u32 *batch, u32 *high)
{
	unsigned long b = z->managed_pages >> 9, h;

	b = b ? 1ul << (63 - __builtin_clzl(b)) : 1;
	b = min(b, (unsigned long)PCP_MAX_BATCH);
	h = min(4 * b, z->managed_pages / (8 * NR_CPUS));
	h = min(max(h, b), (unsigned long)PCP_MAX_HIGH);
	*batch = (u32)b;
	*high = (u32)h;
}

/* cpu's list set of z, or pcp_none if it has none (empty zone, CPU beyond
 * pcp_nr_cpus): the table rows' entries. */
static struct per_cpu_pages *pcp_or_none(const struct zone *z, unsigned int cpu)
{
	return z->pcp[cpu] ? z->pcp[cpu] : &pcp_none;
}

/*
 * cpu's first zone for each highest zone: the head of its node's fallback
 * zonelist, which for a memoryless node is the nearest node's. An empty
 * zonelist means every zone up to hi is empty everywhere: node 0's DMA
 * zone then, whose lists stay empty, so the fast path just misses.
 */
void pcp_update_first_zones(unsigned int cpu)
{
	const struct pglist_data *pgdat = NODE_DATA(cpu_to_node(cpu));
	unsigned int hi;

	gfp_t zbits;

	for (hi = 0; hi < MAX_NR_ZONES; hi++) {
		struct zone *first = pgdat->zonelists[ZONELIST_FALLBACK][hi][0];

		WRITE_ONCE(pcp_first_zone[cpu][hi],
			   first ? first : &contig_page_data.node_zones[0]);
	}
	/* mm/page_alloc.c:gfp_highest_zone() with the direct map there */
	for (zbits = 0; zbits <= PCP_GFP_MASK; zbits++) {
		hi = (zbits & __GFP_DMA)     ? ZONE_DMA
		     : (zbits & __GFP_DMA32) ? ZONE_DMA32
					     : ZONE_NORMAL;
		WRITE_ONCE(pcp_cpu_tables[cpu].by_gfp[zbits],
			   (zbits & GFP_MOVABLE_MASK) == GFP_MOVABLE_MASK
			       ? &pcp_none
			       : pcp_or_none(pcp_first_zone[cpu][hi], cpu));
		WRITE_ONCE(pcp_cpu_tables[cpu].mt_of_gfp[zbits], (u8)gfp_migratetype(zbits));
	}
}

void pcp_update_mobility(void)
{
	unsigned int cpu;
	gfp_t zbits;

	for (cpu = 0; cpu < NR_CPUS; cpu++)
		for (zbits = 0; zbits <= PCP_GFP_MASK; zbits++)
			WRITE_ONCE(pcp_cpu_tables[cpu].mt_of_gfp[zbits],
				   (u8)gfp_migratetype(zbits));
}

void mm_set_possible_cpus(unsigned int n)
{
	if (!n) {
		pr_warn("0 possible CPUs: list sets for all %u\n", NR_CPUS);
		n = NR_CPUS;
	} else if (n > NR_CPUS) {
		pr_warn("%u possible CPUs: list sets for NR_CPUS=%u only\n", n, NR_CPUS);
		n = NR_CPUS;
	}
	pcp_nr_cpus = n;
}

/*
 * Linux's setup_zone_pageset(), from memblock as the struct page arrays
 * are (the buddy does not run yet): one zeroed block per zone with present
 * pages, a set for each CPU below pcp_nr_cpus. Every other pointer, in the
 * nodes not in use too, is NULL. Each set is ~23 KiB (its rings), so sets
 * for empty zones and absent CPUs would be most of the kernel's BSS.
 */
unsigned long pcp_alloc_sets(void)
{
	const unsigned long size = pcp_nr_cpus * sizeof(struct per_cpu_pages);
	unsigned long bytes = 0;
	unsigned int nid, zi, cpu;

	for (nid = 0; nid < MAX_NUMNODES; nid++)
		for (zi = 0; zi < MAX_NR_ZONES; zi++) {
			struct zone *z = &node_data[nid].node_zones[zi];
			struct per_cpu_pages *sets = NULL;

			if ((int)nid < nr_node_ids && z->present_pages) {
				sets = memblock_alloc(size, 64);
				if (!sets)
					panic("pcp: no memblock room for %lu bytes of list sets "
					      "(node %u zone %s)",
					      size, nid, z->name);
				bytes += size;
			}
			for (cpu = 0; cpu < NR_CPUS; cpu++)
				z->pcp[cpu] = sets && cpu < pcp_nr_cpus ? &sets[cpu] : NULL;
		}
	pr_info("list sets for %u CPU%s, %lu zone%s with memory: %luK from memblock\n", pcp_nr_cpus,
		pcp_nr_cpus == 1 ? "" : "s", bytes / size, bytes / size == 1 ? "" : "s",
		bytes >> 10);
	return bytes;
}

/* cpu's table row: by_zone[] for every zone, by_gfp[] for its first zones. */
static void pcp_fill_row(unsigned int cpu)
{
	unsigned int nid, zi;

	for (nid = 0; nid < MAX_NUMNODES; nid++)
		for (zi = 0; zi < MAX_NR_ZONES; zi++)
			pcp_cpu_tables[cpu].by_zone[nid * MAX_NR_ZONES + zi] =
			    pcp_or_none(&node_data[nid].node_zones[zi], cpu);
	pcp_update_first_zones(cpu);
}

void pcp_zones_init(void)
{
	unsigned int cpu;
	struct zone *z;

	pcp_cpu_lost = false;
	for (cpu = 0; cpu < NR_CPUS; cpu++)
		arch_set_cpu_mm(cpu, &pcp_cpu_tables[cpu]);
	for_each_zone(z) {
		u32 batch, high;

		pcp_tune(z, &batch, &high);
		for (cpu = 0; cpu < NR_CPUS; cpu++) {
			struct per_cpu_pages *pcp = z->pcp[cpu];

			if (!pcp)
				continue;
			memset(pcp->lists, 0, sizeof(pcp->lists));
			pcp->count = pcp->drain_next = 0;
			pcp->batch = batch;
			pcp->high = high;
			pcp->zone = z;
		}
	}
	for (cpu = 0; cpu < NR_CPUS; cpu++)
		pcp_fill_row(cpu);
}

/*
 * Called while the old mapping is still loaded (and, on the host, the only
 * one): each set's ring entries are rewritten through its old address, then
 * the set's own pointer and the table rows move by delta too.
 */
void pcp_rebase_rings(long delta)
{
	unsigned int cpu, pindex, i;
	struct zone *z;

	for_each_zone(z)
		for (cpu = 0; cpu < NR_CPUS; cpu++) {
			struct per_cpu_pages *pcp = z->pcp[cpu];

			if (!pcp)
				continue;
			for (pindex = 0; pindex < NR_PCP_LISTS; pindex++) {
				const struct pcp_list *l = &pcp->lists[pindex];
				unsigned int order = pindex / MIGRATE_PCPTYPES;

				for (i = 0; i < l->count; i++) {
					struct page **slot = pcp_ring_slot(
					    pcp, order, pindex % MIGRATE_PCPTYPES, l->base + i);

					*slot = (struct page *)((unsigned long)*slot + delta);
				}
			}
			z->pcp[cpu] = (struct per_cpu_pages *)((unsigned long)pcp + delta);
		}
	for (cpu = 0; cpu < NR_CPUS; cpu++)
		pcp_fill_row(cpu);
}

/*
 * A CPU with no list sets (beyond the possible CPUs mm_init() was told
 * of) must not use the lists: its row points at pcp_none, which no push
 * may fill. So the lists go off for every CPU, and stay off.
 */
void pcp_cpu_up(unsigned int cpu)
{
	if (cpu < pcp_nr_cpus || pcp_cpu_lost)
		return;
	WARN_ON(cpu >= pcp_nr_cpus);
	pr_warn("CPU %u has no list sets (allocated for %u CPUs): per-CPU lists off\n", cpu,
		pcp_nr_cpus);
	mm_pcp_set_enabled(false);
	pcp_cpu_lost = true;
}

/* Up to n blocks of the order and type mt (Linux's rmqueue_bulk(): with
 * fallback and stealing) from the buddy onto the hot end of ring (order,
 * mt); returns how many. */
static u32 __pcp_refill(struct zone *zone, struct per_cpu_pages *pcp, unsigned int order,
			unsigned int mt, u32 n)
{
	struct pcp_list *l = &pcp->lists[pcp_pindex(order, mt)];
	u32 i;

	for (i = 0; i < n; i++) {
		struct page *page = __rmqueue(zone, order, mt, false);

		if (!page)
			break;
		if (trace_on())
			trace_split(zone, page, order);
		page->flags = PG_pcp; /* page->order: the block's, set by __rmqueue */
		*pcp_ring_slot(pcp, order, mt, l->base + l->count++) = page;
	}
	pcp->count += i << order;
	return i;
}

/* The coldest block of list pindex back to the buddy, to the list of its
 * pageblock's current type; returns its pages. */
static u32 __pcp_drain_one(struct zone *zone, struct per_cpu_pages *pcp, unsigned int pindex)
{
	unsigned int order = pindex / MIGRATE_PCPTYPES, mt = pindex % MIGRATE_PCPTYPES;
	struct pcp_list *l = &pcp->lists[pindex];
	struct page *page = *pcp_ring_slot(pcp, order, mt, l->base);

	l->base = (l->base + 1) & pcp_ring_mask(order);
	l->count--;
	pcp->count -= 1u << order;
	__free_one_page(zone, page, page->pfn, order, get_pfnblock_migratetype(page->pfn));
	return 1u << order;
}

/* At least n pages (a whole block may overshoot, as Linux's) back to the
 * buddy, the coldest block of each non-empty list in turn (Linux's
 * free_pcppages_bulk() round robin over the order and type lists). */
static void __pcp_drain(struct zone *zone, struct per_cpu_pages *pcp, u32 n)
{
	unsigned int pindex = pcp->drain_next;
	u32 done;

	n = min(n, pcp->count);
	while (n) {
		if (pcp->lists[pindex].count) {
			done = __pcp_drain_one(zone, pcp, pindex);
			n -= min(n, done);
		}
		pindex = pindex + 1 < NR_PCP_LISTS ? pindex + 1 : 0;
	}
	pcp->drain_next = pindex;
}

/*
 * The ring's count in a local while pushing (stores to struct page could
 * alias it for the compiler), and the pages stored through a pointer up
 * to the ring's wrap (a run ends there; the caller's next run starts at
 * ring[0]). Per page: the free's check, the pageblock compared with the
 * previous page's, the flag store and the ring store; a new pageblock's
 * list (and zone, if another section) is looked up. At most
 * PCP_MAX_BATCH pages before the caller's drain: the ring then holds <=
 * PCP_MAX_HIGH + PCP_MAX_BATCH.
 */
unsigned long pcp_push_run(struct per_cpu_pages *pcp, unsigned int mt, struct page **pages,
			   unsigned long nr)
{
	struct pcp_list *l = &pcp->lists[pcp_pindex(0, mt)];
	u32 n = l->count, slot = (l->base + n) & PCP_RING_MASK;
	struct page **dst = &pcp->ring[pcp_ring_off(0, mt) + slot];
	u32 pb = pages[0]->pfn >> pageblock_order, sec = pages[0]->pfn >> PFN_SECTION_SHIFT;
	unsigned int zid = page_zone_id(pages[0]);
	unsigned long i;

	nr = min(nr, (unsigned long)min(PCP_MAX_BATCH, PCP_RING_SIZE - slot));
	for (i = 0; i < nr; i++) {
		struct page *page = pages[i];
		u32 pfn;

		if (!page || page->flags != PG_allocated || page->order)
			break;
		pfn = page->pfn;
		if (unlikely(pfn >> pageblock_order != pb)) {
			/* another pageblock: the same list if the same zone and type
			 * (a section's pageblocks share a zone but in section 0) */
			if ((pfn >> PFN_SECTION_SHIFT != sec || !sec) && page_zone_id(page) != zid)
				break;
			if (get_pfnblock_pcp_list(pfn) != mt)
				break;
			pb = pfn >> pageblock_order;
		}
		page->flags = PG_pcp;
		*dst++ = page;
	}
	l->count = n + (u32)i;
	pcp->count += (u32)i;
	return i;
}

/* A block of an ISOLATE pageblock: straight to the buddy (interrupts off). */
static void pcp_free_isolated(struct zone *zone, struct page *page, unsigned int order)
{
	spin_lock(&zone->lock);
	__free_one_page(zone, page, page->pfn, order, get_pfnblock_migratetype(page->pfn));
	spin_unlock(&zone->lock);
}

/* A free made count > high (interrupts off, own CPU): a batch to the
 * buddy, or more if a high-order push went further past high, so that
 * count <= high after (what bounds the rings, PCP_PAGES_MAX). */
static void pcp_drain_high(struct zone *zone, struct per_cpu_pages *pcp)
{
	u32 before = pcp->count;

	spin_lock(&zone->lock);
	__pcp_drain(zone, pcp, max(pcp->batch, pcp->count - pcp->high));
	spin_unlock(&zone->lock);
	trace_mm(TR_PCP_DRAIN, zone, 0, 0, 0, PFN_NIL, before - pcp->count, pcp->count, 0);
}

void pcp_push_finish(struct page *page, unsigned int order, struct pcp_cpu_table *row,
		     enum pcp_push_result r)
{
	struct per_cpu_pages *pcp = row->by_zone[page_zone_id(page)];

	if (r == PCP_ISOLATED)
		pcp_free_isolated(pcp->zone, page, order);
	else if (pcp->count > pcp->high)
		pcp_drain_high(pcp->zone, pcp);
}

void pcp_free_finish(struct page *page, unsigned int order, enum pcp_push_result r)
{
	unsigned long flags = arch_irq_save();

	pcp_push_finish(page, order, this_cpu_pcp_table(), r);
	arch_irq_restore(flags);
}

/*
 * Blocks per refill of an order (Linux 6.1's __rmqueue_pcplist()): batch
 * pages' worth, at least 2 blocks; batch 1 (a tiny zone) means one block.
 * At the low watermark: for order 0 no more than its headroom; for a
 * higher order only if zone_watermark_ok() passes at that order (Linux's
 * check before rmqueue()), and no more blocks than the headroom's pages.
 */
static u32 pcp_refill_blocks(const struct zone *zone, const struct per_cpu_pages *pcp,
			     unsigned int order, unsigned int hi)
{
	long room = zone_watermark_headroom(zone, ALLOC_WMARK_LOW, hi);
	u32 n = pcp->batch > 1 ? max(pcp->batch >> order, 2u) : 1;

	if (order && !zone_watermark_ok(zone, order, ALLOC_WMARK_LOW, hi, false))
		return 0;
	room >>= order;
	if (order && room < 1)
		room = 1; /* the watermark check passed for one block */
	return room > 0 ? (u32)min(room, (long)n) : 0;
}

/*
 * The list missed (or belongs to a fallback zone): take its block if it
 * has one, else refill it in one lock round (pcp_refill_blocks()), then
 * pop. NULL if the zone is below low.
 */
struct page *pcp_alloc_refill(struct zone *zone, unsigned int order, unsigned int hi, gfp_t gfp,
			      unsigned int mt)
{
	unsigned long flags = arch_irq_save();
	struct per_cpu_pages *pcp = zone->pcp[arch_cpu_id()];
	struct pcp_list *l;
	enum alloc_source src = ALLOC_SRC_PCP;
	struct page *page = NULL;

	/* zonelists hold zones with sets; a CPU without sets turned the lists
	 * off before it came up (pcp_cpu_up()) */
	if (WARN_ON_ONCE(!pcp)) {
		arch_irq_restore(flags);
		return NULL;
	}
	l = &pcp->lists[pcp_pindex(order, mt)];
	if (!l->count) {
		spin_lock(&zone->lock);
		trace_mm(TR_WMARK, zone, order, ALLOC_WMARK_LOW, hi, PFN_NIL, zone->free_pages,
			 zone->wmark_thr[ALLOC_WMARK_LOW][hi],
			 (1ul << order) + zone_unusable_free(zone, false));
		__pcp_refill(zone, pcp, order, mt, pcp_refill_blocks(zone, pcp, order, hi));
		spin_unlock(&zone->lock);
		trace_mm(TR_PCP_REFILL, zone, order, 0, 0, PFN_NIL, l->count, pcp->batch, 0);
		src = ALLOC_SRC_BUDDY;
	}
	if (l->count) {
		l->count--;
		pcp->count -= 1u << order;
		page = *pcp_ring_slot(pcp, order, mt, l->base + l->count);
		page->flags = PG_allocated;
		trace_mm(TR_PCP_HIT, zone, order, 0, 0, page->pfn, l->count + 1, l->count, 0);
	}
	arch_irq_restore(flags);
	if (page)
		mm_count_alloc(gfp, src);
	return page;
}

/* Refill for a bulk request: what is still wanted, at least a batch,
 * within the ring and the low watermark. Interrupts off, own CPU. */
static bool pcp_bulk_refill(struct zone *zone, unsigned int hi, struct per_cpu_pages *pcp,
			    unsigned int mt, unsigned long want)
{
	long room;
	u32 n;

	spin_lock(&zone->lock);
	room = zone_watermark_headroom(zone, ALLOC_WMARK_LOW, hi);
	n = (u32)min(max(want, (unsigned long)pcp->batch), (unsigned long)PCP_MAX_HIGH);
	n = room > 0 ? (u32)min((long)n, room) : 0;
	n = __pcp_refill(zone, pcp, 0, mt, min(n, PCP_RING_SIZE - min(pcp->count, PCP_RING_SIZE)));
	spin_unlock(&zone->lock);
	return n != 0;
}

/*
 * Pops up to k pages of the list (its count k, base in locals: stores to
 * struct page could alias them) into the NULL slots of array[*i, nr), hot
 * end first, one segment of the ring at a time so that the loop walks a
 * pointer instead of masking an index. Returns the list's new count.
 */
static u32 pcp_pop_into(struct page *const *ring, u32 base, u32 k, struct page **array,
			unsigned long *i, unsigned long nr)
{
	unsigned long j = *i;

	while (k && j < nr) {
		u32 top = (base + k - 1) & PCP_RING_MASK;
		struct page *const *src = &ring[top];
		u32 seg = min(k, top + 1); /* ring[top - seg + 1 .. top]: no wrap */
		unsigned long stop = min(nr, j + seg), taken;

		for (; j < stop; j++) {
			struct page *page;

			if (unlikely(array[j])) { /* a filled slot: one more to look at */
				stop = min(nr, stop + 1);
				continue;
			}
			page = *src--;
			page->flags = PG_allocated;
			array[j] = page;
		}
		taken = (unsigned long)(&ring[top] - src);
		k -= (u32)taken;
	}
	*i = j;
	return k;
}

/* Fills the NULL slots of array[0, nr) from this CPU's list of zone,
 * refilled as needed; returns where it stopped (nr: every slot is
 * filled; less: the list and the zone, at the low watermark, ran out) and
 * in *got how many pages it placed. */
unsigned long pcp_alloc_bulk(struct zone *zone, unsigned int hi, unsigned int mt, unsigned long nr,
			     struct page **array, unsigned long *got)
{
	unsigned long flags, i = 0;
	struct per_cpu_pages *pcp = zone->pcp[arch_cpu_id()];
	struct pcp_list *l;
	struct page *const *ring;

	*got = 0;
	if (unlikely(!pcp)) /* an empty zone (no zone has memory up to hi) */
		return 0;
	flags = arch_irq_save();
	l = &pcp->lists[mt];
	ring = &pcp->ring[pcp_ring_off(0, mt)];
	for (;;) {
		u32 n = l->count, k = pcp_pop_into(ring, l->base, n, array, &i, nr);

		*got += n - k;
		l->count = k;
		pcp->count -= n - k;
		while (i < nr && array[i])
			i++;
		if (i == nr || !pcp_bulk_refill(zone, hi, pcp, mt, nr - i))
			break;
	}
	arch_irq_restore(flags);
	return i;
}

/* Every page of cpu's list of zone back to the buddy (interrupts off). */
static unsigned long drain_zone_cpu(struct zone *zone, unsigned int cpu)
{
	struct per_cpu_pages *pcp = zone->pcp[cpu];
	unsigned long n = pcp ? pcp->count : 0;

	if (n) {
		spin_lock(&zone->lock);
		__pcp_drain(zone, pcp, pcp->count);
		spin_unlock(&zone->lock);
	}
	return n;
}

static unsigned long drain_cpu(struct zone *zone, unsigned int cpu)
{
	unsigned long flags = arch_irq_save(), n = 0;
	struct zone *z;

	if (zone) {
		n = drain_zone_cpu(zone, cpu);
	} else {
		for_each_zone(z)
			n += drain_zone_cpu(z, cpu);
	}
	arch_irq_restore(flags);
	return n;
}

void drain_local_pages(struct zone *zone)
{
	drain_cpu(zone, arch_cpu_id());
}

void drain_pages(unsigned int cpu)
{
	if (cpu < NR_CPUS)
		drain_cpu(NULL, cpu);
}

/* Runs on each other CPU in its call-function IPI handler. */
static void drain_local_pages_ipi(void *zone)
{
	drain_local_pages(zone);
}

unsigned long drain_all_pages(struct zone *zone)
{
	unsigned long n = drain_cpu(zone, arch_cpu_id());

	if (num_online_cpus() > 1 && !arch_irqs_disabled() && !arch_in_irq())
		smp_call_function(drain_local_pages_ipi, zone, true);
	return n;
}

bool mm_pcp_enabled(void)
{
	return !(READ_ONCE(mm_alloc_hooks) & MM_HOOK_NO_PCP);
}

/*
 * On: the fast paths start using the lists at their next call. Off: new
 * calls bypass the lists at once; then every list is drained: by IPI when
 * the SMP code is there (a CPU that does not take the call is reported by
 * kernel/smp.c, and its lists stay as they are), else directly, which is only right when the other
 * CPUs are not allocating (boot, or a host test/bench between phases).
 */
void mm_pcp_set_enabled(bool on)
{
	unsigned int cpu;

	if (on && pcp_cpu_lost) {
		pr_warn("per-CPU lists stay off: a CPU without list sets is online\n");
		return;
	}
	if (on) {
		__atomic_and_fetch(&mm_alloc_hooks, ~MM_HOOK_NO_PCP, __ATOMIC_SEQ_CST);
		return;
	}
	__atomic_or_fetch(&mm_alloc_hooks, MM_HOOK_NO_PCP, __ATOMIC_SEQ_CST);
	if (num_online_cpus() > 1) {
		drain_all_pages(NULL);
		return;
	}
	for (cpu = 0; cpu < NR_CPUS; cpu++)
		drain_pages(cpu);
}

unsigned long zone_nr_free_pages(const struct zone *z)
{
	unsigned long n = READ_ONCE(z->free_pages);
	unsigned int cpu;

	for (cpu = 0; cpu < NR_CPUS; cpu++)
		if (z->pcp[cpu])
			n += READ_ONCE(z->pcp[cpu]->count);
	return n;
}

/* Linux's zoneinfo "pagesets" block: online CPUs, this one (before SMP
 * bring-up nothing may be marked online yet), and any with pages. */
void pcp_show_zoneinfo(const struct zone *z)
{
	unsigned int cpu;

	printk(KERN_INFO "  pagesets\n");
	for (cpu = 0; cpu < NR_CPUS; cpu++) {
		const struct per_cpu_pages *pcp = z->pcp[cpu];

		if (!pcp)
			continue;
		if (!cpu_online(cpu) && cpu != arch_cpu_id() && !READ_ONCE(pcp->count))
			continue;
		printk(KERN_INFO "    cpu: %u\n", cpu);
		printk(KERN_INFO "              count: %u\n", READ_ONCE(pcp->count));
		printk(KERN_INFO "              high:  %u\n", pcp->high);
		printk(KERN_INFO "              batch: %u\n", pcp->batch);
	}
}
