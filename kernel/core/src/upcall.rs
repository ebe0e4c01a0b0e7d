//! The per-process upcall queue: events capsules scheduled, waiting for
//! the process to yield. Fixed capacity, no heap; a full queue drops the
//! new upcall and counts it (the process is too slow, the kernel goes on).
//!
//! Entries carry only the upcall's identity (grant number and subscribe
//! number: 16 bytes an entry) and arguments; the function and app data are
//! read from the subscribe slot at delivery. That is exact because a
//! successful subscribe removes every pending upcall of its identity
//! (TRD104 §4.2).

use core::cell::Cell;

/// Which upcall: a driver and one of its subscribe numbers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct UpcallId {
    /// Driver number.
    pub driver: u32,
    /// Subscribe number.
    pub subscribe: u32,
}

/// One scheduled upcall.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct QueuedUpcall {
    /// The number of the grant (capsule) that scheduled it.
    pub grant: u8,
    /// Its subscribe number.
    pub subscribe: u8,
    /// The three arguments from the capsule.
    pub arguments: [u32; 3],
}

/// The queue had no room.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QueueFull;

/// How many upcalls one process can have pending.
pub const UPCALL_QUEUE_CAPACITY: usize = 8;

/// A FIFO of [`QueuedUpcall`]s.
///
/// Stored as two parallel arrays rather than one array of `QueuedUpcall`:
/// an entry is 14 bytes of data that would pad to 16, and this queue sits
/// in every process's control block (the per-process RAM budget).
pub struct UpcallQueue {
    /// `(grant, subscribe)` of each entry.
    sources: [Cell<[u8; 2]>; UPCALL_QUEUE_CAPACITY],
    /// The three arguments of each entry.
    arguments: [Cell<[u32; 3]>; UPCALL_QUEUE_CAPACITY],
    length: Cell<u8>,
}

impl Default for UpcallQueue {
    fn default() -> Self {
        Self::new()
    }
}

impl UpcallQueue {
    /// An empty queue.
    pub const fn new() -> Self {
        UpcallQueue {
            sources: [const { Cell::new([0; 2]) }; UPCALL_QUEUE_CAPACITY],
            arguments: [const { Cell::new([0; 3]) }; UPCALL_QUEUE_CAPACITY],
            length: Cell::new(0),
        }
    }

    fn entry(&self, index: usize) -> QueuedUpcall {
        let [grant, subscribe] = self.sources[index].get();
        QueuedUpcall {
            grant,
            subscribe,
            arguments: self.arguments[index].get(),
        }
    }

    fn set_entry(&self, index: usize, upcall: QueuedUpcall) {
        self.sources[index].set([upcall.grant, upcall.subscribe]);
        self.arguments[index].set(upcall.arguments);
    }

    /// Number of pending upcalls.
    pub fn len(&self) -> usize {
        self.length.get() as usize
    }

    /// True if nothing is pending.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Append; `Err(QueueFull)` if the queue is full.
    pub fn push(&self, upcall: QueuedUpcall) -> Result<(), QueueFull> {
        let length = self.len();
        if length == UPCALL_QUEUE_CAPACITY {
            return Err(QueueFull);
        }
        self.set_entry(length, upcall);
        self.length.set(length as u8 + 1);
        Ok(())
    }

    /// The entry at `index`.
    pub fn get(&self, index: usize) -> Option<QueuedUpcall> {
        (index < self.len()).then(|| self.entry(index))
    }

    /// The position of the first entry matching `predicate`.
    pub fn position(&self, predicate: impl Fn(&QueuedUpcall) -> bool) -> Option<usize> {
        (0..self.len()).find(|&index| predicate(&self.entry(index)))
    }

    /// Remove and return the entry at `index`, keeping the order of the rest.
    pub fn remove(&self, index: usize) -> Option<QueuedUpcall> {
        let length = self.len();
        if index >= length {
            return None;
        }
        let removed = self.entry(index);
        // Shift the two arrays directly: this runs on every yield that
        // takes an upcall and on every replacement in a full queue.
        let sources = &self.sources[index..length];
        let arguments = &self.arguments[index..length];
        for position in 1..sources.len() {
            sources[position - 1].set(sources[position].get());
        }
        for position in 1..arguments.len() {
            arguments[position - 1].set(arguments[position].get());
        }
        self.length.set(length as u8 - 1);
        Some(removed)
    }

    /// Remove every entry matching `predicate` (after a subscribe replaced
    /// its upcall).
    pub fn remove_all(&self, predicate: impl Fn(&QueuedUpcall) -> bool) {
        while let Some(index) = self.position(&predicate) {
            self.remove(index);
        }
    }

    /// Drop everything (the process stopped).
    pub fn clear(&self) {
        self.length.set(0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn upcall(grant: u8, value: u32) -> QueuedUpcall {
        QueuedUpcall {
            grant,
            subscribe: 0,
            arguments: [value, 0, 0],
        }
    }

    #[test]
    fn fifo_order_and_capacity() {
        let queue = UpcallQueue::new();
        for value in 0..UPCALL_QUEUE_CAPACITY as u32 {
            queue.push(upcall(1, value)).unwrap();
        }
        assert_eq!(queue.push(upcall(1, 99)), Err(QueueFull));
        assert_eq!(queue.remove(0).unwrap().arguments[0], 0);
        assert_eq!(queue.remove(0).unwrap().arguments[0], 1);
        assert_eq!(queue.len(), UPCALL_QUEUE_CAPACITY - 2);
    }

    #[test]
    fn remove_all_of_one_id_keeps_the_others() {
        let queue = UpcallQueue::new();
        queue.push(upcall(1, 0)).unwrap();
        queue.push(upcall(2, 1)).unwrap();
        queue.push(upcall(1, 2)).unwrap();
        queue.remove_all(|upcall| upcall.grant == 1);
        assert_eq!(queue.len(), 1);
        assert_eq!(queue.remove(0).unwrap().grant, 2);
        assert_eq!(queue.remove(0), None);
    }

    #[test]
    fn an_entry_is_sixteen_bytes() {
        assert_eq!(core::mem::size_of::<QueuedUpcall>(), 16);
    }
}
