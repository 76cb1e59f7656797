/*
 * bench_pcp.c - the per-CPU fast path (mm/pcp.c): the order-0 pair
 * through this CPU's list, warm; and pages allocated on one CPU and freed
 * on the other (the lists' zone-lock traffic), beside a one-CPU control.
 * (The buddy-path cases in bench_mm.c turn the lists off through
 * bench_pcp_set(); the others run with them on.)
 *
 * Built only when mm/ provides mm_pcp_set_enabled() (tests/bench/bench.mk
 * greps include/labyrinth/ for it); bench.c and bench_mm.c see these
 * functions as weak symbols and skip the cases while they are absent.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <labyrinth/gfp.h>
#include <labyrinth/mm.h>
#include <labyrinth/mmzone.h>
#include <labyrinth/pcp.h>
#include "selftest/ring.h"
#include "bench.h"

#define PAIR_BATCH 64

void bench_pcp_set(bool on)
{
	mm_pcp_set_enabled(on);
}

static void pcp_pairs(void *arg, unsigned long n)
{
	(void)arg;
	for (unsigned long i = 0; i < n; i++) {
		struct page *p = alloc_pages(GFP_KERNEL, 0);

		if (unlikely(!p)) {
			fprintf(stderr, "bench: per-CPU order-0 allocation failed\n");
			exit(1);
		}
		__free_pages(p, 0);
	}
}

static void pcp_pair_case(void)
{
	struct bench_stats st;
	struct bench_result *r;

	mm_pcp_set_enabled(true);
	bench_time_loop(pcp_pairs, NULL, PAIR_BATCH, bench_samples(), &st);
	r = bench_report("pcp_order0_pair", "order-0 pair through the per-CPU list", "pair", &st);
	bench_target(r, BENCH_AT_MOST, 30); /* issue 18: <= 30, goal 25 */
	bench_note(r, "alloc_pages(GFP_KERNEL, 0) + __free_pages(), CPU 0, list warm");
}

/*
 * ---- cross-CPU frees: pages allocated on CPU 0, freed on CPU 1 ----
 *
 * CPU 0 allocates order-0 pages and hands them to CPU 1 through a
 * lock-free SPSC ring (selftest/ring.h); CPU 1 frees them. Each free goes
 * to CPU 1's list, which overflows `high` and drains `batch` pages to the
 * zone under the zone lock; CPU 0's list runs dry and refills `batch` pages
 * under the same lock. So the two CPUs share the zone lock (two rounds per
 * batch of pages) and the pages' struct page lines. The control does the
 * same handover through the same ring on one CPU (push XCPU_CHUNK, pop and
 * free them): the list refills from its own frees and never touches the
 * zone. Figure: TSC ticks per page handed over, wall time (first start to
 * last end) over the pages.
 */
#define XCPU_PAGES 200000ul
#define XCPU_CHUNK 64

struct xcpu_run {
	struct spsc_ring ring;
	pthread_barrier_t start;
	uint64_t t0, t1;	 /* producer's start, consumer's end (TSC) */
	unsigned long refills;	 /* CPU 0's list refills (zone lock rounds) */
	unsigned long lock_seen; /* allocations that found the zone lock held */
};

static struct page *xcpu_alloc(struct xcpu_run *x)
{
	struct page *p = alloc_pages(GFP_KERNEL, 0);

	if (unlikely(!p)) {
		fprintf(stderr, "bench: cross-CPU free: order-0 allocation failed\n");
		exit(1);
	}
	x->lock_seen += __atomic_load_n(&page_zone(p)->lock.next, __ATOMIC_RELAXED) !=
			__atomic_load_n(&page_zone(p)->lock.owner, __ATOMIC_RELAXED);
	return p;
}

static void *xcpu_producer(void *arg)
{
	struct xcpu_run *x = arg;

	bench_pin(0);
	pthread_barrier_wait(&x->start);
	x->t0 = bench_tsc_begin();
	for (unsigned long i = 0; i < XCPU_PAGES; i++) {
		unsigned long p = (unsigned long)xcpu_alloc(x);

		while (!spsc_ring_push(&x->ring, p))
			__builtin_ia32_pause();
	}
	return NULL;
}

static void *xcpu_consumer(void *arg)
{
	struct xcpu_run *x = arg;
	unsigned long w;

	bench_pin(1);
	pthread_barrier_wait(&x->start);
	for (unsigned long i = 0; i < XCPU_PAGES; i++) {
		while (!spsc_ring_pop(&x->ring, &w))
			__builtin_ia32_pause();
		__free_pages((struct page *)w, 0);
	}
	x->t1 = bench_tsc_end();
	return NULL;
}

/* The control: the same ring, both ends on CPU 0. */
static void xcpu_one_cpu(struct xcpu_run *x)
{
	unsigned long w;

	bench_pin(0);
	x->t0 = bench_tsc_begin();
	for (unsigned long i = 0; i < XCPU_PAGES; i += XCPU_CHUNK) {
		for (unsigned int k = 0; k < XCPU_CHUNK; k++)
			spsc_ring_push(&x->ring, (unsigned long)xcpu_alloc(x));
		while (spsc_ring_pop(&x->ring, &w))
			__free_pages((struct page *)w, 0);
	}
	x->t1 = bench_tsc_end();
}

/* One run: ticks per page; refills and lock sightings in *x. */
static double xcpu_run(struct xcpu_run *x, bool two)
{
	struct mm_alloc_stats s0, s1;
	pthread_t t[2];

	memset(x, 0, sizeof(*x));
	spsc_ring_init(&x->ring);
	mm_alloc_stats_read(0, &s0);
	if (two) {
		pthread_barrier_init(&x->start, NULL, 2);
		pthread_create(&t[0], NULL, xcpu_producer, x);
		pthread_create(&t[1], NULL, xcpu_consumer, x);
		pthread_join(t[0], NULL);
		pthread_join(t[1], NULL);
		pthread_barrier_destroy(&x->start);
	} else {
		xcpu_one_cpu(x);
	}
	mm_alloc_stats_read(0, &s1);
	/* a refill's allocation is counted as from the buddy (pcp_alloc_refill) */
	x->refills = s1.other[ALLOC_SRC_BUDDY] - s0.other[ALLOC_SRC_BUDDY];
	return (double)(x->t1 - x->t0) / (double)XCPU_PAGES;
}

static int cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static struct bench_result *xcpu_report(const char *key, const char *name, double *v, int reps,
					const struct xcpu_run *x)
{
	struct bench_result *r;

	qsort(v, (size_t)reps, sizeof(*v), cmp_dbl);
	r = bench_report_value(key, name, "page", v[reps / 2]);
	bench_note(
	    r,
	    "ticks per page, wall; median of %d runs (%.0f..%.0f) of %lu pages; last run: "
	    "%lu refills of CPU 0's list (zone lock rounds), zone lock held or queued for after "
	    "%lu allocations",
	    reps, v[0], v[reps - 1], XCPU_PAGES, x->refills, x->lock_seen);
	return r;
}

static void xcpu_free_cases(void)
{
	static struct xcpu_run x;
	double one[5], two[5];
	int reps = bench_quick() ? 1 : 5;
	struct bench_result *r;

	xcpu_run(&x, true); /* warm-up: both lists filled */
	for (int i = 0; i < reps; i++)
		one[i] = xcpu_run(&x, false);
	xcpu_report("xcpu_free_control", "order-0 alloc+free, one CPU through a ring (control)",
		    one, reps, &x);
	for (int i = 0; i < reps; i++)
		two[i] = xcpu_run(&x, true);
	r = xcpu_report("xcpu_free", "order-0 alloc on CPU 0, free on CPU 1 (lists on)", two, reps,
			&x);
	if (bench_host_cpus() < 2) {
		char note[sizeof(r->note)];

		memcpy(note, r->note, sizeof(note));
		bench_note(r, "ONE host CPU: the two threads take turns; %s", note);
	}
	bench_pin(0);
}

void bench_pcp_run(void)
{
	bench_pin(0);
	pcp_pair_case();
	xcpu_free_cases();
}
