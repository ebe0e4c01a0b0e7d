//! ARMv6-M (Cortex-M0/M0+) reset entry, vector table, exception handlers
//! and the switch into a process: the protocol of `asm.rs` and
//! `context.rs` in Thumb-1 only.
//!
//! What differs from ARMv7-M:
//! - `ldm`/`stm`/`push`/`pop` reach only r0-r7 (and lr/pc): r8-r11 move
//!   through r4-r7 in both directions.
//! - no BASEPRI: the kernel runs with interrupts enabled. A device
//!   interrupt or SysTick taken while the kernel runs is masked and left
//!   pending for the kernel loop (as on ARMv7-M) and also sets
//!   `_arch_kernel_interrupted`. The kernel relies on an interrupt that
//!   arrived meanwhile ending the next process turn at once (on ARMv7-M it
//!   is simply taken when BASEPRI drops), so the SVC handler that would
//!   enter the process checks the flag first: if set, it clears it and
//!   returns to the kernel with exception number 0 (`Interrupted`) without
//!   running the process. No interrupt can slip between the check and the
//!   entry: the SVC handler runs at priority 0, above every interrupt, and
//!   one arriving after the exception return is taken from the process.
//! - no MemManage, BusFault or UsageFault: every fault is HardFault
//!   (vectors 4-6 are reserved), decoded in `fault_v6m.rs`.
//! - no `tst lr, #4`, `mvn`, `movw`/`movt` or post-indexed loads: the
//!   EXC_RETURN values and NVIC addresses come from literal pools.
//!
//! Every handler lives in one section so the short Thumb-1 branches
//! between them always reach.
//!
//! ```text
//!  StoredState: +0 r4 r5 r6 r7 | +16 r8 r9 r10 r11 | +32 psp
//!  kernel stack while a process runs (MSP), lowest address first:
//!    msp+0   frame of `svc 0xff` (r0 = &StoredState, r1 <- exception number)
//!    msp+32  r8-r11 of the kernel (pushed through r4-r7)
//!    msp+48  r3-r7 and lr of the kernel (r3 only keeps 8-byte alignment)
//! ```

core::arch::global_asm!(
    r#"
    .syntax unified
    .section .vector_table, "a"
    .global _arch_vector_table
_arch_vector_table:
    .word _stack_top
    .word _arch_reset
    .word _arch_unexpected_handler
    .word _arch_fault_handler
    .word 0
    .word 0
    .word 0
    .word 0
    .word 0
    .word 0
    .word 0
    .word _arch_svc_handler
    .word 0
    .word 0
    .word _arch_unexpected_handler
    .word _arch_systick_handler
    .rept 32
    .word _arch_interrupt_handler
    .endr

    .section .text._arch_reset, "ax"
    .global _arch_reset
    .type _arch_reset, %function
    .thumb_func
_arch_reset:
    ldr r0, =_sidata
    ldr r1, =_sdata
    ldr r2, =_edata
1:
    cmp r1, r2
    bhs 2f
    ldm r0!, {{r3}}
    stm r1!, {{r3}}
    b 1b
2:
    ldr r1, =_sbss
    ldr r2, =_ebss
    movs r3, #0
3:
    cmp r1, r2
    bhs 4f
    stm r1!, {{r3}}
    b 3b
4:
    bl main
5:
    wfi
    b 5b
    .ltorg

    .section .text._arch_switch_to_user, "ax"
    .global _arch_switch_to_user
    .type _arch_switch_to_user, %function
    .thumb_func
_arch_switch_to_user:
    push {{r3-r7, lr}}
    mov r4, r8
    mov r5, r9
    mov r6, r10
    mov r7, r11
    push {{r4-r7}}
    ldr r1, [r0, #32]
    msr psp, r1
    ldr r4, [r0, #16]
    ldr r5, [r0, #20]
    ldr r6, [r0, #24]
    ldr r7, [r0, #28]
    mov r8, r4
    mov r9, r5
    mov r10, r6
    mov r11, r7
    ldr r4, [r0, #0]
    ldr r5, [r0, #4]
    ldr r6, [r0, #8]
    ldr r7, [r0, #12]
    svc 0xff
    stm r0!, {{r4-r7}}
    mov r4, r8
    mov r5, r9
    mov r6, r10
    mov r7, r11
    stm r0!, {{r4-r7}}
    mrs r2, psp
    str r2, [r0]
    mov r0, r1
    pop {{r4-r7}}
    mov r8, r4
    mov r9, r5
    mov r10, r6
    mov r11, r7
    pop {{r3-r7, pc}}

    .section .text._arch_handlers, "ax"
    .global _arch_svc_handler
    .type _arch_svc_handler, %function
    .thumb_func
_arch_svc_handler:
    mov r0, lr
    movs r1, #4
    tst r0, r1
    bne _arch_return_to_kernel
    ldr r0, =_arch_kernel_interrupted
    ldr r1, [r0]
    cmp r1, #0
    bne 1f
    movs r0, #1
    msr control, r0
    isb
    ldr r0, =0xfffffffd
    bx r0
1:
    movs r1, #0
    str r1, [r0]
    str r1, [sp, #4]
    ldr r0, =0xfffffff9
    bx r0

    .type _arch_return_to_kernel, %function
    .thumb_func
_arch_return_to_kernel:
    movs r0, #0
    msr control, r0
    isb
    mrs r1, ipsr
    str r1, [sp, #4]
    ldr r0, =0xfffffff9
    bx r0

    .global _arch_systick_handler
    .type _arch_systick_handler, %function
    .thumb_func
_arch_systick_handler:
    mov r0, lr
    movs r1, #4
    tst r0, r1
    bne _arch_return_to_kernel
    b _arch_note_kernel_interrupted

    .global _arch_interrupt_handler
    .type _arch_interrupt_handler, %function
    .thumb_func
_arch_interrupt_handler:
    mrs r0, ipsr
    subs r0, r0, #16
    movs r1, #1
    lsls r1, r1, r0
    ldr r2, =0xe000e180
    str r1, [r2]
    ldr r2, =0xe000e200
    str r1, [r2]
    mov r0, lr
    movs r1, #4
    tst r0, r1
    bne _arch_return_to_kernel
_arch_note_kernel_interrupted:
    ldr r0, =_arch_kernel_interrupted
    movs r1, #1
    str r1, [r0]
    bx lr

    .global _arch_fault_handler
    .type _arch_fault_handler, %function
    .thumb_func
_arch_fault_handler:
    mov r0, lr
    movs r1, #4
    tst r0, r1
    bne _arch_return_to_kernel
    mrs r0, ipsr
    mov r1, sp
    b _arch_kernel_fault_veneer

    .global _arch_unexpected_handler
    .type _arch_unexpected_handler, %function
    .thumb_func
_arch_unexpected_handler:
    mrs r0, ipsr
    mov r1, sp
_arch_kernel_fault_veneer:
    ldr r2, =_arch_kernel_fault
    bx r2
    .ltorg

    .section .bss._arch_kernel_interrupted, "aw", %nobits
    .balign 4
_arch_kernel_interrupted:
    .space 4
"#
);
