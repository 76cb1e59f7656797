/*
 * pool_test.c - in-kernel KTAP suite of mm/pool.c (the Labyrinth pool:
 * take, give, levels and statistics), run by kernel/ktest.c after boot and
 * on the host by tests/host/test_mm_ktest.c. The cases leave the pool as they
 * found it (a page of it may end in this CPU's slot). Reclaim and failure
 * injection have their own suites (tests/kernel/reclaim_test.c,
 * tests/kernel/fail_page_alloc_test.c).
 */
#include <labyrinth/arch.h>
#include <labyrinth/ktest.h>
#include <labyrinth/mm.h>
#include <labyrinth/mmzone.h>
#include <labyrinth/pool.h>
#include <labyrinth/shrinker.h>

/*
 * Both cases count exactly: no refill from other CPUs' idle loops (the
 * balancer off; each case turns it back on at its end) and the pool full to
 * start with. False, with the case skipped, when there is no pool.
 */
static bool pool_quiet_begin(struct ktest *t, struct labyrinth_pool_stats *s0)
{
	balancer_set_enabled(false);
	labyrinth_pool_refill();
	labyrinth_pool_stats(s0);
	if (s0->size)
		return true;
	balancer_set_enabled(true);
	ktest_skip(t, "no Labyrinth pool (labyrinth_pool_init not called)");
	return false;
}

static void pool_take_give(struct ktest *t)
{
	struct labyrinth_pool_stats s0, s;
	struct page *p;

	if (!pool_quiet_begin(t, &s0))
		return;
	p = labyrinth_pool_take();
	KEXPECT_TRUE(t, p != NULL);
	labyrinth_pool_stats(&s);
	KEXPECT_EQ(t, s.level, s0.level - 1);
	KEXPECT_EQ(t, s.hits, s0.hits + 1);
	if (p)
		labyrinth_pool_give(p);
	labyrinth_pool_stats(&s);
	KEXPECT_EQ(t, s.level, s0.level);
	KEXPECT_TRUE(t, s.lowest < s0.level);
	balancer_set_enabled(true);
}

/*
 * The per-CPU cache (mm/pool.c): a page given is this CPU's next take, and
 * while it sits in the slot it counts in the level, in stats.cached and in
 * labyrinth_pool_held_since() (what the self-test's judge_null() asks).
 * Interrupts off: no handler on this CPU takes it meanwhile.
 */
static void pool_cache(struct ktest *t)
{
	struct labyrinth_pool_stats s0, s;
	struct page *p, *q;
	unsigned long flags;

	if (!pool_quiet_begin(t, &s0))
		return;
	flags = arch_irq_save();
	p = labyrinth_pool_take();
	KEXPECT_TRUE(t, p != NULL);
	if (p)
		labyrinth_pool_give(p);
	labyrinth_pool_stats(&s);
	KEXPECT_EQ(t, s.level, s0.level);
	KEXPECT_TRUE(t, s.cached >= 1);
	KEXPECT_TRUE(t, labyrinth_pool_held_since(s.pushes, ZONE_NORMAL));
	q = labyrinth_pool_take();
	KEXPECT_TRUE(t, q == p);
	labyrinth_pool_stats(&s);
	KEXPECT_EQ(t, s.level, s0.level - 1);
	KEXPECT_EQ(t, s.hits, s0.hits + 2);
	if (q)
		labyrinth_pool_give(q);
	arch_irq_restore(flags);
	labyrinth_pool_stats(&s);
	KEXPECT_EQ(t, s.level, s0.level);
	balancer_set_enabled(true);
}

KTEST_SUITE(pool, KTEST_ORDER_POOL, KTEST_CASE(pool_take_give), KTEST_CASE(pool_cache));
