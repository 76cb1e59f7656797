/*
 * kernel_bench.c - the in-kernel benchmark (include/labyrinth/bench.h): the host
 * benchmark's loops (tests/bench/) run inside the guest, timed with the
 * TSC, one printed line per case in guest TSC ticks per operation.
 *
 * Under QEMU TCG with -icount shift=0 a tick is one executed guest
 * instruction (string instructions count once per iteration): the figures
 * are exact and repeat to the tick, and compare with Debian's Linux running
 * the same loops under the same QEMU (`make bench-linux`: tests/bench/linux/
 * lab_bench.c mirrors this file case by case; change both together). Every
 * loop runs with interrupts off, so no timer tick lands inside a timed
 * region; the empty timed region's cost is subtracted.
 *
 * The Labyrinth-pool case runs in real IRQ context: a software interrupt
 * (int $BENCH_VECTOR) enters through the IDT and x86_isr_dispatch(), whose
 * handler runs the timed loop with arch_in_irq() true. If the vector is
 * taken, it falls back to process context with interrupts off and says so.
 */
#define pr_fmt(fmt) "bench: " fmt

#include <labyrinth/arch.h>
#include <labyrinth/bench.h>
#include <labyrinth/exclusive.h>
#include <labyrinth/gfp.h>
#include <labyrinth/mm.h>
#include <labyrinth/pcp.h>
#include <labyrinth/pool.h>
#include <labyrinth/printk.h>
#include <labyrinth/spinlock.h>
#include <labyrinth/string.h>
#include <labyrinth/mmzone.h>
#include <asm/cpu.h>
#include <asm/irq.h>

#define BENCH_VECTOR 0xe7
#define BENCH_BULK 64

static u64 empty_region;

/* The cost of an empty timed region (two rdtsc_ordered()), best of 16:
 * subtracted from every figure here and in kernel_smpbench.c. */
u64 bench_empty_region(void)
{
	u64 best = ~0ull;

	for (int i = 0; i < 16; i++) {
		u64 t0 = rdtsc_ordered();
		u64 t1 = rdtsc_ordered();

		best = min(best, t1 - t0);
	}
	return best;
}

/* "bench: key 123.4 ticks per unit (what)": tenths from integer maths. */
static void report(const char *key, u64 ticks, u64 ops, const char *unit, const char *what)
{
	u64 net = ticks > empty_region ? ticks - empty_region : 0;
	u64 tenths = (net * 10 + ops / 2) / ops;

	pr_info("%s %llu.%llu ticks per %s (%s)\n", key, (unsigned long long)(tenths / 10),
		(unsigned long long)(tenths % 10), unit, what);
}

static bool pairs(gfp_t gfp, unsigned int order, unsigned long n, u64 *ticks)
{
	u64 t0 = rdtsc_ordered();

	for (unsigned long i = 0; i < n; i++) {
		struct page *p = alloc_pages(gfp, order);

		if (unlikely(!p))
			return false;
		__free_pages(p, order);
	}
	*ticks = rdtsc_ordered() - t0;
	return true;
}

/* Best of three runs (the first warms the lists), interrupts off; false
 * (and said) if an allocation failed. */
static bool pair_best(const char *key, gfp_t gfp, unsigned int order, unsigned long n, u64 *best)
{
	unsigned long flags = arch_irq_save();
	u64 t;

	*best = ~0ull;
	for (int run = 0; run < 3; run++) {
		if (!pairs(gfp, order, n, &t)) {
			arch_irq_restore(flags);
			pr_err("%s: order-%u allocation failed\n", key, order);
			return false;
		}
		*best = min(*best, t);
	}
	arch_irq_restore(flags);
	return true;
}

static void pair_case(const char *key, gfp_t gfp, unsigned int order, unsigned long n,
		      const char *what)
{
	u64 best;

	if (pair_best(key, gfp, order, n, &best))
		report(key, best, n, "pair", what);
}

static bool bulk_round(struct page **pages)
{
	for (int k = 0; k < BENCH_BULK; k++)
		pages[k] = NULL;
	if (alloc_pages_bulk(GFP_KERNEL, BENCH_BULK, pages) != BENCH_BULK)
		return false;
	free_pages_bulk(BENCH_BULK, pages);
	return true;
}

static void bulk_case(unsigned long rounds)
{
	struct page *pages[BENCH_BULK];
	unsigned long flags = arch_irq_save();
	u64 best = ~0ull, t;

	for (int run = 0; run < 3; run++) {
		u64 t0 = rdtsc_ordered();

		for (unsigned long i = 0; i < rounds; i++) {
			if (!bulk_round(pages)) {
				arch_irq_restore(flags);
				pr_err("bulk64: alloc_pages_bulk fell short\n");
				return;
			}
		}
		t = rdtsc_ordered() - t0;
		best = min(best, t);
	}
	arch_irq_restore(flags);
	report("bulk64", best, rounds * BENCH_BULK, "page",
	       "alloc_pages_bulk(64) + free_pages_bulk(64), per page");
}

/* ---- the Labyrinth pool, from an interrupt handler ---- */

#define POOL_PAIRS 20000ul
static u64 pool_ticks;
static bool pool_in_irq, pool_failed;

static void pool_loop(void)
{
	u64 t0 = rdtsc_ordered();

	for (unsigned long i = 0; i < POOL_PAIRS; i++) {
		struct page *p = labyrinth_pool_take();

		if (unlikely(!p)) {
			pool_failed = true;
			return;
		}
		labyrinth_pool_give(p);
	}
	u64 t = rdtsc_ordered() - t0;

	pool_ticks = min(pool_ticks, t);
	pool_in_irq = arch_in_irq();
}

static void pool_irq_handler(struct pt_regs *regs)
{
	(void)regs;
	pool_loop();
}

static void pool_case(void)
{
	bool via_irq = irq_register(BENCH_VECTOR, pool_irq_handler) == 0;
	unsigned long flags = arch_irq_save();

	pool_ticks = ~0ull;
	for (int run = 0; run < 3 && !pool_failed; run++) {
		if (via_irq)
			soft_interrupt(BENCH_VECTOR);
		else
			pool_loop();
	}
	arch_irq_restore(flags);
	if (via_irq)
		irq_unregister(BENCH_VECTOR);
	if (pool_failed) {
		pr_err("pool: the Labyrinth pool ran dry\n");
		return;
	}
	report("pool", pool_ticks, POOL_PAIRS, "pair",
	       pool_in_irq ? "labyrinth_pool_take + give, in an IRQ handler (int $0xe7)"
			   : "labyrinth_pool_take + give, process context, interrupts off");
}

/*
 * ---- the seed call: alloc_page(GFP_ATOMIC | __GFP_EXCLUSIVE) + free ----
 *
 * Each pair is timed on its own, so the figure is a distribution: median
 * and maximum over EXCL_PAIRS pairs, the maximum being what a real-time
 * caller must budget for. Exact counts per tick up to EXCL_HIST_MAX (the
 * median from them), the maximum kept apart. Interrupts off, process
 * context: the same path an IRQ handler takes. Two runs, both reported:
 *  (a) the caller's path, scrubbed in the background: after each timed
 *      pair, outside the timed window, the scrubber (exclusive_scrub_dirty(),
 *      what the idle loop runs when the CPU is not saturated) zeroes the
 *      freed page into the clean reserve; its own cost is timed apart, per
 *      call (one page each here);
 *  (b) sustained, no idle time: the same pairs back to back with no
 *      scrubber: the clean reserve runs dry, then the pool's sealed part,
 *      and from then on every allocation scrubs a dirty page inline. This
 *      is what a CPU at 100% sees. The slowest pair is named: its index
 *      and its path, from the exclusive counters read around each pair
 *      (outside the timed window).
 */
#define EXCL_PAIRS 1000000ul
#define EXCL_HIST_MAX 4096u
static u32 hist_pair[EXCL_HIST_MAX], hist_scrub[EXCL_HIST_MAX];

/* A distribution: exact counts per tick up to EXCL_HIST_MAX, max apart. */
struct excl_dist {
	u32 *hist;
	unsigned long n;
	u64 max;
	unsigned long over; /* samples beyond the histogram */
};

static void dist_add(struct excl_dist *d, u64 t)
{
	t = t > empty_region ? t - empty_region : 0;
	d->n++;
	d->max = max(d->max, t);
	if (t < EXCL_HIST_MAX)
		d->hist[t]++;
	else
		d->over++;
}

/* The median of d's samples; clears its histogram for the next run. */
static u64 dist_median(struct excl_dist *d)
{
	unsigned long seen = 0;
	u64 med = EXCL_HIST_MAX; /* beyond the histogram */

	for (u32 i = 0; i < EXCL_HIST_MAX; i++) {
		seen += d->hist[i];
		if (seen * 2 >= d->n && med == EXCL_HIST_MAX)
			med = i;
		d->hist[i] = 0;
	}
	return med;
}

static void report_dist(const char *key, struct excl_dist *d, const char *unit, const char *what)
{
	u64 med = dist_median(d);

	pr_info("%s %llu.0 ticks per %s (%s, median of %lu timed one by one; max %llu, %lu "
		"above %u; %s)\n",
		key, (unsigned long long)med, unit, what, d->n, (unsigned long long)d->max, d->over,
		EXCL_HIST_MAX,
		exclusive_isolated() ? "PKS: keyed, scrubbed" : "no PKS: zeroed and scrubbed");
}

/* One timed seed call + free; false if the seed call failed. */
static bool timed_pair(struct excl_dist *d)
{
	u64 t0 = rdtsc_ordered();
	struct page *p = alloc_page(GFP_ATOMIC | __GFP_EXCLUSIVE);

	if (unlikely(!p))
		return false;
	__free_page(p);
	dist_add(d, rdtsc_ordered() - t0);
	return true;
}

/*
 * (a): the caller's pair, then the scrubber outside the timed window, timed
 * apart (a call that scrubbed nothing would be an error: counted).
 */
static void exclusive_background_case(void)
{
	struct excl_dist pair = { .hist = hist_pair }, scrub = { .hist = hist_scrub };
	unsigned long flags = arch_irq_save(), idle_calls = 0;

	exclusive_scrub_dirty();
	for (unsigned long i = 0; i < EXCL_PAIRS; i++) {
		u64 t0;
		unsigned int n;

		if (unlikely(!timed_pair(&pair))) {
			arch_irq_restore(flags);
			pr_err("exclusive: the seed call failed after %lu pairs\n", i);
			return;
		}
		t0 = rdtsc_ordered();
		n = exclusive_scrub_dirty();
		dist_add(&scrub, rdtsc_ordered() - t0);
		idle_calls += n != 1;
	}
	arch_irq_restore(flags);
	report_dist("exclusive_pair", &pair, "pair",
		    "the seed call + free, caller's path (scrubbed in the background)");
	report_dist("exclusive_scrub", &scrub, "page",
		    "the background scrub of one freed page, outside the pair: "
		    "exclusive_scrub_dirty()");
	if (idle_calls)
		pr_err("exclusive: %lu scrubber calls did not scrub exactly one page\n",
		       idle_calls);
}

/*
 * The path one pair took, from the exclusive counters around it (outside
 * the timed window): where the page came from, and whether its free
 * scrubbed it at once and gave it back to the allocator.
 */
struct excl_path {
	unsigned long index;
	bool reserve, pool, inline_scrub, free_scrub;
};

static void excl_path_note(struct excl_path *p, unsigned long i, const struct exclusive_stats *a,
			   const struct exclusive_stats *b)
{
	p->index = i;
	p->reserve = b->reserve_hits != a->reserve_hits;
	p->pool = b->pool_hits != a->pool_hits;
	p->inline_scrub = b->inline_scrubs != a->inline_scrubs;
	p->free_scrub = b->free_scrubs != a->free_scrubs;
}

/* (b): back to back, no scrubber: the reserve runs dry, then inline scrubs. */
static void exclusive_sustained_case(void)
{
	struct excl_dist pair = { .hist = hist_pair };
	struct exclusive_stats s0, s1, a, b;
	struct excl_path slow = { 0 };
	unsigned long flags = arch_irq_save();

	exclusive_get_stats(&s0);
	a = s0;
	for (unsigned long i = 0; i < EXCL_PAIRS; i++) {
		u64 max = pair.max;

		if (unlikely(!timed_pair(&pair))) {
			arch_irq_restore(flags);
			pr_err("exclusive: the seed call failed after %lu pairs\n", i);
			return;
		}
		exclusive_get_stats(&b);
		if (pair.max > max || !i)
			excl_path_note(&slow, i, &a, &b);
		a = b;
	}
	exclusive_get_stats(&s1);
	arch_irq_restore(flags);
	pr_info("exclusive_sustained: the slowest pair (max %llu) is #%lu: %s%s%s, its free %s\n",
		(unsigned long long)pair.max, slow.index, slow.reserve ? "clean reserve" : "",
		slow.pool ? "the pool's sealed part" : "",
		slow.inline_scrub ? "a dirty page scrubbed inline" : "",
		slow.free_scrub ? "scrubbed at once, back to the allocator" : "parked dirty");
	pr_info("exclusive_sustained: %lu from the clean reserve, %lu from the pool's sealed "
		"part, %lu scrubbed inline, %lu frees scrubbed at once (dirty list full)\n",
		s1.reserve_hits - s0.reserve_hits, s1.pool_hits - s0.pool_hits,
		s1.inline_scrubs - s0.inline_scrubs, s1.free_scrubs - s0.free_scrubs);
	report_dist("exclusive_sustained", &pair, "pair",
		    "the seed call + free, sustained, no idle time: every allocation "
		    "scrubs inline once the reserve is dry");
	exclusive_scrub_dirty(); /* leave the reserve clean */
}

/*
 * ---- buddy-path pairs in a stated free-list state ----
 *
 * An order-k pair's cost depends on the free lists it meets: a block on the
 * order-k list whose buddy is in use is taken without a split and freed
 * without a merge; an empty order-k list makes every pair split a larger
 * block and merge it back. The earlier cases leave whichever state by
 * accident, so each row sets its state up on purpose, checks it held over
 * the timed runs (the zone's free block counts at the orders involved, the
 * blocks' flags) and prints it in its line.
 */
#define HOLD_BATCH 32 /* order-k blocks allocated to find a buddy pair */
#define HOLD_MAX 64   /* order-k blocks held to empty the order-k list */

struct pair_state {
	struct zone *zone;
	unsigned int order, levels; /* each pair splits and merges `levels` */
	u32 nr_free[3];		    /* zone's free blocks at order, +1, +2 */
	u16 mask_mt;		    /* the gfp's migratetype's non-empty orders */
};

static void pair_state_read(struct pair_state *s)
{
	unsigned int mt = gfp_migratetype(GFP_KERNEL);
	unsigned long flags;

	spin_lock_irqsave(&s->zone->lock, flags);
	for (unsigned int i = 0; i < 3; i++)
		s->nr_free[i] =
		    s->order + i <= MAX_PAGE_ORDER ? s->zone->free_area[s->order + i].nr_free : 0;
	s->mask_mt = s->zone->free_mask_mt[mt];
	spin_unlock_irqrestore(&s->zone->lock, flags);
}

static bool pair_state_same(const struct pair_state *a, const struct pair_state *b)
{
	return a->mask_mt == b->mask_mt && a->nr_free[0] == b->nr_free[0] &&
	       a->nr_free[1] == b->nr_free[1] && a->nr_free[2] == b->nr_free[2];
}

/* Two blocks of b[0..n) that are buddies (pfn ^ (1 << order)) in a pageblock
 * of GFP_KERNEL's migratetype: their indices in *i, *j. */
static bool find_buddies(struct page **b, int n, unsigned int order, int *i, int *j)
{
	unsigned int mt = gfp_migratetype(GFP_KERNEL);

	for (*i = 0; *i < n; (*i)++) {
		unsigned long pfn = page_to_pfn(b[*i]);

		if (get_pfnblock_migratetype(pfn) != mt)
			continue;
		for (*j = 0; *j < n; (*j)++)
			if (page_to_pfn(b[*j]) == (pfn ^ (1ul << order)))
				return true;
	}
	return false;
}

/*
 * No split, no merge: allocate a batch of order-k blocks, find two that
 * are buddies, free all but that pair, then the one of them the pairs will
 * use. It is on the order-k list (its buddy is held, so it cannot merge),
 * and so every pair takes an order-k block without a split and frees it
 * with its buddy in use. Returns the held buddy, NULL if none was found.
 */
static struct page *hold_buddy(unsigned int order, struct page **block)
{
	struct page *b[HOLD_BATCH];
	int n = 0, i, j;

	while (n < HOLD_BATCH && (b[n] = alloc_pages(GFP_KERNEL, order)))
		n++;
	if (!find_buddies(b, n, order, &i, &j))
		i = j = -1;
	for (int k = 0; k < n; k++)
		if (k != i && k != j)
			__free_pages(b[k], order);
	if (i < 0)
		return NULL;
	__free_pages(b[i], order);
	*block = b[i];
	return b[j];
}

static bool block_free_at(const struct page *p, unsigned int order)
{
	return (READ_ONCE(p->flags) & PG_buddy) && p->order == order;
}

static void nomerge_case(const char *key, unsigned int order, unsigned long n)
{
	struct pair_state before = { .order = order }, after = { .order = order };
	struct page *block, *held = hold_buddy(order, &block);
	char what[224];
	u64 best;

	if (!held) {
		pr_err("%s: no two order-%u buddies among %d blocks: state not set up, not run\n",
		       key, order, HOLD_BATCH);
		return;
	}
	before.zone = after.zone = page_zone(block);
	pair_state_read(&before);
	if (!pair_best(key, GFP_KERNEL, order, n, &best))
		goto out;
	pair_state_read(&after);
	if (pair_state_same(&before, &after) && block_free_at(block, order) &&
	    (READ_ONCE(held->flags) & PG_allocated)) {
		snprintf(what, sizeof(what),
			 "order-%u pair, no split, no merge: the order-%u list holds pfn %lu, its "
			 "buddy pfn %lu held; order-%u/%u free blocks %u/%u before and after",
			 order, order, page_to_pfn(block), page_to_pfn(held), order, order + 1,
			 before.nr_free[0], before.nr_free[1]);
		report(key, best, n, "pair", what);
	} else {
		pr_err("%s: state changed over the runs, no figure: order-%u/%u free blocks %u/%u "
		       "-> %u/%u, "
		       "pfn %lu %sfree at order %u, buddy %sallocated\n",
		       key, order, order + 1, before.nr_free[0], before.nr_free[1],
		       after.nr_free[0], after.nr_free[1], page_to_pfn(block),
		       block_free_at(block, order) ? "" : "not ", order,
		       READ_ONCE(held->flags) & PG_allocated ? "" : "not ");
	}
out:
	__free_pages(held, order);
}

/*
 * Split and merge: hold order-k blocks until GFP_KERNEL's migratetype has
 * none left on its order-k list, then put one order-(k+1) block on its list
 * the way hold_buddy() does; each pair then splits the smallest larger
 * block (that one: one level) and merges it back on free. The levels are
 * read from the lists and printed.
 */
static void split_case(const char *key, unsigned int order, unsigned long n)
{
	unsigned int mt = gfp_migratetype(GFP_KERNEL);
	struct pair_state before = { .order = order }, after = { .order = order };
	struct page *held[HOLD_MAX], *held_up = NULL, *up;
	int nheld = 0;
	char what[224];
	u64 best;

	held[nheld] = alloc_pages(GFP_KERNEL, order);
	if (!held[nheld++])
		goto out;
	before.zone = after.zone = page_zone(held[0]);
	pair_state_read(&before);
	while (nheld < HOLD_MAX && (before.mask_mt & (1u << order))) {
		held[nheld] = alloc_pages(GFP_KERNEL, order);
		if (!held[nheld])
			break;
		nheld++;
		pair_state_read(&before);
	}
	if ((before.mask_mt & (1u << order)) || !(before.mask_mt >> order)) {
		pr_err("%s: could not empty the order-%u %s list with %d blocks held (or no "
		       "larger block): state not set up, not run\n",
		       key, order, migratetype_names[mt], nheld);
		goto out;
	}
	/* one level: an order-(k+1) block on its list, its buddy held */
	if (order < MAX_PAGE_ORDER)
		held_up = hold_buddy(order + 1, &up);
	pair_state_read(&before);
	before.levels = (unsigned int)__builtin_ctz(before.mask_mt >> order);
	if (!pair_best(key, GFP_KERNEL, order, n, &best))
		goto out;
	pair_state_read(&after);
	if (!pair_state_same(&before, &after)) {
		pr_err("%s: state changed over the runs, no figure: order-%u/%u/%u free blocks "
		       "%u/%u/%u -> %u/%u/%u\n",
		       key, order, order + 1, order + 2, before.nr_free[0], before.nr_free[1],
		       before.nr_free[2], after.nr_free[0], after.nr_free[1], after.nr_free[2]);
		goto out;
	}
	snprintf(what, sizeof(what),
		 "order-%u pair, split and merge: the order-%u %s list empty (%d blocks held), "
		 "each pair splits %u level%s and merges back; order-%u/%u/%u free blocks "
		 "%u/%u/%u before and after",
		 order, order, migratetype_names[mt], nheld, before.levels,
		 before.levels == 1 ? "" : "s", order, order + 1, order + 2, before.nr_free[0],
		 before.nr_free[1], before.nr_free[2]);
	report(key, best, n, "pair", what);
out:
	if (held_up)
		__free_pages(held_up, order + 1);
	while (nheld--)
		if (held[nheld])
			__free_pages(held[nheld], order);
}

/* Order-0 cases: the default path, the buddy path, and GFP_ATOMIC. */
static void order0_cases(void)
{
	bool pcp = mm_pcp_enabled();

	pair_case("order0", GFP_KERNEL, 0, 20000,
		  pcp ? "order-0 pair, per-CPU list" : "order-0 pair, per-CPU lists off");
	pair_case("order0_atomic", GFP_ATOMIC, 0, 20000, "order-0 GFP_ATOMIC pair, irqs off");
	if (!pcp)
		return;
	mm_pcp_set_enabled(false);
	pair_case("order0_buddy", GFP_KERNEL, 0, 20000, "order-0 pair, per-CPU lists off");
	mm_pcp_set_enabled(true);
}

void kernel_bench_run(void)
{
	empty_region = bench_empty_region();
	pr_info("start: guest TSC ticks per operation (-icount shift=0: instructions), "
		"empty region %llu ticks subtracted, lock debugging %s\n",
		(unsigned long long)empty_region, spin_debug_enabled ? "ON (lockdep=1)" : "off");
	order0_cases();
	pair_case("order3", GFP_KERNEL, 3, 20000,
		  mm_pcp_enabled() ? "order-3 pair, per-CPU list"
				   : "order-3 pair, per-CPU lists off");
	nomerge_case("order4", 4, 20000);
	split_case("order4_split", 4, 20000);
	nomerge_case("order9", 9, 5000);
	nomerge_case("order10", MAX_PAGE_ORDER, 5000);
	bulk_case(500);
	pool_case();
	exclusive_background_case();
	exclusive_sustained_case();
	pr_info("done\n");
}
