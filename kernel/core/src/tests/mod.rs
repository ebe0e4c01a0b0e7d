//! Host tests of the core against a fake chip ([`fake`]).

#[cfg(feature = "app_management")]
mod app_management;
mod fake;
pub(crate) mod fake_nor;
mod grants;
mod hostile;
mod kernel_loop;
mod loading;
mod syscalls;
