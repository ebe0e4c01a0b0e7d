//! Upstream libtock-rs on our boards (see the area's doc in `upstream.rs`).
//!
//! For each board: upstream's examples built as shipped for the board's
//! app memory and packaged by upstream elf2tab (`libtock_rs/packaging.rs`),
//! then each booted alone on the board, its console lines asserted in order
//! by the shared runner (`qemu::console`), its exit status included, with
//! the runner's timeouts. What each example must print, and why the others
//! are not run, is in `libtock_rs/examples.rs`.
//!
//! The sub-filter `libtock-rs` (or none) runs every example; an example's
//! name (`upstream:buttons`) runs that example on every board that has it.

mod examples;
mod packaging;

use crate::areas::{cortex_m, kernel};
use crate::context::Context;
use crate::qemu::console::{self, ConsoleScript};
use crate::qemu::Qemu;
use anyhow::{bail, Context as _, Result};
use examples::{Afterwards, Example, MPS2_EXAMPLES, RV32_EXAMPLES};
use packaging::BoardLayout;
use std::path::{Path, PathBuf};

/// Which of our boards, for booting.
#[derive(Clone, Copy)]
enum Machine {
    Rv32Virt,
    Mps2An386,
}

/// A board and the examples it runs.
struct Board {
    machine: Machine,
    layout: BoardLayout,
    examples: &'static [Example],
}

/// The app memory is the board's whole app flash and process RAM
/// (docs/boards/): the runtime's linker script checks the app fits, and
/// the kernel gives the app the RAM address it was linked for.
const BOARDS: &[Board] = &[
    Board {
        machine: Machine::Rv32Virt,
        layout: BoardLayout {
            name: "qemu-rv32-virt",
            target: "riscv32imac-unknown-none-elf",
            architecture: "rv32imac",
            // 0x2004_0000 up to the trust store at 0x21C4_0000.
            flash: (0x2004_0000, 0x1E8_0000),
            // 0x8001_0000 up to the end of QEMU's 1 MiB at 0x8010_0000.
            ram: (0x8001_0000, 0xF_0000),
        },
        examples: RV32_EXAMPLES,
    },
    Board {
        machine: Machine::Mps2An386,
        layout: BoardLayout {
            name: "mps2-an386",
            target: "thumbv7em-none-eabi",
            architecture: "cortex-m4",
            // 0x4_0000 up to the end of SSRAM1 at 0x40_0000.
            flash: (0x4_0000, 0x3C_0000),
            // 0x2001_0000 up to the end of SSRAM2/3 at 0x2040_0000.
            ram: (0x2001_0000, 0x3F_0000),
        },
        examples: MPS2_EXAMPLES,
    },
];

/// Builds and runs upstream libtock-rs's apps on the emulated boards.
pub fn tests(ctx: &Context) -> Result<()> {
    let filter = ctx.filter.as_deref();
    let everything = matches!(filter, None | Some("libtock-rs" | "libtock_rs"));
    let selected = |example: &Example| everything || filter == Some(example.name);
    if !BOARDS
        .iter()
        .any(|board| board.examples.iter().any(selected))
    {
        println!("upstream libtock-rs: no example is named {filter:?}; none run");
        return Ok(());
    }
    let source = packaging::prepare_source(ctx)?;
    let mut failures = Vec::new();
    for board in BOARDS {
        let chosen: Vec<&Example> = board.examples.iter().filter(|e| selected(e)).collect();
        if chosen.is_empty() {
            continue;
        }
        if let Err(error) = run_board(ctx, &source, board, &chosen, &mut failures) {
            failures.push(format!("{}: {error:#}", board.layout.name));
        }
    }
    if everything {
        for (name, reason) in examples::NOT_RUN {
            println!("upstream libtock-rs: {name}: not run: {reason}");
        }
    }
    if !failures.is_empty() {
        bail!(
            "{} upstream libtock-rs checks failed:\n{}",
            failures.len(),
            failures.join("\n")
        );
    }
    Ok(())
}

/// Builds the examples and the kernel for `board`, then runs each of
/// `chosen`, recording each failure and going on with the next.
fn run_board(
    ctx: &Context,
    source: &Path,
    board: &Board,
    chosen: &[&Example],
    failures: &mut Vec<String>,
) -> Result<()> {
    let elves = packaging::build_examples(ctx, source, &board.layout)?;
    let kernel = match board.machine {
        Machine::Rv32Virt => kernel::image::build_kernel(ctx)?,
        Machine::Mps2An386 => cortex_m::image::build_kernel(ctx)?,
    };
    for example in chosen {
        let what = format!("{} on {}", example.name, board.layout.name);
        println!("upstream libtock-rs: {what}");
        let result = packaging::package(ctx, &elves, &board.layout, example.name)
            .and_then(|tab| run_example(ctx, board, &kernel, example, &tab));
        match result {
            Ok(()) => println!("upstream libtock-rs: {what}: ok"),
            Err(error) => {
                println!("FAILED: upstream libtock-rs: {what}: {error:#}");
                failures.push(format!("{what}: {error:#}"));
            }
        }
    }
    Ok(())
}

/// Boots `tab` alone on a fresh board and judges its console.
fn run_example(
    ctx: &Context,
    board: &Board,
    kernel: &Path,
    example: &Example,
    tab: &Path,
) -> Result<()> {
    let mut qemu = boot(ctx, board, kernel, example.name, tab)?;
    let script = ConsoleScript::lines(example.name, example.expected).typing(example.input);
    console::run_example(&mut qemu, &script)?;
    if let Some(check) = example.check {
        if let Err(error) = check(&qemu.output()) {
            return Err(qemu.failure(&format!("{}: {error:#}", example.name)));
        }
    }
    if let Some(afterwards) = &example.afterwards {
        type_afterwards(&mut qemu, example, afterwards)?;
    }
    Ok(())
}

/// Types `afterwards` once the example's last line is out and waits for
/// its answer, each text after the previous one.
fn type_afterwards(qemu: &mut Qemu, example: &Example, afterwards: &Afterwards) -> Result<()> {
    if let Some(last) = example.expected.last() {
        qemu.expect(last, console::LINE_TIMEOUT)?;
    }
    console::type_slowly(qemu, afterwards.typed, console::KEYSTROKE_GAP)?;
    for text in afterwards.expected {
        qemu.expect(text, console::LINE_TIMEOUT).with_context(|| {
            let typed = afterwards.typed.escape_ascii();
            format!("{}: after typing \"{typed}\"", example.name)
        })?;
    }
    Ok(())
}

/// QEMU running `kernel` with the app of `tab` alone in a fresh flash
/// (qemu-rv32-virt: a new flash file, as `cargo xtask qemu --tab` writes
/// it; mps2-an386: a new app image at 0x4_0000).
fn boot(ctx: &Context, board: &Board, kernel: &Path, name: &str, tab: &Path) -> Result<Qemu> {
    let scratch = ctx.scratch_dir(&format!("upstream-libtock-rs/{}", board.layout.name))?;
    match board.machine {
        Machine::Rv32Virt => {
            let flash = fresh(scratch.join(format!("{name}.pflash")))?;
            kernel::board_with_tabs(ctx, kernel, &flash, &[tab.to_path_buf()])?.spawn()
        }
        Machine::Mps2An386 => {
            let tbf = packaging::extract_tbf(ctx, &board.layout, tab)?;
            let apps = scratch.join(format!("{name}.apps.bin"));
            std::fs::write(&apps, cortex_m::image::app_image(&[tbf])?)
                .with_context(|| format!("writing {}", apps.display()))?;
            cortex_m::image::board(kernel, Some(&apps)).spawn()
        }
    }
}

/// `path` with no file there (a flash file from an earlier run would keep
/// its key-value records).
fn fresh(path: PathBuf) -> Result<PathBuf> {
    if path.exists() {
        std::fs::remove_file(&path).with_context(|| format!("removing {}", path.display()))?;
    }
    Ok(path)
}
