//! Property tests: arbitrary bytes never panic the parser, arbitrary valid
//! headers round-trip, and any single-byte change inside the integrity
//! region makes every SHA and ECDSA credential fail.

mod common;

use proptest::prelude::*;
use tbf::{
    CredentialCheck, CredentialsFormat, DriverPermission, FixedAddresses, Footer, HeaderTlv,
    KernelVersion, MainTlv, PersistentAcl, PicOption1, ProgramTlv, TbfHeader, WriteableFlashRegion,
};

/// Runs every read-only entry point; returns normally if nothing panicked.
fn exercise_everything(data: &[u8]) {
    let _ = tbf::parse_base(data);
    let _ = tbf::parse_header(data).map(|t| TbfHeader::from_parsed(&t));
    if let Ok(tbf) = tbf::parse(data) {
        let region = tbf.integrity_region().unwrap_or_default();
        for footer in tbf.footers() {
            if let Ok(Footer::Credentials(c)) = footer {
                let _ = c.check(region, None);
            }
        }
        let _ = (tbf.init_fn_offset(), tbf.writeable_flash_regions().count());
        let _ = tbf.persistent_acl().map(|a| a.read_ids.iter().count());
        let _ = tbf::sign::add_credentials(
            data,
            &[tbf::sign::CredentialRequest::Sha256],
            &tbf::sign::SignOptions::default(),
        );
    }
    let _ = tbf::tab::read_tab(data);
}

fn any_tlv() -> impl Strategy<Value = HeaderTlv> {
    let u = any::<u32>;
    prop_oneof![
        (u(), u(), u()).prop_map(|(a, b, c)| HeaderTlv::Main(MainTlv {
            init_fn_offset: a,
            protected_size: b,
            minimum_ram_size: c
        })),
        prop::collection::vec((u(), u()), 1..4).prop_map(|r| HeaderTlv::WriteableFlashRegions(
            r.into_iter()
                .map(|(offset, size)| WriteableFlashRegion { offset, size })
                .collect()
        )),
        ".{0,24}".prop_map(HeaderTlv::PackageName),
        prop::array::uniform10(u()).prop_map(|w| HeaderTlv::PicOption1(PicOption1 {
            text_offset: w[0],
            data_offset: w[1],
            data_size: w[2],
            bss_memory_offset: w[3],
            bss_size: w[4],
            relocation_data_offset: w[5],
            relocation_data_size: w[6],
            got_offset: w[7],
            got_size: w[8],
            minimum_stack_length: w[9],
        })),
        (u(), u()).prop_map(|(r, f)| HeaderTlv::FixedAddresses(FixedAddresses {
            start_process_ram: r,
            start_process_flash: f
        })),
        prop::collection::vec((u(), u(), any::<u64>()), 0..4).prop_map(|p| {
            HeaderTlv::Permissions(
                p.into_iter()
                    .map(
                        |(driver_number, offset, allowed_commands)| DriverPermission {
                            driver_number,
                            offset,
                            allowed_commands,
                        },
                    )
                    .collect(),
            )
        }),
        (
            u(),
            prop::collection::vec(u(), 0..4),
            prop::collection::vec(u(), 0..4)
        )
            .prop_map(|(write_id, read_ids, access_ids)| HeaderTlv::PersistentAcl(
                PersistentAcl {
                    write_id,
                    read_ids,
                    access_ids
                }
            )),
        (any::<u16>(), any::<u16>())
            .prop_map(|(major, minor)| HeaderTlv::KernelVersion(KernelVersion { major, minor })),
        (u(), u(), u(), u()).prop_map(|(a, b, c, d)| HeaderTlv::Program(ProgramTlv {
            init_fn_offset: a,
            protected_size: b,
            minimum_ram_size: c,
            binary_end_offset: 0,
            app_version: d
        })),
        u().prop_map(HeaderTlv::ShortId),
        (11u16.., prop::collection::vec(any::<u8>(), 0..24))
            .prop_map(|(tlv_type, value)| HeaderTlv::Unknown { tlv_type, value }),
    ]
}

/// Flips one byte of `image` at `index` (mod the integrity region).
fn flipped(image: &[u8], index: usize, mask: u8) -> Vec<u8> {
    let region_end = tbf::parse(image).expect("valid").binary_end_offset() as usize;
    let mut copy = image.to_vec();
    copy[index % region_end] ^= mask;
    copy
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn arbitrary_bytes_never_panic(data in prop::collection::vec(any::<u8>(), 0..600)) {
        exercise_everything(&data);
    }

    #[test]
    fn mutated_valid_images_never_panic(
        seed in 0usize..3,
        edits in prop::collection::vec((any::<usize>(), any::<u8>()), 1..8),
        cut in any::<usize>(),
    ) {
        let mut image = match seed {
            0 => common::signed_image(),
            1 => common::image(common::every_tlv_header(), &common::binary(32), &[], 24),
            _ => common::padding_image(48),
        };
        for (at, value) in edits {
            let len = image.len();
            image[at % len] = value;
        }
        let len = image.len();
        image.truncate(len - cut % 8);
        exercise_everything(&image);
    }

    #[test]
    fn arbitrary_valid_headers_round_trip(
        tlvs in prop::collection::vec(any_tlv(), 0..8),
        flags in any::<u32>(),
        binary_length in 0u32..256,
    ) {
        let mut header = TbfHeader { flags, tlvs, ..TbfHeader::new() };
        let header_size = u32::from(header.header_size().expect("fits"));
        header.total_size = header_size + binary_length;
        let total_size = header.total_size;
        for tlv in header.tlvs.iter_mut() {
            if let HeaderTlv::Program(program) = tlv {
                program.binary_end_offset = total_size;
            }
        }
        let mut image = header.to_bytes().expect("serialises");
        image.resize(total_size as usize, 0xA5);
        let parsed = tbf::parse(&image).expect("a built header parses");
        prop_assert_eq!(TbfHeader::from_parsed(&parsed), header.clone());
        prop_assert_eq!(parsed.header_bytes(), &image[..header_size as usize]);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(100))]

    #[test]
    fn any_flipped_byte_in_the_integrity_region_breaks_every_credential(
        index in any::<usize>(),
        mask in 1u8..,
    ) {
        let public = tbf::crypto::VerifyingKey::from(&common::test_key());
        let image = fully_signed_image();
        let corrupted = flipped(image, index, mask);
        prop_assert!(no_credential_verifies(&corrupted, &public));
    }
}

/// An image with SHA-256, SHA-384, SHA-512 and ECDSA P-256 credentials.
fn fully_signed_image() -> &'static [u8] {
    static IMAGE: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    IMAGE.get_or_init(|| {
        let key = common::test_key();
        tbf::sign::add_credentials(
            &common::image(common::minimal_header(), &common::binary(96), &[], 0),
            &[
                tbf::sign::CredentialRequest::Sha256,
                tbf::sign::CredentialRequest::Sha384,
                tbf::sign::CredentialRequest::Sha512,
                tbf::sign::CredentialRequest::EcdsaP256(&key),
            ],
            &tbf::sign::SignOptions::default(),
        )
        .expect("signs")
        .image
    })
}

/// A flip in the header is caught by the checksum (the image does not
/// parse); one in the binary must fail all four credentials.
fn no_credential_verifies(image: &[u8], public: &tbf::crypto::VerifyingKey) -> bool {
    let Ok(tbf) = tbf::parse(image) else {
        return true;
    };
    let region = tbf.integrity_region().expect("image");
    let failed = tbf
        .footers()
        .filter_map(|f| match f {
            Ok(Footer::Credentials(c)) if c.format != CredentialsFormat::Reserved => Some(c),
            _ => None,
        })
        .filter(|c| c.check(region, Some(public)) == CredentialCheck::Failed)
        .count();
    failed == 4
}

#[test]
fn every_single_byte_flip_in_the_integrity_region_is_detected() {
    let image = fully_signed_image();
    let public = tbf::crypto::VerifyingKey::from(&common::test_key());
    assert!(
        !no_credential_verifies(image, &public),
        "the unmodified image verifies"
    );
    let region_end = tbf::parse(image).expect("valid").binary_end_offset() as usize;
    for index in 0..region_end {
        assert!(
            no_credential_verifies(&flipped(image, index, 0x01), &public),
            "byte {index}"
        );
    }
}
