/*
 * bench_init.c - what the allocator costs before and besides allocating:
 * zone and buddy initialisation time per GiB of managed memory (1, 4 and
 * 16 GiB QEMU-style maps), and metadata per GiB (struct page, and the page
 * tables of the direct map built by the real builder, mm/pgtable.c).
 *
 * Init is timed twice per map. "Cold" is the first mm_init() over a fresh
 * MAP_NORESERVE mapping: every 4 KiB of struct page array the host has not
 * backed yet costs a host page fault and a zeroed page, which a kernel on
 * real RAM never pays. "Warm" re-runs memmap_init() + mm_init() over the
 * same mapping (memblock allocates the same arrays again, now backed): the
 * allocator's own cost, which the target is about. Both are reported; the
 * difference is the host's first-touch cost. Page contents are never
 * touched (debug poisoning is off).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <labyrinth/layout.h>
#include <labyrinth/memmap.h>
#include <labyrinth/mm.h>
#include <labyrinth/mmzone.h>
#include <labyrinth/pgtable.h>
#include "../host/host.h"
#include "../host/lib/sim_mem.h"
#include "bench.h"

#define GiB (1ull << 30)
#define PT_MAP_GIB 16

/*
 * Drops the simulated memory and mm's pointers into it: mm_set_direct_map()
 * (called by the next sim_boot) rebases mem_section, which must then not
 * point into the unmapped region.
 */
static void sim_forget(void)
{
	struct zone *z;
	unsigned int cpu;

	/* mm_init() rebases these to the new direct map before it allocates
	 * its own: the previous boot's, in memory unmapped below, must go. */
	for_each_zone(z)
		for (cpu = 0; cpu < NR_CPUS; cpu++)
			z->pcp[cpu] = NULL;
	mem_section = NULL;
	nr_mem_sections = 0;
	sim_mem_unmap();
}

static double time_init(struct boot_info *bi, bool cold)
{
	double t0 = bench_now_ns();

	if (cold)
		sim_boot_quiet(bi);
	else
		mm_init(memmap_init(bi));
	return bench_now_ns() - t0;
}

static void init_one(unsigned int gib)
{
	struct boot_info *bi;
	double cold, warm = 0, pages;
	char key[40], name[80];
	struct bench_result *r;
	int reps = bench_quick() ? 1 : 3;

	sim_forget();
	bi = sim_boot_info_qemu((u64)gib * GiB);
	cold = time_init(bi, true);
	for (int i = 0; i < reps; i++) {
		double t = time_init(bi, false);

		warm = i == 0 || t < warm ? t : warm;
	}
	pages = (double)totalram_pages();
	snprintf(key, sizeof(key), "init_%ugib", gib);
	snprintf(name, sizeof(name), "init %2u GiB: zones+buddy, per managed page", gib);
	r = bench_report_value(key, name, "ns/page", warm / pages);
	bench_target(r, BENCH_AT_MOST, 3);
	bench_note(r, "%.2f ms for %.0f pages (%.2f ms/GiB), best of %d warm runs", warm / 1e6,
		   pages, warm / 1e6 / (pages * PAGE_SIZE / GiB), reps);
	snprintf(key, sizeof(key), "init_%ugib_cold", gib);
	snprintf(name, sizeof(name), "  same, first run (host first-touch)");
	r = bench_report_value(key, name, "ns/page", cold / pages);
	bench_note(r, "%.2f ms: +%.2f ms of host page faults on the fresh struct page arrays",
		   cold / 1e6, (cold - warm) / 1e6);
}

void bench_init_run(void)
{
	bool q = host_log_quiet;

	host_log_quiet = true;
	init_one(1);
	init_one(4);
	init_one(16);
	sim_forget();
	host_log_quiet = q;
}

/* ---- metadata ---- */

/* struct page arrays (whole sections) + the section table, per GiB of RAM. */
static void struct_page_metadata(void)
{
	unsigned long secs = 0, bytes;
	struct bench_result *r;

	for (unsigned long s = 0; s < nr_mem_sections; s++)
		secs += mem_section[s].map != NULL;
	bytes = secs * PAGES_PER_SECTION * sizeof(struct page) +
		nr_mem_sections * sizeof(struct mem_section);
	r = bench_report_value("struct_page_bytes", "struct page size", "B/page",
			       (double)sizeof(struct page));
	bench_target(r, BENCH_AT_MOST, 16);
	bench_note(r, "%lu KiB per GiB (%.2f%% of RAM); Linux: 64 B, 16384 KiB per GiB",
		   (unsigned long)(GiB / PAGE_SIZE * sizeof(struct page)) >> 10,
		   100.0 * (double)sizeof(struct page) / PAGE_SIZE);
	r = bench_report_value("mem_map_per_gib", "mem_map as allocated, 1 GiB map", "KiB/GiB",
			       (double)bytes / 1024 / ((double)totalram_pages() * PAGE_SIZE / GiB));
	bench_note(r,
		   "%lu sections with RAM, %lu table entries; per GiB managed (holes round up "
		   "to 128 MiB sections)",
		   secs, nr_mem_sections);
}

/* Page tables from malloc: "physical address" = 4096 * (slot + 1). */
static u64 *pt_pages[PT_MAP_GIB * 512 + 64];
static size_t pt_next;

static phys_addr_t pt_alloc(void *ctx)
{
	(void)ctx;
	if (pt_next == sizeof(pt_pages) / sizeof(pt_pages[0]))
		return 0;
	pt_pages[pt_next] = aligned_alloc(PAGE_SIZE, PAGE_SIZE);
	if (!pt_pages[pt_next])
		return 0;
	memset(pt_pages[pt_next], 0, PAGE_SIZE);
	return (phys_addr_t)(++pt_next) * PAGE_SIZE;
}

static void pt_free(void *ctx, phys_addr_t pa)
{
	(void)ctx;
	free(pt_pages[pa / PAGE_SIZE - 1]);
	pt_pages[pa / PAGE_SIZE - 1] = NULL;
}

static u64 *pt_table(void *ctx, phys_addr_t pa)
{
	(void)ctx;
	return pt_pages[pa / PAGE_SIZE - 1];
}

static const struct pgtable_ops pt_ops = { pt_alloc, pt_free, pt_table, NULL };

/* Tables for a PT_MAP_GIB direct map with leaves no larger than max_level. */
static size_t direct_map_tables(unsigned int max_level)
{
	struct pgtable pt;
	size_t n;

	pt_next = 0;
	if (pgtable_init(&pt, 4, (1u << 1) | (1u << 2) | (1u << 3), ~0ull, &pt_ops, NULL) ||
	    pgtable_map_max(&pt, DIRECT_MAP_BASE, 0, (u64)PT_MAP_GIB * GiB, PAGE_KERNEL,
			    max_level)) {
		fprintf(stderr, "bench: page-table builder failed\n");
		return 0;
	}
	n = pt.nr_tables;
	pgtable_destroy(&pt);
	return n;
}

static void page_table_metadata(void)
{
	static const char *const what[] = { "", "4 KiB", "2 MiB", "1 GiB" };
	char key[40], name[80];
	struct bench_result *r;

	for (unsigned int level = 3; level >= 1; level--) {
		size_t tables = direct_map_tables(level);
		double per_gib = (double)tables * PAGE_SIZE / PT_MAP_GIB;

		snprintf(key, sizeof(key), "pt_per_gib_%s",
			 level == 3   ? "1g"
			 : level == 2 ? "2m"
				      : "4k");
		snprintf(name, sizeof(name), "direct-map page tables, %s pages", what[level]);
		r = bench_report_value(key, name, "B/GiB", per_gib);
		bench_note(r,
			   "%zu tables for a %u GiB direct map, built by mm/pgtable.c (root "
			   "included)",
			   tables, PT_MAP_GIB);
	}
}

void bench_metadata_run(void)
{
	struct_page_metadata();
	page_table_metadata();
}
