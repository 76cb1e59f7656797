/*
 * exclusive_isolation_test.c - in-kernel KTAP suite of what the hardware
 * enforces for __GFP_EXCLUSIVE pages (mm/exclusive.c, PKS): on every CPU,
 * a page allocated with the seed call in interrupt context (an IPI from
 * kernel/smp.c) is readable and writable by its owner and faults for every
 * other CPU (read and write, caught by the extable probes); after a
 * hand-over the roles swap; after the free the owner faults too; a foreign
 * free is refused; a stale restriction is retried, not reported. Kernel
 * only (probes, IPIs); every case SKIPs, with the reason, when the CPU has
 * no PKS or only one CPU is online. The bookkeeping and the scrub are
 * tests/kernel/exclusive_test.c's.
 */
#include <labyrinth/arch.h>
#include <labyrinth/exclusive.h>
#include <labyrinth/ktest.h>
#include <labyrinth/mm.h>
#include <labyrinth/printk.h>
#include <labyrinth/smp.h>
#include <labyrinth/vm.h>
#include <asm/extable.h>
#include <asm/pks.h>
#include <asm/traps.h>

#define STAMP 0xa5u

/* One request run on a chosen CPU through smp_call_function_single(). */
struct xreq {
	struct page *page;
	bool read_ok, write_ok, pk_read, pk_write;
	u8 seen;
	int handover_to; /* -1: none */
	/* set: the probe or free is a deliberate violation, explained on the
	 * CPU that commits it just before its report (at the report's level) */
	struct ktest *t;
	const char *why;
};

static bool two_cpus(struct ktest *t)
{
	if (num_online_cpus() < 2) {
		ktest_skip(t, "one CPU online: no other CPU to try");
		return false;
	}
	return true;
}

static bool isolation_ready(struct ktest *t)
{
	if (!exclusive_isolated()) {
		ktest_skip(t, "no PKS on this CPU: exclusive pages are zeroed and scrubbed but "
			      "not isolated");
		return false;
	}
	if (num_online_cpus() < 2) {
		ktest_skip(t, "one CPU online: no other CPU to fault");
		return false;
	}
	return true;
}

static unsigned int next_online(unsigned int cpu)
{
	do
		cpu = (cpu + 1) % NR_CPUS;
	while (!cpu_online(cpu));
	return cpu;
}

/* On the owner, in IRQ context: the seed call, then a stamp. */
static void do_alloc(void *arg)
{
	struct xreq *r = arg;

	r->page = alloc_page(GFP_ATOMIC | __GFP_EXCLUSIVE);
	if (r->page)
		*(volatile u8 *)page_address(r->page) = STAMP;
}

static bool pk_fault(void)
{
	return last_fault()->vector == X86_TRAP_PF && (last_fault()->error_code & X86_PF_PK);
}

static void explain_touch(const struct xreq *r, const char *access)
{
	if (r->why)
		ktest_log_level(r->t, LOGLEVEL_ERR,
				"a deliberate %s %s follows: one 'exclusive page ... touched by "
				"CPU %u' report (expected)",
				r->why, access, arch_cpu_id());
}

/*
 * Read then write the page's first byte through probes; note the faults.
 * Each expected violation is explained on this CPU just before its report.
 */
static void do_probe(void *arg)
{
	struct xreq *r = arg;
	volatile u8 *b = page_address(r->page);

	explain_touch(r, "read");
	r->read_ok = probe_read_u8(b, &r->seen);
	r->pk_read = !r->read_ok && pk_fault();
	explain_touch(r, "write");
	r->write_ok = probe_write_u8(b, STAMP);
	r->pk_write = !r->write_ok && pk_fault();
}

static void do_handover(void *arg)
{
	struct xreq *r = arg;

	r->read_ok = exclusive_page_handover(r->page, (unsigned int)r->handover_to) == 0;
}

static void do_free(void *arg)
{
	struct xreq *r = arg;

	if (r->why)
		ktest_log_level(r->t, LOGLEVEL_ALERT,
				"a deliberate %s free follows: one Bad page state report on CPU %u "
				"(expected)",
				r->why, arch_cpu_id());
	__free_page(r->page);
}

static void on(unsigned int cpu, smp_call_func_t fn, struct xreq *r)
{
	smp_call_function_single(cpu, fn, r, true);
}

/* Every (owner, other) pair: the owner reads and writes, the other faults on both. */
static void exclusive_foreign_access_faults(struct ktest *t)
{
	unsigned int owner, other;
	struct exclusive_stats s0, s1;

	if (!isolation_ready(t))
		return;
	exclusive_get_stats(&s0);
	for_each_online_cpu(owner) {
		struct xreq r = { .handover_to = -1, .t = t };

		on(owner, do_alloc, &r);
		KEXPECT_TRUE(t, r.page != NULL);
		if (!r.page)
			continue;
		on(owner, do_probe, &r);
		KEXPECT_TRUE(t, r.read_ok && r.write_ok && r.seen == STAMP);
		for_each_online_cpu(other) {
			if (other == owner)
				continue;
			r.why = "foreign";
			on(other, do_probe, &r);
			r.why = NULL;
			KEXPECT_FALSE(t, r.read_ok);
			KEXPECT_FALSE(t, r.write_ok);
			KEXPECT_TRUE(t, r.pk_read && r.pk_write);
		}
		on(owner, do_free, &r);
	}
	exclusive_get_stats(&s1);
	KEXPECT_EQ(t, s1.violations - s0.violations,
		   2ul * num_online_cpus() * (num_online_cpus() - 1));
}

/* After a hand-over the new owner has access and the old one faults. */
static void exclusive_handover_swaps_roles(struct ktest *t)
{
	unsigned int from;

	if (!isolation_ready(t))
		return;
	for_each_online_cpu(from) {
		unsigned int to = next_online(from);
		struct xreq r = { .handover_to = (int)to, .t = t };

		on(from, do_alloc, &r);
		KEXPECT_TRUE(t, r.page != NULL);
		if (!r.page)
			continue;
		on(from, do_handover, &r);
		KEXPECT_TRUE(t, r.read_ok);
		KEXPECT_EQ(t, r.page->owner, to);
		on(to, do_probe, &r);
		KEXPECT_TRUE(t, r.read_ok && r.write_ok && r.seen == STAMP);
		r.why = "former owner's";
		on(from, do_probe, &r);
		r.why = NULL;
		KEXPECT_TRUE(t, !r.read_ok && !r.write_ok && r.pk_read && r.pk_write);
		on(to, do_free, &r);
	}
}

/* The owner after the free (the page in its reserve, key "nobody") faults. */
static void exclusive_owner_faults_after_free(struct ktest *t)
{
	unsigned int cpu;

	if (!isolation_ready(t))
		return;
	for_each_online_cpu(cpu) {
		struct xreq r = { .handover_to = -1, .t = t };

		on(cpu, do_alloc, &r);
		KEXPECT_TRUE(t, r.page != NULL);
		if (!r.page)
			continue;
		on(cpu, do_free, &r);
		KEXPECT_EQ(t, r.page->flags, PG_exclusive); /* kept in cpu's reserve */
		r.why = "after-free";
		on(cpu, do_probe, &r);
		KEXPECT_TRUE(t, !r.read_ok && !r.write_ok && r.pk_read && r.pk_write);
	}
}

/* Another CPU's free is refused and the page stays its owner's. */
static void exclusive_foreign_free_refused_smp(struct ktest *t)
{
	struct xreq r = { .handover_to = -1, .t = t };
	unsigned int me = arch_cpu_id(), other;
	unsigned long bad0 = mm_bad_page_count;

	if (!two_cpus(t)) /* bookkeeping: with or without PKS */
		return;
	other = next_online(me);
	do_alloc(&r);
	KEXPECT_TRUE(t, r.page != NULL);
	if (!r.page)
		return;
	r.why = "foreign"; /* explained by the freeing CPU, just before its report */
	on(other, do_free, &r);
	r.why = NULL;
	KEXPECT_EQ(t, mm_bad_page_count, bad0 + 1);
	KEXPECT_TRUE(t, page_is_exclusive(r.page) && r.page->owner == me);
	KEXPECT_EQ(t, *(volatile u8 *)page_address(r.page), STAMP);
	do_free(&r);
}

/*
 * A stale restriction: a protection-key fault on a page whose entry now
 * allows the access is flushed and retried, not reported (but the same
 * access faulting again at once is); a fault the entry really forbids goes
 * on (no retry). The fault handler is called directly, as the #PF path
 * would: QEMU's TLB never holds a translation whose key denies access, so
 * the stale case cannot be provoked there (Intel's TLBs hold the key).
 */
static void exclusive_spurious_fault_retried(struct ktest *t)
{
	struct page *plain = alloc_page(GFP_KERNEL);
	struct xreq r = { .handover_to = -1 };
	struct exclusive_stats s0, s1;
	unsigned int other = next_online(arch_cpu_id()), i;

	if (!plain || !isolation_ready(t)) {
		if (plain)
			__free_page(plain);
		return;
	}
	/* a page back in general use was keyed, so it sits in a split region:
	 * the same here (a huge-page mapping carries key 0 and no stale copy) */
	KEXPECT_TRUE(t, vm_direct_split(page_address(plain)) >= 0);
	exclusive_get_stats(&s0);
	KEXPECT_TRUE(t, pks_fault_spurious((u64)page_address(plain), 0, true));
	exclusive_get_stats(&s1);
	KEXPECT_EQ(t, s1.spurious, s0.spurious + 1);
	KEXPECT_TRUE(t, pks_fault_spurious((u64)page_address(plain), 8, true)); /* another ip */
	for (i = 2; i < 8; i++) /* up to SPURIOUS_LOOP - 1 retries in a row */
		KEXPECT_TRUE(t, pks_fault_spurious((u64)page_address(plain), 8, true));
	ktest_log_level(t, LOGLEVEL_ERR,
			"a deliberate endless retry follows: one access faulting again and again "
			"is reported ('faulted 8 times in a row'), not retried forever (expected)");
	KEXPECT_FALSE(t, pks_fault_spurious((u64)page_address(plain), 8, true));
	on(other, do_alloc, &r);
	if (r.page) {
		ktest_log_level(t, LOGLEVEL_ERR,
				"a deliberate forbidden access follows: one 'exclusive page ... "
				"touched by CPU %u' report (expected)",
				arch_cpu_id());
		KEXPECT_FALSE(t, pks_fault_spurious((u64)page_address(r.page), 0, false));
		on(other, do_free, &r);
	}
	__free_page(plain);
}

/*
 * An AP's idle loop tops its reserve up once it is below half: the AP takes
 * 3/4 of its reserve in IRQ context (an IPI) and keeps it; within a second
 * its idle loop must have refilled it (counted) to half or more. Not
 * PKS-specific.
 */
#define DRAIN (EXCLUSIVE_RESERVE_PAGES * 3 / 4)
static struct page *drained[DRAIN];

static void do_drain(void *arg)
{
	unsigned int *got = arg;

	for (*got = 0; *got < DRAIN; ++*got)
		if (!(drained[*got] = alloc_page(GFP_ATOMIC | __GFP_EXCLUSIVE | __GFP_NOWARN)))
			break;
}

static void do_undrain(void *arg)
{
	for (unsigned int i = 0; i < *(unsigned int *)arg; i++)
		__free_page(drained[i]);
}

static unsigned int reserve_level(unsigned int cpu, unsigned long *idle_refills)
{
	struct exclusive_stats s;

	exclusive_get_stats(&s);
	*idle_refills = s.idle_refills;
	return s.reserve[cpu];
}

static void exclusive_idle_loop_refills(struct ktest *t)
{
	unsigned int ap = next_online(arch_cpu_id()), got = 0, level;
	unsigned long refills0, refills;
	u64 deadline;

	if (!two_cpus(t))
		return;
	exclusive_reserve_fill();
	reserve_level(ap, &refills0);
	smp_call_function_single(ap, do_drain, &got, true);
	KEXPECT_EQ(t, got, DRAIN); /* the AP's reserve went down to 1/4 */
	deadline = smp_deadline_ms(1000);
	while (((level = reserve_level(ap, &refills)) < EXCLUSIVE_RESERVE_PAGES / 2 ||
		refills == refills0) &&
	       arch_cycles() < deadline)
		arch_cpu_relax();
	ktest_log(t, "CPU %u's reserve: %u now, %lu pages refilled by idle loops", ap, level,
		  refills - refills0);
	KEXPECT_TRUE(t, level >= EXCLUSIVE_RESERVE_PAGES / 2);
	KEXPECT_TRUE(t, refills > refills0);
	smp_call_function_single(ap, do_undrain, &got, true);
}

KTEST_SUITE(exclusive_isolation, KTEST_ORDER_EXCLUSIVE, KTEST_CASE(exclusive_foreign_access_faults),
	    KTEST_CASE(exclusive_handover_swaps_roles),
	    KTEST_CASE(exclusive_owner_faults_after_free),
	    KTEST_CASE(exclusive_foreign_free_refused_smp),
	    KTEST_CASE(exclusive_spurious_fault_retried), KTEST_CASE(exclusive_idle_loop_refills));
