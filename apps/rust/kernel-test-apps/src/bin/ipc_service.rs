//! Benchmark, with ipc_client: an IPC service (upstream's interface) that
//! answers every notification with one back to the sender, sharing a
//! 16-byte buffer with the client in process slot 1. Runs in slot 0.
#![no_std]
#![no_main]

use kernel_test_apps::{app_main, syscall, DriverNumber};

app_main!(main);

/// This service's process slot: the number of the upcall clients reach.
const OWN_SLOT: u32 = 0;
/// The client's process slot: the number of the buffer shared with it.
const CLIENT_SLOT: u32 = 1;

extern "C" fn ignore(_: u32, _: u32, _: u32, _: usize) {}

static mut SHARED: [u8; 16] = [0; 16];

fn main() {
    let ipc = DriverNumber::IPC;
    syscall::subscribe(ipc, OWN_SLOT, ignore as *const () as usize, 0);
    let shared = core::ptr::addr_of_mut!(SHARED) as usize;
    syscall::allow_read_write(ipc, CLIENT_SLOT, shared, 16);
    loop {
        let [client, _, _, _] = syscall::yield_wait_for(ipc, OWN_SLOT);
        syscall::command(ipc, 3, client, 0);
    }
}
