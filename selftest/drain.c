/*
 * drain.c - taking free memory away, and giving some of it back. The
 * drains take every zone past its min watermark (pressure) or take every
 * free page left (exhaustion, __GFP_MEMALLOC); the blocks they take are
 * held here, in held_blocks[] (a lock, process context only), not in the
 * pages themselves. During the pressure phase a test shrinker lets reclaim
 * (mm/reclaim.c) have a limited budget of them back; the release frees
 * the rest (st_free_held()). The phases (phases.c) call all of it; the
 * IRQ handlers (irq.c) then live on what is left.
 */
#define pr_fmt(fmt) "selftest: " fmt

#include <labyrinth/gfp.h>
#include <labyrinth/printk.h>
#include <labyrinth/shrinker.h>
#include <labyrinth/spinlock.h>

#include "internal.h"

#define ATOMIC_MARGIN 16 /* pressure: reserve pages left to the IRQ handlers */

/* Drained blocks, page | order (struct page is 16 bytes: 4 low bits free). */
#define HELD_MAX 16384u /* 64 GiB in 4 MiB blocks */
static unsigned long held_blocks[HELD_MAX];

static struct {
	spinlock_t lock; /* nr, pages, held_blocks[]: process context */
	unsigned int nr;
	unsigned long pages;
} held = { .lock = SPINLOCK_INIT };

static unsigned long budget; /* pages the test shrinker may still give back */

/* ---- the held blocks ---- */

/* Pops the most recently held block; NULL if none. */
static struct page *held_pop(unsigned int *order)
{
	unsigned long w = 0;

	spin_lock(&held.lock);
	if (held.nr) {
		w = held_blocks[--held.nr];
		held.pages -= 1ul << (w & 15);
	}
	spin_unlock(&held.lock);
	*order = w & 15;
	return (struct page *)(w & ~15ul);
}

static bool held_push(struct page *page, unsigned int order)
{
	bool ok;

	spin_lock(&held.lock);
	ok = held.nr < HELD_MAX;
	if (ok) {
		held_blocks[held.nr++] = (unsigned long)page | order;
		held.pages += 1ul << order;
	}
	spin_unlock(&held.lock);
	return ok;
}

/* Frees what the drains still hold; returns the pages. */
unsigned long st_free_held(void)
{
	unsigned long pages = 0;
	unsigned int order;
	struct page *page;

	while ((page = held_pop(&order))) {
		__free_pages(page, order);
		pages += 1ul << order;
	}
	return pages;
}

/* ---- the drains ---- */

/* Allocates blocks of every order, largest first, until gfp gets NULL;
 * holds them in held_blocks[] (not in the pages: touching a page the guest
 * never used makes the host back it, slowly). Returns pages taken. */
unsigned long st_drain_with(gfp_t gfp)
{
	unsigned long pages = 0;
	struct page *page;

	for (int order = MAX_PAGE_ORDER; order >= 0; order--) {
		while ((page = alloc_pages(gfp, (unsigned int)order))) {
			if (!held_push(page, (unsigned int)order)) {
				__free_pages(page, (unsigned int)order);
				pr_err("more than %u blocks to hold: drain stopped\n", HELD_MAX);
				return pages;
			}
			pages += 1ul << order;
		}
	}
	return pages;
}

/*
 * Pressure, step 1: every zone, each with its own requests so no lowmem
 * reserve protects it, drained by a sleeping __GFP_HIGH caller: past min,
 * to half of it (gfp.h). Counted as "other" (not atomic) allocations.
 */
unsigned long st_drain_to_half_min(void)
{
	const gfp_t base_gfp = __GFP_HIGH | __GFP_DIRECT_RECLAIM | __GFP_NOWARN;

	return st_drain_with(base_gfp | __GFP_DMA) + st_drain_with(base_gfp | __GFP_DMA32) +
	       st_drain_with(base_gfp);
}

/*
 * Step 2: GFP_ATOMIC from process context, this CPU's interrupts off, to
 * ATOMIC_MARGIN pages above each zone's atomic watermark (3/8 of min). The
 * IRQ handlers find a few pages of reserve below min, then only the pool.
 * Added to the baseline's counts, so the atomic sources stay the IRQs'.
 */
unsigned long st_drain_atomic_margin(void)
{
	static const gfp_t zone_gfp[MAX_NR_ZONES] = { __GFP_DMA, __GFP_DMA32, 0 };
	const gfp_t gfp = GFP_ATOMIC | __GFP_NOWARN;
	struct mm_alloc_stats before, after;
	unsigned long flags = arch_irq_save(), pages = 0;
	struct page *page;

	mm_alloc_stats_read(arch_cpu_id(), &before);
	for (int nid = 0; nid < nr_node_ids; nid++) {
		for (int i = 0; i < MAX_NR_ZONES; i++) {
			struct zone *z = &NODE_DATA(nid)->node_zones[i];
			long stop = z->wmark_thr[ALLOC_WMARK_ATOMIC][i] + ATOMIC_MARGIN;

			while (
			    populated_zone(z) && (long)READ_ONCE(z->free_pages) > stop &&
			    (page = alloc_pages_node(nid, gfp | __GFP_THISNODE | zone_gfp[i], 0)) &&
			    held_push(page, 0))
				pages++;
		}
	}
	mm_alloc_stats_read(arch_cpu_id(), &after);
	arch_irq_restore(flags);
	st_mm_stats_sub(&after, &before);
	st_mm_stats_add(&st_base.mm, &after);
	return pages;
}

/* ---- the test shrinker ---- */

static unsigned long st_count(struct shrinker *s, struct shrink_control *sc)
{
	(void)s;
	(void)sc;
	if (READ_ONCE(st.phase) != PH_PRESSURE)
		return 0;
	return min(READ_ONCE(held.pages), READ_ONCE(budget));
}

/* Frees held blocks (most recently drained first) within the budget.
 * Runs under mm/reclaim.c's shrinker lock: one scan at a time. */
static unsigned long st_scan(struct shrinker *s, struct shrink_control *sc)
{
	unsigned long freed = 0;
	unsigned int order;
	struct page *page;

	(void)s;
	while (freed < sc->nr_to_scan && budget && (page = held_pop(&order))) {
		__free_pages(page, order);
		freed += 1ul << order;
		budget -= min(budget, 1ul << order);
	}
	st.shrunk += freed;
	return freed;
}

static struct shrinker st_shrinker = {
	.count_objects = st_count,
	.scan_objects = st_scan,
	.name = "selftest",
};

/* The shrinker may give back what lifts every zone to its low watermark
 * (so reclaim can succeed: GFP_KERNEL needs low), one low-min step more and
 * 64 pages: enough for a few successes, little enough to run out. */
static unsigned long pressure_budget(void)
{
	unsigned long b = 64;
	struct zone *z;

	for_each_zone(z) {
		unsigned long low = z->_watermark[WMARK_LOW], free = zone_nr_free_pages(z);

		if (populated_zone(z))
			b += (low > free ? low - free : 0) + low - z->_watermark[WMARK_MIN];
	}
	return b;
}

/* Pressure: the budget as the zones stand now, then the shrinker on;
 * register_shrinker()'s result. */
int st_shrinker_register(void)
{
	budget = pressure_budget();
	return register_shrinker(&st_shrinker);
}

void st_shrinker_unregister(void)
{
	unregister_shrinker(&st_shrinker);
}
