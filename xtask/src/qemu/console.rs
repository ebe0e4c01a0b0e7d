//! Runs a userspace example on a booted board and judges its console: the
//! one runner of the libtock-rs, libtock-c and Cortex-M userspace tests.
//!
//! ```text
//! boot ─▶ step 1 (one of its texts) ─▶ type the input ─▶ step 2 ─▶ ... ─▶ ok
//!           │ at any moment: a failure marker or a non-zero exit status
//!           └──────────────▶ wait for the report to end ─▶ fail (QEMU killed)
//! ```
//!
//! Each step must appear after the previous one's match, within
//! [`LINE_TIMEOUT`]; an example with no steps (one that runs forever, such
//! as blink) must stay up for [`RUNS_ON`] with no failure. Every error
//! carries QEMU's command line and everything it printed.

use super::Qemu;
use anyhow::{bail, Context as _, Result};
use std::time::{Duration, Instant};

/// How long each step may take to appear.
pub const LINE_TIMEOUT: Duration = Duration::from_secs(60);
/// How long an example with no expected lines must run without failing.
pub const RUNS_ON: Duration = Duration::from_secs(5);
/// How long a failed example may take to finish its report (so the error
/// shows all of it, e.g. every conformance line).
const REPORT_SETTLE: Duration = Duration::from_secs(5);
/// How long apart typed bytes go: a UART reader only sees bytes that
/// arrive while its read is outstanding, so type as a person would.
pub const KEYSTROKE_GAP: Duration = Duration::from_millis(200);
/// Text that means an example failed whatever it expects: test verdicts,
/// a Rust panic, libtock-c's panic, a fault the kernel reports, and the
/// alert code the kernel prints for libtock-rs's panic handler. (Not
/// "panic" alone: the process console's help holds it.)
pub const FAILURE_MARKERS: &[&str] = &["FAIL", "panicked", "Panic", "faulted", "alert code"];
/// What the kernel prints when a process ends.
const EXITED: &str = "exited with status ";

/// What an example's run must print, in order, and what to type.
pub struct ConsoleScript<'a> {
    name: &'a str,
    steps: Vec<&'a [&'a str]>,
    input: &'a [u8],
}

impl<'a> ConsoleScript<'a> {
    /// `name` must print each of `lines` in order.
    pub fn lines(name: &'a str, lines: &'a [&'a str]) -> ConsoleScript<'a> {
        ConsoleScript {
            name,
            steps: lines.iter().map(std::slice::from_ref).collect(),
            input: b"",
        }
    }

    /// `name` must print, for each step in order, one of its texts (a board
    /// without a driver makes an example print its error code instead).
    pub fn steps(name: &'a str, steps: &'a [&'a [&'a str]]) -> ConsoleScript<'a> {
        ConsoleScript {
            name,
            steps: steps.to_vec(),
            input: b"",
        }
    }

    /// Types `input` on the console once the first step has appeared.
    pub fn typing(mut self, input: &'a [u8]) -> ConsoleScript<'a> {
        self.input = input;
        self
    }
}

/// Judges the console of `qemu`, which runs the example of `script`; QEMU
/// keeps running afterwards (drop it to stop it).
pub fn run_example(qemu: &mut Qemu, script: &ConsoleScript) -> Result<()> {
    let name = script.name;
    if script.steps.is_empty() {
        let started = Instant::now();
        if let Some(failure) = qemu.wait_until(RUNS_ON, first_failure)? {
            return Err(settle_and_fail(qemu, name, &failure));
        }
        // The wait ends early only when QEMU's output ends.
        let ran = started.elapsed();
        if ran < RUNS_ON || qemu.exit_status()?.is_some() {
            return Err(qemu.failure(&format!(
                "{name}: QEMU ended after {ran:?} instead of running on"
            )));
        }
        return Ok(());
    }
    let mut cursor = 0;
    for (index, alternatives) in script.steps.iter().enumerate() {
        let found = qemu.wait_until(LINE_TIMEOUT, |text| match first_failure(text) {
            Some(failure) => Some(Err(failure)),
            None => earliest_end(text, cursor, alternatives).map(Ok),
        })?;
        match found {
            Some(Ok(end)) => cursor = end,
            Some(Err(failure)) => return Err(settle_and_fail(qemu, name, &failure)),
            None => {
                let what = match qemu.exit_status()? {
                    Some(status) => {
                        format!("QEMU ended ({status}) before printing one of {alternatives:?}")
                    }
                    None => format!("none of {alternatives:?} appeared within {LINE_TIMEOUT:?}"),
                };
                return Err(qemu.failure(&format!("{name}: {what}")));
            }
        }
        if index == 0 {
            type_slowly(qemu, script.input, KEYSTROKE_GAP)?;
        }
    }
    Ok(())
}

/// Judges the whole console output of a finished run by the same rules:
/// no failure, every step in order.
pub fn check_transcript(script: &ConsoleScript, output: &str) -> Result<()> {
    let name = script.name;
    if let Some(failure) = first_failure(output) {
        bail!("{name}: {failure}");
    }
    let mut cursor = 0;
    for alternatives in &script.steps {
        cursor = earliest_end(output, cursor, alternatives)
            .with_context(|| format!("{name}: none of {alternatives:?} appeared in order"))?;
    }
    Ok(())
}

/// Lets a failed example finish its report, then kills QEMU with an error.
fn settle_and_fail(qemu: &mut Qemu, name: &str, failure: &str) -> anyhow::Error {
    // Whether or not the process ends in time, the error shows what came.
    let _ = qemu.wait_until(REPORT_SETTLE, |text| text.contains(EXITED).then_some(()));
    qemu.failure(&format!("{name}: {failure}"))
}

/// Types `input` on the console, one byte every `gap`.
pub fn type_slowly(qemu: &mut Qemu, input: &[u8], gap: Duration) -> Result<()> {
    for byte in input {
        std::thread::sleep(gap);
        qemu.send(&[*byte])?;
    }
    Ok(())
}

/// The end of the earliest of `alternatives` after `cursor`.
pub fn earliest_end(text: &str, cursor: usize, alternatives: &[&str]) -> Option<usize> {
    let rest = text.get(cursor..)?;
    alternatives
        .iter()
        .filter_map(|expected| rest.find(expected).map(|at| cursor + at + expected.len()))
        .min()
}

/// Why `text` shows a failed run: a failure marker, or a process that
/// ended with a status other than 0.
fn first_failure(text: &str) -> Option<String> {
    if let Some(marker) = FAILURE_MARKERS
        .iter()
        .find(|marker| text.contains(**marker))
    {
        return Some(format!("the output contains {marker:?}"));
    }
    failed_exit_status(text).map(|status| format!("a process exited with status {status}"))
}

/// The status of the first `exited with status N` with N other than 0.
fn failed_exit_status(text: &str) -> Option<&str> {
    text.match_indices(EXITED).find_map(|(at, _)| {
        let rest = &text[at + EXITED.len()..];
        let end = rest
            .find(|c: char| !c.is_ascii_digit() && c != '-')
            .unwrap_or(rest.len());
        let status = &rest[..end];
        (!status.is_empty() && status != "0").then_some(status)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_non_zero_exit_status_is_a_failure() {
        assert_eq!(
            failed_exit_status("[kernel] process a exited with status 0\r\n"),
            None
        );
        assert_eq!(
            failed_exit_status("process a exited with status 12\r\n"),
            Some("12")
        );
        assert_eq!(
            failed_exit_status("ok 0\nexited with status 0\nexited with status 1"),
            Some("1")
        );
        assert_eq!(failed_exit_status("exited with status -3\n"), Some("-3"));
        assert_eq!(failed_exit_status("nothing here"), None);
    }

    #[test]
    fn a_step_matches_its_earliest_alternative_after_the_cursor() {
        let text = "a: one\nb: two\na: three\n";
        assert_eq!(earliest_end(text, 0, &["b: two", "a: one"]), Some(6));
        assert_eq!(earliest_end(text, 6, &["a: "]), Some(17));
        assert_eq!(earliest_end(text, 18, &["b: two"]), None);
        assert_eq!(earliest_end(text, 99, &["a"]), None);
    }

    #[test]
    fn markers_and_bad_statuses_fail_and_a_clean_run_does_not() {
        assert!(first_failure("conformance: FAIL x").is_some());
        assert!(first_failure("[kernel] process a faulted: load").is_some());
        assert!(first_failure("process a exited with status 2").is_some());
        assert_eq!(first_failure("Hello\nexited with status 0\n"), None);
    }

    #[test]
    fn a_transcript_passes_only_with_every_step_in_order_and_no_failure() {
        let steps: &[&[&str]] = &[&["start"], &["ok", "ENODEVICE"]];
        let script = ConsoleScript::steps("example", steps);
        assert!(check_transcript(&script, "start\nENODEVICE\n").is_ok());
        assert!(check_transcript(&script, "ok\nstart\n").is_err());
        assert!(check_transcript(&script, "start\nok\nPanic!\n").is_err());
    }

    #[test]
    fn a_script_of_lines_has_one_alternative_per_step() {
        let script = ConsoleScript::lines("hello", &["a", "b"]).typing(b"x");
        assert_eq!(script.steps, vec![&["a"][..], &["b"][..]]);
        assert_eq!(script.input, b"x");
    }
}
