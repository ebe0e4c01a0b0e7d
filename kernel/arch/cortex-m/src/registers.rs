//! The system control space registers the kernel uses (ARMv7-M ARM, B3),
//! as `tock-registers` blocks at their architectural addresses.

use tock_registers::register_structs;
use tock_registers::registers::{ReadOnly, ReadWrite};

register_structs! {
    /// SysTick at 0xE000_E010.
    pub SysTickRegisters {
        (0x00 => pub control_and_status: ReadWrite<u32>),
        (0x04 => pub reload_value: ReadWrite<u32>),
        (0x08 => pub current_value: ReadWrite<u32>),
        (0x0c => pub calibration: ReadOnly<u32>),
        (0x10 => @END),
    }
}

register_structs! {
    /// NVIC at 0xE000_E100: one bit per interrupt, 32 per word.
    pub NvicRegisters {
        (0x000 => pub set_enable: [ReadWrite<u32>; 16]),
        (0x040 => _reserved0),
        (0x080 => pub clear_enable: [ReadWrite<u32>; 16]),
        (0x0c0 => _reserved1),
        (0x100 => pub set_pending: [ReadWrite<u32>; 16]),
        (0x140 => _reserved2),
        (0x180 => pub clear_pending: [ReadWrite<u32>; 16]),
        (0x1c0 => _reserved3),
        (0x300 => pub priority: [ReadWrite<u32>; 16]),
        (0x340 => @END),
    }
}

register_structs! {
    /// System control block at 0xE000_ED00.
    pub ScbRegisters {
        (0x00 => pub cpuid: ReadOnly<u32>),
        (0x04 => pub interrupt_control_and_state: ReadWrite<u32>),
        (0x08 => pub vector_table_offset: ReadWrite<u32>),
        (0x0c => pub application_interrupt_and_reset: ReadWrite<u32>),
        (0x10 => pub system_control: ReadWrite<u32>),
        (0x14 => pub configuration_and_control: ReadWrite<u32>),
        (0x18 => pub system_handler_priority: [ReadWrite<u32>; 3]),
        (0x24 => pub system_handler_control_and_state: ReadWrite<u32>),
        (0x28 => pub configurable_fault_status: ReadWrite<u32>),
        (0x2c => pub hard_fault_status: ReadWrite<u32>),
        (0x30 => _reserved0),
        (0x34 => pub mem_manage_fault_address: ReadWrite<u32>),
        (0x38 => pub bus_fault_address: ReadWrite<u32>),
        (0x3c => _reserved1),
        (0x90 => pub mpu_type: ReadOnly<u32>),
        (0x94 => pub mpu_control: ReadWrite<u32>),
        (0x98 => pub mpu_region_number: ReadWrite<u32>),
        (0x9c => pub mpu_region_base_address: ReadWrite<u32>),
        (0xa0 => pub mpu_region_attribute_and_size: ReadWrite<u32>),
        (0xa4 => @END),
    }
}

/// SysTick's address.
pub const SYSTICK_BASE: usize = 0xe000_e010;
/// The NVIC's address.
pub const NVIC_BASE: usize = 0xe000_e100;
/// The system control block's address.
pub const SCB_BASE: usize = 0xe000_ed00;

/// The SysTick block.
#[cfg(target_arch = "arm")]
pub fn systick() -> &'static SysTickRegisters {
    // SAFETY: SysTick is architecturally mapped at this address on every
    // ARMv7-M core, and every field is a register with no Rust invariant.
    unsafe { &*(SYSTICK_BASE as *const SysTickRegisters) }
}

/// The NVIC block.
#[cfg(target_arch = "arm")]
pub fn nvic() -> &'static NvicRegisters {
    // SAFETY: as for `systick`: the architectural NVIC address.
    unsafe { &*(NVIC_BASE as *const NvicRegisters) }
}

/// The system control block.
#[cfg(target_arch = "arm")]
pub fn scb() -> &'static ScbRegisters {
    // SAFETY: as for `systick`: the architectural SCB address.
    unsafe { &*(SCB_BASE as *const ScbRegisters) }
}
