//! Buffered access to the storage: a read-ahead window, so scanning the log
//! takes few large reads, and a log writer that gathers a record (or, in a
//! compaction, many) into one buffer, so an insert is usually one write.

use crate::format::{encode_record_header, CRC, RECORD_HEADER_BYTES};
use crate::{Storage, StoreError};
use crc::Digest;

/// Bytes of the read-ahead window and of the write buffer.
pub(crate) const CHUNK_BYTES: usize = 512;

/// A read-ahead window over the storage.
///
/// Invariant: `buffer[..filled]` holds the storage bytes at
/// `start..start + filled`.
pub(crate) struct Reader {
    buffer: [u8; CHUNK_BYTES],
    start: usize,
    filled: usize,
}

impl Reader {
    pub fn new() -> Self {
        Reader {
            buffer: [0; CHUNK_BYTES],
            start: 0,
            filled: 0,
        }
    }

    /// Hands the bytes at `offset..offset + length` to `visit`, in pieces,
    /// reading ahead at most up to `limit` (the caller's bank end, which
    /// `offset + length` must not pass).
    pub fn visit<S: Storage>(
        &mut self,
        storage: &mut S,
        offset: usize,
        length: usize,
        limit: usize,
        mut visit: impl FnMut(&[u8]),
    ) -> Result<(), StoreError> {
        let end = offset + length;
        debug_assert!(end <= limit);
        let mut position = offset;
        while position < end {
            let window_end = self.start + self.filled;
            if position < self.start || position >= window_end {
                self.filled = CHUNK_BYTES.min(limit - position);
                self.start = position;
                if let Err(error) = storage.read(position, &mut self.buffer[..self.filled]) {
                    self.filled = 0;
                    return Err(error.into());
                }
            }
            let piece_end = end.min(self.start + self.filled);
            visit(&self.buffer[position - self.start..piece_end - self.start]);
            position = piece_end;
        }
        Ok(())
    }

    /// Reads exactly `out.len()` bytes at `offset` (not past `limit`).
    pub fn read<S: Storage>(
        &mut self,
        storage: &mut S,
        offset: usize,
        limit: usize,
        out: &mut [u8],
    ) -> Result<(), StoreError> {
        let mut copied = 0;
        self.visit(storage, offset, out.len(), limit, |piece| {
            out[copied..copied + piece.len()].copy_from_slice(piece);
            copied += piece.len();
        })
    }

    /// Whether every byte at `offset..limit` is erased (0xFF).
    pub fn is_erased<S: Storage>(
        &mut self,
        storage: &mut S,
        offset: usize,
        limit: usize,
    ) -> Result<bool, StoreError> {
        let mut erased = true;
        self.visit(storage, offset, limit - offset, limit, |piece| {
            erased &= piece.iter().all(|&byte| byte == 0xFF);
        })?;
        Ok(erased)
    }
}

/// Appends records to the log through one buffer, computing each record's
/// CRC as its bytes pass.
///
/// Invariant: `buffer[..used]` are the bytes for storage offset `offset`.
pub(crate) struct LogWriter {
    buffer: [u8; CHUNK_BYTES],
    used: usize,
    offset: usize,
    digest: Digest<'static, u32>,
}

impl LogWriter {
    /// A writer whose first byte goes to storage offset `offset`.
    pub fn new(offset: usize) -> Self {
        LogWriter {
            buffer: [0; CHUNK_BYTES],
            used: 0,
            offset,
            digest: CRC.digest(),
        }
    }

    /// Starts a record of `body_bytes` body bytes.
    pub fn begin_record<S: Storage>(
        &mut self,
        storage: &mut S,
        body_bytes: usize,
    ) -> Result<(), StoreError> {
        self.digest = CRC.digest();
        let header: [u8; RECORD_HEADER_BYTES] = encode_record_header(body_bytes);
        self.push(storage, &header)
    }

    /// Adds record bytes, writing whenever the buffer fills.
    pub fn push<S: Storage>(
        &mut self,
        storage: &mut S,
        mut bytes: &[u8],
    ) -> Result<(), StoreError> {
        self.digest.update(bytes);
        while !bytes.is_empty() {
            let taken = bytes.len().min(CHUNK_BYTES - self.used);
            self.buffer[self.used..self.used + taken].copy_from_slice(&bytes[..taken]);
            self.used += taken;
            bytes = &bytes[taken..];
            if self.used == CHUNK_BYTES {
                self.flush(storage)?;
            }
        }
        Ok(())
    }

    /// Closes the record with its CRC.
    pub fn end_record<S: Storage>(&mut self, storage: &mut S) -> Result<(), StoreError> {
        let digest = core::mem::replace(&mut self.digest, CRC.digest());
        let check = digest.finalize().to_le_bytes();
        // The CRC is not part of what it covers: bypass the digest.
        for byte in check {
            self.buffer[self.used] = byte;
            self.used += 1;
            if self.used == CHUNK_BYTES {
                self.flush(storage)?;
            }
        }
        Ok(())
    }

    /// Writes what is buffered.
    pub fn flush<S: Storage>(&mut self, storage: &mut S) -> Result<(), StoreError> {
        if self.used > 0 {
            storage.write(self.offset, &self.buffer[..self.used])?;
            self.offset += self.used;
            self.used = 0;
        }
        Ok(())
    }
}
