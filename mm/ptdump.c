/*
 * ptdump.c - the kernel's page tables as a student reads them: Linux's
 * /sys/kernel/debug/page_tables/kernel format (address markers, one line per
 * run of leaves with the same permissions and page size), a one-line
 * summary per region, and the boot-time W^X audit (Linux's DEBUG_WX line).
 *
 * Everything here is a read-only walk of kernel_pgtable through vm_walk()
 * (mm/vm.c); the entries' generic flags come from mm/pgtable.c.
 */
#define pr_fmt(fmt) "vm: " fmt

#include <labyrinth/layout.h>
#include <labyrinth/compiler.h>
#include <labyrinth/mm.h>
#include <labyrinth/printk.h>
#include <labyrinth/string.h>
#include <labyrinth/vm.h>

/* Regions in address order; a walk crosses them in this order. */
static const struct addr_marker {
	u64 start;
	const char *name;
} markers[] = {
	{ 0, "User Space" },
	{ 0xffff800000000000ull, "Kernel Space" },
	{ DIRECT_MAP_BASE, "Low Kernel Mapping" },
	{ DIRECT_MAP_BASE + DIRECT_MAP_SIZE, "Kernel Space" },
	{ VMALLOC_START, "vmalloc() Area" },
	{ VMALLOC_END, "Kernel Space" },
	{ KERNEL_VMA_BASE, "High Kernel Mapping" },
};
#define NR_MARKERS ARRAY_SIZE(markers)

static unsigned int marker_of(u64 va)
{
	unsigned int m = 0;

	while (m + 1 < NR_MARKERS && va >= markers[m + 1].start)
		m++;
	return m;
}

static const char *level_name(unsigned int level)
{
	static const char *const names[] = { "", "pte", "pmd", "pud", "p4d", "pgd" };

	if (level == kernel_pgtable.levels)
		return "pgd";
	return level < ARRAY_SIZE(names) ? names[level] : "?";
}

/* "4K", "2M", "5G": the largest unit that divides the size, as Linux prints. */
static void fmt_size(u64 bytes, u64 *num, char *unit)
{
	static const char units[] = "KMGTPE";
	unsigned int u = 0;

	bytes >>= 10;
	while (bytes && !(bytes & 1023) && u + 1 < sizeof(units) - 1) {
		bytes >>= 10;
		u++;
	}
	*num = bytes;
	*unit = units[u];
}

/*
 * A run: consecutive leaves, contiguous in virtual address, with the same
 * flags and level, inside one marker's region. Printed when it ends.
 */
struct dump_run {
	bool active;
	u64 start, end; /* [start, end) */
	unsigned int prot, level, marker;
	unsigned int next_marker; /* first marker header not printed yet */
};

static void print_run(const struct dump_run *r)
{
	u64 num;
	char unit;

	fmt_size(r->end - r->start, &num, &unit);
	printk(KERN_INFO "0x%016llx-0x%016llx %9llu%c %s%s%s%s%s    %s%s%s\n",
	       (unsigned long long)r->start, (unsigned long long)r->end, (unsigned long long)num,
	       unit, r->prot & VM_USER ? "USR " : "    ", r->prot & VM_WRITE ? "RW " : "ro ",
	       r->prot & VM_NOCACHE ? "PWT " : "    ", r->prot & VM_NOCACHE ? "PCD " : "    ",
	       r->level > 1 ? "PSE " : "    ", r->prot & VM_GLOBAL ? "GLB " : "    ",
	       r->prot & VM_EXEC ? "x  " : "NX ", level_name(r->level));
}

/* Prints the headers of every region up to and including marker m. */
static void print_markers_upto(struct dump_run *r, unsigned int m)
{
	while (r->next_marker <= m)
		printk(KERN_INFO "---[ %s ]---\n", markers[r->next_marker++].name);
}

static int dump_leaf(void *arg, u64 va, phys_addr_t pa, u64 size, unsigned int prot,
		     unsigned int level)
{
	struct dump_run *r = arg;
	unsigned int m = marker_of(va);

	(void)pa;
	if (r->active && va == r->end && prot == r->prot && level == r->level && m == r->marker) {
		r->end += size;
		return 0;
	}
	if (r->active)
		print_run(r);
	print_markers_upto(r, m);
	*r = (struct dump_run){ true, va, va + size, prot, level, m, r->next_marker };
	return 0;
}

void ptdump(void)
{
	struct dump_run r = { 0 };

	vm_walk(dump_leaf, &r);
	if (r.active)
		print_run(&r);
	print_markers_upto(&r, NR_MARKERS - 1);
	ptdump_summary();
}

/* ---- summary ---- */

struct region_stats {
	u64 bytes[NR_MARKERS];
	u64 leaves[NR_MARKERS][PT_MAX_LEVELS + 1];
};

static int summary_leaf(void *arg, u64 va, phys_addr_t pa, u64 size, unsigned int prot,
			unsigned int level)
{
	struct region_stats *s = arg;
	unsigned int m = marker_of(va);

	(void)pa, (void)prot;
	s->bytes[m] += size;
	s->leaves[m][level]++;
	return 0;
}

/* "Low Kernel Mapping 5G: 4x1G 33x2M 1021x4K" for each region with mappings. */
static void print_region_summary(const struct region_stats *s, unsigned int m)
{
	static const char *const sizes[] = { "", "4K", "2M", "1G", "512G", "256T" };
	char buf[160];
	int n;
	u64 num;
	char unit;

	fmt_size(s->bytes[m], &num, &unit);
	n = snprintf(buf, sizeof(buf), "%s %llu%c:", markers[m].name, (unsigned long long)num,
		     unit);
	for (unsigned int l = PT_MAX_LEVELS; l >= 1 && n > 0 && (size_t)n < sizeof(buf); l--)
		if (s->leaves[m][l])
			n += snprintf(buf + n, sizeof(buf) - n, " %llux%s",
				      (unsigned long long)s->leaves[m][l], sizes[l]);
	pr_info("ptdump: %s\n", buf);
}

void ptdump_summary(void)
{
	static struct region_stats s; /* too big for a small stack; boot-time only */

	memset(&s, 0, sizeof(s));
	vm_walk(summary_leaf, &s);
	for (unsigned int m = 0; m < NR_MARKERS; m++)
		if (s.bytes[m])
			print_region_summary(&s, m);
	pr_info("ptdump: %zu page-table pages (%zu KiB), %u-level paging\n",
		kernel_pgtable.nr_tables, kernel_pgtable.nr_tables * 4, kernel_pgtable.levels);
}

/* ---- W^X ---- */

struct wx_state {
	u64 start, end; /* current W+X run, [start, end); empty when equal */
	unsigned long pages;
};

static void wx_report(struct wx_state *w)
{
	if (w->start != w->end)
		pr_warn("Found insecure W+X mapping at address 0x%llx-0x%llx\n",
			(unsigned long long)w->start, (unsigned long long)w->end);
	w->start = w->end = 0;
}

static int wx_leaf(void *arg, u64 va, phys_addr_t pa, u64 size, unsigned int prot,
		   unsigned int level)
{
	struct wx_state *w = arg;

	(void)pa, (void)level;
	if (!(prot & VM_WRITE) || !(prot & VM_EXEC))
		return 0;
	if (va != w->end)
		wx_report(w);
	if (w->start == w->end)
		w->start = va;
	w->end = va + size;
	w->pages += size / PAGE_SIZE;
	return 0;
}

/* The entry bits that make a page non-executable, if the CPU accepts them. */
static bool can_forbid_exec(void)
{
	u64 nx = arch_pte_mkleaf(0, VM_READ, 1) & ~arch_pte_mkleaf(0, VM_EXEC, 1);

	return kernel_pgtable.pte_mask & nx;
}

/*
 * W^X across aliases: a physical page may be mapped twice (the kernel image
 * at its link address and in the direct map; an ioremap window). A first
 * walk collects the physical ranges mapped executable anywhere (few: the
 * kernel text, the trampoline while CPUs start); a second counts writable
 * mappings of any of them. Either alias alone passes the W+X check above.
 */
#define WX_MAX_EXEC 16
struct wx_alias_state {
	struct {
		phys_addr_t start, end;
	} exec[WX_MAX_EXEC];
	unsigned int nr;
	bool overflow;
	unsigned long pages;
	u64 run_va, run_end; /* current writable-alias run, [run_va, run_end) */
	phys_addr_t run_pa;
};

static int exec_leaf(void *arg, u64 va, phys_addr_t pa, u64 size, unsigned int prot,
		     unsigned int level)
{
	struct wx_alias_state *a = arg;

	(void)va, (void)level;
	if (!(prot & VM_EXEC))
		return 0;
	if (a->nr && a->exec[a->nr - 1].end == pa) {
		a->exec[a->nr - 1].end = pa + size;
	} else if (a->nr < WX_MAX_EXEC) {
		a->exec[a->nr].start = pa;
		a->exec[a->nr++].end = pa + size;
	} else {
		a->overflow = true;
	}
	return 0;
}

static void alias_report(struct wx_alias_state *a)
{
	if (a->run_va != a->run_end)
		pr_warn("Found writable alias at 0x%llx-0x%llx of executable [mem 0x%llx-0x%llx]\n",
			(unsigned long long)a->run_va, (unsigned long long)a->run_end,
			(unsigned long long)a->run_pa,
			(unsigned long long)(a->run_pa + (a->run_end - a->run_va) - 1));
	a->run_va = a->run_end = 0;
}

static int writable_alias_leaf(void *arg, u64 va, phys_addr_t pa, u64 size, unsigned int prot,
			       unsigned int level)
{
	struct wx_alias_state *a = arg;

	(void)level;
	if (!(prot & VM_WRITE))
		return 0;
	for (unsigned int i = 0; i < a->nr; i++) {
		phys_addr_t s = max(pa, a->exec[i].start), e = min(pa + size, a->exec[i].end);
		u64 v = va + (s - pa);

		if (s >= e)
			continue;
		if (v != a->run_end)
			alias_report(a);
		if (a->run_va == a->run_end) {
			a->run_va = v;
			a->run_pa = s;
		}
		a->run_end = v + (e - s);
		a->pages += (e - s) / PAGE_SIZE;
	}
	return 0;
}

static unsigned long wx_check_aliases(void)
{
	struct wx_alias_state a = { 0 };

	vm_walk(exec_leaf, &a);
	vm_walk(writable_alias_leaf, &a);
	alias_report(&a);
	if (a.overflow)
		pr_warn("W^X alias check: more than %u executable ranges, the rest unchecked\n",
			WX_MAX_EXEC);
	return a.pages;
}

unsigned long vm_check_wx(void)
{
	struct wx_state w = { 0 };

	if (!can_forbid_exec()) {
		pr_info(
		    "Checked W+X mappings: skipped, this CPU cannot mark pages non-executable\n");
		return 0;
	}
	vm_walk(wx_leaf, &w);
	wx_report(&w);
	w.pages += wx_check_aliases();
	if (w.pages)
		pr_warn("Checked W+X mappings: FAILED, %lu W+X pages found.\n", w.pages);
	else
		pr_info("Checked W+X mappings: passed, no W+X pages found.\n");
	return w.pages;
}
