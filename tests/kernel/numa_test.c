/*
 * numa_test.c - in-kernel KTAP suite of the memory nodes (mm/numa.c): the
 * nodes found are consistent with the sections and zones, alloc_pages_node()
 * gives pages of the node asked for, __GFP_THISNODE never falls back, a
 * memoryless node's allocations come from its nearest node with memory,
 * the zonelists follow the distances, and the own-node counters count.
 * Runs after boot (kernel/ktest.c) and on the host
 * (tests/host/test_mm_ktest.c, tests/host/test_numa.c with made-up nodes).
 * What QEMU was given is compared with what was found by
 * tests/qemu/test_numa.py, from the "numa:" lines.
 */
#include <labyrinth/exclusive.h>
#include <labyrinth/ktest.h>
#include <labyrinth/mm.h>
#include <labyrinth/mmzone.h>
#include <labyrinth/numa.h>
#include <labyrinth/pcp.h>
#include <labyrinth/pool.h>
#include <labyrinth/shrinker.h>
#include <labyrinth/zero_cache.h>

#include "mm/internal.h"

#define NUMA_TEST_BLOCKS 2048

static struct page *blocks[NUMA_TEST_BLOCKS];

static bool node_has_memory(int nid)
{
	return NODE_DATA(nid)->node_present_pages != 0;
}

/* Independent of the zonelists: the nearest node with memory, ties by id. */
static int nearest_mem_node(int nid)
{
	int n, best = -1;

	for_each_node(n)
		if (node_has_memory(n) &&
		    (best < 0 || node_distance(nid, n) < node_distance(nid, best)))
			best = n;
	return node_has_memory(nid) ? nid : best;
}

static void numa_nodes_consistent(struct ktest *t)
{
	const struct numa_config *cfg = numa_config_get();
	unsigned long sec, zone_present;
	struct zone *z;
	int nid;

	ktest_log(t, "%d node(s)", nr_node_ids);
	KEXPECT_EQ(t, nr_node_ids, cfg->nr_nodes ? (int)cfg->nr_nodes : 1);
	for (sec = 0; sec < nr_mem_sections; sec++)
		KEXPECT_TRUE(t, mem_section[sec].nid < (unsigned long)nr_node_ids);
	for_each_node(nid) {
		zone_present = 0;
		for (z = NODE_DATA(nid)->node_zones; z < NODE_DATA(nid)->node_zones + MAX_NR_ZONES;
		     z++) {
			KEXPECT_EQ(t, zone_to_nid(z), nid);
			zone_present += z->present_pages;
			if (populated_zone(z))
				KEXPECT_EQ(t, pfn_to_nid(z->zone_start_pfn), nid);
		}
		KEXPECT_EQ(t, zone_present, NODE_DATA(nid)->node_present_pages);
	}
	for (unsigned int cpu = 0; cpu < NR_CPUS; cpu++)
		KEXPECT_TRUE(t, cpu_to_node(cpu) < nr_node_ids);
}

static void numa_alloc_pages_node_local(struct ktest *t)
{
	static const unsigned int orders[] = { 0, 3 };
	struct page *page;
	int nid;

	for_each_node(nid) {
		if (!node_has_memory(nid))
			continue;
		for (unsigned int i = 0; i < ARRAY_SIZE(orders); i++) {
			page = alloc_pages_node(nid, GFP_KERNEL, orders[i]);
			KEXPECT_TRUE(t, page != NULL);
			if (!page)
				continue;
			KEXPECT_EQ(t, page_to_nid(page), nid);
			__free_pages(page, orders[i]);
		}
	}
	KEXPECT_EQ(t, mm_check_invariants(), 0);
}

/* Takes nid's order-MAX blocks with __GFP_THISNODE until it says no. */
static unsigned int drain_node(struct ktest *t, int nid, bool *exhausted)
{
	const gfp_t gfp = GFP_NOWAIT | __GFP_THISNODE | __GFP_NOWARN;
	unsigned int n;

	*exhausted = false;
	for (n = 0; n < NUMA_TEST_BLOCKS; n++) {
		blocks[n] = alloc_pages_node(nid, gfp, MAX_PAGE_ORDER);
		if (!blocks[n]) {
			*exhausted = true;
			break;
		}
		KEXPECT_EQ(t, page_to_nid(blocks[n]), nid);
	}
	return n;
}

/*
 * Pages nobody uses: free, in the zero cache, in the Labyrinth pool. A node
 * drained to its last block makes the slow path run the shrinkers, and the
 * zero cache's gives its pages to the buddy allocator: nr_free_pages() alone
 * came out 64 pages (the cache) above where it started, in one 5 GiB, 4-CPU
 * boot of two (and on Bochs, 2 CPUs, 5 GiB). Another CPU's idle loop would
 * run the balancer and the exclusive reserves' refills meanwhile: both are
 * paused for the count (as pool_test and reclaim_test do), so nothing
 * refills the cache and this sum is the same before and after.
 */
static unsigned long numa_pages_unused(void)
{
	struct labyrinth_pool_stats pool;
	struct zero_cache_stats zc;

	labyrinth_pool_stats(&pool);
	zero_cache_stats(&zc);
	return nr_free_pages() + zc.level + pool.level;
}

static void numa_thisnode_never_falls_back(struct ktest *t)
{
	unsigned long unused0;
	struct page *other;
	bool exhausted;
	unsigned int n;
	int nid;

	balancer_set_enabled(false); /* no refill of the zero cache or the pool meanwhile */
	exclusive_idle_refill_set_enabled(false);
	drain_all_pages(NULL);
	unused0 = numa_pages_unused();

	for_each_node(nid) {
		n = drain_node(t, nid, &exhausted);
		ktest_log(t, "node %d: %u blocks of order %u with __GFP_THISNODE", nid, n,
			  MAX_PAGE_ORDER);
		if (!node_has_memory(nid))
			KEXPECT_EQ(t, n, 0);
		/* Not THISNODE: the same request now goes to another node. */
		other = exhausted && nr_node_ids > 1
			    ? alloc_pages_node(nid, GFP_NOWAIT | __GFP_NOWARN, MAX_PAGE_ORDER)
			    : NULL;
		if (other) {
			KEXPECT_NE(t, page_to_nid(other), nid);
			__free_pages(other, MAX_PAGE_ORDER);
		}
		while (n--)
			__free_pages(blocks[n], MAX_PAGE_ORDER);
	}
	KEXPECT_EQ(t, numa_pages_unused(), unused0);
	KEXPECT_EQ(t, mm_check_invariants(), 0);
	exclusive_idle_refill_set_enabled(true);
	balancer_set_enabled(true);
}

static void numa_memoryless_node_nearest(struct ktest *t)
{
	unsigned int cpu, tested = 0;
	struct page *page;
	int nid, near;

	for_each_node(nid) {
		if (node_has_memory(nid))
			continue;
		near = nearest_mem_node(nid);
		ktest_log(t, "node %d has no memory; nearest with memory: node %d", nid, near);
		KEXPECT_EQ(t, numa_mem_node(nid), near);
		page = alloc_pages_node(nid, GFP_KERNEL, 0);
		KEXPECT_TRUE(t, page != NULL);
		if (page) {
			KEXPECT_EQ(t, page_to_nid(page), near);
			__free_page(page);
		}
		for (cpu = 0; cpu < NR_CPUS; cpu++) /* its CPUs' first per-CPU list */
			if (cpu_to_node(cpu) == nid)
				KEXPECT_EQ(t, zone_to_nid(pcp_first_zone[cpu][ZONE_NORMAL]), near);
		tested++;
	}
	if (!tested)
		ktest_skip(t, "no memoryless node");
}

static void numa_zonelists_by_distance(struct ktest *t)
{
	struct zone *const *zl;
	int nid, d, prev_d;

	for_each_node(nid) {
		zl = NODE_DATA(nid)->zonelists[ZONELIST_FALLBACK][ZONE_NORMAL];
		if (node_has_memory(nid))
			KEXPECT_EQ(t, zone_to_nid(zl[0]), nid);
		for (prev_d = 0; *zl; zl++, prev_d = d) { /* never nearer than the one before */
			d = node_distance(nid, zone_to_nid(*zl));
			KEXPECT_TRUE(t, d >= prev_d);
		}
		for (zl = NODE_DATA(nid)->zonelists[ZONELIST_NOFALLBACK][ZONE_NORMAL]; *zl; zl++)
			KEXPECT_EQ(t, zone_to_nid(*zl), nid);
	}
}

static void numa_own_node_counters(struct ktest *t)
{
	struct numa_alloc_stats before, after;
	unsigned int cpu = arch_cpu_id(), i, n = 0;

	numa_alloc_stats_read(cpu, &before);
	for (i = 0; i < 16; i++)
		n += (blocks[i] = alloc_page(GFP_KERNEL)) != NULL;
	numa_alloc_stats_read(cpu, &after);
	for (i = 0; i < 16; i++)
		if (blocks[i])
			__free_page(blocks[i]);
	ktest_log(t, "CPU %u (node %d): %lu from its own node, %lu from others", cpu,
		  cpu_to_node(cpu), after.local_node, after.other_node);
	/* >=: an interrupt handler on this CPU may allocate meanwhile */
	KEXPECT_EQ(t, n, 16);
	KEXPECT_TRUE(t, after.local_node + after.other_node >=
			    before.local_node + before.other_node + n);
	if (node_has_memory(cpu_to_node(cpu)))
		KEXPECT_TRUE(t, after.local_node >= before.local_node + n);
}

KTEST_SUITE(numa, KTEST_ORDER_NUMA, KTEST_CASE(numa_nodes_consistent),
	    KTEST_CASE(numa_alloc_pages_node_local), KTEST_CASE(numa_thisnode_never_falls_back),
	    KTEST_CASE(numa_memoryless_node_nearest), KTEST_CASE(numa_zonelists_by_distance),
	    KTEST_CASE(numa_own_node_counters));
