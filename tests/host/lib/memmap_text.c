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

/*
 * "[mem 0xS-0xE]" -> start and size (end inclusive; E < S wraps); "[a-b)",
 * end exclusive, as old EFI lines print it. The text after the closing
 * bracket, or NULL if p holds no such range.
 */
static const char *parse_range(const char *p, const char *tag, u64 *start, u64 *size)
{
	char *end;
	u64 s, e;

	p = strstr(p, tag);
	if (!p)
		return NULL;
	s = strtoull(p + strlen(tag), &end, 16);
	if (*end != '-')
		return NULL;
	e = strtoull(end + 1, &end, 16);
	if (*end != ']' && *end != ')')
		return NULL;
	*start = s;
	*size = e - s + (*end == ']');
	return end + 1;
}

static void add_efi(struct memmap_text_input *in, u32 type, u64 attr, u64 start, u64 size)
{
	struct efi_memory_desc d = { 0 };

	if (in->efi_size + max(in->efi_desc_size, (u32)sizeof(d)) > sizeof(in->efi))
		return;
	d.type = type;
	d.attribute = attr;
	d.phys_start = start;
	d.num_pages = size >> PAGE_SHIFT;
	memset(in->efi + in->efi_size, 0xa5, in->efi_desc_size); /* junk in any padding */
	memcpy(in->efi + in->efi_size, &d, sizeof(d));
	in->efi_size += in->efi_desc_size;
	in->nr_efi++;
}

/*
 * "efi: mem07: [Conventional|   |...|WB|WT|WC|UC] range=[0x...-0x...] (220MB)"
 * (Linux >= 3.19) or "efi: mem07: type=7, attr=0xf, range=[0x...-0x...) (220MB)"
 * (older). False if the line is not one of these.
 */
static bool parse_efi_line(const char *msg, struct memmap_text_input *in)
{
	const char *br = strchr(msg, '['), *t = strstr(msg, "type=");
	u64 start, size, attr;
	u32 type;

	if (!parse_range(msg, "range=[0x", &start, &size))
		return false;
	if (t && (!br || t < br)) {
		type = (u32)strtoul(t + 5, NULL, 0);
		attr = strstr(msg, "attr=") ? strtoull(strstr(msg, "attr=") + 5, NULL, 16) : 0;
	} else if (br) {
		type = efi_type_from_name(br + 1);
		attr = (strstr(br, "|WB|") ? 0x8 : 0) | (strstr(br, "|UC]") ? 0x1 : 0) |
		       (strstr(br, "|RUN|") ? (1ull << 63) : 0);
	} else {
		return false;
	}
	add_efi(in, type, attr, start, size);
	return true;
}

/*
 * "BIOS-e820: [mem 0x...-0x...] usable" (Linux >= 3.7; end inclusive) or
 * "BIOS-e820: 0000000000000000 - 000000000009fc00 (usable)" (2.6 to 3.6;
 * end exclusive, type in parentheses). False if neither.
 */
static bool parse_e820_line(const char *p, struct memmap_text_input *in)
{
	u64 start, size, s, e;
	char *end;

	while (*p == ' ')
		p++;
	if (!strncmp(p, "[mem 0x", 7)) {
		const char *type = parse_range(p, "[mem 0x", &start, &size);

		if (!type || type[-1] != ']')
			return false;
		memmap_add(&in->e820, start, size, e820_type_from_name(type));
		return true;
	}
	s = strtoull(p, &end, 16);
	if (end == p || strncmp(end, " - ", 3))
		return false;
	p = end + 3;
	e = strtoull(p, &end, 16);
	if (end == p || strncmp(end, " (", 2))
		return false;
	memmap_add(&in->e820, s, e - s, e820_type_from_name(end + 2));
	return true;
}

/*
 * The message part of a log line: drops a syslog/journal prefix ("Dec  2
 * 10:00:00 host kernel: "), a "<6>" level, "kern  :info  : " (dmesg -x) and
 * leading bracketed stamps ("[    0.000000]", "[Wed Dec  2 10:00:00 2026]",
 * "[    T0]"). Leading blanks after the stamps are kept ("  node   0: ...").
 */
static const char *log_message(const char *line)
{
	const char *k = strstr(line, " kernel: ");

	if (k && k - line < 64)
		line = k + 9;
	if (line[0] == '<' && strchr(line, '>') && strchr(line, '>') - line < 5)
		line = strchr(line, '>') + 1;
	if (!strncmp(line, "kern  :", 7) && strstr(line, " : "))
		line = strstr(line, " : ") + 3;
	for (;;) {
		const char *p = line, *close;

		while (*p == ' ')
			p++;
		close = strchr(p, ']');
		if (*p != '[' || !close || !strncmp(p, "[mem", 4) || !strncmp(p, "[Firmware", 9))
			return line;
		line = close + 1;
		if (*line == ' ')
			line++;
	}
}

/* A new boot, or a new copy of the table: keep only the last one. */
static void new_table(struct memmap_text_input *in)
{
	if (!in->e820.nr && !in->nr_efi)
		return;
	in->nr_tables++;
	memmap_reset(&in->e820);
	in->efi_size = in->nr_efi = 0;
	in->nr_nodes = 0;
	in->e820_line = in->efi_line = 0;
}

/* Lines that carry [mem ...] but are Linux's own edits of the table. */
static bool is_linux_edit(const char *msg)
{
	static const char *const edits[] = {
		"e820: update ",
		"e820: remove ",
		"e820 update range:",
		"e820 remove range:",
		"reserve setup_data:",
		"modified:",
		"user:",
		"e820: reserve RAM buffer",
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(edits); i++)
		if (!strncmp(msg, edits[i], strlen(edits[i])))
			return true;
	return false;
}

/*
 * "Early memory node ranges" block: "  node   1: [mem 0x...-0x...]"; before
 * Linux 3.13, "early_node_map[3] active PFN ranges": "    1: 0x100 -> 0xbfee0"
 * (page frames, end exclusive).
 */
static void parse_node_line(const char *msg, struct memmap_text_input *in)
{
	unsigned long long s, e;
	unsigned int nid;
	u64 start, size;

	if (in->nr_nodes >= ARRAY_SIZE(in->nodes))
		return;
	if (sscanf(msg, " node %u:", &nid) == 1 && parse_range(msg, "[mem 0x", &start, &size)) {
		s = start, e = start + size;
	} else if (sscanf(msg, " %u: 0x%llx -> 0x%llx", &nid, &s, &e) == 3) {
		s <<= PAGE_SHIFT, e <<= PAGE_SHIFT;
	} else {
		in->in_nodes = false;
		return;
	}
	in->nodes[in->nr_nodes].nid = nid;
	in->nodes[in->nr_nodes].start = s;
	in->nodes[in->nr_nodes].end = e;
	in->nr_nodes++;
}

static void parse_line(const char *line, unsigned int lineno, struct memmap_text_input *in)
{
	const char *msg = log_message(line), *m = msg;

	while (*m == ' ')
		m++;
	/* Indented lines continue the block. */
	if (in->in_nodes && m > msg && ((*m >= '0' && *m <= '9') || !strncmp(m, "node ", 5))) {
		parse_node_line(msg, in);
		if (in->in_nodes)
			return;
	}
	in->in_nodes = !strncmp(m, "Early memory node ranges", 24) ||
		       (!strncmp(m, "early_node_map[", 15) && strstr(m, "active PFN ranges"));
	if (!strncmp(m, "Linux version ", 14) || !strncmp(m, "BIOS-provided physical RAM map", 30))
		new_table(in);
	else if (!strncmp(m, "BIOS-e820:", 10)) {
		if (!in->e820_line)
			in->e820_line = lineno;
		if (!parse_e820_line(m + 10, in) && !in->bad_line) {
			in->bad_line = lineno;
			snprintf(in->bad, sizeof(in->bad), "%s", m);
		}
	} else if (!strncmp(m, "efi: mem", 8) && strstr(m, "range=")) {
		if (!in->efi_line)
			in->efi_line = lineno;
		if (!parse_efi_line(m, in) && !in->bad_line) {
			in->bad_line = lineno;
			snprintf(in->bad, sizeof(in->bad), "%s", m);
		}
	} else if (is_linux_edit(m)) {
		in->nr_linux_edits++;
	}
}

void memmap_text_parse(const char *text, u32 efi_desc_size, struct memmap_text_input *in)
{
	const char *line = text;
	unsigned int lineno = 0;

	memset(in, 0, sizeof(*in));
	in->efi_desc_size = efi_desc_size;
	while (line && *line) {
		const char *nl = strchr(line, '\n');
		char buf[512];
		size_t n = nl ? (size_t)(nl - line) : strlen(line);

		n = min(n, sizeof(buf) - 1);
		memcpy(buf, line, n);
		buf[n] = '\0';
		if (n && buf[n - 1] == '\r')
			buf[n - 1] = '\0';
		parse_line(buf, ++lineno, in);
		line = nl ? nl + 1 : NULL;
	}
}

void memmap_text_raw_map(const struct memmap_text_input *in, struct memmap *m)
{
	u32 i;

	memmap_reset(m);
	if (!in->e820.nr && in->nr_efi &&
	    memmap_add_efi(m, in->efi, in->efi_size, in->efi_desc_size))
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

static void render_zones(const struct memmap *m, bool machine, struct out_buf *o)
{
	static const char *const names[] = { "DMA", "DMA32", "Normal" };
	static const u64 lim[] = { ZONE_DMA_END_PFN << PAGE_SHIFT, ZONE_DMA32_END_PFN << PAGE_SHIFT,
				   ~0ull };
	u64 lo = 0;
	int z;
	u32 i;

	if (!machine)
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
		if (machine && ram)
			out(o, "zone\t%s\t0x%llx\t0x%llx\n", names[z], (unsigned long long)first,
			    (unsigned long long)last - 1);
		else if (!machine && !ram)
			out(o, "  %-8s empty\n", names[z]);
		else if (!machine)
			out(o, "  %-8s [mem 0x%016llx-0x%016llx] present %lluK, usable %lluK\n",
			    names[z], (unsigned long long)first, (unsigned long long)last - 1,
			    (unsigned long long)ram >> 10, (unsigned long long)free >> 10);
	}
}

/* The nodes as the log gave them ("Early memory node ranges"), if any. */
static void render_nodes(const struct memmap_text_input *in, bool machine, struct out_buf *o)
{
	unsigned int i;

	if (in->nr_nodes && !machine)
		out(o, "Early memory node ranges\n");
	for (i = 0; i < in->nr_nodes; i++)
		out(o,
		    machine ? "node\t%u\t0x%llx\t0x%llx\n"
			    : "  node %3u: [mem 0x%016llx-0x%016llx]\n",
		    in->nodes[i].nid, (unsigned long long)in->nodes[i].start,
		    (unsigned long long)in->nodes[i].end - 1);
}

static void render_machine(const struct memmap *m, const struct memmap_text_input *in,
			   struct out_buf *o)
{
	u32 i;

	out(o, "# tools/memmap --machine: entry/zone/node START END (inclusive, hex)\n");
	out(o, "source\t%s\t%u\n", in->e820.nr ? "e820" : "efi",
	    in->e820.nr ? in->e820_line : in->efi_line);
	for (i = 0; i < m->nr; i++)
		out(o, "entry\t0x%llx\t0x%llx\t%s\n", (unsigned long long)m->map[i].addr,
		    (unsigned long long)(m->map[i].addr + m->map[i].size - 1),
		    memmap_type_name(m->map[i].type));
	render_zones(m, true, o);
	render_nodes(in, true, o);
}

static void render(const struct memmap *m, const struct memmap_stats *st,
		   const struct memmap_text_input *in, struct out_buf *o)
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
	if (in->nr_linux_edits)
		out(o,
		    "Not applied: %u lines of Linux's own changes to the table (e820: "
		    "update/remove, "
		    "reserve setup_data:, modified:): this is the firmware's table\n",
		    in->nr_linux_edits);
	render_zones(m, false, o);
	render_nodes(in, false, o);
	out(o, "Usable: %lluK in %u ranges; kernel-held %lluK; reserved/other %lluK\n",
	    (unsigned long long)memmap_total(m, E820_TYPE_RAM) >> 10, nr_usable,
	    (unsigned long long)memmap_total(m, E820_TYPE_KERNEL) >> 10,
	    (unsigned long long)(memmap_total(m, E820_TYPE_RESERVED) +
				 memmap_total(m, E820_TYPE_ACPI) + memmap_total(m, E820_TYPE_NVS) +
				 memmap_total(m, E820_TYPE_UNUSABLE)) >>
		10);
}

enum memmap_text_status memmap_text_process(const char *text, unsigned int phys_bits,
					    u32 efi_desc_size, char *outp, size_t len,
					    unsigned int flags, struct memmap_text_input *in)
{
	static struct memmap_text_input in_static;
	static struct memmap m;
	struct memmap_stats st;
	struct out_buf o = { outp, len, 0 };

	if (len)
		outp[0] = '\0';
	if (!in)
		in = &in_static;
	memmap_text_parse(text, efi_desc_size, in);
	if (in->bad_line)
		return MEMMAP_TEXT_BAD_LINE;
	if (!in->e820.nr && !in->nr_efi)
		return MEMMAP_TEXT_NO_TABLE;
	memmap_text_raw_map(in, &m);
	memmap_normalize(&m, phys_bits, &st);
	memmap_reserve_low(&m);
	if (flags & MEMMAP_TEXT_MACHINE)
		render_machine(&m, in, &o);
	else
		render(&m, &st, in, &o);
	return MEMMAP_TEXT_OK;
}
