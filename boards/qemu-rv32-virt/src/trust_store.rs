//! The board's trust store (feature `credential_checking`, policy
//! `ecdsa-p256`): two pflash erase blocks at `TRUST_STORE_START`
//! (memory_map.rs), outside app flash, which neither kernel nor app
//! updates touch. No driver exposes them: the kernel reads and writes them
//! here (blocking, straight on the pflash), and the loader service reaches
//! them only through the checker's root-signed changes.
//!
//! ```text
//!  0x21C4_0000  bank A (256 KiB)   header | encoded trust state | erased
//!  0x21C8_0000  bank B (256 KiB)   the other generation
//!  0x21CC_0000  isolated storage ...
//! ```
//!
//! First boot (both banks erased, or neither valid): the store is made
//! from `BOARD_SIGNING_KEY` (the active signing keys, in order, so apps
//! keep the signer indices they had) and `BOARD_ROOT_KEY` (the root key;
//! without one, key changes are refused with "no root key"). Later boots
//! use the store, whatever keys a new kernel image carries.

use chip_qemu_virt::pflash::Pflash;
use core::sync::atomic::{AtomicBool, Ordering};
use kernel::credential::CredentialPolicy;

use kernel::trust_store::{Mounted, TrustStore};
use kernel::Kernel;

use crate::credentials::{BOARD_KEYS, BOARD_ROOT_KEY, POLICY};
use crate::memory_map::{ERASE_BLOCK_BYTES, TRUST_STORE_START};

/// The scope a key change may name: the board's `board` attribute.
pub const BOARD_NAME: &[u8] = b"qemu-rv32-virt";

/// Mount the trust store (making it on first boot); `None` unless the
/// policy checks signatures. Call once.
pub fn trust_store(
    kernel: &'static Kernel,
    flash: &'static Pflash,
) -> Option<&'static TrustStore<'static>> {
    if !matches!(POLICY, CredentialPolicy::EcdsaP256 { .. }) {
        return None;
    }
    // A plain static, not `static_init!`: its 9 KiB are constant zeros
    // (`.bss`), never built on the kernel's 16 KiB stack and moved.
    static mut STORE: TrustStore<'static> = TrustStore::new();
    static TAKEN: AtomicBool = AtomicBool::new(false);
    if TAKEN.load(Ordering::Relaxed) {
        return None;
    }
    TAKEN.store(true, Ordering::Relaxed);
    // SAFETY: `TAKEN` lets this reference be made once; nothing else
    // names `STORE`, and the store is used from the kernel's one thread.
    let store: &'static TrustStore<'static> = unsafe { &*core::ptr::addr_of!(STORE) };
    let bank_a = TRUST_STORE_START - flash.base();
    store.attach(flash, [bank_a, bank_a + ERASE_BLOCK_BYTES], BOARD_NAME);
    match store.mount(BOARD_ROOT_KEY, BOARD_KEYS) {
        Mounted::Loaded(generation) => {
            let state = store.state();
            kernel.print(format_args!(
                "[kernel] trust store: generation {}, {} signing key(s), change {}\r\n",
                generation,
                state.keys().len(),
                state.sequence
            ));
        }
        Mounted::Created(Ok(())) => kernel.print(format_args!(
            "[kernel] trust store: created from the built-in keys{}\r\n",
            match BOARD_ROOT_KEY {
                Some(_) => "",
                None => " (no root key: the keys cannot change)",
            }
        )),
        Mounted::Created(Err(error)) => kernel.print(format_args!(
            "[kernel] trust store: not written ({:?}); using the built-in keys\r\n",
            error
        )),
    }
    Some(store)
}
