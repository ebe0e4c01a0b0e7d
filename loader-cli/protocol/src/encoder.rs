//! Encoders: write frames into a caller's buffer, never allocating.
//!
//! Each returns the number of bytes written, or [`BufferTooSmall`] (and a
//! partly written buffer the caller must not send).

use crate::codes::{Command, ExtensionStatus, Response, ESCAPE};

/// The output buffer cannot hold the frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BufferTooSmall;

struct Writer<'a> {
    out: &'a mut [u8],
    position: usize,
}

impl Writer<'_> {
    fn raw(&mut self, byte: u8) -> Result<(), BufferTooSmall> {
        let slot = self.out.get_mut(self.position).ok_or(BufferTooSmall)?;
        *slot = byte;
        self.position = self.position.checked_add(1).ok_or(BufferTooSmall)?;
        Ok(())
    }

    fn escaped(&mut self, bytes: &[u8]) -> Result<(), BufferTooSmall> {
        for byte in bytes {
            if *byte == ESCAPE {
                self.raw(ESCAPE)?;
            }
            self.raw(*byte)?;
        }
        Ok(())
    }
}

/// Worst-case encoded size of a frame with `payload_length` bytes of payload
/// (every byte escaped, plus the four code bytes of a command).
pub const fn max_encoded_length(payload_length: usize) -> usize {
    payload_length.saturating_mul(2).saturating_add(4)
}

/// Encode a command frame: ESCAPE RESET (opens the frame and empties the
/// receiver's buffer), the escaped payload, ESCAPE and the code.
pub fn encode_command(
    command: Command,
    payload: &[u8],
    out: &mut [u8],
) -> Result<usize, BufferTooSmall> {
    let mut writer = Writer { out, position: 0 };
    writer.raw(ESCAPE)?;
    writer.raw(Command::Reset as u8)?;
    writer.escaped(payload)?;
    writer.raw(ESCAPE)?;
    writer.raw(command as u8)?;
    Ok(writer.position)
}

/// Encode a response: ESCAPE, the code, the escaped payload.
pub fn encode_response(
    response: Response,
    payload: &[u8],
    out: &mut [u8],
) -> Result<usize, BufferTooSmall> {
    let mut writer = Writer { out, position: 0 };
    writer.raw(ESCAPE)?;
    writer.raw(response as u8)?;
    writer.escaped(payload)?;
    Ok(writer.position)
}

/// Encode an extension answer: status, body length (u16 LE) and body.
/// The body is a reason string on failure, or the command's result.
pub fn encode_extension_response(
    status: ExtensionStatus,
    body: &[u8],
    out: &mut [u8],
) -> Result<usize, BufferTooSmall> {
    let length = u16::try_from(body.len()).map_err(|_| BufferTooSmall)?;
    let mut writer = Writer { out, position: 0 };
    writer.raw(ESCAPE)?;
    writer.raw(Response::Extension as u8)?;
    writer.escaped(&[status as u8])?;
    writer.escaped(&length.to_le_bytes())?;
    writer.escaped(body)?;
    Ok(writer.position)
}

/// Encode a console byte for a shared link (a 0xFC is doubled).
pub fn encode_console_byte(byte: u8, out: &mut [u8]) -> Result<usize, BufferTooSmall> {
    let mut writer = Writer { out, position: 0 };
    writer.escaped(&[byte])?;
    Ok(writer.position)
}
