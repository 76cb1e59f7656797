/*
 * bench.h - the host benchmark harness (tests/bench/): serialized TSC
 * timing, sample statistics and the output table/JSON. The cases that time
 * the real mm/ code are in tests/bench/bench_mm.c; the baselines (glibc,
 * jemalloc, a bare free list) in tests/bench/bench_baseline.c.
 *
 * A sample times a batch of `batch` operations between two serialized TSC
 * reads and divides: a single rdtsc pair costs more than the operations
 * being measured, so per-operation timing would measure the clock. Latency
 * cases (where the tail matters) use batch = 1 and subtract the measured
 * cost of an empty timed region.
 */
#ifndef TESTS_BENCH_BENCH_H
#define TESTS_BENCH_BENCH_H

#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>

static inline uint64_t bench_tsc_begin(void)
{
	uint32_t lo, hi;

	__asm__ volatile("lfence; rdtsc; lfence" : "=a"(lo), "=d"(hi)::"memory");
	return ((uint64_t)hi << 32) | lo;
}

static inline uint64_t bench_tsc_end(void)
{
	uint32_t lo, hi, aux;

	__asm__ volatile("rdtscp; lfence" : "=a"(lo), "=d"(hi), "=c"(aux)::"memory");
	return ((uint64_t)hi << 32) | lo;
}

struct bench_stats {
	double median, p99, max, min; /* cycles per operation */
};

struct bench_result {
	const char *name;
	const char *unit; /* "pair", "page", "op", "GiB", ... */
	struct bench_stats cycles;
	double target; /* cycles; 0 = none */
	const char *note;
};

/* Sorts samples (cycles per op) and fills st. */
void bench_stats(double *samples, size_t n, struct bench_stats *st);
/* Records a result for the table and the JSON file. */
void bench_report(const char *name, const char *unit, const struct bench_stats *st,
		  double target, const char *note);
/* Records a figure that is not a timing (bytes, ratios). */
void bench_report_value(const char *name, double value, const char *unit, double target,
			bool lower_is_better, const char *note);
double bench_tsc_ghz(void);
uint64_t bench_tsc_overhead(void);

#define BENCH_SAMPLES 2001

#endif
