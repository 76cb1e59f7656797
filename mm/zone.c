/*
 * zone.c - zones: their spans and page counts, watermarks, zonelists, and
 * the Linux-format reports (Zone ranges, buddyinfo, zoneinfo).
 *
 * mm/init.c calls zones_init() once memblock knows all RAM, and
 * zones_setup_watermarks() once mm/buddy.c holds the free memory (the
 * watermarks scale with managed pages). mm/page_alloc.c reads what is set
 * here; mm/buddy.c maintains the free lists and counters.
 */
#define pr_fmt(fmt) "mm: " fmt

#include <labyrinth/memblock.h>
#include <labyrinth/mm.h>
#include <labyrinth/mmzone.h>
#include <labyrinth/pcp.h>
#include <labyrinth/printk.h>
#include <labyrinth/string.h>

struct pglist_data contig_page_data;

static const char *const zone_names[MAX_NR_ZONES] = { "DMA", "DMA32", "Normal" };
static const unsigned long zone_limits[MAX_NR_ZONES] = { ZONE_DMA_END_PFN, ZONE_DMA32_END_PFN,
							 ~0ul };

/* Linux's sysctl_lowmem_reserve_ratio: DMA and DMA32 keep 1/256 of what
 * the zones above them could take from them. */
static const unsigned long lowmem_reserve_ratio[MAX_NR_ZONES] = { 256, 256, 32 };

/* RAM pages of memblock.memory inside [start, end). */
static unsigned long present_pages_in(unsigned long start, unsigned long end)
{
	const struct memblock_type *mem = &memblock.memory;
	unsigned long n = 0;
	u32 i;

	for (i = 0; i < mem->cnt; i++) {
		unsigned long s = max(PFN_DOWN(mem->regions[i].base), start);
		unsigned long e = min(PFN_DOWN(mem->regions[i].base + mem->regions[i].size), end);

		if (s < e)
			n += e - s;
	}
	return n;
}

static void zone_init_one(struct zone *z, enum zone_type idx, unsigned long lo, unsigned long hi)
{
	const struct memblock_type *mem = &memblock.memory;
	unsigned long first = hi, last = lo;
	unsigned int o;
	u32 i;

	memset(z, 0, sizeof(*z));
	spin_lock_init(&z->lock);
	z->name = zone_names[idx];
	for (o = 0; o < NR_PAGE_ORDERS; o++)
		z->free_area[o].head = PFN_NIL;
	for (i = 0; i < mem->cnt; i++) {
		unsigned long s = max(PFN_DOWN(mem->regions[i].base), lo);
		unsigned long e = min(PFN_DOWN(mem->regions[i].base + mem->regions[i].size), hi);

		if (s < e) {
			first = min(first, s);
			last = max(last, e);
		}
	}
	if (first < last) {
		z->zone_start_pfn = first;
		z->spanned_pages = last - first;
		z->present_pages = present_pages_in(first, last);
	}
}

/* For each highest allowed zone: the zones to try, highest first. */
static void build_zonelists(struct pglist_data *pgdat)
{
	int hi, z, n;

	for (hi = 0; hi < MAX_NR_ZONES; hi++) {
		n = 0;
		for (z = hi; z >= 0; z--)
			if (pgdat->node_zones[z].spanned_pages)
				pgdat->zonelist[hi][n++] = (u8)z;
		pgdat->zonelist[hi][n] = MAX_NR_ZONES;
	}
}

void zones_init(void)
{
	struct pglist_data *pgdat = &contig_page_data;
	unsigned long lo = 0;
	int i;

	for (i = 0; i < MAX_NR_ZONES; i++) {
		unsigned long hi = min(zone_limits[i], max_pfn);

		zone_init_one(&pgdat->node_zones[i], (enum zone_type)i, lo, max(lo, hi));
		lo = max(lo, hi);
	}
	pgdat->node_start_pfn = PFN_DOWN(memblock_start_of_DRAM());
	pgdat->node_spanned_pages = max_pfn - pgdat->node_start_pfn;
	pgdat->node_present_pages = present_pages_in(0, max_pfn);
	build_zonelists(pgdat);
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

/* The thresholds page_alloc compares free_pages against, precomputed. */
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
	struct pglist_data *pgdat = &contig_page_data;
	unsigned long total = totalram_pages(), min_kb, pages_min;
	int i;

	min_kb = clamp(int_sqrt(total * (PAGE_SIZE >> 10) * 16), 128ul, 262144ul);
	pages_min = min_kb >> (PAGE_SHIFT - 10);
	setup_lowmem_reserve(pgdat);
	for (i = 0; i < MAX_NR_ZONES; i++) {
		struct zone *z = &pgdat->node_zones[i];
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
	int i;

	for (i = 0; i < MAX_NR_ZONES; i++)
		n += contig_page_data.node_zones[i].managed_pages;
	return n;
}

/* The buddy's free pages and every per-CPU list's (include/labyrinth/pcp.h). */
unsigned long nr_free_pages(void)
{
	unsigned long n = 0;
	int i;

	for (i = 0; i < MAX_NR_ZONES; i++)
		n += zone_nr_free_pages(&contig_page_data.node_zones[i]);
	return n;
}

/* Linux's "Zone ranges:" block, then the node's memory ranges. */
void zone_print_ranges(void)
{
	const struct memblock_type *mem = &memblock.memory;
	int i;
	u32 r;

	printk(KERN_INFO "Zone ranges:\n");
	for (i = 0; i < MAX_NR_ZONES; i++) {
		const struct zone *z = &contig_page_data.node_zones[i];

		if (!z->spanned_pages) {
			printk(KERN_INFO "  %-8s empty\n", z->name);
			continue;
		}
		printk(KERN_INFO "  %-8s [mem 0x%016llx-0x%016llx]\n", z->name,
		       (unsigned long long)PFN_PHYS(z->zone_start_pfn),
		       (unsigned long long)PFN_PHYS(zone_end_pfn(z)) - 1);
	}
	printk(KERN_INFO "Early memory node ranges\n");
	for (r = 0; r < mem->cnt; r++)
		printk(KERN_INFO "  node   0: [mem 0x%016llx-0x%016llx]\n",
		       (unsigned long long)mem->regions[r].base,
		       (unsigned long long)(mem->regions[r].base + mem->regions[r].size - 1));
}

/* /proc/buddyinfo: free blocks per order, one line per zone. */
void show_buddyinfo(void)
{
	char line[160];
	int i, o, n;

	for (i = 0; i < MAX_NR_ZONES; i++) {
		struct zone *z = &contig_page_data.node_zones[i];
		unsigned long flags;
		u32 counts[NR_PAGE_ORDERS];

		if (!populated_zone(z))
			continue;
		spin_lock_irqsave(&z->lock, flags);
		for (o = 0; o < NR_PAGE_ORDERS; o++)
			counts[o] = z->free_area[o].nr_free;
		spin_unlock_irqrestore(&z->lock, flags);
		n = snprintf(line, sizeof(line), "Node 0, zone %8s ", z->name);
		for (o = 0; o < NR_PAGE_ORDERS && n > 0 && (size_t)n < sizeof(line); o++)
			n += snprintf(line + n, sizeof(line) - (size_t)n, "%6u ", counts[o]);
		printk(KERN_INFO "%s\n", line);
	}
}

/* The core of /proc/zoneinfo. */
void show_zoneinfo(void)
{
	int i;

	for (i = 0; i < MAX_NR_ZONES; i++) {
		const struct zone *z = &contig_page_data.node_zones[i];

		if (!z->spanned_pages)
			continue;
		printk(KERN_INFO "Node 0, zone %8s\n", z->name);
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
