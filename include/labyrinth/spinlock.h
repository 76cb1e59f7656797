/*
 * spinlock.h - ticket spinlocks, generic over the arch seam (arch.h).
 *
 * A ticket lock is fair: CPUs get the lock in the order they asked.
 * Locking contract used across mm/: a lock that an IRQ handler can take
 * is always taken with spin_lock_irqsave(), never plain spin_lock().
 * spin_trylock_irqsave() lets an interrupt handler avoid spinning on a
 * lock that the context it interrupted already holds.
 */
#ifndef LABYRINTH_SPINLOCK_H
#define LABYRINTH_SPINLOCK_H

#include <labyrinth/arch.h>
#include <labyrinth/compiler.h>

typedef struct spinlock {
	u16 next; /* next ticket to hand out */
	u16 owner; /* ticket now being served */
} spinlock_t;

#define SPINLOCK_INIT { 0, 0 }

static inline void spin_lock_init(spinlock_t *l)
{
	l->next = 0;
	l->owner = 0;
}

static inline void spin_lock(spinlock_t *l)
{
	u16 me = __atomic_fetch_add(&l->next, 1, __ATOMIC_RELAXED);

	while (__atomic_load_n(&l->owner, __ATOMIC_ACQUIRE) != me)
		arch_cpu_relax();
}

static inline bool spin_trylock(spinlock_t *l)
{
	u16 owner = __atomic_load_n(&l->owner, __ATOMIC_RELAXED);
	u32 old = ((u32)owner << 16) | owner; /* free: next == owner */
	u32 new = ((u32)owner << 16) | (u16)(owner + 1);

	BUILD_BUG_ON(sizeof(spinlock_t) != sizeof(u32));
	return __atomic_compare_exchange_n((u32 *)l, &old, new, false,
					   __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
}

static inline void spin_unlock(spinlock_t *l)
{
	__atomic_store_n(&l->owner, (u16)(l->owner + 1), __ATOMIC_RELEASE);
}

static inline bool spin_is_locked(spinlock_t *l)
{
	return __atomic_load_n(&l->owner, __ATOMIC_RELAXED) !=
	       __atomic_load_n(&l->next, __ATOMIC_RELAXED);
}

#define spin_lock_irqsave(l, flags)            \
	do {                                   \
		(flags) = arch_irq_save();     \
		spin_lock(l);                  \
	} while (0)

#define spin_unlock_irqrestore(l, flags)       \
	do {                                   \
		spin_unlock(l);                \
		arch_irq_restore(flags);       \
	} while (0)

/* Evaluates to true with the lock held and interrupts off, else restores. */
#define spin_trylock_irqsave(l, flags)                                  \
	({                                                              \
		(flags) = arch_irq_save();                              \
		spin_trylock(l) ? true : (arch_irq_restore(flags), false); \
	})

#endif
