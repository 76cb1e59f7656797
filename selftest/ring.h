/*
 * ring.h - a lock-free single-producer, single-consumer ring of words.
 *
 * Used by the IRQ self-test to hand pages from a timer interrupt to process
 * context on the same CPU (selftest/irq.c pushes, consumer.c pops), and
 * from one CPU's process context to the next CPU's (consumer.c pushes onto
 * the next CPU's xring, whose consumer pops). Exactly one
 * context ever pushes and exactly one ever pops; they may run on different
 * CPUs, or the producer may interrupt the consumer (an IRQ handler on the
 * consumer's CPU). No lock, no interrupt masking, O(1) both ways.
 *
 * Invariants:
 *   - tail is written only by the producer, head only by the consumer;
 *     both only grow (u32, wrapping), so tail - head is the fill level,
 *     0 <= tail - head <= SPSC_RING_SLOTS;
 *   - slot[i & SPSC_RING_MASK] for head <= i < tail holds a pushed word
 *     that the consumer has not taken; the others belong to the producer.
 * Ordering: the producer writes the slot, then release-stores tail; the
 * consumer acquire-loads tail before reading the slot. The consumer reads
 * the slot, then release-stores head; the producer acquire-loads head
 * before reusing a slot. Whoever owns the word (a page, say) owns it
 * exactly while it is in the ring between those two stores.
 */
#ifndef SELFTEST_RING_H
#define SELFTEST_RING_H

#include <labyrinth/compiler.h>
#include <labyrinth/types.h>

#define SPSC_RING_SLOTS 256u /* a power of two */
#define SPSC_RING_MASK (SPSC_RING_SLOTS - 1)

struct spsc_ring {
	u32 head __aligned(64); /* consumer's: next slot to pop */
	u32 tail __aligned(64); /* producer's: next slot to fill */
	unsigned long slot[SPSC_RING_SLOTS];
};

static inline void spsc_ring_init(struct spsc_ring *r)
{
	__atomic_store_n(&r->head, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&r->tail, 0, __ATOMIC_RELEASE);
}

/* Producer only: free slots (may grow under us, never shrink). */
static inline u32 spsc_ring_space(const struct spsc_ring *r)
{
	u32 tail = __atomic_load_n(&r->tail, __ATOMIC_RELAXED);

	return SPSC_RING_SLOTS - (tail - __atomic_load_n(&r->head, __ATOMIC_ACQUIRE));
}

/* Producer only: false if the ring is full (the word stays the caller's). */
static inline bool spsc_ring_push(struct spsc_ring *r, unsigned long word)
{
	u32 tail = __atomic_load_n(&r->tail, __ATOMIC_RELAXED);

	if (tail - __atomic_load_n(&r->head, __ATOMIC_ACQUIRE) >= SPSC_RING_SLOTS)
		return false;
	r->slot[tail & SPSC_RING_MASK] = word;
	__atomic_store_n(&r->tail, tail + 1, __ATOMIC_RELEASE);
	return true;
}

/* Consumer only: false if the ring is empty. */
static inline bool spsc_ring_pop(struct spsc_ring *r, unsigned long *word)
{
	u32 head = __atomic_load_n(&r->head, __ATOMIC_RELAXED);

	if (head == __atomic_load_n(&r->tail, __ATOMIC_ACQUIRE))
		return false;
	*word = r->slot[head & SPSC_RING_MASK];
	__atomic_store_n(&r->head, head + 1, __ATOMIC_RELEASE);
	return true;
}

#endif
