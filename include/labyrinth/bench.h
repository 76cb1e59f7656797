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

void kernel_bench_run(void);

#endif
