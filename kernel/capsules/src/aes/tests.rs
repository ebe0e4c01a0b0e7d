//! The AES driver over the software engine against FIPS-197 and NIST
//! SP 800-38A vectors.

extern crate std;

use std::boxed::Box;
use std::vec::Vec;

use kernel::deferred_call::DeferredCalls;
use kernel::driver::SyscallDriver;
use kernel::hil::aes::Aes128;
use kernel::testing::{TestCapability, TestKernel};
use kernel::{CommandReturn, ErrorCode};

use super::AesDriver;
use crate::sha::tests::hex;
use crate::software_aes::SoftwareAes;
use crate::test_support::buffer;

const DRIVER: u32 = kernel_abi::DriverNumber::AES.0;
const SP800_38A_KEY: &str = "2b7e151628aed2a6abf7158809cf4f3c";
const SP800_38A_PLAIN: &str = "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51";

struct Rig {
    test: TestKernel,
    aes: &'static AesDriver<'static>,
    calls: &'static DeferredCalls,
}

fn rig() -> Rig {
    let test = TestKernel::new(2, 4096);
    let calls: &'static DeferredCalls = Box::leak(Box::new(DeferredCalls::new()));
    let call = calls.allocate();
    let engine: &'static SoftwareAes = Box::leak(Box::new(SoftwareAes::new(call)));
    call.register(engine);
    // 16-byte chunks: every multi-block test crosses chunk boundaries.
    let aes: &'static AesDriver<'static> = Box::leak(Box::new(AesDriver::new(
        engine,
        test.kernel.create_grant(DRIVER, &TestCapability),
        buffer(16),
    )));
    engine.set_client(aes);
    Rig { test, aes, calls }
}

impl Rig {
    /// Sets up process `index` and transforms `source`: (upcall, output).
    fn run(
        &self,
        index: usize,
        mode: u32,
        encrypt: bool,
        key: &str,
        iv: &str,
        source: &[u8],
    ) -> ([u32; 3], Vec<u8>) {
        let process = self.test.process_id(index);
        self.test
            .allow_read_only(index, DRIVER, self.aes, 0, &hex(key));
        self.test
            .allow_read_only(index, DRIVER, self.aes, 1, &hex(iv));
        self.test
            .allow_read_only(index, DRIVER, self.aes, 2, source);
        let (output, _) = self
            .test
            .allow_read_write(index, DRIVER, self.aes, 0, source.len());
        self.test.subscribe(index, DRIVER, self.aes, 0);
        assert_eq!(
            self.aes.command(1, mode, u32::from(encrypt), process),
            CommandReturn::success()
        );
        assert_eq!(self.aes.command(2, 0, 0, process), CommandReturn::success());
        while self.calls.service_next() {}
        let upcall = self.test.take_upcalls(index)[0].arguments;
        (upcall, self.test.read(output, source.len()))
    }
}

#[test]
fn ecb_matches_fips_197() {
    let rig = rig();
    let (upcall, output) = rig.run(
        0,
        2,
        true,
        "000102030405060708090a0b0c0d0e0f",
        "00000000000000000000000000000000",
        &hex("00112233445566778899aabbccddeeff"),
    );
    assert_eq!(upcall, [0, 16, 0]);
    assert_eq!(output, hex("69c4e0d86a7b0430d8cdb78070b4c55a"));
}

#[test]
fn cbc_and_ctr_match_sp_800_38a_both_ways() {
    let rig = rig();
    let process = rig.test.process_id(0);
    let cbc = hex("7649abac8119b246cee98e9b12e9197d5086cb9b507219ee95db113a917678b2");
    let (upcall, output) = rig.run(
        0,
        1,
        true,
        SP800_38A_KEY,
        "000102030405060708090a0b0c0d0e0f",
        &hex(SP800_38A_PLAIN),
    );
    assert_eq!((upcall, output), ([0, 32, 0], cbc.clone()));
    assert_eq!(rig.aes.command(4, 0, 0, process), CommandReturn::success());
    let (_, plain) = rig.run(
        0,
        1,
        false,
        SP800_38A_KEY,
        "000102030405060708090a0b0c0d0e0f",
        &cbc,
    );
    assert_eq!(plain, hex(SP800_38A_PLAIN));
    assert_eq!(rig.aes.command(4, 0, 0, process), CommandReturn::success());
    let (_, output) = rig.run(
        0,
        0,
        true,
        SP800_38A_KEY,
        "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff",
        &hex(SP800_38A_PLAIN),
    );
    assert_eq!(
        output,
        hex("874d6191b620e3261bef6864990db6ce9806f66b7970fdff8617187bb9fffdff")
    );
}

#[test]
fn crypt_continues_the_stream_and_others_wait_their_turn() {
    let rig = rig();
    let (first, second) = (rig.test.process_id(0), rig.test.process_id(1));
    let plain = hex(SP800_38A_PLAIN);
    let (_, output) = rig.run(
        0,
        1,
        true,
        SP800_38A_KEY,
        "000102030405060708090a0b0c0d0e0f",
        &plain[..16],
    );
    assert_eq!(output, hex("7649abac8119b246cee98e9b12e9197d"));
    // The second process queues behind the first.
    rig.test.allow_read_only(1, DRIVER, rig.aes, 0, &[0; 16]);
    rig.test.allow_read_only(1, DRIVER, rig.aes, 2, &[0; 16]);
    rig.test.allow_read_write(1, DRIVER, rig.aes, 0, 16);
    rig.test.subscribe(1, DRIVER, rig.aes, 0);
    rig.aes.command(1, 2, 1, second);
    assert_eq!(rig.aes.command(2, 0, 0, second), CommandReturn::success());
    assert_eq!(
        rig.aes.command(3, 0, 0, second),
        CommandReturn::failure(ErrorCode::Off)
    );
    // Crypt carries the CBC chain on: the second block as in SP 800-38A.
    rig.test
        .allow_read_only(0, DRIVER, rig.aes, 2, &plain[16..]);
    let (output, _) = rig.test.allow_read_write(0, DRIVER, rig.aes, 0, 16);
    assert_eq!(rig.aes.command(3, 0, 0, first), CommandReturn::success());
    while rig.calls.service_next() {}
    assert_eq!(rig.test.take_upcalls(0)[0].arguments, [0, 16, 0]);
    assert_eq!(
        rig.test.read(output, 16),
        hex("5086cb9b507219ee95db113a917678b2")
    );
    assert!(rig.test.take_upcalls(1).is_empty(), "still waiting");
    assert_eq!(rig.aes.command(4, 0, 0, first), CommandReturn::success());
    while rig.calls.service_next() {}
    assert_eq!(rig.test.take_upcalls(1)[0].arguments, [0, 16, 0]);
}

#[test]
fn bad_requests_fail_clearly() {
    let rig = rig();
    let process = rig.test.process_id(0);
    assert_eq!(
        rig.aes.command(1, 3, 1, process),
        CommandReturn::failure(ErrorCode::NoSupport),
        "no CCM"
    );
    assert_eq!(
        rig.aes.command(3, 0, 0, process),
        CommandReturn::failure(ErrorCode::Off)
    );
    let (upcall, _) = rig.run(
        0,
        1,
        true,
        SP800_38A_KEY,
        "000102030405060708090a0b0c0d0e0f",
        &[0; 15],
    );
    assert_eq!(upcall[0], ErrorCode::Size as u32, "CBC needs whole blocks");
    let (upcall, _) = rig.run(
        0,
        0,
        true,
        "0011",
        "000102030405060708090a0b0c0d0e0f",
        &[0; 4],
    );
    assert_eq!(upcall[0], ErrorCode::Size as u32, "a 2-byte key");
}
