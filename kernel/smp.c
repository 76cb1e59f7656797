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

void smp_process_work(void)
{
	struct work_queue *q = &work_queues[arch_cpu_id()];

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

void call_function_init(void)
{
	arch_set_call_function_handler(generic_smp_call_function_interrupt);
}

/* Posts fn to cpu's slot and sends the IPI; returns the request's number. */
static u32 call_post(unsigned int cpu, smp_call_func_t fn, void *arg)
{
	struct call_slot *s = &call_slots[cpu];
	u32 none = 0, seq;

	while (!__atomic_compare_exchange_n(&s->busy, &none, 1, false, __ATOMIC_ACQUIRE,
					    __ATOMIC_RELAXED)) {
		none = 0;
		arch_cpu_relax();
	}
	s->fn = fn;
	s->arg = arg;
	seq = s->posted + 1;
	__atomic_store_n(&s->posted, seq, __ATOMIC_RELEASE);
	arch_send_call_function_ipi(cpu);
	return seq;
}

static int call_wait(unsigned int cpu, u32 seq)
{
	struct call_slot *s = &call_slots[cpu];
	u64 deadline = smp_deadline_ms(SMP_CALL_TIMEOUT_MS);

	while ((s32)(__atomic_load_n(&s->done, __ATOMIC_ACQUIRE) - seq) < 0) {
		if (arch_cycles() > deadline) {
			pr_err("CPU %u did not run a call within %u ms\n", cpu,
			       SMP_CALL_TIMEOUT_MS);
			return -1;
		}
		arch_cpu_relax();
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
