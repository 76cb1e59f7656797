/*
 * asm/pks.h (host) - the host's side of the PKS seam: no protection keys,
 * so mm/exclusive.c runs its bookkeeping, zeroing and scrubbing without
 * isolation, as in the kernel on a CPU without PKS. The kernel's side is
 * arch/x86_64/include/asm/pks.h.
 */
#ifndef ASM_PKS_H
#define ASM_PKS_H

#include <labyrinth/pgtable.h>

typedef bool (*arch_pks_fault_fn)(u64 addr, u64 ip, bool write);

static inline bool arch_pks_supported(void)
{
	return false;
}

static inline void arch_pks_enable_this_cpu(unsigned int key)
{
	(void)key;
}

static inline bool arch_pks_enabled_this_cpu(void)
{
	return false;
}

static inline bool arch_pks_may_access(unsigned int key, bool write)
{
	(void)key, (void)write;
	return true;
}

static inline void arch_set_pks_fault_handler(arch_pks_fault_fn fn)
{
	(void)fn;
}

#endif
