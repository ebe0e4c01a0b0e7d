//! The syscall fuzzer: FUZZ_SYSCALLS (build time, default 100,000) random
//! system calls from the seed FUZZ_SEED (build time, printed first), then
//! terminates. Every class, invalid ones included; random drivers,
//! commands, arguments, pointers and lengths.
//!
//! It must keep running, so it never hurts itself on purpose: read-write
//! buffers it hands out inside its own RAM lie in `SCRATCH` only, upcall
//! functions are null, `count_upcall` or addresses outside its flash (a
//! random one inside would be accepted, and run garbage when called),
//! breaks never move below where they were, it blocks only on an upcall it
//! queued itself, it never exits, and it leaves alone the few commands that
//! end the run or control other processes (the test driver's exits and
//! flash block, process info's start/stop). Everything else is fair game.
//!
//! It also checks what the kernel answers: a malformed return, a buffer
//! outside its memory accepted, an upcall outside its flash accepted, or
//! a bad class or exit not answered NOSUPPORT prints `fuzzer: VIOLATION`.
//! Progress is printed every `PROGRESS_EVERY` calls for the test's watchdog.
#![no_std]
#![no_main]

use core::sync::atomic::{AtomicU32, Ordering};
use kernel_test_apps::fuzz::{is_failure_with, is_well_formed_return, parse_number, Random, Span};
use kernel_test_apps::syscall::{self, raw_class, raw_yield, Registers};
use kernel_test_apps::test_exit::TEST_DRIVER;
use kernel_test_apps::{
    app_main, console, println, DriverNumber, ErrorCode, MemopOperation, SyscallClass,
};

app_main!(main);

const SEED: u32 = match option_env!("FUZZ_SEED") {
    Some(text) => match parse_number(text) {
        Some(seed) => seed,
        None => panic!("FUZZ_SEED must be a decimal or 0x-hex u32"),
    },
    None => 1,
};

const SYSCALLS: u32 = match option_env!("FUZZ_SYSCALLS") {
    Some(text) => match parse_number(text) {
        Some(count) => count,
        None => panic!("FUZZ_SYSCALLS must be a decimal or 0x-hex u32"),
    },
    None => 100_000,
};

const PROGRESS_EVERY: u32 = 5_000;
/// The fuzzer's process slot: the tests load it first.
const OWN_SLOT: u32 = 0;
/// Read-write buffers inside the fuzzer's own RAM come from here only.
static mut SCRATCH: [u8; 512] = [0; 512];
static UPCALLS_RUN: AtomicU32 = AtomicU32::new(0);

extern "C" fn count_upcall(_: u32, _: u32, _: u32, _: usize) {
    UPCALLS_RUN.fetch_add(1, Ordering::Relaxed);
}

/// What the fuzzer knows about its own memory.
struct Memory {
    ram: Span,
    flash: Span,
    grant_start: u32,
    initial_break: u32,
    scratch: Span,
}

impl Memory {
    fn query() -> Memory {
        let value = |operation| syscall::memop(operation, 0)[1];
        let scratch = core::ptr::addr_of!(SCRATCH) as u32;
        Memory {
            ram: Span {
                start: value(MemopOperation::MemoryStart),
                end: value(MemopOperation::MemoryEnd),
            },
            flash: Span {
                start: value(MemopOperation::FlashStart),
                end: value(MemopOperation::FlashEnd),
            },
            grant_start: value(MemopOperation::GrantStart),
            initial_break: syscall::memop(MemopOperation::Sbrk, 0)[1],
            scratch: Span {
                start: scratch,
                end: scratch + 512,
            },
        }
    }

    fn current_break(&self) -> u32 {
        syscall::memop(MemopOperation::Sbrk, 0)[1]
    }
}

/// The fuzzer's state: generator, memory facts, counters.
struct Fuzzer {
    random: Random,
    memory: Memory,
    issued: u32,
    violations: u32,
}

impl Fuzzer {
    /// An address from one of the interesting places, and a length.
    fn buffer(&mut self) -> (u32, u32) {
        let memory = &self.memory;
        let address = match self.random.below(10) {
            0 => 0,
            1 | 2 => memory.scratch.start + self.random.below(512),
            3 => 0x8000_0000 + self.random.below(0x1_0000),
            4 => 0x8001_0000 + self.random.below(0xF_0000),
            5 => memory.flash.start + self.random.below(0x1_0000),
            6 => 0x2000_0000 + self.random.below(0x4_0000),
            7 => self
                .random
                .pick(&[0x1000_0000, 0x0010_0000, 0x0C00_0000, 0x0200_0000]),
            8 => memory.grant_start.wrapping_sub(8) + self.random.below(64),
            _ => self.random.next_u32(),
        };
        let length = match self.random.below(6) {
            0 => 0,
            1 => 1,
            2 | 3 => self.random.below(64),
            4 => self.random.below(0x1_0000),
            _ => self.random.next_u32(),
        };
        (address, length)
    }

    /// A buffer the kernel may hand to a capsule for writing without
    /// hurting the fuzzer: never its own RAM outside `SCRATCH`.
    fn writeable_buffer(&mut self) -> (u32, u32) {
        let (address, length) = self.buffer();
        self.keep_off_own_ram(address, length)
    }

    /// `(address, length)`, or a piece of `SCRATCH` if that range would
    /// reach the fuzzer's own RAM elsewhere.
    fn keep_off_own_ram(&mut self, address: u32, length: u32) -> (u32, u32) {
        let scratch = self.memory.scratch;
        let own = self.memory.ram.touches(address, length.max(1));
        if own && !scratch.holds(address, length.max(1)) {
            let offset = self.random.below(512);
            return (scratch.start + offset, self.random.below(512 - offset));
        }
        (address, length)
    }

    fn violation(&mut self, what: &str, arguments: Registers, result: Registers) {
        self.violations += 1;
        println!(
            "fuzzer: VIOLATION after {} calls: {} {:x?} -> {:x?}",
            self.issued, what, arguments, result
        );
    }

    fn driver(&mut self) -> DriverNumber {
        match self.random.below(8) {
            0 => DriverNumber(self.random.next_u32()),
            1 => TEST_DRIVER,
            _ => self.random.pick(DriverNumber::ALL).0,
        }
    }

    fn issue(&mut self, class: u32, arguments: Registers) -> Registers {
        self.issued += 1;
        let result = raw_class(class, arguments);
        if !is_well_formed_return(result) {
            self.violation("malformed return", arguments, result);
        }
        result
    }

    fn command(&mut self) {
        let driver = self.driver();
        let mut number = match self.random.below(4) {
            0 => self.random.next_u32(),
            _ => self.random.below(12),
        };
        let protected = match driver {
            // Exits (1, 2) end the run; 5 erases a flash block.
            TEST_DRIVER => matches!(number, 1 | 2 | 5),
            // Starting, stopping and faulting other processes.
            DriverNumber::PROCESS_INFO => number == 10,
            // Rewriting the fuzzer's own flash image (its code).
            DriverNumber::APP_STATE => number == 1,
            _ => false,
        };
        if protected {
            number = 0;
        }
        let mut argument0 = if self.random.one_in(2) {
            self.random.below(64)
        } else {
            self.random.next_u32()
        };
        if driver == DriverNumber::CONSOLE && number == 1 {
            // Keep the serial log readable: short writes only.
            argument0 %= 64;
        }
        let argument1 = self.random.next_u32();
        let class = SyscallClass::Command as u32;
        self.issue(class, [driver.0, number, argument0, argument1]);
    }

    fn subscribe(&mut self) {
        let driver = self.driver();
        let number = self.random.below(8);
        let function = match self.random.below(4) {
            0 => 0,
            1 => count_upcall as *const () as u32,
            _ => {
                // Its own flash elsewhere is valid to the kernel, and would
                // run garbage when the upcall comes: use kernel flash instead.
                let address = self.buffer().0;
                match self.memory.flash.holds(address, 1) {
                    true => address - self.memory.flash.start + 0x2000_0000,
                    false => address,
                }
            }
        };
        let arguments = [driver.0, number, function, self.random.next_u32()];
        let result = self.issue(SyscallClass::Subscribe as u32, arguments);
        let outside = function != 0 && !self.memory.flash.holds(function, 1);
        if outside && syscall::is_success(result) {
            self.violation("upcall outside own flash accepted", arguments, result);
        }
    }

    fn allow(&mut self, class: SyscallClass) {
        let driver = self.driver();
        let number = self.random.below(8);
        let (address, length) = match class {
            SyscallClass::ReadOnlyAllow => self.buffer(),
            _ => self.writeable_buffer(),
        };
        let arguments = [driver.0, number, address, length];
        let result = self.issue(class as u32, arguments);
        if !syscall::is_success(result) {
            return;
        }
        let accessible = Span {
            start: self.memory.ram.start,
            end: self.memory.current_break(),
        };
        let readable_flash =
            class == SyscallClass::ReadOnlyAllow && self.memory.flash.holds(address, length);
        if !accessible.holds(address, length) && !readable_flash {
            self.violation("buffer outside own memory accepted", arguments, result);
        }
    }

    fn memop(&mut self) {
        let operation = self.random.below(14);
        let memory = &self.memory;
        let argument = match operation {
            // Brk: at or above the start break, or outside the RAM.
            0 => match self.random.below(3) {
                0 => memory.initial_break + self.random.below(0x2000),
                1 => memory
                    .ram
                    .start
                    .wrapping_sub(1 + self.random.below(0x1_0000)),
                _ => self.random.next_u32() | 0x8000_0000,
            },
            // Sbrk: grow, or shrink by more than the whole RAM.
            1 => match self.random.one_in(2) {
                true => self.random.below(0x2000),
                false => 0u32.wrapping_sub(0x2_0000 + self.random.below(0x1000)),
            },
            _ => self.random.next_u32(),
        };
        let arguments = [operation, argument, 0, 0];
        let result = self.issue(SyscallClass::Memop as u32, arguments);
        if operation <= 1 && syscall::is_success(result) {
            let now = self.memory.current_break();
            if now < self.memory.initial_break || now > self.memory.grant_start {
                self.violation("break moved out of bounds", arguments, result);
            }
            // Back to where it was (refused, harmlessly, over an allowed buffer).
            syscall::memop(MemopOperation::Brk, self.memory.initial_break);
        }
    }

    fn yield_call(&mut self) {
        self.issued += 1;
        match self.random.below(5) {
            0 => {
                let flag = self.memory.scratch.start + self.random.below(512);
                raw_yield(0, [flag, 0, 0]);
            }
            1 => {
                let address = self.buffer().0;
                let flag = self.keep_off_own_ram(address, 1).0;
                raw_yield(0, [flag, 0, 0]);
            }
            // Block only on an upcall just queued (the queue may be full).
            2 => {
                let queued = syscall::command(TEST_DRIVER, 4, OWN_SLOT, self.random.next_u32());
                if syscall::is_success(queued) {
                    raw_yield(2, [TEST_DRIVER.0, 0, 0]);
                }
            }
            3 => {
                let function = count_upcall as *const () as usize;
                let subscribed = syscall::subscribe(TEST_DRIVER, 0, function, 0);
                if syscall::is_success(subscribed)
                    && syscall::is_success(syscall::command(TEST_DRIVER, 4, OWN_SLOT, 0))
                {
                    raw_yield(1, [0, 0, 0]);
                }
            }
            _ => {
                let kind = 3 + self.random.below(u32::MAX - 3);
                raw_yield(kind, [self.random.next_u32(), 0, 0]);
            }
        }
    }

    fn bad_class(&mut self) {
        let class = match self.random.one_in(2) {
            true => 8 + self.random.below(8),
            false => self.random.next_u32().max(8),
        };
        let exit = self.random.one_in(2);
        let (class, first) = match exit {
            // Exit with a kind that does not exist: must come back.
            true => (
                SyscallClass::Exit as u32,
                2 + self.random.below(u32::MAX - 2),
            ),
            false => (class, self.random.next_u32()),
        };
        let arguments = [first, self.random.next_u32(), 0, 0];
        let result = self.issue(class, arguments);
        if !is_failure_with(result, ErrorCode::NoSupport) {
            self.violation(
                "bad class or exit not answered NOSUPPORT",
                arguments,
                result,
            );
        }
    }

    fn one_call(&mut self) {
        match self.random.below(16) {
            0..=4 => self.command(),
            5 | 6 => self.subscribe(),
            7 | 8 => self.allow(SyscallClass::ReadOnlyAllow),
            9 => self.allow(SyscallClass::ReadWriteAllow),
            10 => self.allow(SyscallClass::UserspaceReadableAllow),
            11 | 12 => self.memop(),
            13 | 14 => self.yield_call(),
            _ => self.bad_class(),
        }
    }
}

/// Prints a progress line even if a fuzzed console write is in flight:
/// waits for that write's completion and tries again.
fn report(text: core::fmt::Arguments<'_>) {
    use core::fmt::Write as _;
    for _ in 0..8 {
        let mut line = console::Console::new();
        let _ = line.write_fmt(text);
        let _ = line.write_str("\r\n");
        if line.try_flush() {
            return;
        }
        // A write of ours is still going: its completion ends the wait.
        syscall::subscribe(DriverNumber::CONSOLE, 1, 0, 0);
        syscall::yield_wait_for(DriverNumber::CONSOLE, 1);
    }
}

fn main() {
    println!(
        "fuzzer: seed {:#010x}, {} syscalls (rebuild with FUZZ_SEED={:#x} to repeat)",
        SEED, SYSCALLS, SEED
    );
    let mut fuzzer = Fuzzer {
        random: Random::new(SEED),
        memory: Memory::query(),
        issued: 0,
        violations: 0,
    };
    let mut next_report = PROGRESS_EVERY;
    while fuzzer.issued < SYSCALLS {
        fuzzer.one_call();
        if fuzzer.issued >= next_report {
            report(format_args!("fuzzer: progress {}", fuzzer.issued));
            next_report += PROGRESS_EVERY;
        }
    }
    report(format_args!(
        "fuzzer: done, {} syscalls, {} upcalls run, {} violations",
        fuzzer.issued,
        UPCALLS_RUN.load(Ordering::Relaxed),
        fuzzer.violations
    ));
}
