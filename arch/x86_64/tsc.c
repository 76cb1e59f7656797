/*
 * tsc.c - the kernel's clock: the time-stamp counter, calibrated once.
 *
 * The frequency is measured by counting TSC ticks over ~10 ms of the legacy
 * PIT's channel 2 (which needs no interrupts) and cross-checked against
 * CPUID leaf 0x15 (crystal clock x ratio) or 0x16 (base MHz) when the CPU
 * reports them: tsc_choose_hz() below.
 * arch_clock_ns() gives printk (kernel/printk.c) its timestamps: ns since
 * tsc_init(), through a 32.32 fixed-point multiplier so nothing overflows.
 */
#define pr_fmt(fmt) "tsc: " fmt

#include <labyrinth/arch.h>
#include <labyrinth/printk.h>
#include <asm/cpu.h>
#include <asm/tsc.h>

#define PIT_HZ 1193182ull
#define PIT_CH2_DATA 0x42
#define PIT_CMD 0x43
#define PIT_CH2_GATE_PORT 0x61 /* bit 0: gate, bit 1: speaker, bit 5: OUT2 */
#define PIT_CMD_CH2_LOHI_MODE0 0xb0
#define CALIBRATE_TRIES 5 /* keep the lowest (tsc_hz_from_pit()) */
#define CALIBRATE_MS 10
#define CALIBRATE_SPIN_LIMIT 100000000ull
#define FALLBACK_HZ 1000000000ull  /* if nothing works: 1 GHz, and say so */
#define TSC_CPUID_TOLERANCE_PCT 2u /* CPUID vs PIT: beyond this, the PIT wins */

static u64 tsc_freq_hz;
static u64 tsc_base;
static u64 ns_mult; /* ns = cycles * ns_mult >> 32 */

static u64 tsc_hz_from_cpuid(void)
{
	u32 max, a, b, c, d;

	cpuid(0, &max, &b, &c, &d);
	if (max >= 0x15) {
		cpuid(0x15, &a, &b, &c, &d); /* a: denominator, b: numerator, c: crystal Hz */
		if (a && b && c)
			return (u64)c * b / a;
	}
	if (max >= 0x16) {
		cpuid(0x16, &a, &b, &c, &d); /* a: base frequency in MHz */
		if (a & 0xffff)
			return (u64)(a & 0xffff) * 1000000;
	}
	return 0;
}

/* Ticks the TSC makes while PIT channel 2 counts down CALIBRATE_MS, once. */
static u64 tsc_hz_from_pit_once(void)
{
	u64 latch = PIT_HZ * CALIBRATE_MS / 1000, t0, t1, spins = 0;

	/* Gate on, speaker off; one-shot mode 0: OUT2 goes high at zero. */
	outb(PIT_CH2_GATE_PORT, (inb(PIT_CH2_GATE_PORT) & ~0x02) | 0x01);
	outb(PIT_CMD, PIT_CMD_CH2_LOHI_MODE0);
	outb(PIT_CH2_DATA, latch & 0xff);
	outb(PIT_CH2_DATA, latch >> 8);
	t0 = rdtsc();
	while (!(inb(PIT_CH2_GATE_PORT) & 0x20)) {
		if (++spins > CALIBRATE_SPIN_LIMIT)
			return 0; /* no PIT: give up rather than hang */
	}
	t1 = rdtsc();
	return (t1 - t0) * 1000 / CALIBRATE_MS;
}

/*
 * The lowest of CALIBRATE_TRIES measurements, as Linux's
 * pit_calibrate_tsc() keeps its minimum: a CPU held up while the PIT runs
 * (an emulator's vCPU descheduled, an SMI) only ever sees its zero late,
 * so every error makes a measurement too high (seen under loaded QEMU TCG:
 * 4154 MHz once against 2611 MHz measured again by the APIC calibration,
 * and every timer ran 1.6x fast).
 */
static u64 tsc_hz_from_pit(void)
{
	u64 best = 0;

	for (unsigned int i = 0; i < CALIBRATE_TRIES; i++) {
		u64 hz = tsc_hz_from_pit_once();

		if (!hz)
			return 0; /* no PIT */
		if (!best || hz < best)
			best = hz;
	}
	return best;
}

/*
 * The CPUID frequency is a claim, the PIT count a measurement: both are
 * taken, and when they differ by more than TSC_CPUID_TOLERANCE_PCT the
 * measurement wins and the log says so (an emulator's CPUID often names the
 * modelled part's clock, e.g. leaf 0x16's 3500 MHz on Bochs' Skylake-X or
 * leaf 0x15's 2419.2 MHz on its Tiger Lake, while its TSC runs at the
 * emulator's own pace). Without a PIT the CPUID value is used
 * unchecked, and the log says that too.
 */
static u64 tsc_choose_hz(u64 cpuid_hz, u64 pit_hz)
{
	u64 diff;

	if (!pit_hz) {
		if (cpuid_hz)
			pr_warn("PIT calibration failed: using CPUID's %lu MHz unchecked\n",
				cpuid_hz / 1000000);
		return cpuid_hz;
	}
	if (!cpuid_hz)
		return pit_hz;
	diff = cpuid_hz > pit_hz ? cpuid_hz - pit_hz : pit_hz - cpuid_hz;
	if (diff * 100 > pit_hz * TSC_CPUID_TOLERANCE_PCT) {
		pr_warn("CPUID says %lu.%03lu MHz but the PIT measured %lu.%03lu MHz (more than "
			"%u%% apart): using the measurement\n",
			cpuid_hz / 1000000, cpuid_hz / 1000 % 1000, pit_hz / 1000000,
			pit_hz / 1000 % 1000, TSC_CPUID_TOLERANCE_PCT);
		return pit_hz;
	}
	pr_info("CPUID's %lu.%03lu MHz agrees with the PIT's %lu.%03lu MHz\n", cpuid_hz / 1000000,
		cpuid_hz / 1000 % 1000, pit_hz / 1000000, pit_hz / 1000 % 1000);
	return cpuid_hz;
}

void tsc_init(void)
{
	u64 cpuid_hz = tsc_hz_from_cpuid(), hz;

	if (!cpuid_hz)
		pr_info("Fast TSC calibration using PIT\n");
	hz = tsc_choose_hz(cpuid_hz, tsc_hz_from_pit());
	if (!hz) {
		hz = FALLBACK_HZ;
		pr_warn("calibration failed, assuming %lu MHz\n", hz / 1000000);
	}
	ns_mult = (1000000000ull << 32) / hz;
	tsc_base = rdtsc();
	WRITE_ONCE(tsc_freq_hz, hz);
	pr_info("Detected %lu.%03lu MHz processor\n", hz / 1000000, hz / 1000 % 1000);
}

u64 tsc_hz(void)
{
	return READ_ONCE(tsc_freq_hz);
}

u64 arch_cycles_hz(void)
{
	return tsc_hz();
}

u64 tsc_cycles_to_ns(u64 cycles)
{
	return (u64)(((unsigned __int128)cycles * ns_mult) >> 32);
}

u64 arch_clock_ns(void)
{
	if (!READ_ONCE(tsc_freq_hz))
		return 0;
	return tsc_cycles_to_ns(rdtsc() - tsc_base);
}

/*
 * Waits at least `us` microseconds: the tick count is rounded up, never
 * truncated (hz / 1000000 * us dropped up to 999999 Hz per microsecond, 2 %
 * of a 50 MHz TSC: a 1 ms wait was 0.98 ms on Bochs).
 */
void tsc_delay_us(u64 us)
{
	u64 start = rdtsc(), hz = tsc_hz();
	u64 ticks = hz / 1000000 * us + ((hz % 1000000) * us + 999999) / 1000000;

	while (rdtsc() - start < ticks)
		cpu_pause();
}
