/*
 * smp.c - bringing up the other CPUs, and talking to them.
 *
 * Every enabled processor of the MADT (acpi/madt.c) other than the boot
 * CPU is started, one at a time, with INIT-SIPI-SIPI (Intel SDM: INIT,
 * 10 ms, SIPI, 200 us, SIPI if it has not answered). The SIPI vector 0x08
 * starts it in real mode at physical 0x8000, where trampoline.asm has been
 * copied (SMP_TRAMPOLINE_START; mm/memmap.c keeps that area out of the
 * allocator); the trampoline takes it to long mode on the kernel's page
 * tables, in which that one page is identity-mapped (read-only, executable)
 * only while CPUs are being started, and into ap_start() below, on its own
 * stack: vm_alloc_stack() (mm/vm.c), with a guard page below. ap_start()
 * installs the CPU's per-CPU area (percpu.c, GS base), its own GDT and TSS
 * with IST stacks (gdt.c), the shared IDT (idt.c), its local APIC and
 * timer (apic.c), then marks itself online and enters cpu_idle_loop(). A
 * CPU that does not answer within AP_ANSWER_MS is reported, sent back to
 * wait-for-SIPI with an INIT, and left out. Each CPU's node (its APIC id in
 * the SRAT, mm/numa.c numa_add_cpu()) is set before it is started.
 *
 * Talking to the CPUs: smp_call_function*() run a function in the target's
 * call-function IPI handler; smp_queue_work() runs one from the target's
 * idle loop in process context. The KTAP suite "smp"
 * (tests/kernel/smp_test.c) checks all of it.
 */
#define pr_fmt(fmt) "smp: " fmt

#include <labyrinth/acpi.h>
#include <labyrinth/arch.h>
#include <labyrinth/idle.h>
#include <labyrinth/memmap.h>
#include <labyrinth/numa.h>
#include <labyrinth/printk.h>
#include <labyrinth/smp.h>
#include <labyrinth/spinlock.h>
#include <labyrinth/string.h>
#include <labyrinth/vm.h>
#include <asm/apic.h>
#include <asm/cpu.h>
#include <asm/desc.h>
#include <asm/irq.h>
#include <asm/percpu.h>
#include <asm/traps.h>
#include <asm/tsc.h>

#define AP_ANSWER_MS 2000 /* TCG on a busy host can be slow to start a vCPU */
#define WORK_QUEUE_LEN 16

/* Filled in before each AP start; the layout of trampoline.asm's params. */
struct trampoline_params {
	u64 cr3, cr4, cr0, efer, stack, entry, cpu;
};

extern const u8 trampoline_start[], trampoline_end[], trampoline_params[];

unsigned long cpu_online_mask = 1; /* the boot CPU is online from the start */
static u32 cpu_apic_ids[NR_CPUS];
static u64 bsp_cr4;
static u64 ap_stack_tops[NR_CPUS];

struct call_slot {
	u32 busy;	  /* a request is being posted or has not run yet */
	u32 posted, done; /* request sequence numbers */
	smp_call_func_t fn;
	void *arg;
} __aligned(64);

struct work_queue {
	spinlock_t lock;
	unsigned int head, tail; /* tail - head items, indexes mod WORK_QUEUE_LEN */
	struct {
		smp_call_func_t fn;
		void *arg;
	} items[WORK_QUEUE_LEN];
} __aligned(64);

static struct call_slot call_slots[NR_CPUS];
static struct work_queue work_queues[NR_CPUS];

static void set_online(unsigned int cpu)
{
	__atomic_fetch_or(&cpu_online_mask, 1ul << cpu, __ATOMIC_RELEASE);
}

static u64 ms_to_cycles(u64 ms)
{
	return (tsc_hz() ? tsc_hz() : 1000000000ull) / 1000 * ms;
}

/* ---- the idle loop and queued work ---- */

static bool run_one_work(struct work_queue *q)
{
	smp_call_func_t fn = NULL;
	void *arg = NULL;
	unsigned long flags;

	spin_lock_irqsave(&q->lock, flags);
	if (q->head != q->tail) {
		fn = q->items[q->head % WORK_QUEUE_LEN].fn;
		arg = q->items[q->head % WORK_QUEUE_LEN].arg;
		q->head++;
	}
	spin_unlock_irqrestore(&q->lock, flags);
	if (fn)
		fn(arg);
	return fn != NULL;
}

void cpu_idle_loop(void)
{
	struct work_queue *q = &work_queues[arch_cpu_id()];

	for (;;) {
		sti();
		while (run_one_work(q))
			;
		idle_work(); /* balancer, pool refill: kernel/idle.c */
		cli();
		if (READ_ONCE(q->head) != READ_ONCE(q->tail))
			continue;
		/* sti's one-instruction shadow: no wake-up is lost before hlt. */
		__asm__ volatile("sti; hlt" ::: "memory");
	}
}

int smp_queue_work(unsigned int cpu, smp_call_func_t fn, void *arg)
{
	struct work_queue *q;
	unsigned long flags;
	int ret = -1;

	if (!cpu_online(cpu))
		return -1;
	q = &work_queues[cpu];
	spin_lock_irqsave(&q->lock, flags);
	if (q->tail - q->head < WORK_QUEUE_LEN) {
		q->items[q->tail % WORK_QUEUE_LEN].fn = fn;
		q->items[q->tail % WORK_QUEUE_LEN].arg = arg;
		q->tail++;
		ret = 0;
	}
	spin_unlock_irqrestore(&q->lock, flags);
	if (!ret && cpu != arch_cpu_id())
		apic_send_ipi(cpu_apic_ids[cpu], CALL_FUNCTION_VECTOR); /* wake it */
	return ret;
}

/* ---- smp_call_function ---- */

static void call_function_interrupt(struct pt_regs *regs)
{
	struct call_slot *s = &call_slots[arch_cpu_id()];

	(void)regs;
	apic_eoi();
	if (__atomic_load_n(&s->done, __ATOMIC_ACQUIRE) !=
	    __atomic_load_n(&s->posted, __ATOMIC_ACQUIRE)) {
		smp_call_func_t fn = s->fn;
		void *arg = s->arg;

		fn(arg);
		__atomic_fetch_add(&s->done, 1, __ATOMIC_RELEASE);
		__atomic_store_n(&s->busy, 0, __ATOMIC_RELEASE);
	}
	/* Otherwise a wake-up for queued work: the idle loop runs it. */
}

/* Posts fn to cpu's slot and sends the IPI; returns the request's number. */
static u32 call_post(unsigned int cpu, smp_call_func_t fn, void *arg)
{
	struct call_slot *s = &call_slots[cpu];
	u32 none = 0, seq;

	while (!__atomic_compare_exchange_n(&s->busy, &none, 1, false, __ATOMIC_ACQUIRE,
					    __ATOMIC_RELAXED)) {
		none = 0;
		cpu_pause();
	}
	s->fn = fn;
	s->arg = arg;
	seq = s->posted + 1;
	__atomic_store_n(&s->posted, seq, __ATOMIC_RELEASE);
	apic_send_ipi(cpu_apic_ids[cpu], CALL_FUNCTION_VECTOR);
	return seq;
}

static int call_wait(unsigned int cpu, u32 seq)
{
	struct call_slot *s = &call_slots[cpu];
	u64 deadline = rdtsc() + ms_to_cycles(SMP_CALL_TIMEOUT_MS);

	while ((s32)(__atomic_load_n(&s->done, __ATOMIC_ACQUIRE) - seq) < 0) {
		if (rdtsc() > deadline) {
			pr_err("CPU %u did not run a call within %u ms\n", cpu,
			       SMP_CALL_TIMEOUT_MS);
			return -1;
		}
		cpu_pause();
	}
	return 0;
}

int smp_call_function_single(unsigned int cpu, smp_call_func_t fn, void *arg, bool wait)
{
	unsigned long flags;
	u32 seq;

	if (cpu == arch_cpu_id()) {
		flags = arch_irq_save();
		fn(arg);
		arch_irq_restore(flags);
		return 0;
	}
	if (!cpu_online(cpu))
		return -1;
	WARN_ON_ONCE(wait && arch_irqs_disabled());
	seq = call_post(cpu, fn, arg);
	return wait ? call_wait(cpu, seq) : 0;
}

int smp_call_function(smp_call_func_t fn, void *arg, bool wait)
{
	u32 seq[NR_CPUS] = { 0 };
	unsigned int cpu, me = arch_cpu_id();
	int ret = 0;

	WARN_ON_ONCE(wait && arch_irqs_disabled());
	for_each_online_cpu(cpu)
		if (cpu != me)
			seq[cpu] = call_post(cpu, fn, arg);
	if (!wait)
		return 0;
	for_each_online_cpu(cpu)
		if (cpu != me && call_wait(cpu, seq[cpu]))
			ret = -1;
	return ret;
}

u32 smp_cpu_apic_id(unsigned int cpu)
{
	return cpu < NR_CPUS ? cpu_apic_ids[cpu] : ~0u;
}

/* ---- bringing up the APs ---- */

/* Where every AP arrives from the trampoline, on its own stack. */
__attribute__((noreturn, used)) static void ap_start(u64 cpu)
{
	percpu_init_cpu((unsigned int)cpu);
	this_cpu()->kernel_stack_top = ap_stack_tops[cpu];
	gdt_init_cpu((unsigned int)cpu);
	idt_load();
	if (read_cr4() != bsp_cr4)
		write_cr4(bsp_cr4); /* e.g. PCIDE, which 32-bit code may not set */
	apic_init_cpu();
	apic_timer_start_periodic(TIMER_HZ);
	pr_info("CPU %u: APIC id %u online\n", (unsigned int)cpu, apic_read_id());
	set_online((unsigned int)cpu);
	cpu_idle_loop();
}

/*
 * Copies the trampoline to SMP_TRAMPOLINE_START (written through the direct
 * map) and identity-maps that page, executable and read-only, so the AP can
 * keep running there when it turns paging on. Returns its parameter block.
 */
static volatile struct trampoline_params *trampoline_install(void)
{
	size_t size = (size_t)(trampoline_end - trampoline_start);
	u8 *dst = phys_to_virt(SMP_TRAMPOLINE_START);
	int err;

	BUILD_BUG_ON(SMP_TRAMPOLINE_START != 0x8000); /* trampoline.asm's TRAMPOLINE_BASE */
	if (!vm_ready() || size > 4096 || read_cr3() >= (1ull << 32)) {
		pr_err("cannot start CPUs: page tables not ready or above 4 GiB (CR3 0x%llx)\n",
		       (unsigned long long)read_cr3());
		return NULL;
	}
	memcpy(dst, trampoline_start, size);
	err = map_page(SMP_TRAMPOLINE_START, SMP_TRAMPOLINE_START, VM_EXEC);
	if (err) {
		pr_err("cannot identity-map the trampoline page: error %d\n", err);
		return NULL;
	}
	return (volatile void *)(dst + (trampoline_params - trampoline_start));
}

static void flush_tlb_local(void *arg)
{
	(void)arg;
	write_cr3(read_cr3());
}

/* Drops the identity mapping again; the APs forget theirs too. */
static void trampoline_remove(void)
{
	unmap_page(SMP_TRAMPOLINE_START);
	flush_tlb_local(NULL);
	if (!arch_irqs_disabled())
		smp_call_function(flush_tlb_local, NULL, true);
}

static bool wait_online(unsigned int cpu, u64 ms)
{
	u64 deadline = rdtsc() + ms_to_cycles(ms);

	while (!cpu_online(cpu))
		if (rdtsc() > deadline)
			return false;
		else
			cpu_pause();
	return true;
}

/* INIT-SIPI-SIPI; true if the CPU came online. */
static bool boot_ap(volatile struct trampoline_params *p, unsigned int cpu, u32 apic_id)
{
	u8 page = (u8)(SMP_TRAMPOLINE_START >> 12);

	if (!ap_stack_tops[cpu])
		ap_stack_tops[cpu] = (u64)vm_alloc_stack(KERNEL_STACK_SIZE / 4096);
	if (!ap_stack_tops[cpu]) {
		pr_err("CPU %u (APIC id %u): no stack, left out\n", cpu, apic_id);
		return false;
	}
	p->cr3 = read_cr3();
	p->cr4 = bsp_cr4 & ~(1ull << 17); /* no PCIDE outside long mode */
	p->cr0 = read_cr0();
	p->efer = rdmsr(MSR_EFER);
	p->stack = ap_stack_tops[cpu];
	p->entry = (u64)ap_start;
	p->cpu = cpu;
	cpu_apic_ids[cpu] = apic_id;
	numa_add_cpu(cpu, apic_id); /* its node, before it allocates */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	apic_send_init(apic_id);
	tsc_delay_us(10000);
	apic_send_sipi(apic_id, page);
	tsc_delay_us(200);
	if (!cpu_online(cpu)) {
		apic_send_sipi(apic_id, page);
		tsc_delay_us(200);
	}
	if (wait_online(cpu, AP_ANSWER_MS))
		return true;
	pr_err("CPU %u (APIC id %u) did not answer within %u ms: left out\n", cpu, apic_id,
	       AP_ANSWER_MS);
	apic_send_init(apic_id); /* park it in wait-for-SIPI */
	return false;
}

int smp_init(void)
{
	volatile struct trampoline_params *p;
	u32 bsp_id = apic_read_id();
	unsigned int next = 1, listed = 1;

	cpu_apic_ids[0] = bsp_id;
	numa_add_cpu(0, bsp_id);
	set_online(0);
	bsp_cr4 = read_cr4();
	irq_register(CALL_FUNCTION_VECTOR, call_function_interrupt);
	p = acpi_madt.present ? trampoline_install() : NULL;
	for (unsigned int i = 0; p && i < acpi_madt.nr_cpus; i++) {
		const struct acpi_cpu *c = &acpi_madt.cpus[i];

		if (!(c->flags & ACPI_MADT_ENABLED) || c->apic_id == bsp_id)
			continue;
		if (++listed > NR_CPUS) {
			pr_warn("CPU with APIC id %u beyond NR_CPUS=%u, ignored\n", c->apic_id,
				NR_CPUS);
			continue;
		}
		if (boot_ap(p, next, c->apic_id))
			next++;
	}
	if (p)
		trampoline_remove();
	pr_info("Brought up %u CPU%s (%u listed)\n", num_online_cpus(),
		num_online_cpus() == 1 ? "" : "s", listed);
	return 0;
}
