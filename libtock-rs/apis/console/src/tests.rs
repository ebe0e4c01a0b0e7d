//! Console against the fake kernel.

extern crate std;

use super::*;
use core::fmt::Write;
use libtock_unittest::{drivers, Kernel, SyscallMatch, Syscalls as Fake};
use std::rc::Rc;

type Console = super::Console<Fake>;

fn setup() -> (Kernel, Rc<drivers::Console>) {
    let kernel = Kernel::new();
    let console = Rc::new(drivers::Console::new());
    kernel.add_driver(&console);
    (kernel, console)
}

#[test]
fn write_and_format_reach_the_console() {
    let (kernel, console) = setup();
    assert_eq!(Console::exists(), Ok(()));
    assert_eq!(Console::write(b"hello "), Ok(()));
    write!(Console::writer(), "{}!", 42).unwrap();
    assert_eq!(console.take_output(), b"hello 42!");
    assert!(!kernel.is_allowed_ro(DRIVER_NUM, BUFFER_NUM));
}

#[test]
fn read_returns_the_bytes_typed() {
    let (_kernel, console) = setup();
    console.push_input(b"abcdef");
    let mut buffer = [0u8; 4];
    assert_eq!(Console::read(&mut buffer), Ok(4));
    assert_eq!(&buffer, b"abcd");
}

#[test]
fn a_missing_console_is_nodevice() {
    let _kernel = Kernel::new();
    assert_eq!(Console::exists(), Err(ErrorCode::NoDevice));
    assert_eq!(Console::write(b"x"), Err(ErrorCode::NoDevice));
    assert_eq!(Console::read(&mut [0u8; 1]), Err(ErrorCode::NoDevice));
}

#[test]
fn refused_allow_subscribe_and_command_are_returned() {
    let (kernel, console) = setup();
    let failures = [
        SyscallMatch::AllowRo {
            driver: DRIVER_NUM,
            buffer: BUFFER_NUM,
        },
        SyscallMatch::Subscribe {
            driver: DRIVER_NUM,
            subscribe: subscribe::WRITE_DONE,
        },
        SyscallMatch::Command {
            driver: DRIVER_NUM,
            command: command::WRITE,
        },
    ];
    for failure in failures {
        kernel.inject_failure(failure, ErrorCode::Busy);
        assert_eq!(Console::write(b"x"), Err(ErrorCode::Busy));
    }
    assert!(console.take_output().is_empty());
    kernel.inject_failure(
        SyscallMatch::AllowRw {
            driver: DRIVER_NUM,
            buffer: BUFFER_NUM,
        },
        ErrorCode::Inval,
    );
    assert_eq!(Console::read(&mut [0u8; 1]), Err(ErrorCode::Inval));
}

#[test]
fn a_failed_read_reports_the_upcall_status() {
    let (_kernel, console) = setup();
    console.fail_next_read(ErrorCode::Fail);
    assert_eq!(Console::read(&mut [0u8; 2]), Err(ErrorCode::Fail));
}

#[test]
fn short_writes_are_continued_until_everything_is_written() {
    let kernel = Kernel::new();
    let console = Rc::new(drivers::Console::with_write_limit(64));
    kernel.add_driver(&console);
    let text = [b'z'; 300];
    assert_eq!(Console::write(&text), Ok(()));
    assert_eq!(console.take_output(), text);
    let writes = kernel
        .take_syscall_log()
        .into_iter()
        .filter(|entry| {
            matches!(
                entry,
                libtock_unittest::SyscallLogEntry::Command { command: 1, .. }
            )
        })
        .count();
    assert_eq!(writes, 5);
}
