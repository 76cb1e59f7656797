/*
 * vm.c - the kernel's mapping policy: which virtual address maps what, with
 * which permissions. vm_init() builds the kernel's own page tables (the
 * direct map of RAM and ACPI ranges, the kernel image per section) and loads
 * them, borrowing the boot identity map for the low half; kmain then moves
 * mm's pointers to the direct map (mm_set_direct_map(), mm/init.c) and calls
 * vm_drop_identity_map(), which unmaps the low half, audits W^X and prints
 * the tables in Linux's ptdump format. Afterwards the vmalloc area
 * (mm/vmalloc.c) hands out kernel stacks with guard pages and
 * ioremap/memremap windows.
 *
 * Arch-neutral: the tables are built by mm/pgtable.c in the entry format of
 * <asm/pgtable.h>; registers, TLB and CPU features are arch/x86_64/paging.c.
 * Table pages come from alloc_page() (mm/page_alloc.c) and go back with
 * __free_page() when an unmap empties them. The layout is in <labyrinth/vm.h>.
 */
#define pr_fmt(fmt) "vm: " fmt

#include <labyrinth/compiler.h>
#include <labyrinth/layout.h>
#include <labyrinth/memmap.h>
#include <labyrinth/mm.h>
#include <labyrinth/printk.h>
#include <labyrinth/spinlock.h>
#include <labyrinth/string.h>
#include <labyrinth/vm.h>

struct pgtable kernel_pgtable;

/*
 * vm_lock serializes every change to kernel_pgtable and to the area table
 * below. vm_live: the tables are loaded in CR3, so changes need TLB flushes.
 */
static spinlock_t vm_lock = SPINLOCK_INIT;
static bool vm_live;

/* ---- table pages: from the page allocator, reached through __va() ---- */

static phys_addr_t vm_table_alloc(void *ctx)
{
	struct page *page = alloc_page(GFP_KERNEL | __GFP_ZERO);

	(void)ctx;
	return page ? page_to_phys(page) : 0;
}

static void vm_table_free(void *ctx, phys_addr_t pa)
{
	(void)ctx;
	__free_page(phys_to_page(pa));
}

static u64 *vm_table(void *ctx, phys_addr_t pa)
{
	(void)ctx;
	return __va(pa);
}

/* Page by page for small ranges; beyond 32 pages one full flush is cheaper. */
static void vm_flush(void *ctx, u64 va, u64 size)
{
	(void)ctx;
	if (!vm_live)
		return;
	if (size > 32 * PAGE_SIZE) {
		arch_flush_tlb_all();
		return;
	}
	for (u64 off = 0; off < size; off += PAGE_SIZE)
		arch_flush_tlb_page(va + off);
}

static const struct pgtable_ops vm_ops = { vm_table_alloc, vm_table_free, vm_table, vm_flush };

/* ---- the direct map ---- */

/* Ranges of the normalized map that go into the direct map. */
static bool direct_mapped_type(u32 type)
{
	return type == E820_TYPE_RAM || type == E820_TYPE_KERNEL || type == E820_TYPE_ACPI;
}

static void map_direct_run(u64 start, u64 end)
{
	int err;

	end = min(end, (u64)DIRECT_MAP_SIZE);
	if (start >= end)
		return;
	err =
	    pgtable_map(&kernel_pgtable, DIRECT_MAP_BASE + start, start, end - start, PAGE_KERNEL);
	if (err)
		panic("vm: cannot direct-map [mem 0x%llx-0x%llx]: error %d",
		      (unsigned long long)start, (unsigned long long)end - 1, err);
}

/*
 * Adjacent mapped entries (RAM next to kernel-held RAM next to ACPI) merge
 * into one run first, so a run gets the largest pages its alignment allows.
 * Entries are rounded out to whole pages (ACPI ranges need not be aligned).
 */
static void map_direct(const struct memmap *map)
{
	u64 run_start = 0, run_end = 0;

	for (u32 i = 0; i < map->nr; i++) {
		const struct memmap_entry *e = &map->map[i];
		u64 s = ALIGN_DOWN(e->addr, PAGE_SIZE), t = ALIGN(e->addr + e->size, PAGE_SIZE);

		if (!direct_mapped_type(e->type))
			continue;
		if (s > run_end) {
			map_direct_run(run_start, run_end);
			run_start = s;
		}
		run_end = max(run_end, t);
	}
	map_direct_run(run_start, run_end);
}

/* ---- the kernel image ---- */

static void map_kernel_image(void)
{
	struct vm_image_section sec[VM_IMAGE_MAX_SECTIONS];
	unsigned int n = arch_kernel_sections(sec, VM_IMAGE_MAX_SECTIONS);

	for (unsigned int i = 0; i < n; i++) {
		int err = pgtable_map(&kernel_pgtable, sec[i].start, sec[i].phys,
				      sec[i].end - sec[i].start, sec[i].prot);

		if (err)
			panic("vm: cannot map kernel %s at 0x%llx: error %d", sec[i].name,
			      (unsigned long long)sec[i].start, err);
	}
}

/* ---- the switch: load, then (after mm has moved) drop the identity map ---- */

/*
 * Loads the new tables while borrowing the boot tables' lower half (the
 * identity map), so that pointers made with page_offset_base == 0 stay
 * valid until mm_set_direct_map() has moved everything to the direct map.
 * The borrowed entries point at boot tables the builder never frees or
 * walks into afterwards.
 */
static void load_kernel_tables(void)
{
	u64 *root = vm_table(NULL, kernel_pgtable.root);
	const u64 *boot = vm_table(NULL, arch_read_page_table());

	for (unsigned int i = 0; i < PT_ENTRIES / 2; i++)
		root[i] = boot[i];
	arch_load_page_table(kernel_pgtable.root);
	vm_live = true;
}

void vm_init(const struct memmap *map)
{
	struct pgtable_caps caps;

	arch_paging_init(&caps);
	if (pgtable_init(&kernel_pgtable, caps.levels, caps.leaf_levels, caps.pte_mask, &vm_ops,
			 NULL))
		panic("vm: no page for the kernel's root table");
	map_direct(map);
	map_kernel_image();
	load_kernel_tables();
}

/*
 * The borrowed lower half goes, unless mm still holds a pointer into it
 * (mm_set_direct_map() was not called): then it stays, reported, rather
 * than leave mm pointing at nothing.
 */
void vm_drop_identity_map(void)
{
	u64 *root = vm_table(NULL, kernel_pgtable.root);

	if ((u64)(uintptr_t)mem_section < DIRECT_MAP_BASE) {
		pr_err("mm still holds identity-map pointers (mem_section at %p): "
		       "keeping the boot identity map\n",
		       (void *)mem_section);
	} else {
		for (unsigned int i = 0; i < PT_ENTRIES / 2; i++)
			root[i] = 0;
		arch_flush_tlb_all();
		pr_info("boot identity map dropped: [0, 128 TiB) unmapped\n");
	}
	arch_paging_finish();
	ptdump();
	vm_check_wx();
}

bool vm_ready(void)
{
	return vm_live;
}

/* ---- single mappings ---- */

int map_range(u64 va, phys_addr_t pa, u64 size, unsigned int flags)
{
	unsigned long irq;
	int err;

	if (!kernel_pgtable.root)
		return -PT_EINVAL; /* before vm_init() */
	spin_lock_irqsave(&vm_lock, irq);
	err = pgtable_map(&kernel_pgtable, va, pa, size, flags);
	spin_unlock_irqrestore(&vm_lock, irq);
	return err;
}

int unmap_range(u64 va, u64 size)
{
	unsigned long irq;
	int err;

	if (!kernel_pgtable.root)
		return -PT_EINVAL;
	spin_lock_irqsave(&vm_lock, irq);
	err = pgtable_unmap(&kernel_pgtable, va, size);
	spin_unlock_irqrestore(&vm_lock, irq);
	return err;
}

int map_page(u64 va, phys_addr_t pa, unsigned int flags)
{
	return map_range(va, pa, PAGE_SIZE, flags);
}

int unmap_page(u64 va)
{
	return unmap_range(va, PAGE_SIZE);
}

bool vm_translate(u64 va, phys_addr_t *pa, unsigned int *flags, unsigned int *level)
{
	return kernel_pgtable.root && pgtable_translate(&kernel_pgtable, va, pa, flags, level);
}

int vm_walk(pgtable_leaf_fn fn, void *arg)
{
	unsigned long irq;
	int ret;

	if (!kernel_pgtable.root)
		return 0;
	spin_lock_irqsave(&vm_lock, irq);
	ret = pgtable_walk(&kernel_pgtable, fn, arg);
	spin_unlock_irqrestore(&vm_lock, irq);
	return ret;
}

/*
 * One page of the direct map at 4 KiB grain, for mm/exclusive.c, which keys
 * pages there (protection keys, asm/pks.h). vm_direct_split() splits the
 * huge pages over va (one 4 KiB table per level split, never merged back)
 * and returns the tables it made; no flush, see pgtable_split_4k().
 * vm_direct_pte() reads without vm_lock: direct-map tables are only ever
 * added by a split, never freed, so the entry stays where it is.
 */
int vm_direct_split(const void *va)
{
	size_t before;
	unsigned long irq;
	int err;

	if (!vm_live)
		return -PT_EINVAL;
	spin_lock_irqsave(&vm_lock, irq);
	before = kernel_pgtable.nr_tables;
	err = pgtable_split_4k(&kernel_pgtable, (u64)(uintptr_t)va);
	if (!err)
		err = (int)(kernel_pgtable.nr_tables - before);
	spin_unlock_irqrestore(&vm_lock, irq);
	return err;
}

/* The walk inline (no ops calls): it is on the exclusive allocation path. */
u64 *vm_direct_pte(const void *va)
{
	u64 v = (u64)(uintptr_t)va, *t;
	unsigned int level = kernel_pgtable.levels;

	if (!vm_live)
		return NULL;
	for (t = __va(kernel_pgtable.root);; level--) {
		u64 *e = &t[(v >> PT_LEVEL_SHIFT(level)) & (PT_ENTRIES - 1)];

		if (level == 1)
			return arch_pte_present(*e) ? e : NULL;
		if (!arch_pte_present(*e) || arch_pte_is_leaf(*e, level))
			return NULL;
		t = __va(arch_pte_addr(*e, level));
	}
}

phys_addr_t virt_to_phys(const volatile void *va)
{
	u64 v = (u64)(uintptr_t)va;
	phys_addr_t pa;

	if (v >= DIRECT_MAP_BASE && v < DIRECT_MAP_BASE + DIRECT_MAP_SIZE && vm_live)
		return __pa(va);
	return vm_translate(v, &pa, NULL, NULL) ? pa : (phys_addr_t)-1;
}

void *phys_to_virt(phys_addr_t pa)
{
	return __va(pa);
}
