//! AES-128-CCM (RFC 3610, NIST SP 800-38C) for the AES driver, built on
//! the engine's CBC and CTR modes so that every AES-128 engine offers it.
//! The MIC is the last block of CBC with a zero IV over the formatted
//! input (block B0, then the associated data behind their two-byte
//! length, then the message, each zero-padded to whole blocks); the
//! encryption is CTR from counter block A0, whose first keystream block
//! encrypts the MIC and the rest the message. Nonces are 13 bytes (L = 2:
//! messages up to 65535 bytes).
//!
//! Layout, upstream's: the source is `[header | message]`, the associated
//! data `source[a_offset..m_offset]` and the message `source[m_offset..]`
//! (upstream libtock-c: the source's length sets the message length). The
//! destination receives the same layout with the MIC right after the
//! message, when it has room for it. Decrypting reads the received MIC
//! from that same place of the destination (in place, where upstream's
//! CCM buffer holds it). With confidentiality off the message is only
//! authenticated: it joins the associated data and passes in clear
//! (CCM* as IEEE 802.15.4 uses it).

use kernel::hil::aes::{AesMode, AES128_BLOCK_BYTES};
use kernel::process_buffer::{ReadOnlyBuffer, ReadWriteBuffer};
use kernel::{ErrorCode, ProcessId};

use super::{read_only, AesDriver, Algorithm, DESTINATION};

const BLOCK: usize = AES128_BLOCK_BYTES;
/// Nonce bytes: 15 - L, with a two-byte length field (L = 2).
pub const NONCE_BYTES: usize = 13;
/// The longest message a two-byte length field describes.
const MAX_MESSAGE_BYTES: usize = 0xFFFF;
/// Longer associated data would need RFC 3610's six-byte length form.
const MAX_ASSOCIATED_BYTES: usize = 0xFEFF;

/// The CCM settings of a process (commands 5 to 8).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CcmSettings {
    /// Where the associated data start in the source.
    pub associated_offset: usize,
    /// Where the message starts in the source (the associated data end).
    pub message_offset: usize,
    /// MIC bytes: 0 (no authentication, CCM*) or 4, 6, ..., 16.
    pub mic_bytes: usize,
    /// Encrypt the message (else authenticate it only).
    pub confidential: bool,
}

impl Default for CcmSettings {
    /// Upstream's defaults, except that confidentiality is on: upstream's
    /// own CCM test never sets it and expects ciphertext.
    fn default() -> Self {
        CcmSettings {
            associated_offset: 0,
            message_offset: 0,
            mic_bytes: 0,
            confidential: true,
        }
    }
}

/// Where everything lies in the source, checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Layout {
    nonce: [u8; NONCE_BYTES],
    associated_start: usize,
    /// Also where the message starts.
    associated_end: usize,
    /// Also where the MIC goes in the destination.
    message_end: usize,
    mic_bytes: usize,
}

impl Layout {
    pub(super) fn new(
        settings: CcmSettings,
        source_length: usize,
        nonce: [u8; NONCE_BYTES],
    ) -> Result<Layout, ErrorCode> {
        let CcmSettings {
            associated_offset,
            message_offset,
            mic_bytes,
            confidential,
        } = settings;
        if associated_offset > message_offset || message_offset > source_length {
            return Err(ErrorCode::Inval);
        }
        let mic_valid = mic_bytes == 0 || ((4..=16).contains(&mic_bytes) && mic_bytes % 2 == 0);
        if !mic_valid {
            return Err(ErrorCode::Inval);
        }
        let associated_end = if confidential {
            message_offset
        } else {
            source_length
        };
        let layout = Layout {
            nonce,
            associated_start: associated_offset,
            associated_end,
            message_end: source_length,
            mic_bytes,
        };
        if layout.message_length() > MAX_MESSAGE_BYTES
            || layout.associated_length() > MAX_ASSOCIATED_BYTES
        {
            return Err(ErrorCode::Size);
        }
        Ok(layout)
    }

    fn associated_length(&self) -> usize {
        self.associated_end - self.associated_start
    }

    fn message_length(&self) -> usize {
        self.message_end - self.associated_end
    }

    /// Block B0 and, with associated data, their length: the first bytes
    /// of the MAC input.
    fn prefix(&self) -> ([u8; BLOCK + 2], usize) {
        let mut prefix = [0u8; BLOCK + 2];
        let associated = self.associated_length();
        let mic_field = self.mic_bytes.saturating_sub(2) / 2;
        prefix[0] = (u8::from(associated > 0) << 6) | ((mic_field as u8) << 3) | 1;
        prefix[1..=NONCE_BYTES].copy_from_slice(&self.nonce);
        prefix[14..16].copy_from_slice(&(self.message_length() as u16).to_be_bytes());
        if associated == 0 {
            return (prefix, BLOCK);
        }
        prefix[16..18].copy_from_slice(&(associated as u16).to_be_bytes());
        (prefix, BLOCK + 2)
    }

    /// Counter block A0 (the CTR engine counts up from it).
    pub(super) fn first_counter(&self) -> [u8; BLOCK] {
        let mut counter = [0u8; BLOCK];
        counter[0] = 1;
        counter[1..=NONCE_BYTES].copy_from_slice(&self.nonce);
        counter
    }

    /// The MAC input's stretches in order: (what, length).
    fn mac_stretches(&self) -> [(Stretch, usize); 5] {
        let (_, prefix_length) = self.prefix();
        let associated = self.associated_length();
        let associated_padding = if associated == 0 {
            0
        } else {
            padding(prefix_length - BLOCK + associated)
        };
        [
            (Stretch::Prefix, prefix_length),
            (Stretch::Associated, associated),
            (Stretch::Zero, associated_padding),
            (Stretch::Message, self.message_length()),
            (Stretch::Zero, padding(self.message_length())),
        ]
    }

    /// Bytes of MAC input (whole blocks).
    pub(super) fn mac_input_length(&self) -> usize {
        self.mac_stretches().iter().map(|(_, length)| length).sum()
    }

    /// Bytes of CTR input: the MIC block, then the message.
    pub(super) fn counter_input_length(&self) -> usize {
        BLOCK + self.message_length()
    }

    /// Fills `output` with the MAC input from `position` on; the message
    /// comes from `source` when encrypting, from the plaintext already in
    /// `destination` when decrypting.
    pub(super) fn fill_mac_input(
        &self,
        position: usize,
        output: &mut [u8],
        source: &ReadOnlyBuffer,
        message_in_destination: Option<&ReadWriteBuffer>,
    ) {
        let (prefix, _) = self.prefix();
        let mut start = 0;
        for (stretch, length) in self.mac_stretches() {
            let (from, to) = (
                position.max(start),
                (position + output.len()).min(start + length),
            );
            if from < to {
                let part = &mut output[from - position..to - position];
                let inner = from - start;
                match stretch {
                    Stretch::Prefix => part.copy_from_slice(&prefix[inner..inner + part.len()]),
                    Stretch::Zero => part.fill(0),
                    Stretch::Associated => {
                        source.copy_to(self.associated_start + inner, part);
                    }
                    Stretch::Message => {
                        let offset = self.associated_end + inner;
                        match message_in_destination {
                            Some(destination) => destination.copy_to(offset, part),
                            None => source.copy_to(offset, part),
                        };
                    }
                }
            }
            start += length;
        }
    }
}

/// A part of the MAC input.
#[derive(Clone, Copy)]
enum Stretch {
    Prefix,
    Associated,
    Message,
    Zero,
}

/// Zero bytes that pad `length` to whole blocks.
fn padding(length: usize) -> usize {
    (BLOCK - length % BLOCK) % BLOCK
}

/// Which pass over the engine a CCM job is in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Pass {
    /// CBC-MAC over the formatted input.
    Mac,
    /// CTR over the MIC block and the message.
    Counter,
}

/// One CCM operation in flight.
#[derive(Clone, Copy, Debug)]
pub(super) struct CcmJob {
    process: ProcessId,
    layout: Layout,
    encrypting: bool,
    pass: Pass,
    /// Input bytes of this pass handed to the engine so far.
    position: usize,
    /// CBC's last output block: the MIC once the MAC pass is over.
    mac: [u8; BLOCK],
    /// The CTR pass's first block: the MIC going in, encrypted coming out
    /// (encrypting); the received MIC going in, decrypted coming out.
    tag: [u8; BLOCK],
    /// Decrypting: the destination held a MIC to check.
    tag_received: bool,
}

impl AesDriver<'_> {
    /// Starts a CCM operation of `process` with its settings and buffers.
    pub(super) fn start_ccm(&self, process: ProcessId) -> Result<(), ErrorCode> {
        let job = self
            .grant
            .enter(process, |app, kernel_data| {
                let Some((Algorithm::Ccm, encrypting)) = app.mode else {
                    return Err(ErrorCode::Reserve);
                };
                let source = kernel_data.read_only_buffer(read_only::SOURCE)?;
                let destination = kernel_data.read_write_buffer(DESTINATION)?;
                let mut nonce = [0u8; NONCE_BYTES];
                if kernel_data
                    .read_only_buffer(read_only::IV)?
                    .copy_to(0, &mut nonce)
                    < NONCE_BYTES
                {
                    return Err(ErrorCode::Size);
                }
                let layout = Layout::new(app.ccm, source.len(), nonce)?;
                if destination.len() < source.len() {
                    return Err(ErrorCode::Size);
                }
                copy_through(&source, &destination, layout.associated_end);
                let mut tag = [0u8; BLOCK];
                let mic = &mut tag[..layout.mic_bytes];
                let tag_received = !encrypting
                    && !mic.is_empty()
                    && destination.copy_to(layout.message_end, mic) == mic.len();
                let pass = if encrypting && layout.mic_bytes > 0 {
                    Pass::Mac
                } else {
                    Pass::Counter
                };
                Ok(CcmJob {
                    process,
                    layout,
                    encrypting,
                    pass,
                    position: 0,
                    mac: [0; BLOCK],
                    tag,
                    tag_received,
                })
            })
            .map_err(ErrorCode::from)??;
        self.ccm.set(Some(job));
        self.begin_pass(job).inspect_err(|_| {
            self.engine.finish();
            self.ccm.set(None);
        })
    }

    /// Sets the engine up for the job's pass and feeds the first chunk.
    fn begin_pass(&self, job: CcmJob) -> Result<(), ErrorCode> {
        let mut key = [0u8; BLOCK];
        let key_length = self
            .grant
            .enter(job.process, |_, kernel_data| {
                kernel_data.read_only_buffer(read_only::KEY).map(|buffer| {
                    buffer.copy_to(0, &mut key);
                    buffer.len()
                })
            })
            .map_err(ErrorCode::from)??;
        if key_length != BLOCK {
            return Err(ErrorCode::Size);
        }
        let result = match job.pass {
            Pass::Mac => self.engine.setup(AesMode::Cbc, true, &key, &[0; BLOCK]),
            Pass::Counter => {
                let counter = job.layout.first_counter();
                self.engine.setup(AesMode::Ctr, true, &key, &counter)
            }
        };
        key.fill(0);
        result?;
        self.feed_ccm(job)
    }

    /// Hands the engine the pass's next chunk, or ends the pass.
    fn feed_ccm(&self, job: CcmJob) -> Result<(), ErrorCode> {
        let total = match job.pass {
            Pass::Mac => job.layout.mac_input_length(),
            Pass::Counter => job.layout.counter_input_length(),
        };
        let buffer = self.buffer.take().ok_or(ErrorCode::Busy)?;
        let length = buffer.len().min(total - job.position);
        if length == 0 {
            self.buffer.set(Some(buffer));
            return self.end_pass(job);
        }
        let chunk = &mut buffer[..length];
        let filled = self.grant.enter(job.process, |_, kernel_data| {
            let source = kernel_data.read_only_buffer(read_only::SOURCE)?;
            match job.pass {
                Pass::Mac => {
                    let destination = kernel_data.read_write_buffer(DESTINATION)?;
                    let plaintext = (!job.encrypting).then_some(&destination);
                    job.layout
                        .fill_mac_input(job.position, chunk, &source, plaintext);
                }
                Pass::Counter => fill_counter_input(&job, chunk, &source),
            }
            Ok(())
        });
        if let Err(error) = filled.map_err(ErrorCode::from).and_then(|filled| filled) {
            self.buffer.set(Some(buffer));
            return Err(error);
        }
        self.engine
            .crypt(buffer, length)
            .map_err(|(error, buffer)| {
                self.buffer.set(Some(buffer));
                error
            })
    }

    /// Takes a transformed chunk of the job in flight.
    pub(super) fn ccm_crypt_done(
        &self,
        buffer: &'static mut [u8],
        length: usize,
        result: Result<(), ErrorCode>,
    ) {
        let Some(mut job) = self.ccm.get() else {
            self.buffer.set(Some(buffer));
            return;
        };
        if self.live_owner() != Some(job.process) {
            self.buffer.set(Some(buffer));
            self.ccm.set(None);
            return self.serve_next();
        }
        let output = &buffer[..length];
        let stored = result.and_then(|()| match job.pass {
            Pass::Mac => {
                job.mac.copy_from_slice(&output[length - BLOCK..]);
                Ok(())
            }
            Pass::Counter => self.store_counter_output(&mut job, output),
        });
        self.buffer.set(Some(buffer));
        job.position += length;
        self.ccm.set(Some(job));
        if let Err(error) = stored.and_then(|()| self.feed_ccm(job)) {
            self.end_ccm(job, Err(error), false);
        }
    }

    /// Keeps the CTR pass's first block and writes the message part into
    /// the destination.
    fn store_counter_output(&self, job: &mut CcmJob, output: &[u8]) -> Result<(), ErrorCode> {
        let mut message = output;
        if job.position == 0 {
            job.tag.copy_from_slice(&output[..BLOCK]);
            message = &output[BLOCK..];
        }
        let offset =
            job.layout.associated_end + (job.position + output.len()) - BLOCK - message.len();
        self.grant
            .enter(job.process, |_, kernel_data| {
                kernel_data
                    .read_write_buffer(DESTINATION)
                    .map(|destination| destination.copy_from(offset, message))
            })
            .map_err(ErrorCode::from)?
            .map(|_| ())
    }

    /// After a pass: start the next, or end the job.
    fn end_pass(&self, mut job: CcmJob) -> Result<(), ErrorCode> {
        self.engine.finish();
        let mic_bytes = job.layout.mic_bytes;
        match (job.pass, job.encrypting) {
            (Pass::Mac, true) => {
                job.tag = job.mac;
                job.pass = Pass::Counter;
            }
            (Pass::Counter, false) if mic_bytes > 0 => job.pass = Pass::Mac,
            (Pass::Counter, true) => {
                let mic = &job.tag[..mic_bytes];
                let written = self.grant.enter(job.process, |_, kernel_data| {
                    kernel_data
                        .read_write_buffer(DESTINATION)
                        .map(|destination| destination.copy_from(job.layout.message_end, mic))
                });
                let whole = matches!(written, Ok(Ok(count)) if count == mic_bytes && count > 0);
                self.end_ccm(job, Ok(()), whole);
                return Ok(());
            }
            (Pass::Mac, false) | (Pass::Counter, false) => {
                let matched = job.tag_received
                    && equal_in_constant_time(&job.mac[..mic_bytes], &job.tag[..mic_bytes]);
                self.end_ccm(job, Ok(()), matched);
                return Ok(());
            }
        }
        job.position = 0;
        self.ccm.set(Some(job));
        self.begin_pass(job)
    }

    /// Reports the job's end: `(status, source bytes, 1 if the MIC was
    /// written or matched)`. The process keeps the engine until finish.
    fn end_ccm(&self, job: CcmJob, result: Result<(), ErrorCode>, mic_ok: bool) {
        self.engine.finish();
        self.ccm.set(None);
        self.report(
            job.process,
            result,
            job.layout.message_end,
            u32::from(mic_ok),
        );
    }
}

/// The CTR input from the job's position: the MIC block, then the message.
fn fill_counter_input(job: &CcmJob, chunk: &mut [u8], source: &ReadOnlyBuffer) {
    let mut message = &mut chunk[..];
    if job.position == 0 {
        message[..BLOCK].copy_from_slice(&job.tag);
        message = &mut message[BLOCK..];
    }
    let offset = job.layout.associated_end + job.position.saturating_sub(BLOCK);
    source.copy_to(offset, message);
}

/// Copies `source[..length]` into the destination (a no-op in place).
fn copy_through(source: &ReadOnlyBuffer, destination: &ReadWriteBuffer, length: usize) {
    let mut block = [0u8; BLOCK];
    for offset in (0..length).step_by(BLOCK) {
        let part = &mut block[..BLOCK.min(length - offset)];
        source.copy_to(offset, part);
        destination.copy_from(offset, part);
    }
}

/// Compares without an early exit, so timing tells nothing of where a
/// forged MIC first differs.
fn equal_in_constant_time(left: &[u8], right: &[u8]) -> bool {
    left.len() == right.len()
        && left
            .iter()
            .zip(right)
            .fold(0u8, |difference, (a, b)| difference | (a ^ b))
            == 0
}
