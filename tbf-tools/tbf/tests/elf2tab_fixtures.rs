//! Images and TABs written by upstream elf2tab 0.13.0 parse, verify, and
//! re-serialise byte for byte through the owned model and the TAB writer.

use std::path::PathBuf;

use tbf::tab::{parse_member_name, read_tab, TabMetadata};
use tbf::{
    crypto, CredentialCheck, CredentialsFormat, Footer, FooterCredential, HeaderTlv, TbfHeader, Tlv,
};

const IMAGES: &[&str] = &[
    "plain",
    "sha256",
    "allsha",
    "ecdsa",
    "perms",
    "boards",
    "multi-cortex-m4",
];
const TABS: &[&str] = &[
    "plain", "sha256", "allsha", "ecdsa", "perms", "boards", "multi",
];

fn fixture(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/elf2tab")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("fixture {}: {e}", path.display()))
}

fn public_key() -> crypto::VerifyingKey {
    crypto::verifying_key_from_raw(&fixture("ecdsa_public_key.raw")).expect("fixture key is valid")
}

#[test]
fn every_elf2tab_image_parses_and_its_header_reserialises_identically() {
    for name in IMAGES {
        let bytes = fixture(&format!("{name}.tbf"));
        let tbf = tbf::parse(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(tbf.is_app(), "{name}");
        assert_eq!(tbf.total_size() as usize, bytes.len(), "{name}");
        let owned = TbfHeader::from_parsed(&tbf);
        assert_eq!(
            owned.to_bytes().expect("serialises"),
            tbf.header_bytes(),
            "{name}: header differs after the round trip"
        );
    }
}

#[test]
fn every_elf2tab_footer_area_reserialises_identically_and_verifies() {
    for name in IMAGES {
        let bytes = fixture(&format!("{name}.tbf"));
        let tbf = tbf::parse(&bytes).expect("parses");
        let region = tbf.integrity_region().expect("whole image");
        let mut rebuilt = Vec::new();
        for footer in tbf.footers() {
            let Footer::Credentials(credential) = footer.unwrap_or_else(|e| panic!("{name}: {e}"))
            else {
                panic!("{name}: elf2tab writes only credentials footers");
            };
            let key = public_key();
            let verdict = credential.check(region, Some(&key));
            match credential.format {
                CredentialsFormat::Reserved => assert_eq!(verdict, CredentialCheck::Reserved),
                format => assert_eq!(verdict, CredentialCheck::Verified, "{name}: {format:?}"),
            }
            FooterCredential::new(credential.format, credential.data.to_vec())
                .write_to(&mut rebuilt)
                .expect("serialises");
        }
        // RISC-V images may end in up to 3 bytes of raw padding after the footers.
        let footer_area = tbf.footer_bytes().expect("whole image");
        assert!(footer_area.starts_with(&rebuilt), "{name}");
        assert!(
            footer_area[rebuilt.len()..].iter().all(|b| *b == 0),
            "{name}"
        );
        assert!(footer_area.len() - rebuilt.len() < 4, "{name}");
    }
}

#[test]
fn elf2tab_fields_read_back_as_the_flags_asked() {
    let bytes = fixture("perms.tbf");
    let tbf = tbf::parse(&bytes).expect("parses");
    assert_eq!(tbf.package_name(), Some("perms"));
    let permissions = tbf.permissions().expect("has permissions");
    assert!(permissions.allows(1, 0) && permissions.allows(1, 1) && permissions.allows(2, 65));
    assert!(!permissions.allows(2, 1) && !permissions.allows(3, 0));
    let acl = tbf.persistent_acl().expect("has storage permissions");
    assert_eq!(acl.write_id, 17);
    assert_eq!(acl.read_ids.iter().collect::<Vec<_>>(), [1, 2]);
    assert_eq!(acl.access_ids.iter().collect::<Vec<_>>(), [3]);
    let fixed = tbf.fixed_addresses().expect("fixed-address build");
    assert_eq!(fixed.flash(), Some(0x2004_0060));
    assert_eq!(fixed.ram(), Some(0x8000_2800));

    let bytes = fixture("allsha.tbf");
    let tbf = tbf::parse(&bytes).expect("parses");
    assert!(!tbf.enabled(), "--disable clears the enabled flag");
    assert_eq!(tbf.short_id(), Some(0x1234));

    let bytes = fixture("sha256.tbf");
    let tbf = tbf::parse(&bytes).expect("parses");
    let version = tbf.kernel_version().expect("kernel version");
    assert_eq!((version.major, version.minor), (2, 1));
    assert_eq!(tbf.program().expect("program").app_version, 7);
    let order: Vec<&str> = tbf.tlvs().map(|e| tbf::parse::tlv_name(&e.tlv)).collect();
    assert_eq!(
        order,
        [
            "Main",
            "Program",
            "PackageName",
            "FixedAddresses",
            "KernelVersion"
        ]
    );
    assert!(matches!(
        tbf.tlvs().next().map(|e| e.tlv),
        Some(Tlv::Main(_))
    ));
}

#[test]
fn every_elf2tab_tab_reads_and_rewrites_byte_for_byte() {
    for name in TABS {
        let bytes = fixture(&format!("{name}.tab"));
        let tab = read_tab(bytes.as_slice()).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(
            tab.metadata.to_toml(),
            tab.metadata_text,
            "{name}: metadata text"
        );
        let rewritten = tab.write(Vec::new()).expect("writes");
        assert_eq!(rewritten, bytes, "{name}: TAB differs after the round trip");
        for member in &tab.members {
            assert!(parse_member_name(&member.name).is_some());
            member.parse().expect("member parses");
        }
    }
}

#[test]
fn tab_metadata_and_member_names_follow_elf2tab() {
    let tab = read_tab(fixture("boards.tab").as_slice()).expect("reads");
    assert_eq!(tab.metadata.name, "boards");
    assert_eq!(
        tab.metadata.supported_boards(),
        ["hifive1", "qemu_rv32_virt"]
    );
    assert_eq!(
        tab.metadata.minimum_tock_kernel_version.as_deref(),
        Some("2.0")
    );
    assert_eq!(
        tab.metadata.build_date, None,
        "--deterministic omits the date"
    );

    let tab = read_tab(fixture("multi.tab").as_slice()).expect("reads");
    let names: Vec<_> = tab
        .members
        .iter()
        .map(|m| m.parsed_name().expect("named"))
        .collect();
    assert_eq!(names[0].architecture, "cortex-m4");
    assert_eq!(names[0].fixed_addresses, None);
    assert_eq!(names[1].architecture, "rv32imac");
    assert_eq!(names[1].fixed_addresses, Some((0x2004_0060, 0x8000_2800)));
    assert_eq!(tab.members[0].bytes, fixture("multi-cortex-m4.tbf"));

    let mut metadata = TabMetadata::new("x");
    metadata.build_date = Some("2026-11-21T16:00:00Z".into());
    let parsed = TabMetadata::from_toml(&metadata.to_toml()).expect("parses");
    assert_eq!(parsed, metadata);
}

#[test]
fn an_elf2tab_style_header_built_from_scratch_matches_the_fixture() {
    let bytes = fixture("plain.tbf");
    let parsed = tbf::parse(&bytes).expect("parses");
    let main = parsed.main().expect("main");
    let program = parsed.program().expect("program");
    let fixed = parsed.fixed_addresses().expect("fixed");
    let header = tbf::HeaderBuilder::new()
        .total_size(parsed.total_size())
        .enabled(true)
        .tlv(HeaderTlv::Main(main))
        .tlv(HeaderTlv::Program(program))
        .tlv(HeaderTlv::PackageName("plain".into()))
        .tlv(HeaderTlv::FixedAddresses(fixed))
        .build();
    assert_eq!(
        header.to_bytes().expect("serialises"),
        parsed.header_bytes()
    );
}
