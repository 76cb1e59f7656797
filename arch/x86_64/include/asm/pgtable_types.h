/*
 * asm/pgtable_types.h - the x86_64 page-table entry format, as pure
 * constants and arithmetic (no instructions), so that the host's
 * tests/host/include/asm/pgtable.h can build the very same entries over
 * simulated memory. The instructions (CR3, INVLPG, CPUID) are in
 * asm/pgtable.h; the generic builder is mm/pgtable.c.
 *
 * Intel SDM vol. 3A, 4.5 (4-level paging): each table is 512 8-byte entries;
 * bit 7 (PS) in a PDPTE maps a 1 GiB page, in a PDE a 2 MiB page; in a
 * 4 KiB PTE bit 7 is PAT instead. In a large-page entry bit 12 is PAT, so
 * the frame address of a level-L leaf is bits 51..(12 + 9(L-1)). Permissions
 * combine along the walk: writable only if RW at every level, executable
 * only if NX is clear at every level, so intermediate entries are permissive
 * (P|RW) and the leaf decides.
 */
#ifndef ASM_PGTABLE_TYPES_H
#define ASM_PGTABLE_TYPES_H

#include <labyrinth/pgtable.h> /* VM_* (this file is included from its end) */

#define _PAGE_PRESENT (1ull << 0)
#define _PAGE_RW (1ull << 1)
#define _PAGE_USER (1ull << 2)
#define _PAGE_PWT (1ull << 3)
#define _PAGE_PCD (1ull << 4)
#define _PAGE_ACCESSED (1ull << 5)
#define _PAGE_DIRTY (1ull << 6)
#define _PAGE_PSE (1ull << 7) /* PDPTE/PDE: a 1 GiB/2 MiB leaf */
#define _PAGE_PAT (1ull << 7) /* PTE: PAT index bit 2 (unused: PAT stays at its reset value) */
#define _PAGE_GLOBAL (1ull << 8)
#define _PAGE_PAT_LARGE (1ull << 12)
#define _PAGE_NX (1ull << 63)

/* Bits 51..12: the frame of a table or of a 4 KiB page (MAXPHYADDR <= 52). */
#define PTE_PFN_MASK 0x000ffffffffff000ull

/*
 * Caching with the PAT at its power-on value (PA0..PA3 = WB, WT, UC-, UC):
 * PCD|PWT selects PA3, strong uncacheable, whatever the MTRRs say.
 */
#define _PAGE_CACHE_UC (_PAGE_PCD | _PAGE_PWT)

/* Intermediate entries: present and writable; the leaf sets the limits. */
#define _PAGE_TABLE (_PAGE_PRESENT | _PAGE_RW)

static inline u64 x86_pte_mkleaf(phys_addr_t pa, unsigned int prot, unsigned int level)
{
	u64 e = (pa & PTE_PFN_MASK) | _PAGE_PRESENT;

	if (prot & VM_WRITE)
		e |= _PAGE_RW;
	if (!(prot & VM_EXEC))
		e |= _PAGE_NX;
	if (prot & VM_USER)
		e |= _PAGE_USER;
	if (prot & VM_NOCACHE)
		e |= _PAGE_CACHE_UC;
	if (prot & VM_GLOBAL)
		e |= _PAGE_GLOBAL;
	if (level > 1)
		e |= _PAGE_PSE;
	return e;
}

static inline unsigned int x86_pte_prot(u64 e)
{
	return ((e & _PAGE_RW) ? VM_WRITE : 0) | ((e & _PAGE_NX) ? 0 : VM_EXEC) |
	       ((e & _PAGE_USER) ? VM_USER : 0) | ((e & _PAGE_PCD) ? VM_NOCACHE : 0) |
	       ((e & _PAGE_GLOBAL) ? VM_GLOBAL : 0);
}

static inline bool x86_pte_is_leaf(u64 e, unsigned int level)
{
	return level == 1 || (e & _PAGE_PSE);
}

static inline phys_addr_t x86_pte_addr(u64 e, unsigned int level)
{
	u64 mask = PTE_PFN_MASK;

	if (level > 1 && (e & _PAGE_PSE))
		mask &= ~((1ull << (12 + 9 * (level - 1))) - 1);
	return e & mask;
}

/*
 * Protection keys (Intel SDM vol. 3A, 4.6.2): bits 62:59 of a leaf entry
 * name one of 16 keys. With CR4.PKS set, a supervisor page's key selects two
 * bits of this CPU's IA32_PKRS MSR (AD: no access, WD: no write); the
 * rights are per CPU and change with a local MSR write, no TLB flush. With
 * CR4.PKS (and CR4.PKE) clear, the bits are ignored. Labyrinth's use
 * (mm/exclusive.c, asm/pks.h): key 0 is ordinary memory, key 1 "nobody"
 * (free exclusive pages: no CPU has rights), keys 2..15 one per CPU, shared
 * as cpu % 14 + 2 when there are more than 14 CPUs (NR_CPUS is 16: CPUs 0
 * and 14, 1 and 15 share a key and are not isolated from each other; the
 * boot log names them, mm/exclusive.c:exclusive_cpus_isolated() tells).
 */
#define _PAGE_PKEY_SHIFT 59
#define _PAGE_PKEY_MASK (0xfull << _PAGE_PKEY_SHIFT)
#define PKS_NR_KEYS 16u
#define PKS_KEY_DEFAULT 0u
#define PKS_KEY_NOBODY 1u
#define PKS_KEY_FIRST_CPU 2u
#define PKS_NR_CPU_KEYS (PKS_NR_KEYS - PKS_KEY_FIRST_CPU)
#define PKRS_AD(key) (1u << (2 * (key))) /* access disable */
#define PKRS_WD(key) (2u << (2 * (key))) /* write disable */

static inline unsigned int pks_cpu_key(unsigned int cpu)
{
	return PKS_KEY_FIRST_CPU + cpu % PKS_NR_CPU_KEYS;
}

/* The IA32_PKRS value that lets a CPU with this key reach key 0 and its own. */
static inline u32 pks_rights_for_key(unsigned int key)
{
	u32 v = 0;

	for (unsigned int k = 1; k < PKS_NR_KEYS; k++)
		if (k != key)
			v |= PKRS_AD(k) | PKRS_WD(k);
	return v;
}

static inline bool pks_rights_allow(u32 pkrs, unsigned int key, bool write)
{
	return !(pkrs & PKRS_AD(key)) && !(write && (pkrs & PKRS_WD(key)));
}

static inline unsigned int arch_pte_pkey(u64 e)
{
	return (unsigned int)((e & _PAGE_PKEY_MASK) >> _PAGE_PKEY_SHIFT);
}

static inline u64 arch_pte_set_pkey(u64 e, unsigned int key)
{
	return (e & ~_PAGE_PKEY_MASK) | ((u64)(key & 0xf) << _PAGE_PKEY_SHIFT);
}

/* ---- the entry format behind <labyrinth/pgtable.h>: the same in both builds ---- */
static inline u64 arch_pte_mkleaf(phys_addr_t pa, unsigned int prot, unsigned int level)
{
	return x86_pte_mkleaf(pa, prot, level);
}

static inline u64 arch_pte_mktable(phys_addr_t pa)
{
	return (pa & PTE_PFN_MASK) | _PAGE_TABLE;
}

static inline bool arch_pte_present(u64 e)
{
	return e & _PAGE_PRESENT;
}

static inline bool arch_pte_is_leaf(u64 e, unsigned int level)
{
	return x86_pte_is_leaf(e, level);
}

static inline phys_addr_t arch_pte_addr(u64 e, unsigned int level)
{
	return x86_pte_addr(e, level);
}

static inline unsigned int arch_pte_prot(u64 e)
{
	return x86_pte_prot(e);
}

#endif
