/*
 * kelf.c - validate the kernel ELF and turn it into a load plan.
 *
 * Pure code (see loadlib.h): the GNU-EFI loader (boot/efi/loader.c) reads
 * the first bytes of \labyrinth.elf, calls kelf_check(), allocates what the
 * plan says and then reads each segment straight to its physical address,
 * so no temporary copy of the whole file can sit where the kernel goes.
 * Nothing here trusts the file: every header field is bounded against the
 * file size (and the header bytes actually read) before it is used, every
 * sum is checked for overflow, and every reason to refuse has a name.
 *
 * Headers are read with memcpy into local structs, so a buffer of any
 * alignment is fine.
 */
#include <boot/efi/loadlib.h>

#define EI_NIDENT 16
#define ELFCLASS64 2
#define ELFDATA2LSB 1
#define EV_CURRENT 1
#define ET_EXEC 2
#define EM_X86_64 62
#define PT_LOAD 1
#define PF_X 1

#define STR_(x) #x
#define STR(x) STR_(x)

struct elf64_ehdr {
	u8 e_ident[EI_NIDENT];
	u16 e_type;
	u16 e_machine;
	u32 e_version;
	u64 e_entry;
	u64 e_phoff;
	u64 e_shoff;
	u32 e_flags;
	u16 e_ehsize;
	u16 e_phentsize;
	u16 e_phnum;
	u16 e_shentsize;
	u16 e_shnum;
	u16 e_shstrndx;
};

struct elf64_phdr {
	u32 p_type;
	u32 p_flags;
	u64 p_offset;
	u64 p_vaddr;
	u64 p_paddr;
	u64 p_filesz;
	u64 p_memsz;
	u64 p_align;
};

_Static_assert(sizeof(struct elf64_ehdr) == 64, "ELF64 header is 64 bytes");
_Static_assert(sizeof(struct elf64_phdr) == 56, "ELF64 program header is 56 bytes");

#define PAGE_MASK_4K (EFI_PAGE_SIZE_4K - 1)
/* The boot page tables map the low identity range and the 1 GiB high range. */
#define IDENTITY_LIMIT ((u64)BOOT_PT_IDENTITY_GIB << 30)
#define HIGH_LIMIT ((u64)BOOT_PT_HIGH_GIB << 30)

static const char *check_ehdr(const struct elf64_ehdr *eh, u64 head_len, u64 size)
{
	static const u8 magic[4] = { 0x7f, 'E', 'L', 'F' };

	if (__builtin_memcmp(eh->e_ident, magic, 4))
		return "bad ELF magic (not an ELF file)";
	if (eh->e_ident[4] != ELFCLASS64)
		return "not ELFCLASS64 (a 32-bit ELF?)";
	if (eh->e_ident[5] != ELFDATA2LSB)
		return "not little-endian (ELFDATA2LSB)";
	if (eh->e_ident[6] != EV_CURRENT || eh->e_version != EV_CURRENT)
		return "bad ELF version";
	if (eh->e_type != ET_EXEC)
		return "not an executable (e_type is not ET_EXEC)";
	if (eh->e_machine != EM_X86_64)
		return "not an x86_64 ELF (e_machine is not EM_X86_64)";
	if (eh->e_phentsize != sizeof(struct elf64_phdr))
		return "bad program header entry size (e_phentsize is not 56)";
	if (eh->e_phnum == 0)
		return "no program headers";
	if (eh->e_phnum > KELF_MAX_PHNUM)
		return "too many program headers";
	if (eh->e_phoff > size || (u64)eh->e_phnum * eh->e_phentsize > size - eh->e_phoff)
		return "program header table beyond the end of the file";
	if (eh->e_phoff > head_len || (u64)eh->e_phnum * eh->e_phentsize > head_len - eh->e_phoff)
		return "program header table not within the first " STR(KELF_HEAD_MAX) " bytes";
	return NULL;
}

/* Where a segment runs must be where the boot page tables put it. */
static const char *check_reach(const struct elf64_phdr *ph)
{
	u64 end = ph->p_paddr + ph->p_memsz;

	if (ph->p_vaddr == ph->p_paddr) {
		if (end > IDENTITY_LIMIT)
			return "identity-mapped segment beyond the boot page tables";
		return NULL;
	}
	if (ph->p_vaddr == ph->p_paddr + KERNEL_VMA_BASE) {
		if (end > HIGH_LIMIT)
			return "higher-half segment beyond the first 1 GiB";
		return NULL;
	}
	return "segment virtual address is neither its physical address nor "
	       "KERNEL_VMA_BASE + physical";
}

static const char *check_segment(const struct elf64_phdr *ph, u64 size)
{
	if (ph->p_memsz < ph->p_filesz)
		return "segment memsz smaller than filesz";
	if (ph->p_offset > size || ph->p_filesz > size - ph->p_offset)
		return "segment data beyond the end of the file";
	if (ph->p_paddr + ph->p_memsz < ph->p_paddr)
		return "segment physical range overflows";
	if (ph->p_paddr < EFI_PAGE_SIZE_4K)
		return "segment in page zero";
	return check_reach(ph);
}

static bool ranges_overlap(u64 a, u64 alen, u64 b, u64 blen)
{
	return a < b + blen && b < a + alen;
}

static const char *add_segment(struct kelf_plan *plan, const struct elf64_phdr *ph)
{
	struct kelf_segment *s;
	u32 i;

	if (plan->nr_segments == KELF_MAX_SEGMENTS)
		return "too many PT_LOAD segments";
	for (i = 0; i < plan->nr_segments; i++)
		if (ranges_overlap(plan->seg[i].paddr, plan->seg[i].memsz, ph->p_paddr,
				   ph->p_memsz))
			return "PT_LOAD segments overlap in physical memory";
	s = &plan->seg[plan->nr_segments++];
	s->offset = ph->p_offset;
	s->filesz = ph->p_filesz;
	s->memsz = ph->p_memsz;
	s->paddr = ph->p_paddr;
	s->vaddr = ph->p_vaddr;
	s->flags = ph->p_flags;
	return NULL;
}

/* The page-rounded union of the segments, and the entry point inside one. */
static const char *finish_plan(struct kelf_plan *plan)
{
	u64 lo = ~0ull, hi = 0;
	bool entry_ok = false;
	u32 i;

	if (!plan->nr_segments)
		return "no loadable (PT_LOAD) segments";
	for (i = 0; i < plan->nr_segments; i++) {
		const struct kelf_segment *s = &plan->seg[i];

		lo = s->paddr < lo ? s->paddr : lo;
		hi = s->paddr + s->memsz > hi ? s->paddr + s->memsz : hi;
		if ((s->flags & PF_X) && plan->entry >= s->vaddr &&
		    plan->entry - s->vaddr < s->memsz)
			entry_ok = true;
	}
	if (!entry_ok)
		return "entry point outside every executable PT_LOAD segment";
	plan->span_start = lo & ~PAGE_MASK_4K;
	plan->span_end = (hi + PAGE_MASK_4K) & ~PAGE_MASK_4K;
	if (plan->span_end - plan->span_start > KELF_MAX_SPAN)
		return "image spans more than 1 GiB of physical memory";
	return NULL;
}

const char *kelf_check(const void *head, u64 head_len, u64 size, struct kelf_plan *plan)
{
	const u8 *bytes = head;
	struct elf64_ehdr eh;
	const char *why;
	u16 i;

	__builtin_memset(plan, 0, sizeof(*plan));
	if (head_len > size)
		head_len = size;
	if (head_len < sizeof(eh))
		return "file too small for an ELF header";
	__builtin_memcpy(&eh, bytes, sizeof(eh));
	why = check_ehdr(&eh, head_len, size);
	if (why)
		return why;
	plan->entry = eh.e_entry;
	for (i = 0; i < eh.e_phnum; i++) {
		struct elf64_phdr ph;

		__builtin_memcpy(&ph, bytes + eh.e_phoff + (u64)i * sizeof(ph), sizeof(ph));
		if (ph.p_type != PT_LOAD || ph.p_memsz == 0)
			continue;
		why = check_segment(&ph, size);
		if (!why)
			why = add_segment(plan, &ph);
		if (why)
			return why;
	}
	return finish_plan(plan);
}
