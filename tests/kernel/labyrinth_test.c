/*
 * labyrinth_test.c - in-kernel KTAP suite of mm/labyrinth.c (the pool,
 * __GFP_EXCLUSIVE), mm/reclaim.c (shrinkers) and mm/fail_page_alloc.c, run
 * by kernel/ktest.c after boot and on the host by
 * tests/host/test_mm_ktest.c. Each case leaves the allocator as it found
 * it. The IRQ-driven self-test (selftest/selftest.c) is separate.
 */
#include <labyrinth/fail_page_alloc.h>
#include <labyrinth/ktest.h>
#include <labyrinth/labyrinth.h>
#include <labyrinth/mm.h>
#include <labyrinth/mmzone.h>
#include <labyrinth/pcp.h>
#include <labyrinth/shrinker.h>
#include <labyrinth/vm.h>

static bool page_all_zero(const struct page *p)
{
	const u64 *w = page_address(p);
	unsigned int i;

	for (i = 0; i < PAGE_SIZE / 8; i++)
		if (w[i])
			return false;
	return true;
}

/* The seed call: alloc_page(GFP_ATOMIC | __GFP_EXCLUSIVE). */
static void exclusive_page_is_private(struct ktest *t)
{
	struct page *p = alloc_page(GFP_ATOMIC | __GFP_EXCLUSIVE);
	phys_addr_t pa;
	unsigned int flags, level;

	KEXPECT_TRUE(t, p != NULL);
	if (!p)
		return;
	KEXPECT_TRUE(t, page_is_exclusive(p));
	KEXPECT_EQ(t, p->owner, arch_cpu_id());
	KEXPECT_TRUE(t, page_all_zero(p));
	if (vm_ready()) { /* supervisor-only and NX: the direct map's promise */
		KEXPECT_TRUE(t, vm_translate((u64)page_address(p), &pa, &flags, &level));
		KEXPECT_EQ(t, pa, page_to_phys(p));
		KEXPECT_FALSE(t, flags & VM_USER);
		KEXPECT_FALSE(t, flags & VM_EXEC);
	} else {
		ktest_log(t, "kernel page tables not live: mapping flags not checked");
	}
	__free_page(p);
	KEXPECT_FALSE(t, p->flags & PG_exclusive);
}

/* A free by a CPU that is not the owner is refused (we pose as the other
 * CPU by changing the recorded owner). */
static void exclusive_foreign_free_refused(struct ktest *t)
{
	struct page *p = alloc_page(GFP_KERNEL | __GFP_EXCLUSIVE);
	unsigned long bad0 = mm_bad_page_count, free0;

	KEXPECT_TRUE(t, p != NULL);
	if (!p)
		return;
	ktest_log(t, "a deliberate foreign free follows: one Bad page state report");
	p->owner = (u8)((arch_cpu_id() + 1) % NR_CPUS);
	free0 = nr_free_pages();
	__free_page(p);
	KEXPECT_EQ(t, mm_bad_page_count, bad0 + 1);
	KEXPECT_TRUE(t, page_is_exclusive(p));
	KEXPECT_EQ(t, nr_free_pages(), free0);
	p->owner = (u8)arch_cpu_id();
	KEXPECT_EQ(t, exclusive_page_handover(p, (arch_cpu_id() + 1) % NR_CPUS), 0);
	p->owner = (u8)arch_cpu_id(); /* handed back: we pose as the receiver */
	__free_page(p);
	KEXPECT_EQ(t, mm_bad_page_count, bad0 + 1);
	KEXPECT_EQ(t, nr_free_pages(), free0 + 1);
}

static void pool_take_give(struct ktest *t)
{
	struct labyrinth_pool_stats s0, s;
	struct page *p;

	balancer_set_enabled(false); /* no refill from other CPUs' idle loops */
	labyrinth_pool_refill();
	labyrinth_pool_stats(&s0);
	if (!s0.size) {
		balancer_set_enabled(true);
		ktest_skip(t, "no Labyrinth pool (labyrinth_pool_init not called)");
		return;
	}
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

static struct page *cache[8];
static unsigned int cache_n;

static unsigned long cache_count(struct shrinker *s, struct shrink_control *sc)
{
	(void)s, (void)sc;
	return cache_n;
}

static unsigned long cache_scan(struct shrinker *s, struct shrink_control *sc)
{
	unsigned long n = 0;

	(void)s;
	for (; n < sc->nr_to_scan && cache_n; n++)
		__free_page(cache[--cache_n]);
	return n;
}

static void shrinker_gives_back(struct ktest *t)
{
	struct shrinker sh = { .count_objects = cache_count,
			       .scan_objects = cache_scan,
			       .name = "ktest-cache" };
	unsigned long free0 = nr_free_pages();

	for (cache_n = 0; cache_n < 8;)
		cache[cache_n++] = alloc_page(GFP_KERNEL);
	KEXPECT_EQ(t, register_shrinker(&sh), 0);
	KEXPECT_EQ(t, shrink_slab(GFP_KERNEL, 5), 5);
	KEXPECT_EQ(t, cache_n, 3);
	KEXPECT_EQ(t, shrink_slab(GFP_KERNEL, 100), 3);
	unregister_shrinker(&sh);
	KEXPECT_EQ(t, shrink_slab(GFP_KERNEL, 100), 0);
	KEXPECT_EQ(t, nr_free_pages(), free0);
}

static void fail_page_alloc_injects(struct ktest *t)
{
	struct fail_page_alloc_attr a = FAIL_PAGE_ALLOC_ATTR_DEFAULT;
	unsigned int i, failed = 0;

	if (mm_alloc_hooks & MM_HOOK_FAULT) {
		ktest_skip(t, "fail_page_alloc armed from the command line");
		return;
	}
	KEXPECT_EQ(t, fail_page_alloc_parse("2,100,0,3", &a), 0);
	fail_page_alloc_init(&a);
	for (i = 0; i < 10; i++) {
		struct page *p = alloc_page(GFP_ATOMIC | __GFP_NOWARN);

		if (p)
			__free_page(p);
		failed += !p;
	}
	a.times = 0;
	fail_page_alloc_init(&a); /* disarmed */
	KEXPECT_EQ(t, failed, 3);
	KEXPECT_FALSE(t, mm_alloc_hooks & MM_HOOK_FAULT);
}

KTEST_SUITE(labyrinth, KTEST_ORDER_POOL, KTEST_CASE(exclusive_page_is_private),
	    KTEST_CASE(exclusive_foreign_free_refused), KTEST_CASE(pool_take_give),
	    KTEST_CASE(shrinker_gives_back), KTEST_CASE(fail_page_alloc_injects));
