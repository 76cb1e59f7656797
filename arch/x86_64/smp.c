/*
 * smp.c - the machine's side of cross-CPU calls: the call-function IPI.
 *
 * kernel/smp.c posts a function for another CPU (smp_call_function*()) or
 * queues work for it (smp_queue_work()) and has this file send that CPU
 * CALL_FUNCTION_VECTOR through its local APIC (apic.c), addressed by the
 * APIC id it was started with (smpboot.c). On the target, the vector's
 * handler acknowledges the interrupt and runs the handler kernel/smp.c
 * registered: arch/ never calls up into kernel/ by name.
 */
#include <labyrinth/arch.h>
#include <labyrinth/compiler.h>
#include <labyrinth/printk.h>
#include <labyrinth/smp.h>
#include <asm/apic.h>
#include <asm/irq.h>

static void (*call_function_handler)(void);

static void call_function_interrupt(struct pt_regs *regs)
{
	void (*fn)(void) = READ_ONCE(call_function_handler);

	(void)regs;
	apic_eoi();
	if (fn)
		fn();
}

void arch_set_call_function_handler(void (*fn)(void))
{
	WRITE_ONCE(call_function_handler, fn);
	irq_register(CALL_FUNCTION_VECTOR, call_function_interrupt);
}

void arch_send_call_function_ipi(unsigned int cpu)
{
	u32 apic_id = arch_cpu_apic_id(cpu);

	if (WARN_ON(apic_id == ~0u)) /* never started: ~0 would be a broadcast */
		return;
	apic_send_ipi(apic_id, CALL_FUNCTION_VECTOR);
}
