//! Processor-wide operations: start-up configuration, interrupt masking,
//! sleep, and the trap path's reads of process memory and fault registers.
//!
//! ARMv6-M has no BASEPRI: there the kernel runs with interrupts enabled
//! and relies on the handlers alone (a device interrupt masks its line and
//! leaves it pending, SysTick taken in the kernel only returns), which is
//! what BASEPRI's deferral amounts to on ARMv7-M.

#[cfg(target_arch = "arm")]
use tock_registers::interfaces::{Readable, Writeable};

#[cfg(target_arch = "arm")]
use crate::context::TrapMemory;
#[cfg(target_arch = "arm")]
use crate::fault::FaultRegisters;
#[cfg(target_arch = "arm")]
use crate::registers::scb;

/// SHCSR: MemManage, BusFault and UsageFault get their own handlers
/// (instead of escalating to HardFault), so CFSR says which one it was.
pub const SHCSR_FAULT_ENABLES: u32 = (1 << 16) | (1 << 17) | (1 << 18);

/// Priority of SysTick, PendSV and every device interrupt: below SVCall
/// and the faults (priority 0), so [`KERNEL_BASEPRI`] masks them.
pub const INTERRUPT_PRIORITY: u32 = 0x80;
/// BASEPRI while the kernel runs: device interrupts and SysTick stay
/// pending (as with `mstatus.MIE = 0` on RISC-V) and are taken the moment
/// a process runs, which ends its turn at once; `svc` and faults still
/// reach their handlers. The switch into a process sets BASEPRI to 0 and
/// the way back restores this value.
pub const KERNEL_BASEPRI: u32 = INTERRUPT_PRIORITY;

/// Configures the core for the kernel: separate fault handlers on, the
/// MPU on with the privileged default map (the kernel is never limited),
/// interrupt priorities, and BASEPRI set to [`KERNEL_BASEPRI`].
/// Call once from the chip's initialisation, before any process runs.
#[cfg(target_arch = "arm")]
pub fn initialize() {
    let scb = scb();
    // ARMv6-M has no MemManage/BusFault/UsageFault: everything is HardFault.
    #[cfg(not(armv6m))]
    scb.system_handler_control_and_state
        .set(scb.system_handler_control_and_state.get() | SHCSR_FAULT_ENABLES);
    // SHPR2 bits 31:24: SVCall at 0. SHPR3: PendSV (23:16), SysTick (31:24).
    scb.system_handler_priority[1].set(0);
    scb.system_handler_priority[2].set((INTERRUPT_PRIORITY << 24) | (INTERRUPT_PRIORITY << 16));
    let byte = INTERRUPT_PRIORITY;
    let word = byte | (byte << 8) | (byte << 16) | (byte << 24);
    for register in crate::registers::nvic()
        .priority
        .iter()
        .take(PRIORITY_REGISTERS)
    {
        register.set(word);
    }
    crate::protection::enable_mpu();
    #[cfg(not(armv6m))]
    // SAFETY: raising BASEPRI only defers interrupts; the kernel loop
    // services them from their pending bits.
    unsafe {
        core::arch::asm!("msr basepri, {0}", "isb", in(reg) KERNEL_BASEPRI)
    };
}

/// NVIC priority registers: ARMv6-M has 32 interrupts (8 registers), and
/// writing past them is unpredictable.
#[cfg(target_arch = "arm")]
const PRIORITY_REGISTERS: usize = if cfg!(armv6m) { 8 } else { 16 };

/// Runs `operation` with interrupts masked (PRIMASK), restoring the
/// previous mask after.
pub fn atomic<R>(operation: impl FnOnce() -> R) -> R {
    #[cfg(target_arch = "arm")]
    {
        let primask: u32;
        // SAFETY: reading PRIMASK and masking interrupts has no memory
        // effect; handlers only mark lines pending.
        unsafe { core::arch::asm!("mrs {0}, primask", "cpsid i", out(reg) primask) };
        let result = operation();
        if primask & 1 == 0 {
            // SAFETY: interrupts were enabled before: restore that.
            unsafe { core::arch::asm!("cpsie i") };
        }
        result
    }
    #[cfg(not(target_arch = "arm"))]
    operation()
}

/// Waits for an interrupt. Called with interrupts masked (inside
/// [`atomic`], PRIMASK set): a pending enabled interrupt still wakes
/// `wfi` without being taken. BASEPRI is lowered around it because an
/// interrupt BASEPRI masks would not wake `wfi`.
pub fn wait_for_interrupt() {
    #[cfg(all(target_arch = "arm", armv6m))]
    // SAFETY: wfi only stalls the core.
    unsafe {
        core::arch::asm!("wfi")
    };
    #[cfg(all(target_arch = "arm", not(armv6m)))]
    // SAFETY: wfi only stalls the core; BASEPRI is restored before any
    // kernel code runs again.
    unsafe {
        core::arch::asm!(
            "msr basepri, {zero}",
            "wfi",
            "msr basepri, {kernel}",
            zero = in(reg) 0u32,
            kernel = in(reg) KERNEL_BASEPRI,
        )
    };
}

/// Reads process memory and fault registers after a trap (privileged).
#[cfg(target_arch = "arm")]
pub struct HardwareTrapMemory;

#[cfg(target_arch = "arm")]
impl TrapMemory for HardwareTrapMemory {
    fn read_frame(&self, psp: u32, frame: &mut [u32; 8]) {
        let source = psp as *const u32;
        // SAFETY: `classify_trap` reads a frame only where the hardware
        // just pushed one under the process's MPU regions (a syscall) or
        // after checking it lies in the process's accessible RAM. Eight
        // unrolled word loads: a volatile array read or a loop costs a
        // `memcpy` call or an iterator at opt-level z, on every syscall.
        unsafe {
            frame[0] = core::ptr::read_volatile(source);
            frame[1] = core::ptr::read_volatile(source.add(1));
            frame[2] = core::ptr::read_volatile(source.add(2));
            frame[3] = core::ptr::read_volatile(source.add(3));
            frame[4] = core::ptr::read_volatile(source.add(4));
            frame[5] = core::ptr::read_volatile(source.add(5));
            frame[6] = core::ptr::read_volatile(source.add(6));
            frame[7] = core::ptr::read_volatile(source.add(7));
        }
    }

    fn read_halfword(&self, address: u32) -> u16 {
        // SAFETY: the address is that of the `svc` the process just
        // executed, so it is in the process's flash, which is mapped.
        unsafe { core::ptr::read_volatile(address as *const u16) }
    }

    #[cfg(armv6m)]
    fn take_fault_registers(&self, exception: u32) -> FaultRegisters {
        FaultRegisters {
            exception,
            armv6m: Some(crate::fault_v6m::Evidence::default()),
            ..FaultRegisters::default()
        }
    }

    fn read_executable_halfword(&self, address: u32) -> Option<u16> {
        use crate::mpu::{MpuRegion, REGION_COUNT};
        use kernel::platform::Permissions;
        let scb = scb();
        // The MPU still holds the faulting process's regions: read the
        // halfword only if they let the process execute both of its bytes.
        let executable = address.is_multiple_of(2)
            && (0..REGION_COUNT as u32).any(|number| {
                scb.mpu_region_number.set(number);
                MpuRegion::from_registers(
                    scb.mpu_region_base_address.get(),
                    scb.mpu_region_attribute_and_size.get(),
                )
                .is_some_and(|region| {
                    region.allows(address, Permissions::ReadExecute)
                        && region.allows(address + 1, Permissions::ReadExecute)
                })
            });
        // SAFETY: the process's own MPU regions map this halfword for
        // execution, so it is memory (its flash), aligned and readable.
        executable.then(|| unsafe { core::ptr::read_volatile(address as *const u16) })
    }

    #[cfg(not(armv6m))]
    fn take_fault_registers(&self, exception: u32) -> FaultRegisters {
        let scb = scb();
        let registers = FaultRegisters {
            exception,
            cfsr: scb.configurable_fault_status.get(),
            hfsr: scb.hard_fault_status.get(),
            mmfar: scb.mem_manage_fault_address.get(),
            bfar: scb.bus_fault_address.get(),
            pc: 0,
        };
        // Write-one-to-clear, so the next fault starts clean.
        scb.configurable_fault_status.set(registers.cfsr);
        scb.hard_fault_status.set(registers.hfsr);
        registers
    }
}
