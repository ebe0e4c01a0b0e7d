//! The kernel test apps of one build (kernel-test-apps, for one target and
//! one `BENCH_ITERATIONS`), each packaged into a TBF on first use and kept
//! for the rest of the run, whichever board they are for.

use crate::context::Context;
use anyhow::Result;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Test apps built into a directory, each packaged on first use and kept
/// for the rest of the run.
pub struct TestApps {
    ctx: Context,
    directory: PathBuf,
    package: PackageApp,
    packaged: HashMap<String, Vec<u8>>,
}

/// Packages the built test app `name` (in `directory`) into a TBF.
pub type PackageApp = fn(&Context, &Path, &str) -> Result<Vec<u8>>;

impl TestApps {
    /// The apps built into `directory`, packaged by `package`.
    pub fn new(ctx: &Context, directory: PathBuf, package: PackageApp) -> TestApps {
        TestApps {
            ctx: ctx.clone(),
            directory,
            package,
            packaged: HashMap::new(),
        }
    }

    /// The TBF of test app `name`.
    pub fn tbf(&mut self, name: &str) -> Result<Vec<u8>> {
        if let Some(tbf) = self.packaged.get(name) {
            return Ok(tbf.clone());
        }
        let tbf = (self.package)(&self.ctx, &self.directory, name)?;
        self.packaged.insert(name.to_string(), tbf.clone());
        Ok(tbf)
    }

    /// The TBFs of `names`, in order.
    pub fn tbfs(&mut self, names: &[&str]) -> Result<Vec<Vec<u8>>> {
        names.iter().map(|name| self.tbf(name)).collect()
    }
}
