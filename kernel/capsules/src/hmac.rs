//! HMAC driver (0x40003), upstream's interface:
//!
//! - read-only buffer 0: the key (at most
//!   [`crate::digest_driver::MAX_KEY_BYTES`]); 1: the data
//! - read-write buffer 2: the MAC
//! - command 0 (algorithm): select HMAC with 0 SHA-256, 1 SHA-384,
//!   2 SHA-512, or 3 SHA-1 (an extension: RFC 4226 HOTP needs it); the
//!   existence check
//! - command 1 run, 2 update, 3 finish (as SHA's); the key is taken when a
//!   computation starts (run, or the first update)
//! - subscribe 0: `(status, 0, 0)`
//!
//! The machinery is [`crate::digest_driver`], shared with SHA.

use kernel::hil::digest::{Digest, MAX_DIGEST_BYTES};

use crate::digest_driver::{DigestDriver, DigestGrant, Flavour};

/// The HMAC driver.
pub type HmacDriver<'a> = DigestDriver<'a>;

/// An HMAC driver over `engine` (set the driver as the engine's client).
pub fn new<'a>(
    engine: &'a dyn Digest<'a>,
    grant: DigestGrant,
    data_buffer: &'static mut [u8],
    digest_buffer: &'static mut [u8; MAX_DIGEST_BYTES],
) -> HmacDriver<'a> {
    DigestDriver::new(engine, grant, Flavour::Hmac, data_buffer, digest_buffer)
}

#[cfg(test)]
mod tests {
    extern crate std;
    use crate::digest_driver::Flavour;
    use crate::sha::tests::{harness, hex, run_all};
    use kernel::driver::SyscallDriver;
    use kernel::CommandReturn;
    use std::vec::Vec;

    const DRIVER: u32 = kernel_abi::DriverNumber::HMAC.0;

    fn mac(algorithm: u32, key: &[u8], data: &[u8], length: usize) -> Vec<u8> {
        let (test, hmac, calls) = harness(Flavour::Hmac, DRIVER, 1);
        let process = test.process_id(0);
        test.allow_read_only(0, DRIVER, hmac, 0, key);
        test.allow_read_only(0, DRIVER, hmac, 1, data);
        let (destination, _) = test.allow_read_write(0, DRIVER, hmac, 2, length);
        test.subscribe(0, DRIVER, hmac, 0);
        assert_eq!(
            hmac.command(0, algorithm, 0, process),
            CommandReturn::success()
        );
        assert_eq!(hmac.command(1, 0, 0, process), CommandReturn::success());
        run_all(calls);
        assert_eq!(test.take_upcalls(0)[0].arguments, [0, 0, 0]);
        test.read(destination, length)
    }

    #[test]
    fn rfc_4231_vectors() {
        assert_eq!(
            mac(0, &[0x0b; 20], b"Hi There", 32),
            hex("b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7")
        );
        assert_eq!(
            mac(0, b"Jefe", b"what do ya want for nothing?", 32),
            hex("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
        );
        // Case 6: a key longer than the block is hashed first.
        assert_eq!(
            mac(
                0,
                &[0xaa; 131],
                b"Test Using Larger Than Block-Size Key - Hash Key First",
                32
            ),
            hex("60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54")
        );
        assert_eq!(
            mac(2, b"Jefe", b"what do ya want for nothing?", 64),
            hex(
                "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554\
                 9758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737"
            )
        );
    }

    #[test]
    fn rfc_2202_sha1_vectors() {
        assert_eq!(
            mac(3, &[0x0b; 20], b"Hi There", 20),
            hex("b617318655057264e28bc0b6fb378c8ef146be00")
        );
        assert_eq!(
            mac(3, b"Jefe", b"what do ya want for nothing?", 20),
            hex("effcdf6ae5eb2fa2d27416d5f184df9c259a7c79")
        );
        assert_eq!(
            mac(
                3,
                &[0xaa; 80],
                b"Test Using Larger Than Block-Size Key - Hash Key First",
                20
            ),
            hex("aa4ae5e15272d00e95705637ce8a3b55ed402112")
        );
    }

    #[test]
    fn rfc_4226_hotp_counter_zero() {
        // The HMAC-SHA1 value of RFC 4226 appendix D, count 0.
        assert_eq!(
            mac(3, b"12345678901234567890", &[0u8; 8], 20),
            hex("cc93cf18508d94934c64b65d8ba7667fb7cde4b0")
        );
    }

    #[test]
    fn a_run_before_an_algorithm_is_selected_is_refused() {
        let (test, hmac, _calls) = harness(Flavour::Hmac, DRIVER, 1);
        let process = test.process_id(0);
        test.allow_read_write(0, DRIVER, hmac, 2, 32);
        assert_eq!(
            hmac.command(1, 0, 0, process),
            CommandReturn::failure(kernel::ErrorCode::Reserve)
        );
        assert_eq!(
            hmac.command(0, 9, 0, process),
            CommandReturn::failure(kernel::ErrorCode::NoSupport),
            "command 0 selects the algorithm, as upstream's HMAC"
        );
    }

    #[test]
    fn an_oversized_key_is_a_size_error() {
        let (test, hmac, calls) = harness(Flavour::Hmac, DRIVER, 1);
        let process = test.process_id(0);
        test.allow_read_only(0, DRIVER, hmac, 0, &[1u8; 300]);
        test.allow_read_write(0, DRIVER, hmac, 2, 32);
        test.subscribe(0, DRIVER, hmac, 0);
        hmac.command(0, 0, 0, process);
        assert_eq!(hmac.command(1, 0, 0, process), CommandReturn::success());
        run_all(calls);
        assert_eq!(
            test.take_upcalls(0)[0].arguments,
            [kernel::ErrorCode::Size as u32, 0, 0]
        );
    }
}
