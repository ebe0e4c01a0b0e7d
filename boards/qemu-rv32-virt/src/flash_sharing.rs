//! The one pflash driver shared through a flash mux: the live loader
//! (feature `app_loader`) and the key-value store (feature
//! `security_key`) each get a [`FlashUser`], so neither steals the
//! driver's completions from the other.
//!
//! ```text
//!  Pflash --> FlashMux --+--> FlashUser (loader)   app flash 0x2004_0000..KV_START
//!                        '--> FlashUser (kv)       KV_START..KV_END (two 256 KiB blocks)
//! ```

use capsules::virtual_flash::{FlashMux, FlashUser};
use chip_qemu_virt::Peripherals;
use kernel::deferred_call::DeferredCalls;
use kernel::hil::flash::Flash;

use crate::static_init;

/// The users of the shared flash.
pub struct SharedFlash {
    /// The live loader's.
    #[cfg(feature = "app_loader")]
    pub loader: &'static FlashUser<'static>,
    /// The key-value store's.
    #[cfg(feature = "security_key")]
    pub kv: &'static FlashUser<'static>,
}

/// Builds the mux over the pflash driver and one user per feature.
pub fn shared_flash(
    peripherals: &'static Peripherals,
    calls: &'static DeferredCalls,
) -> SharedFlash {
    let mux = static_init!(FlashMux<'static>, FlashMux::new(&peripherals.flash));
    peripherals.flash.set_client(mux);
    // Each user is its own static (a `static_init!` site runs once).
    #[cfg(feature = "app_loader")]
    let loader = {
        let call = calls.allocate();
        let loader: &'static FlashUser<'static> =
            static_init!(FlashUser<'static>, FlashUser::new(mux, call));
        call.register(loader);
        loader
    };
    #[cfg(feature = "security_key")]
    let kv = {
        let call = calls.allocate();
        let kv: &'static FlashUser<'static> =
            static_init!(FlashUser<'static>, FlashUser::new(mux, call));
        call.register(kv);
        kv
    };
    let users = static_init!(
        [&'static FlashUser<'static>; USERS],
        [
            #[cfg(feature = "app_loader")]
            loader,
            #[cfg(feature = "security_key")]
            kv,
        ]
    );
    mux.set_users(users);
    SharedFlash {
        #[cfg(feature = "app_loader")]
        loader,
        #[cfg(feature = "security_key")]
        kv,
    }
}

/// How many users the enabled features make.
const USERS: usize =
    cfg!(feature = "app_loader") as usize + cfg!(feature = "security_key") as usize;
