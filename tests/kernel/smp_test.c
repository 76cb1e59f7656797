/*
 * smp_test.c - KTAP suite "smp": every CPU the MADT lists is online, IPIs
 * and NMIs reach each of them, every CPU's timer ticks (periodic and
 * one-shot), queued work runs in process context, and the lock rule (a lock
 * taken in IRQ context is never taken with interrupts on) held. Runs last
 * (KTEST_ORDER_SMP). The mechanisms (include/labyrinth/smp.h): cross-CPU
 * calls and work queues (kernel/smp.c over arch/x86_64/smp.c's IPI),
 * bring-up (kernel/smpboot.c over arch/x86_64/smpboot.c), the local APIC
 * timer (arch/x86_64/apic.c).
 */
#include <labyrinth/acpi.h>
#include <labyrinth/arch.h>
#include <labyrinth/cmdline.h>
#include <labyrinth/ktest.h>
#include <labyrinth/smp.h>
#include <labyrinth/spinlock.h>
#include <asm/apic.h>
#include <asm/cpu.h>
#include <asm/percpu.h>
#include <asm/traps.h>
#include <asm/tsc.h>

static unsigned int expected_cpus(void)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < acpi_madt.nr_cpus; i++)
		n += !!(acpi_madt.cpus[i].flags & ACPI_MADT_ENABLED);
	return acpi_madt.present ? min(max(n, 1u), (unsigned int)NR_CPUS) : 1;
}

/*
 * Every CPU the MADT lists is online, or was reported missing at boot (it
 * did not answer: kernel/smpboot.c). A missing CPU is named, and fails the
 * case unless the command line made it dead on purpose (smp_test_dead_cpu=).
 * The other cases test the CPUs that are online.
 */
static void test_all_cpus_online(struct ktest *t)
{
	unsigned long missing = __atomic_load_n(&cpu_missing_mask, __ATOMIC_ACQUIRE);
	unsigned int cpu, nr_missing = 0, injected = (unsigned int)param_num("smp_test_dead_cpu");

	for (cpu = 0; cpu < NR_CPUS; cpu++) {
		if (!((missing >> cpu) & 1))
			continue;
		nr_missing++;
		ktest_log(t, "CPU %u (APIC id %u) is missing: it did not answer%s", cpu,
			  arch_cpu_apic_id(cpu), cpu == injected ? " (smp_test_dead_cpu=)" : "");
		KEXPECT_TRUE(t, cpu == injected);
		KEXPECT_FALSE(t, cpu_online(cpu));
	}
	ktest_log(t, "%u of %u CPU(s) online, %u missing", num_online_cpus(), expected_cpus(),
		  nr_missing);
	KEXPECT_EQ(t, num_online_cpus() + nr_missing, expected_cpus());
	if (injected && injected < expected_cpus())
		KEXPECT_TRUE(t, (missing >> injected) & 1); /* the injection took */
	for_each_online_cpu(cpu)
		KEXPECT_EQ(t, percpu_areas[cpu].apic_id, arch_cpu_apic_id(cpu));
}

struct ipi_probe {
	u32 cpu;
	bool in_irq, irqs_off;
};

static void ipi_record(void *arg)
{
	struct ipi_probe *p = arg;

	p->cpu = arch_cpu_id();
	p->in_irq = arch_in_irq();
	p->irqs_off = arch_irqs_disabled();
}

static void ipi_count(void *arg)
{
	__atomic_fetch_add((u32 *)arg, 1, __ATOMIC_RELAXED);
}

static void test_ipi_roundtrip(struct ktest *t)
{
	unsigned int cpu, me = arch_cpu_id();
	u32 count = 0;

	for_each_online_cpu(cpu) {
		struct ipi_probe p = { .cpu = ~0u };
		u64 t0 = rdtsc();

		KEXPECT_EQ(t, smp_call_function_single(cpu, ipi_record, &p, true), 0);
		KEXPECT_EQ(t, p.cpu, cpu);
		KEXPECT_TRUE(t, p.irqs_off);
		if (cpu != me) {
			KEXPECT_TRUE(t, p.in_irq);
			ktest_log(t, "CPU %u: IPI round trip %llu cycles", cpu,
				  (unsigned long long)(rdtsc() - t0));
		}
	}
	KEXPECT_EQ(t, smp_call_function(ipi_count, &count, true), 0);
	KEXPECT_EQ(t, count, num_online_cpus() - 1);
}

/* NMI IPIs reach every CPU (itself included) and are survived, not fatal. */
static void test_nmi_every_cpu(struct ktest *t)
{
	unsigned int cpu;

	for_each_online_cpu(cpu) {
		u64 before = nmi_count(cpu), t0 = rdtsc(), limit = tsc_hz() / 10 + 1;

		KEXPECT_EQ(t, apic_send_nmi(percpu_areas[cpu].apic_id), 0);
		while (nmi_count(cpu) == before && rdtsc() - t0 < limit)
			cpu_pause();
		ktest_expect(t, nmi_count(cpu) == before + 1, __FILE__, __LINE__,
			     "CPU %u: %llu NMIs taken, want 1 within 100 ms", cpu,
			     (unsigned long long)(nmi_count(cpu) - before));
		KEXPECT_TRUE(t, nmi_unknown_count(cpu) >= 1); /* no handler claimed it */
	}
}

/*
 * Each CPU's periodic tick, counted over TIMER_RATE_WINDOW_MS of TSC time,
 * must be within TIMER_RATE_TOLERANCE_PCT of TIMER_HZ: a TSC frequency or an
 * APIC timer calibration that is off shows here (a TSC trusted at 17x its
 * real rate gave 175 ticks for 10). The tolerance covers one tick of phase
 * at each end and ticks an emulator delivers late under host load.
 */
#define TIMER_RATE_WINDOW_MS 200
#define TIMER_RATE_TOLERANCE_PCT 25
static void test_timer_every_cpu(struct ktest *t)
{
	u64 want = TIMER_HZ * TIMER_RATE_WINDOW_MS / 1000, before[NR_CPUS];
	u64 lo = want * (100 - TIMER_RATE_TOLERANCE_PCT) / 100;
	u64 hi = want * (100 + TIMER_RATE_TOLERANCE_PCT) / 100;
	unsigned int cpu;

	KEXPECT_FALSE(t, arch_irqs_disabled());
	for_each_online_cpu(cpu)
		before[cpu] = apic_timer_ticks(cpu);
	tsc_delay_us(TIMER_RATE_WINDOW_MS * 1000);
	for_each_online_cpu(cpu) {
		u64 n = apic_timer_ticks(cpu) - before[cpu];

		ktest_log(t,
			  "CPU %u: %llu timer interrupts in %u ms, want %llu-%llu (%u Hz +-%u%%)",
			  cpu, (unsigned long long)n, TIMER_RATE_WINDOW_MS, (unsigned long long)lo,
			  (unsigned long long)hi, TIMER_HZ, TIMER_RATE_TOLERANCE_PCT);
		KEXPECT_TRUE(t, n >= lo && n <= hi);
	}
}

static void oneshot_and_restart(void *arg)
{
	u64 *fired = arg;
	unsigned int me = arch_cpu_id();
	u64 before = apic_timer_oneshots(me);

	apic_timer_oneshot_ns(2000000);
	sti();
	tsc_delay_us(50000);
	cli();
	*fired = apic_timer_oneshots(me) - before;
	apic_timer_start_periodic(TIMER_HZ);
}

static void test_timer_oneshot(struct ktest *t)
{
	unsigned long flags = arch_irq_save();
	u64 fired = 0;

	oneshot_and_restart(&fired);
	arch_irq_restore(flags);
	ktest_log(t, "one-shot (%s) fired %llu time(s)",
		  apic_has_tsc_deadline() ? "TSC deadline" : "APIC count",
		  (unsigned long long)fired);
	KEXPECT_EQ(t, fired, 1);
}

struct work_probe {
	u32 cpu;
	bool in_irq, irqs_on, done;
};

static void work_record(void *arg)
{
	struct work_probe *w = arg;

	w->cpu = arch_cpu_id();
	w->in_irq = arch_in_irq();
	w->irqs_on = !arch_irqs_disabled();
	__atomic_store_n(&w->done, true, __ATOMIC_RELEASE);
}

static void test_queued_work(struct ktest *t)
{
	static struct work_probe w[NR_CPUS];
	unsigned int cpu, me = arch_cpu_id();
	u64 deadline;

	for_each_online_cpu(cpu)
		if (cpu != me)
			KEXPECT_EQ(t, smp_queue_work(cpu, work_record, &w[cpu]), 0);
	deadline = smp_deadline_ms(SMP_CALL_TIMEOUT_MS);
	for_each_online_cpu(cpu) {
		if (cpu == me)
			continue;
		while (!__atomic_load_n(&w[cpu].done, __ATOMIC_ACQUIRE) && arch_cycles() < deadline)
			cpu_pause();
		KEXPECT_TRUE(t, w[cpu].done && w[cpu].cpu == cpu);
		KEXPECT_TRUE(t, !w[cpu].in_irq && w[cpu].irqs_on);
	}
	if (num_online_cpus() == 1)
		KEXPECT_EQ(t, smp_queue_work(NR_CPUS - 1, work_record, &w[0]), -1);
}

static void test_lock_rule(struct ktest *t)
{
	struct spin_debug_stats st;

	if (!spin_debug_enabled) {
		ktest_skip(t, "lock debugging is off");
		return;
	}
	spin_debug_report(&st);
	KEXPECT_TRUE(t, st.locks > 0);
	KEXPECT_EQ(t, st.irq_unsafe, 0);
	KEXPECT_EQ(t, st.recursions, 0);
}

KTEST_SUITE(smp, KTEST_ORDER_SMP, KTEST_CASE(test_all_cpus_online), KTEST_CASE(test_ipi_roundtrip),
	    KTEST_CASE(test_nmi_every_cpu), KTEST_CASE(test_timer_every_cpu),
	    KTEST_CASE(test_timer_oneshot), KTEST_CASE(test_queued_work),
	    KTEST_CASE(test_lock_rule));
