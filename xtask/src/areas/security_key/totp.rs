//! TOTP (RFC 6238) from the HOTP apps on qemu-rv32-virt, with the time
//! from QEMU's goldfish RTC (the kernel's date-time driver), checked by
//! two independent clients: Debian's `oathtool --totp` and pyotp.
//!
//! The first boot programs two slots over the console (the host's time:
//! nothing depends on it). The second boots the same flash with `-rtc
//! base=...`, four seconds before a 30-second step boundary, and asks for
//! slot 0's code until the device's own time has crossed into the next
//! step: two codes from two steps, each checked at the time the device
//! printed with it. Waiting is bounded; no assertion is about time.

use super::oathtool;
use super::qemu::{
    boot, connect, flash_with, python_command, python_dir, scratch, type_line, typed_code,
    wait_until_ready, with_hid_link, RFC_SECRET, TIMEOUT,
};
use crate::areas::kernel::scenarios::board;
use crate::cmd;
use crate::context::Context;
use crate::qemu::Qemu;
use anyhow::{bail, ensure, Context as _, Result};
use std::os::unix::net::UnixStream;
use std::time::Duration;

/// Where the second boot's clock starts: Unix time 2,000,000,006, four
/// seconds before the step that begins at 03:33:30 UTC, and years after
/// the host's time, so a clock that ignored it would be noticed.
const CLOCK_BASE: &str = "2033-05-18T03:33:26";
/// RFC 6238's default time step, the apps' and both clients'.
const STEP_SECONDS: u64 = 30;
/// How many steps to wait at most for the device's time to move on.
const STEP_ATTEMPTS: u32 = 3;

/// A code the device printed and typed, with the Unix time it used.
#[derive(Clone, Debug)]
struct TotpCode {
    time: u64,
    code: String,
}

/// One slot as programmed: what the clients need to recompute its codes.
struct SlotSettings {
    slot: u32,
    digits: u32,
    algorithm: &'static str,
}

const SIX_DIGITS_SHA1: SlotSettings = SlotSettings {
    slot: 0,
    digits: 6,
    algorithm: "sha1",
};
const EIGHT_DIGITS_SHA256: SlotSettings = SlotSettings {
    slot: 1,
    digits: 8,
    algorithm: "sha256",
};

/// The TOTP scenario for one HOTP app (`name`: `hotp` or `c-hotp`).
pub fn totp(ctx: &Context, name: &str, tbf: &[u8]) -> Result<()> {
    let flash = flash_with(ctx, &format!("{name}-totp"), &[tbf])?;
    let socket = scratch(ctx)?.join(format!("{name}-totp.hid"));
    {
        let mut qemu = boot(&flash, &socket)?;
        let _link = connect(&socket)?;
        wait_until_ready(&mut qemu)?;
        for settings in [&SIX_DIGITS_SHA1, &EIGHT_DIGITS_SHA256] {
            let SlotSettings {
                slot,
                digits,
                algorithm,
            } = settings;
            type_line(
                &mut qemu,
                &format!("set {slot} {RFC_SECRET} {digits} {algorithm}"),
            )?;
            qemu.expect(
                &format!("hotp: slot {slot} programmed ({digits} digits, {algorithm})"),
                TIMEOUT,
            )?;
        }
    }
    let clock = format!("base={CLOCK_BASE}");
    let mut qemu = with_hid_link(board(&flash).args(["-rtc", clock.as_str()]), &socket)?.spawn()?;
    let mut link = connect(&socket)?;
    wait_until_ready(&mut qemu)?;
    let before = ask(&mut qemu, &mut link, SIX_DIGITS_SHA1.slot)?;
    let after = next_step(&mut qemu, &mut link, &before)?;
    let wide = ask(&mut qemu, &mut link, EIGHT_DIGITS_SHA256.slot)?;
    println!(
        "{name}: slot 0 at {} ({}) and {} ({}), slot 1 at {} ({})",
        before.time, before.code, after.time, after.code, wide.time, wide.code
    );
    ensure!(
        before.time >= base_seconds(),
        "the device's time {} is before the clock's base {CLOCK_BASE}: is the RTC ignored?",
        before.time
    );
    clients_agree(ctx, &SIX_DIGITS_SHA1, &[before, after])?;
    clients_agree(ctx, &EIGHT_DIGITS_SHA256, &[wide])
}

/// Unix seconds of [`CLOCK_BASE`] (RFC 6238 lists 2,000,000,000 as
/// 2033-05-18 03:33:20).
fn base_seconds() -> u64 {
    2_000_000_006
}

/// Types `totp <slot>`; the code printed, after checking the code typed on
/// the keyboard interface is the same.
fn ask(qemu: &mut Qemu, link: &mut UnixStream, slot: u32) -> Result<TotpCode> {
    type_line(qemu, &format!("totp {slot}"))?;
    let earlier = qemu.expect(&format!("hotp: slot {slot} time "), TIMEOUT)?;
    ensure!(
        !earlier.contains("error"),
        "the app reported an error: {earlier}"
    );
    let line = qemu.expect("\n", TIMEOUT)?;
    let printed = parse_totp_line(&line)
        .with_context(|| format!("the app printed `time {}`", line.trim()))?;
    let typed = typed_code(link)?;
    ensure!(
        typed == printed.code,
        "slot {slot}: printed {:?} but typed {typed:?}",
        printed.code
    );
    Ok(printed)
}

/// `<time> totp <code>` (the rest of the app's line) as a code.
fn parse_totp_line(rest: &str) -> Option<TotpCode> {
    let mut words = rest.split_whitespace();
    let time = words.next()?.parse().ok()?;
    (words.next()? == "totp").then_some(())?;
    let code = words.next()?;
    code.bytes()
        .all(|byte| byte.is_ascii_digit())
        .then(|| TotpCode {
            time,
            code: code.to_string(),
        })
}

/// Asks again once the device's clock should have entered the next step
/// (it runs with the host's), until it has; at most [`STEP_ATTEMPTS`].
fn next_step(qemu: &mut Qemu, link: &mut UnixStream, first: &TotpCode) -> Result<TotpCode> {
    let mut latest = first.clone();
    for _ in 0..STEP_ATTEMPTS {
        let left = STEP_SECONDS - latest.time % STEP_SECONDS;
        std::thread::sleep(Duration::from_secs(left) + Duration::from_millis(300));
        latest = ask(qemu, link, SIX_DIGITS_SHA1.slot)?;
        if latest.time / STEP_SECONDS > first.time / STEP_SECONDS {
            return Ok(latest);
        }
    }
    bail!(
        "the device's time stayed in the step of {} (last {}): is its clock running?",
        first.time,
        latest.time
    )
}

/// oathtool and pyotp give each of `codes` at its time.
fn clients_agree(ctx: &Context, settings: &SlotSettings, codes: &[TotpCode]) -> Result<()> {
    for code in codes {
        let expected = oathtool::totp(code.time, settings.digits, settings.algorithm)?;
        ensure!(
            expected == code.code,
            "slot {} at {}: the device gave {}, oathtool {expected}",
            settings.slot,
            code.time,
            code.code
        );
    }
    let mut check = python_command()?;
    check
        .current_dir(python_dir(ctx))
        .arg("totp_check.py")
        .arg(RFC_SECRET)
        .arg(settings.digits.to_string())
        .arg(settings.algorithm)
        .args(
            codes
                .iter()
                .map(|code| format!("{}:{}", code.time, code.code)),
        );
    let output = cmd::output(&mut check).context("pyotp disagrees with the device")?;
    println!("{} (and oathtool's)", output.trim());
    Ok(())
}

/// oathtool and pyotp both give RFC 6238 appendix B's SHA-1 codes.
pub fn check_clients(ctx: &Context) -> Result<()> {
    let vectors = [
        (59, "94287082"),
        (1_111_111_109, "07081804"),
        (1_111_111_111, "14050471"),
        (1_234_567_890, "89005924"),
        (2_000_000_000, "69279037"),
        (20_000_000_000, "65353130"),
    ];
    let settings = SlotSettings {
        slot: 0,
        digits: 8,
        algorithm: "sha1",
    };
    let codes: Vec<TotpCode> = vectors
        .iter()
        .map(|(time, code)| TotpCode {
            time: *time,
            code: code.to_string(),
        })
        .collect();
    clients_agree(ctx, &settings, &codes).context("oathtool and pyotp against RFC 6238 appendix B")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_apps_totp_line_parses() {
        let code = parse_totp_line("1765022429 totp 07081804\r\n").unwrap();
        assert_eq!((code.time, code.code.as_str()), (1_765_022_429, "07081804"));
        assert!(parse_totp_line("17 code 123456").is_none());
        assert!(parse_totp_line("x totp 123456").is_none());
        assert!(parse_totp_line("17 totp 12a456").is_none());
    }

    #[test]
    fn the_clock_base_is_four_seconds_before_a_step() {
        assert_eq!(base_seconds() % STEP_SECONDS, 26);
        assert!(CLOCK_BASE.ends_with(":26"));
    }
}
