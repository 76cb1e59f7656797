/*
 * bench_mm.c - the real mm/ allocator, timed over a simulated 1 GiB
 * QEMU-style map (tests/host/lib/sim_mem.c): the buddy path at orders 0, 1,
 * 3, 4, 9 and 10, alloc_pages_bulk, a GFP_ATOMIC allocation while another
 * "CPU" (thread) hammers the same zone, and two CPUs' aggregate throughput
 * against one.
 *
 * Buddy-path cases switch the per-CPU lists off when they exist
 * (bench_set_pcp(false)); the bulk, contention and two-CPU cases run in the
 * default configuration, so they measure the per-CPU lists once mm/pcp.c
 * lands and the buddy path until then (each case's note says which).
 *
 * A pair is alloc_pages() then __free_pages() of the same block. Where the
 * buddy allocator must split to serve it, the free merges straight back, so
 * a pair's cost depends on the smallest free block that can serve it; the
 * notes say how many levels were split.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <labyrinth/mm.h>
#include <labyrinth/mmzone.h>
#include "../host/host.h"
#include "../host/lib/sim_mem.h"
#include "bench.h"

#define PAIR_BATCH 64
#define BULK_N 64
#define BENCH_RAM (1ull << 30)
#define THROUGHPUT_PAIRS 400000ul

struct pair_arg {
	gfp_t gfp;
	unsigned int order;
};

static __attribute__((noreturn)) void alloc_failed(const char *what, unsigned int order)
{
	fprintf(stderr, "bench: %s: allocation of order %u failed (free %lu)\n", what, order,
		nr_free_pages());
	exit(1);
}

static void pairs(void *arg, unsigned long n)
{
	const struct pair_arg *a = arg;

	for (unsigned long i = 0; i < n; i++) {
		struct page *p = alloc_pages(a->gfp, a->order);

		if (unlikely(!p))
			alloc_failed("pair", a->order);
		__free_pages(p, a->order);
	}
}

/* Levels a request of this order splits now: smallest usable free order - order. */
static unsigned int split_levels(unsigned int order)
{
	struct page *p = alloc_pages(GFP_KERNEL, order);
	const struct zone *z;
	unsigned int levels = 0;

	if (!p)
		alloc_failed("probe", order);
	z = page_zone(p);
	__free_pages(p, order);
	if (z->free_mask >> order)
		levels = (unsigned int)__builtin_ctz(z->free_mask >> order);
	return levels;
}

static struct bench_result *time_pairs(const char *key, const char *name, unsigned int order,
				       gfp_t gfp)
{
	struct pair_arg a = { gfp, order };
	struct bench_stats st;
	unsigned int levels = split_levels(order);
	struct bench_result *r;

	bench_time_loop(pairs, &a, order >= 9 ? 16 : PAIR_BATCH, bench_samples(), &st);
	r = bench_report(key, name, "pair", &st);
	bench_note(r, "buddy path; each pair splits %u level%s and merges %s back", levels,
		   levels == 1 ? "" : "s", levels == 1 ? "it" : "them");
	return r;
}

/* Holding one page keeps its buddy on the order-0 list: no split, no merge. */
static void buddy_order0_warm(void)
{
	struct page *held = alloc_pages(GFP_KERNEL, 0);
	struct pair_arg a = { GFP_KERNEL, 0 };
	struct bench_stats st;
	struct bench_result *r;

	if (!held)
		alloc_failed("warm", 0);
	bench_time_loop(pairs, &a, PAIR_BATCH, bench_samples(), &st);
	r = bench_report("buddy_order0_warm", "order-0 pair, buddy, order-0 list warm", "pair",
			 &st);
	bench_note(r, "a held neighbour keeps a free order-0 buddy: pure list pop/push + lock");
	__free_pages(held, 0);
}

static void buddy_cases(void)
{
	static const unsigned int orders[] = { 1, 3, 4, 9, 10 };
	struct bench_result *r;
	char key[40], name[80];

	bench_set_pcp(false);
	r = time_pairs("buddy_order0_pair", "order-0 pair, per-CPU list bypassed (buddy)", 0,
		       GFP_KERNEL);
	bench_target(r, BENCH_AT_MOST, 120);
	buddy_order0_warm();
	for (size_t i = 0; i < sizeof(orders) / sizeof(orders[0]); i++) {
		snprintf(key, sizeof(key), "order%u_pair", orders[i]);
		snprintf(name, sizeof(name), "order-%u pair (buddy)", orders[i]);
		r = time_pairs(key, name, orders[i], GFP_KERNEL);
		if (orders[i] == 9)
			bench_target(r, BENCH_AT_MOST, 200);
	}
	bench_set_pcp(true);
}

static void bulk_rounds(void *arg, unsigned long n)
{
	struct page *pages[BULK_N];

	(void)arg;
	for (unsigned long i = 0; i < n; i++) {
		memset(pages, 0, sizeof(pages));
		if (alloc_pages_bulk(GFP_KERNEL, BULK_N, pages) != BULK_N)
			alloc_failed("bulk", 0);
		for (int k = 0; k < BULK_N; k++)
			__free_pages(pages[k], 0);
	}
}

/* The allocation half alone: frees happen outside the timed region. */
static void bulk_alloc_only(struct bench_stats *st)
{
	size_t n = bench_samples();
	double *s = malloc(n * sizeof(*s));
	struct page *pages[BULK_N];

	for (size_t i = 0; i < n; i++) {
		memset(pages, 0, sizeof(pages));
		uint64_t t0 = bench_tsc_begin();
		unsigned long got = alloc_pages_bulk(GFP_KERNEL, BULK_N, pages);
		uint64_t t1 = bench_tsc_end();

		if (got != BULK_N)
			alloc_failed("bulk", 0);
		s[i] = (double)(t1 - t0 - bench_tsc_overhead()) / BULK_N;
		for (int k = 0; k < BULK_N; k++)
			__free_pages(pages[k], 0);
	}
	bench_stats(s, n, st);
	st->batch = BULK_N;
	free(s);
}

static void scale_stats(struct bench_stats *st, double by)
{
	st->median /= by;
	st->p99 /= by;
	st->max /= by;
	st->min /= by;
}

static void bulk_cases(const char *path)
{
	struct bench_stats st;
	struct bench_result *r;

	bench_time_loop(bulk_rounds, NULL, 1, bench_samples(), &st);
	scale_stats(&st, BULK_N);
	st.batch = BULK_N;
	r = bench_report("bulk64_pair", "alloc_pages_bulk(64) + 64 frees, per page", "page", &st);
	bench_target(r, BENCH_AT_MOST, 20);
	bench_note(r, "%s; frees are __free_pages() one by one", path);
	bulk_alloc_only(&st);
	r = bench_report("bulk64_alloc", "alloc_pages_bulk(64) alone, per page", "page", &st);
	bench_note(r, "%s; batch = one call of 64", path);
}

/* ---- a GFP_ATOMIC allocation while another CPU hammers the zone ---- */

static volatile bool hammer_stop;

static void *hammer(void *arg)
{
	unsigned long n = 0;

	(void)arg;
	bench_pin(1);
	while (!hammer_stop) {
		struct page *p = alloc_pages(GFP_KERNEL, n++ & 3);

		if (p)
			__free_pages(p, (n - 1) & 3);
	}
	return NULL;
}

/* batch = 1: one allocation per sample, its free untimed. */
static void atomic_latency(struct bench_stats *st)
{
	size_t n = bench_samples() * 5;
	double *s = malloc(n * sizeof(*s));

	for (size_t i = 0; i < n + n / 10; i++) {
		uint64_t t0 = bench_tsc_begin();
		struct page *p = alloc_pages(GFP_ATOMIC, 0);
		uint64_t t1 = bench_tsc_end();

		if (!p)
			alloc_failed("atomic", 0);
		__free_pages(p, 0);
		if (i >= n / 10) /* the first tenth warms up */
			s[i - n / 10] = (double)(t1 - t0 > bench_tsc_overhead() ?
							 t1 - t0 - bench_tsc_overhead() :
							 0);
	}
	bench_stats(s, n, st);
	st->batch = 1;
	free(s);
}

static void atomic_report(const char *key, const char *name, const struct bench_stats *st,
			  const char *path)
{
	struct bench_result *r = bench_report(key, name, "op", st);
	char vkey[48], vname[96];

	r->vs_baseline = false;
	bench_note(r, "%s; batch=1; max/median %.1f", path, st->max / st->median);
	snprintf(vkey, sizeof(vkey), "%s_max_ratio", key);
	snprintf(vname, sizeof(vname), "  max / median of the above");
	r = bench_report_value(vkey, vname, "x", st->max / st->median);
	if (strstr(key, "contended"))
		bench_target(r, BENCH_AT_MOST, 4);
}

static void contention_cases(const char *path)
{
	struct bench_stats st;
	pthread_t t;

	atomic_latency(&st);
	atomic_report("atomic_alone", "GFP_ATOMIC order-0 alloc, zone idle", &st, path);
	hammer_stop = false;
	pthread_create(&t, NULL, hammer, NULL);
	atomic_latency(&st);
	hammer_stop = true;
	pthread_join(t, NULL);
	atomic_report("atomic_contended", "GFP_ATOMIC order-0 alloc, other CPU hammering", &st,
		      path);
}

/* ---- two CPUs against one ---- */

struct tp_arg {
	unsigned int cpu;
	pthread_barrier_t *start;
};

static void *tp_worker(void *p)
{
	struct tp_arg *a = p;
	struct pair_arg pa = { GFP_KERNEL, 0 };

	bench_pin(a->cpu);
	pthread_barrier_wait(a->start);
	pairs(&pa, THROUGHPUT_PAIRS);
	return NULL;
}

/* Wall time for nthreads CPUs each doing THROUGHPUT_PAIRS pairs (ns). */
static double tp_run(unsigned int nthreads)
{
	pthread_barrier_t start;
	pthread_t t[2];
	struct tp_arg a[2];
	double t0;

	pthread_barrier_init(&start, NULL, nthreads + 1);
	for (unsigned int i = 0; i < nthreads; i++) {
		a[i] = (struct tp_arg){ i, &start };
		pthread_create(&t[i], NULL, tp_worker, &a[i]);
	}
	pthread_barrier_wait(&start);
	t0 = bench_now_ns();
	for (unsigned int i = 0; i < nthreads; i++)
		pthread_join(t[i], NULL);
	pthread_barrier_destroy(&start);
	return bench_now_ns() - t0;
}

static int cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static void two_cpu_case(const char *path)
{
	double one[5], two[5], ratio;
	struct bench_result *r;
	int reps = bench_quick() ? 1 : 5;

	for (int i = 0; i < reps; i++) {
		one[i] = tp_run(1);
		two[i] = tp_run(2);
	}
	qsort(one, (size_t)reps, sizeof(double), cmp_dbl);
	qsort(two, (size_t)reps, sizeof(double), cmp_dbl);
	ratio = 2.0 * one[reps / 2] / two[reps / 2];
	r = bench_report_value("two_cpus", "two CPUs: aggregate order-0 pairs vs one", "x",
			       ratio);
	bench_target(r, BENCH_AT_LEAST, 1.9);
	bench_note(r, "%s%s; %lu pairs per thread, median of %d; one CPU %.1f Mpairs/s, two %.1f",
		   bench_host_cpus() < 2 ? "ONE host CPU, threads share it; " : "", path,
		   THROUGHPUT_PAIRS, reps, THROUGHPUT_PAIRS / one[reps / 2] * 1e3,
		   2 * THROUGHPUT_PAIRS / two[reps / 2] * 1e3);
}

void bench_mm_run(void)
{
	const char *path = bench_pcp_set ? "per-CPU lists on" : "buddy path (no per-CPU lists yet)";

	bench_param("map", "QEMU pc e820 layout, %llu MiB RAM (tests/host/lib/sim_mem.c)",
		    BENCH_RAM >> 20);
	bench_pin(0);
	sim_boot_quiet(sim_boot_info_qemu(BENCH_RAM));
	host_log_quiet = true;
	bench_param("mm", "%lu free pages after mm_init, debug poisoning off", nr_free_pages());
	bench_set_pcp(true); /* off by default until the kernel turns them on */
	buddy_cases();
	bulk_cases(path);
	contention_cases(path);
	two_cpu_case(path);
	if (mm_check_invariants())
		fprintf(stderr, "bench: mm invariants violated after the cases\n");
}
