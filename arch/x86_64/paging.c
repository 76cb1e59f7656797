/*
 * paging.c - the CPU side of the kernel's page tables: which paging
 * features this CPU has (CPUID), the control bits that make the tables'
 * permissions real (EFER.NXE, CR0.WP, CR4.PGE/SMEP/SMAP), the kernel
 * image's sections for mm/vm.c, and running a function on another stack
 * (the guard-page test in tests/kernel/vm_test.c).
 *
 * The tables themselves are built by mm/pgtable.c under the policy of
 * mm/vm.c; the entry format and the CR3/INVLPG wrappers are in
 * asm/pgtable.h.
 *
 * 5-level paging (LA57): reported when the CPU has it, but not used. CR4.LA57
 * can only change with paging off, which in 64-bit code means leaving long
 * mode for a moment from identity-mapped code; the boot paths enter the
 * kernel with 4-level tables, so the kernel stays 4-level. The builder
 * (mm/pgtable.c) handles 5 levels (host-tested) if a boot path ever
 * enables it.
 */
#define pr_fmt(fmt) "vm: " fmt

#include <labyrinth/layout.h>
#include <labyrinth/pgtable.h>
#include <labyrinth/printk.h>
#include <asm/cpu.h>

struct x86_paging_features x86_paging;

/* CPUID bits (Intel SDM vol. 2A, CPUID; AMD APM vol. 3). */
#define CPUID1_EDX_PGE (1u << 13)
#define CPUID7_EBX_SMEP (1u << 7)
#define CPUID7_EBX_SMAP (1u << 20)
#define CPUID7_ECX_LA57 (1u << 16)
#define CPUID81_EDX_NX (1u << 20)
#define CPUID81_EDX_PDPE1GB (1u << 26)

static void detect_features(struct x86_paging_features *f)
{
	u32 a, b, c, d, max;

	cpuid(0, &max, &b, &c, &d);
	cpuid(1, &a, &b, &c, &d);
	f->pge = d & CPUID1_EDX_PGE;
	if (max >= 7) {
		cpuid_count(7, 0, &a, &b, &c, &d);
		f->smep = b & CPUID7_EBX_SMEP;
		f->smap = b & CPUID7_EBX_SMAP;
		f->la57 = c & CPUID7_ECX_LA57;
	}
	cpuid(0x80000000, &max, &b, &c, &d);
	if (max >= 0x80000001) {
		cpuid(0x80000001, &a, &b, &c, &d);
		f->nx = d & CPUID81_EDX_NX;
		f->pdpe1gb = d & CPUID81_EDX_PDPE1GB;
	}
}

static const char *yn(bool b)
{
	return b ? "yes" : "no";
}

void arch_paging_init(struct pgtable_caps *caps)
{
	struct x86_paging_features *f = &x86_paging;

	detect_features(f);
	if (f->nx)
		wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_NXE); /* NX is a reserved bit without it */
	write_cr0(read_cr0() | CR0_WP); /* read-only means read-only for the kernel too */
	f->la57_on = read_cr4() & CR4_LA57;
	caps->levels = f->la57_on ? 5 : 4;
	caps->leaf_levels = (1u << 1) | (1u << 2) | (f->pdpe1gb ? 1u << 3 : 0);
	caps->pte_mask = f->nx ? ~0ull : ~_PAGE_NX;
	pr_info("paging: %u-level, 1G pages %s, NX %s, PGE %s, SMEP %s, SMAP %s, LA57 %s\n",
		caps->levels, yn(f->pdpe1gb), yn(f->nx), yn(f->pge), yn(f->smep), yn(f->smap),
		f->la57
		    ? (f->la57_on ? "in use" : "available, unused (needs a boot path in 5-level)")
		    : "no");
}

/*
 * After the switch: global pages (setting CR4.PGE also flushes the whole
 * TLB), and the supervisor-mode protections against user pages. The kernel
 * maps no user page, so SMEP/SMAP only turn a future bug into a fault.
 */
void arch_paging_finish(void)
{
	struct x86_paging_features *f = &x86_paging;
	u64 cr4 = read_cr4();

	f->smep_on = f->smep;
	f->smap_on = f->smap;
	if (f->pge)
		cr4 |= CR4_PGE;
	if (f->smep)
		cr4 |= CR4_SMEP;
	if (f->smap)
		cr4 |= CR4_SMAP;
	write_cr4(cr4 & ~CR4_PGE);
	write_cr4(cr4);
}

/*
 * The image's sections and their permissions. .data/.bss is mapped in two
 * pieces around the boot stack's guard page (arch/x86_64/head64.asm), so
 * the boot CPU's stack, like every other kernel stack, has an unmapped page
 * below it.
 */
unsigned int arch_kernel_sections(struct vm_image_section *out, unsigned int max)
{
	extern char _stext[], _etext[], _srodata[], _erodata[], _sdata[], _ebss[];
	extern char boot_stack_guard[], boot_stack_bottom[];
	const struct vm_image_section sec[] = {
		{ ".text", (u64)_stext, (u64)_etext, 0, PAGE_KERNEL_ROX },
		{ ".rodata", (u64)_srodata, (u64)_erodata, 0, PAGE_KERNEL_RO },
		{ ".data/.bss", (u64)_sdata, (u64)boot_stack_guard, 0, PAGE_KERNEL },
		{ ".bss (boot stack on)", (u64)boot_stack_bottom, (u64)_ebss, 0, PAGE_KERNEL },
	};
	unsigned int n = 0;

	for (; n < max && n < sizeof(sec) / sizeof(sec[0]); n++) {
		out[n] = sec[n];
		out[n].phys = sec[n].start - KERNEL_VMA_BASE;
	}
	return n;
}

/*
 * fn(arg) on another stack. RBX (callee-saved) keeps the old RSP across the
 * call; every caller-saved register is declared clobbered.
 */
void arch_call_on_stack(void *stack_top, void (*fn)(void *), void *arg)
{
	__asm__ volatile("mov %%rsp, %%rbx\n\t"
			 "mov %[top], %%rsp\n\t"
			 "call *%[fn]\n\t"
			 "mov %%rbx, %%rsp\n\t"
			 : "+D"(arg)
			 : [top] "r"((u64)stack_top & ~15ull), [fn] "r"(fn)
			 : "rbx", "rax", "rcx", "rdx", "rsi", "r8", "r9", "r10", "r11", "memory",
			   "cc");
}
