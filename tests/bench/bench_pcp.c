/*
 * bench_pcp.c - the per-CPU fast path (mm/pcp.c): the order-0 pair
 * through this CPU's list, warm. (The buddy-path cases in bench_mm.c turn
 * the lists off through bench_pcp_set(); the others run with them on.)
 *
 * Built only when mm/ provides mm_pcp_set_enabled() (tests/bench/bench.mk
 * greps include/labyrinth/ for it); bench.c and bench_mm.c see these
 * functions as weak symbols and skip the cases while they are absent.
 */
#include <stdio.h>
#include <stdlib.h>

#include <labyrinth/gfp.h>
#include <labyrinth/mm.h>
#include <labyrinth/mmzone.h>
#include <labyrinth/pcp.h>
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
	bench_target(r, BENCH_AT_MOST, 40);
	bench_note(r, "alloc_pages(GFP_KERNEL, 0) + __free_pages(), CPU 0, list warm");
}

void bench_pcp_run(void)
{
	bench_pin(0);
	pcp_pair_case();
}
