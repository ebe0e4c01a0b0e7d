//! The live loader (feature `app_loader`): the kernel's loader service on
//! the console UART, and runtime app management.
//!
//! ```text
//!  16550 UART <-> AppLoader (frames: loader commands; console out: ESC doubled) <-> UartMux --> console, process console, button
//!                   |-- Pflash (flash HIL): WRITE_PAGE into app flash only
//!                   |-- FlashJournal (blocking, on Pflash): writes that set bits
//!                   '-- AppManagement <-- KernelLoop performs install/replace/remove
//! ```

use board_components::drivers::virtual_alarm;
use board_components::static_buf;
use capsules::app_loader::{AppLoader, ConfirmPolicy, LinkWriter};
use capsules::uart_mux::UartMux;
use capsules::virtual_alarm::{MuxAlarm, VirtualAlarm};
use chip_qemu_virt::clint::MachineTimer;
use chip_qemu_virt::pflash::Pflash;
use chip_qemu_virt::uart::Uart;
use chip_qemu_virt::Peripherals;
use kernel::app_management::AppManagement;
use kernel::deferred_call::DeferredCalls;
use kernel::flash_journal::FlashJournal;
use kernel::hil::flash::Flash;
use kernel::hil::uart::{Receive, Transmit};
use kernel::platform::Region;
use kernel::process_loading::LoadConfiguration;
use kernel::Kernel;

use crate::io::BoardCapability;
use crate::memory_map::{APP_FLASH_END, APP_FLASH_START, APP_RAM_END, APP_RAM_START};
use crate::static_init;

/// What GET_ATTRIBUTE answers (upstream's keys; tockloader reads them).
const ATTRIBUTES: [(&str, &str); 4] = [
    ("board", "qemu-rv32-virt"),
    ("arch", "rv32imac"),
    ("appaddr", "0x20040000"),
    ("pagesize", "512"),
];

/// How a test install (`loader install --test`) is confirmed on this
/// board: by the app's system call, by `loader confirm NAME`, or after
/// this long without a fault past the restart threshold. A fault past
/// it, or a reboot first, reverts to the old version.
pub const TEST_CONFIRM_POLICY: ConfirmPolicy = ConfirmPolicy {
    by_app: true,
    by_loader: true,
    after_seconds: Some(TEST_CONFIRM_SECONDS),
};

/// Seconds a version on test runs without a fault before it is kept.
pub const TEST_CONFIRM_SECONDS: u32 = 12;

/// The loader service watches versions on test with `alarm` under the
/// board's [`TEST_CONFIRM_POLICY`].
fn watch_test_installs(
    loader: &'static AppLoader<'static>,
    alarm: &'static dyn kernel::hil::time::Alarm<'static>,
) {
    alarm.set_alarm_client(loader);
    loader.set_test_install_policy(TEST_CONFIRM_POLICY, alarm);
}

/// Settles app flash before processes load, in this order: the loader
/// hears the credential checker (if any); a test install not confirmed
/// before this boot reverts (before the duplicate rule, which would keep
/// the higher version); versions on test are watched on a virtual alarm
/// of `alarms`; and of two images of one app (a cut between linking a new
/// version and freeing the old) the one the board would run is kept.
pub fn before_processes_load(
    loader: &'static AppLoader<'static>,
    #[cfg(feature = "credential_checking")] checker: Option<
        &'static kernel::credential::CredentialChecker,
    >,
    alarms: &'static MuxAlarm<'static, MachineTimer>,
) {
    // Live installs are answered once their credentials are checked; a
    // build replacing an app in its own slot is checked before the old
    // one stops.
    #[cfg(feature = "credential_checking")]
    if let Some(checker) = checker {
        checker.set_client(loader);
        loader.set_credential_policy(checker.policy());
        if checker.trust_store().is_some() {
            loader.set_trust_management(checker);
        }
    }
    loader.settle_test_install();
    watch_test_installs(
        loader,
        virtual_alarm(alarms, static_buf!(VirtualAlarm<'static, MachineTimer>)),
    );
    loader.free_duplicate_images();
}

/// Answers go out by polling the UART.
struct PolledLink(&'static Uart);

impl LinkWriter for PolledLink {
    fn write_bytes(&self, bytes: &[u8]) {
        self.0.write_polled(bytes);
    }
}

/// The UART mux, fed by the loader service; the app management the main
/// loop must serve; and the service (to hear the credential checker).
pub fn uart_mux_with_loader(
    kernel: &'static Kernel,
    peripherals: &'static Peripherals,
    calls: &'static DeferredCalls,
    flash: &'static dyn Flash<'static>,
    journal: &'static FlashJournal<'static, Pflash>,
) -> (
    &'static UartMux<'static>,
    &'static AppManagement,
    &'static AppLoader<'static>,
) {
    // SAFETY: app flash is mapped for good; the loader service writes it
    // only outside every loaded process's image.
    let app_flash = unsafe {
        core::slice::from_raw_parts(
            APP_FLASH_START as *const u8,
            APP_FLASH_END - APP_FLASH_START,
        )
    };
    let app_ram = Region::new(APP_RAM_START, APP_RAM_END - APP_RAM_START);
    let loading = LoadConfiguration {
        grant_region_bytes: crate::GRANT_REGION_BYTES,
    };
    let management = static_init!(
        AppManagement,
        AppManagement::new(app_flash, app_ram, loading)
    );
    let uart = &peripherals.uart;
    let link = static_init!(PolledLink, PolledLink(uart));
    let loader: &'static mut AppLoader<'static> = static_init!(
        AppLoader<'static>,
        AppLoader::new(
            uart,
            link,
            flash,
            peripherals.flash.base(),
            management,
            kernel,
            &BoardCapability,
            static_init!([u8; 1], [0; 1]),
            static_init!([u8; 1024], [0; 1024]),
        )
    );
    loader.set_attributes(&ATTRIBUTES);
    loader.set_block_rewrite(journal);
    // SAFETY: the bank is mapped for good; below app flash it holds the
    // bootloader and kernel images, which nothing writes while we run.
    let readable = unsafe {
        core::slice::from_raw_parts(
            peripherals.flash.base() as *const u8,
            APP_FLASH_START - peripherals.flash.base(),
        )
    };
    loader.set_readable_flash(readable);
    #[cfg(feature = "bootloader_entry")]
    loader.set_bootloader_entry(bootloader_entry(peripherals));
    let loader: &'static AppLoader<'static> = loader;
    uart.set_receive_client(loader);
    flash.set_client(loader);
    management.set_client(loader);
    let call = calls.allocate();
    let mux = static_init!(
        UartMux<'static>,
        UartMux::new(loader, static_init!([u8; 1], [0; 1]), call)
    );
    call.register(mux);
    // Console output goes through the service, which doubles ESC bytes.
    uart.set_transmit_client(loader);
    loader.set_transmit_client(mux);
    loader.set_receive_client(mux);
    if loader.start().is_err() {
        kernel.print(format_args!(
            "[kernel] the loader service could not start\r\n"
        ));
    }
    (mux, management, loader)
}

/// ENTER_BOOTLOADER: the request word, then a reset (feature
/// `bootloader_entry`).
#[cfg(feature = "bootloader_entry")]
fn bootloader_entry(
    peripherals: &'static Peripherals,
) -> &'static dyn capsules::app_loader::BootloaderEntry {
    use chip_qemu_virt::reset::BootloaderReset;

    struct Entry(BootloaderReset);
    impl capsules::app_loader::BootloaderEntry for Entry {
        fn reset_into_bootloader(&self) -> ! {
            self.0.reset_into_bootloader()
        }
    }
    // SAFETY: layout.ld keeps the request word out of every kernel section
    // and below process RAM; the bootloader reads it at reset.
    let reset = unsafe {
        BootloaderReset::new(
            crate::memory_map::BOOTLOADER_ENTRY_REQUEST,
            crate::memory_map::BOOTLOADER_ENTRY_MAGIC,
            &peripherals.test_device,
        )
    };
    static_init!(Entry, Entry(reset))
}
