//! The console (driver 0x1, upstream's interface), shared fairly by every
//! process over one (virtual) UART.
//!
//! - allow read-only 1: bytes to write; command 1 (n): write n bytes;
//!   subscribe 1: upcall (bytes written, 0, 0)
//! - allow read-write 1: buffer to read into; command 2 (n): read n bytes;
//!   subscribe 2: upcall (status, bytes read, 0); command 3: abort the
//!   read (the upcall then carries CANCEL and what was read)
//!
//! Writes are copied through one kernel buffer, a chunk at a time; when a
//! process's write completes the next waiting process (in slot order after
//! it) goes. One read is outstanding at a time (others get BUSY).

use core::cell::Cell;

use kernel::grant::Grant;
use kernel::hil::uart::{ReceiveClient, TransmitClient, Uart};
use kernel::{CommandReturn, ErrorCode, ProcessId};
use kernel_abi::StatusCode;

/// Per-process console state.
#[derive(Default)]
pub struct ConsoleState {
    write_length: usize,
    written: usize,
    chunk: usize,
    writing: bool,
}

/// The grant this driver needs: upcalls 0..2, buffers 0..1 of each kind.
pub type ConsoleGrant = Grant<ConsoleState, 3, 2, 2>;

/// The console driver.
pub struct Console<'a> {
    uart: &'a dyn Uart<'a>,
    grant: ConsoleGrant,
    transmit_buffer: Cell<Option<&'static mut [u8]>>,
    writer: Cell<Option<ProcessId>>,
    receive_buffer: Cell<Option<&'static mut [u8]>>,
    reader: Cell<Option<ProcessId>>,
}

impl<'a> Console<'a> {
    /// A console over `uart` with kernel buffers for each direction (the
    /// board sets this driver as the UART's transmit and receive client).
    pub fn new(
        uart: &'a dyn Uart<'a>,
        grant: ConsoleGrant,
        transmit_buffer: &'static mut [u8],
        receive_buffer: &'static mut [u8],
    ) -> Self {
        Console {
            uart,
            grant,
            transmit_buffer: Cell::new(Some(transmit_buffer)),
            writer: Cell::new(None),
            receive_buffer: Cell::new(Some(receive_buffer)),
            reader: Cell::new(None),
        }
    }

    /// Send the next chunk of `process`'s write; false if it has none.
    fn send_chunk(&self, process: ProcessId) -> bool {
        let Some(buffer) = self.transmit_buffer.take() else {
            return false;
        };
        let chunk = self.grant.enter(process, |state, kernel_data| {
            let source = kernel_data.read_only_buffer(1).ok()?;
            let end = state.write_length.min(source.len());
            let count = end.saturating_sub(state.written).min(buffer.len());
            let copied = source.copy_to(state.written, &mut buffer[..count]);
            state.chunk = copied;
            (copied > 0).then_some(copied)
        });
        match chunk {
            Ok(Some(count)) => match self.uart.transmit_buffer(buffer, count) {
                Ok(()) => {
                    self.writer.set(Some(process));
                    true
                }
                Err((_, buffer)) => {
                    self.transmit_buffer.set(Some(buffer));
                    false
                }
            },
            _ => {
                self.transmit_buffer.set(Some(buffer));
                false
            }
        }
    }

    /// Complete `process`'s write now (nothing left to send).
    fn finish_write(&self, process: ProcessId) {
        let _ = self.grant.enter(process, |state, kernel_data| {
            state.writing = false;
            let _ = kernel_data.schedule_upcall(1, (state.written as u32, 0, 0));
        });
    }

    /// Start the first waiting write after slot `after`.
    fn start_next_write(&self, after: usize) {
        let mut waiting: [Option<ProcessId>; 2] = [None, None];
        self.grant.each(|process, state, _| {
            if state.writing {
                let slot = if process.index > after { 0 } else { 1 };
                if waiting[slot].is_none() {
                    waiting[slot] = Some(process);
                }
            }
        });
        for process in waiting.into_iter().flatten() {
            if self.send_chunk(process) {
                return;
            }
            self.finish_write(process);
        }
    }

    fn write(&self, process: ProcessId, length: usize) -> CommandReturn {
        let started = self.grant.enter(process, |state, _| {
            if state.writing {
                return Err(ErrorCode::Busy);
            }
            *state = ConsoleState {
                write_length: length,
                writing: true,
                ..ConsoleState::default()
            };
            Ok(())
        });
        match started {
            Ok(Ok(())) => {
                if self.writer.get().is_none() && !self.send_chunk(process) {
                    // Nothing to send (empty buffer): complete, but from the
                    // upcall queue, not from inside this call.
                    self.finish_write(process);
                }
                CommandReturn::success()
            }
            Ok(Err(error)) => CommandReturn::failure(error),
            Err(error) => CommandReturn::failure(error.into()),
        }
    }

    fn read(&self, process: ProcessId, length: usize) -> CommandReturn {
        if self.reader.get().is_some() {
            return CommandReturn::failure(ErrorCode::Busy);
        }
        let capacity = self.grant.enter(process, |_, kernel_data| {
            kernel_data.read_write_buffer(1).map_or(0, |b| b.len())
        });
        let capacity = match capacity {
            Ok(capacity) => capacity,
            Err(error) => return CommandReturn::failure(error.into()),
        };
        let Some(buffer) = self.receive_buffer.take() else {
            return CommandReturn::failure(ErrorCode::Busy);
        };
        let count = length.min(capacity).min(buffer.len());
        if count == 0 {
            self.receive_buffer.set(Some(buffer));
            return CommandReturn::failure(ErrorCode::Size);
        }
        match self.uart.receive_buffer(buffer, count) {
            Ok(()) => {
                self.reader.set(Some(process));
                CommandReturn::success()
            }
            Err((error, buffer)) => {
                self.receive_buffer.set(Some(buffer));
                CommandReturn::failure(error)
            }
        }
    }
}

impl kernel::driver::SyscallDriver for Console<'_> {
    fn command(
        &self,
        command: u32,
        argument0: u32,
        _argument1: u32,
        process: ProcessId,
    ) -> CommandReturn {
        match command {
            0 => CommandReturn::success(),
            1 => self.write(process, argument0 as usize),
            2 => self.read(process, argument0 as usize),
            3 => match self.reader.get() {
                Some(reader) if reader == process => CommandReturn::from(self.uart.receive_abort()),
                _ => CommandReturn::success(),
            },
            _ => CommandReturn::failure(ErrorCode::NoSupport),
        }
    }

    fn allocate_grant(&self, process: ProcessId) -> Result<(), ErrorCode> {
        self.grant
            .enter(process, |_, _| ())
            .map_err(ErrorCode::from)
    }
}

impl TransmitClient for Console<'_> {
    fn transmitted_buffer(
        &self,
        buffer: &'static mut [u8],
        length: usize,
        _result: Result<(), ErrorCode>,
    ) {
        self.transmit_buffer.set(Some(buffer));
        let Some(process) = self.writer.take() else {
            return;
        };
        let more = self.grant.enter(process, |state, _| {
            state.written += length.min(state.chunk);
            state.written < state.write_length
        });
        match more {
            Ok(true) if self.send_chunk(process) => {}
            Ok(_) => {
                self.finish_write(process);
                self.start_next_write(process.index);
            }
            Err(_) => self.start_next_write(process.index),
        }
    }
}

impl ReceiveClient for Console<'_> {
    fn received_buffer(
        &self,
        buffer: &'static mut [u8],
        length: usize,
        result: Result<(), ErrorCode>,
    ) {
        if let Some(process) = self.reader.take() {
            let _ = self.grant.enter(process, |_, kernel_data| {
                let copied = kernel_data
                    .read_write_buffer(1)
                    .map_or(0, |b| b.copy_from(0, &buffer[..length]));
                let status = u32::from(StatusCode::from(result));
                let _ = kernel_data.schedule_upcall(2, (status, copied as u32, 0));
            });
        }
        self.receive_buffer.set(Some(buffer));
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use crate::test_support::{buffer, FakeUart};
    use kernel::deferred_call::DeferredCalls;
    use kernel::driver::SyscallDriver;
    use kernel::hil::uart::{Receive, Transmit};
    use kernel::testing::{TestCapability, TestKernel};
    use std::boxed::Box;

    use crate::uart_mux::{UartMux, VirtualUart};

    struct Rig {
        test: TestKernel,
        uart: &'static FakeUart,
        console: &'static Console<'static>,
        deferred: &'static DeferredCalls,
    }

    fn rig(processes: usize, chunk: usize) -> Rig {
        let test = TestKernel::new(processes, 4096);
        let uart: &'static FakeUart = Box::leak(Box::default());
        let deferred: &'static DeferredCalls = Box::leak(Box::new(DeferredCalls::new()));
        let call = deferred.allocate();
        let mux: &'static UartMux<'static> =
            Box::leak(Box::new(UartMux::new(uart, buffer(1), call)));
        call.register(mux);
        uart.set_transmit_client(mux);
        uart.set_receive_client(mux);
        let device: &'static VirtualUart<'static> = Box::leak(Box::new(VirtualUart::new(mux)));
        device.attach();
        let grant = test.kernel.create_grant(1, &TestCapability);
        let console: &'static Console<'static> = Box::leak(Box::new(Console::new(
            device,
            grant,
            buffer(chunk),
            buffer(16),
        )));
        device.set_transmit_client(console);
        device.set_receive_client(console);
        Rig {
            test,
            uart,
            console,
            deferred,
        }
    }

    #[test]
    fn writes_from_two_processes_are_each_whole_and_both_complete() {
        let rig = rig(2, 4);
        for (index, text) in [b"hello world".as_slice(), b"second!".as_slice()]
            .into_iter()
            .enumerate()
        {
            rig.test.allow_read_only(index, 1, rig.console, 1, text);
            rig.test.subscribe(index, 1, rig.console, 1);
        }
        assert_eq!(
            rig.console.command(1, 11, 0, rig.test.process_id(0)),
            CommandReturn::success()
        );
        assert_eq!(
            rig.console.command(1, 5, 0, rig.test.process_id(1)),
            CommandReturn::success()
        );
        assert_eq!(
            rig.console.command(1, 5, 0, rig.test.process_id(1)),
            CommandReturn::failure(ErrorCode::Busy)
        );
        rig.uart.drain();
        assert_eq!(rig.uart.text(), "hello worldsecon");
        assert_eq!(rig.test.take_upcalls(0)[0].arguments, [11, 0, 0]);
        assert_eq!(rig.test.take_upcalls(1)[0].arguments, [5, 0, 0]);
    }

    #[test]
    fn write_is_clipped_to_the_allowed_buffer() {
        let rig = rig(1, 64);
        rig.test.allow_read_only(0, 1, rig.console, 1, b"abc");
        rig.test.subscribe(0, 1, rig.console, 1);
        rig.console.command(1, 100, 0, rig.test.process_id(0));
        rig.uart.drain();
        assert_eq!(rig.uart.text(), "abc");
        assert_eq!(rig.test.take_upcalls(0)[0].arguments, [3, 0, 0]);
    }

    #[test]
    fn a_write_of_a_dead_process_does_not_block_the_others() {
        let rig = rig(2, 2);
        rig.test.allow_read_only(0, 1, rig.console, 1, b"aaaa");
        rig.test.allow_read_only(1, 1, rig.console, 1, b"bb");
        rig.test.subscribe(1, 1, rig.console, 1);
        rig.console.command(1, 4, 0, rig.test.process_id(0));
        rig.console.command(1, 2, 0, rig.test.process_id(1));
        rig.test.restart(0);
        rig.uart.drain();
        assert_eq!(rig.uart.text(), "aabb");
        assert_eq!(rig.test.take_upcalls(1)[0].arguments, [2, 0, 0]);
    }

    #[test]
    fn read_fills_the_buffer_and_abort_cancels() {
        let rig = rig(2, 8);
        let (address, _) = rig.test.allow_read_write(0, 1, rig.console, 1, 4);
        rig.test.subscribe(0, 1, rig.console, 2);
        assert_eq!(
            rig.console.command(2, 3, 0, rig.test.process_id(0)),
            CommandReturn::success()
        );
        assert_eq!(
            rig.console.command(2, 3, 0, rig.test.process_id(1)),
            CommandReturn::failure(ErrorCode::Busy)
        );
        rig.uart.type_bytes(b"xyz");
        assert_eq!(rig.test.read(address, 4), b"xyz\0");
        assert_eq!(rig.test.take_upcalls(0)[0].arguments, [0, 3, 0]);
        rig.console.command(2, 4, 0, rig.test.process_id(0));
        rig.uart.type_bytes(b"q");
        assert_eq!(
            rig.console.command(3, 0, 0, rig.test.process_id(0)),
            CommandReturn::success()
        );
        assert!(
            rig.test.take_upcalls(0).is_empty(),
            "never from inside the abort"
        );
        rig.deferred.service_next();
        assert_eq!(
            rig.test.take_upcalls(0)[0].arguments,
            [ErrorCode::Cancel as u32, 1, 0]
        );
    }
}
