//! NVMC: pages written word by word inside the writable window only,
//! never over bits that are not erased, erases by 4 KiB block, and every
//! completion from the deferred call.

use core::cell::Cell;

use kernel::deferred_call::DeferredCalls;
use kernel::hil::flash::{Flash, FlashClient};
use kernel::ErrorCode;

use super::{buffer, FakeRegisters};
use crate::nvmc::{writable_window, Nvmc, FLASH_SIZE, PAGE_SIZE};

const READY: usize = 0x400;
const CONFIGURATION: usize = 0x504;
const ERASE_PAGE: usize = 0x508;
/// App flash, as the board's window.
const APPS: usize = 0x4_0000;

#[derive(Default)]
struct Heard {
    read: Cell<Option<Result<(), ErrorCode>>>,
    written: Cell<Option<Result<(), ErrorCode>>>,
    erased: Cell<Option<Result<(), ErrorCode>>>,
}

impl FlashClient for Heard {
    fn read_complete(&self, _: &'static mut [u8], result: Result<(), ErrorCode>) {
        self.read.set(Some(result));
    }
    fn write_complete(&self, _: &'static mut [u8], result: Result<(), ErrorCode>) {
        self.written.set(Some(result));
    }
    fn erase_complete(&self, result: Result<(), ErrorCode>) {
        self.erased.set(Some(result));
    }
}

struct Bench {
    registers: FakeRegisters,
    flash: FakeRegisters,
    nvmc: &'static Nvmc,
    calls: &'static DeferredCalls,
    heard: &'static Heard,
}

/// An NVMC over fake registers (always ready) and a fake 1 MiB flash
/// whose app flash is erased and whose kernel part holds zeros.
fn bench() -> Bench {
    let registers = FakeRegisters::new(0x50c);
    registers.set(READY, 1);
    let flash = FakeRegisters::new(FLASH_SIZE);
    for offset in (APPS..FLASH_SIZE).step_by(4) {
        flash.set(offset, u32::MAX);
    }
    let window = writable_window(APPS, FLASH_SIZE).unwrap();
    // SAFETY: both fake blocks are as large as what they stand for, and
    // used by this driver only.
    let nvmc: &'static Nvmc = Box::leak(Box::new(unsafe {
        Nvmc::new(registers.base(), flash.base(), window)
    }));
    let calls: &'static DeferredCalls = Box::leak(Box::new(DeferredCalls::new()));
    nvmc.set_deferred_call(calls.allocate());
    let heard: &'static Heard = Box::leak(Box::default());
    nvmc.set_client(heard);
    Bench {
        registers,
        flash,
        nvmc,
        calls,
        heard,
    }
}

fn page_of(pattern: impl Fn(usize) -> u8) -> &'static mut [u8] {
    let page = buffer(PAGE_SIZE);
    for (index, byte) in page.iter_mut().enumerate() {
        *byte = pattern(index);
    }
    page
}

#[test]
fn a_page_in_erased_app_flash_is_written_and_reported_later() {
    let bench = bench();
    let page = APPS / PAGE_SIZE + 3;
    assert!(bench.nvmc.write_page(page, page_of(|i| i as u8)).is_ok());
    assert_eq!(
        bench.heard.written.get(),
        None,
        "never from inside the call"
    );
    assert_eq!(bench.registers.get(CONFIGURATION), 0, "back to read-only");
    let offset = page * PAGE_SIZE;
    assert_eq!(bench.flash.get(offset), 0x0302_0100);
    assert_eq!(bench.flash.get(offset + PAGE_SIZE - 4), 0xfffe_fdfc);
    assert_eq!(
        bench.flash.get(offset + PAGE_SIZE),
        u32::MAX,
        "the next page untouched"
    );
    assert!(bench.calls.service_next());
    assert_eq!(bench.heard.written.get(), Some(Ok(())));
}

#[test]
fn a_word_that_needs_a_bit_set_is_not_written_and_the_write_fails() {
    let bench = bench();
    let page = APPS / PAGE_SIZE;
    bench.flash.set(APPS + 8, 0x0000_00f0);
    assert!(bench.nvmc.write_page(page, page_of(|_| 0x0f)).is_ok());
    assert_eq!(bench.flash.get(APPS + 8), 0x0000_00f0, "left alone");
    assert_eq!(bench.flash.get(APPS), 0x0f0f_0f0f, "the others are written");
    assert!(bench.calls.service_next());
    assert_eq!(bench.heard.written.get(), Some(Err(ErrorCode::Fail)));
}

#[test]
fn the_kernel_is_never_written_or_erased() {
    let bench = bench();
    let last_kernel_page = APPS / PAGE_SIZE - 1;
    let (code, _) = bench
        .nvmc
        .write_page(last_kernel_page, page_of(|_| 0))
        .unwrap_err();
    assert_eq!(code, ErrorCode::Inval);
    assert_eq!(bench.nvmc.erase_page(0), Err(ErrorCode::Inval));
    assert_eq!(
        bench.nvmc.erase_page(last_kernel_page),
        Err(ErrorCode::Inval)
    );
    assert_eq!(bench.registers.get(ERASE_PAGE), 0, "no erase started");
    assert_eq!(bench.flash.get(APPS - 4), 0, "kernel flash unchanged");
    let past_the_end = FLASH_SIZE / PAGE_SIZE;
    assert_eq!(
        bench
            .nvmc
            .write_page(past_the_end, page_of(|_| 0))
            .unwrap_err()
            .0,
        ErrorCode::Inval
    );
    assert!(!bench.calls.service_next(), "nothing completes");
}

#[test]
fn an_erase_takes_the_whole_block_holding_the_page() {
    let bench = bench();
    // HIL page 7 of the app flash's first 4 KiB block.
    assert_eq!(bench.nvmc.erase_page(APPS / PAGE_SIZE + 7), Ok(()));
    assert_eq!(
        bench.registers.get(ERASE_PAGE),
        (bench.flash.base() + APPS) as u32
    );
    assert_eq!(bench.registers.get(CONFIGURATION), 0, "back to read-only");
    assert_eq!(
        bench.nvmc.erase_page(APPS / PAGE_SIZE),
        Err(ErrorCode::Busy)
    );
    assert!(bench.calls.service_next());
    assert_eq!(bench.heard.erased.get(), Some(Ok(())));
}

#[test]
fn pages_read_back_and_short_buffers_are_refused() {
    let bench = bench();
    bench.flash.set(0x100, 0x4433_2211);
    let (code, _) = bench.nvmc.read_page(0, buffer(PAGE_SIZE - 1)).unwrap_err();
    assert_eq!(code, ErrorCode::Size);
    assert!(bench.nvmc.read_page(0, buffer(PAGE_SIZE)).is_ok());
    assert!(bench.calls.service_next());
    assert_eq!(bench.heard.read.get(), Some(Ok(())));
}
