//! SHA driver (0x40005), upstream's interface (tock's
//! `capsules/extra/src/sha.rs`), which upstream libtock-c's apps use:
//!
//! - read-only buffer 0: the data; 1: the digest a verify compares with
//! - read-write buffer 0: the digest
//! - command 0: the existence check (Success)
//! - command 1 (algorithm): select 0 SHA-256 (the default), 1 SHA-384,
//!   2 SHA-512, or 3 SHA-1 (an extension)
//! - command 2 hash: digest read-only buffer 0 into read-write buffer 0
//! - command 3 verify: digest buffer 0, compare with read-only buffer 1
//! - command 4 update, 5 finish (extensions, not upstream's): add
//!   read-only buffer 0 to a running digest; write it into read-write
//!   buffer 0
//! - subscribe 0: `(status, 0, 0)` after hash, update and finish;
//!   subscribe 1: `(status, 1 if equal else 0, 0)` after verify
//!
//! The machinery is [`crate::digest_driver`], shared with HMAC.

use kernel::hil::digest::{Digest, MAX_DIGEST_BYTES};

use crate::digest_driver::{DigestDriver, DigestGrant, Flavour};

/// The SHA driver.
pub type Sha<'a> = DigestDriver<'a>;

/// A SHA driver over `engine` (set the driver as the engine's client).
pub fn new<'a>(
    engine: &'a dyn Digest<'a>,
    grant: DigestGrant,
    data_buffer: &'static mut [u8],
    digest_buffer: &'static mut [u8; MAX_DIGEST_BYTES],
) -> Sha<'a> {
    DigestDriver::new(engine, grant, Flavour::Hash, data_buffer, digest_buffer)
}

#[cfg(test)]
pub(crate) mod tests {
    extern crate std;
    use super::*;
    use crate::software_digest::SoftwareDigest;
    use crate::test_support::buffer;
    use kernel::deferred_call::DeferredCalls;
    use kernel::driver::SyscallDriver;
    use kernel::hil::digest::Digest;
    use kernel::testing::{TestCapability, TestKernel};
    use kernel::CommandReturn;
    use std::boxed::Box;
    use std::vec::Vec;

    pub(crate) const DRIVER: u32 = kernel_abi::DriverNumber::SHA.0;

    /// A digest driver of `flavour` over the software engine, with a small
    /// data buffer so that chunking is exercised.
    pub(crate) fn harness(
        flavour: Flavour,
        driver_number: u32,
        processes: usize,
    ) -> (
        TestKernel,
        &'static DigestDriver<'static>,
        &'static DeferredCalls,
    ) {
        let test = TestKernel::new(processes, 4096);
        let calls: &'static DeferredCalls = Box::leak(Box::new(DeferredCalls::new()));
        let call = calls.allocate();
        let engine: &'static SoftwareDigest = Box::leak(Box::new(SoftwareDigest::new(call)));
        call.register(engine);
        let digest: &'static mut [u8; MAX_DIGEST_BYTES] = Box::leak(Box::new([0; 64]));
        let driver: &'static DigestDriver<'static> = Box::leak(Box::new(DigestDriver::new(
            engine,
            test.kernel.create_grant(driver_number, &TestCapability),
            flavour,
            buffer(7),
            digest,
        )));
        engine.set_client(driver);
        (test, driver, calls)
    }

    pub(crate) fn run_all(calls: &DeferredCalls) {
        while calls.service_next() {}
    }

    pub(crate) fn hex(text: &str) -> Vec<u8> {
        (0..text.len())
            .step_by(2)
            .map(|index| u8::from_str_radix(&text[index..index + 2], 16).unwrap())
            .collect()
    }

    fn digest_of(algorithm: u32, data: &[u8], length: usize) -> Vec<u8> {
        let (test, sha, calls) = harness(Flavour::Hash, DRIVER, 1);
        test.allow_read_only(0, DRIVER, sha, 0, data);
        let (destination, _) = test.allow_read_write(0, DRIVER, sha, 0, length);
        test.subscribe(0, DRIVER, sha, 0);
        assert_eq!(
            sha.command(1, algorithm, 0, test.process_id(0)),
            CommandReturn::success()
        );
        assert_eq!(
            sha.command(2, 0, 0, test.process_id(0)),
            CommandReturn::success()
        );
        assert!(test.take_upcalls(0).is_empty(), "no upcall from the call");
        run_all(calls);
        assert_eq!(test.take_upcalls(0)[0].arguments, [0, 0, 0]);
        test.read(destination, length)
    }

    #[test]
    fn fips_180_vectors() {
        let two_blocks = b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
        assert_eq!(
            digest_of(0, b"abc", 32),
            hex("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        );
        assert_eq!(
            digest_of(0, two_blocks, 32),
            hex("248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        );
        assert_eq!(
            digest_of(0, b"", 32),
            hex("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        );
        assert_eq!(
            digest_of(1, b"abc", 48),
            hex(
                "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed\
                 8086072ba1e7cc2358baeca134c825a7"
            )
        );
        assert_eq!(
            digest_of(2, b"abc", 64),
            hex(
                "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a\
                 2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"
            )
        );
        assert_eq!(
            digest_of(3, b"abc", 20),
            hex("a9993e364706816aba3e25717850c26c9cd0d89d")
        );
    }

    #[test]
    fn update_then_finish_equals_run() {
        let (test, sha, calls) = harness(Flavour::Hash, DRIVER, 1);
        let process = test.process_id(0);
        test.subscribe(0, DRIVER, sha, 0);
        let (destination, _) = test.allow_read_write(0, DRIVER, sha, 0, 32);
        for part in [
            &b"abcdbcdecdefdefgefghfghighijhijk"[..],
            b"ijkljklmklmnlmnomnopnopq",
        ] {
            test.allow_read_only(0, DRIVER, sha, 0, part);
            assert_eq!(sha.command(4, 0, 0, process), CommandReturn::success());
            run_all(calls);
            assert_eq!(test.take_upcalls(0)[0].arguments, [0, 0, 0]);
        }
        assert_eq!(sha.command(5, 0, 0, process), CommandReturn::success());
        run_all(calls);
        assert_eq!(test.take_upcalls(0)[0].arguments, [0, 0, 0]);
        assert_eq!(
            test.read(destination, 32),
            hex("248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        );
    }

    #[test]
    fn verify_says_whether_the_digest_matches() {
        let (test, sha, calls) = harness(Flavour::Hash, DRIVER, 1);
        let process = test.process_id(0);
        test.subscribe(0, DRIVER, sha, 1);
        sha.command(1, 0, 0, process);
        test.allow_read_only(0, DRIVER, sha, 0, b"abc");
        let good = hex("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        test.allow_read_only(0, DRIVER, sha, 1, &good);
        assert_eq!(sha.command(3, 0, 0, process), CommandReturn::success());
        run_all(calls);
        assert_eq!(test.take_upcalls(0)[0].arguments, [0, 1, 0]);
        let mut bad = good.clone();
        bad[31] ^= 1;
        test.allow_read_only(0, DRIVER, sha, 1, &bad);
        sha.command(3, 0, 0, process);
        run_all(calls);
        assert_eq!(test.take_upcalls(0)[0].arguments, [0, 0, 0]);
    }

    #[test]
    fn command_zero_is_the_existence_check_and_sha_256_the_default() {
        let (test, sha, calls) = harness(Flavour::Hash, DRIVER, 1);
        let process = test.process_id(0);
        assert_eq!(sha.command(0, 7, 0, process), CommandReturn::success());
        test.allow_read_only(0, DRIVER, sha, 0, b"abc");
        let (destination, _) = test.allow_read_write(0, DRIVER, sha, 0, 32);
        test.subscribe(0, DRIVER, sha, 0);
        assert_eq!(sha.command(2, 0, 0, process), CommandReturn::success());
        run_all(calls);
        assert_eq!(test.take_upcalls(0)[0].arguments, [0, 0, 0]);
        assert_eq!(
            test.read(destination, 32),
            hex("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        );
    }

    #[test]
    fn upstream_test_vector_digests_as_upstream_expects() {
        // upstream libtock-c examples/tests/sha: its data and expected digest.
        let data = b"A language empowering everyone to build reliable and efficient software.";
        assert_eq!(
            digest_of(0, data, 32),
            hex("d91344acb529e08ac17bf4209e664248366c5d95ecfe95d1e5077780659a915b")
        );
    }

    #[test]
    fn bad_requests_fail_with_a_clear_code() {
        let (test, sha, _calls) = harness(Flavour::Hash, DRIVER, 1);
        let process = test.process_id(0);
        assert_eq!(
            sha.command(1, 9, 0, process),
            CommandReturn::failure(ErrorCode::NoSupport)
        );
        assert_eq!(
            sha.command(2, 0, 0, process),
            CommandReturn::failure(ErrorCode::Size),
            "no destination allowed"
        );
        test.allow_read_write(0, DRIVER, sha, 0, 16);
        assert_eq!(
            sha.command(2, 0, 0, process),
            CommandReturn::failure(ErrorCode::Size),
            "destination shorter than the digest"
        );
        assert_eq!(
            sha.command(9, 0, 0, process),
            CommandReturn::failure(ErrorCode::NoSupport)
        );
    }

    #[test]
    fn two_processes_are_served_in_turn() {
        let (test, sha, calls) = harness(Flavour::Hash, DRIVER, 2);
        let mut destinations = Vec::new();
        for (index, data) in [&b"abc"[..], b""].into_iter().enumerate() {
            test.subscribe(index, DRIVER, sha, 0);
            test.allow_read_only(index, DRIVER, sha, 0, data);
            destinations.push(test.allow_read_write(index, DRIVER, sha, 0, 32).0);
            assert_eq!(
                sha.command(2, 0, 0, test.process_id(index)),
                CommandReturn::success()
            );
        }
        run_all(calls);
        assert_eq!(
            test.read(destinations[0], 32),
            hex("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        );
        assert_eq!(
            test.read(destinations[1], 32),
            hex("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        );
    }

    use kernel::ErrorCode;
}
