/*
 * asm/tsc.h - the time-stamp counter as the kernel's clock
 * (arch/x86_64/tsc.c). arch_clock_ns() in include/labyrinth/arch.h is the
 * generic face of it; the APIC timer calibrates against tsc_hz().
 */
#ifndef ASM_TSC_H
#define ASM_TSC_H

#include <labyrinth/types.h>

void tsc_init(void); /* find the frequency, start the clock at 0 */
u64 tsc_hz(void);    /* TSC ticks per second, 0 before tsc_init() */
u64 tsc_cycles_to_ns(u64 cycles);
void tsc_delay_us(u64 us); /* busy-wait */

#endif
