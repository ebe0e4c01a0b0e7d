//! Buttons (driver 0x3, upstream's interface).
//!
//! - command 0: the number of buttons (Success with u32)
//! - command 1 (index): enable the interrupt upcall for that button
//! - command 2 (index): disable it
//! - command 3 (index): read: Success with u32, 1 if pressed
//! - subscribe 0: upcall (index, pressed, 0) on every change
//!
//! INVAL for a bad index. Each process chooses its own buttons (a bit mask
//! in its grant); a pin interrupts while any process wants it.

use kernel::grant::Grant;
use kernel::hil::gpio::{ActivationMode, InterruptClient, InterruptEdge, InterruptPin};
use kernel::{CommandReturn, ErrorCode, ProcessId};

/// A button: its pin and whether pressed reads high or low.
pub type ButtonPin<'a> = (&'a dyn InterruptPin<'a>, ActivationMode);

/// Per-process state: which buttons it wants upcalls for.
#[derive(Default)]
pub struct SubscribedButtons(u32);

/// The grant this driver needs: one upcall, no buffers.
pub type ButtonGrant = Grant<SubscribedButtons, 1, 0, 0>;

/// The button driver.
pub struct Button<'a> {
    pins: &'a [ButtonPin<'a>],
    grant: ButtonGrant,
}

impl<'a> Button<'a> {
    /// A driver over at most 32 `pins`.
    pub fn new(pins: &'a [ButtonPin<'a>], grant: ButtonGrant) -> Self {
        assert!(pins.len() <= 32, "at most 32 buttons");
        Button { pins, grant }
    }

    /// Make this driver the interrupt client of its pins.
    pub fn connect(&'a self) {
        for (index, (pin, _)) in self.pins.iter().enumerate() {
            pin.set_client(self, index);
        }
    }

    fn pressed(&self, index: usize) -> bool {
        let (pin, mode) = self.pins[index];
        pin.read() == (mode == ActivationMode::ActiveHigh)
    }

    fn anyone_wants(&self, index: usize) -> bool {
        let mut wanted = false;
        self.grant
            .each(|_, subscribed, _| wanted |= subscribed.0 & (1 << index) != 0);
        wanted
    }
}

impl kernel::driver::SyscallDriver for Button<'_> {
    fn command(
        &self,
        command: u32,
        argument0: u32,
        _argument1: u32,
        process: ProcessId,
    ) -> CommandReturn {
        if command == 0 {
            return CommandReturn::success_u32(self.pins.len() as u32);
        }
        let index = argument0 as usize;
        if index >= self.pins.len() {
            return CommandReturn::failure(ErrorCode::Inval);
        }
        match command {
            1 => match self
                .grant
                .enter(process, |subscribed, _| subscribed.0 |= 1 << index)
            {
                Ok(()) => {
                    self.pins[index]
                        .0
                        .enable_interrupts(InterruptEdge::EitherEdge);
                    CommandReturn::success()
                }
                Err(error) => CommandReturn::failure(error.into()),
            },
            2 => match self
                .grant
                .enter(process, |subscribed, _| subscribed.0 &= !(1 << index))
            {
                Ok(()) => {
                    if !self.anyone_wants(index) {
                        self.pins[index].0.disable_interrupts();
                    }
                    CommandReturn::success()
                }
                Err(error) => CommandReturn::failure(error.into()),
            },
            3 => CommandReturn::success_u32(self.pressed(index) as u32),
            _ => CommandReturn::failure(ErrorCode::NoSupport),
        }
    }

    fn allocate_grant(&self, process: ProcessId) -> Result<(), ErrorCode> {
        self.grant
            .enter(process, |_, _| ())
            .map_err(ErrorCode::from)
    }
}

impl InterruptClient for Button<'_> {
    fn fired(&self, identifier: usize) {
        if identifier >= self.pins.len() {
            return;
        }
        let pressed = self.pressed(identifier) as u32;
        self.grant.each(|_, subscribed, kernel_data| {
            if subscribed.0 & (1 << identifier) != 0 {
                let _ = kernel_data.schedule_upcall(0, (identifier as u32, pressed, 0));
            }
        });
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use crate::test_support::FakePin;
    use kernel::driver::SyscallDriver;
    use kernel::testing::{TestCapability, TestKernel};
    use std::boxed::Box;

    #[test]
    fn only_subscribed_processes_get_the_press() {
        let test = TestKernel::new(2, 2048);
        let pins: &'static [FakePin; 2] = Box::leak(Box::default());
        let table: &'static [ButtonPin<'static>; 2] = Box::leak(Box::new([
            (
                &pins[0] as &dyn InterruptPin<'static>,
                ActivationMode::ActiveHigh,
            ),
            (&pins[1], ActivationMode::ActiveLow),
        ]));
        let grant = test.kernel.create_grant(3, &TestCapability);
        let button: &'static Button<'static> = Box::leak(Box::new(Button::new(table, grant)));
        button.connect();
        assert_eq!(
            button.command(0, 0, 0, test.process_id(0)),
            CommandReturn::success_u32(2)
        );
        test.subscribe(0, 3, button, 0);
        assert_eq!(
            button.command(1, 0, 0, test.process_id(0)),
            CommandReturn::success()
        );
        assert_eq!(
            button.command(1, 5, 0, test.process_id(0)),
            CommandReturn::failure(ErrorCode::Inval)
        );
        pins[0].press(true);
        let upcalls = test.take_upcalls(0);
        assert_eq!(upcalls.len(), 1);
        assert_eq!(upcalls[0].arguments, [0, 1, 0]);
        assert!(test.take_upcalls(1).is_empty());
        assert_eq!(
            button.command(3, 1, 0, test.process_id(1)),
            CommandReturn::success_u32(1),
            "active low, idle low = pressed"
        );
        button.command(2, 0, 0, test.process_id(0));
        assert_eq!(pins[0].interrupts.get(), None, "nobody wants it any more");
    }
}
