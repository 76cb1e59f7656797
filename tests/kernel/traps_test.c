/*
 * traps_test.c - KTAP suite "traps": the x86_64 exception machinery: the
 * exception-fixup probes (arch/x86_64/extable.c, probe.asm), the generic
 * interrupt path (idt.c, isr.asm), symbol lookup for reports
 * (kernel/ksyms.c) and the TSC clock (tsc.c). The fatal paths (reports,
 * double fault) are checked by the boot matrix with test=fault:<kind>
 * (arch/x86_64/traps.c, tests/qemu/test_boot.py), since they end the run.
 */
#include <labyrinth/arch.h>
#include <labyrinth/ksyms.h>
#include <labyrinth/ktest.h>
#include <labyrinth/string.h>
#include <asm/extable.h>
#include <asm/irq.h>
#include <asm/traps.h>
#include <asm/tsc.h>

#define UNMAPPED_ADDR 0xffffc8ffdead0000ull /* canonical, never mapped by boot */
#define NONCANONICAL_ADDR 0xdead000000000000ull

static const u8 probe_rodata = 0x5a;
static u8 probe_data;

static void extable_probe_read(struct ktest *t)
{
	u64 before = fault_fixup_count();
	u8 v = 0;

	KEXPECT_TRUE(t, probe_read_u8(&probe_rodata, &v));
	KEXPECT_EQ(t, v, 0x5a);
	KEXPECT_EQ(t, fault_fixup_count(), before);
	KEXPECT_FALSE(t, probe_read_u8((const void *)UNMAPPED_ADDR, &v));
	KEXPECT_EQ(t, fault_fixup_count(), before + 1);
	KEXPECT_EQ(t, last_fault()->vector, X86_TRAP_PF);
	KEXPECT_EQ(t, last_fault()->cr2, UNMAPPED_ADDR);
	KEXPECT_EQ(t, last_fault()->error_code & (X86_PF_PROT | X86_PF_WRITE), 0);
	KEXPECT_FALSE(t, probe_read_u8((const void *)NONCANONICAL_ADDR, &v));
	KEXPECT_EQ(t, last_fault()->vector, X86_TRAP_GP);
	KEXPECT_EQ(t, fault_fixup_count(), before + 2);
}

static void extable_probe_write(struct ktest *t)
{
	KEXPECT_TRUE(t, probe_write_u8(&probe_data, 0xa5));
	KEXPECT_EQ(t, READ_ONCE(probe_data), 0xa5);
	KEXPECT_FALSE(t, probe_write_u8((void *)UNMAPPED_ADDR, 1));
	KEXPECT_EQ(t, last_fault()->vector, X86_TRAP_PF);
	KEXPECT_TRUE(t, last_fault()->error_code & X86_PF_WRITE);
	KEXPECT_EQ(t, last_fault()->cr2, UNMAPPED_ADDR);
}

static __noinline void probe_target_returns(void)
{
	barrier();
}

/* A fault on fetching the target: RIP = target, stack popped by the fixup. */
static void extable_probe_exec(struct ktest *t)
{
	u64 before = fault_fixup_count();

	KEXPECT_TRUE(t, probe_exec((void *)probe_target_returns));
	KEXPECT_EQ(t, fault_fixup_count(), before);
	KEXPECT_FALSE(t, probe_exec((void *)UNMAPPED_ADDR));
	KEXPECT_EQ(t, last_fault()->vector, X86_TRAP_PF);
	KEXPECT_EQ(t, last_fault()->cr2, UNMAPPED_ADDR);
	KEXPECT_EQ(t, last_fault()->rip, UNMAPPED_ADDR);
	KEXPECT_FALSE(t, probe_exec((void *)NONCANONICAL_ADDR));
	KEXPECT_EQ(t, last_fault()->vector, X86_TRAP_GP);
	KEXPECT_EQ(t, fault_fixup_count(), before + 2);
	/* The stack survived both: this call still works. */
	KEXPECT_TRUE(t, probe_exec((void *)probe_target_returns));
}

static volatile unsigned int soft_irq_hits;
static volatile bool soft_irq_saw_in_irq;

static void soft_irq_handler(struct pt_regs *regs)
{
	soft_irq_hits++;
	soft_irq_saw_in_irq = arch_in_irq() && regs->vector == 0xf0;
}

static void irq_software_vector(struct ktest *t)
{
	KEXPECT_EQ(t, irq_register(14, soft_irq_handler), -1);
	KEXPECT_EQ(t, irq_register(0xf0, soft_irq_handler), 0);
	KEXPECT_EQ(t, irq_register(0xf0, soft_irq_handler), -1);
	soft_interrupt(0xf0);
	KEXPECT_EQ(t, soft_irq_hits, 1);
	KEXPECT_TRUE(t, soft_irq_saw_in_irq);
	KEXPECT_FALSE(t, arch_in_irq());
	irq_unregister(0xf0);
}

static void ksyms_lookup(struct ktest *t)
{
	u64 off = 1, size = 0, addr = (u64)ksyms_lookup;
	const char *name;

	if (!ksym_count()) {
		ktest_skip(t, "no symbol table in this link");
		return;
	}
	name = ksym_lookup(addr + 3, &off, &size);
	KEXPECT_TRUE(t, name && !strcmp(name, "ksyms_lookup"));
	KEXPECT_EQ(t, off, 3);
	KEXPECT_TRUE(t, size > 3);
	KEXPECT_TRUE(t, ksym_lookup(0x1000, NULL, NULL) == NULL);
}

static void tsc_clock(struct ktest *t)
{
	u64 a = arch_clock_ns(), b;

	KEXPECT_TRUE(t, tsc_hz() > 0);
	tsc_delay_us(1000);
	b = arch_clock_ns();
	KEXPECT_TRUE(t, b > a);
	KEXPECT_TRUE(t, b - a >= 1000000); /* at least the 1 ms we waited */
}

KTEST_SUITE(traps, KTEST_ORDER_TRAPS, KTEST_CASE(extable_probe_read),
	    KTEST_CASE(extable_probe_write), KTEST_CASE(extable_probe_exec),
	    KTEST_CASE(irq_software_vector), KTEST_CASE(ksyms_lookup), KTEST_CASE(tsc_clock));
