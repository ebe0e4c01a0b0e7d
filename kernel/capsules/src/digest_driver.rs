//! The system-call side shared by the SHA (0x40005) and HMAC (0x40003)
//! drivers: both digest a process's read-only data buffer into its
//! read-write digest buffer through one digest engine. Their numbers
//! differ, each as upstream's capsule has them ([`Flavour::numbers`]):
//! SHA's command 0 is the existence check, HMAC's selects the algorithm.
//!
//! One engine serves every process in turn: a request is recorded in the
//! process's grant and started when the engine is free. A process that
//! began an update sequence owns the engine until its finish (or an
//! error, or its death), so nobody's running digest is mixed with
//! another's. Process data is copied in chunks of the kernel's data
//! buffer, each chunk re-read through the grant, so no reference to
//! process memory outlives an `enter`.

use core::cell::Cell;

use kernel::grant::Grant;
use kernel::hil::digest::{Digest, DigestClient, DigestMode, HashAlgorithm, MAX_DIGEST_BYTES};
use kernel::{CommandReturn, ErrorCode, ProcessId};
use kernel_abi::StatusCode;

/// Longest HMAC key accepted (longer keys fail with SIZE): twice the
/// largest block of the SHA-2 family is more than any protocol here uses.
pub const MAX_KEY_BYTES: usize = 256;

/// Upcall numbers.
const DONE: usize = 0;
const VERIFY_DONE: usize = 1;

/// Hash or HMAC.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flavour {
    /// The SHA driver: no key, verify supported.
    Hash,
    /// The HMAC driver: key in read-only buffer 0.
    Hmac,
}

/// The allow and command numbers of one flavour.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Numbers {
    /// Read-only allow of the key (HMAC only).
    pub key: Option<usize>,
    /// Read-only allow of the data.
    pub data: usize,
    /// Read-only allow of the digest a verify compares with (SHA only).
    pub compare: Option<usize>,
    /// Read-write allow of the digest.
    pub destination: usize,
    /// Command selecting the algorithm.
    pub set_algorithm: u32,
}

/// Upstream's SHA numbers: read-only 0 data, 1 compare; read-write 0.
const SHA_NUMBERS: Numbers = Numbers {
    key: None,
    data: 0,
    compare: Some(1),
    destination: 0,
    set_algorithm: 1,
};

/// Upstream's HMAC numbers: read-only 0 key, 1 data; read-write 2.
const HMAC_NUMBERS: Numbers = Numbers {
    key: Some(0),
    data: 1,
    compare: None,
    destination: 2,
    set_algorithm: 0,
};

impl Flavour {
    /// This flavour's allow and command numbers.
    pub const fn numbers(self) -> Numbers {
        match self {
            Flavour::Hash => SHA_NUMBERS,
            Flavour::Hmac => HMAC_NUMBERS,
        }
    }

    /// The operation a command number asks for: SHA 2 run, 3 verify,
    /// 4 update and 5 finish (the last two this kernel's extension);
    /// HMAC 1 run, 2 update, 3 finish.
    fn operation(self, command: u32) -> Option<Operation> {
        match (self, command) {
            (Flavour::Hash, 2) | (Flavour::Hmac, 1) => Some(Operation::Run),
            (Flavour::Hash, 3) => Some(Operation::Verify),
            (Flavour::Hash, 4) | (Flavour::Hmac, 2) => Some(Operation::Update),
            (Flavour::Hash, 5) | (Flavour::Hmac, 3) => Some(Operation::Finish),
            _ => None,
        }
    }

    /// The algorithm used before a process selects one: SHA-256 for SHA,
    /// as upstream; none for HMAC (a request fails with RESERVE).
    fn default_algorithm(self) -> Option<HashAlgorithm> {
        match self {
            Flavour::Hash => Some(HashAlgorithm::Sha256),
            Flavour::Hmac => None,
        }
    }
}

/// A request of one process.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operation {
    /// Digest the data and write the digest.
    Run,
    /// Add the data to the running digest.
    Update,
    /// Write the running digest.
    Finish,
    /// Digest the data and compare with read-only buffer 2.
    Verify,
}

/// Per-process state.
#[derive(Default)]
pub struct DigestRequest {
    algorithm: Option<HashAlgorithm>,
    pending: Option<Operation>,
}

/// The grant: two upcalls, three read-only and three read-write slots.
pub type DigestGrant = Grant<DigestRequest, 2, 3, 3>;

/// The algorithm numbers of the select command: upstream's 0..2, and 3 for SHA-1
/// (an extension: HOTP, RFC 4226, is defined over HMAC-SHA1).
pub fn algorithm_from_number(number: u32) -> Option<HashAlgorithm> {
    match number {
        0 => Some(HashAlgorithm::Sha256),
        1 => Some(HashAlgorithm::Sha384),
        2 => Some(HashAlgorithm::Sha512),
        3 => Some(HashAlgorithm::Sha1),
        _ => None,
    }
}

/// The driver.
pub struct DigestDriver<'a> {
    engine: &'a dyn Digest<'a>,
    grant: DigestGrant,
    flavour: Flavour,
    data_buffer: Cell<Option<&'static mut [u8]>>,
    digest_buffer: Cell<Option<&'static mut [u8]>>,
    /// The process whose digest the engine holds.
    owner: Cell<Option<ProcessId>>,
    /// The operation in flight and the data bytes fed so far.
    active: Cell<Option<(ProcessId, Operation)>>,
    offset: Cell<usize>,
}

impl<'a> DigestDriver<'a> {
    /// A driver over `engine` (set this driver as its client);
    /// `data_buffer` is the chunk size for copying process data and
    /// `digest_buffer` must hold [`MAX_DIGEST_BYTES`].
    pub fn new(
        engine: &'a dyn Digest<'a>,
        grant: DigestGrant,
        flavour: Flavour,
        data_buffer: &'static mut [u8],
        digest_buffer: &'static mut [u8; MAX_DIGEST_BYTES],
    ) -> Self {
        DigestDriver {
            engine,
            grant,
            flavour,
            data_buffer: Cell::new(Some(data_buffer)),
            digest_buffer: Cell::new(Some(digest_buffer)),
            owner: Cell::new(None),
            active: Cell::new(None),
            offset: Cell::new(0),
        }
    }

    /// The algorithm `request` digests with.
    fn algorithm_of(&self, request: &DigestRequest) -> Option<HashAlgorithm> {
        request.algorithm.or(self.flavour.default_algorithm())
    }

    /// Records `operation` for `process` after checking what can be
    /// checked now.
    fn request(&self, process: ProcessId, operation: Operation) -> Result<(), ErrorCode> {
        let numbers = self.flavour.numbers();
        self.grant
            .enter(process, |request, kernel_data| {
                if request.pending.is_some() {
                    return Err(ErrorCode::Busy);
                }
                let algorithm = self.algorithm_of(request).ok_or(ErrorCode::Reserve)?;
                let wants_digest = matches!(operation, Operation::Run | Operation::Finish);
                if wants_digest {
                    let destination = kernel_data.read_write_buffer(numbers.destination)?;
                    if destination.len() < algorithm.digest_bytes() {
                        return Err(ErrorCode::Size);
                    }
                }
                if operation == Operation::Verify
                    && kernel_data
                        .read_only_buffer(numbers.compare.ok_or(ErrorCode::NoSupport)?)?
                        .len()
                        != algorithm.digest_bytes()
                {
                    return Err(ErrorCode::Size);
                }
                request.pending = Some(operation);
                Ok(())
            })
            .map_err(ErrorCode::from)?
    }

    /// Starts the next request if the engine is free.
    fn serve_next(&self) {
        if self.active.get().is_some() {
            return;
        }
        let mut next = None;
        if let Some(owner) = self.owner.get() {
            let owner_pending = self.grant.enter(owner, |request, _| request.pending);
            match owner_pending {
                Ok(Some(operation)) => next = Some((owner, operation)),
                Ok(None) => return,
                Err(_) => self.owner.set(None),
            }
        }
        if next.is_none() {
            self.grant.each(|process, request, _| {
                if next.is_none() {
                    next = request.pending.map(|operation| (process, operation));
                }
            });
        }
        if let Some((process, operation)) = next {
            self.begin(process, operation);
        }
    }

    fn begin(&self, process: ProcessId, operation: Operation) {
        self.active.set(Some((process, operation)));
        self.offset.set(0);
        if self.owner.get() != Some(process) {
            if let Err(error) = self.start_engine(process) {
                return self.complete(Err(error), 0);
            }
            self.owner.set(Some(process));
        }
        match operation {
            Operation::Finish => self.finish(),
            _ => self.feed_next(),
        }
    }

    fn start_engine(&self, process: ProcessId) -> Result<(), ErrorCode> {
        let flavour = self.flavour;
        let engine = self.engine;
        self.grant
            .enter(process, |request, kernel_data| {
                let algorithm = self.algorithm_of(request).ok_or(ErrorCode::Reserve)?;
                let mut key = [0u8; MAX_KEY_BYTES];
                let (mode, key_length) = match flavour {
                    Flavour::Hash => (DigestMode::Hash(algorithm), 0),
                    Flavour::Hmac => {
                        let allowed = kernel_data
                            .read_only_buffer(flavour.numbers().key.ok_or(ErrorCode::NoSupport)?)?;
                        if allowed.len() > MAX_KEY_BYTES {
                            return Err(ErrorCode::Size);
                        }
                        (DigestMode::Hmac(algorithm), allowed.copy_to(0, &mut key))
                    }
                };
                engine.start(mode, &key[..key_length])
            })
            .map_err(ErrorCode::from)?
    }

    /// Hands the next chunk of the data buffer to the engine, or moves on
    /// once all of it has been fed.
    fn feed_next(&self) {
        let (Some((process, operation)), Some(buffer)) =
            (self.active.get(), self.data_buffer.take())
        else {
            return;
        };
        let offset = self.offset.get();
        let data = self.flavour.numbers().data;
        let copied = self.grant.enter(process, |_, kernel_data| {
            kernel_data
                .read_only_buffer(data)
                .map_or(0, |data| data.copy_to(offset, buffer))
        });
        match copied {
            Err(_) => {
                self.data_buffer.set(Some(buffer));
                self.abandon();
            }
            Ok(0) => {
                self.data_buffer.set(Some(buffer));
                if operation == Operation::Update {
                    self.complete(Ok(()), 0);
                } else {
                    self.finish();
                }
            }
            Ok(length) => {
                self.offset.set(offset + length);
                if let Err((error, buffer)) = self.engine.add_data(buffer, length) {
                    self.data_buffer.set(Some(buffer));
                    self.complete(Err(error), 0);
                }
            }
        }
    }

    fn finish(&self) {
        let Some(buffer) = self.digest_buffer.take() else {
            return;
        };
        if let Err((error, buffer)) = self.engine.finish(buffer) {
            self.digest_buffer.set(Some(buffer));
            self.complete(Err(error), 0);
        }
    }

    /// The process in flight died: forget it and serve the others.
    fn abandon(&self) {
        self.active.set(None);
        self.owner.set(None);
        self.serve_next();
    }

    /// Ends the operation in flight with `result` (and `equal` for a
    /// verify), tells its process, and serves the next.
    fn complete(&self, result: Result<(), ErrorCode>, equal: u32) {
        let Some((process, operation)) = self.active.take() else {
            return;
        };
        if result.is_err() || operation != Operation::Update {
            self.owner.set(None);
        }
        let _ = self.grant.enter(process, |request, kernel_data| {
            request.pending = None;
            let status = u32::from(StatusCode::from(result));
            let upcall = if operation == Operation::Verify {
                VERIFY_DONE
            } else {
                DONE
            };
            let _ = kernel_data.schedule_upcall(upcall, (status, equal, 0));
        });
        self.serve_next();
    }

    /// Delivers a finished digest to the process in flight.
    fn deliver(&self, digest: &[u8]) -> (Result<(), ErrorCode>, u32) {
        let Some((process, operation)) = self.active.get() else {
            return (Ok(()), 0);
        };
        let numbers = self.flavour.numbers();
        let delivered = self.grant.enter(process, |request, kernel_data| {
            let length = self
                .algorithm_of(request)
                .map_or(0, HashAlgorithm::digest_bytes);
            let digest = &digest[..length.min(digest.len())];
            if operation == Operation::Verify {
                let mut expected = [0u8; MAX_DIGEST_BYTES];
                let compare = numbers.compare.ok_or(ErrorCode::NoSupport)?;
                let compared = kernel_data
                    .read_only_buffer(compare)
                    .map(|buffer| buffer.copy_to(0, &mut expected))?;
                let equal = compared == digest.len() && &expected[..compared] == digest;
                return Ok(u32::from(equal));
            }
            let destination = kernel_data.read_write_buffer(numbers.destination)?;
            if destination.copy_from(0, digest) < digest.len() {
                return Err(ErrorCode::Size);
            }
            Ok(0)
        });
        match delivered {
            Ok(Ok(equal)) => (Ok(()), equal),
            Ok(Err(error)) => (Err(error), 0),
            Err(error) => (Err(error.into()), 0),
        }
    }
}

impl kernel::driver::SyscallDriver for DigestDriver<'_> {
    fn command(
        &self,
        command: u32,
        argument0: u32,
        _argument1: u32,
        process: ProcessId,
    ) -> CommandReturn {
        if command == 0 && self.flavour == Flavour::Hash {
            return CommandReturn::success();
        }
        if command == self.flavour.numbers().set_algorithm {
            let Some(algorithm) = algorithm_from_number(argument0) else {
                return CommandReturn::failure(ErrorCode::NoSupport);
            };
            let selected = self.grant.enter(process, |request, _| {
                if request.pending.is_some() || self.owner.get() == Some(process) {
                    return Err(ErrorCode::Busy);
                }
                request.algorithm = Some(algorithm);
                Ok(())
            });
            return match selected.map_err(ErrorCode::from) {
                Ok(Ok(())) => CommandReturn::success(),
                Ok(Err(error)) | Err(error) => CommandReturn::failure(error),
            };
        }
        let Some(operation) = self.flavour.operation(command) else {
            return CommandReturn::failure(ErrorCode::NoSupport);
        };
        match self.request(process, operation) {
            Ok(()) => {
                self.serve_next();
                CommandReturn::success()
            }
            Err(error) => CommandReturn::failure(error),
        }
    }

    fn allocate_grant(&self, process: ProcessId) -> Result<(), ErrorCode> {
        self.grant
            .enter(process, |_, _| ())
            .map_err(ErrorCode::from)
    }
}

impl DigestClient for DigestDriver<'_> {
    fn add_data_done(&self, result: Result<(), ErrorCode>, data: &'static mut [u8]) {
        self.data_buffer.set(Some(data));
        match result {
            Ok(()) => self.feed_next(),
            Err(error) => self.complete(Err(error), 0),
        }
    }

    fn finish_done(&self, result: Result<(), ErrorCode>, digest: &'static mut [u8]) {
        let (result, equal) = match result {
            Ok(()) => self.deliver(digest),
            Err(error) => (Err(error), 0),
        };
        self.digest_buffer.set(Some(digest));
        self.complete(result, equal);
    }
}
