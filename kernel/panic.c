/*
 * panic.c - panic(), WARN_ON's report, and the panic notifiers.
 *
 * panic() is for states the boot cannot go on from: it prints the reason and
 * a backtrace, runs the panic notifiers (e.g. the allocation trace's dump,
 * mm/trace.c), then leaves through arch_exit(1) (QEMU exits with the
 * failure code; real hardware halts). __warn() reports and returns: WARN_ON
 * over BUG_ON. Exception reports themselves are arch/x86_64/traps.c, which
 * runs the notifiers too. A core service: every layer may call this file,
 * and it calls only the arch, lib and printk, plus what was registered.
 */
#include <labyrinth/arch.h>
#include <labyrinth/panic_notifier.h>
#include <labyrinth/printk.h>
#include <labyrinth/string.h>

extern bool oops_in_progress;
static unsigned int warn_count;
static panic_notifier_fn panic_notifiers[PANIC_NOTIFIERS_MAX];
static unsigned int nr_panic_notifiers;

/*
 * Boot time, one CPU. The slot is written before the count is published
 * (release), so a panic on another CPU (acquire) never calls an empty slot.
 */
int panic_notifier_register(panic_notifier_fn fn)
{
	unsigned int n = nr_panic_notifiers;

	if (!fn || WARN_ON(n == PANIC_NOTIFIERS_MAX))
		return -1;
	panic_notifiers[n] = fn;
	__atomic_store_n(&nr_panic_notifiers, n + 1, __ATOMIC_RELEASE);
	return 0;
}

void panic_notifier_call_chain(void)
{
	unsigned int n = __atomic_load_n(&nr_panic_notifiers, __ATOMIC_ACQUIRE);

	for (unsigned int i = 0; i < n; i++)
		panic_notifiers[i]();
}

void panic(const char *fmt, ...)
{
	static bool in_panic;
	char buf[256];
	va_list ap;

	arch_irq_save();
	if (in_panic)
		arch_exit(1); /* a panic while panicking: leave at once */
	in_panic = true;
	oops_in_progress = true;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	pr_emerg("Kernel panic - not syncing: %s\n", buf);
	arch_dump_stack();
	panic_notifier_call_chain(); /* e.g. trace=: the allocator's last steps */
	pr_emerg("---[ end Kernel panic - not syncing: %s ]---\n", buf);
	arch_exit(1);
}

void __warn(const char *file, int line, const char *cond)
{
	__atomic_fetch_add(&warn_count, 1, __ATOMIC_RELAXED);
	pr_warn("WARNING: CPU: %u at %s:%d: %s\n", arch_cpu_id(), file, line, cond);
	arch_dump_stack();
}

unsigned int kernel_warn_count(void)
{
	return __atomic_load_n(&warn_count, __ATOMIC_RELAXED);
}
