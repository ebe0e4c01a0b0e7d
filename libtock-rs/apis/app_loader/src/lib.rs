//! The app loader driver (0x10001) as an app reaches it: a version
//! installed on test (`loader install --test`) confirms itself, so it is
//! kept and the standby version is freed. Until then a fault past the
//! kernel's restart threshold, or a reboot, brings the old version back.
//! An app calls [`AppLoader::confirm_test_install`] once it knows it
//! works (after its own self-check).
//!
//! Guarantees: never blocks; every failure is an error value.
//! Must never: panic or allocate.
#![no_std]
#![forbid(unsafe_code)]

use core::marker::PhantomData;
use libtock_platform::{DriverNumber, ErrorCode, Syscalls};

/// The app loader driver number.
pub const DRIVER_NUM: u32 = DriverNumber::APP_LOADER.0;

/// Command numbers (the one definition is `kernel_abi::app_loader`).
pub mod command {
    /// Driver existence check.
    pub const EXISTS: u32 = kernel_abi::app_loader::EXISTS;
    /// Confirm the caller's test install.
    pub const CONFIRM_TEST_INSTALL: u32 = kernel_abi::app_loader::CONFIRM_TEST_INSTALL;
}

/// The app loader driver, over the system calls `S`.
pub struct AppLoader<S: Syscalls>(PhantomData<S>);

impl<S: Syscalls> AppLoader<S> {
    /// `Ok` if the kernel has the driver.
    pub fn exists() -> Result<(), ErrorCode> {
        S::command(DRIVER_NUM, command::EXISTS, 0, 0).to_result()
    }

    /// Keep this version: it was installed on test and works. Errors:
    /// `NoSupport` when the board's policy does not let apps confirm
    /// (`loader info` shows the policy), `Inval` when this version is
    /// not on test (already confirmed, or installed normally), `Fail`
    /// when the kernel could not write flash.
    pub fn confirm_test_install() -> Result<(), ErrorCode> {
        S::command(DRIVER_NUM, command::CONFIRM_TEST_INSTALL, 0, 0).to_result()
    }
}

#[cfg(test)]
mod tests {
    extern crate std;

    use super::*;
    use core::cell::Cell;
    use libtock_platform::CommandReturn;
    use libtock_unittest::{Driver, Kernel, Slots, Syscalls as Fake};
    use std::rc::Rc;

    type Loader = AppLoader<Fake>;

    /// A kernel whose app loader answers confirmations as the board's
    /// policy and the test's state say.
    struct FakeLoader {
        on_test: Cell<bool>,
        apps_may_confirm: bool,
    }

    impl Driver for FakeLoader {
        fn number(&self) -> u32 {
            DRIVER_NUM
        }
        fn slots(&self) -> Slots {
            Slots {
                upcalls: 0,
                allow_ro: 0,
                allow_rw: 0,
                allow_userspace_readable: 0,
            }
        }
        fn command(&self, command: u32, _: u32, _: u32) -> CommandReturn {
            match command {
                command::EXISTS => CommandReturn::success(),
                command::CONFIRM_TEST_INSTALL if !self.apps_may_confirm => {
                    CommandReturn::failure(ErrorCode::NoSupport)
                }
                command::CONFIRM_TEST_INSTALL if self.on_test.replace(false) => {
                    CommandReturn::success()
                }
                command::CONFIRM_TEST_INSTALL => CommandReturn::failure(ErrorCode::Inval),
                _ => CommandReturn::failure(ErrorCode::NoSupport),
            }
        }
    }

    #[test]
    fn a_version_on_test_confirms_once() {
        let kernel = Kernel::new();
        kernel.add_driver(&Rc::new(FakeLoader {
            on_test: Cell::new(true),
            apps_may_confirm: true,
        }));
        assert_eq!(Loader::exists(), Ok(()));
        assert_eq!(Loader::confirm_test_install(), Ok(()));
        assert_eq!(Loader::confirm_test_install(), Err(ErrorCode::Inval));
    }

    #[test]
    fn the_boards_policy_can_refuse_apps_confirming() {
        let kernel = Kernel::new();
        kernel.add_driver(&Rc::new(FakeLoader {
            on_test: Cell::new(true),
            apps_may_confirm: false,
        }));
        assert_eq!(Loader::confirm_test_install(), Err(ErrorCode::NoSupport));
    }

    #[test]
    fn without_the_driver_confirming_fails() {
        let _kernel = Kernel::new();
        assert_eq!(Loader::exists(), Err(ErrorCode::NoDevice));
        assert_eq!(Loader::confirm_test_install(), Err(ErrorCode::NoDevice));
    }

    #[test]
    fn command_numbers_come_from_the_kernel_abi() {
        assert_eq!(DRIVER_NUM, 0x10001);
        assert_eq!(command::CONFIRM_TEST_INSTALL, 16);
    }
}
