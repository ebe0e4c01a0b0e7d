//! Assembles console bytes into command lines, as a terminal user types
//! them: Enter ends a line, Backspace erases, and escape sequences are
//! dropped: a terminal's `ESC [ ... final` (arrow keys) or `ESC O x`, and
//! the emulated boards' button click `ESC B <digit>`, which reaches every
//! console reader.

/// The longest line (a 64-byte secret is 103 base32 characters).
pub const MAX_LINE: usize = 160;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Escape {
    None,
    /// Saw ESC.
    Started,
    /// In `ESC [`: until a final byte (0x40..=0x7e).
    ControlSequence,
    /// One more byte to drop (`ESC O <key>`).
    LastByte,
    /// After `ESC B`: a digit to drop. Anything else is typed text: bytes
    /// that arrive while no read is outstanding are lost, so the digit may
    /// never come.
    ButtonDigit,
}

/// What a byte did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LineEvent {
    /// Nothing to act on yet.
    Pending,
    /// A line ended: [`LineBuffer::line`] holds it until the next byte.
    Line,
    /// A line ended that was longer than [`MAX_LINE`] (it is dropped).
    TooLong,
}

/// The line being typed.
pub struct LineBuffer {
    bytes: [u8; MAX_LINE],
    length: usize,
    overflowed: bool,
    escape: Escape,
    /// Length of the finished line (`length` is reset for the next one).
    finished: usize,
}

impl Default for LineBuffer {
    fn default() -> Self {
        Self::new()
    }
}

impl LineBuffer {
    /// An empty line.
    pub const fn new() -> LineBuffer {
        LineBuffer {
            bytes: [0; MAX_LINE],
            length: 0,
            overflowed: false,
            escape: Escape::None,
            finished: 0,
        }
    }

    /// The finished line (valid after [`LineEvent::Line`]).
    pub fn line(&self) -> &[u8] {
        &self.bytes[..self.finished]
    }

    /// Takes one byte.
    pub fn push(&mut self, byte: u8) -> LineEvent {
        // Enter always ends the line and any escape sequence: bytes that
        // arrive while no read is outstanding are lost, so a sequence may
        // never complete, and an empty line must resynchronise.
        if byte == b'\r' || byte == b'\n' {
            self.escape = Escape::None;
            self.finished = core::mem::take(&mut self.length);
            if core::mem::take(&mut self.overflowed) {
                self.finished = 0;
                return LineEvent::TooLong;
            }
            return LineEvent::Line;
        }
        match (self.escape, byte) {
            (Escape::Started, b'[') => self.escape = Escape::ControlSequence,
            (Escape::Started, b'B') => self.escape = Escape::ButtonDigit,
            (Escape::Started, b'O') => self.escape = Escape::LastByte,
            // ESC and one byte (or a sequence cut short): drop that byte.
            (Escape::Started, _) => self.escape = Escape::None,
            (Escape::ControlSequence, 0x40..=0x7e)
            | (Escape::LastByte, _)
            | (Escape::ButtonDigit, b'0'..=b'9') => self.escape = Escape::None,
            (Escape::ButtonDigit, _) => {
                self.escape = Escape::None;
                return self.push(byte);
            }
            (Escape::ControlSequence, _) => {}
            (Escape::None, 0x1b) => self.escape = Escape::Started,
            (Escape::None, 0x08 | 0x7f) => self.length = self.length.saturating_sub(1),
            (Escape::None, 0x20..=0x7e) => match self.bytes.get_mut(self.length) {
                Some(slot) => {
                    *slot = byte;
                    self.length += 1;
                }
                None => self.overflowed = true,
            },
            // Other control bytes carry nothing for a command.
            (Escape::None, _) => {}
        }
        LineEvent::Pending
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feed(buffer: &mut LineBuffer, bytes: &[u8]) -> LineEvent {
        let mut last = LineEvent::Pending;
        for &byte in bytes {
            last = buffer.push(byte);
        }
        last
    }

    #[test]
    fn button_clicks_arrows_and_backspace_do_not_reach_the_line() {
        let mut buffer = LineBuffer::new();
        let typed = b"\x1bB0se\x1b[Ax\x7ft\x1bOP \x1bB30\r";
        assert_eq!(feed(&mut buffer, typed), LineEvent::Line);
        assert_eq!(buffer.line(), b"set 0");
        assert_eq!(feed(&mut buffer, b"list\n"), LineEvent::Line);
        assert_eq!(buffer.line(), b"list");
    }

    #[test]
    fn a_click_cut_short_does_not_eat_the_next_character() {
        let mut buffer = LineBuffer::new();
        // The digit of `ESC B 0` was lost: "set" must survive.
        assert_eq!(feed(&mut buffer, b"\x1bBset\r"), LineEvent::Line);
        assert_eq!(buffer.line(), b"set");
        // A sequence cut short ends at Enter, which still ends the line.
        assert_eq!(feed(&mut buffer, b"\x1b[1\rset\r"), LineEvent::Line);
        assert_eq!(buffer.line(), b"set");
    }

    #[test]
    fn an_overlong_line_is_reported_and_dropped() {
        let mut buffer = LineBuffer::new();
        for _ in 0..MAX_LINE + 1 {
            assert_eq!(buffer.push(b'a'), LineEvent::Pending);
        }
        assert_eq!(buffer.push(b'\r'), LineEvent::TooLong);
        assert_eq!(buffer.line(), b"");
        assert_eq!(feed(&mut buffer, b"help\r"), LineEvent::Line);
        assert_eq!(buffer.line(), b"help");
    }
}
