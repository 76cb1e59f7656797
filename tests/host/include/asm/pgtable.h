/*
 * asm/pgtable.h (host) - the host's side of the paging seam declared by
 * <labyrinth/pgtable.h>: the real x86_64 entry format
 * (arch/x86_64/include/asm/pgtable_types.h) over simulated memory, with
 * "TLB flushes" and "CR3 loads" recorded in counters a test can read. The
 * kernel's side is arch/x86_64/include/asm/pgtable.h.
 */
#ifndef ASM_PGTABLE_H
#define ASM_PGTABLE_H

#include <arch/x86_64/include/asm/pgtable_types.h>

struct host_paging {
	struct pgtable_caps caps; /* what arch_paging_init() reports */
	phys_addr_t cr3;
	unsigned long flush_page, flush_all, loads, shootdowns;
	struct vm_image_section image[VM_IMAGE_MAX_SECTIONS];
	unsigned int nr_image;
};
extern struct host_paging host_paging;

/* The entry format (arch_pte_*) is the kernel's own, from pgtable_types.h. */

static inline void arch_flush_tlb_page(u64 va)
{
	(void)va;
	host_paging.flush_page++;
}

static inline void arch_flush_tlb_all(void)
{
	host_paging.flush_all++;
}

#define TLB_FLUSH_CEILING 33
/* One "CPU" on the host: a shootdown is a local flush, counted. */
static inline long arch_flush_tlb_kernel_range(unsigned long cpus, u64 start, u64 end)
{
	(void)cpus;
	if ((end - start) / 4096 > TLB_FLUSH_CEILING)
		host_paging.flush_all++;
	else
		host_paging.flush_page += (end - start + 4095) / 4096;
	host_paging.shootdowns++;
	return 0;
}

static inline void arch_load_page_table(phys_addr_t root)
{
	host_paging.cr3 = root;
	host_paging.loads++;
}

static inline phys_addr_t arch_read_page_table(void)
{
	return host_paging.cr3;
}

static inline void arch_paging_init(struct pgtable_caps *caps)
{
	*caps = host_paging.caps;
}

static inline void arch_paging_finish(void)
{
}

static inline unsigned int arch_kernel_sections(struct vm_image_section *out, unsigned int max)
{
	unsigned int n = host_paging.nr_image < max ? host_paging.nr_image : max;

	for (unsigned int i = 0; i < n; i++)
		out[i] = host_paging.image[i];
	return n;
}

#endif
