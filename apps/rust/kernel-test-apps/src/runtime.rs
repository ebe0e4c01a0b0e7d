//! Entry and panic handling for a fixed-address app on qemu-rv32-virt
//! (RISC-V) and mps2-an386 (Arm, Thumb-2).
//!
//! The kernel enters `_start` with a0/r0 = the app start (first byte
//! after the TBF header and protected region), a1/r1 = RAM start,
//! a2/r2 = RAM length, a3/r3 = break (the RAM start on RISC-V; on Arm 32
//! bytes above it, where the kernel put the first exception frame).
//! Before touching RAM the entry moves the break to `_app_ram_end`
//! (memop brk), then sets the stack, copies `.data`, zeroes `.bss` and
//! calls the app's `_app_main`, and exits (terminate, 0) if it returns.
//! On Arm the system call class is the `svc` immediate.

#[cfg(target_arch = "riscv32")]
core::arch::global_asm!(
    r#"
    .section .start, "ax"
    .globl _start
_start:
    li a0, 0
    la a1, _app_ram_end
    li a4, 5
    ecall
    la sp, _stack_top
    la t0, _sidata
    la t1, _sdata
    la t2, _edata
1:
    bgeu t1, t2, 2f
    lw t3, 0(t0)
    sw t3, 0(t1)
    addi t0, t0, 4
    addi t1, t1, 4
    j 1b
2:
    la t1, _sbss
    la t2, _ebss
3:
    bgeu t1, t2, 4f
    sw zero, 0(t1)
    addi t1, t1, 4
    j 3b
4:
    call _app_main
    li a0, 0
    li a1, 0
    li a4, 6
    ecall
5:
    j 5b
"#
);

#[cfg(target_arch = "arm")]
core::arch::global_asm!(
    r#"
    .syntax unified
    .section .start, "ax"
    .globl _start
    .type _start, %function
    .thumb_func
_start:
    movs r0, #0
    ldr r1, =_app_ram_end
    svc 5
    ldr r0, =_stack_top
    mov sp, r0
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
    bl _app_main
    movs r0, #0
    movs r1, #0
    svc 6
5:
    b 5b
    .ltorg

    .section .text.check_registers, "ax"
    .globl check_registers
    .type check_registers, %function
    .thumb_func
@ register_keeper's routine on Arm (the bin holds the RISC-V one).
@ r0 = rounds; returns 0 if r4-r12 and lr survived every round (a
@ syscall, then a spin long enough to be preempted), else the number of
@ the first register that changed (14 for lr).
check_registers:
    push {{r4-r11, lr}}
    sub sp, sp, #8
    str r0, [sp]
1:
    ldr r4, =0x04040404
    ldr r5, =0x05050505
    ldr r6, =0x06060606
    ldr r7, =0x07070707
    ldr r8, =0x08080808
    ldr r9, =0x09090909
    ldr r10, =0x0a0a0a0a
    ldr r11, =0x0b0b0b0b
    ldr r12, =0x0c0c0c0c
    ldr lr, =0x0e0e0e0e
    ldr r0, =0x7fff0000
    movs r1, #0
    movs r2, #0
    movs r3, #0
    svc 2
    ldr r3, =20000
2:
    subs r3, r3, #1
    bne 2b
    ldr r0, =0x04040404
    movs r1, #4
    cmp r4, r0
    bne 3f
    ldr r0, =0x05050505
    movs r1, #5
    cmp r5, r0
    bne 3f
    ldr r0, =0x06060606
    movs r1, #6
    cmp r6, r0
    bne 3f
    ldr r0, =0x07070707
    movs r1, #7
    cmp r7, r0
    bne 3f
    ldr r0, =0x08080808
    movs r1, #8
    cmp r8, r0
    bne 3f
    ldr r0, =0x09090909
    movs r1, #9
    cmp r9, r0
    bne 3f
    ldr r0, =0x0a0a0a0a
    movs r1, #10
    cmp r10, r0
    bne 3f
    ldr r0, =0x0b0b0b0b
    movs r1, #11
    cmp r11, r0
    bne 3f
    ldr r0, =0x0c0c0c0c
    movs r1, #12
    cmp r12, r0
    bne 3f
    ldr r0, =0x0e0e0e0e
    movs r1, #14
    cmp lr, r0
    bne 3f
    ldr r0, [sp]
    subs r0, r0, #1
    str r0, [sp]
    bne 1b
    movs r1, #0
3:
    mov r0, r1
    add sp, sp, #8
    pop {{r4-r11, pc}}
    .ltorg
"#
);

/// Declares the app's main function.
#[macro_export]
macro_rules! app_main {
    ($main:path) => {
        #[no_mangle]
        extern "C" fn _app_main() {
            $main()
        }
    };
}

#[cfg(any(target_arch = "riscv32", target_arch = "arm"))]
#[panic_handler]
fn panic(info: &core::panic::PanicInfo<'_>) -> ! {
    crate::println!("app panic: {}", info);
    crate::test_exit::exit_qemu(crate::test_exit::APP_PANIC_STATUS)
}
