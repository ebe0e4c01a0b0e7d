//! The random-syscall run: the fuzzer app (first process) beside the
//! guardian (second), with a watchdog on the fuzzer's progress lines.
//!
//! Pass: QEMU ends with status 0 (the guardian ends it once the fuzzer
//! is done), the fuzzer reports every syscall issued and no violation, it
//! never faulted, the kernel never panicked, and the guardian printed
//! consecutive rounds, each with its pattern's checksum intact.

use crate::areas::kernel::scenarios::{spawn, Bench};
use crate::context::Context;
use crate::qemu::Qemu;
use anyhow::{bail, ensure, Context as _, Result};
use std::time::{Duration, Instant};

/// Longest time without a progress line before the run counts as hung.
const WATCHDOG: Duration = Duration::from_secs(30);
/// Time for QEMU to end after the fuzzer's last line.
const EXIT_TIMEOUT: Duration = Duration::from_secs(30);

/// The seed when `HOSTILE_SEED` is not set. Fixed, so that a CI run and a
/// benchmark figure repeat exactly; explore with `HOSTILE_SEED=random`.
const DEFAULT_SEED: u32 = 0x7f4a_7c15;

/// The seed: `HOSTILE_SEED` (decimal or 0x-hex; `random` for a new one from
/// the clock, printed so a failure can be repeated), else [`DEFAULT_SEED`].
pub fn seed() -> Result<u32> {
    match std::env::var("HOSTILE_SEED") {
        Err(_) => Ok(DEFAULT_SEED),
        Ok(text) if text == "random" => {
            let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?;
            Ok(now.subsec_nanos() ^ (now.as_secs() as u32).rotate_left(16))
        }
        Ok(text) => {
            let parsed = match text.strip_prefix("0x") {
                Some(hex) => u32::from_str_radix(hex, 16),
                None => text.parse(),
            };
            parsed.with_context(|| {
                format!("HOSTILE_SEED={text:?} is neither a u32 (decimal or 0x-hex) nor `random`")
            })
        }
    }
}

/// How a fuzzing run went.
pub struct FuzzRun {
    /// Syscalls known to have been issued with the kernel intact: all of
    /// them on success, else those up to the last progress line.
    pub survived: u64,
    /// `Ok` if every check passed.
    pub verdict: Result<()>,
}

/// Runs `syscalls` random syscalls from `seed` beside the guardian.
pub fn run(ctx: &Context, syscalls: u32, seed: u32) -> Result<FuzzRun> {
    println!(
        "hostile: fuzzing {syscalls} syscalls with seed {seed:#010x} \
         (repeat with HOSTILE_SEED={seed:#x})"
    );
    let settings = [
        ("FUZZ_SEED", format!("{seed:#x}")),
        ("FUZZ_SYSCALLS", syscalls.to_string()),
    ];
    let mut bench = Bench::build_with(ctx, 0, &settings)?;
    let flash = bench.flash(&format!("fuzzer-{syscalls}"), &["fuzzer", "guardian"])?;
    let mut qemu = spawn(&flash)?;
    let watched = watch(&mut qemu, syscalls);
    let survived = latest_progress(&qemu.output());
    let outcome = watched.and_then(|()| {
        let exit = qemu.wait(EXIT_TIMEOUT)?;
        check(&exit.output, exit.code, syscalls)
    });
    let context = format!("fuzzing with seed {seed:#010x} (repeat with HOSTILE_SEED={seed:#x})");
    Ok(match outcome {
        Ok(issued) => FuzzRun {
            survived: issued,
            verdict: Ok(()),
        },
        Err(error) => FuzzRun {
            survived,
            verdict: Err(error.context(context)),
        },
    })
}

/// Follows the fuzzer's progress until its final line; fails if no
/// progress shows for [`WATCHDOG`], or at once on a panic or corruption.
fn watch(qemu: &mut Qemu, syscalls: u32) -> Result<()> {
    let mut last_progress = 0u64;
    let mut deadline = Instant::now() + WATCHDOG;
    loop {
        let output = qemu.output();
        if done_line(&output).is_some() {
            return Ok(());
        }
        for fatal in FATAL {
            if let Some(index) = output.find(fatal) {
                bail!(
                    "{fatal:?} after {last_progress} syscalls:\n{}",
                    excerpt(&output, index)
                );
            }
        }
        let progress = latest_progress(&output);
        if progress > last_progress {
            last_progress = progress;
            deadline = Instant::now() + WATCHDOG;
        }
        if Instant::now() >= deadline {
            bail!(
                "watchdog: no progress for {WATCHDOG:?} after {last_progress} of {syscalls} syscalls \
                 (the kernel hung, died or starved the fuzzer); last output:\n{}",
                tail(&output)
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Lines that end a run at once: a kernel panic, a fault of the fuzzer
/// (it never hurts itself on purpose) or of the guardian, corruption.
const FATAL: &[&str] = &[
    "[kernel] PANIC",
    "[kernel] process fuzzer faulted",
    "[kernel] process guardian faulted",
    "guardian: CORRUPTED",
    "guardian: unexpected",
];

/// Some 2,000 characters of `output` from `index` on.
fn excerpt(output: &str, index: usize) -> &str {
    let mut end = (index + 2000).min(output.len());
    while !output.is_char_boundary(end) {
        end -= 1;
    }
    &output[index..end]
}

/// The last few thousand characters of `output`.
fn tail(output: &str) -> &str {
    let mut start = output.len().saturating_sub(3000);
    while !output.is_char_boundary(start) {
        start += 1;
    }
    &output[start..]
}

/// The largest `fuzzer: progress N` seen (0 if none). Lines garbled by
/// the fuzzer's own random console writes simply do not parse.
pub fn latest_progress(output: &str) -> u64 {
    output
        .match_indices("fuzzer: progress ")
        .filter_map(|(index, pattern)| leading_number(&output[index + pattern.len()..]))
        .max()
        .unwrap_or(0)
}

/// `(syscalls, violations)` of the fuzzer's final line, if printed.
pub fn done_line(output: &str) -> Option<(u64, u64)> {
    let (index, pattern) = output.match_indices("fuzzer: done, ").last()?;
    let rest = &output[index + pattern.len()..];
    let syscalls = leading_number(rest)?;
    let line = rest.lines().next()?;
    let violations = line
        .rsplit_once(" violations")?
        .0
        .rsplit(' ')
        .next()?
        .parse()
        .ok()?;
    Some((syscalls, violations))
}

fn leading_number(text: &str) -> Option<u64> {
    let digits: String = text.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

/// The guardian's checksum of its pattern (the same as `bin/guardian.rs`).
pub fn guardian_checksum() -> u32 {
    let mut hash: u32 = 0x811C_9DC5;
    for index in 0..64u32 {
        let word = index.wrapping_mul(0x9E37_79B9) ^ 0xC0DE_F00D;
        for byte in word.to_le_bytes() {
            hash ^= u32::from(byte);
            hash = hash.wrapping_mul(0x0100_0193);
        }
    }
    hash
}

/// Checks the guardian's round lines: consecutive from 0, each with the
/// right checksum; returns how many there were.
pub fn guardian_rounds(output: &str) -> Result<u64> {
    let expected = format!("{:08x}", guardian_checksum());
    let mut rounds = 0u64;
    for (index, pattern) in output.match_indices("guardian: round ") {
        let line = output[index + pattern.len()..].lines().next().unwrap_or("");
        let wanted = format!("{rounds} intact, checksum {expected}");
        ensure!(
            line.trim_end() == wanted,
            "the guardian's round {rounds} line reads {line:?}, expected {wanted:?}"
        );
        rounds += 1;
    }
    ensure!(
        !output.contains("guardian: CORRUPTED") && !output.contains("guardian: unexpected"),
        "the guardian saw its memory or the kernel's answers change"
    );
    Ok(rounds)
}

fn check(output: &str, code: i32, syscalls: u32) -> Result<u64> {
    ensure!(
        !output.contains("[kernel] PANIC"),
        "the kernel panicked:\n{output}"
    );
    ensure!(
        !output.contains("[kernel] process fuzzer faulted"),
        "the fuzzer faulted (it never hurts itself on purpose: the kernel broke its state):\n{output}"
    );
    let (issued, violations) = done_line(output).context("the fuzzer's final line is missing")?;
    ensure!(
        issued >= u64::from(syscalls) && violations == 0,
        "the fuzzer issued {issued} of {syscalls} syscalls and saw {violations} violations \
         (its `fuzzer: VIOLATION` lines say which)"
    );
    let rounds = guardian_rounds(output)?;
    ensure!(rounds >= 1, "the guardian never completed a round");
    ensure!(
        code == 0,
        "QEMU ended with {code} instead of 0 (guardian: 2 corrupted, 3 bad answer; 101 kernel panic)"
    );
    Ok(issued)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_and_done_lines_parse_and_garbage_does_not() {
        let output =
            "fuzzer: progress 5000\r\nfuzzer: progress \x01zz\r\nfuzzer: progress 10000\r\n\
                      fuzzer: done, 10000 syscalls, 17 upcalls run, 0 violations\r\n";
        assert_eq!(latest_progress(output), 10000);
        assert_eq!(done_line(output), Some((10000, 0)));
        assert_eq!(done_line("fuzzer: done, x"), None);
    }

    #[test]
    fn guardian_rounds_must_be_consecutive_with_the_checksum() {
        let sum = guardian_checksum();
        let good = format!(
            "guardian: round 0 intact, checksum {sum:08x}\r\nnoise\r\nguardian: round 1 intact, checksum {sum:08x}\r\n"
        );
        assert_eq!(guardian_rounds(&good).unwrap(), 2);
        let skipped = format!("guardian: round 1 intact, checksum {sum:08x}\r\n");
        assert!(guardian_rounds(&skipped).is_err());
        let wrong = "guardian: round 0 intact, checksum 00000000\r\n";
        assert!(guardian_rounds(wrong).is_err());
    }
}
