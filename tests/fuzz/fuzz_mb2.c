/*
 * fuzz_mb2.c - libFuzzer harness for the multiboot2 information walker
 * (boot/multiboot2/mb2.c). The unit tests are tests/host/test_mb2.c.
 *
 * Each input is a candidate information structure. It is walked twice:
 *   - mb2_parse_bounded() on the input as given (bounded by its length);
 *   - mb2_parse(), the kernel's entry without a size, on a heap copy of
 *     exactly total_size bytes when the input holds that many, so that
 *     AddressSanitizer catches any read past total_size.
 * Both must agree, return 0 or a known enum mb2_error, and on success leave
 * a boot_info whose counts fit their arrays and whose strings are
 * NUL-terminated. Seeds: tests/fuzz/corpus/mb2/ (synthetic) and
 * tests/data/mb2/ (what GRUB passed under SeaBIOS and OVMF).
 *
 * Build (from the repository root):
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
 *     -Iinclude -I. -Itests/host/include tests/fuzz/fuzz_mb2.c \
 *     boot/multiboot2/mb2.c tests/host/lib/host_printk.c -pthread -o build/fuzz/fuzz_mb2
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <boot/multiboot2/mb2.h>
#include <labyrinth/types.h>

extern bool host_log_quiet;

#define INFO_PHYS 0x100000ull

static struct boot_info bi_bounded, bi_exact;

#define CHECK(cond)                                                                 \
	do {                                                                        \
		if (!(cond)) {                                                      \
			fprintf(stderr, "fuzz_mb2: invariant failed: %s\n", #cond); \
			abort();                                                    \
		}                                                                   \
	} while (0)

static bool nul_terminated(const char *s, size_t size)
{
	return memchr(s, '\0', size) != NULL;
}

static void check_result(int err, const struct boot_info *bi, u32 total)
{
	CHECK(err <= 0 && err > -MB2_ERR_COUNT);
	if (err)
		return;
	CHECK(bi->nr_e820 <= BOOT_E820_MAX);
	CHECK(bi->nr_modules <= BOOT_MODULES_MAX);
	CHECK(nul_terminated(bi->cmdline, sizeof(bi->cmdline)));
	CHECK(nul_terminated(bi->loader_name, sizeof(bi->loader_name)));
	for (u32 i = 0; i < bi->nr_modules; i++)
		CHECK(nul_terminated(bi->modules[i].name, sizeof(bi->modules[i].name)));
	CHECK(bi->efi_map_size <= BOOT_EFI_MAP_MAX);
	if (bi->efi_desc_size)
		CHECK(bi->efi_desc_size >= sizeof(struct efi_memory_desc) &&
		      bi->efi_map_size % bi->efi_desc_size == 0);
	else
		CHECK(bi->efi_map_size == 0);
	CHECK(bi->rsdp_len <= sizeof(bi->rsdp));
	if (bi->rsdp_len)
		CHECK(bi->rsdp_phys >= INFO_PHYS + 16 &&
		      bi->rsdp_phys + bi->rsdp_len <= INFO_PHYS + total);
	CHECK(bi->boot_path == BOOT_PATH_BIOS_GRUB || bi->boot_path == BOOT_PATH_UEFI_GRUB);
	CHECK(bi->info_phys_start == INFO_PHYS && bi->info_phys_end == INFO_PHYS + total);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	host_log_quiet = true; /* the walker's pr_err lines would drown the fuzzer */
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	u32 total = 0;
	int err, err2;
	u8 *exact;

	err = mb2_parse_bounded(data, size, INFO_PHYS, &bi_bounded);
	if (size >= 4)
		memcpy(&total, data, sizeof(total));
	check_result(err, &bi_bounded, total);
	if (size < 8 || total < 8 || total > size || total > MB2_INFO_MAX)
		return 0;
	exact = malloc(total);
	CHECK(exact != NULL);
	memcpy(exact, data, total);
	err2 = mb2_parse(exact, INFO_PHYS, &bi_exact);
	free(exact);
	CHECK(err2 == err);
	if (!err)
		CHECK(!memcmp(&bi_bounded, &bi_exact, sizeof(bi_exact)));
	return 0;
}
