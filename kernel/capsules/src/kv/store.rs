//! The key-value log over two flash erase blocks, split-phase.
//!
//! ```text
//!  block A (active, generation g)         block B (spare)
//!  +--------------------------+           +--------------------------+
//!  | header "KVB1" g          | page 0    | stale, or erased         |
//!  | record  (oldest)         | page 1    |                          |
//!  | record                   |           |                          |
//!  | ...                      |           |                          |
//!  | record  (newest)         | next - 1  |                          |
//!  | erased ...               | next      |                          |
//!  +--------------------------+           +--------------------------+
//! ```
//!
//! Power-cut safety, by construction:
//! - Every change is one new record page written into erased space: a
//!   cut write leaves a garbage page (bad CRC), which every reader skips,
//!   so a key reads as its old value or its new one, never anything else.
//!   Lookups scan backwards, so the newest good record of a key wins.
//! - When the active block is full it is compacted into the spare: erase
//!   the spare, copy each key's newest record (values only; deletions
//!   vanish), and only then write the spare's header with generation g+1.
//!   Until that header is good the old block stays the active one (mount
//!   takes the block with the highest good generation), so a cut anywhere
//!   in compaction loses nothing. The old block is erased only by the
//!   next compaction, when the new one has long been committed.
//!
//! Fairness: a RAM index of the distinct keys in the active block (owner
//! and key hash) caps each identity at [`KEYS_PER_IDENTITY`] live keys and
//! the block at [`MAX_KEYS`], so every compaction fits and one app can
//! never wedge the store: a write over quota fails with NOMEM at once,
//! with no flash work. A compaction with nothing written since the last
//! one is not repeated (its outcome is returned at once).

use core::cell::Cell;

use kernel::hil::flash::Flash;
use kernel::identity::StoragePermissions;
use kernel::ErrorCode;

use super::format::{self, Page, Record, RecordKind, MAX_KEY_BYTES, PAGE_BYTES};

/// Most distinct keys (over all apps, deletions included) a compaction
/// can carry; beyond that the store reports NOMEM.
pub const MAX_KEYS: usize = 64;
/// Most live keys one identity (storage write id) may hold.
pub const KEYS_PER_IDENTITY: usize = MAX_KEYS / 4;

/// Whose records a lookup sees.
#[derive(Clone, Copy, Debug)]
pub enum Visibility {
    /// Only those stored under this write id.
    Owner(u32),
    /// Those an app with these permissions may read.
    Reader(StoragePermissions),
}

impl Visibility {
    fn sees(&self, owner: u32) -> bool {
        match self {
            Visibility::Owner(id) => *id == owner,
            Visibility::Reader(permissions) => permissions.can_read(owner),
        }
    }
}

/// Told when a store operation ends.
pub trait StoreClient {
    /// Mounting ended (the store is usable if `result` is `Ok`).
    fn mounted(&self, result: Result<(), ErrorCode>);
    /// A lookup ended: the newest visible record of the key, if any.
    fn found(&self, result: Result<Option<Record<'_>>, ErrorCode>);
    /// An append ended.
    fn appended(&self, result: Result<(), ErrorCode>);
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Unmounted,
    ReadingHeader(usize),
    Formatting,
    WritingFirstHeader,
    Scanning(usize),
    Idle,
    Finding(usize),
    Appending,
    CompactErasing,
    CompactScanning(usize),
    /// Candidate page, index in the seen table being compared.
    CompactComparing(usize, usize),
    CompactCopying(usize),
    CompactCommitting,
}

/// A key seen by a compaction: owner, key hash and the page of its newest
/// record in the block being compacted.
#[derive(Clone, Copy, Default)]
struct Seen {
    owner: u32,
    hash: u32,
    page: u16,
    live: bool,
}

/// A distinct key of the active block, in the RAM index.
#[derive(Clone, Copy, Default)]
struct IndexedKey {
    owner: u32,
    hash: u32,
    live: bool,
}

/// What an append needs before its page can be written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Admission {
    /// The index has room for the key.
    Write,
    /// Only deletions fill the index: compact them away first.
    CompactFirst,
}

pub(crate) fn key_hash(key: &[u8]) -> u32 {
    key.iter().fold(0x811c_9dc5u32, |hash, &byte| {
        (hash ^ u32::from(byte)).wrapping_mul(0x0100_0193)
    })
}

/// The store.
pub struct LogStore<'a> {
    flash: &'a dyn Flash<'a>,
    /// First flash page of block 0; block 1 follows it.
    first_page: usize,
    pages_per_block: usize,
    state: Cell<State>,
    active: Cell<usize>,
    generation: Cell<u32>,
    next_page: Cell<usize>,
    /// Generations read at mount, per block.
    headers: Cell<[Option<u32>; 2]>,
    key: Cell<[u8; MAX_KEY_BYTES]>,
    key_length: Cell<usize>,
    visibility: Cell<Visibility>,
    seen: Cell<[Seen; MAX_KEYS]>,
    seen_count: Cell<usize>,
    target_next: Cell<usize>,
    page: Cell<Option<&'static mut [u8]>>,
    scratch: Cell<Option<&'static mut [u8]>>,
    pending: Cell<Option<&'static mut [u8]>>,
    /// An append waits for the compaction in progress.
    pending_ready: Cell<bool>,
    /// Owner, key hash and kind of the pending record.
    pending_key: Cell<(u32, u32, RecordKind)>,
    /// The distinct keys of the active block.
    index: Cell<[IndexedKey; MAX_KEYS]>,
    index_count: Cell<usize>,
    /// How the last compaction ended, while nothing was written since.
    last_compaction: Cell<Option<Result<(), ErrorCode>>>,
    client: Cell<Option<&'a dyn StoreClient>>,
}

impl<'a> LogStore<'a> {
    /// A store in the two erase blocks starting at flash page
    /// `first_page` (block aligned), with three page-sized buffers.
    pub fn new(
        flash: &'a dyn Flash<'a>,
        first_page: usize,
        buffers: [&'static mut [u8]; 3],
    ) -> Self {
        let [page, scratch, pending] = buffers;
        LogStore {
            flash,
            first_page,
            pages_per_block: flash.erase_size() / flash.page_size().max(1),
            state: Cell::new(State::Unmounted),
            active: Cell::new(0),
            generation: Cell::new(0),
            next_page: Cell::new(1),
            headers: Cell::new([None; 2]),
            key: Cell::new([0; MAX_KEY_BYTES]),
            key_length: Cell::new(0),
            visibility: Cell::new(Visibility::Owner(0)),
            seen: Cell::new([Seen::default(); MAX_KEYS]),
            seen_count: Cell::new(0),
            target_next: Cell::new(1),
            page: Cell::new(Some(page)),
            scratch: Cell::new(Some(scratch)),
            pending: Cell::new(Some(pending)),
            pending_ready: Cell::new(false),
            pending_key: Cell::new((0, 0, RecordKind::Deleted)),
            index: Cell::new([IndexedKey::default(); MAX_KEYS]),
            index_count: Cell::new(0),
            last_compaction: Cell::new(None),
            client: Cell::new(None),
        }
    }

    /// Who is told.
    pub fn set_client(&self, client: &'a dyn StoreClient) {
        self.client.set(Some(client));
    }

    /// True when no operation is in progress and the store is mounted.
    pub fn is_idle(&self) -> bool {
        self.state.get() == State::Idle
    }

    fn block_page(&self, block: usize, page: usize) -> usize {
        self.first_page + block * self.pages_per_block + page
    }

    /// Reads both block headers, then finds the end of the active log.
    pub fn mount(&self) -> Result<(), ErrorCode> {
        if self.flash.page_size() != PAGE_BYTES || self.pages_per_block < 2 {
            return Err(ErrorCode::NoSupport);
        }
        if self.state.get() != State::Unmounted {
            return Err(ErrorCode::Already);
        }
        self.read(State::ReadingHeader(0), self.block_page(0, 0))
    }

    /// Looks up the newest record of `key` that `visibility` sees.
    pub fn find(&self, key: &[u8], visibility: Visibility) -> Result<(), ErrorCode> {
        if self.state.get() != State::Idle {
            return Err(ErrorCode::Busy);
        }
        if key.is_empty() || key.len() > MAX_KEY_BYTES {
            return Err(ErrorCode::Size);
        }
        let mut stored = [0u8; MAX_KEY_BYTES];
        stored[..key.len()].copy_from_slice(key);
        self.key.set(stored);
        self.key_length.set(key.len());
        self.visibility.set(visibility);
        self.find_from(self.next_page.get())
    }

    fn find_from(&self, page: usize) -> Result<(), ErrorCode> {
        if page <= 1 {
            self.state.set(State::Idle);
            self.tell(|client| client.found(Ok(None)));
            return Ok(());
        }
        let active = self.active.get();
        self.read(State::Finding(page - 1), self.block_page(active, page - 1))
    }

    /// Appends a record (compacting first if the block is full).
    pub fn append(&self, record: &Record<'_>) -> Result<(), ErrorCode> {
        if self.state.get() != State::Idle {
            return Err(ErrorCode::Busy);
        }
        let buffer = self.pending.take().ok_or(ErrorCode::Busy)?;
        let encoded = format::encode_record(buffer, record);
        self.pending.set(Some(buffer));
        encoded.map_err(|_| ErrorCode::Size)?;
        let key = (record.owner, key_hash(record.key), record.kind);
        let admission = self.admit(key.0, key.1, key.2)?;
        self.pending_key.set(key);
        self.pending_ready.set(true);
        match admission {
            Admission::Write => self.write_pending(),
            Admission::CompactFirst => self.start_compaction(),
        }
    }

    fn indexed(&self, owner: u32, hash: u32) -> Option<usize> {
        let index = self.index.get();
        (0..self.index_count.get())
            .find(|&slot| index[slot].owner == owner && index[slot].hash == hash)
    }

    /// The quota check of an append: NOMEM when `owner` already holds
    /// [`KEYS_PER_IDENTITY`] live keys, or the block holds [`MAX_KEYS`].
    fn admit(&self, owner: u32, hash: u32, kind: RecordKind) -> Result<Admission, ErrorCode> {
        if self.indexed(owner, hash).is_some() || kind == RecordKind::Deleted {
            return Ok(Admission::Write);
        }
        let index = self.index.get();
        let entries = &index[..self.index_count.get()];
        let owned = entries
            .iter()
            .filter(|entry| entry.live && entry.owner == owner)
            .count();
        if owned >= KEYS_PER_IDENTITY {
            return Err(ErrorCode::NoMem);
        }
        if entries.len() < MAX_KEYS {
            Ok(Admission::Write)
        } else if entries.iter().any(|entry| !entry.live) {
            Ok(Admission::CompactFirst)
        } else {
            Err(ErrorCode::NoMem)
        }
    }

    /// Records that the active block now holds a record of the key.
    fn note_key(&self, owner: u32, hash: u32, kind: RecordKind) {
        let mut index = self.index.get();
        let live = kind == RecordKind::Value;
        let slot = match self.indexed(owner, hash) {
            Some(slot) => slot,
            None if self.index_count.get() < MAX_KEYS => {
                self.index_count.set(self.index_count.get() + 1);
                self.index_count.get() - 1
            }
            // A log written without the quota: new keys stay refused.
            None => return,
        };
        index[slot] = IndexedKey { owner, hash, live };
        self.index.set(index);
    }

    /// Compacts now (upstream's garbage collect): the client hears
    /// `appended` when the new block is committed.
    pub fn compact(&self) -> Result<(), ErrorCode> {
        if self.state.get() != State::Idle {
            return Err(ErrorCode::Busy);
        }
        self.pending_ready.set(false);
        self.start_compaction()
    }

    fn write_pending(&self) -> Result<(), ErrorCode> {
        if self.next_page.get() >= self.pages_per_block {
            return self.start_compaction();
        }
        let buffer = self.pending.take().ok_or(ErrorCode::Busy)?;
        let page = self.block_page(self.active.get(), self.next_page.get());
        self.state.set(State::Appending);
        self.flash
            .write_page(page, buffer)
            .map_err(|(error, buffer)| {
                self.pending.set(Some(buffer));
                self.state.set(State::Idle);
                error
            })
    }

    fn start_compaction(&self) -> Result<(), ErrorCode> {
        if let Some(outcome) = self.last_compaction.get() {
            // Nothing was written since: another compaction would end the
            // same way, after erasing and copying a whole block.
            if self.pending_ready.get() {
                self.pending_ready.set(false);
                return Err(outcome.err().unwrap_or(ErrorCode::NoMem));
            }
            self.tell(|client| client.appended(outcome));
            return Ok(());
        }
        self.seen_count.set(0);
        self.target_next.set(1);
        self.state.set(State::CompactErasing);
        let spare = 1 - self.active.get();
        self.flash
            .erase_page(self.block_page(spare, 0))
            .inspect_err(|_| self.state.set(State::Idle))
    }

    fn read(&self, state: State, page: usize) -> Result<(), ErrorCode> {
        let buffer = self.page.take().ok_or(ErrorCode::Busy)?;
        self.state.set(state);
        self.flash
            .read_page(page, buffer)
            .map_err(|(error, buffer)| {
                self.page.set(Some(buffer));
                error
            })
    }

    fn tell(&self, message: impl FnOnce(&dyn StoreClient)) {
        if let Some(client) = self.client.get() {
            message(client);
        }
    }

    /// Ends the operation in progress with `error`.
    fn fail(&self, error: ErrorCode) {
        let state = self.state.get();
        let mounted = !matches!(
            state,
            State::Unmounted
                | State::ReadingHeader(_)
                | State::Formatting
                | State::WritingFirstHeader
                | State::Scanning(_)
        );
        if mounted {
            self.state.set(State::Idle);
        } else {
            self.state.set(State::Unmounted);
        }
        if error == ErrorCode::NoMem && Self::compacting(state) {
            self.last_compaction.set(Some(Err(error)));
        }
        match state {
            State::Finding(_) => self.tell(|client| client.found(Err(error))),
            _ if !mounted => self.tell(|client| client.mounted(Err(error))),
            _ => {
                self.pending_ready.set(false);
                self.tell(|client| client.appended(Err(error)));
            }
        }
    }

    /// The states in which a compaction finds that the keys do not fit.
    fn compacting(state: State) -> bool {
        matches!(
            state,
            State::CompactScanning(_) | State::CompactComparing(..)
        )
    }

    fn continue_or_fail(&self, started: Result<(), ErrorCode>) {
        if let Err(error) = started {
            self.fail(error);
        }
    }

    fn on_header(&self, block: usize, buffer: &[u8]) -> Result<(), ErrorCode> {
        let mut headers = self.headers.get();
        headers[block] = match format::decode(buffer) {
            Page::BlockHeader(generation) => Some(generation),
            _ => None,
        };
        self.headers.set(headers);
        if block == 0 {
            return self.read(State::ReadingHeader(1), self.block_page(1, 0));
        }
        let chosen = match headers {
            [Some(first), Some(second)] => Some(if second > first { 1 } else { 0 }),
            [Some(_), None] => Some(0),
            [None, Some(_)] => Some(1),
            [None, None] => None,
        };
        match chosen {
            Some(active) => {
                self.active.set(active);
                self.generation.set(headers[active].unwrap_or(0));
                self.read(State::Scanning(1), self.block_page(active, 1))
            }
            None => {
                self.active.set(0);
                self.generation.set(1);
                self.state.set(State::Formatting);
                self.flash.erase_page(self.block_page(0, 0))
            }
        }
    }

    fn on_scanned(&self, page: usize, erased: bool) -> Result<(), ErrorCode> {
        if erased || page + 1 >= self.pages_per_block {
            self.next_page
                .set(if erased { page } else { self.pages_per_block });
            self.state.set(State::Idle);
            self.tell(|client| client.mounted(Ok(())));
            return Ok(());
        }
        let active = self.active.get();
        self.read(State::Scanning(page + 1), self.block_page(active, page + 1))
    }

    fn matches(&self, record: &Record<'_>) -> bool {
        let key = self.key.get();
        record.key == &key[..self.key_length.get()] && self.visibility.get().sees(record.owner)
    }
}

mod events;
