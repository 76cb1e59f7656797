/*
 * idle.h - what a CPU does when it has nothing else to do (kernel/idle.c):
 * the idle loop every CPU ends in, and the idle-time work it runs.
 */
#ifndef LABYRINTH_IDLE_H
#define LABYRINTH_IDLE_H

/* Runs queued work (smp_queue_work()) and idle_work(), else halts until an
 * interrupt; the boot CPU never enters it, every other CPU ends in it. */
__attribute__((noreturn)) void cpu_idle_loop(void);
void idle_work(void);

#endif
