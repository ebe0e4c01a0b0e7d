//! The kernel's process loader on the host: arbitrary bytes as app flash
//! (the TBF chain the board would walk at boot), loaded into four process
//! slots with a fake architecture. It must never panic, and what it loads
//! must be sane: every process's flash inside app flash, its RAM inside
//! app RAM, no two processes sharing RAM, the counts adding up.
#![no_main]

use core::fmt;
use std::sync::OnceLock;

use kernel::kernel::ProcessContext;
use kernel::platform::{
    AccessibleMemory, BoundaryError, ContextSwitchReason, DebugOutput, MemoryProtection,
    MemoryProtectionError, ProcessStart, Region, ReturnRegisters, UpcallEntry, UserspaceBoundary,
};
use kernel::process::Process;
use kernel::process_loading::{load_processes, LoadConfiguration};
use kernel::testing::{low_memory, TestCapability};
use kernel::Kernel;
use libfuzzer_sys::fuzz_target;

const FLASH_BYTES: usize = 64 * 1024;
const RAM_BYTES: usize = 64 * 1024;
const SLOTS: usize = 4;

/// A boundary that starts nothing (loading never switches to a process).
struct Boundary;

impl UserspaceBoundary for Boundary {
    type StoredState = usize;

    fn initialize_process(
        &self,
        state: &mut usize,
        start: ProcessStart,
    ) -> Result<(), BoundaryError> {
        *state = start.init_function;
        Ok(())
    }

    fn clear_process_memory(&self, _memory: Region) {}

    fn set_syscall_return(
        &self,
        _: &mut usize,
        _: AccessibleMemory,
        _: ReturnRegisters,
    ) -> Result<(), BoundaryError> {
        Ok(())
    }

    fn set_upcall(
        &self,
        _: &mut usize,
        _: AccessibleMemory,
        _: UpcallEntry,
    ) -> Result<(), BoundaryError> {
        Ok(())
    }

    unsafe fn switch_to_process(&self, _: &mut usize) -> ContextSwitchReason {
        unreachable!("loading never runs a process")
    }

    fn print_state(&self, state: &usize, writer: &mut dyn fmt::Write) -> fmt::Result {
        write!(writer, "init {state:#x}")
    }
}

/// Word-granular protection, like a PMP in TOR mode.
struct Protection;

impl MemoryProtection for Protection {
    type Config = ();

    fn granularity(&self) -> usize {
        4
    }

    fn allocate_ram(
        &self,
        available: Region,
        minimum: usize,
        _: &mut (),
    ) -> Result<Region, MemoryProtectionError> {
        let start = available
            .start
            .checked_add(3)
            .ok_or(MemoryProtectionError::DoesNotFit)?
            & !3;
        let size = minimum
            .checked_add(3)
            .ok_or(MemoryProtectionError::DoesNotFit)?
            & !3;
        match start.checked_add(size) {
            Some(end) if end <= available.end() => Ok(Region::new(start, size)),
            _ => Err(MemoryProtectionError::DoesNotFit),
        }
    }

    fn set_flash(&self, _: Region, _: &mut ()) -> Result<(), MemoryProtectionError> {
        Ok(())
    }

    fn update_app_break(
        &self,
        _: Region,
        _: usize,
        _: usize,
        _: &mut (),
    ) -> Result<(), MemoryProtectionError> {
        Ok(())
    }

    fn configure_for_process(&self, _: &()) {}

    fn disable_user_regions(&self) {}
}

/// Kernel messages are formatted (that code runs) and dropped.
struct Discard;

impl DebugOutput for Discard {
    fn write_text(&self, _: &str) {}
}

static DISCARD: Discard = Discard;

/// App flash and app RAM below 4 GiB, as on the device, mapped once.
fn memory() -> (usize, Region) {
    static MEMORY: OnceLock<(usize, usize)> = OnceLock::new();
    let (flash, ram) = *MEMORY.get_or_init(|| {
        let flash = low_memory(FLASH_BYTES).as_mut_ptr() as usize;
        let ram = low_memory(RAM_BYTES).as_mut_ptr() as usize;
        (flash, ram)
    });
    (flash, Region::new(ram, RAM_BYTES))
}

fuzz_target!(|data: &[u8]| {
    let (flash_address, app_ram) = memory();
    // SAFETY: `low_memory` leaked this mapping of FLASH_BYTES for good, and
    // nothing from an earlier run still borrows it (each run's kernel and
    // processes are dropped before it ends); libFuzzer runs one at a time.
    let flash = unsafe { std::slice::from_raw_parts_mut(flash_address as *mut u8, FLASH_BYTES) };
    flash.fill(0xFF);
    let length = data.len().min(FLASH_BYTES);
    flash[..length].copy_from_slice(&data[..length]);
    // SAFETY: as above; from here on the mapping is only read, until the
    // next run, when every reader of this run is gone.
    let app_flash: &'static [u8] =
        unsafe { std::slice::from_raw_parts(flash_address as *const u8, FLASH_BYTES) };
    let processes: &'static mut [Process] = Box::leak((0..SLOTS).map(|_| Process::new()).collect());
    let kernel = Kernel::new(processes, &DISCARD);
    let mut contexts: Vec<ProcessContext<Boundary, Protection>> =
        (0..SLOTS).map(|_| ProcessContext::default()).collect();
    let summary = load_processes(
        &kernel,
        &Protection,
        &mut contexts,
        app_flash,
        app_ram,
        LoadConfiguration::default(),
        &TestCapability,
    );
    let flash_region = Region::new(flash_address, FLASH_BYTES);
    let loaded: Vec<_> = kernel
        .processes()
        .iter()
        .filter(|p| p.is_loaded())
        .map(Process::layout)
        .collect();
    assert_eq!(
        loaded.len(),
        summary.loaded,
        "the summary miscounts loaded processes"
    );
    for (index, layout) in loaded.iter().enumerate() {
        assert!(
            within(layout.flash, flash_region),
            "process flash {:?} outside app flash",
            layout.flash
        );
        assert!(
            within(layout.ram, app_ram),
            "process RAM {:?} outside app RAM",
            layout.ram
        );
        assert!(
            summary.ram_used_until >= layout.ram.end(),
            "RAM handed out past ram_used_until"
        );
        for other in &loaded[index + 1..] {
            let disjoint =
                layout.ram.end() <= other.ram.start || other.ram.end() <= layout.ram.start;
            assert!(
                disjoint,
                "two processes share RAM: {:?} and {:?}",
                layout.ram, other.ram
            );
        }
    }
    drop(kernel);
    // SAFETY: the kernel that borrowed the slots is dropped and nothing
    // else kept a reference, so the leaked box can be taken back.
    drop(unsafe { Box::from_raw(processes as *const [Process] as *mut [Process]) });
});

fn within(inner: Region, outer: Region) -> bool {
    inner.start >= outer.start && inner.end() <= outer.end()
}
