//! The few machine-mode CSR operations the kernel needs outside the trap
//! path. On the host these do not exist: the callers are riscv32-only.

/// `mie` bit enabling the machine timer interrupt.
pub const MIE_MTIE: u32 = 1 << 7;
/// `mie` bit enabling the machine external (PLIC) interrupt.
pub const MIE_MEIE: u32 = 1 << 11;
/// `mip` bit: machine timer interrupt pending.
pub const MIP_MTIP: u32 = 1 << 7;
/// `mip` bit: machine external interrupt pending.
pub const MIP_MEIP: u32 = 1 << 11;

/// `mtval` of the last trap.
#[cfg(target_arch = "riscv32")]
pub fn read_mtval() -> u32 {
    let value: u32;
    // SAFETY: reading mtval has no side effects.
    unsafe { core::arch::asm!("csrr {0}, mtval", out(reg) value) };
    value
}

/// Pending interrupts (`mip`).
#[cfg(target_arch = "riscv32")]
#[inline(always)]
pub fn read_mip() -> u32 {
    let value: u32;
    // SAFETY: reading mip has no side effects.
    unsafe { core::arch::asm!("csrr {0}, mip", out(reg) value) };
    value
}

/// Enables the interrupt sources in `bits` in `mie`. The kernel keeps
/// `mstatus.MIE` clear, so this only lets them wake `wfi` and preempt
/// user mode.
#[cfg(target_arch = "riscv32")]
pub fn enable_interrupt_sources(bits: u32) {
    // SAFETY: with mstatus.MIE = 0 no interrupt is taken in machine mode.
    unsafe { core::arch::asm!("csrs mie, {0}", in(reg) bits) };
}

/// Waits for an interrupt enabled in `mie` to become pending.
#[cfg(target_arch = "riscv32")]
pub fn wait_for_interrupt() {
    // SAFETY: wfi only stalls the hart; with mstatus.MIE = 0 it returns
    // without trapping.
    unsafe { core::arch::asm!("wfi") };
}

/// Runs `operation`: the kernel always runs with interrupts disabled
/// (`mstatus.MIE = 0`), so nothing needs to change.
pub fn atomic<R>(operation: impl FnOnce() -> R) -> R {
    operation()
}
