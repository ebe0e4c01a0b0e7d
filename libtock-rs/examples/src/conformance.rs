//! The syscall conformance checks, generic over the system calls so they
//! run on a device (`syscall_conformance` example) and on the fake kernel
//! (this crate's host tests). Each check prints
//! `conformance: PASS|FAIL <name>`; [`run`] ends with
//! `conformance: ok <passed>/<total>` or `conformance: FAIL <passed>/<total>`.
//!
//! Covered: every class (yield no-wait/wait/wait-for, subscribe, command,
//! read-only, read-write and userspace-readable allow, memop; exit ends the
//! app, and the QEMU test checks its status) and the return variants that
//! standard drivers produce (Success, SuccessU32, Failure, and
//! SuccessU32U32 and FailureU32U32 through allow and subscribe), and that
//! each return leaves the registers its variant does not use as the app
//! passed them, as upstream's kernel does. The other
//! five variants no upstream driver returns; the platform's unit tests
//! cover their decoding. Only upstream drivers (console, alarm) and a driver number
//! no kernel has are used, so it runs unchanged on upstream Tock.

use core::cell::Cell;
use core::fmt::Write;
use libtock::platform::share::scope;
use libtock::platform::{
    AllowRo, AllowRw, AllowUserspaceReadable, DriverNumber, ErrorCode, ReturnVariant, Subscribe,
    Syscalls, YieldNoWaitReturn,
};

const CONSOLE: u32 = DriverNumber::CONSOLE.0;
const ALARM: u32 = DriverNumber::ALARM.0;
/// No kernel has this driver.
const MISSING: u32 = 0x000D_EAD0;

/// Counts checks and prints one line per check.
pub struct Tally<'out, W: Write> {
    /// Checks that held.
    pub passed: u32,
    /// Checks run.
    pub total: u32,
    out: &'out mut W,
}

impl<W: Write> Tally<'_, W> {
    fn check(&mut self, name: &str, passed: bool) {
        self.total += 1;
        if passed {
            self.passed += 1;
        }
        let verdict = if passed { "PASS" } else { "FAIL" };
        let _ = writeln!(self.out, "conformance: {verdict} {name}");
    }
}

fn commands<S: Syscalls, W: Write>(tally: &mut Tally<W>) {
    let exists = S::command(CONSOLE, 0, 0, 0);
    tally.check("command Success (console exists)", exists.is_success());
    let missing = S::command(MISSING, 0, 0, 0);
    let nodevice = missing.get_failure() == Some(ErrorCode::NoDevice);
    tally.check("command Failure NODEVICE (missing driver)", nodevice);
    let unknown = S::command(CONSOLE, 99, 0, 0);
    tally.check(
        "command Failure NOSUPPORT (unknown command)",
        unknown.get_failure() == Some(ErrorCode::NoSupport),
    );
    let frequency = S::command(ALARM, 1, 0, 0);
    let u32_variant = frequency.return_variant() == Some(ReturnVariant::SuccessU32);
    tally.check(
        "command SuccessU32 (alarm frequency)",
        u32_variant && frequency.get_success_u32() != Some(0),
    );
}

/// Values no kernel writes back by chance.
const SENTINELS: (u32, u32) = (0x5e17_2222, 0x5e17_3333);

/// A return writes only its variant's registers; the others keep what the
/// app passed (upstream's kernel does, and upstream libtock-rs keeps live
/// values there). Commands carry the sentinels as their arguments.
fn untouched_registers<S: Syscalls, W: Write>(tally: &mut Tally<W>) {
    let (second, third) = SENTINELS;
    let (variant, r1, r2, r3) = S::command(CONSOLE, 0, second, third).raw();
    tally.check(
        "Success keeps r1-r3 (command 0)",
        (variant, r1, r2, r3) == (ReturnVariant::Success as u32, 0, second, third),
    );
    let (variant, _, r2, r3) = S::command(ALARM, 1, second, third).raw();
    tally.check(
        "SuccessU32 keeps r2-r3 (alarm frequency)",
        (variant, r2, r3) == (ReturnVariant::SuccessU32 as u32, second, third),
    );
    let (variant, r1, r2, r3) = S::command(MISSING, 7, second, third).raw();
    tally.check(
        "Failure keeps r2-r3 (missing driver)",
        (variant, r1, r2, r3)
            == (
                ReturnVariant::Failure as u32,
                ErrorCode::NoDevice as u32,
                second,
                third,
            ),
    );
}

fn allows<S: Syscalls, W: Write>(tally: &mut Tally<W>) {
    let text = *b"conformance\n";
    let mut space = [0u8; 4];
    let result = scope::<(AllowRo<S, CONSOLE, 1>, AllowRw<S, CONSOLE, 1>), _, _>(|handle| {
        let (ro, rw) = handle.split();
        (S::allow_ro(ro, &text), S::allow_rw(rw, &mut space))
    });
    tally.check(
        "allow-ro and allow-rw SuccessU32U32",
        result == (Ok(()), Ok(())),
    );
    let missing = scope::<AllowRo<S, MISSING, 0>, _, _>(|handle| S::allow_ro(handle, &text));
    tally.check(
        "allow-ro FailureU32U32 NODEVICE",
        missing == Err(ErrorCode::NoDevice),
    );
    let cells = [Cell::new(0u8), Cell::new(0u8)];
    let readable = scope::<AllowUserspaceReadable<S, MISSING, 0>, _, _>(|handle| {
        S::allow_userspace_readable(handle, &cells)
    });
    tally.check(
        "userspace-readable allow NODEVICE",
        readable == Err(ErrorCode::NoDevice),
    );
    let unsupported =
        scope::<AllowRw<S, CONSOLE, 99>, _, _>(|handle| S::allow_rw(handle, &mut space));
    tally.check(
        "allow-rw NOSUPPORT (unknown buffer)",
        unsupported == Err(ErrorCode::NoSupport),
    );
}

fn subscribes_and_yields<S: Syscalls, W: Write>(tally: &mut Tally<W>) {
    let fired = Cell::new(false);
    let missing = scope::<Subscribe<S, MISSING, 0>, _, _>(|handle| S::subscribe(handle, &fired));
    tally.check(
        "subscribe FailureU32U32 NODEVICE",
        missing == Err(ErrorCode::NoDevice),
    );
    let unsupported =
        scope::<Subscribe<S, CONSOLE, 99>, _, _>(|handle| S::subscribe(handle, &fired));
    tally.check(
        "subscribe NOSUPPORT (unknown upcall)",
        unsupported == Err(ErrorCode::NoSupport),
    );
    tally.check(
        "yield-no-wait with nothing pending",
        S::yield_no_wait() == YieldNoWaitReturn::NoUpcall,
    );
    let waited = scope::<Subscribe<S, ALARM, 0>, _, _>(|handle| {
        S::subscribe(handle, &fired)?;
        S::command(ALARM, 5, 100, 0).to_result::<u32>()?;
        while !fired.get() {
            S::yield_wait();
        }
        Ok::<(), ErrorCode>(())
    });
    tally.check(
        "subscribe + yield-wait runs the upcall",
        waited.is_ok() && fired.get(),
    );
    let armed = S::command(ALARM, 5, 100, 0).to_result::<u32>();
    if armed.is_ok() {
        // Returning at all is the check: the alarm's upcall ended the wait.
        S::yield_wait_for(ALARM, 0);
    }
    tally.check(
        "yield-wait-for returns when the upcall is due",
        armed.is_ok(),
    );
}

fn memops<S: Syscalls, W: Write>(tally: &mut Tally<W>) {
    let ram = (S::memop_memory_start(), S::memop_memory_end());
    tally.check(
        "memop memory start < end",
        matches!(ram, (Ok(start), Ok(end)) if start < end),
    );
    let flash = (S::memop_flash_start(), S::memop_flash_end());
    tally.check(
        "memop flash start < end",
        matches!(flash, (Ok(start), Ok(end)) if start < end),
    );
    let now = S::memop_current_break();
    let inside =
        matches!((now, ram), (Ok(now), (Ok(start), Ok(end))) if now >= start && now <= end);
    tally.check("memop sbrk(0) is inside RAM", inside);
    tally.check(
        "memop stack hint accepted",
        S::memop_stack_top_hint(core::ptr::null()).is_ok(),
    );
    let regions = S::memop_writeable_flash_region_count();
    tally.check("memop writeable flash region count", regions.is_ok());
}

/// The registers the process was entered with, as the runtime recorded
/// them, and where its `rt_header` is (upstream passes that as app start).
#[derive(Clone, Copy, Debug)]
pub struct Entry {
    /// a0/r0.
    pub app_start: usize,
    /// The address of `rt_header`.
    pub rt_header: usize,
    /// a1/r1.
    pub ram_start: usize,
    /// a3/r3.
    pub initial_break: usize,
}

fn entry<S: Syscalls, W: Write>(tally: &mut Tally<W>, entry: &Entry) {
    let app_start = entry.app_start == entry.rt_header;
    tally.check(
        "entry a0 = app start (first byte after the TBF header)",
        app_start,
    );
    let ram_start = S::memop_memory_start() == Ok(entry.ram_start);
    tally.check("entry a1 = RAM start", ram_start);
    let initial_break = entry.initial_break == entry.ram_start + INITIAL_ACCESSIBLE_BYTES;
    tally.check(
        "entry a3 = initial break = RAM start + context-switch frame",
        initial_break,
    );
}

/// Process RAM upstream Tock makes accessible before the app's first brk:
/// what its context switch keeps there. Upstream's process loader
/// (kernel/src/process_standard.rs) sets the initial break to the RAM start
/// plus the boundary's `initial_process_app_brk_size()`, which is 0 in
/// arch/rv32i/src/syscall.rs (registers live in the kernel) and 32 in
/// arch/cortex-m/src/syscall.rs (the hardware's 8-word exception frame,
/// which the first return into the process pops from the bottom of its RAM).
pub const INITIAL_ACCESSIBLE_BYTES: usize = if cfg!(target_arch = "arm") { 32 } else { 0 };

/// Runs every check with `S`, printing to `out`; true if all passed. The
/// entry-register checks run when `entry_registers` is given (on a device).
pub fn run<S: Syscalls, W: Write>(out: &mut W, entry_registers: Option<&Entry>) -> bool {
    let mut tally = Tally {
        passed: 0,
        total: 0,
        out,
    };
    if let Some(registers) = entry_registers {
        entry::<S, W>(&mut tally, registers);
    }
    commands::<S, W>(&mut tally);
    untouched_registers::<S, W>(&mut tally);
    allows::<S, W>(&mut tally);
    subscribes_and_yields::<S, W>(&mut tally);
    memops::<S, W>(&mut tally);
    let all = tally.passed == tally.total;
    let verdict = if all { "ok" } else { "FAIL" };
    let _ = writeln!(
        tally.out,
        "conformance: {verdict} {}/{}",
        tally.passed, tally.total
    );
    all
}
