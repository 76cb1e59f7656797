/*
 * smpboot.c - starting an application processor (AP): INIT-SIPI-SIPI, the
 * trampoline, and the CPU's own set-up.
 *
 * Which CPUs to start, their stacks and nodes, and how long to wait for
 * each are kernel/smpboot.c's decisions; this file does what the machine
 * needs. arch_smp_trampoline_install() copies trampoline.asm into its page
 * (SMP_TRAMPOLINE_START), through the writable alias it is handed. For
 * each CPU, arch_boot_cpu() fills in the trampoline's parameter block and
 * sends INIT, 10 ms, SIPI, 200 us, and a second SIPI if the CPU has not
 * called in (Intel SDM). The SIPI vector 0x08 starts it in real mode at
 * physical 0x8000; the trampoline takes it to long mode on the kernel's
 * page tables and into ap_start() below, on the stack it was given.
 * ap_start() installs the CPU's per-CPU area (percpu.c, GS base), its own
 * GDT and TSS with IST stacks (gdt.c), the shared IDT (idt.c), its local
 * APIC and timer (apic.c), and then calls the entry generic code handed
 * in, which marks it online and never returns. The call-function IPI the
 * started CPUs answer is smp.c.
 */
#define pr_fmt(fmt) "smp: " fmt

#include <labyrinth/arch.h>
#include <labyrinth/layout.h>
#include <labyrinth/printk.h>
#include <labyrinth/smp.h>
#include <labyrinth/string.h>
#include <asm/apic.h>
#include <asm/cpu.h>
#include <asm/desc.h>
#include <asm/percpu.h>
#include <asm/pgtable.h>
#include <asm/tsc.h>

#define CR4_PCIDE (1ull << 17)

/* Filled in before each AP start; the layout of trampoline.asm's params. */
struct trampoline_params {
	u64 cr3, cr4, cr0, efer, stack, entry, cpu;
};

extern const u8 trampoline_start[], trampoline_end[], trampoline_params[];

static volatile struct trampoline_params *params; /* in the trampoline page */
static u32 cpu_apic_ids[NR_CPUS];
static u64 bsp_cr4;
static u64 ap_stack_tops[NR_CPUS];
static arch_ap_entry_t ap_entry;      /* generic code's, kernel/smpboot.c */
static unsigned long cpu_callin_mask; /* bit n: CPU n reached ap_start()'s end */

u32 arch_cpu_apic_id(unsigned int cpu)
{
	return cpu < NR_CPUS ? cpu_apic_ids[cpu] : ~0u;
}

static bool cpu_called_in(unsigned int cpu)
{
	return (__atomic_load_n(&cpu_callin_mask, __ATOMIC_ACQUIRE) >> cpu) & 1;
}

/* Where every AP arrives from the trampoline, on its own stack. */
__attribute__((noreturn, used)) static void ap_start(u64 cpu)
{
	percpu_init_cpu((unsigned int)cpu);
	this_cpu()->kernel_stack_top = ap_stack_tops[cpu];
	gdt_init_cpu((unsigned int)cpu);
	idt_load();
	if (read_cr4() != bsp_cr4)
		write_cr4(bsp_cr4); /* e.g. PCIDE, which 32-bit code may not set */
	apic_init_cpu();
	apic_timer_start_periodic(TIMER_HZ);
	pr_info("CPU %u: APIC id %u set up\n", (unsigned int)cpu, apic_read_id());
	__atomic_fetch_or(&cpu_callin_mask, 1ul << cpu, __ATOMIC_RELEASE);
	ap_entry((unsigned int)cpu);
}

u32 arch_smp_prepare_boot_cpu(void)
{
	for (unsigned int cpu = 1; cpu < NR_CPUS; cpu++)
		cpu_apic_ids[cpu] = ~0u; /* not started (yet) */
	cpu_apic_ids[0] = apic_read_id();
	bsp_cr4 = read_cr4();
	arch_tlb_init(); /* before any CPU can be asked to flush */
	return cpu_apic_ids[0];
}

/*
 * page: the trampoline page (SMP_TRAMPOLINE_START), mapped writable; NULL
 * if the kernel's page tables are not live yet. The APs run the copy there
 * through an identity mapping their caller makes, so the CR3 they load in
 * 32-bit code must be below 4 GiB.
 */
int arch_smp_trampoline_install(void *page)
{
	size_t size = (size_t)(trampoline_end - trampoline_start);

	BUILD_BUG_ON(SMP_TRAMPOLINE_START != 0x8000); /* trampoline.asm's TRAMPOLINE_BASE */
	if (!page || size > 4096 || read_cr3() >= (1ull << 32)) {
		pr_err("cannot start CPUs: page tables not ready or above 4 GiB (CR3 0x%llx)\n",
		       (unsigned long long)read_cr3());
		return -1;
	}
	memcpy(page, trampoline_start, size);
	params = (volatile void *)((u8 *)page + (trampoline_params - trampoline_start));
	return 0;
}

void arch_boot_cpu(unsigned int cpu, u32 apic_id, void *stack_top, arch_ap_entry_t entry)
{
	u8 page = (u8)(SMP_TRAMPOLINE_START >> 12);

	if (WARN_ON(!params)) /* arch_smp_trampoline_install() did not succeed */
		return;
	ap_stack_tops[cpu] = (u64)stack_top;
	ap_entry = entry;
	params->cr3 = read_cr3();
	params->cr4 = bsp_cr4 & ~CR4_PCIDE; /* no PCIDE outside long mode */
	params->cr0 = read_cr0();
	params->efer = rdmsr(MSR_EFER);
	params->stack = ap_stack_tops[cpu];
	params->entry = (u64)ap_start;
	params->cpu = cpu;
	cpu_apic_ids[cpu] = apic_id;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	apic_send_init(apic_id);
	tsc_delay_us(10000);
	apic_send_sipi(apic_id, page);
	tsc_delay_us(200);
	if (!cpu_called_in(cpu)) {
		apic_send_sipi(apic_id, page);
		tsc_delay_us(200);
	}
}

void arch_park_cpu(u32 apic_id)
{
	apic_send_init(apic_id); /* back to wait-for-SIPI */
}
