//! virtio-console (a `virtio-serial-device` with one `virtconsole` port)
//! on a virtio-mmio slot, modern interface, as a second serial port: it
//! implements the UART HIL, so byte-stream users (the HID link) do not
//! know it is not a 16550. Port 0 only (no multiport feature): receive
//! queue 0, transmit queue 1, one buffer in flight on each.
//!
//! QEMU arguments (see docs/boards/qemu-rv32-virt.md, "HID link"):
//! `-device virtio-serial-device -chardev socket,id=hid,path=SOCKET,server=on,wait=off
//!  -device virtconsole,chardev=hid` (with `virtio-mmio.force-legacy=false`).
//!
//! ```text
//!  per queue (static, kernel RAM, device-accessed by DMA)
//!  +------------------+ align 16  descriptor table: 2 x 16 B
//!  | available ring   | align 2   flags, idx, ring[2]
//!  | used ring        | align 4   flags, idx, {id, len}[2]
//!  | bounce buffer    |           CHUNK bytes: the device reads or writes here
//!  +------------------+
//! ```
//!
//! Bytes move through the bounce buffers, never by DMA into a client's
//! buffer, so a client's buffer is only ever touched by the CPU.

use core::cell::{Cell, UnsafeCell};
use core::ptr::{addr_of, addr_of_mut};
use core::sync::atomic::{fence, Ordering};

use kernel::hil::uart::{Receive, ReceiveClient, Transmit, TransmitClient};
use kernel::ErrorCode;
use tock_registers::interfaces::{Readable, Writeable};
use tock_registers::register_structs;
use tock_registers::registers::{ReadOnly, ReadWrite, WriteOnly};

use crate::virtio_rng::{VIRTIO_MMIO_BASE, VIRTIO_MMIO_SLOTS};

const MAGIC: u32 = 0x7472_6976; // "virt"
const DEVICE_ID_CONSOLE: u32 = 3;
const STATUS_ACKNOWLEDGE: u32 = 1;
const STATUS_DRIVER: u32 = 2;
const STATUS_DRIVER_OK: u32 = 4;
const STATUS_FEATURES_OK: u32 = 8;
const DESCRIPTOR_WRITE: u16 = 2;
const QUEUE_SIZE: usize = 2;
/// Bytes per transfer through a bounce buffer.
const CHUNK: usize = 128;
const RECEIVE_QUEUE: u32 = 0;
const TRANSMIT_QUEUE: u32 = 1;

register_structs! {
    /// virtio-mmio registers (version 2).
    ConsoleRegisters {
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

/// One virtqueue and its bounce buffer.
#[repr(C)]
struct Queue {
    descriptors: [Descriptor; QUEUE_SIZE],
    available: AvailableRing,
    used: UsedRing,
    buffer: [u8; CHUNK],
}

const EMPTY_QUEUE: Queue = Queue {
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
    buffer: [0; CHUNK],
};

/// The queue memory (receive, transmit), owned by one [`VirtioConsole`].
pub struct ConsoleQueues(UnsafeCell<[Queue; 2]>);

// SAFETY: the kernel is single-threaded and never interrupted; the only
// other writer is the device, which writes only what it is handed.
unsafe impl Sync for ConsoleQueues {}

impl ConsoleQueues {
    /// Zeroed queue memory.
    pub const fn new() -> Self {
        ConsoleQueues(UnsafeCell::new([EMPTY_QUEUE, EMPTY_QUEUE]))
    }
}

impl Default for ConsoleQueues {
    fn default() -> Self {
        Self::new()
    }
}

/// A client transfer in progress: the buffer, bytes wanted, bytes done.
type Transfer = (&'static mut [u8], usize, usize);

/// The driver.
pub struct VirtioConsole {
    registers: Cell<Option<&'static ConsoleRegisters>>,
    irq: Cell<u32>,
    queues: &'static ConsoleQueues,
    last_used: [Cell<u16>; 2],
    /// Length of the chunk on each queue, while one is in flight.
    in_flight: [Cell<Option<usize>>; 2],
    transmit: Cell<Option<Transfer>>,
    receive: Cell<Option<Transfer>>,
    transmit_client: Cell<Option<&'static dyn TransmitClient>>,
    receive_client: Cell<Option<&'static dyn ReceiveClient>>,
}

impl VirtioConsole {
    /// A driver that will use `queues` once [`VirtioConsole::probe`]
    /// finds a device.
    pub const fn new(queues: &'static ConsoleQueues) -> Self {
        VirtioConsole {
            registers: Cell::new(None),
            irq: Cell::new(0),
            queues,
            last_used: [Cell::new(0), Cell::new(0)],
            in_flight: [Cell::new(None), Cell::new(None)],
            transmit: Cell::new(None),
            receive: Cell::new(None),
            transmit_client: Cell::new(None),
            receive_client: Cell::new(None),
        }
    }

    /// The PLIC source of the device found by `probe`.
    pub fn irq(&self) -> Option<u32> {
        self.registers.get().map(|_| self.irq.get())
    }

    /// Finds a modern virtio console among the virtio-mmio slots and sets
    /// it up. `Err(NoDevice)`: QEMU was started without one.
    ///
    /// # Safety
    /// The virtio-mmio slots must be mapped at [`VIRTIO_MMIO_BASE`].
    pub unsafe fn probe(&self) -> Result<(), ErrorCode> {
        for slot in 0..VIRTIO_MMIO_SLOTS {
            let base = VIRTIO_MMIO_BASE + slot * 0x1000;
            // SAFETY: the caller guarantees the slots are mapped.
            let registers = unsafe { &*(base as *const ConsoleRegisters) };
            if registers.magic.get() == MAGIC
                && registers.version.get() == 2
                && registers.device_id.get() == DEVICE_ID_CONSOLE
            {
                self.set_up(registers)?;
                self.registers.set(Some(registers));
                self.irq.set(1 + slot as u32);
                return Ok(());
            }
        }
        Err(ErrorCode::NoDevice)
    }

    fn set_up(&self, registers: &'static ConsoleRegisters) -> Result<(), ErrorCode> {
        registers.status.set(0);
        registers.status.set(STATUS_ACKNOWLEDGE | STATUS_DRIVER);
        // Only VIRTIO_F_VERSION_1 (feature bit 32): no multiport, no size.
        registers.device_features_select.set(1);
        registers.driver_features_select.set(0);
        registers.driver_features.set(0);
        registers.driver_features_select.set(1);
        registers.driver_features.set(1);
        registers
            .status
            .set(STATUS_ACKNOWLEDGE | STATUS_DRIVER | STATUS_FEATURES_OK);
        if registers.status.get() & STATUS_FEATURES_OK == 0 {
            return Err(ErrorCode::Fail);
        }
        for queue in [RECEIVE_QUEUE, TRANSMIT_QUEUE] {
            registers.queue_select.set(queue);
            if (registers.queue_size_max.get() as usize) < QUEUE_SIZE {
                return Err(ErrorCode::Fail);
            }
            registers.queue_size.set(QUEUE_SIZE as u32);
            let memory = self.queue(queue as usize);
            // SAFETY: addresses only: no reference into device-shared
            // memory is made, and `memory` points into a live static.
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
        }
        registers
            .status
            .set(STATUS_ACKNOWLEDGE | STATUS_DRIVER | STATUS_FEATURES_OK | STATUS_DRIVER_OK);
        Ok(())
    }

    fn queue(&self, index: usize) -> *mut Queue {
        // SAFETY: in bounds of the two-element array (index is 0 or 1);
        // only a raw pointer is formed.
        unsafe { (self.queues.0.get() as *mut Queue).add(index) }
    }

    /// Posts the queue's bounce buffer (`length` bytes) to the device;
    /// for transmit, `data` is copied into it first.
    fn post(&self, queue: u32, length: usize, data: Option<&[u8]>) {
        let Some(registers) = self.registers.get() else {
            return;
        };
        let memory = self.queue(queue as usize);
        let flags = if queue == RECEIVE_QUEUE {
            DESCRIPTOR_WRITE
        } else {
            0
        };
        // SAFETY: the device touches this queue's descriptor, ring and
        // bounce buffer only after the notify below (the fences order the
        // writes), and nothing is in flight on it (checked by callers).
        unsafe {
            if let Some(data) = data {
                for (index, &byte) in data.iter().enumerate().take(CHUNK) {
                    addr_of_mut!((*memory).buffer[index]).write_volatile(byte);
                }
            }
            addr_of_mut!((*memory).descriptors[0]).write_volatile(Descriptor {
                address: addr_of!((*memory).buffer) as usize as u64,
                length: length as u32,
                flags,
                next: 0,
            });
            let index = addr_of!((*memory).available.index).read_volatile();
            addr_of_mut!((*memory).available.ring[usize::from(index) % QUEUE_SIZE])
                .write_volatile(0);
            fence(Ordering::SeqCst);
            addr_of_mut!((*memory).available.index).write_volatile(index.wrapping_add(1));
        }
        self.in_flight[queue as usize].set(Some(length));
        fence(Ordering::SeqCst);
        registers.queue_notify.set(queue);
    }

    /// Takes a finished chunk of `queue`: the bytes the device wrote
    /// (always 0 for transmit: the device writes nothing into those).
    fn take_used(&self, queue: u32, out: &mut [u8; CHUNK]) -> Option<usize> {
        let memory = self.queue(queue as usize);
        let last = &self.last_used[queue as usize];
        // SAFETY: the device has finished with every element up to the
        // used index it published (read after the caller's fence).
        let used_index = unsafe { addr_of!((*memory).used.index).read_volatile() };
        if last.get() == used_index {
            return None;
        }
        let slot = usize::from(last.get()) % QUEUE_SIZE;
        // SAFETY: as above; the element and its bytes are complete.
        let length = unsafe { addr_of!((*memory).used.ring[slot].length).read_volatile() };
        last.set(last.get().wrapping_add(1));
        self.in_flight[queue as usize].set(None);
        let length = (length as usize).min(CHUNK);
        for (index, byte) in out.iter_mut().enumerate().take(length) {
            // SAFETY: as above.
            *byte = unsafe { addr_of!((*memory).buffer[index]).read_volatile() };
        }
        Some(length)
    }

    /// The device's interrupt: finish chunks, start the next ones, and
    /// hand finished transfers back.
    pub fn handle_interrupt(&self) {
        let Some(registers) = self.registers.get() else {
            return;
        };
        registers
            .interrupt_acknowledge
            .set(registers.interrupt_status.get());
        fence(Ordering::SeqCst);
        let mut chunk = [0u8; CHUNK];
        // A used transmit buffer was consumed whole: its length is the
        // one posted.
        let posted = self.in_flight[TRANSMIT_QUEUE as usize].get();
        if let (Some(_), Some(sent)) = (self.take_used(TRANSMIT_QUEUE, &mut chunk), posted) {
            self.transmitted(sent);
        }
        if let Some(received) = self.take_used(RECEIVE_QUEUE, &mut chunk) {
            self.received(&chunk[..received]);
        }
    }

    fn transmitted(&self, sent: usize) {
        let Some((buffer, length, done)) = self.transmit.take() else {
            return;
        };
        let done = done + sent;
        if done < length {
            let end = length.min(done + CHUNK);
            self.post(TRANSMIT_QUEUE, end - done, Some(&buffer[done..end]));
            self.transmit.set(Some((buffer, length, done)));
            return;
        }
        if let Some(client) = self.transmit_client.get() {
            client.transmitted_buffer(buffer, length, Ok(()));
        }
    }

    fn received(&self, bytes: &[u8]) {
        let Some((buffer, length, done)) = self.receive.take() else {
            return;
        };
        let count = bytes.len().min(length - done);
        buffer[done..done + count].copy_from_slice(&bytes[..count]);
        let done = done + count;
        if done < length {
            self.post(RECEIVE_QUEUE, (length - done).min(CHUNK), None);
            self.receive.set(Some((buffer, length, done)));
            return;
        }
        if let Some(client) = self.receive_client.get() {
            client.received_buffer(buffer, length, Ok(()));
        }
    }
}

impl Transmit<'static> for VirtioConsole {
    fn set_transmit_client(&self, client: &'static dyn TransmitClient) {
        self.transmit_client.set(Some(client));
    }

    fn transmit_buffer(
        &self,
        buffer: &'static mut [u8],
        length: usize,
    ) -> Result<(), (ErrorCode, &'static mut [u8])> {
        if self.registers.get().is_none() {
            return Err((ErrorCode::NoDevice, buffer));
        }
        if length > buffer.len() || length == 0 {
            return Err((ErrorCode::Size, buffer));
        }
        if self.in_flight[TRANSMIT_QUEUE as usize].get().is_some() {
            return Err((ErrorCode::Busy, buffer));
        }
        let first = length.min(CHUNK);
        self.post(TRANSMIT_QUEUE, first, Some(&buffer[..first]));
        self.transmit.set(Some((buffer, length, 0)));
        Ok(())
    }

    fn transmit_abort(&self) -> Result<(), ErrorCode> {
        Err(ErrorCode::NoSupport)
    }
}

impl Receive<'static> for VirtioConsole {
    fn set_receive_client(&self, client: &'static dyn ReceiveClient) {
        self.receive_client.set(Some(client));
    }

    fn receive_buffer(
        &self,
        buffer: &'static mut [u8],
        length: usize,
    ) -> Result<(), (ErrorCode, &'static mut [u8])> {
        if self.registers.get().is_none() {
            return Err((ErrorCode::NoDevice, buffer));
        }
        if length > buffer.len() || length == 0 {
            return Err((ErrorCode::Size, buffer));
        }
        if self.in_flight[RECEIVE_QUEUE as usize].get().is_some() {
            return Err((ErrorCode::Busy, buffer));
        }
        self.post(RECEIVE_QUEUE, length.min(CHUNK), None);
        self.receive.set(Some((buffer, length, 0)));
        Ok(())
    }

    fn receive_abort(&self) -> Result<(), ErrorCode> {
        Err(ErrorCode::NoSupport)
    }
}
