//! Integers modulo P-256's group order n, as plain integers (not in
//! Montgomery form): a verification needs one inversion and two
//! products, not enough to pay for conversions.

use crate::wide::{self, Limbs};

/// The group order n.
pub(crate) const ORDER: Limbs = [
    0xfc63_2551,
    0xf3b9_cac2,
    0xa717_9e84,
    0xbce6_faad,
    0xffff_ffff,
    0xffff_ffff,
    0,
    0xffff_ffff,
];
const INVERSE: u32 = wide::montgomery_inverse(&ORDER);
const R_SQUARED: Limbs = wide::r_squared(&ORDER);

/// The integer of 32 big-endian bytes if it lies in `[1, n-1]` (the range
/// of a signature's r and s), else `None`.
pub(crate) fn nonzero_from_be_bytes(bytes: &[u8; 32]) -> Option<Limbs> {
    let value = wide::from_be_bytes(bytes);
    (!wide::is_zero(&value) && wide::less_than(&value, &ORDER)).then_some(value)
}

/// A 256-bit message digest as an integer modulo n. A SHA-256 digest has
/// exactly n's bit length, so nothing is truncated; one subtraction
/// reduces it (every 256-bit number is below 2n).
pub(crate) fn digest_to_scalar(digest: &[u8; 32]) -> Limbs {
    let value = wide::from_be_bytes(digest);
    if wide::less_than(&value, &ORDER) {
        value
    } else {
        wide::subtract(&value, &ORDER).0
    }
}

/// `a^-1 mod n` for `a` in `[1, n-1]`.
pub(crate) fn invert(a: &Limbs) -> Limbs {
    wide::invert_modulo(a, &ORDER)
}

/// `a * b mod n` for `a, b < n`: a Montgomery product (`a * b / R`)
/// multiplied by R² the same way gives `a * b`.
pub(crate) fn multiply(a: &Limbs, b: &Limbs) -> Limbs {
    let reduced = wide::montgomery_multiply(a, b, &ORDER, INVERSE);
    wide::montgomery_multiply(&reduced, &R_SQUARED, &ORDER, INVERSE)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ONE: Limbs = [1, 0, 0, 0, 0, 0, 0, 0];

    #[test]
    fn inverse_times_value_is_one() {
        for value in [
            ONE,
            [2, 0, 0, 0, 0, 0, 0, 0],
            [0x1234_5678, 0x9abc_def0, 1, 2, 3, 4, 5, 6],
            wide::subtract(&ORDER, &ONE).0,
        ] {
            let inverse = invert(&value);
            assert_eq!(multiply(&value, &inverse), ONE, "{value:x?}");
        }
    }

    #[test]
    fn range_check_refuses_zero_and_n() {
        assert_eq!(nonzero_from_be_bytes(&[0; 32]), None);
        let mut order_bytes = [0u8; 32];
        for (index, limb) in ORDER.iter().enumerate() {
            let start = 32 - 4 * (index + 1);
            order_bytes[start..start + 4].copy_from_slice(&limb.to_be_bytes());
        }
        assert_eq!(nonzero_from_be_bytes(&order_bytes), None);
        order_bytes[31] -= 1;
        assert!(nonzero_from_be_bytes(&order_bytes).is_some());
        // The digest of value n reduces to 0.
        order_bytes[31] += 1;
        assert_eq!(digest_to_scalar(&order_bytes), [0; 8]);
    }
}
