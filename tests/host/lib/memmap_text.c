/*
 * memmap_text.c - dmesg-style memory maps in and out (see memmap_text.h);
 * the normalization itself is mm/memmap.c's.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <labyrinth/mm.h>
#include <labyrinth/mmzone.h>
#include "memmap_text.h"

static u32 e820_type_from_name(const char *s)
{
	static const struct {
		const char *name;
		u32 type;
	} names[] = {
		{ "usable", E820_TYPE_RAM },	    { "reserved", E820_TYPE_RESERVED },
		{ "ACPI data", E820_TYPE_ACPI },    { "ACPI NVS", E820_TYPE_NVS },
		{ "unusable", E820_TYPE_UNUSABLE }, { "soft reserved", 0xefffffff },
		{ "kernel", E820_TYPE_KERNEL },
	};
	unsigned int i;

	while (*s == ' ')
		s++;
	if (!strncmp(s, "persistent (type ", 17))
		return (u32)strtoul(s + 17, NULL, 0);
	if (!strncmp(s, "type ", 5))
		return (u32)strtoul(s + 5, NULL, 0);
	for (i = 0; i < ARRAY_SIZE(names); i++)
		if (!strncmp(s, names[i].name, strlen(names[i].name)))
			return names[i].type;
	return E820_TYPE_RESERVED;
}

static const char *const efi_names[] = {
	"Reserved",	"Loader Code",	"Loader Data",	"Boot Code", "Boot Data",
	"Runtime Code", "Runtime Data", "Conventional", "Unusable",  "ACPI Reclaim",
	"ACPI Mem NVS", "MMIO",		"MMIO Port",	"PAL Code",  "Persistent",
};

static u32 efi_type_from_name(const char *s)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(efi_names); i++)
		if (!strncmp(s, efi_names[i], strlen(efi_names[i])) &&
		    (s[strlen(efi_names[i])] == ' ' || s[strlen(efi_names[i])] == '|'))
			return i;
	return EFI_RESERVED_TYPE;
}

/* "[mem 0xS-0xE]" -> start and size (end inclusive; E < S wraps). */
static bool parse_range(const char *p, const char *tag, u64 *start, u64 *size)
{
	char *end;
	u64 s, e;

	p = strstr(p, tag);
	if (!p)
		return false;
	s = strtoull(p + strlen(tag), &end, 16);
	if (*end != '-')
		return false;
	e = strtoull(end + 1, &end, 16);
	if (*end != ']')
		return false;
	*start = s;
	*size = e - s + 1;
	return true;
}

static void parse_efi_line(const char *line, struct memmap_text_input *in)
{
	const char *br = strchr(line, '[');
	struct efi_memory_desc d = { 0 };
	u64 start, size;

	if (!br || !parse_range(line, "range=[0x", &start, &size))
		return;
	if (in->efi_size + in->efi_desc_size > sizeof(in->efi))
		return;
	d.type = efi_type_from_name(br + 1);
	d.attribute = (strstr(br, "|WB|") ? 0x8 : 0) | (strstr(br, "|UC]") ? 0x1 : 0) |
		      (strstr(br, "|RUN|") ? (1ull << 63) : 0);
	d.phys_start = start;
	d.num_pages = size >> PAGE_SHIFT;
	memset(in->efi + in->efi_size, 0xa5, in->efi_desc_size); /* junk in any padding */
	memcpy(in->efi + in->efi_size, &d, sizeof(d));
	in->efi_size += in->efi_desc_size;
	in->nr_efi++;
}

void memmap_text_parse(const char *text, u32 efi_desc_size, struct memmap_text_input *in)
{
	const char *line = text;

	memset(in, 0, sizeof(*in));
	in->efi_desc_size = efi_desc_size;
	while (line && *line) {
		const char *nl = strchr(line, '\n');
		char buf[512];
		size_t n = nl ? (size_t)(nl - line) : strlen(line);
		u64 start, size;

		n = min(n, sizeof(buf) - 1);
		memcpy(buf, line, n);
		buf[n] = '\0';
		if (strstr(buf, "efi: mem") && strstr(buf, "range=["))
			parse_efi_line(buf, in);
		else if (parse_range(buf, "[mem 0x", &start, &size))
			memmap_add(&in->e820, start, size,
				   e820_type_from_name(strchr(strstr(buf, "[mem "), ']') + 1));
		line = nl ? nl + 1 : NULL;
	}
}

void memmap_text_raw_map(const struct memmap_text_input *in, struct memmap *m)
{
	u32 i;

	memmap_reset(m);
	if (in->nr_efi && memmap_add_efi(m, in->efi, in->efi_size, in->efi_desc_size))
		return;
	for (i = 0; i < in->e820.nr; i++)
		memmap_add(m, in->e820.map[i].addr, in->e820.map[i].size, in->e820.map[i].type);
}

struct out_buf {
	char *p;
	size_t len, used;
};

static __attribute__((format(printf, 2, 3))) void out(struct out_buf *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(o->p + o->used, o->used < o->len ? o->len - o->used : 0, fmt, ap);
	va_end(ap);
	if (n > 0)
		o->used = min(o->used + (size_t)n, o->len ? o->len - 1 : 0);
}

static void render_zones(const struct memmap *m, struct out_buf *o)
{
	static const char *const names[] = { "DMA", "DMA32", "Normal" };
	static const u64 lim[] = { ZONE_DMA_END_PFN << PAGE_SHIFT, ZONE_DMA32_END_PFN << PAGE_SHIFT,
				   ~0ull };
	u64 lo = 0;
	int z;
	u32 i;

	out(o, "Zone ranges:\n");
	for (z = 0; z < 3; lo = lim[z], z++) {
		u64 first = ~0ull, last = 0, ram = 0, free = 0;

		for (i = 0; i < m->nr; i++) {
			const struct memmap_entry *e = &m->map[i];
			u64 s = max(e->addr, lo), end = min(e->addr + e->size, lim[z]);

			if ((e->type != E820_TYPE_RAM && e->type != E820_TYPE_KERNEL) || s >= end)
				continue;
			first = min(first, s), last = max(last, end);
			ram += end - s;
			free += e->type == E820_TYPE_RAM ? end - s : 0;
		}
		if (!ram) {
			out(o, "  %-8s empty\n", names[z]);
			continue;
		}
		out(o, "  %-8s [mem 0x%016llx-0x%016llx] present %lluK, usable %lluK\n", names[z],
		    (unsigned long long)first, (unsigned long long)last - 1,
		    (unsigned long long)ram >> 10, (unsigned long long)free >> 10);
	}
}

static void render(const struct memmap *m, const struct memmap_stats *st, struct out_buf *o)
{
	char line[96];
	u32 i, nr_usable = 0;

	for (i = 0; i < m->nr; i++) {
		memmap_format_entry(line, sizeof(line), &m->map[i]);
		out(o, "labyrinth: %s\n", line);
		nr_usable += m->map[i].type == E820_TYPE_RAM;
	}
	out(o, "Fixes: out-of-order %u, zero-length %u, wrapping %u, clipped %u, overlaps %u\n",
	    st->out_of_order, st->zero_length, st->wrapping, st->clipped, st->overlaps);
	render_zones(m, o);
	out(o, "Usable: %lluK in %u ranges; kernel-held %lluK; reserved/other %lluK\n",
	    (unsigned long long)memmap_total(m, E820_TYPE_RAM) >> 10, nr_usable,
	    (unsigned long long)memmap_total(m, E820_TYPE_KERNEL) >> 10,
	    (unsigned long long)(memmap_total(m, E820_TYPE_RESERVED) +
				 memmap_total(m, E820_TYPE_ACPI) + memmap_total(m, E820_TYPE_NVS) +
				 memmap_total(m, E820_TYPE_UNUSABLE)) >>
		10);
}

size_t memmap_text_process(const char *text, unsigned int phys_bits, u32 efi_desc_size, char *outp,
			   size_t len)
{
	static struct memmap_text_input in;
	static struct memmap m;
	struct memmap_stats st;
	struct out_buf o = { outp, len, 0 };

	if (len)
		outp[0] = '\0';
	memmap_text_parse(text, efi_desc_size, &in);
	memmap_text_raw_map(&in, &m);
	memmap_normalize(&m, phys_bits, &st);
	memmap_reserve_low(&m);
	render(&m, &st, &o);
	return o.used;
}
