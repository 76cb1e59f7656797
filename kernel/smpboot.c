/*
 * smpboot.c - smp_init(): which CPUs to start, and what each needs first.
 *
 * Every enabled processor of the MADT (acpi/madt.c) other than the boot
 * CPU is started, one at a time: its kernel stack comes from
 * vm_alloc_stack() (mm/vmalloc.c, with a guard page below), its node from
 * its APIC id in the SRAT (numa_add_cpu(), mm/numa.c) before it can
 * allocate, and it is waited for at most AP_ANSWER_MS; a CPU that does not
 * answer is reported ("CPU 2 (APIC id 2) did not answer; continuing with 3
 * CPUs"), parked with INIT, recorded in cpu_missing_mask, and the boot goes
 * on with the others; its number stays unused. While CPUs are being started,
 * the trampoline page (SMP_TRAMPOLINE_START; mm/memmap.c keeps it out of
 * the allocator) is identity-mapped, read-only and executable, in the
 * kernel's page tables (mm/vm.c); afterwards every CPU forgets it.
 *
 * The machine's side is arch/x86_64/smpboot.c: the trampoline's copy,
 * INIT-SIPI-SIPI, and a new CPU's own set-up, at whose end it calls
 * smp_ap_entry() below: the CPU is online and enters its idle loop
 * (kernel/idle.c). Talking to the CPUs afterwards is kernel/smp.c.
 */
#define pr_fmt(fmt) "smp: " fmt

#include <labyrinth/acpi.h>
#include <labyrinth/arch.h>
#include <labyrinth/cmdline.h>
#include <labyrinth/idle.h>
#include <labyrinth/layout.h>
#include <labyrinth/numa.h>
#include <labyrinth/printk.h>
#include <labyrinth/smp.h>
#include <labyrinth/vm.h>

#define AP_ANSWER_MS 2000 /* TCG on a busy host can be slow to start a vCPU */

static void *ap_stacks[NR_CPUS]; /* kept for the next CPU if one does not answer */

/* Where a started CPU enters the generic world, set up, on its own stack. */
static __noreturn void smp_ap_entry(unsigned int cpu)
{
	set_cpu_online(cpu);
	cpu_idle_loop();
}

/*
 * Has the arch copy the trampoline into its page (written through the
 * direct map) and identity-maps that page, executable and read-only, so
 * a CPU can keep running there when it turns paging on.
 */
static bool trampoline_map(void)
{
	void *page = vm_ready() ? phys_to_virt(SMP_TRAMPOLINE_START) : NULL;
	int err;

	if (arch_smp_trampoline_install(page))
		return false;
	err = map_page(SMP_TRAMPOLINE_START, SMP_TRAMPOLINE_START, VM_EXEC);
	if (err) {
		pr_err("cannot identity-map the trampoline page: error %d\n", err);
		return false;
	}
	return true;
}

/* Drops the identity mapping again; unmap_page() shoots it down on every CPU. */
static void trampoline_unmap(void)
{
	unmap_page(SMP_TRAMPOLINE_START);
}

static bool wait_online(unsigned int cpu, u64 ms)
{
	u64 deadline = smp_deadline_ms(ms);

	while (!cpu_online(cpu))
		if (arch_cycles() > deadline)
			return false;
		else
			arch_cpu_relax();
	return true;
}

/*
 * smp_test_dead_cpu=N (fault injection for tests/qemu/test_smp.py): CPU N
 * is started like the others but, once in the kernel, hangs with interrupts
 * off instead of coming online, as a CPU that fails its set-up would. The
 * boot CPU's timeout, report and INIT park it.
 */
static __noreturn void smp_ap_play_dead(unsigned int cpu)
{
	(void)cpu;
	arch_local_irq_disable();
	for (;;)
		arch_cpu_relax();
}

/*
 * Starts one CPU as number cpu; true if it came online. One that does not
 * come online within AP_ANSWER_MS is reported, parked with INIT (it can no
 * longer run anything) and recorded in cpu_missing_mask; the boot goes on.
 */
static bool boot_ap(unsigned int cpu, u32 apic_id, unsigned int *expected)
{
	bool dead = param_num("smp_test_dead_cpu") == cpu;

	if (!ap_stacks[cpu])
		ap_stacks[cpu] = vm_alloc_stack(KERNEL_STACK_SIZE / 4096);
	if (!ap_stacks[cpu]) {
		pr_err("CPU %u (APIC id %u): no stack, left out\n", cpu, apic_id);
		goto missing;
	}
	numa_add_cpu(cpu, apic_id); /* its node, before it allocates */
	arch_boot_cpu(cpu, apic_id, ap_stacks[cpu], dead ? smp_ap_play_dead : smp_ap_entry);
	if (wait_online(cpu, AP_ANSWER_MS))
		return true;
	arch_park_cpu(apic_id);
	if (dead)
		pr_err("a deliberate missing CPU follows: smp_test_dead_cpu=%u kept it "
		       "from coming online (expected)\n",
		       cpu);
	pr_err("CPU %u (APIC id %u) did not answer; continuing with %u CPUs\n", cpu, apic_id,
	       *expected - 1);
missing:
	__atomic_fetch_or(&cpu_missing_mask, 1ul << cpu, __ATOMIC_RELEASE);
	(*expected)--;
	return false;
}

/* Enabled processors of the MADT, as many as NR_CPUS allows. */
static unsigned int madt_enabled_cpus(void)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < acpi_madt.nr_cpus; i++)
		n += !!(acpi_madt.cpus[i].flags & ACPI_MADT_ENABLED);
	return acpi_madt.present ? min(max(n, 1u), (unsigned int)NR_CPUS) : 1;
}

/*
 * CPU numbers follow the MADT's order of enabled processors (the boot CPU
 * is 0), whether or not each comes online: a CPU that did not answer leaves
 * its number unused, so the log and the KTAP suite can name it.
 */
int smp_init(void)
{
	u32 bsp_id = arch_smp_prepare_boot_cpu();
	unsigned int next = 1, listed = 1, expected = madt_enabled_cpus();
	bool trampoline;

	numa_add_cpu(0, bsp_id);
	set_cpu_online(0);
	call_function_init();
	arch_tlb_test_disable_shootdown(param_bool("tlb_test_no_shootdown"));
	trampoline = acpi_madt.present && trampoline_map();
	for (unsigned int i = 0; trampoline && i < acpi_madt.nr_cpus; i++) {
		const struct acpi_cpu *c = &acpi_madt.cpus[i];

		if (!(c->flags & ACPI_MADT_ENABLED) || c->apic_id == bsp_id)
			continue;
		if (++listed > NR_CPUS) {
			pr_warn("CPU with APIC id %u beyond NR_CPUS=%u, ignored\n", c->apic_id,
				NR_CPUS);
			continue;
		}
		boot_ap(next++, c->apic_id, &expected);
	}
	if (trampoline)
		trampoline_unmap();
	pr_info("Brought up %u CPU%s (%u listed)\n", num_online_cpus(),
		num_online_cpus() == 1 ? "" : "s", listed);
	return 0;
}
