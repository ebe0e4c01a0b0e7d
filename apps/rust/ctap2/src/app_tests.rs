//! The CTAP2 app against libtock-rs's fake kernel: CTAPHID channels, CBOR
//! and MSG over packets, the button with keepalives, the 30 s timeout,
//! CANCEL, and credentials and counter kept in the isolated storage across
//! a restart.

extern crate std;

use super::{with_button_presses, Ctap2App};
use crate::ctaphid::{self, command, keepalive, Assembler};
use crate::tests::{
    as_bytes, get_int, make_credential_request, map, parse_authenticator_data, text, text_map,
};
use ciborium::value::Value;
use libtock_platform::{CommandReturn, ErrorCode};
use libtock_unittest::{drivers, Driver, Kernel, Slots, Syscalls as Fake};
use std::boxed::Box;
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::vec::Vec;

/// Does something (a press, a packet) the `blocks`th time the app blocks,
/// even while an alarm is armed (the fake kernel's idle actions only run
/// when nothing is in flight).
#[derive(Default)]
struct Later {
    blocks: Cell<usize>,
    action: RefCell<Option<Box<dyn FnOnce()>>>,
}

impl Later {
    fn at(&self, blocks: usize, action: impl FnOnce() + 'static) {
        self.blocks.set(blocks);
        *self.action.borrow_mut() = Some(Box::new(action));
    }
}

impl Driver for Later {
    fn number(&self) -> u32 {
        0xF_F000
    }

    fn slots(&self) -> Slots {
        Slots {
            upcalls: 0,
            allow_ro: 0,
            allow_rw: 0,
            allow_userspace_readable: 0,
        }
    }

    fn command(&self, _: u32, _: u32, _: u32) -> CommandReturn {
        CommandReturn::failure(ErrorCode::NoSupport)
    }

    fn on_idle(&self) -> bool {
        if self.action.borrow().is_none() {
            return false;
        }
        let left = self.blocks.get();
        if left > 1 {
            self.blocks.set(left - 1);
            return false;
        }
        let action = self.action.borrow_mut().take();
        action.is_some_and(|action| {
            action();
            true
        })
    }
}

struct Bench {
    _kernel: Kernel,
    later: Rc<Later>,
    ctap: Rc<drivers::Ctap>,
    buttons: Rc<drivers::Buttons>,
    storage: Rc<drivers::IsolatedNonvolatileStorage>,
}

fn bench_with(storage: Rc<drivers::IsolatedNonvolatileStorage>) -> Bench {
    let kernel = Kernel::new();
    let later = Rc::new(Later::default());
    kernel.add_driver(&later);
    let ctap = Rc::new(drivers::Ctap::new());
    let buttons = Rc::new(drivers::Buttons::new(1));
    kernel.add_driver(&ctap);
    kernel.add_driver(&buttons);
    kernel.add_driver(&storage);
    kernel.add_driver(&Rc::new(drivers::Alarm::new(1000)));
    kernel.add_driver(&Rc::new(drivers::Rng::new(64)));
    kernel.add_driver(&Rc::new(drivers::Console::new()));
    Bench {
        _kernel: kernel,
        later,
        ctap,
        buttons,
        storage,
    }
}

/// Runs `body` with an app on the bench's kernel, buttons subscribed.
fn with_app<R>(body: impl FnOnce(&mut Ctap2App<'_, Fake>) -> R) -> R {
    with_button_presses::<Fake, _>(|pressed| {
        let mut app = Ctap2App::<Fake>::new(pressed)?;
        Ok(body(&mut app))
    })
    .unwrap()
}

fn bench() -> Bench {
    bench_with(Rc::new(drivers::IsolatedNonvolatileStorage::new(
        256 * 1024,
    )))
}

/// Sends a request and returns every answer the app sent (command, payload).
fn exchange(
    app: &mut Ctap2App<Fake>,
    bench: &Bench,
    channel: u32,
    kind: u8,
    payload: &[u8],
) -> Vec<(u8, Vec<u8>)> {
    for packet in ctaphid::packets(channel, kind, payload) {
        app.take_packet(&packet).unwrap();
    }
    let mut assembler = Assembler::new();
    let mut answers = Vec::new();
    for packet in bench.ctap.take_sent() {
        if let Some(answer) = assembler.push(&packet).unwrap() {
            assert_eq!(answer.channel, channel);
            answers.push((answer.command, assembler.payload(&answer).to_vec()));
        }
    }
    answers
}

fn open_channel(app: &mut Ctap2App<'_, Fake>, bench: &Bench) -> u32 {
    let nonce = [1, 2, 3, 4, 5, 6, 7, 8];
    let answers = exchange(app, bench, ctaphid::BROADCAST, command::INIT, &nonce);
    let (kind, init) = &answers[0];
    assert_eq!(*kind, command::INIT);
    assert_eq!(&init[..8], &nonce);
    assert_eq!(init[16] & 0x04, 0x04, "CBOR capability");
    u32::from_be_bytes([init[8], init[9], init[10], init[11]])
}

fn cbor(command_byte: u8, parameters: &Value) -> Vec<u8> {
    let mut request = std::vec![command_byte];
    ciborium::ser::into_writer(parameters, &mut request).unwrap();
    request
}

/// The final CBOR answer's status and body, and how many UPNEEDED
/// keepalives came before it.
fn cbor_answer(answers: &[(u8, Vec<u8>)]) -> (u8, Option<Value>, usize) {
    let keepalives = answers
        .iter()
        .filter(|(kind, payload)| {
            *kind == command::KEEPALIVE && payload == &[keepalive::USER_PRESENCE_NEEDED]
        })
        .count();
    let (kind, payload) = answers.last().expect("an answer");
    assert_eq!(*kind, command::CBOR);
    let body = (payload.len() > 1).then(|| ciborium::de::from_reader(&payload[1..]).unwrap());
    (payload[0], body, keepalives)
}

/// The user presses the button after a few keepalives.
fn press_soon(bench: &Bench) {
    let buttons = bench.buttons.clone();
    bench.later.at(5, move || buttons.set_pressed(0, true));
}

#[test]
fn get_info_and_u2f_answer_on_an_allocated_channel() {
    let bench = bench();
    with_app(|app| {
        let channel = open_channel(app, &bench);
        let (status, info, _) =
            cbor_answer(&exchange(app, &bench, channel, command::CBOR, &[0x04]));
        assert_eq!(status, 0);
        assert!(get_int(info.as_ref().unwrap(), 1).is_some());
        let answers = exchange(app, &bench, channel, command::MSG, &[0, 3, 0, 0, 0, 0, 0]);
        assert_eq!(answers[0], (command::MSG, b"U2F_V2\x90\x00".to_vec()));
    });
}

#[test]
fn a_credential_waits_for_the_button_with_keepalives() {
    let bench = bench();
    with_app(|app| {
        let channel = open_channel(app, &bench);
        press_soon(&bench);
        let request = cbor(
            0x01,
            &make_credential_request("example.com", &[1; 8], std::vec![]),
        );
        let (status, response, keepalives) =
            cbor_answer(&exchange(app, &bench, channel, command::CBOR, &request));
        assert_eq!(status, 0);
        assert!(keepalives >= 1);
        assert_eq!(
            get_int(response.as_ref().unwrap(), 1),
            Some(&text("packed"))
        );
    });
}

#[test]
fn presence_times_out_after_thirty_seconds_of_keepalives() {
    let bench = bench();
    with_app(|app| {
        let channel = open_channel(app, &bench);
        let request = cbor(0x0b, &map(std::vec![]))[..1].to_vec();
        let (status, _, keepalives) =
            cbor_answer(&exchange(app, &bench, channel, command::CBOR, &request));
        assert_eq!(status, 0x2F);
        assert!((290..=310).contains(&keepalives), "{keepalives} keepalives");
    });
}

#[test]
fn cancel_ends_the_wait_for_the_user() {
    let bench = bench();
    with_app(|app| {
        let channel = open_channel(app, &bench);
        let ctap = bench.ctap.clone();
        let cancel = ctaphid::packets(channel, command::CANCEL, &[])
            .next()
            .unwrap();
        bench.later.at(3, move || ctap.push_incoming(cancel));
        let (status, _, _) = cbor_answer(&exchange(app, &bench, channel, command::CBOR, &[0x0b]));
        assert_eq!(status, 0x2D);
    });
}

#[test]
fn resident_credentials_and_the_counter_survive_a_restart() {
    let storage = Rc::new(drivers::IsolatedNonvolatileStorage::new(256 * 1024));
    let counter_before = {
        let bench = bench_with(storage.clone());
        with_app(|app| {
            let channel = open_channel(app, &bench);
            press_soon(&bench);
            let rk = std::vec![(7, text_map(std::vec![("rk", Value::Bool(true))]))];
            let request = cbor(0x01, &make_credential_request("example.com", &[1; 8], rk));
            let (status, response, _) =
                cbor_answer(&exchange(app, &bench, channel, command::CBOR, &request));
            assert_eq!(status, 0);
            parse_authenticator_data(&as_bytes(get_int(response.as_ref().unwrap(), 2))).counter
        })
    };
    let bench = bench_with(storage);
    with_app(|app| {
        let channel = open_channel(app, &bench);
        press_soon(&bench);
        let discover = map(std::vec![
            (1, text("example.com")),
            (2, crate::tests::bytes(&[0xcd; 32]))
        ]);
        let answers = exchange(app, &bench, channel, command::CBOR, &cbor(0x02, &discover));
        let (status, found, _) = cbor_answer(&answers);
        assert_eq!(status, 0);
        let counter =
            parse_authenticator_data(&as_bytes(get_int(found.as_ref().unwrap(), 2))).counter;
        assert!(counter > counter_before);
        assert!(bench.storage.writes() > 0);
    });
}

#[test]
fn a_lock_keeps_other_channels_out_until_released() {
    let bench = bench();
    with_app(|app| {
        let holder = open_channel(app, &bench);
        let other = open_channel(app, &bench);
        assert_eq!(
            exchange(app, &bench, holder, command::LOCK, &[5]),
            [(command::LOCK, Vec::new())]
        );
        let refused = exchange(app, &bench, other, command::PING, &[1]);
        assert_eq!(refused, [(command::ERROR, std::vec![0x06])]);
        assert_eq!(
            exchange(app, &bench, holder, command::PING, &[1])[0].0,
            command::PING
        );
        exchange(app, &bench, holder, command::LOCK, &[0]);
        assert_eq!(
            exchange(app, &bench, other, command::PING, &[1])[0].0,
            command::PING
        );
        let too_long = exchange(app, &bench, holder, command::LOCK, &[11]);
        assert_eq!(too_long, [(command::ERROR, std::vec![0x02])]);
    });
}
