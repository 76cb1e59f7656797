/*
 * test_numa.c - host tests of the memory nodes (mm/numa.c, mm/zone.c):
 * the fallback order for 3-node distance matrices (symmetric, asymmetric,
 * ties); then whole boots over simulated memory with made-up node configs
 * (what acpi/srat.c would produce from SRAT/SLIT): the zonelists
 * built from them, page_to_nid() and page_zone(), a memoryless node, a
 * node boundary inside a section, a bad config, and every in-kernel mm
 * suite (tests/kernel/numa_test.c included) on each layout.
 */
#include <string.h>

#include <labyrinth/mm.h>
#include <labyrinth/mmzone.h>
#include <labyrinth/numa.h>
#include <labyrinth/pcp.h>
#include "mm/internal.h"
#include "host.h"
#include "lib/host_ktest.h"
#include "lib/sim_mem.h"

#define MiB (1ull << 20)
#define GiB (1ull << 30)

static bool order_is(int nid, const u8 d[MAX_NUMNODES][MAX_NUMNODES], const char *want)
{
	u8 order[MAX_NUMNODES];
	char got[MAX_NUMNODES + 1];
	int n = (int)strlen(want);

	numa_fallback_order(nid, n, d, order);
	for (int i = 0; i < n; i++)
		got[i] = (char)('0' + order[i]);
	got[n] = '\0';
	if (strcmp(got, want))
		printf("#   node %d: order %s, want %s\n", nid, got, want);
	return !strcmp(got, want);
}

static void test_fallback_order(void)
{
	static const u8 sym[MAX_NUMNODES][MAX_NUMNODES] = { { 10, 30, 20 },
							    { 30, 10, 40 },
							    { 20, 40, 10 } };
	static const u8 asym[MAX_NUMNODES][MAX_NUMNODES] = { { 10, 30, 20 },
							     { 25, 10, 40 },
							     { 35, 15, 10 } };
	static const u8 ties[MAX_NUMNODES][MAX_NUMNODES] = { { 10, 20, 20 },
							     { 20, 10, 20 },
							     { 20, 20, 10 } };

	ok(order_is(0, sym, "021") && order_is(1, sym, "102") && order_is(2, sym, "201"),
	   "3 nodes, symmetric: nearest first");
	ok(order_is(0, asym, "021") && order_is(1, asym, "102") && order_is(2, asym, "210"),
	   "3 nodes, asymmetric: each node uses its own row");
	ok(order_is(0, ties, "012") && order_is(1, ties, "102") && order_is(2, ties, "201"),
	   "equal distances: lower node id first");
}

static struct numa_config cfg;

static void add_mem(u64 start, u64 end, int nid)
{
	cfg.memblks[cfg.nr_memblks++] =
	    (struct numa_memblk){ .start = start, .end = end, .nid = (u8)nid };
}

static void add_cpu(u32 apic_id, int nid)
{
	cfg.cpus[cfg.nr_cpus++] = (struct numa_cpu){ .apic_id = apic_id, .nid = (u8)nid };
}

/* "node:zone" of each entry of a zonelist, e.g. "1N 1D 0N 0D" (D32 = '3'). */
static bool zonelist_is(int nid, int list, int hi, const char *want)
{
	static const char zc[MAX_NR_ZONES] = { 'D', '3', 'N' };
	struct zone *const *zl = NODE_DATA(nid)->zonelists[list][hi];
	char got[3 * MAX_ZONES_PER_ZONELIST + 1] = "";
	size_t n = 0;

	for (; *zl; zl++)
		n += (size_t)snprintf(got + n, sizeof(got) - n, "%s%d%c", n ? " " : "",
				      zone_to_nid(*zl),
				      zc[*zl - NODE_DATA(zone_to_nid(*zl))->node_zones]);
	if (strcmp(got, want))
		printf("#   node %d list %d hi %d: '%s', want '%s'\n", nid, list, hi, got, want);
	return !strcmp(got, want);
}

static void boot_with(u64 ram)
{
	numa_config_set(&cfg);
	sim_boot_quiet(sim_boot_info_qemu(ram));
	for (unsigned int cpu = 0; cpu < NR_CPUS; cpu++)
		numa_add_cpu(cpu, cpu); /* APIC id = CPU number */
}

static unsigned int run_suites(const char *what)
{
	unsigned int failed;

	printf("# mm suites, %s\n", what);
	host_log_quiet = true;
	failed = host_ktest_run_all();
	host_log_quiet = false;
	return failed;
}

/*
 * 3 nodes over a 1.5 GiB QEMU map, asymmetric distances, plus a memoryless
 * node 3 whose CPU (APIC id 3) is nearest to node 2.
 */
static void test_three_nodes_and_memoryless(void)
{
	static const u8 d[4][4] = {
		{ 10, 20, 30, 40 }, { 25, 10, 15, 40 }, { 30, 15, 10, 12 }, { 40, 30, 12, 10 }
	};
	struct page *page;

	memset(&cfg, 0, sizeof(cfg));
	cfg.nr_nodes = 4;
	cfg.have_slit = true;
	for (int a = 0; a < 4; a++)
		memcpy(cfg.distance[a], d[a], 4);
	add_mem(0, 512 * MiB, 0);
	add_mem(512 * MiB, 1280 * MiB, 1);
	add_mem(1280 * MiB, 2 * GiB, 2);
	for (int c = 0; c < 4; c++)
		add_cpu((u32)c, c);
	boot_with(1536 * MiB);
	ok(NODE_DATA(0)->node_present_pages && NODE_DATA(1)->node_present_pages &&
	       NODE_DATA(2)->node_present_pages && !NODE_DATA(3)->node_present_pages,
	   "nodes 0-2 have memory, node 3 none");
	is_u64(NODE_DATA(1)->node_present_pages, 768 * MiB / PAGE_SIZE, "node 1: 768 MiB");
	ok(zonelist_is(0, ZONELIST_FALLBACK, ZONE_NORMAL, "03 0D 13 23"),
	   "node 0: own zones high to low, then node 1 (20) before node 2 (30)");
	ok(zonelist_is(1, ZONELIST_FALLBACK, ZONE_NORMAL, "13 23 03 0D"),
	   "node 1: node 2 (15) before node 0 (25)");
	ok(zonelist_is(3, ZONELIST_FALLBACK, ZONE_NORMAL, "23 13 03 0D"),
	   "memoryless node 3: node 2 (12), node 1 (30), node 0 (40)");
	ok(zonelist_is(0, ZONELIST_FALLBACK, ZONE_DMA, "0D"), "DMA request: only a DMA zone");
	ok(zonelist_is(1, ZONELIST_NOFALLBACK, ZONE_NORMAL, "13") &&
	       zonelist_is(3, ZONELIST_NOFALLBACK, ZONE_NORMAL, ""),
	   "__GFP_THISNODE lists: own zones only, none for node 3");
	is_u64(numa_mem_node(3), 2, "node 3 allocates from node 2");
	ok(cpu_to_node(3) == 3 && zone_to_nid(pcp_first_zone[3][ZONE_NORMAL]) == 2,
	   "CPU 3 is on node 3, its first per-CPU list on node 2");
	page = alloc_pages_node(1, GFP_KERNEL, 0);
	ok(page && page_to_nid(page) == 1 &&
	       page_zone(page) == &NODE_DATA(1)->node_zones[ZONE_DMA32],
	   "alloc_pages_node(1): node 1's DMA32 zone");
	__free_page(page);
	ok(alloc_pages_node(3, GFP_KERNEL | __GFP_THISNODE | __GFP_NOWARN, 0) == NULL,
	   "memoryless node with __GFP_THISNODE: NULL");
	host_set_cpu(3);
	page = alloc_page(GFP_KERNEL);
	ok(page && page_to_nid(page) == 2, "CPU 3 (memoryless node) gets a page of node 2");
	__free_page(page);
	host_set_cpu(0);
	is_u64(run_suites("4 nodes, node 3 memoryless"), 0, "every mm suite passes");
}

/* 6 GiB: node 1 is all above 4 GiB, so the Normal zone is node 1's alone. */
static void test_normal_zone_on_node1(void)
{
	struct page *page;
	struct numa_alloc_stats st;

	memset(&cfg, 0, sizeof(cfg));
	cfg.nr_nodes = 2;
	numa_default_distances(cfg.distance);
	add_mem(0, 4 * GiB, 0);
	add_mem(4 * GiB, 8 * GiB, 1);
	add_cpu(0, 0);
	add_cpu(1, 1);
	boot_with(6 * GiB);
	ok(!populated_zone(&NODE_DATA(0)->node_zones[ZONE_NORMAL]) &&
	       populated_zone(&NODE_DATA(1)->node_zones[ZONE_NORMAL]) &&
	       !NODE_DATA(1)->node_zones[ZONE_DMA32].spanned_pages,
	   "Normal only on node 1, DMA and DMA32 only on node 0");
	ok(zonelist_is(1, ZONELIST_FALLBACK, ZONE_NORMAL, "1N 03 0D"),
	   "node 1: Normal, then node 0's DMA32 and DMA");
	ok(zonelist_is(1, ZONELIST_FALLBACK, ZONE_DMA32, "03 0D"),
	   "node 1, GFP_DMA32: node 0's zones");
	mm_alloc_stats_reset();
	host_set_cpu(1);
	page = alloc_page(GFP_KERNEL);
	ok(page && page_to_nid(page) == 1 && page->pfn >= ZONE_DMA32_END_PFN,
	   "CPU 1 gets a page above 4 GiB");
	__free_page(page);
	page = alloc_page(GFP_DMA32);
	ok(page && page_to_nid(page) == 0, "CPU 1, GFP_DMA32: from node 0");
	__free_page(page);
	numa_alloc_stats_read(1, &st);
	ok(st.local_node == 1 && st.other_node == 1, "CPU 1: 1 own-node, 1 other-node allocation");
	host_set_cpu(0);
	is_u64(run_suites("2 nodes, 6 GiB"), 0, "every mm suite passes");
}

static void test_odd_configs(void)
{
	memset(&cfg, 0, sizeof(cfg));
	cfg.nr_nodes = 2;
	numa_default_distances(cfg.distance);
	add_mem(0, 64 * MiB, 0); /* boundary inside section 0 */
	add_mem(64 * MiB, 256 * MiB, 1);
	host_log_clear();
	numa_config_set(&cfg);
	sim_boot_quiet(sim_boot_info_qemu(256 * MiB));
	ok(host_log_contains("spans a node boundary: all on node 0") &&
	       NODE_DATA(1)->node_present_pages == 128 * MiB / PAGE_SIZE - 32,
	   "boundary inside a section: reported, the section on node 0");

	cfg.memblks[1].nid = 5; /* a node that does not exist */
	host_log_clear();
	numa_config_set(&cfg);
	ok(nr_node_ids == 1 && host_log_contains("bad configuration"),
	   "inconsistent config: reported, one node");
	numa_config_set(NULL);
	sim_boot_quiet(sim_boot_info_qemu(128 * MiB));
	is_u64(run_suites("no NUMA"), 0, "every mm suite passes with one node");
}

int main(void)
{
	test_fallback_order();
	test_three_nodes_and_memoryless();
	test_normal_zone_on_node1();
	test_odd_configs();
	sim_mem_unmap();
	return done_testing();
}
