/*
 * vm_test.c - KTAP proof that the kernel's page tables (mm/vm.c) protect
 * what they claim to: each forbidden access raises exactly one page fault
 * with the expected CR2 and error-code bits, caught by the exception-fixup
 * probes (asm/extable.h, arch/x86_64/extable.c) so one boot runs them all.
 * Also: the direct map translates back page by page, map_page/unmap_page
 * round trips invalidate the TLB, stacks have guard pages, ioremap is
 * uncached. Here rather than in mm/ because the error-code bits and
 * control registers are x86_64's; the host tests of the builder are
 * tests/host/test_pgtable.c.
 */
#include <boot/boot_info.h>
#include <labyrinth/arch.h>
#include <labyrinth/ktest.h>
#include <labyrinth/layout.h>
#include <labyrinth/memmap.h>
#include <labyrinth/mm.h>
#include <labyrinth/printk.h>
#include <labyrinth/string.h>
#include <labyrinth/vm.h>
#include <asm/apic.h>
#include <asm/extable.h>
#include <asm/traps.h>

#define PF_BITS (X86_PF_PROT | X86_PF_WRITE | X86_PF_USER | X86_PF_INSTR)

static const u8 ro_byte = 0x5a;
static u8 data_ret[64] __aligned(64) = { 0xc3 }; /* "ret", in .data */
static u8 probe_data_byte = 1;			 /* in .data: writable through the direct map too */

static __noinline void text_ret(void)
{
	barrier();
}

/* Checks that the last probe raised exactly one #PF at cr2 with these bits. */
static void expect_one_pf(struct ktest *t, u64 before, u64 cr2, u64 bits)
{
	KEXPECT_EQ(t, fault_fixup_count(), before + 1);
	KEXPECT_EQ(t, last_fault()->vector, X86_TRAP_PF);
	KEXPECT_EQ(t, last_fault()->cr2, cr2);
	KEXPECT_EQ(t, last_fault()->error_code & PF_BITS, bits);
}

static bool skip_unless_ready(struct ktest *t)
{
	if (!vm_ready())
		ktest_skip(t, "vm_init() has not run");
	return !vm_ready();
}

/* The kernel's tables are live, the boot identity map is gone, CPU bits set. */
static void vm_switched(struct ktest *t)
{
	if (skip_unless_ready(t))
		return;
	KEXPECT_EQ(t, read_cr3() & PTE_PFN_MASK, kernel_pgtable.root);
	KEXPECT_FALSE(t, vm_translate(0, NULL, NULL, NULL));
	KEXPECT_FALSE(t, vm_translate(0x100000, NULL, NULL, NULL)); /* old identity map */
	KEXPECT_TRUE(t, read_cr0() & CR0_WP);
	KEXPECT_EQ(t, !!(rdmsr(MSR_EFER) & EFER_NXE), x86_paging.nx);
	KEXPECT_EQ(t, !!(read_cr4() & CR4_PGE), x86_paging.pge);
	KEXPECT_EQ(t, !!(read_cr4() & CR4_SMEP), x86_paging.smep);
	KEXPECT_EQ(t, !!(read_cr4() & CR4_SMAP), x86_paging.smap);
}

/* Each section of the image has its own permissions; no page is W+X or USR. */
static void vm_kernel_sections(struct ktest *t)
{
	unsigned int prot, level;
	phys_addr_t pa;

	if (skip_unless_ready(t))
		return;
	KEXPECT_TRUE(t, vm_translate((u64)text_ret, &pa, &prot, &level));
	KEXPECT_EQ(t, pa, (u64)text_ret - KERNEL_VMA_BASE);
	KEXPECT_EQ(t, prot, PAGE_KERNEL_ROX);
	KEXPECT_TRUE(t, vm_translate((u64)&ro_byte, NULL, &prot, NULL));
	KEXPECT_EQ(t, prot, PAGE_KERNEL_RO);
	KEXPECT_TRUE(t, vm_translate((u64)data_ret, NULL, &prot, NULL));
	KEXPECT_EQ(t, prot, PAGE_KERNEL);
	KEXPECT_EQ(t, vm_check_wx(), 0);
}

/* RW, except the alias of the kernel's read-only sections (mm/vm.c). */
static unsigned int direct_map_prot(phys_addr_t pa)
{
	static struct vm_image_section sec[VM_IMAGE_MAX_SECTIONS];
	static unsigned int n;

	if (!n)
		n = arch_kernel_sections(sec, VM_IMAGE_MAX_SECTIONS);
	for (unsigned int i = 0; i < n; i++)
		if (!(sec[i].prot & VM_WRITE) && pa >= sec[i].phys &&
		    pa < sec[i].phys + (sec[i].end - sec[i].start))
			return PAGE_KERNEL_RO;
	return PAGE_KERNEL;
}

/* Every direct-mapped page translates back to its own physical address. */
static void vm_direct_map_translation(struct ktest *t)
{
	u64 pages = 0, bad = 0, t0 = arch_clock_ns();

	if (skip_unless_ready(t))
		return;
	for (u32 i = 0; i < memmap_final.nr; i++) {
		const struct memmap_entry *e = &memmap_final.map[i];
		bool mapped = e->type == E820_TYPE_RAM || e->type == E820_TYPE_KERNEL ||
			      e->type == E820_TYPE_ACPI;
		u64 s = ALIGN(e->addr, PAGE_SIZE), end = ALIGN_DOWN(e->addr + e->size, PAGE_SIZE);

		for (u64 pa = s; mapped && pa < end; pa += PAGE_SIZE, pages++) {
			phys_addr_t got;
			unsigned int prot;

			if (!vm_translate((u64)__va(pa), &got, &prot, NULL) || got != pa ||
			    prot != direct_map_prot(pa))
				bad++;
		}
		if (!mapped && s < end)
			KEXPECT_FALSE(t, vm_translate((u64)__va(s), NULL, NULL, NULL));
	}
	ktest_log(t, "%llu direct-map pages translated in %llu ms", (unsigned long long)pages,
		  (unsigned long long)(arch_clock_ns() - t0) / 1000000);
	KEXPECT_EQ(t, bad, 0);
	KEXPECT_TRUE(t, pages > 0);
	KEXPECT_FALSE(t, vm_translate(DIRECT_MAP_BASE, NULL, NULL, NULL)); /* page 0 */
}

/* No 1 GiB pages without pdpe1gb; with it, a machine with >= 2 GiB uses some. */
static int count_gb_leaf(void *arg, u64 va, phys_addr_t pa, u64 size, unsigned int prot,
			 unsigned int level)
{
	(void)va, (void)pa, (void)size, (void)prot;
	*(u64 *)arg += level == 3;
	return 0;
}

/* True if some GiB-aligned GiB lies wholly in the direct map (page by page;
 * a GiB with a hole stops at the hole, the search at the first full GiB). */
static bool has_full_gib(void)
{
	for (u64 gib = 0; gib < (max_pfn << PAGE_SHIFT); gib += 1ull << 30) {
		bool full = true;

		for (u64 pa = gib; full && pa < gib + (1ull << 30); pa += PAGE_SIZE)
			full = vm_translate((u64)__va(pa), NULL, NULL, NULL);
		if (full)
			return true;
	}
	return false;
}

static void vm_direct_map_page_sizes(struct ktest *t)
{
	u64 gb_leaves = 0;
	bool want;

	if (skip_unless_ready(t))
		return;
	vm_walk(count_gb_leaf, &gb_leaves);
	want = x86_paging.pdpe1gb && has_full_gib();
	ktest_log(t, "1G leaves: %llu (pdpe1gb %s)", (unsigned long long)gb_leaves,
		  x86_paging.pdpe1gb ? "yes" : "no");
	KEXPECT_EQ(t, gb_leaves > 0, want);
}

static void fault_write_rodata(struct ktest *t)
{
	u64 before = fault_fixup_count();

	if (skip_unless_ready(t))
		return;
	KEXPECT_FALSE(t, probe_write_u8((void *)&ro_byte, 0));
	expect_one_pf(t, before, (u64)&ro_byte, X86_PF_PROT | X86_PF_WRITE);
	KEXPECT_EQ(t, READ_ONCE(ro_byte), 0x5a);
	before = fault_fixup_count();
	KEXPECT_FALSE(t, probe_write_u8((void *)text_ret, 0xcc));
	expect_one_pf(t, before, (u64)text_ret, X86_PF_PROT | X86_PF_WRITE);
}

/*
 * The same kernel text and rodata through their direct-map alias: read-only
 * there too (mm/vm.c protect_kernel_alias()); a write faults and changes
 * nothing. Data stays writable through its alias.
 */
static void fault_write_text_alias(struct ktest *t)
{
	phys_addr_t text_pa, ro_pa, data_pa;
	u8 *alias;
	u64 before;

	if (skip_unless_ready(t))
		return;
	KEXPECT_TRUE(t, vm_translate((u64)text_ret, &text_pa, NULL, NULL));
	KEXPECT_TRUE(t, vm_translate((u64)&ro_byte, &ro_pa, NULL, NULL));
	KEXPECT_TRUE(t, vm_translate((u64)&probe_data_byte, &data_pa, NULL, NULL));
	alias = phys_to_virt(text_pa);
	before = fault_fixup_count();
	/* The byte already there: were the alias writable, nothing would break. */
	KEXPECT_FALSE(t, probe_write_u8(alias, *(volatile u8 *)text_ret));
	expect_one_pf(t, before, (u64)alias, X86_PF_PROT | X86_PF_WRITE);
	alias = phys_to_virt(ro_pa);
	KEXPECT_FALSE(t, probe_write_u8(alias, 0x5a));
	KEXPECT_EQ(t, READ_ONCE(ro_byte), 0x5a);
	KEXPECT_TRUE(t, probe_write_u8(phys_to_virt(data_pa), 0x3c)); /* data: still RW */
	KEXPECT_EQ(t, READ_ONCE(probe_data_byte), 0x3c);
}

/*
 * The W^X audit looks at every mapping of a physical page together: a
 * writable (NX) window onto kernel text is no W+X mapping by itself, but
 * with the text's own executable mapping it is, and vm_check_wx() counts it.
 */
static void vm_wx_alias_audit(struct ktest *t)
{
	phys_addr_t text_pa;
	u64 va;

	if (skip_unless_ready(t))
		return;
	KEXPECT_EQ(t, vm_check_wx(), 0);
	KEXPECT_TRUE(t, vm_translate((u64)text_ret, &text_pa, NULL, NULL));
	va = vm_reserve(1);
	KEXPECT_TRUE(t, va != 0);
	if (!va)
		return;
	KEXPECT_EQ(t, map_page(va, ALIGN_DOWN(text_pa, PAGE_SIZE), PAGE_KERNEL), 0);
	ktest_log_level(t, LOGLEVEL_WARNING,
			"a deliberate writable alias of kernel text follows: one 'Found writable "
			"alias' and 'Checked W+X mappings: FAILED' report (expected)");
	KEXPECT_EQ(t, vm_check_wx(), 1);
	KEXPECT_EQ(t, unmap_page(va), 0);
	KEXPECT_EQ(t, vm_check_wx(), 0);
}

/*
 * Page tables made under vm_lock (interrupts off) come from the stash the
 * caller filled before taking it, or from GFP_ATOMIC: never from an
 * allocation that may reclaim with interrupts off. A map 1 GiB away from
 * everything needs fresh tables at three levels.
 */
static void vm_table_alloc_no_reclaim(struct ktest *t)
{
	struct vm_table_stats before = vm_table_stats;
	struct page *page = alloc_page(GFP_KERNEL);
	u64 va = vm_reserve(1 << 19); /* 2 GiB of never-used space: new tables */

	if (skip_unless_ready(t))
		return;
	KEXPECT_TRUE(t, page && va);
	if (!page || !va)
		return;
	va = ALIGN(va, 1ull << 30) + (1ull << 30) - PAGE_SIZE;
	KEXPECT_EQ(t, map_page(va, page_to_phys(page), PAGE_KERNEL), 0);
	KEXPECT_EQ(t, unmap_page(va), 0);
	__free_page(page);
	ktest_log(t,
		  "tables: %lu from the stash, %lu allocated under the lock, %lu with reclaim "
		  "and interrupts off",
		  vm_table_stats.stash - before.stash, vm_table_stats.allocated - before.allocated,
		  vm_table_stats.reclaim_irqs_off - before.reclaim_irqs_off);
	KEXPECT_TRUE(t, vm_table_stats.stash - before.stash >= 2);
	KEXPECT_EQ(t, vm_table_stats.reclaim_irqs_off, 0);
}

static bool skip_unless_nx(struct ktest *t)
{
	if (!x86_paging.nx)
		ktest_skip(t, "no NX on this CPU");
	return !x86_paging.nx || skip_unless_ready(t);
}

static void fault_exec_data(struct ktest *t)
{
	u64 before = fault_fixup_count();

	if (skip_unless_nx(t))
		return;
	KEXPECT_TRUE(t, probe_exec((void *)text_ret)); /* the probe itself works */
	KEXPECT_EQ(t, fault_fixup_count(), before);
	KEXPECT_FALSE(t, probe_exec(data_ret));
	expect_one_pf(t, before, (u64)data_ret, X86_PF_PROT | X86_PF_INSTR);
}

/* The direct-map alias of code is data: not executable either. */
static void fault_exec_direct_map(struct ktest *t)
{
	void *alias_text, *alias_data;
	u64 before = fault_fixup_count();

	if (skip_unless_nx(t))
		return;
	alias_text = phys_to_virt(virt_to_phys(text_ret));
	alias_data = phys_to_virt(virt_to_phys(data_ret));
	KEXPECT_FALSE(t, probe_exec(alias_text));
	expect_one_pf(t, before, (u64)alias_text, X86_PF_PROT | X86_PF_INSTR);
	before = fault_fixup_count();
	KEXPECT_FALSE(t, probe_exec(alias_data));
	expect_one_pf(t, before, (u64)alias_data, X86_PF_PROT | X86_PF_INSTR);
}

static void fault_null_deref(struct ktest *t)
{
	u64 before = fault_fixup_count();
	u8 v;

	if (skip_unless_ready(t))
		return;
	KEXPECT_FALSE(t, probe_read_u8(NULL, &v));
	expect_one_pf(t, before, 0, 0);
	before = fault_fixup_count();
	KEXPECT_FALSE(t, probe_write_u8((void *)0x10, 1));
	expect_one_pf(t, before, 0x10, X86_PF_WRITE);
}

/* ---- stack guard ---- */

struct overflow {
	u64 bottom;  /* lowest byte of the stack */
	u64 deepest; /* lowest frame address reached */
	u64 before;  /* fault count before the overflowing write */
	bool wrote;  /* the write below the bottom succeeded (it must not) */
	unsigned int depth;
};

/* Recurses until its frame is within 2 KiB of the bottom (the fault handler
 * runs on this stack and needs the rest), then writes past the bottom:
 * into the guard page. */
static __noinline void recurse_down(struct overflow *o)
{
	volatile u8 frame[128];
	u64 here = (u64)__builtin_frame_address(0);

	frame[0] = (u8)o->depth;
	o->deepest = here;
	if (here - o->bottom > 2048) {
		o->depth++;
		recurse_down(o);
	} else {
		o->before = fault_fixup_count();
		o->wrote = probe_write_u8((void *)(o->bottom - 64), frame[0]);
	}
	barrier();
}

static void overflow_on_stack(void *arg)
{
	recurse_down(arg);
}

static void fault_stack_guard(struct ktest *t)
{
	void *top;
	struct overflow o = { 0 };

	if (skip_unless_ready(t))
		return;
	top = vm_alloc_stack(4);
	KEXPECT_TRUE(t, top != NULL);
	if (!top)
		return;
	o.bottom = (u64)top - 4 * PAGE_SIZE;
	KEXPECT_TRUE(t, vm_translate(o.bottom, NULL, NULL, NULL));
	KEXPECT_FALSE(t, vm_translate(o.bottom - 1, NULL, NULL, NULL));
	arch_call_on_stack(top, overflow_on_stack, &o);
	ktest_log(t, "recursed %u frames, down to bottom+%llu", o.depth,
		  (unsigned long long)(o.deepest - o.bottom));
	KEXPECT_TRUE(t, o.depth > 10 && o.deepest >= o.bottom && o.deepest < (u64)top);
	KEXPECT_FALSE(t, o.wrote);
	expect_one_pf(t, o.before, o.bottom - 64, X86_PF_WRITE);
	vm_free_stack(top);
	KEXPECT_FALSE(t, vm_translate(o.bottom, NULL, NULL, NULL));
}

/* The boot CPU's stack (head64.asm, in .bss) has its guard page too. */
static void fault_boot_stack_guard(struct ktest *t)
{
	extern char boot_stack_guard[], boot_stack_bottom[];
	u64 before = fault_fixup_count(), guard = (u64)boot_stack_guard;
	u8 v;

	if (skip_unless_ready(t))
		return;
	KEXPECT_TRUE(t, vm_translate((u64)boot_stack_bottom, NULL, NULL, NULL));
	KEXPECT_FALSE(t, vm_translate(guard, NULL, NULL, NULL));
	KEXPECT_FALSE(t, probe_read_u8((void *)(guard + PAGE_SIZE - 8), &v));
	expect_one_pf(t, before, guard + PAGE_SIZE - 8, 0);
}

/* ---- map_page / unmap_page ---- */

static void vm_map_unmap_roundtrip(struct ktest *t)
{
	struct page *p1 = alloc_page(GFP_KERNEL), *p2 = alloc_page(GFP_KERNEL);
	size_t tables = kernel_pgtable.nr_tables;
	u64 va = vm_reserve(1), before;
	volatile u8 *alias = (volatile u8 *)va;
	u8 v = 0;

	if (skip_unless_ready(t) || !p1 || !p2 || !va) {
		KEXPECT_TRUE(t, vm_ready() && p1 && p2 && va);
		goto out;
	}
	KEXPECT_EQ(t, map_page(va, page_to_phys(p1), PAGE_KERNEL), 0);
	alias[7] = 0x11; /* write via the alias, read via the direct map */
	KEXPECT_EQ(t, ((volatile u8 *)page_address(p1))[7], 0x11);
	KEXPECT_EQ(t, virt_to_phys((void *)va), page_to_phys(p1));
	KEXPECT_EQ(t, map_page(va, page_to_phys(p2), PAGE_KERNEL), -PT_EEXIST);
	KEXPECT_EQ(t, unmap_page(va), 0);
	before = fault_fixup_count();
	KEXPECT_FALSE(t, probe_read_u8((void *)(va + 7), &v)); /* the TLB forgot it */
	expect_one_pf(t, before, va + 7, 0);
	((volatile u8 *)page_address(p2))[7] = 0x22;
	KEXPECT_EQ(t, map_page(va, page_to_phys(p2), PAGE_KERNEL_RO), 0);
	KEXPECT_EQ(t, alias[7], 0x22); /* the new frame, not a stale translation */
	before = fault_fixup_count();
	KEXPECT_FALSE(t, probe_write_u8((void *)va, 1));
	expect_one_pf(t, before, va, X86_PF_PROT | X86_PF_WRITE);
	KEXPECT_EQ(t, unmap_page(va), 0);
	KEXPECT_EQ(t, kernel_pgtable.nr_tables, tables); /* emptied tables went back */
out:
	if (p1)
		__free_page(p1);
	if (p2)
		__free_page(p2);
}

/*
 * The local APIC through ioremap: uncached, 4 KiB, guard page below. In xAPIC
 * mode the mapping reads the same version register as the APIC driver's own;
 * in x2APIC mode the MMIO page is no APIC register at all (Intel SDM vol. 3,
 * "x2APIC Register Availability": the xAPIC interface is unavailable; Bochs
 * reads 0xffffffff there with up to 2 GiB of guest memory, 0 with 5 GiB), so
 * only the mapping is checked.
 */
static void vm_ioremap_uncached(struct ktest *t)
{
	volatile u32 *lapic;
	unsigned int prot, level;
	phys_addr_t pa;
	u32 ver;

	if (skip_unless_ready(t))
		return;
	lapic = ioremap(0xfee00000, 0x400);
	KEXPECT_TRUE(t, lapic != NULL);
	if (!lapic)
		return;
	KEXPECT_TRUE(t, vm_translate((u64)lapic, &pa, &prot, &level));
	KEXPECT_EQ(t, pa, 0xfee00000);
	KEXPECT_EQ(t, prot, PAGE_KERNEL_NOCACHE);
	KEXPECT_EQ(t, level, 1);
	KEXPECT_FALSE(t, vm_translate((u64)lapic - 1, NULL, NULL, NULL));
	ver = lapic[0x30 / 4];
	if (apic_x2apic_mode()) {
		ktest_log(t, "x2APIC mode: the MMIO page reads 0x%x, no APIC register there", ver);
	} else {
		ktest_log(t, "local APIC version register: 0x%x", ver);
		KEXPECT_EQ(t, ver, apic_read(APIC_VERSION));
		KEXPECT_TRUE(t, (ver & 0xff) >= 0x10); /* integrated APIC */
	}
	iounmap(lapic);
	KEXPECT_FALSE(t, vm_translate((u64)lapic, NULL, NULL, NULL));
	lapic = ioremap(0xfec00010, 8); /* unaligned: the IO APIC's data window */
	KEXPECT_EQ(t, (u64)lapic & 0xfff, 0x10);
	iounmap(lapic);
}

/* memremap: RAM through the direct map, firmware memory (the RSDP the boot
 * path copied, boot/boot_info.h) mapped again must read the same. */
static void vm_memremap_rsdp(struct ktest *t)
{
	struct page *p = alloc_page(GFP_KERNEL);
	const u8 *rsdp;

	if (skip_unless_ready(t) || !p) {
		KEXPECT_TRUE(t, p != NULL);
		return;
	}
	KEXPECT_TRUE(t, memremap(page_to_phys(p) + 8, 16) == (u8 *)page_address(p) + 8);
	__free_page(p);
	if (!boot_info.rsdp_phys)
		return;
	rsdp = memremap(boot_info.rsdp_phys, boot_info.rsdp_len);
	KEXPECT_TRUE(t, rsdp != NULL);
	if (rsdp) {
		KEXPECT_TRUE(t, !memcmp(rsdp, boot_info.rsdp, boot_info.rsdp_len));
		memunmap((void *)rsdp);
	}
}

KTEST_SUITE(vm, KTEST_ORDER_VM, KTEST_CASE(vm_switched), KTEST_CASE(vm_kernel_sections),
	    KTEST_CASE(vm_direct_map_translation), KTEST_CASE(vm_direct_map_page_sizes),
	    KTEST_CASE(fault_write_rodata), KTEST_CASE(fault_write_text_alias),
	    KTEST_CASE(vm_wx_alias_audit), KTEST_CASE(vm_table_alloc_no_reclaim),
	    KTEST_CASE(fault_exec_data), KTEST_CASE(fault_exec_direct_map),
	    KTEST_CASE(fault_null_deref), KTEST_CASE(fault_stack_guard),
	    KTEST_CASE(fault_boot_stack_guard), KTEST_CASE(vm_map_unmap_roundtrip),
	    KTEST_CASE(vm_ioremap_uncached), KTEST_CASE(vm_memremap_rsdp));
