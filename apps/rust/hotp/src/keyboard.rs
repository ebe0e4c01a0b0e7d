//! USB HID keyboard usages (HID Usage Tables, keyboard page 0x07) for what
//! the app types: digits and Enter.

/// Usage of Enter.
pub const ENTER: u8 = 0x28;

/// The usage of an ASCII digit (`'1'` is 0x1E ... `'9'` 0x26, `'0'` 0x27).
pub fn digit_usage(digit: u8) -> Option<u8> {
    match digit {
        b'0' => Some(0x27),
        b'1'..=b'9' => Some(0x1e + (digit - b'1')),
        _ => None,
    }
}

/// The ASCII digit of a usage (the inverse of [`digit_usage`]).
pub fn usage_digit(usage: u8) -> Option<u8> {
    match usage {
        0x27 => Some(b'0'),
        0x1e..=0x26 => Some(b'1' + (usage - 0x1e)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digits_map_to_the_keyboard_page_and_back() {
        assert_eq!(digit_usage(b'1'), Some(0x1e));
        assert_eq!(digit_usage(b'9'), Some(0x26));
        assert_eq!(digit_usage(b'0'), Some(0x27));
        assert_eq!(digit_usage(b'a'), None);
        for digit in b'0'..=b'9' {
            assert_eq!(usage_digit(digit_usage(digit).unwrap()), Some(digit));
        }
        assert_eq!(usage_digit(ENTER), None);
    }
}
