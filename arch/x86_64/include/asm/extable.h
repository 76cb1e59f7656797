/*
 * asm/extable.h - the exception-fixup table (Linux's extable) and the safe
 * probes built on it. arch/x86_64/extable.c searches the table and
 * implements the probes; arch/x86_64/traps.c asks it before reporting.
 *
 * An entry says: "if the instruction at insn faults, resume at fixup".
 * Both are 32-bit offsets from the entry's own fields, so the table needs
 * no relocations; the linker collects all entries between __start_extable
 * and __stop_extable (arch/x86_64/kernel.ld). A fixed fault is not an
 * error: it is recorded in this CPU's "last fault" record and counted,
 * and execution goes on at the fixup.
 *
 * The probes let tests check protections without killing the kernel:
 *   ok = probe_write_u8(text_addr, 0x90);    // W^X: expect false, #PF with W|P
 *   KEXPECT_EQ(t, last_fault()->vector, X86_TRAP_PF);
 */
#ifndef ASM_EXTABLE_H
#define ASM_EXTABLE_H

#include <labyrinth/types.h>

struct exception_table_entry {
	s32 insn;  /* faulting instruction, relative to &insn */
	s32 fixup; /* where to resume, relative to &fixup */
};

/* Adds an entry from inline assembly: _ASM_EXTABLE(1b, 2b). */
#define _ASM_EXTABLE(from, to)             \
	".pushsection __ex_table, \"a\"\n" \
	".balign 4\n"                      \
	".long (" #from ") - .\n"          \
	".long (" #to ") - .\n"            \
	".popsection\n"

struct fault_record {
	u64 vector;	/* X86_TRAP_* (asm/traps.h) */
	u64 error_code; /* as pushed by the CPU, 0 if none */
	u64 cr2;	/* the faulting address for #PF, else 0 */
	u64 rip;	/* the faulting instruction (for an execute probe: the target) */
	u64 count;	/* faults fixed up on this CPU so far */
};

/* True if the byte could be read (*out set), false if the read faulted. */
bool probe_read_u8(const volatile void *p, u8 *out);
/* True if the byte could be written, false if the write faulted. */
bool probe_write_u8(volatile void *p, u8 v);
/*
 * Calls code() (e.g. a single 0xc3 "ret" placed in a page). True if it
 * returned, false if fetching or running its first instruction faulted
 * (non-executable or unmapped page, non-canonical address, #UD there).
 */
bool probe_exec(void *code);

/* This CPU's most recent fixed-up fault. */
struct fault_record *last_fault(void);
/* Faults fixed up on this CPU so far (last_fault()->count). */
u64 fault_fixup_count(void);

/* The table entry covering ip, or NULL. */
const struct exception_table_entry *search_extable(u64 ip);
static inline u64 extable_insn(const struct exception_table_entry *e)
{
	return (u64)&e->insn + (s64)e->insn;
}
static inline u64 extable_fixup(const struct exception_table_entry *e)
{
	return (u64)&e->fixup + (s64)e->fixup;
}

#endif
