/*
 * fragbench.c - the fragmentation workload (tests/bench/fragwork.c) on the
 * host, over the real mm/ code and simulated memory (a benchmark, not a
 * test: it asserts nothing about the figures).
 *
 *   build/bench/fragbench [seed=N] [ops=N] [mobility=0|1] [compaction=0|1] [map=1]
 *
 * One simulated machine (256 MiB, QEMU's e820 layout, one CPU, per-CPU
 * lists on). mobility= and compaction= are the kernel's command-line
 * switches. map=1, at the end: frees random movable pages down to the low
 * tide, then prints the zones' pageblocks (show_pageblock_map()) before and
 * after one compaction to order 9. Output on stdout: see fragwork.c;
 * make bench-frag runs the four configurations and tools/fragbench_plot.py
 * draws them.
 */
#include <stdio.h>
#include <stdlib.h>

#include <labyrinth/compaction.h>
#include <labyrinth/mm.h>
#include <labyrinth/mmzone.h>
#include <labyrinth/pcp.h>
#include "../host/lib/sim_mem.h"
#include "tests/bench/fragwork.h"

#define RAM (256ul << 20)

extern bool host_log_quiet; /* tests/host/lib/host_printk.c */

static void emit(const char *line)
{
	printf("%s\n", line);
	fflush(stdout);
}

static void usage(void)
{
	fprintf(stderr,
		"usage: fragbench [seed=N] [ops=N] [mobility=0|1] [compaction=0|1] [map=1]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	unsigned long ops = 1000000, seed = 1, n;
	int mobility = 1, compaction = 1, map = 0, i;
	struct fragwork w = { 0 };
	char cfg[32];

	for (i = 1; i < argc; i++) {
		if (sscanf(argv[i], "seed=%lu", &seed) == 1 ||
		    sscanf(argv[i], "ops=%lu", &ops) == 1 ||
		    sscanf(argv[i], "mobility=%d", &mobility) == 1 ||
		    sscanf(argv[i], "compaction=%d", &compaction) == 1 ||
		    sscanf(argv[i], "map=%d", &map) == 1)
			continue;
		usage();
	}
	if (ops < 1000)
		usage();
	snprintf(cfg, sizeof(cfg), "mob%d_comp%d", mobility, compaction);
	mm_set_mobility_grouping(mobility);
	mm_set_compaction(compaction);
	sim_boot_quiet(sim_boot_info_qemu(RAM));
	mm_pcp_set_enabled(true);
	n = RAM >> PAGE_SHIFT;
	w = (struct fragwork){ .ops = ops,
			       .seed = seed,
			       .map = map,
			       .cfg = cfg,
			       .slots = calloc(n, sizeof(struct page *)),
			       .movable = calloc(n, sizeof(long)),
			       .pinned = calloc(n, sizeof(struct page *)),
			       .nslots = n,
			       .emit = emit };
	host_log_quiet = !map; /* show_pageblock_map() prints through printk */
	if (!w.slots || !w.movable || !w.pinned || fragwork_run(&w))
		return 1;
	mm_pcp_set_enabled(false);
	printf("# end: %lu invariant violations\n", mm_check_invariants());
	return 0;
}
