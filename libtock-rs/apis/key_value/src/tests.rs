//! Key-value store against the fake kernel.

extern crate std;

use super::*;
use libtock_unittest::{drivers, Kernel, SyscallMatch, Syscalls as Fake};
use std::rc::Rc;

type Kv = KeyValue<Fake>;

fn setup() -> (Kernel, Rc<drivers::KeyValue>) {
    let kernel = Kernel::new();
    let store = Rc::new(drivers::KeyValue::new());
    kernel.add_driver(&store);
    (kernel, store)
}

#[test]
fn set_get_update_delete_round_trip() {
    let (kernel, store) = setup();
    assert_eq!(Kv::exists(), Ok(()));
    assert_eq!(Kv::set(b"name", b"tock"), Ok(()));
    assert_eq!(store.get(b"name"), Some(b"tock".to_vec()));
    let mut value = [0u8; 8];
    assert_eq!(Kv::get(b"name", &mut value), Ok(4));
    assert_eq!(&value[..4], b"tock");
    assert_eq!(Kv::update(b"name", b"rust"), Ok(()));
    assert_eq!(Kv::add(b"other", b"1"), Ok(()));
    assert_eq!(Kv::delete(b"name"), Ok(()));
    assert_eq!(store.get(b"name"), None);
    assert!(!kernel.is_allowed_ro(DRIVER_NUM, buffer::KEY));
    assert!(!kernel.is_allowed_rw(DRIVER_NUM, buffer::OUTPUT));
}

#[test]
fn missing_and_existing_keys_are_errors() {
    let (_kernel, _store) = setup();
    let mut value = [0u8; 4];
    assert_eq!(Kv::get(b"none", &mut value), Err(ErrorCode::NoSupport));
    assert_eq!(Kv::delete(b"none"), Err(ErrorCode::NoSupport));
    assert_eq!(Kv::update(b"none", b"x"), Err(ErrorCode::NoSupport));
    Kv::set(b"k", b"v").unwrap();
    assert_eq!(Kv::add(b"k", b"w"), Err(ErrorCode::NoSupport));
}

#[test]
fn a_value_longer_than_the_buffer_is_size() {
    let (_kernel, _store) = setup();
    Kv::set(b"long", b"0123456789").unwrap();
    let mut value = [0u8; 4];
    assert_eq!(Kv::get(b"long", &mut value), Err(ErrorCode::Size));
    assert_eq!(&value, b"0123");
}

#[test]
fn missing_driver_and_refused_calls_are_returned() {
    let (kernel, _store) = setup();
    let calls = [
        SyscallMatch::AllowRo {
            driver: DRIVER_NUM,
            buffer: buffer::KEY,
        },
        SyscallMatch::AllowRo {
            driver: DRIVER_NUM,
            buffer: buffer::VALUE,
        },
        SyscallMatch::Subscribe {
            driver: DRIVER_NUM,
            subscribe: SUBSCRIBE_NUM,
        },
        SyscallMatch::Command {
            driver: DRIVER_NUM,
            command: command::SET,
        },
    ];
    for call in calls {
        kernel.inject_failure(call, ErrorCode::NoMem);
        assert_eq!(Kv::set(b"k", b"v"), Err(ErrorCode::NoMem));
    }
    let rw = SyscallMatch::AllowRw {
        driver: DRIVER_NUM,
        buffer: buffer::OUTPUT,
    };
    kernel.inject_failure(rw, ErrorCode::Inval);
    assert_eq!(Kv::get(b"k", &mut [0u8; 1]), Err(ErrorCode::Inval));
    drop(kernel);
    let _kernel = Kernel::new();
    assert_eq!(Kv::set(b"k", b"v"), Err(ErrorCode::NoDevice));
}
