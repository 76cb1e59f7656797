/*
 * asm/ptrace.h - struct pt_regs, the register frame every interrupt and
 * exception entry builds on the stack (arch/x86_64/isr.asm pushes it; the
 * C dispatcher in arch/x86_64/idt.c and the reports in traps.c read it).
 *
 * Field order is stack order, lowest address first: the general registers
 * isr.asm pushes, then the vector and error code (0 when the CPU pushes
 * none), then the frame the CPU itself pushed. Keep PT_REGS_* offsets in
 * isr.asm in step with this struct (checked by BUILD_BUG_ONs in idt.c).
 */
#ifndef ASM_PTRACE_H
#define ASM_PTRACE_H

#include <labyrinth/types.h>

struct pt_regs {
	u64 r15, r14, r13, r12, rbp, rbx, r11, r10, r9, r8;
	u64 rax, rcx, rdx, rsi, rdi;
	u64 vector;		      /* pushed by the stub */
	u64 error_code;		      /* pushed by the CPU, or 0 by the stub */
	u64 rip, cs, rflags, rsp, ss; /* pushed by the CPU */
};

#define PT_REGS_SIZE (22 * 8)
#define PT_REGS_RIP_OFFSET (17 * 8)

#endif
