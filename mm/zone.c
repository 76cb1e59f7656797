/*
 * zone.c - zones: their spans and page counts per node, watermarks, and
 * the Linux-format reports (Zone ranges, buddyinfo, zoneinfo, one block per
 * node and zone). Which node a page is on and the zonelists that order the
 * nodes are mm/numa.c's.
 *
 * mm/init.c calls zones_init() once memblock knows all RAM, and
 * zones_setup_watermarks() once mm/buddy.c holds the free memory (the
 * watermarks scale with managed pages). mm/page_alloc.c reads what is set
 * here; mm/buddy.c maintains the free lists and counters.
 */
#define pr_fmt(fmt) "mm: " fmt

#include <labyrinth/compaction.h>
#include <labyrinth/memblock.h>
#include <labyrinth/mm.h>
#include <labyrinth/mmzone.h>
#include <labyrinth/pcp.h>
#include <labyrinth/printk.h>
#include <labyrinth/string.h>

#include "mm/internal.h"

static const char *const zone_names[MAX_NR_ZONES] = { "DMA", "DMA32", "Normal" };
static const unsigned long zone_limits[MAX_NR_ZONES] = { ZONE_DMA_END_PFN, ZONE_DMA32_END_PFN,
							 ~0ul };

/* Linux's sysctl_lowmem_reserve_ratio: DMA and DMA32 keep 1/256 of what
 * the zones above them could take from them. */
static const unsigned long lowmem_reserve_ratio[MAX_NR_ZONES] = { 256, 256, 32 };

/*
 * RAM pages of node nid inside [start, end), and the first and last+1 of
 * them (*first >= *last: none). A section is on one node (mm/numa.c), so
 * each memblock region is walked a section at a time.
 */
static unsigned long node_ram_in(int nid, unsigned long start, unsigned long end,
				 unsigned long *first, unsigned long *last)
{
	const struct memblock_type *mem = &memblock.memory;
	unsigned long n = 0;
	u32 i;

	*first = end;
	*last = start;
	for (i = 0; i < mem->cnt; i++) {
		unsigned long s = max(PFN_DOWN(mem->regions[i].base), start);
		unsigned long e = min(PFN_DOWN(mem->regions[i].base + mem->regions[i].size), end);

		while (s < e) {
			unsigned long piece = min(e, ALIGN(s + 1, PAGES_PER_SECTION));

			if (pfn_to_nid(s) == nid) {
				n += piece - s;
				*first = min(*first, s);
				*last = max(*last, piece);
			}
			s = piece;
		}
	}
	return n;
}

static void zone_init_one(struct zone *z, int nid, enum zone_type idx, unsigned long lo,
			  unsigned long hi)
{
	unsigned long first, last, present;
	unsigned int o, mt;

	memset(z, 0, sizeof(*z));
	spin_lock_init(&z->lock);
	zone_by_id[nid * MAX_NR_ZONES + idx] = z;
	z->name = zone_names[idx];
	z->node = nid;
	for (o = 0; o < NR_PAGE_ORDERS; o++)
		for (mt = 0; mt < MIGRATE_TYPES; mt++)
			z->free_area[o].head[mt] = PFN_NIL;
	present = node_ram_in(nid, lo, hi, &first, &last);
	if (first < last) {
		z->zone_start_pfn = first;
		z->spanned_pages = last - first;
		z->present_pages = present;
	}
}

/* One node: its zones over its sections, its span (zone spans' hull). */
static void node_zones_init(struct pglist_data *pgdat, int nid)
{
	unsigned long lo = 0, start = ~0ul, end = 0;
	int i;

	pgdat->node_id = nid;
	pgdat->node_present_pages = 0;
	for (i = 0; i < MAX_NR_ZONES; i++) {
		struct zone *z = &pgdat->node_zones[i];
		unsigned long hi = min(zone_limits[i], max_pfn);

		zone_init_one(z, nid, (enum zone_type)i, lo, max(lo, hi));
		lo = max(lo, hi);
		pgdat->node_present_pages += z->present_pages;
		if (z->spanned_pages) {
			start = min(start, z->zone_start_pfn);
			end = max(end, zone_end_pfn(z));
		}
	}
	pgdat->node_start_pfn = start < end ? start : 0;
	pgdat->node_spanned_pages = start < end ? end - start : 0;
}

/* Every node's zones (mm/numa.c gave each section its node), then the
 * zonelists, which need to know which zones have memory. */
void zones_init(void)
{
	int nid;

	for_each_node(nid)
		node_zones_init(NODE_DATA(nid), nid);
	build_all_zonelists();
}

static unsigned long int_sqrt(unsigned long x)
{
	unsigned long r = 0, bit = 1ul << 62;

	while (bit > x)
		bit >>= 2;
	for (; bit; bit >>= 2) {
		if (x >= r + bit) {
			x -= r + bit;
			r = (r >> 1) + bit;
		} else {
			r >>= 1;
		}
	}
	return r;
}

/* Linux's lowmem_reserve: what zone z keeps from requests allowed higher. */
static void setup_lowmem_reserve(struct pglist_data *pgdat)
{
	int z, j;

	for (z = 0; z < MAX_NR_ZONES; z++) {
		struct zone *zone = &pgdat->node_zones[z];
		unsigned long above = 0;

		for (j = 0; j < MAX_NR_ZONES; j++) {
			if (j > z) {
				above += pgdat->node_zones[j].managed_pages;
				zone->lowmem_reserve[j] = above / lowmem_reserve_ratio[z];
			} else {
				zone->lowmem_reserve[j] = 0;
			}
		}
	}
}

/* The thresholds zone_watermark_ok() (mm/internal.h) compares free_pages
 * against, precomputed. */
static void setup_thresholds(struct zone *z)
{
	long min = (long)z->_watermark[WMARK_MIN], half = min - min / 2;
	long level_wmark[NR_ALLOC_LEVELS] = {
		[ALLOC_WMARK_LOW] = (long)z->_watermark[WMARK_LOW],
		[ALLOC_WMARK_MIN] = min,
		[ALLOC_WMARK_HIGH_RES] = half,
		[ALLOC_WMARK_ATOMIC] = half - half / 4, /* 3/8 of min */
		[ALLOC_NO_WATERMARKS] = 0,
	};
	int l, hi;

	for (l = 0; l < NR_ALLOC_LEVELS; l++)
		for (hi = 0; hi < MAX_NR_ZONES; hi++)
			z->wmark_thr[l][hi] = l == ALLOC_NO_WATERMARKS
						  ? 0
						  : level_wmark[l] + (long)z->lowmem_reserve[hi];
}

/*
 * Linux's rules: min_free_kbytes = sqrt(16 * managed KiB), clamped to
 * [128, 262144]; each zone gets a share of it proportional to its size as
 * its min watermark; low and high are min plus one and two times
 * max(min / 4, 0.1% of the zone) (watermark_scale_factor 10).
 */
void zones_setup_watermarks(void)
{
	unsigned long total = totalram_pages(), min_kb, pages_min;
	struct zone *z;
	int nid;

	min_kb = clamp(int_sqrt(total * (PAGE_SIZE >> 10) * 16), 128ul, 262144ul);
	pages_min = min_kb >> (PAGE_SHIFT - 10);
	for_each_node(nid)
		setup_lowmem_reserve(NODE_DATA(nid));
	for_each_zone(z) {
		unsigned long min = total ? pages_min * z->managed_pages / total : 0;
		unsigned long step = max(min / 4, z->managed_pages * 10 / 10000);

		z->_watermark[WMARK_MIN] = min;
		z->_watermark[WMARK_LOW] = min + step;
		z->_watermark[WMARK_HIGH] = min + 2 * step;
		setup_thresholds(z);
	}
}

unsigned long totalram_pages(void)
{
	unsigned long n = 0;
	struct zone *z;

	for_each_zone(z)
		n += z->managed_pages;
	return n;
}

/* The buddy's free pages and every per-CPU list's (include/labyrinth/pcp.h). */
unsigned long nr_free_pages(void)
{
	unsigned long n = 0;
	struct zone *z;

	for_each_zone(z)
		n += zone_nr_free_pages(z);
	return n;
}

/* Zone type i over all nodes: [*start, *end) of the nodes' spans' hull. */
static void zone_type_hull(int i, unsigned long *start, unsigned long *end)
{
	int nid;

	*start = ~0ul;
	*end = 0;
	for_each_node(nid) {
		const struct zone *z = &NODE_DATA(nid)->node_zones[i];

		if (z->spanned_pages) {
			*start = min(*start, z->zone_start_pfn);
			*end = max(*end, zone_end_pfn(z));
		}
	}
}

/* Linux's "Zone ranges:" block, then each node's memory ranges. */
void zone_print_ranges(void)
{
	const struct memblock_type *mem = &memblock.memory;
	unsigned long s, e;
	int i, nid;
	u32 r;

	printk(KERN_INFO "Zone ranges:\n");
	for (i = 0; i < MAX_NR_ZONES; i++) {
		zone_type_hull(i, &s, &e);
		if (s >= e) {
			printk(KERN_INFO "  %-8s empty\n", zone_names[i]);
			continue;
		}
		printk(KERN_INFO "  %-8s [mem 0x%016llx-0x%016llx]\n", zone_names[i],
		       (unsigned long long)PFN_PHYS(s), (unsigned long long)PFN_PHYS(e) - 1);
	}
	printk(KERN_INFO "Early memory node ranges\n");
	for_each_node(nid)
		for (r = 0; r < mem->cnt; r++) {
			phys_addr_t base = mem->regions[r].base, end = base + mem->regions[r].size;
			unsigned long first, last;

			if (!node_ram_in(nid, PFN_DOWN(base), PFN_DOWN(end), &first, &last))
				continue;
			/* the region itself where the node has all of it */
			base = first == PFN_DOWN(base) ? base : PFN_PHYS(first);
			end = last == PFN_DOWN(end) ? end : PFN_PHYS(last);
			printk(KERN_INFO "  node %3d: [mem 0x%016llx-0x%016llx]\n", nid,
			       (unsigned long long)base, (unsigned long long)end - 1);
		}
	for_each_node(nid)
		if (nr_node_ids > 1 && NODE_DATA(nid)->node_spanned_pages) {
			const struct pglist_data *p = NODE_DATA(nid);

			printk(KERN_INFO "Initmem setup node %d [mem 0x%016llx-0x%016llx]\n", nid,
			       (unsigned long long)PFN_PHYS(p->node_start_pfn),
			       (unsigned long long)PFN_PHYS(p->node_start_pfn +
							    p->node_spanned_pages) -
				   1);
		}
}

/* /proc/buddyinfo: free blocks per order, one line per zone. */
void show_buddyinfo(void)
{
	char line[160];
	struct zone *z;
	int o, n;

	for_each_zone(z) {
		unsigned long flags;
		u32 counts[NR_PAGE_ORDERS];

		if (!populated_zone(z))
			continue;
		spin_lock_irqsave(&z->lock, flags);
		for (o = 0; o < NR_PAGE_ORDERS; o++)
			counts[o] = z->free_area[o].nr_free;
		spin_unlock_irqrestore(&z->lock, flags);
		n = snprintf(line, sizeof(line), "Node %d, zone %8s ", z->node, z->name);
		for (o = 0; o < NR_PAGE_ORDERS && n > 0 && (size_t)n < sizeof(line); o++)
			n += snprintf(line + n, sizeof(line) - (size_t)n, "%6u ", counts[o]);
		printk(KERN_INFO "%s\n", line);
	}
	show_extfrag_info(); /* mm/vmstat.c */
}

/* The core of /proc/zoneinfo. */
void show_zoneinfo(void)
{
	struct zone *z;

	for_each_zone(z) {
		if (!z->spanned_pages)
			continue;
		printk(KERN_INFO "Node %d, zone %8s\n", z->node, z->name);
		printk(KERN_INFO "  pages free     %lu\n",
		       READ_ONCE(z->free_pages)); /* buddy only */
		printk(KERN_INFO "        min      %lu\n", z->_watermark[WMARK_MIN]);
		printk(KERN_INFO "        low      %lu\n", z->_watermark[WMARK_LOW]);
		printk(KERN_INFO "        high     %lu\n", z->_watermark[WMARK_HIGH]);
		printk(KERN_INFO "        spanned  %lu\n", z->spanned_pages);
		printk(KERN_INFO "        present  %lu\n", z->present_pages);
		printk(KERN_INFO "        managed  %lu\n", z->managed_pages);
		printk(KERN_INFO "        protection: (%lu, %lu, %lu)\n", z->lowmem_reserve[0],
		       z->lowmem_reserve[1], z->lowmem_reserve[2]);
		pcp_show_zoneinfo(z);
		printk(KERN_INFO "  start_pfn:           %lu\n", z->zone_start_pfn);
	}
}
