/*
 * asm/traps.h - CPU exception vectors, page-fault error bits and the
 * exception side of the entry path (arch/x86_64/traps.c reports,
 * arch/x86_64/extable.c fixes up, arch/x86_64/stacktrace.c walks frames).
 */
#ifndef ASM_TRAPS_H
#define ASM_TRAPS_H

#include <labyrinth/types.h>
#include <asm/ptrace.h>

enum x86_trap {
	X86_TRAP_DE = 0,     /* divide error */
	X86_TRAP_DB = 1,     /* debug */
	X86_TRAP_NMI = 2,    /* non-maskable interrupt */
	X86_TRAP_BP = 3,     /* int3 */
	X86_TRAP_OF = 4,     /* overflow */
	X86_TRAP_BR = 5,     /* bound range exceeded */
	X86_TRAP_UD = 6,     /* invalid opcode */
	X86_TRAP_NM = 7,     /* device not available */
	X86_TRAP_DF = 8,     /* double fault */
	X86_TRAP_OLD_MF = 9, /* coprocessor segment overrun */
	X86_TRAP_TS = 10,    /* invalid TSS */
	X86_TRAP_NP = 11,    /* segment not present */
	X86_TRAP_SS = 12,    /* stack segment fault */
	X86_TRAP_GP = 13,    /* general protection fault */
	X86_TRAP_PF = 14,    /* page fault */
	X86_TRAP_SPURIOUS = 15,
	X86_TRAP_MF = 16, /* x87 floating-point error */
	X86_TRAP_AC = 17, /* alignment check */
	X86_TRAP_MC = 18, /* machine check */
	X86_TRAP_XF = 19, /* SIMD floating-point exception */
	X86_TRAP_VE = 20, /* virtualization exception */
	X86_TRAP_CP = 21, /* control protection fault */
	X86_TRAP_HV = 28, /* hypervisor injection */
	X86_TRAP_VC = 29, /* VMM communication */
	X86_TRAP_SX = 30, /* security exception */
	NR_EXCEPTION_VECTORS = 32,
};

/* Page-fault error code bits (Linux's enum x86_pf_error_code). */
#define X86_PF_PROT (1UL << 0)	/* P: 0 = not-present page, 1 = protection violation */
#define X86_PF_WRITE (1UL << 1) /* W: the access was a write */
#define X86_PF_USER (1UL << 2)	/* U: from user mode */
#define X86_PF_RSVD (1UL << 3)	/* RSVD: a reserved bit was set in a paging entry */
#define X86_PF_INSTR (1UL << 4) /* I: an instruction fetch */
#define X86_PF_PK (1UL << 5)	/* PK: protection keys */
#define X86_PF_SHSTK (1UL << 6) /* SS: a shadow-stack access */
#define X86_PF_SGX (1UL << 15)

/* Called by the entry path (idt.c) for vectors 0..31; returns only after a fixup. */
void do_exception(struct pt_regs *regs);
/* extable.c: resume a fault covered by __ex_table; true if regs now point at a fixup. */
bool fixup_exception(struct pt_regs *regs);
/* stacktrace.c: "Call Trace:" from a faulting context (rip, then the rbp chain). */
void show_trace_regs(const struct pt_regs *regs);
/* Deliberate faults for the test matrix: "pf", "gp", "ud", "de", "df", "bp". */
void arch_trigger_test_fault(const char *kind);
const char *trap_name(unsigned int vector);

/*
 * NMIs (arch/x86_64/traps.c): never fatal. A handler registered here may
 * claim one (return true); it runs in NMI context on the IST stack and must
 * take no lock and print nothing. Counts are per CPU.
 */
struct pt_regs;
void nmi_set_handler(bool (*fn)(struct pt_regs *regs));
u64 nmi_count(unsigned int cpu);
u64 nmi_unknown_count(unsigned int cpu);

#endif
