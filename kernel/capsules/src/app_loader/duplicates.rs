//! At boot, before processes load: one image per app name.
//!
//! The loader links a new version before it frees the old one (so a cut
//! never leaves neither); a cut between the two leaves both in flash. The
//! board calls [`AppLoader::free_duplicate_images`] after the journal's
//! recovery: of each name's images it keeps the one the board would run
//! (the highest version whose credentials the board's policy accepts;
//! when none is accepted, the highest version; on a tie, the first in the
//! chain) and turns the others into padding through the journal, one
//! power-cut-safe 16-byte header rewrite each. A cut during that is
//! finished by the next boot.

use super::AppLoader;

/// What decides which image of a name is kept: accepted first, then the
/// higher version.
type Rank = (bool, u32);

impl AppLoader<'_> {
    /// Free every image of an app name but the one the board would run.
    /// Returns how many were freed.
    pub fn free_duplicate_images(&self) -> usize {
        let Some(rewriter) = self.rewriter else {
            return 0;
        };
        let mut freed = 0;
        for image in self.management.app_images() {
            let keep = self.image_to_keep(image.name);
            if image.name.is_empty() || keep.is_none_or(|keep| keep == image.address) {
                continue;
            }
            let padding = tbf::padding_header(image.size as u32);
            match rewriter.rewrite(image.address - self.flash_base, &padding) {
                Ok(()) => {
                    freed += 1;
                    self.kernel.print(format_args!(
                        "[kernel] loader: freed a second image of {} at {:#x} (one image per app; the one at {:#x} stays)\r\n",
                        image.name,
                        image.address,
                        keep.unwrap_or(0)
                    ));
                }
                Err(error) => self.kernel.print(format_args!(
                    "[kernel] loader: could not free the second image of {} at {:#x}: {}\r\n",
                    image.name, image.address, error
                )),
            }
        }
        freed
    }

    /// The image of `name` to keep, when it has more than one (ranks,
    /// which may verify a signature, are computed only then).
    fn image_to_keep(&self, name: &str) -> Option<usize> {
        let same_name = || {
            self.management
                .app_images()
                .filter(move |image| image.name == name)
        };
        // One image: nothing to settle.
        same_name().nth(1)?;
        same_name()
            .map(|image| (self.rank(image.address, image.size), image.address))
            // The first of equal ranks: `max_by_key` would take the last.
            .fold(None, |best: Option<(Rank, usize)>, candidate| match best {
                Some(best) if best.0 >= candidate.0 => Some(best),
                _ => Some(candidate),
            })
            .map(|(_, address)| address)
    }

    fn rank(&self, address: usize, size: usize) -> Rank {
        let Some(image) = self.app_flash_range(address, size) else {
            return (false, 0);
        };
        let version = tbf::parse(image)
            .ok()
            .and_then(|tbf| tbf.program())
            .map_or(0, |program| program.app_version);
        let accepted = self
            .credential_policy
            .get()
            .is_none_or(|policy| self.check_image(image, &policy).is_ok());
        (accepted, version)
    }
}
