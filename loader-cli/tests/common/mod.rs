//! Shared set-up for the loader's integration tests: tiny apps built with
//! the cross compilers and packed by upstream elf2tab, upstream tockloader,
//! flash files. A missing tool fails the test and says what to run.
#![allow(dead_code, reason = "each test binary uses a different part")]

pub mod simulated_bootloader;
pub mod tcp_bootloader;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Our binary.
pub fn loader() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_loader"))
}

fn cached_tool(variable: &str, default: &str, what: &str) -> PathBuf {
    let path = match std::env::var_os(variable) {
        Some(path) if !path.is_empty() => PathBuf::from(path),
        _ => {
            let home = std::env::var_os("HOME").expect("HOME is not set");
            Path::new(&home).join(default)
        }
    };
    assert!(
        path.is_file(),
        "{what} is missing at {}: run `cargo xtask setup` (it installs it there)",
        path.display()
    );
    path
}

/// Upstream elf2tab 0.13.0.
pub fn elf2tab() -> PathBuf {
    cached_tool(
        "TOCK_DEV_ELF2TAB",
        ".cache/tock-dev/elf2tab/bin/elf2tab",
        "upstream elf2tab 0.13.0",
    )
}

/// Upstream tockloader 1.19.
pub fn tockloader() -> PathBuf {
    cached_tool(
        "TOCK_DEV_TOCKLOADER",
        ".cache/tock-dev/tockloader-venv/bin/tockloader",
        "upstream tockloader 1.19",
    )
}

fn require_tool(tool: &str) {
    let found = Command::new(tool).arg("--version").output().is_ok();
    assert!(
        found,
        "cross compiler `{tool}` is missing: run `cargo xtask setup` (it installs the RISC-V and ARM toolchains)"
    );
}

/// A fresh directory under the target dir.
pub fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("loader-cli")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("cannot create a scratch directory");
    dir
}

const APP_C: &str = r#"
#include <stdint.h>
const uint32_t constants[4] = {0xdeadbeef, 0xcafef00d, 42, 7};
const uint8_t filler[FILL] = {1, 2, 3};
__attribute__((section(".text._start"), noreturn)) void _start(void) {
  volatile uint32_t acc = constants[0] + filler[1];
  for (;;) { acc = acc * 31u; }
}
"#;

fn riscv_script(flash: u32, ram: u32) -> String {
    format!(
        "MEMORY {{ FLASH (rx) : ORIGIN = {flash:#x}, LENGTH = 0x40000\n\
         RAM (rwx) : ORIGIN = {ram:#x}, LENGTH = 0x4000 }}\n\
         ENTRY(_start)\n\
         SECTIONS {{\n\
         .text : {{ KEEP(*(.text._start)) *(.text .text.*) *(.rodata .rodata.* .srodata .srodata.*) }} > FLASH\n\
         .stack (NOLOAD) : {{ . = ALIGN(8); . += 1024; }} > RAM\n\
         /DISCARD/ : {{ *(.eh_frame) *(.riscv.attributes) *(.comment) }}\n}}\n"
    )
}

const ARM_SCRIPT: &str = "MEMORY { FLASH (rx) : ORIGIN = 0x80000000, LENGTH = 0x100000\n\
  RAM (rwx) : ORIGIN = 0x00000000, LENGTH = 0x10000 }\n\
ENTRY(_start)\n\
SECTIONS {\n\
  .text : { KEEP(*(.text._start)) *(.text .text.*) *(.rodata .rodata.*) } > FLASH\n\
  .stack (NOLOAD) : { . = ALIGN(8); . += 1024; } > RAM\n\
  /DISCARD/ : { *(.ARM.exidx*) *(.ARM.attributes) *(.comment) }\n}\n";

fn run_ok(command: &mut Command, what: &str) {
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("{what}: cannot run: {e}"));
    assert!(
        output.status.success(),
        "{what} failed:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// What an app is built for.
#[derive(Clone, Copy, Debug)]
pub enum Target {
    /// rv32imac, fixed addresses: one build per (flash, RAM) pair.
    RiscV(&'static [(u32, u32)]),
    /// cortex-m4 or cortex-m0 position-independent.
    CortexM(&'static str),
}

/// Build `name` with `fill` bytes of filler for `target`, packed by elf2tab.
pub fn build_tab(dir: &Path, name: &str, fill: u32, target: Target) -> PathBuf {
    let work = dir.join(format!("build-{name}"));
    std::fs::create_dir_all(&work).unwrap();
    let source = work.join("app.c");
    std::fs::write(&source, APP_C).unwrap();
    let mut elves = Vec::new();
    match target {
        Target::RiscV(builds) => {
            require_tool("riscv64-unknown-elf-gcc");
            for (flash, ram) in builds {
                let script = work.join(format!("{flash:#x}.ld"));
                std::fs::write(&script, riscv_script(*flash, *ram)).unwrap();
                let elf = work.join(format!("rv32imac.{flash:#x}.{ram:#x}.elf"));
                run_ok(
                    Command::new("riscv64-unknown-elf-gcc")
                        .args(["-march=rv32imac", "-mabi=ilp32", "-Os", "-nostdlib"])
                        .args(["-ffreestanding", "-Wl,-n"])
                        .arg(format!("-DFILL={fill}"))
                        .arg(format!("-T{}", script.display()))
                        .arg("-o")
                        .arg(&elf)
                        .arg(&source),
                    "riscv64-unknown-elf-gcc",
                );
                elves.push(elf);
            }
        }
        Target::CortexM(cpu) => {
            require_tool("arm-none-eabi-gcc");
            let script = work.join("arm.ld");
            std::fs::write(&script, ARM_SCRIPT).unwrap();
            let elf = work.join(format!("{cpu}.elf"));
            run_ok(
                Command::new("arm-none-eabi-gcc")
                    .arg(format!("-mcpu={cpu}"))
                    .args(["-mthumb", "-Os", "-fPIC", "-msingle-pic-base"])
                    .args(["-mpic-register=r9", "-mno-pic-data-is-text-relative"])
                    .args(["-nostdlib", "-ffreestanding", "-Wl,--emit-relocs"])
                    .arg(format!("-DFILL={fill}"))
                    .arg(format!("-T{}", script.display()))
                    .arg("-o")
                    .arg(&elf)
                    .arg(&source),
                "arm-none-eabi-gcc",
            );
            elves.push(elf);
        }
    }
    let tab = dir.join(format!("{name}.tab"));
    run_ok(
        Command::new(elf2tab())
            .current_dir(&work)
            .arg("-o")
            .arg(&tab)
            .args(["-n", name, "--stack", "1024", "--app-heap", "512"])
            .args(["--kernel-heap", "512"])
            .args(&elves),
        "elf2tab",
    );
    tab
}

/// A flash file of `size` erased bytes.
pub fn erased_flash(path: &Path, size: usize) {
    std::fs::write(path, vec![0xFFu8; size]).unwrap();
}

/// Run a command and return its output.
pub fn run(program: &Path, args: &[&str]) -> Output {
    Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", program.display()))
}

/// Run and require success.
pub fn run_success(program: &Path, args: &[&str]) -> Output {
    let output = run(program, args);
    assert!(
        output.status.success(),
        "{} {:?} failed ({}):\n{}{}",
        program.display(),
        args,
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}
