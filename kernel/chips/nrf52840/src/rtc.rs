//! RTC1 at 0x4001_1000 (NVIC 17) as the kernel's alarm: 32.768 kHz from
//! the LFXO, a 24-bit counter extended to the HIL's 32 bits in software.
//!
//! ```text
//!   32-bit time  = overflows << 24 | COUNTER      (COUNTER: 24 bits)
//!   compare CC0  = low 24 bits of the next wake-up
//! ```
//!
//! The 24-bit counter wraps every 512 s, so an alarm more than half a
//! wrap away is reached through intermediate wake-ups: the compare is set
//! half a wrap ahead, and each compare interrupt recomputes. The hardware
//! may miss a compare written one tick ahead of COUNTER, so a wake-up is
//! never set closer than [`MINIMUM_TICKS_AHEAD`]. The arithmetic is pure
//! ([`extend_counter`], [`next_compare`]) and host-tested.

use core::cell::Cell;

use kernel::hil::time::{has_expired, Alarm, AlarmClient, Time};
use kernel::ErrorCode;
use tock_registers::interfaces::{Readable, Writeable};
use tock_registers::registers::{ReadOnly, ReadWrite, WriteOnly};
use tock_registers::{register_bitfields, register_structs};

/// NVIC line of RTC1.
pub const RTC1_IRQ: u32 = 17;
/// Ticks per second (LFCLK, prescaler 0).
pub const FREQUENCY: u32 = 32_768;
/// The counter's width.
pub const COUNTER_BITS: u32 = 24;
/// Mask of the hardware counter.
pub const COUNTER_MASK: u32 = (1 << COUNTER_BITS) - 1;
/// A compare this close to COUNTER may not fire (product specification:
/// N or N+1 can be missed), so wake-ups are at least this far ahead.
pub const MINIMUM_TICKS_AHEAD: u32 = 3;
/// The longest step towards a far deadline: half a counter wrap, so the
/// compare can never be mistaken for a time already passed.
const LONGEST_STEP: u32 = 1 << (COUNTER_BITS - 1);

register_bitfields![u32,
    Task [
        TRIGGER OFFSET(0) NUMBITS(1) []
    ],
    Event [
        GENERATED OFFSET(0) NUMBITS(1) []
    ],
    Interrupts [
        OVERFLOW OFFSET(1) NUMBITS(1) [],
        COMPARE0 OFFSET(16) NUMBITS(1) []
    ]
];

register_structs! {
    /// RTC registers (nRF52840 product specification, RTC chapter).
    pub RtcRegisters {
        (0x000 => start: WriteOnly<u32, Task::Register>),
        (0x004 => stop: WriteOnly<u32, Task::Register>),
        (0x008 => clear: WriteOnly<u32, Task::Register>),
        (0x00c => _reserved0),
        (0x104 => overflow: ReadWrite<u32, Event::Register>),
        (0x108 => _reserved1),
        (0x140 => compare0: ReadWrite<u32, Event::Register>),
        (0x144 => _reserved2),
        (0x304 => interrupt_enable_set: ReadWrite<u32, Interrupts::Register>),
        (0x308 => interrupt_enable_clear: ReadWrite<u32, Interrupts::Register>),
        (0x30c => _reserved3),
        (0x344 => event_enable_set: ReadWrite<u32, Interrupts::Register>),
        (0x348 => _reserved4),
        (0x504 => counter: ReadOnly<u32>),
        (0x508 => prescaler: ReadWrite<u32>),
        (0x50c => _reserved5),
        (0x540 => compare_value0: ReadWrite<u32>),
        (0x544 => @END),
    }
}

/// The 32-bit time from the software overflow count and a COUNTER value
/// read while the overflow event was in the state `overflow_pending`
/// (an overflow the interrupt has not counted yet).
pub fn extend_counter(overflows: u32, overflow_pending: bool, counter: u32) -> u32 {
    let high = overflows.wrapping_add(u32::from(overflow_pending));
    (high << COUNTER_BITS) | (counter & COUNTER_MASK)
}

/// The 24-bit compare value for the next wake-up towards `deadline`, seen
/// at time `now` (both 32-bit): the deadline itself when it is near, at
/// least [`MINIMUM_TICKS_AHEAD`] ahead when it is (almost) due, half a
/// wrap ahead when it is further than that.
pub fn next_compare(deadline: u32, now: u32) -> u32 {
    let remaining = deadline.wrapping_sub(now);
    let step = if remaining > u32::MAX / 2 {
        // Already passed (the distance "went negative"): fire soon.
        MINIMUM_TICKS_AHEAD
    } else {
        remaining.clamp(MINIMUM_TICKS_AHEAD, LONGEST_STEP)
    };
    now.wrapping_add(step) & COUNTER_MASK
}

#[derive(Clone, Copy)]
struct Armed {
    reference: u32,
    delta: u32,
}

/// RTC1 as a HIL alarm.
pub struct Rtc {
    registers: &'static RtcRegisters,
    overflows: Cell<u32>,
    armed: Cell<Option<Armed>>,
    client: Cell<Option<&'static dyn AlarmClient>>,
}

impl Rtc {
    /// # Safety
    /// `base` must be an RTC's address (RTC1: 0x4001_1000), used by
    /// nothing else.
    pub const unsafe fn new(base: usize) -> Self {
        Rtc {
            // SAFETY: the caller guarantees an RTC is at `base`.
            registers: unsafe { &*(base as *const RtcRegisters) },
            overflows: Cell::new(0),
            armed: Cell::new(None),
            client: Cell::new(None),
        }
    }

    /// Starts counting from 0 at 32.768 kHz with the overflow interrupt on
    /// (the LFCLK must run: [`crate::clock::Clock::start_crystals`]).
    pub fn start(&self) {
        let registers = self.registers;
        registers.stop.write(Task::TRIGGER::SET);
        registers.prescaler.set(0);
        registers.clear.write(Task::TRIGGER::SET);
        registers.overflow.set(0);
        registers.compare0.set(0);
        // The events are also routed (EVTEN), so their registers are set
        // whether or not their interrupt is on: `now` reads OVRFLW.
        registers
            .event_enable_set
            .write(Interrupts::OVERFLOW::SET + Interrupts::COMPARE0::SET);
        registers
            .interrupt_enable_set
            .write(Interrupts::OVERFLOW::SET);
        registers.start.write(Task::TRIGGER::SET);
    }

    /// RTC1's interrupt: count an overflow, then fire or re-aim the alarm.
    pub fn handle_interrupt(&self) {
        let registers = self.registers;
        if registers.overflow.is_set(Event::GENERATED) {
            registers.overflow.set(0);
            self.overflows.set(self.overflows.get().wrapping_add(1));
        }
        if registers.compare0.is_set(Event::GENERATED) {
            registers.compare0.set(0);
            let Some(armed) = self.armed.get() else {
                return;
            };
            if has_expired(armed.reference, armed.delta, self.now()) {
                self.stop_alarm();
                if let Some(client) = self.client.get() {
                    client.alarm();
                }
            } else {
                self.aim(armed);
            }
        }
    }

    fn aim(&self, armed: Armed) {
        let deadline = armed.reference.wrapping_add(armed.delta);
        self.registers
            .compare_value0
            .set(next_compare(deadline, self.now()));
        self.registers
            .interrupt_enable_set
            .write(Interrupts::COMPARE0::SET);
    }

    fn stop_alarm(&self) {
        self.armed.set(None);
        self.registers
            .interrupt_enable_clear
            .write(Interrupts::COMPARE0::SET);
        self.registers.compare0.set(0);
    }
}

impl Time for Rtc {
    fn frequency(&self) -> u32 {
        FREQUENCY
    }

    fn now(&self) -> u32 {
        // Read the pending flag on both sides of COUNTER, so the flag and
        // the value belong together even if the counter wraps meanwhile.
        loop {
            let before = self.registers.overflow.is_set(Event::GENERATED);
            let counter = self.registers.counter.get();
            let after = self.registers.overflow.is_set(Event::GENERATED);
            if before == after {
                return extend_counter(self.overflows.get(), before, counter);
            }
        }
    }
}

impl Alarm<'static> for Rtc {
    fn set_alarm_client(&self, client: &'static dyn AlarmClient) {
        self.client.set(Some(client));
    }

    fn set_alarm(&self, reference: u32, dt: u32) {
        let armed = Armed {
            reference,
            delta: dt,
        };
        self.armed.set(Some(armed));
        self.aim(armed);
    }

    fn get_alarm(&self) -> u32 {
        self.armed
            .get()
            .map_or(0, |armed| armed.reference.wrapping_add(armed.delta))
    }

    fn disarm(&self) -> Result<(), ErrorCode> {
        self.stop_alarm();
        Ok(())
    }

    fn is_armed(&self) -> bool {
        self.armed.get().is_some()
    }

    fn minimum_dt(&self) -> u32 {
        MINIMUM_TICKS_AHEAD
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counter_extends_with_counted_and_pending_overflows() {
        assert_eq!(extend_counter(0, false, 5), 5);
        assert_eq!(extend_counter(1, false, 5), 0x0100_0005);
        assert_eq!(extend_counter(1, true, 5), 0x0200_0005);
        // Bits above the counter's 24 are ignored.
        assert_eq!(extend_counter(0, false, 0xff12_3456), 0x0012_3456);
        // The 32-bit time wraps after 256 overflows.
        assert_eq!(extend_counter(255, true, 7), 7);
    }

    #[test]
    fn near_deadlines_are_compared_exactly() {
        assert_eq!(next_compare(1000, 10), 1000);
        // Across the 24-bit wrap the low bits are what is compared.
        assert_eq!(next_compare(0x0100_0010, 0x00ff_fff0), 0x10);
    }

    #[test]
    fn due_or_passed_deadlines_fire_a_few_ticks_ahead() {
        assert_eq!(next_compare(100, 100), 100 + MINIMUM_TICKS_AHEAD);
        assert_eq!(next_compare(101, 100), 100 + MINIMUM_TICKS_AHEAD);
        assert_eq!(next_compare(50, 100), 100 + MINIMUM_TICKS_AHEAD);
        assert_eq!(
            next_compare(0x00ff_fff0, 0x00ff_ffff),
            MINIMUM_TICKS_AHEAD - 1
        );
    }

    #[test]
    fn far_deadlines_take_half_wrap_steps() {
        let now = 0x0000_1000;
        let deadline = now + 3 * COUNTER_MASK;
        let mut time = now;
        let mut steps = 0;
        // Follow the wake-ups until the compare is the deadline itself.
        loop {
            let compare = next_compare(deadline, time);
            let step = compare.wrapping_sub(time) & COUNTER_MASK;
            assert!((MINIMUM_TICKS_AHEAD..=LONGEST_STEP).contains(&step));
            time = time.wrapping_add(step);
            steps += 1;
            if compare == deadline & COUNTER_MASK && time == deadline {
                break;
            }
            assert!(steps < 10, "never reached the deadline");
        }
        assert_eq!(steps, 6);
    }

    #[test]
    fn deadlines_across_the_32_bit_wrap_are_near() {
        assert_eq!(next_compare(0x10, 0xffff_fff0), 0x10);
    }
}
