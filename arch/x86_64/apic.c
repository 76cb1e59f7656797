/*
 * apic.c - the local APIC of every CPU: mode, spurious and error vectors,
 * EOI, interprocessor interrupts, and the timer.
 *
 * x2APIC mode (registers are MSRs, no mapping needed) when CPUID has it,
 * else xAPIC mode through the APIC page at the physical base in
 * IA32_APIC_BASE (0xfee00000), mapped uncached by the function that
 * arch_irq_init() is handed (ioremap(), by kernel/irq.c; before vm_init(),
 * the boot identity map): see xapic_map(). LINT1's NMI wiring comes from
 * the MADT that arch_irq_init() is handed too: arch/ reads the parse
 * results it is given and calls nothing in acpi/ or mm/. The timer is
 * calibrated once, on the boot CPU, against the TSC over windows of the
 * legacy PIT's channel 2 (no interrupt needed); then every CPU runs a
 * periodic tick of TIMER_HZ, and a one-shot uses the TSC-deadline mode when
 * the CPU has it.
 *
 * Neighbours: pic.c silences the 8259s, ioapic.c routes device interrupts,
 * smpboot.c and smp.c use the IPIs to start and call the other CPUs, idt.c
 * dispatches the vectors registered here (asm/irq.h).
 */
#define pr_fmt(fmt) "apic: " fmt

#include <labyrinth/acpi.h>
#include <labyrinth/arch.h>
#include <labyrinth/compiler.h>
#include <labyrinth/printk.h>
#include <asm/apic.h>
#include <asm/cpu.h>
#include <asm/irq.h>
#include <asm/percpu.h>
#include <asm/tsc.h>
#include <labyrinth/smp.h>

#define PIT_HZ 1193182u
#define PIT_CH2_DATA 0x42
#define PIT_CMD 0x43
#define PIT_GATE_PORT 0x61 /* bit 0: channel 2 gate, bit 1: speaker, bit 5: OUT2 */
#define PIT_CMD_CH2_LOHI_MODE0 0xb0
#define CALIBRATE_MS 25
#define CALIBRATE_WINDOWS 3 /* odd: the median is one of them */
#define ICR_SPIN_LIMIT 1000000
#define PIT_SPIN_LIMIT 200000000ull

static const struct acpi_madt_info *madt; /* handed in by arch_irq_init() */
static bool x2apic;
static bool tsc_deadline;
static volatile u32 *xapic_regs;
static u64 timer_hz; /* APIC timer ticks per second, divider 16 */
static u32 periodic_count;

static struct apic_cpu_stats {
	u64 ticks, oneshots, spurious;
	bool oneshot_armed;
} __aligned(64) stats[NR_CPUS];

static void (*timer_hook)(void);

bool apic_x2apic_mode(void)
{
	return x2apic;
}
bool apic_has_tsc_deadline(void)
{
	return tsc_deadline;
}
u64 apic_timer_hz(void)
{
	return timer_hz;
}
void apic_timer_set_hook(void (*fn)(void))
{
	WRITE_ONCE(timer_hook, fn);
}

u64 apic_timer_ticks(unsigned int cpu)
{
	return cpu < NR_CPUS ? READ_ONCE(stats[cpu].ticks) : 0;
}

u64 apic_timer_oneshots(unsigned int cpu)
{
	return cpu < NR_CPUS ? READ_ONCE(stats[cpu].oneshots) : 0;
}

u32 apic_read(u32 reg)
{
	if (x2apic)
		return (u32)rdmsr(MSR_X2APIC_BASE + reg);
	return xapic_regs[reg << 2];
}

void apic_write(u32 reg, u32 val)
{
	if (x2apic)
		wrmsr(MSR_X2APIC_BASE + reg, val);
	else
		xapic_regs[reg << 2] = val;
}

u32 apic_read_id(void)
{
	return x2apic ? apic_read(APIC_ID) : apic_read(APIC_ID) >> 24;
}

void apic_eoi(void)
{
	apic_write(APIC_EOI, 0);
}

/* (a * b) / c without overflowing for a < 2^64, b*c < 2^64. */
static u64 mul_div(u64 a, u64 b, u64 c)
{
	return (a / c) * b + (a % c) * b / c;
}

/* ---- interprocessor interrupts ---- */

static int xapic_wait_icr_idle(void)
{
	for (int i = 0; i < ICR_SPIN_LIMIT; i++) {
		if (!(apic_read(APIC_ICR) & APIC_ICR_BUSY))
			return 0;
		cpu_pause();
	}
	pr_warn_once("IPI not accepted: ICR still busy\n");
	return -1;
}

/* Writes the ICR: dest is an APIC id, low the command (vector, mode, shorthand). */
static int apic_icr_write(u32 dest, u32 low)
{
	unsigned long flags = arch_irq_save();
	int ret = 0;

	if (x2apic) {
		/* x2APIC MSR writes are not serializing: order earlier stores first. */
		__asm__ volatile("mfence" ::: "memory");
		wrmsr(MSR_X2APIC_BASE + APIC_ICR, ((u64)dest << 32) | low);
	} else {
		ret = xapic_wait_icr_idle();
		apic_write(APIC_ICR_HIGH, dest << 24);
		apic_write(APIC_ICR, low);
		ret |= xapic_wait_icr_idle();
	}
	arch_irq_restore(flags);
	return ret;
}

int apic_send_ipi(u32 apic_id, u8 vector)
{
	return apic_icr_write(apic_id, APIC_DM_FIXED | vector);
}

int apic_send_ipi_all_but_self(u8 vector)
{
	return apic_icr_write(0, APIC_DEST_ALL_BUT_SELF | APIC_DM_FIXED | vector);
}

int apic_send_nmi(u32 apic_id)
{
	return apic_icr_write(apic_id, APIC_DM_NMI);
}

int apic_send_init(u32 apic_id)
{
	return apic_icr_write(apic_id, APIC_DM_INIT | APIC_ICR_LEVEL | APIC_ICR_ASSERT);
}

int apic_send_sipi(u32 apic_id, u8 page)
{
	return apic_icr_write(apic_id, APIC_DM_STARTUP | page);
}

/* ---- interrupt handlers ---- */

static void spurious_interrupt(struct pt_regs *regs)
{
	(void)regs;
	stats[arch_cpu_id()].spurious++; /* no EOI for a spurious interrupt */
}

static void error_interrupt(struct pt_regs *regs)
{
	u32 esr;

	(void)regs;
	apic_write(APIC_ESR, 0);
	esr = apic_read(APIC_ESR);
	pr_warn("CPU %u: APIC error, ESR 0x%x\n", arch_cpu_id(), esr);
	apic_eoi();
}

static void timer_interrupt(struct pt_regs *regs)
{
	struct apic_cpu_stats *s = &stats[arch_cpu_id()];
	void (*hook)(void) = READ_ONCE(timer_hook);

	(void)regs;
	s->ticks++;
	if (s->oneshot_armed) {
		s->oneshot_armed = false;
		s->oneshots++;
	}
	if (hook)
		hook();
	apic_eoi();
}

/* ---- per-CPU setup ---- */

/* The LVT entry for LINT1 on this CPU: NMI as the MADT says, else masked. */
static u32 lint_lvt(u8 lint, u32 apic_id)
{
	u32 uid = ACPI_UID_ALL;

	for (unsigned int i = 0; i < madt->nr_cpus; i++)
		if (madt->cpus[i].apic_id == apic_id)
			uid = madt->cpus[i].uid;
	for (unsigned int i = 0; i < madt->nr_nmis; i++) {
		const struct acpi_lapic_nmi *n = &madt->nmis[i];

		if (n->lint == lint && (n->uid == ACPI_UID_ALL || n->uid == uid))
			return APIC_DM_NMI |
			       ((n->flags & ACPI_MPS_POLARITY_MASK) == ACPI_MPS_POLARITY_LOW
				    ? APIC_LVT_ACTIVE_LOW
				    : 0);
	}
	if (!madt->present && lint == 1)
		return APIC_DM_NMI; /* the PC convention */
	return APIC_LVT_MASKED;
}

static void apic_enable_mode(void)
{
	u64 base = rdmsr(MSR_APIC_BASE);

	if (!(base & APIC_BASE_ENABLE))
		wrmsr(MSR_APIC_BASE, base |= APIC_BASE_ENABLE);
	if (x2apic && !(base & APIC_BASE_X2APIC))
		wrmsr(MSR_APIC_BASE, base | APIC_BASE_X2APIC);
}

void apic_init_cpu(void)
{
	u32 id;

	apic_enable_mode();
	id = apic_read_id();
	this_cpu()->apic_id = id;
	apic_write(APIC_TPR, 0);
	apic_write(APIC_LVT_TIMER, APIC_LVT_MASKED | LOCAL_TIMER_VECTOR);
	apic_write(APIC_LVT_THERMAL, APIC_LVT_MASKED);
	apic_write(APIC_LVT_PERF, APIC_LVT_MASKED);
	apic_write(APIC_LVT_LINT0, APIC_LVT_MASKED | APIC_DM_EXTINT);
	apic_write(APIC_LVT_LINT1, lint_lvt(1, id));
	apic_write(APIC_LVT_ERROR, ERROR_APIC_VECTOR);
	apic_write(APIC_ESR, 0);
	apic_write(APIC_ESR, 0);
	apic_write(APIC_SVR, APIC_SVR_ENABLE | SPURIOUS_APIC_VECTOR);
	apic_eoi();
}

/* The xAPIC page, uncached (no map function: the boot identity map). */
static volatile u32 *xapic_map(u64 phys, arch_ioremap_t map)
{
	if (map)
		return map(phys, 4096);
	if (phys >= (1ull << 32))
		return NULL;
	return (volatile u32 *)(uintptr_t)phys;
}

int apic_init_bsp(const struct acpi_madt_info *info, arch_ioremap_t map)
{
	u32 a, b, c, d;
	u64 base;

	madt = info;
	cpuid(1, &a, &b, &c, &d);
	if (!(d & CPUID1_EDX_APIC)) {
		pr_err("this CPU has no local APIC\n");
		return -1;
	}
	x2apic = c & CPUID1_ECX_X2APIC;
	tsc_deadline = c & CPUID1_ECX_TSC_DEADLINE;
	base = rdmsr(MSR_APIC_BASE) & ~0xfffull & ((1ull << 52) - 1);
	if (madt->present && madt->lapic_address != base)
		pr_warn("MADT says the APIC is at 0x%llx, the MSR 0x%llx: using the MSR\n",
			(unsigned long long)madt->lapic_address, (unsigned long long)base);
	if (!x2apic && !(xapic_regs = xapic_map(base, map))) {
		pr_err("APIC page 0x%llx not mapped\n", (unsigned long long)base);
		return -1;
	}
	irq_register(SPURIOUS_APIC_VECTOR, spurious_interrupt);
	irq_register(ERROR_APIC_VECTOR, error_interrupt);
	irq_register(LOCAL_TIMER_VECTOR, timer_interrupt);
	apic_init_cpu();
	pr_info("%s mode, boot CPU APIC id %u, version 0x%x, base 0x%llx%s\n",
		x2apic ? "x2APIC" : "xAPIC", apic_read_id(), apic_read(APIC_VERSION) & 0xff,
		(unsigned long long)base, tsc_deadline ? ", TSC-deadline timer" : "");
	return 0;
}

/* ---- timer ---- */

/* Starts the PIT's channel 2 counting down ms milliseconds (mode 0, gated). */
static void pit_ch2_start(unsigned int ms)
{
	u32 count = PIT_HZ * ms / 1000;
	u8 gate = inb(PIT_GATE_PORT) & ~0x03; /* gate low, speaker off */

	outb(PIT_GATE_PORT, gate);
	outb(PIT_CMD, PIT_CMD_CH2_LOHI_MODE0);
	outb(PIT_CH2_DATA, count & 0xff);
	outb(PIT_CH2_DATA, count >> 8);
	outb(PIT_GATE_PORT, gate | 0x01); /* gate high: counting starts */
}

static bool pit_ch2_wait(void)
{
	for (u64 i = 0; i < PIT_SPIN_LIMIT; i++)
		if (inb(PIT_GATE_PORT) & 0x20) /* OUT2 goes high at terminal count */
			return true;
	return false;
}

/*
 * One window of the PIT's channel 2, CALIBRATE_MS long, gates both counters:
 * the APIC timer's ticks and the TSC's. Returns the APIC ticks per TSC
 * second (tsc_hz() was calibrated first), or 0 if the PIT never expired. A
 * vCPU held up while the PIT runs sees the window's end late; a rate taken
 * over the nominal CALIBRATE_MS would then be too high by the delay (seen
 * under loaded QEMU TCG: 645 MHz for 62, every tick 10x slow). The TSC kept
 * counting through the delay too, so the ratio holds whatever the window's
 * real length.
 */
static u64 apic_timer_hz_once(u64 *tsc_mhz)
{
	u32 elapsed;
	u64 t0, t1;

	apic_write(APIC_TIMER_DIVIDE, APIC_TIMER_DIV_16);
	apic_write(APIC_LVT_TIMER, APIC_LVT_MASKED | LOCAL_TIMER_VECTOR);
	pit_ch2_start(CALIBRATE_MS);
	apic_write(APIC_TIMER_INIT, 0xffffffffu);
	t0 = rdtsc();
	if (!pit_ch2_wait())
		return 0;
	elapsed = 0xffffffffu - apic_read(APIC_TIMER_CURRENT);
	t1 = rdtsc();
	apic_write(APIC_TIMER_INIT, 0);
	*tsc_mhz = (t1 - t0) / (CALIBRATE_MS * 1000);
	if (!tsc_hz() || t1 <= t0) /* no TSC rate: the nominal window */
		return (u64)elapsed * 1000 / CALIBRATE_MS;
	return (u64)elapsed * tsc_hz() / (t1 - t0);
}

/*
 * The median of CALIBRATE_WINDOWS windows: a delay between the two
 * counters' reads (at the start or at the end of a window) moves one
 * window's ratio either way; the median drops it.
 */
int apic_timer_calibrate(void)
{
	u64 hz[CALIBRATE_WINDOWS], tsc_mhz = 0, x;
	unsigned int i, j;

	for (i = 0; i < CALIBRATE_WINDOWS; i++) {
		hz[i] = apic_timer_hz_once(&tsc_mhz);
		if (!hz[i]) {
			pr_err("PIT channel 2 never expired: timer not calibrated\n");
			return -1;
		}
		for (j = i; j > 0 && hz[j - 1] > hz[j]; j--) { /* insertion sort */
			x = hz[j];
			hz[j] = hz[j - 1];
			hz[j - 1] = x;
		}
	}
	timer_hz = hz[CALIBRATE_WINDOWS / 2];
	periodic_count = (u32)max(timer_hz / TIMER_HZ, (u64)1);
	pr_info("timer calibrated against the TSC over PIT windows: %llu.%03llu MHz (bus/16); "
		"last window %llu MHz of TSC by the PIT's clock\n",
		(unsigned long long)(timer_hz / 1000000),
		(unsigned long long)(timer_hz / 1000 % 1000), (unsigned long long)tsc_mhz);
	return timer_hz ? 0 : -1;
}

void apic_timer_start_periodic(unsigned int hz)
{
	u32 count = hz ? (u32)max(timer_hz / hz, (u64)1) : periodic_count;

	stats[arch_cpu_id()].oneshot_armed = false;
	apic_write(APIC_TIMER_DIVIDE, APIC_TIMER_DIV_16);
	apic_write(APIC_LVT_TIMER, APIC_LVT_TIMER_PERIODIC | LOCAL_TIMER_VECTOR);
	apic_write(APIC_TIMER_INIT, count);
}

void apic_timer_stop(void)
{
	apic_write(APIC_LVT_TIMER, APIC_LVT_MASKED | LOCAL_TIMER_VECTOR);
	apic_write(APIC_TIMER_INIT, 0);
	if (tsc_deadline)
		wrmsr(MSR_TSC_DEADLINE, 0);
}

/* One interrupt in ns nanoseconds (replaces the periodic tick until restarted). */
void apic_timer_oneshot_ns(u64 ns)
{
	unsigned long flags = arch_irq_save();

	apic_timer_stop();
	stats[arch_cpu_id()].oneshot_armed = true;
	if (tsc_deadline && tsc_hz()) {
		apic_write(APIC_LVT_TIMER, APIC_LVT_TIMER_TSC_DEADLINE | LOCAL_TIMER_VECTOR);
		__asm__ volatile("mfence" ::: "memory"); /* LVT write before the deadline */
		wrmsr(MSR_TSC_DEADLINE, rdtsc() + max(mul_div(ns, tsc_hz(), 1000000000), 1ull));
	} else {
		u64 count = max(mul_div(ns, timer_hz, 1000000000), 1ull);

		apic_write(APIC_TIMER_DIVIDE, APIC_TIMER_DIV_16);
		apic_write(APIC_LVT_TIMER, APIC_LVT_TIMER_ONESHOT | LOCAL_TIMER_VECTOR);
		apic_write(APIC_TIMER_INIT, (u32)min(count, 0xffffffffull));
	}
	arch_irq_restore(flags);
}

/* ---- the boot steps (include/labyrinth/smp.h, include/labyrinth/arch.h) ---- */

/* irq_init()'s machine side, called by kernel/irq.c. */
int arch_irq_init(const struct acpi_madt_info *info, arch_ioremap_t map)
{
	/* The 8259s were remapped and masked by arch_cpu_init() (pic.c). */
	if (apic_init_bsp(info, map))
		return -1;
	ioapic_init(info, map);
	return 0;
}

int timer_init(void)
{
	if (apic_timer_calibrate())
		return -1;
	apic_timer_start_periodic(TIMER_HZ);
	pr_info("CPU %u: periodic tick at %u Hz, interrupts on\n", arch_cpu_id(), TIMER_HZ);
	sti();
	return 0;
}
