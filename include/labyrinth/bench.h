/*
 * bench.h - the in-kernel benchmark (tests/bench/kernel_bench.c): with `bench`
 * on the command line, kmain calls kernel_bench_run() after the tests. It
 * times the allocator's loops with the TSC and prints one line per case,
 *   bench: <key> <ticks>.<tenth> ticks per <unit> (<what>)
 * which `make bench-qemu` (tests/bench/bench.mk, tools/bench-report.py)
 * parses. Under QEMU TCG with -icount shift=0 a guest TSC tick is one
 * executed guest instruction, so the figures repeat to the tick.
 */
#ifndef LABYRINTH_BENCH_H
#define LABYRINTH_BENCH_H

#include <labyrinth/types.h>

void kernel_bench_run(void);

/* Ticks of an empty timed region (tests/bench/kernel_bench.c), to subtract. */
u64 bench_empty_region(void);

/*
 * With `smpbench` on the command line (make bench-smp, -smp 2, no -icount):
 * two CPUs contending on one zone (tests/bench/kernel_smpbench.c), lines
 *   smpbench: <case> run=<r> <key>=<number>... (<what>)
 * Returns the cases that could not run or measured nothing (for kmain's
 * exit status); the figures themselves are never judged.
 */
unsigned int kernel_smpbench_run(void);

#endif
