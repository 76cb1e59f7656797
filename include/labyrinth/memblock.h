/*
 * memblock.h - the early allocator (mm/memblock.c), Linux's memblock in
 * miniature: two sorted lists of physical ranges, "memory" (all RAM the
 * kernel may use) and "reserved" (what is taken: the kernel, metadata, boot
 * allocations). Free memory is memory minus reserved. Allocations are
 * top-down below memblock.current_limit (4 GiB until the direct map exists:
 * only that much is identity-mapped at boot). memblock_free_all() hands
 * every free range to the buddy allocator (mm/buddy.c), after which memblock
 * is closed.
 */
#ifndef LABYRINTH_MEMBLOCK_H
#define LABYRINTH_MEMBLOCK_H

#include <labyrinth/types.h>

#define MEMBLOCK_MAX_REGIONS 1024
#define MEMBLOCK_DEFAULT_LIMIT (4ull << 30)

struct memblock_region {
	phys_addr_t base;
	phys_addr_t size;
};

struct memblock_type {
	u32 cnt;
	u32 max;
	phys_addr_t total_size;
	struct memblock_region *regions;
	const char *name;
};

struct memblock {
	phys_addr_t current_limit;
	bool closed; /* after memblock_free_all(): the buddy allocator owns RAM */
	struct memblock_type memory;
	struct memblock_type reserved;
};

extern struct memblock memblock;

void memblock_reset(void);
int memblock_add(phys_addr_t base, phys_addr_t size);
int memblock_reserve(phys_addr_t base, phys_addr_t size);
void memblock_phys_free(phys_addr_t base, phys_addr_t size);
void memblock_remove(phys_addr_t base, phys_addr_t size);
void memblock_set_current_limit(phys_addr_t limit);
/* 0 on failure. Top-down, within [start, end) and below current_limit. */
phys_addr_t memblock_phys_alloc_range(phys_addr_t size, phys_addr_t align, phys_addr_t start,
				      phys_addr_t end);
phys_addr_t memblock_phys_alloc(phys_addr_t size, phys_addr_t align);
void *memblock_alloc(phys_addr_t size, phys_addr_t align);     /* zeroed */
void *memblock_alloc_raw(phys_addr_t size, phys_addr_t align); /* not zeroed */
bool memblock_is_memory(phys_addr_t addr);
bool memblock_is_reserved(phys_addr_t addr);
phys_addr_t memblock_start_of_DRAM(void);
phys_addr_t memblock_end_of_DRAM(void);
/* Calls fn for each maximal free range [start, end), ascending. */
void memblock_for_each_free_range(void (*fn)(phys_addr_t start, phys_addr_t end, void *arg),
				  void *arg);
/* Hands all free memory to the buddy allocator; returns the pages freed. */
unsigned long memblock_free_all(void);
void memblock_dump_all(void);

#endif
