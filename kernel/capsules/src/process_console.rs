//! The process console: a text console on the serial line to inspect and
//! control processes, with upstream Tock's commands and `list` format:
//! help, status, list, stop, start, fault, boot, terminate, process,
//! kernel, reset, panic.
//!
//! It reads through its own [`crate::uart_mux::VirtualUart`] (so it shares
//! the UART with the console driver) and writes through the kernel's
//! synchronous debug output. It changes processes only through
//! [`ProcessManagement`], which needs the capability the board holds.

use core::cell::Cell;
use core::fmt::Write;

use kernel::hil::uart::{Receive, ReceiveClient};
use kernel::kernel::ProcessManagement;
use kernel::platform::{DebugOutput, DebugWriter};
use kernel::process::{State, StoppedState};
use kernel::ErrorCode;

/// The longest command line.
pub const COMMAND_LENGTH: usize = 32;

const VALID_COMMANDS: &str =
    "help status list stop start fault boot terminate process kernel reset panic\r\n";

/// The process console.
pub struct ProcessConsole<'a> {
    uart: &'a dyn Receive<'a>,
    output: &'a dyn DebugOutput,
    management: ProcessManagement<'a>,
    receive_buffer: Cell<Option<&'static mut [u8]>>,
    command: Cell<[u8; COMMAND_LENGTH]>,
    length: Cell<usize>,
    previous_byte: Cell<u8>,
    escape: Cell<bool>,
    reset: Option<fn() -> !>,
}

impl<'a> ProcessConsole<'a> {
    /// A console reading from `uart` into `receive_buffer` (one byte is
    /// enough), writing to `output`; `reset` restarts the chip if the board
    /// has a way to.
    pub fn new(
        uart: &'a dyn Receive<'a>,
        output: &'a dyn DebugOutput,
        management: ProcessManagement<'a>,
        receive_buffer: &'static mut [u8],
        reset: Option<fn() -> !>,
    ) -> Self {
        ProcessConsole {
            uart,
            output,
            management,
            receive_buffer: Cell::new(Some(receive_buffer)),
            command: Cell::new([0; COMMAND_LENGTH]),
            length: Cell::new(0),
            previous_byte: Cell::new(0),
            escape: Cell::new(false),
            reset,
        }
    }

    /// Print the prompt and start listening.
    pub fn start(&self) -> Result<(), ErrorCode> {
        self.write("tock$ ");
        self.listen()
    }

    fn listen(&self) -> Result<(), ErrorCode> {
        let buffer = self.receive_buffer.take().ok_or(ErrorCode::Already)?;
        self.uart
            .receive_buffer(buffer, 1)
            .map_err(|(error, buffer)| {
                self.receive_buffer.set(Some(buffer));
                error
            })
    }

    fn write(&self, text: &str) {
        self.output.write_text(text);
    }

    fn print(&self, arguments: core::fmt::Arguments<'_>) {
        let _ = DebugWriter(self.output).write_fmt(arguments);
    }

    /// Handle one typed byte: edit the line, echo it, run it on Enter.
    fn handle_byte(&self, byte: u8) {
        let previous = self.previous_byte.replace(byte);
        if self.escape.get() {
            // Skip ANSI escape sequences (arrow keys): they end with a letter or '~'.
            if byte.is_ascii_alphabetic() || byte == b'~' {
                self.escape.set(false);
            }
            return;
        }
        match byte {
            0x1b => self.escape.set(true),
            b'\n' if previous == b'\r' => {}
            b'\r' | b'\n' => {
                self.write("\r\n");
                let command = self.command.get();
                let length = self.length.replace(0);
                match core::str::from_utf8(&command[..length]) {
                    Ok(line) => self.execute(line.trim()),
                    Err(_) => self.write("Invalid command\r\n"),
                }
                self.write("tock$ ");
            }
            0x08 | 0x7f if self.length.get() > 0 => {
                self.length.set(self.length.get() - 1);
                self.write("\x08 \x08");
            }
            0x20..=0x7e if self.length.get() < COMMAND_LENGTH => {
                let mut command = self.command.get();
                command[self.length.get()] = byte;
                self.command.set(command);
                self.length.set(self.length.get() + 1);
                let echo = [byte];
                self.write(core::str::from_utf8(&echo).unwrap_or(""));
            }
            _ => {}
        }
    }

    /// Run one command line.
    pub fn execute(&self, line: &str) {
        let mut words = line.split_whitespace();
        let Some(verb) = words.next() else { return };
        let argument = words.next();
        let named = |action: &dyn Fn(usize, &str)| {
            if let Some(name) = argument {
                if let Some(index) = self.management.find(name) {
                    action(index, name);
                }
            }
        };
        match verb {
            "help" => {
                self.write("Welcome to the process console.\r\n");
                self.write("Valid commands are: ");
                self.write(VALID_COMMANDS);
            }
            "start" => named(&|index, name| {
                self.management.resume(index);
                self.print(format_args!("Process {} resumed.\r\n", name));
            }),
            "stop" => named(&|index, name| {
                self.management.stop(index);
                self.print(format_args!("Process {} stopped\r\n", name));
            }),
            "fault" => named(&|index, name| {
                self.management.fault(index);
                self.print(format_args!("Process {} now faulted\r\n", name));
            }),
            "terminate" => named(&|index, name| {
                self.management.terminate(index);
                self.print(format_args!("Process {} terminated\n", name));
            }),
            "boot" => named(&|index, _| {
                if self.management.kernel().processes()[index].state() == State::Terminated {
                    self.management.boot(index);
                }
            }),
            "list" => self.list(),
            "status" => self.status(),
            "process" => named(&|index, _| self.process(index)),
            "kernel" => {
                let (major, minor) = kernel_abi::KERNEL_VERSION;
                self.print(format_args!(
                    "Kernel version: {}.{} (build {})\r\n",
                    major,
                    minor,
                    env!("CARGO_PKG_VERSION")
                ));
                let kernel = self.management.kernel();
                self.print(format_args!(
                    "Process slots: {}   Grants: {}\r\n",
                    kernel.processes().len(),
                    kernel.grant_count()
                ));
            }
            "reset" => match self.reset {
                Some(reset) => reset(),
                None => self.write("Reset function is not implemented"),
            },
            "panic" => panic!("Process Console forced a kernel panic."),
            _ => {
                self.write("Valid commands are: ");
                self.write(VALID_COMMANDS);
            }
        }
    }

    fn list(&self) {
        self.write(
            " PID    ShortID    Name                Quanta  Syscalls  Restarts  Grants  State\r\n",
        );
        let kernel = self.management.kernel();
        for (index, process) in kernel
            .processes()
            .iter()
            .enumerate()
            .filter(|(_, p)| p.is_loaded())
        {
            let identifier = self.management.identifier(index).unwrap_or(0);
            self.print(format_args!(
                " {:<7}{:<11}{:<20}{:6}{:10}{:10}  {:2}/{:2}   {}\r\n",
                identifier,
                "Unique",
                process.name(),
                process.timeslice_expiration_count(),
                process.syscall_count(),
                process.restart_count(),
                process.allocated_grant_count(),
                kernel.grant_count(),
                StateName(process.state()),
            ));
        }
    }

    fn status(&self) {
        let processes = self
            .management
            .kernel()
            .processes()
            .iter()
            .filter(|p| p.is_loaded());
        let (mut total, mut active, mut expirations) = (0, 0, 0);
        for process in processes {
            total += 1;
            active += process.state().is_alive() as usize;
            expirations += process.timeslice_expiration_count() as usize;
        }
        self.print(format_args!("Total processes: {}\r\n", total));
        self.print(format_args!("Active processes: {}\r\n", active));
        self.print(format_args!("Timeslice expirations: {}\r\n", expirations));
    }

    fn process(&self, index: usize) {
        let process = &self.management.kernel().processes()[index];
        let layout = process.layout();
        self.print(format_args!(
            "App: {}   -   [{}]\r\n",
            process.name(),
            StateName(process.state())
        ));
        self.print(format_args!(
            " Events Queued: {}   Syscall Count: {}   Dropped Upcall Count: {}\r\n",
            process.pending_upcall_count(),
            process.syscall_count(),
            process.dropped_upcall_count()
        ));
        self.print(format_args!(
            " Restart Count: {}\r\n",
            process.restart_count()
        ));
        self.print(format_args!(
            " Flash {:#010x}-{:#010x}   RAM {:#010x}-{:#010x}\r\n App break {:#010x}   Grant region {:#010x}-{:#010x}\r\n",
            layout.flash.start,
            layout.flash.end(),
            layout.ram.start,
            layout.ram.end(),
            layout.app_break,
            layout.kernel_break,
            layout.ram.end()
        ));
    }
}

/// A state as upstream's `list` prints it (its `Debug` form).
struct StateName(State);

impl core::fmt::Display for StateName {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let stopped = |previous| match previous {
            StoppedState::Running => "Running",
            StoppedState::Yielded => "Yielded",
            StoppedState::YieldedFor(_) => "YieldedFor",
        };
        match self.0 {
            State::Stopped(previous) => write!(f, "Stopped({})", stopped(previous)),
            state => f.write_str(state.name()),
        }
    }
}

impl ReceiveClient for ProcessConsole<'_> {
    fn received_buffer(
        &self,
        buffer: &'static mut [u8],
        length: usize,
        _result: Result<(), ErrorCode>,
    ) {
        let byte = buffer[0];
        self.receive_buffer.set(Some(buffer));
        if length == 1 {
            self.handle_byte(byte);
        }
        let _ = self.listen();
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use crate::test_support::{buffer, FakeUart};
    use kernel::hil::uart::Receive;
    use kernel::testing::{TestCapability, TestKernel};
    use std::boxed::Box;

    fn console(test: &TestKernel) -> (&'static FakeUart, &'static ProcessConsole<'static>) {
        let uart: &'static FakeUart = Box::leak(Box::default());
        let management = ProcessManagement::new(test.kernel, &TestCapability);
        let console: &'static ProcessConsole<'static> = Box::leak(Box::new(ProcessConsole::new(
            uart,
            test.kernel.output(),
            management,
            buffer(1),
            None,
        )));
        uart.set_receive_client(console);
        console.start().unwrap();
        (uart, console)
    }

    #[test]
    fn list_matches_upstream_format() {
        let test = TestKernel::new(2, 2048);
        let _grant: kernel::grant::Grant<u32, 0, 0, 0> =
            test.kernel.create_grant(1, &TestCapability);
        let (uart, _) = console(&test);
        ProcessManagement::new(test.kernel, &TestCapability).stop(1);
        uart.type_bytes(b"list\r\n");
        let output = test.take_output();
        let expected = "tock$ list\r\n PID    ShortID    Name                Quanta  Syscalls  Restarts  Grants  State\r\n \
            0      Unique     app0                     0         0         0   0/ 1   Running\r\n \
            1      Unique     app1                     0         0         0   0/ 1   Stopped(Running)\r\ntock$ ";
        assert_eq!(output, expected);
    }

    #[test]
    fn commands_control_processes_by_name() {
        let test = TestKernel::new(2, 2048);
        let (uart, _) = console(&test);
        uart.type_bytes(b"stop app1\rstart app1\rterminate app0\rboot app0\rfault app1\r");
        let output = test.take_output();
        for line in [
            "Process app1 stopped\r\n",
            "Process app1 resumed.\r\n",
            "Process app0 terminated\n",
            "Process app1 now faulted\r\n",
        ] {
            assert!(output.contains(line), "missing {:?} in {:?}", line, output);
        }
        assert_eq!(
            test.kernel.processes()[0].state(),
            State::Running,
            "booted again"
        );
        assert_eq!(
            test.kernel.processes()[1].restart_count(),
            1,
            "fault applies the restart policy"
        );
    }

    #[test]
    fn editing_help_status_and_unknown_commands() {
        let test = TestKernel::new(1, 2048);
        let (uart, _) = console(&test);
        uart.type_bytes(b"hepl\x7f\x7flp\r");
        assert!(test
            .take_output()
            .contains("Welcome to the process console.\r\nValid commands are: help status list"));
        uart.type_bytes(b"status\r");
        assert!(test
            .take_output()
            .contains("Total processes: 1\r\nActive processes: 1\r\nTimeslice expirations: 0\r\n"));
        uart.type_bytes(b"\x1b[Ajunk\r");
        let output = test.take_output();
        assert!(
            output.starts_with("junk\r\nValid commands are: "),
            "{:?}",
            output
        );
        uart.type_bytes(b"process app0\rreset\r");
        let output = test.take_output();
        assert!(output.contains("App: app0   -   [Running]"), "{:?}", output);
        assert!(output.contains("Reset function is not implemented"));
    }
}
