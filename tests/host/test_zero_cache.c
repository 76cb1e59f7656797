/*
 * test_zero_cache.c - the kernel's reclaimable consumer (mm/zero_cache.c):
 * pre-zeroed pages served to order-0 __GFP_ZERO allocations, only to
 * callers whose zones they are in; filled only above the high watermark;
 * given back by its shrinker under pressure (direct reclaim); counted; and
 * narrated by trace=alloc.
 */
#include <string.h>

#include <labyrinth/mm.h>
#include <labyrinth/mmzone.h>
#include <labyrinth/pcp.h>
#include <labyrinth/smp.h>
#include <labyrinth/shrinker.h>
#include <labyrinth/trace.h>
#include <labyrinth/zero_cache.h>
#include "host.h"
#include "lib/sim_mem.h"

static bool page_is_zero(struct page *p)
{
	const unsigned char *a = page_address(p);

	for (unsigned int i = 0; i < PAGE_SIZE; i++)
		if (a[i])
			return false;
	return true;
}

static void boot(void)
{
	sim_boot_quiet(sim_boot_info_qemu(128 << 20));
	host_set_cpu(0);
	cpu_online_mask = 1;
	mm_pcp_set_enabled(true);
	mm_alloc_stats_reset();
}

static void test_serves_zeroed(void)
{
	struct zero_cache_stats s;
	unsigned long free0, i, dirty = 0;
	struct page *p, *q, *d[64];

	boot();
	for (i = 0; i < 64; i++) { /* dirty pages on top of the free lists */
		d[i] = alloc_page(GFP_KERNEL);
		memset(page_address(d[i]), 0xa5, PAGE_SIZE);
	}
	for (i = 0; i < 64; i++)
		__free_page(d[i]);
	free0 = nr_free_pages();
	zero_cache_init(16);
	zero_cache_stats(&s);
	ok(s.size == 16 && s.level == 16 && s.filled == 16, "filled with 16 pages (%lu)", s.level);
	is_u64(nr_free_pages(), free0 - 16, "they left the free count");
	p = alloc_page(GFP_KERNEL);
	memset(page_address(p), 0xa5, PAGE_SIZE); /* dirty it, then give it back */
	__free_page(p);
	q = alloc_page(GFP_KERNEL | __GFP_ZERO);
	zero_cache_stats(&s);
	ok(q && page_is_zero(q) && s.hits == 1 && s.level == 15,
	   "GFP_KERNEL | __GFP_ZERO: a zeroed page from the cache (hits %lu)", s.hits);
	__free_page(q);
	p = alloc_page(GFP_KERNEL);
	zero_cache_stats(&s);
	ok(p && s.hits == 1 && s.level == 15, "no __GFP_ZERO: the cache is not touched");
	__free_page(p);
	p = alloc_page(GFP_KERNEL | GFP_DMA | __GFP_ZERO);
	zero_cache_stats(&s);
	ok(p && page_zone(p) == &contig_page_data.node_zones[ZONE_DMA] && page_is_zero(p) &&
	       s.misses == 1 && s.hits == 1,
	   "GFP_DMA: no DMA page cached, a miss, the normal path zeroes one");
	__free_page(p);
	is_u64(zero_cache_refill(), 1, "the balancer's refill tops it up");
	for (i = 0; i < 16; i++) {
		d[i] = alloc_page(GFP_KERNEL | __GFP_ZERO);
		dirty += !page_is_zero(d[i]);
	}
	zero_cache_stats(&s);
	ok(s.hits == 17 && dirty == 0, "all 16 cached pages (made from dirty ones) are zero");
	for (i = 0; i < 16; i++)
		__free_page(d[i]);
	is_u64(mm_check_invariants(), 0, "invariants");
}

/* Pressure: GFP_KERNEL takes everything; direct reclaim runs the shrinker. */
static void test_given_back_under_pressure(void)
{
	static struct page *held[40000];
	struct zero_cache_stats s;
	struct reclaim_stats rs;
	unsigned long n = 0, i;

	boot();
	zero_cache_init(32);
	balancer_set_enabled(false);
	while (n < 40000 && (held[n] = alloc_page(GFP_KERNEL | __GFP_NOWARN)))
		n++;
	zero_cache_stats(&s);
	reclaim_stats(&rs);
	ok(s.level == 0 && s.shrunk == 32 && rs.direct_freed >= 32,
	   "under pressure the shrinker gave all 32 back (shrunk %lu, reclaim freed %lu)", s.shrunk,
	   rs.direct_freed);
	is_u64(zero_cache_refill(), 0, "no refill while the zones are below high");
	for (i = 0; i < n; i++)
		__free_page(held[i]);
	balancer_set_enabled(true);
	ok(balance_zones_needed(), "memory back: the balancer wants to refill the cache");
	balance_zones();
	zero_cache_stats(&s);
	ok(s.level == 32, "the balancer filled it again (%lu)", s.level);
	is_u64(mm_check_invariants(), 0, "invariants");
}

static u64 fake_now;
static u64 fake_clock(void)
{
	return fake_now;
}

static void test_traced(void)
{
	struct page *p;

	boot();
	zero_cache_init(4);
	trace_reset();
	trace_init("alloc", 1000, 1000);
	trace_set_clock(fake_clock, 1000);
	trace_set_enabled(MM_HOOK_TRACE_ALLOC);
	host_log_clear();
	p = alloc_page(GFP_KERNEL | __GFP_ZERO);
	fake_now += 1000;
	trace_set_enabled(0);
	ok(host_log_contains("zero cache: took pre-zeroed pfn") &&
	       host_log_contains("zero cache (already zeroed)"),
	   "trace=alloc narrates the hit and names the source");
	__free_page(p);
	host_log_clear();
	zero_cache_drain();
	trace_set_enabled(MM_HOOK_TRACE_ALLOC);
	is_u64(shrink_slab(GFP_KERNEL, 8), 0, "an empty cache gives nothing");
	trace_set_enabled(0);
}

int main(void)
{
	test_serves_zeroed();
	test_given_back_under_pressure();
	test_traced();
	sim_mem_unmap();
	return done_testing();
}
