/*
 * test_spinlock.c - host tests of the ticket lock and its debug mode
 * (include/labyrinth/spinlock.h, kernel/spinlock_debug.c): threads stand
 * for CPUs and a per-thread flag for "in an interrupt handler", through the
 * host side of the arch seam (tests/host/include/asm/arch_impl.h).
 */
#include <pthread.h>

#include <labyrinth/spinlock.h>
#include "host.h"

#define THREADS 4
#define ITERS 20000

static spinlock_t counter_lock = SPINLOCK_INIT;
static unsigned long counter;

static void *hammer(void *arg)
{
	unsigned long flags;

	host_set_cpu((unsigned int)(uintptr_t)arg);
	for (int i = 0; i < ITERS; i++) {
		spin_lock_irqsave(&counter_lock, flags);
		counter++;
		spin_unlock_irqrestore(&counter_lock, flags);
	}
	return NULL;
}

static void test_contention(bool debug, bool virt)
{
	pthread_t t[THREADS];

	spin_debug_set(debug);
	virt_spin_lock_enabled = virt;
	counter = 0;
	for (uintptr_t i = 0; i < THREADS; i++)
		pthread_create(&t[i], NULL, hammer, (void *)i);
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	is_u64(counter, THREADS * ITERS, "%d CPUs, %s, debug %s: no lost update", THREADS,
	       virt ? "test-and-set" : "ticket", debug ? "on" : "off");
	ok(!spin_is_locked(&counter_lock), "lock free afterwards");
	virt_spin_lock_enabled = false;
}

static spinlock_t queue_lock = SPINLOCK_INIT;

static void *waiter(void *arg)
{
	host_set_cpu((unsigned int)(uintptr_t)arg);
	spin_lock(&queue_lock);
	spin_unlock(&queue_lock);
	return NULL;
}

/*
 * What a waiter leaves in the lock while it spins. A ticket waiter holds the
 * next ticket: if the host stops running it, the lock cannot be handed to
 * anyone else (the issue 14 convoy). A test-and-set waiter (Linux's
 * virt_spin_lock(), the mode under a hypervisor) holds nothing: only the
 * holder's ticket is out. Returns the tickets out while the waiter spun.
 */
static unsigned int tickets_out_while_waiting(bool virt)
{
	unsigned long steps;
	unsigned int out;
	pthread_t t;

	spin_debug_set(false);
	virt_spin_lock_enabled = virt;
	spin_lock(&queue_lock);
	steps = __atomic_load_n(&host_relax_steps, __ATOMIC_RELAXED);
	pthread_create(&t, NULL, waiter, (void *)1);
	while (__atomic_load_n(&host_relax_steps, __ATOMIC_RELAXED) - steps < 1000)
		sched_yield(); /* the waiter is spinning */
	out = (u16)(__atomic_load_n(&queue_lock.next, __ATOMIC_RELAXED) - queue_lock.owner);
	spin_unlock(&queue_lock);
	pthread_join(t, NULL);
	ok(!spin_is_locked(&queue_lock), "%s: the waiter got the lock and released it",
	   virt ? "test-and-set" : "ticket");
	virt_spin_lock_enabled = false;
	return out;
}

static void test_virt_no_queue(void)
{
	is_u64(tickets_out_while_waiting(false), 2, "ticket: a spinning waiter holds a ticket");
	is_u64(tickets_out_while_waiting(true), 1,
	       "test-and-set: a spinning waiter holds no ticket, only the holder's is out");
}

static void test_rule(void)
{
	spinlock_t safe = SPINLOCK_INIT, unsafe = SPINLOCK_INIT;
	struct spin_debug_stats st0, st;
	unsigned long flags;

	spin_debug_set(true);
	spin_debug_report(&st0);
	host_log_clear();
	/* IRQ-safe: always taken with interrupts off, in and out of IRQs. */
	spin_lock_irqsave(&safe, flags);
	spin_unlock_irqrestore(&safe, flags);
	host_set_in_irq(true);
	spin_lock_irqsave(&safe, flags);
	spin_unlock_irqrestore(&safe, flags);
	host_set_in_irq(false);
	ok(!host_log_contains("BUG"), "IRQ-safe lock not reported");
	/* IRQ-unsafe: plain spin_lock with interrupts on, then in an IRQ. */
	spin_lock(&unsafe);
	spin_unlock(&unsafe);
	host_set_in_irq(true);
	spin_lock_irqsave(&unsafe, flags);
	spin_unlock_irqrestore(&unsafe, flags);
	host_set_in_irq(false);
	ok(host_log_contains("is taken in IRQ context and with IRQs enabled"),
	   "lock taken in IRQ and with IRQs on is reported");
	host_log_clear();
	spin_lock(&unsafe);
	spin_unlock(&unsafe);
	ok(!host_log_contains("BUG"), "reported once only");
	spin_debug_report(&st);
	is_u64(st.irq_unsafe - st0.irq_unsafe, 1, "report counts one bad lock");
	is_u64(st.locks - st0.locks, 2, "both locks tracked");
	ok(host_log_contains("IRQ-safe and IRQ-unsafe"), "report names the bad lock");
}

static void test_recursion(void)
{
	spinlock_t l = SPINLOCK_INIT;
	struct spin_debug_stats st0, st;
	unsigned long flags;

	spin_debug_set(true);
	spin_debug_report(&st0);
	host_log_clear();
	spin_lock_irqsave(&l, flags);
	spin_lock(&l); /* would spin forever without debugging */
	ok(host_log_contains("spinlock recursion on CPU 0"), "recursion reported, no deadlock");
	spin_unlock(&l);
	ok(spin_is_locked(&l), "inner unlock matches the skipped acquisition");
	spin_unlock_irqrestore(&l, flags);
	ok(!spin_is_locked(&l), "outer unlock releases");
	spin_debug_report(&st);
	is_u64(st.recursions - st0.recursions, 1, "one recursion counted");

	host_log_clear();
	spin_lock_irqsave(&l, flags);
	host_set_in_irq(true);
	ok(!spin_trylock(&l), "trylock of a lock this CPU holds fails");
	host_set_in_irq(false);
	ok(!host_log_contains("BUG"), "and is not a reported recursion");
	spin_unlock_irqrestore(&l, flags);
	ok(spin_trylock(&l), "trylock of a free lock succeeds");
	spin_unlock(&l);
}

static void test_debug_off(void)
{
	spinlock_t l = SPINLOCK_INIT;
	struct spin_debug_stats st0, st;

	spin_debug_set(false);
	spin_debug_report(&st0);
	spin_lock(&l);
	ok(spin_is_locked(&l) && !l.owner_cpu && !l.dbg_index, "debug off: no bookkeeping");
	spin_unlock(&l);
	spin_debug_report(&st);
	is_u64(st.locks, st0.locks, "debug off: nothing registered");
}

int main(void)
{
	test_contention(false, false);
	test_contention(true, false);
	test_contention(false, true);
	test_contention(true, true);
	test_virt_no_queue();
	test_rule();
	test_recursion();
	test_debug_off();
	return done_testing();
}
