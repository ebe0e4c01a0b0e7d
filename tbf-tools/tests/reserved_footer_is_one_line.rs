//! A large reserved footer (split into many Reserved credentials of at most
//! 64 KiB each) is one line in `tbf verify` and `tbf inspect`, and one
//! entry with its count in `inspect --json`.

mod common;

use common::{corpus_elf, run_tbf, scratch_dir};

#[test]
fn many_reserved_credentials_are_reported_once() {
    let dir = scratch_dir("reserved-one-line");
    std::fs::copy(corpus_elf("c_arm_pic_data"), dir.join("app.elf")).unwrap();
    let output = run_tbf(
        &dir,
        &[
            "pack",
            "--kernel-major",
            "2",
            "--minimum-footer-size",
            "600000",
            "app.elf",
        ],
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let verify = run_tbf(&dir, &["verify", "app.tbf"]);
    let said = String::from_utf8_lossy(&verify.stdout);
    let reserved: Vec<&str> = said
        .lines()
        .filter(|line| line.contains("Reserved"))
        .collect();
    assert_eq!(reserved.len(), 1, "{said}");
    let inspect = run_tbf(&dir, &["inspect", "app.tbf"]);
    let text = String::from_utf8_lossy(&inspect.stdout);
    assert_eq!(text.matches("format: Reserved").count(), 1, "{text}");
    let json = run_tbf(&dir, &["inspect", "--json", "app.tbf"]);
    let document: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    let credentials = document["images"][0]["credentials"].as_array().unwrap();
    assert_eq!(credentials.len(), 1, "{credentials:?}");
    // 600,000 bytes of footer at least: more than nine 64 KiB credentials.
    let count = credentials[0]["count"].as_u64().expect("a count");
    assert!(count >= 10, "{count}");
    let line = format!("{count} Reserved credentials from");
    assert!(reserved[0].contains(&line), "{said}");
}
