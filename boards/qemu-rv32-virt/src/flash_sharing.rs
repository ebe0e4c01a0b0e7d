//! The one pflash driver shared through a flash mux: the app-state
//! driver, the live loader (feature `app_loader`) and the key-value store
//! (feature `security_key`) each get a [`FlashUser`], so none steals the
//! driver's completions from another. The flash journal, which rewrites
//! blocks in place (blocking, straight on the pflash), serves the
//! app-state driver, the loader and isolated storage (`isolated_storage.rs`,
//! which also programs and erases its blocks blocking on the pflash).
//!
//! ```text
//!  Pflash --> FlashMux --+--> FlashUser (app state) inside a process's own image
//!     |                  +--> FlashUser (loader)    app flash 0x2004_0000..JOURNAL
//!     |                  '--> FlashUser (kv)        KV_START..KV_END (two 256 KiB blocks)
//!     |--> FlashJournal (records, spare: two blocks below KV_START), rewriting
//!     |       APP_FLASH_START..JOURNAL_RECORDS_START
//!     '--> isolated storage (blocking)  ISOLATED_STORAGE_START.. (8 blocks)
//! ```

#[cfg(feature = "app_state")]
use crate::memory_map::{APP_FLASH_END, APP_FLASH_START};
#[cfg(feature = "app_state")]
use capsules::app_state::{AppState, MappedFlash};
#[cfg(any(
    feature = "app_state",
    feature = "app_loader",
    feature = "security_key"
))]
use capsules::virtual_flash::{FlashMux, FlashUser};
use chip_qemu_virt::Peripherals;
use kernel::deferred_call::DeferredCalls;
#[cfg(any(
    feature = "app_state",
    feature = "app_loader",
    feature = "security_key"
))]
use kernel::hil::flash::Flash;
use kernel::Kernel;

use crate::static_init;
#[cfg(any(
    feature = "app_state",
    feature = "app_loader",
    feature = "isolated_storage"
))]
use {
    crate::memory_map::{
        JOURNAL_AREA_END, JOURNAL_AREA_START, JOURNAL_RECORDS_START, JOURNAL_SPARE_START,
    },
    chip_qemu_virt::pflash::Pflash,
    kernel::flash_journal::FlashJournal,
};

/// The journal that rewrites blocks of app flash, the trust store and
/// isolated storage in place, after it has
/// finished any rewrite a power cut interrupted (call before processes
/// load).
#[cfg(any(
    feature = "app_state",
    feature = "app_loader",
    feature = "isolated_storage"
))]
pub fn flash_journal(
    kernel: &'static Kernel,
    flash: &'static Pflash,
) -> &'static FlashJournal<'static, Pflash> {
    let base = flash.base();
    let journal = static_init!(
        FlashJournal<'static, Pflash>,
        FlashJournal::new(
            flash,
            JOURNAL_AREA_START - base,
            JOURNAL_AREA_END - base,
            JOURNAL_RECORDS_START - base,
            JOURNAL_SPARE_START - base,
        )
    );
    match journal.recover() {
        Ok(None) => {}
        Ok(Some(block)) => kernel.print(format_args!(
            "[kernel] flash journal: finished rewriting block {:#x}\r\n",
            base + block
        )),
        Err(error) => kernel.print(format_args!("[kernel] flash journal: {}\r\n", error)),
    }
    journal
}

/// The app-state driver (0x50000) on its flash user and the journal,
/// reading app flash where it is mapped.
#[cfg(feature = "app_state")]
pub fn app_state(
    kernel: &'static Kernel,
    user: &'static FlashUser<'static>,
    journal: &'static FlashJournal<'static, Pflash>,
    calls: &'static DeferredCalls,
) -> &'static AppState<'static> {
    // SAFETY: app flash is mapped for good; it changes only through the
    // flash driver and the journal, which the driver reads it to serve.
    let contents = unsafe {
        core::slice::from_raw_parts(
            APP_FLASH_START as *const u8,
            APP_FLASH_END - APP_FLASH_START,
        )
    };
    let mapped = static_init!(
        MappedFlash,
        MappedFlash {
            contents,
            address: APP_FLASH_START,
        }
    );
    board_components::drivers::app_state(
        kernel,
        (user, journal),
        (mapped, crate::memory_map::FLASH_START),
        calls,
    )
}

#[cfg(any(
    feature = "app_state",
    feature = "app_loader",
    feature = "security_key"
))]
/// The users of the shared flash.
pub struct SharedFlash {
    /// The app-state driver's.
    #[cfg(feature = "app_state")]
    pub app_state: &'static FlashUser<'static>,
    /// The live loader's.
    #[cfg(feature = "app_loader")]
    pub loader: &'static FlashUser<'static>,
    /// The key-value store's.
    #[cfg(feature = "security_key")]
    pub kv: &'static FlashUser<'static>,
}

#[cfg(any(
    feature = "app_state",
    feature = "app_loader",
    feature = "security_key"
))]
/// Builds the mux over the pflash driver and one user per feature.
pub fn shared_flash(
    peripherals: &'static Peripherals,
    calls: &'static DeferredCalls,
) -> SharedFlash {
    let mux = static_init!(FlashMux<'static>, FlashMux::new(&peripherals.flash));
    peripherals.flash.set_client(mux);
    // Each user is its own static (a `static_init!` site runs once).
    #[cfg(feature = "app_state")]
    let app_state = {
        let call = calls.allocate();
        let user: &'static FlashUser<'static> =
            static_init!(FlashUser<'static>, FlashUser::new(mux, call));
        call.register(user);
        user
    };
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
            #[cfg(feature = "app_state")]
            app_state,
            #[cfg(feature = "app_loader")]
            loader,
            #[cfg(feature = "security_key")]
            kv,
        ]
    );
    mux.set_users(users);
    SharedFlash {
        #[cfg(feature = "app_state")]
        app_state,
        #[cfg(feature = "app_loader")]
        loader,
        #[cfg(feature = "security_key")]
        kv,
    }
}

#[cfg(any(
    feature = "app_state",
    feature = "app_loader",
    feature = "security_key"
))]
/// How many users the enabled features make.
const USERS: usize = cfg!(feature = "app_state") as usize
    + cfg!(feature = "app_loader") as usize
    + cfg!(feature = "security_key") as usize;

/// What the enabled features share of the pflash: the journal (features
/// `app_state`, `app_loader`, `isolated_storage`) and the flash mux's
/// users (features `app_state`, `app_loader`, `security_key`).
pub struct FlashSharing {
    /// The journal, already recovered.
    #[cfg(any(
        feature = "app_state",
        feature = "app_loader",
        feature = "isolated_storage"
    ))]
    pub journal: &'static FlashJournal<'static, Pflash>,
    /// The mux's users; without one of their features the pflash keeps
    /// no client from here.
    #[cfg(any(
        feature = "app_state",
        feature = "app_loader",
        feature = "security_key"
    ))]
    pub users: SharedFlash,
}

/// Builds the journal first (it finishes a cut rewrite before processes
/// load), then the flash mux.
pub fn flash_sharing(
    #[cfg_attr(
        not(any(
            feature = "app_state",
            feature = "app_loader",
            feature = "isolated_storage"
        )),
        allow(unused_variables, reason = "only the journal reports recovery")
    )]
    kernel: &'static Kernel,
    peripherals: &'static Peripherals,
    #[cfg_attr(
        not(any(
            feature = "app_state",
            feature = "app_loader",
            feature = "security_key"
        )),
        allow(unused_variables, reason = "only the mux's users take deferred calls")
    )]
    calls: &'static DeferredCalls,
) -> FlashSharing {
    FlashSharing {
        #[cfg(any(
            feature = "app_state",
            feature = "app_loader",
            feature = "isolated_storage"
        ))]
        journal: flash_journal(kernel, &peripherals.flash),
        #[cfg(any(
            feature = "app_state",
            feature = "app_loader",
            feature = "security_key"
        ))]
        users: shared_flash(peripherals, calls),
    }
}
