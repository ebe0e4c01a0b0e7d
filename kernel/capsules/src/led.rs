//! LEDs (driver 0x2, upstream's interface).
//!
//! - command 0: the number of LEDs (Success with u32)
//! - command 1 (index): on; 2: off; 3: toggle. INVAL for a bad index.

use kernel::hil::gpio::Output;
use kernel::{CommandReturn, ErrorCode, ProcessId};

/// The LED driver over the board's pins (driven high = lit; the board
/// wraps active-low pins).
pub struct Led<'a> {
    leds: &'a [&'a dyn Output],
}

impl<'a> Led<'a> {
    /// A driver for `leds`, all off.
    pub fn new(leds: &'a [&'a dyn Output]) -> Self {
        for led in leds {
            led.clear();
        }
        Led { leds }
    }
}

impl kernel::driver::SyscallDriver for Led<'_> {
    fn command(
        &self,
        command: u32,
        argument0: u32,
        _argument1: u32,
        _process: ProcessId,
    ) -> CommandReturn {
        if command == 0 {
            return CommandReturn::success_u32(self.leds.len() as u32);
        }
        let Some(led) = self.leds.get(argument0 as usize) else {
            return CommandReturn::failure(ErrorCode::Inval);
        };
        match command {
            1 => led.set(),
            2 => led.clear(),
            3 => {
                led.toggle();
            }
            _ => return CommandReturn::failure(ErrorCode::NoSupport),
        }
        CommandReturn::success()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::FakePin;
    use kernel::driver::SyscallDriver;
    use kernel::testing::TestKernel;

    #[test]
    fn commands_drive_the_pins() {
        let test = TestKernel::new(1, 1024);
        let process = test.process_id(0);
        let pins = [FakePin::default(), FakePin::default()];
        let outputs: [&dyn Output; 2] = [&pins[0], &pins[1]];
        let led = Led::new(&outputs);
        assert_eq!(led.command(0, 0, 0, process), CommandReturn::success_u32(2));
        assert_eq!(led.command(1, 1, 0, process), CommandReturn::success());
        assert!(pins[1].is_set() && !pins[0].is_set());
        led.command(3, 0, 0, process);
        led.command(2, 1, 0, process);
        assert!(pins[0].is_set() && !pins[1].is_set());
        assert_eq!(
            led.command(1, 2, 0, process),
            CommandReturn::failure(ErrorCode::Inval)
        );
        assert_eq!(
            led.command(9, 0, 0, process),
            CommandReturn::failure(ErrorCode::NoSupport)
        );
    }
}
