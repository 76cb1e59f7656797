/*
 * spinlock.c - the acquisition mode of include/labyrinth/spinlock.h: the
 * fair ticket lock, or Linux's virt_spin_lock() test-and-set under a
 * hypervisor (why: the comment at the top of spinlock.h).
 *
 * Found while taking the zone lock plainly in IRQ context (issue 14): on an
 * 8-CPU QEMU TCG guest on a 2-core host, with every CPU's timer interrupt
 * allocating, the fair lock handed over at about 100 acquisitions a second
 * (each handoff waited for the host to run the vCPU holding the next
 * ticket), interrupt handlers queued on the zone lock outlasted the timer
 * period, and process context stopped making progress.
 *
 * Generic C: the host tests (tests/host/test_spinlock.c) set the mode
 * themselves.
 */
#define pr_fmt(fmt) "spinlock: " fmt

#include <labyrinth/printk.h>
#include <labyrinth/spinlock.h>

bool virt_spin_lock_enabled;

/* spin_acquire()'s wait when the lock was not free: queued (fair) or
 * test-and-set (virt), the mode read here only, off the fast path. */
void spin_acquire_slow(spinlock_t *l)
{
	if (READ_ONCE(virt_spin_lock_enabled))
		virt_spin_lock(l);
	else
		ticket_lock(l);
}

void virt_spin_lock_init(bool hypervisor, bool allowed)
{
	__atomic_store_n(&virt_spin_lock_enabled, hypervisor && allowed, __ATOMIC_RELEASE);
	if (!hypervisor)
		pr_info("fair ticket locks (no hypervisor)\n");
	else if (allowed)
		pr_info("under a hypervisor: test-and-set acquisition, as Linux's "
			"virt_spin_lock() (a queued waiter the host does not run would hold "
			"up every lock handoff)\n");
	else
		pr_warn("under a hypervisor, fair ticket locks kept (virt_spin_lock=0): a "
			"handoff waits until the host runs the next waiter\n");
}
