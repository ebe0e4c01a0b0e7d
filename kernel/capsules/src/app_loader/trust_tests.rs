//! TRUST_STATE and APPLY_TRUST_CHANGE on the link, against a fake trust
//! store: the whole state streamed (beyond the 512-byte cap of other
//! answers), refusals with their code and message, UNSUPPORTED without a
//! store.

extern crate std;

use core::cell::RefCell;
use std::boxed::Box;
use std::vec;
use std::vec::Vec;

use kernel::app_management::AppManagement;
use kernel::credential::{ChangeRefusal, Refusal, TrustManagement};
use kernel::hil::flash::{Flash, FlashClient};
use kernel::hil::uart::Receive;
use kernel::platform::Region;
use kernel::process_loading::LoadConfiguration;
use kernel::testing::{low_memory, TestCapability, TestKernel};
use kernel::ErrorCode;
use loader_protocol::{
    decode_trust_refusal, encode_command, Command, ExtensionStatus, Response, ResponseDecoder,
    ResponseEvent, TrustChangeRefusal, PAGE_SIZE,
};
use tbf::trust::{ApplyError, MAX_ENCODED_STATE};

use super::super::{AppLoader, LinkWriter};
use crate::test_support::{buffer, FakeUart};

#[derive(Default)]
struct RecordingLink(RefCell<Vec<u8>>);

impl LinkWriter for RecordingLink {
    fn write_bytes(&self, bytes: &[u8]) {
        self.0.borrow_mut().extend_from_slice(bytes);
    }
}

/// A flash the trust commands never touch.
struct UnusedFlash;

impl Flash<'static> for UnusedFlash {
    fn set_client(&self, _client: &'static dyn FlashClient) {}
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
        _page: usize,
        buffer: &'static mut [u8],
    ) -> Result<(), (ErrorCode, &'static mut [u8])> {
        Err((ErrorCode::NoSupport, buffer))
    }
    fn erase_page(&self, _page: usize) -> Result<(), ErrorCode> {
        Err(ErrorCode::NoSupport)
    }
}

/// A store whose state is `MAX_ENCODED_STATE` bytes with escape bytes in
/// it, and which refuses every change as stale.
struct FakeTrust {
    applied: RefCell<Vec<Vec<u8>>>,
}

fn full_state() -> Vec<u8> {
    (0..MAX_ENCODED_STATE)
        .map(|index| (index % 256) as u8)
        .collect()
}

impl TrustManagement for FakeTrust {
    fn with_encoded_state(&self, answer: &mut dyn FnMut(&[u8])) -> bool {
        answer(&full_state());
        true
    }

    fn apply_change(&self, change: &[u8]) -> Result<(), ChangeRefusal> {
        self.applied.borrow_mut().push(change.to_vec());
        match change.first() {
            Some(1) => Ok(()),
            _ => Err(ChangeRefusal::Refused(ApplyError::StaleSequence {
                current: 4,
                given: 2,
            })),
        }
    }

    fn refusal_of(&self, _image: &[u8]) -> Option<Refusal> {
        None
    }
}

fn service(trust: Option<&'static FakeTrust>) -> (&'static FakeUart, &'static RecordingLink) {
    let test_kernel = TestKernel::new(1, 4096);
    let app_flash: &'static [u8] = low_memory(4 * PAGE_SIZE);
    let management: &'static AppManagement = Box::leak(Box::new(AppManagement::new(
        app_flash,
        Region::new(0, 0),
        LoadConfiguration::default(),
    )));
    let uart: &'static FakeUart = Box::leak(Box::default());
    let link: &'static RecordingLink = Box::leak(Box::default());
    let loader = AppLoader::new(
        uart,
        link,
        Box::leak(Box::new(UnusedFlash)),
        app_flash.as_ptr() as usize,
        management,
        test_kernel.kernel,
        &TestCapability,
        buffer(1),
        buffer(2 * PAGE_SIZE),
    );
    let loader: &'static AppLoader<'static> = Box::leak(Box::new(loader));
    if let Some(trust) = trust {
        loader.set_trust_management(trust);
    }
    uart.set_receive_client(loader);
    loader.start().expect("listens");
    (uart, link)
}

/// Send `command` and decode the extension answer: status and body.
fn ask(
    uart: &FakeUart,
    link: &RecordingLink,
    command: Command,
    payload: &[u8],
) -> (ExtensionStatus, Vec<u8>) {
    let mut frame = vec![0u8; 2 * payload.len() + 8];
    let length = encode_command(command, payload, &mut frame).expect("fits");
    uart.type_bytes(&frame[..length]);
    let wire = core::mem::take(&mut *link.0.borrow_mut());
    let mut decoder = ResponseDecoder::<8192>::new();
    for byte in wire {
        if let ResponseEvent::Response(frame) = decoder.push(byte) {
            assert_eq!(frame.response, Response::Extension);
            let status = ExtensionStatus::from_u8(frame.payload[0]).expect("a status");
            let length = u16::from_le_bytes([frame.payload[1], frame.payload[2]]);
            assert_eq!(usize::from(length), frame.payload.len() - 3);
            return (status, frame.payload[3..].to_vec());
        }
    }
    panic!("no complete answer");
}

#[test]
fn trust_state_streams_the_whole_encoded_state() {
    let trust: &'static FakeTrust = Box::leak(Box::new(FakeTrust {
        applied: RefCell::new(Vec::new()),
    }));
    let (uart, link) = service(Some(trust));
    let (status, body) = ask(uart, link, Command::TrustState, &[]);
    assert_eq!(status, ExtensionStatus::Ok);
    assert_eq!(body, full_state());
    assert_eq!(body.len(), loader_protocol::MAX_TRUST_STATE_BODY);
}

#[test]
fn a_change_is_answered_ok_or_refused_with_its_code_and_reason() {
    let trust: &'static FakeTrust = Box::leak(Box::new(FakeTrust {
        applied: RefCell::new(Vec::new()),
    }));
    let (uart, link) = service(Some(trust));
    assert_eq!(
        ask(uart, link, Command::ApplyTrustChange, &[1, 2, 3]),
        (ExtensionStatus::Ok, Vec::new())
    );
    let (status, body) = ask(uart, link, Command::ApplyTrustChange, &[0xFC, 9]);
    assert_eq!(status, ExtensionStatus::TrustChangeRefused);
    let (code, message) = decode_trust_refusal(&body).expect("a refusal body");
    assert_eq!(code, TrustChangeRefusal::StaleSequence);
    assert!(message.starts_with("stale sequence"), "{message}");
    assert_eq!(*trust.applied.borrow(), [vec![1, 2, 3], vec![0xFC, 9]]);
}

#[test]
fn without_a_trust_store_both_commands_are_unsupported() {
    let (uart, link) = service(None);
    for (command, payload) in [
        (Command::TrustState, &[][..]),
        (Command::ApplyTrustChange, &[1][..]),
    ] {
        let (status, body) = ask(uart, link, command, payload);
        assert_eq!(status, ExtensionStatus::Unsupported);
        assert!(body.starts_with(b"this board keeps no trust store"));
    }
}
