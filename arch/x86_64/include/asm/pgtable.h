/*
 * asm/pgtable.h (x86_64 kernel) - the paging side of the arch seam: the
 * entry format for the generic builder (mm/pgtable.c), TLB and CR3
 * wrappers, and the CPU's paging features. Included at the end of
 * <labyrinth/pgtable.h>; the host's twin is tests/host/include/asm/pgtable.h.
 * Out-of-line parts (feature detection, EFER/CR0/CR4 set-up, the kernel
 * image's sections) are in arch/x86_64/paging.c; the mapping policy is
 * mm/vm.c.
 */
#ifndef ASM_PGTABLE_H
#define ASM_PGTABLE_H

#include <asm/cpu.h>
#include <asm/pgtable_types.h>

/* The entry format (arch_pte_*) is pure: asm/pgtable_types.h, shared with the host. */

/* ---- TLB and the root pointer ---- */
static inline void arch_flush_tlb_page(u64 va)
{
	invlpg(va);
}

/* Everything, global entries included: toggling CR4.PGE flushes them too. */
static inline void arch_flush_tlb_all(void)
{
	u64 cr4 = read_cr4();

	if (cr4 & CR4_PGE) {
		write_cr4(cr4 & ~CR4_PGE);
		write_cr4(cr4);
	} else {
		write_cr3(read_cr3());
	}
}

static inline void arch_load_page_table(phys_addr_t root)
{
	write_cr3(root & PTE_PFN_MASK);
}

static inline phys_addr_t arch_read_page_table(void)
{
	return read_cr3() & PTE_PFN_MASK;
}

/* ---- TLB shootdown: arch/x86_64/tlb.c ---- */
/* Linux's tlb_single_page_flush_ceiling: up to this many pages, INVLPG each. */
#define TLB_FLUSH_CEILING 33
/*
 * [start, end) out of this CPU's TLB and those of the CPUs in cpus; 0, -1
 * when refused (interrupts off and other CPUs to reach), or the mask of the
 * CPUs that did not acknowledge in time.
 */
long arch_flush_tlb_kernel_range(unsigned long cpus, u64 start, u64 end);
void arch_tlb_init(void); /* the shootdown vector's handler */
/* Test knob (tlb_test_no_shootdown=1): other CPUs are not flushed. */
void arch_tlb_test_disable_shootdown(bool off);

/* ---- arch/x86_64/paging.c ---- */
/* Detects paging features, sets EFER.NXE and CR0.WP, prints them, fills caps. */
void arch_paging_init(struct pgtable_caps *caps);
/* After the switch to the kernel's tables: CR4.PGE, SMEP, SMAP when present. */
void arch_paging_finish(void);
/* The kernel image as kernel.ld lays it out; returns the number of sections. */
unsigned int arch_kernel_sections(struct vm_image_section *out, unsigned int max);
/* Runs fn(arg) with RSP = stack_top (16-byte aligned), then returns to this stack. */
void arch_call_on_stack(void *stack_top, void (*fn)(void *), void *arg);

struct x86_paging_features {
	bool pdpe1gb, nx, smep, smap, pge, la57;
	bool smep_on, smap_on, la57_on;
};
extern struct x86_paging_features x86_paging;

#endif
