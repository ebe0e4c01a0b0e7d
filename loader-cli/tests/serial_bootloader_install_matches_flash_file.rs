//! The serial transport speaks the tock-bootloader protocol correctly: an
//! install through it, against a simulated bootloader built on
//! `loader-protocol`'s device-side decoder, leaves the same flash as the
//! same install on a flash file, and the board's attributes read back.

mod common;

use std::collections::VecDeque;
use std::io::{Read, Write};
use std::sync::{Arc, Mutex};

use common::{build_tab, scratch, Target};
use loader_cli::progress::Silent;
use loader_cli::{
    load_app, Board, FlashFile, Loader, Placement, Replace, SerialBootloader, SerialLink,
};
use loader_protocol::{
    crc32, encode_attribute, encode_response, max_encoded_length, CommandDecoder, CommandEvent,
    LinkMode, Request, Response, INFO_RESPONSE_LENGTH, MAX_COMMAND_PAYLOAD, PAGE_SIZE,
};

struct Device {
    base: u32,
    flash: Vec<u8>,
    attributes: Vec<[u8; 64]>,
    decoder: CommandDecoder<MAX_COMMAND_PAYLOAD>,
    to_host: VecDeque<u8>,
}

impl Device {
    fn range(&self, address: u32, length: usize) -> Option<std::ops::Range<usize>> {
        let start = address.checked_sub(self.base)? as usize;
        (start + length <= self.flash.len()).then_some(start..start + length)
    }

    fn answer(&mut self, request: Request<'_>) -> (Response, Vec<u8>) {
        match request {
            Request::Ping => (Response::Pong, vec![]),
            Request::Info => {
                let json = br#"{"version":"1.1.3-simulated"}"#;
                let mut info = vec![0u8; INFO_RESPONSE_LENGTH];
                info[0] = json.len() as u8;
                info[1..1 + json.len()].copy_from_slice(json);
                (Response::Info, info)
            }
            Request::GetAttribute { index } => (
                Response::GetAttribute,
                self.attributes[usize::from(index)].to_vec(),
            ),
            Request::ReadRange { address, length } => {
                match self.range(address, usize::from(length)) {
                    Some(range) => (Response::ReadRange, self.flash[range].to_vec()),
                    None => (Response::BadAddress, vec![]),
                }
            }
            Request::WritePage { address, data } => match self.range(address, PAGE_SIZE) {
                Some(range) if address % PAGE_SIZE as u32 == 0 => {
                    self.flash[range].copy_from_slice(data);
                    (Response::Ok, vec![])
                }
                _ => (Response::BadAddress, vec![]),
            },
            Request::CrcInternalFlash { address, length } => {
                match self.range(address, length as usize) {
                    Some(range) => (
                        Response::CrcInternalFlash,
                        crc32(&self.flash[range]).to_le_bytes().to_vec(),
                    ),
                    None => (Response::BadAddress, vec![]),
                }
            }
            _ => (Response::Unknown, vec![]),
        }
    }

    fn receive(&mut self, byte: u8) {
        let (code, payload) = match self.decoder.push(byte) {
            CommandEvent::Command(frame) => (frame.code, frame.payload.to_vec()),
            CommandEvent::Overflow { .. } => {
                self.to_host
                    .extend([loader_protocol::ESCAPE, Response::Overflow as u8]);
                return;
            }
            _ => return,
        };
        let frame = loader_protocol::CommandFrame {
            code,
            payload: &payload,
        };
        let reply = match Request::parse(&frame) {
            Ok(request) => Some(self.answer(request)),
            Err(_) => Some((Response::BadArguments, vec![])),
        };
        if let Some((response, payload)) = reply {
            let mut out = vec![0u8; max_encoded_length(payload.len())];
            let length = encode_response(response, &payload, &mut out).unwrap();
            self.to_host.extend(&out[..length]);
        }
    }
}

#[derive(Clone)]
struct SimulatedLink(Arc<Mutex<Device>>);

impl Write for SimulatedLink {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        let mut device = self.0.lock().unwrap();
        for byte in bytes {
            device.receive(*byte);
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
        let mut count = 0;
        while count < out.len() {
            let Some(byte) = device.to_host.pop_front() else {
                break;
            };
            out[count] = byte;
            count += 1;
        }
        if count == 0 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "no answer",
            ));
        }
        Ok(count)
    }
}

#[test]
fn install_over_the_bootloader_protocol_writes_what_a_flash_file_install_writes() {
    let dir = scratch("serial");
    const ALPHA: &[(u32, u32)] = &[(0x2004_0080, 0x8000_4000)];
    const BETA: &[(u32, u32)] = &[(0x2004_0080, 0x8000_4000), (0x2004_4080, 0x8000_8000)];
    let mut board = Board::known("qemu-rv32-virt").unwrap();
    board.flash_size = 1 << 20;
    let apps = vec![
        load_app(
            &build_tab(&dir, "alpha", 1234, Target::RiscV(ALPHA)),
            "rv32imac",
            &board.name,
            false,
        )
        .unwrap(),
        load_app(
            &build_tab(&dir, "beta", 7000, Target::RiscV(BETA)),
            "rv32imac",
            &board.name,
            false,
        )
        .unwrap(),
    ];

    let path = dir.join("reference.bin");
    let mut file = FlashFile::open(&path, board.flash_address, board.flash_size).unwrap();
    let mut silent = Silent;
    Loader {
        transport: &mut file,
        board: board.clone(),
        progress: &mut silent,
    }
    .install(&apps, Replace::Yes, Placement::Tockloader)
    .unwrap();
    drop(file);
    let mut reference = std::fs::read(&path).unwrap();

    let mut attributes = vec![[0xFFu8; 64]; 16];
    attributes[0] = encode_attribute("board", "qemu-rv32-virt").unwrap();
    attributes[1] = encode_attribute("arch", "rv32imac").unwrap();
    let device = Arc::new(Mutex::new(Device {
        base: board.flash_address,
        flash: vec![0xFF; board.flash_size as usize],
        attributes,
        decoder: CommandDecoder::new(LinkMode::Bootloader),
        to_host: VecDeque::new(),
    }));
    let link = SerialLink::from_link("simulated", Box::new(SimulatedLink(device.clone())));
    let mut serial = SerialBootloader::connect(link).unwrap();
    use loader_cli::Transport;
    assert_eq!(
        serial.attributes().unwrap(),
        vec![
            ("board".to_string(), "qemu-rv32-virt".to_string()),
            ("arch".to_string(), "rv32imac".to_string())
        ]
    );
    assert_eq!(
        serial.bootloader_version().unwrap().as_deref(),
        Some("1.1.3-simulated")
    );
    Loader {
        transport: &mut serial,
        board: board.clone(),
        progress: &mut silent,
    }
    .install(&apps, Replace::Yes, Placement::Tockloader)
    .unwrap();
    let app_bytes: usize = apps.iter().map(|app| app.candidates[0].bytes.len()).sum();
    eprintln!(
        "protocol efficiency: {app_bytes} app bytes over {} wire bytes",
        serial.wire_bytes
    );
    let written = device.lock().unwrap().flash.clone();
    // The flash file's end mark is one 0x00 byte, the bootloader's eight 0xFF
    // (tockloader does the same on each); everything else is identical.
    let end = reference.iter().rposition(|b| *b == 0).unwrap();
    assert_eq!(reference[end], 0);
    reference[end] = 0xFF;
    assert!(
        written == reference,
        "serial install differs from the flash-file install"
    );
}
