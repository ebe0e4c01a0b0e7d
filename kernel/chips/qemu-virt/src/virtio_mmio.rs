//! virtio-mmio transport (modern interface, version 2) shared by the
//! virtio drivers: finding a device among virt's slots, negotiating
//! VIRTIO_F_VERSION_1 only, and split virtqueues of two descriptors with
//! one bounce buffer each, one buffer in flight per queue.
//!
//! QEMU must be given the modern interface:
//! `-global virtio-mmio.force-legacy=false`.
//!
//! ```text
//!  per queue (static, kernel RAM, device-accessed by DMA)
//!  +------------------+ align 16  descriptor table: 2 x 16 B
//!  | available ring   | align 2   flags, idx, ring[2]
//!  | used ring        | align 4   flags, idx, {id, len}[2]
//!  | bounce buffer    |           BUFFER bytes: the device reads or writes here
//!  +------------------+
//! ```
//!
//! Invariant: the device touches a queue's descriptor, rings and buffer
//! only between a [`QueueMemory::post`] (followed by
//! [`VirtioMmioDevice::notify`]) and the used element it publishes; the
//! CPU reads the buffer only after that element, and posts again only
//! when nothing is in flight on the queue.

use core::cell::{Cell, UnsafeCell};
use core::ptr::{addr_of, addr_of_mut};
use core::sync::atomic::{fence, Ordering};

use tock_registers::interfaces::{Readable, Writeable};
use tock_registers::register_structs;
use tock_registers::registers::{ReadOnly, ReadWrite, WriteOnly};

/// First virtio-mmio slot on virt; slot `n` is at `+ n * 0x1000`, PLIC
/// source `1 + n`.
pub const VIRTIO_MMIO_BASE: usize = 0x1000_1000;
/// Number of virtio-mmio slots on virt.
pub const VIRTIO_MMIO_SLOTS: usize = 8;
/// Descriptor flag: the device writes this buffer.
pub const DESCRIPTOR_WRITE: u16 = 2;
const SLOT_STRIDE: usize = 0x1000;
const MAGIC: u32 = 0x7472_6976; // "virt"
const STATUS_ACKNOWLEDGE: u32 = 1;
const STATUS_DRIVER: u32 = 2;
const STATUS_DRIVER_OK: u32 = 4;
const STATUS_FEATURES_OK: u32 = 8;
const QUEUE_SIZE: usize = 2;

register_structs! {
    /// virtio-mmio registers (version 2).
    pub VirtioMmioRegisters {
        (0x000 => magic: ReadOnly<u32>),
        (0x004 => version: ReadOnly<u32>),
        (0x008 => device_id: ReadOnly<u32>),
        (0x00c => _vendor_id: ReadOnly<u32>),
        (0x010 => _device_features: ReadOnly<u32>),
        (0x014 => device_features_select: WriteOnly<u32>),
        (0x018 => _reserved0),
        (0x020 => driver_features: WriteOnly<u32>),
        (0x024 => driver_features_select: WriteOnly<u32>),
        (0x028 => _reserved1),
        (0x030 => queue_select: WriteOnly<u32>),
        (0x034 => queue_size_max: ReadOnly<u32>),
        (0x038 => queue_size: WriteOnly<u32>),
        (0x03c => _reserved2),
        (0x044 => queue_ready: ReadWrite<u32>),
        (0x048 => _reserved3),
        (0x050 => queue_notify: WriteOnly<u32>),
        (0x054 => _reserved4),
        (0x060 => interrupt_status: ReadOnly<u32>),
        (0x064 => interrupt_acknowledge: WriteOnly<u32>),
        (0x068 => _reserved5),
        (0x070 => status: ReadWrite<u32>),
        (0x074 => _reserved6),
        (0x080 => queue_descriptor_low: WriteOnly<u32>),
        (0x084 => queue_descriptor_high: WriteOnly<u32>),
        (0x088 => _reserved7),
        (0x090 => queue_driver_low: WriteOnly<u32>),
        (0x094 => queue_driver_high: WriteOnly<u32>),
        (0x098 => _reserved8),
        (0x0a0 => queue_device_low: WriteOnly<u32>),
        (0x0a4 => queue_device_high: WriteOnly<u32>),
        (0x0a8 => @END),
    }
}

#[repr(C, align(16))]
#[derive(Clone, Copy)]
struct Descriptor {
    address: u64,
    length: u32,
    flags: u16,
    next: u16,
}

#[repr(C, align(2))]
struct AvailableRing {
    flags: u16,
    index: u16,
    ring: [u16; QUEUE_SIZE],
}

#[repr(C)]
#[derive(Clone, Copy)]
struct UsedElement {
    id: u32,
    length: u32,
}

#[repr(C, align(4))]
struct UsedRing {
    flags: u16,
    index: u16,
    ring: [UsedElement; QUEUE_SIZE],
}

/// One virtqueue and its bounce buffer of `BUFFER` bytes.
#[repr(C)]
struct Virtqueue<const BUFFER: usize> {
    descriptors: [Descriptor; QUEUE_SIZE],
    available: AvailableRing,
    used: UsedRing,
    buffer: [u8; BUFFER],
}

impl<const BUFFER: usize> Virtqueue<BUFFER> {
    const EMPTY: Self = Virtqueue {
        descriptors: [Descriptor {
            address: 0,
            length: 0,
            flags: 0,
            next: 0,
        }; QUEUE_SIZE],
        available: AvailableRing {
            flags: 0,
            index: 0,
            ring: [0; QUEUE_SIZE],
        },
        used: UsedRing {
            flags: 0,
            index: 0,
            ring: [UsedElement { id: 0, length: 0 }; QUEUE_SIZE],
        },
        buffer: [0; BUFFER],
    };
}

/// The memory of a device's `QUEUES` virtqueues (queue `n` is the
/// device's queue `n`), shared with the device; owned by one driver.
pub struct QueueMemory<const QUEUES: usize, const BUFFER: usize>(
    UnsafeCell<[Virtqueue<BUFFER>; QUEUES]>,
);

// SAFETY: the kernel is single-threaded and never interrupted; the only
// other writer is the device, which writes only what it is handed.
unsafe impl<const QUEUES: usize, const BUFFER: usize> Sync for QueueMemory<QUEUES, BUFFER> {}

impl<const QUEUES: usize, const BUFFER: usize> QueueMemory<QUEUES, BUFFER> {
    /// Zeroed queue memory.
    pub const fn new() -> Self {
        QueueMemory(UnsafeCell::new([Virtqueue::EMPTY; QUEUES]))
    }

    /// Queue `index` (indexing panics past the last queue: a driver bug).
    fn queue(&self, index: usize) -> *mut Virtqueue<BUFFER> {
        // SAFETY: the cell's pointer is valid (a live static); only a raw
        // pointer to the element is formed, no reference.
        unsafe { addr_of_mut!((*self.0.get())[index]) }
    }

    /// Hands queue `index`'s bounce buffer (`length` bytes, at most
    /// `BUFFER`) to the device with descriptor `flags`, copying `data`
    /// into it first. The device sees it after [`VirtioMmioDevice::notify`].
    ///
    /// # Safety
    /// Nothing may be in flight on the queue (the device must have
    /// published the used element of the previous post).
    pub unsafe fn post(&self, index: usize, length: usize, flags: u16, data: Option<&[u8]>) {
        let memory = self.queue(index);
        // SAFETY: the caller guarantees the device does not own this
        // queue's descriptor, ring slot or buffer until the notify; the
        // fences order these writes before the index and the notify.
        unsafe {
            if let Some(data) = data {
                for (offset, &byte) in data.iter().enumerate().take(BUFFER) {
                    addr_of_mut!((*memory).buffer[offset]).write_volatile(byte);
                }
            }
            addr_of_mut!((*memory).descriptors[0]).write_volatile(Descriptor {
                address: addr_of!((*memory).buffer) as usize as u64,
                length: length.min(BUFFER) as u32,
                flags,
                next: 0,
            });
            let available = addr_of!((*memory).available.index).read_volatile();
            addr_of_mut!((*memory).available.ring[usize::from(available) % QUEUE_SIZE])
                .write_volatile(0);
            fence(Ordering::SeqCst);
            addr_of_mut!((*memory).available.index).write_volatile(available.wrapping_add(1));
        }
        fence(Ordering::SeqCst);
    }

    /// Takes the next used element of queue `index` past `last_used`
    /// (advancing it): copies the bytes the device wrote into `out` and
    /// returns their count. `None`: the device has published nothing new.
    /// Call after [`VirtioMmioDevice::acknowledge_interrupt`] (its fence).
    pub fn take_used(
        &self,
        index: usize,
        last_used: &Cell<u16>,
        out: &mut [u8; BUFFER],
    ) -> Option<usize> {
        let memory = self.queue(index);
        // SAFETY: the device has finished with every element up to the
        // used index it published (read after the caller's fence).
        let used_index = unsafe { addr_of!((*memory).used.index).read_volatile() };
        if last_used.get() == used_index {
            return None;
        }
        let slot = usize::from(last_used.get()) % QUEUE_SIZE;
        // SAFETY: as above; the element and its bytes are complete.
        let length = unsafe { addr_of!((*memory).used.ring[slot].length).read_volatile() };
        last_used.set(last_used.get().wrapping_add(1));
        let length = (length as usize).min(BUFFER);
        for (offset, byte) in out.iter_mut().enumerate().take(length) {
            // SAFETY: as above.
            *byte = unsafe { addr_of!((*memory).buffer[offset]).read_volatile() };
        }
        Some(length)
    }

    /// The addresses of queue `index`'s descriptor table, available ring
    /// and used ring, for the device (RAM is below 4 GiB on virt).
    fn addresses(&self, index: usize) -> [u32; 3] {
        let memory = self.queue(index);
        // SAFETY: addresses only: no reference into device-shared memory
        // is made, and `memory` points into a live static.
        unsafe {
            [
                addr_of!((*memory).descriptors) as usize as u32,
                addr_of!((*memory).available) as usize as u32,
                addr_of!((*memory).used) as usize as u32,
            ]
        }
    }
}

impl<const QUEUES: usize, const BUFFER: usize> Default for QueueMemory<QUEUES, BUFFER> {
    fn default() -> Self {
        Self::new()
    }
}

/// Why a virtio device could not be set up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SetUpError {
    /// No modern device of that type in any slot.
    NotFound,
    /// The device refused VIRTIO_F_VERSION_1 or the queue size.
    Refused,
}

/// A virtio-mmio device that is set up and running.
#[derive(Clone, Copy)]
pub struct VirtioMmioDevice {
    registers: &'static VirtioMmioRegisters,
    irq: u32,
}

impl VirtioMmioDevice {
    /// Finds the first modern device of `device_id` among the slots,
    /// negotiates VIRTIO_F_VERSION_1 only, hands it `memory` as its queues
    /// 0.. and starts it.
    ///
    /// # Safety
    /// The virtio-mmio slots must be mapped at [`VIRTIO_MMIO_BASE`], and
    /// `memory` must serve only this device.
    pub unsafe fn probe<const QUEUES: usize, const BUFFER: usize>(
        device_id: u32,
        memory: &'static QueueMemory<QUEUES, BUFFER>,
    ) -> Result<Self, SetUpError> {
        for slot in 0..VIRTIO_MMIO_SLOTS {
            let base = VIRTIO_MMIO_BASE + slot * SLOT_STRIDE;
            // SAFETY: the caller guarantees the slots are mapped.
            let registers = unsafe { &*(base as *const VirtioMmioRegisters) };
            if registers.magic.get() == MAGIC
                && registers.version.get() == 2
                && registers.device_id.get() == device_id
            {
                let device = VirtioMmioDevice {
                    registers,
                    irq: 1 + slot as u32,
                };
                device.set_up(memory)?;
                return Ok(device);
            }
        }
        Err(SetUpError::NotFound)
    }

    fn set_up<const QUEUES: usize, const BUFFER: usize>(
        &self,
        memory: &QueueMemory<QUEUES, BUFFER>,
    ) -> Result<(), SetUpError> {
        let registers = self.registers;
        registers.status.set(0);
        registers.status.set(STATUS_ACKNOWLEDGE | STATUS_DRIVER);
        // Only VIRTIO_F_VERSION_1 (feature bit 32).
        registers.device_features_select.set(1);
        registers.driver_features_select.set(0);
        registers.driver_features.set(0);
        registers.driver_features_select.set(1);
        registers.driver_features.set(1);
        let features_ok = STATUS_ACKNOWLEDGE | STATUS_DRIVER | STATUS_FEATURES_OK;
        registers.status.set(features_ok);
        if registers.status.get() & STATUS_FEATURES_OK == 0 {
            return Err(SetUpError::Refused);
        }
        for queue in 0..QUEUES {
            registers.queue_select.set(queue as u32);
            if (registers.queue_size_max.get() as usize) < QUEUE_SIZE {
                return Err(SetUpError::Refused);
            }
            registers.queue_size.set(QUEUE_SIZE as u32);
            let [descriptors, available, used] = memory.addresses(queue);
            registers.queue_descriptor_low.set(descriptors);
            registers.queue_descriptor_high.set(0);
            registers.queue_driver_low.set(available);
            registers.queue_driver_high.set(0);
            registers.queue_device_low.set(used);
            registers.queue_device_high.set(0);
            registers.queue_ready.set(1);
        }
        registers.status.set(features_ok | STATUS_DRIVER_OK);
        Ok(())
    }

    /// The device's PLIC source.
    pub fn irq(&self) -> u32 {
        self.irq
    }

    /// Tells the device that queue `queue` has a new buffer.
    pub fn notify(&self, queue: usize) {
        self.registers.queue_notify.set(queue as u32);
    }

    /// Acknowledges the device's interrupt; then its used rings may be read.
    pub fn acknowledge_interrupt(&self) {
        self.registers
            .interrupt_acknowledge
            .set(self.registers.interrupt_status.get());
        fence(Ordering::SeqCst);
    }
}
