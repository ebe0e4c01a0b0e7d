//! The harness area: proves xtask's own QEMU harness and instruction
//! counter on tiny bare-metal probes (`xtask/guest/rv32-probe.S` for
//! qemu-rv32-virt, `xtask/guest/mps2-probe.S` for mps2-an386), so a failing
//! kernel test can be trusted to be the kernel's fault.
//!
//! - the plugin counts exactly on both architectures: 1000 loop iterations
//!   of 3 instructions cost 3000 more than 0 iterations, and a repeated run
//!   gives the same count;
//! - a semihosting exit on mps2-an386 becomes QEMU's exit status;
//! - a program written into an erased pflash file boots in place, its
//!   serial output is matched, input reaches it, and its exit code comes back;
//! - the serial port works, byte-exact, over stdio, a Unix socket, and for
//!   an outside client (the loader's way in) over a pty and over TCP;
//! - a pattern that never appears fails with the captured output.

use super::Area;
use crate::cmd;
use crate::context::Context;
use crate::qemu::{self, Capture, Machine, Qemu, QemuBuilder};
use anyhow::{bail, ensure, Context as _, Result};
use std::fs::OpenOptions;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

/// The harness area in the registry.
pub const AREA: Area = Area {
    name: "harness",
    about: "xtask's QEMU harness and instruction-count plugin, on a bare-metal probe",
    tests,
    bench: None,
    device_crates: &[],
};

const RV32_PROBE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/guest/rv32-probe.S");
const MPS2_PROBE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/guest/mps2-probe.S");
const TIMEOUT: Duration = Duration::from_secs(20);
const RV32_RAM_BASE: u64 = 0x8000_0000;

type HarnessTest = fn(&Context) -> Result<()>;

const TESTS: &[(&str, HarnessTest)] = &[
    (
        "instruction_count_is_exact_and_repeatable",
        instruction_count_is_exact_and_repeatable,
    ),
    (
        "probe_boots_from_pflash_echoes_and_exits_with_its_code",
        probe_boots_from_pflash_echoes_and_exits_with_its_code,
    ),
    (
        "missing_output_fails_with_what_was_printed",
        missing_output_fails_with_what_was_printed,
    ),
    (
        "serial_over_a_unix_socket_carries_both_directions",
        serial_over_a_unix_socket_carries_both_directions,
    ),
    (
        "serial_over_a_pty_reaches_an_outside_client",
        serial_over_a_pty_reaches_an_outside_client,
    ),
    (
        "serial_over_tcp_reaches_an_outside_client",
        serial_over_tcp_reaches_an_outside_client,
    ),
    (
        "instruction_count_is_exact_on_cortex_m",
        instruction_count_is_exact_on_cortex_m,
    ),
    (
        "semihosting_exit_code_becomes_qemus_status",
        semihosting_exit_code_becomes_qemus_status,
    ),
];

/// Runs each harness test whose name contains the sub-filter.
pub fn tests(ctx: &Context) -> Result<()> {
    let selected: Vec<&(&str, HarnessTest)> = TESTS
        .iter()
        .filter(|(name, _)| {
            ctx.filter
                .as_deref()
                .is_none_or(|filter| name.contains(filter))
        })
        .collect();
    ensure!(
        !selected.is_empty(),
        "no harness test matches {:?}",
        ctx.filter.as_deref().unwrap_or_default()
    );
    let mut failed = Vec::new();
    for (name, test) in selected {
        match test(ctx) {
            Ok(()) => println!("test harness::{name} ... ok"),
            Err(error) => {
                println!("test harness::{name} ... FAILED\n{error:#}");
                failed.push(*name);
            }
        }
    }
    ensure!(failed.is_empty(), "failed: {}", failed.join(", "));
    Ok(())
}

/// Assembles the RISC-V probe with `defines`, linked at `address`; returns the ELF.
fn build_probe(ctx: &Context, name: &str, address: u64, defines: &[String]) -> Result<PathBuf> {
    let elf = ctx.scratch_dir("harness")?.join(format!("{name}.elf"));
    cmd::output(
        Command::new("riscv64-unknown-elf-gcc")
            .args([
                "-march=rv32imac",
                "-mabi=ilp32",
                "-nostdlib",
                "-nostartfiles",
            ])
            .arg(format!("-Wl,-Ttext={address:#x}"))
            .args(defines)
            .arg("-o")
            .arg(&elf)
            .arg(RV32_PROBE),
    )
    .context(
        "assembling the RISC-V probe (riscv64-unknown-elf-gcc comes with `cargo xtask setup`)",
    )?;
    Ok(elf)
}

/// Assembles the Cortex-M probe (vector table at 0, where mps2-an386 boots).
fn build_mps2_probe(ctx: &Context, iterations: u32, exit_code: u8) -> Result<PathBuf> {
    let elf = ctx
        .scratch_dir("harness")?
        .join(format!("mps2-{iterations}-{exit_code}.elf"));
    cmd::output(
        Command::new("arm-none-eabi-gcc")
            .args(["-mcpu=cortex-m4", "-mthumb", "-nostdlib", "-nostartfiles"])
            .args(["-Wl,-Ttext=0x0", "-Wl,--entry=reset"])
            .arg(format!("-DITERATIONS={iterations}"))
            .arg(format!("-DEXIT_CODE={exit_code}"))
            .arg("-o")
            .arg(&elf)
            .arg(MPS2_PROBE),
    )
    .context("assembling the Cortex-M probe (arm-none-eabi-gcc comes with `cargo xtask setup`)")?;
    Ok(elf)
}

fn count_mps2_loop(ctx: &Context, iterations: u32) -> Result<u64> {
    let elf = build_mps2_probe(ctx, iterations, 0)?;
    qemu::count_instructions(QemuBuilder::new(Machine::Mps2An386).kernel(&elf), TIMEOUT)
}

fn instruction_count_is_exact_on_cortex_m(ctx: &Context) -> Result<()> {
    // `ldr r0, =N` is one instruction whatever N, so only the loop differs.
    let with_zero = count_mps2_loop(ctx, 0)?;
    let with_thousand = count_mps2_loop(ctx, 1000)?;
    ensure!(
        with_thousand.checked_sub(with_zero) == Some(3000),
        "expected 3 instructions per loop iteration on Cortex-M, counted {with_zero} with 0 iterations and {with_thousand} with 1000"
    );
    Ok(())
}

fn semihosting_exit_code_becomes_qemus_status(ctx: &Context) -> Result<()> {
    let elf = build_mps2_probe(ctx, 5, 7)?;
    let exit = QemuBuilder::new(Machine::Mps2An386)
        .kernel(&elf)
        .spawn()?
        .wait(TIMEOUT)?;
    ensure!(
        exit.code == 7,
        "the probe exits with code 7, QEMU reported {}",
        exit.code
    );
    Ok(())
}

fn count_loop(ctx: &Context, iterations: u32) -> Result<u64> {
    let defines = ["-DCOUNT".to_owned(), format!("-DITERATIONS={iterations}")];
    let elf = build_probe(ctx, &format!("count-{iterations}"), RV32_RAM_BASE, &defines)?;
    qemu::count_instructions(QemuBuilder::new(Machine::Rv32Virt).kernel(&elf), TIMEOUT)
}

fn instruction_count_is_exact_and_repeatable(ctx: &Context) -> Result<()> {
    // Both loop counts fit `li`'s one-instruction form, so only the loop differs.
    let with_zero = count_loop(ctx, 0)?;
    let with_thousand = count_loop(ctx, 1000)?;
    let per_iteration = qemu::per_iteration(with_thousand, with_zero, 1000)?;
    ensure!(
        with_thousand.checked_sub(with_zero) == Some(3000),
        "expected 3 instructions per loop iteration, counted {per_iteration} ({with_zero} with 0 iterations, {with_thousand} with 1000)"
    );
    let again = count_loop(ctx, 1000)?;
    ensure!(
        again == with_thousand,
        "the count is not repeatable: {with_thousand} then {again}"
    );
    Ok(())
}

fn flash_with_echo_probe(ctx: &Context) -> Result<PathBuf> {
    let elf = build_probe(ctx, "echo", qemu::RV32_VIRT_PFLASH0_BASE, &[])?;
    let binary = elf.with_extension("bin");
    cmd::output(
        Command::new("riscv64-unknown-elf-objcopy")
            .args(["-O", "binary"])
            .arg(&elf)
            .arg(&binary),
    )?;
    let flash = ctx.scratch_dir("harness")?.join("echo.pflash");
    qemu::create_erased_flash(&flash)?;
    let image = std::fs::read(&binary).with_context(|| format!("reading {}", binary.display()))?;
    qemu::write_flash(&flash, 0, &image)?;
    Ok(flash)
}

fn probe_boots_from_pflash_echoes_and_exits_with_its_code(ctx: &Context) -> Result<()> {
    let flash = flash_with_echo_probe(ctx)?;
    let mut probe = QemuBuilder::new(Machine::Rv32Virt)
        .pflash(0, &flash)
        .spawn()?;
    probe.expect("probe ready\n", TIMEOUT)?;
    probe.send(b"ping\n")?;
    probe.expect("ping\n", TIMEOUT)?;
    probe.send(b"q")?;
    let exit = probe.wait(TIMEOUT)?;
    ensure!(
        exit.code == 3,
        "the probe exits with code 3, QEMU reported {}",
        exit.code
    );
    ensure!(
        exit.output == "probe ready\nping\n",
        "unexpected serial output {:?}",
        exit.output
    );
    Ok(())
}

fn serial_over_a_unix_socket_carries_both_directions(ctx: &Context) -> Result<()> {
    let flash = flash_with_echo_probe(ctx)?;
    // Unix socket paths are limited to about 100 bytes: keep it short.
    let socket = std::env::temp_dir().join(format!("xtask-serial-{}.sock", std::process::id()));
    let mut probe = QemuBuilder::new(Machine::Rv32Virt)
        .pflash(0, &flash)
        .serial_socket(&socket)
        .spawn()?;
    probe.expect("probe ready\n", TIMEOUT)?;
    probe.send(b"\x00\xfc\x01binary\n")?;
    probe.expect("binary\n", TIMEOUT)?;
    probe.send(b"q")?;
    let exit = probe.wait(TIMEOUT)?;
    ensure!(
        exit.code == 3,
        "the probe exits with code 3, QEMU reported {}",
        exit.code
    );
    ensure!(
        exit.raw_output == b"probe ready\n\x00\xfc\x01binary\n",
        "the serial output is not byte-exact: {:?}",
        exit.raw_output
    );
    // QEMU removes its socket when it exits.
    Ok(())
}

/// Plays the outside client (the loader's role): reads the banner, has a
/// line echoed, quits the probe, and checks its exit code.
fn converse_as_client(
    probe: Qemu,
    mut writer: impl Write,
    reader: impl Read + Send + 'static,
) -> Result<()> {
    let received = Capture::start(reader);
    let banner = received.wait_for(0, b"probe ready\n", TIMEOUT);
    let banner = banner.context("the client did not receive the banner")?;
    writer.write_all(b"ping\n")?;
    received
        .wait_for(banner, b"ping\n", TIMEOUT)
        .context("the client did not receive its echo")?;
    writer.write_all(b"q")?;
    let exit = probe.wait(TIMEOUT)?;
    ensure!(
        exit.code == 3,
        "the probe exits with code 3, QEMU reported {}",
        exit.code
    );
    Ok(())
}

fn serial_over_a_pty_reaches_an_outside_client(ctx: &Context) -> Result<()> {
    let flash = flash_with_echo_probe(ctx)?;
    let monitor = std::env::temp_dir().join(format!("xtask-monitor-{}.sock", std::process::id()));
    let mut probe = QemuBuilder::new(Machine::Rv32Virt)
        .pflash(0, &flash)
        .serial_pty(&monitor)
        .spawn()?;
    let pty = probe
        .serial_path()
        .context("QEMU gave no pty")?
        .to_path_buf();
    // Raw mode: the terminal layer must neither echo nor translate bytes.
    cmd::output(
        Command::new("stty")
            .arg("-F")
            .arg(&pty)
            .args(["raw", "-echo"]),
    )?;
    let port = OpenOptions::new()
        .read(true)
        .write(true)
        .open(&pty)
        .with_context(|| format!("opening {}", pty.display()))?;
    let reader = port.try_clone()?;
    probe.resume()?;
    converse_as_client(probe, port, reader)
}

fn serial_over_tcp_reaches_an_outside_client(ctx: &Context) -> Result<()> {
    let flash = flash_with_echo_probe(ctx)?;
    let probe = QemuBuilder::new(Machine::Rv32Virt)
        .pflash(0, &flash)
        .serial_tcp(qemu::free_tcp_port()?)
        .spawn()?;
    let address = probe.serial_address().context("no TCP address")?;
    let deadline = Instant::now() + TIMEOUT;
    let stream = loop {
        match TcpStream::connect(&address) {
            Ok(stream) => break stream,
            Err(error) if Instant::now() >= deadline => {
                bail!("could not connect to QEMU's serial port {address}: {error}")
            }
            Err(_) => std::thread::sleep(Duration::from_millis(20)),
        }
    };
    let reader = stream.try_clone()?;
    converse_as_client(probe, stream, reader)
}

fn missing_output_fails_with_what_was_printed(ctx: &Context) -> Result<()> {
    let flash = flash_with_echo_probe(ctx)?;
    let mut probe = QemuBuilder::new(Machine::Rv32Virt)
        .pflash(0, &flash)
        .spawn()?;
    probe.expect("probe ready", TIMEOUT)?;
    let Err(error) = probe.expect("never printed", Duration::from_millis(300)) else {
        bail!("expect succeeded on output the probe never prints");
    };
    let message = format!("{error:#}");
    ensure!(
        message.contains("never printed")
            && message.contains("probe ready")
            && message.contains("qemu-system-riscv32"),
        "the error lacks the pattern, the output or the command:\n{message}"
    );
    Ok(())
}
