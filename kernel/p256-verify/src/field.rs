//! Elements of P-256's base field GF(p), p = 2^256 - 2^224 + 2^192 + 2^96 - 1,
//! kept in Montgomery form (`x * 2^256 mod p`) and always fully reduced,
//! so equal elements have equal limbs.

use crate::field_product;
use crate::wide::{self, Limbs};

/// The field prime p.
pub(crate) const MODULUS: Limbs = [
    0xffff_ffff,
    0xffff_ffff,
    0xffff_ffff,
    0,
    0,
    0,
    1,
    0xffff_ffff,
];
#[cfg(test)]
const INVERSE: u32 = wide::montgomery_inverse(&MODULUS);
const R_SQUARED: Limbs = wide::r_squared(&MODULUS);

/// An element of GF(p) in Montgomery form.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct FieldElement(Limbs);

impl FieldElement {
    /// Zero (also zero in Montgomery form).
    pub(crate) const ZERO: FieldElement = FieldElement([0; 8]);
    /// One: 2^256 mod p in Montgomery form, that is 2^256 - p.
    pub(crate) const ONE: FieldElement = FieldElement(wide::subtract(&[0; 8], &MODULUS).0);

    /// The element whose Montgomery form is `limbs` (below p: constants).
    pub(crate) const fn from_montgomery(limbs: Limbs) -> FieldElement {
        FieldElement(limbs)
    }

    /// The element for the integer `value`, or `None` if `value >= p`.
    pub(crate) fn from_integer(value: &Limbs) -> Option<FieldElement> {
        if !wide::less_than(value, &MODULUS) {
            return None;
        }
        Some(FieldElement(field_product::montgomery_multiply(
            value, &R_SQUARED,
        )))
    }

    /// The element for 32 big-endian bytes, or `None` if they are `>= p`.
    pub(crate) fn from_be_bytes(bytes: &[u8; 32]) -> Option<FieldElement> {
        Self::from_integer(&wide::from_be_bytes(bytes))
    }

    /// The integer this element stands for (below p).
    #[cfg(test)]
    pub(crate) fn to_integer(self) -> Limbs {
        const ONE: Limbs = [1, 0, 0, 0, 0, 0, 0, 0];
        field_product::montgomery_multiply(&self.0, &ONE)
    }

    /// Whether this is zero.
    pub(crate) fn is_zero(&self) -> bool {
        wide::is_zero(&self.0)
    }

    /// `self * other`. Not inlined: one copy of the unrolled multiplication
    /// serves every caller.
    #[inline(never)]
    pub(crate) fn multiply(&self, other: &FieldElement) -> FieldElement {
        FieldElement(field_product::montgomery_multiply(&self.0, &other.0))
    }

    /// `self^2`: 36 word products instead of 64.
    #[inline(never)]
    pub(crate) fn square(&self) -> FieldElement {
        FieldElement(field_product::montgomery_square(&self.0))
    }

    /// `self + other`.
    pub(crate) fn add(&self, other: &FieldElement) -> FieldElement {
        FieldElement(wide::add_modulo(&self.0, &other.0, &MODULUS))
    }

    /// `self - other`.
    pub(crate) fn subtract(&self, other: &FieldElement) -> FieldElement {
        FieldElement(wide::subtract_modulo(&self.0, &other.0, &MODULUS))
    }

    /// `2 * self`.
    pub(crate) fn double(&self) -> FieldElement {
        self.add(self)
    }

    /// `-self`.
    pub(crate) fn negate(&self) -> FieldElement {
        FieldElement::ZERO.subtract(self)
    }
}

#[cfg(test)]
mod tests {
    extern crate std;

    use super::*;

    #[test]
    fn montgomery_form_round_trips() {
        let value: Limbs = [7, 0xdead_beef, 3, 0, 0xffff_ffff, 9, 1, 0x1234_5678];
        let element = FieldElement::from_integer(&value).expect("below p");
        assert_eq!(element.to_integer(), value);
    }

    #[test]
    fn minus_one_squared_is_one() {
        let minus_one = wide::subtract(&MODULUS, &[1, 0, 0, 0, 0, 0, 0, 0]).0;
        let element = FieldElement::from_integer(&minus_one).expect("below p");
        assert_eq!(element.square().to_integer(), [1, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(element.add(&element.negate()), FieldElement::ZERO);
    }

    /// A simple generator of limbs spread over the whole range.
    fn pseudo_random_elements() -> impl Iterator<Item = Limbs> {
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u32
        };
        let edges = [
            [0; 8],
            [1, 0, 0, 0, 0, 0, 0, 0],
            wide::subtract(&MODULUS, &[1, 0, 0, 0, 0, 0, 0, 0]).0,
            [
                0xffff_ffff,
                0xffff_ffff,
                0xffff_ffff,
                0,
                0,
                0,
                1,
                0xffff_fffe,
            ],
        ];
        let random = core::iter::repeat_with(move || {
            let mut limbs = [0u32; 8];
            limbs.iter_mut().for_each(|limb| *limb = next());
            limbs
        })
        .filter(|limbs| wide::less_than(limbs, &MODULUS))
        .take(2000);
        edges.into_iter().chain(random)
    }

    #[test]
    fn special_form_product_equals_the_generic_montgomery_product() {
        let elements: std::vec::Vec<Limbs> = pseudo_random_elements().collect();
        for pair in elements.windows(2) {
            let (a, b) = (&pair[0], &pair[1]);
            let generic = wide::montgomery_multiply(a, b, &MODULUS, INVERSE);
            assert_eq!(
                field_product::montgomery_multiply(a, b),
                generic,
                "{a:x?} {b:x?}"
            );
            let generic_square = wide::montgomery_multiply(a, a, &MODULUS, INVERSE);
            assert_eq!(
                field_product::montgomery_square(a),
                generic_square,
                "{a:x?}"
            );
            // Both ways of forming the product (each target uses one).
            let by_rows = field_product::reduce(&field_product::product_by_rows(a, b));
            let by_columns = field_product::reduce(&field_product::product_by_columns(a, b));
            assert_eq!((by_rows, by_columns), (generic, generic), "{a:x?} {b:x?}");
        }
    }

    #[test]
    fn p_itself_is_refused() {
        assert_eq!(FieldElement::from_integer(&MODULUS), None);
    }
}
