//! Grants: typed per-capsule, per-process state, carved lazily from the
//! top of that process's RAM (the grant region, growing down towards the
//! app break and never crossing it).
//!
//! One allocation, at an address chosen by [`crate::memory::MemoryLayout::allocate_grant`]:
//!
//! ```text
//!  allocation start (aligned)
//!  | GrantHeader | UpcallSlot x U | AllowSlot x RO | AllowSlot x RW | pad | T |
//!  ^ the process's grant pointer n points here        data_offset ---^
//! ```
//!
//! Invariants, each enforced where written:
//! - `enter` is the only way to a `&mut T`; the closure is higher-ranked,
//!   so neither `T` nor any buffer can leave it (see the compile-fail test
//!   on [`Grant::enter`]).
//! - A grant is entered at most once at a time per process (bit in
//!   `entered_grants`): two `&mut T` never coexist.
//! - A [`ProcessId`] reaches the grant only while its identifier is the
//!   process's current one: restart and exit take a new identifier and
//!   zero the grant pointers, so everything of a dead process is
//!   unreachable at once and its grant region is free again.
//! - The region is the process's memory, never the kernel's: exhaustion
//!   fails that process's request with NOMEM and nothing else.

use core::marker::PhantomData;
use core::mem::{align_of, size_of};

use kernel_abi::ErrorCode;

use crate::capability::MemorySharingCapability;
use crate::kernel::Kernel;
use crate::platform::Region;
use crate::process::{Process, ProcessId};
use crate::process_buffer::{ReadOnlyBuffer, ReadWriteBuffer};
use crate::sharing::SharedBuffer;
use crate::upcall::QueuedUpcall;

/// Why a grant could not be entered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GrantError {
    /// The process is gone (or the id is stale).
    NoSuchProcess,
    /// Its grant region is exhausted.
    OutOfMemory,
    /// This grant is already entered for this process.
    AlreadyEntered,
}

impl From<GrantError> for ErrorCode {
    fn from(error: GrantError) -> ErrorCode {
        match error {
            GrantError::NoSuchProcess => ErrorCode::Fail,
            GrantError::OutOfMemory => ErrorCode::NoMem,
            GrantError::AlreadyEntered => ErrorCode::Busy,
        }
    }
}

/// Why an upcall could not be scheduled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UpcallError {
    /// The subscribe number is beyond this grant's upcall count.
    InvalidSubscribeNumber,
    /// The process's upcall queue is full; the upcall was dropped.
    QueueFull,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub(crate) struct GrantHeader {
    pub(crate) driver: u32,
    pub(crate) upcall_count: u8,
    pub(crate) read_only_count: u8,
    pub(crate) read_write_count: u8,
    padding: u8,
}

/// A subscribed upcall: function (0 = null upcall) and app data.
#[repr(C)]
#[derive(Clone, Copy, Default, Debug, PartialEq, Eq)]
pub(crate) struct UpcallSlot {
    pub(crate) function: usize,
    pub(crate) appdata: u32,
}

/// An allowed buffer.
#[repr(C)]
#[derive(Clone, Copy, Default, Debug, PartialEq, Eq)]
pub(crate) struct AllowSlot {
    pub(crate) address: usize,
    pub(crate) length: usize,
}

const SLOT_ALIGN: usize = align_of::<usize>();

const fn round_up(value: usize, align: usize) -> usize {
    (value + align - 1) & !(align - 1)
}

/// Offsets inside an allocation, computed from the counts in its header.
pub(crate) struct SlotOffsets {
    pub(crate) upcalls: usize,
    pub(crate) read_only: usize,
    pub(crate) read_write: usize,
    pub(crate) end: usize,
}

impl SlotOffsets {
    pub(crate) const fn of(upcalls: usize, read_only: usize, read_write: usize) -> Self {
        let upcalls_offset = round_up(size_of::<GrantHeader>(), SLOT_ALIGN);
        let read_only_offset = upcalls_offset + upcalls * size_of::<UpcallSlot>();
        let read_write_offset = read_only_offset + read_only * size_of::<AllowSlot>();
        SlotOffsets {
            upcalls: upcalls_offset,
            read_only: read_only_offset,
            read_write: read_write_offset,
            end: read_write_offset + read_write * size_of::<AllowSlot>(),
        }
    }
}

/// Per-process state of type `T` for one capsule, with `UPCALLS` subscribe
/// slots, `READ_ONLY` read-only and `READ_WRITE` read-write allow slots.
pub struct Grant<T: Default, const UPCALLS: usize, const READ_ONLY: usize, const READ_WRITE: usize>
{
    kernel: &'static Kernel,
    driver: u32,
    index: usize,
    data: PhantomData<T>,
}

impl<T: Default, const UPCALLS: usize, const READ_ONLY: usize, const READ_WRITE: usize>
    Grant<T, UPCALLS, READ_ONLY, READ_WRITE>
{
    const SLOTS: SlotOffsets = SlotOffsets::of(UPCALLS, READ_ONLY, READ_WRITE);
    const ALIGN: usize = if align_of::<T>() > SLOT_ALIGN {
        align_of::<T>()
    } else {
        SLOT_ALIGN
    };
    const DATA_OFFSET: usize = round_up(Self::SLOTS.end, align_of::<T>());
    const SIZE: usize = Self::DATA_OFFSET + size_of::<T>();

    pub(crate) fn new(kernel: &'static Kernel, driver: u32, index: usize) -> Self {
        assert!(
            UPCALLS <= u8::MAX as usize
                && READ_ONLY <= u8::MAX as usize
                && READ_WRITE <= u8::MAX as usize
        );
        Grant {
            kernel,
            driver,
            index,
            data: PhantomData,
        }
    }

    /// Bytes one allocation of this grant takes in a process's grant region.
    pub const fn allocation_size() -> usize {
        Self::SIZE
    }

    /// Run `operation` on this process's `T` (allocated and defaulted on
    /// first use) and its kernel data (allowed buffers, upcalls).
    ///
    /// Nothing borrowed inside can escape: this does not compile.
    ///
    /// ```compile_fail
    /// # use kernel::grant::Grant;
    /// # use kernel::process::ProcessId;
    /// fn escape(grant: &Grant<u32, 0, 0, 0>, process: ProcessId) -> &'static mut u32 {
    ///     let mut escaped = None;
    ///     grant.enter(process, |data, _| escaped = Some(data)).unwrap();
    ///     escaped.unwrap()
    /// }
    /// ```
    ///
    /// while using the data inside does:
    ///
    /// ```
    /// # use kernel::grant::Grant;
    /// # use kernel::process::ProcessId;
    /// fn increment(grant: &Grant<u32, 0, 0, 0>, process: ProcessId) -> u32 {
    ///     grant.enter(process, |data, _| { *data += 1; *data }).unwrap_or(0)
    /// }
    /// ```
    pub fn enter<R, F>(&self, process_id: ProcessId, operation: F) -> Result<R, GrantError>
    where
        F: for<'a> FnOnce(&'a mut T, &'a GrantKernelData<'a>) -> R,
    {
        let process = self
            .kernel
            .process(process_id)
            .ok_or(GrantError::NoSuchProcess)?;
        let bit = 1u32 << self.index;
        if process.entered_grants.get() & bit != 0 {
            return Err(GrantError::AlreadyEntered);
        }
        let base = match process.grant_base(self.index) {
            Some(base) => base,
            None => self.allocate(process)?,
        };
        process
            .entered_grants
            .set(process.entered_grants.get() | bit);
        let kernel_data = GrantKernelData {
            process,
            process_id,
            base,
            index: self.index as u8,
            marker: PhantomData,
        };
        // SAFETY: `base + DATA_OFFSET` holds an initialised, aligned `T`
        // written by `allocate` inside this process's grant region, which
        // the process cannot touch (it lies above the app break). The
        // entered bit makes this the only `&mut T` to it; the reference
        // lives only for the call below (the closure is higher-ranked).
        let data = unsafe { &mut *((base + Self::DATA_OFFSET) as *mut T) };
        let result = operation(data, &kernel_data);
        process
            .entered_grants
            .set(process.entered_grants.get() & !bit);
        Ok(result)
    }

    /// Run `operation` for every live process that has this grant allocated
    /// (never allocates). Processes whose grant is already entered are
    /// skipped.
    pub fn each<F>(&self, mut operation: F)
    where
        F: for<'a> FnMut(ProcessId, &'a mut T, &'a GrantKernelData<'a>),
    {
        for process_id in self.kernel.process_ids() {
            let allocated = self
                .kernel
                .process(process_id)
                .is_some_and(|process| process.grant_base(self.index).is_some());
            if allocated {
                let _ = self.enter(process_id, |data, kernel_data| {
                    operation(process_id, data, kernel_data)
                });
            }
        }
    }

    /// Let process `peer` read and write in place, through its memory
    /// protection, exactly the read-write buffer `owner` allowed to this
    /// grant as `number` (upstream IPC: the owner consented by allowing it
    /// for that peer). The kernel, not the caller, reads the buffer from
    /// the allow table, so nothing else can be mapped; the grant is not
    /// entered (this may be called inside `enter` of either process).
    /// Returns the region; it stays mapped until `owner` re-allows that
    /// buffer or either incarnation ends ([`crate::sharing`]). Fails with
    /// INVAL for an empty buffer, a dead or identical peer, or a buffer the
    /// hardware cannot map exactly; NOMEM when no shared region is left;
    /// NOSUPPORT if there is no such buffer (or nothing allocated).
    pub fn share_read_write_buffer(
        &self,
        owner: ProcessId,
        number: usize,
        peer: ProcessId,
        _capability: &dyn MemorySharingCapability,
    ) -> Result<Region, ErrorCode> {
        let process = self.kernel.process(owner).ok_or(ErrorCode::Inval)?;
        let base = process.grant_base(self.index).ok_or(ErrorCode::NoSupport)?;
        // SAFETY: an allocated grant pointer points at the header
        // `allocate` wrote in this incarnation (reset zeroes the pointers).
        let header = unsafe { (base as *const GrantHeader).read() };
        let slot = read_allow_slot(base, &header, AllowTable::ReadWrite, number)
            .ok_or(ErrorCode::NoSupport)?;
        // Allowed buffers stay below the break (the allow floor): checked
        // again because what is mapped must never be grant memory.
        if slot.length == 0
            || !process
                .layout()
                .is_writeable_range(slot.address, slot.length)
            || self.kernel.process(peer).is_none()
        {
            return Err(ErrorCode::Inval);
        }
        let region = Region::new(slot.address, slot.length);
        self.kernel.shared_buffers().share(SharedBuffer {
            owner,
            grant: self.index as u8,
            buffer: u8::try_from(number).map_err(|_| ErrorCode::Inval)?,
            peer,
            region,
        })?;
        Ok(region)
    }

    fn allocate(&self, process: &Process) -> Result<usize, GrantError> {
        let data = T::default();
        let header = GrantHeader {
            driver: self.driver,
            upcall_count: UPCALLS as u8,
            read_only_count: READ_ONLY as u8,
            read_write_count: READ_WRITE as u8,
            padding: 0,
        };
        let base = allocate_slots(process, self.index, header, Self::SIZE, Self::ALIGN)?;
        // SAFETY: `allocate_slots` carved `[base, base + SIZE)` from this
        // process's grant region, aligned to `ALIGN` (at least `T`'s
        // alignment); `DATA_OFFSET` is `T`-aligned and `DATA_OFFSET +
        // size_of::<T>() == SIZE`, so the write is in bounds, aligned and
        // aliases nothing live.
        unsafe {
            ((base + Self::DATA_OFFSET) as *mut T).write(data);
        }
        Ok(base)
    }
}

/// The part of [`Grant::allocate`] that does not depend on `T`: carve
/// `size` bytes aligned to `align` (`size` covers at least the header and
/// slots `header` describes) off `process`'s grant region, write the
/// header and empty slots and record the allocation as grant `index`. The
/// caller writes its data before anything can enter the grant. Not
/// generic, so each grant type adds only the write of its own data.
#[inline(never)] // reason: one copy for every grant type (kernel size)
fn allocate_slots(
    process: &Process,
    index: usize,
    header: GrantHeader,
    size: usize,
    align: usize,
) -> Result<usize, GrantError> {
    let slots = SlotOffsets::of(
        usize::from(header.upcall_count),
        usize::from(header.read_only_count),
        usize::from(header.read_write_count),
    );
    debug_assert!(slots.end <= size, "the allocation holds its slots");
    let mut layout = process.layout.get();
    let base = layout
        .allocate_grant(size, align, process.break_granule())
        .ok_or(GrantError::OutOfMemory)?;
    if layout.ram.end() - base > u16::MAX as usize {
        return Err(GrantError::OutOfMemory);
    }
    process.layout.set(layout);
    let allows = usize::from(header.read_only_count) + usize::from(header.read_write_count);
    // SAFETY: `[base, base + size)` was just carved from this process's
    // grant region (inside its RAM, above its app break, below every
    // other allocation), aligned to `align` (at least `SLOT_ALIGN`), and
    // the slots end at `slots.end <= size`, so every write below is in
    // bounds and aligned and aliases nothing live.
    unsafe {
        (base as *mut GrantHeader).write(header);
        for slot in 0..usize::from(header.upcall_count) {
            ((base + slots.upcalls) as *mut UpcallSlot)
                .add(slot)
                .write(UpcallSlot::default());
        }
        for slot in 0..allows {
            ((base + slots.read_only) as *mut AllowSlot)
                .add(slot)
                .write(AllowSlot::default());
        }
    }
    process.set_grant_base(index, base);
    Ok(base)
}

/// What the kernel keeps for a capsule in a process's grant: its upcalls
/// and allowed buffers. Only reachable inside [`Grant::enter`].
pub struct GrantKernelData<'a> {
    process: &'a Process,
    process_id: ProcessId,
    base: usize,
    index: u8,
    marker: PhantomData<&'a ()>,
}

impl<'a> GrantKernelData<'a> {
    /// The process this grant belongs to.
    pub fn process_id(&self) -> ProcessId {
        self.process_id
    }

    fn header(&self) -> GrantHeader {
        // SAFETY: `base` points at the header `Grant::allocate` wrote; the
        // allocation lives as long as the process incarnation, which
        // outlives `'a` (the enter call).
        unsafe { (self.base as *const GrantHeader).read() }
    }

    /// Schedule upcall `subscribe` with three arguments. Its function and
    /// app data are those subscribed when it is delivered.
    pub fn schedule_upcall(
        &self,
        subscribe: usize,
        arguments: (u32, u32, u32),
    ) -> Result<(), UpcallError> {
        let header = self.header();
        if subscribe >= header.upcall_count as usize {
            return Err(UpcallError::InvalidSubscribeNumber);
        }
        let upcall = QueuedUpcall {
            grant: self.index,
            subscribe: subscribe as u8,
            arguments: [arguments.0, arguments.1, arguments.2],
        };
        if self.process.enqueue_upcall(upcall) {
            Ok(())
        } else {
            Err(UpcallError::QueueFull)
        }
    }

    /// The read-only buffer allowed as number `number`.
    pub fn read_only_buffer(&self, number: usize) -> Result<ReadOnlyBuffer<'_>, ErrorCode> {
        let header = self.header();
        let slot = read_allow_slot(self.base, &header, AllowTable::ReadOnly, number)
            .ok_or(ErrorCode::NoSupport)?;
        // SAFETY: the kernel stored the slot only after checking the range
        // lies inside this process's RAM below its break or its flash; the
        // allow floor keeps the break (and so the grant region) from moving
        // over it while the process lives, which it does for `'_`.
        Ok(unsafe { ReadOnlyBuffer::new(slot.address, slot.length) })
    }

    /// The read-write buffer allowed as number `number`.
    pub fn read_write_buffer(&self, number: usize) -> Result<ReadWriteBuffer<'_>, ErrorCode> {
        let header = self.header();
        let slot = read_allow_slot(self.base, &header, AllowTable::ReadWrite, number)
            .ok_or(ErrorCode::NoSupport)?;
        // SAFETY: as for `read_only_buffer`; read-write slots are only ever
        // stored for ranges inside the process's writeable RAM.
        Ok(unsafe { ReadWriteBuffer::new(slot.address, slot.length) })
    }
}

/// Which allow table of a grant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum AllowTable {
    ReadOnly,
    ReadWrite,
}

fn read_upcall_slot(base: usize, header: &GrantHeader, number: usize) -> Option<UpcallSlot> {
    if number >= header.upcall_count as usize {
        return None;
    }
    let offsets = SlotOffsets::of(
        header.upcall_count as usize,
        header.read_only_count as usize,
        header.read_write_count as usize,
    );
    // SAFETY: `number` is below the count in the header, so the slot lies
    // inside the allocation `Grant::allocate` initialised.
    Some(unsafe {
        ((base + offsets.upcalls) as *const UpcallSlot)
            .add(number)
            .read()
    })
}

fn allow_slot_address(
    base: usize,
    header: &GrantHeader,
    table: AllowTable,
    number: usize,
) -> Option<*mut AllowSlot> {
    let offsets = SlotOffsets::of(
        header.upcall_count as usize,
        header.read_only_count as usize,
        header.read_write_count as usize,
    );
    let (offset, count) = match table {
        AllowTable::ReadOnly => (offsets.read_only, header.read_only_count),
        AllowTable::ReadWrite => (offsets.read_write, header.read_write_count),
    };
    if number >= count as usize {
        return None;
    }
    Some((base + offset + number * size_of::<AllowSlot>()) as *mut AllowSlot)
}

fn read_allow_slot(
    base: usize,
    header: &GrantHeader,
    table: AllowTable,
    number: usize,
) -> Option<AllowSlot> {
    let slot = allow_slot_address(base, header, table, number)?;
    // SAFETY: in bounds of the initialised allocation (count checked).
    Some(unsafe { slot.read() })
}

/// The allocation of the grant for `driver` in `process`, if any: its
/// grant number, address and header.
pub(crate) fn find_allocation(
    process: &Process,
    driver: u32,
) -> Option<(usize, usize, GrantHeader)> {
    (0..process.grant_pointers.len()).find_map(|index| {
        let base = process.grant_base(index)?;
        // SAFETY: allocated grant pointers point at headers written by
        // `Grant::allocate` in this incarnation (reset zeroes them).
        let header = unsafe { (base as *const GrantHeader).read() };
        (header.driver == driver).then_some((index, base, header))
    })
}

/// The driver number of the allocation at `base`.
pub(crate) fn allocation_driver(base: usize) -> u32 {
    // SAFETY: callers pass a base from `Process::grant_base`, which points
    // at a header written by `Grant::allocate` in this incarnation.
    unsafe { (base as *const GrantHeader).read() }.driver
}

/// Replace upcall slot `number`; returns the previous one, or `None` if
/// the grant has no such slot.
pub(crate) fn swap_upcall(
    base: usize,
    header: &GrantHeader,
    number: usize,
    new: UpcallSlot,
) -> Option<UpcallSlot> {
    let previous = read_upcall_slot(base, header, number)?;
    let offsets = SlotOffsets::of(
        header.upcall_count as usize,
        header.read_only_count as usize,
        header.read_write_count as usize,
    );
    // SAFETY: same slot `read_upcall_slot` just read in bounds.
    unsafe {
        ((base + offsets.upcalls) as *mut UpcallSlot)
            .add(number)
            .write(new)
    };
    Some(previous)
}

/// Replace allow slot `number` of `table`; returns the previous one, or
/// `None` if there is no such slot.
pub(crate) fn swap_allow(
    base: usize,
    header: &GrantHeader,
    table: AllowTable,
    number: usize,
    new: AllowSlot,
) -> Option<AllowSlot> {
    let slot = allow_slot_address(base, header, table, number)?;
    // SAFETY: in bounds of the initialised allocation (count checked); the
    // kernel is single-threaded and holds no reference to the slot.
    unsafe {
        let previous = slot.read();
        slot.write(new);
        Some(previous)
    }
}

/// The function and app data subscribed for a queued upcall, if any.
pub(crate) fn queued_upcall_slot(process: &Process, upcall: &QueuedUpcall) -> Option<UpcallSlot> {
    let base = process.grant_base(upcall.grant as usize)?;
    // SAFETY: as in `allocation_driver`.
    let header = unsafe { (base as *const GrantHeader).read() };
    read_upcall_slot(base, &header, upcall.subscribe as usize)
}
