//! A heap over memop brk for apps that use `alloc`:
//!
//! ```text
//!  initial break          break (moves up with sbrk)
//!  | heap region managed by linked_list_allocator |
//! ```
//!
//! Install it with
//! `#[global_allocator] static HEAP: libtock_runtime::BrkHeap = libtock_runtime::BrkHeap::new();`
//! The heap starts empty; each allocation that does not fit grows it with
//! sbrk (at least [`BrkHeap::GROWTH`] bytes at a time). Out of memory is a
//! null return (Rust's alloc error), never a fault.

use crate::TockSyscalls;
use core::alloc::{GlobalAlloc, Layout};
use core::cell::UnsafeCell;
use core::ptr::{null_mut, NonNull};
use libtock_platform::Syscalls;
use linked_list_allocator::Heap;

/// The break-backed heap.
pub struct BrkHeap {
    heap: UnsafeCell<Heap>,
}

// SAFETY: a Tock process has one thread, and upcalls run only inside yield,
// which no allocator method calls: no two accesses to `heap` can overlap.
unsafe impl Sync for BrkHeap {}

impl BrkHeap {
    /// Smallest amount the heap grows by.
    pub const GROWTH: usize = 1024;

    /// An empty heap (it claims memory on first use).
    pub const fn new() -> BrkHeap {
        BrkHeap {
            heap: UnsafeCell::new(Heap::empty()),
        }
    }

    /// Grows `heap` by at least `needed` bytes: by [`BrkHeap::GROWTH`] if
    /// the kernel allows, else by just `needed`. False if it refuses both.
    fn grow(heap: &mut Heap, needed: usize) -> bool {
        let needed = needed.next_multiple_of(8);
        let preferred = needed.max(Self::GROWTH);
        let grown = [preferred, needed].into_iter().find_map(|amount| {
            let increment = i32::try_from(amount).ok()?;
            // SAFETY: growing the break only makes memory accessible.
            let old_break = unsafe { TockSyscalls::memop_sbrk(increment) }.ok()?;
            Some((old_break, amount))
        });
        let Some((old_break, amount)) = grown else {
            return false;
        };
        if heap.size() == 0 {
            // SAFETY: [old_break, old_break + amount) was just given to the
            // process by sbrk and nothing else uses it.
            unsafe { heap.init(old_break as *mut u8, amount) };
        } else {
            // SAFETY: the new memory directly follows the heap's top (the
            // heap always ends at the break, since only this grows it).
            unsafe { heap.extend(amount) };
        }
        true
    }
}

impl Default for BrkHeap {
    fn default() -> Self {
        Self::new()
    }
}

// SAFETY: allocations come from linked_list_allocator, which honours the
// layout; memory is only ever added to the heap, from sbrk.
unsafe impl GlobalAlloc for BrkHeap {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: see `unsafe impl Sync`: no other reference exists now.
        let heap = unsafe { &mut *self.heap.get() };
        loop {
            if let Ok(block) = heap.allocate_first_fit(layout) {
                return block.as_ptr();
            }
            if !Self::grow(heap, layout.size() + layout.align()) {
                return null_mut();
            }
        }
    }

    unsafe fn dealloc(&self, pointer: *mut u8, layout: Layout) {
        // SAFETY: as in `alloc`; `pointer` came from `alloc` with `layout`.
        unsafe {
            let heap = &mut *self.heap.get();
            if let Some(block) = NonNull::new(pointer) {
                heap.deallocate(block, layout);
            }
        }
    }
}
