//! Progress events: the library reports, the binary draws (indicatif) or
//! stays quiet.

/// Something the user may want to see while an operation runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProgressEvent {
    /// A transfer of `total_bytes` starts.
    Begin {
        /// What is transferred.
        task: String,
        /// The bytes of the apps written (new or moved; for uninstall and
        /// flag changes, the headers rewritten). Padding images and the
        /// 0xFF fill between apps are written too but not counted, so a
        /// bar's total and time left follow the apps.
        total_bytes: u64,
    },
    /// `bytes` more of the counted bytes were written.
    Advance {
        /// Bytes since the last event.
        bytes: u64,
    },
    /// The transfer ended.
    End,
    /// A step worth a line (what was placed where).
    Note(String),
}

/// Receives progress events.
pub trait Progress {
    /// One event.
    fn event(&mut self, event: ProgressEvent);
}

/// Drops every event.
pub struct Silent;

impl Progress for Silent {
    fn event(&mut self, _event: ProgressEvent) {}
}

/// Keeps every event (tests).
#[derive(Default)]
pub struct Recorder {
    /// Events in order.
    pub events: Vec<ProgressEvent>,
}

impl Progress for Recorder {
    fn event(&mut self, event: ProgressEvent) {
        self.events.push(event);
    }
}
