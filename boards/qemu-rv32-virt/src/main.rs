//! The qemu-rv32-virt board: QEMU's RISC-V `virt` machine as a
//! microcontroller. Boots in place from pflash unit 0, keeps apps in the
//! same flash (a TBF chain), and runs them under PMP with a round-robin
//! scheduler. See docs/boards/qemu-rv32-virt.md.
//!
//! This file declares the board: memory map, peripherals, capsules and
//! policies. The shared wiring lives in `board-components`, the board's
//! own in `components.rs` and the feature modules.
#![no_std]
#![no_main]

#[cfg(feature = "app_loader")]
mod app_loader;
mod components;
#[cfg(feature = "credential_checking")]
mod credentials;
#[cfg(any(
    feature = "app_state",
    feature = "app_loader",
    feature = "security_key",
    feature = "isolated_storage"
))]
mod flash_sharing;
mod io;
#[cfg(feature = "isolated_storage")]
mod isolated_storage;
#[cfg(feature = "security_key")]
mod security_key;
#[cfg(feature = "credential_checking")]
mod trust_store;

use board_components::console::{console, low_level_debug, process_console};
use board_components::drivers::{alarm_mux, ipc, process_info, rng};
#[cfg(feature = "emulated_io")]
use board_components::emulated::leds;
use board_components::{driver_table, load_processes, static_buf, AppMemory};
use capsules::alarm::AlarmDriver;
use capsules::virtual_alarm::{MuxAlarm, VirtualAlarm};
use chip_qemu_virt::clint::MachineTimer;
use chip_qemu_virt::test_driver::{TestExitDriver, TEST_EXIT_DRIVER};
use chip_qemu_virt::virtio_rng::SharedQueue;
use chip_qemu_virt::{Peripherals, QemuVirt};
use io::BoardCapability;
use kernel::deferred_call::DeferredCalls;
use kernel::fault::{FaultPolicy, DEFAULT_RESTART_THRESHOLD};
use kernel::kernel_loop::{ChipProcessContext, KernelLoop};
use kernel::process::Process;
use kernel::scheduler::{RoundRobin, DEFAULT_TIMESLICE_MICROSECONDS};
use kernel::Kernel;
use kernel_abi::DriverNumber;

pub(crate) use board_components::static_init;

mod memory_map;

// SAFETY: app flash is mapped for good; it is rewritten only through the
// flash driver, never under an image a process is loaded from; app RAM
// lies above the kernel's RAM (layout.ld).
const APP_MEMORY: AppMemory = unsafe {
    AppMemory::new(
        memory_map::APP_FLASH_START..memory_map::APP_FLASH_END,
        memory_map::APP_RAM_START..memory_map::APP_RAM_END,
    )
};

/// How many processes the board runs at once.
const PROCESS_SLOTS: usize = 4;
/// The board's EUI-64 (driver 0x30006): locally administered (0x02 in the
/// first byte), the same on every QEMU instance; in memory order
/// 02 71 65 6d 75 00 00 01 ("qemu" in the middle).
#[cfg(feature = "eui64")]
const EUI64: u64 = u64::from_le_bytes([0x02, b'q', b'e', b'm', b'u', 0x00, 0x00, 0x01]);
/// Grant region reserved above each process's minimum RAM.
const GRANT_REGION_BYTES: usize = 1024;
/// Fault policy: restart a faulting process this many times, then stop it.
const FAULT_POLICY: FaultPolicy = FaultPolicy::Restart {
    threshold: DEFAULT_RESTART_THRESHOLD,
};

driver_table! {
    /// System-call drivers by number.
    struct Drivers {
        DriverNumber::CONSOLE => console: capsules::console::Console<'static>,
        DriverNumber::ALARM => alarm: AlarmDriver<'static, VirtualAlarm<'static, MachineTimer>>,
        #[cfg(feature = "emulated_io")]
        DriverNumber::LED => led: capsules::led::Led<'static>,
        #[cfg(feature = "emulated_io")]
        DriverNumber::BUTTON => button: capsules::button::Button<'static>,
        DriverNumber::LOW_LEVEL_DEBUG => low_level_debug:
            capsules::low_level_debug::LowLevelDebug<'static>,
        DriverNumber::RNG => rng: capsules::rng::Rng<'static>,
        DriverNumber::IPC => ipc: capsules::ipc::Ipc,
        DriverNumber::PROCESS_INFO => process_info: capsules::process_info::ProcessInfo<'static>,
        #[cfg(feature = "app_loader")]
        DriverNumber::APP_LOADER => app_loader: capsules::app_loader::AppLoader<'static>,
        #[cfg(feature = "app_state")]
        DriverNumber::APP_STATE => app_state: capsules::app_state::AppState<'static>,
        #[cfg(feature = "date_time")]
        DriverNumber::DATE_TIME => date_time: capsules::date_time::DateTimeDriver<'static>,
        #[cfg(feature = "eui64")]
        DriverNumber::EUI64 => eui64: capsules::eui64::Eui64,
        #[cfg(feature = "crc")]
        DriverNumber::CRC => crc: capsules::crc::CrcDriver,
        #[cfg(feature = "isolated_storage")]
        DriverNumber::ISOLATED_NONVOLATILE_STORAGE => isolated_storage:
            capsules::isolated_nonvolatile_storage::IsolatedNonvolatileStorage<'static>,
        DriverNumber(TEST_EXIT_DRIVER) => test_exit: TestExitDriver,
        #[cfg(feature = "security_key")]
        DriverNumber::SHA => sha: capsules::digest_driver::DigestDriver<'static>,
        #[cfg(feature = "security_key")]
        DriverNumber::HMAC => hmac: capsules::digest_driver::DigestDriver<'static>,
        #[cfg(feature = "security_key")]
        DriverNumber::KV => kv: capsules::kv::KeyValue<'static>,
        #[cfg(feature = "security_key")]
        DriverNumber::CTAP => ctap: capsules::hid_driver::HidDriver<'static>,
        #[cfg(feature = "security_key")]
        DriverNumber::USB_KEYBOARD_HID => keyboard: capsules::hid_driver::HidDriver<'static>,
        #[cfg(feature = "security_key")]
        DriverNumber::AES => aes: capsules::aes::AesDriver<'static>,
    }
}

/// The reset entry calls this once `_start` has set up RAM.
#[no_mangle]
pub extern "C" fn main() -> ! {
    let capability = BoardCapability;

    // Chip and kernel.
    let rng_queue = static_init!(SharedQueue, SharedQueue::new());
    // SAFETY: this is QEMU's virt machine and the only Peripherals.
    let devices = unsafe { Peripherals::new(rng_queue) };
    let peripherals: &Peripherals = static_init!(Peripherals, devices);
    let (chip, rng_status) = QemuVirt::new(peripherals);
    let chip = static_init!(QemuVirt, chip);
    let deferred_calls: &DeferredCalls = static_init!(DeferredCalls, DeferredCalls::new());
    peripherals
        .flash
        .set_deferred_call(deferred_calls.allocate());
    let processes = static_init!(
        [Process; PROCESS_SLOTS],
        [const { Process::new() }; PROCESS_SLOTS]
    );
    let kernel: &Kernel = static_init!(Kernel, Kernel::new(processes, &peripherals.uart));
    kernel.set_fault_policy(FAULT_POLICY, &capability);
    let scheduler = static_init!(RoundRobin, RoundRobin::new(DEFAULT_TIMESLICE_MICROSECONDS));
    kernel.print(format_args!("qemu-rv32-virt: kernel booting\r\n"));
    if let Err(error) = rng_status {
        kernel.print(format_args!("[kernel] no entropy device: {:?}\r\n", error));
    }

    // Capsules. The journal finishes a cut rewrite before processes load.
    #[cfg(any(
        feature = "app_state",
        feature = "app_loader",
        feature = "security_key",
        feature = "isolated_storage"
    ))]
    let flash = flash_sharing::flash_sharing(kernel, peripherals, deferred_calls);
    #[cfg(feature = "app_loader")]
    let (mux, app_management, loader_service) = app_loader::uart_mux_with_loader(
        kernel,
        peripherals,
        deferred_calls,
        flash.users.loader,
        flash.journal,
    );
    #[cfg(not(feature = "app_loader"))]
    let mux = board_components::console::uart_mux(&peripherals.uart, deferred_calls);
    #[cfg(feature = "security_key")]
    let entropy = security_key::csprng(peripherals, deferred_calls);
    #[cfg(feature = "security_key")]
    let (ctap, keyboard) = security_key::hid(kernel, chip, deferred_calls);
    #[cfg(not(feature = "security_key"))]
    let entropy = &peripherals.rng;
    // The process alarm driver and the emulated button share the timer.
    let alarms = alarm_mux(
        &peripherals.timer,
        static_buf!(MuxAlarm<'static, MachineTimer>),
    );
    let drivers = static_init!(
        Drivers,
        Drivers {
            console: console(kernel, mux),
            alarm: components::process_alarm(kernel, alarms),
            #[cfg(feature = "emulated_io")]
            led: leds(&peripherals.uart),
            #[cfg(feature = "emulated_io")]
            button: components::emulated_button(kernel, mux, alarms),
            low_level_debug: low_level_debug(&peripherals.uart),
            rng: rng(kernel, entropy),
            ipc: ipc(kernel),
            process_info: process_info(kernel),
            #[cfg(feature = "app_loader")]
            app_loader: loader_service,
            #[cfg(feature = "app_state")]
            app_state: flash_sharing::app_state(
                kernel,
                flash.users.app_state,
                flash.journal,
                deferred_calls
            ),
            test_exit: components::test_exit(kernel, peripherals),
            #[cfg(feature = "date_time")]
            date_time: components::date_time(kernel, deferred_calls),
            #[cfg(feature = "crc")]
            crc: components::crc(kernel, deferred_calls),
            #[cfg(feature = "isolated_storage")]
            isolated_storage: isolated_storage::isolated_storage(
                kernel,
                &peripherals.flash,
                flash.journal,
                deferred_calls
            ),
            #[cfg(feature = "eui64")]
            eui64: static_init!(capsules::eui64::Eui64, capsules::eui64::Eui64::new(EUI64)),
            #[cfg(feature = "security_key")]
            sha: security_key::sha(kernel, deferred_calls),
            #[cfg(feature = "security_key")]
            hmac: security_key::hmac(kernel, deferred_calls),
            #[cfg(feature = "security_key")]
            kv: security_key::kv(kernel, flash.users.kv),
            #[cfg(feature = "security_key")]
            ctap,
            #[cfg(feature = "security_key")]
            keyboard,
            #[cfg(feature = "security_key")]
            aes: security_key::aes(kernel, deferred_calls),
        }
    );

    // Processes (checked before they start, with `credential_checking`).
    #[cfg(feature = "credential_checking")]
    let _checker = credentials::install_checker(kernel, deferred_calls, &peripherals.flash);
    #[cfg(feature = "app_loader")]
    app_loader::before_processes_load(
        loader_service,
        #[cfg(feature = "credential_checking")]
        _checker,
        alarms,
    );
    let contexts = static_init!(
        [ChipProcessContext<QemuVirt>; PROCESS_SLOTS],
        core::array::from_fn(|_| Default::default())
    );
    load_processes(kernel, chip, contexts, &APP_MEMORY, GRANT_REGION_BYTES);
    process_console(
        kernel,
        mux,
        &peripherals.uart,
        Some(components::reset_board),
    );

    let kernel_loop = KernelLoop::new(
        kernel,
        chip,
        contexts,
        drivers,
        scheduler,
        deferred_calls,
        &capability,
    );
    #[cfg(feature = "app_loader")]
    let kernel_loop = kernel_loop.with_app_management(app_management);
    let mut kernel_loop = kernel_loop;
    kernel_loop.run()
}
