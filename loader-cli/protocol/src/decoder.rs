//! Incremental decoders: one byte in, at most one event out. Neither
//! allocates, blocks nor panics, so a device can feed them from a UART
//! interrupt and a fuzzer can feed them anything.
//!
//! Host to device (commands):
//! ```text
//! [ESCAPE RESET] payload, each 0xFC doubled ... ESCAPE <command>
//! ```
//! Device to host (responses):
//! ```text
//! ESCAPE <response> payload, each 0xFC doubled (length known, see below)
//! ```
//! In [`LinkMode::Shared`] (the running kernel, one UART for console and
//! loader) bytes outside a frame are console bytes; a console 0xFC travels
//! as 0xFC 0xFC. A command frame opens with ESCAPE RESET; a response frame
//! opens with ESCAPE and its code.

use crate::codes::{Command, Response, ESCAPE};

/// Whether bytes outside frames are console traffic.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkMode {
    /// The bootloader: every byte belongs to a command (upstream's behaviour).
    Bootloader,
    /// The running kernel: console bytes and frames share the link.
    Shared,
}

/// A complete command frame: its code byte (maybe unknown) and its payload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CommandFrame<'a> {
    /// The code byte after the final ESCAPE.
    pub code: u8,
    /// The unescaped payload.
    pub payload: &'a [u8],
}

impl CommandFrame<'_> {
    /// The command, if the code is known.
    pub fn command(&self) -> Option<Command> {
        Command::from_u8(self.code)
    }
}

/// What one byte on the host-to-device direction produced.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CommandEvent<'a> {
    /// Nothing yet.
    Pending,
    /// A console byte (shared mode only).
    Console(u8),
    /// A command arrived.
    Command(CommandFrame<'a>),
    /// A command arrived whose payload did not fit: answer OVERFLOW.
    Overflow {
        /// The code byte of the command that overflowed.
        code: u8,
    },
}

/// Decoder for commands, with a payload buffer of `N` bytes.
#[derive(Clone, Debug)]
pub struct CommandDecoder<const N: usize> {
    mode: LinkMode,
    buffer: [u8; N],
    length: usize,
    in_frame: bool,
    after_escape: bool,
    overflowed: bool,
}

impl<const N: usize> CommandDecoder<N> {
    /// A decoder in `mode`, waiting for its first byte.
    pub const fn new(mode: LinkMode) -> Self {
        CommandDecoder {
            mode,
            buffer: [0; N],
            length: 0,
            in_frame: matches!(mode, LinkMode::Bootloader),
            after_escape: false,
            overflowed: false,
        }
    }

    fn restart_frame(&mut self) {
        self.length = 0;
        self.overflowed = false;
        self.in_frame = true;
    }

    fn store(&mut self, byte: u8) {
        match self.buffer.get_mut(self.length) {
            Some(slot) => {
                *slot = byte;
                self.length = self.length.saturating_add(1);
            }
            None => self.overflowed = true,
        }
    }

    /// Feed one byte.
    pub fn push(&mut self, byte: u8) -> CommandEvent<'_> {
        if !self.after_escape {
            if byte == ESCAPE {
                self.after_escape = true;
                return CommandEvent::Pending;
            }
            if self.in_frame {
                self.store(byte);
                return CommandEvent::Pending;
            }
            return CommandEvent::Console(byte);
        }
        self.after_escape = false;
        if byte == ESCAPE {
            if self.in_frame {
                self.store(ESCAPE);
                return CommandEvent::Pending;
            }
            return CommandEvent::Console(ESCAPE);
        }
        if byte == Command::Reset as u8 {
            self.restart_frame();
            return CommandEvent::Pending;
        }
        if !self.in_frame {
            // A bare code with no frame open (tockloader pings this way): a
            // command with an empty payload.
            return CommandEvent::Command(CommandFrame {
                code: byte,
                payload: &[],
            });
        }
        let overflowed = self.overflowed;
        let length = self.length;
        self.length = 0;
        self.overflowed = false;
        self.in_frame = matches!(self.mode, LinkMode::Bootloader);
        if overflowed {
            return CommandEvent::Overflow { code: byte };
        }
        CommandEvent::Command(CommandFrame {
            code: byte,
            payload: self.buffer.get(..length).unwrap_or(&[]),
        })
    }
}

/// A complete response: its code and payload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ResponseFrame<'a> {
    /// The response code.
    pub response: Response,
    /// The unescaped payload.
    pub payload: &'a [u8],
}

/// Why a response could not be decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResponseError {
    /// ESCAPE was followed by a byte that is not a response code.
    UnknownCode(u8),
    /// The response is longer than the decoder's buffer.
    TooLong {
        /// The response code.
        code: u8,
        /// Its payload length.
        length: usize,
    },
}

/// What one byte on the device-to-host direction produced.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResponseEvent<'a> {
    /// Nothing yet.
    Pending,
    /// A console byte (in bootloader mode: a stray byte to ignore).
    Console(u8),
    /// A whole response.
    Response(ResponseFrame<'a>),
    /// A malformed response; the decoder is back outside any frame.
    Error(ResponseError),
}

/// Length of the extension response's head: status u8, body length u16.
pub const EXTENSION_HEAD_LENGTH: usize = 3;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ResponseState {
    Outside,
    Collecting { response: Response, wanted: usize },
    ExtensionHead,
}

/// Decoder for responses, with a payload buffer of `N` bytes.
///
/// A READ_RANGE answer carries no length: call
/// [`ResponseDecoder::expect_read_length`] before sending READ_RANGE.
#[derive(Clone, Debug)]
pub struct ResponseDecoder<const N: usize> {
    buffer: [u8; N],
    length: usize,
    state: ResponseState,
    after_escape: bool,
    read_length: usize,
}

impl<const N: usize> Default for ResponseDecoder<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> ResponseDecoder<N> {
    /// A decoder outside any frame.
    pub const fn new() -> Self {
        ResponseDecoder {
            buffer: [0; N],
            length: 0,
            state: ResponseState::Outside,
            after_escape: false,
            read_length: 0,
        }
    }

    /// The payload length of the next READ_RANGE answer.
    pub fn expect_read_length(&mut self, length: usize) {
        self.read_length = length;
    }

    fn open(&mut self, code: u8) -> ResponseEvent<'_> {
        let Some(response) = Response::from_u8(code) else {
            return ResponseEvent::Error(ResponseError::UnknownCode(code));
        };
        self.length = 0;
        let wanted = match response {
            Response::Extension => {
                self.state = ResponseState::ExtensionHead;
                return ResponseEvent::Pending;
            }
            Response::ReadRange | Response::ExternalReadRange => self.read_length,
            other => other.fixed_payload_length().unwrap_or(0),
        };
        self.collect(response, wanted)
    }

    fn collect(&mut self, response: Response, wanted: usize) -> ResponseEvent<'_> {
        if wanted > N {
            self.state = ResponseState::Outside;
            return ResponseEvent::Error(ResponseError::TooLong {
                code: response as u8,
                length: wanted,
            });
        }
        if self.length >= wanted {
            self.state = ResponseState::Outside;
            return ResponseEvent::Response(ResponseFrame {
                response,
                payload: self.buffer.get(..wanted).unwrap_or(&[]),
            });
        }
        self.state = ResponseState::Collecting { response, wanted };
        ResponseEvent::Pending
    }

    fn data(&mut self, byte: u8) -> ResponseEvent<'_> {
        if self.state == ResponseState::Outside {
            return ResponseEvent::Console(byte);
        }
        if let Some(slot) = self.buffer.get_mut(self.length) {
            *slot = byte;
            self.length = self.length.saturating_add(1);
        }
        match self.state {
            ResponseState::Outside => ResponseEvent::Pending,
            ResponseState::Collecting { response, wanted } => self.collect(response, wanted),
            ResponseState::ExtensionHead => {
                if self.length < EXTENSION_HEAD_LENGTH {
                    return ResponseEvent::Pending;
                }
                let low = self.buffer.get(1).copied().unwrap_or(0);
                let high = self.buffer.get(2).copied().unwrap_or(0);
                let body = usize::from(u16::from_le_bytes([low, high]));
                self.collect(
                    Response::Extension,
                    EXTENSION_HEAD_LENGTH.saturating_add(body),
                )
            }
        }
    }

    /// Feed one byte.
    pub fn push(&mut self, byte: u8) -> ResponseEvent<'_> {
        if self.after_escape {
            self.after_escape = false;
            if byte == ESCAPE {
                return self.data(ESCAPE);
            }
            if self.state != ResponseState::Outside {
                // A new code inside a frame: the old frame was cut short.
                self.state = ResponseState::Outside;
            }
            return self.open(byte);
        }
        if byte == ESCAPE {
            self.after_escape = true;
            return ResponseEvent::Pending;
        }
        self.data(byte)
    }
}
