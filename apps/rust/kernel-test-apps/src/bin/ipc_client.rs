//! Benchmark, with ipc_service: finds the service by name, shares a
//! 16-byte buffer with it, then runs BENCH_ITERATIONS request/reply rounds
//! (notify the service, wait for its notification back). Ends QEMU.
#![no_std]
#![no_main]

use kernel_test_apps::{app_main, bench_iterations, println, syscall, test_exit, DriverNumber};

app_main!(main);

/// The service's process slot: the upcall it answers on, and the number
/// of the buffer shared with it.
const SERVICE_SLOT: u32 = 0;
const SERVICE_NAME: &[u8] = b"ipc_service";

extern "C" fn ignore(_: u32, _: u32, _: u32, _: usize) {}

static mut SHARED: [u8; 16] = [0x5a; 16];

fn main() {
    let ipc = DriverNumber::IPC;
    syscall::allow_read_only(ipc, 0, SERVICE_NAME.as_ptr() as usize, SERVICE_NAME.len());
    let found = syscall::command(ipc, 1, 0, 0);
    if !syscall::is_success(found) {
        println!("ipc_client: service not found {:?}", found);
        test_exit::exit_qemu(1);
    }
    let service = found[1];
    syscall::subscribe(ipc, SERVICE_SLOT, ignore as *const () as usize, 0);
    let shared = core::ptr::addr_of_mut!(SHARED) as usize;
    syscall::allow_read_write(ipc, SERVICE_SLOT, shared, 16);
    for _ in 0..bench_iterations() {
        syscall::command(ipc, 2, service, 0);
        syscall::yield_wait_for(ipc, SERVICE_SLOT);
    }
    test_exit::exit_qemu(0)
}
