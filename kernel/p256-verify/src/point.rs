//! Points of P-256 (y² = x³ - 3x + b) in Jacobian coordinates
//! (X, Y, Z) for the affine point (X/Z², Y/Z³); Z = 0 is the point at
//! infinity. And the one scalar multiplication a verification needs,
//! u1·G + u2·Q, by Shamir's trick: one chain of doublings, with a
//! width-7 NAF of u1 over a constant affine table of G (mixed additions)
//! and a width-5 NAF of u2 over a table of Q computed per verification.

use crate::field::FieldElement;
use crate::generator_table;
use crate::wide::{self, Limbs, LIMBS};

/// The NAF width for the public key: odd digits in [-15, 15], so its table
/// holds 1Q, 3Q, ... 15Q (a wider one costs more to build than it saves).
const KEY_WINDOW: u32 = 5;
/// Odd multiples of the key kept per verification.
const TABLE_LENGTH: usize = 1 << (KEY_WINDOW - 2);
/// The NAF width for the generator, whose table is a constant: odd digits
/// in [-63, 63], about one addition per 8 bits instead of one per 6.
const GENERATOR_WINDOW: u32 = 7;
/// Digits of a NAF of a number below 2^256 (one more than its bits, for a
/// final carry).
const DIGITS: usize = 257;

/// A point in Jacobian coordinates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct JacobianPoint {
    x: FieldElement,
    y: FieldElement,
    z: FieldElement,
}

impl JacobianPoint {
    /// The point at infinity (the group's neutral element).
    pub(crate) const INFINITY: JacobianPoint = JacobianPoint {
        x: FieldElement::ZERO,
        y: FieldElement::ZERO,
        z: FieldElement::ZERO,
    };

    /// The affine point (x, y).
    pub(crate) fn from_affine(x: FieldElement, y: FieldElement) -> Self {
        JacobianPoint {
            x,
            y,
            z: FieldElement::ONE,
        }
    }

    /// Whether this is the point at infinity.
    pub(crate) fn is_infinity(&self) -> bool {
        self.z.is_zero()
    }

    /// Whether this point's affine x coordinate is `x` (false for
    /// infinity): X == x·Z², no inversion needed.
    pub(crate) fn has_affine_x(&self, x: &FieldElement) -> bool {
        !self.is_infinity() && self.x == x.multiply(&self.z.square())
    }

    /// `self + (x, y)` for an affine point (Z = 1): "madd", 8
    /// multiplications and 3 squarings instead of 12 and 4.
    fn add_affine(&self, x: &FieldElement, y: &FieldElement) -> JacobianPoint {
        if self.is_infinity() {
            return JacobianPoint::from_affine(*x, *y);
        }
        let z1_squared = self.z.square();
        let u2 = x.multiply(&z1_squared);
        let s2 = y.multiply(&self.z).multiply(&z1_squared);
        let h = u2.subtract(&self.x);
        let r = s2.subtract(&self.y);
        if h.is_zero() {
            return if r.is_zero() {
                self.double()
            } else {
                JacobianPoint::INFINITY
            };
        }
        let h_squared = h.square();
        let h_cubed = h.multiply(&h_squared);
        let v = self.x.multiply(&h_squared);
        let x3 = r.square().subtract(&h_cubed).subtract(&v.double());
        let y3 = r
            .multiply(&v.subtract(&x3))
            .subtract(&self.y.multiply(&h_cubed));
        let z3 = self.z.multiply(&h);
        JacobianPoint {
            x: x3,
            y: y3,
            z: z3,
        }
    }

    /// `-self`.
    fn negate(&self) -> JacobianPoint {
        JacobianPoint {
            y: self.y.negate(),
            ..*self
        }
    }

    /// `2 * self`, with a = -3 ("dbl-2001-b": 3 multiplications, 5
    /// squarings). Infinity doubles to infinity (Z stays 0); P-256 has no
    /// point of order 2, so Y is never 0 for a finite point.
    pub(crate) fn double(&self) -> JacobianPoint {
        let delta = self.z.square();
        let gamma = self.y.square();
        let beta = self.x.multiply(&gamma);
        let alpha = self.x.subtract(&delta).multiply(&self.x.add(&delta));
        let alpha = alpha.double().add(&alpha);
        let beta_4 = beta.double().double();
        let x = alpha.square().subtract(&beta_4.double());
        let z = self
            .y
            .add(&self.z)
            .square()
            .subtract(&gamma)
            .subtract(&delta);
        let gamma_squared_8 = gamma.square().double().double().double();
        let y = alpha
            .multiply(&beta_4.subtract(&x))
            .subtract(&gamma_squared_8);
        JacobianPoint { x, y, z }
    }

    /// `self + other` for any two points, equal, opposite or infinite
    /// ones included (12 multiplications, 4 squarings in general).
    pub(crate) fn add(&self, other: &JacobianPoint) -> JacobianPoint {
        if self.is_infinity() {
            return *other;
        }
        if other.is_infinity() {
            return *self;
        }
        let z1_squared = self.z.square();
        let z2_squared = other.z.square();
        let u1 = self.x.multiply(&z2_squared);
        let u2 = other.x.multiply(&z1_squared);
        let s1 = self.y.multiply(&other.z).multiply(&z2_squared);
        let s2 = other.y.multiply(&self.z).multiply(&z1_squared);
        let h = u2.subtract(&u1);
        let r = s2.subtract(&s1);
        if h.is_zero() {
            // Same x: the same point (double it) or opposite points.
            return if r.is_zero() {
                self.double()
            } else {
                JacobianPoint::INFINITY
            };
        }
        let h_squared = h.square();
        let h_cubed = h.multiply(&h_squared);
        let v = u1.multiply(&h_squared);
        let x = r.square().subtract(&h_cubed).subtract(&v.double());
        let y = r.multiply(&v.subtract(&x)).subtract(&s1.multiply(&h_cubed));
        let z = self.z.multiply(&other.z).multiply(&h);
        JacobianPoint { x, y, z }
    }

    /// 1P, 3P, 5P, ... 15P.
    fn odd_multiples(&self) -> [JacobianPoint; TABLE_LENGTH] {
        let twice = self.double();
        let mut table = [*self; TABLE_LENGTH];
        for index in 1..TABLE_LENGTH {
            table[index] = table[index - 1].add(&twice);
        }
        table
    }
}

/// The width-`window` non-adjacent form of `scalar` (window 2 to 7):
/// digits (least significant first) that are 0 or odd in
/// (-2^(window-1), 2^(window-1)), with `scalar = Σ digit·2^i` and at least
/// `window - 1` zeros after each nonzero digit.
pub(crate) fn non_adjacent_form(scalar: &Limbs, window: u32) -> [i8; DIGITS] {
    let mut digits = [0i8; DIGITS];
    let mut rest = *scalar;
    for digit in digits.iter_mut() {
        if wide::is_zero(&rest) {
            break;
        }
        if rest[0] & 1 == 1 {
            // The residue modulo 2^WINDOW, centred on zero (odd).
            let residue = (rest[0] & ((1 << window) - 1)) as i16;
            let centred = if residue >= 1 << (window - 1) {
                residue - (1 << window)
            } else {
                residue
            } as i8;
            *digit = centred;
            let magnitude = small(u32::from(centred.unsigned_abs()));
            rest = if centred > 0 {
                wide::subtract(&rest, &magnitude).0
            } else {
                wide::add(&rest, &magnitude).0
            };
        }
        rest = wide::shift_right_one(&rest);
    }
    digits
}

fn small(value: u32) -> Limbs {
    let mut limbs = [0u32; LIMBS];
    limbs[0] = value;
    limbs
}

/// Adds `±table[|digit| / 2]` to `sum` for a nonzero `digit`.
fn add_digit(
    sum: JacobianPoint,
    digit: i8,
    table: &[JacobianPoint; TABLE_LENGTH],
) -> JacobianPoint {
    // Digits of a width-5 NAF index the table; `get` keeps a panic path
    // out of the kernel all the same.
    let Some(entry) = table.get(usize::from(digit.unsigned_abs() / 2)) else {
        return sum;
    };
    match digit {
        0 => sum,
        positive if positive > 0 => sum.add(entry),
        _ => sum.add(&entry.negate()),
    }
}

/// Adds `±ODD_MULTIPLES[|digit| / 2]` (of G) to `sum` for a nonzero
/// `digit`.
fn add_generator_digit(sum: JacobianPoint, digit: i8) -> JacobianPoint {
    let Some((x, y)) = generator_table::ODD_MULTIPLES.get(usize::from(digit.unsigned_abs() / 2))
    else {
        return sum;
    };
    let (x, y) = (
        FieldElement::from_montgomery(*x),
        FieldElement::from_montgomery(*y),
    );
    match digit {
        0 => sum,
        positive if positive > 0 => sum.add_affine(&x, &y),
        _ => sum.add_affine(&x, &y.negate()),
    }
}

/// `generator_scalar·G + key_scalar·key` (both scalars below 2^256): one
/// chain of doublings shared by both (Shamir's trick).
pub(crate) fn double_multiply(
    generator_scalar: &Limbs,
    key_scalar: &Limbs,
    key: &JacobianPoint,
) -> JacobianPoint {
    let generator_digits = non_adjacent_form(generator_scalar, GENERATOR_WINDOW);
    let key_digits = non_adjacent_form(key_scalar, KEY_WINDOW);
    let key_table = key.odd_multiples();
    let mut sum = JacobianPoint::INFINITY;
    for position in (0..DIGITS).rev() {
        if !sum.is_infinity() {
            sum = sum.double();
        }
        sum = add_generator_digit(sum, generator_digits[position]);
        sum = add_digit(sum, key_digits[position], &key_table);
    }
    sum
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value_of(digits: &[i8; DIGITS]) -> i128 {
        digits
            .iter()
            .rev()
            .fold(0i128, |value, digit| value * 2 + i128::from(*digit))
    }

    #[test]
    fn non_adjacent_form_sums_to_its_scalar_and_is_sparse() {
        for window in [KEY_WINDOW, GENERATOR_WINDOW] {
            let bound = (1i8 << (window - 1)) - 1;
            for value in [
                1u64,
                15,
                16,
                17,
                31,
                63,
                64,
                127,
                0xdead_beef_cafe,
                u64::MAX >> 2,
            ] {
                let scalar = [value as u32, (value >> 32) as u32, 0, 0, 0, 0, 0, 0];
                let digits = non_adjacent_form(&scalar, window);
                assert_eq!(value_of(&digits), i128::from(value), "{value:#x}");
                for (position, digit) in digits.iter().enumerate() {
                    if *digit != 0 {
                        assert!(digit % 2 != 0 && (-bound..=bound).contains(digit));
                        let end = (position + window as usize).min(DIGITS);
                        let following = &digits[position + 1..end];
                        assert!(following.iter().all(|next| *next == 0), "{value:#x}");
                    }
                }
            }
        }
    }
}
