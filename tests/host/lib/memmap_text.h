/*
 * memmap_text.h - memory maps as text, the way Linux prints them in dmesg,
 * in and out (tests/host/lib/memmap_text.c). Used by tools/memmap and by the
 * golden corpus test (tests/host/test_memmap_corpus.c, tests/data/memmaps/).
 *
 * Input: a whole kernel log (dmesg, dmesg -T/-x/-r, journalctl -k, a syslog
 * file: the prefixes are dropped) or just the table's lines. The firmware
 * table is found by its own lines, whatever else the log holds:
 *   BIOS-e820: [mem 0x0000000000000000-0x000000000009fbff] usable      (>= 3.7)
 *   BIOS-e820: 0000000000000000 - 000000000009fc00 (usable)            (2.6 - 3.6)
 *   efi: mem07: [Conventional|   |...|WB|WT|WC|UC] range=[...] (..MB)   (efi=debug)
 *   efi: mem07: type=7, attr=0xf, range=[0x...-0x...) (..MB)           (< 3.19)
 * The e820 table is used when there is one (on x86 Linux builds it from the
 * EFI map itself); the efi: list only when there is none (through raw
 * descriptors of efi_desc_size bytes, as the kernel walks them). Linux's own
 * edits of the table ("e820: update", "e820: remove", the "reserve
 * setup_data:", "modified:" and "user:" copies) are counted, not applied:
 * the firmware's table is what is wanted here. A log of several boots
 * ("Linux version" or "BIOS-provided physical RAM map:" again) yields the
 * last boot's table. "Early memory node ranges" gives the NUMA nodes. Every
 * other line, [mem ...] or not (SRAT, zones, PCI windows, hibernation), is
 * ignored. An end below the start is how Linux prints an empty or wrapping
 * entry, and is read back as one.
 */
#ifndef TESTS_HOST_MEMMAP_TEXT_H
#define TESTS_HOST_MEMMAP_TEXT_H

#include <stddef.h>
#include <labyrinth/memmap.h>

struct memmap_text_input {
	struct memmap e820;	  /* raw e820 entries, in input order */
	u8 efi[BOOT_EFI_MAP_MAX]; /* raw EFI descriptors */
	u32 efi_size;		  /* bytes used in efi[] */
	u32 efi_desc_size;
	u32 nr_efi;
	/* What the parse found, for the tool's messages. */
	unsigned int e820_line, efi_line; /* first line of the table (1-based); 0 = none */
	unsigned int nr_tables;		  /* earlier tables dropped (earlier boots) */
	unsigned int nr_linux_edits;	  /* "e820: update"-style lines not applied */
	unsigned int bad_line;		  /* first table line not understood; 0 = none */
	char bad[512];
	struct {
		unsigned int nid;
		u64 start, end; /* end exclusive */
	} nodes[64];
	unsigned int nr_nodes;
	bool in_nodes; /* parser state: inside "Early memory node ranges" */
};

enum memmap_text_status {
	MEMMAP_TEXT_OK = 0,
	MEMMAP_TEXT_NO_TABLE = 1, /* no BIOS-e820: or efi: memNN: line at all */
	MEMMAP_TEXT_BAD_LINE = 2, /* a table line that could not be read (in->bad) */
};

#define MEMMAP_TEXT_MACHINE 1u /* tab-separated output for tools/memmap-svg.py */

/* Parses text; efi_desc_size (>= 40) is the stride of the descriptors built. */
void memmap_text_parse(const char *text, u32 efi_desc_size, struct memmap_text_input *in);
/* Builds the raw map the kernel would normalize (EFI if present, else e820). */
void memmap_text_raw_map(const struct memmap_text_input *in, struct memmap *m);
/*
 * The whole pipeline: parse, normalize (phys_bits), reserve page 0 and the
 * SMP trampoline, render the map, zones, nodes and totals into out (as text,
 * or with MEMMAP_TEXT_MACHINE one tab-separated record a line: "entry START
 * END TYPE", "zone NAME START END", "node NID START END", ends inclusive,
 * hex). in (may be NULL) receives what the parse found. Nothing is rendered
 * unless the result is MEMMAP_TEXT_OK.
 */
enum memmap_text_status memmap_text_process(const char *text, unsigned int phys_bits,
					    u32 efi_desc_size, char *out, size_t len,
					    unsigned int flags, struct memmap_text_input *in);

#endif
