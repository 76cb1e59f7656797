/*
 * vm.h - the kernel's virtual memory (mm/vm.c): its own page tables, the
 * direct map, the kernel image with per-section permissions, kernel stacks
 * with guard pages, ioremap/memremap, the W^X audit and ptdump.
 *
 * The layout (Linux's, so students can compare; see docs/vm.md; the
 * constants are in include/labyrinth/layout.h):
 *   0 .. 4 GiB               nothing after vm_drop_identity_map(): NULL and
 *                            every stray low pointer fault (the boot identity
 *                            map is gone)
 *   DIRECT_MAP_BASE          all RAM, ACPI and kernel-held ranges of the
 *                            normalized memory map, nothing else (holes and
 *                            MMIO stay unmapped); RW NX, largest pages
 *   VMALLOC_START .. END     on-demand areas: kernel stacks and ioremap /
 *                            memremap, each with an unmapped guard page below
 *   KERNEL_VMA_BASE + phys   the kernel image: .text RX, .rodata R NX,
 *                            .data/.bss RW NX
 *
 * __va()/__pa() (include/labyrinth/mm.h) translate the direct map by
 * arithmetic; vm_translate() walks the tables. The page-table builder under
 * all this is mm/pgtable.c (<labyrinth/pgtable.h>), the CPU side
 * arch/x86_64/paging.c.
 */
#ifndef LABYRINTH_VM_H
#define LABYRINTH_VM_H

#include <labyrinth/layout.h>
#include <labyrinth/pgtable.h>
#include <labyrinth/types.h>

/* The kernel's address space (the one loaded in CR3 after vm_init()). */
extern struct pgtable kernel_pgtable;

/*
 * Builds the kernel's tables and loads them, the boot identity map still
 * borrowed for the low half. Called once by kmain right after mm_init():
 * tables come from alloc_page(), which hands out only memory the boot
 * identity map reaches until mm_set_direct_map() says the direct map exists.
 */
struct memmap;
void vm_init(const struct memmap *map); /* map: what memmap_init() returned */
/*
 * kmain's next two steps: mm_set_direct_map(DIRECT_MAP_BASE) moves mm's
 * pointers onto the direct map, then this unmaps the low half (kept, with
 * an error, if mm still points into it), turns on the paging features
 * (SMEP, SMAP, global pages) and prints the ptdump and the W^X audit.
 */
void vm_drop_identity_map(void);
bool vm_ready(void); /* true once the kernel's tables are live */

/* Single pages and ranges in the kernel's address space: 0 or -PT_E*. */
int map_page(u64 va, phys_addr_t pa, unsigned int flags);
int unmap_page(u64 va);
int map_range(u64 va, phys_addr_t pa, u64 size, unsigned int flags);
int unmap_range(u64 va, u64 size);
/*
 * unmap_range() shoots the range down on every online CPU before it returns
 * (mm/vm.c, arch/x86_64/tlb.c); with interrupts off and other CPUs online
 * it refuses (-PT_EBUSY, a warning, nothing unmapped). A future change that
 * restricts a live mapping in place (permissions, protection keys) must call
 * vm_flush_kernel_range() after it, before relying on the restriction:
 * 0, -PT_EBUSY (interrupts off), or -PT_EINVAL if a CPU did not answer.
 */
int vm_flush_kernel_range(u64 va, u64 size);
/* The same for the whole kernel half, global entries included (keys changed page by page). */
int vm_flush_kernel_all(void);

/* A walk of the live tables: false if va is not mapped. */
bool vm_translate(u64 va, phys_addr_t *pa, unsigned int *flags, unsigned int *level);
/* The direct map at 4 KiB grain for one page (mm/exclusive.c's keys):
 * split it there (the number of tables made, or -PT_E*; no TLB flush), and
 * its 4 KiB entry (NULL if a huge page still maps it, or no tables yet). */
int vm_direct_split(const void *va);
u64 *vm_direct_pte(const void *va);
/* pgtable_walk() over the kernel's tables, under the lock that guards them. */
int vm_walk(pgtable_leaf_fn fn, void *arg);
/* Any mapped kernel address -> physical; (phys_addr_t)-1 if unmapped. */
phys_addr_t virt_to_phys(const volatile void *va);
/* Physical -> its direct-map address (only meaningful for mapped RAM/ACPI). */
void *phys_to_virt(phys_addr_t pa);

/*
 * MMIO, uncached (PCD|PWT = UC with the power-on PAT), RW, NX, 4 KiB pages
 * in the vmalloc area. pa and size need no alignment: the result points at
 * pa itself. NULL when out of memory or virtual space. For the local APIC,
 * IO APIC, HPET and the like.
 */
void *ioremap(phys_addr_t pa, size_t size);
void iounmap(volatile void *addr);
/*
 * Firmware tables and other cached memory: the direct-map address when the
 * whole range is in the direct map, else a new cached RW NX mapping (e.g.
 * ACPI tables that firmware put in "reserved" memory). memunmap() releases
 * the latter and ignores the former.
 */
void *memremap(phys_addr_t pa, size_t size);
void memunmap(void *addr);

/* A kernel stack of `pages` pages with an unmapped guard page below; returns
 * its top (16-byte aligned), or NULL. The bottom is top - pages * 4 KiB. */
/*
 * Page-table pages of kernel_pgtable since boot (mm/vm.c): from a caller's
 * stash (allocated before vm_lock), from the allocator directly, and how many
 * of those could have reclaimed with interrupts off (never, by design).
 */
struct vm_table_stats {
	unsigned long stash, allocated, reclaim_irqs_off;
};
extern struct vm_table_stats vm_table_stats;

void *vm_alloc_stack(unsigned int pages);
void vm_free_stack(void *top);
/* An unmapped window of `pages` pages (with a guard page below it), for
 * callers that map it page by page themselves; 0 when out of space. */
u64 vm_reserve(unsigned int pages);

/* Linux's /sys/kernel/debug/page_tables/kernel, then a one-line summary. */
void ptdump(void);
void ptdump_summary(void);
/* Prints "Checked W+X mappings: passed, no W+X pages found." or each offending
 * range; returns the number of W+X pages. */
unsigned long vm_check_wx(void);

#endif
