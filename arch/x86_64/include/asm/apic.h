/*
 * asm/apic.h - the local APIC (arch/x86_64/apic.c), the IO APIC
 * (arch/x86_64/ioapic.c) and the interrupt vectors Labyrinth uses.
 *
 * The local APIC is driven in x2APIC mode (registers are MSRs 0x800 + n)
 * when CPUID says the CPU has it, else in xAPIC mode (memory-mapped
 * registers at offset n << 4 of the APIC page): one register index serves
 * both, see apic_read()/apic_write() in apic.c.
 */
#ifndef ASM_APIC_H
#define ASM_APIC_H

#include <labyrinth/arch.h>

/* Vectors (the 8259s, remapped and masked, own 0x20..0x2f: asm/irq.h). */
#define IOAPIC_VECTOR_BASE 0x30	  /* GSI n -> 0x30 + n (first 16 GSIs) */
#define CALL_FUNCTION_VECTOR 0xfb /* smp_call_function() and queued work */
#define TLB_FLUSH_VECTOR 0xfa	  /* TLB shootdown (tlb.c) */
#define LOCAL_TIMER_VECTOR 0xec
#define ERROR_APIC_VECTOR 0xfe
/* SPURIOUS_APIC_VECTOR (0xff) is in asm/irq.h. */

/* Register indexes: x2APIC MSR = 0x800 + index, xAPIC offset = index << 4. */
#define APIC_ID 0x02
#define APIC_VERSION 0x03
#define APIC_TPR 0x08
#define APIC_EOI 0x0b
#define APIC_LDR 0x0d
#define APIC_SVR 0x0f
#define APIC_ESR 0x28
#define APIC_ICR 0x30 /* x2APIC: one 64-bit MSR; xAPIC: low at 0x30, high at 0x31 */
#define APIC_ICR_HIGH 0x31
#define APIC_LVT_TIMER 0x32
#define APIC_LVT_THERMAL 0x33
#define APIC_LVT_PERF 0x34
#define APIC_LVT_LINT0 0x35
#define APIC_LVT_LINT1 0x36
#define APIC_LVT_ERROR 0x37
#define APIC_TIMER_INIT 0x38
#define APIC_TIMER_CURRENT 0x39
#define APIC_TIMER_DIVIDE 0x3e

#define APIC_SVR_ENABLE (1u << 8)
#define APIC_LVT_MASKED (1u << 16)
#define APIC_LVT_LEVEL (1u << 15)
#define APIC_LVT_ACTIVE_LOW (1u << 13)
#define APIC_LVT_TIMER_ONESHOT (0u << 17)
#define APIC_LVT_TIMER_PERIODIC (1u << 17)
#define APIC_LVT_TIMER_TSC_DEADLINE (2u << 17)
#define APIC_DM_FIXED (0u << 8)
#define APIC_DM_NMI (4u << 8)
#define APIC_DM_INIT (5u << 8)
#define APIC_DM_STARTUP (6u << 8)
#define APIC_DM_EXTINT (7u << 8)
#define APIC_ICR_BUSY (1u << 12) /* xAPIC only: delivery pending */
#define APIC_ICR_ASSERT (1u << 14)
#define APIC_ICR_LEVEL (1u << 15)
#define APIC_DEST_SELF (1u << 18)
#define APIC_DEST_ALL_BUT_SELF (3u << 18)
#define APIC_TIMER_DIV_16 0x3

#define MSR_X2APIC_BASE 0x800
#define MSR_TSC_DEADLINE 0x6e0
#define APIC_BASE_BSP (1ull << 8)
#define APIC_BASE_X2APIC (1ull << 10)
#define APIC_BASE_ENABLE (1ull << 11)

#define CPUID1_ECX_X2APIC (1u << 21)
#define CPUID1_ECX_TSC_DEADLINE (1u << 24)
#define CPUID1_EDX_APIC (1u << 9)

/* ---- local APIC (apic.c) ---- */
bool apic_x2apic_mode(void);
u32 apic_read(u32 reg);
void apic_write(u32 reg, u32 val);
u32 apic_read_id(void); /* this CPU's APIC id */
void apic_eoi(void);
struct acpi_madt_info;
/* Mode, base, this CPU's APIC, handlers; keeps madt for the other CPUs' LINT1. */
int apic_init_bsp(const struct acpi_madt_info *madt, arch_ioremap_t map);
void apic_init_cpu(void); /* enable and set up the calling CPU's APIC */

/* Interprocessor interrupts; 0, or -1 if the APIC never accepted it. */
int apic_send_ipi(u32 apic_id, u8 vector);
int apic_send_ipi_all_but_self(u8 vector);
int apic_send_nmi(u32 apic_id);
int apic_send_init(u32 apic_id);
int apic_send_sipi(u32 apic_id, u8 page);

/* Timer: calibrated once on the boot CPU, started on every CPU. */
int apic_timer_calibrate(void);
u64 apic_timer_hz(void); /* APIC timer input ticks per second (after /16) */
void apic_timer_start_periodic(unsigned int hz);
void apic_timer_oneshot_ns(u64 ns); /* TSC deadline when the CPU has it */
void apic_timer_stop(void);
bool apic_has_tsc_deadline(void);
u64 apic_timer_ticks(unsigned int cpu);	   /* timer interrupts taken by cpu */
u64 apic_timer_oneshots(unsigned int cpu); /* of which one-shot expiries */
/* Called from every timer interrupt (IRQ context), e.g. by the self-test. */
void apic_timer_set_hook(void (*fn)(void));

/* ---- IO APIC (ioapic.c) ---- */
/* Maps and masks every IO APIC the MADT lists (map NULL: the identity map). */
int ioapic_init(const struct acpi_madt_info *madt, arch_ioremap_t map);
/*
 * Routes a GSI to vector on dest_apic; flags are the MADT override's
 * ACPI_MPS_* polarity and trigger, and "conforms" (0) means ISA's defaults,
 * edge and active high: right for ISA IRQs, which the caller looks up with
 * acpi_isa_irq_to_gsi() (include/labyrinth/acpi.h); a PCI GSI (level,
 * active low) must pass its flags. No caller yet: no device drivers.
 */
int ioapic_route_gsi(u32 gsi, u16 flags, u8 vector, u32 dest_apic);
void ioapic_mask_gsi(u32 gsi);

/* Which ktests need: the numbers behind "every CPU takes interrupts". */
#define TIMER_HZ 100

#endif
