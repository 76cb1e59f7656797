/*
 * params.c - every kernel command-line parameter, in one table.
 *
 * The parser is kernel/cmdline.c; subsystems read their values with
 * param_num()/param_bool()/param_str(). Add a parameter here, with its
 * range, default and help, and it is validated for free.
 */
#define pr_fmt(fmt) "cmdline: " fmt

#include <labyrinth/arch.h>
#include <labyrinth/cmdline.h>
#include <labyrinth/memmap.h>
#include <labyrinth/printk.h>
#include <labyrinth/string.h>
#include <labyrinth/trace.h>

static const struct kernel_param kernel_params[] = {
	{ "loglevel", PARAM_UINT, 0, 7, LOGLEVEL_DEFAULT, NULL,
	  "console log level: messages at or below it are printed (0..7)" },
	{ "test", PARAM_STRING, 0, 0, 0, "",
	  "deliberate failure for the test matrix: fault, fault:pf, fault:gp, fault:ud, fault:de, "
	  "panic" },
	{ "ktest", PARAM_STRING, 0, 0, 0, "all",
	  "in-kernel KTAP suites to run: all, none, list (print them), or a comma-separated list" },
	{ "seed", PARAM_UINT, 0, UINT64_MAX, 0, NULL,
	  "seed of the randomized in-kernel tests; 0 = derive from the TSC (printed)" },
	{ "debug_pagealloc", PARAM_BOOL, 0, 1, 0, NULL,
	  "poison freed pages and check the poison on allocation" },
	{ "pcp", PARAM_BOOL, 0, 1, 1, NULL,
	  "per-CPU page lists in front of the buddy allocator (mm/pcp.c)" },
	{ "mobility", PARAM_BOOL, 0, 1, 1, NULL,
	  "group pages by mobility in pageblocks (Linux's migratetypes; 0 = "
	  "page_group_by_mobility_disabled)" },
	{ "compaction", PARAM_BOOL, 0, 1, 1, NULL,
	  "memory compaction: direct (costly high-order allocations) and from the balancer" },
	{ "pagetypeinfo", PARAM_BOOL, 0, 1, 0, NULL,
	  "print /proc/pagetypeinfo (free blocks per migratetype, pageblocks per type) at boot" },
	{ "labyrinth", PARAM_SIZE, 0, 16 << 20, 32 << 10, NULL,
	  "Labyrinth pool: reserve for atomic allocations, rounded up to pages; 0 = none" },
	{ "zero_cache", PARAM_UINT, 0, 1024, 64, NULL,
	  "pre-zeroed pages kept for __GFP_ZERO order-0 allocations, given back under pressure "
	  "(mm/zero_cache.c); 0 = none" },
	{ "fail_page_alloc", PARAM_STRING, 0, 0, 0, "",
	  "failure injection as Linux: <interval>,<probability>,<space>,<times>, e.g. 1,10,0,-1" },
	{ "fragbench", PARAM_UINT, 0, 100000000, 0, NULL,
	  "run the fragmentation workload (tests/bench/fragwork.c) for this many operations "
	  "after the tests; 0 = not" },
	{ "bench", PARAM_BOOL, 0, 1, 0, NULL,
	  "run the in-kernel benchmark after the tests (make bench-qemu)" },
	{ "smpbench", PARAM_BOOL, 0, 1, 0, NULL,
	  "run the two-CPU contention benchmark after the tests (make bench-smp; needs CPU 1)" },
	{ "selftest", PARAM_BOOL, 0, 1, 1, NULL,
	  "run the IRQ self-test after the KTAP suites (selftest/selftest.c)" },
	{ "selftest_ms", PARAM_UINT, 20, 60000, 250, NULL,
	  "self-test: length of each active phase (warmup, pressure, exhaustion) in ms" },
	{ "selftest_hz", PARAM_UINT, 1000, 50000, 2000, NULL,
	  "self-test: local APIC timer rate on every CPU during the test (Hz)" },
	{ "smp_test_dead_cpu", PARAM_UINT, 0, NR_CPUS - 1, 0, NULL,
	  "fault injection: CPU N (1..) hangs instead of coming online at boot, to test the "
	  "bring-up timeout; 0 = none" },
	{ "smp_test_stuck_cpu", PARAM_UINT, 0, NR_CPUS - 1, 0, NULL,
	  "KTAP smp suite: hang CPU N (1..) with interrupts off and check that a call to it "
	  "gives up and takes it offline (costs the CPU); 0 = skip that case" },
	{ "smp_test_slot_contention", PARAM_BOOL, 0, 1, 0, NULL,
	  "KTAP smp suite: three CPUs post a 3 s call to one CPU at once (about 9 s; needs 4 "
	  "CPUs); the last waits longer than the call timeout and must not take it offline; "
	  "0 = skip that case" },
	{ "tlb_test_no_shootdown", PARAM_BOOL, 0, 1, 0, NULL,
	  "BREAKS THE KERNEL on purpose: unmaps flush only the local TLB, to show that the "
	  "KTAP case smp.test_tlb_shootdown catches it" },
	{ "virt_spin_lock", PARAM_BOOL, 0, 1, 1, NULL,
	  "under a hypervisor (CPUID's hypervisor bit), spinlocks are acquired by test-and-set "
	  "as Linux's virt_spin_lock(); 0 keeps the fair ticket lock (slow when the host "
	  "deschedules virtual CPUs)" },
	{ "lockdep", PARAM_BOOL, 0, 1, 1, NULL,
	  "spinlock debugging: IRQ-safe/unsafe mix and recursion are reported" },
	{ "trace", PARAM_STRING, 0, 0, 0, "",
	  "allocation tracing (mm/trace.c): comma list of alloc, free (or all); narrated on the "
	  "console, last events dumped on panic" },
	{ "efi", PARAM_STRING, 0, 0, 0, "",
	  "EFI options as Linux: debug = print the firmware's EFI memory map in full (efi: "
	  "memNN:)" },
	{ "trace_rate", PARAM_UINT, 0, 100000, TRACE_RATE_DEFAULT, NULL,
	  "allocations/frees narrated per second by trace=; the rest are counted; 0 = all" },
};

static struct param_value kernel_values[ARRAY_SIZE(kernel_params)];
static struct cmdline kernel_cmdline;

void kernel_cmdline_init(const char *str)
{
	printk(KERN_INFO "Command line: %s\n", str); /* as Linux prints it */
	cmdline_parse(&kernel_cmdline, kernel_params, kernel_values, ARRAY_SIZE(kernel_params),
		      str);
	console_loglevel = (int)param_num("loglevel");
	memmap_efi_debug = !strcmp(param_str("efi"), "debug");
	if (param_str("efi")[0] && !memmap_efi_debug)
		pr_err("efi=%s not understood (known: efi=debug); ignored\n", param_str("efi"));
}

u64 param_num(const char *name)
{
	return cmdline_num(&kernel_cmdline, name);
}

bool param_bool(const char *name)
{
	return cmdline_bool(&kernel_cmdline, name);
}

const char *param_str(const char *name)
{
	return cmdline_str(&kernel_cmdline, name);
}

bool param_is_set(const char *name)
{
	return cmdline_is_set(&kernel_cmdline, name);
}

/* The seed of everything randomized in this boot: seed=, else the TSC. */
u64 boot_seed(void)
{
	static u64 seed;

	if (!seed) {
		seed = param_num("seed");
		if (!seed)
			seed = arch_cycles() | 1;
		pr_info("random seed %llu (reproduce with seed=%llu; the same figures need a "
			"deterministic run: make run DETERMINISTIC=1)\n",
			(unsigned long long)seed, (unsigned long long)seed);
	}
	return seed;
}
