//! AES-128 driver (0x40006), upstream's interface:
//!
//! - read-only buffer 0: the key (16 bytes); 1: the IV or initial counter
//!   (16 bytes; ignored by ECB); 2: the source
//! - read-write buffer 0: the destination (at least the source's length)
//! - command 0: exists; 1 (mode, encrypting): select 0 CTR, 1 CBC, 2 ECB,
//!   3 CCM (4 GCM is NOSUPPORT); 2 setup: load key and IV and transform
//!   the source (queued while another process holds the engine); 3 crypt:
//!   transform the next source with the stream's state (CCM: one more
//!   whole operation), OFF unless this process holds the engine;
//!   4 finish: release the engine (OFF likewise); CCM settings: 5 the
//!   associated data's offset in the source, 6 the message's offset,
//!   7 the MIC length (0, or 4 to 16 even), 8 confidentiality (0 off:
//!   authenticate only; on by default)
//! - subscribe 0: `(status, bytes transformed, 0)` after setup or crypt;
//!   CCM: `(status, source bytes, 1 if the MIC was written (encrypting)
//!   or matched (decrypting))`
//!
//! The process that set a stream up holds the engine until it finishes
//! or dies. ECB and CBC need whole 16-byte blocks (else SIZE). CCM's
//! layout and nonce are described in [`ccm`].

use core::cell::Cell;

use kernel::grant::Grant;
use kernel::hil::aes::{Aes128, Aes128Client, AesMode, AES128_BLOCK_BYTES};
use kernel::{CommandReturn, ErrorCode, ProcessId};
use kernel_abi::StatusCode;

pub mod ccm;

use ccm::{CcmJob, CcmSettings};

mod read_only {
    pub const KEY: usize = 0;
    pub const IV: usize = 1;
    pub const SOURCE: usize = 2;
}
const DESTINATION: usize = 0;

/// What a process selected with command 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Algorithm {
    /// A block-cipher mode the engine runs as a stream.
    Stream(AesMode),
    /// CCM, built here on the engine's CBC and CTR.
    Ccm,
}

/// Per-process state.
#[derive(Default)]
pub struct AesApp {
    mode: Option<(Algorithm, bool)>,
    ccm: CcmSettings,
    setup_pending: bool,
}

/// The grant: one upcall, three read-only buffers, one read-write.
pub type AesGrant = Grant<AesApp, 1, 3, 1>;

/// The driver.
pub struct AesDriver<'a> {
    engine: &'a dyn Aes128<'a>,
    grant: AesGrant,
    buffer: Cell<Option<&'static mut [u8]>>,
    owner: Cell<Option<ProcessId>>,
    /// Source bytes done in the stream transform in flight.
    offset: Cell<Option<usize>>,
    /// The CCM operation in flight.
    ccm: Cell<Option<CcmJob>>,
}

fn algorithm_from_number(number: u32) -> Result<Algorithm, ErrorCode> {
    match number {
        0 => Ok(Algorithm::Stream(AesMode::Ctr)),
        1 => Ok(Algorithm::Stream(AesMode::Cbc)),
        2 => Ok(Algorithm::Stream(AesMode::Ecb)),
        3 => Ok(Algorithm::Ccm),
        _ => Err(ErrorCode::NoSupport),
    }
}

impl<'a> AesDriver<'a> {
    /// A driver over `engine` (make it the engine's client); `buffer` is
    /// the chunk size (a multiple of 16 bytes).
    pub fn new(engine: &'a dyn Aes128<'a>, grant: AesGrant, buffer: &'static mut [u8]) -> Self {
        AesDriver {
            engine,
            grant,
            buffer: Cell::new(Some(buffer)),
            owner: Cell::new(None),
            offset: Cell::new(None),
            ccm: Cell::new(None),
        }
    }

    /// True while a transform of the owner is in flight.
    fn in_flight(&self) -> bool {
        self.offset.get().is_some() || self.ccm.get().is_some()
    }

    /// Runs `process`'s selected operation from the start: load key and
    /// IV, then transform the source.
    fn start(&self, process: ProcessId) -> Result<(), ErrorCode> {
        if self.selected(process)? == Algorithm::Ccm {
            return self.start_ccm(process);
        }
        self.setup(process).and_then(|()| self.start_crypt(process))
    }

    fn selected(&self, process: ProcessId) -> Result<Algorithm, ErrorCode> {
        self.grant
            .enter(process, |app, _| app.mode.map(|(algorithm, _)| algorithm))
            .map_err(ErrorCode::from)?
            .ok_or(ErrorCode::Reserve)
    }

    /// The owner, unless it is gone (then the engine is free again).
    fn live_owner(&self) -> Option<ProcessId> {
        let owner = self.owner.get()?;
        if self.grant.enter(owner, |_, _| ()).is_ok() {
            return Some(owner);
        }
        self.engine.finish();
        self.owner.set(None);
        self.offset.set(None);
        self.ccm.set(None);
        None
    }

    fn serve_next(&self) {
        if self.live_owner().is_some() {
            return;
        }
        let mut next = None;
        self.grant.each(|process, app, _| {
            if next.is_none() && app.setup_pending {
                app.setup_pending = false;
                next = Some(process);
            }
        });
        if let Some(process) = next {
            self.owner.set(Some(process));
            if let Err(error) = self.start(process) {
                self.engine.finish();
                self.owner.set(None);
                self.report(process, Err(error), 0, 0);
                self.serve_next();
            }
        }
    }

    fn setup(&self, process: ProcessId) -> Result<(), ErrorCode> {
        let engine = self.engine;
        self.grant
            .enter(process, |app, kernel_data| {
                let Some((Algorithm::Stream(mode), encrypting)) = app.mode else {
                    return Err(ErrorCode::Reserve);
                };
                let mut key = [0u8; AES128_BLOCK_BYTES];
                let mut iv = [0u8; AES128_BLOCK_BYTES];
                let key_buffer = kernel_data.read_only_buffer(read_only::KEY)?;
                if key_buffer.len() != AES128_BLOCK_BYTES {
                    return Err(ErrorCode::Size);
                }
                key_buffer.copy_to(0, &mut key);
                if mode != AesMode::Ecb {
                    let iv_buffer = kernel_data.read_only_buffer(read_only::IV)?;
                    if iv_buffer.len() != AES128_BLOCK_BYTES {
                        return Err(ErrorCode::Size);
                    }
                    iv_buffer.copy_to(0, &mut iv);
                }
                engine.setup(mode, encrypting, &key, &iv)
            })
            .map_err(ErrorCode::from)?
    }

    /// Checks the buffers and transforms the first chunk.
    fn start_crypt(&self, process: ProcessId) -> Result<(), ErrorCode> {
        self.grant
            .enter(process, |app, kernel_data| {
                let Some((Algorithm::Stream(mode), _)) = app.mode else {
                    return Err(ErrorCode::Reserve);
                };
                let source = kernel_data.read_only_buffer(read_only::SOURCE)?.len();
                let destination = kernel_data.read_write_buffer(DESTINATION)?.len();
                if destination < source {
                    return Err(ErrorCode::Size);
                }
                if mode != AesMode::Ctr && !source.is_multiple_of(AES128_BLOCK_BYTES) {
                    return Err(ErrorCode::Size);
                }
                Ok(())
            })
            .map_err(ErrorCode::from)??;
        self.offset.set(Some(0));
        self.crypt_next(process)
    }

    /// Transforms the chunk at the current offset, or reports the end.
    fn crypt_next(&self, process: ProcessId) -> Result<(), ErrorCode> {
        let offset = self.offset.get().ok_or(ErrorCode::Fail)?;
        let buffer = self.buffer.take().ok_or(ErrorCode::Busy)?;
        let copied = self.grant.enter(process, |_, kernel_data| {
            kernel_data
                .read_only_buffer(read_only::SOURCE)
                .map(|source| source.copy_to(offset, buffer))
        });
        let length = match copied {
            Ok(Ok(length)) => length,
            Ok(Err(error)) => {
                self.buffer.set(Some(buffer));
                return Err(error);
            }
            Err(error) => {
                self.buffer.set(Some(buffer));
                return Err(error.into());
            }
        };
        if length == 0 {
            self.buffer.set(Some(buffer));
            self.offset.set(None);
            self.report(process, Ok(()), offset, 0);
            return Ok(());
        }
        self.engine
            .crypt(buffer, length)
            .map_err(|(error, buffer)| {
                self.buffer.set(Some(buffer));
                error
            })
    }

    fn report(&self, process: ProcessId, result: Result<(), ErrorCode>, bytes: usize, mic: u32) {
        let _ = self.grant.enter(process, |_, kernel_data| {
            let status = u32::from(StatusCode::from(result));
            let _ = kernel_data.schedule_upcall(0, (status, bytes as u32, mic));
        });
    }

    fn command_for_owner(&self, command: u32, process: ProcessId) -> Result<(), ErrorCode> {
        if self.live_owner() != Some(process) {
            return Err(ErrorCode::Off);
        }
        if self.in_flight() {
            return Err(ErrorCode::Busy);
        }
        if command == 4 {
            self.engine.finish();
            self.owner.set(None);
            self.serve_next();
            return Ok(());
        }
        if self.selected(process)? == Algorithm::Ccm {
            return self.start_ccm(process);
        }
        self.start_crypt(process)
    }

    /// Commands 5 to 8: the CCM settings.
    fn set_ccm(&self, command: u32, value: u32, process: ProcessId) -> Result<(), ErrorCode> {
        self.grant
            .enter(process, |app, _| match command {
                5 => app.ccm.associated_offset = value as usize,
                6 => app.ccm.message_offset = value as usize,
                7 => app.ccm.mic_bytes = value as usize,
                _ => app.ccm.confidential = value != 0,
            })
            .map_err(ErrorCode::from)
    }
}

impl kernel::driver::SyscallDriver for AesDriver<'_> {
    fn command(
        &self,
        command: u32,
        argument0: u32,
        argument1: u32,
        process: ProcessId,
    ) -> CommandReturn {
        let result = match command {
            0 => Ok(()),
            1 => algorithm_from_number(argument0).and_then(|algorithm| {
                self.grant
                    .enter(process, |app, _| {
                        app.mode = Some((algorithm, argument1 != 0));
                    })
                    .map_err(ErrorCode::from)
            }),
            2 if self.live_owner() == Some(process) => {
                if self.in_flight() {
                    Err(ErrorCode::Busy)
                } else {
                    self.start(process)
                }
            }
            2 => self
                .grant
                .enter(process, |app, _| {
                    if app.setup_pending || self.owner.get() == Some(process) {
                        return Err(ErrorCode::Busy);
                    }
                    app.setup_pending = true;
                    Ok(())
                })
                .map_err(ErrorCode::from)
                .and_then(|queued| queued)
                .map(|()| self.serve_next()),
            3 | 4 => self.command_for_owner(command, process),
            5..=8 => self.set_ccm(command, argument0, process),
            _ => Err(ErrorCode::NoSupport),
        };
        match result {
            Ok(()) => CommandReturn::success(),
            Err(error) => CommandReturn::failure(error),
        }
    }

    fn allocate_grant(&self, process: ProcessId) -> Result<(), ErrorCode> {
        self.grant
            .enter(process, |_, _| ())
            .map_err(ErrorCode::from)
    }
}

impl Aes128Client for AesDriver<'_> {
    fn crypt_done(&self, buffer: &'static mut [u8], length: usize, result: Result<(), ErrorCode>) {
        if self.ccm.get().is_some() {
            return self.ccm_crypt_done(buffer, length, result);
        }
        let (Some(process), Some(offset)) = (self.live_owner(), self.offset.get()) else {
            self.buffer.set(Some(buffer));
            self.serve_next();
            return;
        };
        let written = result.and_then(|()| {
            self.grant
                .enter(process, |_, kernel_data| {
                    kernel_data
                        .read_write_buffer(DESTINATION)
                        .map(|destination| destination.copy_from(offset, &buffer[..length]))
                })
                .map_err(ErrorCode::from)?
        });
        self.buffer.set(Some(buffer));
        let next = written.and_then(|_| {
            self.offset.set(Some(offset + length));
            self.crypt_next(process)
        });
        if let Err(error) = next {
            self.offset.set(None);
            self.report(process, Err(error), offset, 0);
        }
    }
}

#[cfg(test)]
mod tests;
