/*
 * test_pgtable.c - host tests of the generic page-table builder
 * (mm/pgtable.c) over simulated physical memory, with the real x86_64
 * entry format (arch/x86_64/include/asm/pgtable_types.h): ranges crossing
 * table boundaries at every level, huge-page selection (1 GiB / 2 MiB /
 * 4 KiB), a range ending at the top of the address space, unmap freeing
 * emptied tables and splitting huge pages, rollback of a failed map, and a
 * seeded random model test of translation round trips. The kernel's use of
 * the builder is mm/vm.c; its in-kernel tests are tests/kernel/vm_test.c.
 */
#include <stdlib.h>
#include <string.h>

#include <labyrinth/compiler.h>
#include <labyrinth/pgtable.h>
#include "host.h"

#define SIM_PAGES 8192
#define SIM_BASE 0x200000ull /* simulated physical address of page 0 of the pool */
#define GiB (1ull << 30)
#define MiB (1ull << 20)
#define KiB (1ull << 10)

/* The pool: a page is either free or a live table (allocated[i]). */
static u8 *sim_mem;
static bool allocated[SIM_PAGES];
static unsigned long sim_live, sim_bad_frees, sim_flushes;
static bool sim_fail_alloc, sim_destroying;

static phys_addr_t sim_alloc(void *ctx)
{
	(void)ctx;
	if (sim_fail_alloc)
		return 0;
	for (unsigned int i = 0; i < SIM_PAGES; i++) {
		if (!allocated[i]) {
			allocated[i] = true;
			sim_live++;
			memset(sim_mem + i * 4096ul, 0xa5, 4096); /* builder must zero it */
			return SIM_BASE + i * 4096ull;
		}
	}
	return 0;
}

static void sim_free(void *ctx, phys_addr_t pa)
{
	unsigned long i = (pa - SIM_BASE) / 4096;

	(void)ctx;
	if (pa < SIM_BASE || i >= SIM_PAGES || !allocated[i]) {
		sim_bad_frees++;
		return;
	}
	for (unsigned int j = 0; j < 512 && !sim_destroying; j++) /* unmap frees empty tables */
		if (((u64 *)(sim_mem + i * 4096))[j])
			sim_bad_frees++;
	allocated[i] = false;
	sim_live--;
}

static u64 *sim_table(void *ctx, phys_addr_t pa)
{
	(void)ctx;
	return (u64 *)(sim_mem + (pa - SIM_BASE));
}

static void sim_flush(void *ctx, u64 va, u64 size)
{
	(void)ctx, (void)va, (void)size;
	sim_flushes++;
}

static const struct pgtable_ops sim_ops = { sim_alloc, sim_free, sim_table, sim_flush };
#define ALL_LEAVES ((1u << 1) | (1u << 2) | (1u << 3))

static struct pgtable new_pt(unsigned int levels, unsigned int leaf_levels, u64 mask)
{
	struct pgtable pt;

	ok(pgtable_init(&pt, levels, leaf_levels, mask, &sim_ops, NULL) == 0, "init %u levels",
	   levels);
	return pt;
}

static void end_pt(struct pgtable *pt, const char *what)
{
	sim_destroying = true;
	pgtable_destroy(pt);
	sim_destroying = false;
	is_u64(sim_live, 0, "%s: every table returned", what);
	is_u64(sim_bad_frees, 0, "%s: no bad frees", what);
}

/* Translates va and checks pa, level and prot in one TAP line. */
static void check_xlate(const struct pgtable *pt, u64 va, phys_addr_t want_pa,
			unsigned int want_level, unsigned int want_prot)
{
	phys_addr_t pa = 0;
	unsigned int prot = 0, level = 0;
	bool found = pgtable_translate(pt, va, &pa, &prot, &level);

	if (!ok(found && pa == want_pa && level == want_level && prot == want_prot,
		"translate 0x%llx -> 0x%llx level %u prot %#x", (unsigned long long)va,
		(unsigned long long)want_pa, want_level, want_prot))
		printf("#   got found=%d pa 0x%llx level %u prot %#x\n", found,
		       (unsigned long long)pa, level, prot);
}

static void check_unmapped(const struct pgtable *pt, u64 va)
{
	ok(!pgtable_translate(pt, va, NULL, NULL, NULL), "0x%llx unmapped", (unsigned long long)va);
}

/* 12 KiB + 1 GiB + 2 MiB + 4 KiB, va and pa congruent: 3x4K, 1G, 2M, 4K. */
static void test_huge_selection(void)
{
	struct pgtable pt = new_pt(4, ALL_LEAVES, ~0ull);
	u64 va = GiB - 12 * KiB, pa = va + 2 * GiB, size = 12 * KiB + GiB + 2 * MiB + 4 * KiB;
	struct pgtable_stats st;

	is_u64(pgtable_map(&pt, va, pa, size, PAGE_KERNEL), 0, "map mixed range");
	pgtable_stats(&pt, &st);
	is_u64(st.leaves[1], 4, "four 4 KiB leaves at the edges");
	is_u64(st.leaves[2], 1, "one 2 MiB leaf");
	is_u64(st.leaves[3], 1, "one 1 GiB leaf");
	is_u64(st.tables, pt.nr_tables, "walk visits every table");
	check_xlate(&pt, va, pa, 1, PAGE_KERNEL);
	check_xlate(&pt, GiB - 1, pa + 12 * KiB - 1, 1, PAGE_KERNEL);
	check_xlate(&pt, GiB, 3 * GiB, 3, PAGE_KERNEL);
	check_xlate(&pt, 2 * GiB - 1, 4 * GiB - 1, 3, PAGE_KERNEL);
	check_xlate(&pt, 2 * GiB + 0x12345, 4 * GiB + 0x12345, 2, PAGE_KERNEL);
	check_xlate(&pt, 2 * GiB + 2 * MiB, 4 * GiB + 2 * MiB, 1, PAGE_KERNEL);
	check_unmapped(&pt, va - 1);
	check_unmapped(&pt, va + size);
	end_pt(&pt, "huge selection");
}

/* Without 1 GiB pages (no pdpe1gb) the same GiB takes 512 2 MiB leaves. */
static void test_no_gbpages(void)
{
	struct pgtable pt = new_pt(4, 1u << 2, ~0ull);
	struct pgtable_stats st;

	is_u64(pgtable_map(&pt, GiB, GiB, GiB, PAGE_KERNEL_RO), 0, "map 1 GiB without gbpages");
	pgtable_stats(&pt, &st);
	is_u64(st.leaves[3], 0, "no 1 GiB leaf");
	is_u64(st.leaves[2], 512, "512 2 MiB leaves");
	/* pa congruent only mod 4 KiB: everything in 4 KiB pages. */
	is_u64(pgtable_map(&pt, 4 * GiB, 0x1000, 4 * MiB, PAGE_KERNEL), 0, "map misaligned pa");
	pgtable_stats(&pt, &st);
	is_u64(st.leaves[1], 1024, "misaligned pa: 1024 4 KiB leaves");
	is_u64(pgtable_map_max(&pt, 8 * GiB, 8 * GiB, 2 * MiB, PAGE_KERNEL, 1), 0, "max_level 1");
	pgtable_stats(&pt, &st);
	is_u64(st.leaves[1], 1536, "max_level 1 forces 4 KiB leaves");
	end_pt(&pt, "no gbpages");
}

/* 16 KiB across the 512 GiB boundary: every level's table boundary at once. */
static void test_cross_boundaries(void)
{
	struct pgtable pt = new_pt(4, ALL_LEAVES, ~0ull);
	u64 va = 512 * GiB - 8 * KiB;

	is_u64(pgtable_map(&pt, va, 0x5000000, 16 * KiB, PAGE_KERNEL_ROX), 0,
	       "map across PGD entry");
	is_u64(pt.nr_tables, 7, "root + 2 PUD + 2 PMD + 2 PTE tables");
	for (int i = 0; i < 4; i++)
		check_xlate(&pt, va + i * 4096 + 7, 0x5000000 + i * 4096 + 7, 1, PAGE_KERNEL_ROX);
	is_u64(pgtable_unmap(&pt, va, 16 * KiB), 0, "unmap across PGD entry");
	is_u64(pt.nr_tables, 1, "emptied tables freed, root kept");
	is_u64(sim_live, 1, "pool holds only the root");
	end_pt(&pt, "cross boundaries");
}

/* The last 2 MiB of the address space, where end = va + size wraps to 0. */
static void test_top_of_address_space(void)
{
	struct pgtable pt = new_pt(4, ALL_LEAVES, ~0ull);
	u64 top = 0xffffffffffe00000ull;

	is_u64(pgtable_map(&pt, top, 6 * MiB, 2 * MiB, PAGE_KERNEL), 0, "map the top 2 MiB");
	check_xlate(&pt, 0xffffffffffffffffull, 8 * MiB - 1, 2, PAGE_KERNEL);
	check_xlate(&pt, top, 6 * MiB, 2, PAGE_KERNEL);
	check_unmapped(&pt, top - 1);
	is_u64(pgtable_map(&pt, 0xfffffffffffff000ull, 0, 8 * KiB, PAGE_KERNEL), -PT_EINVAL,
	       "a range wrapping past 2^64 is refused");
	is_u64(pgtable_unmap(&pt, top + 2 * MiB - 4096, 4096), 0, "unmap the very last page");
	check_unmapped(&pt, 0xffffffffffffffffull);
	check_xlate(&pt, top + 2 * MiB - 4097, 8 * MiB - 4097, 1, PAGE_KERNEL);
	is_u64(pgtable_unmap(&pt, top, 2 * MiB), 0, "unmap the rest");
	is_u64(pt.nr_tables, 1, "top tables freed");
	end_pt(&pt, "top of address space");
}

static void test_bad_ranges(void)
{
	struct pgtable pt = new_pt(4, ALL_LEAVES, ~0ull);

	is_u64(pgtable_map(&pt, 0x1000, 0, 0, PAGE_KERNEL), -PT_EINVAL, "empty range");
	is_u64(pgtable_map(&pt, 0x1234, 0, 4096, PAGE_KERNEL), -PT_EINVAL, "misaligned va");
	is_u64(pgtable_map(&pt, 0x1000, 0x10, 4096, PAGE_KERNEL), -PT_EINVAL, "misaligned pa");
	is_u64(pgtable_map(&pt, 0x0000800000000000ull, 0, 4096, PAGE_KERNEL), -PT_EINVAL,
	       "non-canonical va");
	is_u64(pgtable_map(&pt, 0x00007ffffffff000ull, 0, 1ull << 60, PAGE_KERNEL), -PT_EINVAL,
	       "range across the canonical hole");
	is_u64(pt.nr_tables, 1, "refused maps allocate nothing");
	end_pt(&pt, "bad ranges");
}

/* A map that hits an existing mapping fails whole: nothing half-made stays. */
static void test_eexist_rollback(void)
{
	struct pgtable pt = new_pt(4, ALL_LEAVES, ~0ull);
	u64 va = 0xffffc90000000000ull;

	is_u64(pgtable_map(&pt, va + 2 * 4096, 0x9000, 4096, PAGE_KERNEL), 0, "map one page");
	is_u64(pgtable_map(&pt, va, 0x1000, 3 * 4096, PAGE_KERNEL), -PT_EEXIST, "overlap refused");
	check_unmapped(&pt, va);
	check_unmapped(&pt, va + 4096);
	check_xlate(&pt, va + 2 * 4096, 0x9000, 1, PAGE_KERNEL);
	is_u64(pgtable_map(&pt, 0, 0, 2 * MiB, PAGE_KERNEL), 0, "2 MiB leaf at 0");
	is_u64(pgtable_map(&pt, 4096, 4096, 4096, PAGE_KERNEL), -PT_EEXIST, "page inside a leaf");
	sim_fail_alloc = true;
	is_u64(pgtable_map(&pt, 512 * GiB, 0, 4096, PAGE_KERNEL), -PT_ENOMEM, "out of tables");
	sim_fail_alloc = false;
	is_u64(pt.nr_tables, 6, "failed maps leave the table count alone");
	end_pt(&pt, "eexist rollback");
}

/* Unmapping one page out of a 1 GiB leaf splits it twice and keeps the rest. */
static void test_split(void)
{
	struct pgtable pt = new_pt(4, ALL_LEAVES, ~0ull);
	struct pgtable_stats st;
	u64 hole = GiB + 300 * MiB + 5 * 4096;

	is_u64(pgtable_map(&pt, GiB, 2 * GiB, GiB, PAGE_KERNEL_RO), 0, "map a 1 GiB leaf");
	is_u64(pgtable_unmap(&pt, hole, 4096), 0, "unmap a page inside it");
	pgtable_stats(&pt, &st);
	is_u64(st.leaves[3], 0, "the 1 GiB leaf is gone");
	is_u64(st.leaves[2], 511, "511 2 MiB leaves remain");
	is_u64(st.leaves[1], 511, "511 4 KiB leaves remain");
	check_unmapped(&pt, hole);
	check_xlate(&pt, hole - 1, 2 * GiB + (hole - GiB) - 1, 1, PAGE_KERNEL_RO);
	check_xlate(&pt, hole + 4096, 2 * GiB + (hole - GiB) + 4096, 1, PAGE_KERNEL_RO);
	check_xlate(&pt, GiB + 5, 2 * GiB + 5, 2, PAGE_KERNEL_RO);
	is_u64(pgtable_unmap(&pt, GiB, GiB), 0, "unmap the rest");
	is_u64(pt.nr_tables, 1, "split tables freed");
	end_pt(&pt, "split");
}

/*
 * pgtable_split_4k() (mm/exclusive.c's keys need a 4 KiB entry): a 1 GiB
 * leaf becomes 512 x 2 MiB, one of them 512 x 4 KiB, the same frames and
 * rights everywhere, two tables more; a second split there makes nothing;
 * a key set in the 4 KiB entry changes neither frame nor rights.
 */
static void test_split_4k(void)
{
	struct pgtable pt = new_pt(4, ALL_LEAVES, ~0ull);
	struct pgtable_stats st;
	u64 va = GiB + 300 * MiB + 5 * 4096, *e;
	size_t tables;
	unsigned int level = 0;

	is_u64(pgtable_map(&pt, GiB, 2 * GiB, GiB, PAGE_KERNEL), 0, "map a 1 GiB leaf");
	tables = pt.nr_tables;
	is_u64(pgtable_split_4k(&pt, va), 0, "split it down to 4 KiB at one page");
	is_u64(pt.nr_tables, tables + 2, "two tables: one PMD, one PTE");
	pgtable_stats(&pt, &st);
	ok(st.leaves[3] == 0 && st.leaves[2] == 511 && st.leaves[1] == 512,
	   "0 x 1G, 511 x 2M, 512 x 4K leaves");
	check_xlate(&pt, va, 2 * GiB + (va - GiB), 1, PAGE_KERNEL);
	check_xlate(&pt, va + 4096, 2 * GiB + (va - GiB) + 4096, 1, PAGE_KERNEL);
	check_xlate(&pt, GiB + 5, 2 * GiB + 5, 2, PAGE_KERNEL);
	check_xlate(&pt, 2 * GiB - 1, 3 * GiB - 1, 2, PAGE_KERNEL);
	is_u64(pgtable_split_4k(&pt, va + 8192), 0, "a neighbour: already 4 KiB");
	is_u64(pt.nr_tables, tables + 2, "no table more");
	e = pgtable_leaf_entry(&pt, va, &level);
	ok(e && level == 1, "pgtable_leaf_entry() finds the 4 KiB entry");
	*e = arch_pte_set_pkey(*e, 5);
	ok(arch_pte_pkey(*e) == 5, "a key in bits 62:59");
	check_xlate(&pt, va, 2 * GiB + (va - GiB), 1, PAGE_KERNEL);
	ok(pgtable_split_4k(&pt, 4 * GiB) == -PT_EINVAL && !pgtable_leaf_entry(&pt, 4 * GiB, NULL),
	   "nothing mapped there: -PT_EINVAL, no entry");
	is_u64(pgtable_unmap(&pt, GiB, GiB), 0, "unmap it all");
	end_pt(&pt, "split_4k");
}

/* Without EFER.NXE the NX bit is reserved: the mask must keep it out. */
static void test_pte_mask(void)
{
	struct pgtable pt = new_pt(4, ALL_LEAVES, ~_PAGE_NX);
	unsigned int prot = 0;

	is_u64(pgtable_map(&pt, 0x1000, 0x1000, 4096, PAGE_KERNEL), 0, "map without NX");
	ok(pgtable_translate(&pt, 0x1000, NULL, &prot, NULL) && (prot & VM_EXEC),
	   "no NX bit written when the CPU lacks NX");
	end_pt(&pt, "pte mask");
}

/* 5-level paging: 57-bit addresses are canonical, and PT_LEVEL 5 is the root. */
static void test_five_levels(void)
{
	struct pgtable pt = new_pt(5, ALL_LEAVES, ~0ull);
	u64 va = 0xff11000000000000ull;

	ok(!pgtable_canonical(4, va) && pgtable_canonical(5, va), "canonical only with LA57");
	is_u64(pgtable_map(&pt, va, 0x7000, 4096, PAGE_KERNEL), 0, "map a 57-bit address");
	check_xlate(&pt, va + 1, 0x7001, 1, PAGE_KERNEL);
	is_u64(pt.nr_tables, 5, "root + 4 tables");
	end_pt(&pt, "five levels");
}

struct walk_check {
	u64 prev;
	unsigned long n;
	bool ascending;
};

static int walk_cb(void *arg, u64 va, phys_addr_t pa, u64 size, unsigned int prot,
		   unsigned int level)
{
	struct walk_check *w = arg;

	(void)pa, (void)prot, (void)level, (void)size;
	if (w->n++ && va <= w->prev)
		w->ascending = false;
	w->prev = va;
	return 0;
}

/* Random non-overlapping ranges against a model; every translation agrees. */
#define NR_RANGES 64
struct model_range {
	u64 va, pa, size;
	unsigned int prot;
};

static u64 rnd(u64 *s)
{
	*s ^= *s << 13, *s ^= *s >> 7, *s ^= *s << 17;
	return *s;
}

static unsigned int model_build(struct pgtable *pt, struct model_range *m, u64 *seed)
{
	static const unsigned int prots[] = { PAGE_KERNEL, PAGE_KERNEL_RO, PAGE_KERNEL_ROX,
					      PAGE_KERNEL_NOCACHE };
	unsigned int n = 0;

	for (unsigned int i = 0; i < NR_RANGES; i++) {
		/* Slot i: its own 4 GiB window, half of them in the upper half. */
		u64 base = (i & 1 ? 0xffff800000000000ull : 0) + (u64)(i / 2) * 4 * GiB;
		u64 off = (rnd(seed) % 1024) * 4096, size = (1 + rnd(seed) % 1200) * 4096;
		u64 pa = (rnd(seed) % (1ull << 20)) * 4096 + off % (2 * MiB);

		if (rnd(seed) % 3 == 0) /* huge-friendly: congruent and long */
			off = 0, pa = 2 * MiB * (1 + rnd(seed) % 1000), size = 4 * MiB + 4096;
		m[n] = (struct model_range){ base + off, pa, size, prots[rnd(seed) % 4] };
		if (pgtable_map(pt, m[n].va, m[n].pa, m[n].size, m[n].prot) == 0)
			n++;
	}
	return n;
}

static void test_random_model(u64 seed)
{
	struct pgtable pt = new_pt(4, ALL_LEAVES, ~0ull);
	struct model_range m[NR_RANGES];
	struct walk_check w = { .ascending = true };
	unsigned int n = model_build(&pt, m, &seed), bad = 0;

	is_u64(n, NR_RANGES, "random model: every range mapped");
	for (unsigned int k = 0; k < 20000; k++) {
		const struct model_range *r = &m[rnd(&seed) % n];
		u64 off = rnd(&seed) % (r->size + 8192) - 4096;
		phys_addr_t pa;
		unsigned int prot;
		bool found = pgtable_translate(&pt, r->va + off, &pa, &prot, NULL);
		bool inside = off < r->size;

		bad += found != inside || (inside && (pa != r->pa + off || prot != r->prot));
	}
	is_u64(bad, 0, "random model: 20000 translations agree with the model");
	pgtable_walk(&pt, walk_cb, &w);
	ok(w.ascending && w.n > 0, "walk yields leaves in ascending (canonical) order");
	for (unsigned int i = 0; i < n; i++)
		bad += pgtable_unmap(&pt, m[i].va, m[i].size) != 0;
	is_u64(bad, 0, "random model: every range unmapped");
	is_u64(pt.nr_tables, 1, "random model: only the root remains");
	ok(sim_flushes > 0, "unmaps flushed the TLB");
	end_pt(&pt, "random model");
}

int main(int argc, char **argv)
{
	u64 seed = test_seed(argc, argv) | 1;

	sim_mem = aligned_alloc(4096, SIM_PAGES * 4096ul);
	test_huge_selection();
	test_no_gbpages();
	test_cross_boundaries();
	test_top_of_address_space();
	test_bad_ranges();
	test_eexist_rollback();
	test_split();
	test_split_4k();
	test_pte_mask();
	test_five_levels();
	test_random_model(seed);
	free(sim_mem);
	return done_testing();
}
