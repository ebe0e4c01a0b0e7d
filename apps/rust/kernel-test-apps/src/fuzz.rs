//! Pieces of the syscall fuzzer app (`bin/fuzzer.rs`) that are plain
//! logic: the seeded generator, build-time settings, and the checks of
//! what the kernel answered. They run on the host too (see the tests).

use kernel_abi::{ErrorCode, ReturnVariant};

/// A 32-bit xorshift generator (Marsaglia, 2003): tiny, no_std, and the
/// same sequence for the same seed on every machine, which is all a
/// reproducible fuzzer needs (no statistical or security claims).
pub struct Random {
    state: u32,
}

impl Random {
    /// A generator for `seed` (0 is mapped to a fixed non-zero state,
    /// because xorshift stays at 0 for ever).
    pub const fn new(seed: u32) -> Self {
        Random {
            state: if seed == 0 { 0x9E37_79B9 } else { seed },
        }
    }

    /// The next 32 random bits.
    pub fn next_u32(&mut self) -> u32 {
        let mut x = self.state;
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        self.state = x;
        x
    }

    /// A number below `bound` (`bound` > 0; the tiny bias is irrelevant here).
    pub fn below(&mut self, bound: u32) -> u32 {
        self.next_u32() % bound.max(1)
    }

    /// True about once in `odds` draws.
    pub fn one_in(&mut self, odds: u32) -> bool {
        self.below(odds) == 0
    }

    /// One of `choices`.
    pub fn pick<T: Copy>(&mut self, choices: &[T]) -> T {
        choices[self.below(choices.len() as u32) as usize]
    }
}

/// Parses a build-time number: decimal, or hexadecimal after `0x`.
/// `None` for anything else, so a typo fails loudly at the caller.
pub const fn parse_number(text: &str) -> Option<u32> {
    let bytes = text.as_bytes();
    let (mut index, radix) = if bytes.len() > 2 && bytes[0] == b'0' && bytes[1] == b'x' {
        (2, 16)
    } else {
        (0, 10)
    };
    if index == bytes.len() {
        return None;
    }
    let mut value: u32 = 0;
    while index < bytes.len() {
        let digit = match bytes[index] {
            byte @ b'0'..=b'9' => (byte - b'0') as u32,
            byte @ b'a'..=b'f' if radix == 16 => (byte - b'a' + 10) as u32,
            byte @ b'A'..=b'F' if radix == 16 => (byte - b'A' + 10) as u32,
            _ => return None,
        };
        value = value.wrapping_mul(radix).wrapping_add(digit);
        index += 1;
    }
    Some(value)
}

/// True if the first return register holds a return variant and, for a
/// failure, the second holds an error code: what every non-yield syscall
/// must return, whatever its arguments.
pub fn is_well_formed_return(registers: [u32; 4]) -> bool {
    match ReturnVariant::from_u32(registers[0]) {
        Some(variant) if variant.is_success() => true,
        Some(_) => ErrorCode::from_u32(registers[1]).is_some(),
        None => false,
    }
}

/// True if `registers` is a failure with `error` (any variant).
pub fn is_failure_with(registers: [u32; 4], error: ErrorCode) -> bool {
    ReturnVariant::from_u32(registers[0]).is_some_and(|variant| !variant.is_success())
        && registers[1] == error as u32
}

/// A half-open address range `[start, end)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Span {
    /// First byte.
    pub start: u32,
    /// First byte after.
    pub end: u32,
}

impl Span {
    /// True if `[address, address + length)` lies inside (a zero length
    /// is inside anything, as the kernel treats it).
    pub fn holds(self, address: u32, length: u32) -> bool {
        if length == 0 {
            return true;
        }
        match address.checked_add(length) {
            Some(end) => address >= self.start && end <= self.end,
            None => false,
        }
    }

    /// True if the non-empty range `[address, address + length)` shares a
    /// byte with this span (a range wrapping the address space counts as
    /// reaching its top).
    pub fn touches(self, address: u32, length: u32) -> bool {
        if length == 0 {
            return false;
        }
        let end = address.saturating_add(length);
        address < self.end && self.start < end
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_sequence() {
        let mut first = Random::new(42);
        let mut second = Random::new(42);
        let a: [u32; 8] = core::array::from_fn(|_| first.next_u32());
        let b: [u32; 8] = core::array::from_fn(|_| second.next_u32());
        assert_eq!(a, b);
        assert_ne!(Random::new(43).next_u32(), a[0]);
        assert_ne!(Random::new(0).next_u32(), 0);
    }

    #[test]
    fn build_numbers_parse_in_decimal_and_hex() {
        assert_eq!(parse_number("100000"), Some(100_000));
        assert_eq!(parse_number("0xdeadBEEF"), Some(0xdead_beef));
        assert_eq!(parse_number("0x"), None);
        assert_eq!(parse_number(""), None);
        assert_eq!(parse_number("12a"), None);
    }

    #[test]
    fn returns_are_checked_for_variant_and_error_code() {
        assert!(is_well_formed_return([128, 0, 0, 0]));
        assert!(is_well_formed_return([2, 6, 1, 2]));
        assert!(!is_well_formed_return([2, 0, 1, 2]));
        assert!(!is_well_formed_return([4, 1, 0, 0]));
        assert!(is_failure_with([0, 10, 0, 0], ErrorCode::NoSupport));
        assert!(!is_failure_with([128, 10, 0, 0], ErrorCode::NoSupport));
    }

    #[test]
    fn spans_hold_and_touch_ranges() {
        let span = Span {
            start: 0x100,
            end: 0x200,
        };
        assert!(span.holds(0x100, 0x100));
        assert!(!span.holds(0x100, 0x101));
        assert!(span.holds(0xFFFF_FFFF, 0));
        assert!(!span.holds(0xFFFF_FFF0, 0x20));
        assert!(span.touches(0x1FF, 1));
        assert!(!span.touches(0x200, 1));
        assert!(span.touches(0x0, 0xFFFF_FFFF));
        assert!(!span.touches(0x150, 0));
    }
}
