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
#include <sched.h>
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
#define THROUGHPUT_PAIRS 2000000ul

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

/*
 * Worst case: every free block below MAX_PAGE_ORDER in the first zone is
 * held, so each order-0 pair splits an order-10 block down 10 levels and
 * merges it all back.
 */
static void buddy_order0_split10(void)
{
	static struct page *held[4096];
	static unsigned int held_order[4096];
	struct pair_arg a = { GFP_KERNEL, 0 };
	unsigned int n = 0, levels;
	struct bench_stats st;
	struct bench_result *r;
	const struct zone *z = node_zonelist(numa_node_id(), GFP_KERNEL, ZONE_NORMAL)[0];

	while ((z->free_mask & (MAX_ORDER_NR_PAGES - 1)) && n < 4096) {
		held_order[n] = (unsigned int)__builtin_ctz(z->free_mask);
		held[n] = alloc_pages(GFP_KERNEL, held_order[n]);
		if (!held[n])
			break;
		n++;
	}
	levels = split_levels(0);
	bench_time_loop(pairs, &a, PAIR_BATCH, bench_samples(), &st);
	r = bench_report("buddy_order0_split10", "order-0 pair, buddy, split from order 10", "pair",
			 &st);
	bench_note(r,
		   "worst case: %u small blocks held, each pair splits %u levels and merges "
		   "them back",
		   n, levels);
	while (n--)
		__free_pages(held[n], held_order[n]);
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
	buddy_order0_split10();
	for (size_t i = 0; i < sizeof(orders) / sizeof(orders[0]); i++) {
		snprintf(key, sizeof(key), "order%u_pair", orders[i]);
		snprintf(name, sizeof(name), "order-%u pair (buddy)", orders[i]);
		r = time_pairs(key, name, orders[i], GFP_KERNEL);
		if (orders[i] == 9)
			bench_target(r, BENCH_AT_MOST, 200);
	}
	bench_set_pcp(true);
}

/* arg non-NULL: free with free_pages_bulk(); NULL: one __free_pages() a page. */
static void bulk_rounds(void *arg, unsigned long n)
{
	struct page *pages[BULK_N];

	for (unsigned long i = 0; i < n; i++) {
		memset(pages, 0, sizeof(pages));
		if (alloc_pages_bulk(GFP_KERNEL, BULK_N, pages) != BULK_N)
			alloc_failed("bulk", 0);
		if (arg) {
			free_pages_bulk(BULK_N, pages);
			continue;
		}
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

	bench_time_loop(bulk_rounds, (void *)1, 1, bench_samples(), &st);
	scale_stats(&st, BULK_N);
	st.batch = BULK_N;
	r = bench_report("bulk64_pair", "alloc_pages_bulk(64) + free_pages_bulk(64), per page",
			 "page", &st);
	bench_target(r, BENCH_AT_MOST, 12); /* issue 18 */
	bench_note(r, "%s; one interrupt save for the 64 frees", path);
	bench_time_loop(bulk_rounds, NULL, 1, bench_samples(), &st);
	scale_stats(&st, BULK_N);
	st.batch = BULK_N;
	r = bench_report("bulk64_single_frees",
			 "alloc_pages_bulk(64) + 64 __free_pages(), per page", "page", &st);
	bench_note(r, "%s; frees one by one", path);
	bulk_alloc_only(&st);
	r = bench_report("bulk64_alloc", "alloc_pages_bulk(64) alone, per page", "page", &st);
	bench_note(r, "%s; batch = one call of 64", path);
}

/* ---- a GFP_ATOMIC allocation while another CPU hammers the zone ---- */

static volatile bool hammer_stop;
static bool hammer_running; /* set once its first 1000 pairs are done */

static void *hammer(void *arg)
{
	unsigned long n = 0;

	(void)arg;
	bench_pin(1);
	while (!hammer_stop) {
		struct page *p = alloc_pages(GFP_KERNEL, n++ & 3);

		if (p)
			__free_pages(p, (n - 1) & 3);
		if (n == 1000)
			__atomic_store_n(&hammer_running, true, __ATOMIC_RELEASE);
	}
	return NULL;
}

static size_t over_4x;	 /* samples of the last atomic_latency() above 4x its median */
static size_t lock_held; /* its allocations that found the zone lock held */

/* Is the ticket lock held (or queued for) right now? Read, not taken. */
static bool zone_lock_busy(struct zone *z)
{
	return __atomic_load_n(&z->lock.next, __ATOMIC_RELAXED) !=
	       __atomic_load_n(&z->lock.owner, __ATOMIC_RELAXED);
}

/* batch = 1: one allocation per sample, its free untimed. Such short
 * regions are quantized by the TSC read itself (~25-cycle steps here).
 * Before each one (untimed) the zone lock is looked at: how often the
 * other CPU held it says whether the two CPUs share anything. */
static void atomic_latency(struct bench_stats *st)
{
	size_t n = bench_samples() * 5;
	double *s = malloc(n * sizeof(*s));
	struct zone *z = NULL;

	lock_held = 0;
	for (size_t i = 0; i < n + n / 10; i++) {
		bool busy = z && zone_lock_busy(z);
		uint64_t t0 = bench_tsc_begin();
		struct page *p = alloc_pages(GFP_ATOMIC, 0);
		uint64_t t1 = bench_tsc_end();

		if (!p)
			alloc_failed("atomic", 0);
		z = page_zone(p);
		__free_pages(p, 0);
		lock_held += busy && i >= n / 10;
		if (i >= n / 10) /* the first tenth warms up */
			s[i - n / 10] =
			    (double)(t1 - t0 > bench_tsc_overhead() ? t1 - t0 - bench_tsc_overhead()
								    : 0);
	}
	bench_stats(s, n, st);
	st->batch = 1;
	for (over_4x = 0; over_4x < n && s[n - 1 - over_4x] > 4 * st->median; over_4x++)
		;
	free(s);
}

static void atomic_report(const char *key, const char *name, const struct bench_stats *st,
			  const char *path)
{
	struct bench_result *r = bench_report(key, name, "op", st);
	char vkey[48], vname[96];

	r->vs_baseline = false;
	bench_note(r,
		   "%s; batch=1; %zu of %zu samples above 4x median (p99.9 region: host "
		   "interrupts); zone lock held or queued for before %zu of them (%.1f%%)",
		   path, over_4x, st->samples, lock_held, 100.0 * (double)lock_held / st->samples);
	snprintf(vkey, sizeof(vkey), "%s_max_ratio", key);
	snprintf(vname, sizeof(vname), "  %s%s: max / median",
		 strstr(key, "buddy") ? "buddy, " : "",
		 strstr(key, "contended") ? "contended" : "idle");
	r = bench_report_value(vkey, vname, "x", st->max / st->median);
	if (!strcmp(key, "atomic_contended"))
		bench_target(r, BENCH_AT_MOST, 4);
}

static void contended_latency(struct bench_stats *st)
{
	pthread_t t;

	hammer_stop = false;
	hammer_running = false;
	pthread_create(&t, NULL, hammer, NULL);
	/* A thread takes a while to start: timed before it, the "contended"
	 * samples would contend with nothing (a quick run did exactly that). */
	while (!__atomic_load_n(&hammer_running, __ATOMIC_ACQUIRE))
		sched_yield();
	atomic_latency(st);
	hammer_stop = true;
	pthread_join(t, NULL);
}

/*
 * Each contended run beside its control (the zone idle: no second CPU; its
 * max is the host's own noise). With the lists on, CPU 0's order-0 pair is
 * a hit on its own list and takes no lock: the hammer's orders 1-3 hold the
 * zone lock, but CPU 0 never asks for it, so that run shares nothing
 * (the lock-held count shows the hammer is there, the median that it costs
 * nothing). With the lists off both CPUs take the zone lock for every
 * allocation and free: that run is the contended one.
 */
static void contention_cases(const char *path)
{
	struct bench_stats st;

	atomic_latency(&st);
	atomic_report("atomic_alone", "GFP_ATOMIC order-0 alloc, zone idle", &st, path);
	contended_latency(&st);
	atomic_report("atomic_contended", "same, other CPU hammering (lists on: shares no lock)",
		      &st, path);
	if (!bench_set_pcp(false))
		return;
	atomic_latency(&st);
	atomic_report("atomic_alone_buddy", "same, per-CPU lists off, zone idle (control)", &st,
		      "buddy path");
	contended_latency(&st);
	atomic_report("atomic_contended_buddy", "same, per-CPU lists off (zone lock contended)",
		      &st, "buddy path");
	bench_set_pcp(true);
}

/* ---- two CPUs against one ---- */

struct tp_arg {
	unsigned int cpu;
	pthread_barrier_t *start;
	unsigned long hot_pfn; /* the page its pairs keep reusing */
	double t0, t1;	       /* its own start and end (ns) */
};

static void *tp_worker(void *arg)
{
	struct tp_arg *a = arg;
	struct pair_arg pa = { GFP_KERNEL, 0 };
	struct page *p;

	bench_pin(a->cpu);
	p = alloc_pages(GFP_KERNEL, 0);
	a->hot_pfn = p ? page_to_pfn(p) : 0;
	if (p)
		__free_pages(p, 0);
	pairs(&pa, THROUGHPUT_PAIRS / 10); /* warm-up */
	pthread_barrier_wait(a->start);
	a->t0 = bench_now_ns();
	pairs(&pa, THROUGHPUT_PAIRS);
	a->t1 = bench_now_ns();
	return NULL;
}

static long hot_pfn_distance = -1;

/* Wall time from the first start to the last end, nthreads CPUs each doing
 * THROUGHPUT_PAIRS pairs (ns). */
static double tp_run(unsigned int nthreads)
{
	pthread_barrier_t start;
	pthread_t t[2];
	struct tp_arg a[2] = { 0 };
	double first = 0, last = 0;

	pthread_barrier_init(&start, NULL, nthreads);
	for (unsigned int i = 0; i < nthreads; i++) {
		a[i].cpu = i;
		a[i].start = &start;
		pthread_create(&t[i], NULL, tp_worker, &a[i]);
	}
	for (unsigned int i = 0; i < nthreads; i++) {
		pthread_join(t[i], NULL);
		first = i == 0 || a[i].t0 < first ? a[i].t0 : first;
		last = a[i].t1 > last ? a[i].t1 : last;
	}
	pthread_barrier_destroy(&start);
	if (nthreads == 2)
		hot_pfn_distance = labs((long)a[0].hot_pfn - (long)a[1].hot_pfn);
	return last - first;
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
	r = bench_report_value("two_cpus", "two CPUs: aggregate order-0 pairs vs one", "x", ratio);
	bench_target(r, BENCH_AT_LEAST, 1.9);
	bench_note(r,
		   "%s%s; %lu pairs/thread, median of %d; 1 CPU %.1f Mpairs/s, 2 CPUs %.1f; "
		   "hot pages %ld pfns apart",
		   bench_host_cpus() < 2 ? "ONE host CPU, threads share it; " : "", path,
		   THROUGHPUT_PAIRS, reps, THROUGHPUT_PAIRS / one[reps / 2] * 1e3,
		   2 * THROUGHPUT_PAIRS / two[reps / 2] * 1e3, hot_pfn_distance);
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
