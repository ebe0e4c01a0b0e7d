//! The qemu-rv32-virt board: QEMU's RISC-V `virt` machine as a
//! microcontroller. Boots in place from pflash unit 0, keeps apps in the
//! same flash (a TBF chain), and runs them under PMP with a round-robin
//! scheduler. See docs/boards/qemu-rv32-virt.md.
//!
//! This file declares the board: memory map, peripherals, capsules and
//! policies. The wiring lives in `components.rs` and the chip crate.
#![no_std]
#![no_main]

#[cfg(feature = "app_loader")]
mod app_loader;
mod components;
#[cfg(feature = "credential_checking")]
mod credentials;
#[cfg(any(feature = "app_loader", feature = "security_key"))]
mod flash_sharing;
mod io;
#[cfg(feature = "security_key")]
mod security_key;

use capsules::alarm::AlarmDriver;
use capsules::button::Button;
use capsules::console::Console;
use capsules::ipc::Ipc;
use capsules::led::Led;
use capsules::low_level_debug::LowLevelDebug;
use capsules::process_info::ProcessInfo;
use capsules::rng::Rng;
use chip_qemu_virt::clint::MachineTimer;
use chip_qemu_virt::test_driver::{TestExitDriver, TEST_EXIT_DRIVER};
use chip_qemu_virt::virtio_rng::SharedQueue;
use chip_qemu_virt::{Peripherals, QemuVirt};
use io::BoardCapability;
use kernel::deferred_call::DeferredCalls;
use kernel::driver::{SyscallDriver, SyscallDriverLookup};
use kernel::fault::{FaultPolicy, DEFAULT_RESTART_THRESHOLD};
use kernel::kernel_loop::{ChipProcessContext, KernelLoop};
use kernel::platform::{Chip, Region};
use kernel::process::Process;
use kernel::process_loading::{load_processes, LoadConfiguration};
use kernel::scheduler::{RoundRobin, DEFAULT_TIMESLICE_MICROSECONDS};
use kernel::Kernel;
use kernel_abi::DriverNumber;

/// Memory map (must match layout.ld).
mod memory_map {
    /// Apps: a TBF chain from here to the key-value store.
    pub const APP_FLASH_START: usize = 0x2004_0000;
    /// End of app flash: the key-value store's two erase blocks follow.
    pub const APP_FLASH_END: usize = KV_FLASH_START;
    /// The key-value store (two 256 KiB erase blocks); the last block of
    /// pflash unit 0 (0x21FC_0000..0x2200_0000) stays the test driver's
    /// scratch block.
    pub const KV_FLASH_START: usize = 0x21F4_0000;
    /// Process RAM, above the kernel's 64 KiB.
    pub const APP_RAM_START: usize = 0x8001_0000;
    /// End of RAM with `-m 1M`.
    pub const APP_RAM_END: usize = 0x8010_0000;
}

/// How many processes the board runs at once.
const PROCESS_SLOTS: usize = 4;
/// Grant region reserved above each process's minimum RAM.
const GRANT_REGION_BYTES: usize = 1024;
/// Fault policy: restart a faulting process this many times, then stop it.
const FAULT_POLICY: FaultPolicy = FaultPolicy::Restart {
    threshold: DEFAULT_RESTART_THRESHOLD,
};

/// System-call drivers by number.
struct Drivers {
    console: &'static Console<'static>,
    alarm: &'static AlarmDriver<'static, MachineTimer>,
    led: &'static Led<'static>,
    button: &'static Button<'static>,
    low_level_debug: &'static LowLevelDebug<'static>,
    rng: &'static Rng<'static>,
    ipc: &'static Ipc,
    process_info: &'static ProcessInfo<'static>,
    test_exit: &'static TestExitDriver,
    #[cfg(feature = "security_key")]
    sha: &'static capsules::digest_driver::DigestDriver<'static>,
    #[cfg(feature = "security_key")]
    hmac: &'static capsules::digest_driver::DigestDriver<'static>,
    #[cfg(feature = "security_key")]
    kv: &'static capsules::kv::KeyValue<'static>,
    #[cfg(feature = "security_key")]
    ctap: &'static capsules::hid_driver::HidDriver<'static>,
    #[cfg(feature = "security_key")]
    keyboard: &'static capsules::hid_driver::HidDriver<'static>,
    #[cfg(feature = "security_key")]
    aes: &'static capsules::aes::AesDriver<'static>,
}

impl SyscallDriverLookup for Drivers {
    fn driver(&self, driver: u32) -> Option<&dyn SyscallDriver> {
        match DriverNumber(driver) {
            DriverNumber::CONSOLE => Some(self.console),
            DriverNumber::ALARM => Some(self.alarm),
            DriverNumber::LED => Some(self.led),
            DriverNumber::BUTTON => Some(self.button),
            DriverNumber::LOW_LEVEL_DEBUG => Some(self.low_level_debug),
            DriverNumber::RNG => Some(self.rng),
            DriverNumber::IPC => Some(self.ipc),
            DriverNumber::PROCESS_INFO => Some(self.process_info),
            DriverNumber(TEST_EXIT_DRIVER) => Some(self.test_exit),
            #[cfg(feature = "security_key")]
            DriverNumber::SHA => Some(self.sha),
            #[cfg(feature = "security_key")]
            DriverNumber::HMAC => Some(self.hmac),
            #[cfg(feature = "security_key")]
            DriverNumber::KV => Some(self.kv),
            #[cfg(feature = "security_key")]
            DriverNumber::CTAP => Some(self.ctap),
            #[cfg(feature = "security_key")]
            DriverNumber::USB_KEYBOARD_HID => Some(self.keyboard),
            #[cfg(feature = "security_key")]
            DriverNumber::AES => Some(self.aes),
            _ => None,
        }
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

    // Capsules.
    #[cfg(any(feature = "app_loader", feature = "security_key"))]
    let shared_flash = flash_sharing::shared_flash(peripherals, deferred_calls);
    #[cfg(feature = "app_loader")]
    let (mux, app_management, _loader_service) =
        app_loader::uart_mux_with_loader(kernel, peripherals, deferred_calls, shared_flash.loader);
    #[cfg(not(feature = "app_loader"))]
    let mux = components::uart_mux(peripherals, deferred_calls);
    #[cfg(feature = "security_key")]
    let entropy = security_key::csprng(peripherals, deferred_calls);
    #[cfg(feature = "security_key")]
    let (ctap, keyboard) = security_key::hid(kernel, chip, deferred_calls);
    #[cfg(not(feature = "security_key"))]
    let entropy = &peripherals.rng;
    let drivers = static_init!(
        Drivers,
        Drivers {
            console: components::console(kernel, mux),
            alarm: components::alarm(kernel, &peripherals.timer),
            led: components::leds(peripherals),
            button: components::button(kernel, mux),
            low_level_debug: components::low_level_debug(peripherals),
            rng: components::rng(kernel, entropy),
            ipc: components::ipc(kernel),
            process_info: components::process_info(kernel),
            test_exit: components::test_exit(kernel, peripherals),
            #[cfg(feature = "security_key")]
            sha: security_key::sha(kernel, deferred_calls),
            #[cfg(feature = "security_key")]
            hmac: security_key::hmac(kernel, deferred_calls),
            #[cfg(feature = "security_key")]
            kv: security_key::kv(kernel, shared_flash.kv),
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
    let _checker = credentials::install_checker(kernel, deferred_calls);
    // Live installs are answered once their credentials are checked.
    #[cfg(all(feature = "credential_checking", feature = "app_loader"))]
    if let Some(checker) = _checker {
        checker.set_client(_loader_service);
    }
    let contexts = static_init!(
        [ChipProcessContext<QemuVirt>; PROCESS_SLOTS],
        core::array::from_fn(|_| Default::default())
    );
    // SAFETY: app flash is mapped for good; it is rewritten only through
    // the flash driver, never under an image a process is loaded from.
    let app_flash = unsafe {
        core::slice::from_raw_parts(
            memory_map::APP_FLASH_START as *const u8,
            memory_map::APP_FLASH_END - memory_map::APP_FLASH_START,
        )
    };
    let app_ram = Region::new(
        memory_map::APP_RAM_START,
        memory_map::APP_RAM_END - memory_map::APP_RAM_START,
    );
    let loading = LoadConfiguration {
        grant_region_bytes: GRANT_REGION_BYTES,
    };
    let summary = load_processes(
        kernel,
        chip.memory_protection(),
        contexts,
        app_flash,
        app_ram,
        loading,
        &capability,
    );
    kernel.print(format_args!(
        "[kernel] {} processes loaded, {} skipped; kernel RAM per process: {} bytes\r\n",
        summary.loaded,
        summary.skipped,
        core::mem::size_of::<Process>() + core::mem::size_of::<ChipProcessContext<QemuVirt>>()
    ));
    components::process_console(kernel, mux, peripherals);

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
