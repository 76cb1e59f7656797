/*
 * setup.c - the x86_64 side of kmain's first steps (kernel/main.c), and
 * leaving the machine.
 *
 * arch_early_init(): the boot CPU's per-CPU area (percpu.c), the serial
 * console (serial.c) and the TSC clock (tsc.c) -- what printk needs -- and
 * already the trap tables, so that a fault anywhere in boot is reported.
 * arch_cpu_init(): this CPU's GDT and TSS with IST stacks (gdt.c), the IDT
 * (idt.c) so every exception reports (traps.c), and the legacy PICs masked
 * (pic.c); the entry for secondary CPUs (after percpu_init_cpu(cpu)).
 * arch_exit(): QEMU's isa-debug-exit, or a halt on hardware.
 */
#define pr_fmt(fmt) "cpu: " fmt

#include <labyrinth/arch.h>
#include <labyrinth/printk.h>
#include <asm/cpu.h>
#include <asm/desc.h>
#include <asm/setup.h>
#include <asm/tsc.h>

/* This CPU's GDT, TSS and the shared IDT: from here on every exception reports. */
static void trap_tables_init(unsigned int cpu)
{
	static bool idt_built;

	gdt_init_cpu(cpu);
	if (!idt_built) {
		idt_init();
		pic_disable();
		idt_built = true;
	}
	idt_load();
}

void arch_early_init(void)
{
	percpu_init_cpu(0);
	serial_init();
	trap_tables_init(0); /* early, so that faults during boot are reported too */
	tsc_init();
}

/* On the boot CPU this repeats what arch_early_init() did (harmless); APs start here. */
void arch_cpu_init(void)
{
	unsigned int cpu = arch_cpu_id();

	trap_tables_init(cpu);
	pr_info("CPU %u: GDT, TSS (IST: #DF, NMI, #MC) and IDT loaded, %u physical address bits\n",
		cpu, arch_phys_bits());
}

unsigned int arch_phys_bits(void)
{
	u32 a, b, c, d;

	cpuid(0x80000000, &a, &b, &c, &d);
	if (a < 0x80000008)
		return 36; /* CPUs without the leaf: PAE's 36 bits */
	cpuid(0x80000008, &a, &b, &c, &d);
	return a & 0xff;
}

/* CPUID.1:ECX bit 31, which Linux calls X86_FEATURE_HYPERVISOR: reserved
 * (0) on hardware, set by hypervisors and by QEMU's TCG too. */
bool arch_hypervisor_present(void)
{
	u32 a, b, c, d;

	cpuid(1, &a, &b, &c, &d);
	return c & (1u << 31);
}

void arch_exit(int status)
{
	cli();
	serial_flush();
	outl(QEMU_EXIT_PORT, status ? QEMU_EXIT_FAILURE : QEMU_EXIT_SUCCESS);
	/* Still here: real hardware (no isa-debug-exit). Halt for good. */
	for (;;) {
		cli();
		hlt();
	}
}
