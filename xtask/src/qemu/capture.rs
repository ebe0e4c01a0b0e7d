//! Output captured from QEMU: a reader thread appends every byte to a
//! shared buffer and wakes whoever waits for a pattern or for the end.

use std::io::Read;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// The bytes read so far from one stream, and whether it has ended.
#[derive(Default)]
pub struct Capture {
    state: Mutex<State>,
    changed: Condvar,
}

#[derive(Default)]
struct State {
    bytes: Vec<u8>,
    closed: bool,
}

impl Capture {
    /// Starts a thread copying `stream` into a new capture.
    pub fn start(mut stream: impl Read + Send + 'static) -> Arc<Capture> {
        let capture = Arc::new(Capture::default());
        let writer = Arc::clone(&capture);
        std::thread::spawn(move || {
            let mut chunk = [0u8; 4096];
            loop {
                match stream.read(&mut chunk) {
                    Ok(0) | Err(_) => break,
                    Ok(count) => {
                        writer.lock().bytes.extend_from_slice(&chunk[..count]);
                        writer.changed.notify_all();
                    }
                }
            }
            writer.lock().closed = true;
            writer.changed.notify_all();
        });
        capture
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A reader thread never panics while holding the lock, but if one
        // did, the bytes captured so far are still the best evidence.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// A copy of everything captured so far.
    pub fn bytes(&self) -> Vec<u8> {
        self.lock().bytes.clone()
    }

    /// Waits until `pattern` occurs at or after `from`; returns the offset
    /// just past it, or `None` on timeout or when the stream ends first.
    pub fn wait_for(&self, from: usize, pattern: &[u8], timeout: Duration) -> Option<usize> {
        self.wait_until(timeout, |bytes| find(bytes, from, pattern))
    }

    /// Waits until `check` returns something for the bytes captured so far
    /// (called again whenever more arrive); `None` on timeout or when the
    /// stream ends first.
    pub fn wait_until<T>(
        &self,
        timeout: Duration,
        mut check: impl FnMut(&[u8]) -> Option<T>,
    ) -> Option<T> {
        let deadline = Instant::now() + timeout;
        let mut state = self.lock();
        loop {
            if let Some(found) = check(&state.bytes) {
                return Some(found);
            }
            let now = Instant::now();
            if state.closed || now >= deadline {
                return None;
            }
            state = self
                .changed
                .wait_timeout(state, deadline - now)
                .map(|(guard, _)| guard)
                .unwrap_or_else(|poisoned| poisoned.into_inner().0);
        }
    }

    /// Waits (at most `timeout`) for the stream to end, so that output
    /// written just before exit is not lost.
    pub fn wait_closed(&self, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        let mut state = self.lock();
        while !state.closed {
            let now = Instant::now();
            if now >= deadline {
                return;
            }
            state = self
                .changed
                .wait_timeout(state, deadline - now)
                .map(|(guard, _)| guard)
                .unwrap_or_else(|poisoned| poisoned.into_inner().0);
        }
    }
}

/// The offset just past the first `pattern` in `bytes[from..]`.
fn find(bytes: &[u8], from: usize, pattern: &[u8]) -> Option<usize> {
    let haystack = bytes.get(from..)?;
    if pattern.is_empty() {
        return Some(from);
    }
    haystack
        .windows(pattern.len())
        .position(|window| window == pattern)
        .map(|start| from + start + pattern.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn find_searches_only_after_the_cursor() {
        assert_eq!(find(b"ab ab", 0, b"ab"), Some(2));
        assert_eq!(find(b"ab ab", 1, b"ab"), Some(5));
        assert_eq!(find(b"ab ab", 4, b"ab"), None);
        assert_eq!(find(b"ab", 9, b"ab"), None);
    }

    #[test]
    fn a_pattern_split_across_reads_is_found_and_a_closed_stream_ends_the_wait() {
        let capture =
            Capture::start(std::io::Cursor::new(b"hello wor".to_vec()).chain(&b"ld\n"[..]));
        assert_eq!(
            capture.wait_for(0, b"world", Duration::from_secs(5)),
            Some(11)
        );
        assert_eq!(capture.wait_for(0, b"absent", Duration::from_secs(5)), None);
    }
}
