//! Progress events drawn with indicatif (or dropped with -q / --json).

use indicatif::{ProgressBar, ProgressStyle};
use loader_cli::{Progress, ProgressEvent};

/// A transfer: app bytes done of all, speed and the time left (indicatif
/// estimates it from the recent rate). The library counts only the apps'
/// bytes, not padding or fill, so the total is what the user installs.
/// indicatif draws only on a terminal.
const TEMPLATE: &str =
    "{msg:>10} [{bar:30}] {binary_bytes}/{binary_total_bytes} {binary_bytes_per_sec} ETA {eta}";

/// Draws transfers as bars and notes as lines on stderr.
pub struct Bars {
    quiet: bool,
    bar: Option<ProgressBar>,
}

impl Bars {
    pub fn new(quiet: bool) -> Bars {
        Bars { quiet, bar: None }
    }
}

impl Progress for Bars {
    fn event(&mut self, event: ProgressEvent) {
        if self.quiet {
            return;
        }
        match event {
            ProgressEvent::Begin { task, total_bytes } => {
                let bar = ProgressBar::new(total_bytes);
                let style = ProgressStyle::with_template(TEMPLATE)
                    .unwrap_or_else(|_| ProgressStyle::default_bar())
                    .progress_chars("=> ");
                bar.set_style(style);
                bar.set_message(task);
                self.bar = Some(bar);
            }
            ProgressEvent::Advance { bytes } => {
                if let Some(bar) = &self.bar {
                    bar.inc(bytes);
                }
            }
            ProgressEvent::End => {
                if let Some(bar) = self.bar.take() {
                    bar.finish_and_clear();
                }
            }
            ProgressEvent::Note(text) => match &self.bar {
                // A hidden bar (not a terminal) would drop the line.
                Some(bar) if !bar.is_hidden() => bar.println(text),
                _ => eprintln!("{text}"),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bar_shows_bytes_speed_and_time_left() {
        assert!(ProgressStyle::with_template(TEMPLATE).is_ok());
        for field in ["{binary_bytes}", "{binary_bytes_per_sec}", "{eta}"] {
            assert!(TEMPLATE.contains(field), "{field}");
        }
    }
}
