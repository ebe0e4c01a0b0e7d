//! The platform's `Syscalls` running on the fake kernel: scoping, every
//! syscall class, and the kernel's answers to bad calls.

use crate::{exit_test, schedule_upcall, with_ro_buffer, with_rw_buffer};
use crate::{Driver, ExitCall, Kernel, Slots, SyscallLogEntry, SyscallMatch, Syscalls as Fake};
use libtock_platform::share::{scope, Handle};
use libtock_platform::{
    AllowRo, AllowRw, AllowUserspaceReadable, CommandReturn, ErrorCode, Subscribe, Syscalls,
    YieldKind, YieldNoWaitReturn,
};
use std::cell::Cell;
use std::rc::Rc;

const ECHO: u32 = 0x9999;

/// Command 1 copies read-only buffer 0 into read-write buffer 0 and
/// schedules upcall 0 with the length; command 2 returns its arguments.
struct Echo;

impl Driver for Echo {
    fn number(&self) -> u32 {
        ECHO
    }
    fn slots(&self) -> Slots {
        Slots {
            upcalls: 1,
            allow_ro: 1,
            allow_rw: 1,
            allow_userspace_readable: 0,
        }
    }
    fn command(&self, command: u32, argument0: u32, argument1: u32) -> CommandReturn {
        match command {
            0 => CommandReturn::success(),
            1 => {
                let input = with_ro_buffer(ECHO, 0, |bytes| bytes.to_vec());
                let copied = with_rw_buffer(ECHO, 0, |out| {
                    let length = out.len().min(input.len());
                    out[..length].copy_from_slice(&input[..length]);
                    length
                });
                schedule_upcall(ECHO, 0, (copied as u32, 7, 8));
                CommandReturn::success()
            }
            2 => CommandReturn::success_2_u32(argument0, argument1),
            _ => CommandReturn::failure(ErrorCode::NoSupport),
        }
    }
}

fn kernel_with_echo() -> Kernel {
    let kernel = Kernel::new();
    kernel.add_driver(&Rc::new(Echo));
    kernel
}

type EchoShares<'share> = (
    AllowRo<'share, Fake, ECHO, 0>,
    AllowRw<'share, Fake, ECHO, 0>,
    Subscribe<'share, Fake, ECHO, 0>,
);

#[test]
fn shares_work_inside_the_scope_and_are_revoked_at_its_end() {
    let kernel = kernel_with_echo();
    let input = *b"hello";
    let mut output = [0u8; 8];
    let called = Cell::new(None::<(u32, u32, u32)>);
    scope::<EchoShares, _, _>(|handle| {
        let (ro, rw, subscribe): (Handle<_>, Handle<_>, Handle<_>) = handle.split();
        Fake::allow_ro(ro, &input).unwrap();
        Fake::allow_rw(rw, &mut output).unwrap();
        Fake::subscribe(subscribe, &called).unwrap();
        assert!(kernel.is_allowed_ro(ECHO, 0) && kernel.is_subscribed(ECHO, 0));
        assert!(Fake::command(ECHO, 1, 0, 0).is_success());
        Fake::yield_wait();
    });
    assert_eq!(called.get(), Some((5, 7, 8)));
    assert_eq!(&output[..5], b"hello");
    assert!(!kernel.is_allowed_ro(ECHO, 0));
    assert!(!kernel.is_allowed_rw(ECHO, 0));
    assert!(!kernel.is_subscribed(ECHO, 0));
}

#[test]
fn an_upcall_left_pending_when_the_scope_ends_is_never_delivered() {
    let kernel = kernel_with_echo();
    let called = Cell::new(false);
    scope::<Subscribe<Fake, ECHO, 0>, _, _>(|handle| {
        Fake::subscribe(handle, &called).unwrap();
        assert!(Fake::command(ECHO, 1, 0, 0).is_success());
    });
    assert_eq!(kernel.pending_upcalls(), 0);
    assert_eq!(Fake::yield_no_wait(), YieldNoWaitReturn::NoUpcall);
    assert!(!called.get());
}

#[test]
fn a_missing_driver_is_nodevice_for_every_class() {
    let _kernel = Kernel::new();
    assert_eq!(
        Fake::command(0x1234, 0, 0, 0).get_failure(),
        Some(ErrorCode::NoDevice)
    );
    let buffer = [0u8; 4];
    scope::<(AllowRo<Fake, 0x1234, 0>, Subscribe<Fake, 0x1234, 0>), _, _>(|handle| {
        let (ro, subscribe) = handle.split();
        assert_eq!(Fake::allow_ro(ro, &buffer), Err(ErrorCode::NoDevice));
        assert_eq!(Fake::subscribe(subscribe, &()), Err(ErrorCode::NoDevice));
    });
}

#[test]
fn unsupported_slot_numbers_are_nosupport() {
    let _kernel = kernel_with_echo();
    let mut buffer = [0u8; 4];
    scope::<(AllowRw<Fake, ECHO, 1>, Subscribe<Fake, ECHO, 3>), _, _>(|handle| {
        let (rw, subscribe) = handle.split();
        assert_eq!(Fake::allow_rw(rw, &mut buffer), Err(ErrorCode::NoSupport));
        assert_eq!(Fake::subscribe(subscribe, &()), Err(ErrorCode::NoSupport));
    });
}

#[test]
fn userspace_readable_allow_is_its_own_class() {
    let kernel = kernel_with_echo();
    let buffer = [Cell::new(0u8), Cell::new(0u8)];
    scope::<AllowUserspaceReadable<Fake, ECHO, 0>, _, _>(|handle| {
        // Echo has no userspace-readable slots.
        assert_eq!(
            Fake::allow_userspace_readable(handle, &buffer),
            Err(ErrorCode::NoSupport)
        );
    });
    scope::<AllowUserspaceReadable<Fake, 0x1234, 0>, _, _>(|handle| {
        assert_eq!(
            Fake::allow_userspace_readable(handle, &buffer),
            Err(ErrorCode::NoDevice)
        );
    });
    let log = kernel.take_syscall_log();
    let expected = SyscallLogEntry::AllowUserspaceReadable {
        driver: ECHO,
        buffer: 0,
        length: 2,
    };
    assert_eq!(log.first(), Some(&expected));
}

#[test]
fn injected_failures_hit_the_next_matching_call_once() {
    let kernel = kernel_with_echo();
    kernel.inject_failure(
        SyscallMatch::Command {
            driver: ECHO,
            command: 2,
        },
        ErrorCode::Busy,
    );
    assert_eq!(
        Fake::command(ECHO, 2, 1, 2).get_failure(),
        Some(ErrorCode::Busy)
    );
    assert_eq!(
        Fake::command(ECHO, 2, 1, 2).get_success_2_u32(),
        Some((1, 2))
    );
    kernel.inject_failure(
        SyscallMatch::AllowRo {
            driver: ECHO,
            buffer: 0,
        },
        ErrorCode::Inval,
    );
    scope::<AllowRo<Fake, ECHO, 0>, _, _>(|handle| {
        assert_eq!(Fake::allow_ro(handle, b"x"), Err(ErrorCode::Inval));
    });
    assert!(kernel.unused_injections().is_empty());
}

#[test]
fn yield_no_wait_reports_whether_an_upcall_ran() {
    let _kernel = kernel_with_echo();
    let count = Cell::new(0u32);
    let counter = |_: u32, _: u32, _: u32| count.set(count.get() + 1);
    scope::<Subscribe<Fake, ECHO, 0>, _, _>(|handle| {
        Fake::subscribe(handle, &counter).unwrap();
        assert_eq!(Fake::yield_no_wait(), YieldNoWaitReturn::NoUpcall);
        Fake::command(ECHO, 1, 0, 0);
        assert_eq!(Fake::yield_no_wait(), YieldNoWaitReturn::Upcall);
    });
    assert_eq!(count.get(), 1);
}

#[test]
fn yield_wait_for_returns_the_arguments_without_a_subscription() {
    let kernel = kernel_with_echo();
    Fake::command(ECHO, 1, 0, 0);
    assert_eq!(Fake::yield_wait_for(ECHO, 0), (0, 7, 8));
    let log = kernel.take_syscall_log();
    let expected = SyscallLogEntry::Yield {
        kind: YieldKind::WaitFor,
        waited_for: Some((ECHO, 0)),
    };
    assert_eq!(log.last(), Some(&expected));
}

#[test]
#[should_panic(expected = "would block forever")]
fn yield_wait_with_nothing_pending_fails_the_test_instead_of_hanging() {
    let _kernel = Kernel::new();
    Fake::yield_wait();
}

#[test]
fn memops_follow_the_fake_memory_layout() {
    let kernel = Kernel::new();
    let layout = kernel.memory_layout();
    assert_eq!(Fake::memop_memory_start(), Ok(layout.memory_start));
    assert_eq!(Fake::memop_flash_end(), Ok(layout.flash_end));
    // SAFETY: the fake kernel's memory is addresses only; nothing lives there.
    unsafe {
        let grown = layout.memory_start + 0x100;
        assert_eq!(Fake::memop_brk(grown as *const u8), Ok(()));
        assert_eq!(Fake::memop_sbrk(0x10).map(|old| old as usize), Ok(grown));
        assert_eq!(Fake::memop_brk(0x10 as *const u8), Err(ErrorCode::NoMem));
        assert_eq!(Fake::memop_sbrk(0x10_0000), Err(ErrorCode::NoMem));
    }
    assert_eq!(
        kernel.memory_layout().app_break,
        layout.memory_start + 0x110
    );
    assert_eq!(Fake::memop_writeable_flash_region_count(), Ok(0));
    assert_eq!(
        Fake::memop_writeable_flash_region_start(0),
        Err(ErrorCode::Fail)
    );
    assert_eq!(Fake::memop_stack_top_hint(core::ptr::null()), Ok(()));
}

#[test]
fn exit_unwinds_with_its_kind_and_status() {
    let _kernel = Kernel::new();
    assert_eq!(
        exit_test(|| Fake::exit_terminate(3)),
        ExitCall::Terminate(3)
    );
    assert_eq!(exit_test(|| Fake::exit_restart(0)), ExitCall::Restart(0));
}
