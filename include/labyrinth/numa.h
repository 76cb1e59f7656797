/*
 * numa.h - memory nodes: which RAM and which CPUs belong to which node, how
 * far nodes are from each other, and the per-CPU count of allocations served
 * from the CPU's own node.
 *
 * Who does what:
 *   acpi/srat.c         SRAT and SLIT -> struct numa_config (checked; a bad
 *                       table is reported and the machine stays one node)
 *   mm/numa.c           the config -> nid of every section, node spans,
 *                       cpu_to_node(), zonelists ordered by distance, stats
 *   mm/zone.c           each node's zones (struct pglist_data, mmzone.h)
 *   mm/page_alloc.c     alloc_pages() starts at this CPU's node;
 *                       alloc_pages_node() at a given one (gfp.h)
 *   tests/kernel/numa_test.c      the in-kernel KTAP suite
 *
 * Granularity: a node owns whole 128 MiB sections (mm.h). The nid lives in
 * the section table, so page_to_nid() is one load, and no buddy block
 * (at most 4 MiB) can straddle two nodes. A node boundary inside a section
 * is reported and the section goes to the node of its first RAM page.
 */
#ifndef LABYRINTH_NUMA_H
#define LABYRINTH_NUMA_H

#include <labyrinth/arch.h>
#include <labyrinth/types.h>

#define MAX_NUMNODES 8
#define NUMA_NO_NODE (-1)
#define LOCAL_DISTANCE 10  /* SLIT: a node to itself */
#define REMOTE_DISTANCE 20 /* what a node is to another without a SLIT */
#define NUMA_MAX_MEMBLKS 32
#define NUMA_MAX_CPUS 64

/* A range of physical memory on one node. */
struct numa_memblk {
	u64 start, end; /* [start, end) */
	u8 nid;
	bool hotplug; /* SRAT says hot-pluggable (used like any other range) */
};

struct numa_cpu {
	u32 apic_id; /* local APIC or x2APIC id */
	u8 nid;
};

/*
 * What the firmware said (acpi/srat.c) or a host test made up.
 * nr_nodes == 0: no usable NUMA information, one node with everything.
 * Node ids are dense, 0 .. nr_nodes-1; pxm[nid] is the firmware's
 * proximity domain of each (nids are the domains in ascending order).
 */
struct numa_config {
	unsigned int nr_nodes;
	u32 pxm[MAX_NUMNODES];
	unsigned int nr_memblks;
	struct numa_memblk memblks[NUMA_MAX_MEMBLKS];
	unsigned int nr_cpus;
	struct numa_cpu cpus[NUMA_MAX_CPUS];
	bool have_slit; /* else distance[][] is 10 on the diagonal, 20 elsewhere */
	u8 distance[MAX_NUMNODES][MAX_NUMNODES]; /* [from][to] */
};

/* ---- state (mm/numa.c) ---- */

extern int nr_node_ids; /* nodes 0 .. nr_node_ids-1 exist (1 without SRAT) */
extern u8 numa_cpu_node[NR_CPUS];
extern u8 numa_distance[MAX_NUMNODES][MAX_NUMNODES];

#define for_each_node(nid) for ((nid) = 0; (nid) < nr_node_ids; (nid)++)

static inline int cpu_to_node(unsigned int cpu)
{
	return cpu < NR_CPUS ? numa_cpu_node[cpu] : 0;
}

/* The node of the running CPU. */
static __always_inline int numa_node_id(void)
{
	return numa_cpu_node[arch_cpu_id()];
}

/* SLIT distance from a to b (Linux's node_distance: row a, column b). */
static inline int node_distance(int a, int b)
{
	return numa_distance[a][b];
}

/*
 * Installs a configuration for the next mm_init() (NULL: one node). Must run
 * before mm_init(): kmain passes what acpi_numa_init() (acpi/boot.c) found,
 * host tests their own. An inconsistent config is reported and replaced by one node.
 */
void numa_config_set(const struct numa_config *cfg);
const struct numa_config *numa_config_get(void);

/*
 * Fills distance[][] with the defaults: 10 on the diagonal, 20 elsewhere.
 * Inline, because the SRAT parser (acpi/srat.c) fills its result with it
 * and acpi/ calls nothing in mm/.
 */
static inline void numa_default_distances(u8 distance[MAX_NUMNODES][MAX_NUMNODES])
{
	for (int a = 0; a < MAX_NUMNODES; a++)
		for (int b = 0; b < MAX_NUMNODES; b++)
			distance[a][b] = a == b ? LOCAL_DISTANCE : REMOTE_DISTANCE;
}

/* Records that CPU cpu has this APIC id: sets cpu_to_node() from the config
 * (node 0 if the config does not list it). Before the CPU allocates. */
void numa_add_cpu(unsigned int cpu, u32 apic_id);

/*
 * The fallback order of node nid: nid itself, then every other node by
 * ascending distance[nid][n], ties by node id. Writes nr nids to order.
 * The pure core of the zonelists (mm/numa.c builds them from it).
 */
void numa_fallback_order(int nid, int nr, const u8 distance[MAX_NUMNODES][MAX_NUMNODES],
			 u8 order[MAX_NUMNODES]);

/* The node with memory nearest to nid (nid itself if it has memory). */
int numa_mem_node(int nid);

/*
 * Where the allocations of a CPU came from, Linux's numastat local_node /
 * other_node: "local" = the page is on the node of the CPU that allocated
 * it. Counted for alloc_pages() and alloc_pages_node() (the per-CPU-list
 * fast path through the lists' hit counters), not for alloc_pages_bulk().
 * For cpu == NR_CPUS: the sum over all CPUs. Reset by mm_alloc_stats_reset()
 * (mm.h), with the other per-CPU allocation counters.
 */
struct numa_alloc_stats {
	unsigned long local_node;
	unsigned long other_node;
};
void numa_alloc_stats_read(unsigned int cpu, struct numa_alloc_stats *out);

#endif
