//! `tbf sign` then `tbf verify` round-trips for TBFs and TABs, using
//! reserved footer space or growing the image; and any single flipped byte
//! in the integrity region makes `tbf verify` fail by its exit status.

mod common;

use std::path::{Path, PathBuf};

use common::{corpus_elf, keygen, run_tbf, scratch_dir};

const EXIT_VERIFIED: i32 = 0;
const EXIT_FAILED: i32 = 1;
const EXIT_UNVERIFIED: i32 = 3;

fn pack(dir: &Path, elf: &str, extra: &[&str]) -> PathBuf {
    std::fs::copy(corpus_elf(elf), dir.join(format!("{elf}.elf"))).unwrap();
    let input = format!("{elf}.elf");
    let mut args = vec!["pack", "--deterministic", input.as_str()];
    args.extend_from_slice(extra);
    let output = run_tbf(dir, &args);
    assert!(
        output.status.success(),
        "pack: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    dir.join(format!("{elf}.tbf"))
}

fn verify(dir: &Path, key: Option<&Path>, file: &Path) -> i32 {
    let mut args = vec!["verify".to_string(), "--quiet".to_string()];
    if let Some(key) = key {
        args.extend(["--key".to_string(), key.display().to_string()]);
    }
    args.push(file.display().to_string());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let output = run_tbf(dir, &args);
    output.status.code().expect("verify was killed")
}

fn sign(dir: &Path, args: &[&str]) -> String {
    let mut full = vec!["sign"];
    full.extend_from_slice(args);
    let output = run_tbf(dir, &full);
    assert!(
        output.status.success(),
        "sign {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn total_size(path: &Path) -> u32 {
    tbf::parse(&std::fs::read(path).unwrap())
        .unwrap()
        .total_size()
}

#[test]
fn signing_into_reserved_footer_space_keeps_the_size_and_verifies() {
    let dir = scratch_dir("sign-reserved");
    let key = keygen(&dir, "signer");
    let tbf = pack(
        &dir,
        "c_rv32_data",
        &["--sha256", "--minimum-footer-size", "512"],
    );
    let size = total_size(&tbf);
    assert_eq!(
        verify(&dir, None, &tbf),
        EXIT_VERIFIED,
        "SHA-256 alone verifies"
    );
    assert_eq!(
        verify(&dir, Some(&key.with_extension("pub")), &tbf),
        EXIT_UNVERIFIED,
        "no signature yet"
    );
    let said = sign(
        &dir,
        &[
            "--key",
            key.with_extension("der").to_str().unwrap(),
            tbf.to_str().unwrap(),
        ],
    );
    assert!(said.contains("reserved"), "{said}");
    assert_eq!(total_size(&tbf), size);
    assert_eq!(
        verify(&dir, Some(&key.with_extension("pub")), &tbf),
        EXIT_VERIFIED
    );
    assert_eq!(
        verify(&dir, Some(&key.with_extension("pub.pem")), &tbf),
        EXIT_VERIFIED
    );
    assert_eq!(
        verify(&dir, None, &tbf),
        EXIT_VERIFIED,
        "the SHA-256 credential was kept"
    );
    // Another key's signature is "not verified by this key" (3), as
    // docs/packager.md says: it cannot be told from an altered image.
    let other = keygen(&dir, "someone-else");
    assert_eq!(
        verify(&dir, Some(&other.with_extension("pub")), &tbf),
        EXIT_UNVERIFIED
    );
}

#[test]
fn signing_without_room_grows_the_image_and_says_so() {
    let dir = scratch_dir("sign-grow");
    let key = keygen(&dir, "signer");
    let tbf = pack(&dir, "c_rv32_nodata", &[]);
    let size = total_size(&tbf);
    assert_eq!(
        verify(&dir, None, &tbf),
        EXIT_UNVERIFIED,
        "no credentials at all"
    );
    let signed = dir.join("signed.tbf");
    let said = sign(
        &dir,
        &[
            "--key",
            key.with_extension("pem").to_str().unwrap(),
            "--sha512",
            "-o",
            "signed.tbf",
            tbf.to_str().unwrap(),
        ],
    );
    assert!(said.contains("grew"), "{said}");
    assert_eq!(total_size(&signed), size + 72 + 72);
    assert_eq!(total_size(&tbf), size, "-o leaves the input alone");
    assert_eq!(
        verify(&dir, Some(&key.with_extension("pub")), &signed),
        EXIT_VERIFIED
    );
    // Signing again replaces the signature in place: no further growth.
    sign(
        &dir,
        &[
            "--key",
            key.with_extension("der").to_str().unwrap(),
            signed.to_str().unwrap(),
        ],
    );
    assert_eq!(total_size(&signed), size + 144);
    assert_eq!(
        verify(&dir, Some(&key.with_extension("pub")), &signed),
        EXIT_VERIFIED
    );
}

#[test]
fn power_of_two_images_grow_to_the_next_power_of_two() {
    let dir = scratch_dir("sign-arm");
    let key = keygen(&dir, "signer");
    let tbf = pack(&dir, "c_arm_pic_data", &["--sha256"]);
    let size = total_size(&tbf);
    assert!(size.is_power_of_two());
    sign(
        &dir,
        &[
            "--key",
            key.with_extension("der").to_str().unwrap(),
            "--sha384",
            "--sha512",
            "--rsa4096-private",
            rsa_key().to_str().unwrap(),
            tbf.to_str().unwrap(),
        ],
    );
    let grown = total_size(&tbf);
    assert!(grown.is_power_of_two() && grown > size, "{size} -> {grown}");
    assert_eq!(
        verify(&dir, Some(&key.with_extension("pub")), &tbf),
        EXIT_VERIFIED
    );
}

fn rsa_key() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/keys/rsa4096_test_only.der")
}

#[test]
fn every_tbf_in_a_tab_is_signed_and_verified() {
    let dir = scratch_dir("sign-tab");
    let key = keygen(&dir, "signer");
    for elf in ["c_rv32_data", "rust_arm_pic_data"] {
        std::fs::copy(corpus_elf(elf), dir.join(format!("{elf}.elf"))).unwrap();
    }
    let output = run_tbf(
        &dir,
        &[
            "pack",
            "--deterministic",
            "-o",
            "app.tab",
            "c_rv32_data.elf,rv32imac",
            "rust_arm_pic_data.elf,cortex-m4",
        ],
    );
    assert!(output.status.success());
    let tab = dir.join("app.tab");
    sign(
        &dir,
        &[
            "--key",
            key.with_extension("der").to_str().unwrap(),
            "app.tab",
        ],
    );
    assert_eq!(
        verify(&dir, Some(&key.with_extension("pub")), &tab),
        EXIT_VERIFIED
    );
    let inspect = run_tbf(
        &dir,
        &[
            "inspect",
            "--json",
            "--key",
            key.with_extension("pub").to_str().unwrap(),
            "app.tab",
        ],
    );
    let json: serde_json::Value =
        serde_json::from_slice(&inspect.stdout).expect("inspect --json prints JSON");
    let images = json["images"].as_array().unwrap();
    assert_eq!(images.len(), 2);
    for image in images {
        assert_eq!(image["credentials_ok"], true, "{image}");
        assert_eq!(image["credentials"][0]["verdict"], "verified");
    }
    assert!(json["tab_metadata"]
        .as_str()
        .unwrap()
        .contains("tab-version = 1"));
}

#[test]
fn flipping_any_byte_of_the_integrity_region_fails_verification() {
    let dir = scratch_dir("flip");
    let key = keygen(&dir, "signer");
    let tbf = pack(
        &dir,
        "c_arm_pic_data",
        &[
            "--sha256",
            "--ecdsa-nist-p256-private",
            key.with_extension("der").to_str().unwrap(),
        ],
    );
    let public = key.with_extension("pub");
    assert_eq!(verify(&dir, Some(&public), &tbf), EXIT_VERIFIED);
    let original = std::fs::read(&tbf).unwrap();
    let integrity_end = tbf::parse(&original).unwrap().binary_end_offset() as usize;
    // Every header byte, then every seventh byte of the rest, and the last.
    let header = usize::from(tbf::parse(&original).unwrap().header_size());
    let positions: Vec<usize> = (0..header)
        .chain((header..integrity_end).step_by(7))
        .chain([integrity_end - 1])
        .collect();
    assert!(positions.len() >= 80, "{} positions", positions.len());
    let flipped = dir.join("flipped.tbf");
    for &position in &positions {
        for mask in [0x01u8, 0x80] {
            let mut bytes = original.clone();
            bytes[position] ^= mask;
            std::fs::write(&flipped, &bytes).unwrap();
            let status = verify(&dir, Some(&public), &flipped);
            assert_eq!(
                status, EXIT_FAILED,
                "flipping bit {mask:#x} of byte {position} was not detected"
            );
        }
    }
}
