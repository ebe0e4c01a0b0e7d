//! Wiring of the security-key services (board feature `security_key`):
//! SHA and HMAC drivers, each over its own software digest engine (so one
//! process's long HMAC never waits on another's SHA); AES-128 over a
//! software engine; the key-value store in flash; the CSPRNG behind the
//! RNG driver; the CTAP and keyboard HID drivers on the HID link.

use capsules::aes::AesDriver;
use capsules::csprng::Csprng;
use capsules::digest_driver::DigestDriver;
use capsules::hid_driver::HidDriver;
use capsules::hid_link::{HidLink, LinkEndpoint, FRAME_BYTES, INTERFACE_FIDO, INTERFACE_KEYBOARD};
use capsules::kv::format::PAGE_BYTES;
use capsules::kv::store::LogStore;
use capsules::kv::KeyValue;
use capsules::software_aes::SoftwareAes;
use capsules::software_digest::SoftwareDigest;
use capsules::virtual_flash::FlashUser;
use chip_qemu_virt::virtio_console::{ConsoleQueues, VirtioConsole};
use chip_qemu_virt::{addresses, Peripherals, QemuVirt};
use kernel::deferred_call::DeferredCalls;
use kernel::hil::aes::Aes128;
use kernel::hil::digest::{Digest, MAX_DIGEST_BYTES};
use kernel::hil::entropy::Entropy32;
use kernel::hil::flash::Flash;
use kernel::hil::hid::{HidEndpoint, REPORT_BYTES};
use kernel::hil::uart::{Receive, Transmit};
use kernel::Kernel;
use kernel_abi::DriverNumber;

use crate::io::BoardCapability;
use crate::static_init;

/// Bytes of process data copied per engine step.
const DIGEST_CHUNK_BYTES: usize = 64;

/// The SHA driver (0x40005).
pub fn sha(
    kernel: &'static Kernel,
    calls: &'static DeferredCalls,
) -> &'static DigestDriver<'static> {
    let call = calls.allocate();
    let engine = static_init!(SoftwareDigest, SoftwareDigest::new(call));
    call.register(engine);
    let grant = kernel.create_grant(DriverNumber::SHA.0, &BoardCapability);
    let driver = static_init!(
        DigestDriver<'static>,
        capsules::sha::new(
            engine,
            grant,
            static_init!([u8; DIGEST_CHUNK_BYTES], [0; DIGEST_CHUNK_BYTES]),
            static_init!([u8; MAX_DIGEST_BYTES], [0; MAX_DIGEST_BYTES]),
        )
    );
    engine.set_client(driver);
    driver
}

/// The HMAC driver (0x40003).
pub fn hmac(
    kernel: &'static Kernel,
    calls: &'static DeferredCalls,
) -> &'static DigestDriver<'static> {
    let call = calls.allocate();
    let engine = static_init!(SoftwareDigest, SoftwareDigest::new(call));
    call.register(engine);
    let grant = kernel.create_grant(DriverNumber::HMAC.0, &BoardCapability);
    let driver = static_init!(
        DigestDriver<'static>,
        capsules::hmac::new(
            engine,
            grant,
            static_init!([u8; DIGEST_CHUNK_BYTES], [0; DIGEST_CHUNK_BYTES]),
            static_init!([u8; MAX_DIGEST_BYTES], [0; MAX_DIGEST_BYTES]),
        )
    );
    engine.set_client(driver);
    driver
}

/// The key-value driver (0x50003): a log store in the two erase blocks
/// at [`crate::memory_map::KV_FLASH_START`], through the shared flash.
pub fn kv(
    kernel: &'static Kernel,
    flash: &'static FlashUser<'static>,
) -> &'static KeyValue<'static> {
    let first_page = (crate::memory_map::KV_FLASH_START - addresses::PFLASH0) / flash.page_size();
    let store = static_init!(
        LogStore<'static>,
        LogStore::new(
            flash,
            first_page,
            [
                static_init!([u8; PAGE_BYTES], [0; PAGE_BYTES]),
                static_init!([u8; PAGE_BYTES], [0; PAGE_BYTES]),
                static_init!([u8; PAGE_BYTES], [0; PAGE_BYTES]),
            ],
        )
    );
    flash.set_client(store);
    let grant = kernel.create_grant(DriverNumber::KV.0, &BoardCapability);
    let kv = static_init!(KeyValue<'static>, KeyValue::new(store, grant, kernel));
    store.set_client(kv);
    if let Err(error) = store.mount() {
        kernel.print(format_args!(
            "[kernel] the key-value store cannot mount: {:?}\r\n",
            error
        ));
    }
    kv
}

/// The ChaCha20 CSPRNG, seeded from virtio-rng, as the RNG driver's
/// entropy source.
pub fn csprng(
    peripherals: &'static Peripherals,
    calls: &'static DeferredCalls,
) -> &'static Csprng<'static> {
    let call = calls.allocate();
    let csprng = static_init!(Csprng<'static>, Csprng::new(&peripherals.rng, call));
    call.register(csprng);
    peripherals.rng.set_client(csprng);
    csprng
}

/// The CTAP (0x40004) and USB keyboard HID (0x90005) drivers on the HID
/// link over the virtio console (see docs/boards/qemu-rv32-virt.md). If
/// QEMU has no virtio console, the board says so and both drivers answer
/// NODEVICE.
pub fn hid(
    kernel: &'static Kernel,
    chip: &'static QemuVirt,
    calls: &'static DeferredCalls,
) -> (&'static HidDriver<'static>, &'static HidDriver<'static>) {
    let queues = static_init!(ConsoleQueues, ConsoleQueues::new());
    let console = static_init!(VirtioConsole, VirtioConsole::new(queues));
    let attached = chip.attach_console(console);
    let link = static_init!(
        HidLink<'static>,
        HidLink::new(
            console,
            console,
            static_init!([u8; FRAME_BYTES], [0; FRAME_BYTES]),
            static_init!([u8; FRAME_BYTES], [0; FRAME_BYTES]),
        )
    );
    console.set_transmit_client(link);
    console.set_receive_client(link);
    let fido_call = calls.allocate();
    let fido = static_init!(
        LinkEndpoint<'static>,
        LinkEndpoint::new(link, INTERFACE_FIDO, fido_call)
    );
    fido_call.register(fido);
    let keyboard_call = calls.allocate();
    let keyboard = static_init!(
        LinkEndpoint<'static>,
        LinkEndpoint::new(link, INTERFACE_KEYBOARD, keyboard_call)
    );
    keyboard_call.register(keyboard);
    link.set_endpoints(static_init!(
        [&'static LinkEndpoint<'static>; 2],
        [fido, keyboard]
    ));
    let ctap = static_init!(
        HidDriver<'static>,
        capsules::ctap::new(
            fido,
            kernel.create_grant(DriverNumber::CTAP.0, &BoardCapability),
            static_init!([u8; REPORT_BYTES], [0; REPORT_BYTES]),
            static_init!([u8; REPORT_BYTES], [0; REPORT_BYTES]),
        )
    );
    fido.set_client(ctap);
    let keyboard_driver = static_init!(
        HidDriver<'static>,
        capsules::usb_keyboard_hid::new(
            keyboard,
            kernel.create_grant(DriverNumber::USB_KEYBOARD_HID.0, &BoardCapability),
            static_init!([u8; REPORT_BYTES], [0; REPORT_BYTES]),
            static_init!([u8; REPORT_BYTES], [0; REPORT_BYTES]),
        )
    );
    keyboard.set_client(keyboard_driver);
    match attached.and_then(|()| link.start()) {
        Ok(()) => kernel.print(format_args!("[kernel] HID link ready\r\n")),
        Err(error) => kernel.print(format_args!("[kernel] no HID link: {:?}\r\n", error)),
    }
    (ctap, keyboard_driver)
}

/// The AES-128 driver (0x40006) over the software engine.
pub fn aes(kernel: &'static Kernel, calls: &'static DeferredCalls) -> &'static AesDriver<'static> {
    let call = calls.allocate();
    let engine = static_init!(SoftwareAes, SoftwareAes::new(call));
    call.register(engine);
    let driver = static_init!(
        AesDriver<'static>,
        AesDriver::new(
            engine,
            kernel.create_grant(DriverNumber::AES.0, &BoardCapability),
            static_init!([u8; AES_CHUNK_BYTES], [0; AES_CHUNK_BYTES]),
        )
    );
    engine.set_client(driver);
    driver
}

/// Bytes of process data transformed per engine step (whole blocks).
const AES_CHUNK_BYTES: usize = 64;
