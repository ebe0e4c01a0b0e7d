//! The live loader (feature `app_loader`): the kernel's loader service on
//! the console UART, and runtime app management.
//!
//! ```text
//!  16550 UART --> AppLoader (frames: loader commands) --> UartMux --> console, process console, button
//!                   |-- Pflash (flash HIL): WRITE_PAGE into app flash only
//!                   '-- AppManagement <-- KernelLoop performs install/replace/remove
//! ```

use capsules::app_loader::{AppLoader, LinkWriter};
use capsules::uart_mux::UartMux;
use chip_qemu_virt::uart::Uart;
use chip_qemu_virt::Peripherals;
use kernel::app_management::AppManagement;
use kernel::deferred_call::DeferredCalls;
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
    uart.set_transmit_client(mux);
    loader.set_receive_client(mux);
    if loader.start().is_err() {
        kernel.print(format_args!(
            "[kernel] the loader service could not start\r\n"
        ));
    }
    (mux, management, loader)
}
