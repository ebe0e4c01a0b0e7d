//! The loader service against a fake UART, flash and kernel: console bytes
//! pass, frames are served, writes stay inside app flash, and app
//! operations wait for the main loop.

extern crate std;

use core::cell::{Cell, RefCell};
use std::boxed::Box;
use std::vec;
use std::vec::Vec;

use kernel::app_management::{AppManagement, AppOperation, ManagementError};
use kernel::flash_journal::{BlockRewrite, JournalError};
use kernel::hil::flash::{Flash, FlashClient};
use kernel::hil::uart::{Receive, ReceiveClient, Transmit, TransmitClient};
use kernel::platform::Region;
use kernel::process_loading::LoadConfiguration;
use kernel::testing::{low_memory, TestCapability, TestKernel};
use kernel::ErrorCode;
use loader_protocol::{encode_command, Command, ESCAPE, PAGE_SIZE};

use super::{AppLoader, LinkWriter};
use crate::test_support::{buffer, FakeUart};

const APP_FLASH_BYTES: usize = 4 * PAGE_SIZE;

#[derive(Default)]
struct RecordingLink(RefCell<Vec<u8>>);

impl LinkWriter for RecordingLink {
    fn write_bytes(&self, bytes: &[u8]) {
        self.0.borrow_mut().extend_from_slice(bytes);
    }
}

/// Records page writes; completes them when told.
#[derive(Default)]
struct FakeFlash {
    written: RefCell<Vec<(usize, Vec<u8>)>>,
    pending: Cell<Option<&'static mut [u8]>>,
    client: Cell<Option<&'static dyn FlashClient>>,
}

impl FakeFlash {
    fn complete(&self) {
        let (Some(page), Some(client)) = (self.pending.take(), self.client.get()) else {
            panic!("no write pending");
        };
        client.write_complete(page, Ok(()));
    }
}

impl Flash<'static> for FakeFlash {
    fn set_client(&self, client: &'static dyn FlashClient) {
        self.client.set(Some(client));
    }
    fn page_size(&self) -> usize {
        PAGE_SIZE
    }
    fn erase_size(&self) -> usize {
        PAGE_SIZE
    }
    fn read_page(
        &self,
        _page: usize,
        buffer: &'static mut [u8],
    ) -> Result<(), (ErrorCode, &'static mut [u8])> {
        Err((ErrorCode::NoSupport, buffer))
    }
    fn write_page(
        &self,
        page: usize,
        buffer: &'static mut [u8],
    ) -> Result<(), (ErrorCode, &'static mut [u8])> {
        self.written.borrow_mut().push((page, buffer.to_vec()));
        self.pending.set(Some(buffer));
        Ok(())
    }
    fn erase_page(&self, _page: usize) -> Result<(), ErrorCode> {
        Err(ErrorCode::NoSupport)
    }
}

/// Records block rewrites (the journal's job) and succeeds.
#[derive(Default)]
struct FakeRewrite(
    RefCell<Vec<(usize, Vec<u8>)>>,
    RefCell<Vec<(usize, usize, usize)>>,
);

impl BlockRewrite for FakeRewrite {
    fn rewrite(&self, offset: usize, data: &[u8]) -> Result<(), JournalError> {
        self.0.borrow_mut().push((offset, data.to_vec()));
        Ok(())
    }

    fn rewrite_from_flash(
        &self,
        offset: usize,
        source: usize,
        length: usize,
    ) -> Result<(), JournalError> {
        self.1.borrow_mut().push((offset, source, length));
        Ok(())
    }
}

/// Hears the end of console transmissions (as the mux would).
#[derive(Default)]
struct TransmitRecorder(RefCell<Vec<usize>>);

impl TransmitClient for TransmitRecorder {
    fn transmitted_buffer(
        &self,
        _: &'static mut [u8],
        length: usize,
        result: Result<(), ErrorCode>,
    ) {
        assert!(result.is_ok());
        self.0.borrow_mut().push(length);
    }
}

/// Collects the console bytes the service passes on.
#[derive(Default)]
struct ConsoleClient(RefCell<Vec<u8>>);

impl ReceiveClient for ConsoleClient {
    fn received_buffer(&self, buffer: &'static mut [u8], length: usize, _: Result<(), ErrorCode>) {
        self.0.borrow_mut().extend_from_slice(&buffer[..length]);
    }
}

struct Service {
    uart: &'static FakeUart,
    link: &'static RecordingLink,
    flash: &'static FakeFlash,
    loader: &'static AppLoader<'static>,
    management: &'static AppManagement,
    console: &'static ConsoleClient,
    rewrites: &'static FakeRewrite,
    app_flash: usize,
}

impl Service {
    fn new() -> Service {
        Service::with_flash(0xff)
    }

    /// A service whose app flash holds `fill` everywhere.
    fn with_flash(fill: u8) -> Service {
        Service::with_images(fill, &[])
    }

    /// A service whose app flash starts with `image`, `fill` after it.
    fn with_images(fill: u8, image: &[u8]) -> Service {
        let test_kernel = TestKernel::new(1, 4096);
        let app_flash = low_memory(APP_FLASH_BYTES);
        app_flash.fill(fill);
        app_flash[..image.len()].copy_from_slice(image);
        let app_flash: &'static [u8] = app_flash;
        let app_ram = Region::new(0, 0);
        let management: &'static AppManagement = Box::leak(Box::new(AppManagement::new(
            app_flash,
            app_ram,
            LoadConfiguration::default(),
        )));
        let uart: &'static FakeUart = Box::leak(Box::default());
        let link: &'static RecordingLink = Box::leak(Box::default());
        let flash: &'static FakeFlash = Box::leak(Box::default());
        let mut loader = AppLoader::new(
            uart,
            link,
            flash,
            app_flash.as_ptr() as usize,
            management,
            test_kernel.kernel,
            &TestCapability,
            buffer(1),
            buffer(2 * PAGE_SIZE),
        );
        loader.set_attributes(&[("board", "fake"), ("arch", "rv32imac")]);
        let rewrites: &'static FakeRewrite = Box::leak(Box::default());
        loader.set_block_rewrite(rewrites);
        let loader: &'static AppLoader<'static> = Box::leak(Box::new(loader));
        uart.set_receive_client(loader);
        flash.set_client(loader);
        management.set_client(loader);
        let console: &'static ConsoleClient = Box::leak(Box::default());
        loader.set_receive_client(console);
        loader.start().unwrap();
        Service {
            uart,
            link,
            flash,
            loader,
            management,
            console,
            rewrites,
            app_flash: app_flash.as_ptr() as usize,
        }
    }

    fn send(&self, command: Command, payload: &[u8]) {
        let mut frame = vec![0u8; 2 * payload.len() + 8];
        let length = encode_command(command, payload, &mut frame).unwrap();
        self.uart.type_bytes(&frame[..length]);
    }

    fn answer(&self) -> Vec<u8> {
        core::mem::take(&mut *self.link.0.borrow_mut())
    }

    /// Ask the console side for `count` bytes.
    fn listen_console(&self, count: usize) {
        assert!(self.loader.receive_buffer(buffer(count), count).is_ok());
    }
}

#[test]
fn console_bytes_pass_and_frames_are_answered_not_passed() {
    let service = Service::new();
    service.listen_console(1);
    service.uart.type_bytes(b"a");
    service.listen_console(2);
    service.uart.type_bytes(&[b'b', ESCAPE, ESCAPE]);
    service.send(Command::Ping, &[]);
    service.listen_console(1);
    service.uart.type_bytes(b"c");
    assert_eq!(
        service.console.0.borrow().as_slice(),
        [b'a', b'b', ESCAPE, b'c']
    );
    assert_eq!(service.answer(), [ESCAPE, 0x11], "PONG");
}

#[test]
fn writes_outside_app_flash_are_refused_and_inside_are_answered_after_the_flash() {
    let service = Service::new();
    let mut payload = Vec::from((service.app_flash as u32 - PAGE_SIZE as u32).to_le_bytes());
    payload.extend_from_slice(&[0u8; PAGE_SIZE]);
    service.send(Command::WritePage, &payload);
    assert_eq!(service.answer(), [ESCAPE, 0x12], "BADADDR below app flash");
    let end = (service.app_flash + APP_FLASH_BYTES) as u32;
    payload[..4].copy_from_slice(&end.to_le_bytes());
    service.send(Command::WritePage, &payload);
    assert_eq!(service.answer(), [ESCAPE, 0x12], "BADADDR past app flash");
    assert!(service.flash.written.borrow().is_empty());

    let second_page = (service.app_flash + PAGE_SIZE) as u32;
    payload[..4].copy_from_slice(&second_page.to_le_bytes());
    payload[4] = 0x42;
    service.send(Command::WritePage, &payload);
    assert!(
        service.answer().is_empty(),
        "the answer waits for the flash"
    );
    service.flash.complete();
    assert_eq!(service.answer(), [ESCAPE, 0x15], "OK");
    let written = service.flash.written.borrow();
    assert_eq!(written[0].0, 1, "page numbers count from the bank base");
    assert_eq!(written[0].1[0], 0x42);
}

#[test]
fn reads_are_escaped_and_attributes_come_from_the_board() {
    let service = Service::new();
    let mut request = Vec::from((service.app_flash as u32).to_le_bytes());
    request.extend_from_slice(&2u16.to_le_bytes());
    service.send(Command::ReadRange, &request);
    // Erased flash is 0xFF: no escaping needed; the code is READ_RANGE.
    assert_eq!(service.answer(), [ESCAPE, 0x20, 0xff, 0xff]);
    service.send(Command::GetAttribute, &[0]);
    let answer = service.answer();
    assert_eq!(&answer[..2], [ESCAPE, 0x22]);
    assert_eq!(&answer[2..7], b"board");
    service.send(Command::GetAttribute, &[5]);
    assert!(
        service.answer()[2..].iter().all(|&byte| byte == 0),
        "empty slot"
    );
}

#[test]
fn an_install_waits_for_the_main_loop_and_a_second_one_is_busy() {
    let service = Service::new();
    let mut payload = Vec::from((service.app_flash as u32).to_le_bytes());
    payload.extend_from_slice(&0u32.to_le_bytes());
    service.send(Command::InstallApp, &payload);
    assert!(
        service.answer().is_empty(),
        "nothing until the loop performs it"
    );
    assert!(service.management.has_request());
    service.send(Command::InstallApp, &payload);
    let busy = service.answer();
    assert_eq!(&busy[..3], [ESCAPE, 0x40, 0x05], "BUSY: {busy:?}");

    let operation = AppOperation::Install {
        address: service.app_flash,
    };
    let refused = Err(ManagementError::OutsideAppFlash(service.app_flash));
    kernel::app_management::AppManagementClient::operation_done(service.loader, operation, refused);
    let answer = service.answer();
    assert_eq!(
        &answer[..3],
        [ESCAPE, 0x40, 0x01],
        "BAD ADDRESS with a reason"
    );
    assert!(std::string::String::from_utf8_lossy(&answer).contains("not an image"));
}

#[test]
fn an_unaligned_page_write_lands_in_two_pages_and_is_answered_once() {
    let service = Service::new();
    let address = (service.app_flash + 16) as u32;
    let mut payload = Vec::from(address.to_le_bytes());
    payload.extend_from_slice(&[0x11u8; PAGE_SIZE]);
    service.send(Command::WritePage, &payload);
    service.flash.complete();
    assert!(service.answer().is_empty(), "one page of two written");
    service.flash.complete();
    assert_eq!(service.answer(), [ESCAPE, 0x15], "OK after the second");
    let written = service.flash.written.borrow();
    assert_eq!((written[0].0, written[1].0), (0, 1));
    assert_eq!(written[0].1[..16], [0xff; 16], "bytes before kept");
    assert_eq!(written[0].1[16], 0x11);
    assert_eq!(written[1].1[..16], [0x11; 16]);
    assert_eq!(written[1].1[16], 0xff, "bytes after kept");
}

#[test]
fn a_page_write_that_sets_bits_goes_through_the_journal_and_one_that_clears_is_programmed() {
    let service = Service::with_flash(0x0f);
    let address = service.app_flash + PAGE_SIZE;
    let mut payload = Vec::from((address as u32).to_le_bytes());
    payload.extend_from_slice(&[0x0eu8; PAGE_SIZE]);
    service.send(Command::WritePage, &payload);
    service.flash.complete();
    assert_eq!(
        service.answer(),
        [ESCAPE, 0x15],
        "clearing bits: programmed"
    );
    assert!(service.rewrites.0.borrow().is_empty());

    payload[4 + 7] = 0xff;
    service.send(Command::WritePage, &payload);
    assert_eq!(service.answer(), [ESCAPE, 0x15], "setting bits: rewritten");
    let rewrites = service.rewrites.0.borrow();
    assert_eq!(rewrites.len(), 1);
    assert_eq!(rewrites[0].0, PAGE_SIZE, "offsets count from the bank base");
    assert_eq!(rewrites[0].1[7], 0xff);
    assert_eq!(service.flash.written.borrow().len(), 1, "not programmed");
}

#[test]
fn console_output_goes_out_with_each_escape_byte_doubled_and_its_length_reported() {
    let service = Service::new();
    service.uart.set_transmit_client(service.loader);
    let recorder: &'static TransmitRecorder = Box::leak(Box::default());
    service.loader.set_transmit_client(recorder);
    let output = buffer(8);
    output[..4].copy_from_slice(&[b'a', ESCAPE, b'b', ESCAPE]);
    service.loader.transmit_buffer(output, 4).unwrap();
    service.uart.drain();
    assert_eq!(
        service.uart.sent.borrow().as_slice(),
        [b'a', ESCAPE, ESCAPE, b'b', ESCAPE, ESCAPE]
    );
    assert_eq!(recorder.0.borrow().as_slice(), [4], "the mux's own length");
}

#[test]
fn enter_bootloader_on_a_board_without_one_is_answered_unsupported() {
    let service = Service::new();
    service.send(Command::EnterBootloader, &[]);
    let answer = service.answer();
    assert_eq!(
        answer.get(..3),
        Some(
            &[
                ESCAPE,
                loader_protocol::Response::Extension as u8,
                loader_protocol::ExtensionStatus::Unsupported as u8
            ][..]
        ),
        "{answer:02x?}"
    );
}

#[path = "duplicates_tests.rs"]
mod duplicates_tests;
#[path = "in_place_tests.rs"]
mod in_place_tests;
#[path = "refusals_tests.rs"]
mod refusals_tests;

/// A 256-byte app image named `name` with the enabled flag `enabled`.
fn app_image(name: &str, enabled: bool) -> Vec<u8> {
    use tbf::{HeaderBuilder, HeaderTlv, ProgramTlv};
    let mut header = HeaderBuilder::new()
        .enabled(enabled)
        .tlv(HeaderTlv::Program(ProgramTlv::default()))
        .tlv(HeaderTlv::PackageName(name.into()))
        .build();
    header.total_size = 256;
    if let Some(program) = header.program_mut() {
        program.binary_end_offset = 256;
    }
    let mut bytes = header.to_bytes().unwrap();
    bytes.resize(256, 0);
    bytes
}

#[test]
fn list_apps_reports_an_image_nothing_runs_from_and_process_control_says_why() {
    let service = Service::with_images(0xff, &app_image("sleeper", false));
    service.send(Command::ListApps, &[]);
    let answer = service.answer();
    // ESC, EXTENSION, status, length (u16), body.
    let records: Vec<_> = loader_protocol::app_records(&answer[5..]).collect();
    assert_eq!(records.len(), 1, "{answer:?}");
    assert_eq!(records[0].name, "sleeper");
    assert_eq!(records[0].address as usize, service.app_flash);
    assert!(!records[0].enabled);
    assert_eq!(records[0].state, loader_protocol::ProcessState::NotLoaded);

    let mut payload = Vec::from((service.app_flash as u32).to_le_bytes());
    payload.push(loader_protocol::ProcessAction::Resume as u8);
    service.send(Command::ControlProcess, &payload);
    let answer = service.answer();
    assert_eq!(
        &answer[..3],
        [ESCAPE, 0x40, 0x09],
        "WRONG STATE: {answer:?}"
    );
    assert!(std::string::String::from_utf8_lossy(&answer).contains("disabled"));
}
