//! A simulated serial bootloader: `loader-protocol`'s bootloader engine
//! (the one the qemu-rv32-virt bootloader runs) over a flash held in
//! memory, reached through an in-memory byte link.

use std::collections::VecDeque;
use std::io::{Read, Write};
use std::sync::{Arc, Mutex};

use loader_protocol::{
    Bootloader, BootloaderFlash, BootloaderLayout, Erase, FlashFault, ResponseSink,
};

/// Flash in memory. Like NOR flash, programming only clears bits; a write
/// that needs a bit set again erases (here: overwrites) when allowed.
pub struct MemoryFlash {
    /// Address of `bytes[0]`.
    pub base: u32,
    /// The contents.
    pub bytes: Vec<u8>,
}

impl MemoryFlash {
    fn range(&self, address: u32, length: usize) -> Result<std::ops::Range<usize>, FlashFault> {
        let start = address.checked_sub(self.base).ok_or(FlashFault::Device)? as usize;
        let end = start + length;
        (end <= self.bytes.len())
            .then_some(start..end)
            .ok_or(FlashFault::Device)
    }
}

impl BootloaderFlash for MemoryFlash {
    fn read(&mut self, address: u32, out: &mut [u8]) -> Result<(), FlashFault> {
        let range = self.range(address, out.len())?;
        out.copy_from_slice(&self.bytes[range]);
        Ok(())
    }

    fn write(&mut self, address: u32, data: &[u8], erase: Erase) -> Result<(), FlashFault> {
        let range = self.range(address, data.len())?;
        let program_only = self.bytes[range.clone()]
            .iter()
            .zip(data)
            .all(|(old, new)| new & !old == 0);
        if !program_only && erase == Erase::Forbidden {
            return Err(FlashFault::NeedsErase);
        }
        self.bytes[range].copy_from_slice(data);
        Ok(())
    }

    fn erase(&mut self, address: u32, length: u32) -> Result<(), FlashFault> {
        let range = self.range(address, length as usize)?;
        self.bytes[range].fill(0xFF);
        Ok(())
    }
}

struct Outbox<'a>(&'a mut VecDeque<u8>);

impl ResponseSink for Outbox<'_> {
    fn send(&mut self, bytes: &[u8]) {
        self.0.extend(bytes);
    }
}

/// The device: the engine and the bytes it sent that the host has not read.
pub struct Device {
    /// The bootloader engine and its flash.
    pub bootloader: Bootloader<MemoryFlash>,
    to_host: VecDeque<u8>,
}

/// The host's end of the link to a simulated bootloader.
#[derive(Clone)]
pub struct SimulatedLink(pub Arc<Mutex<Device>>);

impl SimulatedLink {
    /// A bootloader over `flash`, laid out as `layout`.
    pub fn new(flash: MemoryFlash, layout: BootloaderLayout, info_json: &'static str) -> Self {
        SimulatedLink(Arc::new(Mutex::new(Device {
            bootloader: Bootloader::new(flash, layout, info_json),
            to_host: VecDeque::new(),
        })))
    }

    /// A copy of the device's flash.
    pub fn flash(&self) -> Vec<u8> {
        self.0.lock().unwrap().bootloader.flash().bytes.clone()
    }
}

impl Write for SimulatedLink {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        let mut device = self.0.lock().unwrap();
        let Device {
            bootloader,
            to_host,
        } = &mut *device;
        for byte in bytes {
            let _ = bootloader.receive(*byte, &mut Outbox(to_host));
        }
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Read for SimulatedLink {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let mut device = self.0.lock().unwrap();
        let count = out.len().min(device.to_host.len());
        if count == 0 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "no answer",
            ));
        }
        for (slot, byte) in out.iter_mut().zip(device.to_host.drain(..count)) {
            *slot = byte;
        }
        Ok(count)
    }
}
