/*
 * stacktrace.c - symbolized backtraces by walking the frame-pointer chain.
 *
 * The kernel is built with frame pointers, so every frame starts with
 * [saved rbp][return address]. The walk stops at a 0 frame pointer
 * (head64.asm starts the chain with 0), a misaligned one, one outside the
 * known stacks (the boot stack, this CPU's kernel stack, its IST stacks),
 * one that does not move up the same stack, or after MAX_FRAMES; a broken
 * stack must never turn a report into a second fault. Names come from
 * ksym_lookup() (kernel/ksyms.c). Users: panic()/WARN (arch_dump_stack)
 * and exception reports (traps.c, show_trace_regs).
 */
#define pr_fmt(fmt) "stacktrace: " fmt

#include <labyrinth/arch.h>
#include <labyrinth/compiler.h>
#include <labyrinth/ksyms.h>
#include <labyrinth/printk.h>
#include <asm/desc.h>
#include <asm/percpu.h>
#include <asm/setup.h>
#include <asm/traps.h>

#define MAX_FRAMES 32
#define trace_printk(fmt, ...) printk(KERN_EMERG fmt, ##__VA_ARGS__)

/* The known stack containing addr: its [lo, hi) bounds. */
static bool stack_bounds(u64 addr, u64 *lo, u64 *hi)
{
	u64 top = this_cpu()->kernel_stack_top;

	if (addr >= (u64)boot_stack_bottom && addr < (u64)boot_stack_top) {
		*lo = (u64)boot_stack_bottom;
		*hi = (u64)boot_stack_top;
		return true;
	}
	if (top && addr >= top - KERNEL_STACK_SIZE && addr < top) {
		*lo = top - KERNEL_STACK_SIZE;
		*hi = top;
		return true;
	}
	return ist_stack_bounds(arch_cpu_id(), addr, lo, hi);
}

/*
 * A return address points after the call; look up ret - 1 so that a call
 * ending a function (a noreturn call) is attributed to the right one.
 */
static void print_return_address(u64 ret)
{
	u64 off, size;
	const char *name = ksym_lookup(ret - 1, &off, &size);

	if (name)
		trace_printk("  %s+0x%lx/0x%lx\n", name, off + 1, size);
	else
		trace_printk("  0x%016lx\n", ret);
}

/* True if the frame at rbp can be read: aligned and inside a known stack. */
static bool frame_ok(u64 rbp, u64 *lo, u64 *hi)
{
	return IS_ALIGNED(rbp, 8) && stack_bounds(rbp, lo, hi) && rbp + 16 <= *hi;
}

static void walk_frames(u64 rbp)
{
	u64 lo, hi;

	for (int n = 0; n < MAX_FRAMES; n++) {
		const u64 *frame = (const u64 *)rbp;
		u64 next;

		if (!rbp)
			return;
		if (!frame_ok(rbp, &lo, &hi)) {
			trace_printk("  (frame pointer 0x%016lx is not on a known stack)\n", rbp);
			return;
		}
		if (!frame[1])
			return;
		print_return_address(frame[1]);
		next = frame[0];
		if (next && next >= lo && next < hi && next <= rbp) {
			trace_printk("  (frame pointer 0x%016lx does not move up the stack)\n",
				     next);
			return;
		}
		rbp = next;
	}
	trace_printk("  ... (more than %d frames)\n", MAX_FRAMES);
}

/*
 * A fault in a function that has not set up its frame (a frameless leaf,
 * or in its prologue) leaves its caller's return address at [rsp], which
 * the rbp chain skips. Print it as Linux does unreliable entries: "? ".
 */
static void show_unframed_caller(const struct pt_regs *regs)
{
	u64 lo, hi, word, off, size;
	const u64 *frame = (const u64 *)regs->rbp;
	const char *name;

	if (!IS_ALIGNED(regs->rsp, 8) || !stack_bounds(regs->rsp, &lo, &hi) || regs->rsp + 8 > hi)
		return;
	word = *(const u64 *)regs->rsp;
	if (frame_ok(regs->rbp, &lo, &hi) && frame[1] == word)
		return; /* the chain will show it anyway */
	name = ksym_lookup(word - 1, &off, &size);
	if (name)
		trace_printk("  ? %s+0x%lx/0x%lx\n", name, off + 1, size);
}

void show_trace_regs(const struct pt_regs *regs)
{
	char buf[128];

	trace_printk("Call Trace:\n");
	ksym_snprint(buf, sizeof(buf), regs->rip);
	trace_printk("  %s\n", buf);
	show_unframed_caller(regs);
	walk_frames(regs->rbp);
}

__noinline void arch_dump_stack(void)
{
	trace_printk("CPU: %u\n", arch_cpu_id());
	trace_printk("Call Trace:\n");
	walk_frames(read_rbp());
}
