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

/// Room for a failure reason: the longest the kernel gives (a credential
/// refusal with its advice) is about 200 bytes.
const REASON_CAPACITY: usize = 320;

/// A text buffer for failure reasons (`core::fmt::Write`). A reason that
/// does not fit is cut at the last space before the end and marked with
/// "...", never mid-word.
pub struct TextBuffer {
    bytes: [u8; REASON_CAPACITY],
    length: usize,
    cut: bool,
}

impl TextBuffer {
    /// Empty.
    pub const fn new() -> Self {
        TextBuffer {
            bytes: [0; REASON_CAPACITY],
            length: 0,
            cut: false,
        }
    }

    /// What was written.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.length]
    }
}

impl core::fmt::Write for TextBuffer {
    fn write_str(&mut self, text: &str) -> core::fmt::Result {
        if self.cut {
            return Ok(());
        }
        let room = self.bytes.len() - self.length;
        if text.len() <= room {
            self.bytes[self.length..self.length + text.len()].copy_from_slice(text.as_bytes());
            self.length += text.len();
            return Ok(());
        }
        // Keep whole words and room for the mark.
        const MARK: &[u8] = b" ...";
        let taken = room.saturating_sub(MARK.len());
        self.bytes[self.length..self.length + taken].copy_from_slice(&text.as_bytes()[..taken]);
        let written = &self.bytes[..self.length + taken];
        self.length = written
            .iter()
            .rposition(|&byte| byte == b' ')
            .unwrap_or(written.len());
        self.bytes[self.length..self.length + MARK.len()].copy_from_slice(MARK);
        self.length += MARK.len();
        self.cut = true;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::TextBuffer;
    use core::fmt::Write;

    #[test]
    fn a_long_device_reason_is_kept_whole_and_an_over_long_one_ends_on_a_word() {
        let mut reason = TextBuffer::new();
        let long = "refused: the signature does not verify (altered after signing, or signed with a key the board does not trust); the device keeps the old version running: sign it with a trusted key";
        write!(reason, "{long}").unwrap();
        assert_eq!(reason.as_bytes(), long.as_bytes());
        let mut reason = TextBuffer::new();
        for _ in 0..40 {
            write!(reason, "twelve-bytes ").unwrap();
        }
        let text = core::str::from_utf8(reason.as_bytes()).unwrap();
        assert!(text.ends_with("twelve-bytes ..."), "{text}");
        assert!(text.len() <= super::REASON_CAPACITY);
    }
}
