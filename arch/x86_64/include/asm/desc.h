/*
 * asm/desc.h - descriptor tables: the GDT with its 64-bit TSS
 * (arch/x86_64/gdt.c, one per CPU) and the IDT (arch/x86_64/idt.c, shared).
 *
 * Selectors follow Linux's layout, so reports read "RIP: 0010:..." and
 * "RSP: 0018:..." as they do there.
 */
#ifndef ASM_DESC_H
#define ASM_DESC_H

#include <labyrinth/compiler.h>
#include <labyrinth/types.h>

#define GDT_ENTRY_KERNEL_CS 2
#define GDT_ENTRY_KERNEL_DS 3
#define GDT_ENTRY_TSS 4 /* a 64-bit TSS descriptor takes two slots */
#define GDT_ENTRIES 6

#define __KERNEL_CS (GDT_ENTRY_KERNEL_CS * 8) /* 0x10 */
#define __KERNEL_DS (GDT_ENTRY_KERNEL_DS * 8) /* 0x18 */
#define __TSS_SEL (GDT_ENTRY_TSS * 8)	      /* 0x20 */

/* Interrupt Stack Table slots (1-based, as in the IDT gate's IST field). */
#define IST_DOUBLE_FAULT 1
#define IST_NMI 2
#define IST_MACHINE_CHECK 3
#define IST_STACK_SIZE (16 * 1024)
#define NR_IST_STACKS 3

/* The 64-bit TSS (Intel SDM vol. 3A, "Task-State Segment in 64-Bit Mode"). */
struct tss64 {
	u32 reserved0;
	u64 rsp[3];
	u64 reserved1;
	u64 ist[7]; /* ist[0] is IST1 */
	u64 reserved2;
	u16 reserved3;
	u16 iomap_base;
} __packed;

struct desc_ptr {
	u16 limit;
	u64 base;
} __packed;

void gdt_init_cpu(unsigned int cpu); /* load this CPU's GDT, segments and TSS */
void idt_init(void);		     /* build the shared IDT (once) */
void idt_load(void);		     /* lidt on this CPU */
/* True if addr lies in one of cpu's IST stacks; gives that stack's bounds. */
bool ist_stack_bounds(unsigned int cpu, u64 addr, u64 *lo, u64 *hi);

#endif
