/*
 * loader.c - Labyrinth's own UEFI boot path: a GNU-EFI application
 * (\EFI\BOOT\BOOTX64.EFI) that loads \labyrinth.elf and enters it.
 *
 * In order: open the volume we were loaded from; read and check the kernel
 * ELF's headers (boot/efi/kelf.c) and read each PT_LOAD straight to its
 * physical address (AllocateAddress: the kernel must not land on something
 * else); find the ACPI RSDP in the configuration table; take the command
 * line from our load options, else from \cmdline.txt (boot/efi/options.c);
 * build struct boot_info (boot/boot_info.h) and the boot page tables
 * (boot/efi/handoff.c) below 4 GiB; then GetMemoryMap + ExitBootServices,
 * retrying on a stale map key; copy the final map into boot_info, load CR3
 * and jump to the kernel's _start64 (arch/x86_64/head64.asm) with
 * RDI = BOOT_INFO_MAGIC, RSI = &boot_info.
 *
 * Progress goes through Print (OVMF copies it to the serial console), each
 * line prefixed "labyrinth-efi: ". Nothing is printed through the firmware
 * after the first ExitBootServices call: a failure there is reported on
 * COM1 directly. The other boot paths: boot/multiboot2/ (GRUB).
 */
#include <efi.h>
#include <efilib.h>

#include <boot/efi/loadlib.h>

#define LOG(fmt, ...) Print(L"labyrinth-efi: " fmt L"\n", ##__VA_ARGS__)

#define KERNEL_PATH L"\\labyrinth.elf"
#define CMDLINE_PATH L"\\cmdline.txt"
#define CMDLINE_FILE_MAX (64 * 1024)
#define LOW_4G_LIMIT 0xffffffffull
#define STACK_PAGES 4	   /* our own stack for the jump, after the page tables */
#define MAP_SLACK_DESCS 32 /* room for the map to grow before ExitBootServices */
#define EXIT_TRIES 8

struct loader {
	EFI_HANDLE image;
	EFI_LOADED_IMAGE *li;
	EFI_FILE_HANDLE root;
	struct kelf_plan plan;
	struct boot_info *bi;
	u64 bi_pages;
	u64 cr3;
	u64 stack_top;
	void *map;
	UINTN map_cap;
};

static const char *const efi_type_names[] = {
	"Reserved",
	"LoaderCode",
	"LoaderData",
	"BootServicesCode",
	"BootServicesData",
	"RuntimeServicesCode",
	"RuntimeServicesData",
	"ConventionalMemory",
	"UnusableMemory",
	"ACPIReclaimMemory",
	"ACPIMemoryNVS",
	"MemoryMappedIO",
	"MemoryMappedIOPortSpace",
	"PalCode",
	"PersistentMemory",
};

static const char *efi_type_name(u32 type)
{
	if (type < sizeof(efi_type_names) / sizeof(efi_type_names[0]))
		return efi_type_names[type];
	return "(unknown type)";
}

/* ---- files --------------------------------------------------------------- */

static EFI_STATUS open_root(struct loader *ld)
{
	EFI_FILE_IO_INTERFACE *fs;
	EFI_STATUS st;

	st = BS->HandleProtocol(ld->image, &gEfiLoadedImageProtocolGuid, (void **)&ld->li);
	if (EFI_ERROR(st)) {
		LOG("error: no LoadedImage protocol on our image handle: %r", st);
		return st;
	}
	st = BS->HandleProtocol(ld->li->DeviceHandle, &gEfiSimpleFileSystemProtocolGuid,
				(void **)&fs);
	if (EFI_ERROR(st)) {
		LOG("error: the device we were loaded from has no file system: %r", st);
		return st;
	}
	st = fs->OpenVolume(fs, &ld->root);
	if (EFI_ERROR(st))
		LOG("error: cannot open the boot volume: %r", st);
	return st;
}

static EFI_STATUS file_size(EFI_FILE_HANDLE f, u64 *size)
{
	EFI_FILE_INFO *info = LibFileInfo(f);

	if (!info)
		return EFI_DEVICE_ERROR;
	*size = info->FileSize;
	FreePool(info);
	return EFI_SUCCESS;
}

/* Read exactly `len` bytes at `pos`; a short read is an error. */
static EFI_STATUS read_at(EFI_FILE_HANDLE f, u64 pos, void *buf, u64 len)
{
	EFI_STATUS st = f->SetPosition(f, pos);
	UINTN n = len;

	if (EFI_ERROR(st))
		return st;
	st = f->Read(f, &n, buf);
	if (!EFI_ERROR(st) && n != len)
		st = EFI_END_OF_FILE;
	return st;
}

/* ---- the kernel image ----------------------------------------------------- */

/* Say who holds [start, end) when AllocateAddress refused it. */
static void report_conflicts(u64 start, u64 end)
{
	UINTN n, key, dsize;
	UINT32 dver;
	u8 *map = (u8 *)LibMemoryMap(&n, &key, &dsize, &dver);
	UINTN i;

	if (!map)
		return;
	for (i = 0; i < n; i++) {
		EFI_MEMORY_DESCRIPTOR *d = (EFI_MEMORY_DESCRIPTOR *)(map + i * dsize);
		u64 d_end = d->PhysicalStart + d->NumberOfPages * EFI_PAGE_SIZE_4K;

		if (d->PhysicalStart < end && start < d_end && d->Type != EfiConventionalMemory)
			LOG("  [mem 0x%016lx-0x%016lx] is %a", d->PhysicalStart, d_end - 1,
			    efi_type_name(d->Type));
	}
	FreePool(map);
}

static EFI_STATUS alloc_kernel_span(const struct kelf_plan *plan)
{
	EFI_PHYSICAL_ADDRESS addr = plan->span_start;
	u64 pages = (plan->span_end - plan->span_start) / EFI_PAGE_SIZE_4K;
	EFI_STATUS st;

	st = BS->AllocatePages(AllocateAddress, EfiLoaderData, pages, &addr);
	if (EFI_ERROR(st)) {
		LOG("error: cannot load the kernel at [mem 0x%016lx-0x%016lx] (%ld pages): %r",
		    plan->span_start, plan->span_end - 1, pages, st);
		LOG("error: that range is not free; the firmware's map there:");
		report_conflicts(plan->span_start, plan->span_end);
		return st;
	}
	ZeroMem((void *)plan->span_start, plan->span_end - plan->span_start);
	return EFI_SUCCESS;
}

static EFI_STATUS read_segments(EFI_FILE_HANDLE f, const struct kelf_plan *plan)
{
	u32 i;

	for (i = 0; i < plan->nr_segments; i++) {
		const struct kelf_segment *s = &plan->seg[i];
		EFI_STATUS st;

		LOG("segment %d: [mem 0x%016lx-0x%016lx] at 0x%lx, %ld bytes from the file, %c%c%c",
		    i, s->paddr, s->paddr + s->memsz - 1, s->vaddr, s->filesz,
		    s->flags & 4 ? 'r' : '-', s->flags & 2 ? 'w' : '-', s->flags & 1 ? 'x' : '-');
		if (!s->filesz)
			continue;
		st = read_at(f, s->offset, (void *)s->paddr, s->filesz);
		if (EFI_ERROR(st)) {
			LOG("error: reading segment %d of the kernel: %r", i, st);
			return st;
		}
	}
	return EFI_SUCCESS;
}

static EFI_STATUS check_and_load(struct loader *ld, EFI_FILE_HANDLE f)
{
	static u8 head[KELF_HEAD_MAX];
	u64 size, head_len;
	const char *why;
	EFI_STATUS st;

	st = file_size(f, &size);
	if (EFI_ERROR(st)) {
		LOG("error: cannot get the size of \\labyrinth.elf: %r", st);
		return st;
	}
	head_len = size < KELF_HEAD_MAX ? size : KELF_HEAD_MAX;
	st = read_at(f, 0, head, head_len);
	if (EFI_ERROR(st)) {
		LOG("error: cannot read the ELF header of \\labyrinth.elf: %r", st);
		return st;
	}
	why = kelf_check(head, head_len, size, &ld->plan);
	if (why) {
		LOG("error: \\labyrinth.elf is not a loadable kernel: %a", why);
		return EFI_LOAD_ERROR;
	}
	LOG("\\labyrinth.elf: %ld bytes, %d PT_LOAD segments, entry 0x%lx", size,
	    ld->plan.nr_segments, ld->plan.entry);
	st = alloc_kernel_span(&ld->plan);
	return EFI_ERROR(st) ? st : read_segments(f, &ld->plan);
}

static EFI_STATUS load_kernel(struct loader *ld)
{
	EFI_FILE_HANDLE f;
	EFI_STATUS st;

	st = ld->root->Open(ld->root, &f, KERNEL_PATH, EFI_FILE_MODE_READ, 0);
	if (EFI_ERROR(st)) {
		LOG("error: cannot open \\labyrinth.elf on the boot volume: %r", st);
		return st;
	}
	st = check_and_load(ld, f);
	f->Close(f);
	if (!EFI_ERROR(st))
		LOG("kernel loaded at [mem 0x%016lx-0x%016lx]", ld->plan.span_start,
		    ld->plan.span_end - 1);
	return st;
}

/* ---- boot_info: RSDP, command line --------------------------------------- */

static void *find_config_table(EFI_GUID guid)
{
	UINTN i;

	for (i = 0; i < ST->NumberOfTableEntries; i++)
		if (!CompareGuid(&ST->ConfigurationTable[i].VendorGuid, &guid))
			return ST->ConfigurationTable[i].VendorTable;
	return NULL;
}

static void find_rsdp(struct boot_info *bi)
{
	const u8 *rsdp = find_config_table((EFI_GUID)ACPI_20_TABLE_GUID);
	u32 len = 36;

	if (!rsdp || rsdp[15] < 2) { /* revision 0 means ACPI 1.0: 20 bytes */
		rsdp = rsdp ? rsdp : find_config_table((EFI_GUID)ACPI_TABLE_GUID);
		len = 20;
	}
	if (!rsdp) {
		LOG("warning: no ACPI RSDP in the configuration table");
		return;
	}
	if (CompareMem((void *)rsdp, "RSD PTR ", 8)) {
		LOG("warning: ACPI table at 0x%lx has no \"RSD PTR \" signature; ignored",
		    (u64)rsdp);
		return;
	}
	CopyMem(bi->rsdp, (void *)rsdp, len);
	bi->rsdp_phys = (u64)rsdp;
	bi->rsdp_len = len;
	LOG("ACPI RSDP at 0x%lx, revision %d (%d bytes)", bi->rsdp_phys, rsdp[15], len);
}

/* \cmdline.txt on the boot volume, if there is one. */
static enum opts_result cmdline_from_file(struct loader *ld)
{
	enum opts_result r = OPTS_EMPTY;
	EFI_FILE_HANDLE f;
	u64 size;
	void *buf;

	if (EFI_ERROR(ld->root->Open(ld->root, &f, CMDLINE_PATH, EFI_FILE_MODE_READ, 0)))
		return OPTS_EMPTY;
	if (!EFI_ERROR(file_size(f, &size)) && size <= CMDLINE_FILE_MAX &&
	    (buf = AllocatePool(size + 1)) != NULL) {
		if (!EFI_ERROR(read_at(f, 0, buf, size)))
			r = opts_from_ascii(buf, size, ld->bi->cmdline, BOOT_CMDLINE_MAX);
		FreePool(buf);
	} else {
		LOG("warning: \\cmdline.txt unreadable or larger than %d bytes; ignored",
		    CMDLINE_FILE_MAX);
	}
	f->Close(f);
	LOG("\\cmdline.txt: %a", opts_result_name(r));
	return r;
}

static void get_cmdline(struct loader *ld)
{
	char *out = ld->bi->cmdline;
	const char *source = "load options";
	enum opts_result r;

	r = opts_from_ucs2(ld->li->LoadOptions, ld->li->LoadOptionsSize, out, BOOT_CMDLINE_MAX);
	LOG("load options: %d bytes, %a", ld->li->LoadOptionsSize, opts_result_name(r));
	if (r != OPTS_OK && r != OPTS_TRUNCATED) {
		source = "\\cmdline.txt";
		r = cmdline_from_file(ld);
		if (r != OPTS_OK && r != OPTS_TRUNCATED) {
			out[0] = '\0';
			source = "none";
		}
	}
	if (r == OPTS_TRUNCATED)
		LOG("warning: command line truncated to %d characters", BOOT_CMDLINE_MAX - 1);
	LOG("command line (from %a): \"%a\"", source, out);
}

/* ---- the hand-off area ----------------------------------------------------- */

static EFI_STATUS alloc_low(u64 pages, EFI_MEMORY_TYPE type, const char *what, u64 *phys)
{
	EFI_PHYSICAL_ADDRESS addr = LOW_4G_LIMIT;
	EFI_STATUS st = BS->AllocatePages(AllocateMaxAddress, type, pages, &addr);

	if (EFI_ERROR(st)) {
		LOG("error: cannot allocate %ld pages below 4 GiB for %a: %r", pages, what, st);
		return st;
	}
	ZeroMem((void *)addr, pages * EFI_PAGE_SIZE_4K);
	*phys = addr;
	return EFI_SUCCESS;
}

static void fill_boot_info(struct loader *ld, u64 bi_phys)
{
	struct boot_info *bi = ld->bi;

	bi->magic = BOOT_INFO_MAGIC;
	bi->version = BOOT_INFO_VERSION;
	bi->size = sizeof(*bi);
	bi->boot_path = BOOT_PATH_UEFI_LOADER;
	CopyMem(bi->loader_name, "Labyrinth GNU-EFI loader", sizeof("Labyrinth GNU-EFI loader"));
	bi->efi_system_table = (u64)ST;
	bi->kernel_phys_start = ld->plan.span_start;
	bi->kernel_phys_end = ld->plan.span_end;
	bi->info_phys_start = bi_phys;
	bi->info_phys_end = bi_phys + ld->bi_pages * EFI_PAGE_SIZE_4K;
}

/*
 * One allocation holds everything the kernel still uses at entry: boot_info,
 * then the boot page tables (CR3 points here until vm_init() switches), then
 * the stack we jump on. [info_phys_start, info_phys_end) covers all of it, so
 * mm/memmap.c keeps it reserved although EFI calls it LoaderData.
 */
static EFI_STATUS setup_handoff(struct loader *ld)
{
	u64 bi_phys, pt_phys, pt_pages = BOOT_PT_PAGES + STACK_PAGES;
	EFI_STATUS st;

	ld->bi_pages = (sizeof(struct boot_info) + EFI_PAGE_SIZE_4K - 1) / EFI_PAGE_SIZE_4K;
	st = alloc_low(ld->bi_pages + pt_pages, EfiLoaderData, "the hand-off area", &bi_phys);
	if (EFI_ERROR(st))
		return st;
	ld->bi = (struct boot_info *)bi_phys;
	fill_boot_info(ld, bi_phys);
	ld->bi->info_phys_end += pt_pages * EFI_PAGE_SIZE_4K;
	pt_phys = bi_phys + ld->bi_pages * EFI_PAGE_SIZE_4K;
	ld->cr3 = boot_pt_build((void *)pt_phys, pt_phys);
	ld->stack_top = pt_phys + pt_pages * EFI_PAGE_SIZE_4K;
	LOG("boot_info at 0x%lx (%ld bytes), page tables at 0x%lx (identity [0, %d GiB))", bi_phys,
	    (u64)sizeof(struct boot_info), pt_phys, BOOT_PT_IDENTITY_GIB);
	return EFI_SUCCESS;
}

/* ---- leaving the firmware -------------------------------------------------- */

/* A buffer for the final map, with slack: nothing may be allocated later. */
static EFI_STATUS alloc_map_buffer(struct loader *ld)
{
	UINTN size = 0, key, dsize = 0;
	UINT32 dver;
	u64 phys, pages;
	EFI_STATUS st;

	st = BS->GetMemoryMap(&size, NULL, &key, &dsize, &dver);
	if (st != EFI_BUFFER_TOO_SMALL || !dsize) {
		LOG("error: GetMemoryMap did not report its size: %r", st);
		return EFI_ERROR(st) ? st : EFI_DEVICE_ERROR;
	}
	pages = (size + MAP_SLACK_DESCS * dsize + EFI_PAGE_SIZE_4K - 1) / EFI_PAGE_SIZE_4K;
	st = alloc_low(pages, EfiBootServicesData, "the memory map", &phys);
	if (EFI_ERROR(st))
		return st;
	ld->map = (void *)phys;
	ld->map_cap = pages * EFI_PAGE_SIZE_4K;
	LOG("memory map: %ld bytes now, descriptor size %ld; buffer %ld bytes", size, dsize,
	    ld->map_cap);
	return EFI_SUCCESS;
}

/* The CPU must still find this code once our page tables are in CR3. */
static EFI_STATUS check_reachable(void)
{
	u64 limit = (u64)BOOT_PT_IDENTITY_GIB << 30;
	u64 code = (u64)&check_reachable, stack = (u64)&limit;

	if (code < limit && stack < limit)
		return EFI_SUCCESS;
	LOG("error: the loader runs at 0x%lx (stack 0x%lx), outside the boot identity map", code,
	    stack);
	return EFI_UNSUPPORTED;
}

#define COM1 0x3f8

static void com1_puts(const char *s)
{
	for (; *s; s++) {
		u32 spins = 100000;
		u8 lsr;

		do
			__asm__ volatile("inb %1, %0" : "=a"(lsr) : "Nd"((u16)(COM1 + 5)));
		while (!(lsr & 0x20) && --spins);
		__asm__ volatile("outb %0, %1" : : "a"(*s), "Nd"((u16)COM1));
	}
}

/* After a failed ExitBootServices the firmware may be half gone: no Print. */
static __attribute__((noreturn)) void fatal_after_exit(const char *why)
{
	__asm__ volatile("cli");
	com1_puts("labyrinth-efi: fatal: ");
	com1_puts(why);
	com1_puts("; halted\r\n");
	for (;;)
		__asm__ volatile("hlt");
}

/*
 * GetMemoryMap, then ExitBootServices with its key. A stale key gives
 * EFI_INVALID_PARAMETER: fetch the map again into the same buffer (no
 * allocation allowed now) and retry. *tries says how many exits were tried.
 */
static EFI_STATUS exit_boot_services(struct loader *ld, UINTN *map_size, UINTN *dsize, UINT32 *dver,
				     u32 *tries)
{
	EFI_STATUS st = EFI_INVALID_PARAMETER;
	UINTN key;

	for (*tries = 0; *tries < EXIT_TRIES && st == EFI_INVALID_PARAMETER;) {
		*map_size = ld->map_cap;
		st = BS->GetMemoryMap(map_size, ld->map, &key, dsize, dver);
		if (EFI_ERROR(st))
			return st;
		++*tries;
		st = BS->ExitBootServices(ld->image, key);
	}
	return st;
}

static __attribute__((noreturn)) void enter_kernel(u64 entry, u64 info, u64 cr3, u64 stack)
{
	__asm__ volatile("cli\n\t"
			 "mov %0, %%cr3\n\t"
			 "mov %1, %%rsp\n\t"
			 "xor %%ebp, %%ebp\n\t"
			 "jmp *%2"
			 :
			 : "r"(cr3), "r"(stack), "r"(entry), "D"((u64)BOOT_INFO_MAGIC), "S"(info)
			 : "memory");
	__builtin_unreachable();
}

static EFI_STATUS leave_firmware(struct loader *ld)
{
	UINTN map_size, dsize;
	UINT32 dver;
	u32 tries;
	EFI_STATUS st;

	LOG("exiting boot services; entering the kernel at 0x%lx", ld->plan.entry);
	st = exit_boot_services(ld, &map_size, &dsize, &dver, &tries);
	if (EFI_ERROR(st) && tries == 0) {
		LOG("error: GetMemoryMap failed before ExitBootServices: %r", st);
		return st;
	}
	if (EFI_ERROR(st))
		fatal_after_exit(tries == EXIT_TRIES
				     ? "ExitBootServices kept failing with a stale map key"
				     : "GetMemoryMap or ExitBootServices failed after a retry");
	__asm__ volatile("cli"); /* the firmware's timer handler is not ours to run */
	efi_map_pack(ld->bi, ld->map, map_size, dsize, dver);
	enter_kernel(ld->plan.entry, (u64)ld->bi, ld->cr3, ld->stack_top);
}

EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *systab)
{
	struct loader ld = { .image = image };
	EFI_STATUS st;

	InitializeLib(image, systab);
	LOG("Labyrinth GNU-EFI loader, firmware %s rev 0x%x, UEFI %d.%d", ST->FirmwareVendor,
	    ST->FirmwareRevision, ST->Hdr.Revision >> 16, ST->Hdr.Revision & 0xffff);
	st = open_root(&ld);
	if (!EFI_ERROR(st))
		st = load_kernel(&ld);
	if (!EFI_ERROR(st))
		st = setup_handoff(&ld);
	if (EFI_ERROR(st))
		return st;
	find_rsdp(ld.bi);
	get_cmdline(&ld);
	st = check_reachable();
	if (!EFI_ERROR(st))
		st = alloc_map_buffer(&ld);
	if (EFI_ERROR(st))
		return st;
	return leave_firmware(&ld);
}
