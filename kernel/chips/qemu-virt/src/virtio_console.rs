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
//! The transport and queue memory are [`crate::virtio_mmio`]'s, with
//! [`CHUNK`]-byte bounce buffers.
//!
//! Bytes move through the bounce buffers, never by DMA into a client's
//! buffer, so a client's buffer is only ever touched by the CPU.

use core::cell::Cell;

use kernel::hil::uart::{Receive, ReceiveClient, Transmit, TransmitClient};
use kernel::ErrorCode;

use crate::virtio_mmio::{QueueMemory, SetUpError, VirtioMmioDevice, DESCRIPTOR_WRITE};

const DEVICE_ID_CONSOLE: u32 = 3;
/// Bytes per transfer through a bounce buffer.
const CHUNK: usize = 128;
const RECEIVE_QUEUE: usize = 0;
const TRANSMIT_QUEUE: usize = 1;

/// The queue memory (receive, transmit), owned by one [`VirtioConsole`].
pub type ConsoleQueues = QueueMemory<2, CHUNK>;

/// A client transfer in progress: the buffer, bytes wanted, bytes done.
type Transfer = (&'static mut [u8], usize, usize);

/// The driver.
pub struct VirtioConsole {
    device: Cell<Option<VirtioMmioDevice>>,
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
            device: Cell::new(None),
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
        self.device.get().map(|device| device.irq())
    }

    /// Finds a modern virtio console among the virtio-mmio slots and sets
    /// it up (VIRTIO_F_VERSION_1 only: no multiport, no size).
    /// `Err(NoDevice)`: QEMU was started without one.
    ///
    /// # Safety
    /// The virtio-mmio slots must be mapped at
    /// [`VIRTIO_MMIO_BASE`](crate::virtio_mmio::VIRTIO_MMIO_BASE).
    pub unsafe fn probe(&self) -> Result<(), ErrorCode> {
        // SAFETY: the caller guarantees the slots are mapped; the queue
        // memory is this driver's alone.
        match unsafe { VirtioMmioDevice::probe(DEVICE_ID_CONSOLE, self.queues) } {
            Ok(device) => {
                self.device.set(Some(device));
                Ok(())
            }
            Err(SetUpError::NotFound) => Err(ErrorCode::NoDevice),
            Err(SetUpError::Refused) => Err(ErrorCode::Fail),
        }
    }

    /// Posts the queue's bounce buffer (`length` bytes) to the device;
    /// for transmit, `data` is copied into it first. Callers check that
    /// nothing is in flight on the queue.
    fn post(&self, queue: usize, length: usize, data: Option<&[u8]>) {
        let Some(device) = self.device.get() else {
            return;
        };
        let flags = if queue == RECEIVE_QUEUE {
            DESCRIPTOR_WRITE
        } else {
            0
        };
        // SAFETY: every caller posts only when `in_flight` is clear for
        // this queue (a client call checks it, an interrupt cleared it).
        unsafe { self.queues.post(queue, length, flags, data) };
        self.in_flight[queue].set(Some(length));
        device.notify(queue);
    }

    /// Takes a finished chunk of `queue`: the bytes the device wrote
    /// (always 0 for transmit: the device writes nothing into those).
    fn take_used(&self, queue: usize, out: &mut [u8; CHUNK]) -> Option<usize> {
        let length = self.queues.take_used(queue, &self.last_used[queue], out)?;
        self.in_flight[queue].set(None);
        Some(length)
    }

    /// The device's interrupt: finish chunks, start the next ones, and
    /// hand finished transfers back.
    pub fn handle_interrupt(&self) {
        let Some(device) = self.device.get() else {
            return;
        };
        device.acknowledge_interrupt();
        let mut chunk = [0u8; CHUNK];
        // A used transmit buffer was consumed whole: its length is the
        // one posted.
        let posted = self.in_flight[TRANSMIT_QUEUE].get();
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
        if self.device.get().is_none() {
            return Err((ErrorCode::NoDevice, buffer));
        }
        if length > buffer.len() || length == 0 {
            return Err((ErrorCode::Size, buffer));
        }
        if self.in_flight[TRANSMIT_QUEUE].get().is_some() {
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
        if self.device.get().is_none() {
            return Err((ErrorCode::NoDevice, buffer));
        }
        if length > buffer.len() || length == 0 {
            return Err((ErrorCode::Size, buffer));
        }
        if self.in_flight[RECEIVE_QUEUE].get().is_some() {
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
