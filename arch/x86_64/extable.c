/*
 * extable.c - exception fixups (Linux's extable) and the safe probes.
 *
 * The fault path (do_exception in traps.c) asks fixup_exception() first:
 * when the faulting instruction has an __ex_table entry (asm/extable.h), or
 * the fault is a probe_exec() target failing to run (see probe.asm), the
 * fault is recorded in this CPU's "last fault" record and execution resumes
 * at the fixup instead of producing a report. Tests use the probes to check
 * that a mapping is really read-only, non-executable or absent.
 */
#define pr_fmt(fmt) "extable: " fmt

#include <labyrinth/arch.h>
#include <labyrinth/compiler.h>
#include <asm/cpu.h>
#include <asm/extable.h>
#include <asm/traps.h>

extern const struct exception_table_entry __start_extable[], __stop_extable[];
/* probe.asm */
extern bool probe_exec_asm(void *code);
extern const char probe_exec_returned[], probe_exec_failed[];

static struct fault_record fault_records[NR_CPUS];
static void *exec_probe_target[NR_CPUS]; /* the code probe_exec() is calling */

/* A linear search: the table is small and searched only on faults. */
const struct exception_table_entry *search_extable(u64 ip)
{
	for (const struct exception_table_entry *e = __start_extable; e < __stop_extable; e++) {
		if (extable_insn(e) == ip)
			return e;
	}
	return NULL;
}

static void record_fault(const struct pt_regs *regs)
{
	struct fault_record *r = &fault_records[arch_cpu_id()];

	r->vector = regs->vector;
	r->error_code = regs->error_code;
	r->cr2 = regs->vector == X86_TRAP_PF ? read_cr2() : 0;
	r->rip = regs->rip;
	r->count++;
}

/* A fetch fault on probe_exec()'s target: RIP = target, [RSP] = our return address. */
static bool fixup_exec_probe(struct pt_regs *regs)
{
	u64 target = (u64)READ_ONCE(exec_probe_target[arch_cpu_id()]);

	if (!target || regs->rip != target)
		return false;
	if (*(const u64 *)regs->rsp != (u64)probe_exec_returned)
		return false;
	record_fault(regs);
	regs->rsp += 8; /* pop the return address the call pushed */
	regs->rip = (u64)probe_exec_failed;
	return true;
}

bool fixup_exception(struct pt_regs *regs)
{
	const struct exception_table_entry *e;

	/* Aborts and NMIs are never "expected": always report them. */
	if (regs->vector == X86_TRAP_DF || regs->vector == X86_TRAP_NMI ||
	    regs->vector == X86_TRAP_MC)
		return false;
	e = search_extable(regs->rip);
	if (e) {
		record_fault(regs);
		regs->rip = extable_fixup(e);
		return true;
	}
	return fixup_exec_probe(regs);
}

struct fault_record *last_fault(void)
{
	return &fault_records[arch_cpu_id()];
}

u64 fault_fixup_count(void)
{
	return READ_ONCE(fault_records[arch_cpu_id()].count);
}

__noinline bool probe_read_u8(const volatile void *p, u8 *out)
{
	u8 v = 0;
	u32 ok = 0;

	__asm__ volatile("1:	movb (%[p]), %[v]\n\t"
			 "movl $1, %[ok]\n"
			 "2:\n" _ASM_EXTABLE(1b, 2b)
			 : [v] "+q"(v), [ok] "+r"(ok)
			 : [p] "r"(p)
			 : "memory");
	if (ok)
		*out = v;
	return ok;
}

__noinline bool probe_write_u8(volatile void *p, u8 v)
{
	u32 ok = 0;

	__asm__ volatile("1:	movb %[v], (%[p])\n\t"
			 "movl $1, %[ok]\n"
			 "2:\n" _ASM_EXTABLE(1b, 2b)
			 : [ok] "+r"(ok)
			 : [p] "r"(p), [v] "q"(v)
			 : "memory");
	return ok;
}

bool probe_exec(void *code)
{
	unsigned int cpu = arch_cpu_id();
	bool ok;

	WRITE_ONCE(exec_probe_target[cpu], code);
	barrier();
	ok = probe_exec_asm(code);
	barrier();
	WRITE_ONCE(exec_probe_target[cpu], NULL);
	return ok;
}
