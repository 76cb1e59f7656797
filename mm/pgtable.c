/*
 * pgtable.c - the generic page-table builder and walker: map a range with
 * the largest pages it allows, unmap (splitting huge pages at the edges and
 * freeing tables that become empty), translate, and walk the leaves in
 * address order.
 *
 * Plain C over the entry format of <asm/pgtable.h>; tables come from and
 * return to pt->ops, and are reached through ops->table(), so the same code
 * builds the kernel's tables (mm/vm.c, the policy) and simulated ones in
 * tests/host/test_pgtable.c.
 *
 * Ranges are carried as [va, last] with last inclusive, so that a range
 * ending at the very top of the address space (last = 2^64 - 1) needs no
 * end address that would wrap to 0.
 */
#include <labyrinth/compiler.h>
#include <labyrinth/pgtable.h>
#include <labyrinth/printk.h>
#include <labyrinth/string.h>

/* One step of a walk: the leaf size at a level and the index of va in it. */
static inline unsigned int pt_index(u64 va, unsigned int level)
{
	return (va >> PT_LEVEL_SHIFT(level)) & (PT_ENTRIES - 1);
}

/* The last byte covered by the entry holding va at this level. */
static inline u64 entry_last(u64 va, unsigned int level)
{
	return va | (PT_LEVEL_SIZE(level) - 1);
}

static inline u64 *table_of(const struct pgtable *pt, phys_addr_t pa)
{
	return pt->ops->table(pt->ctx, pa);
}

bool pgtable_canonical(unsigned int levels, u64 va)
{
	unsigned int bits = PT_LEVEL_SHIFT(levels) + 9; /* 48 or 57 */
	s64 sext = (s64)(va << (64 - bits)) >> (64 - bits);

	return (u64)sext == va;
}

/* Sign-extends an address assembled from table indices. */
static u64 pt_canonicalize(const struct pgtable *pt, u64 va)
{
	unsigned int bits = PT_LEVEL_SHIFT(pt->levels) + 9;

	return (u64)((s64)(va << (64 - bits)) >> (64 - bits));
}

static phys_addr_t table_alloc(struct pgtable *pt)
{
	phys_addr_t pa = pt->ops->alloc(pt->ctx);

	if (pa) {
		memset(table_of(pt, pa), 0, PT_ENTRIES * sizeof(u64));
		pt->nr_tables++;
	}
	return pa;
}

int pgtable_init(struct pgtable *pt, unsigned int levels, unsigned int leaf_levels, u64 pte_mask,
		 const struct pgtable_ops *ops, void *ctx)
{
	if (levels < 2 || levels > PT_MAX_LEVELS)
		return -PT_EINVAL;
	*pt = (struct pgtable){ .levels = levels,
				.leaf_levels = leaf_levels | (1u << 1),
				.pte_mask = pte_mask,
				.ops = ops,
				.ctx = ctx };
	pt->root = table_alloc(pt);
	return pt->root ? 0 : -PT_ENOMEM;
}

/* ---- mapping ---- */

struct map_req {
	phys_addr_t pa; /* physical address for the current va */
	unsigned int prot;
	unsigned int max_level; /* largest leaf allowed by the caller */
	u64 mapped;		/* bytes mapped so far, for rollback */
};

/* True if [va, last] can be covered from va by one leaf at this level. */
static bool leaf_fits(const struct pgtable *pt, const struct map_req *r, unsigned int level, u64 va,
		      u64 last)
{
	u64 mask = PT_LEVEL_SIZE(level) - 1;

	if (level > r->max_level || !(pt->leaf_levels & (1u << level)))
		return false;
	return !(va & mask) && !(r->pa & mask) && last - va >= mask;
}

static int map_level(struct pgtable *pt, phys_addr_t table, unsigned int level, u64 va, u64 last,
		     struct map_req *r);

/* Maps [va, end] (inside one entry's span) below the entry *e. */
static int map_below(struct pgtable *pt, u64 *e, unsigned int level, u64 va, u64 end,
		     struct map_req *r)
{
	if (!arch_pte_present(*e)) {
		phys_addr_t t = table_alloc(pt);

		if (!t)
			return -PT_ENOMEM;
		*e = arch_pte_mktable(t) & pt->pte_mask;
	} else if (arch_pte_is_leaf(*e, level)) {
		return -PT_EEXIST;
	}
	return map_level(pt, arch_pte_addr(*e, level), level - 1, va, end, r);
}

static int map_level(struct pgtable *pt, phys_addr_t table, unsigned int level, u64 va, u64 last,
		     struct map_req *r)
{
	u64 *t = table_of(pt, table);

	for (;;) {
		u64 *e = &t[pt_index(va, level)];
		u64 end = min(last, entry_last(va, level));
		int err = 0;

		if (leaf_fits(pt, r, level, va, end)) {
			if (arch_pte_present(*e))
				return -PT_EEXIST;
			*e = arch_pte_mkleaf(r->pa, r->prot, level) & pt->pte_mask;
			r->pa += PT_LEVEL_SIZE(level);
			r->mapped += PT_LEVEL_SIZE(level);
		} else {
			err = map_below(pt, e, level, va, end, r);
		}
		if (err || end == last)
			return err;
		va = end + 1;
	}
}

/* Page-aligned, non-empty, canonical at both ends, not wrapping past 2^64. */
static bool range_ok(const struct pgtable *pt, u64 va, u64 size)
{
	u64 last = va + size - 1;

	if (!size || (va | size) & (PT_LEVEL_SIZE(1) - 1) || last < va)
		return false;
	if (!pgtable_canonical(pt->levels, va) || !pgtable_canonical(pt->levels, last))
		return false;
	/* Both ends canonical but in opposite halves: the range spans the hole. */
	return ((s64)va < 0) == ((s64)last < 0);
}

int pgtable_map_max(struct pgtable *pt, u64 va, phys_addr_t pa, u64 size, unsigned int prot,
		    unsigned int max_level)
{
	struct map_req r = { .pa = pa, .prot = prot, .max_level = max_level };
	int err;

	if (!range_ok(pt, va, size) || (pa & (PT_LEVEL_SIZE(1) - 1)))
		return -PT_EINVAL;
	err = map_level(pt, pt->root, pt->levels, va, va + size - 1, &r);
	if (err && r.mapped)
		pgtable_unmap(pt, va, r.mapped); /* leave no half-made mapping */
	else if (!err && pt->ops->flush)
		pt->ops->flush(pt->ctx, va, size); /* no stale "not present" walk caches */
	return err;
}

int pgtable_map(struct pgtable *pt, u64 va, phys_addr_t pa, u64 size, unsigned int prot)
{
	return pgtable_map_max(pt, va, pa, size, prot, PT_MAX_LEVELS);
}

/* ---- unmapping ---- */

/*
 * Tables emptied by an unmap are unhooked at once but freed only after the
 * TLB flush, so no CPU can still walk through a page that is being reused.
 * The list is threaded through the (already zero) tables' first entry.
 */
struct unmap_req {
	phys_addr_t free_list;
	int err;
};

static bool table_empty(const u64 *t)
{
	for (unsigned int i = 0; i < PT_ENTRIES; i++)
		if (t[i])
			return false;
	return true;
}

/* Replaces the huge leaf *e by a table of next-level leaves with the same mapping. */
static int split_leaf(struct pgtable *pt, u64 *e, unsigned int level)
{
	phys_addr_t t = table_alloc(pt), pa = arch_pte_addr(*e, level);
	unsigned int prot = arch_pte_prot(*e);
	u64 *nt;

	if (!t)
		return -PT_ENOMEM;
	nt = table_of(pt, t);
	for (unsigned int i = 0; i < PT_ENTRIES; i++)
		nt[i] = arch_pte_mkleaf(pa + i * PT_LEVEL_SIZE(level - 1), prot, level - 1) &
			pt->pte_mask;
	*e = arch_pte_mktable(t) & pt->pte_mask;
	return 0;
}

static void unmap_level(struct pgtable *pt, phys_addr_t table, unsigned int level, u64 va, u64 last,
			struct unmap_req *r);

/* Unmaps [va, end] (inside the span of *e); unhooks the table below if it empties. */
static void unmap_entry(struct pgtable *pt, u64 *e, unsigned int level, u64 va, u64 end,
			struct unmap_req *r)
{
	bool whole = !(va & (PT_LEVEL_SIZE(level) - 1)) && end == entry_last(va, level);
	phys_addr_t below;

	if (!arch_pte_present(*e))
		return;
	if (arch_pte_is_leaf(*e, level) && (whole || level == 1)) {
		*e = 0;
		return;
	}
	if (arch_pte_is_leaf(*e, level) && (r->err = split_leaf(pt, e, level)))
		return;
	below = arch_pte_addr(*e, level);
	unmap_level(pt, below, level - 1, va, end, r);
	if (table_empty(table_of(pt, below))) {
		*e = 0;
		table_of(pt, below)[0] = r->free_list;
		r->free_list = below;
	}
}

static void unmap_level(struct pgtable *pt, phys_addr_t table, unsigned int level, u64 va, u64 last,
			struct unmap_req *r)
{
	u64 *t = table_of(pt, table);

	for (;;) {
		u64 end = min(last, entry_last(va, level));

		unmap_entry(pt, &t[pt_index(va, level)], level, va, end, r);
		if (r->err || end == last)
			return;
		va = end + 1;
	}
}

int pgtable_unmap(struct pgtable *pt, u64 va, u64 size)
{
	struct unmap_req r = { 0 };

	if (!range_ok(pt, va, size))
		return -PT_EINVAL;
	unmap_level(pt, pt->root, pt->levels, va, va + size - 1, &r);
	if (pt->ops->flush)
		pt->ops->flush(pt->ctx, va, size);
	while (r.free_list) {
		phys_addr_t next = table_of(pt, r.free_list)[0];

		table_of(pt, r.free_list)[0] = 0;
		pt->ops->free(pt->ctx, r.free_list);
		pt->nr_tables--;
		r.free_list = next;
	}
	return r.err;
}

/* ---- lookups and walks ---- */

bool pgtable_translate(const struct pgtable *pt, u64 va, phys_addr_t *pa, unsigned int *prot,
		       unsigned int *level)
{
	phys_addr_t table = pt->root;

	if (!pgtable_canonical(pt->levels, va))
		return false;
	for (unsigned int l = pt->levels; l >= 1; l--) {
		u64 e = table_of(pt, table)[pt_index(va, l)];

		if (!arch_pte_present(e))
			return false;
		if (arch_pte_is_leaf(e, l)) {
			if (pa)
				*pa = arch_pte_addr(e, l) | (va & (PT_LEVEL_SIZE(l) - 1));
			if (prot)
				*prot = arch_pte_prot(e);
			if (level)
				*level = l;
			return true;
		}
		table = arch_pte_addr(e, l);
	}
	return false;
}

/* The entry that maps va (a leaf at *level), or NULL when nothing does. */
u64 *pgtable_leaf_entry(const struct pgtable *pt, u64 va, unsigned int *level)
{
	phys_addr_t table = pt->root;

	if (!pgtable_canonical(pt->levels, va))
		return NULL;
	for (unsigned int l = pt->levels; l >= 1; l--) {
		u64 *e = &table_of(pt, table)[pt_index(va, l)];

		if (!arch_pte_present(*e))
			return NULL;
		if (arch_pte_is_leaf(*e, l)) {
			if (level)
				*level = l;
			return e;
		}
		table = arch_pte_addr(*e, l);
	}
	return NULL;
}

/*
 * Splits the huge leaves over va, level by level, until a 4 KiB leaf maps
 * it: the same translation and rights, one new table per level split
 * (split_leaf()). No TLB flush: other CPUs may keep the huge entry, which
 * stays correct until the caller changes one of the small ones.
 */
int pgtable_split_4k(struct pgtable *pt, u64 va)
{
	unsigned int level;
	u64 *e;
	int err;

	while ((e = pgtable_leaf_entry(pt, va, &level)) && level > 1)
		if ((err = split_leaf(pt, e, level)))
			return err;
	return e ? 0 : -PT_EINVAL;
}

struct walk_req {
	pgtable_leaf_fn fn;
	void *arg;
	size_t tables; /* tables visited, root included */
};

static int walk_level(const struct pgtable *pt, phys_addr_t table, unsigned int level, u64 base,
		      struct walk_req *w)
{
	const u64 *t = table_of(pt, table);
	int ret = 0;

	w->tables++;
	for (unsigned int i = 0; i < PT_ENTRIES && !ret; i++) {
		u64 va = base + ((u64)i << PT_LEVEL_SHIFT(level));

		if (!arch_pte_present(t[i]))
			continue;
		if (level == pt->levels)
			va = pt_canonicalize(pt, va);
		if (arch_pte_is_leaf(t[i], level))
			ret = w->fn ? w->fn(w->arg, va, arch_pte_addr(t[i], level),
					    PT_LEVEL_SIZE(level), arch_pte_prot(t[i]), level)
				    : 0;
		else
			ret = walk_level(pt, arch_pte_addr(t[i], level), level - 1, va, w);
	}
	return ret;
}

int pgtable_walk(const struct pgtable *pt, pgtable_leaf_fn fn, void *arg)
{
	struct walk_req w = { .fn = fn, .arg = arg };

	return walk_level(pt, pt->root, pt->levels, 0, &w);
}

static int stats_leaf(void *arg, u64 va, phys_addr_t pa, u64 size, unsigned int prot,
		      unsigned int level)
{
	struct pgtable_stats *st = arg;

	(void)va, (void)pa, (void)prot;
	st->leaves[level]++;
	st->bytes[level] += size;
	return 0;
}

void pgtable_stats(const struct pgtable *pt, struct pgtable_stats *st)
{
	struct walk_req w = { .fn = stats_leaf, .arg = st };

	memset(st, 0, sizeof(*st));
	walk_level(pt, pt->root, pt->levels, 0, &w);
	st->tables = w.tables;
}

static void destroy_level(struct pgtable *pt, phys_addr_t table, unsigned int level)
{
	u64 *t = table_of(pt, table);

	for (unsigned int i = 0; i < PT_ENTRIES && level > 1; i++)
		if (arch_pte_present(t[i]) && !arch_pte_is_leaf(t[i], level))
			destroy_level(pt, arch_pte_addr(t[i], level), level - 1);
	pt->ops->free(pt->ctx, table);
	pt->nr_tables--;
}

void pgtable_destroy(struct pgtable *pt)
{
	if (pt->root)
		destroy_level(pt, pt->root, pt->levels);
	pt->root = 0;
}
