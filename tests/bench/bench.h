/*
 * bench.h - the host benchmark harness (tests/bench/): serialized
 * TSC timing, sample statistics, and the results that become the terminal
 * table, build/bench.json and docs/BENCHMARKS.md (tools/bench-report.py).
 *
 *   bench.c           main, TSC calibration, statistics, output
 *   bench_baseline.c  glibc aligned_alloc, jemalloc, a bare free list
 *   bench_mm.c        the real mm/ code: buddy path, orders, bulk,
 *                     contention, two CPUs, init per GiB, metadata
 *   bench_init.c      init time per GiB; struct page and page-table bytes
 *   bench_pcp.c       the per-CPU list cases (pair; cross-CPU frees)
 *   bench_pool.c      the Labyrinth-pool case; built once mm/ has it
 *                     (tests/bench/bench.mk greps include/labyrinth/)
 *
 * A sample times a batch of `batch` operations between two serialized TSC
 * reads and divides: an rdtsc pair costs more than the operations being
 * measured, so timing each operation alone would measure the clock.
 * Latency cases (where the tail matters) use batch = 1 and subtract the
 * measured cost of an empty timed region. All "cycles" are TSC ticks.
 */
#ifndef TESTS_BENCH_BENCH_H
#define TESTS_BENCH_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* lfence before rdtsc: earlier instructions have completed; after: later
 * ones have not started (Intel SDM; AMD with LFENCE made dispatch-
 * serializing, as Linux does). */
static inline uint64_t bench_tsc_begin(void)
{
	uint32_t lo, hi;

	__asm__ volatile("lfence; rdtsc; lfence" : "=a"(lo), "=d"(hi)::"memory");
	return ((uint64_t)hi << 32) | lo;
}

/* rdtscp waits for earlier instructions; lfence keeps later ones out. */
static inline uint64_t bench_tsc_end(void)
{
	uint32_t lo, hi, aux;

	__asm__ volatile("rdtscp; lfence" : "=a"(lo), "=d"(hi), "=c"(aux)::"memory");
	return ((uint64_t)hi << 32) | lo;
}

struct bench_stats {
	double median, p99, max, min; /* TSC cycles per operation */
	size_t samples;
	unsigned long batch;
};

enum bench_sense { BENCH_AT_MOST, BENCH_AT_LEAST };

struct bench_result {
	char key[40];  /* stable identifier (JSON, report script) */
	char name[80]; /* what the table shows */
	char unit[16]; /* per "pair", "page", "op"; or "ns/page", "x", "B/GiB" */
	bool timed;    /* st holds cycle statistics; value = st.median */
	struct bench_stats st;
	double value;
	bool has_target;
	enum bench_sense sense;
	double target;
	bool vs_baseline; /* print the ratio to the baselines' page pairs */
	char note[240];
};

/* n operations; must not be optimized away (the mm calls are external). */
typedef void (*bench_loop_fn)(void *arg, unsigned long n);

/* ---- bench.c ---- */
double bench_tsc_ghz(void);
uint64_t bench_tsc_overhead(void);
bool bench_quick(void); /* BENCH_QUICK=1: fewer samples, for smoke runs */
size_t bench_samples(void);
void bench_stats(double *samples, size_t n, struct bench_stats *st);
/* Warm-up, then samples of batch calls of fn each; cycles per operation. */
void bench_time_loop(bench_loop_fn fn, void *arg, unsigned long batch, size_t samples,
		     struct bench_stats *st);
struct bench_result *bench_report(const char *key, const char *name, const char *unit,
				  const struct bench_stats *st);
struct bench_result *bench_report_value(const char *key, const char *name, const char *unit,
					double value);
struct bench_result *bench_find(const char *key);
void bench_target(struct bench_result *r, enum bench_sense sense, double target);
void bench_note(struct bench_result *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A parameter of the run, printed and written to the JSON file. */
void bench_param(const char *key, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Pins the calling thread to host CPU cpu (if there is one) and makes it
 * mm's CPU cpu (host_set_cpu). */
void bench_pin(unsigned int cpu);
unsigned int bench_host_cpus(void);
double bench_now_ns(void);

/* ---- the case groups ---- */
void bench_baselines_run(void); /* bench_baseline.c */
void bench_mm_run(void);	/* bench_mm.c: allocation cases over a 1 GiB map */
void bench_init_run(void);	/* bench_init.c: init per GiB (replaces the map) */
void bench_metadata_run(void);	/* bench_init.c */
/* bench_pcp.c, present only when the per-CPU lists exist (weak: NULL if not). */
void bench_pcp_run(void) __attribute__((weak));
void bench_pcp_set(bool on) __attribute__((weak));
void bench_pool_run(void) __attribute__((weak)); /* bench_pool.c */

/* Per-CPU lists on/off if they exist; returns whether they exist. */
static inline bool bench_set_pcp(bool on)
{
	if (!bench_pcp_set)
		return false;
	bench_pcp_set(on);
	return true;
}

#define BENCH_SAMPLES 10001
#define BENCH_QUICK_SAMPLES 201
#define BENCH_MAX_RESULTS 64

#endif
