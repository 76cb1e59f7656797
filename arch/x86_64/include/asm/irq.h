/*
 * asm/irq.h - handlers for interrupt vectors 32..255 (hardware interrupts,
 * IPIs, the APIC timer). arch/x86_64/idt.c owns the table and the common
 * entry path (arch/x86_64/isr.asm stubs -> x86_isr_dispatch); vectors 0..31
 * are CPU exceptions and always go to arch/x86_64/traps.c.
 *
 * A handler runs with interrupts off and percpu->irq_depth raised, so
 * arch_in_irq() is true inside it; it must acknowledge its own interrupt
 * source (e.g. write the local APIC's EOI register).
 */
#ifndef ASM_IRQ_H
#define ASM_IRQ_H

#include <labyrinth/types.h>
#include <asm/ptrace.h>

#define NR_VECTORS 256
#define FIRST_EXTERNAL_VECTOR 32
#define PIC_VECTOR_BASE 0x20 /* legacy 8259 IRQs 0..15 after remapping (masked) */
#define SPURIOUS_APIC_VECTOR 0xff

typedef void (*irq_handler_t)(struct pt_regs *regs);

/* Installs fn for vector (32..255). 0 on success, -1 if out of range or taken. */
int irq_register(unsigned int vector, irq_handler_t fn);
void irq_unregister(unsigned int vector);
/* Interrupts that arrived on a vector with no handler, on all CPUs. */
u64 irq_unexpected_count(void);

/* The C entry point isr.asm calls for every vector (idt.c). */
void x86_isr_dispatch(struct pt_regs *regs);

#endif
