//! The HOTP value (RFC 4226 section 5.3): dynamic truncation of an HMAC
//! and reduction to 6 to 8 decimal digits, written as text. TOTP (RFC
//! 6238) is HOTP with the counter taken from the time.

/// Digits a code may have (RFC 4226 requires at least 6).
pub const MIN_DIGITS: u8 = 6;
/// The most digits a code may have (31 bits hold 9; 8 is the RFC's largest).
pub const MAX_DIGITS: u8 = 8;

/// The counter as the HMAC message: 8 bytes, big-endian.
pub fn counter_message(counter: u64) -> [u8; 8] {
    counter.to_be_bytes()
}

/// TOTP's time step X (RFC 6238 section 4.1: 30 seconds by default, and
/// what authenticator apps and `oathtool --totp` use).
pub const TOTP_STEP_SECONDS: u64 = 30;

/// TOTP's counter T at `unix_seconds`: whole steps since T0 = 0.
pub fn totp_counter(unix_seconds: u64) -> u64 {
    unix_seconds / TOTP_STEP_SECONDS
}

/// Dynamic truncation of `mac` (at least 20 bytes): the 31-bit value at the
/// offset named by the low nibble of the last byte. `None` for a shorter MAC.
pub fn truncate(mac: &[u8]) -> Option<u32> {
    if mac.len() < 20 {
        return None;
    }
    let offset = usize::from(mac[mac.len() - 1] & 0x0f);
    let bytes = mac.get(offset..offset + 4)?;
    Some(u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]) & 0x7fff_ffff)
}

/// A code: `digits` decimal digits, as ASCII.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Code {
    text: [u8; MAX_DIGITS as usize],
    digits: u8,
}

impl Code {
    /// The code of `mac` with `digits` digits (`None` if `digits` is out of
    /// range or the MAC too short).
    pub fn from_mac(mac: &[u8], digits: u8) -> Option<Code> {
        if !(MIN_DIGITS..=MAX_DIGITS).contains(&digits) {
            return None;
        }
        let mut value = truncate(mac)? % 10u32.pow(u32::from(digits));
        let mut text = [b'0'; MAX_DIGITS as usize];
        for place in (0..usize::from(digits)).rev() {
            text[place] = b'0' + (value % 10) as u8;
            value /= 10;
        }
        Some(Code { text, digits })
    }

    /// The digits as ASCII.
    pub fn as_bytes(&self) -> &[u8] {
        &self.text[..usize::from(self.digits)]
    }

    /// The digits as text.
    pub fn as_str(&self) -> &str {
        core::str::from_utf8(self.as_bytes()).unwrap_or("")
    }
}

#[cfg(test)]
mod tests {
    extern crate std;

    use super::*;
    use hmac::{Hmac, Mac};
    use std::string::String;

    const SECRET: &[u8] = b"12345678901234567890";

    fn hmac_sha1(counter: u64) -> [u8; 20] {
        let mut mac = Hmac::<sha1::Sha1>::new_from_slice(SECRET).unwrap();
        mac.update(&counter_message(counter));
        mac.finalize().into_bytes().into()
    }

    #[test]
    fn rfc_4226_appendix_d_vectors() {
        let truncated = [
            1284755224u32,
            1094287082,
            137359152,
            1726969429,
            1640338314,
            868254676,
            1918287922,
            82162583,
            673399871,
            645520489,
        ];
        let codes = [
            "755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583",
            "399871", "520489",
        ];
        for counter in 0..10u64 {
            let mac = hmac_sha1(counter);
            assert_eq!(truncate(&mac), Some(truncated[counter as usize]));
            let code = Code::from_mac(&mac, 6).unwrap();
            assert_eq!(code.as_str(), codes[counter as usize]);
        }
    }

    #[test]
    fn rfc_4226_section_5_4_example_truncates_at_offset_10() {
        let mac = [
            0x1f, 0x86, 0x98, 0x69, 0x0e, 0x02, 0xca, 0x16, 0x61, 0x85, 0x50, 0xef, 0x7f, 0x19,
            0xda, 0x8e, 0x94, 0x5b, 0x55, 0x5a,
        ];
        assert_eq!(truncate(&mac), Some(0x50ef7f19));
        assert_eq!(Code::from_mac(&mac, 6).unwrap().as_str(), "872921");
    }

    #[test]
    fn eight_digit_codes_keep_leading_zeros() {
        // Counter 7 truncates to 82162583: eight digits "82162583".
        assert_eq!(
            Code::from_mac(&hmac_sha1(7), 8).unwrap().as_str(),
            "82162583"
        );
        // Counter 2 truncates to 137359152: "37359152" keeps its digits.
        assert_eq!(
            Code::from_mac(&hmac_sha1(2), 8).unwrap().as_str(),
            "37359152"
        );
        let mut mac = [0u8; 20];
        mac[3] = 7;
        assert_eq!(Code::from_mac(&mac, 6).unwrap().as_str(), "000007");
    }

    fn hmac_code<M: Mac + hmac::digest::KeyInit>(secret: &[u8], seconds: u64) -> String {
        let mut mac = <M as hmac::digest::KeyInit>::new_from_slice(secret).unwrap();
        mac.update(&counter_message(totp_counter(seconds)));
        let mac = mac.finalize().into_bytes();
        String::from(Code::from_mac(&mac, 8).unwrap().as_str())
    }

    #[test]
    fn rfc_6238_appendix_b_vectors() {
        let sha256_secret = b"12345678901234567890123456789012";
        // (time, SHA-1 code, SHA-256 code), eight digits.
        let vectors = [
            (59, "94287082", "46119246"),
            (1_111_111_109, "07081804", "68084774"),
            (1_111_111_111, "14050471", "67062674"),
            (1_234_567_890, "89005924", "91819424"),
            (2_000_000_000, "69279037", "90698825"),
            (20_000_000_000, "65353130", "77737706"),
        ];
        for (seconds, sha1_code, sha256_code) in vectors {
            assert_eq!(hmac_code::<Hmac<sha1::Sha1>>(SECRET, seconds), sha1_code);
            assert_eq!(
                hmac_code::<Hmac<sha2::Sha256>>(sha256_secret, seconds),
                sha256_code
            );
        }
    }

    #[test]
    fn a_totp_code_holds_for_one_whole_step() {
        assert_eq!(totp_counter(0), 0);
        assert_eq!(totp_counter(29), 0);
        assert_eq!(totp_counter(30), 1);
        assert_eq!(totp_counter(59), 1);
        assert_eq!(totp_counter(1_111_111_109), 37_037_036);
        assert_eq!(totp_counter(1_111_111_111), 37_037_037);
    }

    #[test]
    fn bad_lengths_are_refused() {
        assert_eq!(Code::from_mac(&[0u8; 19], 6), None);
        assert_eq!(Code::from_mac(&[0u8; 20], 5), None);
        assert_eq!(Code::from_mac(&[0u8; 20], 9), None);
        assert_eq!(truncate(&[0u8; 32]), Some(0));
    }
}
