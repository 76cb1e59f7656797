/*
 * panic.c - panic() and WARN_ON's report.
 *
 * panic() is for states the boot cannot go on from: it prints the reason and
 * a backtrace, then leaves through arch_exit(1) (QEMU exits with the failure
 * code; real hardware halts). __warn() reports and returns: WARN_ON over
 * BUG_ON. Exception reports themselves are arch/x86_64/traps.c.
 */
#include <labyrinth/arch.h>
#include <labyrinth/printk.h>
#include <labyrinth/string.h>
#include <labyrinth/trace.h>

extern bool oops_in_progress;
static unsigned int warn_count;

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
	trace_dump(); /* trace=: the allocator's last steps, if traced */
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
