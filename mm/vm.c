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
#include <labyrinth/smp.h>
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

/*
 * The change being made under vm_lock (struct vm_batch): page tables come
 * first from `stash`, pages the caller allocated before taking the lock
 * (with reclaim allowed if its interrupts were on), then from GFP_ATOMIC,
 * which never reclaims: vm_lock is taken with interrupts off. The range
 * pgtable.c asks to flush and the tables an unmap emptied are collected, and
 * handled after the lock is dropped: TLB shootdown on every online CPU
 * first, then the tables go back to the allocator (vm_batch_finish()).
 */
#define VM_STASH_MAX 8
struct vm_batch {
	struct page *stash[VM_STASH_MAX];
	unsigned int nr_stash;
	u64 start, end;	    /* to flush: [start, end), empty if start == end */
	phys_addr_t tables; /* emptied tables, threaded through their entry 0 */
};
static struct vm_batch *vm_batch; /* the current change's, under vm_lock */
struct vm_table_stats vm_table_stats;

/* ---- table pages: from the page allocator, reached through __va() ---- */

static phys_addr_t vm_table_alloc(void *ctx)
{
	struct page *page;

	gfp_t gfp = (vm_batch ? GFP_ATOMIC : GFP_KERNEL) | __GFP_ZERO;

	(void)ctx;
	if (vm_batch && vm_batch->nr_stash) {
		vm_table_stats.stash++;
		return page_to_phys(vm_batch->stash[--vm_batch->nr_stash]);
	}
	/* vm_init() runs before interrupts and other CPUs, lock-free */
	if ((gfp & __GFP_DIRECT_RECLAIM) && arch_irqs_disabled() && vm_live)
		vm_table_stats.reclaim_irqs_off++; /* must stay 0 */
	page = alloc_page(gfp);
	vm_table_stats.allocated += !!page;
	return page ? page_to_phys(page) : 0;
}

static void vm_table_free(void *ctx, phys_addr_t pa)
{
	(void)ctx;
	if (!vm_batch || !vm_live) {
		__free_page(phys_to_page(pa));
		return;
	}
	((u64 *)__va(pa))[0] = vm_batch->tables; /* after the shootdown */
	vm_batch->tables = pa;
}

static u64 *vm_table(void *ctx, phys_addr_t pa)
{
	(void)ctx;
	return __va(pa);
}

/* pgtable.c's flush request: collected, done by vm_batch_finish(). */
static void vm_flush(void *ctx, u64 va, u64 size)
{
	(void)ctx;
	if (!vm_live)
		return;
	if (!vm_batch) { /* not through map_range/unmap_range: this CPU only */
		if (size / PAGE_SIZE > TLB_FLUSH_CEILING)
			arch_flush_tlb_all();
		else
			for (u64 off = 0; off < size; off += PAGE_SIZE)
				arch_flush_tlb_page(va + off);
		return;
	}
	if (vm_batch->start == vm_batch->end) {
		vm_batch->start = va;
		vm_batch->end = va + size;
	}
	vm_batch->start = min(vm_batch->start, va);
	vm_batch->end = max(vm_batch->end, va + size);
}

/* Up to `want` zeroed table pages for the stash, before vm_lock is taken. */
static void vm_batch_prepare(struct vm_batch *b, unsigned int want)
{
	gfp_t gfp = (arch_irqs_disabled() ? GFP_ATOMIC : GFP_KERNEL) | __GFP_ZERO | __GFP_NOWARN;

	memset(b, 0, sizeof(*b));
	while (b->nr_stash < min(want, (unsigned int)VM_STASH_MAX)) {
		struct page *page = alloc_page(gfp);

		if (!page)
			break;
		b->stash[b->nr_stash++] = page;
	}
}

/*
 * After vm_lock: the shootdown (remote: every online CPU, acknowledged;
 * otherwise this CPU alone, as after a new mapping, which no TLB can hold
 * yet), then the emptied tables and the unused stash are freed. If a CPU
 * did not acknowledge, the tables are leaked rather than reused under it.
 */
static void vm_batch_finish(struct vm_batch *b, bool remote)
{
	long left = 0;

	if (b->end > b->start) {
		if (remote)
			left = arch_flush_tlb_kernel_range(
			    __atomic_load_n(&cpu_online_mask, __ATOMIC_ACQUIRE), b->start, b->end);
		else
			arch_flush_tlb_kernel_range(0, b->start, b->end);
	}
	if (left)
		pr_err("TLB shootdown of [0x%llx-0x%llx] %s (CPUs 0x%lx): page tables kept\n",
		       (unsigned long long)b->start, (unsigned long long)b->end - 1,
		       left < 0 ? "refused" : "not acknowledged",
		       left < 0 ? 0ul : (unsigned long)left);
	while (b->tables && !left) {
		phys_addr_t next = ((u64 *)__va(b->tables))[0];

		((u64 *)__va(b->tables))[0] = 0;
		__free_page(phys_to_page(b->tables));
		b->tables = next;
	}
	while (b->nr_stash)
		__free_page(b->stash[--b->nr_stash]);
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

/*
 * The direct map's alias of a read-only section (text, rodata) gets the
 * section's write protection, not RW: otherwise a stray write through
 * __va(pa) changes the kernel's code. The alias stays NX (text runs only
 * from its own mapping); large pages around it are split (pgtable_unmap()).
 */
static void protect_kernel_alias(void)
{
	struct vm_image_section sec[VM_IMAGE_MAX_SECTIONS];
	unsigned int n = arch_kernel_sections(sec, VM_IMAGE_MAX_SECTIONS);

	for (unsigned int i = 0; i < n; i++) {
		u64 size = sec[i].end - sec[i].start, alias = DIRECT_MAP_BASE + sec[i].phys;
		int err;

		if ((sec[i].prot & VM_WRITE) || sec[i].phys + size > DIRECT_MAP_SIZE ||
		    !pgtable_translate(&kernel_pgtable, alias, NULL, NULL, NULL))
			continue;
		err = pgtable_unmap(&kernel_pgtable, alias, size);
		if (!err)
			err =
			    pgtable_map(&kernel_pgtable, alias, sec[i].phys, size, PAGE_KERNEL_RO);
		if (err)
			panic("vm: cannot make the direct-map alias of kernel %s read-only: "
			      "error %d",
			      sec[i].name, err);
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
	protect_kernel_alias();
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

/* Tables a map of size bytes may need: one per level, plus one per 2 MiB. */
static unsigned int tables_for(u64 size)
{
	return kernel_pgtable.levels + (unsigned int)min(size >> 21, (u64)VM_STASH_MAX);
}

int map_range(u64 va, phys_addr_t pa, u64 size, unsigned int flags)
{
	struct vm_batch b;
	unsigned long irq;
	int err;

	if (!kernel_pgtable.root)
		return -PT_EINVAL; /* before vm_init() */
	vm_batch_prepare(&b, tables_for(size));
	spin_lock_irqsave(&vm_lock, irq);
	vm_batch = &b;
	err = pgtable_map(&kernel_pgtable, va, pa, size, flags);
	vm_batch = NULL;
	spin_unlock_irqrestore(&vm_lock, irq);
	vm_batch_finish(&b, b.tables != 0); /* a failed map's tables: shot down */
	return err;
}

/*
 * Refused (a warning, -PT_EBUSY, nothing unmapped) with interrupts off while
 * other CPUs are online: their TLBs must be shot down before the caller may
 * reuse what was mapped, and that waits for their answers
 * (arch/x86_64/tlb.c).
 */
int unmap_range(u64 va, u64 size)
{
	struct vm_batch b;
	unsigned long irq;
	int err;

	if (!kernel_pgtable.root)
		return -PT_EINVAL;
	if (WARN_ON_ONCE(vm_live && arch_irqs_disabled() && num_online_cpus() > 1)) {
		pr_err("unmap of [0x%llx-0x%llx] with interrupts off refused: no TLB shootdown "
		       "possible\n",
		       (unsigned long long)va, (unsigned long long)(va + size - 1));
		return -PT_EBUSY;
	}
	vm_batch_prepare(&b, 0); /* a split takes GFP_ATOMIC tables */
	spin_lock_irqsave(&vm_lock, irq);
	vm_batch = &b;
	err = pgtable_unmap(&kernel_pgtable, va, size);
	vm_batch = NULL;
	spin_unlock_irqrestore(&vm_lock, irq);
	vm_batch_finish(&b, true);
	return err;
}

int vm_flush_kernel_range(u64 va, u64 size)
{
	long left;

	if (!vm_live || !size)
		return 0;
	left = arch_flush_tlb_kernel_range(__atomic_load_n(&cpu_online_mask, __ATOMIC_ACQUIRE), va,
					   va + size);
	if (left)
		pr_err("TLB shootdown of [0x%llx-0x%llx] %s\n", (unsigned long long)va,
		       (unsigned long long)(va + size - 1),
		       left < 0 ? "refused: interrupts off" : "not acknowledged by every CPU");
	return !left ? 0 : left < 0 ? -PT_EBUSY : -PT_EINVAL;
}

int vm_flush_kernel_all(void)
{
	/* beyond TLB_FLUSH_CEILING pages, every CPU flushes all */
	return vm_flush_kernel_range(DIRECT_MAP_BASE, 0ull - DIRECT_MAP_BASE);
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
	struct vm_batch b;
	size_t before;
	unsigned long irq;
	int err;

	if (!vm_live)
		return -PT_EINVAL;
	if (vm_direct_pte(va))
		return 0; /* already at 4 KiB grain */
	/* a 1 GiB page takes two tables: from the stash, made before the lock */
	vm_batch_prepare(&b, 2);
	spin_lock_irqsave(&vm_lock, irq);
	vm_batch = &b;
	before = kernel_pgtable.nr_tables;
	err = pgtable_split_4k(&kernel_pgtable, (u64)(uintptr_t)va);
	if (!err)
		err = (int)(kernel_pgtable.nr_tables - before);
	vm_batch = NULL;
	spin_unlock_irqrestore(&vm_lock, irq);
	vm_batch_finish(&b, false); /* same rights after a split: this CPU only */
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
