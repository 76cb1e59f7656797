/*
 * spinlock.h - ticket spinlocks, generic over the arch seam (arch.h).
 *
 * A ticket lock is fair: CPUs get the lock in the order they asked. Fair
 * is slow under a hypervisor or emulator that deschedules virtual CPUs:
 * the CPU holding the next ticket may not be running when the lock is
 * released, and every CPU queued behind it waits until the host runs it
 * again (lock-waiter preemption). So, as Linux (6.1,
 * arch/x86/include/asm/qspinlock.h: virt_spin_lock(), enabled by
 * native_pv_lock_init() when CPUID has the hypervisor bit), a guest
 * without paravirtual spinlocks acquires by test-and-set: a waiter holds no
 * place in a queue, and whichever waiter runs when the lock is free takes
 * it. Unfair, but no handoff ever waits for a descheduled waiter.
 * kernel/spinlock.c sets the mode at boot (virt_spin_lock_init()). Both
 * modes take a FREE lock the same way (spin_acquire_free(): one
 * compare-and-swap, no mode test on the fast path); they differ only in
 * how a CPU that found it held waits (spin_acquire_slow(), out of line).
 * Locking contract used across mm/: a lock that an IRQ handler can take
 * is always held with interrupts disabled (spin_lock_irqsave(), or plain
 * spin_lock() on a path that already runs with them off), so a handler
 * may spin on it: its holder is never the context it interrupted.
 * spin_trylock_irqsave() lets an interrupt handler avoid spinning on a
 * lock that the context it interrupted already holds.
 *
 * Lock debugging (kernel/spinlock_debug.c): when spin_debug_enabled is set
 * (one predictable branch on the fast path), every acquisition records,
 * per lock, whether it was ever taken in IRQ context and ever taken with
 * interrupts enabled, and reports a lock that has both (lockdep's first
 * rule: such a lock can deadlock against an interrupt on its own CPU). A
 * CPU taking a lock it already holds is reported and the acquisition
 * skipped, instead of spinning forever. Set the flag at boot, before other
 * CPUs run, and leave it.
 */
#ifndef LABYRINTH_SPINLOCK_H
#define LABYRINTH_SPINLOCK_H

#include <labyrinth/arch.h>
#include <labyrinth/compiler.h>

typedef struct spinlock {
	u16 next;  /* next ticket to hand out */
	u16 owner; /* ticket now being served */
	/* Lock debugging only (meaningless while it is off): */
	u16 dbg_index; /* 1 + the lock's slot in the debug registry, 0 = none yet */
	u8 owner_cpu;  /* 1 + the holding CPU, 0 = not held */
	u8 recursed;   /* recursive acquisitions that were skipped */
} spinlock_t;

#define SPINLOCK_INIT         \
	{                     \
		0, 0, 0, 0, 0 \
	}

/* The lock-debug mode's switch and hooks: kernel/spinlock_debug.c. */
extern bool spin_debug_enabled;
void spin_debug_lock(spinlock_t *l);
bool spin_debug_trylock(spinlock_t *l);
void spin_debug_unlock(spinlock_t *l);

static inline void spin_lock_init(spinlock_t *l)
{
	*l = (spinlock_t)SPINLOCK_INIT;
}

/* The ticket lock itself, without debugging (used by the debug hooks too). */
static inline void ticket_lock(spinlock_t *l)
{
	u16 me = __atomic_fetch_add(&l->next, 1, __ATOMIC_RELAXED);

	while (__atomic_load_n(&l->owner, __ATOMIC_ACQUIRE) != me)
		arch_cpu_relax();
}

static inline bool ticket_trylock(spinlock_t *l)
{
	u16 owner = __atomic_load_n(&l->owner, __ATOMIC_RELAXED);
	u32 old = ((u32)owner << 16) | owner; /* free: next == owner */
	u32 new = ((u32)owner << 16) | (u16)(owner + 1);

	BUILD_BUG_ON(__builtin_offsetof(spinlock_t, next) != 0 ||
		     __builtin_offsetof(spinlock_t, owner) != 2);
	return __atomic_compare_exchange_n((u32 *)l, &old, new, false, __ATOMIC_ACQUIRE,
					   __ATOMIC_RELAXED);
}

static inline void ticket_unlock(spinlock_t *l)
{
	__atomic_store_n(&l->owner, (u16)(l->owner + 1), __ATOMIC_RELEASE);
}

static inline bool spin_is_locked(spinlock_t *l)
{
	return __atomic_load_n(&l->owner, __ATOMIC_RELAXED) !=
	       __atomic_load_n(&l->next, __ATOMIC_RELAXED);
}

/*
 * Linux's virt_spin_lock(): test-and-set over the same two words. Read
 * both halves in one load; while a ticket is out (next != owner), wait
 * reading only; else take the one free ticket (next + 1, owner kept) with
 * a compare-and-swap of that value; lost the race: wait again.
 */
static inline void virt_spin_lock(spinlock_t *l)
{
	u32 *word = (u32 *)l;

	for (;;) {
		u32 v = __atomic_load_n(word, __ATOMIC_RELAXED);

		if ((u16)v == (u16)(v >> 16) &&
		    __atomic_compare_exchange_n(word, &v, (v & 0xffff0000u) | (u16)(v + 1), false,
						__ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
			return;
		arch_cpu_relax();
	}
}

/* Set once at boot, before other CPUs run (kernel/spinlock.c). */
extern bool virt_spin_lock_enabled;

/*
 * The uncontended acquisition, the same in both modes, so the fast path
 * tests no mode: a free lock (next == owner: no ticket out, so nobody
 * queued and fairness has no one to serve first) takes its one free ticket
 * with a compare-and-swap of `next` from the value just read. next alone
 * can only change by someone taking a ticket, and owner cannot move while
 * no ticket is out, so the swap succeeding means the lock was still free.
 */
static __always_inline bool spin_acquire_free(spinlock_t *l)
{
	u32 v = __atomic_load_n((u32 *)l, __ATOMIC_RELAXED);
	u16 next = (u16)v;

	BUILD_BUG_ON(__builtin_offsetof(spinlock_t, next) != 0 ||
		     __builtin_offsetof(spinlock_t, owner) != 2);
	return next == (u16)(v >> 16) &&
	       __atomic_compare_exchange_n(&l->next, &next, (u16)(next + 1), false,
					   __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
}

/* Held, or lost the race: wait in the mode's way, out of line
 * (kernel/spinlock.c: ticket_lock() or virt_spin_lock()). */
void spin_acquire_slow(spinlock_t *l);

/* The acquisition: one try at a free lock inline, else the mode's wait. */
static __always_inline void spin_acquire(spinlock_t *l)
{
	if (unlikely(!spin_acquire_free(l)))
		spin_acquire_slow(l);
}

static __always_inline void spin_lock(spinlock_t *l)
{
	if (unlikely(spin_debug_enabled))
		spin_debug_lock(l);
	else
		spin_acquire(l);
}

static __always_inline bool spin_trylock(spinlock_t *l)
{
	if (unlikely(spin_debug_enabled))
		return spin_debug_trylock(l);
	return ticket_trylock(l);
}

static __always_inline void spin_unlock(spinlock_t *l)
{
	if (unlikely(spin_debug_enabled))
		spin_debug_unlock(l);
	else
		ticket_unlock(l);
}

#define spin_lock_irqsave(l, flags)        \
	do {                               \
		(flags) = arch_irq_save(); \
		spin_lock(l);              \
	} while (0)

#define spin_unlock_irqrestore(l, flags) \
	do {                             \
		spin_unlock(l);          \
		arch_irq_restore(flags); \
	} while (0)

/* Evaluates to true with the lock held and interrupts off, else restores. */
#define spin_trylock_irqsave(l, flags)                                     \
	({                                                                 \
		(flags) = arch_irq_save();                                 \
		spin_trylock(l) ? true : (arch_irq_restore(flags), false); \
	})

/* ---- lock debugging: the report (kernel/spinlock_debug.c) ---- */

struct spin_debug_stats {
	unsigned int locks;	 /* locks seen while debugging was on */
	unsigned int untracked;	 /* locks beyond the registry's size */
	unsigned int irq_unsafe; /* taken both in IRQ context and with IRQs on */
	unsigned int recursions; /* a CPU took a lock it held */
};

/* Prints one line per offending lock and a summary; fills *st if non-NULL. */
void spin_debug_report(struct spin_debug_stats *st);
void spin_debug_set(bool on);

/* The acquisition mode (kernel/spinlock.c): test-and-set when hypervisor
 * (the CPU says it runs under one) and allowed (virt_spin_lock=), else the
 * fair ticket lock; says which at boot. */
void virt_spin_lock_init(bool hypervisor, bool allowed);

#endif
