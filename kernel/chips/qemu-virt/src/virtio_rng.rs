//! virtio-rng on a virtio-mmio slot (see [`crate::virtio_mmio`]): one
//! virtqueue, one request for random bytes in flight.
//!
//! QEMU must be given the device and the modern interface:
//! `-global virtio-mmio.force-legacy=false -device virtio-rng-device`.

use core::cell::Cell;

use kernel::hil::entropy::{Continue, Entropy32, Entropy32Client};
use kernel::ErrorCode;

use crate::virtio_mmio::{QueueMemory, SetUpError, VirtioMmioDevice, DESCRIPTOR_WRITE};

const DEVICE_ID_ENTROPY: u32 = 4;
/// Random bytes asked for per request.
const BUFFER_SIZE: usize = 64;
/// The request queue.
const REQUEST_QUEUE: usize = 0;

/// The queue memory, owned by one [`VirtioRng`].
pub type SharedQueue = QueueMemory<1, BUFFER_SIZE>;

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

impl From<SetUpError> for VirtioError {
    fn from(error: SetUpError) -> Self {
        match error {
            SetUpError::NotFound => VirtioError::NotFound,
            SetUpError::Refused => VirtioError::Refused,
        }
    }
}

/// The virtio entropy device.
pub struct VirtioRng {
    device: Cell<Option<VirtioMmioDevice>>,
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
            device: Cell::new(None),
            queue,
            last_used: Cell::new(0),
            busy: Cell::new(false),
            client: Cell::new(None),
            cancelled: Cell::new(false),
        }
    }

    /// The PLIC source of the device found by `probe`.
    pub fn irq(&self) -> Option<u32> {
        self.device.get().map(|device| device.irq())
    }

    /// Finds a modern virtio-rng among the virtio-mmio slots and sets it up.
    ///
    /// # Safety
    /// The virtio-mmio slots must be mapped at
    /// [`VIRTIO_MMIO_BASE`](crate::virtio_mmio::VIRTIO_MMIO_BASE).
    pub unsafe fn probe(&self) -> Result<(), VirtioError> {
        // SAFETY: the caller guarantees the slots are mapped; the queue
        // memory is this driver's alone.
        let device = unsafe { VirtioMmioDevice::probe(DEVICE_ID_ENTROPY, self.queue) }?;
        self.device.set(Some(device));
        Ok(())
    }

    /// Asks the device for a buffer of random bytes; the client hears
    /// about them from the interrupt.
    pub fn request(&self) -> Result<(), VirtioError> {
        let device = self.device.get().ok_or(VirtioError::NotFound)?;
        if self.busy.replace(true) {
            return Err(VirtioError::Busy);
        }
        // SAFETY: `busy` was clear: no request is in flight.
        unsafe {
            self.queue
                .post(REQUEST_QUEUE, BUFFER_SIZE, DESCRIPTOR_WRITE, None)
        };
        device.notify(REQUEST_QUEUE);
        Ok(())
    }

    /// The device's PLIC interrupt: acknowledge, and hand finished bytes
    /// to the client.
    pub fn handle_interrupt(&self) {
        let Some(device) = self.device.get() else {
            return;
        };
        device.acknowledge_interrupt();
        let mut bytes = [0u8; BUFFER_SIZE];
        while let Some(length) = self
            .queue
            .take_used(REQUEST_QUEUE, &self.last_used, &mut bytes)
        {
            self.busy.set(false);
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
