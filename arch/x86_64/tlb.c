/*
 * tlb.c - TLB shootdown: invalidating a kernel range on several CPUs.
 *
 * Each CPU caches translations in its own TLB (and paging-structure
 * caches), and nothing invalidates another CPU's: after a kernel mapping
 * is removed or restricted, every CPU that may hold it must flush before
 * the page or the table is reused. arch_flush_tlb_kernel_range() is the
 * mechanism; mm/vm.c decides when (after every unmap, with the CPUs online,
 * before freeing anything) and include/labyrinth/vm.h states the rule.
 *
 * One request at a time (flush_busy): the initiator writes the range into
 * flush_req, sets one bit per target in flush_pending, sends each target
 * TLB_FLUSH_VECTOR and flushes locally; each target's handler flushes the
 * range and clears its bit (the acknowledgement). As Linux's
 * flush_tlb_kernel_range() (6.x, tlb_single_page_flush_ceiling = 33), up
 * to TLB_FLUSH_CEILING pages go page by page with INVLPG, which also drops
 * global entries for its address; beyond that every CPU flushes all,
 * toggling CR4.PGE (a CR3 reload would keep global entries).
 *
 * Interrupts: the initiator must have them on (it spins for answers, and a
 * CPU waiting for it with interrupts off would never answer); with them off
 * and another CPU targeted the request is refused (a warning, -1) and the
 * caller must not reuse anything. Waiting for acknowledgements is bounded
 * (TLB_FLUSH_TIMEOUT_MS): the CPUs that did not answer are returned, and
 * the caller (mm/vm.c) reports them.
 */
#define pr_fmt(fmt) "tlb: " fmt

#include <labyrinth/arch.h>
#include <labyrinth/printk.h>
#include <asm/apic.h>
#include <asm/cpu.h>
#include <asm/irq.h>
#include <asm/pgtable.h>
#include <asm/tsc.h>

#define TLB_FLUSH_TIMEOUT_MS 5000 /* as SMP_CALL_TIMEOUT_MS */

static struct {
	u64 start, end; /* [start, end), page-aligned; full: flush everything */
	bool full;
} flush_req;
static unsigned long flush_pending; /* bit n: CPU n has not flushed yet */
static u32 flush_busy;		    /* one request at a time */
static bool flush_disabled;	    /* tlb_test_no_shootdown=1: remote flushes skipped */

/* This CPU's TLB for [start, end), or all of it. */
static void flush_local(u64 start, u64 end, bool full)
{
	if (full) {
		arch_flush_tlb_all();
		return;
	}
	for (u64 va = start; va < end; va += 4096)
		arch_flush_tlb_page(va);
}

static void tlb_flush_interrupt(struct pt_regs *regs)
{
	unsigned int me = arch_cpu_id();

	(void)regs;
	flush_local(READ_ONCE(flush_req.start), READ_ONCE(flush_req.end),
		    READ_ONCE(flush_req.full));
	__atomic_fetch_and(&flush_pending, ~(1ul << me), __ATOMIC_RELEASE);
	apic_eoi();
}

void arch_tlb_init(void)
{
	irq_register(TLB_FLUSH_VECTOR, tlb_flush_interrupt);
}

void arch_tlb_test_disable_shootdown(bool off)
{
	WRITE_ONCE(flush_disabled, off);
}

/* Sends the request to each CPU in targets; waits, bounded, for their acks. */
static unsigned long flush_remote(unsigned long targets)
{
	u64 deadline = rdtsc() + tsc_hz() / 1000 * TLB_FLUSH_TIMEOUT_MS;
	unsigned long left;

	__atomic_store_n(&flush_pending, targets, __ATOMIC_RELEASE);
	for (unsigned int cpu = 0; cpu < NR_CPUS; cpu++)
		if ((targets >> cpu) & 1)
			apic_send_ipi(arch_cpu_apic_id(cpu), TLB_FLUSH_VECTOR);
	flush_local(flush_req.start, flush_req.end, flush_req.full);
	while ((left = __atomic_load_n(&flush_pending, __ATOMIC_ACQUIRE)) && rdtsc() < deadline)
		cpu_pause();
	__atomic_store_n(&flush_pending, 0, __ATOMIC_RELEASE);
	return left;
}

/*
 * Flushes [start, end) from this CPU's TLB and from those of the CPUs in
 * cpus (this CPU's bit ignored). Returns 0, -1 if refused (interrupts off
 * with other CPUs to reach; nothing was flushed remotely), or the mask of
 * CPUs that did not acknowledge within TLB_FLUSH_TIMEOUT_MS.
 */
long arch_flush_tlb_kernel_range(unsigned long cpus, u64 start, u64 end)
{
	unsigned long targets = cpus & ~(1ul << arch_cpu_id()), left;
	bool full = (end - start) / 4096 > TLB_FLUSH_CEILING;
	u32 idle = 0;

	start &= ~4095ull;
	if (!targets || READ_ONCE(flush_disabled)) {
		flush_local(start, end, full);
		return 0;
	}
	if (WARN_ON_ONCE(arch_irqs_disabled()))
		return -1;
	while (!__atomic_compare_exchange_n(&flush_busy, &idle, 1, false, __ATOMIC_ACQUIRE,
					    __ATOMIC_RELAXED)) {
		idle = 0;
		cpu_pause(); /* interrupts on: we still answer the current request */
	}
	flush_req.start = start;
	flush_req.end = end;
	flush_req.full = full;
	left = flush_remote(targets);
	__atomic_store_n(&flush_busy, 0, __ATOMIC_RELEASE);
	return (long)left;
}
