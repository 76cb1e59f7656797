; entry32.asm - from GRUB's 32-bit hand-off to the kernel's 64-bit entry.
;
; GRUB jumps to _start32 (named by the entry-address tag in header.asm) in
; 32-bit protected mode, paging off, with EAX = the multiboot2 magic and
; EBX = the physical address of the multiboot2 information. This code runs
; at its physical address (section .boot, linked at 1 MiB). It:
;   1. checks the magic and that the CPU can run 64-bit code, printing a
;      named reason to COM1 and halting otherwise;
;   2. builds the boot page tables (in .boot.bss): [0, 4 GiB) identity-mapped
;      and 0xffffffff80000000 + [0, 1 GiB) -> [0, 1 GiB), all 2 MiB pages
;      (KERNEL_VMA_BASE and BOOT_IDENTITY_MAP_END in include/labyrinth/layout.h);
;   3. enables PAE, EFER.LME (and EFER.NXE when the CPU has NX), CR0.PG|WP;
;   4. loads a 64-bit GDT and far-jumps to 64-bit code, which jumps to
;      _start64 (arch/x86_64/head64.asm) in the higher half with
;      RDI = magic and RSI = information address, as boot/boot_info.h says.
; The information itself is read later by the tag walker (mb2.c).

bits 32

MB2_BOOTLOADER_MAGIC	equ 0x36d76289

COM1			equ 0x3f8
DEBUG_EXIT_PORT		equ 0xf4	; QEMU isa-debug-exit; nothing on real hardware
DEBUG_EXIT_FAILURE	equ 0x11	; as arch_exit(1): QEMU exits with (0x11 << 1) | 1

CPUID_EFLAGS_ID		equ 1 << 21
CPUID_EXT_NX		equ 1 << 20	; CPUID 0x80000001 EDX
CPUID_EXT_LM		equ 1 << 29

CR0_WP			equ 1 << 16
CR0_PG			equ 1 << 31
CR4_PAE			equ 1 << 5
MSR_EFER		equ 0xc0000080
EFER_LME		equ 1 << 8
EFER_NXE		equ 1 << 11

PTE_PRESENT		equ 1 << 0
PTE_WRITE		equ 1 << 1
PTE_HUGE		equ 1 << 7	; a 2 MiB page in a page directory
PTE_TABLE		equ PTE_PRESENT | PTE_WRITE
PTE_LARGE		equ PTE_PRESENT | PTE_WRITE | PTE_HUGE

BOOT_CS			equ 0x08	; selectors in boot_gdt
BOOT_DS			equ 0x10

global _start32
global boot_pml4, boot_pdpt_ident, boot_pdpt_kernel, boot_pd
extern _start64

section .boot.text progbits alloc exec nowrite align=16

_start32:
	cli
	cld
	mov esp, boot32_stack_top
	mov edi, eax			; the magic stays in EDI until _start64
	mov esi, ebx			; the information address stays in ESI
	cmp edi, MB2_BOOTLOADER_MAGIC
	jne bad_magic
	call check_cpu			; EBP = CPUID 0x80000001 EDX
	call build_page_tables
	call enable_paging		; now in compatibility mode
	lgdt [boot_gdt_ptr]
	jmp BOOT_CS:long_mode_entry

; Halts with a named reason unless the CPU has CPUID and long mode.
; Returns the extended feature flags (CPUID 0x80000001 EDX) in EBP.
check_cpu:
	pushfd				; CPUID exists if EFLAGS.ID can be flipped
	pop eax
	mov ecx, eax
	xor eax, CPUID_EFLAGS_ID
	push eax
	popfd
	pushfd
	pop eax
	push ecx
	popfd
	xor eax, ecx
	test eax, CPUID_EFLAGS_ID
	jz .no_cpuid
	mov eax, 0x80000000		; highest extended leaf
	cpuid
	cmp eax, 0x80000001
	jb .no_long_mode
	mov eax, 0x80000001
	cpuid
	test edx, CPUID_EXT_LM
	jz .no_long_mode
	mov ebp, edx
	ret
.no_cpuid:
	mov ebx, msg_no_cpuid
	jmp fatal
.no_long_mode:
	mov ebx, msg_no_long_mode
	jmp fatal

; Identity-maps [0, 4 GiB) and maps KERNEL_VMA_BASE + [0, 1 GiB) onto
; [0, 1 GiB), with 2 MiB pages. Both share the page directories.
build_page_tables:
	push edi
	mov edi, boot_page_tables	; GRUB zeroes NOBITS memory; do not rely on it
	mov ecx, (boot_page_tables_end - boot_page_tables) / 4
	xor eax, eax
	rep stosd
	pop edi
	mov dword [boot_pml4], boot_pdpt_ident + PTE_TABLE	; PML4[0]
	mov dword [boot_pml4 + 511 * 8], boot_pdpt_kernel + PTE_TABLE
	mov dword [boot_pdpt_kernel + 510 * 8], boot_pd + PTE_TABLE ; -2 GiB
	xor ecx, ecx
.pdpt:					; identity PDPT[i] -> page directory i
	mov eax, ecx
	shl eax, 12
	add eax, boot_pd + PTE_TABLE
	mov [boot_pdpt_ident + ecx * 8], eax
	inc ecx
	cmp ecx, 4
	jb .pdpt
	xor ecx, ecx
.pd:					; PD entry i maps [i * 2 MiB, (i + 1) * 2 MiB)
	mov eax, ecx
	shl eax, 21
	or eax, PTE_LARGE
	mov [boot_pd + ecx * 8], eax
	inc ecx
	cmp ecx, 4 * 512
	jb .pd
	ret

; Turns on long mode: PAE, EFER.LME (+NXE if EBP says NX), then paging.
enable_paging:
	mov eax, boot_pml4
	mov cr3, eax
	mov eax, cr4
	or eax, CR4_PAE
	mov cr4, eax
	mov ecx, MSR_EFER
	rdmsr
	or eax, EFER_LME
	test ebp, CPUID_EXT_NX
	jz .no_nx
	or eax, EFER_NXE
.no_nx:
	wrmsr
	mov eax, cr0
	or eax, CR0_PG | CR0_WP
	mov cr0, eax
	ret

; ---- failure reports on COM1 (polled 16550) ----------------------------------

bad_magic:
	call serial_init
	mov ebx, msg_bad_magic
	call serial_puts
	mov eax, edi
	call serial_puthex32
	mov ebx, msg_bad_magic_tail
	call serial_puts
	jmp halt_forever

; EBX = a NUL-terminated reason.
fatal:
	call serial_init
	call serial_puts
halt_forever:
	mov al, DEBUG_EXIT_FAILURE
	out DEBUG_EXIT_PORT, al		; under QEMU the run ends here
.halt:
	cli
	hlt
	jmp .halt

; 115200 8N1, FIFOs on, no interrupts.
serial_init:
	mov dx, COM1 + 1		; IER: no interrupts
	xor al, al
	out dx, al
	mov dx, COM1 + 3		; LCR: divisor latch access
	mov al, 0x80
	out dx, al
	mov dx, COM1			; divisor 1: 115200 baud
	mov al, 1
	out dx, al
	mov dx, COM1 + 1
	xor al, al
	out dx, al
	mov dx, COM1 + 3		; LCR: 8 bits, no parity, 1 stop bit
	mov al, 0x03
	out dx, al
	mov dx, COM1 + 2		; FCR: enable and clear FIFOs
	mov al, 0xc7
	out dx, al
	mov dx, COM1 + 4		; MCR: DTR, RTS
	mov al, 0x03
	out dx, al
	ret

; AL = the byte. Waits (boundedly) for the transmitter to be empty.
serial_putc:
	push ecx
	push edx
	mov ah, al
	mov ecx, 100000
	mov dx, COM1 + 5		; LSR
.wait:
	in al, dx
	test al, 0x20			; THR empty
	jnz .ready
	pause
	loop .wait
.ready:
	mov al, ah
	mov dx, COM1
	out dx, al
	pop edx
	pop ecx
	ret

; EBX = NUL-terminated string; '\n' goes out as "\r\n".
serial_puts:
	push ebx
.next:
	mov al, [ebx]
	test al, al
	jz .done
	cmp al, 10
	jne .put
	mov al, 13
	call serial_putc
	mov al, 10
.put:
	call serial_putc
	inc ebx
	jmp .next
.done:
	pop ebx
	ret

; EAX = the value, printed as 8 hex digits.
serial_puthex32:
	push ecx
	push edx
	mov edx, eax
	mov ecx, 8
.digit:
	rol edx, 4
	mov eax, edx
	and eax, 0xf
	mov al, [hex_digits + eax]
	call serial_putc
	loop .digit
	pop edx
	pop ecx
	ret

; ---- 64-bit: leave the boot section for the higher half ---------------------

bits 64
long_mode_entry:
	mov ax, BOOT_DS
	mov ds, ax
	mov es, ax
	mov ss, ax
	xor eax, eax
	mov fs, ax
	mov gs, ax
	mov edi, edi			; zero-extend: the upper halves are undefined
	mov esi, esi
	mov rax, _start64		; absolute: 0xffffffff80000000 + phys
	jmp rax

section .boot.data progbits alloc noexec write align=16

align 16
boot_gdt:
	dq 0
	dq 0x00af9a000000ffff		; BOOT_CS: 64-bit code, DPL 0
	dq 0x00cf92000000ffff		; BOOT_DS: data, DPL 0
boot_gdt_end:
boot_gdt_ptr:
	dw boot_gdt_end - boot_gdt - 1
	dq boot_gdt			; lgdt in 32-bit mode reads the low 4 bytes

hex_digits:
	db "0123456789abcdef"
msg_bad_magic:
	db 10, "Labyrinth: not started by a multiboot2 boot loader: EAX=0x", 0
msg_bad_magic_tail:
	db ", expected 0x36d76289. Halting.", 10, 0
msg_no_cpuid:
	db 10, "Labyrinth: this CPU has no CPUID instruction; an x86_64 CPU is required. Halting.", 10, 0
msg_no_long_mode:
	db 10, "Labyrinth: this CPU does not support 64-bit long mode (CPUID 0x80000001 EDX bit 29). Halting.", 10, 0

section .boot.bss nobits alloc noexec write align=4096

alignb 4096
boot_page_tables:
boot_pml4:
	resb 4096
boot_pdpt_ident:
	resb 4096
boot_pdpt_kernel:
	resb 4096
boot_pd:
	resb 4 * 4096			; four page directories: [0, 4 GiB)
boot_page_tables_end:
boot32_stack:
	resb 4096
boot32_stack_top:
