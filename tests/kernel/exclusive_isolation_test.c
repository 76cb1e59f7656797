/*
 * exclusive_isolation_test.c - in-kernel KTAP suite of what the hardware
 * enforces for __GFP_EXCLUSIVE pages (mm/exclusive.c, PKS): on every CPU,
 * a page allocated with the seed call in interrupt context (an IPI from
 * kernel/smp.c) is readable and writable by its owner and faults for every
 * other CPU (read and write, caught by the extable probes); after a
 * hand-over the roles swap; after the free the owner faults too; a foreign
 * free is refused; a stale restriction is retried, not reported; with the
 * owner's reserve drained the seed call is served, isolated, from the
 * Labyrinth pool's sealed part, NULL only once that is empty too, and
 * ordinary pool callers get sealed pages last, retagged key 0. Kernel
 * only (probes, IPIs); every case SKIPs, with the reason, when the CPU has
 * no PKS or only one CPU is online. With more CPUs than PKS keys (14), two
 * CPUs may share a key and are not isolated from each other: the cases that
 * expect a foreign fault leave such pairs out, naming them in the log. The bookkeeping and the scrub are
 * tests/kernel/exclusive_test.c's.
 */
#include <labyrinth/arch.h>
#include <labyrinth/exclusive.h>
#include <labyrinth/ktest.h>
#include <labyrinth/mm.h>
#include <labyrinth/pool.h>
#include <labyrinth/printk.h>
#include <labyrinth/shrinker.h>
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

/*
 * The next online CPU after cpu whose key differs from cpu's, NR_CPUS if
 * none: with more CPUs than keys (PKS has 14 for CPUs) cpu and cpu + 14
 * share one and do not fault on each other's pages, so a case that expects
 * a foreign fault takes a pair the MMU can tell apart.
 */
static unsigned int isolated_peer(unsigned int cpu)
{
	unsigned int other = cpu;

	do
		other = next_online(other);
	while (other != cpu && !exclusive_cpus_isolated(cpu, other));
	return other == cpu ? NR_CPUS : other;
}

/* As isolation_ready(), and *peer an online CPU isolated from this one. */
static bool isolated_pair_ready(struct ktest *t, unsigned int *peer)
{
	if (!isolation_ready(t))
		return false;
	*peer = isolated_peer(arch_cpu_id());
	if (*peer == NR_CPUS) {
		ktest_skip(t, "every other online CPU shares this CPU's protection key: no pair "
			      "the MMU isolates");
		return false;
	}
	return true;
}

/* A pair sharing a key is not isolated: say so and leave it out. */
static bool pair_isolated(struct ktest *t, unsigned int owner, unsigned int other)
{
	if (exclusive_cpus_isolated(owner, other))
		return true;
	ktest_log(t,
		  "CPUs %u and %u share a protection key (more CPUs than keys): pair skipped, "
		  "no isolation between them",
		  owner, other);
	return false;
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
	unsigned long pairs = 0;
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
			if (other == owner || !pair_isolated(t, owner, other))
				continue;
			pairs++;
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
	KEXPECT_TRUE(t, pairs > 0);
	KEXPECT_EQ(t, s1.violations - s0.violations, 2ul * pairs);
}

/* After a hand-over the new owner has access and the old one faults. */
static void exclusive_handover_swaps_roles(struct ktest *t)
{
	unsigned int from;

	if (!isolation_ready(t))
		return;
	for_each_online_cpu(from) {
		unsigned int to = isolated_peer(from);
		struct xreq r = { .handover_to = (int)to, .t = t };

		if (to == NR_CPUS) {
			ktest_log(t, "CPU %u: every other online CPU shares its key: skipped",
				  from);
			continue;
		}
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
	unsigned int other, i;

	if (!plain || !isolated_pair_ready(t, &other)) {
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

/*
 * The seed call under pressure (mm/pool.c's sealed part). On an AP, in IRQ
 * context, with idle refills and the balancer off: its reserve drained to
 * 0, the seed call still gets a page -- from the pool's sealed part
 * (counted there), zero, isolated (the owner reads and writes, this CPU
 * faults); the sealed part drained too, the seed call gets NULL (and only
 * then). Once the balancer runs again, the sealed part is refilled.
 */
#define SEED_HELD (EXCLUSIVE_RESERVE_PAGES + 64)
static struct page *seed_held[SEED_HELD];

struct seed_req {
	struct xreq x;
	unsigned int held, reserve_left;
	bool zero;
	struct labyrinth_pool_stats before, after;
	struct page *last; /* the seed call with reserve and sealed part empty */
};

static bool page_zero(const struct page *page)
{
	const u64 *p = page_address(page);

	for (unsigned int i = 0; i < PAGE_SIZE / 8; i++)
		if (p[i])
			return false;
	return true;
}

static void do_seed_first(void *arg)
{
	struct seed_req *r = arg;
	unsigned int cpu = arch_cpu_id();

	exclusive_scrub_dirty(); /* no dirty page: the last seed call must find none */
	for (r->held = 0; exclusive_reserve_level(cpu) && r->held < EXCLUSIVE_RESERVE_PAGES;)
		seed_held[r->held++] = alloc_page(GFP_ATOMIC | __GFP_EXCLUSIVE | __GFP_NOWARN);
	r->reserve_left = exclusive_reserve_level(cpu);
	labyrinth_pool_stats(&r->before);
	r->x.page = alloc_page(GFP_ATOMIC | __GFP_EXCLUSIVE | __GFP_NOWARN); /* the seed call */
	labyrinth_pool_stats(&r->after);
	r->zero = r->x.page && page_zero(r->x.page);
	if (r->x.page)
		*(volatile u8 *)page_address(r->x.page) = STAMP;
}

static void do_seed_rest(void *arg)
{
	struct seed_req *r = arg;
	struct labyrinth_pool_stats ps;

	for (labyrinth_pool_stats(&ps); ps.sealed_level && r->held < SEED_HELD;
	     labyrinth_pool_stats(&ps))
		seed_held[r->held++] = alloc_page(GFP_ATOMIC | __GFP_EXCLUSIVE | __GFP_NOWARN);
	r->reserve_left = exclusive_reserve_level(arch_cpu_id()) + (unsigned int)ps.sealed_level;
	r->last = alloc_page(GFP_ATOMIC | __GFP_EXCLUSIVE | __GFP_NOWARN);
}

static void do_seed_free(void *arg)
{
	struct seed_req *r = arg;

	while (r->held)
		if (seed_held[--r->held])
			__free_page(seed_held[r->held]);
	if (r->last)
		__free_page(r->last);
	__free_page(r->x.page);
}

/* Up to a second for the balancer to refill the sealed part. */
static bool sealed_refilled(struct labyrinth_pool_stats *ps, unsigned long sealed0)
{
	u64 deadline = smp_deadline_ms(1000);

	do
		labyrinth_pool_stats(ps);
	while ((ps->sealed_level < ps->sealed_size || ps->sealed_pages == sealed0) &&
	       arch_cycles() < deadline && (arch_cpu_relax(), true));
	return ps->sealed_level == ps->sealed_size && ps->sealed_pages > sealed0;
}

static void exclusive_seed_call_from_pool(struct ktest *t)
{
	unsigned int ap;
	struct seed_req r = { .x = { .handover_to = -1, .t = t } };
	struct labyrinth_pool_stats ps;

	if (!isolated_pair_ready(t, &ap))
		return;
	exclusive_idle_refill_set_enabled(false);
	balancer_set_enabled(false);
	labyrinth_pool_refill();
	labyrinth_pool_stats(&ps);
	if (!ps.sealed_size || ps.sealed_size > SEED_HELD - EXCLUSIVE_RESERVE_PAGES) {
		ktest_log(t, "pool's sealed part: %lu pages", ps.sealed_size);
		ktest_skip(t, "no sealed part in the pool, or more than this test drains (64)");
		goto out;
	}
	smp_call_function_single(ap, do_seed_first, &r, true);
	ktest_log(t,
		  "CPU %u: reserve drained (%u pages, %u left); sealed pool %lu -> %lu, seed hits "
		  "%lu -> %lu",
		  ap, r.held, r.reserve_left, r.before.sealed_level, r.after.sealed_level,
		  r.before.seed_hits, r.after.seed_hits);
	KEXPECT_EQ(t, r.reserve_left, 0);
	KEXPECT_TRUE(t, r.x.page != NULL);
	if (!r.x.page)
		goto out;
	KEXPECT_EQ(t, r.after.seed_hits, r.before.seed_hits + 1);
	KEXPECT_EQ(t, r.after.sealed_level, r.before.sealed_level - 1);
	KEXPECT_TRUE(t, page_is_exclusive(r.x.page) && r.x.page->owner == ap);
	KEXPECT_TRUE(t, r.zero);
	on(ap, do_probe, &r.x);
	KEXPECT_TRUE(t, r.x.read_ok && r.x.write_ok && r.x.seen == STAMP);
	r.x.why = "foreign";
	do_probe(&r.x);
	r.x.why = NULL;
	KEXPECT_TRUE(t, !r.x.read_ok && !r.x.write_ok && r.x.pk_read && r.x.pk_write);
	smp_call_function_single(ap, do_seed_rest, &r, true);
	KEXPECT_EQ(t, r.reserve_left, 0);
	KEXPECT_TRUE(t, r.last == NULL); /* reserve and sealed part empty: NULL */
	smp_call_function_single(ap, do_seed_free, &r, true);
	balancer_set_enabled(true);
	wakeup_balancer();
	KEXPECT_TRUE(t, sealed_refilled(&ps, r.after.sealed_pages));
	ktest_log(t, "sealed part refilled by the balancer: %lu/%lu", ps.sealed_level,
		  ps.sealed_size);
out:
	balancer_set_enabled(true);
	exclusive_idle_refill_set_enabled(true);
}

/*
 * Ordinary callers take the pool's unsealed pages first; a sealed one, taken
 * last, comes back with key 0: every CPU reads and writes it (another CPU's
 * stale key-1 entry, if any, is retried as spurious).
 */
static void pool_sealed_page_unsealed_for_ordinary_callers(struct ktest *t)
{
	struct page *taken[LABYRINTH_POOL_MAX_PAGES / 64];
	struct labyrinth_pool_stats s0, s;
	struct xreq r = { .handover_to = -1 };
	unsigned int n = 0, i;
	const u64 *pte;

	if (!isolation_ready(t))
		return;
	balancer_set_enabled(false);
	labyrinth_pool_refill();
	labyrinth_pool_stats(&s0);
	if (!s0.sealed_size || s0.level > ARRAY_SIZE(taken)) {
		ktest_log(t, "pool: %lu pages, %lu sealed", s0.level, s0.sealed_size);
		ktest_skip(t,
			   "no sealed part in the pool, or more pages than this test takes (64)");
		goto out;
	}
	while (n < s0.level - s0.sealed_level) { /* the unsealed ones first */
		taken[n] = labyrinth_pool_take();
		pte = taken[n] ? vm_direct_pte(page_address(taken[n])) : NULL;
		KEXPECT_TRUE(t, taken[n] && (!pte || arch_pte_pkey(*pte) == PKS_KEY_DEFAULT));
		if (!taken[n++])
			goto give;
	}
	labyrinth_pool_stats(&s);
	KEXPECT_EQ(t, s.sealed_level, s0.sealed_level);
	KEXPECT_EQ(t, s.unsealed, s0.unsealed);
	r.page = taken[n++] = labyrinth_pool_take(); /* now a sealed one */
	labyrinth_pool_stats(&s);
	KEXPECT_TRUE(t, r.page != NULL);
	if (!r.page)
		goto give;
	KEXPECT_EQ(t, s.unsealed, s0.unsealed + 1);
	KEXPECT_EQ(t, s.sealed_level, s0.sealed_level - 1);
	pte = vm_direct_pte(page_address(r.page));
	KEXPECT_TRUE(t, pte && arch_pte_pkey(*pte) == PKS_KEY_DEFAULT);
	do_probe(&r);
	KEXPECT_TRUE(t, r.read_ok && r.write_ok);
	on(next_online(arch_cpu_id()), do_probe, &r);
	KEXPECT_TRUE(t, r.read_ok && r.write_ok);
give:
	for (i = 0; i < n; i++)
		if (taken[i])
			labyrinth_pool_give(taken[i]);
	labyrinth_pool_refill(); /* unsealed over target trimmed, the sealed part sealed again */
	labyrinth_pool_stats(&s);
	KEXPECT_EQ(t, s.sealed_level, s.sealed_size);
	KEXPECT_EQ(t, s.level, s.size);
out:
	balancer_set_enabled(true);
}

KTEST_SUITE(exclusive_isolation, KTEST_ORDER_EXCLUSIVE, KTEST_CASE(exclusive_foreign_access_faults),
	    KTEST_CASE(exclusive_handover_swaps_roles),
	    KTEST_CASE(exclusive_owner_faults_after_free),
	    KTEST_CASE(exclusive_foreign_free_refused_smp),
	    KTEST_CASE(exclusive_spurious_fault_retried), KTEST_CASE(exclusive_idle_loop_refills),
	    KTEST_CASE(exclusive_seed_call_from_pool),
	    KTEST_CASE(pool_sealed_page_unsealed_for_ordinary_callers));
