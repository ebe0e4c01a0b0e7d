//! libtock-rs and libtock-c examples on mps2-an386: each is built for
//! Thumb-2 and linked for mps2's app slot (libtock-rs: the runtime's
//! `mps2_an386.ld`; libtock-c: its `cortex-m4` image at 0x40080 with RAM
//! at 0x2000_8000), packaged by our `tbf`, booted alone, and its console
//! lines asserted in order.

use super::scenarios::Bench;
use crate::areas::targets::THUMBV7EM;
use crate::areas::{libtock_c, libtock_rs};
use crate::cmd;
use crate::qemu::console::{self, ConsoleScript};
use anyhow::{Context as _, Result};
use std::path::Path;
use std::process::Command;

/// What the kernel prints when a process ends with status 0.
const EXITED_OK: &str = "exited with status 0";

/// An example: binary (or `apps/c` directory), package name, stack and
/// heap for the packager (libtock-rs only), and its lines in order.
struct Example {
    name: &'static str,
    package: &'static str,
    stack: u32,
    heap: u32,
    expected: &'static [&'static str],
}

const RUST_EXAMPLES: &[Example] = &[
    Example {
        name: "hello",
        package: "hello",
        stack: 0x400,
        heap: 1024,
        expected: &["Hello, World!", EXITED_OK],
    },
    Example {
        name: "timer",
        package: "timer",
        stack: 0x800,
        heap: 1024,
        expected: &["timer: tick 1", "timer: tick 3", "timer: ok", EXITED_OK],
    },
    Example {
        name: "runtime_check",
        package: "runtime_check",
        stack: 0x1000,
        heap: 8192,
        expected: &["runtime_check: data ok", "runtime_check: ok", EXITED_OK],
    },
    Example {
        name: "syscall_conformance",
        package: "conformance",
        stack: 0x800,
        heap: 1024,
        expected: &["conformance: PASS", "conformance: ok ", EXITED_OK],
    },
];

const C_EXAMPLES: &[Example] = &[
    Example {
        name: "c_hello",
        package: "",
        stack: 0,
        heap: 0,
        expected: &["Hello, World!"],
    },
    Example {
        name: "timer",
        package: "",
        stack: 0,
        heap: 0,
        expected: &["timer: tick 3", "timer: ok"],
    },
    Example {
        name: "syscall_conformance",
        package: "",
        stack: 0,
        heap: 0,
        expected: &[
            "conformance: start",
            "conformance: result passed=",
            " failed=0\n",
        ],
    },
];

/// The libtock-c image for Cortex-M4 linked for mps2's first slot.
const C_IMAGE: &str = "cortex-m4.0x00040080.0x20008000.tbf";

/// Boots `tbf` alone and judges its console with the shared example
/// runner (the one the libtock areas use on qemu-rv32-virt).
fn run(bench: &Bench, example: &Example, tbf: Vec<u8>, tag: &str) -> Result<()> {
    let apps = bench.image_of(&format!("{tag}-{}", example.name), &[tbf])?;
    let script = ConsoleScript::lines(example.name, example.expected);
    console::run_example(&mut bench.spawn(&apps)?, &script)
}

/// Every libtock-rs example of [`RUST_EXAMPLES`] on mps2-an386.
pub fn libtock_rs_examples(bench: &mut Bench) -> Result<()> {
    let ctx = bench.context().clone();
    libtock_rs::build_examples(&ctx, THUMBV7EM, "mps2_an386.ld")
        .context("building the libtock-rs examples for mps2-an386")?;
    let tbf = libtock_rs::build_packager(&ctx)?;
    let directory = ctx.scratch_dir("cortex-m-libtock-rs")?;
    for example in RUST_EXAMPLES {
        let tab = directory.join(format!("{}.tab", example.name));
        let app = libtock_rs::LibtockApp {
            binary: example.name,
            package: example.package,
            stack: example.stack,
            heap: example.heap,
        };
        let mut pack = Command::new(&tbf);
        pack.arg("pack");
        libtock_rs::package_arguments(&ctx, &app, (THUMBV7EM, "cortex-m4"), &tab, &mut pack);
        cmd::output(&mut pack).with_context(|| format!("packaging {}", example.name))?;
        let image = extract(&directory, &tab, "cortex-m4.tbf")?;
        run(bench, example, image, "libtock-rs")
            .with_context(|| format!("libtock-rs example {}", example.name))?;
    }
    Ok(())
}

/// Every libtock-c example of [`C_EXAMPLES`] on mps2-an386.
pub fn libtock_c_examples(bench: &mut Bench) -> Result<()> {
    let ctx = bench.context().clone();
    let tbf = libtock_rs::build_packager(&ctx)?;
    let scratch = ctx.scratch_dir("cortex-m-libtock-c")?;
    for example in C_EXAMPLES {
        // The libtock-c area's build (every target): shared, so whichever
        // area runs second finds the apps built.
        let tab = libtock_c::build_example(&ctx, &tbf, example.name)?;
        let image = extract(&scratch, &tab, C_IMAGE)?;
        run(bench, example, image, "libtock-c")
            .with_context(|| format!("libtock-c example {}", example.name))?;
    }
    Ok(())
}

/// The TBF named `member` inside `tab`.
fn extract(directory: &Path, tab: &Path, member: &str) -> Result<Vec<u8>> {
    let out = directory.join("extracted");
    std::fs::create_dir_all(&out)?;
    let mut tar = Command::new("tar");
    tar.arg("-xf").arg(tab).arg("-C").arg(&out).arg(member);
    cmd::output(&mut tar).with_context(|| format!("{} holds no {member}", tab.display()))?;
    let path = out.join(member);
    std::fs::read(&path).with_context(|| format!("reading {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::super::image;
    use super::*;

    #[test]
    fn every_example_expects_at_least_one_line() {
        for example in RUST_EXAMPLES.iter().chain(C_EXAMPLES) {
            assert!(!example.expected.is_empty(), "{}", example.name);
        }
    }

    #[test]
    fn the_libtock_c_image_is_linked_inside_mps2_app_flash() {
        let flash = C_IMAGE.split('.').nth(1).expect("name.flash.ram.tbf");
        let flash = u64::from_str_radix(flash.trim_start_matches("0x"), 16).unwrap();
        assert!((image::APP_FLASH_ADDRESS..image::APP_FLASH_END).contains(&flash));
    }
}
