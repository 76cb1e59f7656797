/*
 * kernel_fragbench.c - `fragbench` on the command line: the fragmentation
 * workload (tests/bench/fragwork.c) in the guest, in this boot's
 * configuration (mobility=, compaction=), after the tests. Its lines go to
 * the console with a "fragbench: " prefix; `make bench-frag-qemu` boots
 * the four configurations and tools/fragbench_plot.py reads the logs.
 */
#define pr_fmt(fmt) "fragbench: " fmt

#include <labyrinth/compaction.h>
#include <labyrinth/mm.h>
#include <labyrinth/mmzone.h>
#include <labyrinth/printk.h>
#include <labyrinth/string.h>

#include "tests/bench/fragwork.h"

static void emit(const char *line)
{
	pr_info("%s\n", line);
}

/* An array of n entries of size bytes, from the buddy: its order. */
static void *alloc_array(unsigned long n, unsigned long size, unsigned int *order)
{
	struct page *p;

	*order = 0;
	while ((PAGE_SIZE << *order) < n * size)
		(*order)++;
	p = *order <= MAX_PAGE_ORDER ? alloc_pages(GFP_KERNEL | __GFP_ZERO, *order) : NULL;
	return p ? page_address(p) : NULL;
}

void kernel_fragbench_run(unsigned long ops, u64 seed)
{
	struct zone *z = node_zonelist(numa_node_id(), GFP_KERNEL, ZONE_NORMAL)[0];
	unsigned long n = z->managed_pages;
	unsigned int o1, o2, o3;
	struct fragwork w = { .ops = ops, .seed = seed, .nslots = n, .emit = emit };
	char cfg[32];

	snprintf(cfg, sizeof(cfg), "mob%d_comp%d", mm_mobility_grouping(), mm_compaction_enabled());
	w.cfg = cfg;
	w.slots = alloc_array(n, sizeof(struct page *), &o1);
	w.movable = alloc_array(n, sizeof(long), &o2);
	w.pinned = alloc_array(n, sizeof(struct page *), &o3);
	if (!w.slots || !w.movable || !w.pinned || ops < 1000 || fragwork_run(&w))
		pr_err("could not run (zone %s: %lu pages, ops %lu)\n", z->name, n, ops);
	if (w.slots)
		free_pages((unsigned long)w.slots, o1);
	if (w.movable)
		free_pages((unsigned long)w.movable, o2);
	if (w.pinned)
		free_pages((unsigned long)w.pinned, o3);
}
