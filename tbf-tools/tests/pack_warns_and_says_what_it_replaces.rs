//! `tbf pack` warns when no `--kernel-major` is given (the kernel skips
//! such an image) and never replaces a file the user did not name without
//! saying so: the `.tbf` beside each ELF, and the default `TockApp.tab`.

mod common;

use common::{corpus_elf, run_tbf, scratch_dir};

fn stderr_of(dir: &std::path::Path, arguments: &[&str]) -> String {
    let output = run_tbf(dir, arguments);
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(output.status.success(), "{stderr}");
    stderr
}

#[test]
fn no_kernel_version_is_warned_about() {
    let dir = scratch_dir("pack-no-kernel-version");
    std::fs::copy(corpus_elf("c_rv32_data"), dir.join("app.elf")).unwrap();
    let warned = stderr_of(&dir, &["pack", "-o", "app.tab", "app.elf"]);
    assert!(warned.contains("warning: no --kernel-major"), "{warned}");
    assert!(
        warned.contains("--kernel-major 2"),
        "names the fix: {warned}"
    );
    let quiet = stderr_of(
        &dir,
        &["pack", "--kernel-major", "2", "-o", "other.tab", "app.elf"],
    );
    assert!(!quiet.contains("kernel-major"), "{quiet}");
}

#[test]
fn replacing_files_the_user_did_not_name_is_said() {
    let dir = scratch_dir("pack-replaces");
    std::fs::copy(corpus_elf("c_rv32_data"), dir.join("app.elf")).unwrap();
    let first = stderr_of(&dir, &["pack", "--kernel-major", "2", "app.elf"]);
    assert!(!first.contains("replaced"), "nothing existed: {first}");
    let second = stderr_of(&dir, &["pack", "--kernel-major", "2", "app.elf"]);
    assert!(second.contains("note: replaced app.tbf"), "{second}");
    assert!(second.contains("note: replaced TockApp.tab"), "{second}");
    let named = stderr_of(
        &dir,
        &[
            "pack",
            "--kernel-major",
            "2",
            "-o",
            "TockApp2.tab",
            "app.elf",
        ],
    );
    assert!(
        !named.contains("TockApp2.tab"),
        "a named output is not announced: {named}"
    );
}
