//! The NVIC as the kernel uses it: device interrupts are enabled here and
//! serviced in kernel context. The generic handler masks a line when it
//! fires and leaves it pending; the chip finds it with [`next_pending`],
//! calls [`clear_pending`], services the device, then [`enable`]s it.

#[cfg(target_arch = "arm")]
use tock_registers::interfaces::{Readable, Writeable};

#[cfg(target_arch = "arm")]
use crate::registers::nvic;

/// Interrupt lines the vector table routes to the generic handler: 32 on
/// ARMv6-M, whose NVIC has no more (its other register words are
/// reserved, so they are never read).
pub const INTERRUPT_COUNT: u32 = if cfg!(armv6m) { 32 } else { 64 };

/// The word index and bit of line `irq`.
pub const fn word_and_bit(irq: u32) -> (usize, u32) {
    ((irq / 32) as usize, 1 << (irq % 32))
}

/// The lowest line in a pending bitmap (one word per 32 lines).
pub fn lowest_pending(words: &[u32]) -> Option<u32> {
    words
        .iter()
        .enumerate()
        .find(|(_, word)| **word != 0)
        .map(|(index, word)| index as u32 * 32 + word.trailing_zeros())
}

/// Lets line `irq` interrupt.
#[cfg(target_arch = "arm")]
pub fn enable(irq: u32) {
    let (word, bit) = word_and_bit(irq);
    nvic().set_enable[word].set(bit);
}

/// Marks line `irq` pending: a driver asks the kernel loop to service
/// its device (a callback must never come from inside a downcall).
#[cfg(target_arch = "arm")]
pub fn set_pending(irq: u32) {
    let (word, bit) = word_and_bit(irq);
    nvic().set_pending[word].set(bit);
}

/// The lowest pending line, if any.
#[cfg(target_arch = "arm")]
pub fn next_pending() -> Option<u32> {
    let registers = nvic();
    let words = core::array::from_fn::<u32, { (INTERRUPT_COUNT / 32) as usize }, _>(|index| {
        registers.set_pending[index].get()
    });
    lowest_pending(&words)
}

/// True if any line is pending.
#[cfg(target_arch = "arm")]
pub fn has_pending() -> bool {
    next_pending().is_some()
}

/// Clears line `irq`'s pending bit. Call before servicing the device:
/// an event during service pends it again. (QEMU pends a level-triggered
/// line only on its rising edge or at an exception return, so clearing
/// after service would lose an event raised meanwhile.)
#[cfg(target_arch = "arm")]
pub fn clear_pending(irq: u32) {
    let (word, bit) = word_and_bit(irq);
    nvic().clear_pending[word].set(bit);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_map_to_words_and_bits() {
        assert_eq!(word_and_bit(0), (0, 1));
        assert_eq!(word_and_bit(33), (1, 2));
        assert_eq!(lowest_pending(&[0, 0b100]), Some(34));
        assert_eq!(lowest_pending(&[0, 0]), None);
        assert_eq!(lowest_pending(&[0b1000_0001, 0]), Some(0));
    }
}
