//! The U2F app's transport and storage against the fake kernel: channel
//! allocation, a U2F message over CTAPHID packets, the device secret and
//! the counter in the key-value store.

extern crate std;

use super::{U2fApp, COUNTER_KEY, SECRET_KEY};
use crate::ctaphid::{self, command, Assembler};
use core::cell::Cell;
use libtock_unittest::{drivers, Kernel, Syscalls as Fake};
use std::rc::Rc;
use std::vec::Vec;

struct Bench {
    _kernel: Kernel,
    ctap: Rc<drivers::Ctap>,
    store: Rc<drivers::KeyValue>,
}

fn bench() -> Bench {
    let kernel = Kernel::new();
    let ctap = Rc::new(drivers::Ctap::new());
    let store = Rc::new(drivers::KeyValue::new());
    kernel.add_driver(&ctap);
    kernel.add_driver(&store);
    kernel.add_driver(&Rc::new(drivers::Rng::new(64)));
    kernel.add_driver(&Rc::new(drivers::Console::new()));
    Bench {
        _kernel: kernel,
        ctap,
        store,
    }
}

/// Sends `payload` as `command` on `channel` and returns the device's
/// answer (command, payload), reassembled from the packets it sent.
fn exchange(
    app: &mut U2fApp<Fake>,
    bench: &Bench,
    channel: u32,
    command: u8,
    payload: &[u8],
    presence: &Cell<bool>,
) -> (u8, Vec<u8>) {
    for packet in ctaphid::packets(channel, command, payload) {
        app.take_packet(&packet, presence).unwrap();
    }
    let mut assembler = Assembler::new();
    for packet in bench.ctap.take_sent() {
        if let Some(answer) = assembler.push(&packet).unwrap() {
            assert_eq!(answer.channel, channel);
            return (answer.command, assembler.payload(&answer).to_vec());
        }
    }
    panic!("the app sent no complete answer");
}

#[test]
fn init_allocates_a_channel_and_msg_carries_u2f() {
    let bench = bench();
    let mut app = U2fApp::<Fake>::new().unwrap();
    let presence = Cell::new(false);
    let nonce = [1, 2, 3, 4, 5, 6, 7, 8];
    let (answer, init) = exchange(
        &mut app,
        &bench,
        ctaphid::BROADCAST,
        command::INIT,
        &nonce,
        &presence,
    );
    assert_eq!(answer, command::INIT);
    assert_eq!(&init[..8], &nonce);
    let channel = u32::from_be_bytes([init[8], init[9], init[10], init[11]]);
    assert_eq!(channel, 1);
    let version = [0, 3, 0, 0, 0, 0, 0];
    let (answer, response) = exchange(&mut app, &bench, channel, command::MSG, &version, &presence);
    assert_eq!(
        (answer, response.as_slice()),
        (command::MSG, &b"U2F_V2\x90\x00"[..])
    );
    let (answer, error) = exchange(&mut app, &bench, channel, 0x99, &[], &presence);
    assert_eq!((answer, error.as_slice()), (command::ERROR, &[0x01][..]));
}

#[test]
fn the_device_secret_is_made_once_and_the_counter_is_stored() {
    let bench = bench();
    let mut app = U2fApp::<Fake>::new().unwrap();
    let secret = bench.store.get(SECRET_KEY).unwrap();
    assert_eq!(secret.len(), 32);
    let _again = U2fApp::<Fake>::new().unwrap();
    assert_eq!(
        bench.store.get(SECRET_KEY).unwrap(),
        secret,
        "the secret was replaced"
    );
    // Register (with presence), then authenticate: the counter lands in the store.
    let presence = Cell::new(true);
    let mut register = std::vec![0, 1, 0, 0, 0, 0, 64];
    register.extend_from_slice(&[0x11; 64]);
    let (_, registered) = exchange(&mut app, &bench, 7, command::MSG, &register, &presence);
    assert_eq!(registered[0], 0x05);
    assert!(!presence.get(), "registration consumed the presence");
    let handle = &registered[67..131];
    let mut authenticate = std::vec![0, 2, 3, 0, 0, 0, 129];
    authenticate.extend_from_slice(&[0x22; 32]);
    authenticate.extend_from_slice(&[0x11; 32]);
    authenticate.push(64);
    authenticate.extend_from_slice(handle);
    presence.set(true);
    let (_, signed) = exchange(&mut app, &bench, 7, command::MSG, &authenticate, &presence);
    assert_eq!(&signed[..5], &[1, 0, 0, 0, 1]);
    assert_eq!(bench.store.get(COUNTER_KEY).unwrap(), 1u32.to_le_bytes());
}
