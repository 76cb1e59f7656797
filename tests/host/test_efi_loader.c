/*
 * test_efi_loader.c - host tests of the GNU-EFI loader's pure half
 * (boot/efi/loadlib.h): the kernel ELF checker (kelf.c), the command-line
 * conversion (options.c) and the hand-off helpers (handoff.c). The firmware
 * side, boot/efi/loader.c, is tested by booting it (tests/qemu/).
 *
 * kelf_check() gets a well-formed image shaped like arch/x86_64/kernel.ld's
 * output, then one mutation per named reason, then seeded random
 * corruption (run under ASan/UBSan: it must never read out of bounds, and
 * whatever it accepts must really be loadable).
 */
#include <string.h>

#include "host.h"
#include <boot/efi/loadlib.h>
#include <labyrinth/layout.h>

/* ---- a synthetic kernel ELF ---------------------------------------------- */

struct ehdr {
	uint8_t ident[16];
	uint16_t type, machine;
	uint32_t version;
	uint64_t entry, phoff, shoff;
	uint32_t flags;
	uint16_t ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};

struct phdr {
	uint32_t type, flags;
	uint64_t offset, vaddr, paddr, filesz, memsz, align;
};

#define IMG_SIZE 0x5000

static uint8_t img[IMG_SIZE + 1];

static struct ehdr *eh(void)
{
	return (struct ehdr *)img;
}

static struct phdr *ph(int i)
{
	return (struct phdr *)(img + 64 + 56 * i);
}

static void set_ph(int i, uint32_t flags, uint64_t off, uint64_t paddr, uint64_t filesz,
		   uint64_t memsz, bool high)
{
	*ph(i) = (struct phdr){ .type = 1,
				.flags = flags,
				.offset = off,
				.vaddr = paddr + (high ? KERNEL_VMA_BASE : 0),
				.paddr = paddr,
				.filesz = filesz,
				.memsz = memsz,
				.align = 4096 };
}

/* .boot at 1 MiB (identity), .text, .data + .bss in the higher half. */
static void make_kernel(void)
{
	static const uint8_t ident[7] = { 0x7f, 'E', 'L', 'F', 2, 1, 1 };

	memset(img, 0, sizeof(img));
	memcpy(eh()->ident, ident, sizeof(ident));
	eh()->type = 2;
	eh()->machine = 62;
	eh()->version = 1;
	eh()->entry = KERNEL_VMA_BASE + 0x101000;
	eh()->phoff = 64;
	eh()->ehsize = 64;
	eh()->phentsize = 56;
	eh()->phnum = 4;
	set_ph(0, 7, 0x1000, 0x100000, 0x100, 0x1000, false);
	set_ph(1, 5, 0x2000, 0x101000, 0x1800, 0x1800, true);
	set_ph(2, 6, 0x4000, 0x103000, 0x800, 0x5000, true);
	ph(3)->type = 4; /* PT_NOTE: ignored */
}

static const char *check(void)
{
	struct kelf_plan plan;

	return kelf_check(img, KELF_HEAD_MAX, IMG_SIZE, &plan);
}

static void expect_reason(const char *want, const char *name)
{
	const char *why = check();

	ok(why && strstr(why, want), "kelf rejects %s: %s", name, why ? why : "(accepted)");
	make_kernel();
}

static void test_kelf_good(void)
{
	struct kelf_plan plan;
	const char *why;

	make_kernel();
	why = kelf_check(img, KELF_HEAD_MAX, IMG_SIZE, &plan);
	ok(why == NULL, "kelf accepts a kernel.ld-shaped image (%s)", why ? why : "ok");
	is_u64(plan.nr_segments, 3, "three PT_LOAD segments, PT_NOTE skipped");
	is_u64(plan.entry, KERNEL_VMA_BASE + 0x101000, "entry is e_entry");
	is_u64(plan.span_start, 0x100000, "span starts at the lowest paddr");
	is_u64(plan.span_end, 0x108000, "span ends page-rounded after .bss");
	is_u64(plan.seg[2].memsz, 0x5000, "memsz kept for zeroing");
	/* unaligned buffer and a short head that still holds the headers */
	memmove(img + 1, img, IMG_SIZE);
	why = kelf_check(img + 1, 64 + 56 * 4, IMG_SIZE, &plan);
	ok(why == NULL, "kelf reads an unaligned buffer with just the headers");
	make_kernel();
}

static void test_kelf_header_reasons(void)
{
	struct kelf_plan plan;

	make_kernel();
	ok(kelf_check(img, 63, 63, &plan) != NULL, "kelf rejects a 63-byte file");
	img[1] = 'X';
	expect_reason("magic", "bad magic");
	img[4] = 1;
	expect_reason("ELFCLASS64", "ELFCLASS32");
	img[5] = 2;
	expect_reason("little-endian", "big-endian");
	eh()->version = 2;
	expect_reason("version", "bad e_version");
	eh()->type = 3;
	expect_reason("ET_EXEC", "ET_DYN");
	eh()->machine = 3;
	expect_reason("x86_64", "EM_386");
	eh()->phentsize = 32;
	expect_reason("e_phentsize", "short phentsize");
	eh()->phnum = 0;
	expect_reason("no program headers", "phnum 0");
	eh()->phnum = 0xffff;
	expect_reason("too many program headers", "phnum 0xffff");
	eh()->phoff = IMG_SIZE - 100;
	expect_reason("beyond the end of the file", "phdrs past EOF");
	eh()->phoff = ~0ull - 10;
	expect_reason("beyond the end of the file", "phoff overflow");
	eh()->phoff = KELF_HEAD_MAX;
	expect_reason("not within the first", "phdrs past the head");
}

static void test_kelf_segment_reasons(void)
{
	make_kernel();
	ph(1)->memsz = ph(1)->filesz - 1;
	expect_reason("memsz smaller", "memsz < filesz");
	ph(1)->filesz = IMG_SIZE;
	ph(1)->memsz = IMG_SIZE;
	expect_reason("beyond the end of the file", "data past EOF");
	ph(1)->offset = ~0ull - 0x100;
	expect_reason("beyond the end of the file", "offset overflow");
	ph(1)->paddr = ~0ull - 0x100;
	ph(1)->vaddr = ph(1)->paddr;
	expect_reason("overflows", "paddr + memsz wraps");
	set_ph(0, 7, 0x1000, 0, 0x100, 0x1000, false);
	expect_reason("page zero", "segment at 0");
	ph(1)->vaddr = 0xffff800000101000ull;
	expect_reason("neither", "unrelated vaddr");
	set_ph(2, 6, 0x4000, (1ull << 30) - 0x1000, 0x800, 0x2000, true);
	expect_reason("first 1 GiB", "high segment past 1 GiB");
	set_ph(0, 7, 0x1000, 64ull << 30, 0x100, 0x1000, false);
	expect_reason("beyond the boot page tables", "identity segment past 64 GiB");
	set_ph(2, 6, 0x4000, 0x101800, 0x800, 0x1000, true);
	expect_reason("overlap", "overlapping segments");
	eh()->entry = KERNEL_VMA_BASE + 0x103000;
	expect_reason("entry point", "entry in a non-executable segment");
	eh()->entry = 0x42;
	expect_reason("entry point", "entry outside every segment");
	for (int i = 0; i < 4; i++)
		ph(i)->type = 4;
	expect_reason("no loadable", "no PT_LOAD");
	set_ph(0, 7, 0x1000, 0x100000, 0x100, 0x1000, false);
	set_ph(2, 6, 0x4000, 0x40000000 - 0x1000, 0x800, 0x1000, true);
	ph(2)->vaddr = ph(2)->paddr; /* identity, but span 1 MiB .. 1 GiB */
	set_ph(3, 6, 0x4000, 0x40100000, 0x0, 0x1000, false);
	expect_reason("more than 1 GiB", "span over 1 GiB");
}

static void test_kelf_many_segments(void)
{
	make_kernel();
	eh()->phnum = KELF_MAX_SEGMENTS + 1;
	for (int i = 0; i < KELF_MAX_SEGMENTS + 1; i++)
		set_ph(i, 5, 0x2000, 0x101000 + 0x1000 * i, 0x10, 0x10, true);
	eh()->entry = KERNEL_VMA_BASE + 0x101000;
	expect_reason("too many PT_LOAD", "17 PT_LOAD segments");
}

/* Whatever survives random corruption must be safe to load. */
static bool plan_sane(const struct kelf_plan *p, uint64_t size)
{
	for (uint32_t i = 0; i < p->nr_segments; i++) {
		const struct kelf_segment *s = &p->seg[i];

		if (s->memsz < s->filesz || s->offset > size || s->filesz > size - s->offset)
			return false;
		if (s->paddr < p->span_start || s->paddr + s->memsz > p->span_end)
			return false;
	}
	return p->nr_segments > 0 && p->span_end - p->span_start <= KELF_MAX_SPAN;
}

static void test_kelf_random(uint64_t seed)
{
	unsigned int accepted = 0, insane = 0;

	srandom((unsigned int)seed);
	for (int round = 0; round < 20000; round++) {
		struct kelf_plan plan;
		uint64_t size = IMG_SIZE - (random() % 2 ? random() % IMG_SIZE : 0);

		make_kernel();
		for (int n = 1 + random() % 4; n; n--)
			img[random() % (64 + 56 * 4)] ^= (uint8_t)(1u << (random() % 8));
		if (!kelf_check(img, size < KELF_HEAD_MAX ? size : KELF_HEAD_MAX, size, &plan)) {
			accepted++;
			insane += !plan_sane(&plan, size);
		}
	}
	ok(insane == 0,
	   "kelf: every randomly corrupted image it accepted is loadable "
	   "(%u accepted of 20000)",
	   accepted);
}

/* ---- the command line ----------------------------------------------------- */

static uint16_t ucs[512];

static size_t to_ucs2(const char *s, bool nul)
{
	size_t n = strlen(s);

	for (size_t i = 0; i < n; i++)
		ucs[i] = (uint8_t)s[i];
	ucs[n] = 0;
	return 2 * (n + (nul ? 1 : 0));
}

/* The input with tabs and line breaks visible, for a one-line TAP name. */
static const char *show(const char *in)
{
	static char buf[256];
	size_t n = 0;

	for (; *in && n + 3 < sizeof(buf); in++) {
		const char *esc = *in == '\t'	? "\\t"
				  : *in == '\r' ? "\\r"
				  : *in == '\n' ? "\\n"
						: NULL;

		if (esc) {
			memcpy(buf + n, esc, 2);
			n += 2;
		} else {
			buf[n++] = *in;
		}
	}
	buf[n] = '\0';
	return buf;
}

static void expect_ucs2(const char *in, const char *want, enum opts_result r)
{
	char out[BOOT_CMDLINE_MAX];
	enum opts_result got = opts_from_ucs2(ucs, to_ucs2(in, true), out, sizeof(out));

	ok(got == r && !strcmp(out, want), "load options \"%s\" -> \"%s\" (%s; got \"%s\", %s)",
	   show(in), want, opts_result_name(r), out, opts_result_name(got));
}

static void test_options_ucs2(void)
{
	char out[16];
	uint8_t odd[64];
	size_t n;

	expect_ucs2("\\lab.efi test=shell mem=64M", "test=shell mem=64M", OPTS_OK);
	expect_ucs2("fs0:\\EFI\\BOOT\\BOOTX64.EFI a=b", "a=b", OPTS_OK);
	expect_ucs2("BOOTX64.EFI  test=fault", "test=fault", OPTS_OK);
	expect_ucs2("test=fault loglevel=7", "test=fault loglevel=7", OPTS_OK);
	expect_ucs2("path=\\x quiet", "path=\\x quiet", OPTS_OK);
	expect_ucs2("  a=1\tb=2\r\n", "a=1 b=2", OPTS_OK);
	expect_ucs2("\\lab.efi", "", OPTS_EMPTY);
	expect_ucs2("", "", OPTS_EMPTY);
	expect_ucs2("quiet", "quiet", OPTS_OK);
	ok(opts_from_ucs2(NULL, 0, out, sizeof(out)) == OPTS_EMPTY && !out[0],
	   "no load options -> empty");
	/* a GUID, as firmware boot managers pass for auto-created options */
	memcpy(ucs, "\x3c\x2d\x6f\x1b\x9a\x77\x11\x4a\x81\x92\x00\x05\xa0\xff\x1e\x9c", 16);
	ok(opts_from_ucs2(ucs, 16, out, sizeof(out)) == OPTS_NOT_TEXT && !out[0],
	   "binary load options (a GUID) -> not text, empty");
	n = to_ucs2("a=1 b=2", false);
	ok(opts_from_ucs2(ucs, n, out, sizeof(out)) == OPTS_OK && !strcmp(out, "a=1 b=2"),
	   "load options without a NUL stop at LoadOptionsSize");
	to_ucs2("a=1\0", true);
	ucs[3] = 0;
	ucs[4] = 'z';
	ok(opts_from_ucs2(ucs, 10, out, sizeof(out)) == OPTS_OK && !strcmp(out, "a=1"),
	   "load options end at the first NUL");
	n = to_ucs2("abc=def ghi", false);
	memcpy(odd + 1, ucs, n);
	ok(opts_from_ucs2(odd + 1, n - 1, out, sizeof(out)) == OPTS_OK &&
	       !strcmp(out, "abc=def gh"),
	   "unaligned, odd-sized load options: whole characters only");
	to_ucs2("0123456789abcdefXYZ", true);
	ok(opts_from_ucs2(ucs, 40, out, 8) == OPTS_TRUNCATED && !strcmp(out, "0123456"),
	   "long load options truncate to outsz - 1");
	ucs[0] = 0x00e9;
	ok(opts_from_ucs2(ucs, 40, out, 8) == OPTS_NOT_TEXT, "non-ASCII load options -> not text");
}

static void test_options_ascii(void)
{
	char out[BOOT_CMDLINE_MAX];

	ok(opts_from_ascii("test=fault\r\n", 12, out, sizeof(out)) == OPTS_OK &&
	       !strcmp(out, "test=fault"),
	   "cmdline.txt with CRLF");
	ok(opts_from_ascii("a=1\nb=2\n", 8, out, sizeof(out)) == OPTS_OK && !strcmp(out, "a=1 b=2"),
	   "cmdline.txt lines join with spaces");
	ok(opts_from_ascii("x.efi a=1", 9, out, sizeof(out)) == OPTS_OK &&
	       !strcmp(out, "x.efi a=1"),
	   "cmdline.txt: no image path is stripped");
	ok(opts_from_ascii("\n\n", 2, out, sizeof(out)) == OPTS_EMPTY && !out[0],
	   "blank cmdline.txt -> empty");
	ok(opts_from_ascii("a\x01", 2, out, sizeof(out)) == OPTS_NOT_TEXT,
	   "control byte -> not text");
	ok(opts_from_ascii("\xef\xbb\xbf"
			   "a=1",
			   6, out, sizeof(out)) == OPTS_NOT_TEXT,
	   "UTF-8 BOM -> not text");
	ok(opts_from_ascii("abc", 3, out, 0) == OPTS_TRUNCATED, "outsz 0 is truncation");
	ok(!strcmp(opts_result_name(OPTS_NOT_TEXT), "not printable ASCII text"), "result names");
}

/* ---- page tables and the memory map ---------------------------------------- */

#define PT_PHYS 0x5000000ull

static uint8_t *pt_mem;

/* Walk the tables as the CPU would; false if not mapped. */
static bool translate(uint64_t cr3, uint64_t va, uint64_t *pa)
{
	uint64_t table = cr3;

	for (int level = 3; level >= 0; level--) {
		uint64_t *t = (uint64_t *)(pt_mem + (table - PT_PHYS));
		uint64_t e = t[(va >> (12 + 9 * level)) & 511];

		if (!(e & 1) || !(e & 2))
			return false;
		if (level == 1 && (e & 0x80)) {
			*pa = (e & 0x000fffffffe00000ull) | (va & 0x1fffff);
			return true;
		}
		if (level <= 1 || (e & 0x80))
			return false; /* only 2 MiB leaves are expected */
		table = e & 0x000ffffffffff000ull;
		if (table < PT_PHYS || table >= PT_PHYS + BOOT_PT_PAGES * 4096ull)
			return false;
	}
	return false;
}

static void expect_map(uint64_t cr3, uint64_t va, bool mapped, uint64_t want)
{
	uint64_t pa = ~0ull;
	bool got = translate(cr3, va, &pa);

	ok(got == mapped && (!mapped || pa == want), "page tables: 0x%016" PRIx64 " -> %s", va,
	   mapped ? "mapped as expected" : "unmapped");
}

static void test_page_tables(void)
{
	uint64_t cr3;

	pt_mem = aligned_alloc(4096, BOOT_PT_PAGES * 4096);
	memset(pt_mem, 0xa5, BOOT_PT_PAGES * 4096);
	cr3 = boot_pt_build(pt_mem, PT_PHYS);
	is_u64(cr3, PT_PHYS, "CR3 is the first page");
	expect_map(cr3, 0, true, 0);
	expect_map(cr3, 0x100000, true, 0x100000);
	expect_map(cr3, 0xfee00000, true, 0xfee00000);
	expect_map(cr3, 0x123456789ull, true, 0x123456789ull);
	expect_map(cr3, (64ull << 30) - 1, true, (64ull << 30) - 1);
	expect_map(cr3, 64ull << 30, false, 0);
	expect_map(cr3, KERNEL_VMA_BASE + 0x101234, true, 0x101234);
	expect_map(cr3, KERNEL_VMA_BASE + (1ull << 30) - 1, true, (1ull << 30) - 1);
	expect_map(cr3, KERNEL_VMA_BASE + (1ull << 30), false, 0);
	expect_map(cr3, DIRECT_MAP_BASE, false, 0);
	free(pt_mem);
}

static void fill_descs(uint8_t *map, size_t n, size_t dsize)
{
	for (size_t i = 0; i < n * dsize; i++)
		map[i] = (uint8_t)(i * 7 + 3);
}

static void test_map_pack(void)
{
	static struct boot_info bi;
	static uint8_t map[48 * 1000];

	fill_descs(map, 1000, 48);
	memset(&bi, 0, sizeof(bi));
	efi_map_pack(&bi, map, 48 * 10, 48, 1);
	ok(bi.efi_map_size == 480 && bi.efi_desc_size == 48 && bi.efi_desc_version == 1 &&
	       bi.nr_dropped == 0 && !memcmp(bi.efi_map, map, 480),
	   "map pack: 10 descriptors of 48 bytes copied whole");
	memset(&bi, 0, sizeof(bi));
	efi_map_pack(&bi, map, sizeof(map), 48, 1);
	ok(bi.efi_map_size == (BOOT_EFI_MAP_MAX / 48) * 48 &&
	       bi.nr_dropped == 1000 - BOOT_EFI_MAP_MAX / 48 &&
	       !memcmp(bi.efi_map, map, bi.efi_map_size),
	   "map pack: an oversized map keeps what fits, counts the rest (%u dropped)",
	   bi.nr_dropped);
	memset(&bi, 0, sizeof(bi));
	efi_map_pack(&bi, map, 48 * 10 + 20, 48, 1);
	ok(bi.efi_map_size == 480 && bi.nr_dropped == 0, "map pack: a partial tail is ignored");
	memset(&bi, 0, sizeof(bi));
	efi_map_pack(&bi, map, 480, 24, 1);
	ok(bi.efi_desc_size == 0 && bi.efi_map_size == 0 && bi.nr_dropped == 20,
	   "map pack: descriptor size below 40 stores nothing, drops all");
	memset(&bi, 0, sizeof(bi));
	efi_map_pack(&bi, map, 480, 0, 1);
	ok(bi.efi_desc_size == 0 && bi.efi_map_size == 0 && bi.nr_dropped == 0,
	   "map pack: descriptor size 0 stores nothing");
}

int main(int argc, char **argv)
{
	uint64_t seed = test_seed(argc, argv);

	test_kelf_good();
	test_kelf_header_reasons();
	test_kelf_segment_reasons();
	test_kelf_many_segments();
	test_kelf_random(seed);
	test_options_ucs2();
	test_options_ascii();
	test_page_tables();
	test_map_pack();
	return done_testing();
}
