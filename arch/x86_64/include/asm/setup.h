/*
 * asm/setup.h - the x86_64 boot steps behind arch_early_init() and
 * arch_cpu_init() (arch/x86_64/setup.c), one file each.
 */
#ifndef ASM_SETUP_H
#define ASM_SETUP_H

#include <labyrinth/types.h>

void serial_init(void);	 /* arch/x86_64/serial.c: COM1, 115200 8N1 */
void serial_flush(void); /* wait until the last byte has left the UART */
void pic_disable(void);	 /* arch/x86_64/pic.c: remap the 8259s to 0x20.., mask all */

/* The boot CPU's stack (arch/x86_64/head64.asm). */
extern char boot_stack_bottom[], boot_stack_top[];

/* isa-debug-exit (QEMU): writing v makes QEMU exit with (v << 1) | 1. */
#define QEMU_EXIT_PORT 0xf4
#define QEMU_EXIT_SUCCESS 0x10 /* QEMU exits 33 */
#define QEMU_EXIT_FAILURE 0x11 /* QEMU exits 35 */

#endif
