/*
 * asm/pks.h (x86_64 kernel) - protection keys for supervisor pages (PKS),
 * the mechanism behind __GFP_EXCLUSIVE's isolation (the policy is
 * mm/exclusive.c). CPUID.(EAX=7,ECX=0):ECX[31] says the CPU has it,
 * CR4.PKS (bit 24) turns it on, and the IA32_PKRS MSR (0x6e1) holds this
 * CPU's rights, two bits per key; the key of a page is in its leaf entry
 * (asm/pgtable_types.h: arch_pte_pkey(), the key numbering). Out of line in
 * arch/x86_64/pks.c. The host's twin (tests/host/include/asm/pks.h) has no
 * PKS.
 */
#ifndef ASM_PKS_H
#define ASM_PKS_H

#include <labyrinth/pgtable.h>
#include <asm/cpu.h>

/* CPUID leaf 7 says the CPU implements PKS. */
bool arch_pks_supported(void);
/* This CPU: CR4.PKS on, IA32_PKRS = rights to key 0 and to key alone. */
void arch_pks_enable_this_cpu(unsigned int key);

static inline bool arch_pks_enabled_this_cpu(void)
{
	return read_cr4() & CR4_PKS;
}

/* May this CPU, as its IA32_PKRS stands now, access a page with this key? */
static inline bool arch_pks_may_access(unsigned int key, bool write)
{
	return !arch_pks_enabled_this_cpu() ||
	       pks_rights_allow((u32)rdmsr(MSR_IA32_PKRS), key, write);
}

/*
 * The page-fault path (arch/x86_64/traps.c) calls fn on a protection-key
 * fault (#PF with the PK bit) before anything else: true means "spurious,
 * retry the access" (fn flushed what was stale), false goes on to the
 * exception fixups (a probe survives) and otherwise to the oops.
 */
typedef bool (*arch_pks_fault_fn)(u64 addr, u64 ip, bool write);
void arch_set_pks_fault_handler(arch_pks_fault_fn fn);
/* traps.c: the handler's verdict, false when none is registered. */
bool pks_fault_spurious(u64 addr, u64 ip, bool write);

#endif
