/*
 * bench_pool.c - the Labyrinth pool (mm/pool.c): a take/give pair as
 * an IRQ handler would do it (host "IRQ context": in_irq set, interrupts
 * off around the batch).
 *
 * Built only when mm/ declares labyrinth_pool_take() (tests/bench/bench.mk
 * greps include/labyrinth/ for it); bench.c sees bench_pool_run() as a weak
 * symbol and skips the case while it is absent.
 */
#include <stdio.h>
#include <stdlib.h>

#include <labyrinth/arch.h>
#include <labyrinth/mm.h>
#include <labyrinth/pool.h>
#include "bench.h"

#define PAIR_BATCH 64

static void pool_pairs(void *arg, unsigned long n)
{
	(void)arg;
	for (unsigned long i = 0; i < n; i++) {
		struct page *p = labyrinth_pool_take();

		if (unlikely(!p)) {
			fprintf(stderr, "bench: Labyrinth pool empty\n");
			exit(1);
		}
		labyrinth_pool_give(p);
	}
}

/* As an IRQ handler: in_irq set and interrupts off around the whole batch. */
static void pool_case(void)
{
	struct bench_stats st;
	struct bench_result *r;
	unsigned long flags;

	host_set_in_irq(true);
	flags = arch_irq_save();
	bench_time_loop(pool_pairs, NULL, PAIR_BATCH, bench_samples(), &st);
	arch_irq_restore(flags);
	host_set_in_irq(false);
	r = bench_report("pool_pair", "Labyrinth pool take+give (IRQ context)", "pair", &st);
	bench_note(r, "labyrinth_pool_take() + labyrinth_pool_give(), host in_irq, irqs off");
}

void bench_pool_run(void)
{
	struct labyrinth_pool_stats ps;

	bench_pin(0);
	labyrinth_pool_stats(&ps);
	if (!ps.size) /* the kernel sizes it at boot; mm_init() left it empty */
		labyrinth_pool_init(LABYRINTH_POOL_DEFAULT_BYTES);
	pool_case();
}
