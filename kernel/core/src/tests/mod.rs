//! Host tests of the core against a fake chip ([`fake`]).

mod app_management;
mod fake;
mod grants;
mod hostile;
mod kernel_loop;
mod loading;
mod syscalls;
