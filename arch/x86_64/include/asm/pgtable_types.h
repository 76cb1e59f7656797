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
