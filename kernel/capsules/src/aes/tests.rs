//! The AES driver over the software engine against FIPS-197 and NIST
//! SP 800-38A vectors, and its CCM against RFC 3610's and upstream
//! libtock-c's.

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
        rig.aes.command(1, 4, 1, process),
        CommandReturn::failure(ErrorCode::NoSupport),
        "no GCM"
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

const RFC_3610_KEY: &str = "c0c1c2c3c4c5c6c7c8c9cacbcccdcecf";
const RFC_3610_NONCE: &str = "00000003020100a0a1a2a3a4a5";
/// RFC 3610 packet vector #1: 8 header bytes, then 23 of message.
const RFC_3610_PACKET: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e";
/// Its output: the header, the ciphertext and the 8-byte MIC.
const RFC_3610_OUTPUT: &str = "0001020304050607588c979a61c663d2f066d0c2c0f989806d5f6b61dac38417\
                               e8d12cfdf926e0";

/// One CCM operation.
struct CcmRun<'a> {
    encrypt: bool,
    key: &'a str,
    nonce: &'a str,
    source: &'a [u8],
    /// Commands 5 to 8 and their values.
    settings: &'a [(u32, u32)],
    /// The destination's bytes before the operation (its length too).
    destination: &'a [u8],
}

impl Rig {
    /// Runs `run` as process 0: (upcall, destination after).
    fn ccm(&self, run: CcmRun) -> ([u32; 3], Vec<u8>) {
        let process = self.test.process_id(0);
        let aes = self.aes;
        self.test.allow_read_only(0, DRIVER, aes, 0, &hex(run.key));
        self.test
            .allow_read_only(0, DRIVER, aes, 1, &hex(run.nonce));
        self.test.allow_read_only(0, DRIVER, aes, 2, run.source);
        let length = run.destination.len();
        let (output, _) = self.test.allow_read_write(0, DRIVER, aes, 0, length);
        self.test.write(output, run.destination);
        self.test.subscribe(0, DRIVER, aes, 0);
        let encrypt = u32::from(run.encrypt);
        assert_eq!(
            aes.command(1, 3, encrypt, process),
            CommandReturn::success()
        );
        for &(command, value) in run.settings {
            assert_eq!(
                aes.command(command, value, 0, process),
                CommandReturn::success()
            );
        }
        assert_eq!(aes.command(2, 0, 0, process), CommandReturn::success());
        while self.calls.service_next() {}
        let upcall = self.test.take_upcalls(0)[0].arguments;
        // Release the engine (OFF when the operation never started).
        let _ = aes.command(4, 0, 0, process);
        (upcall, self.test.read(output, length))
    }
}

/// Commands 5 to 8 with their values.
type CcmSettingCommands = &'static [(u32, u32)];

/// Associated data 0..8, message from 8, an 8-byte MIC.
const RFC_3610_SETTINGS: CcmSettingCommands = &[(5, 0), (6, 8), (7, 8)];

#[test]
fn ccm_encrypts_rfc_3610_packet_vector_1() {
    let rig = rig();
    let (upcall, output) = rig.ccm(CcmRun {
        encrypt: true,
        key: RFC_3610_KEY,
        nonce: RFC_3610_NONCE,
        source: &hex(RFC_3610_PACKET),
        settings: RFC_3610_SETTINGS,
        destination: &[0; 39],
    });
    assert_eq!(upcall, [0, 31, 1], "31 source bytes, the MIC written");
    assert_eq!(output, hex(RFC_3610_OUTPUT));
}

#[test]
fn ccm_decrypts_in_place_and_says_whether_the_mic_matched() {
    let rig = rig();
    let packet = hex(RFC_3610_OUTPUT);
    let run = |received: &[u8]| {
        rig.ccm(CcmRun {
            encrypt: false,
            key: RFC_3610_KEY,
            nonce: RFC_3610_NONCE,
            source: &packet[..31],
            settings: RFC_3610_SETTINGS,
            destination: received,
        })
    };
    let (upcall, output) = run(&packet);
    assert_eq!(upcall, [0, 31, 1]);
    assert_eq!(output[..31], hex(RFC_3610_PACKET));
    let mut forged = packet.clone();
    forged[38] ^= 1;
    let (upcall, output) = run(&forged);
    assert_eq!(upcall, [0, 31, 0], "a wrong MIC does not match");
    assert_eq!(output[..31], hex(RFC_3610_PACKET));
}

#[test]
fn ccm_matches_upstream_libtock_c_aes_test() {
    // upstream libtock-c examples/tests/aes: key, nonce (the first 13 of
    // its 16 IV bytes), 96 bytes of source and the ciphertext it expects.
    let rig = rig();
    let text = b"A language empowering everyone to build reliable and efficient software.";
    let mut source = [0u8; 96];
    source[..text.len()].copy_from_slice(text);
    let expected = hex(
        "4a593d262ae0ebbba453885a0adc62d337ae96faa7f45d46b99e65c95abae6d3\
         81c1b97b011ec6b4f63b8a4c0b0beca627a39c0cebb4fa0abd2a9c705e88aad8\
         7ba7160d9b3c68bddea8f0d0652529f888074275ee72a386c82d3792a752f246",
    );
    let run = |destination: &[u8]| {
        rig.ccm(CcmRun {
            encrypt: true,
            key: SP800_38A_KEY,
            nonce: "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff",
            source: &source,
            settings: &[(7, 8)],
            destination,
        })
    };
    let (upcall, output) = run(&[0; 96]);
    assert_eq!(upcall, [0, 96, 0], "no room for the MIC");
    assert_eq!(output, expected);
    let (upcall, output) = run(&[0; 104]);
    assert_eq!(upcall, [0, 96, 1]);
    assert_eq!(output[..96], expected);
    assert_eq!(output[96..], hex("feb2598ca87a96a3"));
}

#[test]
fn ccm_without_confidentiality_authenticates_the_message_in_clear() {
    let rig = rig();
    let packet = hex(RFC_3610_PACKET);
    let (upcall, output) = rig.ccm(CcmRun {
        encrypt: true,
        key: RFC_3610_KEY,
        nonce: RFC_3610_NONCE,
        source: &packet,
        settings: &[(6, 8), (7, 8), (8, 0)],
        destination: &[0; 39],
    });
    assert_eq!(upcall, [0, 31, 1]);
    assert_eq!(output[..31], packet);
    assert_eq!(output[31..], hex("f6443b6fcd578e24"));
}

#[test]
fn ccm_with_a_16_byte_mic_and_associated_data_across_blocks() {
    let rig = rig();
    let source: Vec<u8> = (100..120).chain(200..240).collect();
    let (upcall, output) = rig.ccm(CcmRun {
        encrypt: true,
        key: RFC_3610_KEY,
        nonce: RFC_3610_NONCE,
        source: &source,
        settings: &[(6, 20), (7, 16)],
        destination: &[0; 76],
    });
    assert_eq!(upcall, [0, 60, 1]);
    assert_eq!(output[..20], source[..20]);
    assert_eq!(
        output[20..],
        hex(
            "984c575aa106a31230a6100200394940ad9faba11a03442084ed7ee53a88eb68\
             f6cb7fc100d285646519bca7fa97bc91fd6459591906052e"
        )
    );
}

#[test]
fn ccm_refuses_bad_settings_with_a_clear_code() {
    let rig = rig();
    let packet = hex(RFC_3610_PACKET);
    let cases: [(&str, CcmSettingCommands, u32); 4] = [
        (RFC_3610_NONCE, &[(6, 8), (7, 5)], ErrorCode::Inval as u32),
        (RFC_3610_NONCE, &[(6, 40), (7, 8)], ErrorCode::Inval as u32),
        (RFC_3610_NONCE, &[(5, 9), (6, 8)], ErrorCode::Inval as u32),
        (
            "000102030405060708090a0b",
            &[(5, 0), (6, 8)],
            ErrorCode::Size as u32,
        ),
    ];
    for (nonce, settings, status) in cases {
        let (upcall, _) = rig.ccm(CcmRun {
            encrypt: true,
            key: RFC_3610_KEY,
            nonce,
            source: &packet,
            settings,
            destination: &[0; 39],
        });
        assert_eq!(upcall[0], status, "{settings:?}, nonce {nonce}");
    }
}
