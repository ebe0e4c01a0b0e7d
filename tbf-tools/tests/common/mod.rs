//! Shared set-up for the packager's integration tests: building the ELF
//! corpus from `tests/corpus/` (into the target dir, never the source tree)
//! and finding the tools. A missing tool fails the test with what to run.
#![allow(dead_code, reason = "each test binary uses a different part")]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

/// Our binary, as cargo built it for the tests.
pub fn tbf_binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_tbf"))
}

/// Upstream elf2tab 0.13.0, installed by `cargo xtask setup` (xtask passes
/// its path as `TOCK_DEV_ELF2TAB`; a plain `cargo test` finds the default).
pub fn upstream_elf2tab() -> PathBuf {
    let path = match std::env::var_os("TOCK_DEV_ELF2TAB") {
        Some(path) if !path.is_empty() => PathBuf::from(path),
        _ => {
            let home = std::env::var_os("HOME").expect("HOME is not set");
            Path::new(&home).join(".cache/tock-dev/elf2tab/bin/elf2tab")
        }
    };
    assert!(
        path.is_file(),
        "upstream elf2tab is missing at {}: run `cargo xtask setup` (it installs elf2tab 0.13.0 there)",
        path.display()
    );
    path
}

/// A fresh directory under the target dir for one test.
pub fn scratch_dir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("tbf-tools")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("cannot create a scratch directory");
    dir
}

fn corpus_source(file: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/corpus")
        .join(file)
}

/// How one corpus ELF is built.
pub struct CorpusElf {
    pub name: &'static str,
    pub what: &'static str,
    build: fn(&Path) -> Command,
}

fn require_tool(tool: &str) {
    let found = Command::new(tool).arg("--version").output().is_ok();
    assert!(
        found,
        "cross compiler `{tool}` is missing: run `cargo xtask setup` (it installs the RISC-V and ARM toolchains)"
    );
}

fn gcc_riscv(out: &Path, extra: &[&str], script: &str, defsyms: &[&str]) -> Command {
    require_tool("riscv64-unknown-elf-gcc");
    let mut command = Command::new("riscv64-unknown-elf-gcc");
    command.args([
        "-march=rv32imac",
        "-mabi=ilp32",
        "-Os",
        "-nostdlib",
        "-ffreestanding",
    ]);
    command.args(extra);
    command.arg(format!("-T{}", corpus_source(script).display()));
    for symbol in defsyms {
        command.arg(format!("-Wl,--defsym={symbol}"));
    }
    command.arg("-o").arg(out).arg(corpus_source("app.c"));
    command
}

fn gcc_arm_pic(out: &Path, extra: &[&str], defsyms: &[&str]) -> Command {
    require_tool("arm-none-eabi-gcc");
    let mut command = Command::new("arm-none-eabi-gcc");
    command.args([
        "-mcpu=cortex-m4",
        "-mthumb",
        "-Os",
        "-fPIC",
        "-msingle-pic-base",
        "-mpic-register=r9",
        "-mno-pic-data-is-text-relative",
        "-nostdlib",
        "-ffreestanding",
        "-Wl,--emit-relocs",
    ]);
    command.args(extra);
    command.arg(format!("-T{}", corpus_source("arm_pic.ld").display()));
    for symbol in defsyms {
        command.arg(format!("-Wl,--defsym={symbol}"));
    }
    command.arg("-o").arg(out).arg(corpus_source("app.c"));
    command
}

fn rustc(out: &Path, target: &str, extra: &[&str], link_args: &[&str]) -> Command {
    let mut command = Command::new(std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into()));
    command.args([
        "--edition",
        "2021",
        "--crate-type",
        "bin",
        "-C",
        "opt-level=s",
    ]);
    command.args(["-C", "panic=abort", "--target", target]);
    command.args(extra);
    for arg in link_args {
        command.arg("-C").arg(format!("link-arg={arg}"));
    }
    command.arg("-o").arg(out).arg(corpus_source("app.rs"));
    command
}

const RV_SYMBOLS: [&str; 2] = ["_flash_origin=0x20040080", "_sram_origin=0x80004000"];

/// The corpus: C and Rust, RISC-V fixed-address and ARM position-independent,
/// with and without .data/.bss, the symbols elf2tab looks for.
pub const CORPUS: &[CorpusElf] = &[
    CorpusElf {
        name: "c_rv32_data",
        what: "C, RISC-V fixed address, .data/.bss, _flash_origin/_sram_origin",
        build: |out| gcc_riscv(out, &[], "rv32_fixed.ld", &RV_SYMBOLS),
    },
    CorpusElf {
        name: "c_rv32_nodata",
        what: "C, RISC-V fixed address from segments, no .data/.bss, no symbols",
        // -n: no page alignment, so the ELF headers are not in the segment.
        build: |out| gcc_riscv(out, &["-DNO_DATA", "-Wl,-n"], "rv32_fixed.ld", &[]),
    },
    CorpusElf {
        name: "c_rv32_wfr",
        what: "C, RISC-V fixed address 0x60 past 256, writeable flash region, default stack",
        build: |out| {
            gcc_riscv(
                out,
                &["-DNO_DATA"],
                "rv32_fixed_0x60.ld",
                &["_flash_origin=0x20080060"],
            )
        },
    },
    CorpusElf {
        name: "c_rv32_protected",
        what: "C, RISC-V fixed address, tbf_protected_region_size symbol",
        build: |out| {
            gcc_riscv(
                out,
                &[],
                "rv32_fixed.ld",
                &[
                    RV_SYMBOLS[0],
                    RV_SYMBOLS[1],
                    "tbf_protected_region_size=0x180",
                ],
            )
        },
    },
    CorpusElf {
        name: "c_arm_pic_data",
        what: "C, ARM r9-PIC, .data with pointers (.rel.data), .bss",
        build: |out| gcc_arm_pic(out, &[], &[]),
    },
    CorpusElf {
        name: "c_arm_pic_nodata",
        what: "C, ARM r9-PIC, no .data/.bss",
        build: |out| gcc_arm_pic(out, &["-DNO_DATA"], &[]),
    },
    CorpusElf {
        name: "c_arm_pic_protected",
        what: "C, ARM PIC marked by _flash_origin=0x80000000, tbf_protected_region_size symbol",
        build: |out| {
            gcc_arm_pic(
                out,
                &[],
                &[
                    "_flash_origin=0x80000000",
                    "tbf_protected_region_size=0x100",
                ],
            )
        },
    },
    CorpusElf {
        name: "rust_rv32_data",
        what: "Rust, riscv32imac fixed address, .data/.bss, _flash_origin/_sram_origin",
        build: |out| {
            rustc(
                out,
                "riscv32imac-unknown-none-elf",
                &[],
                &[
                    &format!("-T{}", corpus_source("rv32_fixed.ld").display()),
                    "--defsym=_flash_origin=0x20040080",
                    "--defsym=_sram_origin=0x80004000",
                ],
            )
        },
    },
    CorpusElf {
        name: "rust_rv32_nodata",
        what: "Rust, riscv32imac fixed address from segments, no .data/.bss",
        build: |out| {
            rustc(
                out,
                "riscv32imac-unknown-none-elf",
                &["--cfg", "no_data"],
                &[&format!("-T{}", corpus_source("rv32_fixed.ld").display())],
            )
        },
    },
    CorpusElf {
        name: "rust_arm_pic_data",
        what: "Rust, thumbv7em ropi-rwpi, .data with pointers (.rel.data)",
        build: |out| {
            rustc(
                out,
                "thumbv7em-none-eabi",
                &["-C", "relocation-model=ropi-rwpi"],
                &[
                    &format!("-T{}", corpus_source("arm_pic.ld").display()),
                    "--emit-relocs",
                ],
            )
        },
    },
    CorpusElf {
        name: "rust_arm_pic_nodata",
        what: "Rust, thumbv7em ropi-rwpi, no .data/.bss",
        build: |out| {
            rustc(
                out,
                "thumbv7em-none-eabi",
                &["-C", "relocation-model=ropi-rwpi", "--cfg", "no_data"],
                &[
                    &format!("-T{}", corpus_source("arm_pic.ld").display()),
                    "--emit-relocs",
                ],
            )
        },
    },
];

/// Builds the corpus once per test binary; returns `(name, elf path)`.
pub fn corpus() -> &'static [(String, PathBuf)] {
    static BUILT: OnceLock<Vec<(String, PathBuf)>> = OnceLock::new();
    BUILT.get_or_init(|| {
        let test_binary = std::env::current_exe()
            .ok()
            .and_then(|exe| exe.file_stem().map(|s| s.to_string_lossy().into_owned()))
            .unwrap_or_default();
        let dir = scratch_dir(&format!("corpus-{test_binary}"));
        CORPUS
            .iter()
            .map(|elf| {
                let out = dir.join(format!("{}.elf", elf.name));
                let result = (elf.build)(&out).output().expect("cannot start a compiler");
                assert!(
                    result.status.success(),
                    "building corpus ELF {} ({}) failed:\n{}",
                    elf.name,
                    elf.what,
                    String::from_utf8_lossy(&result.stderr)
                );
                (elf.name.to_string(), out)
            })
            .collect()
    })
}

/// The path of one corpus ELF.
pub fn corpus_elf(name: &str) -> PathBuf {
    corpus()
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, path)| path.clone())
        .unwrap_or_else(|| panic!("no corpus ELF called {name}"))
}

/// Runs `tbf` with `args` in `dir`.
pub fn run_tbf(dir: &Path, args: &[&str]) -> Output {
    Command::new(tbf_binary())
        .current_dir(dir)
        .args(args)
        .output()
        .expect("cannot run tbf")
}

/// Makes `tbf keygen` write a P-256 key pair `<dir>/<name>.*`.
pub fn keygen(dir: &Path, name: &str) -> PathBuf {
    let output = run_tbf(dir, &["keygen", "--out", name]);
    assert!(
        output.status.success(),
        "tbf keygen failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    dir.join(name)
}
