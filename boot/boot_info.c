/*
 * boot_info.c - receive the boot information, whichever way we booted.
 *
 * _start64 (arch/x86_64/head64.asm) hands kmain() a magic and a physical
 * address. This file turns them into the kernel's one struct boot_info
 * (boot/boot_info.h): from multiboot2 through the tag walker
 * (boot/multiboot2/mb2.c), or by checking and copying the structure our
 * EFI loader (boot/efi/loader.c) built. After boot_info_receive() nothing
 * needs to know how the machine booted; mm/memmap.c takes it from here.
 */
#define pr_fmt(fmt) "boot: " fmt

#include <boot/boot_info.h>
#include <boot/multiboot2/mb2.h>
#include <labyrinth/printk.h>
#include <labyrinth/string.h>

struct boot_info boot_info;

extern char __kernel_phys_start[], __kernel_phys_end[];

static const char *const boot_path_names[] = {
	[BOOT_PATH_UNKNOWN] = "unknown",
	[BOOT_PATH_BIOS_GRUB] = "BIOS -> GRUB -> multiboot2",
	[BOOT_PATH_UEFI_GRUB] = "UEFI -> GRUB -> multiboot2",
	[BOOT_PATH_UEFI_LOADER] = "UEFI -> Labyrinth EFI loader",
};

const char *boot_path_name(u32 path)
{
	return path < ARRAY_SIZE(boot_path_names) ? boot_path_names[path] : "invalid";
}

/* Checks the structure our EFI loader left at info (identity-mapped). */
static const char *efi_info_invalid(const struct boot_info *bi)
{
	if (bi->version != BOOT_INFO_VERSION)
		return "unsupported boot_info version";
	if (bi->size != sizeof(struct boot_info))
		return "boot_info size does not match this kernel's";
	if (bi->boot_path != BOOT_PATH_UEFI_LOADER)
		return "boot_info does not name the EFI loader path";
	if (bi->efi_desc_size && bi->efi_desc_size < sizeof(struct efi_memory_desc))
		return "EFI descriptor size smaller than the specification's";
	if (bi->efi_map_size > BOOT_EFI_MAP_MAX || bi->nr_e820 > BOOT_E820_MAX ||
	    bi->nr_modules > BOOT_MODULES_MAX || bi->rsdp_len > sizeof(bi->rsdp))
		return "boot_info counts exceed their arrays";
	if (strnlen(bi->cmdline, BOOT_CMDLINE_MAX) == BOOT_CMDLINE_MAX)
		return "command line not NUL-terminated";
	return NULL;
}

static bool receive_efi(u64 info_phys)
{
	const struct boot_info *src = (const struct boot_info *)(uintptr_t)info_phys;
	const char *why = efi_info_invalid(src);

	if (why) {
		pr_err("rejecting the EFI loader's boot_info at %#llx: %s\n",
		       (unsigned long long)info_phys, why);
		return false;
	}
	memcpy(&boot_info, src, sizeof(boot_info));
	return true;
}

static bool receive_multiboot2(u64 info_phys)
{
	int err = mb2_parse((const void *)(uintptr_t)info_phys, info_phys, &boot_info);

	if (err) {
		pr_err("rejecting the multiboot2 information at %#llx: %s\n",
		       (unsigned long long)info_phys, mb2_strerror(err));
		return false;
	}
	return true;
}

/*
 * Fills boot_info from what the loader passed. A loader we cannot
 * understand is fatal: without a memory map there is nothing to manage.
 */
void boot_info_receive(u32 magic, u64 info_phys)
{
	bool ok;

	if (magic == MB2_BOOTLOADER_MAGIC)
		ok = receive_multiboot2(info_phys);
	else if (magic == BOOT_INFO_MAGIC)
		ok = receive_efi(info_phys);
	else
		panic("boot: unknown boot magic %#x (info at %#llx): not multiboot2, not the "
		      "Labyrinth EFI loader",
		      magic, (unsigned long long)info_phys);
	if (!ok)
		panic("boot: the boot information is malformed, see above");
	boot_info.kernel_phys_start = (u64)(uintptr_t)__kernel_phys_start;
	boot_info.kernel_phys_end = (u64)(uintptr_t)__kernel_phys_end;
	boot_info.magic = BOOT_INFO_MAGIC;
	boot_info.version = BOOT_INFO_VERSION;
	boot_info.size = sizeof(boot_info);
}

void boot_info_print(const struct boot_info *bi)
{
	pr_info("booted via %s (loader: %s)\n", boot_path_name(bi->boot_path),
		bi->loader_name[0] ? bi->loader_name : "unknown");
	pr_info("kernel image [mem %#018llx-%#018llx], boot info [mem %#018llx-%#018llx]\n",
		(unsigned long long)bi->kernel_phys_start,
		(unsigned long long)bi->kernel_phys_end - 1,
		(unsigned long long)bi->info_phys_start,
		(unsigned long long)(bi->info_phys_end ? bi->info_phys_end - 1 : 0));
	pr_info(
	    "memory map: %u e820 entries, %u bytes of EFI descriptors (size %u, version %u)%s\n",
	    bi->nr_e820, bi->efi_map_size, bi->efi_desc_size, bi->efi_desc_version,
	    bi->nr_dropped ? ", some entries dropped" : "");
	if (bi->rsdp_len)
		pr_info("ACPI: RSDP at %#llx (%u bytes, revision %u)\n",
			(unsigned long long)bi->rsdp_phys, bi->rsdp_len, bi->rsdp[15]);
	for (u32 i = 0; i < bi->nr_modules; i++)
		pr_info("module %u: [mem %#018llx-%#018llx] %s\n", i,
			(unsigned long long)bi->modules[i].start,
			(unsigned long long)bi->modules[i].end - 1, bi->modules[i].name);
}
