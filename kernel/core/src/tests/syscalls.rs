//! Every system call class and its return variants, handled against a
//! process laid out by hand.

use kernel_abi::ErrorCode::{self, Inval, NoDevice, NoMem, NoSupport};

use super::fake::*;
use crate::platform::RawSyscall;
use crate::process::State;
use crate::syscall::{Syscall, SyscallReturn};
use crate::syscall_handler::{handle_syscall, SyscallOutcome};

struct Harness {
    environment: Environment,
    drivers: TestDrivers,
    protection: FakeProtection,
}

impl Harness {
    fn new() -> Self {
        let environment = Environment::new(2, 4096);
        environment.set_break(0, 2048);
        environment.set_break(1, 2048);
        let drivers = TestDrivers(TestDriver::new(environment.kernel));
        Harness {
            environment,
            drivers,
            protection: FakeProtection {
                granularity: 8,
                configured: Default::default(),
            },
        }
    }

    fn call(&mut self, index: usize, class: u32, arguments: [u32; 4]) -> SyscallOutcome {
        let syscall = Syscall::decode(RawSyscall { class, arguments });
        let config = &mut self.environment.contexts[index].protection;
        handle_syscall(
            self.environment.kernel,
            index,
            syscall,
            &self.drivers,
            &self.protection,
            config,
        )
    }

    fn returns(&mut self, index: usize, class: u32, arguments: [u32; 4]) -> SyscallReturn {
        match self.call(index, class, arguments) {
            SyscallOutcome::Return(value) => value,
            other => panic!("expected a return value, got {:?}", other),
        }
    }

    fn ram(&self, index: usize) -> u32 {
        self.environment.process(index).layout().ram.start as u32
    }
}

#[test]
fn command_reaches_the_driver_or_fails_nodevice() {
    let mut harness = Harness::new();
    assert_eq!(
        harness.returns(0, 2, [TEST_DRIVER, 0, 0, 0]),
        SyscallReturn::Success
    );
    assert_eq!(
        harness.returns(0, 2, [0x1234, 0, 0, 0]),
        SyscallReturn::Failure(NoDevice)
    );
    assert_eq!(
        harness.returns(0, 2, [TEST_DRIVER, 77, 0, 0]),
        SyscallReturn::Failure(NoSupport)
    );
}

#[test]
fn subscribe_swaps_and_returns_the_previous_upcall() {
    let mut harness = Harness::new();
    let code = harness.environment.code(0);
    assert_eq!(
        harness.returns(0, 1, [TEST_DRIVER, 1, code, 5]),
        SyscallReturn::SuccessU32U32(0, 0)
    );
    assert_eq!(
        harness.returns(0, 1, [TEST_DRIVER, 1, code + 4, 6]),
        SyscallReturn::SuccessU32U32(code, 5)
    );
    assert_eq!(
        harness.returns(0, 1, [TEST_DRIVER, 1, 0, 0]),
        SyscallReturn::SuccessU32U32(code + 4, 6)
    );
    // The other process has its own slots.
    assert_eq!(
        harness.returns(1, 1, [TEST_DRIVER, 1, harness.environment.code(1), 1]),
        SyscallReturn::SuccessU32U32(0, 0)
    );
}

#[test]
fn subscribe_failures_return_the_passed_upcall() {
    let mut harness = Harness::new();
    let code = harness.environment.code(0);
    let missing = harness.returns(0, 1, [0x4242, 0, code, 9]);
    assert_eq!(missing, SyscallReturn::FailureU32U32(NoDevice, code, 9));
    let outside = harness.ram(0);
    assert_eq!(
        harness.returns(0, 1, [TEST_DRIVER, 0, outside, 9]),
        SyscallReturn::FailureU32U32(Inval, outside, 9)
    );
    // Another process's code is outside too.
    let other = harness.environment.code(1);
    assert_eq!(
        harness.returns(0, 1, [TEST_DRIVER, 0, other, 9]),
        SyscallReturn::FailureU32U32(Inval, other, 9)
    );
    assert_eq!(
        harness.returns(0, 1, [TEST_DRIVER, 2, code, 9]),
        SyscallReturn::FailureU32U32(NoSupport, code, 9)
    );
}

#[test]
fn allow_swaps_buffers_and_checks_every_byte() {
    let mut harness = Harness::new();
    let code = harness.environment.code(0);
    let ram = harness.ram(0);
    assert_eq!(
        harness.returns(0, 3, [TEST_DRIVER, 0, ram, 16]),
        SyscallReturn::SuccessU32U32(0, 0)
    );
    assert_eq!(
        harness.returns(0, 3, [TEST_DRIVER, 0, ram + 32, 8]),
        SyscallReturn::SuccessU32U32(ram, 16)
    );
    assert_eq!(
        harness.returns(0, 2, [TEST_DRIVER, 2, 0, 0]),
        SyscallReturn::SuccessU32U32(0, 8)
    );
    // Read-only from flash is fine; read-write into flash is not.
    assert_eq!(
        harness.returns(0, 4, [TEST_DRIVER, 0, code, 4]),
        SyscallReturn::SuccessU32U32(0, 0)
    );
    assert_eq!(
        harness.returns(0, 3, [TEST_DRIVER, 0, code, 4]),
        SyscallReturn::FailureU32U32(Inval, code, 4)
    );
    // Zero length: any address.
    assert_eq!(
        harness.returns(0, 3, [TEST_DRIVER, 0, 0xdead_beef, 0]),
        SyscallReturn::SuccessU32U32(ram + 32, 8)
    );
}

#[test]
fn allow_outside_the_process_fails_inval_with_the_passed_values() {
    let mut harness = Harness::new();
    let ram = harness.ram(0);
    let other = harness.ram(1);
    let cases: [(u32, u32); 5] = [
        (ram + 2040, 16),      // crosses the break
        (ram - 4, 8),          // starts below RAM
        (other, 4),            // another process
        (u32::MAX - 3, 8),     // wraps around
        (ram + 4096 - 64, 16), // the grant region
    ];
    for (address, length) in cases {
        for class in [3, 4, 7] {
            assert_eq!(
                harness.returns(0, class, [TEST_DRIVER, 0, address, length]),
                SyscallReturn::FailureU32U32(Inval, address, length),
                "class {} at {:#x}+{}",
                class,
                address,
                length
            );
        }
    }
    assert_eq!(
        harness.returns(0, 3, [0x4242, 0, ram, 4]),
        SyscallReturn::FailureU32U32(NoDevice, ram, 4)
    );
    assert_eq!(
        harness.returns(0, 3, [TEST_DRIVER, 1, ram, 4]),
        SyscallReturn::FailureU32U32(NoSupport, ram, 4)
    );
    assert_eq!(
        harness.returns(0, 7, [TEST_DRIVER, 1, ram, 4]),
        SyscallReturn::FailureU32U32(NoSupport, ram, 4)
    );
    assert_eq!(
        harness.returns(0, 7, [TEST_DRIVER, 0, ram, 4]),
        SyscallReturn::SuccessU32U32(0, 0)
    );
}

#[test]
fn allowed_buffers_reach_the_capsule_as_bounded_copies() {
    let mut harness = Harness::new();
    let ram = harness.ram(0);
    let source = ram as usize + 100;
    // SAFETY: the fake process's RAM is a leaked host buffer of 4096 bytes.
    unsafe { core::ptr::copy_nonoverlapping(b"hello".as_ptr(), source as *mut u8, 5) };
    harness.returns(0, 4, [TEST_DRIVER, 0, source as u32, 5]);
    harness.returns(0, 3, [TEST_DRIVER, 0, ram + 200, 3]);
    assert_eq!(
        harness.returns(0, 2, [TEST_DRIVER, 3, 0, 0]),
        SyscallReturn::SuccessU32(3)
    );
    let mut copied = [0u8; 4];
    // SAFETY: as above.
    unsafe {
        core::ptr::copy_nonoverlapping((ram as usize + 200) as *const u8, copied.as_mut_ptr(), 4)
    };
    assert_eq!(&copied, b"hel\0");
}

#[test]
fn memop_reports_and_moves_the_break() {
    let mut harness = Harness::new();
    let code = harness.environment.code(0);
    let ram = harness.ram(0);
    let end = ram + 4096;
    assert_eq!(
        harness.returns(0, 5, [2, 0, 0, 0]),
        SyscallReturn::SuccessU32(ram)
    );
    assert_eq!(
        harness.returns(0, 5, [3, 0, 0, 0]),
        SyscallReturn::SuccessU32(end)
    );
    assert_eq!(
        harness.returns(0, 5, [4, 0, 0, 0]),
        SyscallReturn::SuccessU32(code - 0x80)
    );
    assert_eq!(
        harness.returns(0, 5, [5, 0, 0, 0]),
        SyscallReturn::SuccessU32(code - 0x80 + FLASH_SIZE as u32)
    );
    assert_eq!(
        harness.returns(0, 5, [6, 0, 0, 0]),
        SyscallReturn::SuccessU32(end)
    );
    assert_eq!(
        harness.returns(0, 5, [0, ram + 1024, 0, 0]),
        SyscallReturn::Success
    );
    assert_eq!(
        harness.environment.contexts[0].protection.app_break,
        ram as usize + 1024
    );
    assert_eq!(
        harness.returns(0, 5, [1, 256, 0, 0]),
        SyscallReturn::SuccessU32(ram + 1024)
    );
    assert_eq!(
        harness.returns(0, 5, [1, (-512i32) as u32, 0, 0]),
        SyscallReturn::SuccessU32(ram + 1280)
    );
    assert_eq!(harness.process_break(), ram + 768);
    assert_eq!(
        harness.returns(0, 5, [0, end + 4, 0, 0]),
        SyscallReturn::Failure(NoMem)
    );
    assert_eq!(
        harness.returns(0, 5, [0, ram - 4, 0, 0]),
        SyscallReturn::Failure(NoMem)
    );
    assert_eq!(
        harness.returns(0, 5, [1, 0x7fff_ffff, 0, 0]),
        SyscallReturn::Failure(NoMem)
    );
    assert_eq!(
        harness.returns(0, 5, [7, 0, 0, 0]),
        SyscallReturn::SuccessU32(0)
    );
    assert_eq!(
        harness.returns(0, 5, [8, 0, 0, 0]),
        SyscallReturn::Failure(ErrorCode::Fail)
    );
    assert_eq!(
        harness.returns(0, 5, [9, 0, 0, 0]),
        SyscallReturn::Failure(ErrorCode::Fail)
    );
    assert_eq!(
        harness.returns(0, 5, [10, ram + 700, 0, 0]),
        SyscallReturn::Success
    );
    assert_eq!(
        harness.returns(0, 5, [11, ram + 100, 0, 0]),
        SyscallReturn::Success
    );
    assert_eq!(
        harness.returns(0, 5, [12, 0, 0, 0]),
        SyscallReturn::Failure(NoSupport)
    );
}

impl Harness {
    fn process_break(&self) -> u32 {
        self.environment.process(0).layout().app_break as u32
    }
}

#[test]
fn break_cannot_cross_the_grant_region_or_an_allowed_buffer() {
    let mut harness = Harness::new();
    let ram = harness.ram(0);
    harness.returns(0, 3, [TEST_DRIVER, 0, ram + 1000, 24]);
    let grant_start = match harness.returns(0, 5, [6, 0, 0, 0]) {
        SyscallReturn::SuccessU32(start) => start,
        other => panic!("{:?}", other),
    };
    assert!(grant_start < ram + 4096, "the allow allocated the grant");
    assert_eq!(
        harness.returns(0, 5, [0, grant_start + 4, 0, 0]),
        SyscallReturn::Failure(NoMem)
    );
    assert_eq!(
        harness.returns(0, 5, [0, grant_start, 0, 0]),
        SyscallReturn::Success
    );
    assert_eq!(
        harness.returns(0, 5, [0, ram + 1020, 0, 0]),
        SyscallReturn::Failure(NoMem)
    );
    assert_eq!(
        harness.returns(0, 5, [0, ram + 1024, 0, 0]),
        SyscallReturn::Success
    );
}

#[test]
fn unknown_class_fails_nosupport_and_invalid_yield_returns_at_once() {
    let mut harness = Harness::new();
    assert_eq!(
        harness.returns(0, 8, [1, 2, 3, 4]),
        SyscallReturn::Failure(NoSupport)
    );
    assert_eq!(
        harness.returns(0, 0xffff_ffff, [0; 4]),
        SyscallReturn::Failure(NoSupport)
    );
    assert_eq!(harness.call(0, 0, [9, 0, 0, 0]), SyscallOutcome::NoReturn);
    assert_eq!(harness.environment.process(0).state(), State::Running);
    assert_eq!(
        harness.returns(0, 6, [5, 0, 0, 0]),
        SyscallReturn::Failure(NoSupport)
    );
}

#[test]
fn yield_no_wait_reports_through_the_flag_byte() {
    let mut harness = Harness::new();
    let code = harness.environment.code(0);
    let flag = harness.ram(0) as usize + 8;
    // SAFETY: inside the leaked fake RAM.
    unsafe { (flag as *mut u8).write(0xaa) };
    assert_eq!(
        harness.call(0, 0, [0, flag as u32, 0, 0]),
        SyscallOutcome::NoReturn
    );
    // SAFETY: as above.
    assert_eq!(unsafe { (flag as *const u8).read() }, 0);
    assert_eq!(harness.environment.process(0).state(), State::Running);
    harness.returns(0, 1, [TEST_DRIVER, 0, code, 0]);
    harness.returns(0, 2, [TEST_DRIVER, 1, 1, 2]);
    harness.call(0, 0, [0, flag as u32, 0, 0]);
    // SAFETY: as above.
    assert_eq!(unsafe { (flag as *const u8).read() }, 1);
    assert_eq!(harness.environment.process(0).state(), State::Yielded);
    // A flag outside the process is not written, and nothing breaks.
    assert_eq!(
        harness.call(0, 0, [0, 0x10, 0, 0]),
        SyscallOutcome::NoReturn
    );
}

#[test]
fn exit_terminates_or_restarts() {
    let mut harness = Harness::new();
    let old = harness.environment.id(0);
    harness.returns(0, 2, [TEST_DRIVER, 0, 0, 0]);
    assert_eq!(harness.call(0, 6, [1, 0, 0, 0]), SyscallOutcome::Exited);
    let process = harness.environment.process(0);
    assert_eq!(process.state(), State::Running);
    assert_eq!(process.restart_count(), 1);
    assert_eq!(process.allocated_grant_count(), 0);
    assert!(
        harness.environment.kernel.process(old).is_none(),
        "the old incarnation is unreachable"
    );
    assert_eq!(harness.call(1, 6, [0, 3, 0, 0]), SyscallOutcome::Exited);
    assert_eq!(harness.environment.process(1).state(), State::Terminated);
    assert!(harness
        .environment
        .output()
        .contains("exited with status 3"));
}
