/*
 * memmap_text.h - memory maps as text, the way Linux prints them in dmesg,
 * in and out (tests/host/lib/memmap_text.c). Used by tools/memmap and by the
 * golden corpus test (tests/host/test_memmap_corpus.c, tests/data/memmaps/).
 *
 * Input lines understood (anything else is ignored, timestamps included):
 *   BIOS-e820: [mem 0x0000000000000000-0x000000000009fbff] usable
 *   efi: mem07: [Conventional|   |  |  |  |  |  |  |  |  |   |WB|WT|WC|UC] range=[...] (..MB)
 * An end below the start is how Linux prints an empty or wrapping entry,
 * and is read back as one. If any efi: line is present the EFI map is used
 * (through raw descriptors of efi_desc_size bytes, as the kernel walks
 * them), else the e820 lines.
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
};

/* Parses text; efi_desc_size (>= 40) is the stride of the descriptors built. */
void memmap_text_parse(const char *text, u32 efi_desc_size, struct memmap_text_input *in);
/* Builds the raw map the kernel would normalize (EFI if present, else e820). */
void memmap_text_raw_map(const struct memmap_text_input *in, struct memmap *m);
/* The whole pipeline: parse, normalize (phys_bits), reserve page 0 and the
 * SMP trampoline, render the map, zones and totals into out. */
size_t memmap_text_process(const char *text, unsigned int phys_bits, u32 efi_desc_size, char *out,
			   size_t len);

#endif
