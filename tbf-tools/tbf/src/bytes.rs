//! Bounds-checked little-endian reads and writes.
//!
//! Every read returns `None` instead of indexing out of bounds; every offset
//! sum is checked. This is where "parsing never panics" starts.

/// Reads `N` bytes at `at`, or `None` if they are not all there.
pub(crate) fn read_array<const N: usize>(bytes: &[u8], at: usize) -> Option<[u8; N]> {
    let end = at.checked_add(N)?;
    bytes.get(at..end)?.try_into().ok()
}

/// Reads a little-endian `u16` at `at`.
pub(crate) fn read_u16(bytes: &[u8], at: usize) -> Option<u16> {
    read_array(bytes, at).map(u16::from_le_bytes)
}

/// Reads a little-endian `u32` at `at`.
pub(crate) fn read_u32(bytes: &[u8], at: usize) -> Option<u32> {
    read_array(bytes, at).map(u32::from_le_bytes)
}

/// Reads a little-endian `u64` at `at`.
pub(crate) fn read_u64(bytes: &[u8], at: usize) -> Option<u64> {
    read_array(bytes, at).map(u64::from_le_bytes)
}

/// `value` rounded up to a multiple of 4, or `None` on overflow.
pub(crate) fn align4(value: usize) -> Option<usize> {
    Some(value.checked_add(3)? & !3)
}

/// Writes into a fixed array without indexing; excess bytes are dropped
/// (callers size the array exactly).
pub(crate) struct ArrayWriter<'a> {
    slots: core::slice::IterMut<'a, u8>,
}

impl<'a> ArrayWriter<'a> {
    pub(crate) fn new(out: &'a mut [u8]) -> Self {
        ArrayWriter {
            slots: out.iter_mut(),
        }
    }

    pub(crate) fn put(&mut self, bytes: &[u8]) {
        // `bytes` goes first: zip stops on it without consuming a slot.
        for (byte, slot) in bytes.iter().zip(&mut self.slots) {
            *slot = *byte;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_refuse_out_of_bounds_and_overflowing_offsets() {
        let bytes = [1u8, 2, 3, 4, 5];
        assert_eq!(read_u32(&bytes, 0), Some(0x0403_0201));
        assert_eq!(read_u32(&bytes, 1), Some(0x0504_0302));
        assert_eq!(read_u32(&bytes, 2), None);
        assert_eq!(read_u16(&bytes, usize::MAX), None);
        assert_eq!(align4(5), Some(8));
        assert_eq!(align4(8), Some(8));
        assert_eq!(align4(usize::MAX), None);
    }
}
