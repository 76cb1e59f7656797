/*
 * main.c - kmain(), the kernel's table of contents: one call per boot step.
 *
 * We arrive from _start64 (arch/x86_64/head64.asm) on the boot CPU, in
 * 64-bit mode on the boot page tables, interrupts off. Each step consumes
 * the previous one's output and never reaches back (docs/walkthrough.md
 * walks through them in order).
 */
#define pr_fmt(fmt) fmt

#include <boot/boot_info.h>
#include <labyrinth/acpi.h>
#include <labyrinth/arch.h>
#include <labyrinth/bench.h>
#include <labyrinth/cmdline.h>
#include <labyrinth/compaction.h>
#include <labyrinth/exclusive.h>
#include <labyrinth/fail_page_alloc.h>
#include <labyrinth/ktest.h>
#include <labyrinth/memmap.h>
#include <labyrinth/mm.h>
#include <labyrinth/numa.h>
#include <labyrinth/panic_notifier.h>
#include <labyrinth/pcp.h>
#include <labyrinth/pool.h>
#include <labyrinth/zero_cache.h>
#include <labyrinth/printk.h>
#include <labyrinth/selftest.h>
#include <labyrinth/smp.h>
#include <labyrinth/spinlock.h>
#include <labyrinth/string.h>
#include <labyrinth/trace.h>
#include <labyrinth/vm.h>
#include "tests/bench/fragwork.h"

/* test=... on the command line: a deliberate failure for the test matrix. */
static void run_deliberate_failure(const char *what)
{
	if (!strncmp(what, "fault", 5)) {
		/* At the level of the oops it explains (traps.c prints KERN_EMERG). */
		pr_emerg("test: triggering a deliberate %s (test= on the command line): the report "
			 "below is expected\n",
			 what);
		arch_trigger_test_fault(what[5] == ':' ? what + 6 : "pf");
	} else if (!strcmp(what, "panic")) {
		panic("test: deliberate panic requested on the command line");
	} else if (what[0]) {
		pr_err("test: unknown deliberate failure '%s' ignored\n", what);
	}
}

/*
 * trace=alloc,free (mm/trace.c): the allocator narrates, and its per-CPU
 * event rings are dumped on panic and fatal exceptions.
 */
static void setup_tracing(const char *spec, unsigned long rate)
{
	trace_init(spec, rate, arch_cycles_hz());
	panic_notifier_register(trace_dump);
}

/* fail_page_alloc=<interval>,<probability>,<space>,<times> (mm/fail_page_alloc.c). */
static void setup_fault_injection(const char *spec)
{
	struct fail_page_alloc_attr attr = FAIL_PAGE_ALLOC_ATTR_DEFAULT;

	if (!spec[0])
		return;
	if (fail_page_alloc_parse(spec, &attr)) {
		pr_err("fail_page_alloc: cannot parse '%s'; failure injection stays off\n", spec);
		return;
	}
	attr.seed = boot_seed();
	fail_page_alloc_init(&attr);
}

/*
 * The boot, one step a line: kmain is the kernel's table of contents, so it
 * is aligned by hand (clang-format would re-align the comments per group).
 */
/* clang-format off */
void kmain(u32 magic, u64 info_phys)
{
	const struct memmap *map;
	unsigned int failed;

	arch_early_init();				/* per-CPU area, serial, TSC, traps */
	pr_info("Labyrinth: a memory manager you can walk through\n");
	boot_info_receive(magic, info_phys);		/* multiboot2 or EFI loader -> boot_info */
	kernel_cmdline_init(boot_info.cmdline);		/* key=value parameters, validated */
	/* trace=alloc,free: narration, panic-time dump */
	setup_tracing(param_str("trace"), param_num("trace_rate"));
	spin_debug_set(param_bool("lockdep"));		/* lock-order checks on request */
	/* test-and-set spinlocks under a hypervisor, before other CPUs run */
	virt_spin_lock_init(arch_hypervisor_present(), param_bool("virt_spin_lock"));
	boot_info_print(&boot_info);			/* how we booted, what we were given */
	arch_cpu_init();				/* GDT, TSS, IDT: every exception reports */
	run_deliberate_failure(param_str("test"));	/* test=: only when asked to */
	map = memmap_init(&boot_info);			/* firmware map -> one sorted, clean map */
	/* SRAT/SLIT -> nodes, before the zones: read through the boot identity map */
	numa_config_set(acpi_numa_init(boot_info.rsdp, boot_info.rsdp_len, acpi_os_map_early));
	/* the MADT's CPUs (one without it): mm_init() sizes per-CPU sets for them */
	mm_set_possible_cpus(max(acpi_early_nr_cpus(boot_info.rsdp, boot_info.rsdp_len,
						    acpi_os_map_early), 1u));
	mm_set_debug(param_bool("debug_pagealloc"));	/* page poisoning on request */
	mm_set_mobility_grouping(param_bool("mobility")); /* pageblocks by migratetype */
	mm_set_compaction(param_bool("compaction"));	/* moving pages for high orders */
	mm_init(map);					/* memblock, struct page, zones, buddy */
	if (param_bool("pagetypeinfo"))
		show_pagetypeinfo();			/* /proc/pagetypeinfo on request */
	vm_init(map);					/* own page tables built and loaded */
	mm_set_direct_map(DIRECT_MAP_BASE);		/* mm's pointers move to the direct map */
	vm_drop_identity_map();				/* low half unmapped; ptdump, W^X audit */
	mm_pcp_set_enabled(param_bool("pcp"));		/* per-CPU lists in front of the buddy */
	labyrinth_pool_init(param_num("labyrinth"));	/* the reserve for atomic callers */
	zero_cache_init(param_num("zero_cache"));	/* pre-zeroed pages, a shrinker */
	/* fail_page_alloc=: failure injection on request */
	setup_fault_injection(param_str("fail_page_alloc"));
	/* RSDP -> XSDT/RSDT -> MADT, now through memremap() */
	acpi_init(boot_info.rsdp, boot_info.rsdp_len, acpi_os_map_memory);
	irq_init();					/* 8259s off, IO APIC masked, LAPIC on */
	timer_init();					/* timer calibrated, ticking, IRQs on */
	smp_init();					/* every other CPU through INIT-SIPI-SIPI */
	exclusive_init();				/* PKS keys, per-CPU exclusive reserves */
	failed = ktest_run_all();			/* in-kernel KTAP suites (tests/kernel/) */
	failed += selftest_run();			/* IRQ-context allocation on every CPU */
	if (param_bool("bench"))
		kernel_bench_run();			/* guest ticks per operation, on request */
	if (param_bool("smpbench"))
		failed += kernel_smpbench_run();	/* two CPUs on one zone, on request */
	if (param_num("fragbench"))			/* the fragmentation workload, on request */
		kernel_fragbench_run(param_num("fragbench"), param_num("seed") ? param_num("seed") : 1);
	pr_info("kmain: done, %s\n", failed ? "FAILED" : "all tests passed");
	arch_exit(failed ? 1 : 0);
}
/* clang-format on */
