/*
 * kernel_smpbench.c - `smpbench` on the command line: contention between two
 * CPUs on one zone, in the guest (make bench-smp: QEMU -smp 2 with
 * multi-threaded TCG, no -icount). After the tests, the boot CPU (CPU 0)
 * runs each case with CPU 1 and again alone (the control), SMPBENCH_RUNS
 * times (the latency cases SMPBENCH_LAT_RUNS), and prints one line a run:
 *
 *   smpbench: <case> run=<r> cpus=<1|2> ops=<n> ticks=<T> <k>=<v>... (<what>)
 *   smpbench: <case> run=<r> hammer=<0|1> samples=<n> p50=.. p99=.. max=.. ... (<what>)
 *
 * tools/bench-report.py (smp_* functions) takes the median over the runs.
 * Without -icount a guest TSC tick is wall time on the host (QEMU passes
 * the host's TSC through), so the figures depend on what else the host
 * runs: each vCPU is a host thread, and a descheduled vCPU holding the zone
 * lock stalls the other. They are noisy; the medians of several runs are
 * what the report shows.
 *
 * The cases (the zone: the first of GFP_KERNEL's zonelist, as both CPUs'
 * allocations take it):
 *   buddy_pairs   per-CPU lists off: both CPUs alloc_pages(GFP_KERNEL, 0)
 *                 + __free_pages() pairs, each under the zone lock;
 *                 aggregate pairs per tick, 2 CPUs against CPU 0 alone.
 *   xcpu_free     lists on: CPU 0 allocates, hands each page over a
 *                 lock-free SPSC ring (selftest/ring.h), CPU 1 frees it:
 *                 CPU 1's list overflows and drains to the zone, CPU 0's
 *                 runs dry and refills from it, both under the zone lock.
 *                 Control: the same ring, both ends on CPU 0. Also
 *                 printed: CPU 0's refills, how often the zone lock was
 *                 busy after its allocations, and each side's ticks spent
 *                 waiting on the ring (stall0, stall1).
 *   irq_atomic    CPU 0's local APIC timer at SMPBENCH_IRQ_HZ; each timer
 *                 interrupt times one alloc_page(GFP_ATOMIC) (and frees it,
 *                 untimed) while CPU 1 hammers the zone with order 0-3
 *                 pairs (hammer=1) or is idle (hammer=0, the control):
 *                 p50/p99/max ticks, lists on and lists off, with where the
 *                 pages came from (per-CPU list, buddy, pool) and how often
 *                 the zone lock was busy.
 *
 * Every wait for CPU 1 is bounded; a case that cannot run, or measures
 * nothing, prints "smpbench: FAILED: <why>" and counts as a failure in
 * kmain's exit status. No figure is judged: benchmarks never fail on a time.
 */
#define pr_fmt(fmt) "smpbench: " fmt

#include <labyrinth/arch.h>
#include <labyrinth/bench.h>
#include <labyrinth/gfp.h>
#include <labyrinth/mm.h>
#include <labyrinth/mmzone.h>
#include <labyrinth/pcp.h>
#include <labyrinth/printk.h>
#include <labyrinth/smp.h>
#include <labyrinth/spinlock.h>
#include <labyrinth/string.h>
#include <asm/apic.h>
#include <asm/cpu.h>

#include "selftest/ring.h"

#define SMPBENCH_RUNS 5
#define SMPBENCH_PAIRS 20000ul	 /* per CPU per run */
#define SMPBENCH_PAGES 20000ul	 /* handed over per run */
#define SMPBENCH_CHUNK 64	 /* the control's ring fill */
#define SMPBENCH_IRQ_HZ 2000	 /* CPU 0's timer during irq_atomic */
#define SMPBENCH_SAMPLES 2000u	 /* timer interrupts timed per run */
#define SMPBENCH_LAT_RUNS 3	 /* runs per irq_atomic configuration */
#define SMPBENCH_WAIT_MS 20000ul /* bound on any wait for CPU 1 */

static u64 empty_region;
static unsigned int failures;

static __attribute__((format(printf, 1, 2))) void fail(const char *fmt, ...)
{
	char buf[160];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	pr_err("FAILED: %s\n", buf);
	failures++;
}

static struct zone *bench_zone(void)
{
	return node_zonelist(numa_node_id(), GFP_KERNEL, ZONE_NORMAL)[0];
}

/* Held, or queued for, right now? Read only; never taken. */
static bool zone_lock_busy(struct zone *z)
{
	return __atomic_load_n(&z->lock.next, __ATOMIC_RELAXED) !=
	       __atomic_load_n(&z->lock.owner, __ATOMIC_RELAXED);
}

/*
 * ---- CPU 1's side: a job run from its work queue (process context) ----
 *
 * CPU 0 queues the job, waits for `ready`, stores `go`; CPU 1 runs
 * job->fn and stores `done`. Every spin on either side has a deadline.
 */
struct smp_job {
	void (*fn)(struct smp_job *job);
	u32 ready, go, done, stop;
	bool failed;
	struct spsc_ring *ring;
	unsigned long n;
	u64 stall; /* ticks CPU 1 waited on the ring */
};

static bool wait_flag(const u32 *flag, u64 ms)
{
	u64 deadline = smp_deadline_ms(ms);

	while (!__atomic_load_n(flag, __ATOMIC_ACQUIRE)) {
		if (arch_cycles() > deadline)
			return false;
		arch_cpu_relax();
	}
	return true;
}

static void job_entry(void *arg)
{
	struct smp_job *job = arg;

	__atomic_store_n(&job->ready, 1, __ATOMIC_RELEASE);
	if (!wait_flag(&job->go, SMPBENCH_WAIT_MS))
		job->failed = true;
	else
		job->fn(job);
	__atomic_store_n(&job->done, 1, __ATOMIC_RELEASE);
}

/* Static, not on CPU 0's stack: CPU 1 may still touch it after a wait for
 * it gave up; from then on (cpu1_lost) no two-CPU run starts. */
static struct smp_job cpu1_job;
static bool cpu1_lost;

/* Queues fn on CPU 1 and waits until it is there; NULL (reported) if not. */
static struct smp_job *job_start(void (*fn)(struct smp_job *job), unsigned long n,
				 struct spsc_ring *ring, const char *what)
{
	struct smp_job *job = &cpu1_job;

	if (cpu1_lost) {
		fail("%s: skipped, CPU 1 stopped answering earlier", what);
		return NULL;
	}
	*job = (struct smp_job){ .fn = fn, .n = n, .ring = ring };
	if (smp_queue_work(1, job_entry, job)) {
		fail("%s: cannot queue work on CPU 1", what);
		return NULL;
	}
	if (!wait_flag(&job->ready, SMPBENCH_WAIT_MS)) {
		fail("%s: CPU 1 did not take its work within %lu ms", what, SMPBENCH_WAIT_MS);
		cpu1_lost = true;
		return NULL;
	}
	return job;
}

/* Waits for CPU 1 to finish job; false (reported) if it does not. CPU 1
 * sits in job_entry() until `go`: a job that was started is always let go. */
static bool job_finish(struct smp_job *job, const char *what)
{
	__atomic_store_n(&job->go, 1, __ATOMIC_RELEASE);
	if (!wait_flag(&job->done, SMPBENCH_WAIT_MS)) {
		fail("%s: CPU 1 did not finish within %lu ms", what, SMPBENCH_WAIT_MS);
		cpu1_lost = true;
		return false;
	}
	if (job->failed) {
		fail("%s: CPU 1 failed (an allocation, or a bounded wait)", what);
		return false;
	}
	return true;
}

/* n order-0 pairs, interrupts off; false if an allocation failed. */
static bool pairs(unsigned long n)
{
	unsigned long flags = arch_irq_save();

	for (unsigned long i = 0; i < n; i++) {
		struct page *p = alloc_pages(GFP_KERNEL, 0);

		if (unlikely(!p)) {
			arch_irq_restore(flags);
			return false;
		}
		__free_pages(p, 0);
	}
	arch_irq_restore(flags);
	return true;
}

static void job_pairs(struct smp_job *job)
{
	job->failed = !pairs(job->n);
}

/* ---- case 1: buddy_pairs, lists off ---- */

static void buddy_pairs_run(int run, unsigned int cpus)
{
	struct smp_job *job = NULL;
	struct zone *z = bench_zone();
	unsigned long frees0 = READ_ONCE(z->nr_frees);
	u64 t0, t;

	if (cpus == 2 && !(job = job_start(job_pairs, SMPBENCH_PAIRS, NULL, "buddy_pairs")))
		return;
	t0 = rdtsc_ordered();
	if (job)
		__atomic_store_n(&job->go, 1, __ATOMIC_RELEASE);
	if (!pairs(SMPBENCH_PAIRS)) {
		fail("buddy_pairs: CPU 0's order-0 allocation failed");
		if (job)
			job_finish(job, "buddy_pairs");
		return;
	}
	if (job && !job_finish(job, "buddy_pairs"))
		return;
	t = rdtsc_ordered() - t0;
	pr_info("buddy_pairs run=%d cpus=%u ops=%lu ticks=%llu zone_frees=%lu (order-0 pairs, "
		"per-CPU lists off: every pair takes the zone lock twice)\n",
		run, cpus, cpus * SMPBENCH_PAIRS, (unsigned long long)t,
		READ_ONCE(z->nr_frees) - frees0);
}

/* ---- case 2: xcpu_free, lists on ---- */

/* op until it succeeds or the deadline passes; the ticks spent waiting
 * (the other side was slower, or descheduled by the host) go to *stall. */
static bool ring_wait(bool (*op)(struct spsc_ring *, unsigned long *), struct spsc_ring *r,
		      unsigned long *w, u64 deadline, u64 *stall)
{
	u64 t0;

	if (op(r, w))
		return true;
	t0 = rdtsc_ordered();
	while (!op(r, w)) {
		if (arch_cycles() > deadline)
			return false;
		arch_cpu_relax();
	}
	*stall += rdtsc_ordered() - t0;
	return true;
}

static bool push_op(struct spsc_ring *r, unsigned long *w)
{
	return spsc_ring_push(r, *w);
}

static void job_consume(struct smp_job *job)
{
	u64 deadline = smp_deadline_ms(SMPBENCH_WAIT_MS);
	unsigned long flags = arch_irq_save(), w;

	for (unsigned long i = 0; i < job->n; i++) {
		if (!ring_wait(spsc_ring_pop, job->ring, &w, deadline, &job->stall)) {
			job->failed = true;
			break;
		}
		__free_pages((struct page *)w, 0);
	}
	arch_irq_restore(flags);
}

struct xcpu_counts {
	unsigned long lock_seen; /* allocations after which the zone lock was busy */
	u64 stall;		 /* ticks CPU 0 waited for ring space */
};

/* CPU 0's side: n pages, each pushed for CPU 1 (cpus 2) or, by chunks,
 * popped and freed here (cpus 1). Interrupts off. */
static bool xcpu_produce(struct spsc_ring *r, unsigned int cpus, unsigned long n,
			 struct xcpu_counts *c)
{
	u64 deadline = smp_deadline_ms(SMPBENCH_WAIT_MS);
	unsigned long flags = arch_irq_save(), w;
	bool ok = true;

	for (unsigned long i = 0; i < n && ok; i++) {
		struct page *p = alloc_pages(GFP_KERNEL, 0);

		if (unlikely(!p)) {
			ok = false;
			break;
		}
		c->lock_seen += zone_lock_busy(page_zone(p));
		w = (unsigned long)p;
		if (cpus == 2) {
			ok = ring_wait(push_op, r, &w, deadline, &c->stall);
			continue;
		}
		spsc_ring_push(r, w);
		if ((i + 1) % SMPBENCH_CHUNK && i + 1 < n)
			continue;
		while (spsc_ring_pop(r, &w))
			__free_pages((struct page *)w, 0);
	}
	arch_irq_restore(flags);
	return ok;
}

static void xcpu_free_run(int run, unsigned int cpus)
{
	static struct spsc_ring ring;
	struct smp_job *job = NULL;
	struct mm_alloc_stats s0, s1;
	struct xcpu_counts c = { 0 };
	u64 t0, t;
	bool ok;

	spsc_ring_init(&ring);
	if (cpus == 2 && !(job = job_start(job_consume, SMPBENCH_PAGES, &ring, "xcpu_free")))
		return;
	mm_alloc_stats_read(0, &s0);
	t0 = rdtsc_ordered();
	if (job)
		__atomic_store_n(&job->go, 1, __ATOMIC_RELEASE);
	ok = xcpu_produce(&ring, cpus, SMPBENCH_PAGES, &c);
	if (job && !job_finish(job, "xcpu_free"))
		return;
	t = rdtsc_ordered() - t0;
	mm_alloc_stats_read(0, &s1);
	if (!ok) {
		fail("xcpu_free: CPU 0's allocation failed or the ring stayed full");
		return;
	}
	/* a refill's allocation counts as from the buddy (mm/pcp.c) */
	pr_info("xcpu_free run=%d cpus=%u ops=%lu ticks=%llu refills=%lu lock_seen=%lu "
		"stall0=%llu stall1=%llu (order-0 pages allocated on CPU 0, freed on CPU %u "
		"through an SPSC ring; per-CPU lists on)\n",
		run, cpus, SMPBENCH_PAGES, (unsigned long long)t,
		s1.other[ALLOC_SRC_BUDDY] - s0.other[ALLOC_SRC_BUDDY], c.lock_seen,
		(unsigned long long)c.stall, (unsigned long long)(job ? job->stall : 0), cpus - 1);
}

/* ---- case 3: irq_atomic, GFP_ATOMIC in CPU 0's timer interrupt ---- */

static struct {
	u32 active; /* the hook times while set */
	u32 n;	    /* samples taken */
	unsigned long nulls, lock_seen;
	u32 s[SMPBENCH_SAMPLES];
} lat;

/* apic_timer_set_hook(): every CPU's timer interrupt; CPU 0's is timed. */
static void lat_hook(void)
{
	struct zone *z = bench_zone();
	struct page *p;
	bool busy;
	u64 t0, t;

	if (arch_cpu_id() != 0 || !__atomic_load_n(&lat.active, __ATOMIC_ACQUIRE))
		return;
	busy = zone_lock_busy(z);
	t0 = rdtsc_ordered();
	p = alloc_page(GFP_ATOMIC);
	t = rdtsc_ordered() - t0;
	if (p)
		__free_page(p);
	else
		lat.nulls++;
	lat.lock_seen += busy;
	lat.s[lat.n++] = (u32)min(t > empty_region ? t - empty_region : 0, 0xffffffffull);
	if (lat.n == SMPBENCH_SAMPLES)
		__atomic_store_n(&lat.active, 0, __ATOMIC_RELEASE);
}

static void job_hammer(struct smp_job *job)
{
	for (unsigned long n = 0; !__atomic_load_n(&job->stop, __ATOMIC_ACQUIRE); n++) {
		struct page *p = alloc_pages(GFP_KERNEL, n & 3);

		if (p)
			__free_pages(p, n & 3);
	}
}

static void sort_u32(u32 *a, u32 n)
{
	for (u32 gap = n / 2; gap; gap /= 2)
		for (u32 i = gap; i < n; i++)
			for (u32 j = i; j >= gap && a[j - gap] > a[j]; j -= gap) {
				u32 x = a[j];

				a[j] = a[j - gap];
				a[j - gap] = x;
			}
}

/* Samples at SMPBENCH_IRQ_HZ until SMPBENCH_SAMPLES; CPU 0 halts between. */
static bool lat_collect(void)
{
	u64 deadline = smp_deadline_ms(SMPBENCH_WAIT_MS);

	lat.n = 0;
	lat.nulls = lat.lock_seen = 0;
	apic_timer_start_periodic(SMPBENCH_IRQ_HZ);
	__atomic_store_n(&lat.active, 1, __ATOMIC_RELEASE);
	while (__atomic_load_n(&lat.active, __ATOMIC_ACQUIRE) && arch_cycles() < deadline)
		arch_safe_halt();
	__atomic_store_n(&lat.active, 0, __ATOMIC_RELEASE);
	apic_timer_start_periodic(TIMER_HZ);
	return lat.n == SMPBENCH_SAMPLES;
}

static void irq_atomic_print(int run, bool hammer, const struct mm_alloc_stats *d)
{
	bool pcp = mm_pcp_enabled();

	sort_u32(lat.s, lat.n);
	pr_info("irq_atomic_%s run=%d hammer=%d samples=%u p50=%u p99=%u max=%u nulls=%lu "
		"lock_seen=%lu src_pcp=%lu src_buddy=%lu src_pool=%lu "
		"(GFP_ATOMIC order-0 in CPU 0's timer interrupt, per-CPU lists %s, CPU 1 %s)\n",
		pcp ? "pcp" : "buddy", run, hammer, lat.n, lat.s[lat.n / 2],
		lat.s[(lat.n - 1) * 99 / 100], lat.s[lat.n - 1], lat.nulls, lat.lock_seen,
		d->atomic[ALLOC_SRC_PCP], d->atomic[ALLOC_SRC_BUDDY] + d->atomic[ALLOC_SRC_RESERVE],
		d->atomic[ALLOC_SRC_POOL], pcp ? "on" : "off",
		hammer ? "hammering the zone (order 0-3 pairs)" : "idle (control)");
}

static void irq_atomic_run(int run, bool hammer)
{
	struct smp_job *job = NULL;
	struct mm_alloc_stats s0, s1, d;
	bool ok;

	if (hammer && !(job = job_start(job_hammer, 0, NULL, "irq_atomic hammer")))
		return;
	if (job)
		__atomic_store_n(&job->go, 1, __ATOMIC_RELEASE);
	mm_alloc_stats_read(0, &s0);
	ok = lat_collect();
	mm_alloc_stats_read(0, &s1);
	if (job) {
		__atomic_store_n(&job->stop, 1, __ATOMIC_RELEASE);
		if (!job_finish(job, "irq_atomic hammer"))
			return;
	}
	if (!ok) {
		fail("irq_atomic: %u of %u timer samples in %lu ms (is CPU 0's timer running?)",
		     lat.n, SMPBENCH_SAMPLES, SMPBENCH_WAIT_MS);
		return;
	}
	for (int i = 0; i < NR_ALLOC_SRC; i++)
		d.atomic[i] = s1.atomic[i] - s0.atomic[i];
	irq_atomic_print(run, hammer, &d);
}

static void irq_atomic_cases(void)
{
	/* the self-test, the hook's other user, has finished and cleared it */
	apic_timer_set_hook(lat_hook);
	for (int run = 0; run < SMPBENCH_LAT_RUNS; run++) {
		irq_atomic_run(run, false);
		irq_atomic_run(run, true);
	}
	apic_timer_set_hook(NULL);
}

unsigned int kernel_smpbench_run(void)
{
	bool pcp = mm_pcp_enabled();

	failures = 0;
	if (!cpu_online(1)) {
		fail("needs CPU 1 online (%u CPU%s online): boot with -smp 2", num_online_cpus(),
		     num_online_cpus() == 1 ? "" : "s");
		return failures;
	}
	empty_region = bench_empty_region();
	pr_info("start: %u CPUs online, guest TSC %llu MHz, lock debugging %s, %d runs a "
		"throughput case, %d a latency one; no -icount: ticks are wall time, noisy on a "
		"busy host\n",
		num_online_cpus(), (unsigned long long)(arch_cycles_hz() / 1000000),
		spin_debug_enabled ? "ON" : "off", SMPBENCH_RUNS, SMPBENCH_LAT_RUNS);
	mm_pcp_set_enabled(false);
	for (int run = 0; run < SMPBENCH_RUNS; run++) {
		buddy_pairs_run(run, 1);
		buddy_pairs_run(run, 2);
	}
	mm_pcp_set_enabled(true);
	for (int run = 0; run < SMPBENCH_RUNS; run++) {
		xcpu_free_run(run, 1);
		xcpu_free_run(run, 2);
	}
	irq_atomic_cases();
	mm_pcp_set_enabled(false);
	irq_atomic_cases();
	mm_pcp_set_enabled(pcp);
	pr_info("done, %u failure%s\n", failures, failures == 1 ? "" : "s");
	return failures;
}
