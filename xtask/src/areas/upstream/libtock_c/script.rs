//! What one boot of upstream apps must print, and the runner that judges a
//! live QEMU against it.
//!
//! Several apps share a boot, so their output interleaves: each app (or
//! aspect) gets a lane, an ordered list of steps with its own cursor, and
//! the lanes advance independently over the same console output.
//!
//! ```text
//! output ─┬─ lane "exit":  "Testing exit." ─▶ "Exiting." ─▶ exited with status 0
//!         └─ lane "fault": "Testing fault" ─▶ store access fault at 0xffffff00
//! ```
//!
//! The boot passes when every lane has reached its end; it fails on a
//! failure marker, a process exit status other than 0 (unless the boot
//! allows it), or when [`PROGRESS_TIMEOUT`] passes with no lane moving.

use crate::qemu::console::{earliest_end, type_slowly};
use crate::qemu::Qemu;
use anyhow::Result;
use std::time::Duration;

/// How long the output may go without moving any lane.
pub const PROGRESS_TIMEOUT: Duration = Duration::from_secs(60);
/// How long apart typed bytes go: a reader sees only bytes that arrive
/// while its read is outstanding, so type as a person would.
const KEYSTROKE_GAP: Duration = Duration::from_millis(100);
/// How often a [`Step::Repeat`] sends its bytes again.
const REPEAT_GAP: Duration = Duration::from_millis(25);
/// Text that fails a boot whatever it expects (unless the boot lists its
/// own markers): upstream tests' failure words, a fault, a Rust panic.
pub const FAILURE_MARKERS: &[&str] = &[
    "FAIL",
    "[ERROR]",
    "ERROR",
    "Expectation failure",
    "faulted",
    "panicked",
    "Panic",
];
/// What the kernel prints when a process ends.
const EXITED: &str = "exited with status ";

/// One step of a lane.
pub enum Step {
    /// One of these texts appears after the lane's cursor.
    Text(&'static [&'static str]),
    /// A whole line after the lane's cursor passes the check (described
    /// by the text, for messages).
    Line(&'static str, fn(&str) -> bool),
    /// These bytes are typed on the console, [`KEYSTROKE_GAP`] apart.
    Type(&'static [u8]),
    /// These bytes are sent at once, again every [`REPEAT_GAP`], until
    /// the text appears after the lane's cursor (for a button that must
    /// be held while an app polls it: each click holds it 50 ms).
    Repeat(&'static [u8], &'static str),
    /// The whole output so far passes the check (described by the text):
    /// for facts spread over several lines.
    Transcript(&'static str, fn(&str) -> bool),
}

/// An ordered script with a name (usually the app's).
pub type Lane = (&'static str, &'static [Step]);

/// One boot: the apps, in slot order, and what must happen.
pub struct Boot {
    pub name: &'static str,
    pub apps: &'static [&'static str],
    pub lanes: &'static [Lane],
    /// Texts that fail the boot ([`FAILURE_MARKERS`] for most boots; a
    /// boot that expects a fault names the ones that still apply).
    pub failure_markers: &'static [&'static str],
    /// Whether a process exiting with a status other than 0 fails the boot.
    pub any_exit_status: bool,
}

/// What the lanes need next, judged on the whole output so far.
#[derive(Debug, PartialEq)]
enum Next {
    /// Type these bytes, then look again.
    Type(&'static [u8]),
    /// Send these bytes at once, then look again.
    Burst(&'static [u8]),
    /// Every lane is done.
    Done,
    /// The boot failed.
    Failed(String),
}

/// The lanes' progress over the output.
struct Progress {
    /// Per lane: the next step and where its cursor is.
    lanes: Vec<(usize, usize)>,
}

impl Progress {
    fn new(boot: &Boot) -> Progress {
        Progress {
            lanes: vec![(0, 0); boot.lanes.len()],
        }
    }

    /// Moves every lane as far as `output` allows. `Some` when the boot is
    /// done or failed or a lane must type; `moved` says whether any lane
    /// advanced.
    fn advance(&mut self, boot: &Boot, output: &str, moved: &mut bool) -> Option<Next> {
        if let Some(failure) = first_failure(boot, output) {
            return Some(Next::Failed(failure));
        }
        for ((_, steps), (step, cursor)) in boot.lanes.iter().zip(self.lanes.iter_mut()) {
            while let Some(current) = steps.get(*step) {
                let end = match current {
                    Step::Text(alternatives) => earliest_end(output, *cursor, alternatives),
                    Step::Line(_, check) => first_line_passing(output, *cursor, *check),
                    Step::Type(bytes) => {
                        *step += 1;
                        *moved = true;
                        return Some(Next::Type(bytes));
                    }
                    Step::Repeat(bytes, until) => match earliest_end(output, *cursor, &[until]) {
                        Some(end) => Some(end),
                        None => return Some(Next::Burst(bytes)),
                    },
                    Step::Transcript(_, check) => check(output).then_some(*cursor),
                };
                let Some(end) = end else { break };
                *cursor = end;
                *step += 1;
                *moved = true;
            }
        }
        let done = boot
            .lanes
            .iter()
            .zip(&self.lanes)
            .all(|((_, steps), (step, _))| *step == steps.len());
        done.then_some(Next::Done)
    }

    /// The steps still waiting, for the failure message.
    fn waiting(&self, boot: &Boot) -> String {
        let mut waiting = Vec::new();
        for ((name, steps), (step, _)) in boot.lanes.iter().zip(&self.lanes) {
            match steps.get(*step) {
                Some(Step::Text(alternatives)) => waiting.push(format!("{name}: {alternatives:?}")),
                Some(Step::Line(what, _)) => waiting.push(format!("{name}: a line {what}")),
                Some(Step::Repeat(_, until)) => waiting.push(format!("{name}: {until:?}")),
                Some(Step::Transcript(what, _)) => waiting.push(format!("{name}: output {what}")),
                Some(Step::Type(_)) | None => {}
            }
        }
        waiting.join("; ")
    }
}

/// Judges the running `qemu` against `boot`; QEMU keeps running (drop it
/// to stop it).
pub fn run(qemu: &mut Qemu, boot: &Boot) -> Result<()> {
    let mut progress = Progress::new(boot);
    // A repeat sends until its text appears, but not for ever.
    let mut bursts_left = PROGRESS_TIMEOUT.as_millis() / REPEAT_GAP.as_millis();
    loop {
        let mut moved = false;
        let next = qemu.wait_until(PROGRESS_TIMEOUT, |output| {
            let next = progress.advance(boot, output, &mut moved);
            // Returning on progress restarts the timeout.
            next.map(Some).or(moved.then_some(None))
        })?;
        match next {
            Some(Some(Next::Done)) => return Ok(()),
            Some(Some(Next::Type(bytes))) => type_slowly(qemu, bytes, KEYSTROKE_GAP)?,
            Some(Some(Next::Burst(bytes))) if bursts_left > 0 => {
                bursts_left -= 1;
                qemu.send(bytes)?;
                std::thread::sleep(REPEAT_GAP);
            }
            Some(Some(Next::Burst(_))) => {
                let waiting = progress.waiting(boot);
                let what = format!(
                    "{}: sent for {PROGRESS_TIMEOUT:?}; waiting for {waiting}",
                    boot.name
                );
                return Err(qemu.failure(&what));
            }
            Some(Some(Next::Failed(failure))) => {
                // Let the failing app finish its report for the message.
                std::thread::sleep(Duration::from_secs(2));
                return Err(qemu.failure(&format!("{}: {failure}", boot.name)));
            }
            Some(None) => {}
            None => {
                let status = qemu.exit_status()?;
                let what = match status {
                    Some(status) => format!("QEMU ended ({status})"),
                    None => format!("nothing moved for {PROGRESS_TIMEOUT:?}"),
                };
                let waiting = progress.waiting(boot);
                return Err(qemu.failure(&format!("{}: {what}; waiting for {waiting}", boot.name)));
            }
        }
    }
}

/// The end of the first complete line after `cursor` that passes `check`
/// (without its line ending).
fn first_line_passing(text: &str, cursor: usize, check: fn(&str) -> bool) -> Option<usize> {
    let rest = text.get(cursor..)?;
    let mut start = 0;
    while let Some(length) = rest[start..].find('\n') {
        let line = rest[start..start + length].trim_end_matches('\r');
        start += length + 1;
        if check(line) {
            return Some(cursor + start);
        }
    }
    None
}

/// Why `text` shows a failed boot.
fn first_failure(boot: &Boot, text: &str) -> Option<String> {
    if let Some(marker) = boot
        .failure_markers
        .iter()
        .find(|marker| text.contains(**marker))
    {
        return Some(format!("the output contains {marker:?}"));
    }
    if boot.any_exit_status {
        return None;
    }
    text.match_indices(EXITED).find_map(|(at, _)| {
        let rest = &text[at + EXITED.len()..];
        let end = rest
            .find(|c: char| !c.is_ascii_digit() && c != '-')
            .unwrap_or(rest.len());
        let status = &rest[..end];
        (!status.is_empty() && status != "0")
            .then(|| format!("a process exited with status {status}"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn is_two(line: &str) -> bool {
        line == "2"
    }

    const LANES: &[Lane] = &[
        (
            "a",
            &[Step::Text(&["a1"]), Step::Type(b"x"), Step::Text(&["a2"])],
        ),
        ("b", &[Step::Line("equal to 2", is_two)]),
    ];

    fn boot(any_exit_status: bool) -> Boot {
        Boot {
            name: "test",
            apps: &[],
            lanes: LANES,
            failure_markers: FAILURE_MARKERS,
            any_exit_status,
        }
    }

    #[test]
    fn lanes_advance_independently_and_type_when_reached() {
        let boot = boot(false);
        let mut progress = Progress::new(&boot);
        let mut moved = false;
        assert_eq!(progress.advance(&boot, "12\n", &mut moved), None);
        assert!(!moved);
        assert_eq!(
            progress.advance(&boot, "12\na1\n", &mut moved),
            Some(Next::Type(b"x"))
        );
        // Lane a still waits for a2; lane b sees its line only once complete.
        assert_eq!(progress.advance(&boot, "12\na1\na2\n2", &mut moved), None);
        assert_eq!(
            progress.advance(&boot, "12\na1\na2\n2\n", &mut moved),
            Some(Next::Done)
        );
    }

    #[test]
    fn a_step_before_the_lane_cursor_does_not_count() {
        let boot = boot(false);
        let mut progress = Progress::new(&boot);
        let mut moved = false;
        let _ = progress.advance(&boot, "a2 a1\n", &mut moved);
        assert_eq!(progress.advance(&boot, "a2 a1\n2\n", &mut moved), None);
        assert!(progress.waiting(&boot).contains("a2"));
    }

    #[test]
    fn markers_and_failed_exits_fail_unless_the_boot_allows_exits() {
        let mut moved = false;
        let strict = boot(false);
        let failed = "[kernel] process x exited with status 1\n";
        assert!(matches!(
            Progress::new(&strict).advance(&strict, failed, &mut moved),
            Some(Next::Failed(_))
        ));
        let lenient = boot(true);
        assert_eq!(
            Progress::new(&lenient).advance(&lenient, failed, &mut moved),
            None
        );
        assert!(matches!(
            Progress::new(&lenient).advance(&lenient, "x FAIL", &mut moved),
            Some(Next::Failed(_))
        ));
        let fine = "[kernel] process x exited with status 0\n";
        assert_eq!(
            Progress::new(&strict).advance(&strict, fine, &mut moved),
            None
        );
    }
}
