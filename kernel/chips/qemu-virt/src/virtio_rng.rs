//! virtio-rng on a virtio-mmio slot (modern interface, version 2), one
//! virtqueue of two descriptors, one request in flight.
//!
//! QEMU must be given the device and the modern interface:
//! `-global virtio-mmio.force-legacy=false -device virtio-rng-device`.
//!
//! ```text
//!  queue memory (static, in kernel RAM, device-written by DMA)
//!  +-------------------+ align 16   descriptor table: 2 x 16 B
//!  | descriptors       |
//!  +-------------------+ align 2    available ring: flags, idx, ring[2]
//!  | available ring    |
//!  +-------------------+ align 4    used ring: flags, idx, {id, len}[2]
//!  | used ring         |
//!  +-------------------+
//! ```

use core::cell::{Cell, UnsafeCell};
use core::ptr::{addr_of, addr_of_mut};
use core::sync::atomic::{fence, Ordering};

use kernel::hil::entropy::{Continue, Entropy32, Entropy32Client};
use kernel::ErrorCode;
use tock_registers::interfaces::{Readable, Writeable};
use tock_registers::register_structs;
use tock_registers::registers::{ReadOnly, ReadWrite, WriteOnly};

/// First virtio-mmio slot on virt; slot `n` is at `+ n * 0x1000`, PLIC
/// source `1 + n`.
pub const VIRTIO_MMIO_BASE: usize = 0x1000_1000;
/// Number of virtio-mmio slots on virt.
pub const VIRTIO_MMIO_SLOTS: usize = 8;
const MAGIC: u32 = 0x7472_6976; // "virt"
const DEVICE_ID_ENTROPY: u32 = 4;
const STATUS_ACKNOWLEDGE: u32 = 1;
const STATUS_DRIVER: u32 = 2;
const STATUS_DRIVER_OK: u32 = 4;
const STATUS_FEATURES_OK: u32 = 8;
const DESCRIPTOR_WRITE: u16 = 2;
const QUEUE_SIZE: usize = 2;
const BUFFER_SIZE: usize = 64;

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

/// Memory shared with the device.
#[repr(C)]
pub struct QueueMemory {
    descriptors: [Descriptor; QUEUE_SIZE],
    available: AvailableRing,
    used: UsedRing,
    buffer: [u8; BUFFER_SIZE],
}

/// The queue memory, owned by one [`VirtioRng`].
pub struct SharedQueue(UnsafeCell<QueueMemory>);

// SAFETY: the kernel is single-threaded and never interrupted; the only
// other writer is the device, which writes only what it is handed.
unsafe impl Sync for SharedQueue {}

impl SharedQueue {
    /// Zeroed queue memory.
    pub const fn new() -> Self {
        SharedQueue(UnsafeCell::new(QueueMemory {
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
            buffer: [0; BUFFER_SIZE],
        }))
    }
}

impl Default for SharedQueue {
    fn default() -> Self {
        Self::new()
    }
}

/// Why the device could not be used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VirtioError {
    /// No virtio-rng in any slot: start QEMU with
    /// `-global virtio-mmio.force-legacy=false -device virtio-rng-device`.
    NotFound,
    /// The device refused the features or queue size.
    Refused,
    /// A request is already in flight.
    Busy,
}

/// The virtio entropy device.
pub struct VirtioRng {
    registers: Cell<Option<&'static VirtioMmioRegisters>>,
    irq: Cell<u32>,
    queue: &'static SharedQueue,
    last_used: Cell<u16>,
    busy: Cell<bool>,
    client: Cell<Option<&'static dyn Entropy32Client>>,
    cancelled: Cell<bool>,
}

impl VirtioRng {
    /// A driver that will use `queue` once [`VirtioRng::probe`] finds a
    /// device.
    pub const fn new(queue: &'static SharedQueue) -> Self {
        VirtioRng {
            registers: Cell::new(None),
            irq: Cell::new(0),
            queue,
            last_used: Cell::new(0),
            busy: Cell::new(false),
            client: Cell::new(None),
            cancelled: Cell::new(false),
        }
    }

    /// The PLIC source of the device found by `probe`.
    pub fn irq(&self) -> Option<u32> {
        self.registers.get().map(|_| self.irq.get())
    }

    /// Finds a modern virtio-rng among the virtio-mmio slots and sets it up.
    ///
    /// # Safety
    /// The virtio-mmio slots must be mapped at [`VIRTIO_MMIO_BASE`].
    pub unsafe fn probe(&self) -> Result<(), VirtioError> {
        for slot in 0..VIRTIO_MMIO_SLOTS {
            let base = VIRTIO_MMIO_BASE + slot * 0x1000;
            // SAFETY: the caller guarantees the slots are mapped.
            let registers = unsafe { &*(base as *const VirtioMmioRegisters) };
            if registers.magic.get() == MAGIC
                && registers.version.get() == 2
                && registers.device_id.get() == DEVICE_ID_ENTROPY
            {
                self.set_up(registers)?;
                self.registers.set(Some(registers));
                self.irq.set(1 + slot as u32);
                return Ok(());
            }
        }
        Err(VirtioError::NotFound)
    }

    fn set_up(&self, registers: &'static VirtioMmioRegisters) -> Result<(), VirtioError> {
        registers.status.set(0);
        registers.status.set(STATUS_ACKNOWLEDGE | STATUS_DRIVER);
        // Only VIRTIO_F_VERSION_1 (feature bit 32).
        registers.device_features_select.set(1);
        registers.driver_features_select.set(0);
        registers.driver_features.set(0);
        registers.driver_features_select.set(1);
        registers.driver_features.set(1);
        registers
            .status
            .set(STATUS_ACKNOWLEDGE | STATUS_DRIVER | STATUS_FEATURES_OK);
        if registers.status.get() & STATUS_FEATURES_OK == 0 {
            return Err(VirtioError::Refused);
        }
        registers.queue_select.set(0);
        if (registers.queue_size_max.get() as usize) < QUEUE_SIZE {
            return Err(VirtioError::Refused);
        }
        registers.queue_size.set(QUEUE_SIZE as u32);
        let memory = self.queue.0.get();
        // SAFETY: addresses only: no reference into the device-shared
        // memory is made, and `memory` points at a live static.
        let (descriptors, available, used) = unsafe {
            (
                addr_of!((*memory).descriptors) as usize as u32,
                addr_of!((*memory).available) as usize as u32,
                addr_of!((*memory).used) as usize as u32,
            )
        };
        registers.queue_descriptor_low.set(descriptors);
        registers.queue_descriptor_high.set(0);
        registers.queue_driver_low.set(available);
        registers.queue_driver_high.set(0);
        registers.queue_device_low.set(used);
        registers.queue_device_high.set(0);
        registers.queue_ready.set(1);
        registers
            .status
            .set(STATUS_ACKNOWLEDGE | STATUS_DRIVER | STATUS_FEATURES_OK | STATUS_DRIVER_OK);
        Ok(())
    }

    /// Asks the device for a buffer of random bytes; the client hears
    /// about them from the interrupt.
    pub fn request(&self) -> Result<(), VirtioError> {
        let registers = self.registers.get().ok_or(VirtioError::NotFound)?;
        if self.busy.replace(true) {
            return Err(VirtioError::Busy);
        }
        let memory = self.queue.0.get();
        // SAFETY: the device reads the descriptor and ring only after the
        // notify below; the fence orders these writes before it.
        unsafe {
            let descriptor = addr_of_mut!((*memory).descriptors[0]);
            descriptor.write_volatile(Descriptor {
                address: addr_of!((*memory).buffer) as usize as u64,
                length: BUFFER_SIZE as u32,
                flags: DESCRIPTOR_WRITE,
                next: 0,
            });
            let index = addr_of!((*memory).available.index).read_volatile();
            addr_of_mut!((*memory).available.ring[usize::from(index) % QUEUE_SIZE])
                .write_volatile(0);
            fence(Ordering::SeqCst);
            addr_of_mut!((*memory).available.index).write_volatile(index.wrapping_add(1));
        }
        fence(Ordering::SeqCst);
        registers.queue_notify.set(0);
        Ok(())
    }

    /// The device's PLIC interrupt: acknowledge, and hand finished bytes
    /// to the client.
    pub fn handle_interrupt(&self) {
        let Some(registers) = self.registers.get() else {
            return;
        };
        registers
            .interrupt_acknowledge
            .set(registers.interrupt_status.get());
        fence(Ordering::SeqCst);
        let memory = self.queue.0.get();
        // SAFETY: the device has finished with every element up to the
        // used index it published (read after the fence above).
        let used_index = unsafe { addr_of!((*memory).used.index).read_volatile() };
        while self.last_used.get() != used_index {
            let slot = usize::from(self.last_used.get()) % QUEUE_SIZE;
            // SAFETY: as above; the element and the buffer are complete.
            let length = unsafe { addr_of!((*memory).used.ring[slot].length).read_volatile() };
            self.last_used.set(self.last_used.get().wrapping_add(1));
            self.busy.set(false);
            let mut bytes = [0u8; BUFFER_SIZE];
            let length = (length as usize).min(BUFFER_SIZE);
            for (index, byte) in bytes.iter_mut().enumerate().take(length) {
                // SAFETY: as above.
                *byte = unsafe { addr_of!((*memory).buffer[index]).read_volatile() };
            }
            if self.cancelled.replace(false) {
                continue;
            }
            let Some(client) = self.client.get() else {
                continue;
            };
            let mut words = bytes[..length - length % 4]
                .chunks_exact(4)
                .map(|chunk| u32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]));
            if client.entropy_available(&mut words, Ok(())) == Continue::More {
                // Only fails if the device vanished; then nothing is owed.
                let _ = self.request();
            }
        }
    }
}

impl Entropy32<'static> for VirtioRng {
    fn set_client(&self, client: &'static dyn Entropy32Client) {
        self.client.set(Some(client));
    }

    fn get(&self) -> Result<(), ErrorCode> {
        self.cancelled.set(false);
        match self.request() {
            Ok(()) | Err(VirtioError::Busy) => Ok(()),
            Err(VirtioError::NotFound) => Err(ErrorCode::NoDevice),
            Err(VirtioError::Refused) => Err(ErrorCode::Fail),
        }
    }

    fn cancel(&self) -> Result<(), ErrorCode> {
        if self.busy.get() {
            self.cancelled.set(true);
        }
        Ok(())
    }
}
