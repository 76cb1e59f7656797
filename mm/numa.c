/*
 * numa.c - memory nodes: the node of every section, cpu_to_node(), the
 * zonelists ordered by SLIT distance, the node reports, and the per-CPU
 * count of allocations served from the CPU's own node.
 *
 * Input: a struct numa_config (numa.h), installed before mm_init() by
 * acpi/srat.c from SRAT/SLIT (or by a host test); without one the
 * machine is node 0 alone and nothing here prints. mm/init.c calls
 * numa_assign_sections() once the section table exists (mm/sparse.c),
 * then mm/zone.c builds each node's zones and calls build_all_zonelists();
 * kernel/smpboot.c calls numa_add_cpu() for each CPU it brings up.
 * mm/page_alloc.c walks the zonelists built here; tests/kernel/numa_test.c tests it.
 */
#define pr_fmt(fmt) "numa: " fmt

#include <labyrinth/memblock.h>
#include <labyrinth/mm.h>
#include <labyrinth/mmzone.h>
#include <labyrinth/numa.h>
#include <labyrinth/pcp.h>
#include <labyrinth/printk.h>
#include <labyrinth/string.h>

#include "mm/internal.h"

struct pglist_data node_data[MAX_NUMNODES];
/* &node_data[nid].node_zones[idx] at nid * MAX_NR_ZONES + idx: mm/zone.c
 * fills it as it sets each zone up. */
struct zone *zone_by_id[MAX_NUMNODES * MAX_NR_ZONES];
int nr_node_ids = 1;
u8 numa_cpu_node[NR_CPUS];
u8 numa_distance[MAX_NUMNODES][MAX_NUMNODES] = { { LOCAL_DISTANCE } };

/* The installed config; nr_nodes == 0: none (one node). */
static struct numa_config config;

/* Every nid in range, every range non-empty, the diagonal local. */
static const char *config_problem(const struct numa_config *c)
{
	unsigned int i;

	if (c->nr_nodes > MAX_NUMNODES)
		return "more nodes than MAX_NUMNODES";
	if (c->nr_memblks > NUMA_MAX_MEMBLKS || c->nr_cpus > NUMA_MAX_CPUS)
		return "too many ranges or CPUs";
	for (i = 0; i < c->nr_memblks; i++)
		if (c->memblks[i].nid >= c->nr_nodes || c->memblks[i].start >= c->memblks[i].end)
			return "bad memory range";
	for (i = 0; i < c->nr_cpus; i++)
		if (c->cpus[i].nid >= c->nr_nodes)
			return "CPU on a node that does not exist";
	for (i = 0; c->have_slit && i < c->nr_nodes; i++)
		if (c->distance[i][i] != LOCAL_DISTANCE)
			return "distance of a node to itself is not 10";
	return NULL;
}

void numa_config_set(const struct numa_config *cfg)
{
	const char *why = cfg && cfg->nr_nodes ? config_problem(cfg) : NULL;
	int nid, z;

	memset(&config, 0, sizeof(config));
	if (why)
		pr_err("bad configuration (%s): one node\n", why);
	else if (cfg && cfg->nr_nodes)
		config = *cfg;
	if (!config.have_slit)
		numa_default_distances(config.distance);
	nr_node_ids = config.nr_nodes ? (int)config.nr_nodes : 1;
	memcpy(numa_distance, config.distance, sizeof(numa_distance));
	memset(numa_cpu_node, 0, sizeof(numa_cpu_node));
	for (nid = 0; nid < MAX_NUMNODES; nid++) {
		node_data[nid].node_id = nid;
		for (z = 0; z < MAX_NR_ZONES; z++)
			node_data[nid].node_zones[z].node = nid;
	}
}

const struct numa_config *numa_config_get(void)
{
	return &config;
}

/* The node whose SRAT range holds pa, or NUMA_NO_NODE. */
static int memblk_nid(u64 pa)
{
	for (unsigned int i = 0; i < config.nr_memblks; i++)
		if (pa >= config.memblks[i].start && pa < config.memblks[i].end)
			return config.memblks[i].nid;
	return NUMA_NO_NODE;
}

/* True if RAM of section sec lies on a node other than nid (a boundary
 * inside the section, or RAM the firmware put on no node). */
static bool section_split(unsigned long sec, int nid)
{
	const struct memblock_type *mem = &memblock.memory;
	u64 s0 = PFN_PHYS(sec << PFN_SECTION_SHIFT), e0 = s0 + PFN_PHYS(PAGES_PER_SECTION);

	for (u32 i = 0; i < mem->cnt; i++) {
		u64 s = max(mem->regions[i].base, s0);
		u64 e = min(mem->regions[i].base + mem->regions[i].size, e0);

		for (; s < e; s += PAGE_SIZE) /* page steps: sections are few, this runs once */
			if (memblk_nid(s) != nid)
				return true;
	}
	return false;
}

/* The first RAM address of section sec (it has RAM: its map exists). */
static u64 section_first_ram(unsigned long sec)
{
	const struct memblock_type *mem = &memblock.memory;
	u64 s0 = PFN_PHYS(sec << PFN_SECTION_SHIFT);

	for (u32 i = 0; i < mem->cnt; i++)
		if (mem->regions[i].base + mem->regions[i].size > s0)
			return max(mem->regions[i].base, s0);
	return s0;
}

/* The per-CPU free path's zone lookup (mm/internal.h:page_zone_id()). */
static void section_set_zone_id(unsigned long sec)
{
	unsigned long pfn = max(sec << PFN_SECTION_SHIFT, (unsigned long)ZONE_DMA_END_PFN);

	BUILD_BUG_ON(ZONE_DMA32_END_PFN % PAGES_PER_SECTION);
	BUILD_BUG_ON(ZONE_DMA_END_PFN > PAGES_PER_SECTION);
	mem_section[sec].zone_id = mem_section[sec].nid * MAX_NR_ZONES + pfn_zone_idx(pfn);
}

/*
 * Every section with RAM goes to the node of its first RAM page; RAM the
 * config puts on no node goes to node 0. Both oddities are reported: the
 * pages of a section all share one node (numa.h).
 */
void numa_assign_sections(void)
{
	unsigned long sec;

	for (sec = 0; sec < nr_mem_sections; sec++) {
		u64 first;
		int nid;

		mem_section[sec].nid = 0;
		section_set_zone_id(sec);
		if (!config.nr_nodes || !mem_section[sec].map)
			continue;
		first = section_first_ram(sec);
		nid = memblk_nid(first);
		if (nid == NUMA_NO_NODE) {
			pr_warn("RAM at 0x%llx is on no node: node 0\n", (unsigned long long)first);
			nid = 0;
		}
		mem_section[sec].nid = (u32)nid;
		section_set_zone_id(sec);
		if (section_split(sec, nid))
			pr_warn(
			    "section %lu [mem 0x%llx-0x%llx] spans a node boundary: all on node "
			    "%d\n",
			    sec, (unsigned long long)PFN_PHYS(sec << PFN_SECTION_SHIFT),
			    (unsigned long long)PFN_PHYS((sec + 1) << PFN_SECTION_SHIFT) - 1, nid);
	}
}

void numa_fallback_order(int nid, int nr, const u8 distance[MAX_NUMNODES][MAX_NUMNODES],
			 u8 order[MAX_NUMNODES])
{
	bool used[MAX_NUMNODES] = { false };
	int i, n, best;

	order[0] = (u8)nid;
	used[nid] = true;
	for (i = 1; i < nr; i++) {
		best = -1;
		for (n = 0; n < nr; n++) /* strict <: ties go to the lower node id */
			if (!used[n] && (best < 0 || distance[nid][n] < distance[nid][best]))
				best = n;
		order[i] = (u8)best;
		used[best] = true;
	}
}

/* Appends nid's zones with memory, zone hi down to DMA; returns the new length. */
static unsigned int add_node_zones(struct zone **zl, unsigned int n, int nid, unsigned int hi)
{
	for (int z = (int)hi; z >= 0; z--)
		if (node_data[nid].node_zones[z].spanned_pages)
			zl[n++] = &node_data[nid].node_zones[z];
	return n;
}

void build_all_zonelists(void)
{
	unsigned int hi, n;
	int nid, i;

	for_each_node(nid) {
		struct pglist_data *pgdat = NODE_DATA(nid);

		numa_fallback_order(nid, nr_node_ids, numa_distance, pgdat->node_order);
		for (hi = 0; hi < MAX_NR_ZONES; hi++) {
			struct zone **fb = pgdat->zonelists[ZONELIST_FALLBACK][hi];
			struct zone **own = pgdat->zonelists[ZONELIST_NOFALLBACK][hi];

			for (n = 0, i = 0; i < nr_node_ids; i++)
				n = add_node_zones(fb, n, pgdat->node_order[i], hi);
			fb[n] = NULL;
			own[add_node_zones(own, 0, nid, hi)] = NULL;
		}
	}
}

int numa_mem_node(int nid)
{
	for (int i = 0; i < nr_node_ids; i++) {
		int n = node_data[nid].node_order[i];

		if (node_data[n].node_present_pages)
			return n;
	}
	return nid;
}

void numa_add_cpu(unsigned int cpu, u32 apic_id)
{
	unsigned int i;
	int nid = 0;

	if (cpu >= NR_CPUS)
		return;
	for (i = 0; i < config.nr_cpus && config.cpus[i].apic_id != apic_id; i++)
		;
	if (i < config.nr_cpus)
		nid = config.cpus[i].nid;
	WRITE_ONCE(numa_cpu_node[cpu], (u8)nid);
	pcp_update_first_zones(cpu);
	pcp_cpu_up(cpu); /* the lists off if it has no list sets */
	if (!config.nr_nodes)
		return;
	if (i == config.nr_cpus)
		pr_warn("CPU %u (APIC id %u) is in no SRAT entry: node 0\n", cpu, apic_id);
	else
		pr_info("CPU %u (APIC id %u) on node %d%s\n", cpu, apic_id, nid,
			node_data[nid].node_present_pages ? "" : " (memoryless)");
}

/* Linux's "node distances:" table. */
static void print_distances(void)
{
	char line[16 + 4 * MAX_NUMNODES];
	int a, b, n;

	n = snprintf(line, sizeof(line), "node ");
	for (b = 0; b < nr_node_ids; b++)
		n += snprintf(line + n, sizeof(line) - (size_t)n, " %3d", b);
	pr_info("node distances%s:\n", config.have_slit ? " (SLIT)" : " (no SLIT: defaults)");
	pr_info("%s\n", line);
	for (a = 0; a < nr_node_ids; a++) {
		n = snprintf(line, sizeof(line), "  %3d:", a);
		for (b = 0; b < nr_node_ids; b++)
			n += snprintf(line + n, sizeof(line) - (size_t)n, " %3d",
				      numa_distance[a][b]);
		pr_info("%s\n", line);
	}
}

void numa_print_nodes(void)
{
	int nid;

	if (!config.nr_nodes)
		return;
	for_each_node(nid) {
		const struct pglist_data *p = NODE_DATA(nid);

		if (!p->node_present_pages) {
			pr_info("node %d (PXM %u): no memory, allocates from node %d\n", nid,
				config.pxm[nid], numa_mem_node(nid));
			continue;
		}
		pr_info("node %d (PXM %u): %lu MiB [mem 0x%016llx-0x%016llx]\n", nid,
			config.pxm[nid], p->node_present_pages >> (20 - PAGE_SHIFT),
			(unsigned long long)PFN_PHYS(p->node_start_pfn),
			(unsigned long long)PFN_PHYS(p->node_start_pfn + p->node_spanned_pages) -
			    1);
	}
	print_distances();
}

/* ---- own node / other node, per CPU ---- */

static struct numa_cpu_stats {
	unsigned long local_node, other_node;
} __aligned(64) numa_stats[NR_CPUS];

/* Atomic adds: an IRQ handler on this CPU may count concurrently. */
void numa_count_alloc(const struct page *page)
{
	struct numa_cpu_stats *s = &numa_stats[arch_cpu_id()];

	if (page_to_nid(page) == numa_node_id())
		__atomic_add_fetch(&s->local_node, 1, __ATOMIC_RELAXED);
	else
		__atomic_add_fetch(&s->other_node, 1, __ATOMIC_RELAXED);
}

void numa_stats_clear(void)
{
	memset(numa_stats, 0, sizeof(numa_stats));
}

/* Off the fast path: counted above; fast-path hits: by the list's zone. */
static void numa_stats_add(struct numa_alloc_stats *out, unsigned int cpu)
{
	struct zone *z;

	out->local_node += READ_ONCE(numa_stats[cpu].local_node);
	out->other_node += READ_ONCE(numa_stats[cpu].other_node);
	for_each_zone(z) {
		const struct per_cpu_pages *pcp = z->pcp[cpu];
		unsigned long hits;

		if (!pcp)
			continue;
		hits = READ_ONCE(pcp->hits[0]) + READ_ONCE(pcp->hits[1]);

		if (zone_to_nid(z) == cpu_to_node(cpu))
			out->local_node += hits;
		else
			out->other_node += hits;
	}
}

/* One node: nothing is counted on the allocation path; every page served is local. */
static void numa_stats_one_node(unsigned int cpu, struct numa_alloc_stats *out)
{
	struct mm_alloc_stats s;

	mm_alloc_stats_read(cpu, &s);
	out->other_node = 0;
	out->local_node = 0;
	for (unsigned int i = 0; i < NR_ALLOC_SRC; i++)
		out->local_node += s.atomic[i] + s.other[i];
}

void numa_alloc_stats_read(unsigned int cpu, struct numa_alloc_stats *out)
{
	if (nr_node_ids == 1) {
		numa_stats_one_node(cpu, out);
		return;
	}
	memset(out, 0, sizeof(*out));
	for (unsigned int c = 0; c < NR_CPUS; c++)
		if (c == cpu || cpu >= NR_CPUS)
			numa_stats_add(out, c);
}
