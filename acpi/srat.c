/*
 * srat.c - SRAT and SLIT: which memory and which CPUs are on which node,
 * and how far the nodes are from each other, as a struct numa_config
 * (include/labyrinth/numa.h) for mm/numa.c.
 *
 * SRAT (System Resource Affinity Table): a 48-byte header, then sub-tables
 * walked by acpi_walk_subtables() (acpi/tables.c): processor local APIC
 * affinity (type 0), memory affinity (1), processor x2APIC affinity (2).
 * Entries without the enabled flag are skipped; hot-pluggable memory is
 * kept like any other range (it only matters where the memory map has RAM)
 * and counted. Proximity domains (PXMs) become node ids in ascending order,
 * so QEMU's nodeid=N is node N. The SRAT is rejected as a whole, reported
 * with the reason, and the machine stays one node, when an entry is
 * malformed or runs past the table, there are more PXMs than MAX_NUMNODES,
 * more ranges or CPUs than we keep, or two nodes' ranges overlap.
 *
 * SLIT (System Locality Information Table): a count N, then an N x N byte
 * matrix indexed by PXM, [from][to]. Rejected (default distances 10/20,
 * the SRAT still used) when it is too short for N x N, a node's PXM is not
 * below N, a node's distance to itself is not 10, or another distance is
 * 10 or less (Linux's slit_valid()). Asymmetric distances are allowed and
 * noted: row "from" is what the allocating node sees.
 *
 * Pure parsing, like the rest of acpi/: the tables come already mapped and
 * checksummed (acpi/tables.c), the result goes back to the caller. When and
 * through which mapping this runs at boot, and who installs the result, is
 * acpi/boot.c:acpi_numa_init(). Host-tested by tests/host/test_acpi_numa.c
 * over tables laid out in a buffer, malformed ones included.
 */
#define pr_fmt(fmt) "ACPI: " fmt

#include <labyrinth/acpi.h>
#include <labyrinth/numa.h>
#include <labyrinth/printk.h>
#include <labyrinth/string.h>

struct srat_lapic {
	struct acpi_subtable_header h;
	u8 pxm_lo;
	u8 apic_id;
	u32 flags;
	u8 sapic_eid;
	u8 pxm_hi[3];
	u32 clock_domain;
} __packed;

struct srat_mem {
	struct acpi_subtable_header h;
	u32 pxm;
	u16 reserved;
	u64 base;
	u64 length;
	u32 reserved2;
	u32 flags;
	u64 reserved3;
} __packed;

struct srat_x2apic {
	struct acpi_subtable_header h;
	u16 reserved;
	u32 pxm;
	u32 x2apic_id;
	u32 flags;
	u32 clock_domain;
	u32 reserved2;
} __packed;

BUILD_BUG_ON(sizeof(struct srat_lapic) != 16);
BUILD_BUG_ON(sizeof(struct srat_mem) != 40);
BUILD_BUG_ON(sizeof(struct srat_x2apic) != 24);

/* The walk's state: entries keep their PXM until PXMs become node ids. */
struct srat_scan {
	struct numa_config *cfg;
	u32 pxms[MAX_NUMNODES]; /* distinct PXMs of enabled entries */
	unsigned int nr_pxms;
	u32 mem_pxm[NUMA_MAX_MEMBLKS];
	u32 cpu_pxm[NUMA_MAX_CPUS];
	const char *why; /* the first reason to reject the table */
	unsigned int nr_hotplug, nr_disabled;
};

static void srat_reject(struct srat_scan *s, const char *why)
{
	if (!s->why)
		s->why = why;
}

static void srat_add_pxm(struct srat_scan *s, u32 pxm)
{
	for (unsigned int i = 0; i < s->nr_pxms; i++)
		if (s->pxms[i] == pxm)
			return;
	if (s->nr_pxms == MAX_NUMNODES) {
		srat_reject(s, "more proximity domains than MAX_NUMNODES");
		return;
	}
	s->pxms[s->nr_pxms++] = pxm;
}

static void srat_cpu(struct srat_scan *s, u32 pxm, u32 apic_id, u32 flags)
{
	struct numa_config *c = s->cfg;

	if (!(flags & ACPI_SRAT_ENABLED)) {
		s->nr_disabled++;
		return;
	}
	if (c->nr_cpus == NUMA_MAX_CPUS) {
		srat_reject(s, "more processor entries than NUMA_MAX_CPUS");
		return;
	}
	srat_add_pxm(s, pxm);
	s->cpu_pxm[c->nr_cpus] = pxm;
	c->cpus[c->nr_cpus++] = (struct numa_cpu){ .apic_id = apic_id };
}

static void srat_memory(struct srat_scan *s, const struct srat_mem *m)
{
	struct numa_config *c = s->cfg;

	if (!(m->flags & ACPI_SRAT_ENABLED) || !m->length) {
		s->nr_disabled++;
		return;
	}
	if (m->base + m->length < m->base) {
		srat_reject(s, "memory range wraps around");
		return;
	}
	if (c->nr_memblks == NUMA_MAX_MEMBLKS) {
		srat_reject(s, "more memory ranges than NUMA_MAX_MEMBLKS");
		return;
	}
	srat_add_pxm(s, m->pxm);
	s->nr_hotplug += !!(m->flags & ACPI_SRAT_MEM_HOTPLUGGABLE);
	s->mem_pxm[c->nr_memblks] = m->pxm;
	c->memblks[c->nr_memblks++] = (struct numa_memblk){
		.start = m->base,
		.end = m->base + m->length,
		.hotplug = !!(m->flags & ACPI_SRAT_MEM_HOTPLUGGABLE),
	};
}

/* One sub-table; a known type too short for its fields rejects the SRAT. */
static void srat_entry(const struct acpi_subtable_header *e, void *arg)
{
	struct srat_scan *s = arg;

	switch (e->type) {
	case ACPI_SRAT_LAPIC: {
		const struct srat_lapic *l = (const void *)e;

		if (e->length < sizeof(*l)) {
			srat_reject(s, "processor entry too short");
			break;
		}
		srat_cpu(s,
			 l->pxm_lo | (u32)l->pxm_hi[0] << 8 | (u32)l->pxm_hi[1] << 16 |
			     (u32)l->pxm_hi[2] << 24,
			 l->apic_id, l->flags);
		break;
	}
	case ACPI_SRAT_MEMORY:
		if (e->length < sizeof(struct srat_mem)) {
			srat_reject(s, "memory entry too short");
			break;
		}
		srat_memory(s, (const void *)e);
		break;
	case ACPI_SRAT_X2APIC: {
		const struct srat_x2apic *x = (const void *)e;

		if (e->length < sizeof(*x)) {
			srat_reject(s, "x2APIC entry too short");
			break;
		}
		srat_cpu(s, x->pxm, x->x2apic_id, x->flags);
		break;
	}
	default: break; /* GICC, generic initiators...: not on this machine */
	}
}

/* Node ids: the PXMs in ascending order. */
static int pxm_to_nid(const struct srat_scan *s, u32 pxm)
{
	int nid = 0;

	for (unsigned int i = 0; i < s->nr_pxms; i++)
		nid += s->pxms[i] < pxm;
	return nid;
}

/* PXMs -> nids in cfg; then two nodes' overlapping ranges reject it. */
static void srat_finish(struct srat_scan *s)
{
	struct numa_config *c = s->cfg;
	unsigned int i, j;

	c->nr_nodes = s->nr_pxms;
	for (i = 0; i < s->nr_pxms; i++)
		c->pxm[pxm_to_nid(s, s->pxms[i])] = s->pxms[i];
	for (i = 0; i < c->nr_memblks; i++)
		c->memblks[i].nid = (u8)pxm_to_nid(s, s->mem_pxm[i]);
	for (i = 0; i < c->nr_cpus; i++)
		c->cpus[i].nid = (u8)pxm_to_nid(s, s->cpu_pxm[i]);
	for (i = 0; i < c->nr_memblks; i++)
		for (j = i + 1; j < c->nr_memblks; j++)
			if (c->memblks[i].nid != c->memblks[j].nid &&
			    c->memblks[i].start < c->memblks[j].end &&
			    c->memblks[j].start < c->memblks[i].end)
				srat_reject(s, "memory ranges of two nodes overlap");
	if (!c->nr_nodes)
		srat_reject(s, "no enabled entries");
}

int acpi_parse_srat(const struct acpi_table_header *srat, struct numa_config *cfg)
{
	static struct srat_scan s; /* too big for a kernel stack frame */

	memset(cfg, 0, sizeof(*cfg));
	memset(&s, 0, sizeof(s));
	s.cfg = cfg;
	if (!srat)
		return -1;
	if (srat->length < ACPI_SRAT_HEADER_LEN)
		srat_reject(&s, "shorter than its header");
	else if (acpi_walk_subtables(srat, ACPI_SRAT_HEADER_LEN, srat_entry, &s))
		srat_reject(&s, "malformed entry");
	if (!s.why)
		srat_finish(&s);
	if (s.why) {
		pr_err("SRAT: %s: table ignored, one node\n", s.why);
		memset(cfg, 0, sizeof(*cfg));
		return -1;
	}
	numa_default_distances(cfg->distance);
	if (s.nr_hotplug)
		pr_info("SRAT: %u hot-pluggable range(s), used as present memory\n", s.nr_hotplug);
	return 0;
}

/* ---- SLIT ---- */

/* Why the SLIT cannot be used with this SRAT, or NULL. */
static const char *slit_problem(const struct acpi_table_header *h, const struct numa_config *c)
{
	const u8 *m = (const u8 *)h + ACPI_SLIT_HEADER_LEN;
	u64 n;

	if (h->length < ACPI_SLIT_HEADER_LEN)
		return "shorter than its header";
	memcpy(&n, (const u8 *)h + sizeof(*h), sizeof(n));
	if (!n || n > 0xffff || n * n > h->length - ACPI_SLIT_HEADER_LEN)
		return "locality count does not fit the table";
	for (unsigned int a = 0; a < c->nr_nodes; a++)
		if (c->pxm[a] >= n)
			return "fewer localities than the SRAT has proximity domains";
	for (unsigned int a = 0; a < c->nr_nodes; a++) {
		for (unsigned int b = 0; b < c->nr_nodes; b++) {
			u8 d = m[c->pxm[a] * n + c->pxm[b]];

			if (a == b ? d != LOCAL_DISTANCE : d <= LOCAL_DISTANCE)
				return a == b ? "distance to itself is not 10"
					      : "distance between two nodes is 10 or less";
		}
	}
	return NULL;
}

int acpi_parse_slit(const struct acpi_table_header *slit, struct numa_config *cfg)
{
	const u8 *m = (const u8 *)slit + ACPI_SLIT_HEADER_LEN;
	const char *why = slit ? slit_problem(slit, cfg) : "missing";
	bool asym = false;
	u64 n;

	if (why) {
		pr_err("SLIT: %s: ignored, default distances\n", why);
		return -1;
	}
	memcpy(&n, (const u8 *)slit + sizeof(*slit), sizeof(n));
	for (unsigned int a = 0; a < cfg->nr_nodes; a++)
		for (unsigned int b = 0; b < cfg->nr_nodes; b++) {
			cfg->distance[a][b] = m[cfg->pxm[a] * n + cfg->pxm[b]];
			asym |=
			    m[cfg->pxm[a] * n + cfg->pxm[b]] != m[cfg->pxm[b] * n + cfg->pxm[a]];
		}
	cfg->have_slit = true;
	if (asym)
		pr_info("SLIT: asymmetric distances: each node orders the others by its own row\n");
	return 0;
}

void acpi_numa_print(const struct numa_config *c)
{
	unsigned int i;

	for (i = 0; i < c->nr_memblks; i++)
		pr_info("SRAT: Node %u PXM %u [mem 0x%08llx-0x%08llx]%s\n", c->memblks[i].nid,
			c->pxm[c->memblks[i].nid], (unsigned long long)c->memblks[i].start,
			(unsigned long long)c->memblks[i].end - 1,
			c->memblks[i].hotplug ? " hotplug" : "");
	for (i = 0; i < c->nr_cpus; i++)
		pr_info("SRAT: PXM %u -> APIC 0x%02x -> Node %u\n", c->pxm[c->cpus[i].nid],
			c->cpus[i].apic_id, c->cpus[i].nid);
}
