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
#include <linux/mmzone.h>
#include <linux/page-flags.h>
#include <linux/spinlock.h>
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
static bool pair_best(const char *key, gfp_t gfp, unsigned int order, unsigned long n, u64 *best)
{
	unsigned long flags;
	u64 t;
	int run;

	*best = ~0ull;
	preempt_disable();
	local_irq_save(flags);
	for (run = 0; run < 3; run++) {
		if (!pairs(gfp, order, n, &t)) {
			local_irq_restore(flags);
			preempt_enable();
			pr_err("%s: order-%u allocation failed\n", key, order);
			return false;
		}
		*best = min(*best, t);
	}
	local_irq_restore(flags);
	preempt_enable();
	return true;
}

static void pair_case(const char *key, gfp_t gfp, unsigned int order, unsigned long n,
		      const char *what)
{
	u64 best;

	if (pair_best(key, gfp, order, n, &best))
		report(key, best, n, "pair", what);
}

/*
 * kernel_bench.c's stated-state rows, the same set-up: nomerge_case() holds
 * the buddy of the block every pair takes (no split, no merge),
 * split_case() empties the order-k unmovable list and puts one order-(k+1)
 * block on its list (one level split and merged back). The state is read
 * from the zone (free_area[].nr_free, the unmovable lists) under its lock
 * and from the blocks (PageBuddy, page_private() = the free order), and the
 * figure printed only if it held over the runs. Not checked here, unlike
 * Labyrinth: the pageblock's migratetype (get_pfnblock_flags_mask() is not
 * exported to modules); the unmovable list's state says the same.
 */
#define HOLD_BATCH 32
#define HOLD_MAX 64

struct pair_state {
	struct zone *zone;
	unsigned int order;
	unsigned long nr_free[3];
	unsigned int mask; /* bit i: the order + i unmovable list is non-empty */
};

static void pair_state_read(struct pair_state *s)
{
	unsigned long flags;
	unsigned int i;

	s->mask = 0;
	spin_lock_irqsave(&s->zone->lock, flags);
	for (i = 0; s->order + i < MAX_ORDER; i++) {
		struct free_area *area = &s->zone->free_area[s->order + i];

		if (i < 3)
			s->nr_free[i] = area->nr_free;
		if (!list_empty(&area->free_list[MIGRATE_UNMOVABLE]))
			s->mask |= 1u << i;
	}
	for (; i < 3; i++)
		s->nr_free[i] = 0;
	spin_unlock_irqrestore(&s->zone->lock, flags);
}

static bool pair_state_same(const struct pair_state *a, const struct pair_state *b)
{
	return a->mask == b->mask && a->nr_free[0] == b->nr_free[0] &&
	       a->nr_free[1] == b->nr_free[1] && a->nr_free[2] == b->nr_free[2];
}

static bool block_free_at(struct page *p, unsigned int order)
{
	return PageBuddy(p) && page_private(p) == order;
}

static struct page *hold_buddy(unsigned int order, struct page **block)
{
	struct page *b[HOLD_BATCH];
	int n = 0, i, j, k;

	while (n < HOLD_BATCH && (b[n] = alloc_pages(GFP_KERNEL, order)))
		n++;
	for (i = 0; i < n; i++) {
		for (j = 0; j < n; j++)
			if (page_to_pfn(b[j]) == (page_to_pfn(b[i]) ^ (1ul << order)))
				break;
		if (j < n)
			break;
	}
	for (k = 0; k < n; k++)
		if (i == n || (k != i && k != j))
			__free_pages(b[k], order);
	if (i == n)
		return NULL;
	__free_pages(b[i], order);
	*block = b[i];
	return b[j];
}

static void nomerge_case(const char *key, unsigned int order, unsigned long n)
{
	struct pair_state before = { .order = order }, after = { .order = order };
	struct page *block, *held = hold_buddy(order, &block);
	char what[224];
	u64 best;

	if (!held) {
		pr_err("%s: no two order-%u buddies among %d blocks: not run\n", key, order,
		       HOLD_BATCH);
		return;
	}
	before.zone = after.zone = page_zone(block);
	pair_state_read(&before);
	if (!pair_best(key, GFP_KERNEL, order, n, &best))
		goto out;
	pair_state_read(&after);
	if (pair_state_same(&before, &after) && block_free_at(block, order) && !PageBuddy(held)) {
		snprintf(what, sizeof(what),
			 "order-%u pair, no split, no merge: the order-%u list holds pfn %lu, its "
			 "buddy pfn %lu held; order-%u/%u free blocks %lu/%lu before and after",
			 order, order, page_to_pfn(block), page_to_pfn(held), order, order + 1,
			 before.nr_free[0], before.nr_free[1]);
		report(key, best, n, "pair", what);
	} else {
		pr_err("%s: state changed over the runs, no figure: order-%u/%u free blocks "
		       "%lu/%lu -> %lu/%lu\n",
		       key, order, order + 1, before.nr_free[0], before.nr_free[1],
		       after.nr_free[0], after.nr_free[1]);
	}
out:
	__free_pages(held, order);
}

static void split_case(const char *key, unsigned int order, unsigned long n)
{
	struct pair_state before = { .order = order }, after = { .order = order };
	struct page *held[HOLD_MAX], *held_up = NULL, *up;
	unsigned int levels;
	int nheld = 0;
	char what[224];
	u64 best;

	held[nheld] = alloc_pages(GFP_KERNEL, order);
	if (!held[nheld++])
		goto out;
	before.zone = after.zone = page_zone(held[0]);
	pair_state_read(&before);
	while (nheld < HOLD_MAX && (before.mask & 1)) {
		held[nheld] = alloc_pages(GFP_KERNEL, order);
		if (!held[nheld])
			break;
		nheld++;
		pair_state_read(&before);
	}
	if (order + 1 < MAX_ORDER)
		held_up = hold_buddy(order + 1, &up);
	pair_state_read(&before);
	if ((before.mask & 1) || !before.mask) {
		pr_err("%s: could not empty the order-%u unmovable list with %d blocks held: "
		       "not run\n",
		       key, order, nheld);
		goto out;
	}
	levels = __builtin_ctz(before.mask);
	if (!pair_best(key, GFP_KERNEL, order, n, &best))
		goto out;
	pair_state_read(&after);
	if (!pair_state_same(&before, &after)) {
		pr_err("%s: state changed over the runs, no figure\n", key);
		goto out;
	}
	snprintf(what, sizeof(what),
		 "order-%u pair, split and merge: the order-%u Unmovable list empty (%d blocks "
		 "held), each pair splits %u level%s and merges back; order-%u/%u/%u free blocks "
		 "%lu/%lu/%lu before and after",
		 order, order, nheld, levels, levels == 1 ? "" : "s", order, order + 1, order + 2,
		 before.nr_free[0], before.nr_free[1], before.nr_free[2]);
	report(key, best, n, "pair", what);
out:
	if (held_up)
		__free_pages(held_up, order + 1);
	while (nheld--)
		if (held[nheld])
			__free_pages(held[nheld], order);
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
	pair_case("order3", GFP_KERNEL, 3, 20000, "order-3 pair, per-CPU list");
	nomerge_case("order4", 4, 20000);
	split_case("order4_split", 4, 20000);
	/* Linux 6.1 caches pageblock_order (9, THP) blocks on its per-CPU lists:
	 * the pair does not reach the free lists, so no free-list state to set */
	pair_case("order9", GFP_KERNEL, 9, 5000, "order-9 pair, per-CPU list (THP order)");
	nomerge_case("order10", MAX_ORDER - 1, 5000);
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
