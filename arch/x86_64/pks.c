/*
 * pks.c - protection keys for supervisor pages (asm/pks.h): whether the CPU
 * has them, turning them on with this CPU's rights, and the hook the
 * page-fault path asks on a protection-key fault. Which page carries which
 * key, and what a violation means, is mm/exclusive.c's policy.
 */
#define pr_fmt(fmt) "pks: " fmt

#include <labyrinth/compiler.h>
#include <asm/pks.h>

#define CPUID7_ECX_PKS (1u << 31)

static arch_pks_fault_fn pks_fault_fn;

bool arch_pks_supported(void)
{
	u32 a, b, c, d, max;

	cpuid(0, &max, &b, &c, &d);
	if (max < 7)
		return false;
	cpuid_count(7, 0, &a, &b, &c, &d);
	return c & CPUID7_ECX_PKS;
}

/* The rights first, then CR4.PKS: no moment with keys on and rights open. */
void arch_pks_enable_this_cpu(unsigned int key)
{
	wrmsr(MSR_IA32_PKRS, pks_rights_for_key(key));
	write_cr4(read_cr4() | CR4_PKS);
}

void arch_set_pks_fault_handler(arch_pks_fault_fn fn)
{
	WRITE_ONCE(pks_fault_fn, fn);
}

bool pks_fault_spurious(u64 addr, u64 ip, bool write)
{
	arch_pks_fault_fn fn = READ_ONCE(pks_fault_fn);

	return fn && fn(addr, ip, write);
}
