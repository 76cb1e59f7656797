/*
 * reclaim_test.c - in-kernel KTAP suite of mm/reclaim.c (the shrinker
 * registry: a cache registered, shrunk and unregistered), run by
 * kernel/ktest.c after boot and on the host by tests/host/test_mm_ktest.c.
 * The case leaves the allocator as it found it. Direct reclaim and the
 * balancer under pressure are tests/host/test_reclaim.c's and the IRQ
 * self-test's (selftest/).
 */
#include <labyrinth/ktest.h>
#include <labyrinth/mm.h>
#include <labyrinth/shrinker.h>
#include <labyrinth/zero_cache.h>

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
	unsigned long free0;

	balancer_set_enabled(false); /* no refill of the zero cache meanwhile */
	zero_cache_drain();	     /* the kernel's own shrinker has nothing left to give */
	free0 = nr_free_pages();
	for (cache_n = 0; cache_n < 8;)
		cache[cache_n++] = alloc_page(GFP_KERNEL);
	KEXPECT_EQ(t, register_shrinker(&sh), 0);
	KEXPECT_EQ(t, shrink_slab(GFP_KERNEL, 5), 5);
	KEXPECT_EQ(t, cache_n, 3);
	KEXPECT_EQ(t, shrink_slab(GFP_KERNEL, 100), 3);
	unregister_shrinker(&sh);
	KEXPECT_EQ(t, shrink_slab(GFP_KERNEL, 100), 0);
	KEXPECT_EQ(t, nr_free_pages(), free0);
	balancer_set_enabled(true);
}

KTEST_SUITE(reclaim, KTEST_ORDER_RECLAIM, KTEST_CASE(shrinker_gives_back));
