//! The bootloader engine against a flash that, like real NOR flash, can
//! only clear bits when programming and sets them back by erasing.

use super::*;
use crate::{
    encode_attribute, encode_command, max_encoded_length, Command, ResponseDecoder, ResponseEvent,
};
use proptest::prelude::*;

const BASE: u32 = 0x2000_0000;
const BLOCK: usize = 0x2000;
const LAYOUT: BootloaderLayout = BootloaderLayout {
    flash_start: BASE,
    flash_end: BASE + 4 * BLOCK as u32,
    kernel_start: BASE + 0x1000,
    app_start: BASE + BLOCK as u32,
    app_end: BASE + 3 * BLOCK as u32,
};

/// NOR-like flash: programming only clears bits; `erase` works on whole
/// blocks through a read-modify-write, counted.
struct NorFlash {
    bytes: Vec<u8>,
    block_erases: usize,
}

impl NorFlash {
    fn offset(address: u32) -> usize {
        (address - BASE) as usize
    }

    fn rewrite(&mut self, address: u32, data: &[u8]) {
        let start = Self::offset(address);
        let first = start / BLOCK;
        let last = (start + data.len() - 1) / BLOCK;
        for block in first..=last {
            let mut copy = self.bytes[block * BLOCK..(block + 1) * BLOCK].to_vec();
            for (index, byte) in data.iter().enumerate() {
                let position = start + index;
                if position / BLOCK == block {
                    copy[position % BLOCK] = *byte;
                }
            }
            self.bytes[block * BLOCK..(block + 1) * BLOCK].copy_from_slice(&copy);
            self.block_erases += 1;
        }
    }
}

impl BootloaderFlash for NorFlash {
    fn read(&mut self, address: u32, out: &mut [u8]) -> Result<(), FlashFault> {
        let start = Self::offset(address);
        out.copy_from_slice(&self.bytes[start..start + out.len()]);
        Ok(())
    }

    fn write(&mut self, address: u32, data: &[u8], erase: Erase) -> Result<(), FlashFault> {
        let start = Self::offset(address);
        let current = &self.bytes[start..start + data.len()];
        let program_only = current.iter().zip(data).all(|(old, new)| new & !old == 0);
        if program_only {
            self.bytes[start..start + data.len()].copy_from_slice(data);
            return Ok(());
        }
        if erase == Erase::Forbidden {
            return Err(FlashFault::NeedsErase);
        }
        self.rewrite(address, data);
        Ok(())
    }

    fn erase(&mut self, address: u32, length: u32) -> Result<(), FlashFault> {
        self.write(address, &vec![0xFF; length as usize], Erase::Allowed)
    }
}

struct Wire(Vec<u8>);

impl ResponseSink for Wire {
    fn send(&mut self, bytes: &[u8]) {
        self.0.extend_from_slice(bytes);
    }
}

fn bootloader() -> Bootloader<NorFlash> {
    let mut bytes = vec![0xFFu8; 4 * BLOCK];
    let slot = encode_attribute("board", "test-board").unwrap();
    let at = ATTRIBUTES_FLASH_OFFSET as usize;
    bytes[at..at + 64].copy_from_slice(&slot);
    let flash = NorFlash {
        bytes,
        block_erases: 0,
    };
    Bootloader::new(flash, LAYOUT, r#"{"version":"0.1.0"}"#)
}

/// Send one request; return the decoded answers and the flow.
fn exchange(
    bootloader: &mut Bootloader<NorFlash>,
    request: &Request<'_>,
    read_length: usize,
) -> (Vec<(Response, Vec<u8>)>, Flow) {
    let mut payload = [0u8; MAX_COMMAND_PAYLOAD];
    let length = request.write_payload(&mut payload).unwrap();
    let mut frame = vec![0u8; max_encoded_length(length)];
    let frame_length = encode_command(request.command(), &payload[..length], &mut frame).unwrap();
    feed(bootloader, &frame[..frame_length], read_length)
}

fn feed(
    bootloader: &mut Bootloader<NorFlash>,
    bytes: &[u8],
    read_length: usize,
) -> (Vec<(Response, Vec<u8>)>, Flow) {
    let mut wire = Wire(Vec::new());
    let mut flow = Flow::Continue;
    for byte in bytes {
        let step = bootloader.receive(*byte, &mut wire);
        if step != Flow::Continue {
            flow = step;
        }
    }
    let mut decoder = ResponseDecoder::<8192>::new();
    decoder.expect_read_length(read_length);
    let mut answers = Vec::new();
    for byte in wire.0 {
        if let ResponseEvent::Response(frame) = decoder.push(byte) {
            answers.push((frame.response, frame.payload.to_vec()));
        }
    }
    (answers, flow)
}

fn only(answers: (Vec<(Response, Vec<u8>)>, Flow)) -> (Response, Vec<u8>) {
    assert_eq!(answers.0.len(), 1, "exactly one answer: {:?}", answers.0);
    answers.0.into_iter().next().unwrap()
}

#[test]
fn ping_info_and_attributes_answer_as_upstream() {
    let mut device = bootloader();
    assert_eq!(
        only(exchange(&mut device, &Request::Ping, 0)).0,
        Response::Pong
    );
    let (response, info) = only(exchange(&mut device, &Request::Info, 0));
    assert_eq!(response, Response::Info);
    assert_eq!(info.len(), INFO_RESPONSE_LENGTH);
    assert_eq!(
        &info[1..1 + usize::from(info[0])],
        br#"{"version":"0.1.0"}"#
    );
    let (response, slot) = only(exchange(
        &mut device,
        &Request::GetAttribute { index: 0 },
        0,
    ));
    assert_eq!(response, Response::GetAttribute);
    assert_eq!(crate::decode_attribute(&slot).unwrap().value, "test-board");
    // tockloader's ping: a bare ESC PING with no frame opened.
    let (answers, _) = feed(&mut device, &[ESCAPE, Command::Ping as u8], 0);
    assert_eq!(answers, vec![(Response::Pong, vec![])]);
}

#[test]
fn pages_are_written_erased_and_read_back_with_crc() {
    let mut device = bootloader();
    let address = LAYOUT.app_start + 512;
    let page: Vec<u8> = (0..PAGE_SIZE)
        .map(|index| (index * 7) as u8 | 0x01)
        .collect();
    let write = Request::WritePage {
        address,
        data: &page,
    };
    assert_eq!(only(exchange(&mut device, &write, 0)).0, Response::Ok);
    assert_eq!(device.flash().block_erases, 0, "erased space is programmed");
    let read = Request::ReadRange {
        address,
        length: 512,
    };
    assert_eq!(only(exchange(&mut device, &read, 512)).1, page);
    let crc = Request::CrcInternalFlash {
        address,
        length: 512,
    };
    let (response, value) = only(exchange(&mut device, &crc, 0));
    assert_eq!(response, Response::CrcInternalFlash);
    assert_eq!(value, crate::crc32(&page).to_le_bytes());
    // Writing different bits needs an erase: the neighbours survive it.
    let neighbour = Request::WritePage {
        address: address + 512,
        data: &[0x5A; PAGE_SIZE],
    };
    assert_eq!(only(exchange(&mut device, &neighbour, 0)).0, Response::Ok);
    let rewrite = Request::WritePage {
        address,
        data: &[0xFE; PAGE_SIZE],
    };
    assert_eq!(only(exchange(&mut device, &rewrite, 0)).0, Response::Ok);
    assert_eq!(device.flash().block_erases, 1);
    let both = Request::ReadRange {
        address,
        length: 1024,
    };
    let bytes = only(exchange(&mut device, &both, 1024)).1;
    assert!(bytes[..512].iter().all(|byte| *byte == 0xFE));
    assert!(bytes[512..].iter().all(|byte| *byte == 0x5A));
    let erase = Request::ErasePage { address };
    assert_eq!(only(exchange(&mut device, &erase, 0)).0, Response::Ok);
    let bytes = only(exchange(&mut device, &both, 1024)).1;
    assert!(bytes[..512].iter().all(|byte| *byte == 0xFF));
    assert!(bytes[512..].iter().all(|byte| *byte == 0x5A));
}

#[test]
fn nothing_outside_app_flash_is_written() {
    let mut device = bootloader();
    let before = device.flash().bytes.clone();
    let page = [0u8; PAGE_SIZE];
    for address in [
        BASE,
        LAYOUT.kernel_start,
        LAYOUT.app_start - 1,
        LAYOUT.app_end - 511,
        LAYOUT.app_end,
        u32::MAX - 10,
    ] {
        let write = Request::WritePage {
            address,
            data: &page,
        };
        assert_eq!(
            only(exchange(&mut device, &write, 0)).0,
            Response::BadAddress
        );
        let erase = Request::ErasePage { address };
        assert_eq!(
            only(exchange(&mut device, &erase, 0)).0,
            Response::BadAddress
        );
    }
    let unaligned = Request::ErasePage {
        address: LAYOUT.app_start + 4,
    };
    assert_eq!(
        only(exchange(&mut device, &unaligned, 0)).0,
        Response::BadAddress
    );
    let outside = Request::ReadRange {
        address: LAYOUT.flash_end - 4,
        length: 8,
    };
    assert_eq!(
        only(exchange(&mut device, &outside, 0)).0,
        Response::BadAddress
    );
    assert!(device.flash().bytes == before);
}

#[test]
fn attributes_are_set_only_where_no_erase_is_needed() {
    let mut device = bootloader();
    let slot = encode_attribute("owner", "me").unwrap();
    let set_empty = Request::SetAttribute {
        index: 3,
        slot: &slot,
    };
    assert_eq!(only(exchange(&mut device, &set_empty, 0)).0, Response::Ok);
    let (_, read) = only(exchange(
        &mut device,
        &Request::GetAttribute { index: 3 },
        0,
    ));
    assert_eq!(read, slot);
    let other = encode_attribute("board", "another").unwrap();
    let overwrite = Request::SetAttribute {
        index: 0,
        slot: &other,
    };
    assert_eq!(
        only(exchange(&mut device, &overwrite, 0)).0,
        Response::InternalError
    );
    assert_eq!(device.flash().block_erases, 0);
}

#[test]
fn exit_jumps_to_the_kernel_without_an_answer() {
    let mut device = bootloader();
    let (answers, flow) = exchange(&mut device, &Request::Exit, 0);
    assert!(answers.is_empty());
    assert_eq!(
        flow,
        Flow::Exit {
            start_address: LAYOUT.kernel_start
        }
    );
    // tockloader's exit: bare ESC EXIT.
    let (_, flow) = feed(&mut device, &[ESCAPE, Command::Exit as u8], 0);
    assert_ne!(flow, Flow::Continue);
}

#[test]
fn garbage_gets_error_answers_not_silence() {
    let mut device = bootloader();
    let (answers, _) = feed(&mut device, &[1, 2, 3, ESCAPE, 0x7E], 0);
    assert_eq!(answers, vec![(Response::Unknown, vec![])]);
    let (answers, _) = feed(
        &mut device,
        &[ESCAPE, 0x05, 1, 2, ESCAPE, Command::WritePage as u8],
        0,
    );
    assert_eq!(answers, vec![(Response::BadArguments, vec![])]);
    let mut long = vec![ESCAPE, 0x05];
    long.extend(std::iter::repeat_n(0x11, MAX_COMMAND_PAYLOAD + 10));
    long.extend([ESCAPE, Command::WritePage as u8]);
    let (answers, _) = feed(&mut device, &long, 0);
    assert_eq!(answers, vec![(Response::Overflow, vec![])]);
    // Extensions of the running kernel are not a bootloader's.
    let (answers, _) = feed(&mut device, &[ESCAPE, Command::ListApps as u8], 0);
    assert_eq!(answers, vec![(Response::Unknown, vec![])]);
    assert_eq!(
        only(exchange(&mut device, &Request::Ping, 0)).0,
        Response::Pong
    );
}

#[test]
fn enter_bootloader_is_acknowledged_where_it_already_is() {
    let mut device = bootloader();
    let (response, body) = only(exchange(&mut device, &Request::EnterBootloader, 0));
    assert_eq!(response, Response::Extension);
    assert_eq!(body[0], ExtensionStatus::Ok as u8);
}

proptest! {
    #[test]
    fn any_bytes_never_panic_and_never_touch_protected_flash(
        bytes in proptest::collection::vec(any::<u8>(), 0..2048)
    ) {
        let mut device = bootloader();
        let before = device.flash().bytes.clone();
        let mut wire = Wire(Vec::new());
        for byte in bytes {
            let _ = device.receive(byte, &mut wire);
        }
        let protected = (LAYOUT.app_start - BASE) as usize;
        let attributes = ATTRIBUTES_FLASH_OFFSET as usize;
        let after = &device.flash().bytes;
        prop_assert!(after[..attributes] == before[..attributes]);
        prop_assert!(after[attributes + 1024..protected] == before[attributes + 1024..protected]);
        let end = (LAYOUT.app_end - BASE) as usize;
        prop_assert!(after[end..] == before[end..]);
    }
}
