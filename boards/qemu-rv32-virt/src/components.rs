//! Wiring of this board's own capsules (the shared ones are in
//! `board-components`). Each function runs once: every `static_init!`
//! site is one static (a second use panics).

use board_components::drivers::{alarm, virtual_alarm};
#[cfg(feature = "emulated_io")]
use board_components::emulated::button;
use board_components::{static_buf, BoardCapability};
use capsules::alarm::AlarmDriver;
#[cfg(feature = "emulated_io")]
use capsules::button::Button;
#[cfg(feature = "date_time")]
use capsules::date_time::DateTimeDriver;
#[cfg(feature = "emulated_io")]
use capsules::uart_mux::UartMux;
use capsules::virtual_alarm::{MuxAlarm, VirtualAlarm};
use chip_qemu_virt::clint::MachineTimer;
#[cfg(feature = "date_time")]
use chip_qemu_virt::goldfish_rtc::GoldfishRtc;
use chip_qemu_virt::test_device::TestDevice;
use chip_qemu_virt::test_driver::{TestExitDriver, TEST_EXIT_DRIVER};
use chip_qemu_virt::Peripherals;
#[cfg(any(feature = "date_time", feature = "crc"))]
use kernel::deferred_call::DeferredCalls;
#[cfg(feature = "date_time")]
use kernel::hil::date_time::DateTime;
use kernel::Kernel;
#[cfg(any(feature = "date_time", feature = "crc"))]
use kernel_abi::DriverNumber;

use crate::static_init;

/// Resets the machine (the process console's `reset`).
pub fn reset_board() -> ! {
    // SAFETY: the test device is at virt's address; this ends the kernel.
    unsafe { TestDevice::new(chip_qemu_virt::addresses::TEST_DEVICE) }.reset()
}

/// The process alarm driver (0x0), on its own virtual alarm of the
/// machine timer's mux.
pub fn process_alarm(
    kernel: &'static Kernel,
    alarms: &'static MuxAlarm<'static, MachineTimer>,
) -> &'static AlarmDriver<'static, VirtualAlarm<'static, MachineTimer>> {
    alarm(
        kernel,
        virtual_alarm(alarms, static_buf!(VirtualAlarm<'static, MachineTimer>)),
        static_buf!(AlarmDriver<'static, VirtualAlarm<'static, MachineTimer>>),
    )
}

/// The emulated button (feature `emulated_io`): clicked over the serial
/// line, each click held down on its own virtual alarm of the timer's mux.
#[cfg(feature = "emulated_io")]
pub fn emulated_button(
    kernel: &'static Kernel,
    mux: &'static UartMux<'static>,
    alarms: &'static MuxAlarm<'static, MachineTimer>,
) -> &'static Button<'static> {
    button(
        kernel,
        mux,
        virtual_alarm(alarms, static_buf!(VirtualAlarm<'static, MachineTimer>)),
    )
}

/// The emulator's test driver (exit codes, return-variant probe).
pub fn test_exit(
    kernel: &'static Kernel,
    peripherals: &'static Peripherals,
) -> &'static TestExitDriver {
    let grant = kernel.create_grant(TEST_EXIT_DRIVER, &BoardCapability);
    static_init!(
        TestExitDriver,
        TestExitDriver::new(&peripherals.test_device, kernel, grant, &peripherals.flash)
    )
}

/// Date and time (0x90007) from QEMU's goldfish RTC (the host's time, or
/// `-rtc base=...`).
#[cfg(feature = "date_time")]
pub fn date_time(
    kernel: &'static Kernel,
    deferred_calls: &'static DeferredCalls,
) -> &'static DateTimeDriver<'static> {
    // SAFETY: virt maps a goldfish RTC at this address, and this is its
    // only driver.
    let clock = static_init!(GoldfishRtc, unsafe {
        GoldfishRtc::new(chip_qemu_virt::addresses::GOLDFISH_RTC)
    });
    clock.set_deferred_call(deferred_calls.allocate());
    let grant = kernel.create_grant(DriverNumber::DATE_TIME.0, &BoardCapability);
    let driver = static_init!(DateTimeDriver<'static>, DateTimeDriver::new(clock, grant));
    clock.set_client(driver);
    driver
}

/// CRC (0x40002), computed in software in a deferred call.
#[cfg(feature = "crc")]
pub fn crc(
    kernel: &'static Kernel,
    deferred_calls: &'static DeferredCalls,
) -> &'static capsules::crc::CrcDriver {
    let grant = kernel.create_grant(DriverNumber::CRC.0, &BoardCapability);
    let call = deferred_calls.allocate();
    let driver = static_init!(
        capsules::crc::CrcDriver,
        capsules::crc::CrcDriver::new(grant, call)
    );
    call.register(driver);
    driver
}
