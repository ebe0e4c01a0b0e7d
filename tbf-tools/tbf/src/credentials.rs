//! Zero-copy footers and credential checking (no allocation).
//!
//! The footer area `[binary_end_offset, total_size)` holds TLVs. Type 128
//! is a credentials footer (format word, then data); anything else is
//! reported as [`Footer::Other`]. Footers follow each other with no
//! alignment padding (`binary_end_offset` itself need not be a multiple of
//! 4). A run of fewer than 4 trailing zero bytes is padding.

use crate::bytes::read_u16;
use crate::crypto::{self, VerifyingKey};
use crate::error::{ExpectedLength, ParseError};
use crate::parse::read_format;
use crate::types::{CredentialsFormat, TlvType, TLV_HEADER_SIZE};

/// A credentials footer, borrowed from the image.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Credential<'a> {
    /// Offset of the footer's type field from the image start.
    pub offset: usize,
    /// The format word.
    pub format: CredentialsFormat,
    /// The data after the format word.
    pub data: &'a [u8],
}

/// One footer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Footer<'a> {
    /// A credentials footer (type 128).
    Credentials(Credential<'a>),
    /// Any other footer type (skipped, reported).
    Other {
        /// Offset from the image start.
        offset: usize,
        /// The raw type.
        tlv_type: u16,
        /// The raw value.
        value: &'a [u8],
    },
}

/// The verdict on one credential.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CredentialCheck {
    /// The digest matches, or the signature verifies with the given key.
    Verified,
    /// The digest differs, or the signature does not verify with the key.
    Failed,
    /// A signature, but no key was given to check it with.
    NoKey,
    /// Reserved space: nothing to check.
    Reserved,
    /// A format this crate recognises but cannot check (RSA, HMAC,
    /// cleartext id) or does not know.
    Unsupported,
}

impl<'a> Credential<'a> {
    /// Checks this credential against `integrity_region` (the image's
    /// `[0, binary_end_offset)`); ECDSA P-256 needs `key`.
    pub fn check(&self, integrity_region: &[u8], key: Option<&VerifyingKey>) -> CredentialCheck {
        let digest_matches = |digest: &[u8]| {
            if digest == self.data {
                CredentialCheck::Verified
            } else {
                CredentialCheck::Failed
            }
        };
        match self.format {
            CredentialsFormat::Reserved => CredentialCheck::Reserved,
            CredentialsFormat::Sha256 => digest_matches(&crypto::sha256(integrity_region)),
            CredentialsFormat::Sha384 => digest_matches(&crypto::sha384(integrity_region)),
            CredentialsFormat::Sha512 => digest_matches(&crypto::sha512(integrity_region)),
            CredentialsFormat::EcdsaNistP256 => match key {
                None => CredentialCheck::NoKey,
                Some(key) if crypto::ecdsa_p256_verify(integrity_region, self.data, key) => {
                    CredentialCheck::Verified
                }
                Some(_) => CredentialCheck::Failed,
            },
            CredentialsFormat::Rsa3072Key
            | CredentialsFormat::Rsa4096Key
            | CredentialsFormat::Rsa2048
            | CredentialsFormat::HmacSha256
            | CredentialsFormat::CleartextId
            | CredentialsFormat::Unknown(_) => CredentialCheck::Unsupported,
        }
    }
}

/// Iterator over the footers; stops after the first error.
#[derive(Clone, Debug)]
pub struct FooterIter<'a> {
    area: &'a [u8],
    /// Offset of `area` from the image start.
    base_offset: usize,
    total_size: u32,
    position: usize,
    failed: bool,
}

impl<'a> FooterIter<'a> {
    pub(crate) fn new(area: &'a [u8], base_offset: usize, total_size: u32) -> Self {
        FooterIter {
            area,
            base_offset,
            total_size,
            position: 0,
            failed: false,
        }
    }

    fn decode_next(&mut self) -> Result<Footer<'a>, ParseError> {
        let offset = self.base_offset.saturating_add(self.position);
        let tlv_type =
            read_u16(self.area, self.position).ok_or(ParseError::FooterTruncated { offset })?;
        let length = read_u16(self.area, self.position.saturating_add(2))
            .ok_or(ParseError::FooterTruncated { offset })?;
        let start = self.position.saturating_add(TLV_HEADER_SIZE);
        let end = start.saturating_add(usize::from(length));
        let value = self
            .area
            .get(start..end)
            .ok_or(ParseError::FooterOverrunsImage {
                offset,
                length,
                total_size: self.total_size,
            })?;
        // Footers are not aligned: the next starts right after this value.
        self.position = end;
        if tlv_type != TlvType::Credentials as u16 {
            return Ok(Footer::Other {
                offset,
                tlv_type,
                value,
            });
        }
        let format = read_format(value).ok_or(ParseError::BadTlvLength {
            offset,
            tlv_type,
            length,
            expected: ExpectedLength::AtLeast(4),
        })?;
        let data = value.get(4..).unwrap_or_default();
        if let Some(expected) = format.data_length() {
            if data.len() != expected {
                return Err(ParseError::CredentialLength {
                    offset,
                    format,
                    data_length: data.len(),
                    expected,
                });
            }
        }
        Ok(Footer::Credentials(Credential {
            offset,
            format,
            data,
        }))
    }
}

impl<'a> Iterator for FooterIter<'a> {
    type Item = Result<Footer<'a>, ParseError>;

    fn next(&mut self) -> Option<Self::Item> {
        let rest = self.area.get(self.position..).unwrap_or_default();
        if self.failed || rest.is_empty() {
            return None;
        }
        if rest.len() < TLV_HEADER_SIZE && rest.iter().all(|b| *b == 0) {
            self.position = self.area.len();
            return None;
        }
        let result = self.decode_next();
        if result.is_err() {
            self.failed = true;
        }
        Some(result)
    }
}
