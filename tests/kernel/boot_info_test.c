/*
 * boot_info_test.c - KTAP suite "boot_info": checks of what the boot front-end handed over
 * (boot/boot_info.c): every boot path must deliver the same, complete
 * struct boot_info.
 */
#include <boot/boot_info.h>
#include <labyrinth/ktest.h>
#include <labyrinth/layout.h>
#include <labyrinth/string.h>

static void boot_info_header(struct ktest *t)
{
	KEXPECT_EQ(t, boot_info.magic, BOOT_INFO_MAGIC);
	KEXPECT_EQ(t, boot_info.version, BOOT_INFO_VERSION);
	KEXPECT_EQ(t, boot_info.size, sizeof(boot_info));
	KEXPECT_TRUE(t, boot_info.boot_path >= BOOT_PATH_BIOS_GRUB &&
			    boot_info.boot_path <= BOOT_PATH_UEFI_LOADER);
}

/* BIOS paths carry an e820 map; UEFI paths carry the EFI descriptors. */
static void boot_info_memory_map(struct ktest *t)
{
	if (boot_info.boot_path == BOOT_PATH_BIOS_GRUB)
		KEXPECT_TRUE(t, boot_info.nr_e820 > 0);
	else
		KEXPECT_TRUE(t, boot_info.efi_map_size >= boot_info.efi_desc_size &&
				    boot_info.efi_desc_size >= sizeof(struct efi_memory_desc));
	if (boot_info.efi_desc_size)
		KEXPECT_EQ(t, boot_info.efi_map_size % boot_info.efi_desc_size, 0);
	KEXPECT_TRUE(t, boot_info.nr_e820 <= BOOT_E820_MAX);
	KEXPECT_EQ(t, boot_info.nr_dropped, 0);
}

/* The image range comes from the linker script (arch/x86_64/kernel.ld). */
static void boot_info_kernel_image(struct ktest *t)
{
	extern char _end[];

	KEXPECT_EQ(t, boot_info.kernel_phys_start, 0x100000);
	KEXPECT_EQ(t, boot_info.kernel_phys_end, (u64)(uintptr_t)_end - KERNEL_VMA_BASE);
	KEXPECT_TRUE(t, boot_info.kernel_phys_end > boot_info.kernel_phys_start);
}

static void boot_info_strings(struct ktest *t)
{
	KEXPECT_TRUE(t, strnlen(boot_info.cmdline, BOOT_CMDLINE_MAX) < BOOT_CMDLINE_MAX);
	KEXPECT_TRUE(t,
		     strnlen(boot_info.loader_name, BOOT_LOADER_NAME_MAX) < BOOT_LOADER_NAME_MAX);
	KEXPECT_TRUE(t, boot_info.loader_name[0] != '\0');
}

/* Every boot path under QEMU finds ACPI. */
static void boot_info_rsdp(struct ktest *t)
{
	KEXPECT_TRUE(t, boot_info.rsdp_len == 20 || boot_info.rsdp_len == 36);
	KEXPECT_TRUE(t, !memcmp(boot_info.rsdp, "RSD PTR ", 8));
	KEXPECT_NE(t, boot_info.rsdp_phys, 0);
}

KTEST_SUITE(boot_info, KTEST_ORDER_BOOT_INFO, KTEST_CASE(boot_info_header),
	    KTEST_CASE(boot_info_memory_map), KTEST_CASE(boot_info_kernel_image),
	    KTEST_CASE(boot_info_strings), KTEST_CASE(boot_info_rsdp));
