//! The TBF header exactly as elf2tab 0.13 lays it out, built with the `tbf`
//! crate's ordered-TLV model so packages are byte-identical to upstream's.
//!
//! ```text
//! offset 0   base      version=2 | header_size | total_size | flags | checksum
//!        16  Main      (type 1)  init_fn_offset | protected_size | minimum_ram_size
//!        32  Program   (type 9)  ... | binary_end_offset | app_version
//!        56  then, each only when present and in this order:
//!            PackageName (3), WriteableFlashRegion (2) one per TLV, FixedAddresses (5),
//!            Permissions (6), Persistent/storage (7), KernelVersion (8), ShortId (10)
//! ```
//! Only the order and the choice of TLVs are the packager's; the encoding
//! (padding, checksum) is the `tbf` crate's.

use tbf::{
    DriverPermission, FixedAddresses, HeaderBuilder, HeaderTlv, KernelVersion, MainTlv,
    PersistentAcl, ProgramTlv, WriteableFlashRegion,
};

pub use tbf::BuildError as HeaderError;

/// Storage permissions (TLV type 7).
pub type StoragePermissions = PersistentAcl;

/// Everything the header says. Offsets are from the start of the TBF.
#[derive(Debug, Clone, Default)]
pub struct HeaderFields {
    pub total_size: u32,
    pub enabled: bool,
    pub init_fn_offset: u32,
    /// Protected bytes after the header (not counting the header).
    pub protected_trailer_size: u32,
    pub minimum_ram_size: u32,
    pub binary_end_offset: u32,
    pub app_version: u32,
    pub package_name: String,
    /// `(offset, size)` of each writeable flash region.
    pub writeable_flash_regions: Vec<(u32, u32)>,
    /// `(ram, flash)`; 0xFFFF_FFFF means "not fixed".
    pub fixed_addresses: Option<(u32, u32)>,
    pub permissions: Vec<DriverPermission>,
    pub storage: Option<StoragePermissions>,
    pub kernel_version: Option<(u16, u16)>,
    pub short_id: Option<u32>,
}

/// Merges `(driver, command)` pairs into permission entries the way elf2tab
/// does: one entry per driver and block of 64 commands, in first-seen order.
pub fn merge_permissions(pairs: &[(u32, u32)]) -> Vec<DriverPermission> {
    let mut merged: Vec<DriverPermission> = Vec::new();
    for &(driver_number, command) in pairs {
        let offset = command / 64;
        let bit = 1u64 << (command % 64);
        match merged
            .iter_mut()
            .find(|entry| entry.driver_number == driver_number && entry.offset == offset)
        {
            Some(entry) => entry.allowed_commands |= bit,
            None => merged.push(DriverPermission {
                driver_number,
                offset,
                allowed_commands: bit,
            }),
        }
    }
    merged
}

impl HeaderFields {
    /// The TLVs in elf2tab's order.
    fn tlvs(&self) -> Vec<HeaderTlv> {
        let mut tlvs = vec![
            HeaderTlv::Main(MainTlv {
                init_fn_offset: self.init_fn_offset,
                protected_size: self.protected_trailer_size,
                minimum_ram_size: self.minimum_ram_size,
            }),
            HeaderTlv::Program(ProgramTlv {
                init_fn_offset: self.init_fn_offset,
                protected_size: self.protected_trailer_size,
                minimum_ram_size: self.minimum_ram_size,
                binary_end_offset: self.binary_end_offset,
                app_version: self.app_version,
            }),
        ];
        if !self.package_name.is_empty() {
            tlvs.push(HeaderTlv::PackageName(self.package_name.clone()));
        }
        for &(offset, size) in &self.writeable_flash_regions {
            tlvs.push(HeaderTlv::WriteableFlashRegions(vec![
                WriteableFlashRegion { offset, size },
            ]));
        }
        if let Some((ram, flash)) = self.fixed_addresses {
            tlvs.push(HeaderTlv::FixedAddresses(FixedAddresses {
                start_process_ram: ram,
                start_process_flash: flash,
            }));
        }
        if !self.permissions.is_empty() {
            tlvs.push(HeaderTlv::Permissions(self.permissions.clone()));
        }
        if let Some(storage) = &self.storage {
            tlvs.push(HeaderTlv::PersistentAcl(storage.clone()));
        }
        if let Some((major, minor)) = self.kernel_version {
            tlvs.push(HeaderTlv::KernelVersion(KernelVersion { major, minor }));
        }
        if let Some(short_id) = self.short_id {
            tlvs.push(HeaderTlv::ShortId(short_id));
        }
        tlvs
    }

    /// Encodes the header, checksum included.
    pub fn encode(&self) -> Result<Vec<u8>, HeaderError> {
        self.tlvs()
            .into_iter()
            .fold(HeaderBuilder::new(), HeaderBuilder::tlv)
            .enabled(self.enabled)
            .total_size(self.total_size)
            .build()
            .to_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_parses_back_with_every_field() {
        let fields = HeaderFields {
            total_size: 4096,
            enabled: true,
            binary_end_offset: 200,
            package_name: "abcde".into(),
            kernel_version: Some((2, 1)),
            permissions: merge_permissions(&[(1, 0)]),
            short_id: Some(7),
            ..HeaderFields::default()
        };
        let mut bytes = fields.encode().unwrap();
        bytes.resize(4096, 0);
        let parsed = tbf::parse(&bytes).unwrap();
        assert_eq!(parsed.package_name(), Some("abcde"));
        assert_eq!(parsed.short_id(), Some(7));
        assert_eq!(parsed.binary_end_offset(), 200);
        assert!(parsed.permissions().unwrap().allows(1, 0));
    }

    #[test]
    fn permissions_merge_per_driver_and_block() {
        let merged = merge_permissions(&[(1, 0), (1, 1), (2, 70), (1, 64)]);
        assert_eq!(merged.len(), 3);
        assert_eq!(merged[0].allowed_commands, 0b11);
        assert_eq!((merged[1].offset, merged[1].allowed_commands), (1, 1 << 6));
        assert_eq!((merged[2].driver_number, merged[2].offset), (1, 1));
    }
}
