/*
 * smp.c - talking to the other CPUs: which are online, running a function
 * on them, and queueing work for their idle loops.
 *
 * smp_call_function*() post a function to the target's call slot and send
 * it the call-function IPI; the handler below runs it in IRQ context and
 * counts it done. smp_queue_work() puts a function on the target's work
 * queue and wakes it with the same IPI; its idle loop (kernel/idle.c) runs
 * the queue in process context. Generic code over the arch seam
 * (include/labyrinth/arch.h): arch/x86_64/smp.c sends and receives the IPI.
 * Which CPUs come online, and how, is kernel/smpboot.c. mm/pcp.c uses this
 * file to drain other CPUs' lists, so it calls nothing above the arch, lib
 * and the core services. The KTAP suite "smp" (tests/kernel/smp_test.c)
 * checks all of it.
 */
#define pr_fmt(fmt) "smp: " fmt

#include <labyrinth/arch.h>
#include <labyrinth/printk.h>
#include <labyrinth/smp.h>
#include <labyrinth/spinlock.h>

#define WORK_QUEUE_LEN 16

unsigned long cpu_online_mask = 1; /* the boot CPU is online from the start */
unsigned long cpu_missing_mask;

/* The longest a caller waits for a busy slot whose CPU keeps answering others. */
#define SMP_CALL_POST_MAX_MS (4 * SMP_CALL_TIMEOUT_MS)

/*
 * One request at a time per target CPU. Sequence numbers under the lock:
 * posted = the last request posted, taken = the last the target started,
 * done = the last finished or cancelled. The slot is free when done ==
 * posted. A caller that gives up cancels a request the target has not taken
 * (done = posted, under the lock: the target then never runs it), and parks
 * a target that took it but did not finish within a second period (INIT: it
 * can never return into the callback). Either way fn(arg) neither runs nor is running once the
 * caller has returned, so arg may live on the caller's stack.
 */
struct call_slot {
	spinlock_t lock; /* taken in the IPI handler: irqsave everywhere */
	u32 posted, taken, done;
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

void set_cpu_online(unsigned int cpu)
{
	__atomic_fetch_or(&cpu_online_mask, 1ul << cpu, __ATOMIC_RELEASE);
}

/* ---- queued work, run by the idle loop ---- */

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

/*
 * A CPU the others took offline (it did not answer in time: see
 * cpu_stopped_answering()) parks itself when it gets back to its idle loop,
 * where it holds no lock.
 */
void smp_process_work(void)
{
	struct work_queue *q = &work_queues[arch_cpu_id()];

	if (!cpu_online(arch_cpu_id())) {
		pr_err("CPU %u: taken offline while unresponsive; parking\n", arch_cpu_id());
		arch_halt_forever();
	}

	while (run_one_work(q))
		;
}

bool smp_work_pending(void)
{
	struct work_queue *q = &work_queues[arch_cpu_id()];

	return READ_ONCE(q->head) != READ_ONCE(q->tail);
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
		arch_send_call_function_ipi(cpu); /* wake it */
	return ret;
}

/* ---- smp_call_function ---- */

/* The call-function IPI's handler body (arch/x86_64/smp.c has sent the EOI). */
static void generic_smp_call_function_interrupt(void)
{
	struct call_slot *s = &call_slots[arch_cpu_id()];
	smp_call_func_t fn = NULL;
	unsigned long flags;
	void *arg = NULL;
	u32 seq;

	if (!cpu_online(arch_cpu_id()))
		return; /* taken offline: parks in its idle loop */
	spin_lock_irqsave(&s->lock, flags);
	seq = s->posted;
	if (s->taken != seq && s->done != seq) { /* posted, neither run nor cancelled */
		s->taken = seq;
		fn = s->fn;
		arg = s->arg;
	}
	spin_unlock_irqrestore(&s->lock, flags);
	if (!fn)
		return; /* a wake-up for queued work: the idle loop runs it */
	fn(arg);
	spin_lock_irqsave(&s->lock, flags);
	if ((s32)(seq - s->done) > 0)
		s->done = seq;
	spin_unlock_irqrestore(&s->lock, flags);
}

void call_function_init(void)
{
	arch_set_call_function_handler(generic_smp_call_function_interrupt);
}

/*
 * A CPU that stopped answering: reported and taken offline. With park (it
 * is inside a call and may touch that call's arguments) it is also sent
 * INIT (arch_park_cpu(): back to wait-for-SIPI, it runs nothing more; any
 * lock it held stays held). Otherwise it parks itself once it is back in
 * its idle loop, holding no lock (smp_process_work()), and runs no call
 * before that (generic_smp_call_function_interrupt()).
 */
static void cpu_stopped_answering(unsigned int cpu, const char *what, bool park)
{
	if (!(__atomic_fetch_and(&cpu_online_mask, ~(1ul << cpu), __ATOMIC_ACQ_REL) >> cpu & 1))
		return; /* another caller already did */
	__atomic_fetch_or(&cpu_missing_mask, 1ul << cpu, __ATOMIC_RELEASE);
	if (park)
		arch_park_cpu(arch_cpu_apic_id(cpu));
	pr_err("CPU %u (APIC id %u) %s within %u ms: taken offline%s\n", cpu, arch_cpu_apic_id(cpu),
	       what, SMP_CALL_TIMEOUT_MS, park ? " and parked (INIT)" : "");
}

/*
 * Posts fn to cpu's slot and sends the IPI. Waits at most
 * SMP_CALL_TIMEOUT_MS for an earlier request to finish; returns the new
 * request's number, or 0 if the slot stayed busy (the CPU is then taken
 * offline: it was not answering). The bound is on the target, not on this
 * caller's luck: each request the slot finishes (done moves) restarts it,
 * so a target that keeps answering other callers -- every CPU draining
 * every other's lists at once, 15 callers on one slot with 16 CPUs -- is
 * never taken for a dead one; after SMP_CALL_POST_MAX_MS of other callers'
 * requests this caller gives up (reported, 0), the target staying online.
 */
static u32 call_post(unsigned int cpu, smp_call_func_t fn, void *arg)
{
	struct call_slot *s = &call_slots[cpu];
	u64 deadline = smp_deadline_ms(SMP_CALL_TIMEOUT_MS);
	u64 give_up = smp_deadline_ms(SMP_CALL_POST_MAX_MS);
	unsigned long flags;
	u32 seq = 0, done = __atomic_load_n(&s->done, __ATOMIC_RELAXED), now;

	for (;;) {
		spin_lock_irqsave(&s->lock, flags);
		now = s->done;
		if (s->done == s->posted) {
			s->fn = fn;
			s->arg = arg;
			seq = ++s->posted;
			if (!seq) /* 0 means "not posted" to our callers */
				seq = s->posted = s->taken = s->done = 1;
		}
		spin_unlock_irqrestore(&s->lock, flags);
		if (seq)
			break;
		if (now != done) { /* the target finished a call: it is answering */
			done = now;
			deadline = smp_deadline_ms(SMP_CALL_TIMEOUT_MS);
		}
		if (arch_cycles() > deadline || !cpu_online(cpu)) {
			cpu_stopped_answering(cpu, "did not finish an earlier call", false);
			return 0;
		}
		if (arch_cycles() > give_up) { /* answering, within the last 5 s */
			pr_err("CPU %u answers calls, but its slot stayed busy with other callers' "
			       "for %u ms: this call is not made\n",
			       cpu, SMP_CALL_POST_MAX_MS);
			return 0;
		}
		arch_cpu_relax();
	}
	arch_send_call_function_ipi(cpu);
	return seq;
}

/* Has request seq finished (or been cancelled)? */
static bool call_done(struct call_slot *s, u32 seq)
{
	return (s32)(__atomic_load_n(&s->done, __ATOMIC_ACQUIRE) - seq) >= 0;
}

/*
 * Cancels request seq if the target has not taken it yet; true if so (the
 * target will never run it). Otherwise it is running there now.
 */
static bool call_cancel(struct call_slot *s, u32 seq)
{
	unsigned long flags;
	bool cancelled = false;

	spin_lock_irqsave(&s->lock, flags);
	if (s->taken != seq && (s32)(seq - s->done) > 0) {
		s->done = seq;
		cancelled = true;
	}
	spin_unlock_irqrestore(&s->lock, flags);
	return cancelled;
}

/*
 * Waits at most SMP_CALL_TIMEOUT_MS for request seq; if the target has not
 * started it by then it is cancelled; if it started but does not finish
 * within a second SMP_CALL_TIMEOUT_MS, the target is parked. 0, or -1 when
 * the CPU was taken offline.
 */
static int call_wait(unsigned int cpu, u32 seq)
{
	struct call_slot *s = &call_slots[cpu];
	u64 deadline = smp_deadline_ms(SMP_CALL_TIMEOUT_MS);
	bool started = false;

	while (!call_done(s, seq)) {
		if (arch_cycles() > deadline) {
			if (!started && call_cancel(s, seq)) {
				cpu_stopped_answering(cpu, "did not take a call", false);
				return -1;
			}
			if (started || !cpu_online(cpu)) {
				if (call_done(s, seq))
					break;
				cpu_stopped_answering(cpu, "did not finish a call", true);
				return -1;
			}
			started = true; /* running there: one more period */
			deadline = smp_deadline_ms(SMP_CALL_TIMEOUT_MS);
		}
		arch_cpu_relax();
	}
	return 0;
}

/*
 * A waiting call with interrupts off is refused (a warning, -1, nothing
 * posted): two CPUs waiting on each other with interrupts off would each
 * time out and park the other.
 */
static bool call_refused(bool wait)
{
	if (!WARN_ON_ONCE(wait && arch_irqs_disabled()))
		return false;
	pr_err("CPU %u: waiting cross-CPU call with interrupts off refused\n", arch_cpu_id());
	return true;
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
	if (!cpu_online(cpu) || call_refused(wait))
		return -1;
	seq = call_post(cpu, fn, arg);
	if (!seq)
		return -1;
	return wait ? call_wait(cpu, seq) : 0;
}

int smp_call_function(smp_call_func_t fn, void *arg, bool wait)
{
	u32 seq[NR_CPUS] = { 0 };
	unsigned int cpu, me = arch_cpu_id();
	int ret = 0;

	if (call_refused(wait))
		return -1;
	for_each_online_cpu(cpu)
		if (cpu != me && !(seq[cpu] = call_post(cpu, fn, arg)))
			ret = -1;
	if (!wait)
		return ret;
	for (cpu = 0; cpu < NR_CPUS; cpu++)
		if (seq[cpu] && call_wait(cpu, seq[cpu]))
			ret = -1;
	return ret;
}
