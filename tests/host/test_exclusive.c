/*
 * test_exclusive.c - the bookkeeping of __GFP_EXCLUSIVE pages
 * (mm/exclusive.c, mm/page_alloc.c) on the host, which has no PKS: zeroed
 * even when the previous owner left data, marked with their owner CPU,
 * put on the freeing CPU's dirty list unscrubbed and scrubbed from there by
 * the scrubber into the clean reserve, or inline by an allocation that
 * finds no clean page; a free over the reserve's target parked dirty all
 * the same and given back to the allocator by the scrubber, scrubbed (the
 * issue's 0x42 reproducer), or scrubbed at once when the dirty list is
 * full (EXCLUSIVE_DIRTY_MAX); a free by another CPU reported
 * and refused, an explicit hand-over honoured (and the old owner's free
 * then refused), a second free reported, hand-overs by a non-owner or to
 * no such CPU refused, the reserve bounded. The isolation itself is the
 * kernel's tests/kernel/exclusive_isolation_test.c.
 */
#include <string.h>

#include <labyrinth/exclusive.h>
#include <labyrinth/memmap.h>
#include <labyrinth/mm.h>
#include <labyrinth/mmzone.h>
#include <labyrinth/pcp.h>
#include "host.h"
#include "lib/sim_mem.h"

static bool all_zero(const struct page *p, unsigned int order)
{
	const u8 *b = page_address(p);
	size_t i;

	for (i = 0; i < (PAGE_SIZE << order); i++)
		if (b[i])
			return false;
	return true;
}

static bool has_byte(const struct page *p, u8 v)
{
	const u8 *b = page_address(p);

	for (size_t i = 0; i < PAGE_SIZE; i++)
		if (b[i] == v)
			return true;
	return false;
}

static unsigned int reserve_of(unsigned int cpu)
{
	struct exclusive_stats st;

	exclusive_get_stats(&st);
	return st.reserve[cpu];
}

static unsigned int dirty_of(unsigned int cpu)
{
	struct exclusive_stats st;

	exclusive_get_stats(&st);
	return st.dirty[cpu];
}

static void test_zeroed_and_marked(void)
{
	struct page *p, *q;

	ok(!exclusive_isolated(), "no PKS on the host: not isolated");
	p = alloc_page(GFP_KERNEL);
	memset(page_address(p), 0x5a, PAGE_SIZE); /* a previous owner's secrets */
	__free_page(p);
	q = alloc_page(GFP_ATOMIC | __GFP_EXCLUSIVE); /* the seed call, reserve empty */
	ok(q == p, "the hot page comes back (per-CPU list LIFO)");
	ok(all_zero(q, 0), "and it is zeroed: no data of the previous owner leaks");
	ok(page_is_exclusive(q) && q->owner == 0, "PG_exclusive, owner CPU 0");
	memset(page_address(q), 0x42, PAGE_SIZE);
	__free_page(q);
	ok(q->flags == PG_exclusive && q->owner == 0 && dirty_of(0) == 1 && reserve_of(0) == 0,
	   "the owner's free puts it on CPU 0's dirty list (PG_exclusive alone)");
	ok(has_byte(q, 0x42), "not scrubbed on the caller's path (no PKS here to hide it)");
	ok(exclusive_scrub_dirty() == 1 && dirty_of(0) == 0 && reserve_of(0) == 1,
	   "the scrubber moves it to the clean reserve");
	ok(all_zero(q, 0), "scrubbed on the way");
	p = alloc_page(GFP_ATOMIC | __GFP_EXCLUSIVE);
	ok(p == q && reserve_of(0) == 0 && page_is_exclusive(p),
	   "the next seed call takes it back");
	__free_page(p);
	host_set_cpu(3);
	q = alloc_pages(GFP_KERNEL | __GFP_EXCLUSIVE, 2);
	ok(q && all_zero(q, 2) && q->owner == 3, "order 2 on CPU 3: zeroed, owner 3");
	memset(page_address(q), 0x42, PAGE_SIZE << 2);
	__free_pages(q, 2);
	ok(!(q->flags & PG_exclusive) && all_zero(q, 2) && reserve_of(3) == 0,
	   "order 2 is scrubbed and goes back to the allocator (the reserve is order 0)");
	host_set_cpu(0);
}

/*
 * The reproducer: 0x42 in an exclusive page, freed, GFP_KERNEL
 * again. The reserve is at its target, so the free parks the page dirty
 * above it (no scrub on the caller's path) and the scrubber zeroes it and
 * gives it back to the allocator.
 */
static void test_scrub_before_general_reuse(void)
{
	struct page *p = alloc_page(GFP_ATOMIC | __GFP_EXCLUSIVE), *q;
	struct exclusive_stats st0, st1;
	unsigned int got;

	memset(page_address(p), 0x42, PAGE_SIZE);
	got = exclusive_reserve_fill();
	ok(got > 0 && reserve_of(0) == EXCLUSIVE_RESERVE_PAGES, "CPU 0's reserve topped up (%u)",
	   got);
	exclusive_get_stats(&st0);
	__free_page(p);
	exclusive_get_stats(&st1);
	ok(p->flags == PG_exclusive && dirty_of(0) == 1 && st1.free_scrubs == st0.free_scrubs,
	   "reserve at its target: the free parks it dirty above it, not scrubbed on the free");
	ok(exclusive_scrub_dirty() == 1 && reserve_of(0) == EXCLUSIVE_RESERVE_PAGES &&
	       dirty_of(0) == 0,
	   "the scrubber takes it, the clean reserve stays at its target");
	exclusive_get_stats(&st0);
	ok(!(p->flags & PG_exclusive) && st0.bg_returns == st1.bg_returns + 1,
	   "above the target: given back to the allocator by the scrubber (counted)");
	q = alloc_page(GFP_KERNEL);
	ok(q == p, "plain GFP_KERNEL gets the very page back");
	ok(!has_byte(q, 0x42), "without the previous owner's 0x42");
	__free_page(q);
}

static void test_foreign_free_and_handover(void)
{
	unsigned long bad0 = mm_bad_page_count, free0;
	unsigned int r1 = reserve_of(1), d1 = dirty_of(1);
	struct page *p;

	p = alloc_page(GFP_ATOMIC | __GFP_EXCLUSIVE);
	free0 = nr_free_pages();
	host_set_cpu(1);
	host_log_clear();
	__free_page(p);
	ok(mm_bad_page_count == bad0 + 1 &&
	       host_log_contains("exclusive page freed by another CPU (no hand-over)"),
	   "a free on CPU 1 without a hand-over is reported with its reason");
	ok(page_is_exclusive(p) && p->owner == 0 && nr_free_pages() == free0,
	   "and the page is left intact, still allocated and owned by CPU 0");
	host_log_clear();
	ok(exclusive_page_handover(p, 2) == -1 && host_log_contains("does not own"),
	   "CPU 1 cannot hand over a page it does not own");
	host_set_cpu(0);
	ok(exclusive_page_handover(p, 1) == 0 && p->owner == 1, "the owner hands it to CPU 1");
	host_log_clear();
	__free_page(p);
	ok(host_log_contains("freed by another CPU") && page_is_exclusive(p),
	   "after the hand-over the old owner's free is refused");
	host_set_cpu(1);
	__free_page(p);
	ok(dirty_of(1) == d1 + 1 && reserve_of(1) == r1 && p->flags == PG_exclusive &&
	       p->owner == 1,
	   "CPU 1 may now free it: onto CPU 1's dirty list");
	host_log_clear();
	__free_page(p);
	ok(host_log_contains("double free (already in an exclusive reserve)") &&
	       dirty_of(1) == d1 + 1,
	   "a second free is reported: double free, the reserve unchanged");
	host_set_cpu(0);
	p = alloc_page(GFP_KERNEL);
	host_log_clear();
	ok(exclusive_page_handover(p, 1) == -1 && host_log_contains("not exclusive"),
	   "handing over an ordinary page is refused");
	ok(exclusive_page_handover(NULL, 1) == -1, "and a NULL page");
	__free_page(p);
	p = alloc_page(GFP_ATOMIC | __GFP_EXCLUSIVE);
	host_log_clear();
	ok(exclusive_page_handover(p, NR_CPUS) == -1 && host_log_contains("no such CPU"),
	   "a hand-over to CPU %u (no such CPU) is refused", NR_CPUS);
	__free_page(p);
	is_u64(mm_check_invariants(), 0, "invariants");
}

/*
 * The reserve's target is EXCLUSIVE_RESERVE_PAGES, clean and dirty
 * together; frees above it are parked dirty up to EXCLUSIVE_DIRTY_MAX, and
 * frees beyond that are scrubbed at once and go to the allocator. The
 * scrubber refills the clean reserve to its target and gives the rest back.
 */
static void test_reserve_bounded(void)
{
	struct page *pg[EXCLUSIVE_DIRTY_MAX + 4];
	unsigned int i, n = EXCLUSIVE_DIRTY_MAX + 4, kept = 0, leaked = 0;
	struct exclusive_stats st0, st1;

	host_set_cpu(2);
	for (i = 0; i < n; i++) {
		pg[i] = alloc_page(GFP_ATOMIC | __GFP_EXCLUSIVE);
		memset(page_address(pg[i]), 0x42, PAGE_SIZE);
	}
	for (i = 0; i < n; i++) {
		__free_page(pg[i]);
		kept += pg[i]->flags == PG_exclusive;
		leaked += pg[i]->flags != PG_exclusive && has_byte(pg[i], 0x42);
	}
	ok(kept == EXCLUSIVE_DIRTY_MAX && dirty_of(2) == EXCLUSIVE_DIRTY_MAX,
	   "%u frees: %u kept on CPU 2's dirty list (%u above the target), the rest to the "
	   "allocator",
	   n, kept, EXCLUSIVE_DIRTY_MAX - EXCLUSIVE_RESERVE_PAGES);
	ok(leaked == 0,
	   "the frees with the dirty list full were scrubbed before they left (%u not)", leaked);
	host_set_cpu(0);
	is_u64(mm_check_invariants(), 0, "invariants with pages on dirty lists");
	host_set_cpu(2);
	exclusive_get_stats(&st0);
	ok(exclusive_scrub_dirty() == EXCLUSIVE_DIRTY_MAX &&
	       reserve_of(2) == EXCLUSIVE_RESERVE_PAGES && dirty_of(2) == 0,
	   "the scrubber takes all %u: the clean reserve at its target (%u)", EXCLUSIVE_DIRTY_MAX,
	   reserve_of(2));
	exclusive_get_stats(&st1);
	is_u64(st1.bg_returns - st0.bg_returns, EXCLUSIVE_DIRTY_MAX - EXCLUSIVE_RESERVE_PAGES,
	       "the pages above the target went back to the allocator");
	for (i = 0, leaked = 0, kept = 0; i < EXCLUSIVE_DIRTY_MAX; i++) {
		leaked += !all_zero(pg[i], 0);
		kept += pg[i]->flags == PG_exclusive;
	}
	ok(leaked == 0 && kept == EXCLUSIVE_RESERVE_PAGES,
	   "every one zeroed (%u not), %u of them in the clean reserve", leaked, kept);
	host_set_cpu(0);
	is_u64(mm_check_invariants(), 0, "invariants with pages in reserves");
}

/*
 * No clean page (and no sealed pool part: no PKS on the host): the seed
 * call scrubs one of this CPU's dirty pages itself, counted.
 */
static void test_inline_scrub(void)
{
	struct exclusive_stats st0, st1;
	struct page *p, *q;

	host_set_cpu(4);
	p = alloc_page(GFP_ATOMIC | __GFP_EXCLUSIVE);
	memset(page_address(p), 0x42, PAGE_SIZE);
	__free_page(p);
	ok(reserve_of(4) == 0 && dirty_of(4) == 1, "CPU 4: no clean page, one dirty");
	exclusive_get_stats(&st0);
	q = alloc_page(GFP_ATOMIC | __GFP_EXCLUSIVE);
	exclusive_get_stats(&st1);
	ok(q == p && dirty_of(4) == 0 && st1.inline_scrubs == st0.inline_scrubs + 1,
	   "the seed call takes the dirty page, one inline scrub counted");
	ok(q && all_zero(q, 0) && page_is_exclusive(q) && q->owner == 4,
	   "zeroed, exclusive, owner CPU 4");
	__free_page(q);
	host_set_cpu(0);
}

static void test_without_pcp(void)
{
	struct page *p;

	mm_pcp_set_enabled(false);
	p = alloc_page(GFP_ATOMIC | __GFP_EXCLUSIVE);
	ok(p && page_is_exclusive(p) && all_zero(p, 0), "without per-CPU lists: the same");
	host_set_cpu(5);
	__free_page(p);
	ok(page_is_exclusive(p), "foreign free refused on the buddy path too");
	host_set_cpu(0);
	__free_page(p);
	ok(!page_is_exclusive(p), "the owner's free is accepted");
	mm_pcp_set_enabled(true);
}

int main(void)
{
	sim_boot_quiet(sim_boot_info_qemu(128 << 20));
	mm_pcp_set_enabled(true);
	test_zeroed_and_marked();
	test_scrub_before_general_reuse();
	test_foreign_free_and_handover();
	test_reserve_bounded();
	test_inline_scrub();
	test_without_pcp();
	sim_mem_unmap();
	return done_testing();
}
