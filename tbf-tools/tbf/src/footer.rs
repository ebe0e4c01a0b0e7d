//! Owned credentials footers (feature `alloc`).
//!
//! A credentials footer on flash:
//!
//! ```text
//! 0        2          4             8
//! +--------+----------+-------------+------------------+
//! | 128    | length   | format u32  | data[length - 4] |
//! +--------+----------+-------------+------------------+
//! ```
//!
//! `length` counts the format word and the data. elf2tab writes the
//! footers directly after `binary_end_offset`, in the order SHA-256,
//! SHA-384, SHA-512, RSA-4096, ECDSA P-256, then one Reserved footer that
//! fills the remaining space (if 8 bytes or more remain).

use alloc::vec;
use alloc::vec::Vec;

use crate::crypto;
use crate::error::BuildError;
use crate::types::{CredentialsFormat, TlvType};

/// Size of a credentials footer with no data: type, length, format.
pub const CREDENTIALS_FOOTER_OVERHEAD: usize = 8;

/// One owned credentials footer.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct FooterCredential {
    /// The format word.
    pub format: CredentialsFormat,
    /// The data after the format word.
    pub data: Vec<u8>,
}

impl FooterCredential {
    /// A footer with the given format and data.
    pub fn new(format: CredentialsFormat, data: Vec<u8>) -> FooterCredential {
        FooterCredential { format, data }
    }

    /// A Reserved footer taking exactly `total_length` bytes on flash
    /// (including its 8-byte type, length and format). Its data is zeros.
    pub fn reserved(total_length: usize) -> Result<FooterCredential, BuildError> {
        let data_length = total_length
            .checked_sub(CREDENTIALS_FOOTER_OVERHEAD)
            .ok_or(BuildError::ReservedFooterTooSmall {
                length: total_length,
            })?;
        Ok(FooterCredential::new(
            CredentialsFormat::Reserved,
            vec![0; data_length],
        ))
    }

    /// A SHA-256 credential over `integrity_region`.
    pub fn sha256(integrity_region: &[u8]) -> FooterCredential {
        FooterCredential::new(
            CredentialsFormat::Sha256,
            crypto::sha256(integrity_region).to_vec(),
        )
    }

    /// A SHA-384 credential over `integrity_region`.
    pub fn sha384(integrity_region: &[u8]) -> FooterCredential {
        FooterCredential::new(
            CredentialsFormat::Sha384,
            crypto::sha384(integrity_region).to_vec(),
        )
    }

    /// A SHA-512 credential over `integrity_region`.
    pub fn sha512(integrity_region: &[u8]) -> FooterCredential {
        FooterCredential::new(
            CredentialsFormat::Sha512,
            crypto::sha512(integrity_region).to_vec(),
        )
    }

    /// An ECDSA P-256 credential (`r || s`) over SHA-256 of `integrity_region`.
    /// `None` only if the signing library fails.
    pub fn ecdsa_p256(
        integrity_region: &[u8],
        key: &crypto::SigningKey,
    ) -> Option<FooterCredential> {
        let signature = crypto::ecdsa_p256_sign(integrity_region, key)?;
        Some(FooterCredential::new(
            CredentialsFormat::EcdsaNistP256,
            signature.to_vec(),
        ))
    }

    /// A footer of this format with zeroed data of the right length (for
    /// sizing before the region is final). `None` for formats with no
    /// fixed length.
    pub fn placeholder(format: CredentialsFormat) -> Option<FooterCredential> {
        Some(FooterCredential::new(
            format,
            vec![0; format.data_length()?],
        ))
    }

    /// Bytes this footer takes on flash (type, length, format, data).
    pub fn encoded_len(&self) -> usize {
        CREDENTIALS_FOOTER_OVERHEAD.saturating_add(self.data.len())
    }

    /// Appends the footer. Footers are not padded: the next one starts right
    /// after the data (as elf2tab writes and tockloader reads them).
    pub fn write_to(&self, out: &mut Vec<u8>) -> Result<(), BuildError> {
        let length = self
            .data
            .len()
            .checked_add(4)
            .and_then(|l| u16::try_from(l).ok())
            .ok_or(BuildError::TlvTooLong {
                tlv_type: TlvType::Credentials as u16,
                length: self.data.len(),
            })?;
        out.extend_from_slice(&(TlvType::Credentials as u16).to_le_bytes());
        out.extend_from_slice(&length.to_le_bytes());
        out.extend_from_slice(&self.format.to_u32().to_le_bytes());
        out.extend_from_slice(&self.data);
        Ok(())
    }

    /// The footer's bytes.
    pub fn to_bytes(&self) -> Result<Vec<u8>, BuildError> {
        let mut out = Vec::with_capacity(self.encoded_len());
        self.write_to(&mut out)?;
        Ok(out)
    }
}

/// Serialises footers back to back, in order.
pub fn footers_to_bytes(footers: &[FooterCredential]) -> Result<Vec<u8>, BuildError> {
    let mut out = Vec::new();
    for footer in footers {
        footer.write_to(&mut out)?;
    }
    Ok(out)
}
