/*
 * panic_notifier.h - what a layer wants done when the kernel dies, without
 * the dying code knowing about it (Linux's panic_notifier_list).
 *
 * panic() (kernel/panic.c) and a fatal exception (arch/x86_64/traps.c die())
 * call every registered function once, after their report and backtrace,
 * before the kernel exits: e.g. the allocation trace rings' dump
 * (trace_dump(), mm/trace.c; it prints nothing unless trace= recorded
 * events), registered by kmain (kernel/main.c:setup_tracing()).
 * So arch/ and the core services reach a higher layer's policy only
 * through what that layer registered. The functions run with interrupts
 * off, possibly on a broken kernel: they must take no lock they could be
 * dying in (trace_dump() takes none).
 */
#ifndef LABYRINTH_PANIC_NOTIFIER_H
#define LABYRINTH_PANIC_NOTIFIER_H

#define PANIC_NOTIFIERS_MAX 4

typedef void (*panic_notifier_fn)(void);

/* Adds fn (boot, one CPU); 0, or -1 when all PANIC_NOTIFIERS_MAX slots are taken. */
int panic_notifier_register(panic_notifier_fn fn);
/* Calls the registered functions in registration order (panic(), die()). */
void panic_notifier_call_chain(void);

#endif
