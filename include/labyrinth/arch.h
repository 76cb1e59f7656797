/*
 * arch.h - the one seam between generic code (mm/, kernel/) and the machine.
 *
 * Everything generic code needs from the CPU comes through the functions
 * named here. They are implemented as static inlines in <asm/arch_impl.h>:
 * arch/x86_64/include/asm/arch_impl.h in the kernel, and
 * tests/host/include/asm/arch_impl.h on the host, where "CPUs" are threads
 * and "interrupts" are a per-thread flag. That seam is what lets the real
 * allocator be unit-tested, fuzzed and benchmarked outside QEMU.
 *
 * The contract (both implementations keep it):
 *   arch_irq_save()       disable local interrupts, return the previous state
 *   arch_irq_restore(f)   restore the state returned by arch_irq_save()
 *   arch_irqs_disabled()  true if local interrupts are off
 *   arch_in_irq()         true while running in a hardware interrupt handler
 *   arch_cpu_id()         index of this CPU, 0 .. NR_CPUS-1
 *   arch_set_cpu_mm(c, p) keep p as CPU c's mm row (mm/pcp.c's per-CPU table)
 *   arch_this_cpu_mm()    this CPU's mm row, in one load (x86: %gs-relative)
 *   arch_cpu_relax()      spin-wait hint (PAUSE)
 *   arch_cycles()         a cycle counter (TSC), monotonic per CPU
 *   arch_phys_bits()      physical address width of this CPU
 *
 * Atomics are the compiler's __atomic builtins, which need no seam.
 */
#ifndef LABYRINTH_ARCH_H
#define LABYRINTH_ARCH_H

#include <labyrinth/types.h>

#define NR_CPUS 16

#include <asm/arch_impl.h>

/*
 * The out-of-line part of the seam, used only by the kernel (kernel/,
 * arch/x86_64/): boot steps and console, implemented in arch/x86_64/.
 */
void arch_early_init(void); /* boot CPU's per-CPU area, serial console, TSC */
void arch_cpu_init(void);   /* GDT, TSS with IST stacks, IDT: exceptions report */
void arch_console_write(const char *s, size_t len); /* COM1, polled, '\n' -> "\r\n" */
u64 arch_clock_ns(void);    /* ns since boot from the TSC; 0 before calibration */
u64 arch_cycles_hz(void);   /* arch_cycles() per second; 0 before calibration */
void arch_dump_stack(void); /* symbolized backtrace of the caller */
void arch_trigger_test_fault(const char *kind);	      /* test=fault:pf|gp|ud|de: raise it */
__attribute__((noreturn)) void arch_exit(int status); /* 0 = success; QEMU exits, hardware halts */
bool arch_hypervisor_present(void); /* the CPU says a hypervisor or emulator runs it */

/*
 * Kernel only, static inlines of the kernel's <asm/arch_impl.h> (the host
 * has no idle loop): arch_local_irq_enable(), arch_local_irq_disable(), and
 * arch_safe_halt(), which enables interrupts and halts with no window
 * between the two in which a wake-up could be lost (x86: sti; hlt).
 */

/*
 * Interrupt controllers and CPUs: the machine's side of irq_init() and
 * smp_init() (include/labyrinth/smp.h), for kernel/irq.c, kernel/smp.c and
 * kernel/smpboot.c. Implemented in arch/x86_64/apic.c, ioapic.c (irq),
 * smp.c (the call-function IPI) and smpboot.c (starting a CPU). arch/ is
 * handed what it must not fetch from the layers above it: the MADT's
 * interrupt data, and a function that maps MMIO registers uncached (NULL
 * before the kernel's page tables exist: the boot identity map serves).
 * apic_id is the firmware's name for a CPU (the MADT's, acpi.h); CPU
 * numbers are generic code's, 0 .. NR_CPUS-1.
 */
struct acpi_madt_info;
typedef void *(*arch_ioremap_t)(phys_addr_t pa, size_t size);
int arch_irq_init(const struct acpi_madt_info *madt, arch_ioremap_t map);

typedef void (*arch_ap_entry_t)(unsigned int cpu) __attribute__((noreturn));
u32 arch_smp_prepare_boot_cpu(void);	     /* CPU 0's APIC id; the state APs copy */
int arch_smp_trampoline_install(void *page); /* 0, or -1 (reported) */
/* INIT-SIPI-SIPI: cpu starts on stack_top and, set up, calls entry(cpu). */
void arch_boot_cpu(unsigned int cpu, u32 apic_id, void *stack_top, arch_ap_entry_t entry);
void arch_park_cpu(u32 apic_id);	/* a CPU that did not answer: back to wait-for-SIPI */
u32 arch_cpu_apic_id(unsigned int cpu); /* what cpu was started with; ~0: not started */
/* The call-function IPI: fn runs in its handler (IRQ context, after the EOI). */
void arch_set_call_function_handler(void (*fn)(void));
void arch_send_call_function_ipi(unsigned int cpu);

#endif
