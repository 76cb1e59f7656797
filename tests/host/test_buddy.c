/*
 * test_buddy.c - unit tests of the buddy allocator and its entry points
 * (mm/buddy.c, mm/page_alloc.c, mm/debug.c) over simulated memory:
 * splits, merges, every order, zone fallback, watermarks, every kind of
 * bad free, bulk, __GFP_ZERO, poisoning.
 */
#include <string.h>

#include <labyrinth/memmap.h>
#include <labyrinth/mm.h>
#include <labyrinth/mmzone.h>
#include "mm/internal.h"
#include "host.h"
#include "lib/sim_mem.h"

#define DMA (&contig_page_data.node_zones[ZONE_DMA])
#define DMA32 (&contig_page_data.node_zones[ZONE_DMA32])
#define NORMAL (&contig_page_data.node_zones[ZONE_NORMAL])

/*
 * A map whose DMA zone is exactly one order-10 block (pfns 1024-2047) and
 * whose DMA32 zone holds the metadata: splits and merges are exact.
 */
static void boot_small(void)
{
	struct boot_info *bi = sim_boot_info();

	sim_boot_info_add_e820(bi, 4 << 20, 4 << 20, E820_TYPE_RAM);
	sim_boot_info_add_e820(bi, 16 << 20, 8 << 20, E820_TYPE_RAM);
	sim_boot_quiet(bi);
}

static bool orders_are(const struct zone *z, const u32 *want)
{
	int o;

	for (o = 0; o < NR_PAGE_ORDERS; o++)
		if (z->free_area[o].nr_free != want[o])
			return false;
	return true;
}

static void test_layout(void)
{
	is_u64(sizeof(struct page), 16, "struct page is 16 bytes");
	boot_small();
	is_u64(DMA->managed_pages, 1024, "DMA zone: one order-10 block managed");
	is_u64(DMA->free_area[10].nr_free, 1, "DMA: the block is on free_area[10]");
	is_u64(mm_check_invariants(), 0, "invariants after boot");
	ok(pfn_to_page(1024)->pfn == 1024 && page_to_pfn(pfn_to_page(2047)) == 2047,
	   "pfn_to_page/page_to_pfn round trip");
	ok(pfn_valid(2048) && (pfn_to_page(2048)->flags & PG_nomem), "hole pages are PG_nomem");
	ok(!pfn_valid(PAGES_PER_SECTION), "no struct pages past the last section");
}

static void test_split_and_merge(void)
{
	static const u32 split[NR_PAGE_ORDERS] = { 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0 };
	static const u32 whole[NR_PAGE_ORDERS] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 };
	static const u32 two[NR_PAGE_ORDERS] = { 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 0 };
	struct page *p[4];
	int i;

	boot_small();
	p[0] = alloc_pages(GFP_KERNEL | GFP_DMA, 0);
	ok(p[0] && page_to_pfn(p[0]) == 1024, "order 0 comes from the start of the block");
	ok(orders_are(DMA, split), "one order-0 take splits 10 -> one block of each order 0..9");
	ok(p[0]->flags == PG_allocated && p[0]->order == 0, "allocated head is marked");
	ok(pfn_to_page(1025)->flags == PG_buddy && pfn_to_page(1025)->order == 0,
	   "its buddy 1024 ^ 1 is a free order-0 block");
	__free_pages(p[0], 0);
	ok(orders_are(DMA, whole), "freeing it merges all the way back to order 10");
	for (i = 0; i < 4; i++)
		p[i] = alloc_pages(GFP_KERNEL | GFP_DMA, 0);
	ok(page_to_pfn(p[3]) == 1027, "four order-0 pages: 1024..1027");
	ok(orders_are(DMA, two), "1028.. remains as orders 2..9");
	__free_pages(p[1], 0);
	is_u64(DMA->free_area[0].nr_free, 1, "free 1025: buddy 1024 allocated, no merge");
	__free_pages(p[3], 0);
	is_u64(DMA->free_area[0].nr_free, 2, "free 1027: buddy 1026 allocated, no merge");
	__free_pages(p[0], 0);
	ok(DMA->free_area[0].nr_free == 1 && DMA->free_area[1].nr_free == 1,
	   "free 1024: merges with 1025 into an order-1 block");
	__free_pages(p[2], 0);
	ok(orders_are(DMA, whole), "free 1026: cascade back to one order-10 block");
	is_u64(mm_check_invariants(), 0, "invariants after split/merge");
}

static void test_every_order(void)
{
	unsigned int o;

	boot_small();
	for (o = 0; o <= MAX_PAGE_ORDER; o++) {
		unsigned long before = DMA->free_pages;
		struct page *p = alloc_pages(GFP_DMA | __GFP_MEMALLOC, o);

		ok(p && (page_to_pfn(p) & ((1ul << o) - 1)) == 0 && p->order == o,
		   "order %u: allocated and aligned", o);
		is_u64(DMA->free_pages, before - (1ul << o), "order %u: free count drops by 2^o",
		       o);
		__free_pages(p, o);
		is_u64(DMA->free_pages, before, "order %u: free restores the count", o);
	}
	ok(alloc_pages(GFP_KERNEL | __GFP_NOWARN, MAX_PAGE_ORDER + 1) == NULL,
	   "order 11 is refused");
	is_u64(mm_check_invariants(), 0, "invariants after every order");
}

static void test_fallback(void)
{
	struct page *p;
	int i;
	bool all = true;

	sim_boot_quiet(sim_boot_info_qemu(5ull << 30));
	p = alloc_pages(GFP_KERNEL, 0);
	ok(p && page_to_pfn(p) >= ZONE_DMA32_END_PFN, "GFP_KERNEL: Normal first");
	__free_pages(p, 0);
	for (i = 0; i < 2000; i++) {
		struct page *q = alloc_pages(GFP_DMA32, 3);

		all &= q && page_to_pfn(q) < ZONE_DMA32_END_PFN;
		if (q)
			__free_pages(q, 3);
	}
	ok(all, "GFP_DMA32 never gets Normal");
	p = alloc_pages(GFP_KERNEL | GFP_DMA, 0);
	ok(p && page_to_pfn(p) < ZONE_DMA_END_PFN, "GFP_DMA: DMA only");
	__free_pages(p, 0);

	/* Before the direct map, Normal is only for __GFP_HIGHMEM callers. */
	mm_direct_map_ready = false;
	mm_hooks_set(MM_HOOK_NO_DIRECT_MAP, true);
	mm_mapped_limit_pfn = ZONE_DMA32_END_PFN;
	p = alloc_pages(GFP_KERNEL, 0);
	ok(p && page_to_pfn(p) < ZONE_DMA32_END_PFN, "no direct map: GFP_KERNEL stays below 4 GiB");
	__free_pages(p, 0);
	p = alloc_pages(GFP_KERNEL | __GFP_HIGHMEM, 0);
	ok(p && page_to_pfn(p) >= ZONE_DMA32_END_PFN, "no direct map: __GFP_HIGHMEM gets Normal");
	__free_pages(p, 0);
	p = alloc_pages(GFP_KERNEL | __GFP_HIGHMEM | __GFP_ZERO, 0);
	ok(p && page_to_pfn(p) < ZONE_DMA32_END_PFN, "no direct map: zeroing stays below 4 GiB");
	__free_pages(p, 0);
	mm_mapped_limit_pfn = ~0ul;
	mm_direct_map_ready = true;
	mm_hooks_set(MM_HOOK_NO_DIRECT_MAP, false);

	/* Exhaust DMA32 to its low watermark: GFP_KERNEL falls back to DMA. */
	boot_small();
	for (i = 0; i < 100000; i++) {
		p = alloc_pages(GFP_KERNEL | __GFP_NOWARN, 0);
		if (!p || page_to_pfn(p) < ZONE_DMA_END_PFN)
			break;
	}
	ok(p && page_to_pfn(p) < ZONE_DMA_END_PFN, "DMA32 at its low mark: fell back to DMA");
	is_u64(DMA32->free_pages, (u64)DMA32->wmark_thr[ALLOC_WMARK_LOW][ZONE_DMA32],
	       "DMA32 stopped exactly at its low watermark");
	ok(DMA->free_pages >= DMA->_watermark[WMARK_LOW] + DMA->lowmem_reserve[ZONE_DMA32],
	   "DMA kept its low watermark plus lowmem_reserve");
}

/* Allocates order-0 pages from zone z with gfp until failure; returns how
 * many, storing them in pages[] from *n on. */
static unsigned long drain(gfp_t gfp, struct page **pages, unsigned long *n)
{
	unsigned long got = 0;
	struct page *p;

	while ((p = alloc_pages(gfp | __GFP_NOWARN, 0))) {
		pages[(*n)++] = p;
		got++;
	}
	return got;
}

static void test_watermarks(void)
{
	static struct page *pages[2048];
	unsigned long n = 0, i, min;

	boot_small();
	min = DMA->_watermark[WMARK_MIN];
	ok(min > 8 && DMA->_watermark[WMARK_LOW] > min &&
	       DMA->_watermark[WMARK_HIGH] > DMA->_watermark[WMARK_LOW],
	   "DMA watermarks min %lu < low %lu < high %lu", min, DMA->_watermark[WMARK_LOW],
	   DMA->_watermark[WMARK_HIGH]);
	drain(GFP_NOWAIT | GFP_DMA, pages, &n);
	is_u64(DMA->free_pages, min, "GFP_NOWAIT stops at min: no reserve");
	for (i = 0; i < DMA->_watermark[WMARK_LOW] - min; i++)
		__free_pages(pages[--n], 0);
	drain(GFP_KERNEL | GFP_DMA, pages, &n);
	is_u64(DMA->free_pages, min, "GFP_KERNEL goes below low, stops at min (Linux 6.6)");
	host_log_clear();
	ok(!alloc_pages(GFP_KERNEL | GFP_DMA, 0) && host_log_contains("page allocation failure"),
	   "a GFP_KERNEL failure is reported");
	drain(GFP_KERNEL | __GFP_HIGH | GFP_DMA, pages, &n);
	is_u64(DMA->free_pages, min - min / 2, "__GFP_HIGH (may sleep) stops at min/2");
	drain(GFP_ATOMIC | GFP_DMA, pages, &n);
	is_u64(DMA->free_pages, (min - min / 2) - (min - min / 2) / 4,
	       "GFP_ATOMIC stops at 3/8 of min");
	drain(__GFP_MEMALLOC | GFP_DMA, pages, &n);
	is_u64(DMA->free_pages, 0, "__GFP_MEMALLOC takes the rest");
	is_u64(n, 1024, "every page of the zone was handed out once");
	for (i = 0; i < n; i++)
		__free_pages(pages[i], 0);
	is_u64(DMA->free_area[10].nr_free, 1, "all freed: one order-10 block again");
	is_u64(mm_check_invariants(), 0, "invariants after the watermark walk");
}

static bool bad_free_reported(const char *reason, unsigned long *count)
{
	bool r = host_log_contains(reason) && mm_bad_page_count == *count + 1;

	*count = mm_bad_page_count;
	host_log_clear();
	return r;
}

static void test_bad_frees(void)
{
	unsigned long count, free_before;
	struct page *p, *q;

	boot_small();
	host_log_clear();
	count = mm_bad_page_count;
	free_before = DMA->free_pages;

	p = alloc_pages(GFP_DMA, 0);
	__free_pages(p, 0);
	__free_pages(p, 0); /* merged away: now a tail of a free block */
	ok(bad_free_reported("because: double free", &count), "double free (merged) reported");
	p = alloc_pages(GFP_DMA, 0);
	q = alloc_pages(GFP_DMA, 0);
	__free_pages(q, 0); /* q stays a free order-0 head (its buddy p is allocated) */
	__free_pages(q, 0);
	ok(bad_free_reported("because: double free", &count), "double free (free head) reported");
	__free_pages(p, 0);

	__free_pages(virt_to_page(mem_section), 0);
	ok(bad_free_reported("because: reserved", &count), "free of a reserved page reported");

	free_pages((unsigned long)__va(10 << 20), 0); /* the hole between 8 and 16 MiB */
	ok(bad_free_reported("because: outside managed memory", &count), "free in a hole");
	free_pages((unsigned long)__va(PFN_PHYS(PAGES_PER_SECTION * 4)), 0);
	ok(bad_free_reported("because: outside managed memory", &count), "free beyond RAM");

	p = alloc_pages(GFP_DMA, 1);
	__free_pages(p + 1, 1);
	ok(bad_free_reported("because: misaligned for its order", &count), "misaligned free");
	__free_pages(p, 0);
	ok(bad_free_reported("because: wrong order", &count), "order-1 block freed as order 0");
	__free_pages(p, 1);
	p = alloc_pages(GFP_DMA, 2);
	__free_pages(p + 2, 1);
	ok(bad_free_reported("because: wrong order", &count), "tail of an order-2 block freed");
	__free_pages(p, 3);
	ok(bad_free_reported("because: ", &count), "order-2 block freed as order 3");
	__free_pages(p, MAX_PAGE_ORDER + 1);
	ok(bad_free_reported("because: bad order", &count), "order 11 free reported");
	__free_pages(p, 2);
	is_u64(mm_bad_page_count, count, "the good free is not reported");
	is_u64(DMA->free_pages, free_before, "free count intact after the bad frees");
	is_u64(DMA->free_area[10].nr_free, 1, "lists intact: one order-10 block");
	is_u64(mm_check_invariants(), 0, "invariants after every bad free");
}

static void test_bulk_zero_and_addresses(void)
{
	struct page *arr[100] = { 0 };
	unsigned long got, i, free_before;
	bool distinct = true;
	unsigned long va;
	u8 *b;

	boot_small();
	free_before = nr_free_pages();
	arr[5] = alloc_page(GFP_KERNEL);
	got = alloc_pages_bulk(GFP_KERNEL, 100, arr);
	is_u64(got, 100, "alloc_pages_bulk fills every slot");
	for (i = 1; i < 100; i++)
		distinct &= arr[i] && arr[i] != arr[i - 1] && arr[i]->flags == PG_allocated;
	ok(distinct, "bulk pages are allocated and distinct");
	for (i = 0; i < 100; i++)
		__free_page(arr[i]);
	is_u64(nr_free_pages(), free_before, "bulk pages all freed");

	va = __get_free_page(GFP_KERNEL);
	ok(va && virt_to_page((void *)va)->flags == PG_allocated, "__get_free_page/virt_to_page");
	ok(page_address(virt_to_page((void *)va)) == (void *)va &&
	       page_to_phys(virt_to_page((void *)va)) == __pa(va),
	   "page_address/page_to_phys");
	memset((void *)va, 0x5a, PAGE_SIZE);
	free_page(va);
	va = get_zeroed_page(GFP_KERNEL);
	b = (u8 *)va;
	ok(b && b[0] == 0 && b[PAGE_SIZE - 1] == 0 && !memcmp(b, b + 1, PAGE_SIZE - 1),
	   "get_zeroed_page is zero even after a dirty free");
	free_page(va);
	is_u64(mm_check_invariants(), 0, "invariants");
}

static void test_poison(void)
{
	unsigned long count;
	struct page *p;
	u8 *b;

	boot_small();
	mm_set_debug(true);
	host_log_clear();
	count = mm_bad_page_count;
	p = alloc_pages(GFP_DMA, 0);
	is_u64(mm_bad_page_count, count, "poisoned at boot, intact at allocation");
	b = page_address(p);
	__free_pages(p, 0);
	ok(b[0] == 0xaa && b[PAGE_SIZE - 1] == 0xaa, "a freed page is poisoned");
	b[100] = 1; /* use after free */
	p = alloc_pages(GFP_DMA, 0);
	ok(page_address(p) == b && mm_bad_page_count == count + 1 &&
	       host_log_contains("page poison corrupted"),
	   "use after free caught at allocation");
	__free_pages(p, 0);
	p = alloc_pages(GFP_DMA | __GFP_ZERO, 3);
	is_u64(mm_bad_page_count, count + 1, "__GFP_ZERO verified zero");
	__free_pages(p, 3);
	mm_set_debug(false);
	is_u64(mm_check_invariants(), 0, "invariants");
}

static void test_invariant_checker_catches(void)
{
	struct page *p;

	boot_small();
	p = alloc_pages(GFP_DMA, 0);
	DMA->free_pages += 1; /* corrupt a counter */
	host_log_clear();
	ok(mm_check_invariants() >= 1 && host_log_contains("free_pages says"),
	   "checker: counter mismatch caught");
	DMA->free_pages -= 1;
	pfn_to_page(1025)->order = 3; /* corrupt a free block's order */
	ok(mm_check_invariants() >= 1, "checker: wrong order on a list caught");
	pfn_to_page(1025)->order = 0;
	is_u64(mm_check_invariants(), 0, "checker clean again");
	__free_pages(p, 0);
}

int main(void)
{
	test_layout();
	test_split_and_merge();
	test_every_order();
	test_fallback();
	test_watermarks();
	test_bad_frees();
	test_bulk_zero_and_addresses();
	test_poison();
	test_invariant_checker_catches();
	sim_mem_unmap();
	return done_testing();
}
