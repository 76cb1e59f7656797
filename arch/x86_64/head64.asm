; head64.asm - the kernel's one 64-bit entry point, _start64 (the ELF entry).
;
; Every boot path arrives here (see boot/boot_info.h for the contract):
; boot/multiboot2/entry32.asm after it has switched to long mode, and the
; GNU-EFI loader (boot/efi/loader.c) after ExitBootServices. RDI holds the
; magic that says what RSI points at; both are handed to kmain() unchanged.

bits 64
section .text.entry
global _start64
extern kmain

_start64:
	cli
	cld
	mov rsp, boot_stack_top      ; a stack in the kernel's own .bss
	xor ebp, ebp                 ; terminates backtraces
	push rbp                     ; keep the ABI's 16-byte call alignment
	call kmain                   ; kmain(magic, info_phys) never returns
.halt:
	cli
	hlt
	jmp .halt

section .bss
align 4096
global boot_stack_guard, boot_stack_bottom, boot_stack_top
boot_stack_guard:
	resb 4096                    ; left unmapped by vm_init() (arch_kernel_sections):
				     ; an overflow faults instead of corrupting .bss
boot_stack_bottom:
	resb 16384
boot_stack_top:
