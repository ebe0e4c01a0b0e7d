//! Reset entry, vector table, exception handlers and the switch into a
//! process (see `context.rs` for the protocol).
//!
//! Vector table (`.vector_table`, placed at the reset address):
//!
//! ```text
//!  0 _stack_top   1 reset   2 NMI   3 HardFault   4 MemManage
//!  5 BusFault   6 UsageFault   11 SVCall   14 PendSV   15 SysTick
//!  16.. 16+INTERRUPT_COUNT  the generic interrupt handler
//! ```
//!
//! State on entry to `main`: `.data` copied, `.bss` zeroed, privileged
//! thread mode on MSP, interrupts enabled (PRIMASK clear); the chip calls
//! [`crate::support::initialize`] before running processes, which raises
//! BASEPRI for the kernel (the SVC handler drops it to 0 for a process and
//! `_arch_return_to_kernel` restores 0x80, `KERNEL_BASEPRI`).

// ARMv6-M's Thumb-1 version is in `asm_v6m.rs`.
#[cfg(all(target_arch = "arm", not(armv6m)))]
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
    .word _arch_fault_handler
    .word _arch_fault_handler
    .word _arch_fault_handler
    .word 0
    .word 0
    .word 0
    .word 0
    .word _arch_svc_handler
    .word _arch_unexpected_handler
    .word 0
    .word _arch_unexpected_handler
    .word _arch_systick_handler
    .rept 64
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
    ldr r3, [r0], #4
    str r3, [r1], #4
    b 1b
2:
    ldr r1, =_sbss
    ldr r2, =_ebss
    movs r3, #0
3:
    cmp r1, r2
    bhs 4f
    str r3, [r1], #4
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
    push {{r3-r11, lr}}
    ldr r1, [r0, #32]
    msr psp, r1
    ldmia r0, {{r4-r11}}
    svc 0xff
    stmia r0, {{r4-r11}}
    mrs r2, psp
    str r2, [r0, #32]
    mov r0, r1
    pop {{r3-r11, pc}}

    .section .text._arch_svc_handler, "ax"
    .global _arch_svc_handler
    .type _arch_svc_handler, %function
    .thumb_func
_arch_svc_handler:
    tst lr, #4
    bne _arch_return_to_kernel
    movs r0, #1
    msr control, r0
    movs r0, #0
    msr basepri, r0
    isb
    mvn lr, #2
    bx lr

    .section .text._arch_return_to_kernel, "ax"
    .type _arch_return_to_kernel, %function
    .thumb_func
_arch_return_to_kernel:
    movs r0, #0
    msr control, r0
    movs r0, #{kernel_basepri}
    msr basepri, r0
    isb
    mrs r1, ipsr
    str r1, [sp, #4]
    mvn lr, #6
    bx lr

    .section .text._arch_systick_handler, "ax"
    .global _arch_systick_handler
    .type _arch_systick_handler, %function
    .thumb_func
_arch_systick_handler:
    tst lr, #4
    bne _arch_return_to_kernel
    bx lr

    .section .text._arch_interrupt_handler, "ax"
    .global _arch_interrupt_handler
    .type _arch_interrupt_handler, %function
    .thumb_func
_arch_interrupt_handler:
    mrs r0, ipsr
    subs r0, r0, #16
    and r2, r0, #31
    lsrs r3, r0, #5
    movs r1, #1
    lsls r1, r1, r2
    movw r2, #0xe180
    movt r2, #0xe000
    str r1, [r2, r3, lsl #2]
    movw r2, #0xe200
    movt r2, #0xe000
    str r1, [r2, r3, lsl #2]
    tst lr, #4
    bne _arch_return_to_kernel
    bx lr

    .section .text._arch_fault_handler, "ax"
    .global _arch_fault_handler
    .type _arch_fault_handler, %function
    .thumb_func
_arch_fault_handler:
    tst lr, #4
    bne _arch_return_to_kernel
    mrs r0, ipsr
    mov r1, sp
    b _arch_kernel_fault

    .section .text._arch_unexpected_handler, "ax"
    .global _arch_unexpected_handler
    .type _arch_unexpected_handler, %function
    .thumb_func
_arch_unexpected_handler:
    mrs r0, ipsr
    mov r1, sp
    b _arch_kernel_fault
"#,
    kernel_basepri = const crate::support::KERNEL_BASEPRI,
);

/// A fault (or unexpected exception) taken while the kernel itself ran: a
/// kernel bug. Reports the fault registers and the stacked pc, and panics.
#[cfg(target_arch = "arm")]
#[no_mangle]
extern "C" fn _arch_kernel_fault(exception: u32, frame: *const u32) -> ! {
    use crate::context::TrapMemory;
    let mut registers = crate::support::HardwareTrapMemory.take_fault_registers(exception);
    // SAFETY: `frame` is the MSP the hardware just pushed the kernel's
    // frame on; word 6 is its stacked pc.
    registers.pc = unsafe { core::ptr::read_volatile(frame.add(6)) };
    panic!("kernel fault: {}", registers)
}
