/*
 * pgtable.h - the generic page-table builder and walker (mm/pgtable.c).
 *
 * mm/pgtable.c builds, walks and tears down a radix tree of page tables in
 * plain C; it never touches a CPU register, so the same code runs in the
 * kernel and in host tests over simulated physical memory
 * (tests/host/test_pgtable.c). The entry format (which bit means what, which
 * levels may hold a leaf) comes from <asm/pgtable.h>: the x86_64 one in
 * arch/x86_64/include/asm/, the host's in tests/host/include/asm/. The
 * kernel's mapping *policy* (direct map, kernel image, stacks, ioremap) is
 * mm/vm.c, over the API in <labyrinth/vm.h>.
 *
 * Levels count from the leaf: 1 = PTE (4 KiB), 2 = PMD (2 MiB), 3 = PUD
 * (1 GiB), 4 = P4D/PGD, 5 = PGD with 5-level paging. Each table is one 4 KiB
 * page of PT_ENTRIES 64-bit entries.
 */
#ifndef LABYRINTH_PGTABLE_H
#define LABYRINTH_PGTABLE_H

#include <labyrinth/types.h>

/*
 * Generic protection flags, what callers of map_page() and friends speak.
 * Every mapping is readable (VM_READ is 0, written for clarity); the arch
 * turns the rest into entry bits (asm/pgtable.h: arch_pte_mkleaf()).
 */
#define VM_READ 0u
#define VM_WRITE (1u << 0)   /* writable */
#define VM_EXEC (1u << 1)    /* executable (else NX when the CPU has NX) */
#define VM_USER (1u << 2)    /* reachable from user mode (the kernel never sets it) */
#define VM_NOCACHE (1u << 3) /* uncached: MMIO */
#define VM_GLOBAL (1u << 4)  /* survives CR3 reloads in the TLB */

#define PAGE_KERNEL (VM_WRITE | VM_GLOBAL)			/* data: RW NX */
#define PAGE_KERNEL_RO (VM_GLOBAL)				/* rodata: R NX */
#define PAGE_KERNEL_ROX (VM_EXEC | VM_GLOBAL)			/* text: R X */
#define PAGE_KERNEL_NOCACHE (VM_WRITE | VM_NOCACHE | VM_GLOBAL) /* MMIO: RW NX UC */

#define PT_ENTRIES 512
#define PT_MAX_LEVELS 5
#define PT_LEVEL_SHIFT(level) (12 + 9 * ((level)-1))
#define PT_LEVEL_SIZE(level) (1ull << PT_LEVEL_SHIFT(level))

/* Errors (negated, Linux's numbers). */
#define PT_ENOMEM 12 /* no page for a table */
#define PT_EBUSY 16  /* refused: a TLB shootdown is impossible now (mm/vm.c) */
#define PT_EEXIST 17 /* something is already mapped there */
#define PT_EINVAL 22 /* misaligned, empty, wrapping or non-canonical range */

/*
 * Where tables come from and how the builder reaches them. alloc returns the
 * physical address of a zeroed, page-aligned page, or 0 when out of memory
 * (physical page 0 is never a table). table returns a pointer through which
 * the table at pa can be read and written. flush invalidates the TLB for
 * [va, va + size) after live entries changed (NULL: tables not live yet).
 */
struct pgtable_ops {
	phys_addr_t (*alloc)(void *ctx);
	void (*free)(void *ctx, phys_addr_t pa);
	u64 *(*table)(void *ctx, phys_addr_t pa);
	void (*flush)(void *ctx, u64 va, u64 size);
};

/*
 * One address space. Invariants: root is a table at level `levels`; every
 * present non-leaf entry points at a table allocated through ops and holding
 * at least one present entry (emptied tables are freed, the root never);
 * nr_tables counts the tables reachable from root, root included.
 */
struct pgtable {
	phys_addr_t root;
	unsigned int levels;	  /* 4, or 5 with LA57 */
	unsigned int leaf_levels; /* bit L set: level L may hold leaves (bit 1 always) */
	u64 pte_mask;		  /* entry bits this CPU accepts (no NX without EFER.NXE) */
	const struct pgtable_ops *ops;
	void *ctx;
	size_t nr_tables;
};

/* Counters of a walk: leaves per level and tables, for ptdump's summary. */
struct pgtable_stats {
	u64 leaves[PT_MAX_LEVELS + 1]; /* [level] */
	u64 bytes[PT_MAX_LEVELS + 1];
	size_t tables;
};

/*
 * Called for each present leaf in ascending address order; returning
 * non-zero stops the walk. prot is the generic VM_* view of the entry.
 */
typedef int (*pgtable_leaf_fn)(void *arg, u64 va, phys_addr_t pa, u64 size, unsigned int prot,
			       unsigned int level);

int pgtable_init(struct pgtable *pt, unsigned int levels, unsigned int leaf_levels, u64 pte_mask,
		 const struct pgtable_ops *ops, void *ctx);
/* Maps [va, va+size) to [pa, pa+size), largest pages first; 0 or -PT_E*. */
int pgtable_map(struct pgtable *pt, u64 va, phys_addr_t pa, u64 size, unsigned int prot);
/* Like pgtable_map, but never uses a leaf larger than PT_LEVEL_SIZE(max_level). */
int pgtable_map_max(struct pgtable *pt, u64 va, phys_addr_t pa, u64 size, unsigned int prot,
		    unsigned int max_level);
/* Unmaps [va, va+size), splitting huge leaves that straddle an edge; 0 or -PT_E*. */
int pgtable_unmap(struct pgtable *pt, u64 va, u64 size);
/* Looks va up; on success fills what is asked for (NULL to skip). */
bool pgtable_translate(const struct pgtable *pt, u64 va, phys_addr_t *pa, unsigned int *prot,
		       unsigned int *level);
/* The leaf entry mapping va (its level in *level), or NULL: for callers that
 * change one entry's bits in place (mm/vm.c: vm_direct_pte()). */
u64 *pgtable_leaf_entry(const struct pgtable *pt, u64 va, unsigned int *level);
/* Splits huge leaves until va is mapped by a 4 KiB one, same mapping and
 * rights; no flush (the caller's); 0, -PT_ENOMEM, or -PT_EINVAL if unmapped. */
int pgtable_split_4k(struct pgtable *pt, u64 va);
int pgtable_walk(const struct pgtable *pt, pgtable_leaf_fn fn, void *arg);
void pgtable_stats(const struct pgtable *pt, struct pgtable_stats *st);
/* Frees every table, root included (host tests; the kernel's tables live forever). */
void pgtable_destroy(struct pgtable *pt);

/* True if va is canonical for this many levels (bits above the top sign-extend). */
bool pgtable_canonical(unsigned int levels, u64 va);

/*
 * What the arch tells the builder about this CPU (arch_paging_init()):
 * paging depth, which levels may hold leaves (bit 2: 2 MiB, bit 3: 1 GiB
 * pages), and which entry bits are legal (NX only with EFER.NXE).
 */
struct pgtable_caps {
	unsigned int levels;
	unsigned int leaf_levels;
	u64 pte_mask;
};

/* One piece of the kernel image, [start, end) virtual, loaded at phys. */
struct vm_image_section {
	const char *name;
	u64 start, end;
	phys_addr_t phys;
	unsigned int prot;
};
#define VM_IMAGE_MAX_SECTIONS 4

#include <asm/pgtable.h>

#endif
