//! Buffers a process allowed, as capsules see them: bounded, copy-based
//! access to process memory. No Rust reference into process memory is
//! ever created (two allowed buffers may alias, and the process may
//! change the bytes between kernel entries), so every access is a raw,
//! bounds-checked copy. The lifetime ties a buffer to the grant `enter`
//! that produced it: it cannot outlive the process's incarnation.

use core::marker::PhantomData;
use core::ptr;

/// A buffer the kernel may read (allow class 4).
pub struct ReadOnlyBuffer<'a> {
    address: usize,
    length: usize,
    lifetime: PhantomData<&'a [u8]>,
}

/// A buffer the kernel may read and write (allow classes 3 and 7).
pub struct ReadWriteBuffer<'a> {
    address: usize,
    length: usize,
    lifetime: PhantomData<&'a [u8]>,
}

fn copy_out(address: usize, length: usize, offset: usize, destination: &mut [u8]) -> usize {
    let count = length.saturating_sub(offset).min(destination.len());
    if count > 0 {
        // SAFETY: `[address + offset, address + offset + count)` lies inside
        // the allowed range (count bounded by `length - offset`), which the
        // constructor's caller guaranteed is process memory valid for `'a`;
        // the destination is a distinct kernel slice.
        unsafe {
            ptr::copy_nonoverlapping(
                (address + offset) as *const u8,
                destination.as_mut_ptr(),
                count,
            )
        };
    }
    count
}

impl<'a> ReadOnlyBuffer<'a> {
    /// # Safety
    /// Unless `length` is 0, `[address, address + length)` must be process
    /// memory readable by the kernel for `'a` with no live Rust reference
    /// to it.
    pub(crate) unsafe fn new(address: usize, length: usize) -> Self {
        ReadOnlyBuffer {
            address,
            length,
            lifetime: PhantomData,
        }
    }

    /// Its length in bytes (0 if nothing is allowed).
    pub fn len(&self) -> usize {
        self.length
    }

    /// True if nothing (or an empty buffer) is allowed.
    pub fn is_empty(&self) -> bool {
        self.length == 0
    }

    /// The byte at `index`.
    pub fn get(&self, index: usize) -> Option<u8> {
        let mut byte = [0u8];
        (copy_out(self.address, self.length, index, &mut byte) == 1).then_some(byte[0])
    }

    /// Copy from `offset` into `destination`; returns bytes copied.
    pub fn copy_to(&self, offset: usize, destination: &mut [u8]) -> usize {
        copy_out(self.address, self.length, offset, destination)
    }
}

impl<'a> ReadWriteBuffer<'a> {
    /// # Safety
    /// Unless `length` is 0, `[address, address + length)` must be process
    /// memory writeable by the kernel for `'a` with no live Rust reference
    /// to it.
    pub(crate) unsafe fn new(address: usize, length: usize) -> Self {
        ReadWriteBuffer {
            address,
            length,
            lifetime: PhantomData,
        }
    }

    /// Its length in bytes (0 if nothing is allowed).
    pub fn len(&self) -> usize {
        self.length
    }

    /// True if nothing (or an empty buffer) is allowed.
    pub fn is_empty(&self) -> bool {
        self.length == 0
    }

    /// The byte at `index`.
    pub fn get(&self, index: usize) -> Option<u8> {
        let mut byte = [0u8];
        (copy_out(self.address, self.length, index, &mut byte) == 1).then_some(byte[0])
    }

    /// Copy from `offset` into `destination`; returns bytes copied.
    pub fn copy_to(&self, offset: usize, destination: &mut [u8]) -> usize {
        copy_out(self.address, self.length, offset, destination)
    }

    /// The address the process gave (for telling it where its data is;
    /// never dereferenced by a capsule).
    pub fn address(&self) -> usize {
        self.address
    }

    /// Write `source` at `offset`; returns bytes written (clipped to the
    /// buffer).
    pub fn copy_from(&self, offset: usize, source: &[u8]) -> usize {
        let count = self.length.saturating_sub(offset).min(source.len());
        if count > 0 {
            // SAFETY: bounded by the allowed range as in `copy_out`; the
            // source is a distinct kernel slice.
            unsafe {
                ptr::copy_nonoverlapping(source.as_ptr(), (self.address + offset) as *mut u8, count)
            };
        }
        count
    }

    /// Set the byte at `index`; false if out of range.
    pub fn set(&self, index: usize, value: u8) -> bool {
        self.copy_from(index, &[value]) == 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_are_clipped_to_the_buffer() {
        let mut memory = [1u8, 2, 3, 4];
        let address = memory.as_mut_ptr() as usize;
        // SAFETY: `memory` outlives the buffer and nothing else refers to it
        // while the buffer is used.
        let buffer = unsafe { ReadWriteBuffer::new(address, 3) };
        let mut out = [0u8; 8];
        assert_eq!(buffer.copy_to(1, &mut out), 2);
        assert_eq!(&out[..2], &[2, 3]);
        assert_eq!(buffer.copy_from(2, &[9, 9, 9]), 1);
        assert!(!buffer.set(3, 7));
        assert_eq!(buffer.get(2), Some(9));
        assert_eq!(buffer.get(3), None);
        assert_eq!(buffer.copy_to(10, &mut out), 0);
        assert_eq!(memory, [1, 2, 9, 4]);
    }

    #[test]
    fn empty_buffer_at_any_address_is_never_touched() {
        // SAFETY: length 0: never dereferenced.
        let buffer = unsafe { ReadOnlyBuffer::new(0xdead_beef, 0) };
        assert!(buffer.is_empty());
        assert_eq!(buffer.get(0), None);
    }
}
