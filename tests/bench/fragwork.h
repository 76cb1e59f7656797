/*
 * fragwork.h - the fragmentation workload (tests/bench/fragwork.c), shared
 * by the host program (tests/bench/fragbench.c) and the kernel
 * (`fragbench` on the command line).
 */
#ifndef TESTS_BENCH_FRAGWORK_H
#define TESTS_BENCH_FRAGWORK_H

#include <labyrinth/types.h>

struct page;

struct fragwork {
	/* in */
	unsigned long ops; /* operations, the fill included */
	u64 seed;
	bool map;	 /* at the end: pageblocks before and after one compaction */
	const char *cfg; /* the configuration's name in the output */
	struct page **slots;
	long *movable;
	struct page **pinned;
	unsigned long nslots; /* entries of each array: at least the zone's pages */
	void (*emit)(const char *line);
	/* out */
	unsigned long tries, ok[4]; /* samples; successes of o3 atomic, o3, o9 atomic, o9 */
};

/* Runs the workload; 0, or -1 if the arrays are too small. */
int fragwork_run(struct fragwork *w);
/* `fragbench` on the command line: the workload in this boot's configuration
 * (mobility=, compaction=), after the tests (tests/bench/kernel_fragbench.c). */
void kernel_fragbench_run(unsigned long ops, u64 seed);

#endif
