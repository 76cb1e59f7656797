/*
 * fuzz_memmap.c - libFuzzer harness for the memory-map normalizer
 * (mm/memmap.c), as an e820 list or as raw EFI descriptors.
 *
 * Input: byte 0 picks the physical address width (32..52) and the mode
 * (e820 entries of 20 bytes: addr, size, type; or EFI descriptors with a
 * desc_size from byte 1). After memmap_normalize() + memmap_reserve_low()
 * the output must be sorted, non-overlapping, non-empty entries; usable
 * entries page-aligned; page 0 never usable; nothing at or beyond
 * 1 << phys_bits. And, against a naive model of the input, at probe
 * addresses around every input boundary:
 *   - a usable output byte is covered by some input RAM entry and by no
 *     non-RAM entry (no usable byte under a reserved input range);
 *   - a page covered whole by one RAM entry and touched by no non-RAM one
 *     (and not page 0 / the trampoline) is usable in the output;
 *   - a non-usable output type at a byte is the type of some input entry
 *     covering it (or reserved/kernel for page 0 / the trampoline).
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <labyrinth/layout.h>
#include <labyrinth/memmap.h>
#include <labyrinth/mm.h>
#include <labyrinth/printk.h>

#include "tests/fuzz/quiet_printk.h"

static struct memmap in, m;

#define CHECK(c)                                                                             \
	do {                                                                                 \
		if (!(c)) {                                                                  \
			fprintf(stderr, "fuzz_memmap: invariant failed: %s (line %d)\n", #c, \
				__LINE__);                                                   \
			abort();                                                             \
		}                                                                            \
	} while (0)

static const u32 types[] = { E820_TYPE_RAM,
			     E820_TYPE_RAM,
			     E820_TYPE_RAM,
			     E820_TYPE_RESERVED,
			     E820_TYPE_ACPI,
			     E820_TYPE_NVS,
			     E820_TYPE_UNUSABLE,
			     E820_TYPE_PMEM,
			     0,
			     12,
			     0xefffffff,
			     200 };

static u64 get64(const u8 *p)
{
	u64 v;
	memcpy(&v, p, 8);
	return v;
}
static u32 get32(const u8 *p)
{
	u32 v;
	memcpy(&v, p, 4);
	return v;
}

/* Input entries as the normalizer must have seen them (after filtering). */
static bool valid_input(const struct memmap_entry *e, u64 limit, u64 *end)
{
	if (!e->size || e->addr + e->size < e->addr || e->addr + e->size == 0 || e->addr >= limit)
		return false;
	*end = min(e->addr + e->size, limit);
	return true;
}

static int out_type_at(u64 a)
{
	u32 i;

	for (i = 0; i < m.nr; i++)
		if (a >= m.map[i].addr && a - m.map[i].addr < m.map[i].size)
			return (int)m.map[i].type;
	return -1;
}

static void check_structure(u64 limit)
{
	u32 i;

	for (i = 0; i < m.nr; i++) {
		const struct memmap_entry *e = &m.map[i];

		CHECK(e->size > 0);
		CHECK(e->addr + e->size > e->addr && e->addr + e->size <= limit);
		if (i)
			CHECK(m.map[i - 1].addr + m.map[i - 1].size <= e->addr);
		if (e->type == E820_TYPE_RAM) {
			CHECK(IS_ALIGNED(e->addr, PAGE_SIZE) && IS_ALIGNED(e->size, PAGE_SIZE));
			CHECK(e->addr >= PAGE_SIZE);
		}
	}
}

static void check_probe(u64 a, u64 limit)
{
	u64 page = ALIGN_DOWN(a, PAGE_SIZE), end;
	bool ram_cover = false, nonram_cover = false, page_ram_whole = false, page_nonram = false;
	int t = out_type_at(a), match = 0;
	u32 i;

	for (i = 0; i < in.nr; i++) {
		const struct memmap_entry *e = &in.map[i];

		if (!valid_input(e, limit, &end))
			continue;
		if (a >= e->addr && a < end) {
			if (e->type == E820_TYPE_RAM)
				ram_cover = true;
			else
				nonram_cover = true;
			match |= (int)e->type == t;
		}
		if (e->type == E820_TYPE_RAM && e->addr <= page && page <= limit - PAGE_SIZE &&
		    end >= page + PAGE_SIZE)
			page_ram_whole = true;
		if (e->type != E820_TYPE_RAM && e->addr <= page + (PAGE_SIZE - 1) && end > page)
			page_nonram = true;
	}
	if (t == E820_TYPE_RAM)
		CHECK(ram_cover && !nonram_cover);
	if (page_ram_whole && !page_nonram && page != 0 && page <= limit - PAGE_SIZE &&
	    (page < SMP_TRAMPOLINE_START || page >= SMP_TRAMPOLINE_END))
		CHECK(t == E820_TYPE_RAM);
	if (t >= 0 && t != E820_TYPE_RAM) {
		bool low = a < PAGE_SIZE || (a >= SMP_TRAMPOLINE_START && a < SMP_TRAMPOLINE_END);

		CHECK(match || low);
	}
}

static void parse(const u8 *data, size_t size, bool efi)
{
	memmap_reset(&in);
	if (efi) {
		u32 ds = 40 + (data[1] % 3) * 8 - (data[1] % 7 == 0 ? 8 : 0); /* 32, 40, 48, 56 */

		memmap_add_efi(&in, data + 2, size - 2, ds);
		return;
	}
	for (size_t off = 1; off + 20 <= size; off += 20)
		memmap_add(&in, get64(data + off) >> (data[off] & 7) * 4,
			   get64(data + off + 8) >> (data[off + 8] & 7) * 8,
			   types[get32(data + off + 16) % ARRAY_SIZE(types)]);
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	unsigned int bits;
	u64 limit;
	u32 i;

	if (size < 2)
		return 0;
	bits = 32 + (data[0] & 0x7f) % 21;
	limit = 1ull << bits;
	parse(data, size, data[0] & 0x80);
	m = in;
	memmap_normalize(&m, bits, NULL);
	memmap_reserve_low(&m);
	check_structure(limit);
	CHECK(out_type_at(0) != E820_TYPE_RAM);
	for (i = 0; i < in.nr && i < 64; i++) {
		u64 s = in.map[i].addr, e = in.map[i].addr + in.map[i].size;
		u64 probes[] = { s,
				 s - 1,
				 s + 1,
				 e,
				 e - 1,
				 ALIGN_DOWN(s, PAGE_SIZE),
				 ALIGN_DOWN(s, PAGE_SIZE) + PAGE_SIZE,
				 ALIGN_DOWN(e, PAGE_SIZE) - 1 };
		unsigned int k;

		for (k = 0; k < ARRAY_SIZE(probes); k++)
			check_probe(probes[k], limit);
	}
	check_probe(0, limit);
	check_probe(SMP_TRAMPOLINE_START, limit);
	return 0;
}
