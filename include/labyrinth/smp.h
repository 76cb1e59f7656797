/*
 * smp.h - the CPUs: which are online, running a function on the others,
 * and the boot steps that bring interrupts and CPUs up.
 *
 * Generic code over the arch seam (include/labyrinth/arch.h):
 * kernel/smp.c (the online mask, smp_call_function*(), the per-CPU work
 * queues), kernel/smpboot.c (smp_init(): which CPUs to start, their
 * stacks and nodes, the wait for each), kernel/irq.c (irq_init()). The
 * machine's side is arch/x86_64/: apic.c (timer_init(), the local APIC),
 * smp.c (the call-function IPI), smpboot.c (INIT-SIPI-SIPI, the trampoline,
 * a new CPU's set-up). CPU numbers are indexes 0 .. NR_CPUS-1, 0 the boot
 * CPU, as arch_cpu_id() returns them.
 */
#ifndef LABYRINTH_SMP_H
#define LABYRINTH_SMP_H

#include <labyrinth/arch.h>

/* Boot steps, in kmain's order (after acpi_init, include/labyrinth/acpi.h). */
int irq_init(void);   /* 8259s off, IO APIC entries masked, boot CPU's local APIC */
int timer_init(void); /* calibrate the APIC timer, start the tick, interrupts on */
int smp_init(void);   /* start every other CPU the MADT lists */

extern unsigned long cpu_online_mask; /* bit n: CPU n is online */
/* CPU masks are one unsigned long; struct page's owner and the trace's cpu are u8 */
_Static_assert(NR_CPUS <= 8 * sizeof(unsigned long) && NR_CPUS <= 255, "NR_CPUS too large");
/* bit n: CPU n was started at boot (or called on later) and did not answer;
 * it is parked, never online again (kernel/smpboot.c, kernel/smp.c) */
extern unsigned long cpu_missing_mask;
void set_cpu_online(unsigned int cpu); /* a started CPU, from its own entry */

static inline unsigned int num_online_cpus(void)
{
	unsigned long m = __atomic_load_n(&cpu_online_mask, __ATOMIC_ACQUIRE);
	unsigned int n = 0;

	for (; m; m &= m - 1) /* no popcnt instruction assumed */
		n++;
	return n;
}

static inline bool cpu_online(unsigned int cpu)
{
	return cpu < NR_CPUS && (__atomic_load_n(&cpu_online_mask, __ATOMIC_ACQUIRE) >> cpu) & 1;
}

#define for_each_online_cpu(cpu)                  \
	for ((cpu) = 0; (cpu) < NR_CPUS; (cpu)++) \
		if (!cpu_online(cpu)) {           \
		} else

/* How long a waiting smp_call_function*() waits for each CPU. */
#define SMP_CALL_TIMEOUT_MS 5000 /* Linux's csd_lock_timeout: TCG on a busy host is slow */

/*
 * The deadline of a bounded wait of ms milliseconds, in arch_cycles() (this
 * CPU's cycle counter), as every wait on another CPU measures it. Before the
 * counter is calibrated a 1 GHz rate is assumed, so a wait stays bounded.
 */
static inline u64 smp_deadline_ms(u64 ms)
{
	u64 hz = arch_cycles_hz();

	return arch_cycles() + (hz ? hz : 1000000000ull) / 1000 * ms;
}

typedef void (*smp_call_func_t)(void *arg);

/*
 * Runs fn(arg) on every other online CPU, in its call-function IPI handler
 * (IRQ context, interrupts off). With wait, returns when all have run it.
 * Every wait is bounded (kernel/smp.c): a CPU whose slot stays busy with no
 * call finished for SMP_CALL_TIMEOUT_MS, that does not take the call within
 * SMP_CALL_TIMEOUT_MS, or that does not finish it within another
 * SMP_CALL_TIMEOUT_MS, is reported and taken offline (it
 * parks itself in its idle loop, or is parked with INIT if stuck inside the
 * call), and the call returns -1; a CPU that keeps finishing other callers'
 * calls but whose slot this caller never gets in SMP_CALL_POST_MAX_MS is
 * reported and skipped, staying online (-1 too: fn did not run there); fn(arg) then neither runs nor is running
 * there, so arg may be on the caller's stack. Without wait, arg must live
 * until fn has run. A waiting caller with interrupts off is refused with a
 * warning (-1, nothing runs): two CPUs waiting on each other with
 * interrupts off would deadlock.
 */
int smp_call_function(smp_call_func_t fn, void *arg, bool wait);
/* The same for one CPU; runs fn directly (interrupts off) if cpu is this CPU. */
int smp_call_function_single(unsigned int cpu, smp_call_func_t fn, void *arg, bool wait);

/*
 * Queues fn(arg) to run on cpu in process context, from its idle loop, with
 * interrupts on. Returns 0, or -1 if cpu is offline or its queue is full.
 */
int smp_queue_work(unsigned int cpu, smp_call_func_t fn, void *arg);

/* For the idle loop (kernel/idle.c): run this CPU's queued work until the
 * queue is empty; is any queued (checked with interrupts off)? */
void smp_process_work(void);
bool smp_work_pending(void);

/* Installs the call-function IPI's handler (smp_init(), before any CPU starts). */
void call_function_init(void);

#endif
