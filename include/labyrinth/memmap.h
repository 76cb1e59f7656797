/*
 * memmap.h - the firmware's memory map, normalized (mm/memmap.c).
 *
 * Input: e820 entries (multiboot2 memory-map tag) or raw EFI descriptors,
 * as received in struct boot_info; their formats are in
 * include/labyrinth/e820.h. Output: one sorted, non-overlapping map (Linux's
 * e820_table) with these promises, checked by the fuzz harness
 * (tests/fuzz/fuzz_memmap.c):
 *   - entries sorted by address, none overlapping, none empty;
 *   - a byte any input entry calls non-usable is never usable (type
 *     priority: anything beats usable; among the rest the higher number wins,
 *     as in Linux's e820__update_table());
 *   - usable entries start and end on page boundaries;
 *   - page 0 is never usable; nothing lies above 1 << arch_phys_bits().
 * The next step is mm/memblock.c, fed by mm_init() (mm/init.c).
 */
#ifndef LABYRINTH_MEMMAP_H
#define LABYRINTH_MEMMAP_H

#include <labyrinth/e820.h>
#include <labyrinth/layout.h>
#include <labyrinth/types.h>

struct boot_info;

/* Entries: every e820 entry plus every 40-byte descriptor boot_info holds. */
#define MEMMAP_MAX (BOOT_E820_MAX + BOOT_EFI_MAP_MAX / 40 + 32)
/*
 * Room kept beyond MEMMAP_MAX for the kernel's own reservations: each
 * memmap_update_range() splits at most two entries, and memmap_init()
 * makes 4 + BOOT_MODULES_MAX of them (page 0, trampoline, image, boot info,
 * modules). Normalization fills at most MEMMAP_MAX entries, so the
 * reservations always fit; if one still does not, memmap_init() stops the
 * boot and names it (never carries on with a reservation missing).
 */
#define MEMMAP_RESERVE_SLOTS (2 * (4 + 8))
#define MEMMAP_CAP (MEMMAP_MAX + MEMMAP_RESERVE_SLOTS)
#define EFI_DESC_MIN_SIZE 40

struct memmap_entry {
	u64 addr;
	u64 size;
	u32 type; /* enum e820_type, E820_TYPE_KERNEL, or what firmware said */
	u32 pad;
};

struct memmap {
	u32 nr;
	u32 nr_lost; /* entries that did not fit */
	/* memmap_add_efi() filled it: UEFI's GetMemoryMap() promises no
	 * order, so disorder is sorted without a FW_BUG (as Linux does) */
	bool from_efi;
	struct memmap_entry map[MEMMAP_CAP]; /* normalization fills MEMMAP_MAX at most */
};

/* What normalization found wrong with its input (all also printed). */
struct memmap_stats {
	u32 out_of_order; /* entries not sorted by address (FW_BUG in an e820 map) */
	u32 zero_length;  /* dropped */
	u32 wrapping;	  /* addr + size overflows: dropped */
	u32 clipped;	  /* beyond the CPU's physical address width */
	u32 overlaps;	  /* overlapping pairs resolved by type priority */
};

#define FW_BUG "[Firmware Bug]: "

/* Pure functions over a struct memmap (no global state but scratch space:
 * call them from one thread at a time, as boot does). */
void memmap_reset(struct memmap *m);
bool memmap_add(struct memmap *m, u64 addr, u64 size, u32 type);
u32 memmap_type_from_efi(u32 efi_type, u64 attribute);
/* Appends the usable/reserved view of raw EFI descriptors; false (and no
 * entries) if desc_size is below EFI_DESC_MIN_SIZE. */
bool memmap_add_efi(struct memmap *m, const void *descs, size_t map_size, u32 desc_size);
void memmap_normalize(struct memmap *m, unsigned int phys_bits, struct memmap_stats *st);
/* Linux's e820__range_update(): bytes of old_type in [start, end) become
 * new_type. The map must be normalized; it stays normalized. */
bool memmap_update_range(struct memmap *m, u64 start, u64 end, u32 old_type, u32 new_type);
/* True if every byte of [start, end) is covered by entries of type. */
bool memmap_range_is(const struct memmap *m, u64 start, u64 end, u32 type);
/* Page 0 -> reserved, the SMP trampoline (SMP_TRAMPOLINE_START, layout.h)
 * -> kernel (what every boot does). */
bool memmap_reserve_low(struct memmap *m);
u64 memmap_total(const struct memmap *m, u32 type);
const char *memmap_type_name(u32 type);
/* "[mem 0x...-0x...] usable" (end inclusive, as Linux prints). */
int memmap_format_entry(char *buf, size_t len, const struct memmap_entry *e);
void memmap_print(const struct memmap *m, const char *prefix);
/* "efi: mem07: [Conventional|...] range=[...] (126MB)" for raw descriptors. */
void memmap_print_efi(const void *descs, size_t map_size, u32 desc_size);

/* The kernel's normalized map, filled by memmap_init() from the maps the
 * boot path received (kmain passes &boot_info, boot/boot_info.h), which
 * returns it for kmain to hand to mm_init(). */
extern struct memmap memmap_final;
const struct memmap *memmap_init(const struct boot_info *bi);
/* efi=debug on the command line (kernel/params.c): memmap_init() prints the
 * firmware's EFI map in full ("efi: memNN:" lines), as Linux does with it. */
extern bool memmap_efi_debug;

#endif
