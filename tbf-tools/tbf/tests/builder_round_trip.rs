//! Headers and footers built with the owned model parse back to the same
//! values, TLV by TLV, and serialise exactly as laid out.

mod common;

use tbf::{
    CredentialCheck, CredentialsFormat, Footer, FooterCredential, HeaderBuilder, HeaderTlv,
    MainTlv, ProgramTlv, TbfHeader, Tlv,
};

#[test]
fn every_tlv_round_trips_through_bytes() {
    let image = common::image(common::every_tlv_header(), &common::binary(64), &[], 16);
    let tbf = tbf::parse(&image).expect("parses");
    let mut expected = common::every_tlv_header();
    expected.total_size = tbf.total_size();
    expected.program_mut().expect("program").binary_end_offset = tbf.binary_end_offset();
    assert_eq!(TbfHeader::from_parsed(&tbf), expected);

    assert!(tbf.sticky() && tbf.enabled());
    assert_eq!(tbf.package_name(), Some("every-tlv"));
    assert_eq!(tbf.writeable_flash_regions().count(), 2);
    let fixed = tbf.fixed_addresses().expect("fixed");
    assert_eq!((fixed.ram(), fixed.flash()), (Some(0x8000_2800), None));
    assert!(tbf.permissions().expect("perms").allows(0x40001, 69));
    assert!(!tbf.permissions().expect("perms").allows(0x40001, 5));
    let acl = tbf.persistent_acl().expect("acl");
    assert_eq!(acl.read_ids.iter().collect::<Vec<_>>(), [7, 8, 9]);
    assert_eq!(
        tbf.kernel_version().map(|v| (v.major, v.minor)),
        Some((2, 2))
    );
    assert_eq!(tbf.short_id(), Some(0xDEAD_BEEF));
    assert_eq!(tbf.pic_option1().map(|p| p.minimum_stack_length), Some(10));
    assert_eq!(tbf.unknown_tlvs().count(), 1);
    assert_eq!(tbf.init_fn_offset(), 0x20);
    assert_eq!(tbf.protected_size(), 0x40);
    assert_eq!(tbf.minimum_ram_size(), 8192);
}

#[test]
fn tlvs_serialise_in_the_given_order_each_padded_to_four_bytes() {
    let header = HeaderBuilder::new()
        .total_size(100)
        .tlv(HeaderTlv::PackageName("abcde".into()))
        .tlv(HeaderTlv::ShortId(0x0102_0304))
        .tlv(HeaderTlv::Main(MainTlv::default()))
        .build();
    let bytes = header.to_bytes().expect("serialises");
    assert_eq!(bytes.len(), 16 + (4 + 8) + (4 + 4) + (4 + 12));
    assert_eq!(
        u16::from_le_bytes([bytes[2], bytes[3]]) as usize,
        bytes.len()
    );
    assert_eq!(&bytes[16..28], b"\x03\x00\x05\x00abcde\0\0\0");
    assert_eq!(&bytes[28..36], &[10, 0, 4, 0, 4, 3, 2, 1]);
    assert_eq!(&bytes[36..40], &[1, 0, 12, 0]);
    let order: Vec<_> = tbf::parse_header(&bytes)
        .expect("parses")
        .tlvs()
        .map(|e| tbf::parse::tlv_name(&e.tlv))
        .collect();
    assert_eq!(order, ["PackageName", "ShortId", "Main"]);
}

#[test]
fn flags_enabled_and_sticky_are_bits_zero_and_one() {
    let mut header = TbfHeader::new();
    assert_eq!(header.flags, 1);
    header.set_sticky(true);
    header.set_enabled(false);
    assert_eq!(header.flags, 2);
    header.total_size = 16;
    let bytes = header.to_bytes().expect("serialises");
    let tbf = tbf::parse(&bytes).expect("parses");
    assert!(tbf.sticky() && !tbf.enabled() && tbf.is_padding());
}

#[test]
fn footers_of_every_kind_serialise_exactly_and_check() {
    let header = common::minimal_header();
    let body = common::binary(40);
    let placeholder = |f| FooterCredential::placeholder(f).expect("fixed length");
    let sizing = [
        placeholder(CredentialsFormat::Sha256),
        placeholder(CredentialsFormat::Sha384),
        placeholder(CredentialsFormat::Sha512),
        placeholder(CredentialsFormat::EcdsaNistP256),
        placeholder(CredentialsFormat::Rsa4096Key),
        FooterCredential::new(CredentialsFormat::Unknown(99), vec![1, 2, 3, 4]),
    ];
    // Lay out with placeholders, then fill in real values over the same region.
    let mut image = common::image(header, &body, &sizing, 12);
    let tbf = tbf::parse(&image).expect("parses");
    let region_end = tbf.binary_end_offset() as usize;
    let region = image[..region_end].to_vec();
    let key = common::test_key();
    let real = [
        FooterCredential::sha256(&region),
        FooterCredential::sha384(&region),
        FooterCredential::sha512(&region),
        FooterCredential::ecdsa_p256(&region, &key).expect("signs"),
        placeholder(CredentialsFormat::Rsa4096Key),
        FooterCredential::new(CredentialsFormat::Unknown(99), vec![1, 2, 3, 4]),
        FooterCredential::reserved(12).expect("12 >= 8"),
    ];
    let footer_bytes = tbf::footers_to_bytes(&real).expect("serialises");
    assert_eq!(footer_bytes.len(), image.len() - region_end);
    assert_eq!(&footer_bytes[..8], &[128, 0, 36, 0, 3, 0, 0, 0]);
    image.truncate(region_end);
    image.extend_from_slice(&footer_bytes);

    let tbf = tbf::parse(&image).expect("parses");
    let public = tbf::crypto::VerifyingKey::from(&key);
    let verdicts: Vec<_> = tbf
        .footers()
        .map(|f| match f.expect("valid footer") {
            Footer::Credentials(c) => (c.format, c.check(&region, Some(&public))),
            Footer::Other { .. } => panic!("only credentials were written"),
        })
        .collect();
    use CredentialCheck::*;
    assert_eq!(
        verdicts,
        [
            (CredentialsFormat::Sha256, Verified),
            (CredentialsFormat::Sha384, Verified),
            (CredentialsFormat::Sha512, Verified),
            (CredentialsFormat::EcdsaNistP256, Verified),
            (CredentialsFormat::Rsa4096Key, Unsupported),
            (CredentialsFormat::Unknown(99), Unsupported),
            (CredentialsFormat::Reserved, Reserved),
        ]
    );
    assert!(FooterCredential::reserved(7).is_err());
}

#[test]
fn an_ecdsa_credential_without_a_key_says_so_and_a_wrong_key_fails() {
    let image = common::signed_image();
    let tbf = tbf::parse(&image).expect("parses");
    let region = tbf.integrity_region().expect("image");
    let other = tbf::crypto::VerifyingKey::from(
        &tbf::crypto::SigningKey::from_slice(&[9; 32]).expect("valid"),
    );
    for footer in tbf.footers() {
        if let Ok(Footer::Credentials(c)) = footer {
            if c.format == CredentialsFormat::EcdsaNistP256 {
                assert_eq!(c.check(region, None), CredentialCheck::NoKey);
                assert_eq!(c.check(region, Some(&other)), CredentialCheck::Failed);
            }
        }
    }
}

#[test]
fn a_program_header_without_main_is_an_app() {
    let header = HeaderBuilder::new()
        .tlv(HeaderTlv::Program(ProgramTlv::default()))
        .build();
    let image = common::image(header, &[0; 8], &[], 0);
    let tbf = tbf::parse(&image).expect("parses");
    assert!(tbf.is_app());
    assert!(matches!(
        tbf.tlvs().next().map(|e| e.tlv),
        Some(Tlv::Program(_))
    ));
}

#[test]
fn oversized_values_are_build_errors_not_panics() {
    let header = HeaderBuilder::new()
        .tlv(HeaderTlv::PackageName("x".repeat(70_000)))
        .build();
    assert!(matches!(
        header.to_bytes(),
        Err(tbf::BuildError::TlvTooLong { tlv_type: 3, .. })
    ));
    let many = (0..17_000).map(HeaderTlv::ShortId).collect();
    let header = TbfHeader {
        tlvs: many,
        ..TbfHeader::new()
    };
    assert!(matches!(
        header.header_size(),
        Err(tbf::BuildError::HeaderTooLong { .. })
    ));
}
