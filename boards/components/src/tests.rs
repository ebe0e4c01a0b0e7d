//! The driver table finds each driver by its number and nothing else.

extern crate std;

use kernel::driver::{SyscallDriver, SyscallDriverLookup};
use kernel::process::ProcessId;
use kernel::syscall::CommandReturn;
use kernel_abi::DriverNumber;

/// A driver that answers command 0 with its own tag, to tell drivers apart.
struct TaggedDriver(u32);

impl SyscallDriver for TaggedDriver {
    fn command(&self, _: u32, _: u32, _: u32, _: ProcessId) -> CommandReturn {
        CommandReturn::success_u32(self.0)
    }
}

const PRIVATE_DRIVER: u32 = 0xa000_0001;

crate::driver_table! {
    /// Two upstream numbers, one board-private number, one left out by cfg.
    struct Drivers {
        DriverNumber::CONSOLE => console: TaggedDriver,
        DriverNumber::ALARM => alarm: TaggedDriver,
        DriverNumber(PRIVATE_DRIVER) => private: TaggedDriver,
        #[cfg(any())]
        DriverNumber::RNG => absent: TaggedDriver,
    }
}

static CONSOLE: TaggedDriver = TaggedDriver(1);
static ALARM: TaggedDriver = TaggedDriver(2);
static PRIVATE: TaggedDriver = TaggedDriver(3);

fn tag_of(drivers: &Drivers, number: DriverNumber) -> Option<CommandReturn> {
    let process = ProcessId {
        index: 0,
        identifier: 0,
    };
    drivers
        .driver(number.0)
        .map(|driver| driver.command(0, 0, 0, process))
}

#[test]
fn driver_table_finds_each_driver_by_its_number() {
    let drivers = Drivers {
        console: &CONSOLE,
        alarm: &ALARM,
        private: &PRIVATE,
    };
    assert_eq!(
        tag_of(&drivers, DriverNumber::CONSOLE),
        Some(CommandReturn::success_u32(1))
    );
    assert_eq!(
        tag_of(&drivers, DriverNumber::ALARM),
        Some(CommandReturn::success_u32(2))
    );
    assert_eq!(
        tag_of(&drivers, DriverNumber(PRIVATE_DRIVER)),
        Some(CommandReturn::success_u32(3))
    );
}

#[test]
fn driver_table_answers_none_for_missing_and_cfg_disabled_drivers() {
    let drivers = Drivers {
        console: &CONSOLE,
        alarm: &ALARM,
        private: &PRIVATE,
    };
    assert!(tag_of(&drivers, DriverNumber::RNG).is_none());
    assert!(tag_of(&drivers, DriverNumber::LED).is_none());
}

#[test]
fn static_init_site_runs_once_and_keeps_its_value() {
    fn make() -> &'static mut u32 {
        crate::static_init!(u32, 7)
    }
    let value = make();
    *value += 1;
    assert_eq!(*value, 8);
    assert!(std::panic::catch_unwind(make).is_err());
}
