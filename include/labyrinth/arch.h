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
 *   arch_cpu_relax()      spin-wait hint (PAUSE)
 *   arch_cycles()         a cycle counter (TSC), monotonic per CPU
 *   arch_phys_bits()      physical address width of this CPU
 *
 * Atomics are the compiler's __atomic builtins, which need no seam.
 */
#ifndef LABYRINTH_ARCH_H
#define LABYRINTH_ARCH_H

#include <labyrinth/types.h>

#define NR_CPUS 8

#include <asm/arch_impl.h>

/*
 * The out-of-line part of the seam, used only by the kernel (kernel/,
 * arch/x86_64/): boot steps and console, implemented in arch/x86_64/.
 */
void arch_early_init(void); /* boot CPU's per-CPU area, serial console, TSC */
void arch_cpu_init(void);   /* GDT, TSS with IST stacks, IDT: exceptions report */
void arch_console_write(const char *s, size_t len); /* COM1, polled, '\n' -> "\r\n" */
u64 arch_clock_ns(void);    /* ns since boot from the TSC; 0 before calibration */
void arch_dump_stack(void); /* symbolized backtrace of the caller */
__attribute__((noreturn)) void arch_exit(int status); /* 0 = success; QEMU exits, hardware halts */

#endif
