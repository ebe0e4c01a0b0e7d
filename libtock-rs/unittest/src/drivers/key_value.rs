//! Fake key-value store (driver 0x50003): get, set, delete, add, update.

use super::status;
use crate::{schedule_upcall, with_ro_buffer, with_rw_buffer, Driver, Slots};
use libtock_platform::{CommandReturn, DriverNumber, ErrorCode};
use std::cell::RefCell;
use std::collections::HashMap;

const NUMBER: u32 = DriverNumber::KV.0;

/// An in-memory store. A missing key (get, delete, update) or an existing
/// one (add) completes with NOSUPPORT, as upstream's store reports them.
#[derive(Default)]
pub struct KeyValue {
    entries: RefCell<HashMap<Vec<u8>, Vec<u8>>>,
}

impl KeyValue {
    /// An empty store.
    pub fn new() -> KeyValue {
        KeyValue::default()
    }

    /// The value stored under `key`.
    pub fn get(&self, key: &[u8]) -> Option<Vec<u8>> {
        self.entries.borrow().get(key).cloned()
    }

    fn run(&self, command: u32, key: Vec<u8>) -> (Result<(), ErrorCode>, u32) {
        let mut entries = self.entries.borrow_mut();
        let value = || with_ro_buffer(NUMBER, 1, |value| value.to_vec());
        let exists = entries.contains_key(&key);
        match command {
            1 => match entries.get(&key) {
                Some(stored) => {
                    with_rw_buffer(NUMBER, 0, |out| {
                        let length = out.len().min(stored.len());
                        out[..length].copy_from_slice(&stored[..length]);
                    });
                    (Ok(()), stored.len() as u32)
                }
                None => (Err(ErrorCode::NoSupport), 0),
            },
            2 => {
                entries.insert(key, value());
                (Ok(()), 0)
            }
            3 if exists => {
                entries.remove(&key);
                (Ok(()), 0)
            }
            4 if !exists => {
                entries.insert(key, value());
                (Ok(()), 0)
            }
            5 if exists => {
                entries.insert(key, value());
                (Ok(()), 0)
            }
            _ => (Err(ErrorCode::NoSupport), 0),
        }
    }
}

impl Driver for KeyValue {
    fn number(&self) -> u32 {
        NUMBER
    }
    fn slots(&self) -> Slots {
        Slots {
            upcalls: 1,
            allow_ro: 2,
            allow_rw: 1,
            allow_userspace_readable: 0,
        }
    }
    fn command(&self, command: u32, _: u32, _: u32) -> CommandReturn {
        match command {
            0 => CommandReturn::success(),
            1..=5 => {
                let key = with_ro_buffer(NUMBER, 0, |key| key.to_vec());
                if key.is_empty() {
                    return CommandReturn::failure(ErrorCode::Reserve);
                }
                let (result, length) = self.run(command, key);
                schedule_upcall(NUMBER, 0, (status(result), length, 0));
                CommandReturn::success()
            }
            _ => CommandReturn::failure(ErrorCode::NoSupport),
        }
    }
}
