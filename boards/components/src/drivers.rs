//! The capsules whose set-up is the same on every board: each gets its
//! grant, is built in a static and hears its hardware's callbacks.

use capsules::alarm::AlarmDriver;
use capsules::app_state::{AppState, FlashContents};
use capsules::ipc::Ipc;
use capsules::process_info::ProcessInfo;
use capsules::rng::Rng;
use capsules::virtual_alarm::{MuxAlarm, VirtualAlarm};
use core::mem::MaybeUninit;
use kernel::deferred_call::DeferredCalls;
use kernel::flash_journal::BlockRewrite;
use kernel::hil::entropy::Entropy32;
use kernel::hil::flash::Flash;
use kernel::hil::time::Alarm;
use kernel::kernel::ProcessManagement;
use kernel::Kernel;
use kernel_abi::DriverNumber;

use crate::{static_init, BoardCapability};

/// The alarm driver (0x0) on `timer`, built in `slot` (a
/// [`static_buf!`](crate::static_buf) of the board: the driver's type
/// depends on the timer's).
pub fn alarm<A: Alarm<'static>>(
    kernel: &'static Kernel,
    timer: &'static A,
    slot: &'static mut MaybeUninit<AlarmDriver<'static, A>>,
) -> &'static AlarmDriver<'static, A> {
    let grant = kernel.create_grant(DriverNumber::ALARM.0, &BoardCapability);
    let alarm = slot.write(AlarmDriver::new(timer, grant));
    timer.set_alarm_client(alarm);
    alarm
}

/// Shares the hardware alarm `timer` among kernel users (the process
/// alarm driver and the emulated button's click timing), built in `slot`.
pub fn alarm_mux<A: Alarm<'static>>(
    timer: &'static A,
    slot: &'static mut MaybeUninit<MuxAlarm<'static, A>>,
) -> &'static MuxAlarm<'static, A> {
    let mux = slot.write(MuxAlarm::new(timer));
    timer.set_alarm_client(mux);
    mux
}

/// One user's alarm on `mux`, built in `slot`.
pub fn virtual_alarm<A: Alarm<'static>>(
    mux: &'static MuxAlarm<'static, A>,
    slot: &'static mut MaybeUninit<VirtualAlarm<'static, A>>,
) -> &'static VirtualAlarm<'static, A> {
    let alarm = slot.write(VirtualAlarm::new(mux));
    alarm.attach();
    alarm
}

/// The RNG driver (0x40001) on `entropy`.
pub fn rng(
    kernel: &'static Kernel,
    entropy: &'static dyn Entropy32<'static>,
) -> &'static Rng<'static> {
    let grant = kernel.create_grant(DriverNumber::RNG.0, &BoardCapability);
    let rng = static_init!(Rng<'static>, Rng::new(entropy, grant));
    entropy.set_client(rng);
    rng
}

/// IPC (0x10000), allowed to map a client's buffer into the service it
/// notifies (upstream's IPC semantics, `kernel::sharing`).
pub fn ipc(kernel: &'static Kernel) -> &'static Ipc {
    let grant = kernel.create_grant(DriverNumber::IPC.0, &BoardCapability);
    static_init!(Ipc, Ipc::new(kernel, grant, &BoardCapability))
}

/// Process info (0x10002).
pub fn process_info(kernel: &'static Kernel) -> &'static ProcessInfo<'static> {
    let management = ProcessManagement::new(kernel, &BoardCapability);
    let grant = kernel.create_grant(DriverNumber::PROCESS_INFO.0, &BoardCapability);
    static_init!(ProcessInfo<'static>, ProcessInfo::new(management, grant))
}

/// The app-state driver (0x50000): processes rewrite their own flash
/// image, programming through `flash` (a user of the board's flash, one
/// page per write) where bits only clear, and through the flash journal
/// `rewriter` where one must be set. `contents` reads the flash as it is;
/// page numbers and journal offsets count from `bank_address`.
pub fn app_state(
    kernel: &'static Kernel,
    (flash, rewriter): (&'static dyn Flash<'static>, &'static dyn BlockRewrite),
    (contents, bank_address): (&'static dyn FlashContents, usize),
    calls: &'static DeferredCalls,
) -> &'static AppState<'static> {
    let grant = kernel.create_grant(DriverNumber::APP_STATE.0, &BoardCapability);
    let page = static_init!([u8; 512], [0; 512]);
    let call = calls.allocate();
    let driver = static_init!(
        AppState<'static>,
        AppState::new(
            grant,
            kernel,
            (flash, rewriter),
            (contents, bank_address),
            page,
            call
        )
    );
    call.register(driver);
    flash.set_client(driver);
    driver
}
