//! 256-bit unsigned integers as eight 32-bit limbs (least significant
//! first) and the Montgomery multiplication both moduli (p and n) share.
//!
//! Everything here runs in variable time: the inputs of a verification are
//! public (see the crate documentation).

/// Limbs of a 256-bit number.
pub(crate) const LIMBS: usize = 8;

/// A 256-bit unsigned number, least significant limb first.
pub(crate) type Limbs = [u32; LIMBS];

/// The 256-bit number of `bytes` read big-endian.
pub(crate) fn from_be_bytes(bytes: &[u8; 32]) -> Limbs {
    let mut limbs = [0u32; LIMBS];
    for (index, limb) in limbs.iter_mut().enumerate() {
        let start = 32 - 4 * (index + 1);
        *limb = u32::from_be_bytes([
            bytes[start],
            bytes[start + 1],
            bytes[start + 2],
            bytes[start + 3],
        ]);
    }
    limbs
}

/// `a < b`.
pub(crate) const fn less_than(a: &Limbs, b: &Limbs) -> bool {
    let mut index = LIMBS;
    while index > 0 {
        index -= 1;
        if a[index] != b[index] {
            return a[index] < b[index];
        }
    }
    false
}

/// Whether every limb is zero.
pub(crate) fn is_zero(a: &Limbs) -> bool {
    a.iter().all(|limb| *limb == 0)
}

/// `a + b` and the carry out of the top limb.
#[inline(always)]
pub(crate) const fn add(a: &Limbs, b: &Limbs) -> (Limbs, bool) {
    let mut sum = [0u32; LIMBS];
    let mut carry = 0u64;
    let mut index = 0;
    while index < LIMBS {
        let wide = a[index] as u64 + b[index] as u64 + carry;
        sum[index] = wide as u32;
        carry = wide >> 32;
        index += 1;
    }
    (sum, carry != 0)
}

/// `a - b` and whether it borrowed (that is, `a < b`).
#[inline(always)]
pub(crate) const fn subtract(a: &Limbs, b: &Limbs) -> (Limbs, bool) {
    let mut difference = [0u32; LIMBS];
    let mut borrow = 0u64;
    let mut index = 0;
    while index < LIMBS {
        let wide = (a[index] as u64)
            .wrapping_sub(b[index] as u64)
            .wrapping_sub(borrow);
        difference[index] = wide as u32;
        borrow = wide >> 63;
        index += 1;
    }
    (difference, borrow != 0)
}

/// `(a + b) mod modulus` for `a, b < modulus`.
#[inline(always)]
pub(crate) const fn add_modulo(a: &Limbs, b: &Limbs, modulus: &Limbs) -> Limbs {
    let (sum, carry) = add(a, b);
    if carry || !less_than(&sum, modulus) {
        subtract(&sum, modulus).0
    } else {
        sum
    }
}

/// `(a - b) mod modulus` for `a, b < modulus`.
#[inline(always)]
pub(crate) const fn subtract_modulo(a: &Limbs, b: &Limbs, modulus: &Limbs) -> Limbs {
    let (difference, borrow) = subtract(a, b);
    if borrow {
        add(&difference, modulus).0
    } else {
        difference
    }
}

/// `a / 2 mod modulus` for odd `modulus` and `a < modulus`.
pub(crate) fn half_modulo(a: &Limbs, modulus: &Limbs) -> Limbs {
    let (value, top_bit) = if a[0] & 1 == 0 {
        (*a, false)
    } else {
        add(a, modulus)
    };
    let mut half = shift_right_one(&value);
    if top_bit {
        half[LIMBS - 1] |= 1 << 31;
    }
    half
}

/// `a >> 1`.
pub(crate) fn shift_right_one(a: &Limbs) -> Limbs {
    let mut shifted = [0u32; LIMBS];
    for index in 0..LIMBS - 1 {
        shifted[index] = (a[index] >> 1) | (a[index + 1] << 31);
    }
    shifted[LIMBS - 1] = a[LIMBS - 1] >> 1;
    shifted
}

/// `-modulus^-1 mod 2^32` for odd `modulus` (Newton's iteration doubles
/// the correct low bits each step: 1, 2, 4, ... 32 after five steps).
pub(crate) const fn montgomery_inverse(modulus: &Limbs) -> u32 {
    let low = modulus[0];
    let mut inverse: u32 = 1;
    let mut step = 0;
    while step < 5 {
        inverse = inverse.wrapping_mul(2u32.wrapping_sub(low.wrapping_mul(inverse)));
        step += 1;
    }
    inverse.wrapping_neg()
}

/// `2^512 mod modulus` (R² for R = 2^256), by doubling 1 modulo `modulus`
/// 512 times; evaluated at compile time.
pub(crate) const fn r_squared(modulus: &Limbs) -> Limbs {
    let mut value = [1u32, 0, 0, 0, 0, 0, 0, 0];
    let mut step = 0;
    while step < 512 {
        value = add_modulo(&value, &value, modulus);
        step += 1;
    }
    value
}

/// `a * b * 2^-256 mod modulus` for `a, b < modulus` (`inverse` is
/// [`montgomery_inverse`] of `modulus`). Inlined into each caller so that
/// the compiler specialises it for the caller's constant modulus (P-256's
/// p has limbs 0, 1 and 2^32-1, which fold into shifts and additions).
#[inline(always)]
pub(crate) fn montgomery_multiply(a: &Limbs, b: &Limbs, modulus: &Limbs, inverse: u32) -> Limbs {
    // The full 512-bit product, schoolbook.
    let mut product = [0u32; 2 * LIMBS];
    for (row, &a_limb) in a.iter().enumerate() {
        let mut carry = 0u64;
        for (column, &b_limb) in b.iter().enumerate() {
            let wide =
                u64::from(product[row + column]) + u64::from(a_limb) * u64::from(b_limb) + carry;
            product[row + column] = wide as u32;
            carry = wide >> 32;
        }
        product[row + LIMBS] = carry as u32;
    }
    // Montgomery reduction: add multiples of the modulus that clear the
    // low limbs one by one; the high half is then the result (below
    // 2 * modulus).
    let mut top_carry = 0u64;
    for row in 0..LIMBS {
        let factor = product[row].wrapping_mul(inverse);
        let mut carry = 0u64;
        for (column, &modulus_limb) in modulus.iter().enumerate() {
            let wide = u64::from(product[row + column])
                + u64::from(factor) * u64::from(modulus_limb)
                + carry;
            product[row + column] = wide as u32;
            carry = wide >> 32;
        }
        let wide = u64::from(product[row + LIMBS]) + carry + top_carry;
        product[row + LIMBS] = wide as u32;
        top_carry = wide >> 32;
    }
    let mut result = [0u32; LIMBS];
    result.copy_from_slice(&product[LIMBS..]);
    if top_carry != 0 || !less_than(&result, modulus) {
        result = subtract(&result, modulus).0;
    }
    result
}

/// `a^-1 mod modulus` for odd prime `modulus` and `0 < a < modulus`, by
/// the binary extended Euclidean algorithm (variable time; a few tens of
/// thousands of instructions against hundreds of thousands for Fermat).
pub(crate) fn invert_modulo(a: &Limbs, modulus: &Limbs) -> Limbs {
    const ONE: Limbs = [1, 0, 0, 0, 0, 0, 0, 0];
    // Invariants: u = a * x1, v = a * x2 (mod modulus); gcd(u, v) = 1.
    let (mut u, mut v) = (*a, *modulus);
    let (mut x1, mut x2) = (ONE, [0u32; LIMBS]);
    while u != ONE && v != ONE {
        if is_zero(&u) || is_zero(&v) {
            // Only when a shares a factor with the modulus, which a prime
            // modulus rules out; give a value that cannot verify.
            return [0; LIMBS];
        }
        while u[0] & 1 == 0 {
            u = shift_right_one(&u);
            x1 = half_modulo(&x1, modulus);
        }
        while v[0] & 1 == 0 {
            v = shift_right_one(&v);
            x2 = half_modulo(&x2, modulus);
        }
        if less_than(&u, &v) {
            v = subtract(&v, &u).0;
            x2 = subtract_modulo(&x2, &x1, modulus);
        } else {
            u = subtract(&u, &v).0;
            x1 = subtract_modulo(&x1, &x2, modulus);
        }
    }
    if u == ONE {
        x1
    } else {
        x2
    }
}
