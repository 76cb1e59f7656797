/*
 * pcp_test.c - in-kernel KTAP suite of the per-CPU page lists (mm/pcp.c),
 * run by kernel/ktest.c after boot and on the host by
 * tests/host/test_mm_ktest.c. It turns the lists on for its cases and
 * restores the switch afterwards, so the other suites see what kmain set.
 * (Host-only cases with several "CPUs" are in tests/host/test_pcp.c.)
 */
#include <labyrinth/ktest.h>
#include <labyrinth/mm.h>
#include <labyrinth/mmzone.h>
#include <labyrinth/pcp.h>
#include <labyrinth/smp.h>

#define PCP_TEST_PAGES 300

static struct page *pages[PCP_TEST_PAGES];

static void pcp_refill_drain_conservation(struct ktest *t)
{
	bool was = mm_pcp_enabled();
	unsigned long free0;
	struct zone *z;
	int i, n = 0;

	mm_pcp_set_enabled(true);
	free0 = nr_free_pages();
	for (i = 0; i < PCP_TEST_PAGES; i++)
		n += (pages[i] = alloc_page(GFP_KERNEL)) != NULL;
	KEXPECT_EQ(t, n, PCP_TEST_PAGES);
	KEXPECT_EQ(t, nr_free_pages(), free0 - PCP_TEST_PAGES);
	for (i = 0; i < PCP_TEST_PAGES; i++)
		if (pages[i])
			__free_page(pages[i]);
	KEXPECT_EQ(t, nr_free_pages(), free0);
	KEXPECT_EQ(t, mm_check_invariants(), 0);
	for_each_zone(z) {
		const struct per_cpu_pages *pcp = z->pcp[arch_cpu_id()];

		if (!populated_zone(z))
			continue;
		KEXPECT_TRUE(t, pcp->count <= pcp->high);
		KEXPECT_TRUE(t, pcp->batch && pcp->high >= pcp->batch);
	}
	drain_local_pages(NULL);
	for_each_zone(z)
		if (populated_zone(z))
			KEXPECT_EQ(t, z->pcp[arch_cpu_id()]->count, 0);
	KEXPECT_EQ(t, nr_free_pages(), free0);
	mm_pcp_set_enabled(was);
}

static void pcp_hot_page_reused(struct ktest *t)
{
	bool was = mm_pcp_enabled();
	struct page *a, *b;

	mm_pcp_set_enabled(true);
	a = alloc_page(GFP_ATOMIC);
	KEXPECT_TRUE(t, a != NULL);
	if (a) {
		__free_page(a);
		b = alloc_page(GFP_ATOMIC);
		KEXPECT_TRUE(t, a == b);
		__free_page(b);
	}
	mm_pcp_set_enabled(was);
}

static void pcp_bulk(struct ktest *t)
{
	bool was = mm_pcp_enabled();
	unsigned long free0, got;
	int i;

	mm_pcp_set_enabled(true);
	free0 = nr_free_pages();
	for (i = 0; i < 64; i++)
		pages[i] = NULL;
	got = alloc_pages_bulk(GFP_KERNEL, 64, pages);
	KEXPECT_EQ(t, got, 64);
	for (i = 0; i < 64; i++)
		if (pages[i])
			__free_page(pages[i]);
	KEXPECT_EQ(t, nr_free_pages(), free0);
	KEXPECT_EQ(t, mm_check_invariants(), 0);
	mm_pcp_set_enabled(was);
}

/*
 * The list sets mm_init() allocated (mm/pcp.c:pcp_alloc_sets()): one per
 * CPU below pcp_nr_cpus in each zone with memory, none elsewhere, each of
 * its zone; every online CPU found its own (APs come up after mm_init()).
 */
static void pcp_sets_where_needed(struct ktest *t)
{
	unsigned int cpu, with = 0, without = 0;
	struct zone *z;

	ktest_log(t, "list sets for %u CPU(s), %u online", pcp_nr_cpus, num_online_cpus());
	KEXPECT_TRUE(t, pcp_nr_cpus >= 1 && pcp_nr_cpus <= NR_CPUS);
	for_each_zone(z)
		for (cpu = 0; cpu < NR_CPUS; cpu++) {
			bool want = z->present_pages && cpu < pcp_nr_cpus;

			KEXPECT_TRUE(t, !z->pcp[cpu] == !want);
			KEXPECT_TRUE(t, !z->pcp[cpu] || z->pcp[cpu]->zone == z);
			if (cpu_online(cpu) && z->present_pages)
				KEXPECT_TRUE(t, z->pcp[cpu] != NULL);
			z->pcp[cpu] ? with++ : without++;
		}
	ktest_log(t, "%u sets, %u NULL (empty zones, CPUs beyond)", with, without);
	KEXPECT_TRUE(t, with > 0);
}

KTEST_SUITE(pcp, KTEST_ORDER_PCP, KTEST_CASE(pcp_refill_drain_conservation),
	    KTEST_CASE(pcp_hot_page_reused), KTEST_CASE(pcp_bulk),
	    KTEST_CASE(pcp_sets_where_needed));
