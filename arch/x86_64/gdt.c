/*
 * gdt.c - the per-CPU GDT and 64-bit TSS, and the IST stacks they name.
 *
 * Long mode barely uses segmentation, but it still needs a code and a data
 * descriptor and a TSS, whose Interrupt Stack Table gives the double fault,
 * NMI and machine check handlers known-good stacks of their own: a double
 * fault caused by a broken stack can then still be reported (traps.c)
 * instead of escalating to a triple fault and a silent reset. The IDT that
 * selects these stacks is built in idt.c.
 */
#define pr_fmt(fmt) "gdt: " fmt

#include <labyrinth/arch.h>
#include <labyrinth/compiler.h>
#include <labyrinth/printk.h>
#include <asm/desc.h>

/* Flat 64-bit code (L=1) and data segments, ring 0, present. */
#define GDT_KERNEL_CODE64 0x00af9a000000ffffull
#define GDT_KERNEL_DATA 0x00cf92000000ffffull
#define TSS_TYPE_AVAILABLE_64 0x9
#define DESC_PRESENT (1ull << 47)

struct cpu_desc {
	u64 gdt[GDT_ENTRIES];
	struct tss64 tss;
} __aligned(64);

static struct cpu_desc cpu_descs[NR_CPUS];
static u8 ist_stacks[NR_CPUS][NR_IST_STACKS][IST_STACK_SIZE] __aligned(4096);

BUILD_BUG_ON(sizeof(struct tss64) != 104);

static void set_tss_desc(u64 *slot, const struct tss64 *tss)
{
	u64 base = (u64)tss, limit = sizeof(*tss) - 1;

	slot[0] = (limit & 0xffff) | ((base & 0xffffff) << 16) |
		  ((u64)TSS_TYPE_AVAILABLE_64 << 40) | DESC_PRESENT |
		  (((limit >> 16) & 0xf) << 48) | (((base >> 24) & 0xff) << 56);
	slot[1] = base >> 32;
}

static void tss_init(struct tss64 *tss, unsigned int cpu)
{
	for (int i = 0; i < NR_IST_STACKS; i++)
		tss->ist[i] = (u64)&ist_stacks[cpu][i][IST_STACK_SIZE];
	tss->iomap_base = sizeof(*tss); /* no I/O permission bitmap */
}

/* Loads the GDT, reloads CS with a far return, the data segments and TR. */
static void load_gdt_and_segments(const u64 *gdt)
{
	struct desc_ptr ptr = { .limit = GDT_ENTRIES * 8 - 1, .base = (u64)gdt };

	__asm__ volatile("lgdt %0" ::"m"(ptr));
	__asm__ volatile("pushq %[cs]\n\t"
			 "leaq 1f(%%rip), %%rax\n\t"
			 "pushq %%rax\n\t"
			 "lretq\n"
			 "1:\n\t"
			 "movl %[ds], %%eax\n\t"
			 "movl %%eax, %%ds\n\t"
			 "movl %%eax, %%es\n\t"
			 "movl %%eax, %%ss\n\t"
			 :
			 : [cs] "i"(__KERNEL_CS), [ds] "i"(__KERNEL_DS)
			 : "rax", "memory");
	/* FS and GS are left alone: loading a selector may clear the GS base. */
	__asm__ volatile("ltr %w0" ::"r"(__TSS_SEL));
}

void gdt_init_cpu(unsigned int cpu)
{
	struct cpu_desc *d = &cpu_descs[cpu];

	d->gdt[0] = 0;
	d->gdt[1] = 0; /* Linux's 32-bit kernel CS slot, unused here */
	d->gdt[GDT_ENTRY_KERNEL_CS] = GDT_KERNEL_CODE64;
	d->gdt[GDT_ENTRY_KERNEL_DS] = GDT_KERNEL_DATA;
	tss_init(&d->tss, cpu);
	set_tss_desc(&d->gdt[GDT_ENTRY_TSS], &d->tss);
	load_gdt_and_segments(d->gdt);
}

bool ist_stack_bounds(unsigned int cpu, u64 addr, u64 *lo, u64 *hi)
{
	if (cpu >= NR_CPUS)
		return false;
	for (int i = 0; i < NR_IST_STACKS; i++) {
		u64 bottom = (u64)ist_stacks[cpu][i];

		if (addr >= bottom && addr < bottom + IST_STACK_SIZE) {
			*lo = bottom;
			*hi = bottom + IST_STACK_SIZE;
			return true;
		}
	}
	return false;
}
