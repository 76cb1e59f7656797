/*
 * vmalloc.c - the on-demand part of the kernel's address space, at
 * VMALLOC_START: kernel stacks (vm_alloc_stack), MMIO (ioremap) and cached
 * firmware memory outside the direct map (memremap). Every area has an
 * unmapped guard page just below it, so running off the bottom of a stack
 * (or off the start of a window) faults instead of corrupting a neighbour.
 *
 * Virtual space is handed out by a bump pointer and never reused: 32 TiB
 * outlast any boot, and a freed area's addresses keep faulting, which is the
 * safest thing a stale pointer can meet. Page tables are kernel_pgtable's
 * (mm/vm.c), built by mm/pgtable.c.
 */
#define pr_fmt(fmt) "vm: " fmt

#include <labyrinth/compiler.h>
#include <labyrinth/layout.h>
#include <labyrinth/mm.h>
#include <labyrinth/printk.h>
#include <labyrinth/spinlock.h>
#include <labyrinth/vm.h>

enum vm_area_kind { VM_AREA_FREE, VM_AREA_STACK, VM_AREA_IOREMAP, VM_AREA_MEMREMAP };

/*
 * A live area: [start, start + size) is mapped (stacks: page by page to
 * pages of their own; the others: to [phys, phys + size)), and the page at
 * start - PAGE_SIZE is never mapped. Slots with kind VM_AREA_FREE are unused.
 */
struct vm_area {
	u64 start;
	u64 size;
	phys_addr_t phys;
	enum vm_area_kind kind;
};

#define VM_MAX_AREAS 256
static struct vm_area areas[VM_MAX_AREAS];
static u64 vmalloc_next = VMALLOC_START;     /* first never-used address */
static spinlock_t area_lock = SPINLOCK_INIT; /* areas[] and vmalloc_next */

u64 vm_reserve(unsigned int pages)
{
	u64 need = ((u64)pages + 1) * PAGE_SIZE, va = 0;
	unsigned long irq;

	spin_lock_irqsave(&area_lock, irq);
	if (pages && VMALLOC_END - vmalloc_next >= need) {
		va = vmalloc_next + PAGE_SIZE; /* the guard page stays unmapped */
		vmalloc_next += need;
	}
	spin_unlock_irqrestore(&area_lock, irq);
	return va;
}

/* Records an area; false when the table is full. */
static bool area_add(u64 start, u64 size, phys_addr_t phys, enum vm_area_kind kind)
{
	unsigned long irq;
	bool ok = false;

	spin_lock_irqsave(&area_lock, irq);
	for (unsigned int i = 0; i < VM_MAX_AREAS && !ok; i++) {
		if (areas[i].kind == VM_AREA_FREE) {
			areas[i] = (struct vm_area){ start, size, phys, kind };
			ok = true;
		}
	}
	spin_unlock_irqrestore(&area_lock, irq);
	if (!ok)
		pr_warn("more than %d vmalloc areas: raise VM_MAX_AREAS\n", VM_MAX_AREAS);
	return ok;
}

/* Removes and returns the area containing addr, of the given kind. */
static bool area_take(u64 addr, enum vm_area_kind kind, struct vm_area *out)
{
	unsigned long irq;
	bool found = false;

	spin_lock_irqsave(&area_lock, irq);
	for (unsigned int i = 0; i < VM_MAX_AREAS && !found; i++) {
		struct vm_area *a = &areas[i];

		if (a->kind == kind && addr >= a->start && addr <= a->start + a->size) {
			*out = *a;
			a->kind = VM_AREA_FREE;
			found = true;
		}
	}
	spin_unlock_irqrestore(&area_lock, irq);
	return found;
}

/* ---- kernel stacks ---- */

/*
 * Unmaps and frees the first `mapped` pages of a stack area: each chunk is
 * unmapped in one call (one batched TLB shootdown, mm/vm.c) before any of
 * its pages goes back to the allocator.
 */
#define STACK_RELEASE_CHUNK 16
static void stack_release(u64 bottom, unsigned int mapped)
{
	for (unsigned int first = 0; first < mapped; first += STACK_RELEASE_CHUNK) {
		unsigned int n = min(mapped - first, (unsigned int)STACK_RELEASE_CHUNK);
		u64 va = bottom + (u64)first * PAGE_SIZE;
		phys_addr_t pa[STACK_RELEASE_CHUNK];
		bool present[STACK_RELEASE_CHUNK];

		for (unsigned int i = 0; i < n; i++)
			present[i] = vm_translate(va + (u64)i * PAGE_SIZE, &pa[i], NULL, NULL);
		if (unmap_range(va, (u64)n * PAGE_SIZE)) {
			pr_err("stack pages at 0x%llx not unmapped: leaked\n",
			       (unsigned long long)va);
			continue;
		}
		for (unsigned int i = 0; i < n; i++)
			if (present[i])
				__free_page(phys_to_page(pa[i]));
	}
}

void *vm_alloc_stack(unsigned int pages)
{
	u64 bottom = vm_ready() ? vm_reserve(pages) : 0;

	if (!bottom)
		return NULL;
	for (unsigned int i = 0; i < pages; i++) {
		struct page *page = alloc_page(GFP_KERNEL);

		if (!page ||
		    map_page(bottom + (u64)i * PAGE_SIZE, page_to_phys(page), PAGE_KERNEL)) {
			if (page)
				__free_page(page);
			stack_release(bottom, i);
			return NULL;
		}
	}
	if (!area_add(bottom, (u64)pages * PAGE_SIZE, 0, VM_AREA_STACK)) {
		stack_release(bottom, pages);
		return NULL;
	}
	return (void *)(uintptr_t)(bottom + (u64)pages * PAGE_SIZE);
}

void vm_free_stack(void *top)
{
	struct vm_area a;

	if (!top)
		return;
	if (!area_take((u64)(uintptr_t)top - 1, VM_AREA_STACK, &a)) {
		pr_err("vm_free_stack: %p is not a stack top\n", top);
		return;
	}
	stack_release(a.start, a.size / PAGE_SIZE);
}

/* ---- ioremap / memremap ---- */

/* Maps [pa, pa + size) into a fresh window with 4 KiB pages; NULL on failure. */
static void *remap(phys_addr_t pa, size_t size, unsigned int prot, enum vm_area_kind kind)
{
	phys_addr_t base = ALIGN_DOWN(pa, PAGE_SIZE);
	u64 len = PAGE_ALIGN(pa + size) - base, va;

	if (!size || pa + size < pa || !vm_ready())
		return NULL;
	va = vm_reserve(len / PAGE_SIZE);
	if (!va || map_range(va, base, len, prot)) /* a failed map leaves nothing mapped */
		return NULL;
	if (!area_add(va, len, base, kind)) {
		unmap_range(va, len);
		return NULL;
	}
	return (void *)(uintptr_t)(va + (pa - base));
}

void *ioremap(phys_addr_t pa, size_t size)
{
	void *p = remap(pa, size, PAGE_KERNEL_NOCACHE, VM_AREA_IOREMAP);

	if (!p)
		pr_err("ioremap of [mem 0x%llx-0x%llx] failed\n", (unsigned long long)pa,
		       (unsigned long long)(pa + size - 1));
	return p;
}

static void unremap(volatile void *addr, enum vm_area_kind kind, const char *who)
{
	struct vm_area a;

	if (!area_take((u64)(uintptr_t)addr, kind, &a)) {
		pr_err("%s: %p was not mapped by it\n", who, (void *)(uintptr_t)addr);
		return;
	}
	unmap_range(a.start, a.size);
}

void iounmap(volatile void *addr)
{
	unremap(addr, VM_AREA_IOREMAP, "iounmap");
}

/* True if every page of [pa, pa + size) is in the direct map. */
static bool in_direct_map(phys_addr_t pa, size_t size)
{
	if (!vm_ready() || pa + size > DIRECT_MAP_SIZE)
		return false;
	for (u64 p = ALIGN_DOWN(pa, PAGE_SIZE); p < pa + size; p += PAGE_SIZE)
		if (!vm_translate(DIRECT_MAP_BASE + p, NULL, NULL, NULL))
			return false;
	return true;
}

void *memremap(phys_addr_t pa, size_t size)
{
	if (!size || pa + size < pa)
		return NULL;
	if (in_direct_map(pa, size))
		return __va(pa);
	return remap(pa, size, PAGE_KERNEL, VM_AREA_MEMREMAP);
}

void memunmap(void *addr)
{
	u64 va = (u64)(uintptr_t)addr;

	if (va >= DIRECT_MAP_BASE && va < DIRECT_MAP_BASE + DIRECT_MAP_SIZE)
		return;
	unremap(addr, VM_AREA_MEMREMAP, "memunmap");
}
