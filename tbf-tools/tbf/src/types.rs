//! The TBF v2 vocabulary: numbers, flags and the fixed-layout TLV values.
//!
//! Every multi-byte field in a TBF image is little-endian. The fixed-layout
//! values here decode from and encode to exactly their on-flash bytes; both
//! the zero-copy parser and the owned model use them.

use crate::bytes::{read_u16, read_u32, read_u64};

/// The only TBF header version this crate reads and writes.
pub const TBF_VERSION: u16 = 2;
/// Size of the base header (version, header_size, total_size, flags, checksum).
pub const BASE_HEADER_SIZE: usize = 16;
/// Size of a TLV's type and length fields.
pub const TLV_HEADER_SIZE: usize = 4;
/// Byte offset of the checksum word in the base header.
pub const CHECKSUM_OFFSET: usize = 12;
/// Flags bit 0: the kernel starts the process at boot.
pub const FLAG_ENABLED: u32 = 1 << 0;
/// Flags bit 1: tools ask for confirmation before erasing the app.
pub const FLAG_STICKY: u32 = 1 << 1;
/// A fixed address of all ones means "no fixed address".
pub const NO_FIXED_ADDRESS: u32 = 0xFFFF_FFFF;

/// The TLV types this crate knows (header types 1-10, footer type 128).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u16)]
pub enum TlvType {
    /// Entry point, protected size and minimum RAM (older kernels use it).
    Main = 1,
    /// One or more flash regions the app intends to write.
    WriteableFlashRegions = 2,
    /// The app's name, UTF-8.
    PackageName = 3,
    /// Position-independence description (recognised, rarely written).
    PicOption1 = 4,
    /// Flash and RAM addresses the app was linked for.
    FixedAddresses = 5,
    /// Which driver commands the app may call.
    Permissions = 6,
    /// Storage (persistent) access control: write, read and access ids.
    PersistentAcl = 7,
    /// The kernel version the app needs.
    KernelVersion = 8,
    /// Main's fields plus binary end offset and app version (kernel >= 2.1).
    Program = 9,
    /// A short, fixed identifier for the app.
    ShortId = 10,
    /// A credentials footer (after `binary_end_offset`).
    Credentials = 128,
}

impl TlvType {
    /// The known type for a raw number, if any.
    pub fn from_u16(raw: u16) -> Option<TlvType> {
        Some(match raw {
            1 => TlvType::Main,
            2 => TlvType::WriteableFlashRegions,
            3 => TlvType::PackageName,
            4 => TlvType::PicOption1,
            5 => TlvType::FixedAddresses,
            6 => TlvType::Permissions,
            7 => TlvType::PersistentAcl,
            8 => TlvType::KernelVersion,
            9 => TlvType::Program,
            10 => TlvType::ShortId,
            128 => TlvType::Credentials,
            _ => return None,
        })
    }
}

/// A human name for a raw TLV type number ("unknown" if it is not known).
pub fn tlv_type_name(raw: u16) -> &'static str {
    match TlvType::from_u16(raw) {
        Some(TlvType::Main) => "Main",
        Some(TlvType::WriteableFlashRegions) => "WriteableFlashRegions",
        Some(TlvType::PackageName) => "PackageName",
        Some(TlvType::PicOption1) => "PicOption1",
        Some(TlvType::FixedAddresses) => "FixedAddresses",
        Some(TlvType::Permissions) => "Permissions",
        Some(TlvType::PersistentAcl) => "PersistentAcl",
        Some(TlvType::KernelVersion) => "KernelVersion",
        Some(TlvType::Program) => "Program",
        Some(TlvType::ShortId) => "ShortId",
        Some(TlvType::Credentials) => "Credentials",
        None => "unknown",
    }
}

/// The format word of a credentials footer.
///
/// Numbering as elf2tab 0.13 writes and tockloader 1.19 reads it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CredentialsFormat {
    /// 0: reserved space (padding) for credentials added later.
    Reserved,
    /// 1: RSA-3072 public key (384 bytes) then signature (384 bytes).
    Rsa3072Key,
    /// 2: RSA-4096 public key (512 bytes) then PKCS#1 v1.5 SHA-512 signature (512 bytes).
    Rsa4096Key,
    /// 3: SHA-256 of the integrity region.
    Sha256,
    /// 4: SHA-384 of the integrity region.
    Sha384,
    /// 5: SHA-512 of the integrity region.
    Sha512,
    /// 6: ECDSA NIST P-256 signature, r then s (32 bytes each, big-endian),
    /// over SHA-256 of the integrity region.
    EcdsaNistP256,
    /// 7: HMAC-SHA-256 of the integrity region (tockloader).
    HmacSha256,
    /// 10: RSA-2048 signature alone (256 bytes) (tockloader).
    Rsa2048,
    /// 0xF1: a 64-bit cleartext identifier (tockloader).
    CleartextId,
    /// Any other format number: recognised as a credential, not understood.
    Unknown(u32),
}

impl CredentialsFormat {
    /// The format for a raw format word.
    pub fn from_u32(raw: u32) -> CredentialsFormat {
        match raw {
            0 => CredentialsFormat::Reserved,
            1 => CredentialsFormat::Rsa3072Key,
            2 => CredentialsFormat::Rsa4096Key,
            3 => CredentialsFormat::Sha256,
            4 => CredentialsFormat::Sha384,
            5 => CredentialsFormat::Sha512,
            6 => CredentialsFormat::EcdsaNistP256,
            7 => CredentialsFormat::HmacSha256,
            10 => CredentialsFormat::Rsa2048,
            0xF1 => CredentialsFormat::CleartextId,
            other => CredentialsFormat::Unknown(other),
        }
    }

    /// The raw format word.
    pub fn to_u32(self) -> u32 {
        match self {
            CredentialsFormat::Reserved => 0,
            CredentialsFormat::Rsa3072Key => 1,
            CredentialsFormat::Rsa4096Key => 2,
            CredentialsFormat::Sha256 => 3,
            CredentialsFormat::Sha384 => 4,
            CredentialsFormat::Sha512 => 5,
            CredentialsFormat::EcdsaNistP256 => 6,
            CredentialsFormat::HmacSha256 => 7,
            CredentialsFormat::Rsa2048 => 10,
            CredentialsFormat::CleartextId => 0xF1,
            CredentialsFormat::Unknown(other) => other,
        }
    }

    /// The exact data length this format needs, or `None` if any length
    /// is acceptable (reserved space, unknown formats).
    pub fn data_length(self) -> Option<usize> {
        match self {
            CredentialsFormat::Reserved | CredentialsFormat::Unknown(_) => None,
            CredentialsFormat::Rsa3072Key => Some(768),
            CredentialsFormat::Rsa4096Key => Some(1024),
            CredentialsFormat::Sha256 | CredentialsFormat::HmacSha256 => Some(32),
            CredentialsFormat::Sha384 => Some(48),
            CredentialsFormat::Sha512 | CredentialsFormat::EcdsaNistP256 => Some(64),
            CredentialsFormat::Rsa2048 => Some(256),
            CredentialsFormat::CleartextId => Some(8),
        }
    }

    /// A short human name.
    pub fn name(self) -> &'static str {
        match self {
            CredentialsFormat::Reserved => "Reserved",
            CredentialsFormat::Rsa3072Key => "RSA3072Key",
            CredentialsFormat::Rsa4096Key => "RSA4096Key",
            CredentialsFormat::Sha256 => "SHA256",
            CredentialsFormat::Sha384 => "SHA384",
            CredentialsFormat::Sha512 => "SHA512",
            CredentialsFormat::EcdsaNistP256 => "ECDSA-NIST-P256",
            CredentialsFormat::HmacSha256 => "HMAC-SHA256",
            CredentialsFormat::Rsa2048 => "RSA2048",
            CredentialsFormat::CleartextId => "CleartextID",
            CredentialsFormat::Unknown(_) => "unknown",
        }
    }
}

/// The 16-byte base header every TBF image starts with.
///
/// ```text
/// 0        2            4                8        12         16
/// +--------+------------+----------------+--------+----------+
/// |version |header_size | total_size     | flags  | checksum |
/// +--------+------------+----------------+--------+----------+
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BaseHeader {
    /// Always 2.
    pub version: u16,
    /// Bytes in the header: base header plus every TLV and its padding.
    pub header_size: u16,
    /// Bytes in the whole image: header, binary, footers and padding. The
    /// next image in flash starts this many bytes after this one.
    pub total_size: u32,
    /// Bit 0 enabled, bit 1 sticky, the rest reserved (0).
    pub flags: u32,
    /// XOR of the header's 32-bit words, this word counted as 0.
    pub checksum: u32,
}

impl BaseHeader {
    /// Decodes the first 16 bytes; checks nothing but the length.
    pub fn from_bytes(bytes: &[u8]) -> Option<BaseHeader> {
        Some(BaseHeader {
            version: read_u16(bytes, 0)?,
            header_size: read_u16(bytes, 2)?,
            total_size: read_u32(bytes, 4)?,
            flags: read_u32(bytes, 8)?,
            checksum: read_u32(bytes, 12)?,
        })
    }

    /// The 16 on-flash bytes.
    pub fn to_bytes(&self) -> [u8; BASE_HEADER_SIZE] {
        let mut out = [0u8; BASE_HEADER_SIZE];
        let mut writer = crate::bytes::ArrayWriter::new(&mut out);
        writer.put(&self.version.to_le_bytes());
        writer.put(&self.header_size.to_le_bytes());
        writer.put(&self.total_size.to_le_bytes());
        writer.put(&self.flags.to_le_bytes());
        writer.put(&self.checksum.to_le_bytes());
        out
    }

    /// Whether the kernel should start this app at boot.
    pub fn enabled(&self) -> bool {
        self.flags & FLAG_ENABLED != 0
    }

    /// Whether tools should refuse to erase this app without confirmation.
    pub fn sticky(&self) -> bool {
        self.flags & FLAG_STICKY != 0
    }
}

/// Main TLV (type 1, 12 bytes). Offsets are from the end of the header.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct MainTlv {
    /// Entry point, in bytes after the end of the header.
    pub init_fn_offset: u32,
    /// Bytes after the header the app may not write (protected trailer).
    pub protected_size: u32,
    /// RAM the app needs, in bytes.
    pub minimum_ram_size: u32,
}

/// Program TLV (type 9, 20 bytes): Main's fields, then where the binary ends
/// (footers start) and the app's version.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct ProgramTlv {
    /// Entry point, in bytes after the end of the header.
    pub init_fn_offset: u32,
    /// Bytes after the header the app may not write.
    pub protected_size: u32,
    /// RAM the app needs, in bytes.
    pub minimum_ram_size: u32,
    /// Offset from the image start of the first footer byte; the integrity
    /// region is `[0, binary_end_offset)`.
    pub binary_end_offset: u32,
    /// The app's version number.
    pub app_version: u32,
}

/// One writeable flash region (8 bytes inside a type 2 TLV).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct WriteableFlashRegion {
    /// Offset from the start of the image (as elf2tab computes it).
    pub offset: u32,
    /// Size in bytes.
    pub size: u32,
}

/// FixedAddresses TLV (type 5, 8 bytes). `0xFFFFFFFF` means "not fixed".
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FixedAddresses {
    /// The RAM address the app was linked for.
    pub start_process_ram: u32,
    /// The flash address of the app's binary (after the header).
    pub start_process_flash: u32,
}

impl FixedAddresses {
    /// The fixed RAM address, if there is one.
    pub fn ram(&self) -> Option<u32> {
        (self.start_process_ram != NO_FIXED_ADDRESS).then_some(self.start_process_ram)
    }
    /// The fixed flash address, if there is one.
    pub fn flash(&self) -> Option<u32> {
        (self.start_process_flash != NO_FIXED_ADDRESS).then_some(self.start_process_flash)
    }
}

/// One driver permission (16 bytes inside a type 6 TLV): commands
/// `offset * 64 + bit` of `driver_number` are allowed where the bit is set.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct DriverPermission {
    /// The driver number.
    pub driver_number: u32,
    /// Which block of 64 command numbers `allowed_commands` covers.
    pub offset: u32,
    /// Bit `n` allows command `offset * 64 + n`.
    pub allowed_commands: u64,
}

impl DriverPermission {
    /// Size of one entry on flash.
    pub const SIZE: usize = 16;

    /// Whether this entry allows `command`.
    pub fn allows(&self, command: u32) -> bool {
        command / 64 == self.offset && (self.allowed_commands >> (command & 63)) & 1 == 1
    }

    pub(crate) fn from_bytes(bytes: &[u8]) -> Option<DriverPermission> {
        Some(DriverPermission {
            driver_number: read_u32(bytes, 0)?,
            offset: read_u32(bytes, 4)?,
            allowed_commands: read_u64(bytes, 8)?,
        })
    }
}

/// KernelVersion TLV (type 8, 4 bytes): the app needs kernel `^major.minor`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct KernelVersion {
    /// Major version.
    pub major: u16,
    /// Minor version.
    pub minor: u16,
}

/// PicOption1 TLV (type 4, 40 bytes): ten words describing a
/// position-independent C app's sections.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct PicOption1 {
    /// Offset of `.text`.
    pub text_offset: u32,
    /// Offset of `.data`.
    pub data_offset: u32,
    /// Size of `.data`.
    pub data_size: u32,
    /// Offset of `.bss` in memory.
    pub bss_memory_offset: u32,
    /// Size of `.bss`.
    pub bss_size: u32,
    /// Offset of the relocation data.
    pub relocation_data_offset: u32,
    /// Size of the relocation data.
    pub relocation_data_size: u32,
    /// Offset of the GOT.
    pub got_offset: u32,
    /// Size of the GOT.
    pub got_size: u32,
    /// Minimum stack length.
    pub minimum_stack_length: u32,
}

impl PicOption1 {
    /// The ten words in on-flash order.
    pub fn words(&self) -> [u32; 10] {
        [
            self.text_offset,
            self.data_offset,
            self.data_size,
            self.bss_memory_offset,
            self.bss_size,
            self.relocation_data_offset,
            self.relocation_data_size,
            self.got_offset,
            self.got_size,
            self.minimum_stack_length,
        ]
    }

    pub(crate) fn from_bytes(b: &[u8]) -> Option<PicOption1> {
        Some(PicOption1 {
            text_offset: read_u32(b, 0)?,
            data_offset: read_u32(b, 4)?,
            data_size: read_u32(b, 8)?,
            bss_memory_offset: read_u32(b, 12)?,
            bss_size: read_u32(b, 16)?,
            relocation_data_offset: read_u32(b, 20)?,
            relocation_data_size: read_u32(b, 24)?,
            got_offset: read_u32(b, 28)?,
            got_size: read_u32(b, 32)?,
            minimum_stack_length: read_u32(b, 36)?,
        })
    }
}

/// The header checksum: XOR of the little-endian 32-bit words of `header`,
/// with the checksum word (bytes 12..16) counted as 0. A final partial word
/// is zero-extended, as elf2tab does.
pub fn header_checksum(header: &[u8]) -> u32 {
    let mut checksum = 0u32;
    for (index, chunk) in header.chunks(4).enumerate() {
        if index == CHECKSUM_OFFSET / 4 {
            continue;
        }
        let mut word = [0u8; 4];
        for (slot, byte) in word.iter_mut().zip(chunk) {
            *slot = *byte;
        }
        checksum ^= u32::from_le_bytes(word);
    }
    checksum
}
