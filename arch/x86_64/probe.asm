; probe.asm - the assembly half of probe_exec() (arch/x86_64/extable.c):
; call a function pointer and survive a fault on its very first instruction.
;
; Two ways the call can fault; both resume at probe_exec_failed with the
; stack as it was before the call, and eax = 0:
;  - on the call instruction itself (e.g. a non-canonical target that the
;    CPU rejects before transferring): an ordinary __ex_table entry
;    (probe_exec_call -> probe_exec_failed) covers it;
;  - on fetching or decoding the target (not-present or NX page, #UD):
;    RIP is then the target, and the return address probe_exec_returned is
;    already on the stack. No table entry can name an arbitrary target, so
;    fixup_exception() (extable.c) recognizes this case itself: RIP equals
;    the target probe_exec() recorded for this CPU and [RSP] equals
;    probe_exec_returned; it pops the return address and resumes at
;    probe_exec_failed.
; A target that runs and returns (e.g. a lone "ret") yields eax = 1.

bits 64
default rel

section .text
global probe_exec_asm, probe_exec_returned, probe_exec_failed

; bool probe_exec_asm(void *code)   rdi = code
probe_exec_asm:
	push rbp
	mov rbp, rsp
probe_exec_call:
	call rdi
probe_exec_returned:
	mov eax, 1
	pop rbp
	ret
probe_exec_failed:
	xor eax, eax
	pop rbp
	ret

section __ex_table progbits alloc noexec nowrite align=4
	dd probe_exec_call - $
	dd probe_exec_failed - $
