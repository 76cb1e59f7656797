/*
 * memblock.c - the early allocator: sorted lists of physical ranges.
 *
 * mm/init.c fills memblock.memory from the normalized map (mm/memmap.c) and
 * memblock.reserved with what the kernel already uses; mm/sparse.c then
 * allocates the struct page arrays here, and memblock_free_all() gives every
 * range that is memory but not reserved to the buddy allocator
 * (free_boot_range() in mm/buddy.c). After that memblock is closed.
 *
 * Invariant of both lists: regions sorted by base, none overlapping or
 * touching (touching regions are merged), none empty. Every operation is
 * O(regions); there are few, and this runs once.
 */
#define pr_fmt(fmt) "mm: " fmt

#include <labyrinth/memblock.h>
#include <labyrinth/mm.h>
#include <labyrinth/mmzone.h>
#include <labyrinth/printk.h>
#include <labyrinth/string.h>

#include "mm/internal.h"

static struct memblock_region memory_regions[MEMBLOCK_MAX_REGIONS];
static struct memblock_region reserved_regions[MEMBLOCK_MAX_REGIONS];

struct memblock memblock = {
	.current_limit = MEMBLOCK_DEFAULT_LIMIT,
	.memory = { 0, MEMBLOCK_MAX_REGIONS, 0, memory_regions, "memory" },
	.reserved = { 0, MEMBLOCK_MAX_REGIONS, 0, reserved_regions, "reserved" },
};

static inline phys_addr_t rend(const struct memblock_region *r)
{
	return r->base + r->size;
}

void memblock_reset(void)
{
	memblock.memory.cnt = memblock.reserved.cnt = 0;
	memblock.memory.regions = memory_regions;
	memblock.reserved.regions = reserved_regions;
	memblock.memory.max = memblock.reserved.max = MEMBLOCK_MAX_REGIONS;
	memblock.memory.total_size = memblock.reserved.total_size = 0;
	memblock.current_limit = MEMBLOCK_DEFAULT_LIMIT;
	memblock.closed = false;
}

static phys_addr_t find_in_range_top_down(phys_addr_t size, phys_addr_t align, phys_addr_t start,
					  phys_addr_t end);
static int memblock_insert(struct memblock_type *t, phys_addr_t base, phys_addr_t end);
static void memblock_remove_range(struct memblock_type *t, phys_addr_t base, phys_addr_t end);

/*
 * Linux's memblock_double_array(): a full list moves to an array twice its
 * size, found top-down in memory already known (memory minus reserved,
 * below current_limit, so addressable now) and away from [base, end), the
 * range being added (not yet reserved when t is the reserved list); then
 * the new array reserves itself. The first arrays are static; a replaced
 * array from memblock is given back. Returns 0, or -1 if no room.
 */
static int memblock_double_array(struct memblock_type *t, phys_addr_t base, phys_addr_t end)
{
	phys_addr_t old_size = t->max * sizeof(*t->regions), new_size = 2 * old_size, pa;
	struct memblock_region *old = t->regions;
	bool old_static = old == memory_regions || old == reserved_regions;

	pa = find_in_range_top_down(new_size, PAGE_SIZE, PAGE_SIZE,
				    min(base, memblock.current_limit));
	if (!pa)
		pa = find_in_range_top_down(new_size, PAGE_SIZE, end, memblock.current_limit);
	if (!pa) {
		pr_err("memblock: %s list full (%u regions) and no room to grow it\n", t->name,
		       t->max);
		return -1;
	}
	memcpy(__va(pa), old, t->cnt * sizeof(*old));
	t->regions = __va(pa);
	t->max *= 2;
	pr_info("memblock: %s list grown to %u regions at [mem 0x%llx-0x%llx]\n", t->name, t->max,
		(unsigned long long)pa, (unsigned long long)(pa + new_size - 1));
	if (memblock_insert(&memblock.reserved, pa, pa + new_size))
		return -1;
	if (!old_static)
		memblock_remove_range(&memblock.reserved, __pa(old), __pa(old) + old_size);
	return 0;
}

/* Inserts [base, end), merging every region it overlaps or touches. */
static int memblock_insert(struct memblock_type *t, phys_addr_t base, phys_addr_t end)
{
	struct memblock_region *r = t->regions;
	u32 i = 0, j;

	if (WARN_ON(memblock.closed) || base >= end)
		return -1;
	while (i < t->cnt && rend(&r[i]) < base)
		i++;
	for (j = i; j < t->cnt && r[j].base <= end; j++) {
		base = min(base, r[j].base);
		end = max(end, rend(&r[j]));
	}
	if (j == i) { /* no neighbour: a new region at i */
		if (t->cnt >= t->max) {
			if (memblock_double_array(t, base, end)) {
				pr_err("memblock: %s list full, [mem 0x%llx-0x%llx] lost\n",
				       t->name, (unsigned long long)base,
				       (unsigned long long)end - 1);
				return -1;
			}
			return memblock_insert(t, base, end); /* the array moved */
		}
		memmove(&r[i + 1], &r[i], (t->cnt - i) * sizeof(*r));
		t->cnt++;
	} else if (j > i + 1) { /* regions i..j-1 collapse into i */
		memmove(&r[i + 1], &r[j], (t->cnt - j) * sizeof(*r));
		t->cnt -= j - i - 1;
	}
	r[i].base = base;
	r[i].size = end - base;
	t->total_size = 0;
	for (j = 0; j < t->cnt; j++)
		t->total_size += r[j].size;
	return 0;
}

/* Removes [base, end) from a list, splitting a region if needed. */
static void memblock_remove_range(struct memblock_type *t, phys_addr_t base, phys_addr_t end)
{
	struct memblock_region *r = t->regions;
	u32 i;

	for (i = 0; i < t->cnt; i++) {
		phys_addr_t rb = r[i].base, re = rend(&r[i]);

		if (re <= base || rb >= end)
			continue;
		if (rb < base && re > end) { /* split in two */
			if (t->cnt >= t->max)
				return;
			memmove(&r[i + 1], &r[i], (t->cnt - i) * sizeof(*r));
			t->cnt++;
			r[i].size = base - rb;
			r[i + 1].base = end;
			r[i + 1].size = re - end;
			t->total_size -= end - base;
			return;
		}
		t->total_size -= min(re, end) - max(rb, base);
		if (rb < base) {
			r[i].size = base - rb;
		} else if (re > end) {
			r[i].base = end;
			r[i].size = re - end;
		} else { /* wholly inside: drop */
			memmove(&r[i], &r[i + 1], (t->cnt - i - 1) * sizeof(*r));
			t->cnt--;
			i--;
		}
	}
}

int memblock_add(phys_addr_t base, phys_addr_t size)
{
	return memblock_insert(&memblock.memory, base, base + size);
}

int memblock_reserve(phys_addr_t base, phys_addr_t size)
{
	return memblock_insert(&memblock.reserved, base, base + size);
}

void memblock_phys_free(phys_addr_t base, phys_addr_t size)
{
	memblock_remove_range(&memblock.reserved, base, base + size);
}

void memblock_remove(phys_addr_t base, phys_addr_t size)
{
	memblock_remove_range(&memblock.memory, base, base + size);
	memblock_remove_range(&memblock.reserved, base, base + size);
}

void memblock_set_current_limit(phys_addr_t limit)
{
	memblock.current_limit = limit;
}

/* The highest reserved region overlapping [base, end), or NULL. */
static const struct memblock_region *reserved_overlap(phys_addr_t base, phys_addr_t end)
{
	const struct memblock_type *t = &memblock.reserved;
	u32 i;

	for (i = t->cnt; i-- > 0;)
		if (t->regions[i].base < end && rend(&t->regions[i]) > base)
			return &t->regions[i];
	return NULL;
}

/* Top-down: the highest aligned [cand, cand+size) free in [start, end). */
static phys_addr_t find_in_range_top_down(phys_addr_t size, phys_addr_t align, phys_addr_t start,
					  phys_addr_t end)
{
	const struct memblock_type *mem = &memblock.memory;
	u32 i;

	for (i = mem->cnt; i-- > 0;) {
		phys_addr_t lo = max(mem->regions[i].base, start);
		phys_addr_t hi = min(rend(&mem->regions[i]), end);

		while (hi > lo && hi - lo >= size) {
			phys_addr_t cand = ALIGN_DOWN(hi - size, align);
			const struct memblock_region *r;

			if (cand < lo)
				break;
			r = reserved_overlap(cand, cand + size);
			if (!r)
				return cand;
			hi = r->base; /* try below the obstacle */
		}
	}
	return 0;
}

phys_addr_t memblock_phys_alloc_range(phys_addr_t size, phys_addr_t align, phys_addr_t start,
				      phys_addr_t end)
{
	phys_addr_t pa;

	if (WARN_ON(memblock.closed) || !size)
		return 0;
	if (!align)
		align = PAGE_SIZE;
	end = min(end, memblock.current_limit);
	start = max(start, (phys_addr_t)PAGE_SIZE); /* 0 means failure */
	size = ALIGN(size, PAGE_SIZE);
	pa = find_in_range_top_down(size, align, start, end);
	if (pa && memblock_reserve(pa, size))
		return 0;
	if (!pa)
		pr_err("memblock: cannot allocate %llu bytes below 0x%llx\n",
		       (unsigned long long)size, (unsigned long long)end);
	return pa;
}

phys_addr_t memblock_phys_alloc(phys_addr_t size, phys_addr_t align)
{
	return memblock_phys_alloc_range(size, align, 0, ~0ull);
}

void *memblock_alloc_raw(phys_addr_t size, phys_addr_t align)
{
	phys_addr_t pa = memblock_phys_alloc(size, align);

	return pa ? __va(pa) : NULL;
}

void *memblock_alloc(phys_addr_t size, phys_addr_t align)
{
	void *p = memblock_alloc_raw(size, align);

	if (p)
		memset(p, 0, size);
	return p;
}

static bool type_contains(const struct memblock_type *t, phys_addr_t addr)
{
	u32 i;

	for (i = 0; i < t->cnt; i++)
		if (addr >= t->regions[i].base && addr < rend(&t->regions[i]))
			return true;
	return false;
}

bool memblock_is_memory(phys_addr_t addr)
{
	return type_contains(&memblock.memory, addr);
}

bool memblock_is_reserved(phys_addr_t addr)
{
	return type_contains(&memblock.reserved, addr);
}

phys_addr_t memblock_start_of_DRAM(void)
{
	return memblock.memory.cnt ? memblock.memory.regions[0].base : 0;
}

phys_addr_t memblock_end_of_DRAM(void)
{
	const struct memblock_type *t = &memblock.memory;

	return t->cnt ? rend(&t->regions[t->cnt - 1]) : 0;
}

/* Memory minus reserved, as a merge of the two sorted lists. */
void memblock_for_each_free_range(void (*fn)(phys_addr_t start, phys_addr_t end, void *arg),
				  void *arg)
{
	const struct memblock_type *mem = &memblock.memory, *res = &memblock.reserved;
	u32 i, j = 0;

	for (i = 0; i < mem->cnt; i++) {
		phys_addr_t cur = mem->regions[i].base, end = rend(&mem->regions[i]);

		while (j < res->cnt && rend(&res->regions[j]) <= cur)
			j++;
		for (; j < res->cnt && res->regions[j].base < end; j++) {
			if (res->regions[j].base > cur)
				fn(cur, res->regions[j].base, arg);
			cur = max(cur, rend(&res->regions[j]));
			if (rend(&res->regions[j]) > end)
				break; /* this reserved region reaches into the next memory */
		}
		if (cur < end)
			fn(cur, end, arg);
	}
}

struct free_range_list {
	u32 nr, dropped;
	struct memblock_region r[2 * MEMBLOCK_MAX_REGIONS];
};
static struct free_range_list free_ranges;

static void collect_range(phys_addr_t start, phys_addr_t end, void *arg)
{
	struct free_range_list *l = arg;

	start = PAGE_ALIGN(start);
	end = ALIGN_DOWN(end, PAGE_SIZE);
	if (start < end && l->nr < ARRAY_SIZE(l->r))
		l->r[l->nr++] = (struct memblock_region){ start, end - start };
	else if (start < end)
		l->dropped++;
}

/*
 * Frees ranges from the highest down, so that blocks pushed at the head of
 * each free list end up in ascending address order (allocations then start
 * from low memory, like Linux's FPI_TO_TAIL for boot memory).
 */
unsigned long memblock_free_all(void)
{
	unsigned long pages = 0;
	u32 i;

	free_ranges.nr = free_ranges.dropped = 0;
	memblock_for_each_free_range(collect_range, &free_ranges);
	if (free_ranges.dropped)
		pr_warn("memblock: %u free ranges beyond %zu not given to the buddy allocator\n",
			free_ranges.dropped, ARRAY_SIZE(free_ranges.r));
	for (i = free_ranges.nr; i-- > 0;) {
		unsigned long s = PFN_DOWN(free_ranges.r[i].base);
		unsigned long e = s + PFN_DOWN(free_ranges.r[i].size);

		free_boot_range(s, e);
		pages += e - s;
	}
	memblock.closed = true;
	return pages;
}

void memblock_dump_all(void)
{
	const struct memblock_type *types[] = { &memblock.memory, &memblock.reserved };
	u32 t, i;

	for (t = 0; t < 2; t++) {
		pr_info("memblock: %s: %u regions, 0x%llx bytes\n", types[t]->name, types[t]->cnt,
			(unsigned long long)types[t]->total_size);
		for (i = 0; i < types[t]->cnt; i++)
			pr_info("memblock:  %s[%u] [mem 0x%016llx-0x%016llx]\n", types[t]->name, i,
				(unsigned long long)types[t]->regions[i].base,
				(unsigned long long)rend(&types[t]->regions[i]) - 1);
	}
}
