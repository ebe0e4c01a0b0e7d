//! ARMv7E-M (feature `cortex-m4`): the verification is `p256-cm4`'s, the
//! Rust port of Emil Lenngren's P256-Cortex-M4 (hand-scheduled `umaal`
//! assembly that keeps the field operands in registers; this crate's own
//! Arm path spills them and costs about 2.6x more). It checks r and s in
//! [1, n-1] and the key on the curve itself; this module only converts
//! big-endian bytes to its little-endian words. Its correctness on the
//! device is checked by the bench guest (a valid signature verifies, a
//! tampered one does not) on mps2-an386.

use crate::SIGNATURE_LENGTH;

/// A 256-bit big-endian number as eight little-endian 32-bit words
/// (word 0 least significant).
pub(crate) fn words(bytes: &[u8; 32]) -> [u32; 8] {
    let mut words = [0u32; 8];
    for (index, chunk) in bytes.rchunks_exact(4).enumerate() {
        words[index] = u32::from_be_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
    }
    words
}

/// Whether `signature` (r || s) is valid for `digest` under the key
/// `[x, y]` (words).
pub(crate) fn verify(
    key: &[[u32; 8]; 2],
    digest: &[u8; 32],
    signature: &[u8; SIGNATURE_LENGTH],
) -> bool {
    let (r, s) = crate::split_halves(signature);
    p256_cm4::verify(&key[0], &key[1], digest, &words(r), &words(s))
}
