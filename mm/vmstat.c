/*
 * vmstat.c - the fragmentation reports, as Linux 6.1's mm/vmstat.c:
 * /proc/pagetypeinfo (free blocks per order and migratetype, pageblocks per
 * type), the extfrag and unusable free space indices of debugfs
 * (fragmentation_index(), unusable_free_index()) and the compaction
 * counters of /proc/vmstat. Reads the zones under their locks; prints.
 */
#define pr_fmt(fmt) "mm: " fmt

#include <labyrinth/compaction.h>
#include <labyrinth/mm.h>
#include <labyrinth/mmzone.h>
#include <labyrinth/printk.h>
#include <labyrinth/string.h>

#include "mm/internal.h"

/* Linux's struct contig_page_info and fill_contig_page_info(). */
struct contig_page_info {
	unsigned long free_pages;
	unsigned long free_blocks_total;
	unsigned long free_blocks_suitable;
};

static void fill_contig_page_info(const struct zone *zone, unsigned int suitable_order,
				  struct contig_page_info *info)
{
	unsigned int o;

	*info = (struct contig_page_info){ 0 };
	for (o = 0; o < NR_PAGE_ORDERS; o++) {
		unsigned long blocks = READ_ONCE(zone->free_area[o].nr_free);

		info->free_blocks_total += blocks;
		info->free_pages += blocks << o;
		if (o >= suitable_order)
			info->free_blocks_suitable += blocks << (o - suitable_order);
	}
}

/*
 * Linux's __fragmentation_index(): 0 when the free memory is in few large
 * blocks (an allocation fails for lack of memory), towards 1000 when it is
 * in many small ones (it fails for fragmentation); -1000 when a block of
 * the order is free:
 *     1000 - (1000 + free_pages * 1000 / 2^order) / free_blocks_total
 */
static int __fragmentation_index(unsigned int order, const struct contig_page_info *info)
{
	unsigned long requested = 1ul << order;

	if (!info->free_blocks_total)
		return 0;
	if (info->free_blocks_suitable)
		return -1000;
	return 1000 - (int)((1000 + info->free_pages * 1000 / requested) / info->free_blocks_total);
}

int fragmentation_index(const struct zone *zone, unsigned int order)
{
	struct contig_page_info info;

	fill_contig_page_info(zone, order, &info);
	return __fragmentation_index(order, &info);
}

/* Linux's unusable_free_index(): free pages in blocks below the order,
 * per 1000 free pages (1000 with nothing free). */
int unusable_free_index(const struct zone *zone, unsigned int order)
{
	struct contig_page_info info;

	fill_contig_page_info(zone, order, &info);
	if (!info.free_pages)
		return 1000;
	return (int)((info.free_pages - (info.free_blocks_suitable << order)) * 1000 /
		     info.free_pages);
}

/* "%d.%03d" of an index x1000, Linux's debugfs format (-1.000, 0.512). */
static int fmt_index(char *buf, size_t size, int index)
{
	return snprintf(buf, size, "%s%d.%03d ", index < 0 ? "-" : "",
			(index < 0 ? -index : index) / 1000, (index < 0 ? -index : index) % 1000);
}

static void show_index_line(const struct zone *z, const char *what,
			    int (*fn)(const struct zone *, unsigned int))
{
	char line[192];
	unsigned int o;
	int n = snprintf(line, sizeof(line), "Node %d, zone %8s %-8s ", z->node, z->name, what);

	for (o = 0; o < NR_PAGE_ORDERS && n > 0 && (size_t)n < sizeof(line); o++)
		n += fmt_index(line + n, sizeof(line) - (size_t)n, fn(z, o));
	printk(KERN_INFO "%s\n", line);
}

void show_extfrag_info(void)
{
	struct zone *z;

	printk(KERN_INFO "fragmentation per order (x1000 as Linux's debugfs extfrag/: "
			 "extfrag_index -1.000 = a block is free, towards 1 = fragmentation; "
			 "unusable_index = free space in smaller blocks)\n");
	for_each_zone(z) {
		if (!populated_zone(z))
			continue;
		show_index_line(z, "extfrag", fragmentation_index);
		show_index_line(z, "unusable", unusable_free_index);
	}
}

/* ---- a picture of the pageblocks ---- */

/* Free pages in the pageblock at pfn (buddy blocks whose head is in it,
 * per-CPU pages). Zone lock held. */
static unsigned long __pageblock_free(unsigned long pfn)
{
	unsigned long end = pfn + pageblock_nr_pages, n = 0;

	while (pfn < end) {
		const struct page *page = pfn_to_page(pfn);

		if (page->flags == PG_buddy || page->flags == PG_pcp) {
			n += min(1ul << page->order, end - pfn);
			pfn += 1ul << page->order;
		} else {
			pfn++;
		}
	}
	return n;
}

/*
 * One character per pageblock, 64 a line: its type's initial (U, M, R, H,
 * I), upper case when something in it is in use, lower case when it is
 * entirely free; ' ' for a pageblock without RAM.
 */
void show_pageblock_map(void)
{
	static const char letter[MIGRATE_TYPES] = { 'U', 'M', 'R', 'H', 'I' };
	struct zone *z;

	for_each_zone(z) {
		unsigned long pfn, flags, start = ALIGN(z->zone_start_pfn, pageblock_nr_pages);
		char line[72];
		int n = 0;

		if (!populated_zone(z))
			continue;
		printk(KERN_INFO
		       "pageblocks of Node %d, zone %s (U M R H I = type, lower case: all "
		       "free):\n",
		       z->node, z->name);
		spin_lock_irqsave(&z->lock, flags);
		for (pfn = start; pfn < zone_end_pfn(z); pfn += pageblock_nr_pages) {
			char c = ' ';

			if (pfn_valid(pfn) && !(pfn_to_page(pfn)->flags & PG_nomem)) {
				c = letter[get_pfnblock_migratetype(pfn)];
				if (__pageblock_free(pfn) == pageblock_nr_pages)
					c = (char)(c - 'A' + 'a');
			}
			line[n++] = c;
			if (n == 64 || pfn + pageblock_nr_pages >= zone_end_pfn(z)) {
				line[n] = '\0';
				printk(KERN_INFO "  %s\n", line);
				n = 0;
			}
		}
		spin_unlock_irqrestore(&z->lock, flags);
	}
}

/* ---- /proc/pagetypeinfo ---- */

static void show_free_per_type(struct zone *z)
{
	u32 counts[MIGRATE_TYPES][NR_PAGE_ORDERS];
	unsigned long flags;
	unsigned int mt, o;
	char line[192];

	spin_lock_irqsave(&z->lock, flags);
	for (mt = 0; mt < MIGRATE_TYPES; mt++)
		for (o = 0; o < NR_PAGE_ORDERS; o++) {
			u32 n = 0, pfn;

			for (pfn = z->free_area[o].head[mt]; pfn != PFN_NIL;
			     pfn = pfn_to_page(pfn)->next)
				n++;
			counts[mt][o] = n;
		}
	spin_unlock_irqrestore(&z->lock, flags);
	for (mt = 0; mt < MIGRATE_TYPES; mt++) {
		int n = snprintf(line, sizeof(line), "Node %4d, zone %8s, type %12s ", z->node,
				 z->name, migratetype_names[mt]);

		for (o = 0; o < NR_PAGE_ORDERS && n > 0 && (size_t)n < sizeof(line); o++)
			n += snprintf(line + n, sizeof(line) - (size_t)n, "%6u ", counts[mt][o]);
		printk(KERN_INFO "%s\n", line);
	}
}

/* Pageblocks of the zone by type (Linux's pagetypeinfo_showblockcount). */
void zone_count_pageblocks(const struct zone *z, unsigned long count[MIGRATE_TYPES])
{
	unsigned long pfn, end = zone_end_pfn(z);
	unsigned int mt;

	for (mt = 0; mt < MIGRATE_TYPES; mt++)
		count[mt] = 0;
	for (pfn = ALIGN(z->zone_start_pfn, pageblock_nr_pages); pfn < end;
	     pfn += pageblock_nr_pages)
		if (pfn_valid(pfn) && !(pfn_to_page(pfn)->flags & PG_nomem))
			count[get_pfnblock_migratetype(pfn)]++;
}

void show_pagetypeinfo(void)
{
	unsigned long count[MIGRATE_TYPES];
	char line[192];
	unsigned int o, mt;
	struct zone *z;
	int n;

	printk(KERN_INFO "Page block order: %d\n", pageblock_order);
	printk(KERN_INFO "Pages per block:  %lu\n", pageblock_nr_pages);
	printk(KERN_INFO "\n");
	n = snprintf(line, sizeof(line), "%-43s ", "Free pages count per migrate type at order");
	for (o = 0; o < NR_PAGE_ORDERS; o++)
		n += snprintf(line + n, sizeof(line) - (size_t)n, "%6u ", o);
	printk(KERN_INFO "%s\n", line);
	for_each_zone(z)
		if (populated_zone(z))
			show_free_per_type(z);
	printk(KERN_INFO "\n");
	n = snprintf(line, sizeof(line), "%-23s", "Number of blocks type ");
	for (mt = 0; mt < MIGRATE_TYPES; mt++)
		n += snprintf(line + n, sizeof(line) - (size_t)n, "%12s ", migratetype_names[mt]);
	printk(KERN_INFO "%s\n", line);
	for_each_zone(z) {
		if (!populated_zone(z))
			continue;
		zone_count_pageblocks(z, count);
		n = snprintf(line, sizeof(line), "Node %d, zone %8s ", z->node, z->name);
		for (mt = 0; mt < MIGRATE_TYPES; mt++)
			n += snprintf(line + n, sizeof(line) - (size_t)n, "%12lu ", count[mt]);
		printk(KERN_INFO "%s\n", line);
	}
}

/* In struct compact_stats' order: every field is an unsigned long. */
static const char *const compact_stat_names[] = {
	"compact_stall",	   "compact_success",	   "compact_fail",
	"compact_migrate_scanned", "compact_free_scanned", "compact_isolated",
	"compact_daemon_wake",	   "pgmigrate_success",	   "pgmigrate_fail",
};
BUILD_BUG_ON(sizeof(struct compact_stats) !=
	     sizeof(compact_stat_names) / sizeof(char *) * sizeof(unsigned long));

void show_compaction_stats(void)
{
	struct compact_stats s;
	const unsigned long *v = &s.compact_stall;
	unsigned int i;

	compact_stats_read(&s);
	for (i = 0; i < ARRAY_SIZE(compact_stat_names); i++)
		printk(KERN_INFO "%s %lu\n", compact_stat_names[i], v[i]);
}
