// SPDX-License-Identifier: GPL-2.0
/*
 * lab_bench.c - the Linux side of `make bench-linux`: Labyrinth's in-guest
 * loops (tests/bench/kernel_bench.c) as a module for Debian's own kernel,
 * booted under the same QEMU (TCG, -icount shift=0: a TSC tick is one
 * executed guest instruction) by tools/bench-linux.py.
 *
 * Mirrored from kernel_bench.c, case by case: the same pair loop
 * (alloc_pages + __free_pages, n pairs), the same n, best of three runs (the
 * first warms the per-CPU lists), interrupts off over all three runs, the
 * TSC read the same way (lfence; rdtsc; lfence) and the empty timed
 * region's cost (best of 16) subtracted, the same integer rounding to tenths
 * and the same output line, so tools/bench-report.py parses both logs with
 * one pattern. The GFP masks are Labyrinth's: GFP_KERNEL for the order-N
 * pairs and the bulk case, GFP_ATOMIC for order0_atomic.
 *
 * Linux, unlike Labyrinth, may reschedule inside a GFP_KERNEL allocation
 * (might_alloc() -> might_resched()); preemption is disabled around the
 * interrupts-off region so that cannot happen (Labyrinth has no preemption).
 * With 1 GiB free and one block allocated at a time, no allocation here
 * leaves the fast path, so nothing sleeps.
 *
 * Not mirrored: order0_buddy (Linux has no switch to bypass its per-CPU
 * lists), the Labyrinth pool and the exclusive seed call (no Linux
 * equivalent).
 */
#define pr_fmt(fmt) "bench: " fmt

#include <linux/gfp.h>
#include <linux/init.h>
#include <linux/irqflags.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/preempt.h>
#include <linux/utsname.h>

#define BENCH_BULK 64

static u64 empty_region;

/* Labyrinth's rdtsc_ordered() (arch/x86_64/include/asm/cpu.h), not Linux's
 * (alternatives pick rdtscp or lfence;rdtsc there): the same instructions
 * around every timed region on both sides. */
static __always_inline u64 lab_rdtsc_ordered(void)
{
	u32 lo, hi;

	asm volatile("lfence; rdtsc; lfence" : "=a"(lo), "=d"(hi)::"memory");
	return ((u64)hi << 32) | lo;
}

static void measure_empty_region(void)
{
	u64 best = ~0ull;
	int i;

	for (i = 0; i < 16; i++) {
		u64 t0 = lab_rdtsc_ordered();
		u64 t1 = lab_rdtsc_ordered();

		best = min(best, t1 - t0);
	}
	empty_region = best;
}

/* "bench: key 123.4 ticks per unit (what)": tenths from integer maths. */
static void report(const char *key, u64 ticks, u64 ops, const char *unit, const char *what)
{
	u64 net = ticks > empty_region ? ticks - empty_region : 0;
	u64 tenths = div64_u64(net * 10 + ops / 2, ops);

	pr_info("%s %llu.%llu ticks per %s (%s)\n", key, tenths / 10, tenths % 10, unit, what);
}

static bool pairs(gfp_t gfp, unsigned int order, unsigned long n, u64 *ticks)
{
	u64 t0 = lab_rdtsc_ordered();
	unsigned long i;

	for (i = 0; i < n; i++) {
		struct page *p = alloc_pages(gfp, order);

		if (unlikely(!p))
			return false;
		__free_pages(p, order);
	}
	*ticks = lab_rdtsc_ordered() - t0;
	return true;
}

/* Best of three runs (the first warms the lists), interrupts off. */
static void pair_case(const char *key, gfp_t gfp, unsigned int order, unsigned long n,
		      const char *what)
{
	unsigned long flags;
	u64 best = ~0ull, t;
	int run;

	preempt_disable();
	local_irq_save(flags);
	for (run = 0; run < 3; run++) {
		if (!pairs(gfp, order, n, &t)) {
			local_irq_restore(flags);
			preempt_enable();
			pr_err("%s: order-%u allocation failed\n", key, order);
			return;
		}
		best = min(best, t);
	}
	local_irq_restore(flags);
	preempt_enable();
	report(key, best, n, "pair", what);
}

/*
 * Linux 6.1's bulk pair: alloc_pages_bulk_array() fills the NULL slots of
 * the array (Labyrinth's alloc_pages_bulk() has the same contract), and
 * release_pages() is its bulk free (drops each reference, then frees the
 * batch through free_unref_page_list() under one per-CPU lock).
 */
static bool bulk_round(struct page **pages)
{
	int k;

	for (k = 0; k < BENCH_BULK; k++)
		pages[k] = NULL;
	if (alloc_pages_bulk_array(GFP_KERNEL, BENCH_BULK, pages) != BENCH_BULK)
		return false;
	release_pages(pages, BENCH_BULK);
	return true;
}

static void bulk_case(unsigned long rounds)
{
	struct page *pages[BENCH_BULK];
	unsigned long flags, i;
	u64 best = ~0ull, t;
	int run;

	preempt_disable();
	local_irq_save(flags);
	for (run = 0; run < 3; run++) {
		u64 t0 = lab_rdtsc_ordered();

		for (i = 0; i < rounds; i++) {
			if (!bulk_round(pages)) {
				local_irq_restore(flags);
				preempt_enable();
				pr_err("bulk64: alloc_pages_bulk_array fell short\n");
				return;
			}
		}
		t = lab_rdtsc_ordered() - t0;
		best = min(best, t);
	}
	local_irq_restore(flags);
	preempt_enable();
	report("bulk64", best, rounds * BENCH_BULK, "page",
	       "alloc_pages_bulk_array(64) + release_pages(64), per page");
}

static int __init lab_bench_init(void)
{
	measure_empty_region();
	pr_info("linux %s %s\n", init_utsname()->release, init_utsname()->version);
	pr_info("start: guest TSC ticks per operation (-icount shift=0: instructions), "
		"empty region %llu ticks subtracted\n",
		empty_region);
	pair_case("order0", GFP_KERNEL, 0, 20000, "order-0 pair, per-CPU list");
	pair_case("order0_atomic", GFP_ATOMIC, 0, 20000, "order-0 GFP_ATOMIC pair, irqs off");
	pair_case("order3", GFP_KERNEL, 3, 20000, "order-3 pair");
	pair_case("order4", GFP_KERNEL, 4, 20000, "order-4 pair");
	pair_case("order9", GFP_KERNEL, 9, 5000, "order-9 pair");
	pair_case("order10", GFP_KERNEL, 10, 5000, "order-10 pair");
	bulk_case(500);
	pr_info("done\n");
	return 0;
}

static void __exit lab_bench_exit(void)
{
}

module_init(lab_bench_init);
module_exit(lab_bench_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Labyrinth's in-guest allocator loops, run on Linux (make bench-linux)");
