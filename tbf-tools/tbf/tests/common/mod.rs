//! Sample images built with the builder, shared by tests and the fuzz-seed
//! generator (`cargo run -p tbf --example make_fuzz_seeds`).

#![allow(dead_code)] // Each test file uses a different subset.

use tbf::crypto::SigningKey;
use tbf::{
    DriverPermission, FixedAddresses, FooterCredential, HeaderBuilder, HeaderTlv, KernelVersion,
    MainTlv, PersistentAcl, PicOption1, ProgramTlv, TbfHeader, WriteableFlashRegion,
};

/// A fixed, well-known test key (never use outside tests).
pub fn test_key() -> SigningKey {
    SigningKey::from_slice(&[0x42; 32]).expect("valid scalar")
}

/// Builds an image: `header` (its Program TLV, if any, gets
/// `binary_end_offset`), `binary`, then `footers`, then `spare` bytes of
/// Reserved footer (0 for none, otherwise at least 8).
pub fn image(
    mut header: TbfHeader,
    binary: &[u8],
    footers: &[FooterCredential],
    spare: usize,
) -> Vec<u8> {
    let header_size = header.header_size().expect("sized") as usize;
    let binary_end = header_size + binary.len();
    let footer_len: usize = footers.iter().map(|f| f.encoded_len()).sum::<usize>() + spare;
    header.total_size = (binary_end + footer_len) as u32;
    if let Some(program) = header.program_mut() {
        program.binary_end_offset = binary_end as u32;
    }
    let mut out = header.to_bytes().expect("serialises");
    out.extend_from_slice(binary);
    for footer in footers {
        footer.write_to(&mut out).expect("footer");
    }
    if spare > 0 {
        FooterCredential::reserved(spare)
            .expect("spare >= 8")
            .write_to(&mut out)
            .expect("footer");
    }
    out
}

/// A header with Main and Program only.
pub fn minimal_header() -> TbfHeader {
    HeaderBuilder::new()
        .tlv(HeaderTlv::Main(MainTlv {
            init_fn_offset: 0,
            protected_size: 0,
            minimum_ram_size: 4096,
        }))
        .tlv(HeaderTlv::Program(ProgramTlv {
            minimum_ram_size: 4096,
            app_version: 1,
            ..ProgramTlv::default()
        }))
        .build()
}

/// A header with every TLV type this crate knows, plus an unknown one.
pub fn every_tlv_header() -> TbfHeader {
    HeaderBuilder::new()
        .sticky(true)
        .tlv(HeaderTlv::Main(MainTlv {
            init_fn_offset: 0x20,
            protected_size: 0x40,
            minimum_ram_size: 8192,
        }))
        .tlv(HeaderTlv::Program(ProgramTlv {
            init_fn_offset: 0x20,
            protected_size: 0x40,
            minimum_ram_size: 8192,
            binary_end_offset: 0,
            app_version: 3,
        }))
        .tlv(HeaderTlv::PackageName("every-tlv".into()))
        .tlv(HeaderTlv::WriteableFlashRegions(vec![
            WriteableFlashRegion {
                offset: 0x100,
                size: 0x200,
            },
            WriteableFlashRegion {
                offset: 0x400,
                size: 0x80,
            },
        ]))
        .tlv(HeaderTlv::PicOption1(PicOption1 {
            text_offset: 1,
            data_offset: 2,
            data_size: 3,
            bss_memory_offset: 4,
            bss_size: 5,
            relocation_data_offset: 6,
            relocation_data_size: 7,
            got_offset: 8,
            got_size: 9,
            minimum_stack_length: 10,
        }))
        .tlv(HeaderTlv::FixedAddresses(FixedAddresses {
            start_process_ram: 0x8000_2800,
            start_process_flash: tbf::NO_FIXED_ADDRESS,
        }))
        .tlv(HeaderTlv::Permissions(vec![
            DriverPermission {
                driver_number: 1,
                offset: 0,
                allowed_commands: 0b11,
            },
            DriverPermission {
                driver_number: 0x40001,
                offset: 1,
                allowed_commands: 1 << 5,
            },
        ]))
        .tlv(HeaderTlv::PersistentAcl(PersistentAcl {
            write_id: 7,
            read_ids: vec![7, 8, 9],
            access_ids: vec![7],
        }))
        .tlv(HeaderTlv::KernelVersion(KernelVersion {
            major: 2,
            minor: 2,
        }))
        .tlv(HeaderTlv::ShortId(0xDEAD_BEEF))
        .tlv(HeaderTlv::Unknown {
            tlv_type: 0x8001,
            value: vec![1, 2, 3, 4, 5],
        })
        .build()
}

/// A padding image: base header only, `total_size` bytes of nothing.
pub fn padding_image(total_size: u32) -> Vec<u8> {
    let header = HeaderBuilder::new()
        .enabled(false)
        .total_size(total_size)
        .build();
    let mut out = header.to_bytes().expect("serialises");
    out.resize(total_size as usize, 0xFF);
    out
}

/// A binary of `length` bytes with a recognisable pattern.
pub fn binary(length: usize) -> Vec<u8> {
    (0..length).map(|i| (i * 7 + 3) as u8).collect()
}

/// An image signed with SHA-256 and ECDSA P-256 (test key), with spare room.
pub fn signed_image() -> Vec<u8> {
    let unsigned = image(minimal_header(), &binary(200), &[], 256);
    let signed = tbf::sign::add_credentials(
        &unsigned,
        &[
            tbf::sign::CredentialRequest::Sha256,
            tbf::sign::CredentialRequest::EcdsaP256(&test_key()),
        ],
        &tbf::sign::SignOptions::default(),
    )
    .expect("signs");
    signed.image
}
