//! The UART stack: one UART shared by a mux between the console driver,
//! the process console and whatever else listens on the serial line.
//!
//! ```text
//!  UART (or the loader service in front of it) --> UartMux --> VirtualUart --> Console (0x1)
//!                                                           '-> VirtualUart --> ProcessConsole
//! ```

use capsules::console::Console;
use capsules::low_level_debug::LowLevelDebug;
use capsules::process_console::ProcessConsole;
use capsules::uart_mux::{UartMux, VirtualUart};
use kernel::deferred_call::DeferredCalls;
use kernel::hil::uart::{Receive, Transmit, Uart};
use kernel::kernel::ProcessManagement;
use kernel::platform::DebugOutput;
use kernel::Kernel;
use kernel_abi::DriverNumber;

use crate::{static_init, BoardCapability};

/// Bytes of each of the console driver's transmit and receive buffers.
const CONSOLE_BUFFER_BYTES: usize = 64;

/// Shares `uart` between virtual UARTs. (With a live loader service the
/// board builds the mux behind the service instead.)
pub fn uart_mux(
    uart: &'static dyn Uart<'static>,
    calls: &'static DeferredCalls,
) -> &'static UartMux<'static> {
    let call = calls.allocate();
    let mux = static_init!(
        UartMux<'static>,
        UartMux::new(uart, static_init!([u8; 1], [0; 1]), call)
    );
    call.register(mux);
    uart.set_transmit_client(mux);
    uart.set_receive_client(mux);
    mux
}

/// The console driver (0x1) on its own virtual UART.
pub fn console(
    kernel: &'static Kernel,
    mux: &'static UartMux<'static>,
) -> &'static Console<'static> {
    let device = static_init!(VirtualUart<'static>, VirtualUart::new(mux));
    device.attach();
    let grant = kernel.create_grant(DriverNumber::CONSOLE.0, &BoardCapability);
    let console = static_init!(
        Console<'static>,
        Console::new(
            device,
            grant,
            static_init!([u8; CONSOLE_BUFFER_BYTES], [0; CONSOLE_BUFFER_BYTES]),
            static_init!([u8; CONSOLE_BUFFER_BYTES], [0; CONSOLE_BUFFER_BYTES]),
        )
    );
    device.set_transmit_client(console);
    device.set_receive_client(console);
    console
}

/// The process console, reading its own virtual UART and writing to
/// `output` by polling; `reset` is its `reset` command (`None`: the board
/// cannot reset itself, the command says so).
pub fn process_console(
    kernel: &'static Kernel,
    mux: &'static UartMux<'static>,
    output: &'static dyn DebugOutput,
    reset: Option<fn() -> !>,
) {
    let device = static_init!(VirtualUart<'static>, VirtualUart::new(mux));
    device.attach();
    let management = ProcessManagement::new(kernel, &BoardCapability);
    let console = static_init!(
        ProcessConsole<'static>,
        ProcessConsole::new(
            device,
            output,
            management,
            static_init!([u8; 1], [0; 1]),
            reset
        )
    );
    device.set_receive_client(console);
    if console.start().is_err() {
        kernel.print(format_args!(
            "[kernel] the process console could not start\r\n"
        ));
    }
}

/// Low-level debug (0x8), printing to `output` by polling.
pub fn low_level_debug(output: &'static dyn DebugOutput) -> &'static LowLevelDebug<'static> {
    static_init!(LowLevelDebug<'static>, LowLevelDebug::new(output))
}
