/*
 * compaction.h - memory compaction (mm/compaction.c) and the fragmentation
 * reports (mm/vmstat.c), with Linux's names.
 *
 * Compaction moves movable pages (mm/pagecache.c's, by mm/migrate.c) from
 * the bottom of a zone into free pages at its top, until a free block of
 * the wanted order forms. mm/page_alloc.c calls it for high-order
 * allocations that may sleep and failed (direct compaction); the balancer
 * (mm/reclaim.c) calls it in the background for zones where a high-order
 * allocation had to wait (Linux's kcompactd). compaction=0 turns both off.
 */
#ifndef LABYRINTH_COMPACTION_H
#define LABYRINTH_COMPACTION_H

#include <labyrinth/mmzone.h>

/* Linux's PAGE_ALLOC_COSTLY_ORDER: orders above it are "costly". */
#define PAGE_ALLOC_COSTLY_ORDER 3

enum compact_result {
	COMPACT_SKIPPED,  /* off, or the zone lacks free pages, not contiguity */
	COMPACT_COMPLETE, /* the scanners met without a block of the order */
	COMPACT_SUCCESS,  /* a free block of the order exists */
};

/* Linux's vmstat counters of compaction (/proc/vmstat names). */
struct compact_stats {
	unsigned long compact_stall;   /* direct compactions */
	unsigned long compact_success; /* ... that produced the block */
	unsigned long compact_fail;    /* ... that did not */
	unsigned long compact_migrate_scanned, compact_free_scanned;
	unsigned long compact_isolated; /* pages isolated, both scanners */
	unsigned long compact_daemon_wake;
	unsigned long pgmigrate_success, pgmigrate_fail;
};

void mm_set_compaction(bool on);
bool mm_compaction_enabled(void);
/* Compacts zone until a free block of order exists (or the scanners
 * meet). Not from IRQ context. */
enum compact_result compact_zone_order(struct zone *zone, unsigned int order);
void compact_stats_read(struct compact_stats *out);

/* Linux's fragmentation indices for zone and order, x1000 (mm/vmstat.c):
 * fragmentation_index: -1000 if a block of the order is free; else towards
 * 0 the failure is for lack of memory, towards 1000 for fragmentation.
 * unusable_free_index: the share of free memory in blocks below the order. */
int fragmentation_index(const struct zone *zone, unsigned int order);
int unusable_free_index(const struct zone *zone, unsigned int order);
/* extfrag and unusable indices of every zone (printed after buddyinfo). */
void show_extfrag_info(void);
/* /proc/pagetypeinfo, Linux's format. */
void show_pagetypeinfo(void);
/* One character per pageblock: type, and whether it is all free. */
void show_pageblock_map(void);
/* /proc/vmstat's compaction lines. */
void show_compaction_stats(void);

#endif
