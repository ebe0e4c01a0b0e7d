//! Credentials: the credential ID every credential carries, and the record
//! a resident (discoverable) credential keeps in storage.
//!
//! ```text
//! credential ID (66 bytes):
//! | 0x01 | options (1) | key handle (64, u2f::key_handle) |
//! options: bits 0-1 credProtect level (1..=3), bit 2 hmac-secret,
//!          bit 3 resident
//! the key handle is wrapped for binding = SHA-256("ctap2 credential" ||
//! rpIdHash || options)
//! ```
//!
//! The private key only exists inside the key handle, encrypted and
//! authenticated under the device secret ([`u2f::key_handle`]), so an ID
//! given back for another relying party, or with its options changed,
//! fails to unwrap. A 64-byte ID is a U2F key handle (registered through
//! CTAPHID MSG) and is accepted for its application parameter, as CTAP 2.1
//! asks of authenticators that speak both.
//!
//! Resident record (value of a credential key, [`crate::persistent`]):
//! ```text
//! | 0x01 | sequence (u32 LE) | credential ID (66) | rpIdHash (32) |
//! | rp id (len u16 LE + bytes) | user id | user name | display name |
//! ```
//! (each text field as length then bytes; an absent name has length 0xFFFF).

use ctap_types::webauthn::PublicKeyCredentialUserEntity;
use ctap_types::{Bytes, String};
use p256::ecdsa::SigningKey;
use sha2::{Digest, Sha256};
use u2f::key_handle::{Wrapper, KEY_HANDLE, WRAP_RANDOMNESS};

/// Bytes in a credential ID made by CTAP2.
pub const CREDENTIAL_ID: usize = 2 + KEY_HANDLE;
/// The ID format's version byte.
const VERSION: u8 = 0x01;
/// Options: the credProtect level's bits.
const PROTECTION_MASK: u8 = 0b0011;
/// Options: hmac-secret was asked for.
const HMAC_SECRET: u8 = 0b0100;
/// Options: the credential is resident.
const RESIDENT: u8 = 0b1000;
/// The length that marks an absent text field.
const ABSENT: u16 = 0xFFFF;

/// What a credential ID says about its credential.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Options {
    /// credProtect level: 1 (userVerificationOptional), 2 (…WithCredentialIDList), 3 (…Required).
    pub protection: u8,
    /// hmac-secret is enabled for it.
    pub hmac_secret: bool,
    /// It is stored on the device.
    pub resident: bool,
}

impl Options {
    fn byte(self) -> u8 {
        (self.protection & PROTECTION_MASK)
            | if self.hmac_secret { HMAC_SECRET } else { 0 }
            | if self.resident { RESIDENT } else { 0 }
    }

    fn from_byte(byte: u8) -> Option<Options> {
        let protection = byte & PROTECTION_MASK;
        if protection == 0 || byte & !(PROTECTION_MASK | HMAC_SECRET | RESIDENT) != 0 {
            return None;
        }
        Some(Options {
            protection,
            hmac_secret: byte & HMAC_SECRET != 0,
            resident: byte & RESIDENT != 0,
        })
    }
}

/// A credential whose ID unwrapped: its key and options.
pub struct Unwrapped {
    /// The credential's private key.
    pub key: SigningKey,
    /// Its options (a U2F key handle has level 1, no hmac-secret).
    pub options: Options,
}

fn binding(rp_id_hash: &[u8; 32], options: u8) -> [u8; 32] {
    Sha256::new()
        .chain_update(b"ctap2 credential")
        .chain_update(rp_id_hash)
        .chain_update([options])
        .finalize()
        .into()
}

/// A new credential for `rp_id_hash` from `randomness`: its key and ID;
/// `None` if the randomness is not a valid scalar (draw again).
pub fn make(
    wrapper: &Wrapper,
    rp_id_hash: &[u8; 32],
    options: Options,
    randomness: &[u8; WRAP_RANDOMNESS],
) -> Option<(SigningKey, [u8; CREDENTIAL_ID])> {
    let byte = options.byte();
    let (key, handle) = wrapper.wrap(&binding(rp_id_hash, byte), randomness)?;
    let mut id = [0u8; CREDENTIAL_ID];
    id[0] = VERSION;
    id[1] = byte;
    id[2..].copy_from_slice(&handle);
    Some((key, id))
}

/// The options a credential ID carries, read without unwrapping its key
/// (which costs a scalar multiplication): for filtering the device's own
/// resident credentials, whose IDs the store holds. `None` for an ID this
/// format does not describe.
pub fn options_of(id: &[u8]) -> Option<Options> {
    if id.len() == KEY_HANDLE {
        return Some(Options {
            protection: 1,
            hmac_secret: false,
            resident: false,
        });
    }
    if id.len() != CREDENTIAL_ID || id[0] != VERSION {
        return None;
    }
    Options::from_byte(id[1])
}

/// The credential behind `id` if this device made it for `rp_id_hash`.
pub fn unwrap(wrapper: &Wrapper, rp_id_hash: &[u8; 32], id: &[u8]) -> Option<Unwrapped> {
    if id.len() == KEY_HANDLE {
        let key = wrapper.unwrap(rp_id_hash, id)?;
        let options = Options {
            protection: 1,
            hmac_secret: false,
            resident: false,
        };
        return Some(Unwrapped { key, options });
    }
    if id.len() != CREDENTIAL_ID || id[0] != VERSION {
        return None;
    }
    let options = Options::from_byte(id[1])?;
    let key = wrapper.unwrap(&binding(rp_id_hash, id[1]), &id[2..])?;
    Some(Unwrapped { key, options })
}

/// A resident credential as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resident {
    /// Creation order: larger is newer.
    pub sequence: u32,
    /// Its credential ID.
    pub id: [u8; CREDENTIAL_ID],
    /// SHA-256 of the relying party id.
    pub rp_id_hash: [u8; 32],
    /// The relying party id.
    pub rp_id: String<256>,
    /// The user (id, name, display name; no icon).
    pub user: PublicKeyCredentialUserEntity,
}

/// Appends length-prefixed fields to a record.
struct Writer<'a> {
    buffer: &'a mut [u8],
    length: usize,
}

impl Writer<'_> {
    fn put(&mut self, bytes: &[u8]) -> Option<()> {
        let end = self.length.checked_add(bytes.len())?;
        self.buffer
            .get_mut(self.length..end)?
            .copy_from_slice(bytes);
        self.length = end;
        Some(())
    }

    fn field(&mut self, bytes: Option<&[u8]>) -> Option<()> {
        match bytes {
            Some(bytes) => {
                self.put(&u16::try_from(bytes.len()).ok()?.to_le_bytes())?;
                self.put(bytes)
            }
            None => self.put(&ABSENT.to_le_bytes()),
        }
    }
}

/// Reads a record's fields in order.
struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, count: usize) -> Option<&'a [u8]> {
        if self.rest.len() < count {
            return None;
        }
        let (taken, rest) = self.rest.split_at(count);
        self.rest = rest;
        Some(taken)
    }

    fn field(&mut self) -> Option<Option<&'a [u8]>> {
        let length = u16::from_le_bytes(self.take(2)?.try_into().ok()?);
        if length == ABSENT {
            return Some(None);
        }
        self.take(usize::from(length)).map(Some)
    }

    fn text<const N: usize>(&mut self) -> Option<Option<String<N>>> {
        match self.field()? {
            None => Some(None),
            Some(bytes) => {
                let text = core::str::from_utf8(bytes).ok()?;
                Some(Some(String::try_from(text).ok()?))
            }
        }
    }
}

impl Resident {
    /// Writes the record into `buffer`; its length.
    pub fn encode(&self, buffer: &mut [u8]) -> Option<usize> {
        let mut writer = Writer { buffer, length: 0 };
        writer.put(&[VERSION])?;
        writer.put(&self.sequence.to_le_bytes())?;
        writer.put(&self.id)?;
        writer.put(&self.rp_id_hash)?;
        writer.field(Some(self.rp_id.as_bytes()))?;
        writer.field(Some(&self.user.id))?;
        writer.field(self.user.name.as_ref().map(|name| name.as_bytes()))?;
        writer.field(self.user.display_name.as_ref().map(|name| name.as_bytes()))?;
        Some(writer.length)
    }

    /// The record in `bytes`, or `None` if it is not one.
    pub fn decode(bytes: &[u8]) -> Option<Resident> {
        let mut reader = Reader { rest: bytes };
        if reader.take(1)? != [VERSION] {
            return None;
        }
        let sequence = u32::from_le_bytes(reader.take(4)?.try_into().ok()?);
        let id = reader.take(CREDENTIAL_ID)?.try_into().ok()?;
        let rp_id_hash = reader.take(32)?.try_into().ok()?;
        let rp_id = reader.text::<256>()??;
        let user_id = Bytes::try_from(reader.field()??).ok()?;
        let mut user = PublicKeyCredentialUserEntity::from(user_id);
        user.name = reader.text()?;
        user.display_name = reader.text()?;
        Some(Resident {
            sequence,
            id,
            rp_id_hash,
            rp_id,
            user,
        })
    }

    /// The options inside its ID.
    pub fn options(&self) -> Option<Options> {
        Options::from_byte(self.id[1])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RP: [u8; 32] = [0x41; 32];

    fn options(protection: u8) -> Options {
        Options {
            protection,
            hmac_secret: true,
            resident: false,
        }
    }

    #[test]
    fn an_id_unwraps_for_its_relying_party_with_its_options_only() {
        let wrapper = Wrapper::new(&[7; 32]);
        let (key, id) = make(&wrapper, &RP, options(2), &[9; WRAP_RANDOMNESS]).unwrap();
        let unwrapped = unwrap(&wrapper, &RP, &id).unwrap();
        assert_eq!(unwrapped.key.to_bytes(), key.to_bytes());
        assert_eq!(unwrapped.options, options(2));
        assert!(unwrap(&wrapper, &[0x42; 32], &id).is_none());
        let mut weakened = id;
        weakened[1] = options(1).byte();
        assert!(unwrap(&wrapper, &RP, &weakened).is_none());
        assert!(unwrap(&wrapper, &RP, &id[..65]).is_none());
    }

    #[test]
    fn a_u2f_key_handle_is_a_level_one_credential() {
        let wrapper = Wrapper::new(&[7; 32]);
        let (key, handle) = wrapper.wrap(&RP, &[5; WRAP_RANDOMNESS]).unwrap();
        let unwrapped = unwrap(&wrapper, &RP, &handle).unwrap();
        assert_eq!(unwrapped.key.to_bytes(), key.to_bytes());
        assert_eq!(unwrapped.options.protection, 1);
    }

    #[test]
    fn a_record_survives_encoding_and_garbage_is_refused() {
        let mut user =
            PublicKeyCredentialUserEntity::from(Bytes::try_from(&[1u8; 64][..]).unwrap());
        user.name = Some(String::try_from("ada").unwrap());
        let record = Resident {
            sequence: 7,
            id: [3; CREDENTIAL_ID],
            rp_id_hash: RP,
            rp_id: String::try_from("example.com").unwrap(),
            user,
        };
        let mut buffer = [0u8; 1024];
        let length = record.encode(&mut buffer).unwrap();
        assert_eq!(Resident::decode(&buffer[..length]), Some(record));
        for cut in 0..length {
            assert!(Resident::decode(&buffer[..cut]).is_none(), "cut at {cut}");
        }
        buffer[0] = 2;
        assert!(Resident::decode(&buffer[..length]).is_none());
    }
}
