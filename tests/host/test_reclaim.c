/*
 * test_reclaim.c - life under pressure (mm/reclaim.c, mm/page_alloc.c's
 * slow path) and failure injection (mm/fail_page_alloc.c): a test cache
 * with a shrinker; GFP_KERNEL reclaims through it, then fails cleanly with
 * a rate-limited warning (none with __GFP_NOWARN); GFP_ATOMIC never
 * reclaims; the balancer brings zones back to high; fail_page_alloc's
 * syntax, probability, interval, space, times, atomic-only default and
 * seed reproducibility.
 */
#include <string.h>

#include <labyrinth/fail_page_alloc.h>
#include <labyrinth/memmap.h>
#include <labyrinth/mm.h>
#include <labyrinth/mmzone.h>
#include <labyrinth/pcp.h>
#include <labyrinth/pool.h>
#include <labyrinth/shrinker.h>
#include "mm/internal.h"
#include "host.h"
#include "lib/sim_mem.h"

/* A cache of pages that it will give back when asked. */
static struct page *cache[1 << 16];
static unsigned long cache_n, scans;

static unsigned long cache_count(struct shrinker *s, struct shrink_control *sc)
{
	(void)s, (void)sc;
	return cache_n;
}

static unsigned long cache_scan(struct shrinker *s, struct shrink_control *sc)
{
	unsigned long n = 0;

	(void)s;
	scans++;
	while (n < sc->nr_to_scan && cache_n) {
		__free_page(cache[--cache_n]);
		n++;
	}
	return n;
}

static struct shrinker cache_shrinker = { .count_objects = cache_count,
					  .scan_objects = cache_scan,
					  .name = "test-cache" };

static void cache_fill(unsigned long n)
{
	struct page *p;

	while (cache_n < n && (p = alloc_page(GFP_NOWAIT)))
		cache[cache_n++] = p;
}

static struct page **held;
static unsigned long nr_held;

static void hold_until_fail(gfp_t gfp)
{
	struct page *p;

	while ((p = alloc_page(gfp)))
		held[nr_held++] = p;
}

static void release_held(void)
{
	while (nr_held)
		__free_page(held[--nr_held]);
}

static void test_direct_reclaim(void)
{
	struct reclaim_stats rs0, rs;
	unsigned long before, warns;

	cache_fill(1000);
	ok(register_shrinker(&cache_shrinker) == 0 && register_shrinker(&cache_shrinker) == -1,
	   "register_shrinker (twice is refused)");
	reclaim_stats(&rs0);
	host_log_clear();
	hold_until_fail(GFP_NOWAIT); /* down to min, no reclaim */
	ok(scans == 0 && cache_n == 1000, "GFP_NOWAIT never reclaims");
	before = nr_held;
	hold_until_fail(GFP_ATOMIC | __GFP_NOWARN);
	ok(scans == 0 && cache_n == 1000, "GFP_ATOMIC never reclaims (took %lu reserve pages)",
	   nr_held - before);
	warns = host_warn_count();
	before = nr_held;
	hold_until_fail(GFP_KERNEL);
	reclaim_stats(&rs);
	ok(scans > 0 && cache_n == 0, "GFP_KERNEL below low ran the shrinker until empty");
	ok(nr_held - before > 500 && nr_held - before <= 1000,
	   "and got the reclaimed pages above low (%lu; the rest refilled the reserve)",
	   nr_held - before);
	ok(rs.direct_runs > rs0.direct_runs && rs.direct_freed - rs0.direct_freed == 1000,
	   "direct reclaim counted: %lu runs, %lu freed", rs.direct_runs - rs0.direct_runs,
	   rs.direct_freed - rs0.direct_freed);
	ok(host_log_contains("page allocation failure: order:0"), "then it failed with a warning");
	(void)warns;
	host_log_clear();
	ok(!alloc_page(GFP_KERNEL | __GFP_NOWARN) && !host_log_contains("allocation failure"),
	   "__GFP_NOWARN: NULL, silently");
	ok(balance_zones_needed(), "the failures woke the balancer");
}

static void test_balancer(void)
{
	struct zone *dma32 = &contig_page_data.node_zones[ZONE_DMA32];
	unsigned long freed;

	release_held();
	cache_fill(ARRAY_SIZE(cache)); /* everything down to min */
	drain_local_pages(NULL);
	ok(zone_nr_free_pages(dma32) < dma32->_watermark[WMARK_HIGH], "DMA32 below high");
	wakeup_balancer();
	freed = balance_zones();
	ok(freed > 0 && zone_nr_free_pages(dma32) >= dma32->_watermark[WMARK_HIGH],
	   "balance_zones() brought it back to high (%lu pages from the shrinker)", freed);
	ok(!balance_zones_needed(), "nothing more to do");
	unregister_shrinker(&cache_shrinker);
	while (cache_n)
		__free_page(cache[--cache_n]);
	is_u64(mm_check_invariants(), 0, "invariants");
}

/* How many of n GFP_ATOMIC allocations fail; every page is freed. */
static unsigned long atomic_failures(unsigned long n, gfp_t gfp)
{
	unsigned long f = 0, i;

	for (i = 0; i < n; i++) {
		struct page *p = alloc_page(gfp | __GFP_NOWARN);

		if (p)
			__free_page(p);
		else
			f++;
	}
	return f;
}

static void test_fail_page_alloc(void)
{
	struct fail_page_alloc_attr a = FAIL_PAGE_ALLOC_ATTR_DEFAULT;
	struct fail_page_alloc_stats st;
	unsigned long f1, f2;

	ok(fail_page_alloc_parse("10,100,0,-1", &a) == 0 && a.interval == 10 &&
	       a.probability == 100 && a.times == -1,
	   "parses Linux's <interval>,<probability>,<space>,<times>");
	ok(fail_page_alloc_parse("1,101,0,1", &a) == -1 && fail_page_alloc_parse("x", &a) == -1 &&
	       fail_page_alloc_parse("1,2,3,4,5", &a) == -1,
	   "rejects a probability over 100, garbage, extra fields");
	fail_page_alloc_parse("10,100,0,-1", &a);
	fail_page_alloc_init(&a);
	is_u64(atomic_failures(1000, GFP_ATOMIC), 100, "interval 10, probability 100: every 10th");
	is_u64(atomic_failures(1000, GFP_KERNEL), 0, "allocations that may sleep are spared");
	fail_page_alloc_parse("1,30,0,-1", &a);
	a.seed = 42;
	fail_page_alloc_init(&a);
	f1 = atomic_failures(2000, GFP_ATOMIC);
	fail_page_alloc_init(&a);
	f2 = atomic_failures(2000, GFP_ATOMIC);
	ok(f1 == f2 && f1 > 450 && f1 < 750, "30%%: %lu of 2000, the same again with the same seed",
	   f1);
	fail_page_alloc_parse("1,100,50,5", &a);
	fail_page_alloc_init(&a);
	is_u64(atomic_failures(100, GFP_ATOMIC), 5, "space 50 then times 5: five failures");
	fail_page_alloc_stats(&st);
	ok(st.injected == 5 && st.times_left == 0, "stats: 5 injected, none left");
	a.times = 0;
	fail_page_alloc_init(&a);
	ok(!(mm_alloc_hooks & MM_HOOK_FAULT), "times 0 disarms: the fast path is back");
	is_u64(mm_check_invariants(), 0, "invariants");
}

int main(void)
{
	sim_boot_quiet(sim_boot_info_qemu(128 << 20));
	mm_pcp_set_enabled(true);
	held = calloc(1 << 16, sizeof(*held));
	test_direct_reclaim();
	test_balancer();
	test_fail_page_alloc();
	free(held);
	sim_mem_unmap();
	return done_testing();
}
