; header.asm - the multiboot2 header: how GRUB recognises and loads the kernel.
;
; GRUB searches the first 32 KiB of the kernel file for this header (8-byte
; aligned). arch/x86_64/kernel.ld places section .multiboot2 first in the
; .boot output section, which is the first loadable segment of the ELF file.
; GRUB loads the ELF segments at their physical addresses (1 MiB up) and
; then jumps, in 32-bit protected mode with paging off, to the address in
; the entry-address tag: _start32 (entry32.asm), not the ELF entry _start64,
; which is 64-bit code.
;
; No relocatable tag: the 32-bit entry uses absolute physical addresses, and
; 1 MiB is free both in SeaBIOS's e820 map and in OVMF's memory map (GRUB
; loads over EFI boot-services memory, which is released when it exits boot
; services). No framebuffer tag: the console is the serial port.

MB2_HEADER_MAGIC	equ 0xe85250d6
MB2_ARCH_I386		equ 0		; 32-bit protected mode, i386

MB2_TAG_END		equ 0
MB2_TAG_ENTRY_ADDRESS	equ 3
MB2_TAG_CONSOLE_FLAGS	equ 4
MB2_TAG_OPTIONAL	equ 1		; flags: the loader may ignore the tag

MB2_CONSOLE_EGA_TEXT	equ 1 << 1	; EGA text supported; no console required

section .multiboot2 progbits alloc noexec nowrite align=8

extern _start32

align 8, db 0
mb2_header:
	dd MB2_HEADER_MAGIC
	dd MB2_ARCH_I386
	dd mb2_header_end - mb2_header
	dd 0x100000000 - (MB2_HEADER_MAGIC + MB2_ARCH_I386 + (mb2_header_end - mb2_header))

	; Entry address: GRUB jumps here instead of the ELF's (64-bit) e_entry.
	align 8, db 0
	dw MB2_TAG_ENTRY_ADDRESS, 0
	dd 12
	dd _start32

	; Console flags: text mode is fine; we print to COM1 anyway.
	align 8, db 0
	dw MB2_TAG_CONSOLE_FLAGS, MB2_TAG_OPTIONAL
	dd 12
	dd MB2_CONSOLE_EGA_TEXT

	align 8, db 0
	dw MB2_TAG_END, 0
	dd 8
mb2_header_end:
