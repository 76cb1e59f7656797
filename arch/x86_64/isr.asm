; isr.asm - the interrupt and exception entry stubs, one per vector 0..255.
;
; Each stub makes the stack look the same whatever the vector: it pushes a
; 0 where the CPU pushed no error code, then the vector number, and jumps to
; isr_common, which saves the general registers as a struct pt_regs
; (arch/x86_64/include/asm/ptrace.h, same order) and calls the C dispatcher
; x86_isr_dispatch() in idt.c. idt.c fills the IDT from isr_stub_table.
;
; Stack alignment: in 64-bit mode the CPU aligns RSP to 16 before pushing
; its 5-word frame; error code + vector + 15 registers keep the pt_regs base
; 16-byte aligned, and the 2-word frame record below keeps the call aligned.

bits 64
default rel

PT_REGS_RIP equ 17 * 8

section .text
extern x86_isr_dispatch

; Vectors for which the CPU pushes an error code (Intel SDM vol. 3A, 6.15).
%define HAS_ERROR_CODE(v) ((v) == 8 || ((v) >= 10 && (v) <= 14) || (v) == 17 || \
			   (v) == 21 || (v) == 29 || (v) == 30)

%macro ISR_STUB 1
global isr_stub_%1
isr_stub_%1:
%if HAS_ERROR_CODE(%1) == 0
	push 0
%endif
	push %1
	jmp isr_common
%endmacro

%assign v 0
%rep 256
ISR_STUB v
%assign v v + 1
%endrep

global isr_common
isr_common:
	push rdi
	push rsi
	push rdx
	push rcx
	push rax
	push r8
	push r9
	push r10
	push r11
	push rbx
	push rbp
	push r12
	push r13
	push r14
	push r15
	cld
	mov rdi, rsp                  ; struct pt_regs *
	; A frame record whose return address is the interrupted RIP, so a
	; backtrace taken inside a handler walks on into the interrupted code.
	push qword [rdi + PT_REGS_RIP]
	push rbp
	mov rbp, rsp
	call x86_isr_dispatch
	add rsp, 16                   ; drop the frame record
	pop r15
	pop r14
	pop r13
	pop r12
	pop rbp
	pop rbx
	pop r11
	pop r10
	pop r9
	pop r8
	pop rax
	pop rcx
	pop rdx
	pop rsi
	pop rdi
	add rsp, 16                   ; vector and error code
	iretq

section .rodata
align 8
global isr_stub_table
isr_stub_table:
%assign v 0
%rep 256
	dq isr_stub_ %+ v
%assign v v + 1
%endrep
