/*
 * spinlock_debug.c - the lock-debug mode of include/labyrinth/spinlock.h.
 *
 * When spin_debug_enabled is set, spin_lock() and friends come here. Each
 * lock gets a slot in a fixed registry the first time it is taken, and the
 * slot records the two facts lockdep's first rule is about: was the lock
 * ever taken in IRQ context, and was it ever taken with interrupts enabled?
 * A lock with both can deadlock: its holder is interrupted on its own CPU
 * by a handler that spins on it. That is reported once, with the places of
 * both kinds of acquisition. A CPU taking a lock it already holds is
 * reported and the acquisition skipped (its matching unlock too) instead of
 * spinning forever. The state lives in the registry, not in the lock, so a
 * report never reads a lock that has gone away.
 *
 * Generic C over the arch seam: the host tests (tests/host/test_spinlock.c)
 * drive it with threads standing for CPUs. The in-kernel check that no lock
 * breaks the rule after boot is in the smp KTAP suite (tests/kernel/smp_test.c).
 */
#define pr_fmt(fmt) "lockdep: " fmt

#include <labyrinth/arch.h>
#include <labyrinth/ksyms.h>
#include <labyrinth/printk.h>
#include <labyrinth/spinlock.h>
#include <labyrinth/string.h>

#define SPIN_DEBUG_MAX_LOCKS 1024

/* Off until kmain applies lockdep= (on by default); host tests switch it themselves. */
bool spin_debug_enabled;

enum {
	LOCK_USED_IN_IRQ = 1,  /* taken in a hardware interrupt handler */
	LOCK_USED_IRQS_ON = 2, /* taken with interrupts enabled */
	LOCK_REPORTED = 4,
};

struct lock_class {
	const spinlock_t *lock;
	void *first_site;   /* where it was first taken */
	void *irq_site;	    /* an acquisition in IRQ context */
	void *irqs_on_site; /* an acquisition with interrupts on */
	u8 flags;
};

static struct lock_class registry[SPIN_DEBUG_MAX_LOCKS];
static u32 nr_registered; /* slots handed out (may exceed the size: untracked) */
static u32 nr_recursions;
static bool reporting[NR_CPUS]; /* this CPU is printing a report: stay quiet */

void spin_debug_set(bool on)
{
	__atomic_store_n(&spin_debug_enabled, on, __ATOMIC_RELEASE);
}

static void site_str(void *site, char *buf, size_t len)
{
	ksym_snprint(buf, len, (u64)(uintptr_t)site);
}

/* The lock's registry slot, handing one out on first use; NULL if full. */
static struct lock_class *lock_class_of(spinlock_t *l, void *site)
{
	u16 idx = __atomic_load_n(&l->dbg_index, __ATOMIC_ACQUIRE);
	u32 slot;

	if (idx)
		return &registry[idx - 1];
	slot = __atomic_fetch_add(&nr_registered, 1, __ATOMIC_RELAXED);
	if (slot >= SPIN_DEBUG_MAX_LOCKS)
		return NULL;
	/* Two CPUs racing on a lock's first use: the loser's slot stays unused. */
	if (!__atomic_compare_exchange_n(&l->dbg_index, &idx, (u16)(slot + 1), false,
					 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		return &registry[idx - 1];
	registry[slot].first_site = site;
	__atomic_store_n(&registry[slot].lock, l, __ATOMIC_RELEASE);
	return &registry[slot];
}

static void report_irq_unsafe(struct lock_class *c)
{
	char a[96], b[96], f[96];
	unsigned int cpu = arch_cpu_id();

	site_str(c->irq_site, a, sizeof(a));
	site_str(c->irqs_on_site, b, sizeof(b));
	site_str(c->first_site, f, sizeof(f));
	reporting[cpu] = true;
	pr_err("BUG: lock %p (first taken at %s) is taken in IRQ context and with IRQs enabled\n",
	       (const void *)c->lock, f);
	pr_err("  in IRQ context at %s; with IRQs on at %s: possible deadlock\n", a, b);
	reporting[cpu] = false;
}

/* Records one acquisition's context; reports the first breach of the rule. */
static void record_context(spinlock_t *l, void *site)
{
	struct lock_class *c = lock_class_of(l, site);
	u8 add = 0, old;

	if (!c)
		return;
	if (arch_in_irq()) {
		add |= LOCK_USED_IN_IRQ;
		if (!(c->flags & LOCK_USED_IN_IRQ))
			c->irq_site = site;
	}
	if (!arch_irqs_disabled()) {
		add |= LOCK_USED_IRQS_ON;
		if (!(c->flags & LOCK_USED_IRQS_ON))
			c->irqs_on_site = site;
	}
	if (!add || (c->flags & add) == add)
		return;
	old = __atomic_fetch_or(&c->flags, add, __ATOMIC_RELAXED);
	if (((old | add) & (LOCK_USED_IN_IRQ | LOCK_USED_IRQS_ON)) ==
		(LOCK_USED_IN_IRQ | LOCK_USED_IRQS_ON) &&
	    !(__atomic_fetch_or(&c->flags, LOCK_REPORTED, __ATOMIC_RELAXED) & LOCK_REPORTED) &&
	    !reporting[arch_cpu_id()])
		report_irq_unsafe(c);
}

/* True if this CPU already holds l: reported (once per report), not taken. */
static bool recursion(spinlock_t *l, void *site)
{
	unsigned int cpu = arch_cpu_id();
	char s[96];

	if (__atomic_load_n(&l->owner_cpu, __ATOMIC_RELAXED) != cpu + 1)
		return false;
	l->recursed++;
	__atomic_fetch_add(&nr_recursions, 1, __ATOMIC_RELAXED);
	if (!reporting[cpu]) {
		reporting[cpu] = true;
		site_str(site, s, sizeof(s));
		pr_err("BUG: spinlock recursion on CPU %u: lock %p taken again at %s, skipped\n",
		       cpu, (void *)l, s);
		arch_dump_stack();
		reporting[cpu] = false;
	}
	return true;
}

void spin_debug_lock(spinlock_t *l)
{
	void *site = __builtin_return_address(0);

	if (recursion(l, site))
		return;
	record_context(l, site);
	spin_acquire(l);
	__atomic_store_n(&l->owner_cpu, (u8)(arch_cpu_id() + 1), __ATOMIC_RELAXED);
}

bool spin_debug_trylock(spinlock_t *l)
{
	void *site = __builtin_return_address(0);

	/* An IRQ handler's trylock of a lock its CPU holds is the point of it. */
	if (__atomic_load_n(&l->owner_cpu, __ATOMIC_RELAXED) == arch_cpu_id() + 1)
		return false;
	if (!ticket_trylock(l))
		return false;
	record_context(l, site);
	__atomic_store_n(&l->owner_cpu, (u8)(arch_cpu_id() + 1), __ATOMIC_RELAXED);
	return true;
}

void spin_debug_unlock(spinlock_t *l)
{
	unsigned int me = arch_cpu_id() + 1;

	if (l->recursed && __atomic_load_n(&l->owner_cpu, __ATOMIC_RELAXED) == me) {
		l->recursed--; /* the unlock matching a skipped acquisition */
		return;
	}
	if (l->owner_cpu && l->owner_cpu != me)
		pr_warn_once("lock %p released by CPU %u, held by CPU %u\n", (void *)l, me - 1,
			     l->owner_cpu - 1u);
	__atomic_store_n(&l->owner_cpu, 0, __ATOMIC_RELAXED);
	ticket_unlock(l);
}

void spin_debug_report(struct spin_debug_stats *st)
{
	struct spin_debug_stats s = { 0 };
	u32 n = __atomic_load_n(&nr_registered, __ATOMIC_ACQUIRE);

	s.locks = min(n, (u32)SPIN_DEBUG_MAX_LOCKS);
	s.untracked = n - s.locks;
	s.recursions = __atomic_load_n(&nr_recursions, __ATOMIC_RELAXED);
	for (u32 i = 0; i < s.locks; i++) {
		u8 f = __atomic_load_n(&registry[i].flags, __ATOMIC_RELAXED);
		char site[96];

		if (!__atomic_load_n(&registry[i].lock, __ATOMIC_ACQUIRE))
			continue; /* lost a first-use race, never used */
		if ((f & LOCK_USED_IN_IRQ) && (f & LOCK_USED_IRQS_ON)) {
			s.irq_unsafe++;
			site_str(registry[i].first_site, site, sizeof(site));
			pr_err("lock %p first taken at %s: IRQ-safe and IRQ-unsafe\n",
			       (const void *)registry[i].lock, site);
		}
	}
	pr_info("%s: %u lock(s) tracked (%u untracked), %u IRQ-safe and IRQ-unsafe, "
		"%u recursion(s)\n",
		spin_debug_enabled ? "on" : "off", s.locks, s.untracked, s.irq_unsafe,
		s.recursions);
	if (st)
		*st = s;
}
