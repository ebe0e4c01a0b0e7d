//! The live loader (feature `app_loader`): the kernel's loader service on
//! UARTE0 (the J-Link USB serial port), and runtime app management, so
//! `loader --port /dev/ttyACM0 install app.tab` works on a running board.
//!
//! ```text
//!  UARTE0 --> AppLoader (frames: loader commands) --> UartMux --> console, process console
//!               |-- Nvmc (flash HIL, 512-byte pages): WRITE_PAGE into app flash only
//!               '-- AppManagement <-- KernelLoop performs install/replace/remove
//! ```

use board_components::BoardCapability;
use capsules::app_loader::{AppLoader, LinkWriter};
use capsules::uart_mux::UartMux;
use chip_nrf52840::uarte::Uarte;
use chip_nrf52840::{addresses, Peripherals};
use kernel::app_management::AppManagement;
use kernel::deferred_call::DeferredCalls;
use kernel::hil::flash::Flash;
use kernel::hil::uart::{Receive, Transmit};
use kernel::process_loading::LoadConfiguration;
use kernel::Kernel;

use crate::{static_init, APP_MEMORY};

/// What GET_ATTRIBUTE answers (upstream's keys; tockloader reads them).
/// The page is the serial protocol's 512 bytes, which the NVMC driver's
/// flash HIL pages match.
const ATTRIBUTES: [(&str, &str); 4] = [
    ("board", "nrf52840dk"),
    ("arch", "cortex-m4"),
    ("appaddr", "0x40000"),
    ("pagesize", "512"),
];

/// Answers go out by polling UARTE0.
struct PolledLink(&'static Uarte);

impl LinkWriter for PolledLink {
    fn write_bytes(&self, bytes: &[u8]) {
        self.0.write_polled(bytes);
    }
}

/// The UART mux, fed by the loader service, and the app management the
/// main loop must serve.
pub fn uart_mux_with_loader(
    kernel: &'static Kernel,
    peripherals: &'static Peripherals,
    calls: &'static DeferredCalls,
) -> (&'static UartMux<'static>, &'static AppManagement) {
    let loading = LoadConfiguration {
        grant_region_bytes: crate::GRANT_REGION_BYTES,
    };
    let management = static_init!(
        AppManagement,
        AppManagement::new(APP_MEMORY.flash(), APP_MEMORY.ram(), loading)
    );
    let uart = &peripherals.uarte;
    let flash = &peripherals.nvmc;
    let link = static_init!(PolledLink, PolledLink(uart));
    let loader: &'static mut AppLoader<'static> = static_init!(
        AppLoader<'static>,
        AppLoader::new(
            uart,
            link,
            flash,
            addresses::FLASH,
            management,
            kernel,
            &BoardCapability,
            static_init!([u8; 1], [0; 1]),
            static_init!([u8; 512], [0; 512]),
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
    (mux, management)
}
