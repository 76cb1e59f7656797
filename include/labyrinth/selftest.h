/*
 * selftest.h - the interrupt-driven atomic self-test (selftest/: selftest.c
 * runs it, the files beside it hold one mechanism each and share
 * selftest/internal.h), what `make run` shows after the KTAP suites of
 * kernel/ktest.c.
 *
 * Every CPU's local APIC timer fires at selftest_hz and its handler
 * allocates GFP_ATOMIC pages (some __GFP_EXCLUSIVE) while process context
 * on every CPU checks and frees them, through four phases: warmup,
 * pressure (zones at their min watermark, a test shrinker), exhaustion
 * (the reserves and the Labyrinth pool gone) and release (every page
 * back, counts equal). Parameters (kernel/params.c): selftest=0|1,
 * selftest_ms (length of each active phase), selftest_hz, seed.
 */
#ifndef LABYRINTH_SELFTEST_H
#define LABYRINTH_SELFTEST_H

/* Runs the self-test unless selftest=0; returns the number of failed
 * KTAP cases (0 when it passed or did not run). Boot CPU, interrupts on,
 * after smp_init(). */
unsigned int selftest_run(void);

#endif
