//! Writing answers on the shared link: ESC, the response code, and the
//! payload with every ESC doubled (`loader_protocol`'s rule), streamed so
//! that a 4 KiB READ_RANGE needs no buffer.

use loader_protocol::{encode_extension_response, ExtensionStatus, Response, ESCAPE};

/// Writes bytes to the link at once, by polling: an answer is never
/// interleaved with console output.
pub trait LinkWriter {
    /// Send `bytes` before returning.
    fn write_bytes(&self, bytes: &[u8]);
}

/// Write `bytes` with every ESC doubled, in runs between ESC bytes.
pub fn write_escaped(writer: &dyn LinkWriter, bytes: &[u8]) {
    for run in bytes.split_inclusive(|&byte| byte == ESCAPE) {
        writer.write_bytes(run);
        if run.last() == Some(&ESCAPE) {
            writer.write_bytes(&[ESCAPE]);
        }
    }
}

/// ESC, `response`, then the escaped payload.
pub fn write_answer(writer: &dyn LinkWriter, response: Response, payload: &[u8]) {
    writer.write_bytes(&[ESCAPE, response as u8]);
    write_escaped(writer, payload);
}

/// An extension answer (status, length, body), encoded by the protocol
/// crate; a body that does not fit the buffer is cut to what fits.
pub fn extension_answer(writer: &dyn LinkWriter, status: ExtensionStatus, body: &[u8]) {
    let mut out = [0u8; 2 * 512 + 8];
    let mut body = &body[..body.len().min(512)];
    loop {
        if let Ok(length) = encode_extension_response(status, body, &mut out) {
            return writer.write_bytes(&out[..length]);
        }
        body = &body[..body.len() / 2];
    }
}

/// A small text buffer for failure reasons (`core::fmt::Write`), cut at
/// its capacity.
pub struct TextBuffer {
    bytes: [u8; 96],
    length: usize,
}

impl TextBuffer {
    /// Empty.
    pub const fn new() -> Self {
        TextBuffer {
            bytes: [0; 96],
            length: 0,
        }
    }

    /// What was written.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.length]
    }
}

impl core::fmt::Write for TextBuffer {
    fn write_str(&mut self, text: &str) -> core::fmt::Result {
        let room = self.bytes.len() - self.length;
        let taken = text.len().min(room);
        self.bytes[self.length..self.length + taken].copy_from_slice(&text.as_bytes()[..taken]);
        self.length += taken;
        Ok(())
    }
}
