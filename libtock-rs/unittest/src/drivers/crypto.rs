//! Fake SHA (0x40005), HMAC (0x40003) and AES (0x40006) drivers, computing
//! real results with the RustCrypto crates so tests can check known answers.

use super::{status, unit_result};
use crate::{schedule_upcall, with_ro_buffer, with_rw_buffer, Driver, Slots};
use aes::cipher::{BlockDecrypt, BlockEncrypt, KeyInit};
use hmac::Mac;
use libtock_platform::{CommandReturn, DriverNumber, ErrorCode};
use sha2::Digest;
use std::cell::{Cell, RefCell};

fn hash(algorithm: u32, key: Option<&[u8]>, data: &[u8]) -> Vec<u8> {
    macro_rules! compute {
        ($hash:ty) => {
            match key {
                None => <$hash>::digest(data).to_vec(),
                Some(key) => {
                    let mut mac = <hmac::Hmac<$hash> as Mac>::new_from_slice(key)
                        .expect("HMAC accepts keys of any length");
                    mac.update(data);
                    mac.finalize().into_bytes().to_vec()
                }
            }
        };
    }
    match algorithm {
        0 => compute!(sha2::Sha256),
        1 => compute!(sha2::Sha384),
        3 => compute!(sha1::Sha1),
        _ => compute!(sha2::Sha512),
    }
}

/// The allow and command numbers of one digest fake, each as upstream's
/// capsule has them.
struct DigestNumbers {
    /// Read-only allow of the key (HMAC only).
    key: Option<u32>,
    data: u32,
    /// The verify command and the read-only allow of the digest it
    /// compares with (SHA only).
    verify: Option<(u32, u32)>,
    destination: u32,
    set_algorithm: u32,
    hash: u32,
    update: u32,
    finish: u32,
    /// The command that only answers Success (SHA's 0).
    exists: Option<u32>,
    /// The algorithm used before one is selected (SHA-256 for SHA).
    default_algorithm: Option<u32>,
}

/// SHA: command 0 exists, 1 set algorithm, 2 hash, 3 verify, 4 update and
/// 5 finish (this kernel's extensions); read-only 0 data, 1 compare;
/// read-write 0 digest.
const SHA_NUMBERS: DigestNumbers = DigestNumbers {
    key: None,
    data: 0,
    verify: Some((3, 1)),
    destination: 0,
    set_algorithm: 1,
    hash: 2,
    update: 4,
    finish: 5,
    exists: Some(0),
    default_algorithm: Some(0),
};

/// HMAC: command 0 set algorithm, 1 run, 2 update, 3 finish; read-only
/// 0 key, 1 data; read-write 2 digest.
const HMAC_NUMBERS: DigestNumbers = DigestNumbers {
    key: Some(0),
    data: 1,
    verify: None,
    destination: 2,
    set_algorithm: 0,
    hash: 1,
    update: 2,
    finish: 3,
    exists: None,
    default_algorithm: None,
};

/// The digest engine behind the SHA and HMAC fakes.
struct DigestEngine {
    number: u32,
    numbers: DigestNumbers,
    algorithm: Cell<Option<u32>>,
    /// Data added by update, waiting for finish.
    pending: RefCell<Option<Vec<u8>>>,
}

impl DigestEngine {
    fn new(number: u32, numbers: DigestNumbers) -> Self {
        DigestEngine {
            number,
            algorithm: Cell::new(numbers.default_algorithm),
            numbers,
            pending: RefCell::new(None),
        }
    }

    fn digest(&self, algorithm: u32, data: &[u8]) -> Vec<u8> {
        let key = self
            .numbers
            .key
            .map(|key| with_ro_buffer(self.number, key, |key| key.to_vec()));
        hash(algorithm, key.as_deref(), data)
    }

    fn complete(&self, algorithm: u32, data: &[u8]) {
        let digest = self.digest(algorithm, data);
        with_rw_buffer(self.number, self.numbers.destination, |dest| {
            let length = dest.len().min(digest.len());
            dest[..length].copy_from_slice(&digest[..length]);
        });
        schedule_upcall(self.number, 0, (status(Ok(())), 0, 0));
    }

    fn command(&self, command: u32, argument0: u32) -> CommandReturn {
        if Some(command) == self.numbers.exists {
            return CommandReturn::success();
        }
        if command == self.numbers.set_algorithm {
            // 0..=2 are upstream's SHA-256/384/512; 3 is SHA-1 (HOTP).
            if argument0 > 3 {
                return CommandReturn::failure(ErrorCode::NoSupport);
            }
            self.algorithm.set(Some(argument0));
            return CommandReturn::success();
        }
        let Some(algorithm) = self.algorithm.get() else {
            return CommandReturn::failure(ErrorCode::Inval);
        };
        let data = with_ro_buffer(self.number, self.numbers.data, |data| data.to_vec());
        if command == self.numbers.hash {
            self.complete(algorithm, &data);
        } else if command == self.numbers.update {
            self.pending
                .borrow_mut()
                .get_or_insert_with(Vec::new)
                .extend(data);
            schedule_upcall(self.number, 0, (0, 0, 0));
        } else if command == self.numbers.finish {
            match self.pending.borrow_mut().take() {
                Some(all) => self.complete(algorithm, &all),
                None => return CommandReturn::failure(ErrorCode::Off),
            }
        } else if let Some((_, compare)) =
            self.numbers.verify.filter(|(verify, _)| *verify == command)
        {
            let digest = self.digest(algorithm, &data);
            let matches = with_ro_buffer(self.number, compare, |compare| compare == digest);
            schedule_upcall(self.number, 1, (0, u32::from(matches), 0));
        } else {
            return CommandReturn::failure(ErrorCode::NoSupport);
        }
        CommandReturn::success()
    }
}

const DIGEST_SLOTS: Slots = Slots {
    upcalls: 2,
    allow_ro: 3,
    allow_rw: 3,
    allow_userspace_readable: 0,
};

/// Fake SHA-256/384/512 driver.
pub struct Sha(DigestEngine);

impl Sha {
    /// An idle SHA engine with no algorithm set.
    pub fn new() -> Sha {
        Sha(DigestEngine::new(DriverNumber::SHA.0, SHA_NUMBERS))
    }
}

impl Default for Sha {
    fn default() -> Self {
        Self::new()
    }
}

impl Driver for Sha {
    fn number(&self) -> u32 {
        self.0.number
    }
    fn slots(&self) -> Slots {
        DIGEST_SLOTS
    }
    fn command(&self, command: u32, argument0: u32, _: u32) -> CommandReturn {
        self.0.command(command, argument0)
    }
}

/// Fake HMAC-SHA-256/384/512 and HMAC-SHA-1 driver.
pub struct Hmac(DigestEngine);

impl Hmac {
    /// An idle HMAC engine with no algorithm set.
    pub fn new() -> Hmac {
        Hmac(DigestEngine::new(DriverNumber::HMAC.0, HMAC_NUMBERS))
    }
}

impl Default for Hmac {
    fn default() -> Self {
        Self::new()
    }
}

impl Driver for Hmac {
    fn number(&self) -> u32 {
        self.0.number
    }
    fn slots(&self) -> Slots {
        DIGEST_SLOTS
    }
    fn command(&self, command: u32, argument0: u32, _: u32) -> CommandReturn {
        self.0.command(command, argument0)
    }
}

const AES: u32 = DriverNumber::AES.0;

/// Fake AES-128 driver: CTR (0), CBC (1) and ECB (2); CCM (3) and GCM (4)
/// are NOSUPPORT here.
#[derive(Default)]
pub struct Aes {
    mode: Cell<Option<(u32, bool)>>,
    cipher: RefCell<Option<aes::Aes128>>,
    /// The CBC chaining block or the CTR counter.
    chain: Cell<[u8; 16]>,
}

impl Aes {
    /// An idle engine.
    pub fn new() -> Aes {
        Aes::default()
    }

    fn setup(&self) -> Result<(), ErrorCode> {
        let (mode, _) = self.mode.get().ok_or(ErrorCode::Inval)?;
        let key = with_ro_buffer(AES, 0, |key| key.to_vec());
        let cipher = aes::Aes128::new_from_slice(&key).map_err(|_| ErrorCode::Inval)?;
        if mode != 2 {
            let iv = with_ro_buffer(AES, 1, |iv| <[u8; 16]>::try_from(iv).ok());
            self.chain.set(iv.ok_or(ErrorCode::Inval)?);
        }
        *self.cipher.borrow_mut() = Some(cipher);
        Ok(())
    }

    fn transform(&self, cipher: &aes::Aes128, mode: u32, encrypt: bool, block: &mut [u8]) {
        let mut chain = self.chain.get();
        if mode == 0 {
            let mut keystream = aes::Block::from(chain);
            cipher.encrypt_block(&mut keystream);
            block
                .iter_mut()
                .zip(keystream)
                .for_each(|(byte, key)| *byte ^= key);
            chain = (u128::from_be_bytes(chain).wrapping_add(1)).to_be_bytes();
        } else {
            let input: [u8; 16] = block.try_into().expect("whole blocks only");
            let mut array = aes::Block::from(input);
            if mode == 1 && encrypt {
                array
                    .iter_mut()
                    .zip(chain)
                    .for_each(|(byte, previous)| *byte ^= previous);
            }
            if encrypt {
                cipher.encrypt_block(&mut array);
            } else {
                cipher.decrypt_block(&mut array);
            }
            block.copy_from_slice(&array);
            if mode == 1 && !encrypt {
                block
                    .iter_mut()
                    .zip(chain)
                    .for_each(|(byte, previous)| *byte ^= previous);
            }
            chain = if encrypt {
                block.try_into().expect("16 bytes")
            } else {
                input
            };
        }
        self.chain.set(chain);
    }

    fn crypt(&self) -> Result<(), ErrorCode> {
        let (mode, encrypt) = self.mode.get().ok_or(ErrorCode::Reserve)?;
        let cipher = self.cipher.borrow().clone().ok_or(ErrorCode::Reserve)?;
        let mut data = with_ro_buffer(AES, 2, |source| source.to_vec());
        if mode != 0 && data.len() % 16 != 0 {
            return Err(ErrorCode::Inval);
        }
        for block in data.chunks_mut(16) {
            self.transform(&cipher, mode, encrypt, block);
        }
        let fits = with_rw_buffer(AES, 0, |dest| {
            let fits = dest.len() >= data.len();
            if fits {
                dest[..data.len()].copy_from_slice(&data);
            }
            fits
        });
        if !fits {
            return Err(ErrorCode::Size);
        }
        schedule_upcall(AES, 0, (0, data.len() as u32, 0));
        Ok(())
    }
}

impl Driver for Aes {
    fn number(&self) -> u32 {
        AES
    }
    fn slots(&self) -> Slots {
        Slots {
            upcalls: 1,
            allow_ro: 3,
            allow_rw: 1,
            allow_userspace_readable: 0,
        }
    }
    fn command(&self, command: u32, argument0: u32, argument1: u32) -> CommandReturn {
        match command {
            0 => CommandReturn::success(),
            1 if argument0 <= 2 => {
                self.mode.set(Some((argument0, argument1 != 0)));
                CommandReturn::success()
            }
            2 => unit_result(self.setup()),
            3 => unit_result(self.crypt()),
            4 => {
                self.cipher.borrow_mut().take();
                CommandReturn::success()
            }
            _ => CommandReturn::failure(ErrorCode::NoSupport),
        }
    }
}
