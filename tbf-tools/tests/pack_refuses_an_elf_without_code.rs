//! `tbf pack` refuses an ELF the kernel could not start: one with no
//! executable code (what a libtock-rs app linked without its layout looked
//! like: entry 0, only `.eh_frame`), or whose entry lies outside its code.
//! Each is one clear line, a non-zero status and no output file.

mod common;

use common::{corpus_elf, run_tbf, scratch_dir};

/// ELF32 little-endian offsets: `e_entry`, `e_phoff`, `e_phentsize`,
/// `e_phnum`, and `p_type`/`p_flags` inside a program header.
const ENTRY: usize = 24;
const PROGRAM_HEADERS: usize = 28;
const PROGRAM_HEADER_SIZE: usize = 42;
const PROGRAM_HEADER_COUNT: usize = 44;
const SEGMENT_FLAGS: usize = 24;
const LOAD: u32 = 1;
const EXECUTABLE: u32 = 1;

fn read_u16(bytes: &[u8], at: usize) -> usize {
    u16::from_le_bytes([bytes[at], bytes[at + 1]]) as usize
}

fn read_u32(bytes: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap())
}

/// The file offsets of the program headers of loadable segments.
fn loadable_program_headers(elf: &[u8]) -> Vec<usize> {
    let first = read_u32(elf, PROGRAM_HEADERS) as usize;
    let size = read_u16(elf, PROGRAM_HEADER_SIZE);
    (0..read_u16(elf, PROGRAM_HEADER_COUNT))
        .map(|index| first + index * size)
        .filter(|&header| read_u32(elf, header) == LOAD)
        .collect()
}

/// Packs `elf` in a fresh directory, as the user did, and checks the clean
/// refusal.
fn pack_refuses(name: &str, elf: &[u8], expected: &str) {
    let dir = scratch_dir(name);
    std::fs::write(dir.join("app.elf"), elf).unwrap();
    let output = run_tbf(
        &dir,
        &["pack", "--kernel-major", "2", "-o", "app.tab", "app.elf"],
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "stderr: {stderr}");
    assert!(
        stderr.contains(expected),
        "stderr should say `{expected}`: {stderr}"
    );
    assert!(
        stderr.contains("LIBTOCK_LAYOUT"),
        "should name the fix: {stderr}"
    );
    assert!(!dir.join("app.tab").exists() && !dir.join("app.tbf").exists());
}

#[test]
fn an_elf_with_no_executable_segment_is_refused() {
    let mut elf = std::fs::read(corpus_elf("c_rv32_data")).unwrap();
    for header in loadable_program_headers(&elf) {
        let flags = read_u32(&elf, header + SEGMENT_FLAGS) & !EXECUTABLE;
        elf[header + SEGMENT_FLAGS..][..4].copy_from_slice(&flags.to_le_bytes());
    }
    pack_refuses("no-code", &elf, "no executable code");
}

#[test]
fn an_entry_point_of_zero_outside_the_code_is_refused() {
    let mut elf = std::fs::read(corpus_elf("c_rv32_data")).unwrap();
    elf[ENTRY..ENTRY + 4].copy_from_slice(&0u32.to_le_bytes());
    pack_refuses("entry-zero", &elf, "entry point 0x0 lies outside");
}

#[test]
fn the_unchanged_elf_still_packs() {
    // The two refusals above come from the change made to the file, not
    // from the file itself.
    let dir = scratch_dir("code-and-entry-ok");
    std::fs::copy(corpus_elf("c_rv32_data"), dir.join("app.elf")).unwrap();
    let output = run_tbf(
        &dir,
        &["pack", "--kernel-major", "2", "-o", "app.tab", "app.elf"],
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(dir.join("app.tab").exists());
}
