//! The store's flash callbacks: each one moves the state machine of
//! `super` one step (mount, lookup, append, compaction).

use kernel::hil::flash::FlashClient;
use kernel::ErrorCode;

use super::{key_hash, Admission, IndexedKey, LogStore, Seen, State, MAX_KEYS};
use crate::kv::format::{self, Page, RecordKind};

impl LogStore<'_> {
    fn on_find_page(&self, page: usize, buffer: &[u8]) -> Result<(), ErrorCode> {
        if let Page::Record(record) = format::decode(buffer) {
            if self.matches(&record) {
                self.state.set(State::Idle);
                self.tell(|client| client.found(Ok(Some(record))));
                return Ok(());
            }
        }
        self.find_from(page)
    }

    /// Compaction: the candidate at `page` was read into the page buffer.
    fn on_compact_page(&self, page: usize, buffer: &[u8]) -> Result<(), ErrorCode> {
        let Page::Record(record) = format::decode(buffer) else {
            return self.compact_next(page);
        };
        let hash = key_hash(record.key);
        match self.next_seen(0, record.owner, hash) {
            Some(index) => self.compare(page, index),
            None => self.keep(page, record.owner, hash, record.kind),
        }
    }

    fn next_seen(&self, from: usize, owner: u32, hash: u32) -> Option<usize> {
        let seen = self.seen.get();
        (from..self.seen_count.get())
            .find(|&index| seen[index].owner == owner && seen[index].hash == hash)
    }

    fn compare(&self, candidate: usize, index: usize) -> Result<(), ErrorCode> {
        let buffer = self.scratch.take().ok_or(ErrorCode::Busy)?;
        let page = self.block_page(self.active.get(), usize::from(self.seen.get()[index].page));
        self.state.set(State::CompactComparing(candidate, index));
        self.flash
            .read_page(page, buffer)
            .map_err(|(error, buffer)| {
                self.scratch.set(Some(buffer));
                error
            })
    }

    /// The newer record of the same owner and hash is in the scratch
    /// buffer: the candidate is stale if the keys are equal.
    fn on_compared(&self, candidate: usize, index: usize) -> Result<(), ErrorCode> {
        let (Some(newer), Some(page)) = (self.scratch.take(), self.page.take()) else {
            return Err(ErrorCode::Fail);
        };
        let outcome = match (format::decode(newer), format::decode(page)) {
            (Page::Record(newer), Page::Record(old)) if newer.key == old.key => None,
            (_, Page::Record(old)) => Some((old.owner, key_hash(old.key), old.kind)),
            _ => Some((0, 0, RecordKind::Deleted)),
        };
        self.scratch.set(Some(newer));
        self.page.set(Some(page));
        let Some((owner, hash, kind)) = outcome else {
            return self.compact_next(candidate);
        };
        match self.next_seen(index + 1, owner, hash) {
            Some(next) => self.compare(candidate, next),
            None => self.keep(candidate, owner, hash, kind),
        }
    }

    /// The candidate is its key's newest record: remember it, and copy it
    /// if it holds a value.
    fn keep(&self, page: usize, owner: u32, hash: u32, kind: RecordKind) -> Result<(), ErrorCode> {
        let count = self.seen_count.get();
        if count >= MAX_KEYS || page > usize::from(u16::MAX) {
            return Err(ErrorCode::NoMem);
        }
        let mut seen = self.seen.get();
        seen[count] = Seen {
            owner,
            hash,
            page: page as u16,
            live: kind == RecordKind::Value,
        };
        self.seen.set(seen);
        self.seen_count.set(count + 1);
        if kind == RecordKind::Deleted {
            return self.compact_next(page);
        }
        let target = self.target_next.get();
        if target >= self.pages_per_block {
            return Err(ErrorCode::NoMem);
        }
        let buffer = self.page.take().ok_or(ErrorCode::Busy)?;
        self.state.set(State::CompactCopying(page));
        let spare = 1 - self.active.get();
        self.flash
            .write_page(self.block_page(spare, target), buffer)
            .map_err(|(error, buffer)| {
                self.page.set(Some(buffer));
                error
            })
    }

    /// Moves to the record before `page`, or commits when none is left.
    fn compact_next(&self, page: usize) -> Result<(), ErrorCode> {
        if page > 1 {
            let active = self.active.get();
            return self.read(
                State::CompactScanning(page - 1),
                self.block_page(active, page - 1),
            );
        }
        let buffer = self.page.take().ok_or(ErrorCode::Busy)?;
        format::encode_block_header(buffer, self.generation.get().wrapping_add(1));
        self.state.set(State::CompactCommitting);
        let spare = 1 - self.active.get();
        self.flash
            .write_page(self.block_page(spare, 0), buffer)
            .map_err(|(error, buffer)| {
                self.page.set(Some(buffer));
                error
            })
    }

    fn on_committed(&self) -> Result<(), ErrorCode> {
        self.active.set(1 - self.active.get());
        self.generation.set(self.generation.get().wrapping_add(1));
        self.next_page.set(self.target_next.get());
        self.rebuild_index();
        self.last_compaction.set(Some(Ok(())));
        if !self.pending_ready.get() {
            self.state.set(State::Idle);
            self.tell(|client| client.appended(Ok(())));
            return Ok(());
        }
        if self.next_page.get() >= self.pages_per_block {
            return Err(ErrorCode::NoMem);
        }
        let (owner, hash, kind) = self.pending_key.get();
        match self.admit(owner, hash, kind)? {
            Admission::Write => self.write_pending(),
            Admission::CompactFirst => Err(ErrorCode::NoMem),
        }
    }

    /// After a commit the block holds exactly the live keys carried over.
    fn rebuild_index(&self) {
        let seen = self.seen.get();
        let mut index = [IndexedKey::default(); MAX_KEYS];
        let mut count = 0;
        for key in seen[..self.seen_count.get()].iter().filter(|key| key.live) {
            index[count] = IndexedKey {
                owner: key.owner,
                hash: key.hash,
                live: true,
            };
            count += 1;
        }
        self.index.set(index);
        self.index_count.set(count);
    }

    fn step_after_read(&self, state: State, buffer: &[u8]) -> Result<(), ErrorCode> {
        match state {
            State::ReadingHeader(block) => self.on_header(block, buffer),
            State::Scanning(page) => {
                let decoded = format::decode(buffer);
                if let Page::Record(record) = &decoded {
                    self.note_key(record.owner, key_hash(record.key), record.kind);
                }
                self.on_scanned(page, decoded == Page::Erased)
            }
            State::Finding(page) => self.on_find_page(page, buffer),
            State::CompactScanning(page) => self.on_compact_page(page, buffer),
            _ => Err(ErrorCode::Fail),
        }
    }
}

impl FlashClient for LogStore<'_> {
    fn read_complete(&self, buffer: &'static mut [u8], result: Result<(), ErrorCode>) {
        let state = self.state.get();
        if let State::CompactComparing(candidate, index) = state {
            self.scratch.set(Some(buffer));
            let step = result.and_then(|()| self.on_compared(candidate, index));
            return self.continue_or_fail(step);
        }
        if let Err(error) = result {
            self.page.set(Some(buffer));
            return self.fail(error);
        }
        // The buffer stays out of its cell while the step reads it; steps
        // that need it again take it back from there.
        let contents: &'static mut [u8] = buffer;
        let step = {
            let page: &[u8] = contents;
            let mut copy = [0u8; format::PAGE_BYTES];
            copy.copy_from_slice(&page[..format::PAGE_BYTES]);
            self.page.set(Some(contents));
            self.step_after_read(state, &copy)
        };
        self.continue_or_fail(step);
    }

    fn write_complete(&self, buffer: &'static mut [u8], result: Result<(), ErrorCode>) {
        match self.state.get() {
            State::Appending => {
                self.pending.set(Some(buffer));
                // A failed write may have left garbage: never reuse the page.
                self.next_page.set(self.next_page.get() + 1);
                self.last_compaction.set(None);
                if result.is_ok() {
                    let (owner, hash, kind) = self.pending_key.get();
                    self.note_key(owner, hash, kind);
                }
                self.pending_ready.set(false);
                self.state.set(State::Idle);
                self.tell(|client| client.appended(result));
            }
            State::WritingFirstHeader => {
                self.page.set(Some(buffer));
                if let Err(error) = result {
                    return self.fail(error);
                }
                self.next_page.set(1);
                self.state.set(State::Idle);
                self.tell(|client| client.mounted(Ok(())));
            }
            State::CompactCopying(page) => {
                self.page.set(Some(buffer));
                self.target_next.set(self.target_next.get() + 1);
                let step = result.and_then(|()| self.compact_next(page));
                self.continue_or_fail(step);
            }
            State::CompactCommitting => {
                self.page.set(Some(buffer));
                let step = result.and_then(|()| self.on_committed());
                self.continue_or_fail(step);
            }
            _ => self.page.set(Some(buffer)),
        }
    }

    fn erase_complete(&self, result: Result<(), ErrorCode>) {
        match self.state.get() {
            State::Formatting => {
                let step = result.and_then(|()| {
                    let buffer = self.page.take().ok_or(ErrorCode::Busy)?;
                    format::encode_block_header(buffer, 1);
                    self.state.set(State::WritingFirstHeader);
                    self.flash
                        .write_page(self.block_page(0, 0), buffer)
                        .map_err(|(error, buffer)| {
                            self.page.set(Some(buffer));
                            error
                        })
                });
                self.continue_or_fail(step);
            }
            State::CompactErasing => {
                let last = self.next_page.get();
                let step = result.and_then(|()| self.compact_next(last));
                self.continue_or_fail(step);
            }
            _ => {}
        }
    }
}
