//! ECDSA P-256 signature verification, and nothing else: the kernel's
//! credential checker verifies app signatures with it at load time.
//!
//! What it is: a small verifier written for 32-bit microcontrollers
//! (RV32IMAC and Cortex-M4). The field is GF(p) in Montgomery form with
//! eight 32-bit limbs, an unrolled multiplication (by columns on RISC-V,
//! by rows of `umaal` on Arm) and a reduction that uses p's special form;
//! points are Jacobian; `u1·G + u2·Q` is one chain of doublings (Shamir's
//! trick) with a width-7 NAF of u1 over a constant affine table of G and a
//! width-5 NAF of u2 over a table of Q; s is inverted modulo n by the
//! binary extended Euclidean algorithm; the final check compares X with
//! r·Z² (and (r+n)·Z²) so no field inversion is needed. Figures and how
//! they compare: docs/performance.md, "Signature verification".
//!
//! What it guarantees: [`verify_prehashed`] returns true exactly when
//! the signature (r, s) is a valid ECDSA signature of the digest under the
//! key, as FIPS 186-5 defines it: r and s in [1, n-1], and the x
//! coordinate of `e·s⁻¹·G + r·s⁻¹·Q`, reduced modulo n, equals r.
//! [`PublicKey`] accepts only points on the curve with coordinates below
//! p. High-s signatures are valid (ECDSA has no low-s rule; elf2tab and
//! `tbf sign` do not normalise s). Checked against every Wycheproof ECDSA
//! P-256 vector with SHA-256 and SHA-512 (IEEE P1363 and DER encodings)
//! and differentially against RustCrypto's `p256` (`tests/`). It never
//! panics and never allocates.
//!
//! Variable time, on purpose: every input of a verification (key,
//! digest, signature) is public, so branches and early exits on their
//! values leak nothing, and they make it several times faster.
//!
//! What it must never do: sign, derive keys or touch any secret. Its
//! variable-time arithmetic would leak a secret through timing; code that
//! handles secrets must use a constant-time implementation instead.

#![no_std]
#![forbid(unsafe_code)]

#[cfg(all(feature = "cortex-m4", target_arch = "arm"))]
mod cortex_m4;
mod field;
mod field_product;
mod generator_table;
mod point;
mod scalar;
mod wide;

use field::FieldElement;
use point::JacobianPoint;
use wide::Limbs;

/// The length of a signature: r then s, 32 big-endian bytes each (IEEE
/// P1363, as TBF credentials store it).
pub const SIGNATURE_LENGTH: usize = 64;
/// The length of a raw public key: x then y, 32 big-endian bytes each.
pub const RAW_PUBLIC_KEY_LENGTH: usize = 64;

/// The curve's b coefficient (big-endian).
const CURVE_B: [u8; 32] = [
    0x5a, 0xc6, 0x35, 0xd8, 0xaa, 0x3a, 0x93, 0xe7, 0xb3, 0xeb, 0xbd, 0x55, 0x76, 0x98, 0x86, 0xbc,
    0x65, 0x1d, 0x06, 0xb0, 0xcc, 0x53, 0xb0, 0xf6, 0x3b, 0xce, 0x3c, 0x3e, 0x27, 0xd2, 0x60, 0x4b,
];

/// A P-256 public key: a point on the curve (never infinity).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PublicKey {
    point: JacobianPoint,
    /// x and y as little-endian 32-bit words, as `p256-cm4` takes them.
    #[cfg(all(feature = "cortex-m4", target_arch = "arm"))]
    words: [[u32; 8]; 2],
}

impl PublicKey {
    /// The key `x || y` (32 big-endian bytes each), or `None` if a
    /// coordinate is not below p or the point is not on the curve.
    pub fn from_raw(raw: &[u8; RAW_PUBLIC_KEY_LENGTH]) -> Option<PublicKey> {
        let (x_bytes, y_bytes) = split_halves(raw);
        let x = FieldElement::from_be_bytes(x_bytes)?;
        let y = FieldElement::from_be_bytes(y_bytes)?;
        let b = FieldElement::from_be_bytes(&CURVE_B)?;
        // y² = x³ - 3x + b
        let x_cubed = x.square().multiply(&x);
        let right = x_cubed.subtract(&x.double().add(&x)).add(&b);
        if y.square() != right {
            return None;
        }
        Some(PublicKey {
            point: JacobianPoint::from_affine(x, y),
            #[cfg(all(feature = "cortex-m4", target_arch = "arm"))]
            words: [cortex_m4::words(x_bytes), cortex_m4::words(y_bytes)],
        })
    }

    /// The key in SEC1 form: 65 bytes `0x04 || x || y` (uncompressed), or
    /// the raw 64 bytes `x || y`; `None` for any other length or prefix.
    pub fn from_sec1_or_raw(bytes: &[u8]) -> Option<PublicKey> {
        let raw = match bytes {
            [0x04, rest @ ..] if rest.len() == RAW_PUBLIC_KEY_LENGTH => rest,
            raw if raw.len() == RAW_PUBLIC_KEY_LENGTH => raw,
            _ => return None,
        };
        Self::from_raw(raw.try_into().ok()?)
    }
}

fn split_halves(bytes: &[u8; 64]) -> (&[u8; 32], &[u8; 32]) {
    let (first, second) = bytes.split_at(32);
    // Both halves are 32 bytes long by construction; the conversions
    // cannot fail, and `unwrap_or` keeps panics out of the kernel.
    (
        first.try_into().unwrap_or(&[0; 32]),
        second.try_into().unwrap_or(&[0; 32]),
    )
}

/// Whether `signature` (r || s, [`SIGNATURE_LENGTH`] bytes) is a valid
/// ECDSA P-256 signature of the message whose hash is `digest` (SHA-256,
/// or the leftmost 256 bits of a longer hash) under `key`. A signature of
/// any other length is invalid.
pub fn verify_prehashed(key: &PublicKey, digest: &[u8; 32], signature: &[u8]) -> bool {
    let Ok(signature) = <&[u8; SIGNATURE_LENGTH]>::try_from(signature) else {
        return false;
    };
    #[cfg(all(feature = "cortex-m4", target_arch = "arm"))]
    {
        cortex_m4::verify(&key.words, digest, signature)
    }
    #[cfg(not(all(feature = "cortex-m4", target_arch = "arm")))]
    {
        verify_portable(key, digest, signature)
    }
}

/// This crate's own verification (every architecture but ARMv7E-M with
/// the `cortex-m4` feature).
#[cfg_attr(
    all(feature = "cortex-m4", target_arch = "arm"),
    allow(dead_code, reason = "p256-cm4 verifies on this target")
)]
fn verify_portable(key: &PublicKey, digest: &[u8; 32], signature: &[u8; SIGNATURE_LENGTH]) -> bool {
    let (r_bytes, s_bytes) = split_halves(signature);
    let (Some(r), Some(s)) = (
        scalar::nonzero_from_be_bytes(r_bytes),
        scalar::nonzero_from_be_bytes(s_bytes),
    ) else {
        return false;
    };
    let e = scalar::digest_to_scalar(digest);
    let s_inverse = scalar::invert(&s);
    let u1 = scalar::multiply(&e, &s_inverse);
    let u2 = scalar::multiply(&r, &s_inverse);
    let sum = point::double_multiply(&u1, &u2, &key.point);
    x_matches_r(&sum, &r)
}

/// Whether `x(sum) mod n == r`. The affine x lies in [0, p) and p < 2n,
/// so it is either r itself or r + n (when that is below p).
fn x_matches_r(sum: &JacobianPoint, r: &Limbs) -> bool {
    let Some(r_element) = FieldElement::from_integer(r) else {
        return false;
    };
    if sum.has_affine_x(&r_element) {
        return true;
    }
    let (r_plus_n, carry) = wide::add(r, &scalar::ORDER);
    !carry
        && FieldElement::from_integer(&r_plus_n).is_some_and(|element| sum.has_affine_x(&element))
}
