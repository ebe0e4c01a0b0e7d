//! Proves that a process's whole register file survives system calls and
//! preemption: fills every register it may (all but sp and the syscall
//! registers a0..a4) with a pattern, makes a syscall, spins long enough to
//! be preempted by the timer, and checks every register, many rounds. Run
//! beside the spinner. Ends QEMU with 0 if all registers survived.
#![no_std]
#![no_main]

use kernel_test_apps::{app_main, println, test_exit};

app_main!(main);

#[cfg(target_arch = "riscv32")]
core::arch::global_asm!(
    r#"
    .section .text.check_registers, "ax"
    .globl check_registers
    .align 2
# a0 = rounds; returns 0 if every register survived, else the number
# of the first register that changed.
check_registers:
    addi sp, sp, -80
    sw x1, 0(sp)
    sw x3, 4(sp)
    sw x4, 8(sp)
    sw x8, 12(sp)
    sw x9, 16(sp)
    sw x18, 20(sp)
    sw x19, 24(sp)
    sw x20, 28(sp)
    sw x21, 32(sp)
    sw x22, 36(sp)
    sw x23, 40(sp)
    sw x24, 44(sp)
    sw x25, 48(sp)
    sw x26, 52(sp)
    sw x27, 56(sp)
    sw a0, 64(sp)
1:
    li x1, 0x1010101
    li x3, 0x3030303
    li x4, 0x4040404
    li x5, 0x5050505
    li x6, 0x6060606
    li x7, 0x7070707
    li x8, 0x8080808
    li x9, 0x9090909
    li x15, 0xf0f0f0f
    li x16, 0x10101010
    li x18, 0x12121212
    li x19, 0x13131313
    li x20, 0x14141414
    li x21, 0x15151515
    li x22, 0x16161616
    li x23, 0x17171717
    li x24, 0x18181818
    li x25, 0x19191919
    li x26, 0x1a1a1a1a
    li x27, 0x1b1b1b1b
    li x28, 0x1c1c1c1c
    li x29, 0x1d1d1d1d
    li x30, 0x1e1e1e1e
    li x31, 0x1f1f1f1f
    li a0, 0x7fff0000
    li a1, 0
    li a2, 0
    li a3, 0
    li a4, 2
    ecall
    li x17, 20000
2:
    addi x17, x17, -1
    bnez x17, 2b
    li a0, 0x1010101
    li a1, 1
    bne x1, a0, 3f
    li a0, 0x3030303
    li a1, 3
    bne x3, a0, 3f
    li a0, 0x4040404
    li a1, 4
    bne x4, a0, 3f
    li a0, 0x5050505
    li a1, 5
    bne x5, a0, 3f
    li a0, 0x6060606
    li a1, 6
    bne x6, a0, 3f
    li a0, 0x7070707
    li a1, 7
    bne x7, a0, 3f
    li a0, 0x8080808
    li a1, 8
    bne x8, a0, 3f
    li a0, 0x9090909
    li a1, 9
    bne x9, a0, 3f
    li a0, 0xf0f0f0f
    li a1, 15
    bne x15, a0, 3f
    li a0, 0x10101010
    li a1, 16
    bne x16, a0, 3f
    li a0, 0x12121212
    li a1, 18
    bne x18, a0, 3f
    li a0, 0x13131313
    li a1, 19
    bne x19, a0, 3f
    li a0, 0x14141414
    li a1, 20
    bne x20, a0, 3f
    li a0, 0x15151515
    li a1, 21
    bne x21, a0, 3f
    li a0, 0x16161616
    li a1, 22
    bne x22, a0, 3f
    li a0, 0x17171717
    li a1, 23
    bne x23, a0, 3f
    li a0, 0x18181818
    li a1, 24
    bne x24, a0, 3f
    li a0, 0x19191919
    li a1, 25
    bne x25, a0, 3f
    li a0, 0x1a1a1a1a
    li a1, 26
    bne x26, a0, 3f
    li a0, 0x1b1b1b1b
    li a1, 27
    bne x27, a0, 3f
    li a0, 0x1c1c1c1c
    li a1, 28
    bne x28, a0, 3f
    li a0, 0x1d1d1d1d
    li a1, 29
    bne x29, a0, 3f
    li a0, 0x1e1e1e1e
    li a1, 30
    bne x30, a0, 3f
    li a0, 0x1f1f1f1f
    li a1, 31
    bne x31, a0, 3f
    lw a0, 64(sp)
    addi a0, a0, -1
    sw a0, 64(sp)
    bnez a0, 1b
    li a1, 0
3:
    mv a0, a1
    lw x1, 0(sp)
    lw x3, 4(sp)
    lw x4, 8(sp)
    lw x8, 12(sp)
    lw x9, 16(sp)
    lw x18, 20(sp)
    lw x19, 24(sp)
    lw x20, 28(sp)
    lw x21, 32(sp)
    lw x22, 36(sp)
    lw x23, 40(sp)
    lw x24, 44(sp)
    lw x25, 48(sp)
    lw x26, 52(sp)
    lw x27, 56(sp)
    addi sp, sp, 80
    ret
"#
);

extern "C" {
    fn check_registers(rounds: u32) -> u32;
}

fn main() {
    println!("register_keeper: start");
    // SAFETY: the routine saves and restores every callee-saved register
    // it changes and touches only its own stack frame.
    let changed = unsafe { check_registers(400) };
    if changed == 0 {
        println!("register_keeper: every register survived");
        test_exit::exit_qemu(0)
    }
    println!("register_keeper: register x{} CHANGED", changed);
    test_exit::exit_qemu(1)
}
