//! TAB archives: written deterministically, read back, and every wrong
//! member reported by name.

mod common;

use tbf::tab::{member_name, read_tab, write_tab, TabError, TabMember, TabMetadata};

fn member(name: &str, bytes: Vec<u8>) -> TabMember {
    TabMember {
        name: name.into(),
        bytes,
    }
}

fn good_member() -> TabMember {
    member(
        &member_name("rv32imac"),
        common::image(common::minimal_header(), &common::binary(20), &[], 0),
    )
}

/// A tar with arbitrary members, written with the tar crate directly.
fn raw_tar(members: &[(&str, &[u8])]) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    for (name, bytes) in members {
        let mut header = tar::Header::new_gnu();
        header.set_size(bytes.len() as u64);
        header.set_mode(0o644);
        builder
            .append_data(&mut header, name, *bytes)
            .expect("in memory");
    }
    builder.into_inner().expect("in memory")
}

#[test]
fn a_written_tab_reads_back_and_writing_is_deterministic() {
    let mut metadata = TabMetadata::new("blink");
    metadata.minimum_tock_kernel_version = Some("2.1".into());
    metadata.only_for_boards = Some("qemu_rv32_virt".into());
    let members = [
        good_member(),
        member("cortex-m4.tbf", common::signed_image()),
    ];
    let first = write_tab(Vec::new(), &metadata.to_toml(), &members).expect("writes");
    let second = write_tab(Vec::new(), &metadata.to_toml(), &members).expect("writes");
    assert_eq!(first, second);
    assert_eq!(first.len() % 512, 0);
    let tab = read_tab(first.as_slice()).expect("reads");
    assert_eq!(tab.metadata, metadata);
    assert_eq!(tab.members, members);
    assert_eq!(
        tab.metadata_text,
        "tab-version = 1\nname = \"blink\"\nminimum-tock-kernel-version = \"2.1\"\nonly-for-boards = \"qemu_rv32_virt\"\n"
    );
}

#[test]
fn a_member_that_is_not_a_tbf_is_named_in_the_error() {
    let metadata = TabMetadata::new("x").to_toml();
    let tar = raw_tar(&[("metadata.toml", metadata.as_bytes()), ("README.md", b"hi")]);
    let error = read_tab(tar.as_slice()).expect_err("wrong member");
    assert!(matches!(&error, TabError::UnexpectedMember(name) if name == "README.md"));
    assert_eq!(
        error.to_string(),
        "the TAB member `README.md` is neither metadata.toml nor an <arch>.tbf image"
    );
}

#[test]
fn a_corrupt_tbf_member_is_named_with_the_parse_error() {
    let metadata = TabMetadata::new("x").to_toml();
    let mut image = good_member().bytes;
    image[0] = 9;
    let tar = raw_tar(&[
        ("metadata.toml", metadata.as_bytes()),
        ("rv32imac.tbf", &image),
    ]);
    let error = read_tab(tar.as_slice()).expect_err("bad member");
    assert!(matches!(
        &error,
        TabError::BadTbf { name, error: tbf::ParseError::UnsupportedVersion { version: 9 } }
            if name == "rv32imac.tbf"
    ));
    assert!(error
        .to_string()
        .starts_with("the TAB member `rv32imac.tbf` is not a valid TBF"));
}

#[test]
fn missing_or_bad_metadata_and_empty_tabs_are_errors() {
    let image = good_member().bytes;
    let no_metadata = raw_tar(&[("rv32imac.tbf", &image)]);
    assert!(matches!(
        read_tab(no_metadata.as_slice()),
        Err(TabError::MissingMetadata)
    ));

    let version_two = raw_tar(&[
        ("metadata.toml", b"tab-version = 2\n"),
        ("rv32imac.tbf", &image),
    ]);
    assert!(matches!(
        read_tab(version_two.as_slice()),
        Err(TabError::UnsupportedTabVersion(2))
    ));

    let not_toml = raw_tar(&[("metadata.toml", b"name = \n"), ("rv32imac.tbf", &image)]);
    assert!(matches!(
        read_tab(not_toml.as_slice()),
        Err(TabError::BadMetadata(_))
    ));

    let empty = raw_tar(&[("metadata.toml", b"tab-version = 1\nname = \"e\"\n")]);
    assert!(matches!(read_tab(empty.as_slice()), Err(TabError::NoTbf)));

    assert!(matches!(
        read_tab(&b"not a tar archive"[..]),
        Err(TabError::Io(_))
    ));
}

#[test]
fn metadata_reads_a_build_date_and_escapes_odd_names() {
    let text = "tab-version = 1\nname = \"app\"\nbuild-date = 2026-11-21T16:00:00Z\n";
    let metadata = TabMetadata::from_toml(text).expect("parses");
    assert_eq!(metadata.build_date.as_deref(), Some("2026-11-21T16:00:00Z"));
    assert_eq!(metadata.to_toml(), text);
    let odd = TabMetadata::new("quote\" and \\ slash");
    assert_eq!(
        TabMetadata::from_toml(&odd.to_toml()).expect("valid TOML"),
        odd
    );
}

#[test]
fn member_names_must_be_plain_file_names() {
    assert!(tbf::tab::parse_member_name("cortex-m4.tbf").is_some());
    assert!(tbf::tab::parse_member_name("dir/cortex-m4.tbf").is_none());
    assert!(tbf::tab::parse_member_name(".tbf").is_none());
    assert!(tbf::tab::parse_member_name("cortex-m4.bin").is_none());
}
