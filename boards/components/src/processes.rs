//! Process loading from the board's app memory: the TBF chain in app flash
//! becomes processes with RAM carved from the app RAM region.
//!
//! ```text
//!  app flash:  | TBF app 0 | TBF app 1 | ... | erased / padding |   (flash range)
//!  app RAM:    | app 0 RAM + grants | app 1 RAM + grants | ...  |   (RAM range)
//! ```

use core::ops::Range;

use kernel::kernel_loop::ChipProcessContext;
use kernel::platform::{Chip, Region};
use kernel::process::Process;
use kernel::process_loading::LoadConfiguration;
use kernel::Kernel;

use crate::BoardCapability;

/// Where a board's apps live: a TBF chain in `flash`, processes' RAM in
/// `ram` (both address ranges of the board's memory map).
pub struct AppMemory {
    flash: Range<usize>,
    ram: Range<usize>,
}

impl AppMemory {
    /// The board's app memory.
    ///
    /// # Safety
    /// `flash` is mapped and readable for as long as the kernel runs, and
    /// is rewritten only through a flash driver, never under the image of
    /// a loaded process; `ram` is RAM that no kernel data occupies.
    pub const unsafe fn new(flash: Range<usize>, ram: Range<usize>) -> Self {
        AppMemory { flash, ram }
    }

    /// App flash as bytes.
    pub fn flash(&self) -> &'static [u8] {
        // SAFETY: `new`'s caller promised the range stays mapped and is
        // never rewritten under a reader that relies on it.
        unsafe { core::slice::from_raw_parts(self.flash.start as *const u8, self.flash.len()) }
    }

    /// App RAM as a region.
    pub fn ram(&self) -> Region {
        Region::new(self.ram.start, self.ram.len())
    }
}

/// Loads the TBF chain of `memory` into the process slots (each process
/// gets `grant_region_bytes` above its minimum RAM for grants) and prints
/// what happened.
pub fn load_processes<C: Chip>(
    kernel: &'static Kernel,
    chip: &C,
    contexts: &mut [ChipProcessContext<C>],
    memory: &AppMemory,
    grant_region_bytes: usize,
) {
    let summary = kernel::process_loading::load_processes(
        kernel,
        chip.memory_protection(),
        contexts,
        memory.flash(),
        memory.ram(),
        LoadConfiguration { grant_region_bytes },
        &BoardCapability,
    );
    kernel.print(format_args!(
        "[kernel] {} processes loaded, {} skipped; kernel RAM per process: {} bytes\r\n",
        summary.loaded,
        summary.skipped,
        core::mem::size_of::<Process>() + core::mem::size_of::<ChipProcessContext<C>>()
    ));
}
