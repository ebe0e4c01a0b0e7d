//! Random system calls from a hostile process: the kernel never panics,
//! never writes outside the process's own RAM, and the other process keeps
//! its state.

extern crate std;

use super::fake::*;
use crate::platform::RawSyscall;
use crate::process::State;
use crate::syscall::Syscall;
use crate::syscall_handler::handle_syscall;

/// xorshift32: deterministic, so a failure reproduces.
struct Random(u32);

impl Random {
    fn next(&mut self) -> u32 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 17;
        self.0 ^= self.0 << 5;
        self.0
    }

    /// Mostly plausible values, sometimes garbage.
    fn argument(&mut self, ram: u32, code: u32) -> u32 {
        match self.next() % 8 {
            0 => self.next(),
            1 => ram.wrapping_add(self.next() % 8192).wrapping_sub(1024),
            2 => code.wrapping_add(self.next() % 256),
            3 => TEST_DRIVER,
            4 => u32::MAX - self.next() % 16,
            _ => self.next() % 8,
        }
    }
}

#[test]
fn random_syscalls_never_panic_or_touch_other_memory() {
    let mut environment = Environment::new(2, 4096);
    environment.set_break(0, 1024);
    let drivers = TestDrivers(TestDriver::new(environment.kernel));
    let protection = FakeProtection {
        granularity: 8,
        configured: Default::default(),
    };
    let victim = environment.process(1).layout().ram;
    // SAFETY: the victim's RAM is leaked low test memory of 4096 bytes.
    unsafe { core::ptr::write_bytes(victim.start as *mut u8, 0x5a, victim.size) };
    let mut random = Random(0x1234_5678);
    let mut survived = 0u32;
    for _ in 0..200_000 {
        let process = environment.process(0);
        if !process.state().is_alive() || process.state() != State::Running {
            environment.kernel.start_fresh(0);
            environment.set_break(0, 1024);
        }
        let ram = environment.process(0).layout().ram.start as u32;
        let code = environment.code(0);
        let class = if random.next().is_multiple_of(4) {
            random.next()
        } else {
            random.next() % 8
        };
        let arguments = [0; 4].map(|_: u32| random.argument(ram, code));
        let syscall = Syscall::decode(RawSyscall { class, arguments });
        let config = &mut environment.contexts[0].protection;
        handle_syscall(
            environment.kernel,
            0,
            syscall,
            &drivers,
            &protection,
            config,
        );
        survived += 1;
        let layout = environment.process(0).layout();
        assert!(layout.ram.start <= layout.app_break && layout.app_break <= layout.kernel_break);
        assert!(layout.kernel_break <= layout.ram.end());
    }
    assert_eq!(survived, 200_000);
    // SAFETY: as above.
    let untouched = unsafe { core::slice::from_raw_parts(victim.start as *const u8, victim.size) };
    assert!(
        untouched.iter().all(|&byte| byte == 0x5a),
        "another process's memory was written"
    );
    assert_eq!(environment.process(1).state(), State::Running);
}
