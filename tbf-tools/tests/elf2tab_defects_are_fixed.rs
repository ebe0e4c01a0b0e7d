//! Where elf2tab 0.13.0 is wrong, we do the right thing (each difference is
//! listed in docs/packager.md): this proves both halves against upstream.

mod common;

use std::process::Command;

use common::{corpus_elf, keygen, run_tbf, scratch_dir, upstream_elf2tab};

#[test]
fn ecdsa_signing_with_no_spare_footer_room_works_where_elf2tab_panics() {
    let dir = scratch_dir("defect-ecdsa");
    let key = keygen(&dir, "signer");
    std::fs::copy(corpus_elf("c_rv32_data"), dir.join("app.elf")).unwrap();
    let private = key.with_extension("der").display().to_string();
    let upstream = Command::new(upstream_elf2tab())
        .current_dir(&dir)
        .args([
            "--deterministic",
            "-o",
            "upstream.tab",
            "app.elf",
            "--ecdsa-nist-p256-private",
            &private,
        ])
        .output()
        .unwrap();
    assert!(
        !upstream.status.success(),
        "elf2tab 0.13.0 was expected to fail here (its ECDSA footer is not counted in the size)"
    );
    std::fs::remove_file(dir.join("app.tbf")).ok();
    let ours = run_tbf(
        &dir,
        &[
            "pack",
            "--deterministic",
            "app.elf",
            "--ecdsa-nist-p256-private",
            &private,
        ],
    );
    assert!(
        ours.status.success(),
        "{}",
        String::from_utf8_lossy(&ours.stderr)
    );
    let image = std::fs::read(dir.join("app.tbf")).unwrap();
    let parsed = tbf::parse(&image).unwrap();
    assert_eq!(
        parsed.total_size() - parsed.binary_end_offset(),
        72,
        "exactly one ECDSA footer"
    );
    let verified = run_tbf(
        &dir,
        &[
            "verify",
            "--key",
            key.with_extension("pub").to_str().unwrap(),
            "app.tbf",
        ],
    );
    assert!(
        verified.status.success(),
        "{}",
        String::from_utf8_lossy(&verified.stdout)
    );
}

#[test]
fn minimum_ram_size_is_honoured() {
    let dir = scratch_dir("defect-ram");
    std::fs::copy(corpus_elf("c_arm_pic_data"), dir.join("app.elf")).unwrap();
    let ours = run_tbf(
        &dir,
        &[
            "pack",
            "--deterministic",
            "app.elf",
            "--minimum-ram-size",
            "65536",
        ],
    );
    assert!(ours.status.success());
    let image = std::fs::read(dir.join("app.tbf")).unwrap();
    assert_eq!(tbf::parse(&image).unwrap().minimum_ram_size(), 65536);
}
