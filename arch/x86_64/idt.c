/*
 * idt.c - the IDT and the C side of the interrupt entry path.
 *
 * isr.asm has one small stub per vector (0..255); each pushes the vector
 * (and a 0 error code where the CPU pushes none), saves the registers as a
 * struct pt_regs (asm/ptrace.h) and calls x86_isr_dispatch() here.
 * Vectors 0..31 are CPU exceptions and go to do_exception() (traps.c);
 * 32..255 go to the handler registered with irq_register() (asm/irq.h),
 * with percpu->irq_depth raised so that arch_in_irq() is true.
 * The double fault, NMI and machine check gates switch to their own IST
 * stacks (gdt.c), so they are reported even when the kernel stack is gone.
 */
#define pr_fmt(fmt) "irq: " fmt

#include <labyrinth/arch.h>
#include <labyrinth/compiler.h>
#include <labyrinth/printk.h>
#include <asm/desc.h>
#include <asm/irq.h>
#include <asm/traps.h>

#define GATE_INTERRUPT_PRESENT_DPL0 0x8e /* P=1, DPL=0, type 0xe: 64-bit interrupt gate */

struct idt_gate {
	u16 offset_low;
	u16 selector;
	u8 ist; /* bits 0..2: IST slot, 0 = stay on the current stack */
	u8 type_attr;
	u16 offset_mid;
	u32 offset_high;
	u32 reserved;
} __packed;

BUILD_BUG_ON(sizeof(struct idt_gate) != 16);
BUILD_BUG_ON(sizeof(struct pt_regs) != PT_REGS_SIZE);
BUILD_BUG_ON(__builtin_offsetof(struct pt_regs, rip) != PT_REGS_RIP_OFFSET);

extern const u64 isr_stub_table[NR_VECTORS]; /* isr.asm */

static struct idt_gate idt[NR_VECTORS] __aligned(16);
static irq_handler_t irq_handlers[NR_VECTORS];
static u64 unexpected_irqs;

static void set_gate(unsigned int vector, u64 handler, u8 ist)
{
	struct idt_gate *g = &idt[vector];

	g->offset_low = handler & 0xffff;
	g->selector = __KERNEL_CS;
	g->ist = ist;
	g->type_attr = GATE_INTERRUPT_PRESENT_DPL0;
	g->offset_mid = (handler >> 16) & 0xffff;
	g->offset_high = handler >> 32;
	g->reserved = 0;
}

void idt_init(void)
{
	for (unsigned int v = 0; v < NR_VECTORS; v++)
		set_gate(v, isr_stub_table[v], 0);
	idt[X86_TRAP_DF].ist = IST_DOUBLE_FAULT;
	idt[X86_TRAP_NMI].ist = IST_NMI;
	idt[X86_TRAP_MC].ist = IST_MACHINE_CHECK;
}

void idt_load(void)
{
	struct desc_ptr ptr = { .limit = sizeof(idt) - 1, .base = (u64)idt };

	__asm__ volatile("lidt %0" ::"m"(ptr));
}

int irq_register(unsigned int vector, irq_handler_t fn)
{
	irq_handler_t none = NULL;

	if (vector < FIRST_EXTERNAL_VECTOR || vector >= NR_VECTORS || !fn)
		return -1;
	if (!__atomic_compare_exchange_n(&irq_handlers[vector], &none, fn, false, __ATOMIC_RELEASE,
					 __ATOMIC_RELAXED))
		return -1;
	return 0;
}

void irq_unregister(unsigned int vector)
{
	if (vector >= FIRST_EXTERNAL_VECTOR && vector < NR_VECTORS)
		__atomic_store_n(&irq_handlers[vector], NULL, __ATOMIC_RELEASE);
}

u64 irq_unexpected_count(void)
{
	return __atomic_load_n(&unexpected_irqs, __ATOMIC_RELAXED);
}

static void handle_irq(struct pt_regs *regs)
{
	irq_handler_t fn = __atomic_load_n(&irq_handlers[regs->vector], __ATOMIC_ACQUIRE);
	struct percpu *p = this_cpu();

	p->irq_depth++;
	if (fn) {
		fn(regs);
	} else {
		__atomic_fetch_add(&unexpected_irqs, 1, __ATOMIC_RELAXED);
		pr_warn_once("unexpected interrupt on vector %lu (CPU %u)\n", regs->vector,
			     arch_cpu_id());
	}
	p->irq_depth--;
}

/* Called by isr_common (isr.asm) with interrupts off. */
void x86_isr_dispatch(struct pt_regs *regs)
{
	if (regs->vector < NR_EXCEPTION_VECTORS)
		do_exception(regs);
	else
		handle_irq(regs);
}
