/*
 * traps.c - what happens when the CPU raises an exception (vectors 0..31).
 *
 * idt.c's dispatcher calls do_exception() with the saved registers. A fault
 * covered by the exception-fixup table (extable.c) resumes at its fixup;
 * anything else is reported the way Linux reports an oops -- name, error
 * code decoded, RIP symbolized, registers, control registers, "Code:" bytes
 * and a backtrace (stacktrace.c) -- the panic notifiers run (kernel/panic.c
 * keeps the list; kmain registers the allocation trace's dump there), and
 * the kernel exits with failure (arch_exit in setup.c). A fault while
 * reporting prints one raw line and exits: no silent hangs, no triple
 * faults. The double fault runs on its
 * own IST stack (gdt.c), so a broken stack is reported too.
 */
#define pr_fmt(fmt) "traps: " fmt

#include <labyrinth/arch.h>
#include <labyrinth/compiler.h>
#include <labyrinth/ksyms.h>
#include <labyrinth/panic_notifier.h>
#include <labyrinth/printk.h>
#include <labyrinth/string.h>
#include <asm/cpu.h>
#include <asm/extable.h>
#include <asm/pks.h>
#include <asm/traps.h>

/* Oops lines use Linux's layout, without the "traps: " prefix. */
#define oops_printk(fmt, ...) printk(KERN_EMERG fmt, ##__VA_ARGS__)

extern bool oops_in_progress; /* kernel/printk.c: stop waiting for the console lock */

struct trap_desc {
	const char *mnemonic;
	const char *name;
};

static const struct trap_desc trap_descs[NR_EXCEPTION_VECTORS] = {
	[X86_TRAP_DE] = { "#DE", "divide error" },
	[X86_TRAP_DB] = { "#DB", "debug" },
	[X86_TRAP_NMI] = { "NMI", "non-maskable interrupt" },
	[X86_TRAP_BP] = { "#BP", "int3" },
	[X86_TRAP_OF] = { "#OF", "overflow" },
	[X86_TRAP_BR] = { "#BR", "bounds" },
	[X86_TRAP_UD] = { "#UD", "invalid opcode" },
	[X86_TRAP_NM] = { "#NM", "device not available" },
	[X86_TRAP_DF] = { "#DF", "double fault" },
	[X86_TRAP_OLD_MF] = { "#MF", "coprocessor segment overrun" },
	[X86_TRAP_TS] = { "#TS", "invalid TSS" },
	[X86_TRAP_NP] = { "#NP", "segment not present" },
	[X86_TRAP_SS] = { "#SS", "stack segment" },
	[X86_TRAP_GP] = { "#GP", "general protection fault" },
	[X86_TRAP_PF] = { "#PF", "page fault" },
	[X86_TRAP_SPURIOUS] = { "#SPURIOUS", "spurious interrupt" },
	[X86_TRAP_MF] = { "#MF", "coprocessor error" },
	[X86_TRAP_AC] = { "#AC", "alignment check" },
	[X86_TRAP_MC] = { "#MC", "machine check" },
	[X86_TRAP_XF] = { "#XF", "SIMD floating-point exception" },
	[X86_TRAP_VE] = { "#VE", "virtualization exception" },
	[X86_TRAP_CP] = { "#CP", "control protection fault" },
	[X86_TRAP_HV] = { "#HV", "hypervisor injection" },
	[X86_TRAP_VC] = { "#VC", "VMM communication" },
	[X86_TRAP_SX] = { "#SX", "security exception" },
};

static unsigned int report_depth[NR_CPUS]; /* >0 while this CPU is reporting */
static unsigned int oops_count;

const char *trap_name(unsigned int vector)
{
	if (vector < NR_EXCEPTION_VECTORS && trap_descs[vector].name)
		return trap_descs[vector].name;
	return "reserved exception";
}

static const char *trap_mnemonic(unsigned int vector)
{
	if (vector < NR_EXCEPTION_VECTORS && trap_descs[vector].mnemonic)
		return trap_descs[vector].mnemonic;
	return "#??";
}

/* ---- the recursive-fault line: no printk, no formatting library ---- */

static void raw_puts(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	arch_console_write(s, n);
}

static void raw_puthex(u64 v)
{
	char buf[18] = { '0', 'x' };

	for (int i = 0; i < 16; i++)
		buf[2 + i] = "0123456789abcdef"[(v >> (60 - 4 * i)) & 0xf];
	arch_console_write(buf, sizeof(buf));
}

static __noreturn void report_recursive_fault(const struct pt_regs *regs, unsigned int depth)
{
	if (depth == 1) { /* the first nested fault gets one line; later ones none */
		raw_puts("\ntraps: recursive fault while reporting an exception: ");
		raw_puts(trap_mnemonic(regs->vector));
		raw_puts(" at RIP ");
		raw_puthex(regs->rip);
		raw_puts(", error code ");
		raw_puthex(regs->error_code);
		raw_puts("; exiting\n");
	}
	arch_exit(1);
}

/* ---- the report ---- */

static const char *pf_reason(u64 ec)
{
	if (!(ec & X86_PF_PROT))
		return "not-present page";
	if (ec & X86_PF_RSVD)
		return "reserved bit violation";
	if (ec & X86_PF_PK)
		return "protection keys violation";
	return "permissions violation";
}

static const char *pf_access(u64 ec)
{
	if (ec & X86_PF_INSTR)
		return "instruction fetch";
	return ec & X86_PF_WRITE ? "write" : "read";
}

static bool has_selector_error_code(unsigned int vector)
{
	return vector == X86_TRAP_TS || vector == X86_TRAP_NP || vector == X86_TRAP_SS ||
	       vector == X86_TRAP_GP;
}

static void show_page_fault(const struct pt_regs *regs, u64 cr2)
{
	u64 ec = regs->error_code;

	if (cr2 < 4096)
		oops_printk("BUG: kernel NULL pointer dereference, address: %016lx\n", cr2);
	else
		oops_printk("BUG: unable to handle page fault for address: %016lx\n", cr2);
	oops_printk("#PF: %s %s access in %s mode\n", ec & X86_PF_USER ? "user" : "supervisor",
		    pf_access(ec), regs->cs & 3 ? "user" : "kernel");
	oops_printk("#PF: error_code(0x%04lx) - %s\n", ec, pf_reason(ec));
	oops_printk("#PF: error bits: P=%d W=%d U=%d RSVD=%d I=%d PK=%d SS=%d\n",
		    !!(ec & X86_PF_PROT), !!(ec & X86_PF_WRITE), !!(ec & X86_PF_USER),
		    !!(ec & X86_PF_RSVD), !!(ec & X86_PF_INSTR), !!(ec & X86_PF_PK),
		    !!(ec & X86_PF_SHSTK));
	if ((ec & (X86_PF_INSTR | X86_PF_PROT)) == (X86_PF_INSTR | X86_PF_PROT))
		oops_printk("kernel tried to execute NX-protected page - exploit attempt?\n");
}

/* #TS, #NP, #SS, #GP: a non-zero error code names a segment selector. */
static void show_selector_error(const struct pt_regs *regs)
{
	u64 ec = regs->error_code;
	const char *table = ec & 2 ? "IDT" : ec & 4 ? "LDT" : "GDT";

	oops_printk("%s: error_code(0x%04lx) - %s %s %lu%s\n", trap_mnemonic(regs->vector), ec,
		    table, ec & 2 ? "vector" : "selector index", (ec >> 3) & 0x1fff,
		    ec & 1 ? " (external event)" : "");
}

static void show_header(const struct pt_regs *regs, unsigned int cpu, unsigned int nr, u64 cr2)
{
	unsigned int vector = regs->vector;

	pr_emerg("%s (%s), vector %u, error code 0x%04lx, CPU %u\n", trap_name(vector),
		 trap_mnemonic(vector), vector, regs->error_code, cpu);
	if (vector == X86_TRAP_PF) {
		show_page_fault(regs, cr2);
		oops_printk("Oops: %04lx [#%u] CPU: %u\n", regs->error_code, nr, cpu);
		return;
	}
	if (has_selector_error_code(vector) && regs->error_code)
		show_selector_error(regs);
	oops_printk("%s: %04lx [#%u] CPU: %u\n", trap_name(vector), regs->error_code, nr, cpu);
}

#define CODE_BYTES_BEFORE 21
#define CODE_BYTES_AFTER 11

/* Linux's "Code:" line: the bytes around RIP, the faulting one in <>. */
static void show_code(u64 rip)
{
	char line[8 + 5 * (CODE_BYTES_BEFORE + CODE_BYTES_AFTER)];
	size_t len = 0;
	u8 b;

	for (u64 a = rip - CODE_BYTES_BEFORE; a < rip + CODE_BYTES_AFTER; a++) {
		if (!probe_read_u8((const void *)a, &b)) {
			oops_printk("Code: Unable to access opcode bytes at 0x%lx.\n", a);
			return;
		}
		len += snprintf(line + len, sizeof(line) - len, a == rip ? "<%02x>" : "%02x", b);
		if (a + 1 < rip + CODE_BYTES_AFTER)
			line[len++] = ' ';
	}
	oops_printk("Code: %s\n", line);
}

static u16 read_seg(int which)
{
	u16 sel = 0;

	switch (which) {
	case 0: __asm__ volatile("movw %%ds, %0" : "=r"(sel)); break;
	case 1: __asm__ volatile("movw %%es, %0" : "=r"(sel)); break;
	case 2: __asm__ volatile("movw %%fs, %0" : "=r"(sel)); break;
	default: __asm__ volatile("movw %%gs, %0" : "=r"(sel)); break;
	}
	return sel;
}

/* cr2 as it was at the fault: show_code() may take (fixed-up) faults of its own. */
static void show_regs(const struct pt_regs *regs, u64 cr2)
{
	char rip[128];

	ksym_snprint(rip, sizeof(rip), regs->rip);
	oops_printk("RIP: %04lx:%s\n", regs->cs, rip);
	show_code(regs->rip);
	oops_printk("RSP: %04lx:%016lx EFLAGS: %08lx\n", regs->ss, regs->rsp, regs->rflags);
	oops_printk("RAX: %016lx RBX: %016lx RCX: %016lx\n", regs->rax, regs->rbx, regs->rcx);
	oops_printk("RDX: %016lx RSI: %016lx RDI: %016lx\n", regs->rdx, regs->rsi, regs->rdi);
	oops_printk("RBP: %016lx R08: %016lx R09: %016lx\n", regs->rbp, regs->r8, regs->r9);
	oops_printk("R10: %016lx R11: %016lx R12: %016lx\n", regs->r10, regs->r11, regs->r12);
	oops_printk("R13: %016lx R14: %016lx R15: %016lx\n", regs->r13, regs->r14, regs->r15);
	oops_printk("FS:  %016lx(%04x) GS:%016lx(%04x) knlGS:%016lx\n", rdmsr(MSR_FS_BASE),
		    read_seg(2), rdmsr(MSR_GS_BASE), read_seg(3), rdmsr(MSR_KERNEL_GS_BASE));
	oops_printk("CS:  %04lx DS: %04x ES: %04x CR0: %016lx\n", regs->cs, read_seg(0),
		    read_seg(1), read_cr0());
	oops_printk("CR2: %016lx CR3: %016lx CR4: %016lx\n", cr2, read_cr3(), read_cr4());
}

static __noreturn void die(struct pt_regs *regs, unsigned int cpu, u64 cr2)
{
	unsigned int nr = __atomic_add_fetch(&oops_count, 1, __ATOMIC_RELAXED);

	WRITE_ONCE(oops_in_progress, true);
	show_header(regs, cpu, nr, cr2);
	show_regs(regs, cr2);
	show_trace_regs(regs);
	panic_notifier_call_chain(); /* e.g. trace=: the allocator's last steps */
	oops_printk("---[ end trace %016x ]---\n", nr);
	oops_printk("Kernel panic - not syncing: Fatal exception\n");
	arch_exit(1);
}

/* ---- NMIs: counted and handed to the registered handler, never fatal ---- */

static u64 nmi_counts[NR_CPUS], nmi_unknown_counts[NR_CPUS];
static bool (*nmi_handler)(struct pt_regs *regs);

void nmi_set_handler(bool (*fn)(struct pt_regs *regs))
{
	WRITE_ONCE(nmi_handler, fn);
}

u64 nmi_count(unsigned int cpu)
{
	return cpu < NR_CPUS ? __atomic_load_n(&nmi_counts[cpu], __ATOMIC_ACQUIRE) : 0;
}

u64 nmi_unknown_count(unsigned int cpu)
{
	return cpu < NR_CPUS ? __atomic_load_n(&nmi_unknown_counts[cpu], __ATOMIC_RELAXED) : 0;
}

/*
 * An NMI can arrive while this CPU holds any lock, the console's included,
 * so the handler takes none and prints nothing: it counts, and lets the
 * registered handler (e.g. a watchdog or a test) claim the NMI. Unclaimed
 * ones are counted as "unknown reason" (Linux's "Uhhuh" case) for later.
 */
static void do_nmi(struct pt_regs *regs)
{
	unsigned int cpu = arch_cpu_id();
	bool (*fn)(struct pt_regs *) = READ_ONCE(nmi_handler);

	if (cpu >= NR_CPUS)
		return;
	if (!fn || !fn(regs))
		__atomic_add_fetch(&nmi_unknown_counts[cpu], 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&nmi_counts[cpu], 1, __ATOMIC_RELEASE);
}

void do_exception(struct pt_regs *regs)
{
	u64 cr2 = read_cr2(); /* first: any later fault overwrites it */
	unsigned int cpu = arch_cpu_id();
	unsigned int depth;

	if (regs->vector == X86_TRAP_NMI) {
		do_nmi(regs);
		return;
	}
	/* A protection-key fault: a stale restriction is retried (asm/pks.h). */
	if (regs->vector == X86_TRAP_PF && (regs->error_code & X86_PF_PK) &&
	    pks_fault_spurious(cr2, regs->rip, regs->error_code & X86_PF_WRITE))
		return;
	if (fixup_exception(regs))
		return;
	depth = report_depth[cpu < NR_CPUS ? cpu : 0]++;
	if (depth)
		report_recursive_fault(regs, depth);
	die(regs, cpu, cr2);
}

/* ---- deliberate faults for the test matrix (test=fault[:kind]) ---- */

#define TEST_UNMAPPED_ADDR 0xffffc8ffdead0000ull /* canonical; the boot tables map nothing here */
#define TEST_NONCANONICAL_ADDR 0xdead000000000000ull

static __noinline void fault_pf(void)
{
	(void)*(volatile u64 *)TEST_UNMAPPED_ADDR;
}

static __noinline void fault_gp(void)
{
	(void)*(volatile u64 *)TEST_NONCANONICAL_ADDR;
}

static __noinline void fault_ud(void)
{
	__asm__ volatile("ud2");
}

static __noinline void fault_de(void)
{
	__asm__ volatile("xorl %%ecx, %%ecx\n\tdivl %%ecx" ::: "eax", "ecx", "edx");
}

static __noinline void fault_bp(void)
{
	__asm__ volatile("int3");
}

/*
 * A stack pointer into unmapped memory: the push faults (#PF), delivering
 * that #PF needs the same stack and faults again, so the CPU raises a
 * double fault, which switches to its IST stack and is reported.
 */
static __noinline void fault_df(void)
{
	__asm__ volatile("movq %0, %%rsp\n\tpushq $0" ::"r"(TEST_UNMAPPED_ADDR + 4096) : "memory");
}

static const struct {
	const char *kind;
	void (*fn)(void);
} test_faults[] = {
	{ "pf", fault_pf }, { "gp", fault_gp }, { "ud", fault_ud },
	{ "de", fault_de }, { "bp", fault_bp }, { "df", fault_df },
};

void arch_trigger_test_fault(const char *kind)
{
	for (size_t i = 0; i < ARRAY_SIZE(test_faults); i++) {
		if (strcmp(kind, test_faults[i].kind))
			continue;
		test_faults[i].fn();
		pr_err("test fault '%s' did not fault\n", kind);
		return;
	}
	pr_err("unknown test fault '%s' (pf, gp, ud, de, bp, df)\n", kind);
}
