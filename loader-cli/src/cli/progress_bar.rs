//! Progress events drawn with indicatif (or dropped with -q / --json).

use indicatif::{ProgressBar, ProgressStyle};
use loader_cli::{Progress, ProgressEvent};

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
                let style = ProgressStyle::with_template(
                    "{msg:>10} [{bar:30}] {bytes}/{total_bytes} {binary_bytes_per_sec}",
                )
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
