//! One image per app name at boot: the image the board would run stays,
//! the others become padding through the journal.

use super::*;
use tbf::{FooterCredential, HeaderBuilder, HeaderTlv, ProgramTlv};

/// A 512-byte image of `name` at `version`, with a SHA-256 credential
/// that verifies when `signed`.
fn versioned_image(name: &str, version: u32, signed: bool) -> Vec<u8> {
    let binary_end = 256;
    let mut header = HeaderBuilder::new()
        .enabled(true)
        .tlv(HeaderTlv::Program(ProgramTlv {
            app_version: version,
            binary_end_offset: binary_end,
            ..ProgramTlv::default()
        }))
        .tlv(HeaderTlv::PackageName(name.into()))
        .build();
    header.total_size = 512;
    let mut bytes = header.to_bytes().unwrap();
    bytes.resize(binary_end as usize, version as u8);
    if signed {
        bytes.extend(FooterCredential::sha256(&bytes).to_bytes().unwrap());
    }
    bytes.resize(512, 0);
    bytes
}

fn freed_offsets(images: &[Vec<u8>], policy: bool) -> Vec<usize> {
    let service = Service::with_images(0xff, &images.concat());
    if policy {
        service
            .loader
            .set_credential_policy(kernel::credential::CredentialPolicy::Sha256Integrity);
    }
    let freed = service.loader.free_duplicate_images();
    let rewrites = service.rewrites.0.borrow();
    assert_eq!(freed, rewrites.len());
    for (_, header) in rewrites.iter() {
        assert_eq!(header.as_slice(), tbf::padding_header(512), "same size");
    }
    rewrites.iter().map(|(offset, _)| *offset).collect()
}

#[test]
fn of_two_images_of_one_app_the_higher_version_stays() {
    let images = [
        versioned_image("blink", 2, false),
        versioned_image("blink", 1, false),
    ];
    assert_eq!(freed_offsets(&images, false), [512], "version 1 is freed");
}

#[test]
fn a_higher_version_the_board_refuses_is_freed_and_the_accepted_old_one_stays() {
    let images = [
        versioned_image("blink", 1, true),
        versioned_image("blink", 2, false),
    ];
    assert_eq!(
        freed_offsets(&images, true),
        [512],
        "unsigned version 2 is freed"
    );
    assert_eq!(
        freed_offsets(&images, false),
        [0],
        "without a policy version 2 runs"
    );
}

#[test]
fn apps_with_one_image_each_are_left_alone() {
    let images = [
        versioned_image("blink", 1, false),
        versioned_image("hello", 1, false),
    ];
    assert!(freed_offsets(&images, false).is_empty());
}
