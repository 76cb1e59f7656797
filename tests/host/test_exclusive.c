/*
 * test_exclusive.c - __GFP_EXCLUSIVE pages (mm/exclusive.c, mm/page_alloc.c):
 * zeroed even when the previous owner left data, marked with their owner
 * CPU, a free by another CPU reported and refused, an explicit hand-over
 * honoured, a second free reported, hand-overs by a non-owner refused.
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

static void test_zeroed_and_marked(void)
{
	struct page *p, *q;

	p = alloc_page(GFP_KERNEL);
	memset(page_address(p), 0x5a, PAGE_SIZE); /* a previous owner's secrets */
	__free_page(p);
	q = alloc_page(GFP_ATOMIC | __GFP_EXCLUSIVE); /* the seed call */
	ok(q == p, "the hot page comes back (per-CPU list LIFO)");
	ok(all_zero(q, 0), "and it is zeroed: no data of the previous owner leaks");
	ok(page_is_exclusive(q) && q->owner == 0, "PG_exclusive, owner CPU 0");
	__free_page(q);
	ok(!(q->flags & PG_exclusive) && q->flags == PG_pcp, "the owner's free clears the mark");
	host_set_cpu(3);
	q = alloc_pages(GFP_KERNEL | __GFP_EXCLUSIVE, 2);
	ok(q && all_zero(q, 2) && q->owner == 3, "order 2 on CPU 3: zeroed, owner 3");
	__free_pages(q, 2);
	host_set_cpu(0);
}

static void test_foreign_free_and_handover(void)
{
	unsigned long bad0 = mm_bad_page_count, free0;
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
	host_set_cpu(1);
	__free_page(p);
	is_u64(nr_free_pages(), free0 + 1, "CPU 1 may now free it");
	host_log_clear();
	__free_page(p);
	ok(host_log_contains("double free"), "a second free is reported: double free");
	host_set_cpu(0);
	p = alloc_page(GFP_KERNEL);
	host_log_clear();
	ok(exclusive_page_handover(p, 1) == -1 && host_log_contains("not exclusive"),
	   "handing over an ordinary page is refused");
	__free_page(p);
	is_u64(mm_check_invariants(), 0, "invariants");
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
	ok(p->flags == PG_buddy || p->flags == 0, "the owner's free reaches the buddy");
	mm_pcp_set_enabled(true);
}

int main(void)
{
	sim_boot_quiet(sim_boot_info_qemu(128 << 20));
	mm_pcp_set_enabled(true);
	test_zeroed_and_marked();
	test_foreign_free_and_handover();
	test_without_pcp();
	sim_mem_unmap();
	return done_testing();
}
