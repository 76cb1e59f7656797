/*
 * layout.h - where everything is, virtually and physically: the one home of
 * the kernel's address-space constants (Linux's names in the comments, so
 * students can compare with Documentation/arch/x86/x86_64/mm.rst).
 *
 * Virtual (4-level paging, 48-bit addresses):
 *   0 .. 4 GiB               the boot identity map until vm_drop_identity_map()
 *                            (mm/vm.c); then nothing, so NULL faults
 *   DIRECT_MAP_BASE          all RAM, ACPI and kernel-held memory, at
 *                            phys + DIRECT_MAP_BASE (mm/vm.c)
 *   VMALLOC_START .. END     kernel stacks, ioremap, memremap (mm/vmalloc.c)
 *   KERNEL_VMA_BASE + phys   the kernel image (arch/x86_64/kernel.ld)
 * Physical:
 *   SMP_TRAMPOLINE_START     where application processors start in real mode
 *                            (arch/x86_64/smpboot.c, trampoline.asm;
 *                            kernel/smpboot.c maps it while CPUs start)
 *   KERNEL_LOAD_PHYS         where the boot loader puts the kernel image
 *
 * Who uses them: mm/vm.c, mm/vmalloc.c and mm/ptdump.c (the kernel's page
 * tables), mm/memmap.c (the trampoline stays out of the allocator),
 * kernel/smpboot.c and arch/x86_64/smpboot.c (starting CPUs),
 * kernel/acpi_osl.c (the early identity map's end), the
 * boot paths (boot/efi/, boot/multiboot2/entry32.asm) and the tests. The
 * assembly and the linker script (kernel.ld, entry32.asm, trampoline.asm)
 * cannot include C headers and keep their own literals, each with a comment
 * pointing here. Plain integer constants only: the EFI loader (boot/efi/)
 * includes this with its own compiler flags.
 */
#ifndef LABYRINTH_LAYOUT_H
#define LABYRINTH_LAYOUT_H

/* ---- virtual ---- */

/* Linux's __PAGE_OFFSET (page_offset_base): the direct map of all RAM. */
#define DIRECT_MAP_BASE 0xffff888000000000ull
#define DIRECT_MAP_SIZE (64ull << 40) /* 64 TiB, as Linux's 4-level layout */

/* Linux's VMALLOC_START / VMALLOC_END; END is exclusive here: 32 TiB. */
#define VMALLOC_START 0xffffc90000000000ull
#define VMALLOC_END 0xffffe90000000000ull

/* Linux's __START_KERNEL_map: the kernel image runs at phys + this
 * (kernel.ld's KERNEL_VMA). */
#define KERNEL_VMA_BASE 0xffffffff80000000ull

/* ---- physical ---- */

/* Where the image is loaded (kernel.ld's KERNEL_PHYS; Linux's
 * LOAD_PHYSICAL_ADDR). */
#define KERNEL_LOAD_PHYS 0x100000ull

/*
 * The end of the identity map every boot path promises at _start64
 * (boot/boot_info.h): [0, 4 GiB). Code that runs on the boot page tables
 * (before vm_init()) may read physical memory below it and nothing above.
 */
#define BOOT_IDENTITY_MAP_END (4ull << 30)

/*
 * The low-memory area for the SMP trampoline: 0x8000-0x9fff, kept out of
 * the allocator. The startup IPI vector 0x08 starts APs at 0x8000 in real
 * mode; the code and its parameter block (GDT, page-table pointer, stack
 * pointer: trampoline.asm) fit in that first page, the only one mapped
 * while CPUs start; the second page is spare. It sits below the EBDA and
 * the 0x9fc00 BIOS data that QEMU and most PCs use.
 * (Linux: real_mode_header / trampoline_start, placed by reserve_real_mode().)
 */
#define SMP_TRAMPOLINE_START 0x8000ull
#define SMP_TRAMPOLINE_END 0xa000ull

#endif
