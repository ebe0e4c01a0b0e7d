//! The CTAP2 app's benchmark for `cargo xtask bench` (the security-key
//! area's figures): the app's own authenticator over the real isolated
//! storage driver, fed fixed requests, then QEMU ends through the
//! emulator's test driver.
//!
//! A measuring stick, never flashed on a device: its platform grants user
//! presence without a touch (there is nobody to press the button in a
//! benchmark), so anything could make credentials with it, and its random
//! bytes are SHA-256 of a counter, the same in every run, so every key it
//! makes is known. Not the RNG driver: the kernel seeds its generator from
//! virtio-rng at a moment the host decides, which made the instruction
//! count of a whole run vary by hundreds of instructions; the driver's
//! share of an operation (a few dozen bytes) is left out of the figures.
//!
//! Every run first makes one resident credential (rp `bench.example`,
//! user `user0000`) and one U2F registration; then, as fixed at build time
//! (decimal numbers, 0 when unset):
//! - `CTAP2_BENCH_MAKE_CREDENTIALS` authenticatorMakeCredential requests
//!   (ES256, resident, the same user, so each replaces the stored
//!   credential: one credential record and the counter written each time);
//! - `CTAP2_BENCH_GET_ASSERTIONS` authenticatorGetAssertion requests with
//!   no allow list (the resident credential is found, signs, and the
//!   counter is written);
//! - `CTAP2_BENCH_U2F_AUTHENTICATES` U2F AUTHENTICATE messages (enforce
//!   presence) with the registration's key handle, through the app's U2F
//!   path (the counter is written);
//! - with `CTAP2_BENCH_FILL` set, resident credentials for new users until
//!   the authenticator answers KEY_STORE_FULL; it prints
//!   `ctap2-bench: resident keys N` (the setup's credential included).
//!
//! Every answer is checked; a wrong one prints why and ends QEMU with
//! status 1. The runner subtracts a run with no operation and divides.
#![no_main]
#![no_std]
#![forbid(unsafe_code)]

use core::fmt::Write;
use core::hint::black_box;
use ctap2::app::DeviceRecords;
use ctap2::authenticator::{Authenticator, Platform, MAX_RESPONSE};
use ctap2::storage::IsolatedStorage;
use ctap_types::heapless::Vec;
use ctap_types::Error;
use libtock::platform::{DriverNumber, ErrorCode, Syscalls};
use libtock::TockSyscalls;
use libtock_alarm::Alarm;
use libtock_console::Console;
use sha2::{Digest, Sha256};

libtock::set_main! {main}
// The app's own stack (src/bin/ctap2.rs): the same authenticator runs.
libtock::stack_size! {0xD000}

const MAKE_CREDENTIALS: u32 = decimal(option_env!("CTAP2_BENCH_MAKE_CREDENTIALS"));
const GET_ASSERTIONS: u32 = decimal(option_env!("CTAP2_BENCH_GET_ASSERTIONS"));
const U2F_AUTHENTICATES: u32 = decimal(option_env!("CTAP2_BENCH_U2F_AUTHENTICATES"));
const FILL: bool = option_env!("CTAP2_BENCH_FILL").is_some();

/// More credentials than this without KEY_STORE_FULL means the store
/// never fills: the figure would be wrong, so the run fails.
const FILL_LIMIT: u32 = 9_999;

/// The test driver's command that ends QEMU with the status in argument 0.
const EXIT_QEMU: u32 = 1;

/// CTAP status KEY_STORE_FULL.
const KEY_STORE_FULL: u8 = Error::KeyStoreFull as u8;

/// authenticatorMakeCredential, made with python-fido2's canonical CBOR:
/// `0x01 {1: SHA-256("ctap2-bench makeCredential"), 2: {"id":
/// "bench.example"}, 3: {"id": b"user0000", "name": "bench"}, 4: [{"alg":
/// -7, "type": "public-key"}], 7: {"rk": true}}`.
const MAKE_CREDENTIAL: [u8; 111] = [
    0x01, 0xa5, 0x01, 0x58, 0x20, 0x3d, 0xaa, 0xbc, 0x49, 0xb2, 0x4d, 0x2b, 0xf0, 0xe1, 0x18, 0xe9,
    0x53, 0xa6, 0x25, 0xd9, 0xf0, 0x80, 0xf2, 0x07, 0xdd, 0x10, 0xec, 0x23, 0x1b, 0xeb, 0x6a, 0x50,
    0x7f, 0x2b, 0x96, 0x22, 0x85, 0x02, 0xa1, 0x62, 0x69, 0x64, 0x6d, 0x62, 0x65, 0x6e, 0x63, 0x68,
    0x2e, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65, 0x03, 0xa2, 0x62, 0x69, 0x64, 0x48, 0x75, 0x73,
    0x65, 0x72, 0x30, 0x30, 0x30, 0x30, 0x64, 0x6e, 0x61, 0x6d, 0x65, 0x65, 0x62, 0x65, 0x6e, 0x63,
    0x68, 0x04, 0x81, 0xa2, 0x63, 0x61, 0x6c, 0x67, 0x26, 0x64, 0x74, 0x79, 0x70, 0x65, 0x6a, 0x70,
    0x75, 0x62, 0x6c, 0x69, 0x63, 0x2d, 0x6b, 0x65, 0x79, 0x07, 0xa1, 0x62, 0x72, 0x6b, 0xf5,
];
/// The user ID in [`MAKE_CREDENTIAL`]: the fill writes a number over its
/// last four digits.
const USER_ID: &[u8; 8] = b"user0000";

/// authenticatorGetAssertion: `0x02 {1: "bench.example", 2:
/// SHA-256("ctap2-bench getAssertion")}` (no allow list: discoverable).
const GET_ASSERTION: [u8; 52] = [
    0x02, 0xa2, 0x01, 0x6d, 0x62, 0x65, 0x6e, 0x63, 0x68, 0x2e, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c,
    0x65, 0x02, 0x58, 0x20, 0xf2, 0x22, 0x80, 0x2a, 0x6a, 0x1d, 0x06, 0x3f, 0x5e, 0x6f, 0xed, 0xcd,
    0xca, 0x2d, 0x17, 0x3b, 0xdd, 0xb5, 0x32, 0xfb, 0x39, 0x50, 0x29, 0xd1, 0x6c, 0xa3, 0x9b, 0x2b,
    0xc6, 0x6e, 0xff, 0x96,
];

/// U2F challenge parameter: SHA-256("ctap2-bench u2f challenge").
const CHALLENGE: [u8; 32] = [
    0x0f, 0x3d, 0xc9, 0xbf, 0xdc, 0x3c, 0x35, 0xf1, 0xff, 0xd6, 0x25, 0xf5, 0xd7, 0xd9, 0x88, 0xe5,
    0xd4, 0xcf, 0x7b, 0xa6, 0x34, 0x27, 0x30, 0xcc, 0x1a, 0x7c, 0xad, 0x3a, 0x97, 0x45, 0x47, 0xaf,
];
/// U2F application parameter: SHA-256("https://bench.example").
const APPLICATION: [u8; 32] = [
    0xa6, 0xe9, 0x42, 0x41, 0x89, 0x70, 0x7f, 0x1e, 0xb2, 0x7a, 0x30, 0x33, 0x4a, 0xd9, 0xa6, 0x3f,
    0x08, 0x45, 0xe5, 0xcc, 0xc7, 0x02, 0x9e, 0xf8, 0x0a, 0xbc, 0x35, 0x44, 0x4b, 0x32, 0x10, 0x7e,
];
/// Bytes of a U2F key handle (the `u2f` crate's, fixed).
const KEY_HANDLE: usize = u2f::key_handle::KEY_HANDLE;
/// Where REGISTER's response holds the key handle: after the reserved
/// byte, the 65-byte public key and the length byte.
const KEY_HANDLE_OFFSET: usize = 1 + 65 + 1;
/// U2F REGISTER, extended length: header, Lc, challenge, application, Le.
const REGISTER_LENGTH: usize = 7 + 64 + 2;
/// U2F AUTHENTICATE, extended length: header, Lc, challenge, application,
/// key handle length and key handle, Le.
const AUTHENTICATE_LENGTH: usize = 7 + 64 + 1 + KEY_HANDLE + 2;

/// A decimal number fixed at build time (0 when unset or not a number).
const fn decimal(text: Option<&str>) -> u32 {
    let Some(text) = text else { return 0 };
    let bytes = text.as_bytes();
    let mut value: u32 = 0;
    let mut index = 0;
    while index < bytes.len() {
        if !bytes[index].is_ascii_digit() {
            return 0;
        }
        value = value
            .wrapping_mul(10)
            .wrapping_add((bytes[index] - b'0') as u32);
        index += 1;
    }
    value
}

macro_rules! say {
    ($($argument:tt)*) => {{
        // The console is the only place to report to.
        let _ = writeln!(Console::<TockSyscalls>::writer(), $($argument)*);
    }};
}

/// The device for the authenticator, with presence always granted and
/// known random bytes (see the file's documentation: never on a device).
struct BenchPlatform<S: Syscalls> {
    frequency: u64,
    start: u32,
    /// Blocks of "random" bytes handed out so far.
    blocks: u64,
    _syscalls: core::marker::PhantomData<S>,
}

impl<S: Syscalls> BenchPlatform<S> {
    fn new() -> Result<Self, ErrorCode> {
        Ok(BenchPlatform {
            frequency: u64::from(Alarm::<S>::frequency()?.0),
            start: Alarm::<S>::ticks()?,
            blocks: 0,
            _syscalls: core::marker::PhantomData,
        })
    }
}

impl<S: Syscalls> Platform for BenchPlatform<S> {
    fn fill_random(&mut self, buffer: &mut [u8]) -> Result<(), Error> {
        for chunk in buffer.chunks_mut(32) {
            let block = Sha256::digest(self.blocks.to_le_bytes());
            self.blocks += 1;
            chunk.copy_from_slice(&block[..chunk.len()]);
        }
        Ok(())
    }

    fn wait_for_presence(&mut self) -> Result<(), Error> {
        Ok(())
    }

    fn take_recent_presence(&mut self) -> bool {
        true
    }

    fn uptime_ms(&mut self) -> u64 {
        // A run lasts far less than the 32-bit tick count's wrap.
        let ticks = Alarm::<S>::ticks().unwrap_or(self.start);
        u64::from(ticks.wrapping_sub(self.start)) * 1000 / self.frequency
    }
}

type BenchAuthenticator = Authenticator<DeviceRecords<TockSyscalls>>;
type Bench = BenchPlatform<TockSyscalls>;

/// Why a run failed.
struct Failure {
    what: &'static str,
    /// The CTAP status byte or U2F status word, if the device answered one.
    status: u32,
}

fn failure(what: &'static str) -> Failure {
    Failure { what, status: 0 }
}

fn main() {
    let status = match run() {
        Ok(()) => 0,
        Err(failure) => {
            say!(
                "ctap2-bench: failed: {} (status {:#x})",
                failure.what,
                failure.status
            );
            1
        }
    };
    // Ends QEMU: nothing runs after this command.
    let _ = TockSyscalls::command(DriverNumber::EMULATOR_TEST.0, EXIT_QEMU, status, 0);
}

/// Opens the device and runs the planned operations.
#[inline(never)]
fn run() -> Result<(), Failure> {
    let mut platform = Bench::new().map_err(|_| failure("no alarm"))?;
    let storage = IsolatedStorage::<TockSyscalls>::open()
        .map_err(|_| failure("no isolated storage driver"))?;
    let store = DeviceRecords::open(storage).map_err(|_| failure("the store does not open"))?;
    // Used where it was returned (`ref mut`): moving it would put a second
    // copy of its 10 KB on the stack.
    match Authenticator::new(store, &mut platform) {
        Ok(ref mut authenticator) => operations(authenticator, &mut platform),
        Err(_) => Err(failure("the authenticator does not open")),
    }
}

fn operations(authenticator: &mut BenchAuthenticator, platform: &mut Bench) -> Result<(), Failure> {
    let mut response = Vec::new();
    cbor(authenticator, platform, &MAKE_CREDENTIAL, &mut response).map_err(|status| Failure {
        what: "setup makeCredential",
        status,
    })?;
    let key_handle = u2f_register(authenticator, platform)?;
    for _ in 0..black_box(MAKE_CREDENTIALS) {
        cbor(authenticator, platform, &MAKE_CREDENTIAL, &mut response).map_err(|status| {
            Failure {
                what: "makeCredential",
                status,
            }
        })?;
    }
    for _ in 0..black_box(GET_ASSERTIONS) {
        cbor(authenticator, platform, &GET_ASSERTION, &mut response).map_err(|status| Failure {
            what: "getAssertion",
            status,
        })?;
    }
    let authenticate = authenticate_message(&key_handle);
    for _ in 0..black_box(U2F_AUTHENTICATES) {
        u2f(authenticator, platform, &authenticate).map_err(|status| Failure {
            what: "U2F authenticate",
            status,
        })?;
    }
    if black_box(FILL) {
        let count = fill(authenticator, platform, &mut response)?;
        say!("ctap2-bench: resident keys {count}");
    }
    Ok(())
}

/// Runs one CBOR request; `Err` with the status byte unless it succeeded.
fn cbor(
    authenticator: &mut BenchAuthenticator,
    platform: &mut Bench,
    request: &[u8],
    response: &mut Vec<u8, MAX_RESPONSE>,
) -> Result<(), u32> {
    authenticator.handle(platform, request, response);
    match response.first() {
        Some(0) if response.len() > 1 => Ok(()),
        Some(status) => Err(u32::from(*status)),
        None => Err(0x100),
    }
}

/// Runs one U2F message; its response data, or `Err` with the status word.
fn u2f(
    authenticator: &mut BenchAuthenticator,
    platform: &mut Bench,
    message: &[u8],
) -> Result<[u8; u2f::u2f::MAX_RESPONSE], u32> {
    let mut response = [0u8; u2f::u2f::MAX_RESPONSE];
    let length = authenticator.handle_u2f(platform, message, &mut response);
    let status = match length.checked_sub(2) {
        Some(at) => u32::from(u16::from_be_bytes([response[at], response[at + 1]])),
        None => 0,
    };
    if status == u32::from(u2f::u2f::status::NO_ERROR) {
        Ok(response)
    } else {
        Err(status)
    }
}

/// Registers with U2F; the key handle.
fn u2f_register(
    authenticator: &mut BenchAuthenticator,
    platform: &mut Bench,
) -> Result<[u8; KEY_HANDLE], Failure> {
    let mut message = [0u8; REGISTER_LENGTH];
    message[..7].copy_from_slice(&[0, u2f::u2f::instruction::REGISTER, 0, 0, 0, 0, 64]);
    message[7..39].copy_from_slice(&CHALLENGE);
    message[39..71].copy_from_slice(&APPLICATION);
    let response = u2f(authenticator, platform, &message).map_err(|status| Failure {
        what: "setup U2F register",
        status,
    })?;
    if usize::from(response[KEY_HANDLE_OFFSET - 1]) != KEY_HANDLE {
        return Err(failure(
            "U2F register answered a key handle of another size",
        ));
    }
    let mut key_handle = [0u8; KEY_HANDLE];
    key_handle.copy_from_slice(&response[KEY_HANDLE_OFFSET..KEY_HANDLE_OFFSET + KEY_HANDLE]);
    Ok(key_handle)
}

/// U2F AUTHENTICATE (enforce presence) for `key_handle`.
fn authenticate_message(key_handle: &[u8; KEY_HANDLE]) -> [u8; AUTHENTICATE_LENGTH] {
    let data = 64 + 1 + KEY_HANDLE as u8;
    let mut message = [0u8; AUTHENTICATE_LENGTH];
    message[..7].copy_from_slice(&[
        0,
        u2f::u2f::instruction::AUTHENTICATE,
        u2f::u2f::control::ENFORCE_PRESENCE,
        0,
        0,
        0,
        data,
    ]);
    message[7..39].copy_from_slice(&CHALLENGE);
    message[39..71].copy_from_slice(&APPLICATION);
    message[71] = KEY_HANDLE as u8;
    message[72..72 + KEY_HANDLE].copy_from_slice(key_handle);
    message
}

/// Makes resident credentials for users 1, 2, ... until KEY_STORE_FULL;
/// how many the device holds (the setup's one included).
fn fill(
    authenticator: &mut BenchAuthenticator,
    platform: &mut Bench,
    response: &mut Vec<u8, MAX_RESPONSE>,
) -> Result<u32, Failure> {
    let mut request = MAKE_CREDENTIAL;
    let at = request
        .windows(USER_ID.len())
        .position(|window| window == USER_ID)
        .ok_or(failure("the request holds no user ID"))?
        + 4;
    for user in 1..=FILL_LIMIT {
        let mut digits = user;
        for digit in request[at..at + 4].iter_mut().rev() {
            // A decimal digit: below 10, so the cast keeps it.
            *digit = b'0' + (digits % 10) as u8;
            digits /= 10;
        }
        match cbor(authenticator, platform, &request, response) {
            Ok(()) => {}
            Err(status) if status == u32::from(KEY_STORE_FULL) => return Ok(user),
            Err(status) => {
                return Err(Failure {
                    what: "filling",
                    status,
                })
            }
        }
    }
    Err(failure(
        "the store took 9999 credentials without filling up",
    ))
}
