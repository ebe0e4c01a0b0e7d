//! The multiplication and squaring of GF(p) in Montgomery form, written
//! for 32-bit cores: the product by columns (each column's sum of 32×32-bit
//! products in a 96-bit accumulator, so every partial product is added
//! once and nothing is stored until its column is done), squaring with
//! each cross product computed once and doubled, and a Montgomery
//! reduction that uses p's form instead of multiplying by it.
//!
//! Why p's form helps: p = 2^256 - 2^224 + 2^192 + 2^96 - 1, so
//! -p^-1 mod 2^32 is 1 and the multiple of p that clears word i is
//! m·p with m the word itself; m·p·2^(32i) is m added at words i+3, i+6
//! and i+8 and subtracted at words i and i+7. No multiplication at all.
//!
//! Every column is a const-generic function: its loop bounds are
//! constants, so the compiler unrolls each into straight-line code.

use crate::wide::{self, Limbs, LIMBS};

use super::field::MODULUS;

/// Up to 96 bits: the running sum of one column plus the carry from the
/// column before.
#[derive(Clone, Copy, Default)]
struct Accumulator {
    low: u64,
    high: u32,
}

impl Accumulator {
    #[inline(always)]
    fn add_product(&mut self, a: u32, b: u32) {
        let (sum, overflow) = self.low.overflowing_add(u64::from(a) * u64::from(b));
        self.low = sum;
        self.high += u32::from(overflow);
    }

    #[cfg_attr(
        target_arch = "arm",
        allow(
            dead_code,
            reason = "the other architectures' square; the host tests it"
        )
    )]
    #[inline(always)]
    fn add(&mut self, other: Accumulator) {
        let (sum, overflow) = self.low.overflowing_add(other.low);
        self.low = sum;
        self.high += other.high + u32::from(overflow);
    }

    #[cfg_attr(
        target_arch = "arm",
        allow(
            dead_code,
            reason = "the other architectures' square; the host tests it"
        )
    )]
    #[inline(always)]
    fn double(&mut self) {
        self.high = (self.high << 1) | (self.low >> 63) as u32;
        self.low <<= 1;
    }

    /// The column's result word; the rest carries into the next column.
    #[inline(always)]
    fn shift_out(&mut self) -> u32 {
        let word = self.low as u32;
        self.low = (self.low >> 32) | (u64::from(self.high) << 32);
        self.high = 0;
        word
    }
}

/// The indices `i` of column `K`'s products `a[i]·b[K-i]`: from the first
/// to one past the last (an exclusive range: the compiler unrolls it
/// fully, where an inclusive one stayed a loop).
const fn column_bounds(column: usize) -> (usize, usize) {
    let first = column.saturating_sub(LIMBS - 1);
    let end = if column < LIMBS { column + 1 } else { LIMBS };
    (first, end)
}

#[inline(always)]
fn product_column<const K: usize>(a: &Limbs, b: &Limbs, sum: &mut Accumulator) -> u32 {
    let (first, end) = column_bounds(K);
    for index in first..end {
        sum.add_product(a[index], b[K - index]);
    }
    sum.shift_out()
}

#[cfg_attr(
    target_arch = "arm",
    allow(
        dead_code,
        reason = "the other architectures' square; the host tests it"
    )
)]
#[inline(always)]
fn square_column<const K: usize>(a: &Limbs, sum: &mut Accumulator) -> u32 {
    let (first, end) = column_bounds(K);
    let mut cross = Accumulator::default();
    for index in first..end {
        if index < K - index {
            cross.add_product(a[index], a[K - index]);
        }
    }
    cross.double();
    sum.add(cross);
    if K & 1 == 0 {
        sum.add_product(a[K / 2], a[K / 2]);
    }
    sum.shift_out()
}

/// Column `K` of the reduction: the product's word, the carry, and the
/// words `m` chosen in earlier columns at their offsets 3, 6, 7 and 8.
/// In the low half each column chooses its own `m` (its current word),
/// which clears it; the high half's words are the result.
#[inline(always)]
fn reduction_column<const K: usize>(
    product: &[u32; 16],
    factors: &mut Limbs,
    carry: &mut i64,
) -> u32 {
    let factor = |offset: usize| {
        K.checked_sub(offset)
            .filter(|index| *index < LIMBS)
            .map_or(0, |index| i64::from(factors[index]))
    };
    let mut value = *carry + i64::from(product[K]) + factor(3) + factor(6) - factor(7) + factor(8);
    if K < LIMBS {
        factors[K] = value as u32;
        value -= i64::from(factors[K]);
    }
    *carry = value >> 32;
    value as u32
}

/// `product / 2^256 mod p` for `product < p · 2^256`.
#[inline(always)]
pub(crate) fn reduce(product: &[u32; 16]) -> Limbs {
    let mut factors = [0u32; LIMBS];
    let mut carry = 0i64;
    macro_rules! low_columns {
        ($($column:literal)*) => {
            $(reduction_column::<$column>(product, &mut factors, &mut carry);)*
        };
    }
    low_columns!(0 1 2 3 4 5 6 7);
    macro_rules! high_columns {
        ($($column:literal)*) => {
            [$(reduction_column::<$column>(product, &mut factors, &mut carry)),*]
        };
    }
    let result: Limbs = high_columns!(8 9 10 11 12 13 14 15);
    // The value is below 2p (and nonnegative): at most one subtraction.
    if carry != 0 || !wide::less_than(&result, &MODULUS) {
        wide::subtract(&result, &MODULUS).0
    } else {
        result
    }
}

/// `a · b` by columns: best where a multiply-accumulate needs separate
/// carry instructions (RISC-V: `mul`, `mulhu`, `add`, `sltu`).
#[cfg_attr(
    target_arch = "arm",
    allow(
        dead_code,
        reason = "the other architectures' product; the host tests both"
    )
)]
#[inline(always)]
pub(crate) fn product_by_columns(a: &Limbs, b: &Limbs) -> [u32; 16] {
    let mut sum = Accumulator::default();
    macro_rules! columns {
        ($($column:literal)*) => {
            [$(product_column::<$column>(a, b, &mut sum)),*]
        };
    }
    columns!(0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15)
}

/// Row `ROW` of the product by rows: `a[ROW]·b` added into the product.
#[inline(always)]
fn product_row<const ROW: usize>(a: &Limbs, b: &Limbs, product: &mut [u32; 16]) {
    let mut carry = 0u32;
    for (column, &b_limb) in b.iter().enumerate() {
        let wide = u64::from(a[ROW]) * u64::from(b_limb)
            + u64::from(product[ROW + column])
            + u64::from(carry);
        product[ROW + column] = wide as u32;
        carry = (wide >> 32) as u32;
    }
    product[ROW + LIMBS] = carry;
}

/// `a · b` by rows: each step `a[i]·b[j] + word + carry` is one `umaal`
/// on Cortex-M4, which makes rows faster there than columns.
#[cfg_attr(
    not(target_arch = "arm"),
    allow(dead_code, reason = "Cortex-M's product; the host tests both")
)]
#[inline(always)]
pub(crate) fn product_by_rows(a: &Limbs, b: &Limbs) -> [u32; 16] {
    let mut product = [0u32; 16];
    macro_rules! rows {
        ($($row:literal)*) => {
            $(product_row::<$row>(a, b, &mut product);)*
        };
    }
    rows!(0 1 2 3 4 5 6 7);
    product
}

/// `a · b / 2^256 mod p` for `a, b < p`.
pub(crate) fn montgomery_multiply(a: &Limbs, b: &Limbs) -> Limbs {
    #[cfg(target_arch = "arm")]
    let product = product_by_rows(a, b);
    #[cfg(not(target_arch = "arm"))]
    let product = product_by_columns(a, b);
    reduce(&product)
}

/// `a² / 2^256 mod p` for `a < p`.
#[cfg(target_arch = "arm")]
pub(crate) fn montgomery_square(a: &Limbs) -> Limbs {
    // A dedicated square by rows (cross products once, doubled) measured
    // slower here: the shift and the diagonal cost more than 28 `umaal`.
    reduce(&product_by_rows(a, a))
}

/// `a² / 2^256 mod p` for `a < p`.
#[cfg(not(target_arch = "arm"))]
pub(crate) fn montgomery_square(a: &Limbs) -> Limbs {
    let mut sum = Accumulator::default();
    macro_rules! columns {
        ($($column:literal)*) => {
            [$(square_column::<$column>(a, &mut sum)),*]
        };
    }
    let product: [u32; 16] = columns!(0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15);
    reduce(&product)
}
